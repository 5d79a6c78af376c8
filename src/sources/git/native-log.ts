import { Socket } from 'node:net';
import type { Addon } from '../native-prefilter.js';
import type { IndexListener, Introduction } from './introduction.js';
import { GIT_ENV_OVERRIDES, gitExitError, gitStartError } from './run.js';

/** What readLog hands over per record (native/git-log.c): six numbers, the first the kind. */
const LOG_FIELDS = 6;
const RECORD = { commit: 0, path: 1, blob: 2 } as const;

export type LogAddon = Required<Pick<Addon, 'readLog' | 'spawnPiped' | 'waitExit'>>;

/**
 * The whole-history index from `git log` (args as blob-index.ts builds them) with its output taken apart
 * by the addon on a thread of its own: this thread gets only commits, each path once, and each blob's first
 * sighting at a path; the log's text, and entries that change nothing the index keeps, never reach it. The
 * same index as the JavaScript parser's (test/sources/native-log.test.ts compares them).
 */
export async function nativeLogIndex(
  addon: LogAddon,
  args: readonly string[],
  root: string,
  listener: IndexListener | undefined,
): Promise<{ commits: string[]; blobs: Map<string, Introduction[]> }> {
  const commits: string[] = [];
  const paths: string[] = [];
  const blobs = new Map<string, Introduction[]>();
  let started: ReturnType<LogAddon['spawnPiped']>;
  try {
    started = addon.spawnPiped('git', ['git', ...GIT_ENV_OVERRIDES, ...args], root, false);
  } catch (error) {
    throw gitStartError(error as NodeJS.ErrnoException);
  }
  const stderr: Buffer[] = [];
  const errors = new Socket({ fd: started.stderr, readable: true, writable: false });
  errors.on('data', (chunk: Buffer) => stderr.push(chunk));
  const errorsEnded = new Promise<void>((resolve) => errors.once('close', () => resolve()));
  const exited = new Promise<number>((resolve) => addon.waitExit(started.pid, (code, signal) => resolve(signal ? -1 : code)));
  await addon.readLog(started.stdout, (data, records) => {
    for (let i = 0; i < records.length; i += LOG_FIELDS) {
      const kind = records[i];
      if (kind === RECORD.commit) {
        commits.push(data.toString('latin1', records[i + 1], records[i + 1]! + records[i + 2]!));
      } else if (kind === RECORD.path) {
        paths.push(data.toString('utf8', records[i + 1], records[i + 1]! + records[i + 2]!));
      } else {
        const oid = data.toString('latin1', records[i + 3], records[i + 3]! + records[i + 4]!);
        const path = paths[records[i + 2]!]!;
        const introduction = { path, commit: records[i + 1]! };
        const seen = blobs.get(oid);
        if (seen === undefined) blobs.set(oid, [introduction]);
        else seen.push(introduction);
        if (records[i + 5] === 1) listener?.blob(oid, path);
      }
    }
    listener?.chunk();
  });
  const [code] = await Promise.all([exited, errorsEnded]);
  if (code !== 0) throw gitExitError(args[0], stderr, code);
  return { commits, blobs };
}
