/** Blobs and trees read through the API, each fetched at most once per push scan. */
import type { GitHubClient } from './client.js';

export interface RepoRef {
  owner: string;
  repo: string;
}

/** A 404 or 422 means "not there" (a submodule's commit, a pruned object): the caller passes over it. */
export function isMissing(error: unknown): boolean {
  const status = (error as { status?: number }).status;
  return status === 404 || status === 422;
}

export class GitData {
  private readonly trees = new Map<string, Promise<Map<string, string> | null>>();
  /** Trees GitHub cut short (over 100,000 entries): a path missing from them may still exist. */
  private readonly truncated = new Set<string>();

  constructor(
    private readonly octokit: GitHubClient,
    private readonly where: RepoRef,
  ) {}

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
      return await readAll(data as unknown as ReadableStream<Uint8Array> | null);
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  /** The blob sha of `path` in commit (or tree) `treeish`, or null when the path is not there. */
  async blobShaAt(treeish: string, path: string): Promise<string | null> {
    const tree = await this.recursiveTree(treeish);
    const hit = tree?.get(path);
    if (hit !== undefined || (tree && !this.truncated.has(treeish))) return hit ?? null;
    return this.walkPath(treeish, path);
  }

  /** path → blob sha for the whole tree in one request; null when the commit is unknown. */
  private recursiveTree(treeish: string): Promise<Map<string, string> | null> {
    let pending = this.trees.get(treeish);
    if (!pending) {
      pending = this.octokit.git.getTree({ ...this.where, tree_sha: treeish, recursive: '1' }).then(
        ({ data }) => {
          if (data.truncated) this.truncated.add(treeish);
          return new Map(data.tree.filter((e) => e.type === 'blob' && e.path && e.sha).map((e) => [e.path!, e.sha!]));
        },
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

/** The bytes of an answer's body stream. */
async function readAll(body: ReadableStream<Uint8Array> | null): Promise<Buffer> {
  if (body === null) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  return Buffer.concat(chunks);
}
