/** findSecretsInPush against the GitHub stand-in, over real git repositories made per test. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenClient, type GitHubClient } from '../../src/github/client.js';
import { findSecretsInPush, type PushInput } from '../../src/github/push-changes.js';
import { generateKey, keyHint, sha256Hex } from '../../src/key-format/key.js';
import { loadRules } from '../../src/rules/load.js';
import type { CompiledRule } from '../../src/rules/types.js';
import { startGitHubStandIn, type GitHubStandIn } from '../helpers/github/standin.js';
import { TestRepo } from '../helpers/github/test-repo.js';
import { deletePrefix, dumpPrefix, freshPrefix, testRedis } from '../helpers/redis.js';
import { BlobMemo } from '../../src/stores/blob-memo.js';

const OWNER = 'octo-org';
const TOKEN = 'ghp_pushchangestesttoken';
const ZERO = '0'.repeat(40);
/** Patches over this many lines are left out by the stand-in, as GitHub leaves out diffs over 20,000 lines. */
const MAX_PATCH_LINES = 200;

const scratch = mkdtempSync(join(tmpdir(), 'neevscan-push-changes-'));
let gh: GitHubStandIn;
let octokit: GitHubClient;
let rules: CompiledRule[];
let repoCount = 0;

beforeAll(async () => {
  rules = loadRules();
  gh = await startGitHubStandIn({ tokens: [TOKEN], limits: { maxPatchLines: MAX_PATCH_LINES } });
  octokit = createTokenClient({ apiUrl: gh.url, token: TOKEN, retryAfterBaseValue: 1, log: () => {} });
});

afterAll(async () => {
  await gh?.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** A fresh repository registered with the stand-in, with one base commit on main. */
function newRepo(files: Record<string, string | Buffer>): { repo: TestRepo; name: string; base: string } {
  const name = `app${++repoCount}`;
  const repo = TestRepo.init(join(scratch, name));
  const base = repo.commit('base', files);
  gh.addRepo({ owner: OWNER, name, path: repo.path });
  return { repo, name, base };
}

function push(name: string, before: string, after: string, extra: Partial<PushInput> = {}): PushInput {
  return {
    owner: OWNER,
    repo: name,
    before,
    after,
    commitShas: [after],
    forced: false,
    created: false,
    deleted: false,
    defaultBranch: 'main',
    ...extra,
  };
}

const lines = (n: number, prefix = 'line') => Array.from({ length: n }, (_, i) => `${prefix} ${i + 1}`);
const binary = (...parts: (string | Buffer)[]) =>
  Buffer.concat([Buffer.from([0, 1, 2, 3, 0xff, 0]), ...parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p))]);

describe('findSecretsInPush', () => {
  it('reports a key added to a modified file at its line and column in the new file, never the key itself', async () => {
    const key = generateKey();
    const before = lines(10);
    const { repo, name, base } = newRepo({ 'config/app.env': before.join('\n') + '\n' });
    const after = [...before.slice(0, 6), `API_KEY=${key}`, ...before.slice(6)];
    const head = repo.commit('add key', { 'config/app.env': after.join('\n') + '\n' });

    const result = await findSecretsInPush(octokit, push(name, base, head), rules);
    expect(result).toEqual({
      findings: [
        {
          path: 'config/app.env',
          line: 7,
          column: 9,
          commit: head,
          secretSha256: sha256Hex(key),
          redacted: keyHint(key),
          ruleId: 'neevcloud-api-key',
        },
      ],
      // The compare's commit messages, for the push worker to scan.
      messages: [{ sha: head, message: 'add key' }],
      truncated: false,
      filesScanned: 1,
      notRead: [],
      unread: { files: 0, commits: 0 },
    });
    expect(JSON.stringify(result)).not.toContain(key);
  });

  it('numbers keys correctly across several hunks', async () => {
    const [k1, k2] = [generateKey(), generateKey()];
    const before = lines(60);
    const { repo, name, base } = newRepo({ 'a.txt': before.join('\n') + '\n' });
    const after = [...before];
    after.splice(40, 1, `  token: "${k2}"`); // replaces line 41
    after.splice(2, 0, `k=${k1}`); // new line 3; the replaced line is now 42
    const head = repo.commit('two hunks', { 'a.txt': after.join('\n') + '\n' });
    const { findings } = await findSecretsInPush(octokit, push(name, base, head), rules);
    expect(findings.map((f) => [f.line, f.column, f.secretSha256])).toEqual([
      [3, 3, sha256Hex(k1)],
      [42, 11, sha256Hex(k2)],
    ]);
  });

  it('does not report a key the base already held, in text or in a binary file', async () => {
    const key = generateKey();
    const { repo, name, base } = newRepo({ 'config/app.env': `A=1\nKEY=${key}\nB=2\n`, 'data.bin': binary(key) });
    const head = repo.commit('edit around it', {
      'config/app.env': `A=1\nKEY=${key}\nB=3\n`,
      'data.bin': binary(key, Buffer.from([9, 9, 0])),
    });
    expect((await findSecretsInPush(octokit, push(name, base, head), rules)).findings).toEqual([]);
  });

  it('ignores removed files, and a deleted branch adds nothing (without a request)', async () => {
    const key = generateKey();
    const { repo, name, base } = newRepo({ 'old.env': `KEY=${key}\n`, 'keep.txt': 'x\n' });
    const head = repo.commit('remove', { 'old.env': null });
    expect(await findSecretsInPush(octokit, push(name, base, head), rules)).toEqual({
      findings: [],
      messages: [{ sha: head, message: 'remove' }],
      truncated: false,
      filesScanned: 0,
      notRead: [],
      unread: { files: 0, commits: 0 },
    });

    const before = gh.requests.length;
    const deleted = await findSecretsInPush(octokit, push(name, head, ZERO, { deleted: true, commitShas: [] }), rules);
    expect(deleted).toEqual({
      findings: [],
      messages: [],
      truncated: false,
      filesScanned: 0,
      notRead: [],
      unread: { files: 0, commits: 0 },
    });
    expect(gh.requests.length).toBe(before);
  });

  it("reports keys on lines marked neevscan:allow, saying so (the marker is the pusher's to write)", async () => {
    const [allowed, leaked, inBlob] = [generateKey(), generateKey(), generateKey()];
    const { repo, name, base } = newRepo({ 'test/fixture.ts': '// fixtures\n' });
    const head = repo.commit('fixtures', {
      'test/fixture.ts': `// fixtures\nconst a = '${allowed}'; // neevscan:allow\nconst b = '${leaked}';\n`,
      // A minified bundle (binary: no patch, read as a blob): one marker on its one line.
      'dist/app.min.js': binary(`var k="${inBlob}";/* neevscan:allow */`),
    });
    const { findings } = await findSecretsInPush(octokit, push(name, base, head), rules);
    expect(findings.map((f) => [f.path, f.line, f.secretSha256, f.allowMarker ?? false])).toEqual([
      ['dist/app.min.js', 1, sha256Hex(inBlob), true],
      ['test/fixture.ts', 2, sha256Hex(allowed), true],
      ['test/fixture.ts', 3, sha256Hex(leaked), false],
    ]);
  });

  it('finds a key in the name of an added file, and keeps the key out of the path it reports', async () => {
    const [inName, inFolder] = [generateKey(), generateKey()];
    const { repo, name, base } = newRepo({ 'README.md': 'hi\n' });
    const head = repo.commit('names', {
      [`config/${inName}.env`]: 'x=1\n',
      [`keys/${inFolder}/a.txt`]: 'a\n',
      [`keys/${inFolder}/b.txt`]: 'b\n',
    });
    const result = await findSecretsInPush(octokit, push(name, base, head), rules);
    expect(result.findings).toEqual([
      {
        path: `config/${keyHint(inName)}.env`,
        line: null,
        column: 8,
        commit: head,
        secretSha256: sha256Hex(inName),
        redacted: keyHint(inName),
        ruleId: 'neevcloud-api-key',
        inPath: true,
        folder: 'config',
      },
      // A key in a folder's name is one place, however many files the folder holds.
      {
        path: `keys/${keyHint(inFolder)}`,
        line: null,
        column: 6,
        commit: head,
        secretSha256: sha256Hex(inFolder),
        redacted: keyHint(inFolder),
        ruleId: 'neevcloud-api-key',
        inPath: true,
        folder: 'keys',
      },
    ]);
    expect(JSON.stringify(result)).not.toContain(inName);
    expect(JSON.stringify(result)).not.toContain(inFolder);
  });

  it('finds a new key in a binary file (no patch) through its blob, at its line', async () => {
    const key = generateKey();
    const { repo, name, base } = newRepo({ 'logo.bin': binary('old') });
    const head = repo.commit('binary', { 'logo.bin': binary('old\n\nsecret=', key, Buffer.from([0, 0])), 'new.bin': binary(key) });
    const { findings } = await findSecretsInPush(octokit, push(name, base, head), rules);
    expect(findings.map((f) => [f.path, f.line, f.secretSha256])).toEqual([
      ['logo.bin', 3, sha256Hex(key)],
      ['new.bin', 1, sha256Hex(key)],
    ]);
    expect(gh.requests.filter((r) => r.path.includes(`/repos/${OWNER}/${name}/git/blobs/`)).length).toBeGreaterThanOrEqual(2);
  });

  it('finds a key in a file whose diff is too large for a patch, and not one the base already held', async () => {
    const [oldKey, newKey] = [generateKey(), generateKey()];
    const big = lines(MAX_PATCH_LINES + 50);
    const { repo, name, base } = newRepo({ 'big.txt': 'small\n', 'big-old.txt': `KEY=${oldKey}\n` });
    const withKey = [...big];
    withKey[219] = `  "apiKey": "${newKey}",`;
    const head = repo.commit('huge edits', { 'big.txt': withKey.join('\n') + '\n', 'big-old.txt': `KEY=${oldKey}\n${big.join('\n')}\n` });
    const compare = await octokit.repos.compareCommitsWithBasehead({ owner: OWNER, repo: name, basehead: `${base}...${head}` });
    expect(compare.data.files?.every((f) => f.patch === undefined)).toBe(true);

    const { findings } = await findSecretsInPush(octokit, push(name, base, head), rules);
    expect(findings).toEqual([
      expect.objectContaining({ path: 'big.txt', line: 220, column: 14, secretSha256: sha256Hex(newKey), commit: head }),
    ]);
    // The base version was found through the merge base's tree, not a contents endpoint.
    expect(gh.requests.some((r) => r.path === `/repos/${OWNER}/${name}/git/trees/${base}`)).toBe(true);
  });

  it('scans a blob once however many paths hold it', async () => {
    const key = generateKey();
    const content = binary('k=', key);
    const { repo, name, base } = newRepo({ 'README.md': 'hi\n' });
    const head = repo.commit('copies', { 'a/one.bin': content, 'b/two.bin': content, 'c/three.bin': content });
    const { findings } = await findSecretsInPush(octokit, push(name, base, head), rules);
    expect(findings.map((f) => f.path).sort()).toEqual(['a/one.bin', 'b/two.bin', 'c/three.bin']);
    expect(gh.requests.filter((r) => r.path.startsWith(`/repos/${OWNER}/${name}/git/blobs/`))).toHaveLength(1);
  });

  it('with a blob memo, a fork pushing the same blob does not fetch it again (and still reports the key)', async () => {
    const redis = testRedis();
    const prefix = freshPrefix();
    try {
      const memo = new BlobMemo(redis, prefix, 'test-rules');
      const key = generateKey();
      const content = binary('k=', key);
      const upstream = newRepo({ 'README.md': 'hi\n' });
      const head = upstream.repo.commit('add asset', { 'asset.bin': content });
      const fork = newRepo({ 'README.md': 'hi\n' });
      const forkHead = fork.repo.commit('add asset', { 'asset.bin': content });

      const first = await findSecretsInPush(octokit, push(upstream.name, upstream.base, head), rules, { memo });
      const second = await findSecretsInPush(octokit, push(fork.name, fork.base, forkHead), rules, { memo });
      expect(first.findings.map((f) => f.secretSha256)).toEqual([sha256Hex(key)]);
      expect(second.findings).toEqual([expect.objectContaining({ path: 'asset.bin', commit: forkHead, secretSha256: sha256Hex(key) })]);
      expect(gh.requests.filter((r) => r.path.startsWith(`/repos/${OWNER}/${upstream.name}/git/blobs/`))).toHaveLength(1);
      expect(gh.requests.filter((r) => r.path.startsWith(`/repos/${OWNER}/${fork.name}/git/blobs/`))).toHaveLength(0);
      // The memo holds hashes and hints, never the key.
      expect(await dumpPrefix(redis, prefix)).not.toContain(key);
    } finally {
      await deletePrefix(redis, prefix);
      redis.disconnect();
    }
  });

  it('compares a new branch with the default branch: only what the branch adds is reported', async () => {
    const [mainKey, branchKey] = [generateKey(), generateKey()];
    const { repo, name } = newRepo({ 'main.env': `KEY=${mainKey}\n` });
    repo.git('checkout', '-q', '-b', 'feature/x');
    const head = repo.commit('feature', { 'feature.env': `\nKEY=${branchKey}\n` });
    const { findings } = await findSecretsInPush(octokit, push(name, ZERO, head, { created: true }), rules);
    expect(findings).toEqual([expect.objectContaining({ path: 'feature.env', line: 2, secretSha256: sha256Hex(branchKey), commit: head })]);
    expect(gh.requests.some((r) => r.path === `/repos/${OWNER}/${name}/compare/main...${head}`)).toBe(true);
  });

  it('scans the whole history on the first push of the default branch', async () => {
    const [k1, k2] = [generateKey(), generateKey()];
    const { repo, name, base } = newRepo({ 'first.env': `KEY=${k1}\n` });
    const head = repo.commit('second', { 'second.env': `x\nKEY=${k2}\n` });
    const { findings } = await findSecretsInPush(octokit, push(name, ZERO, head, { created: true, commitShas: [base, head] }), rules);
    expect(findings.map((f) => [f.path, f.line, f.commit])).toEqual([
      ['first.env', 1, base],
      ['second.env', 2, head],
    ]);
  });

  it('reads a force push as a diverged compare, and falls back to the payload commits when the old head is gone', async () => {
    const [oldKey, newKey] = [generateKey(), generateKey()];
    const { repo, name, base } = newRepo({ 'README.md': 'hi\n' });
    const old = repo.commit('old work', { 'old.env': `KEY=${oldKey}\n` });
    repo.git('reset', '-q', '--hard', base);
    const head = repo.commit('new work', { 'new.env': `KEY=${newKey}\n` });

    const diverged = await findSecretsInPush(octokit, push(name, old, head, { forced: true }), rules);
    expect(diverged.findings.map((f) => [f.path, f.commit])).toEqual([['new.env', head]]);

    const gone = 'f'.repeat(40);
    const logs: string[] = [];
    const fallback = await findSecretsInPush(octokit, push(name, gone, head, { forced: true, commitShas: [head] }), rules, {
      log: (m) => logs.push(m),
    });
    expect(fallback.findings.map((f) => [f.path, f.line, f.commit])).toEqual([['new.env', 1, head]]);
    expect(logs.join('\n')).toMatch(/not found/);
  });

  it('walks the commits of a push touching more than 300 files, and finds a key in file #350', async () => {
    const key = generateKey();
    const { repo, name, base } = newRepo({ 'README.md': 'hi\n' });
    const many = Object.fromEntries(
      Array.from({ length: 360 }, (_, i) => [
        `many/f${String(i + 1).padStart(3, '0')}.txt`,
        i + 1 === 350 ? `x\ny\nKEY=${key}\n` : `file ${i + 1}\n`,
      ]),
    );
    const first = repo.commit('many files', many);
    const head = repo.commit('readme', { 'README.md': 'hello\n' });
    const compare = await octokit.repos.compareCommitsWithBasehead({ owner: OWNER, repo: name, basehead: `${base}...${head}` });
    expect(compare.data.files).toHaveLength(300);

    const result = await findSecretsInPush(octokit, push(name, base, head, { commitShas: [first, head] }), rules);
    expect(result.findings).toEqual([
      expect.objectContaining({ path: 'many/f350.txt', line: 3, column: 5, secretSha256: sha256Hex(key), commit: first }),
    ]);
    expect(result).toMatchObject({ truncated: false, filesScanned: 361 });
    // The 360-file commit came in two pages of 300.
    expect(gh.requests.filter((r) => r.path === `/repos/${OWNER}/${name}/commits/${first}`).map((r) => r.query.page)).toEqual(['1', '2']);
  });

  it('credits each key of a short push to the commit that added it, at its line in that commit', async () => {
    const [k1, k2] = [generateKey(), generateKey()];
    const { repo, name, base } = newRepo({ 'a.env': 'A=1\n' });
    const c1 = repo.commit('one', { 'a.env': `A=1\nK1=${k1}\n` });
    const c2 = repo.commit('two', { 'a.env': `# header\n# more\nA=1\nK1=${k1}\n` });
    const c3 = repo.commit('three', { 'b.env': `K2=${k2}\n` });
    const { findings } = await findSecretsInPush(octokit, push(name, base, c3, { commitShas: [c1, c2, c3] }), rules);
    expect(findings.map((f) => [f.path, f.line, f.secretSha256, f.commit])).toEqual([
      ['a.env', 2, sha256Hex(k1), c1],
      ['b.env', 1, sha256Hex(k2), c3],
    ]);
    expect(c2).not.toBe(c1);
  });

  it('retries a compare that fails once, and throws (for the queue to retry) when it keeps failing', async () => {
    const key = generateKey();
    const { repo, name, base } = newRepo({ 'README.md': 'hi\n' });
    const head = repo.commit('key', { 'k.env': `K=${key}\n` });
    gh.fail({ path: new RegExp(`/${name}/compare/`), times: 1, status: 502 });
    expect((await findSecretsInPush(octokit, push(name, base, head), rules)).findings).toHaveLength(1);
    gh.fail({ path: new RegExp(`/${name}/compare/`), times: 10, status: 503 });
    const error = await findSecretsInPush(octokit, push(name, base, head), rules).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 503 });
    expect(String((error as Error).message)).not.toContain(key);
  });

  it('past maxFiles, reads the rest through the Git Data API instead of stopping', async () => {
    const key = generateKey();
    const { repo, name, base } = newRepo({ 'README.md': 'hi\n' });
    const head = repo.commit('files', {
      ...Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}.txt`, `${i}\n`])),
      'f19.txt': `19\nK=${key}\n`,
    });
    const result = await findSecretsInPush(octokit, push(name, base, head), rules, { maxFiles: 5 });
    expect(result).toMatchObject({ truncated: false, notRead: [], filesScanned: 20 });
    expect(result.findings).toEqual([expect.objectContaining({ path: 'f19.txt', line: 2, commit: head, secretSha256: sha256Hex(key) })]);
  });

  it('a commit of more files than the cap, then a commit adding a key: each later commit read tree by tree', async () => {
    const [key, inName] = [generateKey(), generateKey()];
    const { repo, name, base } = newRepo({ 'README.md': 'hi\n' });
    // Over 300 files, so the compare cannot list them and the push is walked commit by commit.
    const filler = repo.commit('filler', Object.fromEntries(Array.from({ length: 310 }, (_, i) => [`filler/f${i}.txt`, `filler\n`])));
    const keyed = repo.commit('key', { 'app.env': `A=1\nKEY=${key}\n`, [`n/${inName}`]: 'x\n' });
    const head = repo.commit('remove it again', { 'app.env': 'A=1\n' });
    const result = await findSecretsInPush(octokit, push(name, base, head, { commitShas: [filler, keyed, head] }), rules, {
      maxFiles: 100,
    });
    expect(result.findings.map((f) => [f.path, f.line, f.commit])).toEqual([
      [`n/${keyHint(inName)}`, null, keyed],
      ['app.env', 2, keyed],
    ]);
    expect(result).toMatchObject({ truncated: false, notRead: [] });
    expect(gh.requests.some((r) => r.path === `/repos/${OWNER}/${name}/git/commits/${keyed}`)).toBe(true);
  });

  it('says what it could not read: a tree GitHub cut short, blobs over the read budget', async () => {
    const small = await startGitHubStandIn({ tokens: [TOKEN], limits: { treeEntries: 5 } });
    try {
      const client = createTokenClient({ apiUrl: small.url, token: TOKEN, retryAfterBaseValue: 1, log: () => {} });
      const repo = TestRepo.init(join(scratch, 'cut'));
      const base = repo.commit('base', { 'README.md': 'hi\n' });
      const head = repo.commit('many', Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`d/f${i}.txt`, `${i}\n`])));
      small.addRepo({ owner: OWNER, name: 'cut', path: repo.path });
      const logs: string[] = [];
      const cut = await findSecretsInPush(client, push('cut', base, head), rules, { maxFiles: 3, log: (m) => logs.push(m) });
      expect(cut.truncated).toBe(true);
      expect(cut.notRead.join('\n')).toMatch(/cut the tree of commit/);
      expect(cut.unread.commits).toBe(1);
      expect(logs.join('\n')).toMatch(/not wholly scanned/);

      const { repo: r2, name, base: b2 } = newRepo({ 'README.md': 'hi\n' });
      const h2 = r2.commit('many', Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`d/f${i}.txt`, `${i}\n`])));
      const budget = await findSecretsInPush(octokit, push(name, b2, h2), rules, { maxFiles: 3, treeLimits: { maxBlobs: 4 } });
      expect(budget).toMatchObject({ truncated: true, unread: { files: 8, commits: 0 } });
      expect(budget.notRead.join('\n')).toMatch(/8 files of commit .* over the read budget/);
    } finally {
      await small.close();
    }
  });
});
