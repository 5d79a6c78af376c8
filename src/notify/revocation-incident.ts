import { VERSION } from '../version.js';
import { asDeliveryError } from './delivery-error.js';
import type { Channel } from './delivery-state.js';
import { notifyMetrics } from './metrics.js';
import type { NotifierDeps } from './notifier.js';
import { renderIncidentEmail, renderIncidentSlack, type RevocationIncident } from './render-incident.js';

export type { RevocationIncident } from './render-incident.js';

/** The incident's notice number on the alert: one incident message per alert, however many checks find the key live. */
const INCIDENT_NOTICE = 1;

/**
 * Tells the security team (SECURITY_TEAM_EMAIL, SECURITY_TEAM_SLACK_WEBHOOK) that a revoked key still
 * authenticates. Each channel is claimed and settled like a notice's (delivery-state.ts) under its own name
 * (`incident-email`, `incident-slack`), so the checks that follow send nothing twice and a failed send is tried
 * again at the next check; `final` (the last check) gives a failing channel up. Returns each channel's outcome.
 */
export async function sendRevocationIncident(
  deps: NotifierDeps,
  incident: RevocationIncident,
  final: boolean,
): Promise<Record<string, string>> {
  const now = deps.now ?? (() => new Date());
  const alertId = incident.alert.id;
  const planned: Array<{ channel: Channel; send: () => Promise<void> }> = [];
  const { mailer, securityTeamEmail, securityTeamSlackWebhook } = deps;
  if (securityTeamEmail && mailer) {
    const messageId = `${alertId}.incident-email.${INCIDENT_NOTICE}`;
    const mail = { ...renderIncidentEmail(incident), to: securityTeamEmail, messageId };
    planned.push({ channel: 'incident-email', send: () => mailer.send(mail) });
  }
  if (securityTeamSlackWebhook) {
    const body = JSON.stringify(renderIncidentSlack(incident));
    // The operator's own URL: it may point into the private network (a self-hosted chat).
    const options = { allowPrivate: true, userAgent: `neevscan/${VERSION}` };
    planned.push({ channel: 'incident-slack', send: async () => void (await deps.post(securityTeamSlackWebhook, body, {}, options)) });
  }
  if (planned.length === 0) {
    deps.log(
      `revocation check ${alertId}: INCIDENT, revoked key ${incident.alert.keyHint} still authenticates; no security channel configured`,
    );
  }
  const outcomes: Record<string, string> = {};
  for (const { channel, send } of planned) {
    const claim = await deps.state.claim(alertId, INCIDENT_NOTICE, channel, now());
    if (claim.outcome !== 'claimed') {
      outcomes[channel] = claim.outcome;
      continue;
    }
    try {
      await send();
    } catch (thrown) {
      const error = asDeliveryError(thrown);
      const gaveUp = error.permanent || final;
      await deps.state.settle(alertId, INCIDENT_NOTICE, channel, gaveUp ? 'failed' : 'retrying', now(), error.code);
      notifyMetrics.failed().inc({ channel, outcome: gaveUp ? 'gave_up' : 'retry' });
      const next = gaveUp ? ', giving up' : ', will retry';
      deps.log(`revocation check ${alertId}: ${channel} failed (${error.code}), attempt ${claim.attempts}${next}`);
      outcomes[channel] = gaveUp ? 'failed' : 'retry';
      continue;
    }
    await deps.state.settle(alertId, INCIDENT_NOTICE, channel, 'sent', now());
    notifyMetrics.sent().inc({ channel });
    outcomes[channel] = 'sent';
  }
  return outcomes;
}
