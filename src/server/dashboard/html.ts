/**
 * The dashboard's HTML pieces. Every string that came from outside (repository
 * names, paths, key and owner names, comments, assignees, token names) goes
 * through esc() or a helper built on it (src/util/text.ts: escaped, control
 * and bidi-override characters neutralised, only http(s) URLs become links).
 * No inline script or style anywhere: the CSP allows only /assets files.
 */
import { formatDuration, formatTime, html, htmlLink } from '../../util/text.js';
import type { Session } from './sessions.js';

export { formatCount, formatDuration, htmlLink } from '../../util/text.js';

/** Escaped text for element content or a quoted attribute; empty for null. */
export function esc(value: string | number | null | undefined, max = 500): string {
  return value === null || value === undefined ? '' : html(String(value), max);
}

/** A multi-line text (a comment): each line escaped, line breaks kept. */
export function escLines(value: string, max = 2000): string {
  return value
    .slice(0, max)
    .split('\n')
    .map((line) => esc(line, max))
    .join('<br>');
}

export function time(iso: string | null | undefined): string {
  if (!iso) return '<span class="muted">—</span>';
  return `<time datetime="${esc(iso)}">${esc(formatTime(iso))}</time>`;
}

/** 840 ms, 12.3 s, 4 min, 2 h 5 min; past two days, 3 d 4 h (a key exposed for weeks reads as weeks). */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '<span class="muted">—</span>';
  const hours = Math.floor(ms / 3_600_000);
  return esc(hours >= 48 ? `${Math.floor(hours / 24)} d ${hours % 24} h` : formatDuration(ms));
}

export function link(url: string | null | undefined, label: string): string {
  return htmlLink(url ?? null, label);
}

/** A query string of the non-empty values, `?` included (or '' for none). */
export function query(params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params))
    if (value !== null && value !== undefined && value !== '') search.set(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

export function csrfField(session: Session): string {
  return `<input type="hidden" name="_csrf" value="${esc(session.csrf)}">`;
}

export function badge(kind: string, label: string): string {
  return `<span class="badge badge-${esc(kind)}">${esc(label)}</span>`;
}

/** The page around the content: skip link, header with navigation and sign-out, one `main`. */
export function page(options: { title: string; session: Session | null; body: string; current?: 'open' | 'resolved' | 'all' }): string {
  const { title, session, body, current } = options;
  const nav = (state: 'open' | 'resolved' | 'all', label: string) =>
    `<a href="/${state === 'all' ? '?state=' : `?state=${state}`}"${current === state ? ' aria-current="page"' : ''}>${label}</a>`;
  const header = session
    ? `<nav aria-label="Alerts">${nav('open', 'Open alerts')}${nav('resolved', 'Resolved')}${nav('all', 'All')}</nav>
  <form method="post" action="/logout" class="signout">${csrfField(session)}<span>Signed in as <strong>${esc(session.name)}</strong> (${esc(session.scope)})</span> <button type="submit">Sign out</button></form>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${esc(title)} · neevscan</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/dashboard.css">
<script src="/assets/dashboard.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="/">neevscan <span>alert review</span></a>
  ${header}
</header>
<main id="main" tabindex="-1">
${body}
</main>
</body>
</html>
`;
}

export function errorPage(status: number, message: string, session: Session | null): string {
  return page({
    title: `Error ${status}`,
    session,
    body: `<h1>${status === 404 ? 'Not found' : status === 403 ? 'Refused' : status === 503 ? 'Unavailable' : 'Something went wrong'}</h1>
<p role="alert" class="error">${esc(message)}</p>
<p><a href="/">Back to the alerts</a></p>`,
  });
}
