import { describePlace } from '../../notify/notice.js';
import { inFileName, partnerSourceOf, scanWasIncomplete } from '../../core/exposure.js';
import { RESOLUTIONS, type AuditEntry } from '../../core/alert.js';
import { ASSIGNEE_MAX, COMMENT_MAX } from '../alert-params.js';
import type { AlertDetail } from '../alert-review.js';
import { isHttpUrl } from '../../util/text.js';
import { badge, csrfField, duration, esc, escLines, link, page, time } from './html.js';
import { keyStatusBadge, resolutionLabel, stateBadge } from './list-page.js';
import type { Session } from './sessions.js';
import { usageSection } from './usage-chart.js';
import { callersSection } from './callers-section.js';
import { revocationProofRow } from './revocation-proof.js';

/** What a finished action says at the top of the page (a fixed set: the query string can only choose among them). */
const DONE: Record<string, string> = {
  resolved: 'The alert is resolved.',
  reopened: 'The alert is open again.',
  assigned: 'The alert is assigned.',
  unassigned: 'The alert is unassigned.',
  commented: 'Your comment is in the audit trail.',
  key_revoked: 'The key is revoked: it stops working at once.',
};

const TIMELINE_LABELS: Record<string, string> = {
  committed: 'Committed (by the committer’s clock)',
  pushed: 'Pushed (or posted)',
  received: 'Received by neevscan',
  revoked: 'Key revoked',
  verified_revoked: 'Revocation verified (the API refuses the key)',
  notified: 'Owner notified',
  reopened: 'Reopened',
  resolved: 'Resolved',
};

export interface DetailView {
  session: Session;
  detail: AlertDetail;
  done?: string;
  /** A refused action (409, 400), said above the forms; the page is answered with its status. */
  error?: string;
  now: number;
}

function auditLine(entry: AuditEntry): string {
  let what: string;
  switch (entry.action) {
    case 'resolved':
      what = `resolved it as <strong>${esc(resolutionLabel(entry.resolution ?? null))}</strong>`;
      break;
    case 'reopened':
      what =
        entry.reason === 'new_location'
          ? `reopened it: the key, still active, turned up in a new place${entry.location ? ` (${esc(entry.location.source)}${entry.location.repo ? `, ${esc(entry.location.repo)}` : ''})` : ''}`
          : 'reopened it';
      break;
    case 'assigned':
      what = `assigned it to <strong>${esc(entry.assignee ?? '')}</strong>`;
      break;
    case 'unassigned':
      what = 'unassigned it';
      break;
    case 'key_revoked':
      what = 'revoked the key';
      break;
    default:
      what = 'commented';
  }
  const comment = entry.comment ? `<blockquote>${escLines(entry.comment)}</blockquote>` : '';
  return `<li>${time(entry.at)} — <strong>${esc(entry.actor.name)}</strong> <span class="muted">(${esc(entry.actor.id)})</span> ${what}${comment}</li>`;
}

/** "open", named for screen readers by the place it opens; only an http(s) URL becomes a link. */
function placeLink(url: string | null, title: string): string {
  if (!url || !isHttpUrl(url)) return '<span class="muted">no link</span>';
  return `<a href="${esc(url, 2000)}">open<span class="visually-hidden"> ${esc(title, 200)}</span></a>`;
}

function commentField(id: string, label: string): string {
  return `<label for="${id}">${label}</label><textarea id="${id}" name="comment" rows="2" maxlength="${COMMENT_MAX}"></textarea>`;
}

function actions(view: DetailView): string {
  const { detail: d, session } = view;
  const form = (action: string, inner: string, extra = '') =>
    `<form method="post" action="/alerts/${esc(d.id)}/${action}" ${extra}>${csrfField(session)}${inner}</form>`;
  const keyStatus = d.key?.status ?? d.keyStatus;
  const parts: string[] = [];
  if (keyStatus === 'active' && d.key) {
    parts.push(
      form(
        'revoke-key',
        `<fieldset><legend>The key still works</legend>${commentField('revoke-comment', 'Comment (optional)')}<button type="submit" class="danger">Revoke the key now</button></fieldset>`,
      ),
    );
  }
  if (d.state === 'open') {
    const options = RESOLUTIONS.map((r) => `<option value="${r}">${esc(resolutionLabel(r))}</option>`).join('');
    parts.push(
      form(
        'resolve',
        `<fieldset><legend>Resolve</legend><label for="resolution">Resolution</label><select id="resolution" name="resolution" required>${options}</select>${commentField('resolve-comment', 'Comment (optional)')}<button type="submit">Resolve</button></fieldset>`,
      ),
    );
  } else {
    parts.push(
      form(
        'reopen',
        `<fieldset><legend>Reopen</legend>${commentField('reopen-comment', 'Comment (optional)')}<button type="submit">Reopen</button></fieldset>`,
      ),
    );
  }
  parts.push(
    `<fieldset><legend>Assignee</legend>${form(
      'assign',
      `<label for="assignee">Assign to (a name or an address)</label><input id="assignee" name="assignee" value="${esc(d.assignee ?? '')}" maxlength="${ASSIGNEE_MAX}" autocomplete="off"><button type="submit">Assign</button>`,
    )}${form('assign', `<input type="hidden" name="assignee" value="${esc(session.name)}"><button type="submit">Assign to me</button>`, 'class="inline"')}${
      d.assignee
        ? form('assign', '<input type="hidden" name="assignee" value=""><button type="submit">Unassign</button>', 'class="inline"')
        : ''
    }</fieldset>`,
  );
  parts.push(
    form(
      'comment',
      `<fieldset><legend>Comment</legend>${commentField('note', 'Add to the audit trail')}<button type="submit">Add comment</button></fieldset>`,
    ),
  );
  return parts.join('\n');
}

/** One place the key was seen, as a row of the "Where it was found" table. */
function locationRow(l: DetailView['detail']['locations'][number]): string {
  const place = describePlace(l);
  const commit = l.commit ? link(l.commitUrl, l.commit.slice(0, 12)) : '<span class="muted">—</span>';
  if (l.source === 'canary-use')
    return `<tr><td>${esc(place.sourceLabel)}</td><td colspan="3">${esc(place.title, 400)}</td><td>${time(l.seenAt)}</td><td></td></tr>`;
  return `<tr><td>${esc(place.sourceLabel)}${partnerSourceOf(l) ? ` <span class="muted">(${esc(partnerSourceOf(l))})</span>` : ''}</td><td>${esc(l.repo ?? '')}</td><td>${l.path ? `${esc(l.path)}${inFileName(l) ? ' <span class="muted">(in the file name)</span>' : ''}${l.line !== null ? `<span class="muted">:${esc(l.line)}</span>` : ''}${l.allowMarker ? ' <span class="muted">(marked neevscan:allow)</span>' : ''}${scanWasIncomplete(l) ? ' <span class="muted">(not all of it could be scanned)</span>' : ''}` : l.line !== null ? `<span class="muted">line ${esc(l.line)}</span>` : ''}</td><td>${commit}</td><td>${time(l.seenAt)}</td><td>${placeLink(l.url, place.title)}</td></tr>`;
}

/** Every notification of the alert: channel, status, attempts, last error. */
function notificationsTable(notifications: DetailView['detail']['notifications']): string {
  if (!notifications.length) return '<p class="muted">No notification recorded yet.</p>';
  const rows = notifications
    .map(
      (n) =>
        `<tr><td>${esc(n.notice)}</td><td>${esc(n.channel)}</td><td>${badge(n.status === 'sent' ? 'ok' : n.status === 'failed' ? 'danger' : 'muted', n.status)}</td><td>${esc(n.attempts)}</td><td>${time(n.at)}</td><td>${esc(n.error ?? '')}</td></tr>`,
    )
    .join('');
  return `<table><thead><tr><th scope="col">Notice</th><th scope="col">Channel</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">When</th><th scope="col">Error</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function detailPage(view: DetailView): string {
  const { detail: d } = view;
  const key = d.key;
  const title = `${d.keyHint}${d.keyName ? ` — ${d.keyName}` : ''}`;
  // Own properties only: `?done=constructor` must not find Object's constructor on the prototype.
  const doneText = view.done && Object.hasOwn(DONE, view.done) ? DONE[view.done] : undefined;
  const done = doneText ? `<p role="status" class="done">${esc(doneText)}</p>` : '';
  const error = view.error ? `<p role="alert" class="error">${esc(view.error)}</p>` : '';
  const storeWarning =
    d.keyStore === 'unavailable'
      ? '<p class="error">The key store did not answer: the key, owner and usage below may be missing. Reload to try again.</p>'
      : '';
  const locations = d.locations.map(locationRow).join('');
  const beyond =
    d.locationCount > d.locations.length
      ? `<p class="muted">… and ${esc(d.locationCount - d.locations.length)} more places (only the first ${esc(d.locations.length)} are kept).</p>`
      : '';
  const timeline = d.timeline.map((t) => `<li>${time(t.at)} — ${esc(TIMELINE_LABELS[t.event] ?? t.event)}</li>`).join('');
  const notifications = notificationsTable(d.notifications);
  const audit = d.audit.length
    ? `<ol class="audit">${d.audit.map(auditLine).join('')}</ol>`
    : '<p class="muted">No one has acted on this alert yet.</p>';
  const resolution =
    d.state === 'resolved'
      ? `<dt>Resolution</dt><dd>${esc(resolutionLabel(d.resolution))}, ${time(d.resolvedAt)} by ${esc(d.resolvedBy ?? '')}${d.resolutionComment ? `<blockquote>${escLines(d.resolutionComment)}</blockquote>` : ''}</dd>`
      : '';
  const body = `<p><a href="/?state=${esc(d.state)}">← ${d.state === 'open' ? 'Open' : 'Resolved'} alerts</a></p>
<h1>${esc(title)} ${stateBadge(d)}</h1>
${done}${error}${storeWarning}
<div class="columns">
<section aria-labelledby="summary-h">
<h2 id="summary-h">Summary</h2>
<dl class="summary">
<dt>Key</dt><dd>${esc(key?.name ?? d.keyName ?? '(name unknown)')} <code>${esc(d.keyHint)}</code> <span class="muted">${esc(d.keyId)}</span></dd>
${d.canary ? `<dt>Canary</dt><dd>${badge('danger', 'canary')} planted in: ${esc(d.canaryLabel || '(no label)')} <span class="muted">never revoked automatically</span></dd>` : ''}
${(d.replacedBy ?? key?.replacedBy) ? `<dt>Replaced by</dt><dd><span class="muted">${esc(d.replacedBy ?? key?.replacedBy)}</span></dd>` : ''}
<dt>Key status</dt><dd>${keyStatusBadge(key?.status ?? d.keyStatus)}${key?.revokedAt ? ` since ${time(key.revokedAt)}${key.revokedBy ? ` by ${esc(key.revokedBy)}` : ''}` : ''}</dd>
<dt>Owner</dt><dd>${d.owner ? `${esc(d.owner.name)}${d.owner.email ? ` &lt;${esc(d.owner.email)}&gt;` : ''}` : '<span class="muted">unknown</span>'} <span class="muted">${esc(d.ownerId)}</span></dd>
<dt>First seen</dt><dd>${time(d.firstSeenAt)}</dd>
<dt>Push to revoke</dt><dd>${duration(d.revokeLatencyMs)}</dd>
${revocationProofRow(d)}
<dt>Places</dt><dd>${esc(d.locationCount)}</dd>
<dt>Assignee</dt><dd>${d.assignee ? esc(d.assignee) : '<span class="muted">nobody</span>'}</dd>
${resolution}
</dl>
</section>
<section aria-labelledby="actions-h" class="actions">
<h2 id="actions-h">Actions</h2>
${actions(view)}
</section>
</div>
<section aria-labelledby="locations-h">
<h2 id="locations-h">Where it was found</h2>
<table><thead><tr><th scope="col">Source</th><th scope="col">Repository</th><th scope="col">Path</th><th scope="col">Commit</th><th scope="col">Seen</th><th scope="col">Link</th></tr></thead><tbody>${locations}</tbody></table>
${beyond}
</section>
<section aria-labelledby="timeline-h">
<h2 id="timeline-h">Timeline</h2>
<ol class="timeline">${timeline}</ol>
</section>
<section aria-labelledby="usage-h">
<h2 id="usage-h">Use of the key since it was exposed</h2>
${usageSection(d.usageSinceExposure, { now: view.now, revokedAt: key?.revokedAt ?? d.revokedAt, keyStore: d.keyStore })}
</section>
<section aria-labelledby="callers-h">
<h2 id="callers-h">Who used it since it was exposed</h2>
${callersSection(d.callersSinceExposure, d.keyStore)}
</section>
<section aria-labelledby="notifications-h">
<h2 id="notifications-h">Notifications</h2>
${notifications}
</section>
<section aria-labelledby="audit-h">
<h2 id="audit-h">Audit trail</h2>
${audit}
</section>`;
  return page({ title, session: view.session, body, current: d.state === 'open' ? 'open' : 'resolved' });
}
