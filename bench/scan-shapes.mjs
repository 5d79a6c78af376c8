#!/usr/bin/env node
/**
 * Folder scan per content shape: one generated tree per shape (dense logs,
 * minified bundles, source, pretty JSON, CSV, random binary, many small files,
 * a few huge files) plus a real source tree (installed packages copied out of
 * node_modules), each timed alone: neevscan, ripgrep on the bare key shape,
 * and a Node floor (walk + read every file on two threads, scan nothing), in
 * turns so that the shared machine's load weighs on all three alike.
 * Target: neevscan ≤ 2x rg on every shape.
 *
 *   npm run bench:shapes [-- --runs 5] [--only logs,real] [--mb 96]
 *
 * Trees live in bench/.data/shapes/<shape> and are reused while their
 * generator version and size stay the same.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmtMs, hasCommand, machineLine, median, timeInterleaved } from './lib/stats.mjs';
import { fill, linePool, makeWords, seeded } from './lib/text.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DATA = join(ROOT, 'bench', '.data', 'shapes');
const SHAPE = 'neev_[0-9A-Za-z]{38}';
const TARGET_RATIO = 2;
const GENERATOR_VERSION = 1;

const option = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const runs = Number(option('--runs', '5'));
const MB = Number(option('--mb', '96'));
const only = option('--only', undefined)?.split(',');

/** Dense application logs: key=value pairs full of `_`, `v`, `=` and identifiers, as tracing middleware writes them. */
function logLine(r, w) {
  const hex = (n) => r.base62(n).toLowerCase();
  const t = `2026-11-26T13:${String(r.int(60)).padStart(2, '0')}:${String(r.int(60)).padStart(2, '0')}.${r.int(1000)}Z`;
  if (r.int(3) === 0) {
    return (
      `{"ts":"${t}","level":"info","svc":"${w.snake()}_svc","trace_id":"${hex(32)}","span_id":"${hex(16)}","event":"${w.snake()}",` +
      `"latency_ms":${r.int(900)},"user_id":"usr_${hex(12)}","env":"prod_v${r.int(9)}","kv_version":${r.int(40)}}`
    );
  }
  return (
    `${t} level=info svc=${w.snake()}_svc trace_id=${hex(32)} span_id=${hex(16)} parent_span_id=${hex(16)} ` +
    `http_method=GET http_route=/v1/${w.word()}/${w.word()} latency_ms=${r.int(900)} db_rows_v=${r.int(99)} ` +
    `cache_hit=${r.int(2) === 1} ${w.snake()}=${w.snake()} user_id=usr_${hex(12)} env=prod_v${r.int(9)}`
  );
}

function csvLine(r, w) {
  const date = `2026-0${1 + r.int(9)}-1${r.int(9)}`;
  return [r.int(1e6), w.word(), w.snake(), (r.int(1e6) / 100).toFixed(2), date, `"${w.words(3)}"`, r.base62(10)].join(',');
}

/** Writes `count` files of `size()` bytes, made by `make(size)`, spread over folders of 50. */
function writeFiles(dir, count, size, make) {
  for (let i = 0; i < count; i++) {
    const folder = join(dir, `d${Math.floor(i / 50)}`);
    if (i % 50 === 0) mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `f${i}`), make(size()));
  }
}

const shapes = {
  logs: (dir, r, w, bytes) =>
    writeFiles(
      dir,
      bytes / 2e6,
      () => 1e6 + r.int(2e6),
      (n) => linesOf(r, n, () => logLine(r, w)),
    ),
  minified: (dir, r, w, bytes) => {
    const pool = linePool(r, 'minjs', 2000);
    writeFiles(
      dir,
      bytes / 1e6,
      () => 5e5 + r.int(1e6),
      (n) => fill(r, pool, n, ';'),
    );
  },
  source: (dir, r, w, bytes) => {
    const pools = ['js', 'ts', 'py', 'md'].map((kind) => linePool(r, kind, 3000));
    writeFiles(
      dir,
      bytes / 16e3,
      () => 2e3 + r.int(28e3),
      (n) => fill(r, r.pick(pools), n),
    );
  },
  json: (dir, r, w, bytes) => {
    const pool = linePool(r, 'json', 3000);
    writeFiles(
      dir,
      bytes / 200e3,
      () => 5e4 + r.int(3e5),
      (n) => `{\n${fill(r, pool, n)}\n  "end": 0\n}\n`,
    );
  },
  csv: (dir, r, w, bytes) =>
    writeFiles(
      dir,
      bytes / 2e6,
      () => 1e6 + r.int(2e6),
      (n) => linesOf(r, n, () => csvLine(r, w)),
    ),
  binary: (dir, r, w, bytes) =>
    writeFiles(
      dir,
      bytes / 1e6,
      () => 2e5 + r.int(1.6e6),
      (n) => randomBytes(n),
    ),
  small: (dir, r, w, bytes) => {
    const pools = ['js', 'ts', 'json', 'env'].map((kind) => linePool(r, kind, 2000));
    writeFiles(
      dir,
      bytes / 1.2e3,
      () => 100 + r.int(2200),
      (n) => fill(r, r.pick(pools), n),
    );
  },
  huge: (dir, r, w, bytes) =>
    writeFiles(
      dir,
      3,
      () => Math.floor(bytes / 3),
      (n) => linesOf(r, n, () => logLine(r, w)),
    ),
  real: (dir) => {
    // Real trees with a real file-size distribution: installed packages, copied so that no symlink is in the way.
    const packages = ['typescript', '@typescript-eslint', 'eslint', 'ajv', 'bullmq', 'pino', 'vitest', 'ioredis'];
    for (const name of packages) {
      const from = join(ROOT, 'node_modules', name);
      if (existsSync(from)) cpSync(from, join(dir, name), { recursive: true, dereference: true });
    }
  },
};

function linesOf(r, size, line) {
  const parts = [];
  let length = 0;
  while (length < size) {
    const next = line();
    parts.push(next);
    length += next.length + 1;
  }
  return parts.join('\n') + '\n';
}

function ensureShape(name) {
  const dir = join(DATA, name);
  const stamp = join(DATA, `${name}.json`);
  const wanted = { version: GENERATOR_VERSION, mb: name === 'real' ? 0 : MB };
  let meta;
  try {
    meta = JSON.parse(readFileSync(stamp, 'utf8'));
  } catch {
    // No stamp yet: the shape is generated below.
  }
  if (meta && meta.version === wanted.version && meta.mb === wanted.mb) return meta;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const r = seeded(name.length * 7919 + 17);
  shapes[name](dir, r, makeWords(r), MB * 1e6);
  const count = spawnSync('sh', ['-c', 'find "$0" -type f | wc -l; du -sb "$0" | cut -f1', dir], { encoding: 'utf8' });
  const [files, bytes] = count.stdout.trim().split('\n').map(Number);
  meta = { ...wanted, files, bytes };
  writeFileSync(stamp, JSON.stringify(meta) + '\n');
  return meta;
}

if (!hasCommand('rg')) {
  console.error('rg not found: install ripgrep (apt-get install ripgrep) to compare');
  process.exit(2);
}
console.log(`machine: ${machineLine()}`);
const results = {};
const head = ['files', 'MB', 'neevscan', 'rg', 'floor'].map((h, i) => h.padStart([6, 5, 10, 8, 8][i])).join(' ');
console.log(`${'shape'.padEnd(9)} ${head}  neev/rg  floor/rg`);
for (const name of Object.keys(shapes)) {
  if (only && !only.includes(name)) continue;
  const meta = ensureShape(name);
  const dir = join(DATA, name);
  const timed = timeInterleaved(
    {
      neevscan: [process.execPath, [join(ROOT, 'bin', 'neevscan.js'), 'scan', dir, '--format', 'json'], { okStatus: [0, 1] }],
      rg: ['rg', ['-c', '-uuu', '--no-messages', SHAPE, dir], { okStatus: [0, 1] }],
      floor: [process.execPath, [join(ROOT, 'bench', 'lib', 'read-floor.mjs'), dir], {}],
    },
    { runs, warmup: 1 },
  );
  const [neev, rg, floor] = ['neevscan', 'rg', 'floor'].map((k) => median(timed[k].times));
  const ratio = neev / rg;
  results[name] = { ...meta, neevscan: timed.neevscan.times, rg: timed.rg.times, floor: timed.floor.times, ratio };
  console.log(
    `${name.padEnd(9)} ${String(meta.files).padStart(6)} ${(meta.bytes / 1e6).toFixed(0).padStart(5)}  ${fmtMs(neev).padStart(9)} ` +
      `${fmtMs(rg).padStart(8)} ${fmtMs(floor).padStart(8)}  ${ratio.toFixed(2).padStart(7)}  ${(floor / rg).toFixed(2).padStart(8)}` +
      `  ${ratio <= TARGET_RATIO ? 'MET' : 'NOT MET'}`,
  );
}
mkdirSync(join(ROOT, 'bench', '.data', 'results'), { recursive: true });
const out = { date: new Date().toISOString(), runs, machine: machineLine(), target: `neevscan <= ${TARGET_RATIO}x rg`, results };
writeFileSync(join(ROOT, 'bench', '.data', 'results', 'scan-shapes.json'), JSON.stringify(out, null, 2) + '\n');
