/** Runs git for the stand-in: real answers from real repositories, never the machine's or the user's config. */
import { spawn, spawnSync } from 'node:child_process';

export const GIT_ENV: Record<string, string> = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
  LC_ALL: 'C',
};

export class GitError extends Error {
  constructor(
    readonly args: string[],
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')} failed (${code}): ${stderr.trim()}`);
  }
}

/** Runs `git -C repo ARGS`, resolving to stdout as bytes; rejects with GitError on a non-zero exit. */
export function git(repo: string, args: string[], input?: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['-C', repo, ...args], {
      env: { ...process.env, ...GIT_ENV },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new GitError(args, code, Buffer.concat(err).toString('utf8')));
    });
    // git may exit (with an error we report) before reading all its input.
    child.stdin?.on('error', () => {});
    child.stdin?.end(input);
  });
}

/** git, as text with the trailing newline removed. */
export async function gitText(repo: string, args: string[], input?: string): Promise<string> {
  return (await git(repo, args, input)).toString('utf8').replace(/\n$/, '');
}

/** Synchronous form, for the few answers needed when a repository is registered. */
export function gitSync(repo: string, args: string[]): string | null {
  const result = spawnSync('git', ['-C', repo, ...args], { env: { ...process.env, ...GIT_ENV }, encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : null;
}

/** A ref a client sent, or null when git must not see it (an option, a range, a control character). */
export function safeRef(ref: string): string | null {
  // A leading '-' would be read as an option; '..' and ':' make ranges and tree paths of a plain name.
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
  if (!ref || ref.startsWith('-') || ref.includes('..') || /[\0-\x1f\x7f :]/.test(ref)) return null;
  return ref;
}

/**
 * Full commit SHAs already found in a repository. A commit named by its full SHA never stops existing (a force push
 * leaves it in place, as on GitHub), so the answer is kept: a check run on a pushed commit that a compare already
 * resolved costs no git process. That process is the stand-in's cost, not GitHub's, and load benchmarks pay it at
 * every push. Branch names and short SHAs move, so they are always asked of git; so is every miss.
 */
const knownCommits = new Set<string>();
const KNOWN_COMMITS_MAX = 200_000;

/** The full SHA of a commit-ish, or null when the repository has no such commit. */
export async function resolveCommit(repo: string, ref: string): Promise<string | null> {
  const safe = safeRef(ref);
  if (!safe) return null;
  const full = /^[0-9a-f]{40}$/.test(safe);
  if (full && knownCommits.has(`${repo}\0${safe}`)) return safe;
  try {
    const sha = await gitText(repo, ['rev-parse', '--verify', '--quiet', `${safe}^{commit}`]);
    if (knownCommits.size >= KNOWN_COMMITS_MAX) knownCommits.clear();
    knownCommits.add(`${repo}\0${sha}`);
    return sha;
  } catch {
    return null;
  }
}
