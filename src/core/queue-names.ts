/**
 * The names of the pipeline's BullMQ queues, in one place: each job kind
 * (src/pipeline/jobs/) names its queue from here, and planners (the webhook
 * receiver, the poller) address jobs with them. Changing one strands
 * the jobs waiting under the old name. This module imports nothing of the project.
 */

/** Pushes as the webhook receiver hands them on. */
export const PUSH_QUEUE = 'push';
/** One key found where a delivery's text arrived. */
export const EXPOSURE_QUEUE = 'exposure';
/** Whole-repository scans (installations, repositories made public). */
export const REPO_SCAN_QUEUE = 'repo-scan';
/** Check runs to create or update. */
export const CHECK_RUN_QUEUE = 'check-run';
/** Wiki edits. */
export const WIKI_QUEUE = 'wiki';
/** Notifications of alerts. */
export const NOTIFY_QUEUE = 'notify';
/** Proofs that a revocation took: the gateway's check must refuse the revoked key. */
export const VERIFY_REVOCATION_QUEUE = 'verify-revocation';
/** GitHub Actions runs whose logs to scan (`workflow_run` completed). */
export const CI_LOG_QUEUE = 'ci-log';
/** Public pushes read from GitHub's public events feed. */
export const PUBLIC_PUSH_QUEUE = 'public-push';
/** Public repositories to scan whole, from the public events feed. */
export const PUBLIC_SCAN_QUEUE = 'public-scan';

/**
 * BullMQ's key prefix for one queue. BullMQ names a queue's keys `prefix:queue:…` and runs multi-key scripts over
 * them, so on a Redis Cluster all of one queue's keys must share a slot: the braces are a hash tag per queue
 * (`neevscan:{q:push}:push:wait`), which keeps each queue whole on one shard while the queues spread over the
 * shards. The same layout on a single node, so both are the one tested layout (docs/SCALING.md: the upgrade note).
 */
export function queuePrefix(redisPrefix: string, queue: string): string {
  return `${redisPrefix}{q:${queue}}`;
}
