/** GET /repos/{owner}/{repo}/commits and GET /repos/{owner}/{repo}/commits/{ref}. */
import { commitJson, readCommits } from './commits.js';
import type { RepoCtx } from './context.js';
import { diffFiles } from './diff.js';
import { git, gitText, resolveCommit } from './git.js';
import { HttpError, linkHeader, notFound, readPage, type Reply } from './http.js';

/** List commits: newest first from `sha` (default: the default branch), 30 a page by default, at most 100. */
export async function listCommits(ctx: RepoCtx): Promise<Reply> {
  const { repo, url } = ctx;
  const start = await resolveCommit(repo.path, url.searchParams.get('sha') || repo.defaultBranch);
  if (!start) {
    if (!url.searchParams.get('sha') && !(await hasCommits(repo.path))) throw new HttpError(409, 'Git Repository is empty.');
    throw notFound();
  }
  const pathArgs = url.searchParams.get('path') ? ['--', url.searchParams.get('path')!] : [];
  const { page, perPage } = readPage(url.searchParams, 30, 100);
  const total = Number(await gitText(repo.path, ['rev-list', '--count', start, ...pathArgs]));
  const shas = (await gitText(repo.path, ['rev-list', `--skip=${(page - 1) * perPage}`, `--max-count=${perPage}`, start, ...pathArgs]))
    .split('\n')
    .filter(Boolean);
  const commits = await readCommits(repo, shas);
  const link = linkHeader(url, page, Math.ceil(total / perPage));
  return { status: 200, body: commits.map((c) => commitJson(repo, ctx.urls, c)), headers: link ? { link } : {} };
}

/** Get a commit: the commit, its stats, and its files against its first parent, 300 a page up to 3000. */
export async function getCommit(ctx: RepoCtx): Promise<Reply> {
  const { repo, url, limits } = ctx;
  const ref = ctx.params.ref!;
  const sha = await resolveCommit(repo.path, ref);
  if (!sha) throw new HttpError(422, `No commit found for SHA: ${ref}`);
  if (String(ctx.headers.accept ?? '').includes('application/vnd.github.sha')) {
    return { status: 200, body: Buffer.from(sha), headers: { 'content-type': 'application/vnd.github.sha; charset=utf-8' } };
  }
  const [commit] = await readCommits(repo, [sha]);
  const from = commit!.parents[0] ?? (await emptyTree(repo.path));
  const all = await diffFiles(repo, ctx.urls, from, sha, sha, limits);
  const { page, perPage } = readPage(url.searchParams, limits.commitFilesPerPage, limits.commitFilesPerPage);
  const files = all.slice(0, limits.commitFilesTotal);
  const additions = all.reduce((n, f) => n + f.additions, 0);
  const deletions = all.reduce((n, f) => n + f.deletions, 0);
  const link = linkHeader(url, page, Math.ceil(files.length / perPage));
  return {
    status: 200,
    body: {
      ...commitJson(repo, ctx.urls, commit!),
      stats: { total: additions + deletions, additions, deletions },
      files: files.slice((page - 1) * perPage, page * perPage),
    },
    headers: link ? { link } : {},
  };
}

async function hasCommits(path: string): Promise<boolean> {
  return (await gitText(path, ['rev-list', '--all', '--max-count=1'])) !== '';
}

/** The empty tree's id in this repository's hash (a root commit is diffed against it). */
export async function emptyTree(path: string): Promise<string> {
  return (await git(path, ['hash-object', '-t', 'tree', '--stdin'])).toString('utf8').trim();
}
