/** The commits of a push's range, oldest first, for when one compare cannot show every file. */
import type { GitHubClient } from './client.js';
import type { RepoRef } from './git-data.js';

/** Compare pages of 100 count from the oldest commit (GitHub's compare with page/per_page): exactly base..head. */
export async function commitsInRange(octokit: GitHubClient, where: RepoRef, base: string, head: string, max: number): Promise<{ shas: string[]; truncated: boolean }> {
  const shas: string[] = [];
  for (let page = 1; ; page++) {
    const { data } = await octokit.repos.compareCommitsWithBasehead({ ...where, basehead: `${base}...${head}`, per_page: 100, page });
    shas.push(...data.commits.map((c) => c.sha));
    if (shas.length >= max) return { shas: shas.slice(-max), truncated: true };
    if (data.commits.length < 100 || shas.length >= data.total_commits) return { shas, truncated: false };
  }
}
