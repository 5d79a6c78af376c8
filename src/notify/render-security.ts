import { describeCallers, type Notice } from './notice.js';
import type { RenderedMail } from './render-email.js';
import { formatCount, formatTime, html, htmlLink, plain } from '../util/text.js';

/**
 * The security team's view of a new alert: whose key, where, what was done,
 * in a few lines (the owner gets the long version). As mail, and as a
 * Slack-compatible incoming-webhook message.
 */

const LISTED = 10;

function headline(notice: Notice): string {
  if (notice.canary) {
    const used = notice.places.some((p) => p.source === 'canary-use');
    return `CANARY ${used ? 'USED' : 'FOUND'}: key "${notice.key.name}" (${notice.key.hint}) of ${notice.owner.name}${notice.canary.label ? `, planted in "${notice.canary.label}"` : ''}`;
  }
  const done =
    notice.action.kind === 'revoked'
      ? `revoked at ${formatTime(notice.action.at)}`
      : notice.action.kind === 'not_revoked'
        ? 'NOT revoked'
        : notice.action.kind === 'expired'
          ? 'already expired'
          : 'already revoked';
  return `Key "${notice.key.name}" (${notice.key.hint}) of ${notice.owner.name} exposed in ${notice.placeCount} ${notice.placeCount === 1 ? 'place' : 'places'}: ${done}`;
}

export function renderSecurityEmail(notice: Notice): RenderedMail {
  const lines = [
    plain(headline(notice), 1000),
    '',
    `Owner:    ${plain(notice.owner.name)} (${notice.owner.id})`,
    `Key:      ${plain(notice.key.name)} (${notice.key.hint}, ${notice.key.id})`,
    ...(notice.committedAt ? [`Committed: ${formatTime(notice.committedAt)} (by the committer's clock)`] : []),
    `Pushed:   ${formatTime(notice.pushedAt)}`,
    `Found:    ${formatTime(notice.foundAt)}`,
    `Action:   ${plain(notice.action.summary, 1000)}`,
  ];
  if (notice.usage)
    lines.push(
      `Usage:    ${formatCount(notice.usage.requests)} requests, ${formatCount(notice.usage.tokens)} tokens since ${formatTime(notice.usage.since)}`,
    );
  if (notice.callers) lines.push(`Callers:  ${plain(describeCallers(notice.callers), 1000)}`);
  lines.push('', 'Places:');
  for (const place of notice.places.slice(0, LISTED))
    lines.push(`  - ${plain(place.title)}${place.url ? `  ${plain(place.url, 2000)}` : ''}`);
  if (notice.placeCount > LISTED) lines.push(`  … and ${notice.placeCount - LISTED} more`);
  lines.push('', `Alert ${notice.alertId}. The owner has been notified separately.`);

  const items = notice.places
    .slice(0, LISTED)
    .map((place) => `<li>${place.url ? htmlLink(place.url, place.title) : html(place.title)}</li>`)
    .join('');
  const body = `<!doctype html><html><body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px">
<p><strong>${html(headline(notice), 1000)}</strong></p>
<p>Owner: ${html(notice.owner.name)} (${html(notice.owner.id)})<br>Key: ${html(notice.key.name)} (<code>${html(notice.key.hint)}</code>, ${html(notice.key.id)})<br>
${notice.committedAt ? `Committed: ${formatTime(notice.committedAt)} (by the committer’s clock)<br>` : ''}Pushed: ${formatTime(notice.pushedAt)}<br>Found: ${formatTime(notice.foundAt)}<br>Action: ${html(notice.action.summary, 1000)}${
    notice.usage
      ? `<br>Usage: ${formatCount(notice.usage.requests)} requests, ${formatCount(notice.usage.tokens)} tokens since ${formatTime(notice.usage.since)}`
      : ''
  }${notice.callers ? `<br>Callers: ${html(describeCallers(notice.callers), 1000)}` : ''}</p>
<ul>${items}</ul>${notice.placeCount > LISTED ? `<p>… and ${notice.placeCount - LISTED} more</p>` : ''}
<p style="color:#656d76;font-size:12px">Alert ${html(notice.alertId)}. The owner has been notified separately.</p>
</body></html>
`;
  return { subject: plain(`[neevscan] New alert: ${headline(notice)}`, 250), text: `${lines.join('\n')}\n`, html: body };
}

/** Slack's mrkdwn treats &, < and > as markup: escaped, user text cannot make a link or a mention. */
export function slackText(value: string, max = 300): string {
  let out = '';
  for (const char of plain(value, max)) out += char === '&' ? '&amp;' : char === '<' ? '&lt;' : char === '>' ? '&gt;' : char;
  return out;
}

/** A `<url|label>` link for https/http URLs only. */
function slackLink(url: string | null, label: string): string {
  if (!url) return slackText(label);
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return slackText(label);
  } catch {
    return slackText(label);
  }
  // `|` and `>` would end the link early; URLs keep them percent-encoded.
  const safeUrl = new URL(url).href.split('|').join('%7C').split('>').join('%3E');
  return `<${safeUrl}|${slackText(label)}>`;
}

export function renderSlackMessage(notice: Notice): { text: string } {
  const lines = [`:rotating_light: *${slackText(headline(notice), 600)}*`];
  lines.push(`Owner: ${slackText(notice.owner.name)} · Key id: \`${slackText(notice.key.id)}\` · Alert: \`${slackText(notice.alertId)}\``);
  if (notice.usage)
    lines.push(`Usage since the push: ${formatCount(notice.usage.requests)} requests, ${formatCount(notice.usage.tokens)} tokens`);
  if (notice.callers) lines.push(`Callers: ${slackText(describeCallers(notice.callers), 600)}`);
  for (const place of notice.places.slice(0, LISTED)) lines.push(`• ${slackLink(place.url, place.title)}`);
  if (notice.placeCount > LISTED) lines.push(`… and ${notice.placeCount - LISTED} more`);
  return { text: lines.join('\n') };
}
