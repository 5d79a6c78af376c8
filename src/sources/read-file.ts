import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { CompiledRule } from '../rules/types.js';
import { findMatches } from '../scanner/engine.js';
import type { Located } from '../scanner/finding.js';
import { scanBuffer } from '../scanner/scan-buffer.js';
import { START_OF_INPUT, advanceLineState, type NewlineCounter } from '../scanner/position.js';
import { cutChunk, overlapFor } from '../scanner/scan-stream.js';
import { nativePrefilter } from './native-prefilter.js';

/** Files up to this size are read whole; larger ones are streamed in chunks. */
export const WHOLE_FILE_LIMIT = 32 * 1024 * 1024;
/**
 * 1 MiB: the reused buffer then stays small and in cache. With 8 MiB chunks the buffer grew to 16 MiB, and in a fresh
 * process (every CLI run) writing it first cost a page fault per 4 KiB: a 100 MB log took 160 ms to scan, not 60.
 */
export const CHUNK_SIZE = 1024 * 1024;
/** The reused buffer starts at this size and grows to the largest file read whole. */
const INITIAL_BUFFER = 1024 * 1024;
/** Files are read this far before fstat is asked for their size: most end before. */
const READ_FIRST = 1024 * 1024;

export type FileOutcome = { kind: 'scanned'; findings: Located[]; bytes: number } | { kind: 'skipped'; reason: string; bytes: number };

export interface ReadOptions {
  /** Skip files larger than this (0: no limit). */
  maxFileSize: number;
  /** Streamed reads use chunks of this size (tests make it small). */
  chunkSize?: number;
  wholeFileLimit?: number;
}

/**
 * Scans files one after another through one reused buffer. A folder scan
 * reads about a gigabyte: a fresh buffer per file cost a page fault per 4 KiB
 * and kept the garbage collector busy, which took longer than the scan itself.
 * Findings hold no reference to the buffer (hashes and strings only), so
 * reusing it is safe. Synchronous: each thread of a folder scan owns one.
 */
export class FileScanner {
  private buffer: Buffer;
  /** The addon's newline count, when it is built: a large file's line numbers in one call a chunk. */
  private readonly countNewlines: NewlineCounter | undefined = nativePrefilter()?.countNewlines;

  constructor(
    private readonly rules: readonly CompiledRule[],
    private readonly options: ReadOptions,
    initialSize = INITIAL_BUFFER,
  ) {
    this.buffer = Buffer.allocUnsafeSlow(initialSize);
  }

  /**
   * Scans one regular file. A file that cannot be read is an outcome, not an
   * exception: a folder scan goes on.
   */
  scan(path: string): FileOutcome {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (error) {
      return { kind: 'skipped', reason: describe(error), bytes: 0 };
    }
    try {
      const limit = this.options.wholeFileLimit ?? WHOLE_FILE_LIMIT;
      let already = 0; // bytes read into the buffer before fstat
      if (this.options.maxFileSize === 0) {
        // Most files are small: read first and learn the size from where the file ends, sparing fstat (a syscall and a Stats object).
        const first = this.readIfSmall(fd, Math.min(this.buffer.length, READ_FIRST, limit + 1));
        if (typeof first !== 'number') return { kind: 'scanned', findings: scanBuffer(first, this.rules), bytes: first.length };
        already = first;
      }
      const size = fstatSync(fd).size;
      if (this.options.maxFileSize > 0 && size > this.options.maxFileSize) {
        return { kind: 'skipped', reason: `larger than --max-file-size (${size} bytes)`, bytes: 0 };
      }
      if (size <= limit) {
        const bytes = this.readWhole(fd, size, already);
        return { kind: 'scanned', findings: scanBuffer(bytes, this.rules), bytes: bytes.length };
      }
      return this.scanLarge(fd);
    } catch (error) {
      return { kind: 'skipped', reason: describe(error), bytes: 0 };
    } finally {
      closeSync(fd);
    }
  }

  /** Room for `length` bytes, keeping the first `keep` bytes. */
  private reserve(length: number, keep = 0): Buffer {
    if (this.buffer.length < length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(length, this.buffer.length * 2));
      this.buffer.copy(grown, 0, 0, keep);
      this.buffer = grown;
    }
    return this.buffer;
  }

  /**
   * The whole file when it ends within `want` bytes, known by a read that
   * returns 0; otherwise how many bytes were read (then less than the file).
   */
  private readIfSmall(fd: number, want: number): Buffer | number {
    const buffer = this.buffer;
    const read = readSync(fd, buffer, 0, want, null);
    if (read === want) return read;
    const more = readSync(fd, buffer, read, buffer.length - read, null);
    return more === 0 ? buffer.subarray(0, read) : read + more;
  }

  /** Reads to the end (after the `already` bytes in the buffer) even if the file grew or shrank since fstat. */
  private readWhole(fd: number, size: number, already: number): Buffer {
    let buffer = this.reserve(size + 1, already);
    let length = already;
    for (;;) {
      if (length === buffer.length) buffer = this.reserve(length * 2, length);
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) return buffer.subarray(0, length);
      length += read;
    }
  }

  /**
   * A file over the whole-file limit, in the chunks scanStream would make of
   * it (same reads, overlaps and accepted ranges, hence the same findings),
   * but in the reused buffer. Most large files hold no secret, so the first
   * pass only looks for a match and does not count lines, which costs as much
   * as the search itself; a file with a match is read a second time, counting
   * lines up to the first chunk with a match and scanning from there.
   */
  private scanLarge(fd: number): FileOutcome {
    const chunkSize = this.options.chunkSize ?? CHUNK_SIZE;
    let firstMatch = -1;
    const clean = this.forEachChunk(fd, chunkSize, (chunk, index, acceptFrom, acceptTo) => {
      if (findMatches(chunk, this.rules, acceptFrom, acceptTo).length === 0) return true;
      firstMatch = index;
      return false;
    });
    if (firstMatch === -1) return { kind: 'scanned', findings: [], bytes: clean };

    const findings: Located[] = [];
    let lineState = START_OF_INPUT;
    let baseOffset = 0;
    const bytes = this.forEachChunk(fd, chunkSize, (chunk, index, acceptFrom, acceptTo, next) => {
      // Chunks before the first match were searched already and hold nothing: only their lines are counted.
      if (index >= firstMatch) findings.push(...scanBuffer(chunk, this.rules, { acceptFrom, acceptTo, lineState, baseOffset }));
      if (next !== undefined) {
        lineState = advanceLineState(chunk, next, lineState, this.countNewlines);
        baseOffset += next;
      }
      return true;
    });
    return { kind: 'scanned', findings, bytes };
  }

  /**
   * scanStream's chunking: each buffer is the tail of the one before plus one
   * read of `chunkSize`; secrets starting in [acceptFrom, acceptTo) belong to
   * it and the buffer's bytes from `next` on are carried over. The last call
   * has `next` undefined and takes everything from acceptFrom. Stops early
   * when `onChunk` returns false. Returns the bytes read.
   */
  private forEachChunk(
    fd: number,
    chunkSize: number,
    onChunk: (chunk: Buffer, index: number, acceptFrom: number, acceptTo: number, next?: number) => boolean,
  ): number {
    const overlap = overlapFor(this.rules);
    let carry = 0; // bytes kept at the front of the buffer from the previous chunk
    let acceptFrom = 0;
    let total = 0;
    let index = 0;
    for (;;) {
      const buffer = this.reserve(carry + chunkSize, carry);
      const read = readSync(fd, buffer, carry, chunkSize, total);
      if (read === 0) break;
      total += read;
      const length = carry + read;
      const cut = cutChunk(buffer, length, acceptFrom, overlap);
      if (!cut) {
        carry = length;
        continue;
      }
      const { next, acceptTo } = cut;
      if (!onChunk(buffer.subarray(0, length), index++, acceptFrom, acceptTo, next)) return total;
      buffer.copyWithin(0, next, length);
      carry = length - next;
      acceptFrom = acceptTo - next;
    }
    onChunk(this.buffer.subarray(0, carry), index, acceptFrom, carry);
    return total;
  }
}

/** Scans one regular file (a one-off; folder scans keep a FileScanner per thread). */
export async function scanFile(path: string, rules: readonly CompiledRule[], options: ReadOptions): Promise<FileOutcome> {
  return new FileScanner(rules, options, 64 * 1024).scan(path);
}

function describe(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (e.code === 'EACCES' || e.code === 'EPERM') return 'permission denied';
  if (e.code === 'ENOENT') return 'no longer exists';
  if (e.code === 'EISDIR') return 'is a directory';
  return e.code ?? e.message;
}
