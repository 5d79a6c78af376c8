import { GIT_ENV_OVERRIDES, gitExitError, gitStartError } from './run.js';
import { spawnGit } from './spawn-git.js';

/**
 * Runs git and hands its stdout to `onChunk` as it arrives (for outputs too
 * big to hold, such as `git log --raw` of a long history). A non-zero exit
 * becomes a NeevscanError with git's first stderr line, as runGit does.
 */
export function streamGit(args: readonly string[], cwd: string, onChunk: (chunk: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    // posix_spawn where the addon has it (no fork of Node), with a 1 MiB pipe for git's output (spawn-git.ts).
    const child = spawnGit([...GIT_ENV_OVERRIDES, ...args], cwd, 'ignore');
    const err: Buffer[] = [];
    let failed = false;
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      child.kill();
      reject(error);
    };
    child.stdout.on('data', (chunk: Buffer) => {
      if (failed) return;
      try {
        onChunk(chunk);
      } catch (error) {
        fail(error as Error);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => fail(gitStartError(error)));
    child.on('close', (code) => {
      if (failed) return;
      if (code === 0) return resolve();
      fail(gitExitError(args[0], err, code));
    });
  });
}
