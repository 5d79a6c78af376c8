import type { RevokePolicy } from '../core/exposure.js';
import type { AlertStore } from '../stores/alert-store.js';
import type { CallerEvidence, KeyStore, UsageBucket } from '../stores/key-store.js';
import { asDeliveryError } from './delivery-error.js';
import type { DeliveryState } from './delivery-state.js';
import type { Mailer } from './mailer.js';
import { notifyMetrics } from './metrics.js';
import { buildNotice } from './notice.js';
import { planChannels, type ChannelContext, type PlannedChannel } from './plan-channels.js';

export interface NotifierDeps {
  alerts: AlertStore;
  keyStore: KeyStore;
  state: DeliveryState;
  policy: RevokePolicy;
  mailer: Mailer | null;
  post: ChannelContext['post'];
  allowPrivateWebhooks: boolean;
  securityTeamEmail: string | undefined;
  securityTeamSlackWebhook: string | undefined;
  keysUrl: string | undefined;
  now?: () => Date;
  log: (message: string) => void;
}

/** The BullMQ job as the notifier needs it: its id (which notice it sends) and whether this is its last try. */
export interface NotifyRun {
  alertId: string;
  jobId: string;
  lastAttempt: boolean;
}

export type NotifyOutcome =
  | { outcome: 'delivered'; notice: number; channels: Record<string, string> }
  | { outcome: 'nothing-new' | 'no-alert' | 'resolved' | 'no-owner' };

/** Thrown when a channel failed in a way worth retrying: BullMQ tries the job again with backoff, and channels already sent are skipped then. */
export class RetryLaterError extends Error {
  constructor(readonly channels: string[]) {
    super(`will retry ${channels.join(', ')}`);
    this.name = 'RetryLaterError';
  }
}

/**
 * One notification job: take the job's notice (the same one on every retry),
 * gather what it says, and deliver each channel not yet delivered. Each
 * channel is claimed in Redis before it is sent and marked sent right after,
 * so a retry, a stalled job run twice or a second worker never sends a
 * channel twice; the one window left is a crash (or Redis lost) between the
 * receiver accepting and the mark, after which the channel is sent again
 * once its claim lapses (docs/notifications.md, "Delivery: retries, digests, exactly once").
 */
export async function processNotification(deps: NotifierDeps, run: NotifyRun): Promise<NotifyOutcome> {
  const now = deps.now ?? (() => new Date());
  const taken = await deps.state.takeNotice(run.alertId, run.jobId, now().getTime());
  if (taken === null) return { outcome: 'no-alert' };
  if (taken === 'nothing-new') return { outcome: 'nothing-new' };
  const alert = await deps.alerts.get(run.alertId);
  if (!alert) return { outcome: 'no-alert' };
  // Follow-ups stop once someone has dealt with the alert; the first notice always goes.
  if (taken.number > 1 && alert.state === 'resolved') return { outcome: 'resolved' };

  const owner = await deps.keyStore.getOwner(alert.ownerId);
  if (!owner) {
    deps.log(`notify ${alert.id}: owner ${alert.ownerId} not found; nobody to tell`);
    for (const channel of ['email', 'webhook'] as const)
      await deps.state.settle(alert.id, taken.number, channel, 'skipped', now(), 'no_owner');
    return { outcome: 'no-owner' };
  }
  const key = await deps.keyStore.findByHash(alert.secretSha256);
  const since = new Date(alert.pushedAt ?? alert.firstSeenAt);
  // Usage is worth having, not worth holding the warning back for.
  const usage: UsageBucket[] | null = await deps.keyStore.usageSince(alert.keyId, since).catch(() => null);
  // Who used it from the exposure until it was revoked (or now): as optional as the usage.
  const until = alert.revokedAt ? new Date(alert.revokedAt) : now();
  const callers: CallerEvidence | null = deps.keyStore.callerEvidence
    ? await deps.keyStore.callerEvidence(alert.keyId, since, until).catch(() => null)
    : null;
  const notice = buildNotice({
    alert,
    key: key && key.id === alert.keyId ? key : null,
    owner: { id: owner.id, name: owner.name },
    notice: taken,
    usage,
    callers,
    policy: deps.policy,
    keysUrl: deps.keysUrl,
  });

  const channels = planChannels(notice, {
    owner,
    mailer: deps.mailer,
    post: deps.post,
    allowPrivateWebhooks: deps.allowPrivateWebhooks,
    securityTeamEmail: deps.securityTeamEmail,
    securityTeamSlackWebhook: deps.securityTeamSlackWebhook,
    now,
  });
  const results = await Promise.all(
    channels.map((planned) => deliver(deps, alert.id, alert.firstSeenAt, taken.number, planned, run.lastAttempt, now)),
  );
  const retry = channels.filter((_, i) => results[i] === 'retry').map((c) => c.channel);
  if (retry.length) throw new RetryLaterError(retry);
  return { outcome: 'delivered', notice: taken.number, channels: Object.fromEntries(channels.map((c, i) => [c.channel, results[i]!])) };
}

type ChannelResult = 'sent' | 'done' | 'skipped' | 'failed' | 'retry';

async function deliver(
  deps: NotifierDeps,
  alertId: string,
  firstSeenAt: string,
  notice: number,
  planned: PlannedChannel,
  lastAttempt: boolean,
  now: () => Date,
): Promise<ChannelResult> {
  const { channel } = planned;
  if ('skip' in planned) {
    await deps.state.settle(alertId, notice, channel, 'skipped', now(), planned.skip);
    return 'skipped';
  }
  if ('fail' in planned) {
    await deps.state.settle(alertId, notice, channel, 'failed', now(), planned.fail.code);
    return 'failed';
  }
  const claim = await deps.state.claim(alertId, notice, channel, now());
  if (claim.outcome === 'done') return 'done';
  // Another worker is sending it right now: ask again later rather than send twice.
  if (claim.outcome === 'busy') return 'retry';

  try {
    await planned.send();
  } catch (thrown) {
    const error = asDeliveryError(thrown);
    const final = error.permanent || lastAttempt;
    await deps.state.settle(alertId, notice, channel, final ? 'failed' : 'retrying', now(), error.code);
    notifyMetrics.failed().inc({ channel, outcome: final ? 'gave_up' : 'retry' });
    const detail = error.code === 'internal_error' ? `: ${(error.cause as Error)?.message ?? ''}` : '';
    deps.log(
      `notify ${alertId}: ${channel} failed (${error.code}${detail}), attempt ${claim.attempts}${final ? ', giving up' : ', will retry'}`,
    );
    return final ? 'failed' : 'retry';
  }
  await settleSent(deps, alertId, notice, channel, now);
  notifyMetrics.sent().inc({ channel });
  if (notice === 1) notifyMetrics.latency().observe({ channel }, Math.max(0, now().getTime() - Date.parse(firstSeenAt)) / 1000);
  return 'sent';
}

/** Recording a delivery is what keeps it from being sent again: a Redis blip here is worth a few quick tries. */
async function settleSent(
  deps: NotifierDeps,
  alertId: string,
  notice: number,
  channel: PlannedChannel['channel'],
  now: () => Date,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await deps.state.settle(alertId, notice, channel, 'sent', now());
      return;
    } catch (error) {
      if (attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}
