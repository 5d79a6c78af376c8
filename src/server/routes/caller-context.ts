import { isIP } from 'node:net';
import type { CallerContext } from '../../stores/caller-evidence.js';

/**
 * The caller context a gateway may send with `POST /api/v1/authenticate` (docs/api.md, "Authenticate"). The
 * gateway passes on what its own client sent, so every part is hostile: the schema bounds the lengths, and here an
 * address must parse as one and text loses its control characters and is cut short. A part that fails is dropped;
 * the request is still authenticated (the answer never depends on it).
 */
export const CALLER_SCHEMA = {
  clientIp: { type: 'string', maxLength: 64 },
  userAgent: { type: 'string', maxLength: 1024 },
  endpoint: { type: 'string', maxLength: 256 },
} as const;

/** What is kept of a user agent and an endpoint: enough to tell callers apart, small in Redis. */
export const USER_AGENT_MAX = 200;
export const ENDPOINT_MAX = 100;

export function callerContext(body: { clientIp?: string; userAgent?: string; endpoint?: string }): CallerContext | undefined {
  const clientIp = body.clientIp !== undefined && isIP(body.clientIp) ? body.clientIp.toLowerCase() : undefined;
  const userAgent = cleanText(body.userAgent, USER_AGENT_MAX);
  const endpoint = cleanText(body.endpoint, ENDPOINT_MAX);
  if (!clientIp && !userAgent && !endpoint) return undefined;
  return { clientIp, userAgent, endpoint };
}

function cleanText(value: string | undefined, max: number): string | undefined {
  if (value === undefined) return undefined;
  let out = '';
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0)) continue;
    out += char;
    if (out.length >= max) break;
  }
  out = out.trim();
  return out === '' ? undefined : out;
}
