import { spawn } from 'node:child_process';
import { NeevscanError } from '../../errors.js';
import { GIT_ENV_OVERRIDES } from './run.js';

export interface BlobHandler {
  /** Called with each blob's bytes, in the order asked for. */
  (oid: string, content: Buffer): void | Promise<void>;
}

/**
 * Reads blobs through one `git cat-file --batch` process: object names go in
 * on stdin, "<oid> <type> <size>\n<bytes>\n" records come out and are parsed
 * as they stream. Blobs larger than `maxSize` (when set) are passed over and
 * reported through `onSkipped` without being kept in memory.
 */
export function readBlobs(
  cwd: string,
  oids: readonly string[],
  onBlob: BlobHandler,
  onSkipped: (oid: string, reason: string) => void = () => {},
  maxSize = 0,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (oids.length === 0) return resolve();
    const child = spawn('git', [...GIT_ENV_OVERRIDES, 'cat-file', '--batch'], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let pending: Buffer = Buffer.alloc(0);
    let current: { oid: string; size: number; parts: Buffer[]; have: number; keep: boolean } | undefined;
    let work = Promise.resolve();
    let failed = false;
    const stderr: Buffer[] = [];
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      child.kill();
      reject(error);
    };

    child.stdout.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let at = 0;
      for (;;) {
        if (!current) {
          const newline = pending.indexOf(0x0a, at);
          if (newline === -1) break;
          const header = pending.toString('utf8', at, newline).split(' ');
          at = newline + 1;
          if (header[1] === 'missing' || header.length !== 3) {
            onSkipped(header[0] ?? '', 'missing from the repository');
            continue;
          }
          const size = Number(header[2]);
          const keep = header[1] === 'blob' && !(maxSize > 0 && size > maxSize);
          if (header[1] === 'blob' && !keep) onSkipped(header[0]!, `larger than --max-file-size (${size} bytes)`);
          current = { oid: header[0]!, size, parts: [], have: 0, keep };
        }
        // Content plus the newline that ends the record.
        const take = Math.min(current.size + 1 - current.have, pending.length - at);
        if (current.keep) current.parts.push(pending.subarray(at, at + take));
        current.have += take;
        at += take;
        if (current.have < current.size + 1) break;
        if (current.keep) {
          const content = Buffer.concat(current.parts).subarray(0, current.size);
          const oid = current.oid;
          work = work.then(() => onBlob(oid, content)).catch(fail) as Promise<void>;
        }
        current = undefined;
      }
      pending = at >= pending.length ? Buffer.alloc(0) : Buffer.from(pending.subarray(at));
    });
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => fail(new NeevscanError(`git cat-file: ${error.message}`, 'git-failed')));
    child.on('close', (code) => {
      if (failed) return;
      if (code !== 0) {
        fail(new NeevscanError(`git cat-file: ${Buffer.concat(stderr).toString('utf8').trim().split('\n')[0] || `exit status ${code}`}`, 'git-failed'));
        return;
      }
      work.then(() => resolve(), fail);
    });
    child.stdin.on('error', () => {});
    child.stdin.end(oids.join('\n') + '\n');
  });
}
