import { findSecretsInPush } from '../github/push-changes.js';
import { findSecretsInTree } from '../github/tree-scan.js';
import type { PushFinding } from '../github/changed-files.js';
import { pipelineMetrics } from '../metrics/pipeline-metrics.js';
import { handleExposure } from './handle-exposure.js';
import type { AppJobDeps } from './deps.js';
import type { RepoScanJob } from './queues.js';
import { repoExposure, type RepoContext } from './repo-exposure.js';

const ZERO = '0'.repeat(40);

export interface RepoScanResult {
  findings: number;
  revoked: number;
  truncated: boolean;
}

/**
 * A whole repository: its default branch as it stands and, when it was just
 * made public, the keys its history ever held (each commit's added lines, up
 * to the push scanner's commit cap). Each key found goes through confirm →
 * revoke → alert with source `install-scan`; public repositories fall under
 * the public policy.
 */
export async function processRepoScan(job: RepoScanJob, deps: AppJobDeps): Promise<RepoScanResult> {
  const octokit = deps.github.forInstallation(job.installationId);
  const { data: repository } = await octokit.rest.repos.get({ owner: job.owner, repo: job.repo });
  const tree = await findSecretsInTree(octokit, { owner: job.owner, repo: job.repo, ref: repository.default_branch }, deps.rules, { memo: deps.blobMemo });
  let findings: PushFinding[] = tree.findings;
  const notRead = [...tree.notRead];
  if (job.kind === 'public') {
    const history = await findSecretsInPush(
      octokit,
      { owner: job.owner, repo: job.repo, before: ZERO, after: tree.commit, commitShas: [tree.commit], forced: false, created: true, deleted: false, defaultBranch: repository.default_branch },
      deps.rules,
      { memo: deps.blobMemo },
    );
    findings = [...findings, ...history.findings];
    notRead.push(...history.notRead.map((r) => `history: ${r}`));
  }
  const truncated = notRead.length > 0;
  if (truncated) {
    deps.log?.(`install-scan: ${job.owner}/${job.repo} not wholly scanned: ${notRead.join('; ')}`);
    pipelineMetrics.scansIncomplete().inc({ source: 'install-scan' });
  }
  const seen = new Set<string>();
  const context: RepoContext = {
    source: 'install-scan',
    owner: job.owner,
    repo: job.repo,
    htmlUrl: repository.html_url,
    public: repository.private === false,
    pushedAt: null,
    receivedAt: job.receivedAt,
    seenAt: new Date().toISOString(),
    scanIncomplete: truncated,
  };
  let revoked = 0;
  for (const f of findings) {
    const place = `${f.secretSha256}\0${f.path}\0${f.commit}\0${f.line ?? ''}`;
    if (seen.has(place)) continue;
    seen.add(place);
    const exposure = repoExposure(f, context);
    const { outcome } = await handleExposure(deps, exposure);
    if (outcome === 'revoked') revoked++;
  }
  return { findings: seen.size, revoked, truncated };
}
