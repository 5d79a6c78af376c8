/** GET /events: the public events feed tests fill, served as GitHub serves it (docs: rest/activity/events). */
import { createHash } from 'node:crypto';
import type { Ctx } from './context.js';
import { HttpError, isoSeconds, linkHeader, readPage, type Reply } from './http.js';

/** "The timeline will include up to 300 events." */
export const MAX_EVENTS = 300;

export interface GitHubEvent {
  id: string;
  type: string;
  actor: Record<string, unknown>;
  repo: { id: number; name: string; url: string };
  payload: Record<string, unknown>;
  public: boolean;
  created_at: string;
  [field: string]: unknown;
}

export type EventInput = Partial<GitHubEvent> & { type: string; repo: GitHubEvent['repo'] };

export class EventFeed {
  /** Newest first. */
  private readonly events: GitHubEvent[] = [];
  private nextId = 30_000_000_000;

  constructor(private readonly pollInterval: number) {}

  push(input: EventInput): GitHubEvent {
    const event: GitHubEvent = {
      id: String(this.nextId++),
      actor: { id: 1, login: 'octocat', display_login: 'octocat', url: 'https://api.github.com/users/octocat' },
      payload: {},
      public: true,
      created_at: isoSeconds(Date.now()),
      ...input,
    };
    this.events.unshift(event);
    this.events.length = Math.min(this.events.length, MAX_EVENTS);
    return event;
  }

  list(ctx: Ctx): Reply {
    const { page, perPage } = readPage(ctx.url.searchParams, 30, 100);
    const pollHeaders = { 'x-poll-interval': String(this.pollInterval) };
    if ((page - 1) * perPage >= MAX_EVENTS) {
      // GitHub's answer to paging past the 300 events it keeps.
      throw new HttpError(
        422,
        'In order to keep the API fast for everyone, pagination is limited for this resource. Check the rel=last link relation in the Link response header to see how far back you can traverse.',
      );
    }
    const body = this.events.slice((page - 1) * perPage, page * perPage);
    const etag = `W/"${createHash('md5').update(JSON.stringify(body)).digest('hex')}"`;
    const link = linkHeader(ctx.url, page, Math.ceil(this.events.length / perPage));
    const headers = { ...pollHeaders, etag, ...(link ? { link } : {}) };
    if (matches(ctx.headers['if-none-match'], etag)) return { status: 304, headers };
    return { status: 200, body, headers };
  }
}

/** If-None-Match holds one or more ETags, weak or strong; a weak comparison is what GitHub's caching needs. */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const bare = (tag: string) => tag.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || bare(tag) === bare(etag));
}
