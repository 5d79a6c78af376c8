import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateKey, sha256Hex } from '../../src/key-format/key.js';
import { neevscan, neevscanAsync, neevscanJson } from '../helpers/cli.js';
import { tempDir, writeTree } from '../helpers/tmp.js';

describe('neevscan scan PATH', () => {
  it('walks a folder and reports file, line and column relative to it', () => {
    const root = tempDir();
    const key = generateKey();
    writeTree(root, { 'config/app.env': `A=1\nB=2\nNEEV_KEY=${key}\n`, 'src/ok.js': 'const neev_ = 1;\n', 'README.md': '# nothing\n' });
    const { status, report } = neevscanJson(['scan', root]);
    expect(status).toBe(1);
    expect(report.findings).toEqual([
      expect.objectContaining({
        ruleId: 'neevcloud-api-key',
        file: 'config/app.env',
        line: 3,
        column: 10,
        commit: null,
        secretSha256: sha256Hex(key),
        redacted: `neev_…${key.slice(-4)}`,
      }),
    ]);
    expect(report.findings[0]!.fingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(report.stats.files).toBe(3);
  });

  it('defaults to the current folder and exits 0 when nothing is found', () => {
    const root = tempDir();
    writeTree(root, { 'a.txt': 'hello' });
    const run = neevscan(['scan'], { cwd: root });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('no secrets found');
  });

  it('skips .git and what .neevscanignore files exclude, at every level', () => {
    const root = tempDir();
    writeTree(root, {
      '.git/config': generateKey(),
      '.neevscanignore': 'fixtures/\n*.snap\n',
      'fixtures/key.txt': generateKey(),
      'a.snap': generateKey(),
      'pkg/.neevscanignore': '!keep.snap\nlocal.txt\n',
      'pkg/keep.snap': `k=${generateKey()}`,
      'pkg/local.txt': generateKey(),
      'found.txt': generateKey(),
    });
    const { report } = neevscanJson(['scan', '.'], { cwd: root });
    expect(report.findings.map((f) => f.file).sort()).toEqual(['found.txt', 'pkg/keep.snap']);
  });

  it('does not follow symbolic links out of the tree or into loops', () => {
    const root = tempDir();
    const outside = tempDir();
    writeTree(outside, { 'secret.txt': generateKey() });
    writeTree(root, { 'in/real.txt': generateKey() });
    symlinkSync(outside, join(root, 'out-link'));
    symlinkSync(root, join(root, 'in', 'loop'));
    symlinkSync(join(root, 'in', 'real.txt'), join(root, 'alias.txt'));
    const { report } = neevscanJson(['scan', root]);
    expect(report.findings.map((f) => f.file)).toEqual(['in/real.txt']);
  });

  it('scans binary files and invalid UTF-8', () => {
    const root = tempDir();
    const key = generateKey();
    writeTree(root, { 'blob.bin': Buffer.concat([Buffer.from([0, 0xff, 0xc3, 0x28, 0x0a]), Buffer.from(key), Buffer.from([0, 0x9f])]) });
    const { report } = neevscanJson(['scan', root]);
    expect(report.findings).toMatchObject([{ file: 'blob.bin', line: 2, column: 1 }]);
  });

  it('reads UTF-16 text files (PowerShell output, .reg files) as text', () => {
    const root = tempDir();
    const key = generateKey();
    writeTree(root, { 'out.txt': Buffer.from(`\ufeffName  Value\r\nKEY   ${key}\r\n`, 'utf16le') });
    const { report } = neevscanJson(['scan', root]);
    expect(report.findings).toMatchObject([{ file: 'out.txt', line: 2, column: 7, secretSha256: sha256Hex(key) }]);
  });

  it('reads stdin with -', () => {
    const key = generateKey();
    const { status, report } = neevscanJson(['scan', '-'], { input: `line\n  ${key}\n` });
    expect(status).toBe(1);
    expect(report.findings).toMatchObject([{ file: '-', line: 2, column: 3 }]);
  });

  it('scans a single file named on the command line', () => {
    const root = tempDir();
    writeTree(root, { 'x/y.env': `K=${generateKey()}` });
    const { report } = neevscanJson(['scan', 'x/y.env'], { cwd: root });
    expect(report.findings).toMatchObject([{ file: 'x/y.env', line: 1, column: 3 }]);
  });

  it('a path that does not exist is an error: exit 2, one line', () => {
    const run = neevscan(['scan', '/no/such/place']);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe('neevscan: /no/such/place: no such file or folder\n');
  });

  it('an unreadable file inside a folder is a warning; the scan goes on', () => {
    const root = tempDir();
    chmodSync(root, 0o755);
    writeTree(root, { 'ok.txt': generateKey(), 'locked.txt': 'x' });
    chmodSync(join(root, 'locked.txt'), 0o000);
    mkdirSync(join(root, 'locked-dir'));
    writeFileSync(join(root, 'locked-dir', 'f'), 'x');
    chmodSync(join(root, 'locked-dir'), 0o000);
    const { status, report } = neevscanJson(['scan', root], { unprivileged: true });
    expect(status).toBe(1);
    expect(report.findings.map((f) => f.file)).toEqual(['ok.txt']);
    expect(report.warnings).toEqual([
      { path: 'locked-dir', reason: 'permission denied' },
      { path: 'locked.txt', reason: 'permission denied' },
    ]);
    expect(report.stats.skipped).toBe(2);
    chmodSync(join(root, 'locked-dir'), 0o755);
  });

  it('skips files over --max-file-size and counts them', () => {
    const root = tempDir();
    writeTree(root, { 'big.txt': `${generateKey()}${'x'.repeat(2000)}`, 'small.txt': 'x' });
    const { status, report } = neevscanJson(['scan', root, '--max-file-size', '1000']);
    expect(status).toBe(0);
    expect(report.warnings).toEqual([{ path: 'big.txt', reason: expect.stringContaining('--max-file-size') }]);
    expect(report.stats.skipped).toBe(1);
  });

  it('refuses bad arguments with exit 2', () => {
    expect(neevscan(['scan', '--format', 'xml']).status).toBe(2);
    expect(neevscan(['scan', '--max-file-size', 'lots']).status).toBe(2);
    expect(neevscan(['scan', '--bogus']).status).toBe(2);
    expect(neevscan(['frobnicate']).status).toBe(2);
  });

  it('scans a large tree on worker threads with the same findings', () => {
    const root = tempDir();
    const files: Record<string, string> = {};
    const keys: string[] = [];
    for (let i = 0; i < 600; i++) {
      const key = i % 50 === 0 ? generateKey() : undefined;
      if (key) keys.push(key);
      files[`d${i % 10}/f${i}.txt`] = `line\n${'neev_ '.repeat(i % 7)}${key ? `k=${key}` : 'nothing'}\n`;
    }
    writeTree(root, files);
    const parallel = neevscanJson(['scan', root]);
    const serial = neevscanJson(['scan', root, '--threads', '1']);
    expect(parallel.report.findings).toHaveLength(keys.length);
    expect(parallel.report.findings).toEqual(serial.report.findings);
    expect(parallel.report.stats.files).toBe(600);
  });

  it('ends as soon as the report is out, with all of it and its status, through a pipe many times its buffer', async () => {
    // 2,000 findings: a report of some MB, many times a pipe's buffer; the reader below takes it in as events come.
    const root = tempDir();
    const files: Record<string, string> = {};
    for (let i = 0; i < 2000; i++) files[`d${i % 20}/f${i}.env`] = `KEY_${i}=${generateKey()}\n`;
    writeTree(root, files);
    for (const env of [{}, { NEEVSCAN_NATIVE: '0' }]) {
      const run = await neevscanAsync(['scan', root, '--format', 'json'], { env });
      expect(run.status).toBe(1);
      expect((JSON.parse(run.stdout) as { findings: unknown[] }).findings).toHaveLength(2000);
      expect(run.stderr).toContain('2000 secrets found');
      const text = await neevscanAsync(['scan', root], { env });
      expect(text.status).toBe(1);
      expect(
        text.stdout
          .trimEnd()
          .split('\n')
          .filter((line) => line.includes('neevcloud-api-key')),
      ).toHaveLength(2000);
    }
    const clean = await neevscanAsync(['scan', join(root, 'd0', 'f0.env'), '--max-file-size', '1']);
    expect(clean.status).toBe(0);
    expect(neevscan(['scan', join(root, 'missing')]).status).toBe(2);
  });
});
