import { describeCallers, type Notice, type Place } from './notice.js';
import type { CallerEvidence } from '../stores/key-store.js';
import { formatCount, formatTime, html, htmlLink, plain } from '../util/text.js';

/**
 * The owner's mail, as plain text and HTML with the same content. Every
 * string that came from a user (key name, repository, path, URL) goes
 * through plain() or html(): the mail shows it, never obeys it.
 */
export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

export function renderOwnerEmail(notice: Notice): RenderedMail {
  return { subject: plain(notice.subject, 250), text: ownerText(notice), html: ownerHtml(notice) };
}

function intro(notice: Notice): string {
  const which = `"${notice.key.name}" (${notice.key.hint})`;
  if (notice.canary)
    return `SECURITY ALERT: your canary key ${which} was ${notice.places.some((p) => p.source === 'canary-use') ? 'used' : 'found'}. ${notice.action.summary}`;
  if (notice.followUp)
    return `Your NeevCloud API key ${which} has turned up in ${notice.placeCount} more ${notice.placeCount === 1 ? 'place' : 'places'} since our last message.`;
  return `Your NeevCloud API key ${which} was found exposed where others can read it.`;
}

function placeLines(place: Place, index: number): string[] {
  const lines = [`  ${index + 1}. ${plain(place.title)}`];
  if (place.commit) lines.push(`     Commit: ${plain(place.commitUrl ?? place.commit, 2000)}`);
  if (place.url) lines.push(`     Link:   ${plain(place.url, 2000)}`);
  lines.push(`     Found:  ${formatTime(place.seenAt)} (${plain(place.sourceLabel)})`);
  return lines;
}

function unlisted(notice: Notice): number {
  return notice.placeCount - notice.places.length;
}

function ownerText(notice: Notice): string {
  const out: string[] = [
    plain(intro(notice), 1000),
    '',
    'THE KEY',
    `  Name:  ${plain(notice.key.name)}`,
    `  Hint:  ${notice.key.hint}   (the key itself is never sent)`,
    `  Owner: ${plain(notice.owner.name)}`,
    '',
  ];
  out.push(
    `WHERE IT WAS FOUND (${notice.placeCount} ${notice.placeCount === 1 ? 'place' : 'places'}${notice.followUp ? `, ${notice.totalPlaces} in all` : ''})`,
  );
  notice.places.forEach((place, i) => out.push(...placeLines(place, i)));
  if (unlisted(notice) > 0) out.push(`  … and ${unlisted(notice)} more (alert ${notice.alertId} lists them)`);
  out.push('', 'WHEN');
  if (notice.committedAt) out.push(`  Committed: ${formatTime(notice.committedAt)} (by the committer's clock)`);
  out.push(`  Pushed:   ${formatTime(notice.pushedAt)}`, `  Found:    ${formatTime(notice.foundAt)}`, '');
  out.push('WHAT WE DID', `  ${plain(notice.action.summary, 1000)}`, '');
  if (notice.usage) {
    out.push(`USAGE SINCE THE PUSH (since ${formatTime(notice.usage.since)}, by the hour)`);
    out.push(`  ${formatCount(notice.usage.requests)} requests, ${formatCount(notice.usage.tokens)} tokens`);
    for (const bucket of notice.usage.hourly.slice(-24))
      out.push(`  ${formatTime(bucket.hour)}  ${formatCount(bucket.requests)} requests, ${formatCount(bucket.tokens)} tokens`);
    out.push('');
  }
  if (notice.callers) out.push(...callerLines(notice.callers), '');
  if (notice.replacedBy) out.push('REPLACED', `  The key was replaced by key ${plain(notice.replacedBy)}.`, '');
  out.push('WHAT TO DO NOW');
  notice.nextSteps.forEach((step, i) =>
    out.push(`  ${i + 1}. ${step.title}: ${plain(step.text, 1000)}${step.url ? ` ${plain(step.url, 2000)}` : ''}`),
  );
  out.push('', `Alert ${notice.alertId}, notice ${notice.number}. Sent by neevscan, NeevCloud's leak detector.`);
  return `${out.join('\n')}\n`;
}

/** The caller evidence as plain text: the summary, then the new callers (the likely intruders) and the top ones. */
function callerLines(callers: CallerEvidence): string[] {
  const lines = [
    `WHO USED IT (${formatTime(callers.since)} to ${formatTime(callers.until)})`,
    `  ${plain(describeCallers(callers), 1000)}`,
  ];
  for (const c of callers.newAddresses)
    lines.push(`  New address:    ${plain(c.value, 100)}  ${formatCount(c.requests)} requests, first ${formatTime(c.firstSeenAt)}`);
  for (const c of callers.newUserAgents)
    lines.push(`  New user agent: ${plain(c.value, 200)}  ${formatCount(c.requests)} requests, first ${formatTime(c.firstSeenAt)}`);
  for (const c of callers.endpoints.slice(0, 5))
    lines.push(`  Endpoint:       ${plain(c.value, 100)}  ${formatCount(c.requests)} requests`);
  return lines;
}

function callerHtml(callers: CallerEvidence): string {
  const rows = [
    ...callers.newAddresses.map((c) => ['New address', c.value, c.requests, c.firstSeenAt] as const),
    ...callers.newUserAgents.map((c) => ['New user agent', c.value, c.requests, c.firstSeenAt] as const),
  ]
    .map(
      ([what, value, requests, first]) =>
        `<tr><td style="${STYLE.td}">${what}</td><td style="${STYLE.td}"><code>${html(value, 200)}</code></td><td style="${STYLE.td}">${formatCount(requests)} requests, first ${formatTime(first)}</td></tr>`,
    )
    .join('');
  return `<h2 style="${STYLE.h2}">Who used it</h2><p>${html(describeCallers(callers), 1000)}.</p>${rows ? `<table>${rows}</table>` : ''}`;
}

const STYLE = {
  body: 'font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;line-height:1.5;color:#1f2328;max-width:680px',
  h2: 'font-size:15px;margin:20px 0 6px',
  // Red while the key still works; amber once it is revoked (there is still work to do).
  banner: (bad: boolean) =>
    `padding:10px 14px;border-radius:6px;background:${bad ? '#ffebe9' : '#fff8c5'};border:1px solid ${bad ? '#ff8182' : '#d4a72c'}`,
  td: 'padding:2px 12px 2px 0;vertical-align:top',
  muted: 'color:#656d76;font-size:12px',
};

function ownerHtml(notice: Notice): string {
  const bad = notice.action.kind === 'not_revoked' || notice.canary !== null;
  const places = notice.places
    .map((place) => {
      const links = [
        place.url ? htmlLink(place.url, 'open') : '',
        place.commitUrl
          ? htmlLink(place.commitUrl, `commit ${place.commit!.slice(0, 12)}`)
          : place.commit
            ? `commit ${html(place.commit.slice(0, 12))}`
            : '',
      ]
        .filter(Boolean)
        .join(' · ');
      return `<li><strong>${html(place.title)}</strong>${links ? ` — ${links}` : ''}<br><span style="${STYLE.muted}">${html(place.sourceLabel)}, found ${formatTime(place.seenAt)}</span></li>`;
    })
    .join('');
  const more = unlisted(notice) > 0 ? `<p>… and ${unlisted(notice)} more (alert ${html(notice.alertId)} lists them).</p>` : '';
  const usage = notice.usage
    ? `<h2 style="${STYLE.h2}">Usage since the push</h2><p><strong>${formatCount(notice.usage.requests)}</strong> requests, <strong>${formatCount(notice.usage.tokens)}</strong> tokens since ${formatTime(notice.usage.since)} (counted by the hour).</p>` +
      (notice.usage.hourly.length
        ? `<table style="border-collapse:collapse"><tr><th style="${STYLE.td};text-align:left">hour</th><th style="${STYLE.td};text-align:right">requests</th><th style="${STYLE.td};text-align:right">tokens</th></tr>${notice.usage.hourly
            .slice(-24)
            .map(
              (b) =>
                `<tr><td style="${STYLE.td}">${formatTime(b.hour)}</td><td style="${STYLE.td};text-align:right">${formatCount(b.requests)}</td><td style="${STYLE.td};text-align:right">${formatCount(b.tokens)}</td></tr>`,
            )
            .join('')}</table>`
        : '')
    : '';
  const steps = notice.nextSteps
    .map(
      (step) =>
        `<li><strong>${html(step.title)}</strong>: ${html(step.text, 1000)}${step.url ? ` ${htmlLink(step.url, 'Open')}` : ''}</li>`,
    )
    .join('');
  return `<!doctype html><html><body style="${STYLE.body}">
<p style="${STYLE.banner(bad)}">${html(intro(notice), 1000)}</p>
<h2 style="${STYLE.h2}">The key</h2>
<table><tr><td style="${STYLE.td}">Name</td><td style="${STYLE.td}"><strong>${html(notice.key.name)}</strong></td></tr>
<tr><td style="${STYLE.td}">Hint</td><td style="${STYLE.td}"><code>${html(notice.key.hint)}</code> <span style="${STYLE.muted}">(the key itself is never sent)</span></td></tr>
<tr><td style="${STYLE.td}">Owner</td><td style="${STYLE.td}">${html(notice.owner.name)}</td></tr></table>
<h2 style="${STYLE.h2}">Where it was found (${notice.placeCount} ${notice.placeCount === 1 ? 'place' : 'places'}${notice.followUp ? `, ${notice.totalPlaces} in all` : ''})</h2>
<ol>${places}</ol>${more}
<h2 style="${STYLE.h2}">When</h2>
<table>${notice.committedAt ? `<tr><td style="${STYLE.td}">Committed</td><td style="${STYLE.td}">${formatTime(notice.committedAt)} <span style="${STYLE.muted}">(by the committer’s clock)</span></td></tr>` : ''}<tr><td style="${STYLE.td}">Pushed</td><td style="${STYLE.td}">${formatTime(notice.pushedAt)}</td></tr><tr><td style="${STYLE.td}">Found</td><td style="${STYLE.td}">${formatTime(notice.foundAt)}</td></tr></table>
<h2 style="${STYLE.h2}">What we did</h2>
<p>${html(notice.action.summary, 1000)}</p>
${usage}
${notice.callers ? callerHtml(notice.callers) : ''}${notice.replacedBy ? `<p>The key was replaced by key <code>${html(notice.replacedBy)}</code>.</p>` : ''}
<h2 style="${STYLE.h2}">What to do now</h2>
<ol>${steps}</ol>
<p style="${STYLE.muted}">Alert ${html(notice.alertId)}, notice ${notice.number}. Sent by neevscan, NeevCloud's leak detector.</p>
</body></html>
`;
}
