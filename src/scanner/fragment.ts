/**
 * The one unit of work every place to scan comes down to: some bytes, and how their lines map to the
 * lines of the file they came from. A source (a push's patches, a tree's blobs, a wiki edit's pages)
 * yields fragments; scanFragment turns each into findings. Where the bytes came from (repository,
 * commit, path) stays with the source, which may report one fragment at many places (a blob shared
 * by several paths is scanned once).
 */
import type { CompiledRule } from '../rules/types.js';
import type { Located } from './finding.js';
import { scanBuffer } from './scan-buffer.js';

export interface Fragment {
  bytes: Buffer;
  /**
   * Line N of `bytes` is line `lines[N - 1]` of the file (a patch's added lines, joined one a line);
   * absent: the bytes are the file, numbered as they are.
   */
  lines?: readonly number[];
  /** Only findings starting on these line ranges `[first, last]` of the file are kept (the lines an edit added); absent: all. */
  keep?: ReadonlyArray<readonly [number, number]>;
}

/** The findings of one fragment, numbered as in its file. */
export function scanFragment(fragment: Fragment, rules: readonly CompiledRule[]): Located[] {
  const { lines, keep } = fragment;
  if (lines !== undefined && lines.length === 0) return [];
  let found = scanBuffer(fragment.bytes, rules);
  if (lines !== undefined) {
    // Columns need no change: each scanned line is the file's line as it is.
    found = found.map((f) => ({ ...f, line: lines[f.line - 1]!, endLine: lines[Math.min(f.endLine, lines.length) - 1]! }));
  }
  if (keep !== undefined) found = found.filter((f) => keep.some(([from, to]) => f.line >= from && f.line <= to));
  return found;
}
