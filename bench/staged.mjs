#!/usr/bin/env node
/**
 * Pre-commit benchmark: `neevscan scan --staged` on a 20-file staged change,
 * as the hook runs it, a whole process, Node start-up included.
 * Target: median at most 150 ms.
 *
 *   npm run bench:staged [-- --runs 20] [-- --keep]
 *
 * Builds a throw-away repository with some history in the system temp folder,
 * stages 15 changed and 5 new files of a few KB (one holding a key), and
 * checks that the scan reports exactly that key. The scan is timed in turns
 * with two floors, so that the machine's load weighs on all alike: `node -e 0`
 * (Node's own start-up, which no change to neevscan can remove) and
 * `git diff --cached --name-only` (one git process); then the CLI runs again
 * with bench/lib/phase-marks.cjs preloaded (and NEEVSCAN_MARKS=1) for the
 * breakdown of where the time goes.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKey, sha256Hex } from '../dist/key-format/key.js';
import { fill, linePool, seeded } from './lib/text.mjs';
import { fmtMs, hasCommand, machineLine, median, percentile, timeInterleaved } from './lib/stats.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'bin', 'neevscan.js');
const MARKS = join(ROOT, 'bench', 'lib', 'phase-marks.cjs');
const TARGET_MS = 150;
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 20;
const keep = process.argv.includes('--keep'); // leave the repository for profiling

/** The phases, as differences between the marks that bench/lib/phase-marks.cjs records (ms since the process started). */
const PHASES = [
  ['Node start-up (to the end of its bootstrap)', (m) => m.bootstrapComplete],
  ['bin/neevscan.js (CommonJS: no ES module loader), the preload', (m) => m.start - m.bootstrapComplete],
  ['dist/bundle/staged.cjs loaded', (m) => m.loaded - m.start],
  ['arguments parsed, git diff and cat-file started', (m) => m['git-started'] - m.loaded],
  ['rules loaded (prebuilt; no regex compiled)', (m) => m.rules - m['git-started']],
  ["waiting on git's diff (and rev-parse, when run)", (m) => m['git-diff'] - m.rules],
  ['diff parsed, blobs from cat-file, scanned', (m) => m['blobs-scanned'] - m['git-diff']],
  ['  of which: re2 loaded (on the first keyword hit)', (m) => m['re2-loaded'] - m['re2-load']],
  ['report written', (m) => m.reported - m['blobs-scanned']],
  ['to the exit event', (m) => m.exit - m.reported],
  ['process exit, as the parent sees it (wall - exit event)', (m) => m.wall - m.exit],
];

const repo = mkdtempSync(join(tmpdir(), 'neevscan-bench-staged-'));
try {
  const key = buildRepo(repo);
  console.log(`repo: ${repo} (3 commits of 60 files, 20 files staged, one key)`);
  console.log(`machine: ${machineLine()}`);

  const scanArgs = [CLI, 'scan', '--staged', '--format', 'json'];
  const timed = timeInterleaved(
    {
      scan: [process.execPath, scanArgs, { cwd: repo, okStatus: [1], timeoutMs: 30_000 }],
      node: [process.execPath, ['-e', '0'], {}],
      git: ['git', ['diff', '--cached', '--name-only'], { cwd: repo }],
      version: [process.execPath, [CLI, '--version'], {}],
    },
    { runs, warmup: 2 },
  );
  const report = JSON.parse(timed.scan.stdout);
  const found = report.findings[0];
  const correct =
    report.findings.length === 1 && found.file === 'src/config.ts' && found.secretSha256 === sha256Hex(key) && report.stats.files === 20;
  const stat = (times) => ({ min: Math.min(...times), median: median(times), p90: percentile(times, 90) });
  const scan = stat(timed.scan.times);
  const node = stat(timed.node.times);
  const git = stat(timed.git.times);
  const version = stat(timed.version.times);
  const line = (name, s) =>
    `${name.padEnd(36)} min ${fmtMs(s.min).padStart(6)}  median ${fmtMs(s.median).padStart(6)}  p90 ${fmtMs(s.p90).padStart(6)}`;
  console.log(`\nwhole process, ${runs} runs each, in turns:`);
  console.log(
    line('neevscan scan --staged', scan) + `  (target median <= ${TARGET_MS} ms: ${scan.median <= TARGET_MS ? 'MET' : 'NOT MET'})`,
  );
  console.log(line('node -e 0 (Node floor)', node));
  console.log(line('git diff --cached --name-only', git));
  console.log(line('neevscan --version', version));
  const ratio = (a, b) => `${(a / b).toFixed(2)}x`;
  console.log(
    `ratios (median / min): scan vs node -e 0 ${ratio(scan.median, node.median)} / ${ratio(scan.min, node.min)}; ` +
      `scan vs node -e 0 + git diff ${ratio(scan.median, node.median + git.median)} / ${ratio(scan.min, node.min + git.min)}; ` +
      `above the Node floor: ${fmtMs(scan.median - node.median)} / ${fmtMs(scan.min - node.min)}`,
  );

  // The breakdown: the same scan with the marks preloaded (one more small module to load).
  const marksFile = join(repo, '.marks.jsonl');
  const marks = [];
  for (let i = 0; i < 2 + runs; i++) {
    rmSync(marksFile, { force: true });
    const started = process.hrtime.bigint();
    const r = spawnSync(process.execPath, ['--require', MARKS, ...scanArgs], {
      cwd: repo,
      encoding: 'utf8',
      env: { ...process.env, BENCH_MARKS_FILE: marksFile, NEEVSCAN_MARKS: '1' },
    });
    const wall = Number(process.hrtime.bigint() - started) / 1e6;
    if (r.status !== 1) throw new Error(`scan with marks exited ${r.status}: ${r.stderr}`);
    if (i >= 2) marks.push({ ...JSON.parse(readFileSync(marksFile, 'utf8')), wall });
  }
  const breakdown = PHASES.map(([name, of]) => ({ name, median: median(marks.map(of)), min: Math.min(...marks.map(of)) }));
  console.log(`\nbreakdown (${runs} runs with bench/lib/phase-marks.cjs preloaded; median, min in ms):`);
  for (const b of breakdown) console.log(`  ${b.name.padEnd(66)} ${b.median.toFixed(1).padStart(6)} ${b.min.toFixed(1).padStart(6)}`);
  console.log(
    `  ${'whole process (wall)'.padEnd(66)} ${median(marks.map((m) => m.wall))
      .toFixed(1)
      .padStart(6)} ${Math.min(...marks.map((m) => m.wall))
      .toFixed(1)
      .padStart(6)}`,
  );

  let hyperfine;
  if (hasCommand('hyperfine')) {
    const out = join(repo, '.hyperfine.json');
    const hf = spawnSync(
      'hyperfine',
      ['-N', '--warmup', '2', '--runs', String(runs), '-i', '--export-json', out, `${process.execPath} ${CLI} scan --staged --format json`],
      { cwd: repo, encoding: 'utf8' },
    );
    if (hf.status === 0) {
      const result = JSON.parse(readFileSync(out, 'utf8')).results[0];
      hyperfine = { median: result.median * 1000, mean: result.mean * 1000, stddev: result.stddev * 1000, min: result.min * 1000 };
      console.log(
        `\nhyperfine cross-check: median ${fmtMs(hyperfine.median)}, min ${fmtMs(hyperfine.min)}, mean ${fmtMs(hyperfine.mean)} ± ${fmtMs(hyperfine.stddev)}`,
      );
    }
  }
  console.log(
    correct ? 'findings: the staged key, nothing else' : `findings WRONG: ${JSON.stringify(report.findings)} (${report.stats.files} files)`,
  );
  console.log(`machine after: ${machineLine()}`);
  mkdirSync(join(ROOT, 'bench', '.data', 'results'), { recursive: true });
  writeFileSync(
    join(ROOT, 'bench', '.data', 'results', 'staged.json'),
    JSON.stringify(
      {
        date: new Date().toISOString(),
        runs,
        machine: machineLine(),
        times: timed.scan.times,
        scan,
        nodeFloor: node,
        gitFloor: git,
        cliVersion: version,
        breakdown,
        hyperfine,
        findingsCorrect: correct,
      },
      null,
      2,
    ) + '\n',
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
    for (let i = 0; i < 60; i++)
      if (commit === 0 || i % (commit + 2) === 0) write(path(i), fill(r, pools[kinds[i % kinds.length]], 2000 + r.int(4000)));
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
