import { mkdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/sources/git/run.js';
import { knownWorkTreeTop } from '../../src/sources/git/work-tree.js';
import { git, gitRepo, tempDir } from '../helpers/tmp.js';

const NO_GIT_ENV = {};

describe('knownWorkTreeTop: the work tree without git, or no answer', () => {
  it('finds the top folder from it and from a subfolder, as rev-parse does', async () => {
    const repo = gitRepo();
    mkdirSync(join(repo, 'a', 'b'), { recursive: true });
    for (const cwd of [repo, join(repo, 'a', 'b')]) {
      expect(knownWorkTreeTop(cwd, NO_GIT_ENV)).toBe(repo);
      expect(realpathSync(knownWorkTreeTop(cwd, NO_GIT_ENV)!)).toBe(realpathSync(await repoRoot(cwd)));
    }
  });

  it('finds a linked work tree (a .git file)', () => {
    const repo = gitRepo();
    git(repo, 'commit', '-q', '--allow-empty', '-m', 'x');
    const linked = join(tempDir(), 'linked');
    git(repo, 'worktree', 'add', '-q', linked);
    expect(knownWorkTreeTop(join(linked), NO_GIT_ENV)).toBe(linked);
  });

  it('leaves to git: inside .git, a bare repository, no repository, and an environment that steers git', () => {
    const repo = gitRepo();
    expect(knownWorkTreeTop(join(repo, '.git'), NO_GIT_ENV)).toBeUndefined();
    expect(knownWorkTreeTop(join(repo, '.git', 'refs', 'heads'), NO_GIT_ENV)).toBeUndefined();
    const bare = join(tempDir(), 'bare.git');
    git(tempDir(), 'init', '-q', '--bare', bare);
    expect(knownWorkTreeTop(bare, NO_GIT_ENV)).toBeUndefined();
    expect(knownWorkTreeTop(join(bare, 'refs'), NO_GIT_ENV)).toBeUndefined();
    expect(knownWorkTreeTop(tempDir(), NO_GIT_ENV)).toBeUndefined();
    expect(knownWorkTreeTop(join(repo, 'missing'), NO_GIT_ENV)).toBeUndefined();
    for (const name of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_CEILING_DIRECTORIES']) {
      expect(knownWorkTreeTop(repo, { [name]: '/x' })).toBeUndefined();
    }
  });
});
