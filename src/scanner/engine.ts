import { isTokenEnd, isTokenStart } from '../key-format/boundary.js';
import type { CompiledRule } from '../rules/types.js';
import { forEachOccurrence, prepareNeedle, type Needle } from './prefilter.js';

/** A secret a rule matched: `bytes[start, end)` of the scanned buffer. */
export interface Match {
  rule: CompiledRule;
  start: number;
  end: number;
}

interface Hit {
  start: number;
  end: number;
}

const needleCache = new WeakMap<CompiledRule, Needle[]>();

function needlesOf(rule: CompiledRule): Needle[] {
  let needles = needleCache.get(rule);
  if (!needles) {
    needles = rule.keywords.map(prepareNeedle);
    needleCache.set(rule, needles);
  }
  return needles;
}

/**
 * Finds every secret in `bytes` whose first byte lies in [acceptFrom, acceptTo).
 * Pure: no I/O. Bytes outside the accepted range are context only (for
 * boundaries and for matches that begin before a keyword), which is what lets
 * a stream be scanned in overlapping chunks with each secret reported once.
 */
export function findMatches(bytes: Buffer, rules: readonly CompiledRule[], acceptFrom = 0, acceptTo = bytes.length): Match[] {
  const matches: Match[] = [];
  for (const rule of rules) {
    const hits = keywordHits(bytes, rule);
    if (hits === undefined) {
      matchRegion(bytes, rule, 0, bytes.length, undefined, acceptFrom, acceptTo, matches);
      continue;
    }
    // Run the regex once per run of nearby keyword hits, over the hits plus the rule's window on each side.
    let i = 0;
    while (i < hits.length) {
      const regionStart = Math.max(0, hits[i]!.start - rule.window);
      let regionEnd = Math.min(bytes.length, hits[i]!.end + rule.window);
      let j = i + 1;
      while (j < hits.length && hits[j]!.start - rule.window <= regionEnd) {
        regionEnd = Math.min(bytes.length, Math.max(regionEnd, hits[j]!.end + rule.window));
        j++;
      }
      matchRegion(bytes, rule, regionStart, regionEnd, hits.slice(i, j), acceptFrom, acceptTo, matches);
      i = j;
    }
  }
  if (rules.length > 1) matches.sort((a, b) => a.start - b.start || a.end - b.end);
  return matches;
}

/** Keyword occurrences sorted by position; undefined for a rule without keywords (the regex then reads everything). */
function keywordHits(bytes: Buffer, rule: CompiledRule): Hit[] | undefined {
  const needles = needlesOf(rule);
  if (needles.length === 0) return undefined;
  const hits: Hit[] = [];
  for (const needle of needles) {
    const length = needle.keyword.length;
    forEachOccurrence(bytes, needle, 0, bytes.length, (start) => hits.push({ start, end: start + length }));
  }
  if (needles.length > 1) hits.sort((a, b) => a.start - b.start);
  return hits;
}

function matchRegion(
  bytes: Buffer,
  rule: CompiledRule,
  regionStart: number,
  regionEnd: number,
  hits: Hit[] | undefined,
  acceptFrom: number,
  acceptTo: number,
  out: Match[],
): void {
  const region = bytes.subarray(regionStart, regionEnd);
  const regex = rule.regex;
  regex.lastIndex = 0;
  for (;;) {
    const found = regex.exec(region) as (ReturnType<typeof regex.exec> & { indices?: Array<[number, number] | undefined> }) | null;
    if (found === null) return;
    const whole = found.indices![0]!;
    if (whole[1] === whole[0]) regex.lastIndex = whole[1] + 1; // an empty match must not stall the loop
    const secret = found.indices![rule.secretGroup];
    if (secret === undefined) continue;
    const start = regionStart + secret[0];
    const end = regionStart + secret[1];
    if (start < acceptFrom || start >= acceptTo || end === start) continue;
    // A match must hold one of the keywords that led here: the regex read a window, not the whole text.
    if (hits && !holdsHit(hits, regionStart + whole[0], regionStart + whole[1])) continue;
    if (rule.boundary === 'token' && !(isTokenStart(bytes, start) && isTokenEnd(bytes, end))) continue;
    if (rule.validator && !rule.validator(bytes, start, end)) continue;
    out.push({ rule, start, end });
  }
}

/**
 * Whether a hit lies wholly in [from, to). Hits are sorted by start, so the
 * first candidate is found by bisection: a linear look from the region's
 * first hit made a rule whose keyword is everywhere (`a` in a megabyte of
 * `a`s) quadratic in the input.
 */
function holdsHit(hits: readonly Hit[], from: number, to: number): boolean {
  let lo = 0;
  let hi = hits.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (hits[mid]!.start < from) lo = mid + 1;
    else hi = mid;
  }
  // Hits of several keywords differ in length: a later, shorter one may fit where an earlier one overhangs.
  for (let i = lo; i < hits.length && hits[i]!.start < to; i++) if (hits[i]!.end <= to) return true;
  return false;
}
