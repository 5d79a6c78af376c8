import type { PushFinding } from '../github/changed-files.js';
import type { GitHubClient } from '../github/client.js';
import { findSecretsInPush } from '../github/push-changes.js';
import { findSecretsInTree } from '../github/tree-scan.js';
import { pipelineMetrics } from '../metrics/pipeline-metrics.js';
import type { CompiledRule } from '../rules/types.js';
import type { BlobMemo } from '../stores/blob-memo.js';
import { handleExposure, type HandleExposureDeps } from './handle-exposure.js';
import { repoExposure, type RepoContext } from './repo-exposure.js';

const ZERO = '0'.repeat(40);

/**
 * How a whole-repository scan differs by where it comes from: an installation's
 * repository (`install-scan`: its history only when it was just made public)
 * or one the public feed saw made public (`public-events`: always its history,
 * and never a repository made private again since, which its tokens may not read).
 */
export interface WholeRepoScanKind {
  source: Extract<RepoContext['source'], 'install-scan' | 'public-events'>;
  history: boolean;
  skipPrivate: boolean;
  /** For the history scan's own log lines (commit caps). */
  log?: (message: string) => void;
}

/** What a whole repository holds: the keys in its default branch (and history), and what could not be read. */
export interface WholeRepository {
  htmlUrl: string;
  private: boolean;
  findings: PushFinding[];
  notRead: string[];
}

/**
 * A whole repository: its default branch as it stands (each blob once, through
 * the memo) and, with `history`, the keys its history ever held (each commit's
 * added lines, up to the push scanner's commit cap). Null: private, and `skipPrivate`.
 */
export async function readWholeRepository(
  octokit: GitHubClient,
  target: { owner: string; repo: string },
  scan: { rules: readonly CompiledRule[]; memo?: BlobMemo },
  kind: WholeRepoScanKind,
): Promise<WholeRepository | null> {
  const { owner, repo } = target;
  const { data: repository } = await octokit.rest.repos.get({ owner, repo });
  if (kind.skipPrivate && repository.private) return null;
  const tree = await findSecretsInTree(octokit, { owner, repo, ref: repository.default_branch }, scan.rules, { memo: scan.memo });
  const found: WholeRepository = {
    htmlUrl: repository.html_url,
    private: repository.private,
    findings: tree.findings,
    notRead: [...tree.notRead],
  };
  if (kind.history) {
    const history = await findSecretsInPush(
      octokit,
      {
        owner,
        repo,
        before: ZERO,
        after: tree.commit,
        commitShas: [tree.commit],
        forced: false,
        created: true,
        deleted: false,
        defaultBranch: repository.default_branch,
      },
      scan.rules,
      kind.log ? { log: kind.log, memo: scan.memo } : { memo: scan.memo },
    );
    found.findings = [...found.findings, ...history.findings];
    found.notRead.push(...history.notRead.map((r) => `history: ${r}`));
  }
  return found;
}

/**
 * Each key of a whole repository, once per place, through confirm → revoke →
 * alert; a repository not wholly read says so in the log, the metrics and the
 * exposures (`scanIncomplete`), never passing as clean.
 */
export async function handleWholeRepository(
  scanned: WholeRepository,
  context: Omit<RepoContext, 'htmlUrl' | 'seenAt' | 'scanIncomplete'>,
  deps: HandleExposureDeps & { log?: (message: string) => void },
  named: string,
): Promise<{ findings: number; revoked: number; truncated: boolean }> {
  const truncated = scanned.notRead.length > 0;
  if (truncated) {
    deps.log?.(`${context.source}: ${named} not wholly scanned: ${scanned.notRead.join('; ')}`);
    pipelineMetrics.scansIncomplete().inc({ source: context.source });
  }
  const full: RepoContext = { ...context, htmlUrl: scanned.htmlUrl, seenAt: new Date().toISOString(), scanIncomplete: truncated };
  const places = new Set<string>();
  let revoked = 0;
  for (const f of scanned.findings) {
    const place = `${f.secretSha256}\0${f.path}\0${f.commit}\0${f.line ?? ''}`;
    if (places.has(place)) continue;
    places.add(place);
    const { outcome } = await handleExposure(deps, repoExposure(f, full));
    if (outcome === 'revoked') revoked++;
  }
  return { findings: places.size, revoked, truncated };
}
