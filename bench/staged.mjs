#!/usr/bin/env node
/**
 * Pre-commit benchmark: `neevscan scan --staged` on a 20-file staged change,
 * as the hook runs it, Node start-up included. Target: median under 200 ms.
 *
 *   npm run bench:staged [-- --runs 20] [-- --keep]
 *
 * Builds a throw-away repository with some history in the system temp folder,
 * stages 15 changed and 5 new files of a few KB (one holding a key), and
 * checks that the scan reports exactly that key.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKey, sha256Hex } from '../dist/key-format/key.js';
import { fill, linePool, seeded } from './lib/text.mjs';
import { fmtMs, hasCommand, machineLine, median, percentile, timeCommand } from './lib/stats.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'bin', 'neevscan.js');
const TARGET_MS = 200;
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 20;
const keep = process.argv.includes('--keep'); // leave the repository for profiling

const repo = mkdtempSync(join(tmpdir(), 'neevscan-bench-staged-'));
try {
  const key = buildRepo(repo);
  console.log(`repo: ${repo} (3 commits of 60 files, 20 files staged, one key)`);
  console.log(`machine: ${machineLine()}`);

  const run = timeCommand(process.execPath, [CLI, 'scan', '--staged', '--format', 'json'], { runs, warmup: 2, cwd: repo, okStatus: [1], timeoutMs: 30_000 });
  const report = JSON.parse(run.stdout);
  const found = report.findings[0];
  const correct = report.findings.length === 1 && found.file === 'src/config.ts' && found.secretSha256 === sha256Hex(key) && report.stats.files === 20;
  const med = median(run.times);
  const p90 = percentile(run.times, 90);
  console.log(`scan --staged: median ${fmtMs(med)}, p90 ${fmtMs(p90)}, min ${fmtMs(Math.min(...run.times))} over ${runs} runs (target median < ${TARGET_MS} ms) ${med < TARGET_MS ? 'MET' : 'NOT MET'}`);

  // For scale: Node's own start-up, which no change to neevscan can remove, and the CLI's (commander, no rules, no git).
  const bare = timeCommand(process.execPath, ['-e', '0'], { runs: 10, warmup: 1 });
  const version = timeCommand(process.execPath, [CLI, '--version'], { runs: 10, warmup: 1 });
  console.log(`for scale: node -e 0 median ${fmtMs(median(bare.times))}, neevscan --version median ${fmtMs(median(version.times))}`);

  let hyperfine;
  if (hasCommand('hyperfine')) {
    const out = join(repo, '.hyperfine.json');
    const hf = spawnSync('hyperfine', ['-N', '--warmup', '2', '--runs', String(runs), '-i', '--export-json', out, `${process.execPath} ${CLI} scan --staged --format json`], { cwd: repo, encoding: 'utf8' });
    if (hf.status === 0) {
      const result = JSON.parse(readFileSync(out, 'utf8')).results[0];
      hyperfine = { median: result.median * 1000, mean: result.mean * 1000, stddev: result.stddev * 1000 };
      console.log(`hyperfine cross-check: median ${fmtMs(hyperfine.median)}, mean ${fmtMs(hyperfine.mean)} ± ${fmtMs(hyperfine.stddev)}`);
    }
  }
  console.log(correct ? 'findings: the staged key, nothing else' : `findings WRONG: ${JSON.stringify(report.findings)} (${report.stats.files} files)`);
  mkdirSync(join(ROOT, 'bench', '.data', 'results'), { recursive: true });
  writeFileSync(
    join(ROOT, 'bench', '.data', 'results', 'staged.json'),
    JSON.stringify({ date: new Date().toISOString(), runs, machine: machineLine(), times: run.times, median: med, p90, nodeStartup: median(bare.times), cliVersion: median(version.times), hyperfine, findingsCorrect: correct }, null, 2) + '\n',
  );
  process.exitCode = correct ? 0 : 1;
} finally {
  if (keep) console.log(`kept ${repo}`);
  else rmSync(repo, { recursive: true, force: true });
}

/** A repository with three commits of 60 source files, then 15 of them changed and 5 added, all staged. */
function buildRepo(dir) {
  const git = (...args) => {
    const r = spawnSync('git', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  };
  const r = seeded(7);
  const pools = { ts: linePool(r, 'ts', 800), py: linePool(r, 'py', 800), json: linePool(r, 'json', 800) };
  const kinds = Object.keys(pools);
  const path = (i) => `src/${['api', 'lib', 'cli'][i % 3]}/f${i}.${kinds[i % kinds.length]}`;
  const write = (relative, text) => {
    mkdirSync(dirname(join(dir, relative)), { recursive: true });
    writeFileSync(join(dir, relative), text);
  };
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'bench@example.com');
  git('config', 'user.name', 'bench');
  git('config', 'commit.gpgsign', 'false');
  for (let commit = 0; commit < 3; commit++) {
    for (let i = 0; i < 60; i++) if (commit === 0 || i % (commit + 2) === 0) write(path(i), fill(r, pools[kinds[i % kinds.length]], 2000 + r.int(4000)));
    git('add', '-A');
    git('commit', '-q', '-m', `commit ${commit}`);
  }
  // The staged change: 15 edited files (a few lines appended) and 5 new ones, one of them with a key.
  for (let i = 0; i < 15; i++) {
    const file = path(i * 4);
    write(file, readFileSync(join(dir, file), 'utf8') + fill(r, pools[kinds[(i * 4) % kinds.length]], 1500));
  }
  const key = generateKey();
  for (let i = 0; i < 4; i++) write(`src/new/n${i}.ts`, fill(r, pools.ts, 3000));
  write('src/config.ts', fill(r, pools.ts, 1500) + `export const NEEV_API_KEY = "${key}";\n` + fill(r, pools.ts, 1500));
  git('add', '-A');
  return key;
}
