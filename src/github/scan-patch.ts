/** Scans only what a patch added, and numbers each finding as in the new file. */
import type { CompiledRule } from '../rules/types.js';
import type { Located } from '../scanner/finding.js';
import { scanBuffer } from '../scanner/scan-buffer.js';
import { addedLines } from './patch.js';

/** Findings on the patch's added lines, `line` mapped back to the new file; columns need no change. */
export function scanPatch(patch: string, rules: readonly CompiledRule[]): Located[] {
  const added = addedLines(patch);
  if (added.length === 0) return [];
  // One buffer of the added lines, one line each: scanBuffer's line N is added[N - 1].
  const joined = Buffer.from(added.map((a) => a.text).join('\n'), 'utf8');
  return scanBuffer(joined, rules).map((finding) => ({
    ...finding,
    line: added[finding.line - 1]!.line,
    endLine: added[Math.min(finding.endLine, added.length) - 1]!.line,
  }));
}
