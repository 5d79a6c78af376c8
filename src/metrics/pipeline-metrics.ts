/**
 * The detection pipeline's and the alert review's metrics. Labels are fixed
 * words (sources, outcomes, queue names, GitHub event names from a known
 * list): never a key, a hint, a repository or anything a user typed.
 * The notifier's own metrics are in src/notify/metrics.ts
 * (neevscan_notifications_sent_total, neevscan_notifications_failed_total).
 */
import { counter, histogram } from './registry.js';

export const pipelineMetrics = {
  findings: () =>
    counter<'source' | 'outcome'>({
      name: 'neevscan_findings_total',
      help: 'Keys found and put through confirm → revoke → alert, by source and outcome (unknown: no such key; revoked; already-revoked; expired; alert-only). A redelivered place counts again',
      labelNames: ['source', 'outcome'],
    }),
  revocations: () =>
    counter<'source'>({
      name: 'neevscan_revocations_total',
      help: 'Keys revoked: by the leak detector (source: where the key was found) or from the alert review (source="review")',
      labelNames: ['source'],
    }),
  revocationsVerified: () =>
    counter<'outcome'>({
      name: 'neevscan_revocations_verified_total',
      help:
        "Checks that a revoked key no longer authenticates (the gateway's check, probe mode): outcome verified, " +
        'still_authenticates (an incident: checked again), failed (gave up, the key still authenticating or the store unreachable)',
      labelNames: ['outcome'],
    }),
  pushToRevoke: () =>
    histogram<'source'>({
      name: 'neevscan_push_to_revoke_seconds',
      help: 'From the push (or the text posted; when unknown, from receipt) to the leak detector revoking the key, by source',
      labelNames: ['source'],
      buckets: [0.25, 0.5, 1, 2, 3, 5, 10, 30, 60, 300, 1800, 3600, 6 * 3600, 24 * 3600],
    }),
  alerts: () =>
    counter<'event'>({
      name: 'neevscan_alerts_total',
      help: 'Alerts created, and wont_fix alerts reopened because their still-active key turned up in a new place',
      labelNames: ['event'],
    }),
  reviewActions: () =>
    counter<'action'>({
      name: 'neevscan_alert_review_actions_total',
      help: 'What the security team did to alerts (API and dashboard): resolved, reopened, assigned, unassigned, commented, key_revoked',
      labelNames: ['action'],
    }),
  webhookDeliveries: () =>
    counter<'event' | 'outcome'>({
      name: 'neevscan_webhook_deliveries_total',
      help: 'GitHub webhook deliveries by event (known names; others "other") and outcome: accepted (202), duplicate (200), refused (401: unsigned or forged), bad_request, too_large, unavailable (503)',
      labelNames: ['event', 'outcome'],
    }),
  queueFailures: () =>
    counter<'queue' | 'outcome'>({
      name: 'neevscan_queue_job_failures_total',
      help: 'Failed job attempts per pipeline queue: retry (tried again with backoff) or gave_up (no attempts left, or unrecoverable)',
      labelNames: ['queue', 'outcome'],
    }),
  queueDeferred: () =>
    counter<'queue'>({
      name: 'neevscan_queue_jobs_deferred_total',
      help: 'Jobs put off until the time a GitHub rate limit gave (retry-after, or the reset of a spent budget), per pipeline queue',
      labelNames: ['queue'],
    }),
  scansIncomplete: () =>
    counter<'source'>({
      name: 'neevscan_scans_incomplete_total',
      help: 'Pushes and repository scans of which part could not be read (a tree GitHub cut short, blobs over the read budget, commits past a cap, GitHub Actions logs over NEEVSCAN_CI_LOG_MAX_BYTES or read in part), by source: their findings may be missing keys',
      labelNames: ['source'],
    }),
  queueStalled: () =>
    counter<'queue'>({
      name: 'neevscan_queue_jobs_stalled_total',
      help: 'Jobs found stalled (the worker holding them died or stopped renewing its lock) and put back to run again, per pipeline queue',
      labelNames: ['queue'],
    }),
  replicaWaits: () =>
    counter<'queue' | 'outcome'>({
      name: 'neevscan_redis_wait_total',
      help:
        'WAITs for NEEVSCAN_REDIS_WAIT_REPLICAS replicas after jobs taken from HTTP (webhook deliveries, public reports) were added, per queue, ' +
        "by outcome: confirmed, or short (fewer replicas within NEEVSCAN_REDIS_WAIT_TIMEOUT_MS, answered 202 anyway: the jobs were on the queue's master only, and a failover then would have lost them)",
      labelNames: ['queue', 'outcome'],
    }),
};

/** Every metric above at once, so a counter still at 0 is exported as 0 rather than missing. */
export function declarePipelineMetrics(): void {
  for (const declare of Object.values(pipelineMetrics)) declare();
}

/** GitHub event names the receiver knows; anything else is `other`, so a forged header cannot grow the label set. */
const WEBHOOK_EVENTS = new Set([
  'push',
  'issues',
  'issue_comment',
  'pull_request',
  'pull_request_review',
  'pull_request_review_comment',
  'commit_comment',
  'release',
  'discussion',
  'discussion_comment',
  'gollum',
  'installation',
  'installation_repositories',
  'public',
  'workflow_run',
  'ping',
]);

export function webhookEventLabel(event: unknown): string {
  return typeof event === 'string' && WEBHOOK_EVENTS.has(event) ? event : 'other';
}

export function webhookOutcome(status: number, event: string): string {
  if (status === 202) return 'accepted';
  if (status === 200) return event === 'ping' ? 'accepted' : 'duplicate';
  if (status === 401) return 'refused';
  if (status === 413) return 'too_large';
  if (status >= 500) return 'unavailable';
  return 'bad_request';
}
