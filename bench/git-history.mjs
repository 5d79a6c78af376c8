#!/usr/bin/env node
/**
 * Benchmark of `neevscan scan --git`: generates a repository with a few
 * thousand commits (bench/.data/git-repo, reused when present), times the
 * scan (median of 3) and reports MB/s of unique blob content, next to
 * `git log -p --all | rg` for comparison. Expects dist/ to be built.
 *
 *   node bench/git-history.mjs [--commits N] [--regenerate]
 *   node bench/git-history.mjs --repo PATH   # a real history instead (a work tree, or a bare or mirror clone)
 *   node bench/git-history.mjs [--runs N] [--compare OTHER/bin/neevscan.js] [--no-rg]   # in turns; another build too
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GIT_ENV } from './lib/git-env.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const projectRoot = join(here, '..');
const dataDir = join(here, '.data');
const external = process.argv.includes('--repo') ? process.argv[process.argv.indexOf('--repo') + 1] : undefined;
const repo = external ?? join(dataDir, 'git-repo');
const manifestPath = join(dataDir, 'git-repo.json');
const bin = join(projectRoot, 'bin', 'neevscan.js');
const args = process.argv.slice(2);
const COMMITS = Number(args[args.indexOf('--commits') + 1]) || 3000;
const RUNS = Number(args[args.indexOf('--runs') + 1]) || 3;
// Another build's CLI (bin/neevscan.js of a checkout of an earlier commit), run in turns with this one: before/after.
const otherBin = args.includes('--compare') ? args[args.indexOf('--compare') + 1] : undefined;
const GENERATOR_VERSION = 1; // bump when the generated repository changes shape

if (!existsSync(join(projectRoot, 'dist', 'cli', 'main.js'))) {
  console.error('dist/ is not built: run `npx tsc -p tsconfig.json` first');
  process.exit(2);
}
const { generateKey } = await import(join(projectRoot, 'dist', 'key-format', 'key.js'));

/** mulberry32: a small seeded PRNG, so that the repository is the same shape every time. */
function prng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function generate() {
  const started = Date.now();
  rmSync(repo, { recursive: true, force: true });
  mkdirSync(repo, { recursive: true });
  execFileSync('git', ['init', '-q', '-b', 'main', repo], { env: GIT_ENV });
  const random = prng(42);
  const pick = (list) => list[Math.floor(random() * list.length)];

  // Lines of code-like text; files are lists of them, edited a few lines at a time.
  const words =
    'const let return function import export from async await if else for while class new this value config client request response error result data token user id name path list map set get put post delete update create handle parse render'.split(
      ' ',
    );
  const pool = Array.from({ length: 20000 }, () => {
    const indent = '  '.repeat(Math.floor(random() * 4));
    const n = 3 + Math.floor(random() * 12);
    return indent + Array.from({ length: n }, () => pick(words)).join(' ') + (random() < 0.5 ? ';' : ' {');
  });
  const exts = ['ts', 'js', 'py', 'go', 'md', 'json', 'yaml', 'txt'];
  const files = [];
  // Sizes spread log-uniformly from 200 B to 320 KiB, plus a few big files (1–3 MiB) edited rarely.
  for (let i = 0; i < 700; i++) {
    const bytes = Math.exp(Math.log(200) + random() * (Math.log(320 * 1024) - Math.log(200)));
    files.push({
      path: `src/module${i % 40}/file${i}.${pick(exts)}`,
      lines: Array.from({ length: Math.max(1, Math.round(bytes / 60)) }, () => pick(pool)),
    });
  }
  for (let i = 0; i < 6; i++)
    files.push({
      path: `data/big${i}.txt`,
      big: true,
      lines: Array.from({ length: Math.round((1 + random() * 2) * 17000) }, () => pick(pool)),
    });

  const child = spawn('git', ['fast-import', '--quiet', '--done'], { cwd: repo, env: GIT_ENV, stdio: ['pipe', 'inherit', 'inherit'] });
  const closed = new Promise((resolve, reject) =>
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`git fast-import: exit ${code}`)))),
  );
  const chunks = [];
  let buffered = 0;
  const write = async (data) => {
    chunks.push(typeof data === 'string' ? Buffer.from(data) : data);
    buffered += chunks.at(-1).length;
    if (buffered > 8 * 1024 * 1024) await flush();
  };
  const flush = async () => {
    const data = Buffer.concat(chunks);
    chunks.length = 0;
    buffered = 0;
    if (!child.stdin.write(data)) await new Promise((resolve) => child.stdin.once('drain', resolve));
  };

  let mark = 0;
  const blob = async (content) => {
    const bytes = Buffer.from(content);
    await write(`blob\nmark :${++mark}\ndata ${bytes.length}\n`);
    await write(bytes);
    await write('\n');
    return mark;
  };
  const commit = async (ref, parent, message, changes, time) => {
    const blobs = [];
    for (const file of changes) blobs.push([file.path, await blob(file.lines.join('\n') + '\n')]);
    const msg = Buffer.from(message);
    await write(`commit ${ref}\nmark :${++mark}\ncommitter Bench <bench@example.com> ${time} +0000\ndata ${msg.length}\n${message}\n`);
    if (parent) await write(`from :${parent}\n`);
    for (const [path, m] of blobs) await write(`M 100644 :${m} ${path}\n`);
    await write('\n');
    return mark;
  };
  const edit = (file) => {
    const edits = 1 + Math.floor(random() * 4);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(random() * (file.lines.length + 1));
      if (random() < 0.6) file.lines.splice(at, 1, pick(pool));
      else file.lines.splice(at, 0, pick(pool), pick(pool));
    }
  };

  // Keys planted on main at a few commits, and one on a side branch only.
  const planted = new Map([
    [Math.floor(COMMITS * 0.1), 1],
    [Math.floor(COMMITS * 0.35), 1],
    [Math.floor(COMMITS * 0.6), 2],
    [Math.floor(COMMITS * 0.9), 1],
  ]);
  let keys = 0;
  const plant = (file) => {
    file.lines.splice(Math.floor(random() * file.lines.length), 0, `  apiKey = "${generateKey()}";`);
    keys++;
  };

  let time = 1_600_000_000;
  let head = await commit('refs/heads/main', 0, 'initial import', files, time);
  for (let c = 1; c < COMMITS; c++) {
    time += 600;
    const changed = new Set();
    const count = 1 + Math.floor(random() * 3);
    while (changed.size < count) {
      const file = pick(files);
      if (file.big && random() < 0.9) continue;
      changed.add(file);
    }
    for (const file of changed) edit(file);
    for (let k = planted.get(c) ?? 0; k > 0; k--) plant([...changed][0]);
    head = await commit('refs/heads/main', head, `commit ${c}`, [...changed], time);
    if (c % 1000 === 0) await write(`reset refs/tags/v${c / 1000}.0\nfrom :${head}\n\n`);
  }
  // A side branch with a few commits of its own, one holding a key.
  let side = head;
  for (let c = 0; c < 5; c++) {
    const file = pick(files.filter((f) => !f.big));
    edit(file);
    if (c === 2) plant(file);
    side = await commit('refs/heads/feature', side, `feature ${c}`, [file], (time += 600));
  }
  await write('done\n');
  await flush();
  child.stdin.end();
  await closed;
  // fast-import deltas each blob against the previous one written, rarely a good base: repack as git gc would,
  // so that reading blobs costs what it does in a real repository (deltas against earlier versions).
  execFileSync('git', ['repack', '-a', '-d', '-f', '-q', '--window=10', '--depth=50'], { cwd: repo, env: GIT_ENV, stdio: 'inherit' });
  const manifest = { generator: GENERATOR_VERSION, commits: COMMITS + 5, keys, seconds: Math.round((Date.now() - started) / 1000) };
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
  return manifest;
}

function readManifest() {
  try {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    return manifest.generator === GENERATOR_VERSION && manifest.commits === COMMITS + 5 && existsSync(join(repo, '.git'))
      ? manifest
      : undefined;
  } catch {
    return undefined;
  }
}

function uniqueBlobBytes() {
  const out = execFileSync('git', ['cat-file', '--batch-all-objects', '--batch-check=%(objecttype) %(objectsize)'], {
    cwd: repo,
    env: GIT_ENV,
    maxBuffer: 1 << 30,
  }).toString();
  let bytes = 0;
  let blobs = 0;
  for (const line of out.split('\n')) {
    const [type, size] = line.split(' ');
    if (type === 'blob') {
      bytes += Number(size);
      blobs++;
    }
  }
  return { bytes, blobs };
}

/** CPU seconds used by this process's waited-for children and theirs (git included); Linux only, else NaN. */
function childCpuSeconds() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100; // cutime + cstime, in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

function time(command, commandArgs, options = {}) {
  const started = process.hrtime.bigint();
  const cpuBefore = childCpuSeconds();
  const result = spawnSync(command, commandArgs, { cwd: repo, env: GIT_ENV, maxBuffer: 1 << 30, ...options });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, cpu: childCpuSeconds() - cpuBefore, result };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const mb = (bytes) => bytes / 1e6;

let manifest = external ? { commits: Number(execFileSync('git', ['rev-list', '--all', '--count'], { cwd: repo }).toString()) } : undefined;
if (!manifest) manifest = args.includes('--regenerate') ? undefined : readManifest();
if (external) console.error(`real history ${repo}: keys unknown, findings not checked`);
else if (manifest) console.error(`reusing ${repo}`);
else {
  console.error(`generating ${repo} (${COMMITS} commits)…`);
  manifest = await generate();
  console.error(`generated in ${manifest.seconds} s`);
}

const { bytes, blobs } = uniqueBlobBytes();
const objects = execFileSync('git', ['rev-parse', '--path-format=absolute', '--git-path', 'objects'], { cwd: repo }).toString().trim();
const packBytes = Number(execFileSync('du', ['-sb', objects]).toString().split('\t')[0]);

// Runs in turns (neevscan, the other build if any, git log | rg, then again), so that load from other work on the
// machine falls on each alike; CPU seconds (this process's children: node and git) are the figures load changes least.
// --no-rg: a history git log -p cannot read whole (a partial clone's missing blobs stop it at the first one).
const hasRg = !args.includes('--no-rg') && spawnSync('rg', ['--version']).status === 0;
const commands = [
  ['scan', 'node', [bin, 'scan', '--git', '--format', 'json']],
  ...(otherBin ? [['other', 'node', [otherBin, 'scan', '--git', '--format', 'json']]] : []),
  ...(hasRg ? [['rg', 'bash', ['-c', "set -o pipefail; git log -p --all | rg -c 'neev_[0-9A-Za-z]{38}'"]]] : []),
];
const measured = Object.fromEntries(commands.map(([name]) => [name, { seconds: [], cpu: [], result: undefined }]));
const loadBefore = loadavg()[0];
for (let run = 0; run < RUNS; run++) {
  for (const [name, command, commandArgs] of commands) {
    const { seconds, cpu, result } = time(command, commandArgs);
    if (name !== 'rg' && result.status !== 1 && !(external && result.status === 0))
      throw new Error(`neevscan exited ${result.status}: ${result.stderr}`);
    measured[name].seconds.push(seconds);
    measured[name].cpu.push(cpu);
    measured[name].result = result;
  }
}
const loadAfter = loadavg()[0];
const report = JSON.parse(measured.scan.result.stdout.toString());
if (!external && report.findings.length !== manifest.keys)
  console.error(`warning: expected ${manifest.keys} findings, got ${report.findings.length}`);
const scanSeconds = median(measured.scan.seconds);
const scanCpu = median(measured.scan.cpu);
const sameReport = (other) => {
  const strip = (stdout) =>
    JSON.stringify({ ...JSON.parse(stdout.toString()), stats: { ...JSON.parse(stdout.toString()).stats, durationMs: 0 } });
  return strip(other.result.stdout) === strip(measured.scan.result.stdout);
};
const figures = (name) =>
  `${median(measured[name].seconds).toFixed(2)} s, ${(mb(bytes) / median(measured[name].seconds)).toFixed(0)} MB/s, ${median(measured[name].cpu).toFixed(2)} CPU s (runs ${measured[name].seconds.map((s) => s.toFixed(2)).join(' / ')} s)`;

const rows = [
  [
    'repository',
    `${manifest.commits} commits, ${blobs} unique blobs, ${mb(bytes).toFixed(0)} MB of unique blob content (${mb(packBytes).toFixed(0)} MB packed); the scan read ${report.stats.files} blobs, ${mb(report.stats.bytes).toFixed(0)} MB`,
  ],
  [
    `\`neevscan scan --git\` (median of ${RUNS})`,
    `${scanSeconds.toFixed(2)} s, **${(mb(bytes) / scanSeconds).toFixed(0)} MB/s**, ${scanCpu.toFixed(2)} CPU s (node + git; ${(scanCpu / scanSeconds).toFixed(2)} cores busy), ${report.findings.length} findings (${manifest.keys ?? 'unknown'} planted), runs ${measured.scan.seconds.map((s) => s.toFixed(2)).join(' / ')} s`,
  ],
  ...(otherBin
    ? [
        [
          `\`${otherBin} scan --git\` (median of ${RUNS})`,
          `${figures('other')}; report ${sameReport(measured.other) ? 'identical' : '**differs**'}`,
        ],
      ]
    : []),
  hasRg
    ? [
        `\`git log -p --all \\| rg -c\` (median of ${RUNS})`,
        `${figures('rg')}, ${measured.rg.result.stdout.toString().trim() || 0} matching lines (no checksum check, no commit attribution); neevscan ÷ this: **${(scanCpu / median(measured.rg.cpu)).toFixed(2)}x the CPU**, ${(scanSeconds / median(measured.rg.seconds)).toFixed(2)}x the time`,
      ]
    : ['`git log -p --all \\| rg -c`', 'skipped: `--no-rg`, or ripgrep (`rg`) is not installed'],
  [
    'machine',
    `${cpus().length} cores, load average ${loadBefore.toFixed(2)} before the runs, ${loadAfter.toFixed(2)} after (other work on the machine slows the figures)`,
  ],
];
console.log('| what | result |\n| --- | --- |');
for (const [what, result] of rows) console.log(`| ${what} | ${result} |`);
