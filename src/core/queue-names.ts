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
/** GitHub Actions runs whose logs to scan (`workflow_run` completed). */
export const CI_LOG_QUEUE = 'ci-log';
/** Public pushes read from GitHub's public events feed. */
export const PUBLIC_PUSH_QUEUE = 'public-push';
/** Public repositories to scan whole, from the public events feed. */
export const PUBLIC_SCAN_QUEUE = 'public-scan';

/**
 * BullMQ's key prefix. The braces are a Redis Cluster hash tag: every key of
 * every queue lands in one slot, as BullMQ requires on a cluster.
 */
export function queuePrefix(redisPrefix: string): string {
  return `${redisPrefix}{bull}`;
}
