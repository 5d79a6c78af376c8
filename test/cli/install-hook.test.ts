import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateKey } from '../../src/key-format/key.js';
import { neevscan } from '../helpers/cli.js';
import { GIT_ENV, git, gitRepo, tempDir, writeTree } from '../helpers/tmp.js';

function commit(repo: string, message: string) {
  return spawnSync('git', ['commit', '-qm', message], { cwd: repo, env: { ...process.env, ...GIT_ENV, NO_COLOR: '1' }, encoding: 'utf8' });
}

describe('neevscan install-hook', () => {
  it('installs a pre-commit hook that stops a commit holding a key and lets a clean one through', () => {
    const repo = gitRepo();
    const run = neevscan(['install-hook'], { cwd: repo, env: GIT_ENV });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('installed');
    const key = generateKey();
    writeTree(repo, { 'app.env': `KEY=${key}\n` });
    git(repo, 'add', 'app.env');
    const blocked = commit(repo, 'add key');
    expect(blocked.status).not.toBe(0);
    expect(blocked.stdout + blocked.stderr).toContain('app.env:1:5');
    expect(blocked.stdout + blocked.stderr).not.toContain(key.slice(5, 37));
    expect(() => git(repo, 'rev-parse', 'HEAD')).toThrow();

    writeTree(repo, { 'app.env': 'KEY=from-the-environment\n' });
    git(repo, 'add', 'app.env');
    expect(commit(repo, 'clean').status).toBe(0);
  });

  it('honours core.hooksPath', () => {
    const repo = gitRepo();
    git(repo, 'config', 'core.hooksPath', '.githooks');
    expect(neevscan(['install-hook'], { cwd: repo, env: GIT_ENV }).status).toBe(0);
    expect(existsSync(join(repo, '.githooks', 'pre-commit'))).toBe(true);
    expect(existsSync(join(repo, '.git', 'hooks', 'pre-commit'))).toBe(false);
    writeTree(repo, { 'k.txt': generateKey() });
    git(repo, 'add', 'k.txt');
    expect(commit(repo, 'key').status).not.toBe(0);
  });

  it('keeps an existing hook, runs it first, and does not chain itself on reinstall', () => {
    const repo = gitRepo();
    const marker = join(repo, 'previous-ran');
    const hook = join(repo, '.git', 'hooks', 'pre-commit');
    writeFileSync(hook, `#!/bin/sh\ntouch '${marker}'\nexit 0\n`, { mode: 0o755 });
    expect(neevscan(['install-hook'], { cwd: repo, env: GIT_ENV }).stdout).toContain('kept as pre-commit.neevscan-previous');
    expect(neevscan(['install-hook'], { cwd: repo, env: GIT_ENV }).stdout).toContain('updated');
    expect(readFileSync(join(repo, '.git', 'hooks', 'pre-commit.neevscan-previous'), 'utf8')).toContain('previous-ran');

    writeTree(repo, { 'a.txt': 'fine\n' });
    git(repo, 'add', 'a.txt');
    expect(commit(repo, 'ok').status).toBe(0);
    expect(existsSync(marker)).toBe(true);

    // A failing earlier hook still stops the commit.
    writeFileSync(join(repo, '.git', 'hooks', 'pre-commit.neevscan-previous'), '#!/bin/sh\nexit 3\n', { mode: 0o755 });
    writeTree(repo, { 'b.txt': 'fine\n' });
    git(repo, 'add', 'b.txt');
    expect(commit(repo, 'blocked by the other hook').status).not.toBe(0);
  });

  it('outside a git repository: exit 2', () => {
    const run = neevscan(['install-hook'], { cwd: tempDir(), env: { ...GIT_ENV, GIT_CEILING_DIRECTORIES: '/tmp' } });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^neevscan: not a git repository/);
  });
});
