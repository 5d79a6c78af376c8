import { NeevscanError } from '../../errors.js';
import { childProcess, spawnGit, type GitChild } from './spawn-git.js';

/**
 * Options every git call takes: no pager, no colour, no external diff or
 * textconv drivers (they run user programs and change what we read), and C
 * quoting of odd paths only where unavoidable.
 */
export const GIT_ENV_OVERRIDES = ['-c', 'core.quotePath=false', '-c', 'color.ui=never', '-c', 'diff.external=', '-c', 'core.pager=cat'];

/** git could not be started: a missing git named as such. */
export function gitStartError(error: NodeJS.ErrnoException): NeevscanError {
  return error.code === 'ENOENT'
    ? new NeevscanError('git is not installed (or not on PATH)', 'git-missing')
    : new NeevscanError(`git: ${error.message}`, 'git-failed');
}

/** Whether `error` says git could not be started at all: then "not a git repository" would be the wrong answer. */
const gitMissing = (error: unknown) => error instanceof NeevscanError && error.code === 'git-missing';

/** git `command` ended with `code`: its first line on stderr (or the status), without git's "fatal: ". */
export function gitExitError(command: string | undefined, stderr: Buffer[], code: number | null): NeevscanError {
  const line = Buffer.concat(stderr).toString('utf8').trim().split('\n')[0] || `exit status ${code}`;
  return new NeevscanError(`git ${command}: ${line.replace(/^fatal: /, '')}`, 'git-failed');
}

/** Runs git and returns its stdout as bytes; a non-zero exit becomes a NeevscanError with git's first stderr line. */
export function runGit(
  args: readonly string[],
  cwd: string,
  input?: Buffer | string,
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // Without input, stdin is /dev/null, which git reads as an ended pipe: one pipe fewer to set up per process.
    const stdin = input === undefined ? 'ignore' : 'pipe';
    const argv = [...GIT_ENV_OVERRIDES, ...args];
    // Without an environment or a timeout of its own, posix_spawn where the addon has it (spawn-git.ts): no fork of Node.
    const child: GitChild =
      options.env === undefined && options.timeoutMs === undefined
        ? spawnGit(argv, cwd, stdin)
        : (childProcess().spawn('git', argv, {
            cwd,
            stdio: [stdin, 'pipe', 'pipe'],
            env: options.env ?? process.env,
            timeout: options.timeoutMs,
          }) as GitChild);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => reject(gitStartError(error)));
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(gitExitError(args[0], err, code))));
    if (input !== undefined) {
      child.stdin!.on('error', () => {}); // git may exit before reading all input; its exit status tells
      child.stdin!.end(input);
    }
  });
}

/** The top folder of the git work tree holding `cwd`; a clear error outside one. */
export async function repoRoot(cwd: string): Promise<string> {
  try {
    const top = (await runGit(['rev-parse', '--show-toplevel'], cwd)).toString('utf8').trim();
    if (!top) throw new Error('bare');
    return top;
  } catch (error) {
    if (gitMissing(error)) throw error;
    throw new NeevscanError(`not a git repository (or inside .git, or bare): ${cwd}`, 'not-a-repo');
  }
}

/**
 * Where history commands run for `cwd`: `cwd` itself inside a work tree (git's
 * history commands read the whole repository from any of its folders, and one
 * git process fewer starts before the log), or the git folder itself for a bare
 * or mirror clone (or from inside a `.git` folder), where history is all there is.
 */
export async function historyRoot(cwd: string): Promise<string> {
  let answer: string[];
  try {
    const args = ['rev-parse', '--is-bare-repository', '--is-inside-git-dir', '--is-inside-work-tree', '--absolute-git-dir'];
    answer = (await runGit(args, cwd)).toString('utf8').trim().split('\n');
  } catch (error) {
    if (gitMissing(error)) throw error;
    throw new NeevscanError(`not a git repository: ${cwd}`, 'not-a-repo');
  }
  const [bare, insideGitDir, insideWorkTree, gitDir] = answer;
  if ((bare === 'true' || insideGitDir === 'true') && gitDir) return gitDir;
  if (insideWorkTree === 'true') return cwd;
  return repoRoot(cwd);
}
