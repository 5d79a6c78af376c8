/** The added lines of a GitHub `patch` (hunks only), with their line numbers in the new file: a push's fragments. */
import type { Fragment } from '../scanner/fragment.js';

export interface AddedLine {
  /** 1-based line number in the new version of the file. */
  line: number;
  /** The line's text without its leading `+`. */
  text: string;
}

const HUNK = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/;

/**
 * Reads hunks `@@ -a,b +c,d @@`: a `+` line is added at the running new-line number, a ` ` line
 * advances it, `-` and `\ No newline at end of file` do not. Lines are counted off by the header's
 * new-side count, so nothing outside a hunk is taken for content.
 */
export function addedLines(patch: string): AddedLine[] {
  const added: AddedLine[] = [];
  let next = 0;
  let newLeft = 0;
  let inHunk = false;
  for (const raw of patch.split('\n')) {
    const header = raw.startsWith('@@') ? HUNK.exec(raw) : null;
    if (header) {
      next = Number(header[1]);
      newLeft = header[2] === undefined ? 1 : Number(header[2]);
      inHunk = true;
      continue;
    }
    if (!inHunk) continue;
    const kind = raw.charAt(0);
    if (kind === '+' && newLeft > 0) {
      added.push({ line: next++, text: raw.slice(1) });
      newLeft--;
    } else if ((kind === ' ' || raw === '') && newLeft > 0) {
      // An empty context line can lose its leading space in transit; it still advances the count.
      next++;
      newLeft--;
    }
  }
  return added;
}

/** What a patch added, as one fragment: the added lines joined one a line, numbered as in the new file. */
export function patchFragment(patch: string): Fragment {
  const added = addedLines(patch);
  return { bytes: Buffer.from(added.map((a) => a.text).join('\n'), 'utf8'), lines: added.map((a) => a.line) };
}
