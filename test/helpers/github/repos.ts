/** The repositories a test registers: where each lives on disk and how GitHub would describe it. */
import { gitSync } from './git.js';
import { isoSeconds } from './http.js';

export interface RepoOptions {
  owner: string;
  name: string;
  /** A local git repository, bare or not. */
  path: string;
  private?: boolean;
  /** Defaults to the branch HEAD points at. */
  defaultBranch?: string;
  /** The GitHub App installation that can see this repository; tokens of other installations get 404. */
  installationId?: number;
  /** A local git repository served as the repository's wiki (`/{owner}/{name}.wiki.git`, git smart HTTP). */
  wikiPath?: string;
}

export interface Repo extends Required<Omit<RepoOptions, 'installationId' | 'wikiPath'>> {
  id: number;
  installationId: number | undefined;
  wikiPath: string | undefined;
  createdAt: string;
}

/** Where the URLs in answers point: the stand-in for the API, github.com-like for pages. */
export interface Urls {
  api: string;
  html: string;
}

export class RepoRegistry {
  private readonly byName = new Map<string, Repo>();
  private nextId = 1000;

  add(options: RepoOptions): Repo {
    const defaultBranch = options.defaultBranch ?? gitSync(options.path, ['symbolic-ref', '--short', 'HEAD']) ?? 'main';
    const repo: Repo = {
      owner: options.owner,
      name: options.name,
      path: options.path,
      private: options.private ?? false,
      defaultBranch,
      installationId: options.installationId,
      wikiPath: options.wikiPath,
      id: this.nextId++,
      createdAt: isoSeconds(Date.now()),
    };
    this.byName.set(key(repo.owner, repo.name), repo);
    return repo;
  }

  /** GitHub matches owner and repository names without regard to case. */
  get(owner: string, name: string): Repo | undefined {
    return this.byName.get(key(owner, name));
  }

  installationIds(): Set<number> {
    return new Set([...this.byName.values()].flatMap((r) => (r.installationId === undefined ? [] : [r.installationId])));
  }
}

const key = (owner: string, name: string) => `${owner.toLowerCase()}/${name.toLowerCase()}`;

export function repoApiUrl(repo: Repo, urls: Urls): string {
  return `${urls.api}/repos/${repo.owner}/${repo.name}`;
}

export function repoHtmlUrl(repo: Repo, urls: Urls): string {
  return `${urls.html}/${repo.owner}/${repo.name}`;
}

const nodeId = (kind: string, id: number | string) => Buffer.from(`${kind}${id}`).toString('base64');

/** GET /repos/{owner}/{repo}: the "full repository" fields a client reads. */
export function repoJson(repo: Repo, urls: Urls): Record<string, unknown> {
  const api = repoApiUrl(repo, urls);
  return {
    id: repo.id,
    node_id: nodeId('010:Repository', repo.id),
    name: repo.name,
    full_name: `${repo.owner}/${repo.name}`,
    private: repo.private,
    owner: {
      login: repo.owner,
      id: ownerId(repo.owner),
      node_id: nodeId('012:Organization', ownerId(repo.owner)),
      type: 'Organization',
      url: `${urls.api}/users/${repo.owner}`,
      html_url: `${urls.html}/${repo.owner}`,
      site_admin: false,
    },
    html_url: repoHtmlUrl(repo, urls),
    description: null,
    fork: false,
    url: api,
    commits_url: `${api}/commits{/sha}`,
    compare_url: `${api}/compare/{base}...{head}`,
    git_url: `git://${new URL(urls.html).host}/${repo.owner}/${repo.name}.git`,
    clone_url: `${repoHtmlUrl(repo, urls)}.git`,
    created_at: repo.createdAt,
    updated_at: repo.createdAt,
    pushed_at: repo.createdAt,
    size: 0,
    archived: false,
    disabled: false,
    visibility: repo.private ? 'private' : 'public',
    default_branch: repo.defaultBranch,
  };
}

/** A stable made-up account id for an owner name. */
function ownerId(owner: string): number {
  let h = 0;
  for (const c of owner.toLowerCase()) h = (h * 31 + c.charCodeAt(0)) % 1_000_000;
  return 100_000 + h;
}
