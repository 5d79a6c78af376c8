import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import type { Exposure, RevokePolicy } from '../core/exposure.js';
import { PUSH_QUEUE, EXPOSURE_QUEUE, REPO_SCAN_QUEUE, queuePrefix } from '../core/queue-names.js';

/** The push queue: one job per accepted push delivery. */
export { PUSH_QUEUE, queuePrefix };

/**
 * A push as the receiver hands it on: references and names only. Never commit
 * messages or other user text (BullMQ keeps job data in clear in Redis), and
 * so never a key.
 */
export interface PushJob {
  deliveryId: string;
  installationId: number | null;
  owner: string;
  repo: string;
  /** https://github.com/owner/repo (GHES: its own host), for links in alerts. */
  htmlUrl: string;
  private: boolean;
  defaultBranch: string;
  ref: string;
  before: string;
  after: string;
  created: boolean;
  deleted: boolean;
  forced: boolean;
  commitShas: string[];
  /** When GitHub received the push (the payload's `repository.pushed_at`), ISO 8601: the start of push-to-revoke. */
  pushedAt: string | null;
  /** When the head commit was made, by its committer's clock (`head_commit.timestamp`), ISO 8601: shown, never timed from. */
  committedAt?: string | null;
  receivedAt: string;
}

/**
 * The job options of most queues (push, exposure, repo-scan, wiki, check-run): retries with exponential backoff and
 * jitter (so a recovering GitHub or Redis is not hit in lockstep); failed jobs are kept for inspection.
 */
export const RETRYING_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 500, jitter: 0.5 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** A queue of the pipeline: under the service's prefix, with its retry policy. */
export function openQueue<T>(name: string, connection: ConnectionOptions, redisPrefix: string, defaultJobOptions: JobsOptions): Queue<T> {
  return new Queue<T>(name, { connection, prefix: queuePrefix(redisPrefix, name), defaultJobOptions });
}

/** The exposure queue: keys the receiver found in text a delivery carried (issues, comments…), one job each. */
export { EXPOSURE_QUEUE };

/**
 * One key found where a delivery's text arrived: its hash, hint and place.
 * The text itself is never queued (BullMQ keeps job data in clear in Redis).
 */
export interface ExposureJob {
  deliveryId: string;
  exposure: Exposure;
  /** This exposure's own policy, decided where it arrived (a public report: REPORT_REVOKE_POLICY); else the worker's REVOKE_POLICY. */
  policy?: RevokePolicy;
}

/**
 * The job id of a delivery's index-th job (an exposure, a repository scan), so
 * that re-enqueueing a delivery (a retry after a partial failure) adds no
 * duplicate. BullMQ refuses custom ids holding `:`; delivery ids never hold `.`.
 */
export function deliveryJobId(deliveryId: string, index: number): string {
  return `${deliveryId}.${index}`;
}

/** Whole-repository scans: a repository added to an installation, or made public. */
export { REPO_SCAN_QUEUE };

export interface RepoScanJob {
  deliveryId: string;
  installationId: number;
  owner: string;
  repo: string;
  /** `install`: the default branch as it stands; `public`: its history too, and the public policy applies. */
  kind: 'install' | 'public';
  receivedAt: string;
}
