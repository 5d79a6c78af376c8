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

/** The index sets an alert must be in to pass the filter; `all` when nothing narrows it. */
export function filterSets(names: AlertStoreNames, filter: AlertFilter, options: { state: boolean } = { state: true }): string[] {
  const sets: string[] = [];
  if (options.state && filter.state) sets.push(names.state(filter.state));
  if (filter.ownerId) sets.push(names.owner(filter.ownerId));
  if (filter.repo) sets.push(names.repo(filter.repo));
  if (filter.source) sets.push(names.source(filter.source));
  if (filter.assignee) sets.push(names.assignee(filter.assignee));
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
