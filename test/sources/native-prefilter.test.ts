import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateKey } from '../../src/key-format/key.js';
import { START_OF_INPUT, advanceLineState, type LineState } from '../../src/scanner/position.js';
import { keywordTails, keywordsOf, nativePrefilter } from '../../src/sources/native-prefilter.js';
import { compileRule } from '../../src/rules/load.js';
import { BUILTIN } from '../helpers/rules.js';
import { neevscanJson } from '../helpers/cli.js';
import { tempDir, writeTree } from '../helpers/tmp.js';

const utf16be = (text: string) => Buffer.from(text, 'utf16le').swap16();
const NOT_A_KEY = `neev_${'x'.repeat(38)}`; // the keyword and the shape, but a wrong checksum

/** A tree with keys in every shape the engine reads, keywords without keys, and enough clean files for several batches. */
function shapesTree(): string {
  const root = tempDir();
  chmodSync(root, 0o755);
  const binary = Buffer.alloc(3000, 0);
  for (let i = 0; i < binary.length; i++) binary[i] = (i * 7919) % 256;
  Buffer.from(` ${generateKey()} `).copy(binary, 1500);
  writeTree(root, {
    'utf8/middle.env': `A=1\nNEEV_KEY=${generateKey()}\nB=2\n`,
    'utf8/start.txt': `${generateKey()} at the start`,
    'utf8/end.txt': `at the end ${generateKey()}`,
    'utf8/only.txt': generateKey(),
    'utf8/allowed.txt': `k=${generateKey()} # neevscan:allow\n`,
    'utf16/le.txt': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`key: ${generateKey()}\n`, 'utf16le')]),
    'utf16/be.txt': Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(`key: ${generateKey()}\n`)]),
    'utf16/le-clean.txt': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('nothing here\n', 'utf16le')]),
    'binary/blob.bin': binary,
    'binary/nul-clean.bin': Buffer.alloc(3000, 0),
    'keyword/not-a-key.txt': `token=${NOT_A_KEY}\n`,
    'keyword/bare.txt': 'neev_',
    'keyword/cut.txt': 'nee',
    'empty.txt': '',
    'custom/acme.txt': 'acme_abcdefghij\n',
    'ignored/.neevscanignore': 'skip.txt\n',
    'ignored/skip.txt': generateKey(),
    'big.txt': `${'x'.repeat(5000)} ${generateKey()}`,
  });
  for (let d = 0; d < 45; d++) {
    mkdirSync(join(root, 'many', `d${d}`), { recursive: true });
    for (let f = 0; f < 50; f++) {
      const name = join(root, 'many', `d${d}`, `f${f}.txt`);
      writeFileSync(name, (d * 50 + f) % 500 === 7 ? `line\nkey=${generateKey()}\n` : `plain text ${d} ${f}, nothing to see\n`);
    }
  }
  writeTree(root, { 'locked.txt': generateKey() });
  chmodSync(join(root, 'locked.txt'), 0o000);
  return root;
}

const RULES = `rules:
  - id: acme-token
    description: Acme token
    keywords: [acme_]
    pattern: 'acme_[a-z]{10}'
    examples: ['acme_abcdefghij']
`;

describe('the native pre-filter', () => {
  it('is built and answers per file: bytes of a file without a keyword, -1 for what the engine must see, across chunks', async () => {
    const addon = nativePrefilter();
    expect(addon, 'native/build/Release/scan_prefilter.node should be built by npm run build').toBeDefined();
    const root = tempDir();
    writeTree(root, {
      'clean.txt': 'hello',
      'hit.txt': `x ${NOT_A_KEY}`,
      'bom.txt': Buffer.from([0xff, 0xfe, 0x41, 0x00]),
      'big.txt': 'y'.repeat(200),
      'across.txt': `${'z'.repeat(1024 * 1024 - 2)}neev_${'z'.repeat(3 * 1024 * 1024)}`,
      'long-clean.txt': 'z'.repeat(5 * 1024 * 1024 + 3),
    });
    mkdirSync(join(root, 'dir'));
    const names = ['clean.txt', 'hit.txt', 'bom.txt', 'missing.txt', 'dir', 'big.txt', 'across.txt', 'long-clean.txt'];
    const paths = names.map((p) => join(root, p));
    const verdicts = await addon!.scan(paths, [Buffer.from('neev_')], { threads: 2, maxFileSize: 0 });
    // A keyword cut by the 1 MiB chunk boundary is still seen; a clean file of several chunks is counted whole.
    expect([...verdicts]).toEqual([5, -1, -1, -1, -1, 200, -1, 5 * 1024 * 1024 + 3]);
    const capped = await addon!.scan([paths[0]!, paths[5]!], [Buffer.from('zzz')], { threads: 1, maxFileSize: 100 });
    expect([...capped]).toEqual([5, -1]);
  });

  it('takes a batch as one string with NUL between the paths, and answers as for the list', async () => {
    const addon = nativePrefilter()!;
    const root = tempDir();
    writeTree(root, { 'a.txt': 'clean', 'b.txt': `x ${NOT_A_KEY}`, 'sub/c.txt': 'also clean', 'ü ñ.txt': 'neev_' });
    const paths = ['a.txt', 'b.txt', 'gone.txt', 'sub/c.txt', 'ü ñ.txt', 'sub'].map((p) => join(root, p));
    const listed = await addon.scan(paths, [Buffer.from('neev_')], { threads: 2, maxFileSize: 0 });
    const joined = await addon.scan(paths.join('\0'), [Buffer.from('neev_')], { threads: 2, maxFileSize: 0 });
    expect([...joined]).toEqual([...listed]);
    expect([...joined]).toEqual([5, -1, -1, 10, -1, -1]);
    expect([...(await addon.scan(paths[0]!, [Buffer.from('neev_')], { threads: 1, maxFileSize: 0 }))]).toEqual([5]);
  });

  it('asks what must follow a keyword only of a rule that is the keyword then one class repeated', () => {
    const rule = (pattern: string, keywords = ['acme_']) =>
      compileRule({ id: 't', description: 't', keywords, pattern, examples: [] }, 'test.yaml');
    const tailOf = (pattern: string, keywords?: string[]) => keywordTails([rule(pattern, keywords)]);
    const builtin = keywordTails(BUILTIN);
    expect(builtin).toHaveLength(keywordsOf(BUILTIN)!.length);
    expect(builtin[0]![0]).toBe(38);
    const allowed = (tail: Buffer) => Array.from({ length: 256 }, (_, b) => b).filter((b) => tail[1 + (b >> 3)]! & (1 << (b & 7)));
    expect(String.fromCharCode(...allowed(builtin[0]!))).toBe('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz');
    expect(tailOf('acme_[a-z]{10}')[0]![0]).toBe(10);
    expect(tailOf('acme_[a-f0-9_]{4,}')[0]![0]).toBe(4);
    expect(String.fromCharCode(...allowed(tailOf('acme_[a-f0-9_]{4,}')[0]!))).toBe('0123456789_abcdef');
    expect(tailOf('acme_[a-z]+')[0]![0]).toBe(1);
    expect(tailOf('acme_[a-z]{999}')[0]![0]).toBe(255);
    // Anything else asks for nothing: alternation, a group, flags, an escape, another start, another keyword.
    for (const pattern of [
      'acme_[a-z]{10}|other_',
      '(acme_[a-z]{10})',
      '(?i)acme_[a-z]{10}',
      'acme_\\w{10}',
      'x?acme_[a-z]{10}',
      'acme_[^a]{3}',
    ]) {
      expect(tailOf(pattern), pattern).toEqual([Buffer.alloc(0)]);
    }
    expect(tailOf('acme_[a-z]{10}', ['other', 'acme_']).map((t) => t.length)).toEqual([0, 33]);
  });

  it('passes over a keyword without the tail its rule needs, anywhere in a file, and nothing more', async () => {
    const addon = nativePrefilter()!;
    const keywords = [Buffer.from('neev_')];
    const tails = keywordTails(BUILTIN);
    const root = tempDir();
    const shape = `neev_${'Q'.repeat(38)}`;
    writeTree(root, {
      'region.txt': 'client = neev_region\nneev_client neev_',
      'shape.txt': `x ${shape} y`,
      'at-end.txt': `${'z'.repeat(100)}neev_${'Q'.repeat(37)}`,
      'across.txt': `${'z'.repeat(1024 * 1024 - 20)}${shape}${'z'.repeat(100)}`,
      'dense.txt': `${'neev_x '.repeat(50_000)}${shape}`,
      'dense-clean.txt': 'neev_x '.repeat(50_000),
    });
    const names = ['region.txt', 'shape.txt', 'at-end.txt', 'across.txt', 'dense.txt', 'dense-clean.txt'];
    const verdicts = await addon.scan(
      names.map((n) => join(root, n)),
      keywords,
      { threads: 2, maxFileSize: 0, tails },
    );
    expect([...verdicts].map((v) => v >= 0)).toEqual([true, false, true, false, false, true]);
    // Without tails, every one of them has the keyword.
    const plain = await addon.scan(
      names.map((n) => join(root, n)),
      keywords,
      { threads: 2, maxFileSize: 0 },
    );
    expect([...plain].every((v) => v < 0)).toBe(true);
  });

  it('counts newlines in a range, clamped to the buffer, and carries line states as the JavaScript count does', () => {
    const count = nativePrefilter()!.countNewlines!;
    expect(count(Buffer.from('a\nb\n\nc'), 0, 7)).toBe(3);
    expect(count(Buffer.from('a\nb\n\nc'), 2, 4)).toBe(1);
    expect(count(Buffer.from('a\n'), -5, 99)).toBe(1);
    expect(count(Buffer.alloc(0), 0, 0)).toBe(0);
    expect(count(Buffer.from('\n\n'), 2, 1)).toBe(0);
    // Random text with multi-byte characters, cut and long lines: each chunk boundary gives the same state either way.
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const pieces = ['\n', 'abc', 'é', '日本', '😀', ' ', '\r\n', 'x'.repeat(300)];
    const text = Buffer.from(Array.from({ length: 4000 }, () => pieces[Math.floor(random() * pieces.length)]).join(''));
    let js: LineState = START_OF_INPUT;
    let native: LineState = START_OF_INPUT;
    for (let at = 0; at < text.length;) {
      const length = 1 + Math.floor(random() * 2000);
      const chunk = text.subarray(at, at + length);
      const offset = Math.floor(random() * (chunk.length + 1));
      js = advanceLineState(chunk, offset, js);
      native = advanceLineState(chunk, offset, native, count);
      expect(native).toEqual(js);
      at += offset === 0 ? 1 : offset;
    }
    expect(js.line).toBeGreaterThan(100);
  });

  it.each([
    ['the built-in rules', [] as string[]],
    ['--max-file-size', ['--max-file-size', '3500']],
    ['--rules with a custom keyword', ['--rules', 'RULES']],
  ])('gives the same report as the JavaScript path (NEEVSCAN_NATIVE=0) with %s', (_name, extra) => {
    const root = shapesTree();
    const rules = tempDir();
    chmodSync(rules, 0o755);
    writeTree(rules, { 'acme.yaml': RULES });
    const args = ['scan', root, ...extra.map((a) => (a === 'RULES' ? join(rules, 'acme.yaml') : a))];
    const native = neevscanJson(args, { unprivileged: true, env: { NEEVSCAN_NATIVE: '1' } });
    const js = neevscanJson(args, { unprivileged: true, env: { NEEVSCAN_NATIVE: '0' } });
    const comparable = (run: typeof native) => ({
      status: run.status,
      findings: run.report.findings,
      warnings: run.report.warnings,
      stats: { ...run.report.stats, durationMs: 0 },
    });
    expect(comparable(native)).toEqual(comparable(js));
    expect(native.status).toBe(1);
    const files = new Set(native.report.findings.map((f) => f.file));
    if (extra[0] !== '--rules') {
      const keyed = [
        'utf8/middle.env',
        'utf8/start.txt',
        'utf8/end.txt',
        'utf8/only.txt',
        'utf16/le.txt',
        'utf16/be.txt',
        'binary/blob.bin',
      ];
      for (const file of keyed) {
        expect(files, file).toContain(file);
      }
      expect(files).not.toContain('keyword/not-a-key.txt');
      expect(files).not.toContain('ignored/skip.txt');
      expect([...files].filter((f) => f.startsWith('many/'))).toHaveLength(5);
    }
    expect(files.has('custom/acme.txt')).toBe(extra[0] === '--rules');
    expect(files.has('big.txt')).toBe(extra[0] !== '--max-file-size');
    if (process.getuid?.() === 0) expect(native.report.warnings).toContainEqual({ path: 'locked.txt', reason: 'permission denied' });
    expect(native.report.stats.files).toBeGreaterThan(2250);
  });
});
