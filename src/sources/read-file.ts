import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { CompiledRule } from '../rules/types.js';
import type { Located } from '../scanner/finding.js';
import { scanBuffer } from '../scanner/scan-buffer.js';
import { scanStream } from '../scanner/scan-stream.js';

/** Files up to this size are read whole; larger ones are streamed in chunks. */
export const WHOLE_FILE_LIMIT = 32 * 1024 * 1024;
export const CHUNK_SIZE = 8 * 1024 * 1024;

export type FileOutcome =
  | { kind: 'scanned'; findings: Located[]; bytes: number }
  | { kind: 'skipped'; reason: string; bytes: number };

export interface ReadOptions {
  /** Skip files larger than this (0: no limit). */
  maxFileSize: number;
  /** Streamed reads use chunks of this size (tests make it small). */
  chunkSize?: number;
  wholeFileLimit?: number;
}

/** Scans one regular file. A file that cannot be read is an outcome, not an exception: a folder scan goes on. */
export async function scanFile(path: string, rules: readonly CompiledRule[], options: ReadOptions): Promise<FileOutcome> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    return { kind: 'skipped', reason: describe(error), bytes: 0 };
  }
  try {
    const size = fstatSync(fd).size;
    if (options.maxFileSize > 0 && size > options.maxFileSize) {
      return { kind: 'skipped', reason: `larger than --max-file-size (${size} bytes)`, bytes: 0 };
    }
    if (size <= (options.wholeFileLimit ?? WHOLE_FILE_LIMIT)) {
      const bytes = readWhole(fd, size);
      return { kind: 'scanned', findings: scanBuffer(bytes, rules), bytes: bytes.length };
    }
    const { findings, bytes } = await scanStream(chunksOf(fd, options.chunkSize ?? CHUNK_SIZE), rules);
    return { kind: 'scanned', findings, bytes };
  } catch (error) {
    return { kind: 'skipped', reason: describe(error), bytes: 0 };
  } finally {
    closeSync(fd);
  }
}

/** Reads to the end even if the file grew or shrank since fstat. */
function readWhole(fd: number, size: number): Buffer {
  let buffer = Buffer.allocUnsafe(Math.max(size, 1));
  let length = 0;
  for (;;) {
    if (length === buffer.length) buffer = Buffer.concat([buffer, Buffer.allocUnsafe(buffer.length)]);
    const read = readSync(fd, buffer, length, buffer.length - length, null);
    if (read === 0) return buffer.subarray(0, length);
    length += read;
  }
}

async function* chunksOf(fd: number, chunkSize: number): AsyncGenerator<Buffer> {
  for (;;) {
    const chunk = Buffer.allocUnsafe(chunkSize);
    const read = readSync(fd, chunk, 0, chunkSize, null);
    if (read === 0) return;
    yield read === chunkSize ? chunk : chunk.subarray(0, read);
  }
}

function describe(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (e.code === 'EACCES' || e.code === 'EPERM') return 'permission denied';
  if (e.code === 'ENOENT') return 'no longer exists';
  if (e.code === 'EISDIR') return 'is a directory';
  return e.code ?? e.message;
}
