import { spawn } from 'node:child_process';
import { NeevscanError } from '../../errors.js';
import { GIT_ENV_OVERRIDES } from './run.js';

export interface BlobHandler {
  /** Called with each blob's bytes, in the order asked for. */
  (oid: string, content: Buffer): void | Promise<void>;
}

export interface ReadOptions {
  /**
   * The handler is synchronous and keeps no reference to `content` once it
   * returns: blobs that span several reads are then assembled in one reused
   * buffer rather than a new one each (less allocation and GC on long histories).
   */
  transient?: boolean;
  /** git's core.deltaBaseCacheLimit for this reader (default 96m): more lets git rebuild long runs of versions faster. */
  deltaBaseCacheLimit?: string;
}

/** Bytes of blobs waiting for an async handler before we stop reading git's output. */
const HIGH_WATER = 64 * 1024 * 1024;

/**
 * Reads blobs through one `git cat-file --batch` process: object names go in
 * on stdin, "<oid> <type> <size>\n<bytes>\n" records come out and are parsed
 * as they stream. Blobs larger than `maxSize` (when set) are passed over and
 * reported through `onSkipped` without being kept in memory. While an async
 * handler has more than HIGH_WATER bytes queued, git's output is paused.
 */
export function readBlobs(
  cwd: string,
  oids: readonly string[],
  onBlob: BlobHandler,
  onSkipped: (oid: string, reason: string) => void = () => {},
  maxSize = 0,
  options: ReadOptions = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (oids.length === 0) return resolve();
    // --buffer: git flushes its output when its buffer fills rather than after every object (much faster for small blobs).
    const config = options.deltaBaseCacheLimit ? ['-c', `core.deltaBaseCacheLimit=${options.deltaBaseCacheLimit}`] : [];
    const child = spawn('git', [...GIT_ENV_OVERRIDES, ...config, 'cat-file', '--batch', '--buffer'], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let work = Promise.resolve();
    let queued = 0;
    let failed = false;
    const stderr: Buffer[] = [];
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      child.kill();
      reject(error);
    };
    const deliver = (oid: string, content: Buffer) => {
      queued += content.length;
      if (queued > HIGH_WATER) child.stdout.pause();
      work = work
        .then(() => onBlob(oid, content))
        .then(() => {
          queued -= content.length;
          if (queued <= HIGH_WATER && child.stdout.isPaused()) child.stdout.resume();
        })
        .catch(fail);
    };
    const parser = new BatchParser(options.transient ? (oid, content) => void onBlob(oid, content) : deliver, onSkipped, maxSize, options.transient);

    child.stdout.on('data', (chunk: Buffer) => {
      if (failed) return;
      try {
        parser.push(chunk);
      } catch (error) {
        fail(error as Error); // a transient handler's error
      }
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

/** Above this size a blob gets a buffer of its own even when buffers are reused: no huge buffer kept for the whole scan. */
const MAX_REUSED = 16 * 1024 * 1024;

/**
 * Splits `git cat-file --batch` output into blobs; pure, fed chunk by chunk.
 * A blob within one chunk is handed over as a view of it (no copy); one that
 * spans chunks is copied into a buffer of its size, or into one reused buffer
 * when `reuse` is set.
 */
export class BatchParser {
  private pending: Buffer = Buffer.alloc(0);
  private current: { oid: string; size: number; have: number; into: Buffer | undefined; keep: boolean } | undefined;
  private spare: Buffer = Buffer.alloc(0);

  constructor(
    private readonly onBlob: (oid: string, content: Buffer) => void,
    private readonly onSkipped: (oid: string, reason: string) => void,
    private readonly maxSize: number,
    private readonly reuse = false,
  ) {}

  push(chunk: Buffer): void {
    const data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let at = 0;
    for (;;) {
      if (!this.current) {
        const newline = data.indexOf(0x0a, at);
        if (newline === -1) break;
        const header = data.toString('latin1', at, newline).split(' ');
        at = newline + 1;
        if (header[1] === 'missing' || header.length !== 3) {
          this.onSkipped(header[0] ?? '', 'missing from the repository');
          continue;
        }
        const size = Number(header[2]);
        const keep = header[1] === 'blob' && !(this.maxSize > 0 && size > this.maxSize);
        if (header[1] === 'blob' && !keep) this.onSkipped(header[0]!, `larger than --max-file-size (${size} bytes)`);
        if (keep && at + size <= data.length) {
          // The whole blob is in this chunk.
          this.onBlob(header[0]!, data.subarray(at, at + size));
          at += size;
          this.current = { oid: header[0]!, size, have: size, into: undefined, keep: false };
        } else {
          this.current = { oid: header[0]!, size, have: 0, into: keep ? this.bufferFor(size) : undefined, keep };
        }
      }
      const current = this.current;
      // Content plus the newline that ends the record.
      const take = Math.min(current.size + 1 - current.have, data.length - at);
      if (current.into && current.have < current.size) data.copy(current.into, current.have, at, at + Math.min(take, current.size - current.have));
      current.have += take;
      at += take;
      if (current.have < current.size + 1) break;
      if (current.keep) this.onBlob(current.oid, current.into!.subarray(0, current.size));
      this.current = undefined;
    }
    // Only an unfinished header can be left over (content is copied out); copy it so the chunk can be freed.
    this.pending = at >= data.length ? Buffer.alloc(0) : Buffer.from(data.subarray(at));
  }

  private bufferFor(size: number): Buffer {
    if (!this.reuse || size > MAX_REUSED) return Buffer.allocUnsafe(size);
    if (this.spare.length < size) this.spare = Buffer.allocUnsafe(Math.max(size, 2 * this.spare.length, 1024 * 1024));
    return this.spare;
  }
}
