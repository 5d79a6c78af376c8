#!/usr/bin/env node
/**
 * Builds a real history offline-ish for `bench/git-history.mjs --repo`: the
 * published versions of one npm package, one commit per version in release
 * order (the package's real files, as released), in a bare repository under
 * bench/.data/ (reused when present). Only the npm registry is reached (`npm
 * pack` per version, cached under bench/.data/npm-tarballs/).
 *
 *   node bench/npm-history.mjs [--package eslint] [--versions 120]   # prints the repository's path
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GIT_ENV } from './lib/git-env.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const dataDir = join(here, '.data');
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const pkg = option('--package', 'eslint');
const count = Number(option('--versions', '120'));
const repo = join(dataDir, `npm-${pkg.replace(/[^a-z0-9.-]/gi, '_')}-${count}.git`);
const tarballs = join(dataDir, 'npm-tarballs', pkg.replace(/[^a-z0-9.-]/gi, '_'));

if (existsSync(join(repo, 'HEAD'))) {
  console.log(repo);
  process.exit(0);
}

const all = JSON.parse(execFileSync('npm', ['view', pkg, 'versions', '--json']).toString());
const versions = all.filter((v) => /^\d+\.\d+\.\d+$/.test(v)).slice(-count);
mkdirSync(tarballs, { recursive: true });

const pack = (version) =>
  new Promise((resolve, reject) => {
    const child = spawn('npm', ['pack', `${pkg}@${version}`, '--silent'], { cwd: tarballs, stdio: ['ignore', 'pipe', 'inherit'] });
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`npm pack ${pkg}@${version}: exit ${code}`))));
  });
const fileFor = (version) => readdirSync(tarballs).find((f) => f.endsWith(`-${version}.tgz`));
const missing = versions.filter((v) => !fileFor(v));
console.error(`${pkg}: ${versions.length} versions (${versions[0]} … ${versions.at(-1)}), ${missing.length} to download`);
for (let i = 0; i < missing.length; i += 4) await Promise.all(missing.slice(i, i + 4).map(pack));

const work = join(dataDir, `npm-${pkg}-work`);
rmSync(work, { recursive: true, force: true });
rmSync(repo, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
execFileSync('git', ['init', '-q', '-b', 'main', work], { env: GIT_ENV });
let time = 1_500_000_000;
for (const version of versions) {
  for (const entry of readdirSync(work)) if (entry !== '.git') rmSync(join(work, entry), { recursive: true, force: true });
  execFileSync('tar', ['xzf', join(tarballs, fileFor(version)), '--strip-components=1', '-C', work]);
  execFileSync('git', ['add', '-A'], { cwd: work, env: GIT_ENV });
  time += 86_400;
  const env = { ...GIT_ENV, GIT_AUTHOR_DATE: `${time} +0000`, GIT_COMMITTER_DATE: `${time} +0000` };
  execFileSync('git', ['commit', '-q', '--allow-empty', '-m', `${pkg} ${version}`], { cwd: work, env });
  execFileSync('git', ['tag', `v${version}`], { cwd: work, env });
}
// A bare clone, packed as a server packs (git gc), like what a scan of a real clone reads.
execFileSync('git', ['clone', '-q', '--bare', '--no-local', work, repo], { env: GIT_ENV });
execFileSync('git', ['gc', '-q'], { cwd: repo, env: GIT_ENV });
rmSync(work, { recursive: true, force: true });
console.log(repo);
