import type { AppJobDeps } from './deps.js';
import type { RepoScanJob } from './queues.js';
import { handleWholeRepository, readWholeRepository } from './whole-repo-scan.js';

export interface RepoScanResult {
  findings: number;
  revoked: number;
  truncated: boolean;
}

/**
 * A whole repository of an installation: its default branch as it stands and,
 * when it was just made public, the keys its history ever held. Each key found
 * goes through confirm → revoke → alert with source `install-scan`; public
 * repositories fall under the public policy.
 */
export async function processRepoScan(job: RepoScanJob, deps: AppJobDeps): Promise<RepoScanResult> {
  const octokit = deps.github.forInstallation(job.installationId);
  const kind = { source: 'install-scan' as const, history: job.kind === 'public', skipPrivate: false };
  const scanned = (await readWholeRepository(octokit, job, { rules: deps.rules, memo: deps.blobMemo }, kind))!;
  const context = {
    source: kind.source,
    owner: job.owner,
    repo: job.repo,
    public: scanned.private === false,
    pushedAt: null,
    receivedAt: job.receivedAt,
  };
  return handleWholeRepository(scanned, context, deps, `${job.owner}/${job.repo}`);
}
