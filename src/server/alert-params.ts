import RE2 from 're2';
import type { Source } from '../core/exposure.js';
import type { AlertFilter } from '../stores/alert-query.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, RESOLUTIONS } from '../stores/alert-store.js';
import { ApiError } from './errors.js';
import { ANY_ID_PATTERN, idPattern } from '../stores/ids.js';

/** Every source, checked complete by the compiler (a Record must name each). */
const SOURCE_SET: Record<Source, true> = {
  push: true,
  partner: true,
  'public-events': true,
  issue: true,
  pull_request: true,
  comment: true,
  discussion: true,
  wiki: true,
  'install-scan': true,
  commit: true,
  release: true,
  report: true,
  pull_request_review: true,
  'canary-use': true,
  'ci-log': true,
};
export const SOURCES = Object.keys(SOURCE_SET) as Source[];

export const COMMENT_MAX = 1000;
export const ASSIGNEE_MAX = 200;
/** No control characters but tab and line breaks (comments keep their lines). */
const TEXT = '^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$';
/** One line: no control characters at all, and something other than spaces. */
const LINE = '^[^\\u0000-\\u001f\\u007f]*\\S[^\\u0000-\\u001f\\u007f]*$';
// RE2: these run over what anyone with a token (or a form) sends.
const NO_CONTROLS = new RE2(TEXT);
const ONE_LINE = new RE2(LINE);
// An owner id of the key store the pipeline uses (this one's `own_…`, or an external store's of the same shape).
const IS_ID = new RE2(ANY_ID_PATTERN);

/** An alert id (`alt_…`). */
export const ID = { type: 'string', pattern: idPattern('alt') } as const;
export const COMMENT = { type: 'string', maxLength: COMMENT_MAX, pattern: TEXT } as const;
export const ASSIGNEE = { type: 'string', minLength: 1, maxLength: ASSIGNEE_MAX, pattern: LINE } as const;
export const RESOLUTION = { type: 'string', enum: [...RESOLUTIONS] } as const;
const REPO = '^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$';
const IS_REPO = new RE2(REPO);
const IS_TIME = new RE2('^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,3})?)?(Z|[+-]\\d{2}:\\d{2}))?$');

/** The list filters as query parameters (all optional; every one given must hold). Strings only: the API does not coerce types. */
export const FILTER_PROPERTIES = {
  state: { type: 'string', enum: ['open', 'resolved'] },
  ownerId: { type: 'string', pattern: ANY_ID_PATTERN, description: "the key owner's id" },
  repo: { type: 'string', pattern: REPO, description: '`owner/name`, any case' },
  source: { type: 'string', enum: SOURCES },
  assignee: { ...ASSIGNEE, description: 'any case' },
  since: { type: 'string', maxLength: 40, description: 'firstSeenAt at or after: an ISO 8601 time or date' },
  until: { type: 'string', maxLength: 40, description: 'firstSeenAt before: an ISO 8601 time or date' },
} as const;

export const LIST_PROPERTIES = {
  ...FILTER_PROPERTIES,
  cursor: { type: 'string', maxLength: 64, description: 'nextCursor of the previous page, with the same filters' },
  limit: { type: 'string', pattern: '^[0-9]{1,3}$', description: `alerts per page, 1–${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE})` },
} as const;

export type AlertQuery = Partial<Record<keyof typeof LIST_PROPERTIES, string>>;

/**
 * Query parameters (already shape-checked by the route schema, or raw from a
 * dashboard form) as a store filter. Empty values mean "not given", so an
 * empty form field filters nothing. 400 for what is still wrong.
 */
export function parseAlertQuery(query: AlertQuery): AlertFilter & { cursor?: string; limit?: number } {
  const given = (value: string | undefined) => (value === undefined || value.trim() === '' ? undefined : value.trim());
  const bad = (message: string) => new ApiError(400, 'bad_request', message);
  const filter: AlertFilter & { cursor?: string; limit?: number } = {};
  const state = given(query.state);
  if (state) {
    if (state !== 'open' && state !== 'resolved') throw bad('state must be open or resolved');
    filter.state = state;
  }
  const ownerId = given(query.ownerId);
  if (ownerId) {
    if (!IS_ID.test(ownerId)) throw bad('ownerId is not an owner id (own_…)');
    filter.ownerId = ownerId;
  }
  const repo = given(query.repo);
  if (repo) {
    if (!IS_REPO.test(repo)) throw bad('repo must be owner/name');
    filter.repo = repo;
  }
  const source = given(query.source);
  if (source) {
    if (!SOURCES.includes(source as Source)) throw bad(`source must be one of ${SOURCES.join(', ')}`);
    filter.source = source as Source;
  }
  const assignee = given(query.assignee);
  if (assignee) filter.assignee = checkAssignee(assignee);
  const since = given(query.since);
  if (since) filter.since = time(since, 'since');
  const until = given(query.until);
  if (until) filter.until = time(until, 'until');
  if (filter.since && filter.until && filter.since >= filter.until) throw bad('since must be before until');
  const cursor = given(query.cursor);
  if (cursor) filter.cursor = cursor;
  const limit = given(query.limit);
  if (limit) {
    const n = Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) throw bad(`limit must be 1–${MAX_PAGE_SIZE}`);
    filter.limit = n;
  }
  return filter;
}

/** A comment from a form: at most COMMENT_MAX characters, no control characters but line breaks. */
export function checkComment(value: string | undefined): string | null {
  const comment = value?.replaceAll('\r\n', '\n').trim() ?? '';
  if (comment === '') return null;
  if (comment.length > COMMENT_MAX) throw new ApiError(400, 'bad_request', `a comment holds at most ${COMMENT_MAX} characters`);
  if (!NO_CONTROLS.test(comment)) throw new ApiError(400, 'bad_request', 'a comment holds no control characters');
  return comment;
}

export function checkAssignee(value: string): string {
  const assignee = value.trim();
  if (assignee.length > ASSIGNEE_MAX || !ONE_LINE.test(assignee))
    throw new ApiError(400, 'bad_request', `an assignee is one line of at most ${ASSIGNEE_MAX} characters`);
  return assignee;
}

/** An ISO 8601 time, or a date (its midnight UTC). */
function time(value: string, name: string): Date {
  const ok = IS_TIME.test(value);
  const at = new Date(value);
  if (!ok || Number.isNaN(at.getTime()))
    throw new ApiError(400, 'bad_request', `${name} must be an ISO 8601 time (2026-11-26T13:00:00Z) or date (2026-11-26)`);
  return at;
}
