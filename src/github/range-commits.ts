/** The commits of a push's range, oldest first, for when one compare cannot show every file. */
import type { GitHubClient } from './client.js';
import type { RepoRef } from './git-data.js';

/** Compare pages of 100 count from the oldest commit (GitHub's compare with page/per_page): exactly base..head. */
export async function commitsInRange(
  octokit: GitHubClient,
  where: RepoRef,
  base: string,
  head: string,
  max: number,
): Promise<{ shas: string[]; messages: Array<{ sha: string; message: string }>; truncated: boolean }> {
  const messages: Array<{ sha: string; message: string }> = [];
  for (let page = 1; ; page++) {
    const { data } = await octokit.repos.compareCommitsWithBasehead({ ...where, basehead: `${base}...${head}`, per_page: 100, page });
    messages.push(...data.commits.map((c) => ({ sha: c.sha, message: typeof c.commit?.message === 'string' ? c.commit.message : '' })));
    if (messages.length >= max) {
      const kept = messages.slice(-max);
      return { shas: kept.map((m) => m.sha), messages: kept, truncated: true };
    }
    if (data.commits.length < 100 || messages.length >= data.total_commits)
      return { shas: messages.map((m) => m.sha), messages, truncated: false };
  }
}
