import type { Source } from '../core/exposure.js';
import type { AlertStoreNames } from './alert-store-names.js';

/** What an alert list can be narrowed to (every filter must hold). Times are on firstSeenAt: since ≤ t < until. */
export interface AlertFilter {
  state?: 'open' | 'resolved';
  /** The key's owner (`own_…`). */
  ownerId?: string;
  /** `owner/name`, any case. */
  repo?: string;
  source?: Source;
  /** Any case. */
  assignee?: string;
  since?: Date;
  until?: Date;
}

/** A position in a newest-first list: the last alert handed out and its score (firstSeenAt, ms). */
export interface AlertCursor {
  score: number;
  id: string;
}

/** A cursor this store did not hand out. `statusCode` lets the API answer 400 through its error handler. */
export class AlertCursorError extends Error {
  readonly statusCode = 400;
  readonly code = 'bad_cursor';
  constructor() {
    super('invalid alert cursor');
    this.name = 'AlertCursorError';
  }
}

export function formatCursor(cursor: AlertCursor): string {
  return `${cursor.score}.${cursor.id}`;
}

export function parseCursor(cursor: string): AlertCursor {
  const match = /^(\d{1,15})\.([a-z]{3}_[0-9A-Za-z]{16})$/.exec(cursor);
  if (!match) throw new AlertCursorError();
  return { score: Number(match[1]), id: match[2]! };
}

/** The index sets of one shard an alert must be in to pass the filter; none when nothing narrows it (then `all`). */
export function filterSets(
  names: AlertStoreNames,
  shard: number,
  filter: AlertFilter,
  options: { state: boolean } = { state: true },
): string[] {
  const sets: string[] = [];
  if (options.state && filter.state) sets.push(names.state(shard, filter.state));
  if (filter.ownerId) sets.push(names.owner(shard, filter.ownerId));
  if (filter.repo) sets.push(names.repo(shard, filter.repo));
  if (filter.source) sets.push(names.source(shard, filter.source));
  if (filter.assignee) sets.push(names.assignee(shard, filter.assignee));
  return sets;
}

/**
 * The score range of a page, as ZRANGEBYSCORE arguments. After a cursor the
 * page starts at the cursor's score, inclusive, and `tie` asks the script to
 * skip the entries at that score that were already handed out.
 */
export function scoreRange(filter: AlertFilter, after: AlertCursor | null): { max: string; min: string; tie: string; tieId: string } {
  const min = filter.since ? String(filter.since.getTime()) : '-inf';
  const until = filter.until?.getTime();
  if (after && (until === undefined || after.score < until))
    return { max: String(after.score), min, tie: String(after.score), tieId: after.id };
  return { max: until === undefined ? '+inf' : `(${until}`, min, tie: '', tieId: '' };
}

/** One shard's answer to a page request (the list script): how it stopped, the last entry it examined, its matches in order. */
export interface ShardPage {
  status: 'done' | 'full' | 'cut';
  last: AlertCursor | null;
  entries: AlertCursor[];
  /** Index entries it examined (its share of the scan cap spent). */
  examined: number;
}

/**
 * Newest first, as every index lists its members (ZREVRANGE): by score, then by id, byte order reversed. Ids are
 * ASCII, so JavaScript's string order is the byte order; two shards never hold the same id, so the order is total
 * and a cursor (score, id) names one position in the merged list.
 */
export function newerFirst(a: AlertCursor, b: AlertCursor): number {
  if (a.score !== b.score) return b.score - a.score;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/**
 * Merges the shards' pages into one page of `limit`. A shard that stopped early (`full`: it found what was asked;
 * `cut`: it reached its share of the scan cap) knows nothing past where it stopped, so the merged page ends at the
 * newest of those stopping points: everything up to it is known from every shard. A page cut there is short and
 * its cursor is that point, so the next page goes on from it in every shard (each skips what is at or before it).
 */
export function mergeShardPages(pages: ShardPage[], limit: number): { page: AlertCursor[]; next: AlertCursor | null } {
  let bound: AlertCursor | null = null;
  for (const { status, last, entries } of pages) {
    const stop = status === 'full' ? entries[entries.length - 1]! : status === 'cut' ? last : null;
    if (stop && (!bound || newerFirst(stop, bound) < 0)) bound = stop;
  }
  const known = pages
    .flatMap((p) => p.entries)
    .filter((entry) => !bound || newerFirst(entry, bound) <= 0)
    .sort(newerFirst);
  if (known.length > limit) return { page: known.slice(0, limit), next: known[limit - 1]! };
  return { page: known, next: bound };
}
