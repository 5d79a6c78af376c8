/** GET /repos/{owner}/{repo}/compare/{base}...{head}, with GitHub's limits on commits and files. */
import { commitJson, readCommits } from './commits.js';
import type { RepoCtx } from './context.js';
import { diffFiles } from './diff.js';
import { gitText, resolveCommit } from './git.js';
import { HttpError, linkHeader, notFound, readPage, type Reply } from './http.js';
import { repoApiUrl, repoHtmlUrl } from './repos.js';

/**
 * Answers of compares between two full SHAs, per repository: git objects never change, so GitHub answers such a
 * compare the same every time, and the stand-in's own git work (about nine processes, in the test's process) is
 * spent once. A test that interrupts work in flight warms them first, so that what it times is the service.
 */
const answered = new WeakMap<object, Map<string, Promise<Reply>>>();
const FULL_SHAS = /^[0-9a-f]{40}\.\.\.[0-9a-f]{40}$/;

export function compare(ctx: RepoCtx): Promise<Reply> {
  const basehead = ctx.params.basehead!;
  if (!FULL_SHAS.test(basehead)) return compareNow(ctx);
  let memo = answered.get(ctx.repo);
  if (!memo) answered.set(ctx.repo, (memo = new Map()));
  const key = `${basehead}${ctx.url.search} ${ctx.urls.api} ${ctx.urls.html} ${JSON.stringify(ctx.limits)}`;
  let reply = memo.get(key);
  if (!reply) {
    reply = compareNow(ctx);
    memo.set(key, reply);
    // A failure (a request of a test's injected fault is refused before this) is not kept.
    reply.catch(() => memo.delete(key));
  }
  return reply;
}

async function compareNow(ctx: RepoCtx): Promise<Reply> {
  const { repo, url, limits, urls } = ctx;
  const basehead = ctx.params.basehead!;
  const dots = basehead.indexOf('...');
  if (dots < 0) throw notFound();
  const baseRef = basehead.slice(0, dots);
  const headRef = basehead.slice(dots + 3);
  const [base, head] = await Promise.all([resolveCommit(repo.path, baseRef), resolveCommit(repo.path, headRef)]);
  if (!base || !head) throw notFound();
  const mergeBase = await gitText(repo.path, ['merge-base', base, head]).catch(() => null);
  if (!mergeBase) throw new HttpError(404, `No common ancestor between ${baseRef} and ${headRef}.`);

  // Chronological, oldest first, like `git log --reverse base..head`.
  const shas = (await gitText(repo.path, ['rev-list', '--reverse', `${base}..${head}`])).split('\n').filter(Boolean);
  const behindBy = Number(await gitText(repo.path, ['rev-list', '--count', `${head}..${base}`]));
  const aheadBy = shas.length;
  const paging = readPage(url.searchParams, 30, 100);
  // Without page/per_page GitHub answers the newest 250; with them, pages counted from the oldest.
  const pageShas = paging.explicit
    ? shas.slice((paging.page - 1) * paging.perPage, paging.page * paging.perPage)
    : shas.slice(-limits.compareCommits);
  const [commits, [baseCommit, mergeBaseCommit]] = await Promise.all([readCommits(repo, pageShas), readCommits(repo, [base, mergeBase])]);
  // "The list of changed files is only shown on the first page of results."
  const files = paging.page === 1 ? (await diffFiles(repo, urls, mergeBase, head, head, limits)).slice(0, limits.compareFiles) : undefined;
  const link = paging.explicit ? linkHeader(url, paging.page, Math.ceil(shas.length / paging.perPage)) : undefined;
  const html = repoHtmlUrl(repo, urls);
  return {
    status: 200,
    body: {
      url: `${repoApiUrl(repo, urls)}/compare/${basehead}`,
      html_url: `${html}/compare/${basehead}`,
      permalink_url: `${html}/compare/${repo.owner}:${base.slice(0, 7)}...${repo.owner}:${head.slice(0, 7)}`,
      diff_url: `${html}/compare/${basehead}.diff`,
      patch_url: `${html}/compare/${basehead}.patch`,
      base_commit: commitJson(repo, urls, baseCommit!),
      merge_base_commit: commitJson(repo, urls, mergeBaseCommit!),
      status: aheadBy === 0 ? (behindBy === 0 ? 'identical' : 'behind') : behindBy === 0 ? 'ahead' : 'diverged',
      ahead_by: aheadBy,
      behind_by: behindBy,
      total_commits: aheadBy,
      commits: commits.map((c) => commitJson(repo, urls, c)),
      ...(files ? { files } : {}),
    },
    headers: link ? { link } : {},
  };
}
