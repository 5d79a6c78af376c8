/**
 * spawnGit (src/sources/git/spawn-git.ts): git started by the addon's posix_spawn must behave as Node's spawn
 * did for every caller: output, exit codes, stderr, stdin, a missing git, kill, and signals at their defaults.
 */
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GitChild } from '../../src/sources/git/spawn-git.js';
import { spawnGit } from '../../src/sources/git/spawn-git.js';
import { nativePrefilter } from '../../src/sources/native-prefilter.js';
import { git, gitRepo } from '../helpers/tmp.js';

/** Everything a child said and how it ended. */
async function outcome(child: GitChild): Promise<{ stdout: string; stderr: string; code: number | null; signal: string | null }> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const [code, signal] = (await once(child, 'close')) as [number | null, string | null];
  return { stdout, stderr, code, signal };
}

describe('spawnGit', () => {
  it('is the addon’s posix_spawn on this machine', () => {
    expect(typeof nativePrefilter()?.spawnPiped).toBe('function');
  });

  it('runs in cwd, with stdin from /dev/null or a pipe, and gives exit codes and stderr as git wrote them', async () => {
    const repo = gitRepo();
    const top = await outcome(spawnGit(['rev-parse', '--show-toplevel'], join(repo), 'ignore'));
    expect(top).toEqual({ stdout: `${git(repo, 'rev-parse', '--show-toplevel')}\n`, stderr: '', code: 0, signal: null });

    const hashing = spawnGit(['hash-object', '--stdin'], repo, 'pipe');
    hashing.stdin!.end('hello\n');
    expect((await outcome(hashing)).stdout.trim()).toBe('ce013625030ba8dba906f756967f9e9ca394464a');

    const failed = await outcome(spawnGit(['rev-parse', '--verify', '--quiet', 'no-such-ref^{commit}'], repo, 'ignore'));
    expect(failed.code).toBe(1);
    const fatal = await outcome(spawnGit(['no-such-command'], repo, 'ignore'));
    expect(fatal.code).toBe(1);
    expect(fatal.stderr).toContain("'no-such-command' is not a git command");
  });

  it('reports a git that cannot be found as an ENOENT error event, then close, never a throw', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    let child: GitChild;
    try {
      child = spawnGit(['--version'], process.cwd(), 'pipe');
    } finally {
      process.env.PATH = path;
    }
    const events: string[] = [];
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => {
      let failure: NodeJS.ErrnoException;
      child.on('error', (e: NodeJS.ErrnoException) => (events.push('error'), (failure = e)));
      child.on('close', () => (events.push('close'), resolve(failure)));
    });
    expect(error.code).toBe('ENOENT');
    expect(events).toEqual(['error', 'close']);
  });

  it('kills, and leaves signals at their defaults: git writing to a closed pipe dies of SIGPIPE as from a shell', async () => {
    const repo = gitRepo();
    const waiting = spawnGit(['cat-file', '--batch'], repo, 'pipe');
    setTimeout(() => waiting.kill(), 50);
    expect(await outcome(waiting)).toMatchObject({ code: null, signal: 'SIGTERM' });

    // Node ignores SIGPIPE; a child that inherited that would see EPIPE and exit 128 instead.
    writeFileSync(join(repo, 'blob.txt'), 'x'.repeat(100_000));
    const blob = git(repo, 'hash-object', '-w', 'blob.txt');
    const writer = spawnGit(['cat-file', '--batch'], repo, 'pipe');
    writer.stdin!.on('error', () => {});
    writer.stdout.once('data', () => writer.stdout.destroy());
    writer.stdin!.end(`${blob}\n`.repeat(2000));
    const [code, signal] = (await once(writer, 'close')) as [number | null, string | null];
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGPIPE' });
  });
});
