/** Blobs and trees read through the API, each fetched at most once per push scan. */
import type { GitHubClient } from './client.js';
import { readAnswerBody } from './answer-body.js';

export interface RepoRef {
  owner: string;
  repo: string;
}

/** A 404 or 422 means "not there" (a submodule's commit, a pruned object): the caller passes over it. */
export function isMissing(error: unknown): boolean {
  const status = (error as { status?: number }).status;
  return status === 404 || status === 422;
}

/** A blob (or symbolic link) of a recursive tree. */
export interface TreeBlob {
  sha: string;
  size: number;
  mode: string;
}

/** A commit's whole tree: path → blob; `truncated` when GitHub cut the listing short (over 100,000 entries or 7 MB). */
export interface RecursiveTree {
  blobs: Map<string, TreeBlob>;
  truncated: boolean;
}

const TREES_KEPT = 6;

export class GitData {
  private readonly trees = new Map<string, Promise<RecursiveTree | null>>();

  constructor(
    private readonly octokit: GitHubClient,
    private readonly where: RepoRef,
  ) {}

  /** The client this reads with (a push walk lists commits with the same one). */
  get client(): GitHubClient {
    return this.octokit;
  }

  /**
   * A blob's bytes, or null when GitHub has no such blob. Not cached: callers keep what they derive.
   *
   * Read raw (`application/vnd.github.raw`) and unparsed: the JSON form holds the blob in base64, a third
   * larger, and Octokit parses JSON with json-with-bigint, whose scan of a long string overflows the stack
   * on Node 20 for blobs of about 6 MB and up; it then hands back the text unparsed, so such a blob was
   * never scanned (the job failed on every attempt). Blobs go up to 100 MB on GitHub.
   */
  async blob(sha: string): Promise<Buffer | null> {
    try {
      const { data } = await this.octokit.git.getBlob({
        ...this.where,
        file_sha: sha,
        headers: { accept: 'application/vnd.github.raw' },
        request: { parseSuccessResponseBody: false },
      });
      return await readAnswerBody(data as unknown as ReadableStream<Uint8Array> | null);
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  /** The blob sha of `path` in commit (or tree) `treeish`, or null when the path is not there. */
  async blobShaAt(treeish: string, path: string): Promise<string | null> {
    const tree = await this.tree(treeish);
    const hit = tree?.blobs.get(path)?.sha;
    if (hit !== undefined || (tree && !tree.truncated)) return hit ?? null;
    return this.walkPath(treeish, path);
  }

  /**
   * A commit's first parent (null for a root commit) and message, from the Git Data API (no file list);
   * undefined when GitHub has no such commit.
   */
  async commit(commit: string): Promise<{ parent: string | null; message: string } | undefined> {
    try {
      const { data } = await this.octokit.git.getCommit({ ...this.where, commit_sha: commit });
      return { parent: data.parents[0]?.sha ?? null, message: typeof data.message === 'string' ? data.message : '' };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  /** The first parent of a commit, or null for a root commit; undefined when GitHub has no such commit. */
  async firstParent(commit: string): Promise<string | null | undefined> {
    return (await this.commit(commit))?.parent;
  }

  /** The whole tree of a commit (or tree) in one request, remembered for the scan; null when the commit is unknown. */
  tree(treeish: string): Promise<RecursiveTree | null> {
    let pending = this.trees.get(treeish);
    if (!pending) {
      // A walk reads a tree per commit, each up to 100,000 entries: keep only the last few (a commit's, its parent's).
      if (this.trees.size >= TREES_KEPT) this.trees.delete(this.trees.keys().next().value!);
      pending = this.octokit.git.getTree({ ...this.where, tree_sha: treeish, recursive: '1' }).then(
        ({ data }) => ({
          truncated: data.truncated === true,
          blobs: new Map(
            data.tree
              .filter((e) => e.type === 'blob' && e.path && e.sha)
              .map((e) => [e.path!, { sha: e.sha!, size: e.size ?? 0, mode: e.mode ?? '100644' }]),
          ),
        }),
        (error: unknown) => {
          if (isMissing(error)) return null;
          throw error;
        },
      );
      this.trees.set(treeish, pending);
    }
    return pending;
  }

  /** A truncated recursive tree (over 100,000 entries) may miss the path: walk down to it, one folder at a time. */
  private async walkPath(treeish: string, path: string): Promise<string | null> {
    let current = treeish;
    const parts = path.split('/');
    for (const [index, name] of parts.entries()) {
      let entries;
      try {
        entries = (await this.octokit.git.getTree({ ...this.where, tree_sha: current })).data.tree;
      } catch (error) {
        if (isMissing(error)) return null;
        throw error;
      }
      const entry = entries.find((e) => e.path === name);
      if (!entry?.sha) return null;
      const last = index === parts.length - 1;
      if (last) return entry.type === 'blob' ? entry.sha : null;
      if (entry.type !== 'tree') return null;
      current = entry.sha;
    }
    return null;
  }
}
