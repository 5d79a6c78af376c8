import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** What steers git's own search for the repository: with any of these set, only git can say where it is. */
const DISCOVERY_ENV = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_CEILING_DIRECTORIES', 'GIT_DISCOVERY_ACROSS_FILESYSTEM', 'GIT_COMMON_DIR'];

/**
 * The top folder of the work tree holding `cwd`, when it can be told without
 * starting git (`git rev-parse --show-toplevel`, a process of its own, costs a
 * pre-commit scan several milliseconds of CPU on a small machine); undefined
 * when only git can tell. Git looks up from `cwd` for a folder holding `.git`;
 * so does this, answering only in the plain case: the first folder it meets
 * holds a `.git` entry (a folder, or the file of a linked work tree or
 * submodule), no folder on the way looks like a git folder itself (inside
 * `.git`, or a bare repository: no work tree there), the search stays on one
 * file system (git stops at a boundary), and no environment variable changes
 * git's search.
 */
export function knownWorkTreeTop(cwd: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (DISCOVERY_ENV.some((name) => env[name] !== undefined)) return undefined;
  const device = statSync(cwd, { throwIfNoEntry: false })?.dev;
  if (device === undefined) return undefined;
  for (let folder = cwd; ; folder = dirname(folder)) {
    const here = statSync(folder, { throwIfNoEntry: false });
    if (!here?.isDirectory() || here.dev !== device) return undefined;
    if (statSync(join(folder, '.git'), { throwIfNoEntry: false })) return folder;
    if (looksLikeGitFolder(folder)) return undefined;
    if (dirname(folder) === folder) return undefined;
  }
}

/** git's test for a git folder, loosely: HEAD, objects/ and refs/ (a looser test only sends more cases to git). */
function looksLikeGitFolder(folder: string): boolean {
  return ['HEAD', 'objects', 'refs'].some((name) => statSync(join(folder, name), { throwIfNoEntry: false }) !== undefined);
}
