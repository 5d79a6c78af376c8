/**
 * The whole-history index read by the addon (native/git-log.c through
 * src/sources/git/native-log.ts) against the JavaScript parser
 * (log-parser.ts) on a repository made to hold what the log can say: merges
 * (one an evil merge), paths with tabs, quotes, newlines and non-ASCII, files
 * named like the log's own markers ("C…", ":…"), symbolic links, a
 * submodule, deletions, mode changes, and a last commit with no files.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { indexBlobs } from '../../src/sources/git/blob-index.js';
import { nativePrefilter } from '../../src/sources/native-prefilter.js';
import { GIT_ENV } from '../helpers/tmp.js';

const scratch = mkdtempSync(join(tmpdir(), 'neevscan-native-log-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const env = { ...process.env, ...GIT_ENV };

it('gives the same commits, blobs and introductions as the JavaScript parser, and tells each blob once', async () => {
  expect(nativePrefilter()?.readLog).toBeTypeOf('function');
  const dir = join(scratch, 'repo');
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: dir, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  const write = (path: string, content: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  };
  const commit = (message: string) => {
    git('add', '-A');
    git('commit', '-q', '--allow-empty', '-m', message);
  };
  execFileSync('git', ['init', '-q', '-b', 'main', dir], { env });
  write('app.txt', 'one\n');
  write('tab\there.txt', 'tab\n');
  write('"quoted".txt', 'quote\n');
  write('new\nline.txt', 'newline\n');
  write('ünïcødé/файл.txt', 'unicode\n');
  write('C0ffee', 'like a commit line\n');
  write(':colon', 'like an entry\n');
  symlinkSync('app.txt', join(dir, 'link'));
  commit('first');
  write('copy.txt', 'one\n'); // a blob already seen, at a new path
  write('app.txt', 'two\n');
  execFileSync('chmod', ['+x', join(dir, 'C0ffee')]);
  commit('second');
  git('checkout', '-q', '-b', 'side');
  write('side.txt', 'side\n');
  write('app.txt', 'one\n'); // back to a version seen before at this path
  commit('side');
  git('checkout', '-q', 'main');
  write('main.txt', 'main\n');
  rmSync(join(dir, ':colon'));
  commit('main');
  git('merge', '-q', '--no-ff', '--no-commit', 'side');
  write('evil.txt', 'only in the merge\n'); // an evil merge: new in the merge itself
  write('app.txt', 'resolved\n');
  commit('merge');
  git('update-index', '--add', '--cacheinfo', `160000,${git('rev-parse', 'HEAD')},sub`); // a submodule entry
  git('commit', '-q', '-m', 'submodule');
  git('commit', '-q', '--allow-empty', '-m', 'empty, last');

  const told = { native: [] as string[], js: [] as string[] };
  const native = await indexBlobs(dir, undefined, { blob: (oid, path) => told.native.push(`${oid} ${path}`), chunk: () => {} });
  const js = await indexBlobs(dir, undefined, { blob: (oid, path) => told.js.push(`${oid} ${path}`), chunk: () => {} }, { native: false });
  expect(native.commits).toHaveLength(Number(git('rev-list', '--all', '--count')));
  expect(native.commits).toEqual(js.commits);
  expect([...native.blobs]).toEqual([...js.blobs]);
  expect(told.native).toEqual(told.js);
  expect(new Set(told.native.map((line) => line.split(' ')[0])).size).toBe(told.native.length);
  const paths = new Set([...native.blobs.values()].flat().map((intro) => intro.path));
  for (const path of ['tab\there.txt', '"quoted".txt', 'new\nline.txt', 'ünïcødé/файл.txt', 'C0ffee', ':colon', 'evil.txt', 'copy.txt'])
    expect(paths).toContain(path);
  expect(paths).not.toContain('link');
  expect(paths).not.toContain('sub');
});
