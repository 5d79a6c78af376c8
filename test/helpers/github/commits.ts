/** Commit objects as GitHub shapes them, read from `git log`. */
import { git } from './git.js';
import { isoSeconds } from './http.js';
import { repoApiUrl, repoHtmlUrl, type Repo, type Urls } from './repos.js';

// Ten NUL-separated fields per commit; with -z git ends each commit with one more NUL. Messages cannot hold NUL.
const FORMAT = ['%H', '%T', '%P', '%an', '%ae', '%aI', '%cn', '%ce', '%cI', '%B'].join('%x00');
const FIELDS = 10;

export interface CommitInfo {
  sha: string;
  tree: string;
  parents: string[];
  author: { name: string; email: string; date: string };
  committer: { name: string; email: string; date: string };
  message: string;
}

/** The commits named by full SHAs, in that order (repeats included: git would show a repeat once). */
export async function readCommits(repo: Repo, shas: string[]): Promise<CommitInfo[]> {
  if (shas.length === 0) return [];
  const unique = [...new Set(shas)];
  const out = await git(repo.path, ['log', '--no-walk=unsorted', '-z', `--format=${FORMAT}`, '--stdin'], unique.join('\n') + '\n');
  const fields = out.toString('utf8').split('\0');
  const commits = new Map<string, CommitInfo>();
  for (let i = 0; i + FIELDS <= fields.length; i += FIELDS) {
    const [sha, tree, parents, an, ae, ad, cn, ce, cd, message] = fields.slice(i, i + FIELDS) as string[] & { length: 10 };
    commits.set(sha!, {
      sha: sha!,
      tree: tree!,
      parents: parents ? parents.split(' ') : [],
      author: { name: an!, email: ae!, date: isoSeconds(ad!) },
      committer: { name: cn!, email: ce!, date: isoSeconds(cd!) },
      message: message!.replace(/\n+$/, ''),
    });
  }
  return shas.map((sha) => commits.get(sha)!);
}

/** The "commit" shape of list, compare and get-a-commit answers (without stats and files). */
export function commitJson(repo: Repo, urls: Urls, c: CommitInfo): Record<string, unknown> {
  const api = repoApiUrl(repo, urls);
  const html = repoHtmlUrl(repo, urls);
  return {
    sha: c.sha,
    node_id: Buffer.from(`04:Commit${repo.id}:${c.sha}`).toString('base64'),
    url: `${api}/commits/${c.sha}`,
    html_url: `${html}/commit/${c.sha}`,
    comments_url: `${api}/commits/${c.sha}/comments`,
    commit: {
      author: c.author,
      committer: c.committer,
      message: c.message,
      tree: { sha: c.tree, url: `${api}/git/trees/${c.tree}` },
      url: `${api}/git/commits/${c.sha}`,
      comment_count: 0,
      verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
    },
    // GitHub fills these with the accounts whose verified emails match; local repositories have no accounts.
    author: null,
    committer: null,
    parents: c.parents.map((sha) => ({ sha, url: `${api}/commits/${sha}`, html_url: `${html}/commit/${sha}` })),
  };
}
