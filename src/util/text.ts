/**
 * Shared by the notifications (notify/) and the dashboard (server/dashboard/).
 * Making user-supplied strings (key names, repository names, paths, URLs)
 * safe to show: in plain text, control and bidirectional-override characters
 * become spaces (a file name cannot forge a line of the mail or reverse how
 * it reads); in HTML, everything is escaped; only http(s) URLs become links.
 * Character loops, not regular expressions, so no pattern runs over user text.
 */

/** Bidi embeddings/overrides/isolates and the line/paragraph separators. */
function isUnsafe(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code < 0xa0) ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x200e ||
    code === 0x200f
  );
}

/** One line of plain text, at most `max` characters. */
export function plain(value: string, max = 500): string {
  let out = '';
  for (const char of value) {
    out += isUnsafe(char.codePointAt(0)!) ? ' ' : char;
    if (out.length >= max) return `${out.slice(0, max - 1)}…`;
  }
  return out;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML (element content or a quoted attribute), after plain(). */
export function html(value: string, max = 500): string {
  let out = '';
  for (const char of plain(value, max)) out += HTML_ESCAPES[char] ?? char;
  return out;
}

/** A link when the URL is http(s), else the text alone: a `javascript:` URL never becomes clickable. */
export function htmlLink(url: string | null, label: string): string {
  if (!url || !isHttpUrl(url)) return html(label);
  return `<a href="${html(url, 2000)}">${html(label)}</a>`;
}

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/** `2026-11-26 13:00:01 UTC`: one unambiguous form for every reader. */
export function formatTime(iso: string | null): string {
  if (!iso) return 'unknown';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return 'unknown';
  return `${new Date(t).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** 840 ms, 12.3 s, 4 min, 2 h 5 min. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}
