/**
 * Hostile input to the CLI: a 30 MB file with no newline, binary files,
 * invalid UTF-8, device files, symbolic link loops, unreadable paths, and
 * user rules written to backtrack catastrophically. Each is a correct result
 * or exit 2 with one clear line on stderr, and each finishes in bounded time.
 */
import { chmodSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateKey, sha256Hex } from '../../src/key-format/key.js';
import { neevscan, neevscanJson } from '../helpers/cli.js';
import { git, gitRepo, tempDir, writeTree } from '../helpers/tmp.js';

const MB = 1024 * 1024;

/** `neevscan ARGS` and how long it took, in ms. */
function timed<T>(run: () => T): { result: T; ms: number } {
  const started = performance.now();
  const result = run();
  return { result, ms: performance.now() - started };
}

/** The CLI's contract for an error: exit 2, nothing on stdout, exactly one line on stderr. */
function expectOneLineError(run: { status: number | null; stdout: string; stderr: string }, line: string) {
  expect(run.status).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr).toBe(`neevscan: ${line}\n`);
}

describe('large and odd files', () => {
  it('a 30 MB file without a single newline: the key at its end is found, line 1, at its column', () => {
    const root = tempDir();
    const key = generateKey();
    const filler = 30 * MB;
    writeFileSync(join(root, 'minified.js'), Buffer.concat([Buffer.alloc(filler, 'x'), Buffer.from(`;k="${key}"`)]));
    const { result, ms } = timed(() => neevscanJson(['scan', 'minified.js'], { cwd: root }));
    expect(result.status).toBe(1);
    expect(result.report.findings).toEqual([
      expect.objectContaining({ file: 'minified.js', line: 1, column: filler + 5, secretSha256: sha256Hex(key) }),
    ]);
    expect(result.stdout).not.toContain(key);
    expect(ms).toBeLessThan(15_000);
  });

  it('one 1 MB line holding 23,000 keys: all found, in linear time (counting columns from the line start for each was quadratic)', () => {
    const root = tempDir();
    const keys = Array.from({ length: 23_000 }, () => generateKey());
    writeFileSync(join(root, 'dump.txt'), keys.join(' '));
    const { result, ms } = timed(() => neevscanJson(['scan', 'dump.txt'], { cwd: root }));
    expect(result.status).toBe(1);
    expect(result.report.findings).toHaveLength(keys.length);
    expect(result.report.findings.at(-1)).toMatchObject({ line: 1, column: 22_999 * 44 + 1, secretSha256: sha256Hex(keys.at(-1)!) });
    // 17.7 s before the fix on the test machine; 0.5 s after.
    expect(ms).toBeLessThan(8000);
  });

  it('binary files (a /dev/zero-like run of NULs, random bytes) are scanned as bytes: a key inside is found', () => {
    const root = tempDir();
    const key = generateKey();
    writeTree(root, {
      'zeros.bin': Buffer.concat([Buffer.alloc(20 * MB), Buffer.from(key), Buffer.alloc(MB)]),
      'noise.bin': Buffer.concat([
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]),
        Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)),
        Buffer.from([0, 0x0a]),
        Buffer.from(key),
        Buffer.from([0, 0xff]),
      ]),
    });
    const { status, report } = neevscanJson(['scan', '.'], { cwd: root });
    expect(status).toBe(1);
    expect(report.findings.map((f) => [f.file, f.secretSha256])).toEqual([
      ['noise.bin', sha256Hex(key)],
      ['zeros.bin', sha256Hex(key)],
    ]);
  });

  it('invalid UTF-8 before a key: found, the column counting each bad sequence as one U+FFFD (files, stdin, --staged)', () => {
    const root = gitRepo();
    const key = generateKey();
    // ff, fe: bytes UTF-8 never uses; c3 28: a lead byte without its continuation; e2 82: a sequence cut short.
    const bytes = Buffer.concat([Buffer.from('line one\n'), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82]), Buffer.from(` ${key}\n`)]);
    const column = Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82]).toString('utf8').length + 2;
    writeFileSync(join(root, 'bad.txt'), bytes);
    const file = neevscanJson(['scan', 'bad.txt'], { cwd: root });
    expect(file.report.findings).toEqual([expect.objectContaining({ line: 2, column, secretSha256: sha256Hex(key) })]);
    const stdin = neevscanJson(['scan', '-'], { cwd: root, input: bytes });
    expect(stdin.report.findings).toEqual([expect.objectContaining({ file: '-', line: 2, column, secretSha256: sha256Hex(key) })]);
    git(root, 'add', 'bad.txt');
    const staged = neevscanJson(['scan', '--staged'], { cwd: root });
    expect(staged.status).toBe(1);
    expect(staged.report.findings).toEqual([expect.objectContaining({ file: 'bad.txt', line: 2, column, secretSha256: sha256Hex(key) })]);
    for (const run of [file, stdin, staged]) expect(run.stdout + run.stderr).not.toContain(key);
  });
});

describe('paths that cannot be scanned: exit 2, one line', () => {
  it('a device file such as /dev/zero', () => {
    const { result, ms } = timed(() => neevscan(['scan', '/dev/zero']));
    expectOneLineError(result, '/dev/zero: not a regular file or folder');
    expect(ms).toBeLessThan(5000);
  });

  it('a symbolic link loop named on the command line (inside a folder, links are never followed)', () => {
    const root = tempDir();
    symlinkSync('b', join(root, 'a'));
    symlinkSync('a', join(root, 'b'));
    expectOneLineError(neevscan(['scan', 'a'], { cwd: root }), 'a: symbolic link loop');
    const inside = neevscanJson(['scan', '.'], { cwd: root });
    expect(inside.status).toBe(0);
    expect(inside.report.stats.files).toBe(0);
  });

  it('an unreadable file or folder named on the command line (a scan that read nothing must not pass as clean)', () => {
    const root = tempDir();
    chmodSync(root, 0o755);
    writeTree(root, { 'locked.env': `KEY=${generateKey()}\n`, 'locked-dir/a.env': 'x' });
    chmodSync(join(root, 'locked.env'), 0o000);
    chmodSync(join(root, 'locked-dir'), 0o000);
    expectOneLineError(neevscan(['scan', 'locked.env'], { cwd: root, unprivileged: true }), 'locked.env: permission denied');
    expectOneLineError(neevscan(['scan', 'locked-dir'], { cwd: root, unprivileged: true }), 'locked-dir: permission denied');
    expectOneLineError(
      neevscan(['scan', 'locked.env', '--format', 'json'], { cwd: root, unprivileged: true }),
      'locked.env: permission denied',
    );
    chmodSync(join(root, 'locked-dir'), 0o755);
  });

  it('a rule file that is not YAML, a pattern RE2 refuses, a repetition too large: exit 2 naming the file and rule', () => {
    const root = tempDir();
    writeTree(root, {
      'broken.yaml': 'rules: [ {id: x, pattern: "(",',
      'lookbehind.yaml': "rules:\n  - id: look\n    description: x\n    pattern: '(?<=a)b'\n    examples: ['ab']\n",
      'huge.yaml': "rules:\n  - id: huge\n    description: x\n    pattern: '(a{1000}){1000}'\n    examples: ['a']\n",
      'aliases.yaml': `a: &a ["x","x","x","x","x","x","x","x","x"]\n${Array.from(
        { length: 8 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9)
            .fill(`*${String.fromCharCode(97 + i)}`)
            .join(',')}]`,
      ).join('\n')}\nrules: *i\n`,
    });
    for (const [file, rule] of [
      ['broken.yaml', undefined],
      ['lookbehind.yaml', 'look'],
      ['huge.yaml', 'huge'],
      ['aliases.yaml', undefined],
    ] as const) {
      const { result, ms } = timed(() => neevscan(['scan', '.', '--rules', file], { cwd: root }));
      expect(result.status, file).toBe(2);
      expect(result.stderr.split('\n').filter(Boolean), file).toHaveLength(1);
      expect(result.stderr).toContain(`rule file ${file}${rule ? `, rule ${rule}` : ''}`);
      expect(ms, file).toBeLessThan(5000);
    }
  });
});

describe('user rules built for catastrophic backtracking', () => {
  const rule = (id: string, pattern: string, example: string, extra = '') =>
    `rules:\n  - id: ${id}\n    description: ${id}\n    pattern: '${pattern}'\n    examples: ['${example}']\n${extra}`;

  const cases: Array<{ what: string; rules: string; input: Buffer; found: number }> = [
    {
      what: '(a+)+$ over a megabyte of a, then !',
      rules: rule('nested-plus', '(a+)+$', 'aaaa', '    boundary: none\n'),
      input: Buffer.concat([Buffer.alloc(MB, 'a'), Buffer.from('!')]),
      found: 0,
    },
    {
      what: '(a|aa)+b over a megabyte of a',
      rules: rule('alternation', '(?:a|aa)+b', 'aab', '    boundary: none\n'),
      input: Buffer.alloc(MB, 'a'),
      found: 0,
    },
    {
      what: '(x+x+)+y over a megabyte of x',
      rules: rule('double-plus', '(x+x+)+y', 'xxy', '    boundary: none\n'),
      input: Buffer.alloc(MB, 'x'),
      found: 0,
    },
    {
      what: '(.*a){12} over a megabyte of a with no newline',
      rules: rule('dot-star', '(?:.*a){12}z', 'aaaaaaaaaaaaz', '    boundary: none\n'),
      input: Buffer.alloc(MB, 'a'),
      found: 0,
    },
    {
      what: 'a keyword present at every byte (keyword a, pattern a+b, window 64 KiB)',
      rules: rule('dense-keyword', 'a+b', 'aab', "    keywords: ['a']\n    window: 65536\n    boundary: none\n"),
      input: Buffer.concat([Buffer.alloc(MB, 'a'), Buffer.from('b')]),
      found: 1,
    },
    {
      // Every byte is a keyword hit and a match; checking each match against the region's hits one by one was quadratic.
      what: 'a keyword and a match at every byte of 512 KB (keyword a, pattern a)',
      rules: rule('every-byte', 'a', 'a', "    keywords: ['a']\n"),
      input: Buffer.alloc(MB / 2, 'a'),
      found: 0,
    },
  ];

  for (const c of cases) {
    it(`${c.what}: finishes within seconds`, () => {
      const root = tempDir();
      const file = 'rules.yaml';
      writeFileSync(join(root, file), c.rules);
      writeFileSync(join(root, 'input.txt'), c.input);
      const { result, ms } = timed(() => neevscanJson(['scan', 'input.txt', '--rules', file], { cwd: root }));
      expect(result.status, result.stderr).toBe(c.found > 0 ? 1 : 0);
      expect(result.report.findings).toHaveLength(c.found);
      console.log(`${c.what}: ${ms.toFixed(0)} ms`);
      expect(ms).toBeLessThan(10_000);
    });
  }
});

describe('terminal escapes in file names', () => {
  // Printed raw on a terminal this erases the line above (the finding), moves the cursor and sets the window title.
  const NAME = 'a\x1b[2K\x1b[1A\x1b]0;pwned\x07config.env';
  const SHOWN = 'a\\e[2K\\e[1A\\e]0;pwned\\aconfig.env';
  /** Every control character but the line breaks the CLI writes itself. */
  const controls = (text: string) => [...text].filter((c) => (c < ' ' && c !== '\n') || (c >= '\x7f' && c <= '\x9f'));

  it('text output and warnings show control characters escaped; JSON keeps the real name', () => {
    const root = tempDir();
    const key = generateKey();
    // A backslash is doubled, so a name that spells an escape cannot pass for an escaped one.
    writeTree(root, { [NAME]: `KEY=${key}\n`, 'b\x1b[31m\rbig.bin': Buffer.alloc(4096, 'x'), 'spells\\e[2K.env': `K=${generateKey()}\n` });
    const text = neevscan(['scan', '.', '--max-file-size', '1024'], { cwd: root });
    expect(text.status, text.stderr).toBe(1);
    expect(controls(text.stdout)).toEqual([]);
    expect(controls(text.stderr)).toEqual([]);
    expect(text.stdout).toContain(`${SHOWN}:1:5  neevcloud-api-key`);
    expect(text.stdout).toContain('spells\\\\e[2K.env:1:3');
    expect(text.stdout).toContain('warning: b\\e[31m\\rbig.bin: larger than --max-file-size');
    expect(text.stdout).not.toContain(key);
    const json = neevscanJson(['scan', '.', '--max-file-size', '1024'], { cwd: root });
    expect(json.report.findings.map((f) => f.file)).toContain(NAME);
    expect(json.report.warnings.map((w) => w.path)).toEqual(['b\x1b[31m\rbig.bin']);
  });

  it('--staged and --git print the name escaped too', () => {
    const repo = gitRepo();
    writeFileSync(join(repo, NAME), `KEY=${generateKey()}\n`);
    git(repo, 'add', '-A');
    for (const args of [
      ['scan', '--staged'],
      ['scan', '--git'],
    ]) {
      if (args[1] === '--git') git(repo, 'commit', '-qm', 'add');
      const run = neevscan(args, { cwd: repo });
      expect(run.status, `${args.join(' ')}: ${run.stderr}`).toBe(1);
      expect(controls(run.stdout + run.stderr)).toEqual([]);
      expect(run.stdout).toContain(`${SHOWN}:1:5`);
    }
  });

  it('an error naming such a path is one line on stderr, escaped', () => {
    const root = tempDir();
    expectOneLineError(
      neevscan(['scan', 'gone\x1b]0;pwned\x07\n.env'], { cwd: root }),
      'gone\\e]0;pwned\\a\\n.env: no such file or folder',
    );
  });
});
