/**
 * The documented hook set-ups (docs/cli.md), run for real: the pre-commit framework (Debian's
 * `pre-commit`, which .ci/run installs) installing this repository as a hook
 * repo the way a user's `.pre-commit-config.yaml` does, and the husky and
 * lefthook snippets. For each: a clean commit passes; a commit adding a key is
 * refused, naming the file, and the key is never printed. lefthook is not a
 * devDependency (its npm package's install script runs `lefthook install` in
 * the repository that installs it, which npm 10 would do in a contributor's
 * clone): its test runs when a `lefthook` binary is on PATH (or LEFTHOOK_BIN).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generateKey } from '../../src/key-format/key.js';
import { GIT_ENV, git, gitRepo, tempDir } from '../helpers/tmp.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// Kept between runs (a fresh clone starts cold): pre-commit installs a hook repo once per revision.
const PRE_COMMIT_HOME = join(ROOT, 'node_modules', '.cache', 'neevscan-pre-commit');
const SKIP = process.env.NEEVSCAN_SKIP_PRE_COMMIT === '1';

function commit(repo: string, message: string, env: NodeJS.ProcessEnv = {}) {
  const run = spawnSync('git', ['commit', '-qm', message], {
    cwd: repo,
    env: { ...process.env, ...GIT_ENV, NO_COLOR: '1', ...env },
    encoding: 'utf8',
  });
  return { status: run.status, output: run.stdout + run.stderr };
}

/** Stages a file holding a key made now, commits, and checks the commit was refused and the key not shown. */
function expectKeyRefused(repo: string, env: NodeJS.ProcessEnv = {}) {
  const key = generateKey();
  mkdirSync(join(repo, 'config'), { recursive: true });
  writeFileSync(join(repo, 'config', 'app.env'), `NAME=demo\nNEEV_API_KEY=${key}\n`);
  git(repo, 'add', 'config/app.env');
  const before = git(repo, 'rev-parse', 'HEAD');
  const refused = commit(repo, 'add a key', env);
  expect(refused.status, refused.output).not.toBe(0);
  expect(refused.output).toContain('config/app.env:2:14');
  expect(refused.output).not.toContain(key.slice(5, 37));
  expect(git(repo, 'rev-parse', 'HEAD')).toBe(before);
}

/**
 * re2's install script downloads its prebuilt binding from GitHub and compiles
 * it (minutes) when that fails. Serve it from a local mirror, as
 * RE2_DOWNLOAD_MIRROR allows: the binding npm ci built here.
 */
function re2Mirror(): NodeJS.ProcessEnv {
  const dir = tempDir();
  copyFileSync(
    join(ROOT, 'node_modules', 're2', 'build', 'Release', 're2.node'),
    join(dir, `${process.platform}-${process.arch}-${process.versions.modules}`),
  );
  return { RE2_DOWNLOAD_MIRROR: dir, RE2_DOWNLOAD_SKIP_PATH: '1', RE2_DOWNLOAD_SKIP_VER: '1' };
}

describe.skipIf(SKIP)('the pre-commit framework', () => {
  it(
    'installs neevscan from this repository (pre-commit 3.0 and later), passes a clean commit, refuses one adding a key',
    () => {
      const version = spawnSync('pre-commit', ['--version'], { encoding: 'utf8' });
      if (version.status !== 0)
        throw new Error(
          'pre-commit is not installed: apt-get install pre-commit (.ci/run does), or NEEVSCAN_SKIP_PRE_COMMIT=1 to skip this test',
        );
      // The hook repo is this checkout at its last commit, as a user's config names a tag of the published repo.
      const rev = git(ROOT, 'rev-parse', 'HEAD');
      const repo = gitRepo();
      writeFileSync(
        join(repo, '.pre-commit-config.yaml'),
        `repos:\n  - repo: ${ROOT}\n    rev: ${rev}\n    hooks:\n      - id: neevscan\n`,
      );
      writeFileSync(join(repo, 'README.md'), '# demo\n');
      const env = { PRE_COMMIT_HOME, ...re2Mirror() };
      const installed = spawnSync('pre-commit', ['install'], { cwd: repo, env: { ...process.env, ...GIT_ENV, ...env }, encoding: 'utf8' });
      expect(installed.status, installed.stderr).toBe(0);
      git(repo, 'add', '-A');
      const started = performance.now();
      const clean = commit(repo, 'clean', env);
      const seconds = (performance.now() - started) / 1000;
      expect(clean.status, clean.output).toBe(0);
      expect(clean.output).toMatch(/neevscan \(NeevCloud API keys and other secrets\)\.+Passed/);
      const cold = clean.output.includes('Installing environment');
      console.log(
        `pre-commit (${version.stdout.trim()}): first commit ${seconds.toFixed(1)} s, ${cold ? 'installing the hook environment (cold cache)' : 'environment already installed'}`,
      );
      expectKeyRefused(repo, env);
    },
    15 * 60_000,
  );
});

/** A lefthook binary: LEFTHOOK_BIN, or `lefthook` on PATH. */
function findLefthook(): string | undefined {
  const candidates = [process.env.LEFTHOOK_BIN, ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'lefthook'))];
  return candidates.find((file) => file && spawnSync(file, ['version'], { stdio: 'ignore' }).status === 0);
}
const LEFTHOOK = findLefthook();

describe('husky and lefthook (the documented snippets)', () => {
  /** A project with neevscan installed, as `npm i -D neevscan` leaves it (linked to this checkout). */
  function project(): string {
    const repo = gitRepo();
    writeFileSync(join(repo, 'package.json'), '{ "name": "demo", "private": true }\n');
    mkdirSync(join(repo, 'node_modules', '.bin'), { recursive: true });
    symlinkSync(ROOT, join(repo, 'node_modules', 'neevscan'));
    symlinkSync('../neevscan/bin/neevscan.js', join(repo, 'node_modules', '.bin', 'neevscan'));
    return repo;
  }
  const PATH = `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH}`;

  it('husky: .husky/pre-commit runs neevscan scan --staged', () => {
    const repo = project();
    const husky = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'husky', 'bin.js')], {
      cwd: repo,
      env: { ...process.env, ...GIT_ENV },
      encoding: 'utf8',
    });
    expect(husky.status, husky.stderr).toBe(0);
    expect(git(repo, 'config', 'core.hooksPath')).toBe('.husky/_');
    writeFileSync(join(repo, '.husky', 'pre-commit'), 'npx --no-install neevscan scan --staged\n');
    git(repo, 'add', '-A');
    const clean = commit(repo, 'clean', { PATH });
    expect(clean.status, clean.output).toBe(0);
    expectKeyRefused(repo, { PATH });
  });

  it.skipIf(!LEFTHOOK)('lefthook: lefthook.yml runs neevscan scan --staged (when a lefthook binary is on PATH)', () => {
    const repo = project();
    writeFileSync(
      join(repo, 'lefthook.yml'),
      'pre-commit:\n  commands:\n    neevscan:\n      run: npx --no-install neevscan scan --staged\n',
    );
    const install = spawnSync(LEFTHOOK!, ['install'], { cwd: repo, env: { ...process.env, ...GIT_ENV }, encoding: 'utf8' });
    expect(install.status, install.stdout + install.stderr).toBe(0);
    git(repo, 'add', '-A');
    const env = { PATH, LEFTHOOK_BIN: LEFTHOOK! };
    const clean = commit(repo, 'clean', env);
    expect(clean.status, clean.output).toBe(0);
    expect(clean.output).toContain('neevscan');
    expectKeyRefused(repo, env);
  });
});
