/**
 * The keyword pre-filter: finds where any rule's keyword occurs, so the regex
 * runs only around those places. `Buffer.indexOf` scans with memchr on the
 * needle's first byte, so each keyword is searched from its rarest byte on
 * (for `neev_`, from `v_`) and the bytes before that are checked by hand.
 */

// Bytes from most to least common in source code and prose; bytes not listed count as rarest.
const COMMON_FIRST = ' etaoinsrlcdhupmf\n_g.ybw(),=;"\'\t/-:xvk{}[]>#<*jqzSECTIDARNOLPMFBUGHWVKYJXQZ0123456789';

function rarity(byte: number): number {
  const rank = COMMON_FIRST.indexOf(String.fromCharCode(byte));
  return rank === -1 ? COMMON_FIRST.length : rank;
}

/** A keyword prepared for searching: the needle starts at its rarest byte. */
export interface Needle {
  keyword: Buffer;
  /** Where in the keyword the searched part starts. */
  anchor: number;
  searched: Buffer;
}

export function prepareNeedle(keyword: Buffer): Needle {
  let anchor = 0;
  // Leave at least two bytes to search where the keyword allows: memchr hits on one byte are cheap to confirm, but fewer is better.
  const last = Math.max(0, keyword.length - 2);
  for (let i = 1; i <= last; i++) if (rarity(keyword[i]!) > rarity(keyword[anchor]!)) anchor = i;
  return { keyword, anchor, searched: keyword.subarray(anchor) };
}

/** Calls `onHit(position)` for every occurrence of the needle's keyword that starts in [from, to). */
export function forEachOccurrence(bytes: Buffer, needle: Needle, from: number, to: number, onHit: (position: number) => void): void {
  const { keyword, anchor, searched } = needle;
  let at = from + anchor;
  const limit = to + anchor;
  while (at < limit) {
    const found = bytes.indexOf(searched, at);
    if (found === -1 || found >= limit) return;
    const start = found - anchor;
    let matches = start >= 0;
    for (let i = 0; matches && i < anchor; i++) matches = bytes[start + i] === keyword[i];
    if (matches) onHit(start);
    at = found + 1;
  }
}
