/** GET /repos/{owner}/{repo}/git/blobs/{sha} and …/git/trees/{sha}: objects straight from the object database. */
import type { RepoCtx } from './context.js';
import { git, gitText, safeRef } from './git.js';
import { notFound, type Reply } from './http.js';
import { readCommits } from './commits.js';
import { repoApiUrl, repoHtmlUrl } from './repos.js';

/** Base64 in lines of 60 characters, each ended by a newline, as GitHub sends blob content. */
export function base64Lines(bytes: Buffer): string {
  const b64 = bytes.toString('base64');
  let out = '';
  for (let i = 0; i < b64.length; i += 60) out += b64.slice(i, i + 60) + '\n';
  return out;
}

export async function getBlob(ctx: RepoCtx): Promise<Reply> {
  const { repo } = ctx;
  const sha = ctx.params.sha!;
  if (!/^[0-9a-f]{4,64}$/i.test(sha)) throw notFound();
  const type = await gitText(repo.path, ['cat-file', '-t', sha]).catch(() => null);
  if (type !== 'blob') throw notFound();
  const full = await gitText(repo.path, ['rev-parse', sha]);
  const bytes = await git(repo.path, ['cat-file', 'blob', full]);
  if (String(ctx.headers.accept ?? '').includes('application/vnd.github.raw')) {
    return { status: 200, body: bytes, headers: { 'content-type': 'application/vnd.github.raw' } };
  }
  return {
    status: 200,
    body: {
      sha: full,
      node_id: Buffer.from(`04:Blob${repo.id}:${full}`).toString('base64'),
      size: bytes.length,
      url: `${repoApiUrl(repo, ctx.urls)}/git/blobs/${full}`,
      content: base64Lines(bytes),
      encoding: 'base64',
    },
  };
}

const LS_TREE_LINE = /^(\d+) (\w+) ([0-9a-f]+) +(-|\d+)\t(.*)$/s;

/** A tree by tree SHA, commit SHA or ref; `recursive` with any value lists subtrees too (as GitHub reads it). */
export async function getTree(ctx: RepoCtx): Promise<Reply> {
  const { repo, limits } = ctx;
  const ref = safeRef(ctx.params.sha!);
  if (!ref) throw notFound();
  const tree = await gitText(repo.path, ['rev-parse', '--verify', '--quiet', `${ref}^{tree}`]).catch(() => null);
  if (!tree) throw notFound();
  const recursive = ctx.url.searchParams.has('recursive');
  const out = await git(repo.path, ['ls-tree', '-z', '-l', '--full-tree', ...(recursive ? ['-r', '-t'] : []), tree]);
  const api = repoApiUrl(repo, ctx.urls);
  const entries = out
    .toString('utf8')
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const [, mode, type, sha, size, path] = LS_TREE_LINE.exec(line) ?? [];
      return {
        path: path!,
        mode: mode!,
        type: type!,
        sha: sha!,
        ...(type === 'blob' ? { size: Number(size) } : {}),
        ...(type === 'blob' || type === 'tree' ? { url: `${api}/git/${type}s/${sha}` } : {}),
      };
    });
  return {
    status: 200,
    body: {
      sha: tree,
      url: `${api}/git/trees/${tree}`,
      tree: entries.slice(0, limits.treeEntries),
      truncated: entries.length > limits.treeEntries,
    },
  };
}

/**
 * GET /repos/{o}/{r}/git/commits/{commit_sha} (Get a commit object, Git Data API): the commit without
 * its files, `{ sha, node_id, url, html_url, author, committer, message, tree, parents, verification }`.
 * GitHub takes a full or abbreviated SHA here, not a ref name; anything else is a 404.
 */
export async function getGitCommit(ctx: RepoCtx): Promise<Reply> {
  const { repo } = ctx;
  const sha = ctx.params.sha!;
  if (!/^[0-9a-f]{4,40}$/i.test(sha)) throw notFound();
  const full = await gitText(repo.path, ['rev-parse', '--verify', '--quiet', `${sha}^{commit}`]).catch(() => null);
  if (!full || !full.startsWith(sha.toLowerCase())) throw notFound();
  const [c] = await readCommits(repo, [full]);
  const api = repoApiUrl(repo, ctx.urls);
  return {
    status: 200,
    body: {
      sha: c!.sha,
      node_id: Buffer.from(`04:Commit${repo.id}:${c!.sha}`).toString('base64'),
      url: `${api}/git/commits/${c!.sha}`,
      html_url: `${repoHtmlUrl(repo, ctx.urls)}/commit/${c!.sha}`,
      author: c!.author,
      committer: c!.committer,
      message: c!.message,
      tree: { sha: c!.tree, url: `${api}/git/trees/${c!.tree}` },
      parents: c!.parents.map((p) => ({ sha: p, url: `${api}/git/commits/${p}`, html_url: `${repoHtmlUrl(repo, ctx.urls)}/commit/${p}` })),
      verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
    },
  };
}
