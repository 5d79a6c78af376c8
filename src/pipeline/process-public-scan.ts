import type { PushFinding } from '../github/changed-files.js';
import { findSecretsInPush } from '../github/push-changes.js';
import { findSecretsInTree } from '../github/tree-scan.js';
import { observeLag } from '../metrics/public-events-metrics.js';
import { pipelineMetrics } from '../metrics/pipeline-metrics.js';
import { handleExposure } from './handle-exposure.js';
import type { PublicScanOutcome } from './process-public-push.js';
import { isSettled, withBudget, type PublicEventsDeps } from './public-events-deps.js';
import type { PublicScanJob } from './public-events-queues.js';
import { repoExposure } from './repo-exposure.js';

const ZERO = '0'.repeat(40);

/**
 * A repository just made public (`PublicEvent` in the feed): its default
 * branch as it stands (each blob once, remembered across forks) and the keys
 * its history ever held, up to the push scanner's commit cap. Each key goes
 * through confirm → revoke → alert with source `public-events`.
 */
export async function processPublicScan(job: PublicScanJob, deps: PublicEventsDeps): Promise<PublicScanOutcome> {
  const scanned = await withBudget(job.receivedAt, deps, async (octokit) => {
    const { data: repository } = await octokit.rest.repos.get({ owner: job.owner, repo: job.repo });
    // Made private again since: no longer public, and not ours to read with a token that sees only public repositories.
    if (repository.private) return null;
    const tree = await findSecretsInTree(octokit, { owner: job.owner, repo: job.repo, ref: repository.default_branch }, deps.rules, { memo: deps.blobMemo });
    const history = await findSecretsInPush(
      octokit,
      { owner: job.owner, repo: job.repo, before: ZERO, after: tree.commit, commitShas: [tree.commit], forced: false, created: true, deleted: false, defaultBranch: repository.default_branch },
      deps.rules,
      { log: deps.log, memo: deps.blobMemo },
    );
    return { htmlUrl: repository.html_url, findings: [...tree.findings, ...history.findings], notRead: [...tree.notRead, ...history.notRead.map((r) => `history: ${r}`)] };
  });
  if (scanned === null) return { outcome: 'skipped', reason: 'private' };
  if (isSettled(scanned)) return scanned;

  const truncated = scanned.notRead.length > 0;
  if (truncated) {
    deps.log(`public-events: ${job.owner}/${job.repo} (made public) not wholly scanned: ${scanned.notRead.join('; ')}`);
    pipelineMetrics.scansIncomplete().inc({ source: 'public-events' });
  }
  const seenAt = new Date().toISOString();
  const context = { source: 'public-events' as const, owner: job.owner, repo: job.repo, htmlUrl: scanned.htmlUrl, public: true, pushedAt: job.createdAt, receivedAt: job.receivedAt, seenAt, scanIncomplete: truncated };
  const places = new Set<string>();
  let revoked = 0;
  for (const f of scanned.findings as PushFinding[]) {
    const place = `${f.secretSha256}\0${f.path}\0${f.commit}\0${f.line ?? ''}`;
    if (places.has(place)) continue;
    places.add(place);
    const { outcome } = await handleExposure(deps, repoExposure(f, context));
    if (outcome === 'revoked') revoked++;
  }
  observeLag('public', job.createdAt);
  return { outcome: 'scanned', findings: places.size, revoked, truncated, reused: false };
}
