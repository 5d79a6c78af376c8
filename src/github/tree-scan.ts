import type { CompiledRule } from '../rules/types.js';
import { scanBuffer } from '../scanner/scan-buffer.js';
import type { PushFinding } from './changed-files.js';
import type { GitHubClient } from './client.js';
import { GitData } from './git-data.js';
import type { BlobMemo, BlobFindings } from '../stores/blob-memo.js';

export interface TreeScanOptions {
  /** Files read at most; past it the scan stops and says so. @defaultValue 20000 */
  maxFiles?: number;
  /** Blobs larger than this are passed over (GitHub's blob API serves up to 100 MB). @defaultValue 10 MiB */
  maxBlobBytes?: number;
  /** Blobs fetched at once. @defaultValue 8 */
  concurrency?: number;
  /** Findings of blobs already scanned anywhere (forks share blobs): a known blob is not fetched again. */
  memo?: BlobMemo;
}

export interface TreeScanResult {
  findings: PushFinding[];
  /** The commit the tree was read at. */
  commit: string;
  truncated: boolean;
  filesScanned: number;
}

/**
 * Every key in a branch as it stands (a repository added to an installation,
 * or just made public): the recursive tree at the branch's head, each unique
 * blob fetched and scanned once, findings reported at every path holding it.
 */
export async function findSecretsInTree(
  octokit: GitHubClient,
  where: { owner: string; repo: string; ref: string },
  rules: readonly CompiledRule[],
  options: TreeScanOptions = {},
): Promise<TreeScanResult> {
  const maxFiles = options.maxFiles ?? 20_000;
  const maxBlobBytes = options.maxBlobBytes ?? 10 * 1024 * 1024;
  const repo = { owner: where.owner, repo: where.repo };
  const commit = (await octokit.rest.repos.getCommit({ ...repo, ref: where.ref, per_page: 1 })).data.sha;
  const { data } = await octokit.rest.git.getTree({ ...repo, tree_sha: commit, recursive: '1' });
  const blobs = data.tree.filter((e) => e.type === 'blob' && e.path && e.sha && (e.size ?? 0) <= maxBlobBytes && e.mode !== '120000');
  let truncated = data.truncated === true || blobs.length > maxFiles;
  const byBlob = new Map<string, string[]>();
  for (const entry of blobs.slice(0, maxFiles)) byBlob.set(entry.sha!, [...(byBlob.get(entry.sha!) ?? []), entry.path!]);

  const git = new GitData(octokit, repo);
  const findings: PushFinding[] = [];
  const queue = [...byBlob.entries()];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [sha, paths] = next;
      let found: BlobFindings | undefined = await options.memo?.get(sha);
      if (!found) {
        const bytes = await git.blob(sha);
        if (!bytes) continue;
        found = scanBuffer(bytes, rules);
        await options.memo?.set(sha, found);
      }
      for (const f of found) {
        if (f.allowed) continue;
        for (const path of paths) {
          findings.push({ path, line: f.line, column: f.column, commit, secretSha256: f.secretSha256, redacted: f.redacted, ruleId: f.ruleId });
        }
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  if (byBlob.size === 0 && data.truncated) truncated = true;
  findings.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line));
  return { findings, commit, truncated, filesScanned: [...byBlob.values()].reduce((n, p) => n + p.length, 0) };
}
