import type { CompiledRule } from '../rules/types.js';
import { scanFragment } from '../scanner/fragment.js';
import type { PushFinding } from './changed-files.js';
import type { GitHubClient } from './client.js';
import { GitData } from './git-data.js';
import { hiddenPath, pathFinding, pathSecretId, secretsInPath } from './path-secrets.js';
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
  /** What was not read, in words; empty when everything was. */
  notRead: string[];
}

/**
 * Every key in a branch as it stands (a repository added to an installation,
 * or just made public): the recursive tree at the branch's head, each unique
 * blob fetched and scanned once, findings reported at every path holding it,
 * and the keys in the paths themselves (with the key replaced by its hint).
 * A `neevscan:allow` line is reported like any other (`allowMarker`); what is
 * not read (a tree GitHub cut short, blobs over the caps) is said in `notRead`.
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
  const notRead: string[] = [];
  if (data.truncated)
    notRead.push(`GitHub cut the tree of ${commit.slice(0, 12)} short (over 100,000 entries or 7 MB): the files it left out were not read`);
  const findings: PushFinding[] = [];
  const namesSeen = new Set<string>();
  // Every entry's name, a folder's too (a folder's key is one place, however many files it holds); links and submodules have names as well.
  for (const entry of data.tree) {
    if (!entry.path) continue;
    for (const s of secretsInPath(entry.path, rules)) {
      const id = pathSecretId(s);
      if (namesSeen.has(id)) continue;
      namesSeen.add(id);
      findings.push(pathFinding(s, commit));
    }
  }
  const files = data.tree.filter((e) => e.type === 'blob' && e.path && e.sha && e.mode !== '120000');
  const blobs = files.filter((e) => (e.size ?? 0) <= maxBlobBytes);
  if (blobs.length < files.length) notRead.push(`${files.length - blobs.length} files over ${maxBlobBytes} bytes were not read`);
  if (blobs.length > maxFiles) notRead.push(`${blobs.length - maxFiles} files past the cap of ${maxFiles} were not read`);
  const byBlob = new Map<string, string[]>();
  for (const entry of blobs.slice(0, maxFiles)) byBlob.set(entry.sha!, [...(byBlob.get(entry.sha!) ?? []), entry.path!]);

  const git = new GitData(octokit, repo);
  let missing = 0;
  const queue = [...byBlob.entries()];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [sha, paths] = next;
      let found: BlobFindings | undefined = await options.memo?.get(sha);
      if (!found) {
        const bytes = await git.blob(sha);
        if (!bytes) {
          missing += paths.length;
          continue;
        }
        found = scanFragment({ bytes }, rules);
        await options.memo?.set(sha, found);
      }
      for (const f of found) {
        for (const path of paths) {
          const hidden = hiddenPath(path, rules);
          findings.push({
            path: hidden?.path ?? path,
            ...(hidden ? { folder: hidden.folder } : {}),
            line: f.line,
            column: f.column,
            commit,
            secretSha256: f.secretSha256,
            redacted: f.redacted,
            ruleId: f.ruleId,
            ...(f.allowed ? { allowMarker: true as const } : {}),
          });
        }
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  if (missing > 0) notRead.push(`${missing} files whose blobs GitHub did not serve were not read`);
  findings.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : (a.line ?? 0) - (b.line ?? 0)));
  return { findings, commit, truncated: notRead.length > 0, filesScanned: [...byBlob.values()].reduce((n, p) => n + p.length, 0), notRead };
}
