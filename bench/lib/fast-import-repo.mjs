// Small generated repositories for the benchmarks that serve them through the GitHub stand-in: one branch, one
// file added or replaced per commit, written with a single `git fast-import` (far faster than a commit per process).
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { GIT_ENV } from './git-env.mjs';

// LC_ALL=C: git's output is parsed, so it must not be translated.
const env = { ...GIT_ENV, LC_ALL: 'C' };

/** Runs git in `dir` (with `input` on its stdin) and returns its output, trimmed. */
export const git = (dir, args, input) =>
  execFileSync('git', ['-C', dir, ...args], { env, input, encoding: 'utf8', maxBuffer: 1 << 28 }).trim();

/**
 * Makes `dir` (emptied first) a repository whose branch main has one commit per `commits` entry
 * (`{ message, path, content }`, oldest first), each a second after the last from a fixed start, so that the same
 * commits give the same SHAs every run. `author` and `committer` are `Name <email>`. Returns the SHAs, oldest first.
 */
export function buildRepo(dir, commits, { author = 'Bench <bench@example.com>', committer = author } = {}) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  git(dir, ['init', '-q', '-b', 'main']);
  const data = (text) => `data ${Buffer.byteLength(text)}\n${text}\n`;
  let stream = '';
  let t = 1_700_000_000;
  commits.forEach(({ message, path, content }, i) => {
    stream += `commit refs/heads/main\nmark :${i + 1}\n`;
    stream += `author ${author} ${t} +0000\ncommitter ${committer} ${t++} +0000\n`;
    stream += data(message);
    if (i > 0) stream += `from :${i}\n`;
    stream += `M 100644 inline ${path}\n${data(content)}`;
  });
  git(dir, ['fast-import', '--quiet'], stream);
  return git(dir, ['rev-list', '--reverse', 'main']).split('\n');
}
