/**
 * Reads GitHub's public events feed (`GET /events`) the way GitHub asks: the
 * first page conditionally (`If-None-Match` with the last `ETag`: a 304 costs
 * no rate limit), then deeper pages only while every event on a page is newer
 * than what was read before. Plain fetch rather than Octokit: Octokit throws
 * on 304, and the poller wants the raw headers (ETag, X-Poll-Interval, budget).
 */
import RE2 from 're2';
import { rateLimitedUntil, type TokenPool } from '../github/token-pool.js';

/** An event as the feed serves it; everything is checked before use (it is anyone's input). */
export interface FeedEvent {
  id: string;
  type: string;
  repo: { name: string };
  payload: Record<string, unknown>;
  created_at: string;
}

export interface FeedReadOptions {
  apiUrl: string;
  pool: TokenPool;
  /** The ETag of the last complete read's first page. */
  etag: string | null;
  /** Paging stops at the first page holding an id at or below this (the newest id of the last complete read). */
  cursor: bigint | null;
  /** @defaultValue 100 (GitHub's maximum) */
  perPage?: number;
  /** @defaultValue 3: GitHub keeps 300 events, 100 a page */
  maxPages?: number;
  /** @defaultValue 30 s */
  timeoutMs?: number;
}

export type FeedRead =
  | { status: 'not-modified'; pollInterval: number | null }
  | {
      status: 'events';
      /** Newest first, each id once (pages read a moment apart overlap when new events arrive in between). */
      events: FeedEvent[];
      etag: string | null;
      pollInterval: number | null;
      pages: number;
      /** The read met an id at or below the cursor: nothing between the cursor and these events went unread. */
      reachedCursor: boolean;
      /** The read stopped at the feed's depth limit (page cap, or GitHub's 422) with every page full: older events exist that cannot be read. */
      windowEnd: boolean;
      /** A deeper page failed: what was read is kept, but the read is not complete (the cursor must not move past it). */
      partial: boolean;
    }
  | { status: 'rate-limited'; resetAt: number | null }
  | { status: 'error'; message: string };

// RE2: the feed is anyone's input.
const ID = new RE2('^[0-9]{1,19}$');
/** GitHub's owner and repository name characters. */
const REPO_NAME = new RE2('^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$');

/** Keeps the well-formed events of a page: a numeric id, a type, `owner/name`. */
function wellFormed(body: unknown): FeedEvent[] {
  if (!Array.isArray(body)) return [];
  return body.filter((e): e is FeedEvent => {
    if (!e || typeof e !== 'object') return false;
    const event = e as Partial<FeedEvent>;
    return (
      typeof event.id === 'string' &&
      ID.test(event.id) &&
      typeof event.type === 'string' &&
      typeof event.repo?.name === 'string' &&
      REPO_NAME.test(event.repo.name) &&
      typeof event.created_at === 'string' &&
      typeof event.payload === 'object' &&
      event.payload !== null
    );
  });
}

type PageAnswer =
  | { kind: 'ok'; status: number; events: FeedEvent[]; headers: Headers }
  | { kind: 'not-modified'; headers: Headers }
  | { kind: 'past-window' }
  | { kind: 'rate-limited'; resetAt: number | null }
  | { kind: 'error'; message: string };

async function fetchPage(options: FeedReadOptions, page: number, etag: string | null): Promise<PageAnswer> {
  const url = `${options.apiUrl}/events?per_page=${options.perPage ?? 100}&page=${page}`;
  // Another token when one is spent or refused: as many tries as tokens.
  for (let attempt = 0; attempt < Math.max(1, options.pool.size); attempt++) {
    const picked = options.pool.pick();
    if (!picked) return { kind: 'rate-limited', resetAt: options.pool.nextReset() };
    let response: Response;
    try {
      response = await fetch(url, {
        headers: {
          accept: 'application/vnd.github+json',
          authorization: `Bearer ${picked.token}`,
          'user-agent': 'neevscan',
          'x-github-api-version': '2022-11-28',
          ...(etag ? { 'if-none-match': etag } : {}),
        },
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      });
    } catch (error) {
      return { kind: 'error', message: `GET /events page ${page}: ${(error as Error).message}` };
    }
    options.pool.observe(picked.index, response.headers);
    if (response.status === 304) return { kind: 'not-modified', headers: response.headers };
    if (response.ok) {
      let body: unknown;
      try {
        body = await response.json();
      } catch {
        return { kind: 'error', message: `GET /events page ${page}: ${response.status} with a body that is not JSON` };
      }
      return { kind: 'ok', status: response.status, events: wellFormed(body), headers: response.headers };
    }
    await response.arrayBuffer().catch(() => undefined);
    // "pagination is limited for this resource": the page is past the events GitHub keeps.
    if (response.status === 422) return { kind: 'past-window' };
    const until = rateLimitedUntil(response.status, response.headers);
    if (until !== null) {
      options.pool.pause(picked.index, until);
      continue;
    }
    if (response.status === 401) {
      options.pool.refuse(picked.index);
      continue;
    }
    return { kind: 'error', message: `GET /events page ${page}: HTTP ${response.status}` };
  }
  // Each try paused or refused one token: none is left.
  const resetAt = options.pool.nextReset();
  return resetAt === null
    ? { kind: 'error', message: 'GET /events: every token was refused (401 Bad credentials)' }
    : { kind: 'rate-limited', resetAt };
}

function pollInterval(headers: Headers): number | null {
  const value = Number(headers.get('x-poll-interval'));
  return Number.isFinite(value) && value > 0 ? value : null;
}

/** One read of the feed: page 1 (conditional), then pages 2…maxPages until a page reaches the cursor. */
export async function readFeed(options: FeedReadOptions): Promise<FeedRead> {
  const perPage = options.perPage ?? 100;
  const maxPages = options.maxPages ?? 3;
  const first = await fetchPage(options, 1, options.etag);
  if (first.kind === 'not-modified') return { status: 'not-modified', pollInterval: pollInterval(first.headers) };
  if (first.kind === 'rate-limited') return { status: 'rate-limited', resetAt: first.resetAt };
  if (first.kind === 'error') return { status: 'error', message: first.message };
  if (first.kind === 'past-window') return { status: 'error', message: 'GET /events page 1: 422' };

  const byId = new Map<string, FeedEvent>();
  const reaches = (events: FeedEvent[]) => options.cursor !== null && events.some((e) => BigInt(e.id) <= options.cursor!);
  let page = 1;
  let last = first;
  let reachedCursor = reaches(first.events);
  let windowEnd = false;
  let partial = false;
  for (const e of first.events) byId.set(e.id, e);
  // A short page is the end of the feed; a page holding a known id is where the last read began.
  while (!reachedCursor && last.events.length >= perPage) {
    if (page >= maxPages) {
      windowEnd = true;
      break;
    }
    page++;
    const next = await fetchPage(options, page, null);
    if (next.kind === 'past-window') {
      page--;
      windowEnd = true;
      break;
    }
    if (next.kind !== 'ok') {
      // `pages` counts the pages read.
      page--;
      partial = true;
      break;
    }
    for (const e of next.events) if (!byId.has(e.id)) byId.set(e.id, e);
    reachedCursor = reaches(next.events);
    last = next;
  }
  const events = [...byId.values()].sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : BigInt(b.id) < BigInt(a.id) ? -1 : 0));
  return {
    status: 'events',
    events,
    etag: first.headers.get('etag'),
    pollInterval: pollInterval(first.headers),
    pages: page,
    reachedCursor,
    windowEnd,
    partial,
  };
}
