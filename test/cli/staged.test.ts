import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateKey, sha256Hex } from '../../src/key-format/key.js';
import { neevscan, neevscanJson } from '../helpers/cli.js';
import { GIT_ENV, git, gitRepo, tempDir, writeTree } from '../helpers/tmp.js';

const staged = (cwd: string) => neevscanJson(['scan', '--staged'], { cwd, env: GIT_ENV });

function committed(files: Record<string, string | Buffer>) {
  const repo = gitRepo();
  writeTree(repo, files);
  git(repo, 'add', '-A');
  git(repo, 'commit', '-qm', 'initial');
  return repo;
}

describe('neevscan scan --staged', () => {
  it('works in a repository with no commits yet', () => {
    const repo = gitRepo();
    const key = generateKey();
    writeTree(repo, { 'app.env': `A=1\nKEY=${key}\n` });
    git(repo, 'add', 'app.env');
    const { status, report } = staged(repo);
    expect(status).toBe(1);
    expect(report.findings).toMatchObject([{ file: 'app.env', line: 2, column: 5, commit: null, secretSha256: sha256Hex(key) }]);
  });

  it('reports only added lines, numbered as in the staged file', () => {
    const old = generateKey();
    const repo = committed({ 'config.js': `// config\nconst a = "${old}";\n` });
    const fresh = generateKey();
    writeTree(repo, { 'config.js': `// config\n// more\nconst a = "${old}";\nconst b = "${fresh}";\n` });
    git(repo, 'add', 'config.js');
    const { report } = staged(repo);
    expect(report.findings).toMatchObject([{ file: 'config.js', line: 4, column: 12, secretSha256: sha256Hex(fresh) }]);
  });

  it('judges a partly staged file by the staged blob, not the working file', () => {
    const repo = committed({ 'a.txt': 'one\n' });
    const stagedKey = generateKey();
    writeTree(repo, { 'a.txt': `one\n${stagedKey}\n` });
    git(repo, 'add', 'a.txt');
    // The working file changes after staging: a new key not staged, and the staged one removed.
    writeTree(repo, { 'a.txt': `one\nworking ${generateKey()}\n` });
    const { report } = staged(repo);
    expect(report.findings).toMatchObject([{ line: 2, column: 1, secretSha256: sha256Hex(stagedKey) }]);
  });

  it('handles renames (only edits count), deletions, and paths with odd characters', () => {
    const old = generateKey();
    const repo = committed({ 'old name.env': `K=${old}\n${'filler line\n'.repeat(20)}`, 'gone.txt': generateKey() });
    git(repo, 'mv', 'old name.env', 'new "name"\t.env');
    git(repo, 'rm', '-q', 'gone.txt');
    const added = generateKey();
    writeTree(repo, { 'new "name"\t.env': `K=${old}\n${'filler line\n'.repeat(20)}X=${added}\n`, 'ünï.txt': `k ${generateKey()}` });
    git(repo, 'add', '-A');
    const { report } = staged(repo);
    expect(report.findings.map((f) => [f.file, f.line])).toEqual([
      ['new "name"\t.env', 22],
      ['ünï.txt', 1],
    ]);
  });

  it('scans binary files: keys new to the file count, keys it already held do not', () => {
    const old = generateKey();
    const repo = committed({ 'data.bin': Buffer.concat([Buffer.from([0, 1, 2, 0]), Buffer.from(old)]) });
    const fresh = generateKey();
    writeTree(repo, {
      'data.bin': Buffer.concat([Buffer.from([0, 1, 2, 0]), Buffer.from(old), Buffer.from([0]), Buffer.from(fresh)]),
      'new.bin': Buffer.concat([Buffer.from([0, 0xff]), Buffer.from(generateKey())]),
    });
    git(repo, 'add', '-A');
    const { report } = staged(repo);
    expect(report.findings.map((f) => f.file)).toEqual(['data.bin', 'new.bin']);
    expect(report.findings[0]!.secretSha256).toBe(sha256Hex(fresh));
  });

  it('an added line that starts with "++" is read as content, not as a header', () => {
    const repo = committed({ 'notes.txt': 'start\n' });
    const key = generateKey();
    writeTree(repo, { 'notes.txt': `start\n++ not a header\n+++ b/neither\n${key}\n` });
    git(repo, 'add', 'notes.txt');
    expect(staged(repo).report.findings).toMatchObject([{ file: 'notes.txt', line: 4 }]);
  });

  it('honours neevscan:allow and exits 0 with nothing staged', () => {
    const repo = committed({ 'a.txt': 'x\n' });
    expect(staged(repo).status).toBe(0);
    writeTree(repo, { 'a.txt': `x\nfixture = "${generateKey()}" # neevscan:allow\n` });
    git(repo, 'add', 'a.txt');
    expect(staged(repo)).toMatchObject({ status: 0, report: { findings: [] } });
  });

  it('reports files relative to the repository root from a subfolder', () => {
    const repo = committed({ 'sub/dir/a.txt': 'x\n' });
    writeTree(repo, { 'sub/dir/a.txt': `x\n${generateKey()}\n` });
    git(repo, 'add', '-A');
    expect(staged(join(repo, 'sub')).report.findings).toMatchObject([{ file: 'sub/dir/a.txt', line: 2 }]);
  });

  it('outside a git repository: exit 2 and one clear line', () => {
    const run = neevscan(['scan', '--staged'], { cwd: tempDir(), env: { ...GIT_ENV, GIT_CEILING_DIRECTORIES: '/tmp' } });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^neevscan: not a git repository/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('inside .git, where `git diff --cached` still answers: exit 2, not a clean scan', () => {
    const repo = committed({ 'a.txt': 'x\n' });
    writeTree(repo, { 'a.txt': `x\n${generateKey()}\n` });
    git(repo, 'add', '-A');
    const run = neevscan(['scan', '--staged'], { cwd: join(repo, '.git'), env: GIT_ENV });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^neevscan: not a git repository/);
  });

  it('a bad rule file stops the scan with exit 2 (git, already started, is not left waiting)', () => {
    const repo = committed({ 'a.txt': 'x\n' });
    writeTree(repo, { 'a.txt': `x\n${generateKey()}\n` });
    git(repo, 'add', '-A');
    const run = neevscan(['scan', '--staged', '--rules', join(repo, 'missing.yaml')], { cwd: repo, env: GIT_ENV });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^neevscan: cannot read rule file/);
  });

  it('ignores submodules and deleted files without error', () => {
    const repo = committed({ 'a.txt': 'x\n' });
    rmSync(join(repo, 'a.txt'));
    git(repo, 'add', '-A');
    writeFileSync(join(repo, 'b.txt'), 'y\n');
    git(repo, 'add', 'b.txt');
    expect(staged(repo)).toMatchObject({ status: 0 });
  });
});
