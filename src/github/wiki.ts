/**
 * What a wiki edit added. A GitHub wiki is a git repository
 * (`{repository}.wiki.git`) with no REST endpoint for its pages, so its
 * commits are fetched with git itself, shallowly (each page's commit and its
 * parent), into a temporary bare repository that is removed afterwards.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CompiledRule } from '../rules/types.js';
import { scanFragment } from '../scanner/fragment.js';
import { parseAddedLines } from '../sources/git/diff.js';
import { runGit } from '../sources/git/run.js';
import type { ContentFinding } from '../core/push-finding.js';

/** A wiki page bigger than this is not read (wikis hold prose; this bounds a hostile page's cost). */
const MAX_PAGE_BYTES = 8 * 1024 * 1024;
/** Longest a fetch may take before the job fails and is retried. */
const FETCH_TIMEOUT_MS = 60_000;
const SHA = /^[0-9a-f]{40}$/;

export interface WikiScan {
  /** Page content only: a wiki page's file name is its title, which the delivery itself carries and the receiver scans. */
  findings: ContentFinding[];
  /** Pages left unread because they were binary or too big. */
  skipped: number;
}

/**
 * The wiki's git URL for a repository, or null when its clone URL is not on
 * the GitHub the service talks to: an installation token is only ever sent to
 * GitHub's own host (api.github.com → github.com; GHES and the test stand-in
 * serve the API and git on one host).
 */
export function wikiGitUrl(cloneUrl: string, apiUrl: string): string | null {
  let clone: URL;
  let api: URL;
  try {
    clone = new URL(cloneUrl);
    api = new URL(apiUrl);
  } catch {
    return null;
  }
  const sameHost = clone.host === api.host || `api.${clone.host}` === api.host;
  if (!sameHost || clone.protocol !== api.protocol || clone.username || clone.password) return null;
  if (!clone.pathname.endsWith('.git')) return null;
  clone.search = '';
  clone.hash = '';
  clone.pathname = clone.pathname.replace(/\.git$/, '.wiki.git');
  return clone.toString();
}

/**
 * Fetches the given wiki commits and scans the lines each added, numbered as
 * in the new page. `token` (an installation token) is sent as git over HTTPS
 * expects it, in a header set through the environment: never on a command
 * line or in a URL, where `ps` or an error message would show it.
 */
export async function findSecretsInWikiCommits(
  gitUrl: string,
  token: string | null,
  shas: readonly string[],
  rules: readonly CompiledRule[],
): Promise<WikiScan> {
  const wanted = [...new Set(shas.filter((sha) => SHA.test(sha)))];
  if (wanted.length === 0) return { findings: [], skipped: 0 };
  const dir = await mkdtemp(join(tmpdir(), 'neevscan-wiki-'));
  try {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: dir,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_TERMINAL_PROMPT: '0',
      GIT_ALLOW_PROTOCOL: 'https:http',
      ...(token
        ? {
            GIT_CONFIG_COUNT: '1',
            GIT_CONFIG_KEY_0: 'http.extraHeader',
            GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`,
          }
        : {}),
    };
    await runGit(['init', '--bare', '-q'], dir, undefined, { env });
    await runGit(['fetch', '--depth=2', '--no-tags', '-q', gitUrl, ...wanted], dir, undefined, { env, timeoutMs: FETCH_TIMEOUT_MS });
    const scan: WikiScan = { findings: [], skipped: 0 };
    for (const sha of wanted) await scanCommit(dir, env, sha, rules, scan);
    return scan;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The added lines of one commit against its first parent (a first page: the whole file). */
async function scanCommit(dir: string, env: NodeJS.ProcessEnv, sha: string, rules: readonly CompiledRule[], scan: WikiScan): Promise<void> {
  const patch = await runGit(
    ['diff-tree', '-r', '-p', '-U0', '--root', '--no-renames', '--no-commit-id', '--src-prefix=a/', '--dst-prefix=b/', sha],
    dir,
    undefined,
    { env },
  );
  for (const [path, added] of parseAddedLines(patch)) {
    if (added.binary || added.ranges.length === 0) {
      if (added.binary) scan.skipped++;
      continue;
    }
    const size = Number((await runGit(['cat-file', '-s', `${sha}:${path}`], dir, undefined, { env })).toString().trim());
    if (size > MAX_PAGE_BYTES) {
      scan.skipped++;
      continue;
    }
    const content = await runGit(['cat-file', 'blob', `${sha}:${path}`], dir, undefined, { env });
    // The page as it stands, keeping what the edit added. A `neevscan:allow` line is scanned like any other:
    // the marker is the editor's to write (the alert records it).
    for (const f of scanFragment({ bytes: content, keep: added.ranges }, rules)) {
      scan.findings.push({
        path,
        line: f.line,
        column: f.column,
        commit: sha,
        secretSha256: f.secretSha256,
        redacted: f.redacted,
        ruleId: f.ruleId,
        ...(f.allowed ? { allowMarker: true as const } : {}),
      });
    }
  }
}
