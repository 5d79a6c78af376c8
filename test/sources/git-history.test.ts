/**
 * `neevscan scan --git [RANGE]` end to end: real repositories made at test
 * time, the built CLI run in them, its JSON report checked.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey, sha256Hex } from '../../src/key-format/key.js';
import { nativePrefilter } from '../../src/sources/native-prefilter.js';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(projectRoot, 'bin', 'neevscan.js');
const scratch = mkdtempSync(join(tmpdir(), 'neevscan-history-'));

// The machine's and the user's git config must not change what the tests see.
const env = {
  ...process.env,
  HOME: scratch,
  XDG_CONFIG_HOME: join(scratch, '.config'),
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
  NO_COLOR: '1',
};

interface JsonFinding {
  ruleId: string;
  file: string;
  line: number;
  column: number;
  commit: string | null;
  secretSha256: string;
  redacted: string;
}
interface JsonReport {
  findings: JsonFinding[];
  stats: { files: number; bytes: number; skipped: number; suppressed: { inline: number; baseline: number } };
  warnings: Array<{ path: string; reason: string }>;
}

/** Every key a test made: none may ever appear in the CLI's output. */
const keys: string[] = [];
function newKey(): string {
  const key = generateKey();
  keys.push(key);
  return key;
}

let repoCount = 0;
function newRepo(): Repo {
  const dir = join(scratch, `repo${++repoCount}`);
  mkdirSync(dir);
  const repo = new Repo(dir);
  repo.git('init', '-q', '-b', 'main');
  return repo;
}

class Repo {
  constructor(readonly dir: string) {}

  git(...args: string[]): string {
    return execFileSync('git', args, { cwd: this.dir, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  }

  write(path: string, content: string | Buffer): void {
    mkdirSync(dirname(join(this.dir, path)), { recursive: true });
    writeFileSync(join(this.dir, path), content);
  }

  /** Writes the files, commits everything, returns the commit's SHA. */
  commit(message: string, files: Record<string, string | Buffer> = {}): string {
    for (const [path, content] of Object.entries(files)) this.write(path, content);
    this.git('add', '-A');
    this.git('commit', '-q', '--allow-empty', '-m', message);
    return this.git('rev-parse', 'HEAD');
  }

  /** Runs `neevscan scan --git [range] --format json` here (or in `cwd`). */
  scan(range?: string, extra: string[] = [], cwd = this.dir) {
    return runCli(['scan', range === undefined ? '--git' : `--git=${range}`, '--format', 'json', ...extra], cwd);
  }
}

function runCli(args: string[], cwd: string) {
  const run = spawnSync(process.execPath, [bin, ...args], { cwd, env, encoding: 'utf8' });
  for (const key of keys) {
    expect(run.stdout).not.toContain(key);
    expect(run.stderr).not.toContain(key);
  }
  const report = run.stdout.trim().startsWith('{') ? (JSON.parse(run.stdout) as JsonReport) : undefined;
  return { status: run.status, stderr: run.stderr, report: report! };
}

beforeAll(() => {
  // The tests drive the built CLI: build it from the current sources.
  execFileSync(
    process.execPath,
    [join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(projectRoot, 'tsconfig.json')],
    {
      cwd: projectRoot,
      stdio: 'inherit',
    },
  );
}, 120_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('neevscan scan --git', () => {
  it('reports a key at the commit that introduced it, with its line and column in that version', () => {
    const repo = newRepo();
    const key = newKey();
    repo.commit('one', { 'README.md': 'hello\n' });
    const second = repo.commit('two', { 'config/app.env': `# settings\nTOKEN = "${key}"\n` });
    repo.commit('three', { 'README.md': 'hello again\n' });

    const { status, report } = repo.scan();
    expect(status).toBe(1);
    expect(report.findings).toEqual([
      expect.objectContaining({
        file: 'config/app.env',
        line: 2,
        column: 10,
        commit: second,
        secretSha256: sha256Hex(key),
        ruleId: 'neevcloud-api-key',
      }),
    ]);
    expect(report.findings[0]!.redacted).toBe(`neev_…${key.slice(-4)}`);

    // From a subfolder: still the whole repository, paths relative to its root.
    const fromSub = repo.scan(undefined, [], join(repo.dir, 'config'));
    expect(fromSub.report.findings.map((f) => [f.file, f.commit])).toEqual([['config/app.env', second]]);
  });

  it('reports a key kept through later versions of its file once, where it came in', () => {
    const repo = newRepo();
    const key = newKey();
    const added = repo.commit('add', { 'app.js': `const a = 1;\nconst key = '${key}';\n` });
    repo.commit('edit above', { 'app.js': `// header\n// more\nconst a = 1;\nconst key = '${key}';\n` });
    repo.commit('edit below', { 'app.js': `// header\n// more\nconst a = 1;\nconst key = '${key}';\nconst b = 2;\n` });

    const { status, report } = repo.scan();
    expect(status).toBe(1);
    expect(report.findings).toEqual([expect.objectContaining({ file: 'app.js', line: 2, column: 14, commit: added })]);
    expect(report.stats.files).toBe(3); // three versions, each scanned
  });

  it('reports a key in two files twice, once per file', () => {
    const repo = newRepo();
    const key = newKey();
    const first = repo.commit('one', { 'a.env': `KEY=${key}\n` });
    const second = repo.commit('two', { 'b/c.env': `# copy\nKEY=${key}\n` });

    const { report } = repo.scan();
    expect(report.findings.map((f) => [f.file, f.line, f.commit, f.secretSha256])).toEqual([
      ['a.env', 1, first, sha256Hex(key)],
      ['b/c.env', 2, second, sha256Hex(key)],
    ]);
  });

  it('reads every ref without a range, and only the range with one', () => {
    const repo = newRepo();
    const onMain = newKey();
    const onFeature = newKey();
    const mainAfterFork = newKey();
    const mainCommit = repo.commit('main', { 'settings.py': `KEY = "${onMain}"\nDEBUG = False\n` });
    repo.git('checkout', '-q', '-b', 'feature');
    // The feature edits the file that already holds main's key: that key was not introduced by the feature.
    repo.commit('feature edit', { 'settings.py': `KEY = "${onMain}"\nDEBUG = True\n` });
    const featureKey = repo.commit('feature key', { 'feature.txt': `token: ${onFeature}\n` });
    repo.git('checkout', '-q', 'main');
    const later = repo.commit('main later', { 'late.txt': `${mainAfterFork}\n` });

    const all = repo.scan();
    expect(all.status).toBe(1);
    expect(all.report.findings.map((f) => [f.file, f.commit])).toEqual([
      ['feature.txt', featureKey],
      ['late.txt', later],
      ['settings.py', mainCommit],
    ]);

    const range = repo.scan('main..feature');
    expect(range.status).toBe(1);
    expect(range.report.findings.map((f) => [f.file, f.commit, f.secretSha256])).toEqual([
      ['feature.txt', featureKey, sha256Hex(onFeature)],
    ]);
    expect(range.report.stats.files).toBe(2); // the feature's two blobs

    const mainOnly = repo.scan('main');
    expect(mainOnly.report.findings.map((f) => f.file)).toEqual(['late.txt', 'settings.py']);
  });

  it('finds a key that was added and then deleted', () => {
    const repo = newRepo();
    const key = newKey();
    repo.commit('one', { 'keep.txt': 'keep\n' });
    const added = repo.commit('oops', { 'secret.txt': `${key}\n` });
    repo.git('rm', '-q', 'secret.txt');
    repo.commit('remove it');

    const { status, report } = repo.scan();
    expect(status).toBe(1);
    expect(report.findings).toEqual([expect.objectContaining({ file: 'secret.txt', line: 1, column: 1, commit: added })]);
  });

  it('credits a merged key to the side commit, and a key the merge itself added to the merge', () => {
    const repo = newRepo();
    const sideKey = newKey();
    const mergeKey = newKey();
    repo.commit('base', { 'app.txt': 'base\n' });
    repo.git('checkout', '-q', '-b', 'side');
    const sideCommit = repo.commit('side', { 'side.txt': `key ${sideKey}\n` });
    repo.git('checkout', '-q', 'main');
    repo.commit('main moves on', { 'main.txt': 'main\n' });
    repo.git('merge', '-q', '--no-ff', '--no-commit', 'side');
    // An "evil" merge: content that is in neither parent.
    repo.write('app.txt', `base\nmerged ${mergeKey}\n`);
    const merge = repo.commit('merge side');
    expect(repo.git('rev-list', '--parents', '-n', '1', 'HEAD').split(' ')).toHaveLength(3);

    const { report } = repo.scan();
    expect(report.findings.map((f) => [f.file, f.line, f.commit])).toEqual([
      ['app.txt', 2, merge],
      ['side.txt', 1, sideCommit],
    ]);
    // With the side branch's commits outside the range, its key came in through the merge unchanged: not new.
    const mergeOnly = repo.scan('side..HEAD');
    expect(mergeOnly.report.findings.map((f) => [f.file, f.commit])).toEqual([['app.txt', merge]]);
  });

  it('reads a blob held by several commits and paths once', () => {
    const repo = newRepo();
    const key = newKey();
    const content = `shared ${key}\n`;
    const first = repo.commit('one', { 'a.txt': content });
    const second = repo.commit('copy', { 'b.txt': content });
    repo.commit('change', { 'a.txt': 'changed\n' });
    repo.commit('revert', { 'a.txt': content });
    const blobs = new Set(
      repo
        .git('rev-list', '--all', '--objects')
        .split('\n')
        .map((line) => line.split(' ')[0]!)
        .filter((oid) => repo.git('cat-file', '-t', oid) === 'blob'),
    );
    expect(blobs.size).toBe(2);

    const { report } = repo.scan();
    expect(report.stats.files).toBe(2);
    expect(report.stats.bytes).toBe(Buffer.byteLength(content) + Buffer.byteLength('changed\n'));
    expect(report.findings.map((f) => [f.file, f.commit])).toEqual([
      ['a.txt', first],
      ['b.txt', second],
    ]);
  });

  it('reads big blobs whole', () => {
    const repo = newRepo();
    const filler = (lines: number, tag: string) =>
      Array.from({ length: lines }, (_, i) => `${tag} line ${i} ${'-'.repeat(60)}`).join('\n') + '\n';
    const early = newKey();
    const late = newKey();
    // Over 8 MiB in all: each blob spans many reads (several readers on many blobs: the test at the end).
    const first = repo.commit('big one', { 'data/one.txt': `${filler(40_000, 'a')}key=${early}\n${filler(30_000, 'b')}` });
    const second = repo.commit('big two', { 'data/two.txt': `${filler(70_000, 'c')}key=${late}\n` });
    repo.commit('edit one', { 'data/one.txt': `top\n${filler(40_000, 'a')}key=${early}\n${filler(30_000, 'b')}` });

    const { report } = repo.scan();
    expect(report.stats.bytes).toBeGreaterThan(8 * 1024 * 1024);
    expect(report.findings.map((f) => [f.file, f.line, f.column, f.commit])).toEqual([
      ['data/one.txt', 40_001, 5, first],
      ['data/two.txt', 70_001, 5, second],
    ]);
  });

  it('scans binary blobs as bytes', () => {
    const repo = newRepo();
    const key = newKey();
    const binary = Buffer.concat([
      Buffer.from([0, 1, 2, 0xff, 0xfe, 0x0a, 0x80]),
      Buffer.from(`"${key}"`),
      Buffer.from([0, 0xc3, 0x28, 0x0a]),
    ]);
    const commit = repo.commit('binary', { 'assets/blob.bin': binary });

    const { status, report } = repo.scan();
    expect(status).toBe(1);
    expect(report.findings).toEqual([expect.objectContaining({ file: 'assets/blob.bin', line: 2, commit, secretSha256: sha256Hex(key) })]);
  });

  it('skips blobs over --max-file-size with a warning naming the path, and symlinks', () => {
    const repo = newRepo();
    const key = newKey();
    repo.commit('big', { 'big.txt': `${'x'.repeat(2000)}\n${key}\n` });
    symlinkSync(key, join(repo.dir, 'link'));
    repo.commit('link');

    const { status, report } = repo.scan(undefined, ['--max-file-size', '1000']);
    expect(status).toBe(0);
    expect(report.findings).toEqual([]);
    expect(report.warnings).toEqual([{ path: 'big.txt', reason: expect.stringContaining('larger than --max-file-size') }]);
  });

  it('honours neevscan:allow, unless a later version drops the marker', () => {
    const repo = newRepo();
    const allowed = newKey();
    const dropped = newKey();
    repo.commit('fixtures', { 'fixture.txt': `${allowed} # neevscan:allow\n`, 'other.txt': `${dropped} # neevscan:allow\n` });
    const lost = repo.commit('marker lost', { 'other.txt': `# top\n${dropped}\n` });

    const { report } = repo.scan();
    expect(report.findings.map((f) => [f.file, f.line, f.commit])).toEqual([['other.txt', 2, lost]]);
    expect(report.stats.suppressed.inline).toBe(1);
  });

  it('finds nothing, without an error, in a repository with no commits', () => {
    const repo = newRepo();
    const { status, report } = repo.scan();
    expect(status).toBe(0);
    expect(report.findings).toEqual([]);
    expect(report.stats.files).toBe(0);
  });

  it('exits 2 with one line on stderr outside a git repository', () => {
    const outside = join(scratch, 'not-a-repo');
    mkdirSync(outside);
    const { status, stderr } = runCli(['scan', '--git', '--format', 'json'], outside);
    expect(status).toBe(2);
    expect(stderr.trim().split('\n')).toEqual([expect.stringContaining('not a git repository')]);
  });

  it('scans a bare clone, a mirror clone (with every ref it copied) and from inside a .git folder', () => {
    const repo = newRepo();
    const onMain = newKey();
    const onBranch = newKey();
    const onPullRef = newKey();
    const mainCommit = repo.commit('main', { 'app.env': `KEY=${onMain}\n` });
    repo.git('checkout', '-q', '-b', 'feature');
    const branchCommit = repo.commit('feature', { 'feature.txt': `token ${onBranch}\n` });
    repo.git('checkout', '-q', 'main');
    // A ref outside refs/heads, as a hosting service keeps for pull requests: a mirror copies it, a bare clone does not.
    repo.git('checkout', '-q', '--detach');
    const pullCommit = repo.commit('pull request', { 'pr.txt': `${onPullRef}\n` });
    repo.git('update-ref', 'refs/pull/1/head', pullCommit);
    repo.git('checkout', '-q', 'main');
    const bare = join(scratch, `bare${repoCount}.git`);
    const mirror = join(scratch, `mirror${repoCount}.git`);
    execFileSync('git', ['clone', '-q', '--bare', repo.dir, bare], { env });
    execFileSync('git', ['clone', '-q', '--mirror', repo.dir, mirror], { env });
    const found = (report: JsonReport) => report.findings.map((f) => [f.secretSha256, f.commit, f.file]).sort();
    const expected = [
      [sha256Hex(onMain), mainCommit, 'app.env'],
      [sha256Hex(onBranch), branchCommit, 'feature.txt'],
    ];

    const inBare = repo.scan(undefined, [], bare);
    expect(inBare.status).toBe(1);
    expect(found(inBare.report)).toEqual(expected.sort());
    const inMirror = repo.scan(undefined, [], mirror);
    expect(inMirror.status).toBe(1);
    expect(found(inMirror.report)).toEqual([...expected, [sha256Hex(onPullRef), pullCommit, 'pr.txt']].sort());
    const range = repo.scan('main..feature', [], mirror);
    expect(found(range.report)).toEqual([[sha256Hex(onBranch), branchCommit, 'feature.txt']]);
    const inDotGit = repo.scan(undefined, [], join(repo.dir, '.git'));
    expect(found(inDotGit.report)).toEqual(found(inMirror.report));
  });

  it('exits 2 with one line on stderr for a range git does not know', () => {
    const repo = newRepo();
    repo.commit('one', { 'a.txt': 'a\n' });
    for (const range of ['main..nope', 'nope', '--output=x']) {
      const { status, stderr } = repo.scan(range);
      expect(status).toBe(2);
      expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/^neevscan: git log: bad revision/)]);
    }
  });
});

describe('scan --git with several readers', () => {
  it('gives the same findings, warnings and counts with 1, 2 and 3 git cat-file readers on a history of many blobs', async () => {
    const { scanHistory } = await import('../../src/sources/git/history.js');
    const { loadRules } = await import('../../src/rules/load.js');
    const repo = newRepo();
    // 60 files edited over 200 commits through git fast-import (quick to build): about 600 blobs, some in two paths,
    // keys planted along the way and kept in later versions, one big blob that spans many reads, one over the size limit.
    const planted = Array.from({ length: 8 }, () => newKey());
    const files = Array.from({ length: 60 }, (_, i) =>
      Array.from({ length: 20 + i }, (_, l) => `file ${i} line ${l} ${'-'.repeat(i % 7)}`),
    );
    let stream = '';
    let mark = 0;
    let mainHead = 0;
    const blob = (content: string) => {
      stream += `blob\nmark :${++mark}\ndata ${Buffer.byteLength(content)}\n${content}\n`;
      return mark;
    };
    for (let c = 0; c < 200; c++) {
      const changed = c === 0 ? files.map((_, i) => i) : [c % 60, (c * 7) % 60, (c * 13) % 60];
      const marks = new Map<string, number>();
      for (const i of changed) {
        files[i]!.splice((c * 5) % files[i]!.length, 1, `edit ${c} of ${i}`);
        if (c % 25 === 1) files[i]!.push(`token = "${planted[(c - 1) / 25]}"`);
        marks.set(`src/f${i}.txt`, blob(files[i]!.join('\n') + '\n'));
        if (i % 10 === 0) marks.set(`copy/f${i}.txt`, marks.get(`src/f${i}.txt`)!);
      }
      if (c === 100) marks.set('data/big.txt', blob(`${'big line\n'.repeat(200_000)}key ${planted[7]}\n`));
      if (c === 150) marks.set('data/huge.txt', blob('h'.repeat(3_000_000)));
      stream += `commit refs/heads/${c >= 180 ? 'side' : 'main'}\nmark :${++mark}\ncommitter T <t@example.com> ${1_600_000_000 + c} +0000\ndata 2\nc\n`;
      if (c === 180) stream += `from :${mainHead}\n`;
      else if (c < 180) mainHead = mark;
      for (const [path, m] of marks) stream += `M 100644 :${m} ${path}\n`;
      stream += '\n';
    }
    execFileSync('git', ['fast-import', '--quiet'], { cwd: repo.dir, env, input: stream });
    // A commit naming a blob the repository does not have (as a partial clone may): reported missing, not read.
    const ghost = 'd'.repeat(40);
    const tree = execFileSync('git', ['mktree', '--missing'], { cwd: repo.dir, env, input: `100644 blob ${ghost}\tghost.txt\n` });
    const ghostCommit = execFileSync('git', ['commit-tree', tree.toString().trim(), '-p', 'side', '-m', 'ghost'], { cwd: repo.dir, env });
    repo.git('update-ref', 'refs/heads/ghost', ghostCommit.toString().trim());

    const rules = loadRules([]);
    const scans = [];
    for (const readers of [1, 2, 3]) scans.push(await scanHistory(repo.dir, undefined, { rules, maxFileSize: 2_000_000, readers }));
    expect(scans[0]!.files).toBeGreaterThan(500);
    expect(new Set(scans[0]!.findings.map((f) => f.secretSha256))).toEqual(new Set(planted.map((k) => sha256Hex(k))));
    expect(scans[0]!.warnings).toEqual([
      { path: 'data/huge.txt', reason: expect.stringContaining('larger than --max-file-size') },
      { path: 'ghost.txt', reason: expect.stringContaining('missing from the repository') },
    ]);
    expect(scans[1]).toEqual(scans[0]);
    expect(scans[2]).toEqual(scans[0]);
    // The native reader (the default where the addon is built) and the JavaScript one give the same result.
    expect(nativePrefilter()?.readBlobs).toBeTypeOf('function');
    for (const readers of [1, 2]) {
      expect(await scanHistory(repo.dir, undefined, { rules, maxFileSize: 2_000_000, readers, native: false })).toEqual(scans[0]);
    }
  });
});
