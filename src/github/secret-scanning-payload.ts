/**
 * The body of a GitHub Secret Scanning partner alert: a JSON array of
 * `{ token, type, url, source }`, one per match. It is signed by GitHub, but
 * `url` and `source` still describe third-party content, so they are checked
 * like any untrusted text before they reach an alert.
 */

/** The token type name NeevCloud registers with GitHub; echoed in the feedback when a match names none. */
export const PARTNER_TOKEN_TYPE = 'neevcloud_api_key';

/** Links longer than this are not kept (the alert keeps `url: null`); GitHub's blob links are far shorter. */
export const MAX_PARTNER_URL_LENGTH = 2048;

const MAX_TYPE_LENGTH = 100;
const MAX_SOURCE_LENGTH = 64;

export interface PartnerMatch {
  /** The matched string, as GitHub found it: held in memory only, never stored, logged or answered. */
  token: string;
  type: string;
  /** An http(s) link to where it was found, or null (GitHub may send an empty url). */
  url: string | null;
  /** GitHub's name for the kind of place, lower-cased (`content`, `pull_request_title`…), or null when absent or nothing of it is a name. */
  source: string | null;
}

/** The matches in a parsed body, or why the body is refused (400). */
export function parsePartnerMatches(payload: unknown): { matches: PartnerMatch[] } | { error: string } {
  if (!Array.isArray(payload)) return { error: 'the body is not a JSON array' };
  const matches: PartnerMatch[] = [];
  for (let i = 0; i < payload.length; i++) {
    const item = payload[i] as Record<string, unknown> | null;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return { error: `item ${i} is not an object` };
    if (typeof item.token !== 'string' || item.token.length === 0) return { error: `item ${i}: token must be a non-empty string` };
    matches.push({
      token: item.token,
      type: typeof item.type === 'string' && item.type.length > 0 && item.type.length <= MAX_TYPE_LENGTH ? item.type : PARTNER_TOKEN_TYPE,
      url: safeUrl(item.url),
      source: sourceName(item.source),
    });
  }
  return { matches };
}

/** Only an absolute http(s) link of sane length: the dashboard renders it as a link, so never `javascript:` or the like. */
function safeUrl(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_PARTNER_URL_LENGTH) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  return url.protocol === 'https:' || url.protocol === 'http:' ? value : null;
}

/**
 * GitHub's name for where it found a token, in one form. GitHub's partner
 * documentation lists them capitalised (`Content`, `Commit`,
 * `Pull_request_title`, `Gist_content`, `Npm`, `Unknown`…) while its example
 * sends `content`, and new ones appear: every name is kept, lower-cased, with
 * any run of characters outside `a-z 0-9 _ -` turned into one `_` (none leading) and cut at
 * MAX_SOURCE_LENGTH, since the dashboard and notices show it. Null when
 * absent or when nothing of it is left.
 */
export function sourceName(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  let out = '';
  let gap = false;
  // Only a bounded prefix is read: the name is shown, never searched, so a megabyte of it is read no further.
  for (const char of value.slice(0, 4 * MAX_SOURCE_LENGTH).toLowerCase()) {
    const c = char.charCodeAt(0);
    const alnum = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
    // `_` and `-` inside a name only: it starts with a letter or digit.
    const safe = char.length === 1 && (alnum || ((c === 0x5f || c === 0x2d) && out.length > 0));
    if (!safe) {
      gap = out.length > 0;
      continue;
    }
    if (gap) out += '_';
    gap = false;
    out += char;
  }
  return out.length === 0 ? null : out.slice(0, MAX_SOURCE_LENGTH);
}
