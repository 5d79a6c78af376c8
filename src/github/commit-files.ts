/** One commit's changed files against its first parent, every page of them (300 a page, 3000 in all). */
import type { ChangedFile } from './changed-files.js';
import type { GitHubClient } from './client.js';
import type { RepoRef } from './git-data.js';

export interface CommitFiles {
  /** The first parent (the diff's base), or null for a root commit. */
  parent: string | null;
  files: ChangedFile[];
  /** The commit's message (scanned for keys by the push worker, like the files). */
  message: string;
  /** GitHub lists at most 3000 files of a commit. */
  truncated: boolean;
}

const GITHUB_COMMIT_FILES_TOTAL = 3000;

export async function commitFiles(octokit: GitHubClient, where: RepoRef, sha: string): Promise<CommitFiles> {
  let parent: string | null = null;
  let message = '';
  const files: ChangedFile[] = [];
  // octokit.paginate does not type get-a-commit's object pages; follow `Link: rel="next"` by page number.
  for (let page = 1; ; page++) {
    const { data, headers } = await octokit.repos.getCommit({ ...where, ref: sha, per_page: 300, page });
    if (page === 1) {
      parent = data.parents[0]?.sha ?? null;
      message = typeof data.commit?.message === 'string' ? data.commit.message : '';
    }
    files.push(...(data.files ?? []));
    if (!headers.link?.includes('rel="next"') || (data.files ?? []).length === 0) break;
  }
  return { parent, files, message, truncated: files.length >= GITHUB_COMMIT_FILES_TOTAL };
}
