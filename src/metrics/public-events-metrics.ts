/**
 * The public events metrics. The poller's (seen, lost, polls, queued) are on
 * its own /metrics (POLL_METRICS_PORT); the workers' (lag of pushes and
 * repository scans, skipped jobs) on serve's /metrics. Labels are event types
 * from a fixed list, reasons and token positions: never names or text.
 */
import { counter, histogram } from './registry.js';

/** GitHub's event types (docs: github-event-types); anything else is counted as `other`, so labels stay bounded. */
const EVENT_TYPES = new Set([
  'CommitCommentEvent',
  'CreateEvent',
  'DeleteEvent',
  'DiscussionEvent',
  'DiscussionCommentEvent',
  'ForkEvent',
  'GollumEvent',
  'IssueCommentEvent',
  'IssuesEvent',
  'MemberEvent',
  'PublicEvent',
  'PullRequestEvent',
  'PullRequestReviewEvent',
  'PullRequestReviewCommentEvent',
  'PullRequestReviewThreadEvent',
  'PushEvent',
  'ReleaseEvent',
  'SponsorshipEvent',
  'WatchEvent',
]);

export const eventTypeLabel = (type: string): string => (EVENT_TYPES.has(type) ? type : 'other');

export const seenEvents = () =>
  counter({
    name: 'neevscan_public_events_seen_total',
    help: 'Public events read from the feed (each once), by type',
    labelNames: ['type'],
  });

export const lostEvents = () =>
  counter({
    name: 'neevscan_public_events_lost_total',
    help: 'Public events estimated lost to the feed’s 300-event window (from the gap in event ids, scaled by their density)',
  });

export const polls = () =>
  counter({
    name: 'neevscan_public_events_polls_total',
    help: 'Reads of the feed: events, not_modified (304, free), rate_limited (skipped: every token spent), error',
    labelNames: ['result'],
  });

export const queuedWork = () =>
  counter({
    name: 'neevscan_public_events_queued_total',
    help: 'Work the poller queued: push and scan jobs, and exposures (keys found in event text)',
    labelNames: ['work'],
  });

export const skippedWork = () =>
  counter({
    name: 'neevscan_public_events_skipped_total',
    help: 'Public event work dropped: rate_limit (every token spent past the age bound), stale (older than PUBLIC_EVENTS_MAX_AGE_SECONDS), private (no longer public)',
    labelNames: ['reason'],
  });

export const deferredWork = () =>
  counter({
    name: 'neevscan_public_events_deferred_total',
    help: 'Public event jobs put off until a token’s rate-limit window resets (within the age bound)',
    labelNames: ['queue'],
  });

/** Seconds from the event's created_at to the end of its scan: in the poller for text, in a worker for pushes and repository scans. */
export const lagSeconds = () =>
  histogram({
    name: 'neevscan_public_events_lag_seconds',
    help: 'Seconds from a public event’s created_at to its scan finishing (text: in the poller; push, public: in a worker)',
    labelNames: ['kind'],
    // GitHub publishes the feed ≥ 5 minutes late, so real lags start there; the low buckets are for the stand-in and the bench.
    buckets: [0.25, 0.5, 1, 2, 3, 5, 10, 30, 60, 300, 600, 1800, 3600, 6 * 3600],
  });

export function observeLag(kind: 'text' | 'push' | 'public', createdAt: string, now = Date.now()): void {
  const start = Date.parse(createdAt);
  if (Number.isFinite(start)) lagSeconds().observe({ kind }, Math.max(0, (now - start) / 1000));
}

/** Declares the metrics up front, so that a counter still at 0 (nothing lost yet) is exported as 0 rather than missing. */
export function declarePublicEventsMetrics(): void {
  for (const declare of [seenEvents, lostEvents, polls, queuedWork, skippedWork, deferredWork, lagSeconds]) declare();
}
