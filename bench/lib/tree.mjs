/**
 * Builds the ~1 GB benchmark tree: many small source-like files, some medium
 * ones (minified bundles, JSON data), a few large logs (streamed by neevscan,
 * being over 32 MiB) and random binaries, with a handful of real keys planted
 * at known places and many near misses around them. The manifest records
 * where each key is, so the benchmark can check that neevscan finds exactly
 * those.
 */
import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createHash, randomFillSync } from 'node:crypto';
import { generateKey } from '../../dist/key-format/key.js';
import { fill, linePool, plant, seeded } from './text.mjs';
import { readJson } from './stats.mjs';

/** Bump when the tree's make-up changes, so that an old tree on disk is rebuilt. */
const TREE_VERSION = 2;
const MiB = 1024 * 1024;

const SMALL_FILES = 26000;
const SMALL_KINDS = [
  ['js', 30],
  ['ts', 30],
  ['py', 15],
  ['json', 12],
  ['md', 8],
  ['env', 5],
];
const MEDIUM_FILES = 150;
const LOG_SIZES_MB = [55, 70, 85, 100, 65];
const BINARY_FILES = 260;

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

/** Returns the manifest of the tree at `dir`, building the tree first unless a complete one of this version is there. */
export function ensureTree(dir, manifestPath, log = console.log) {
  const existing = readJson(manifestPath);
  if (existing?.version === TREE_VERSION && existsSync(dir)) return existing;
  log(`building the benchmark tree in ${dir} (once; about a minute)…`);
  rmSync(dir, { recursive: true, force: true });
  rmSync(manifestPath, { force: true });
  const started = Date.now();
  const manifest = buildTree(dir);
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  log(`built ${manifest.files} files, ${(manifest.bytes / MiB).toFixed(0)} MiB in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return manifest;
}

function buildTree(dir) {
  const r = seeded(20261126);
  const keys = [];
  let files = 0;
  let bytes = 0;
  const write = (relative, content) => {
    const path = join(dir, relative);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    files++;
    bytes += typeof content === 'string' ? Buffer.byteLength(content) : content.length;
  };
  const record = (file, placed, key) => keys.push({ file, line: placed.line, column: placed.column, secretSha256: sha256(key) });

  const pools = Object.fromEntries(['js', 'ts', 'py', 'json', 'md', 'env', 'log', 'minjs'].map((kind) => [kind, linePool(r, kind, 4000)]));

  // Small source files, with keys in a few of them: plain, quoted, escaped, after non-ASCII text.
  const smallPlants = new Map([
    [101, ['env', 'NEEVCLOUD_API_KEY=', '']],
    [2203, ['ts', '  // café ключ 🔑: "', '" (do not commit)']],
    [7007, ['json', '  "token": "', '",']],
    [13013, ['py', "API_KEY = '", "'"]],
    [19019, ['md', 'Use `', '` for the demo.']],
    [25025, ['js', '  const config = "{\\"key\\":\\"', '\\"}";']],
  ]);
  const kindTable = SMALL_KINDS.flatMap(([kind, weight]) => Array(weight).fill(kind));
  for (let i = 0; i < SMALL_FILES; i++) {
    const plantSpec = smallPlants.get(i);
    const kind = plantSpec ? plantSpec[0] : r.pick(kindTable);
    const name = kind === 'env' ? `.env.${r.pick(['local', 'test', 'example', 'prod'])}${i}` : `m${i}.${kind}`;
    const relative = `src/pkg${i % 53}/part${(i >> 6) % 11}/${name}`;
    let text = fill(r, pools[kind], r.logUniform(300, 40000));
    if (plantSpec) {
      const key = generateKey();
      const placed = plant(text, r.next(), plantSpec[1], key, plantSpec[2]);
      text = placed.text;
      record(relative, placed, key);
    }
    write(relative, text);
  }

  // Medium files: minified bundles with long lines, and pretty JSON data.
  for (let i = 0; i < MEDIUM_FILES; i++) {
    const size = 100 * 1024 + r.int(1948 * 1024);
    const minified = i % 5 !== 4;
    const relative = minified ? `dist/bundle${i}.min.js` : `data/records${i}.json`;
    let text = minified ? fill(r, pools.minjs, size, ';') : fill(r, pools.json, size);
    if (i === 17 || i === 99) {
      const key = generateKey();
      // In a bundle the key sits in a JS string after an escaped newline, which counts as a separator.
      const placed = minified ? plant(text, 0.6, ';var k="line one\\n', key, '";', true) : plant(text, 0.3, '  "apiKey": "', key, '",');
      text = placed.text;
      record(relative, placed, key);
    }
    write(relative, text);
  }

  // Large logs, which neevscan streams: a key across an 8 MiB read boundary, a URL-encoded one, one on the last line.
  const logPlants = {
    1: [{ offset: 40 * MiB - 20, before: 'auth header token=', after: ' accepted' }],
    3: [
      { offset: 33 * MiB + 12345, before: 'GET /v1/models?api_key%3D', after: '&x=1 200' },
      { offset: -1, before: 'final token=', after: '' },
    ],
  };
  LOG_SIZES_MB.forEach((mb, i) => {
    const relative = `logs/app-${i}.log`;
    const placed = writeLog(join(dir, relative), mb * MiB, r, pools.log, logPlants[i] ?? []);
    files++;
    bytes += placed.bytes;
    for (const p of placed.keys) keys.push({ file: relative, line: p.line, column: p.column, secretSha256: sha256(p.key) });
  });

  // Binaries: random bytes; one holds a key on a line of its own.
  for (let i = 0; i < BINARY_FILES; i++) {
    const relative = `assets/blob${i}.${r.pick(['bin', 'png', 'woff2', 'gz', 'wasm'])}`;
    let content = randomFillSync(Buffer.allocUnsafe(r.logUniform(4096, 6 * MiB)));
    if (i === 77) {
      const key = generateKey();
      const at = content.length >> 1;
      let line = 2; // the newline we put before the key, plus one
      for (let j = 0; j < at; j++) if (content[j] === 0x0a) line++;
      content = Buffer.concat([content.subarray(0, at), Buffer.from(`\ntoken=${key}\n`), content.subarray(at)]);
      record(relative, { line, column: 7 }, key);
    }
    write(relative, content);
  }

  keys.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.column - b.column);
  return { version: TREE_VERSION, files, bytes, keys };
}

/**
 * Writes a log of `size` bytes (ASCII) in pieces, so it is never whole in
 * memory, and puts each planted key at its byte offset (-1: on the last line).
 */
function writeLog(path, size, r, pool, plants) {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'w');
  let written = 0;
  let lines = 0;
  const keys = [];
  const put = (text) => {
    writeSync(fd, text);
    written += text.length;
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
  };
  const putKey = ({ before, after }) => {
    const key = generateKey();
    keys.push({ key, line: lines + 1, column: before.length + 1 });
    put(before + key + after + '\n');
  };
  const pending = plants.filter((p) => p.offset >= 0);
  while (written < size) {
    let piece = fill(r, pool, Math.min(4 * MiB, size - written));
    const next = pending[0];
    if (next && written + piece.length >= next.offset - next.before.length) {
      // Cut the piece at a line end, then pad with one line so the key starts exactly at its offset.
      const lineStart = next.offset - next.before.length - written;
      const cut = piece.lastIndexOf('\n', lineStart - 2);
      piece = piece.slice(0, cut + 1);
      put(piece + '-'.repeat(lineStart - piece.length - 1) + '\n');
      putKey(pending.shift());
      continue;
    }
    put(piece);
  }
  for (const p of plants) if (p.offset < 0) putKey(p);
  closeSync(fd);
  return { bytes: written, keys };
}
