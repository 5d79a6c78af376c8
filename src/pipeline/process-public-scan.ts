import { observeLag } from '../metrics/public-events-metrics.js';
import type { PublicScanOutcome } from './process-public-push.js';
import { isSettled, withBudget, type PublicEventsDeps } from './public-events-deps.js';
import type { PublicScanJob } from './public-events-queues.js';
import { handleWholeRepository, readWholeRepository } from './whole-repo-scan.js';

/**
 * A repository just made public (`PublicEvent` in the feed): its default
 * branch as it stands (each blob once, remembered across forks) and the keys
 * its history ever held, up to the push scanner's commit cap. Each key goes
 * through confirm → revoke → alert with source `public-events`.
 */
export async function processPublicScan(job: PublicScanJob, deps: PublicEventsDeps): Promise<PublicScanOutcome> {
  // Made private again since: no longer public, and not ours to read with a token that sees only public repositories.
  const kind = { source: 'public-events' as const, history: true, skipPrivate: true, log: deps.log };
  const scanned = await withBudget(job.receivedAt, deps, (octokit) =>
    readWholeRepository(octokit, job, { rules: deps.rules, memo: deps.blobMemo }, kind),
  );
  if (scanned === null) return { outcome: 'skipped', reason: 'private' };
  if (isSettled(scanned)) return scanned;

  const context = {
    source: kind.source,
    owner: job.owner,
    repo: job.repo,
    public: true,
    pushedAt: job.createdAt,
    receivedAt: job.receivedAt,
  };
  const { findings, revoked, truncated } = await handleWholeRepository(scanned, context, deps, `${job.owner}/${job.repo} (made public)`);
  observeLag('public', job.createdAt);
  return { outcome: 'scanned', findings, revoked, truncated, reused: false };
}
