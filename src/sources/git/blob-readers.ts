import { closeSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { GIT_RECORD, GIT_RECORD_FIELDS, type Addon, type GitBatchHandler } from '../native-prefilter.js';
import { BatchParser, type SkipHandler } from './cat-file.js';
import { GIT_ENV_OVERRIDES, gitExitError, gitStartError } from './run.js';
import { childProcess, spawnGitToFd, type GitChild } from './spawn-git.js';

export interface BlobReadersOptions {
  /** How many `git cat-file --batch` processes at most. */
  readers: number;
  /** Blobs handed to the first reader before a second one is started: a short history is not worth another process. */
  startMoreAfter: number;
  /** Larger blobs are reported through onSkipped, never kept in memory (0: no limit). */
  maxSize: number;
  /** git's core.deltaBaseCacheLimit for each reader: more lets git rebuild long runs of versions faster. */
  deltaBaseCacheLimit?: string;
  /** Each blob's bytes, synchronously; `content` is only valid during the call (buffers are reused). */
  onBlob: (oid: string, content: Buffer) => void;
  onSkipped: SkipHandler;
  /**
   * The native reader (native/git-blobs.c) and every rule's keyword: git's output is then taken apart on the
   * addon's threads, and blobs without a keyword are only counted (onClean), never handed to onBlob.
   */
  native?: { addon: Addon; keywords: Buffer[]; tails?: Buffer[] };
  /** Blobs the native reader found no keyword in, and their bytes: clean, so scanned. */
  onClean?: (files: number, bytes: number) => void;
}

/**
 * `git cat-file --batch` processes fed object names while they are still
 * being found (the history's log streams in), so that git inflates blobs on
 * every core while `git log` walks the history. A path's versions all go to
 * the same reader: they delta against each other in the pack, and one
 * process's delta base cache then rebuilds each version from the one before.
 * New paths go to the reader with the fewest blobs so far.
 */
export class BlobReaders {
  private readonly readers: Reader[] = [];
  private readonly readerOfPath = new Map<string, Reader>();
  private failure: Error | undefined;
  private failed!: (error: Error) => void;
  /** Settles with the first failure of any reader. */
  private readonly failedPromise = new Promise<never>((_, reject) => (this.failed = reject));

  constructor(
    private readonly cwd: string,
    private readonly options: BlobReadersOptions,
  ) {
    this.failedPromise.catch(() => {}); // observed through finish()
  }

  /** Asks for `oid`, first seen at `path` (a later sighting elsewhere does not matter: it is read once). */
  add(oid: string, path: string): void {
    if (this.failure) return;
    let reader = this.readerOfPath.get(path);
    if (reader === undefined) {
      reader = this.pick();
      this.readerOfPath.set(path, reader);
    }
    reader.names.push(oid);
    reader.count++;
  }

  /** Sends the names asked for since the last flush, one write per reader. */
  flush(): void {
    for (const reader of this.readers) {
      if (reader.names.length === 0 || this.failure) continue;
      reader.child.stdin!.write(reader.names.join('\n') + '\n');
      reader.names.length = 0;
    }
  }

  /** No more names: waits until every blob asked for has been handed over. */
  async finish(): Promise<void> {
    this.flush();
    for (const reader of this.readers) reader.child.stdin!.end();
    await Promise.race([Promise.all(this.readers.map((reader) => reader.done)), this.failedPromise]);
  }

  /** Stops every reader (the log failed). */
  abort(): void {
    this.failure ??= new Error('aborted');
    for (const reader of this.readers) reader.child.kill();
  }

  private pick(): Reader {
    const { readers: most, startMoreAfter } = this.options;
    let least = this.readers[0];
    for (const reader of this.readers) if (reader.count < least!.count) least = reader;
    if (least === undefined || (this.readers.length < most && least.count >= startMoreAfter)) least = this.start();
    return least;
  }

  private start(): Reader {
    const { deltaBaseCacheLimit, native } = this.options;
    const config = deltaBaseCacheLimit ? ['-c', `core.deltaBaseCacheLimit=${deltaBaseCacheLimit}`] : [];
    // --buffer: git flushes its output when its buffer fills rather than after every object (much faster for small blobs).
    const args = [...GIT_ENV_OVERRIDES, ...config, 'cat-file', '--batch', '--buffer'];
    const fail = (error: Error) => {
      if (this.failure) return;
      this.failure = error;
      for (const reader of this.readers) reader.child.kill();
      this.failed(error);
    };
    let child: GitChild;
    let reading: Promise<void>;
    if (native) {
      // git writes into a pipe whose read end only the addon's thread reads: Node never sees the bytes. Started with
      // posix_spawn where the addon can (spawn-git.ts), else by Node into a pipe the addon made.
      const onBatch: GitBatchHandler = (data, records, files, bytes) => {
        if (!this.failure) takeGitBatch(this.options, data, records, files, bytes);
      };
      const read = (fd: number) =>
        native.addon.readBlobs(fd, native.keywords, { maxSize: this.options.maxSize, tails: native.tails }, onBatch);
      const spawned = spawnGitToFd(args, this.cwd);
      if (spawned) {
        child = spawned.child;
        reading = spawned.stdout >= 0 ? read(spawned.stdout) : Promise.resolve(); // not started: its 'error' says why
      } else {
        const [readFd, writeFd] = native.addon.pipe();
        try {
          child = childProcess().spawn('git', args, { cwd: this.cwd, stdio: ['pipe', writeFd, 'pipe'] }) as GitChild;
        } catch (error) {
          closeSync(readFd);
          throw error;
        } finally {
          closeSync(writeFd); // git holds its own copy: the read end sees the end of output when git exits
        }
        reading = read(readFd);
      }
    } else {
      child = childProcess().spawn('git', args, { cwd: this.cwd, stdio: ['pipe', 'pipe', 'pipe'] }) as GitChild;
      reading = this.parseOutput(child.stdout!);
    }
    const stderr: Buffer[] = [];
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
    const exited = new Promise<void>((resolve) => {
      child.on('error', (error: NodeJS.ErrnoException) => fail(gitStartError(error)));
      child.on('close', (code) => {
        if (code === 0) return resolve();
        fail(gitExitError('cat-file', stderr, code));
      });
    });
    reading.catch(fail); // what a handler threw
    child.stdin!.on('error', () => {}); // git may exit early; its exit status tells
    const done = Promise.all([exited, reading]).then(() => {});
    done.catch(() => {}); // a failure is told through failedPromise (finish() may come much later, or never after abort())
    const reader: Reader = { child, names: [], count: 0, done };
    this.readers.push(reader);
    return reader;
  }

  /** The JavaScript reader: git's output through a stream, taken apart on this thread. */
  private parseOutput(stdout: Readable): Promise<void> {
    const { maxSize, onBlob, onSkipped } = this.options;
    const parser = new BatchParser(onBlob, onSkipped, maxSize, true);
    return new Promise((resolve, reject) => {
      stdout.on('data', (chunk: Buffer) => {
        if (this.failure) return;
        try {
          parser.push(chunk);
        } catch (error) {
          reject(error as Error); // the handler's error
        }
      });
      stdout.on('end', resolve);
    });
  }
}

/** A batch from either native reader (git-blobs.c, git-packs.c): clean blobs as counts, then the blobs with a keyword, the missing and the too large. */
export function takeGitBatch(
  handlers: Pick<BlobReadersOptions, 'onBlob' | 'onSkipped' | 'onClean'>,
  data: Buffer,
  records: Float64Array,
  files: number,
  bytes: number,
): void {
  const { onBlob, onSkipped, onClean } = handlers;
  if (files > 0) onClean?.(files, bytes);
  for (let i = 0; i < records.length; i += GIT_RECORD_FIELDS) {
    const nameAt = records[i + 1]!;
    const oid = data.toString('latin1', nameAt, nameAt + records[i + 2]!);
    const at = records[i + 3]!;
    const size = records[i + 4]!;
    if (records[i] === GIT_RECORD.blob) onBlob(oid, data.subarray(at, at + size));
    else if (records[i] === GIT_RECORD.missing) onSkipped(oid, 'missing from the repository', 0);
    else onSkipped(oid, `larger than --max-file-size (${size} bytes)`, size);
  }
}

interface Reader {
  child: GitChild;
  /** Names asked for and not yet written to git. */
  names: string[];
  /** Blobs given to this reader so far. */
  count: number;
  done: Promise<void>;
}
