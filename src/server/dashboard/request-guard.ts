import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/**
 * Why a state-changing request is refused as cross-site, or null when it is
 * not. Browsers say where a request comes from: `Sec-Fetch-Site` must be
 * `same-origin` when sent, and `Origin` must be the dashboard's own (the
 * configured public origin, else the Host the request was sent to). A client
 * that sends neither (curl, an old browser) still needs the session's CSRF token.
 */
export function crossSiteReason(request: FastifyRequest, publicOrigin: string | null): string | null {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return `a ${String(site)} request`;
  const origin = request.headers.origin;
  if (origin === undefined) return null;
  if (publicOrigin) return origin === publicOrigin ? null : 'a request from another origin';
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return 'a request with an opaque origin';
  }
  return host !== '' && host === request.headers.host ? null : 'a request from another origin';
}

/** The form's CSRF token against the session's, in constant time. */
export function csrfMatches(sent: unknown, expected: string): boolean {
  if (typeof sent !== 'string') return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
