import { spawnGit } from './spawn-git.js';
import { GIT_ENV_OVERRIDES, gitExitError, gitStartError } from './run.js';

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
  onSkipped: SkipHandler = () => {},
  maxSize = 0,
  options: ReadOptions = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (oids.length === 0) return resolve();
    // --buffer: git flushes its output when its buffer fills rather than after every object (much faster for small blobs).
    const config = options.deltaBaseCacheLimit ? ['-c', `core.deltaBaseCacheLimit=${options.deltaBaseCacheLimit}`] : [];
    const child = spawnGit([...GIT_ENV_OVERRIDES, ...config, 'cat-file', '--batch', '--buffer'], cwd, 'pipe');
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
    const parser = new BatchParser(
      options.transient ? (oid, content) => void onBlob(oid, content) : deliver,
      onSkipped,
      maxSize,
      options.transient,
    );

    child.stdout.on('data', (chunk: Buffer) => {
      if (failed) return;
      try {
        parser.push(chunk);
      } catch (error) {
        fail(error as Error); // a transient handler's error
      }
    });
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => fail(gitStartError(error)));
    child.on('close', (code) => {
      if (failed) return;
      if (code !== 0) {
        fail(gitExitError('cat-file', stderr, code));
        return;
      }
      work.then(() => resolve(), fail);
    });
    child.stdin!.on('error', () => {});
    child.stdin!.end(oids.join('\n') + '\n');
  });
}

/** Above this size a blob gets a buffer of its own even when buffers are reused: no huge buffer kept for the whole scan. */
const MAX_REUSED = 16 * 1024 * 1024;

/** Why a blob asked for was not handed over, with its size when git told it. */
export interface SkipHandler {
  (oid: string, reason: string, size: number): void;
}

/**
 * Splits `git cat-file --batch` output into blobs; pure, fed chunk by chunk.
 * A blob within one chunk is handed over as a view of it (no copy); one that
 * spans chunks is copied into a buffer of its size, or into one reused buffer
 * when `reuse` is set. Headers are read from the bytes (one string per record:
 * the object name), as a long history has tens of thousands of them.
 */
export class BatchParser {
  private pending: Buffer = Buffer.alloc(0);
  /** The record being read across chunks: its name, size, bytes had (content and final newline), and where they go. */
  private oid = '';
  private size = 0;
  private have = -1; // -1: between records
  private into: Buffer | undefined;
  private keep = false;
  private spare: Buffer = Buffer.alloc(0);

  constructor(
    private readonly onBlob: (oid: string, content: Buffer) => void,
    private readonly onSkipped: SkipHandler,
    private readonly maxSize: number,
    private readonly reuse = false,
  ) {}

  push(chunk: Buffer): void {
    const data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let at = 0;
    for (;;) {
      if (this.have < 0) {
        const newline = data.indexOf(0x0a, at);
        if (newline === -1) break;
        const header = at;
        at = newline + 1;
        // "<oid> <type> <size>", or "<oid> missing" (or "ambiguous"): anything without a size is not there.
        let space = data.indexOf(0x20, header);
        if (space === -1 || space > newline) space = newline;
        const oid = data.toString('latin1', header, space);
        const typeEnd = space < newline ? data.indexOf(0x20, space + 1) : -1;
        const size = typeEnd === -1 || typeEnd > newline ? -1 : parseSize(data, typeEnd + 1, newline);
        if (size < 0) {
          this.onSkipped(oid, 'missing from the repository', 0);
          continue;
        }
        const blob =
          typeEnd - space === 5 &&
          data[space + 1] === 0x62 &&
          data[space + 2] === 0x6c &&
          data[space + 3] === 0x6f &&
          data[space + 4] === 0x62;
        const keep = blob && !(this.maxSize > 0 && size > this.maxSize);
        if (blob && !keep) this.onSkipped(oid, `larger than --max-file-size (${size} bytes)`, size);
        this.oid = oid;
        this.size = size;
        if (keep && at + size <= data.length) {
          // The whole blob is in this chunk.
          this.onBlob(oid, data.subarray(at, at + size));
          at += size;
          this.have = size;
          this.into = undefined;
          this.keep = false;
        } else {
          this.have = 0;
          this.into = keep ? this.bufferFor(size) : undefined;
          this.keep = keep;
        }
      }
      // Content plus the newline that ends the record.
      const size = this.size;
      const take = Math.min(size + 1 - this.have, data.length - at);
      if (this.into && this.have < size) data.copy(this.into, this.have, at, at + Math.min(take, size - this.have));
      this.have += take;
      at += take;
      if (this.have < size + 1) break;
      if (this.keep) this.onBlob(this.oid, this.into!.subarray(0, size));
      this.have = -1;
      this.into = undefined;
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

/** The decimal number in data[start, end), or -1 when it is not one. */
function parseSize(data: Buffer, start: number, end: number): number {
  if (start >= end) return -1;
  let size = 0;
  for (let i = start; i < end; i++) {
    const digit = data[i]! - 0x30;
    if (digit < 0 || digit > 9) return -1;
    size = size * 10 + digit;
  }
  return size;
}
