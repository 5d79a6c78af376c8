import { describePlace } from '../../notify/notice.js';
import type { Alert } from '../../core/alert.js';
import { SOURCES } from '../alert-params.js';
import { badge, duration, esc, formatCount, page, query, time } from './html.js';
import type { Session } from './sessions.js';

/** The list's query as the page's links and forms carry it (the dashboard's own parameter names). */
export interface ListParams {
  /** '' for every state; the dashboard opens on `open`. */
  state: string;
  repo?: string;
  ownerId?: string;
  source?: string;
  assignee?: string;
  /** Dates (YYYY-MM-DD), both days included. */
  since?: string;
  until?: string;
  cursor?: string;
}

export interface ListView {
  session: Session;
  params: ListParams;
  alerts: Alert[];
  nextCursor: string | null;
  counts: { open: number; resolved: number; complete: boolean } | null;
  ownerNames: Map<string, string>;
  /** How often the page's script asks for new alerts. */
  pollSeconds: number;
  /** A filter that could not be used, said above the list. */
  error?: string;
}

const RESOLUTION_LABELS: Record<string, string> = {
  revoked: 'revoked',
  false_positive: 'false positive',
  used_in_tests: 'used in tests',
  wont_fix: "won't fix",
};

export function resolutionLabel(resolution: string | null): string {
  return resolution ? (RESOLUTION_LABELS[resolution] ?? resolution) : '';
}

export function stateBadge(alert: Pick<Alert, 'state' | 'resolution'>): string {
  return alert.state === 'open' ? badge('open', 'open') : badge('resolved', `resolved: ${resolutionLabel(alert.resolution)}`);
}

export function keyStatusBadge(status: string): string {
  return badge(
    status === 'active' ? 'danger' : status === 'revoked' ? 'ok' : 'muted',
    status === 'active' ? 'active: still works' : status,
  );
}

/** A list URL: the state always explicit (no state means `open`, the dashboard's first page), then the filters. */
function listHref(path: string, state: string, kept: Omit<ListParams, 'cursor' | 'state'>, cursor?: string): string {
  const rest = query({ ...kept, cursor });
  return `${path}?state=${encodeURIComponent(state)}${rest ? `&${rest.slice(1)}` : ''}`;
}

/** The filters without the page position: what links to other states and the export keep. */
function filters(params: ListParams): Omit<ListParams, 'cursor' | 'state'> {
  const { cursor: _cursor, state: _state, ...rest } = params;
  return rest;
}

/** The table's rows: the list page renders them, and the live updates fetch them again (GET /ui/rows). An owner's name filters the list by that owner. */
export function alertRows(alerts: Alert[], ownerNames: Map<string, string>, state = 'open'): string {
  if (alerts.length === 0) return '<tr class="empty"><td colspan="8">No alerts match.</td></tr>';
  return alerts
    .map((alert) => {
      const first = alert.locations[0];
      const where = first ? esc(describePlace(first).title, 160) : '<span class="muted">—</span>';
      const more = alert.locationCount > 1 ? ` <span class="muted">+${esc(formatCount(alert.locationCount - 1))} more</span>` : '';
      const sources = [...new Set(alert.locations.map((l) => l.source))].join(', ');
      return `<tr data-id="${esc(alert.id)}">
<td><a href="/alerts/${esc(alert.id)}">${esc(alert.keyHint)}</a><div class="sub">${esc(alert.keyName ?? '')}</div></td>
<td><a href="${esc(listHref('/', state, { ownerId: alert.ownerId }))}" title="Only this owner's alerts">${esc(ownerNames.get(alert.ownerId) ?? alert.ownerId)}</a></td>
<td>${where}${more}<div class="sub">${esc(sources)}</div></td>
<td>${time(alert.firstSeenAt)}</td>
<td>${keyStatusBadge(alert.keyStatus)}</td>
<td>${duration(alert.revokeLatencyMs)}</td>
<td>${stateBadge(alert)}</td>
<td>${esc(alert.assignee ?? '')}</td>
</tr>`;
    })
    .join('\n');
}

function input(name: keyof ListParams, label: string, value: string | undefined, extra = ''): string {
  return `<label>${label} <input name="${name}" value="${esc(value ?? '')}" ${extra}></label>`;
}

export function listPage(view: ListView): string {
  const { params, counts } = view;
  const state = params.state;
  const current = state === 'open' ? 'open' : state === 'resolved' ? 'resolved' : 'all';
  const kept = filters(params);
  const tab = (s: string, label: string, count: string) =>
    `<a href="${esc(listHref('/', s, kept))}"${state === s ? ' aria-current="page"' : ''}>${label}${count}</a>`;
  const count = (which: 'open' | 'resolved') =>
    counts ? ` <span class="count" data-count="${which}">${esc(formatCount(counts[which]))}${counts.complete ? '' : '+'}</span>` : '';
  const sourceOptions = ['', ...SOURCES]
    .map((s) => `<option value="${esc(s)}"${params.source === s ? ' selected' : ''}>${s === '' ? 'any' : esc(s)}</option>`)
    .join('');
  const title = current === 'open' ? 'Open alerts' : current === 'resolved' ? 'Resolved alerts' : 'All alerts';
  const older = view.nextCursor ? `<a href="${esc(listHref('/', state, kept, view.nextCursor))}" rel="next">Older alerts →</a>` : '';
  const newest = params.cursor ? `<a href="${esc(listHref('/', state, kept))}">← Newest</a>` : '';
  const body = `<h1>${title}</h1>
<p id="live" class="live" role="status" aria-live="polite"></p>
${view.error ? `<p role="alert" class="error">${esc(view.error)}</p>` : ''}
<nav class="tabs" aria-label="Alert state">
  ${tab('open', 'Open', count('open'))}
  ${tab('resolved', 'Resolved', count('resolved'))}
  ${tab('', 'All', '')}
</nav>
<form method="get" action="/" class="filters" role="search" aria-label="Filter alerts">
  <input type="hidden" name="state" value="${esc(state)}">
  ${input('repo', 'Repository', params.repo, 'placeholder="owner/name" autocomplete="off" spellcheck="false"')}
  ${input('ownerId', 'Key owner id', params.ownerId, 'placeholder="own_…" autocomplete="off" spellcheck="false"')}
  <label>Source <select name="source">${sourceOptions}</select></label>
  ${input('assignee', 'Assignee', params.assignee, 'autocomplete="off"')}
  ${input('since', 'First seen from', params.since, 'type="date"')}
  ${input('until', 'to', params.until, 'type="date"')}
  <button type="submit">Filter</button>
  <a href="${esc(listHref('/', state, {}))}">Clear filters</a>
</form>
<p class="export">Export these alerts (every page): <a href="${esc(listHref('/export.csv', state, kept))}" download>CSV</a> · <a href="${esc(listHref('/export.json', state, kept))}" download>JSON</a></p>
<table class="alerts" data-poll="${esc(listHref('/ui/rows', state, kept))}" data-rows="${params.cursor ? '0' : '1'}" data-interval="${esc(view.pollSeconds)}">
<caption class="visually-hidden">${title}, newest first</caption>
<thead><tr><th scope="col">Key</th><th scope="col">Owner</th><th scope="col">Where</th><th scope="col">First seen</th><th scope="col">Key status</th><th scope="col">Revoked in</th><th scope="col">State</th><th scope="col">Assignee</th></tr></thead>
<tbody>
${alertRows(view.alerts, view.ownerNames, state)}
</tbody>
</table>
<nav class="pages" aria-label="Pages">${newest} ${older}</nav>`;
  return page({ title, session: view.session, body, current });
}
