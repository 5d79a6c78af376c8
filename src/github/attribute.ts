/** Credits each finding of a compare to the commit that introduced it, for short pushes (a request per commit). */
import type { PushFinding, PushScanState } from './changed-files.js';
import type { GitHubClient } from './client.js';
import { commitFiles } from './commit-files.js';
import type { RepoRef } from './git-data.js';
import { hidePathSecrets, secretsInPath } from './path-secrets.js';

/**
 * Walks `shas` (oldest first) over only the paths with findings; a finding the walk also finds takes the
 * walk's commit, line and column (the line as it was in that commit, so an alert's blob link stays right).
 * Findings the walk does not see (edited away later in the range, say) keep the head commit.
 */
export async function attributeToCommits(
  octokit: GitHubClient,
  where: RepoRef,
  state: PushScanState,
  findings: readonly PushFinding[],
  shas: readonly string[],
): Promise<PushFinding[]> {
  const paths = new Set(findings.map((f) => f.path));
  const walk = state.fork(Number.POSITIVE_INFINITY);
  for (const sha of shas) {
    const { parent, files } = await commitFiles(octokit, where, sha);
    await walk.scanFiles(
      // A key in a name is found under the name with the key hidden (its place), not the filename.
      files.filter(
        (f) =>
          paths.has(hidePathSecrets(f.filename, state.rules)) || secretsInPath(f.filename, state.rules).some((s) => paths.has(s.place)),
      ),
      parent,
      sha,
    );
  }
  const byKey = new Map<string, PushFinding[]>();
  for (const f of walk.findings) {
    const key = `${f.path}\0${f.secretSha256}`;
    byKey.set(key, [...(byKey.get(key) ?? []), f]);
  }
  return findings.map((f) => {
    const match = byKey.get(`${f.path}\0${f.secretSha256}`)?.shift();
    // The walk finds a key where the push scan did, so `match` is of f's kind (in the content, or in the name).
    return match ? ({ ...f, commit: match.commit, line: match.line, column: match.column } as PushFinding) : f;
  });
}
