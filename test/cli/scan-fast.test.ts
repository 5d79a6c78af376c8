import { copyFileSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScanArgs, parseStagedArgs } from '../../src/cli/scan-fast.js';
import { generateKey, sha256Hex } from '../../src/key-format/key.js';
import { neevscan } from '../helpers/cli.js';
import { GIT_ENV, git, gitRepo, tempDir, writeTree } from '../helpers/tmp.js';

const DEFAULTS = { format: 'text', rules: [], color: true, maxFileSize: '0', staged: true };

describe('the scan --staged command line, parsed without commander', () => {
  it("takes main.ts's defaults and the options a hook passes, as commander reads them", () => {
    expect(parseStagedArgs(['scan', '--staged'])).toEqual(DEFAULTS);
    expect(
      parseStagedArgs([
        'scan',
        '--format=sarif',
        '--staged',
        '--no-color',
        '--rules',
        'a.yaml',
        '--rules=b',
        '--output',
        '--staged', // a value, whatever it looks like
        '--max-file-size',
        '100',
        '--baseline',
        'base.json',
        '--write-baseline=new.json',
        '--format',
        'json',
      ]),
    ).toEqual({
      ...DEFAULTS,
      format: 'json',
      color: false,
      rules: ['a.yaml', 'b'],
      output: '--staged',
      maxFileSize: '100',
      baseline: 'base.json',
      writeBaseline: 'new.json',
    });
  });

  it('leaves everything else to commander: no --staged, paths, other flags, a missing or bad value', () => {
    for (const argv of [
      [],
      ['--staged'],
      ['scan'],
      ['scan', '.', '--staged'],
      ['scan', '--staged', '--git'],
      ['scan', '--staged', '--help'],
      ['scan', '--staged', '-h'],
      ['scan', '--staged', '--format'],
      ['scan', '--staged', '--format', 'xml'],
      ['scan', '--staged', '--format='],
      ['scan', '--staged=yes'],
      ['scan', '--staged', '--color'],
      ['scan', '--staged', '--'],
      ['scan', '--output', '--staged'],
      ['scan', '--staged', '--=x'],
    ]) {
      expect(parseStagedArgs(argv), argv.join(' ')).toBeUndefined();
    }
  });
});

describe('the scan PATH command line, parsed without commander', () => {
  const OPTIONS = { format: 'text', rules: [], color: true, maxFileSize: '0' };

  it('takes paths between options, and --threads, as commander reads them', () => {
    expect(parseScanArgs(['scan'])).toEqual({ paths: [], options: OPTIONS });
    expect(parseScanArgs(['scan', 'a', '--format', 'json', 'b c', '--threads=3', '--no-color', './-x'])).toEqual({
      paths: ['a', 'b c', './-x'],
      options: { ...OPTIONS, format: 'json', threads: '3', color: false },
    });
    expect(parseScanArgs(['scan', '--staged', '--threads', '2'])).toEqual({
      paths: [],
      options: { ...OPTIONS, staged: true, threads: '2' },
    });
  });

  it("takes --git and its optional range as commander reads them (the next argument, unless it looks like a flag; '-' alone is a range)", () => {
    const git = (range: string | true, more = {}) => ({ paths: [], options: { ...OPTIONS, git: range, ...more } });
    expect(parseScanArgs(['scan', '--git'])).toEqual(git(true));
    expect(parseScanArgs(['scan', '--git', 'main..HEAD'])).toEqual(git('main..HEAD'));
    expect(parseScanArgs(['scan', '--git', '--format', 'json'])).toEqual(git(true, { format: 'json' }));
    expect(parseScanArgs(['scan', '--format=sarif', '--git=HEAD~3'])).toEqual(git('HEAD~3', { format: 'sarif' }));
    expect(parseScanArgs(['scan', '--git', '-'])).toEqual(git('-'));
    expect(parseScanArgs(['scan', '--git', 'a', '--git'])).toEqual(git(true)); // the last one counts
  });

  it('leaves stdin, short flags, --, an empty --git=, and --staged or --git with a path or with each other to commander', () => {
    for (const argv of [
      ['scan', '-'],
      ['scan', 'a', '-'],
      ['scan', '.', '--git', 'main..HEAD'],
      ['scan', '--git', 'main', 'extra'],
      ['scan', '--git='],
      ['scan', '--staged', '--git'],
      ['scan', '-h'],
      ['scan', 'a', '--', 'b'],
      ['scan', '--staged', 'a.env'],
      ['scan', '.', '--threads'],
      ['keys', 'list'],
    ]) {
      expect(parseScanArgs(argv), argv.join(' ')).toBeUndefined();
    }
  });
});

describe('scan PATH through bin/neevscan.js (the bundled path when built)', () => {
  it('scans folders and files named between options, as commander would have them', () => {
    const root = tempDir();
    const key = generateKey();
    writeTree(root, { 'a/one.env': `KEY=${key}\n`, 'b/two.txt': 'nothing\n', 'c.txt': `k=${generateKey()}\n` });
    const run = neevscan(['scan', join(root, 'a'), '--format', 'json', join(root, 'c.txt'), '--threads=1', join(root, 'b')]);
    expect(run.status).toBe(1);
    const report = JSON.parse(run.stdout) as { findings: Array<{ secretSha256: string }>; stats: { files: number } };
    expect(report.stats.files).toBe(3);
    expect(report.findings.map((f) => f.secretSha256)).toContain(sha256Hex(key));
    expect(report.findings).toHaveLength(2);
    const missing = neevscan(['scan', join(root, 'nope'), '--no-color']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe(`neevscan: ${join(root, 'nope')}: no such file or folder\n`);
  });
});

describe('scan --git through bin/neevscan.js (the bundled path when built)', () => {
  it("gives commander's report and errors: the whole history, a range, and a range git refuses", () => {
    const repo = gitRepo();
    const key = generateKey();
    writeTree(repo, { 'a.env': 'A=1\n' });
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'first');
    writeTree(repo, { 'a.env': `A=1\nKEY=${key}\n` });
    git(repo, 'commit', '-q', '-am', 'a key');
    // Each line, and whether its scan holds the key: HEAD~1 alone is the first commit's ancestry, before the key.
    for (const [line, holdsKey] of [
      [['--git'], true],
      [['--git', 'HEAD~1..HEAD'], true],
      [['--git=HEAD~1'], false],
      [['--git', 'no-such-ref..HEAD'], false],
    ] as const) {
      // A trailing `--` is commander's alone to read: the same scan through main.ts.
      const fast = neevscan(['scan', ...line, '--format', 'json'], { cwd: repo, env: GIT_ENV });
      const slow = neevscan(['scan', ...line, '--format', 'json', '--'], { cwd: repo, env: GIT_ENV });
      expect(fast.status, line.join(' ')).toBe(slow.status);
      expect(fast.stderr.replace(/\d+ ms/, 'N ms'), line.join(' ')).toBe(slow.stderr.replace(/\d+ ms/, 'N ms'));
      if (fast.status === 2) continue;
      const report = JSON.parse(fast.stdout) as { findings: Array<{ secretSha256: string }> };
      expect(
        report.findings.map((f) => f.secretSha256),
        line.join(' '),
      ).toEqual(holdsKey ? [sha256Hex(key)] : []);
      expect(JSON.parse(fast.stdout).findings).toEqual(JSON.parse(slow.stdout).findings);
    }
  });
});

describe('scan without git on PATH', () => {
  it('says git is not installed, for the hook, a history and a range alike (not "not a git repository")', () => {
    const repo = gitRepo();
    const noGit = tempDir(); // an empty folder as the whole PATH: node is run by its own path
    for (const line of [['--staged'], ['--git'], ['--git', 'HEAD~1..HEAD']]) {
      const run = neevscan(['scan', ...line], { cwd: repo, env: { PATH: noGit } });
      expect(run.status, line.join(' ')).toBe(2);
      expect(run.stderr, line.join(' ')).toBe('neevscan: git is not installed (or not on PATH)\n');
    }
  });
});

describe('scan --staged through bin/neevscan.js (the bundled path when built)', () => {
  function stagedKey() {
    const repo = gitRepo();
    const key = generateKey();
    writeTree(repo, { 'a.env': `A=1\nKEY=${key}\n` });
    git(repo, 'add', '-A');
    return { repo, key };
  }

  it('honours --format=, --output, --baseline and --write-baseline', () => {
    const { repo, key } = stagedKey();
    const report = join(repo, 'report.sarif');
    const run = neevscan(['scan', '--staged', '--format=sarif', '--output', report], { cwd: repo, env: GIT_ENV });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^neevscan: 1 secret found in staged changes/);
    expect(JSON.parse(readFileSync(report, 'utf8')).runs[0].results).toHaveLength(1);

    const baseline = join(repo, 'baseline.json');
    expect(neevscan(['scan', '--staged', '--write-baseline', baseline], { cwd: repo, env: GIT_ENV }).status).toBe(0);
    expect(readFileSync(baseline, 'utf8')).toContain(sha256Hex(key));
    expect(readFileSync(baseline, 'utf8')).not.toContain(key);
    const again = neevscan(['scan', '--staged', '--baseline', baseline, '--format', 'json'], { cwd: repo, env: GIT_ENV });
    expect(again.status).toBe(0);
    expect(JSON.parse(again.stdout).findings).toEqual([]);
  });

  it('with --rules, a custom rule finds what it names', () => {
    const repo = gitRepo();
    const rules = join(repo, 'rules.yaml');
    writeFileSync(
      rules,
      'rules:\n  - id: acme-token\n    description: Acme token\n    keywords: [acme_]\n    pattern: "acme_[0-9a-f]{16}"\n    examples: ["acme_0123456789abcdef"]\n',
    );
    writeTree(repo, { 'b.txt': 'token acme_0123456789abcdef\n' });
    git(repo, 'add', 'b.txt');
    const run = neevscan(['scan', '--staged', '--rules', rules, '--format', 'json'], { cwd: repo, env: GIT_ENV });
    expect(run.status).toBe(1);
    expect(JSON.parse(run.stdout).findings).toMatchObject([{ ruleId: 'acme-token', file: 'b.txt', line: 1, column: 7 }]);
  });

  it('commander still words the errors of what the fast path does not parse', () => {
    const { repo } = stagedKey();
    const bad = neevscan(['scan', '--staged', '--format', 'xml'], { cwd: repo, env: GIT_ENV });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/argument 'xml' is invalid/);
    const path = neevscan(['scan', '--staged', 'a.env'], { cwd: repo, env: GIT_ENV });
    expect(path.status).toBe(2);
    expect(path.stderr).toBe('neevscan: --staged scans the repository of the current folder and takes no PATH\n');
  });
});

describe("the bundle's code cache (bin/load-bundle.cjs)", () => {
  const { loadBundle } = createRequire(import.meta.url)('../../bin/load-bundle.cjs') as {
    loadBundle: (file: string) => { script: { cachedDataRejected?: boolean }; exports: Record<string, unknown> };
  };
  const BUNDLE = new URL('../../dist/bundle/scan.cjs', import.meta.url).pathname;

  it('is taken by this Node when the build made it, for the hook’s bundle and the folder scan’s', () => {
    for (const bundle of [BUNDLE, new URL('../../dist/bundle/staged.cjs', import.meta.url).pathname]) {
      const { script, exports } = loadBundle(bundle);
      expect(script.cachedDataRejected, bundle).toBe(false);
      expect(typeof exports.runScanFast).toBe('function');
    }
  });

  it('is not used when older than the bundle', () => {
    const dir = tempDir();
    const copy = join(dir, 'scan.cjs');
    copyFileSync(`${BUNDLE}.cache`, `${copy}.cache`);
    copyFileSync(BUNDLE, copy);
    utimesSync(`${copy}.cache`, new Date(0), new Date(0));
    const { script, exports } = loadBundle(copy);
    expect(script.cachedDataRejected).toBeUndefined(); // no cache handed to V8
    expect(typeof exports.runScanFast).toBe('function');
  });
});
