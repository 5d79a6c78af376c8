import type { Alert } from '../core/alert.js';
import { describePlace } from './notice.js';
import type { RenderedMail } from './render-email.js';
import { slackText } from './render-security.js';
import { formatTime, html, htmlLink, plain } from '../util/text.js';

/**
 * The security team's incident message: a key neevscan revoked still authenticates through the gateway's own
 * check. As mail and as a Slack-compatible message; names the key by its hint, never the key.
 */
export interface RevocationIncident {
  alert: Alert;
  ownerName: string | null;
  /** The revocation that did not take. */
  revokedAt: string;
  /** When the gateway's check was seen accepting the key. */
  checkedAt: string;
  /** Checks so far, and how many in all before neevscan gives up. */
  attempt: number;
  attempts: number;
}

const LISTED = 5;

function keyName(incident: RevocationIncident): string {
  return `"${incident.alert.keyName ?? '(unnamed key)'}" (${incident.alert.keyHint})`;
}

function whatNext(incident: RevocationIncident): string {
  if (incident.attempt >= incident.attempts) {
    return (
      `That was the last of ${incident.attempts} checks: neevscan has stopped, and the alert says "verification failed". ` +
      'Revoke the key in the key store by hand and find out why the revocation does not hold.'
    );
  }
  return (
    `neevscan revoked it again and checks again (check ${incident.attempt} of ${incident.attempts}); ` +
    'until a check sees it refused, treat the key as live in the hands of whoever saw it.'
  );
}

export function renderIncidentEmail(incident: RevocationIncident): RenderedMail {
  const { alert } = incident;
  const places = alert.locations.slice(0, LISTED).map(describePlace);
  const whose = incident.ownerName ? ` of ${incident.ownerName}` : '';
  const headline =
    `Key ${keyName(incident)}${whose} was revoked at ${formatTime(incident.revokedAt)} ` +
    `and still authenticates at ${formatTime(incident.checkedAt)}`;
  const lines = [
    plain(headline, 1000),
    '',
    `Key:      ${plain(alert.keyName ?? '(unnamed key)')} (${alert.keyHint}, ${alert.keyId})`,
    `Owner:    ${plain(incident.ownerName ?? alert.ownerId)} (${alert.ownerId})`,
    `Revoked:  ${formatTime(incident.revokedAt)}`,
    `Checked:  ${formatTime(incident.checkedAt)}: the gateway's authenticate still accepts the key`,
    '',
    plain(whatNext(incident), 1000),
    '',
    'Exposed in:',
    ...places.map((place) => `  - ${plain(place.title)}${place.url ? `  ${plain(place.url, 2000)}` : ''}`),
    ...(alert.locationCount > LISTED ? [`  … and ${alert.locationCount - LISTED} more`] : []),
    '',
    `Alert ${alert.id}.`,
  ];
  const items = places.map((place) => `<li>${place.url ? htmlLink(place.url, place.title) : html(place.title)}</li>`).join('');
  const body = `<!doctype html><html><body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px">
<p style="padding:10px 14px;border-radius:6px;background:#ffebe9;border:1px solid #ff8182"><strong>${html(headline, 1000)}</strong></p>
<p>Key: ${html(alert.keyName ?? '(unnamed key)')} (<code>${html(alert.keyHint)}</code>, ${html(alert.keyId)})<br>
Owner: ${html(incident.ownerName ?? alert.ownerId)} (${html(alert.ownerId)})<br>
Revoked: ${formatTime(incident.revokedAt)}<br>
Checked: ${formatTime(incident.checkedAt)}: the gateway’s authenticate still accepts the key</p>
<p>${html(whatNext(incident), 1000)}</p>
<ul>${items}</ul>${alert.locationCount > LISTED ? `<p>… and ${alert.locationCount - LISTED} more</p>` : ''}
<p style="color:#656d76;font-size:12px">Alert ${html(alert.id)}.</p>
</body></html>
`;
  const subject = plain(`[neevscan] INCIDENT: revoked key still authenticates: ${keyName(incident)}`, 250);
  return { subject, text: `${lines.join('\n')}\n`, html: body };
}

export function renderIncidentSlack(incident: RevocationIncident): { text: string } {
  const { alert } = incident;
  const lines = [
    `:rotating_light: *INCIDENT: revoked key still authenticates: ${slackText(keyName(incident), 400)}*`,
    `Owner: ${slackText(incident.ownerName ?? alert.ownerId)} · Key id: \`${slackText(alert.keyId)}\` · Alert: \`${slackText(alert.id)}\``,
    `Revoked ${formatTime(incident.revokedAt)}; the gateway's check still accepted it at ${formatTime(incident.checkedAt)}.`,
    slackText(whatNext(incident), 600),
  ];
  return { text: lines.join('\n') };
}
