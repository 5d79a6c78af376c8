import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { NeevscanError } from '../../errors.js';
import { BatchParser, type SkipHandler } from './cat-file.js';
import { GIT_ENV_OVERRIDES } from './run.js';

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
      reader.child.stdin.write(reader.names.join('\n') + '\n');
      reader.names.length = 0;
    }
  }

  /** No more names: waits until every blob asked for has been handed over. */
  async finish(): Promise<void> {
    this.flush();
    for (const reader of this.readers) reader.child.stdin.end();
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
    const { deltaBaseCacheLimit, maxSize, onBlob, onSkipped } = this.options;
    const config = deltaBaseCacheLimit ? ['-c', `core.deltaBaseCacheLimit=${deltaBaseCacheLimit}`] : [];
    // --buffer: git flushes its output when its buffer fills rather than after every object (much faster for small blobs).
    const child = spawn('git', [...GIT_ENV_OVERRIDES, ...config, 'cat-file', '--batch', '--buffer'], {
      cwd: this.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const fail = (error: Error) => {
      if (this.failure) return;
      this.failure = error;
      for (const reader of this.readers) reader.child.kill();
      this.failed(error);
    };
    const parser = new BatchParser(onBlob, onSkipped, maxSize, true);
    const stderr: Buffer[] = [];
    const done = new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (this.failure) return;
        try {
          parser.push(chunk);
        } catch (error) {
          fail(error as Error); // the handler's error
        }
      });
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      child.on('error', (error) => fail(new NeevscanError(`git cat-file: ${error.message}`, 'git-failed')));
      child.on('close', (code) => {
        if (code === 0) return resolve();
        const line = Buffer.concat(stderr).toString('utf8').trim().split('\n')[0] || `exit status ${code}`;
        fail(new NeevscanError(`git cat-file: ${line}`, 'git-failed'));
      });
    });
    child.stdin.on('error', () => {}); // git may exit early; its exit status tells
    const reader: Reader = { child, names: [], count: 0, done };
    this.readers.push(reader);
    return reader;
  }
}

interface Reader {
  child: ChildProcessWithoutNullStreams;
  /** Names asked for and not yet written to git. */
  names: string[];
  /** Blobs given to this reader so far. */
  count: number;
  done: Promise<void>;
}
