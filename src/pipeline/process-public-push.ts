import type { PushFinding } from '../github/changed-files.js';
import { findSecretsInPush, type ReadMessage } from '../github/push-changes.js';
import { commitMessageExposures } from './commit-messages.js';
import { observeLag } from '../metrics/public-events-metrics.js';
import { pipelineMetrics } from '../metrics/pipeline-metrics.js';
import { handleExposure } from './handle-exposure.js';
import { withBudget, isSettled, type Deferred, type PublicEventsDeps, type Skipped } from './public-events-deps.js';
import type { PublicPushJob } from './public-events-queues.js';
import { repoExposure } from './repo-exposure.js';

export type PublicScanOutcome =
  { outcome: 'scanned'; findings: number; revoked: number; truncated: boolean; reused: boolean } | Skipped | Deferred;

const ZERO = '0'.repeat(40);

/**
 * A push seen in the public feed, which since October 2025 carries only
 * `before` and `head`: what it added is read with compare (a first push or
 * a force push as the push scanner handles them), unless the same change was
 * scanned already, in this repository or a fork or mirror of it. Each key goes
 * through confirm → revoke → alert with source `public-events` under the public
 * policy, and the owner's notification is queued. No check run: the repository
 * is not ours to annotate.
 */
export async function processPublicPush(job: PublicPushJob, deps: PublicEventsDeps): Promise<PublicScanOutcome> {
  const known = await deps.pushMemo.get(job.head);
  // Same change (same old and new head), or a new branch or fork starting at a head already scanned.
  const reused = known !== undefined && (known.before === job.before || job.before === ZERO);
  let findings: PushFinding[];
  let truncated: boolean;
  // Commit messages read with the change (the feed no longer lists them); a reused scan handled its own already.
  let messages: ReadMessage[] = [];
  if (reused) ({ findings, truncated } = known!);
  else {
    const scanned = await withBudget(job.receivedAt, deps, (octokit) => fetchAndScan(octokit, job, deps));
    if (isSettled(scanned)) return scanned;
    ({ findings, truncated, messages } = scanned);
    await deps.pushMemo.set(job.head, { before: job.before, findings, truncated });
  }

  // A push not wholly read (the scanner logged what): counted, and each alert says so. No check run here to hold it.
  if (truncated && !reused) pipelineMetrics.scansIncomplete().inc({ source: 'public-events' });
  const seenAt = new Date().toISOString();
  const context = {
    source: 'public-events' as const,
    owner: job.owner,
    repo: job.repo,
    htmlUrl: `${deps.htmlOrigin}/${job.owner}/${job.repo}`,
    public: true,
    pushedAt: job.createdAt,
    receivedAt: job.receivedAt,
    seenAt,
    scanIncomplete: truncated,
  };
  let revoked = 0;
  const inMessages = commitMessageExposures(
    messages.map((m) => ({ ...m, committedAt: null })),
    {
      source: 'public-events',
      repo: `${job.owner}/${job.repo}`,
      htmlUrl: context.htmlUrl,
      public: true,
      pushedAt: job.createdAt,
      receivedAt: job.receivedAt,
    },
    deps.rules,
  );
  for (const exposure of [...findings.map((finding) => repoExposure(finding, context)), ...inMessages]) {
    const { outcome } = await handleExposure(deps, exposure);
    if (outcome === 'revoked') revoked++;
  }
  observeLag('push', job.createdAt);
  return { outcome: 'scanned', findings: findings.length, revoked, truncated, reused };
}

async function fetchAndScan(
  octokit: Parameters<typeof findSecretsInPush>[0],
  job: PublicPushJob,
  deps: PublicEventsDeps,
): Promise<{ findings: PushFinding[]; truncated: boolean; messages: ReadMessage[] }> {
  const newBranch = job.before === ZERO;
  // The feed does not say which branch is the default one; only a new branch needs it (it is compared with it).
  const defaultBranch = newBranch ? (await octokit.rest.repos.get({ owner: job.owner, repo: job.repo })).data.default_branch : 'main';
  // A new repository's first push (to its default branch) is its whole history; a new side branch is what it adds to the default.
  const firstPush = newBranch && job.ref === `refs/heads/${defaultBranch}`;
  const commitShas = job.commitShas.length ? job.commitShas : newBranch && !firstPush ? [] : [job.head];
  const result = await findSecretsInPush(
    octokit,
    {
      owner: job.owner,
      repo: job.repo,
      before: job.before,
      after: job.head,
      commitShas,
      forced: false,
      created: newBranch,
      deleted: false,
      defaultBranch,
    },
    deps.rules,
    // Blobs GitHub sends without a patch are scanned once across pushes, repositories and forks.
    { log: deps.log, memo: deps.blobMemo },
  );
  return { findings: result.findings, truncated: result.truncated, messages: result.messages };
}
