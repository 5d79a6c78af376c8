#!/usr/bin/env node
/**
 * Folder-scan benchmark: neevscan against ripgrep running the bare shape regex
 * (no checksum, no boundaries) on the same ~1 GB tree, page cache warm.
 * Target: neevscan's median wall time within 1.5x of rg's.
 *
 *   npm run bench:tree [-- --runs 5]
 *
 * Also checks that neevscan reports exactly the keys planted in the tree, at
 * the right lines and columns: a fast scanner that misses keys is no use.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureTree } from './lib/tree.mjs';
import { fmtMs, hasCommand, machineLine, median, timeInterleaved } from './lib/stats.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DATA = join(ROOT, 'bench', '.data');
const TREE = join(DATA, 'tree');
const TARGET_RATIO = 1.5;
const SHAPE = 'neev_[0-9A-Za-z]{38}';

const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;

mkdirSync(DATA, { recursive: true });
const manifest = ensureTree(TREE, join(DATA, 'tree.json'));
const mb = manifest.bytes / 1e6;
console.log(`tree: ${manifest.files} files, ${mb.toFixed(0)} MB, ${manifest.keys.length} planted keys`);
console.log(`machine: ${machineLine()}`);
const loadBefore = loadavg()[0];

// neevscan as a user runs it, start-up included, in turns with rg so that both meet the same load.
const commands = {
  neevscan: [process.execPath, [join(ROOT, 'bin', 'neevscan.js'), 'scan', TREE, '--format', 'json'], { okStatus: [0, 1] }],
};
if (hasCommand('rg')) commands.rg = ['rg', ['-c', '-uuu', '--no-messages', SHAPE, TREE], { okStatus: [0, 1] }];
else console.log('rg not found: install ripgrep to compare (apt-get install ripgrep)');
// What Node itself costs: walk and read everything on two threads, scan nothing.
commands.floor = [process.execPath, [join(ROOT, 'bench', 'lib', 'read-floor.mjs'), TREE], {}];
const timed = timeInterleaved(commands, { runs, warmup: 1 });
const neev = timed.neevscan;
const rg = timed.rg;
const problems = checkFindings(JSON.parse(neev.stdout), manifest);

const neevMs = median(neev.times);
const line = (name, times) =>
  `${name.padEnd(9)} median ${fmtMs(median(times)).padStart(8)}  (${times.map((t) => fmtMs(t)).join(', ')})  ${(mb / (median(times) / 1000)).toFixed(0)} MB/s`;
console.log(line('neevscan', neev.times));
const result = {
  date: new Date().toISOString(),
  runs,
  files: manifest.files,
  bytes: manifest.bytes,
  machine: machineLine(),
  loadBefore,
  loadAfter: loadavg()[0],
  neevscan: neev.times,
};
console.log(line('floor', timed.floor.times) + '  (Node: walk + read on 2 threads, no scan)');
result.floor = timed.floor.times;
if (rg) {
  console.log(line('rg', rg.times));
  const ratio = neevMs / median(rg.times);
  console.log(`ratio neevscan / rg: ${ratio.toFixed(2)} (target ≤ ${TARGET_RATIO}) ${ratio <= TARGET_RATIO ? 'MET' : 'NOT MET'}`);
  console.log(
    `ratio Node floor / rg: ${(median(timed.floor.times) / median(rg.times)).toFixed(2)} (no Node program reading every file does better)`,
  );
  Object.assign(result, { rg: rg.times, ratio });
}
const resident = residentShare(TREE, manifest.bytes);
if (resident !== undefined) console.log(`page cache: ${(resident * 100).toFixed(0)}% of the tree resident after the runs`);
result.pageCacheResident = resident;
if (problems.length === 0) console.log(`findings: all ${manifest.keys.length} planted keys found, nothing else`);
else console.log(`findings WRONG:\n  ${problems.join('\n  ')}`);
result.findingsCorrect = problems.length === 0;
mkdirSync(join(DATA, 'results'), { recursive: true });
writeFileSync(join(DATA, 'results', 'scan-tree.json'), JSON.stringify(result, null, 2) + '\n');
process.exitCode = problems.length === 0 ? 0 : 1;

/** Compares neevscan's JSON report with the manifest's planted keys: file, line, column and hash must all agree. */
function checkFindings(report, manifest) {
  const id = (f) => `${f.file}:${f.line}:${f.column} ${f.secretSha256.slice(0, 12)}`;
  const expected = new Set(manifest.keys.map(id));
  const found = new Set(report.findings.map(id));
  const problems = [];
  for (const k of expected) if (!found.has(k)) problems.push(`missed ${k}`);
  for (const k of found) if (!expected.has(k)) problems.push(`unexpected ${k}`);
  if (report.findings.length !== found.size) problems.push(`${report.findings.length - found.size} duplicate finding(s)`);
  if (report.stats.files !== manifest.files) problems.push(`scanned ${report.stats.files} files, the tree has ${manifest.files}`);
  return problems;
}

/**
 * How much of the tree is in the page cache (fincore, when installed). The
 * figures mean "page cache warm" only if this is near 100%: some kernels
 * reclaim cold pages on their own (DAMON), so the warm-up run matters.
 */
function residentShare(dir, bytes) {
  if (!hasCommand('fincore')) return undefined;
  const run = spawnSync('sh', ['-c', 'find "$0" -type f -print0 | xargs -0 fincore -b -n -o RES', dir], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) return undefined;
  const resident = run.stdout.split('\n').reduce((sum, line) => sum + (Number(line.trim()) || 0), 0);
  return Math.min(1, resident / bytes);
}
