import type { FastifyReply, FastifyRequest } from 'fastify';
import RE2 from 're2';
import type { AlertQuery } from '../alert-params.js';
import { ApiError } from '../errors.js';
import type { ListParams } from './list-page.js';

/** Alerts per page of the list (and per poll of the live list). */
export const PAGE_SIZE = 50;
// RE2: paths and form fields are anyone's input.
const ALERT_ID = new RE2('^alt_[0-9A-Za-z]{16}$');
const DATE = new RE2('^\\d{4}-\\d{2}-\\d{2}$');

export function html(reply: FastifyReply, body: string): FastifyReply {
  return reply.type('text/html; charset=utf-8').send(body);
}

/** The parsed form, or nothing for a request that sent none. */
export function form(request: FastifyRequest): Record<string, string> {
  const body = request.body;
  return body && typeof body === 'object' && !Array.isArray(body) && !Buffer.isBuffer(body) ? (body as Record<string, string>) : {};
}

const LOCAL = 'http://neevscan.invalid';
// Control characters anywhere (browsers drop tab and newline from URLs, so `/\t/evil.example` is `//evil.example`;
// a newline in Location is also a header Node refuses) and backslashes (browsers read `\` as `/`).
const UNSAFE_NEXT = new RE2('[\\u0000-\\u001f\\u007f\\\\]');

/**
 * Where to go after sign-in: a path on this site only, so the form is no open
 * redirect. The path is resolved as a browser would and must stay on our
 * origin; what is answered is its serialized (percent-encoded) form, so the
 * Location header never holds a byte Node refuses. Anything else: `/`.
 */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.length > 2000 || UNSAFE_NEXT.test(next)) return '/';
  let url: URL;
  try {
    url = new URL(next, LOCAL);
  } catch {
    return '/';
  }
  const path = `${url.pathname}${url.search}${url.hash}`;
  if (url.origin !== LOCAL || path.startsWith('//')) return '/';
  return path;
}

export function alertId(id: string): string {
  if (!ALERT_ID.test(id)) throw new ApiError(404, 'not_found', `no alert ${id}`);
  return id;
}

/** The dashboard's query: an absent state means open (the working queue); `state=` means every state. */
export function listParams(raw: Record<string, string | undefined>): ListParams {
  const pick = (name: string) => (typeof raw[name] === 'string' && raw[name]!.trim() !== '' ? raw[name]!.trim().slice(0, 200) : undefined);
  return {
    state: raw.state === undefined ? 'open' : (pick('state') ?? ''),
    repo: pick('repo'),
    ownerId: pick('ownerId'),
    source: pick('source'),
    assignee: pick('assignee'),
    since: pick('since'),
    until: pick('until'),
    cursor: pick('cursor'),
  };
}

/** Form dates as the API's times: `until` is a day included, so the filter ends the next midnight. */
export function toQuery(params: ListParams): AlertQuery {
  let until = params.until;
  if (until && DATE.test(until)) {
    const next = new Date(`${until}T00:00:00Z`);
    if (!Number.isNaN(next.getTime())) until = new Date(next.getTime() + 86_400_000).toISOString();
  }
  return { ...params, until, limit: undefined };
}
