/**
 * The GitHub stand-in, driven by a real @octokit/rest client (with auth-app, retry and
 * throttling where they matter) against real git repositories made in a temp folder.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAppAuth } from '@octokit/auth-app';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeRsaKeyPair,
  makeSecretScanningKey,
  signSecretScanningPayload,
  startGitHubStandIn,
  type GitHubStandIn,
  type StandInOptions,
} from './standin.js';
import { TestRepo } from './test-repo.js';

const OWNER = 'octo-org';
const TOKEN = 'ghp_statictesttoken';
const APP_ID = 4242;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

const scratch = mkdtempSync(join(tmpdir(), 'neevscan-gh-standin-'));
const appKey = makeRsaKeyPair();
// Every byte value, NULs included: git calls it binary and the blob must round-trip exactly.
const BINARY = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));
// ~600 KB of diff for one file: over the 500 KB GitHub shows, under its 20,000 lines.
const HUGE = Array.from({ length: 12_000 }, (_, i) => `line ${String(i).padStart(6, '0')} ${'x'.repeat(36)}`).join('\n') + '\n';

let gh: GitHubStandIn;
let big: TestRepo; // main, then feature (edits) and feature~0 (305 new files)
let history: TestRepo; // bare, 260 commits on main
let historyShas: string[];
let baseSha: string;
let editsSha: string;
let manySha: string;

function client(options: { auth?: string; standIn?: GitHubStandIn } = {}): Octokit {
  return new Octokit({ baseUrl: (options.standIn ?? gh).url, auth: options.auth ?? TOKEN, log: quiet });
}

/** A stand-in of its own, for tests that change rate limits or inject failures. */
async function freshStandIn(options: StandInOptions = {}): Promise<GitHubStandIn> {
  const standIn = await startGitHubStandIn({ appId: APP_ID, publicKeyPem: appKey.publicKeyPem, tokens: [TOKEN], ...options });
  standIn.addRepo({ owner: OWNER, name: 'big', path: big.path });
  return standIn;
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function signJwt(claims: Record<string, unknown>, key: KeyObject): string {
  const unsigned = `${base64url({ alg: 'RS256', typ: 'JWT' })}.${base64url(claims)}`;
  return `${unsigned}.${sign('sha256', Buffer.from(unsigned), key).toString('base64url')}`;
}

async function statusOf(promise: Promise<unknown>): Promise<{ status: number; message: string; headers: Record<string, string> }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { status: number; message: string; response?: { headers: Record<string, string> } };
    return { status: e.status, message: e.message, headers: e.response?.headers ?? {} };
  }
  throw new Error('expected the request to fail');
}

beforeAll(async () => {
  big = TestRepo.init(join(scratch, 'big'));
  baseSha = big.commit('base', {
    'README.md': 'hello\nworld\n',
    'logo.bin': BINARY,
    'huge.txt': 'small\n',
    'rename-me.txt': 'one\ntwo\nthree\nfour\nfive\n',
    'deleted.txt': 'bye\n',
    'link.txt': 'target\n',
  });
  big.git('checkout', '-q', '-b', 'feature');
  // A type change (file to symlink), which git prints as two patch sections for one file.
  rmSync(join(big.path, 'link.txt'));
  symlinkSync('README.md', join(big.path, 'link.txt'));
  editsSha = big.commit('edits', {
    'README.md': 'hello\nthere\nworld\n',
    'logo.bin': Buffer.concat([BINARY, Buffer.from([0, 1, 2])]),
    'huge.txt': HUGE,
    'rename-me.txt': null,
    'renamed.txt': 'one\ntwo\nthree\nfour\nfive\n',
    'deleted.txt': null,
  });
  manySha = big.commit(
    'many files',
    Object.fromEntries(Array.from({ length: 305 }, (_, i) => [`many/f${String(i).padStart(3, '0')}.txt`, `file ${i}\n`])),
  );
  big.git('checkout', '-q', 'main');

  history = TestRepo.init(join(scratch, 'history.git'), { bare: true });
  historyShas = history.fastCommits(260);

  gh = await startGitHubStandIn({ appId: APP_ID, publicKeyPem: appKey.publicKeyPem, tokens: [TOKEN] });
  gh.addRepo({ owner: OWNER, name: 'big', path: big.path, private: true, installationId: 1 });
  gh.addRepo({ owner: OWNER, name: 'history', path: history.path, installationId: 2 });
});

afterAll(async () => {
  await gh?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('repositories', () => {
  it('describes a repository and answers GitHub 404 JSON for an unknown one', async () => {
    const { data } = await client().repos.get({ owner: OWNER, repo: 'BIG' });
    expect(data).toMatchObject({ name: 'big', full_name: `${OWNER}/big`, private: true, visibility: 'private', default_branch: 'main' });
    expect(data.html_url).toBe(`https://github.com/${OWNER}/big`);

    const response = await fetch(`${gh.url}/repos/${OWNER}/nope`, { headers: { authorization: `token ${TOKEN}` } });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' });
    expect(response.headers.get('x-ratelimit-limit')).toBe('5000');
  });
});

describe('compare', () => {
  it('reports statuses, renames, removals and real patches; no patch for binary or huge files', async () => {
    const { data } = await client().repos.compareCommitsWithBasehead({ owner: OWNER, repo: 'big', basehead: `main...${editsSha}` });
    expect(data).toMatchObject({ status: 'ahead', ahead_by: 1, behind_by: 0, total_commits: 1 });
    expect(data.merge_base_commit.sha).toBe(baseSha);
    expect(data.base_commit.sha).toBe(baseSha);
    expect(data.commits.map((c) => c.sha)).toEqual([editsSha]);
    expect(data.commits[0]!.commit.author).toMatchObject({ name: 'Test Author', email: 'author@example.com' });
    expect(data.commits[0]!.commit.committer!.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const files = Object.fromEntries(data.files!.map((f) => [f.filename, f]));
    expect(Object.keys(files).sort()).toEqual(['README.md', 'deleted.txt', 'huge.txt', 'link.txt', 'logo.bin', 'renamed.txt']);
    expect(files['link.txt']).toMatchObject({ status: 'changed' });
    expect(files['link.txt']).not.toHaveProperty('patch');
    expect(files['README.md']).toMatchObject({
      status: 'modified',
      additions: 1,
      deletions: 0,
      changes: 1,
      patch: '@@ -1,2 +1,3 @@\n hello\n+there\n world',
    });
    expect(files['README.md']!.sha).toBe(big.git('rev-parse', `${editsSha}:README.md`));
    expect(files['README.md']!.blob_url).toBe(`https://github.com/${OWNER}/big/blob/${editsSha}/README.md`);
    expect(files['renamed.txt']).toMatchObject({ status: 'renamed', previous_filename: 'rename-me.txt', changes: 0 });
    expect(files['deleted.txt']).toMatchObject({ status: 'removed', deletions: 1, patch: '@@ -1 +0,0 @@\n-bye' });
    expect(files['logo.bin']).toMatchObject({ status: 'modified', additions: 0, deletions: 0 });
    expect(files['logo.bin']).not.toHaveProperty('patch');
    expect(files['huge.txt']).toMatchObject({ status: 'modified', additions: 12_000, deletions: 1 });
    expect(files['huge.txt']).not.toHaveProperty('patch');
  });

  it('lists at most 300 files however many changed', async () => {
    const { data } = await client().repos.compareCommitsWithBasehead({ owner: OWNER, repo: 'big', basehead: 'main...feature' });
    expect(data.total_commits).toBe(2);
    expect(data.files).toHaveLength(300);
    expect(big.git('diff', '--name-only', 'main...feature').split('\n')).toHaveLength(311);
  });

  it('answers diverged with ahead_by and behind_by, branch names with slashes included', async () => {
    big.git('checkout', '-q', '-b', 'topic/other', baseSha);
    const otherSha = big.commit('other side', { 'other.txt': 'x\n' });
    big.git('checkout', '-q', 'main');
    const { data } = await client().repos.compareCommitsWithBasehead({ owner: OWNER, repo: 'big', basehead: 'feature...topic/other' });
    expect(data).toMatchObject({ status: 'diverged', ahead_by: 1, behind_by: 2, total_commits: 1 });
    expect(data.merge_base_commit.sha).toBe(baseSha);
    expect(data.commits.map((c) => c.sha)).toEqual([otherSha]);
    const behind = await client().repos.compareCommitsWithBasehead({ owner: OWNER, repo: 'big', basehead: 'feature...main' });
    expect(behind.data).toMatchObject({ status: 'behind', ahead_by: 0, behind_by: 2 });
    const same = await client().repos.compareCommitsWithBasehead({ owner: OWNER, repo: 'big', basehead: 'main...main' });
    expect(same.data).toMatchObject({ status: 'identical', ahead_by: 0, files: [] });
  });

  it('caps commits at the newest 250 without paging, and pages from the oldest with Link headers', async () => {
    const octokit = client();
    const first = historyShas[0]!;
    const { data } = await octokit.repos.compareCommitsWithBasehead({ owner: OWNER, repo: 'history', basehead: `${first}...main` });
    expect(data.total_commits).toBe(259);
    expect(data.commits).toHaveLength(250);
    expect(data.commits.at(-1)!.sha).toBe(historyShas.at(-1));
    expect(data.commits[0]!.sha).toBe(historyShas[10]);

    const page1 = await octokit.repos.compareCommitsWithBasehead({
      owner: OWNER,
      repo: 'history',
      basehead: `${first}...main`,
      per_page: 100,
    });
    expect(page1.data.commits[0]!.sha).toBe(historyShas[1]);
    expect(page1.data.files).toHaveLength(1);
    expect(page1.headers.link).toContain('rel="next"');
    const page3 = await octokit.repos.compareCommitsWithBasehead({
      owner: OWNER,
      repo: 'history',
      basehead: `${first}...main`,
      per_page: 100,
      page: 3,
    });
    expect(page3.data.commits).toHaveLength(59);
    expect(page3.data.files).toBeUndefined();
    expect(page3.headers.link).not.toContain('rel="next"');
    expect(page3.headers.link).toContain('rel="prev"');
  });

  it('omits patches over a configured size', async () => {
    const standIn = await freshStandIn({ limits: { maxPatchLines: 2, treeEntries: 3 } });
    try {
      const octokit = client({ standIn });
      const { data } = await octokit.repos.compareCommitsWithBasehead({ owner: OWNER, repo: 'big', basehead: `main...${editsSha}` });
      expect(data.files!.find((f) => f.filename === 'README.md')).not.toHaveProperty('patch');
      expect(data.files!.find((f) => f.filename === 'deleted.txt')!.patch).toBe('@@ -1 +0,0 @@\n-bye');
      const tree = await octokit.git.getTree({ owner: OWNER, repo: 'big', tree_sha: 'feature', recursive: '1' });
      expect(tree.data.tree).toHaveLength(3);
      expect(tree.data.truncated).toBe(true);
    } finally {
      await standIn.close();
    }
  });
});

describe('commits', () => {
  it('pages a commit of 305 files 300 at a time, with stats over all of them', async () => {
    const octokit = client();
    const page1 = await octokit.repos.getCommit({ owner: OWNER, repo: 'big', ref: manySha });
    expect(page1.data.files).toHaveLength(300);
    expect(page1.data.stats).toEqual({ total: 305, additions: 305, deletions: 0 });
    expect(page1.data.parents.map((p) => p.sha)).toEqual([editsSha]);
    expect(page1.headers.link).toContain('page=2>; rel="next"');
    const page2 = await octokit.repos.getCommit({ owner: OWNER, repo: 'big', ref: manySha, page: 2 });
    expect(page2.data.files!.map((f) => f.filename)).toEqual([
      'many/f300.txt',
      'many/f301.txt',
      'many/f302.txt',
      'many/f303.txt',
      'many/f304.txt',
    ]);
    expect(page2.data.files![0]).toMatchObject({ status: 'added', additions: 1, patch: '@@ -0,0 +1 @@\n+file 300' });
  });

  it('diffs a root commit against the empty tree and refuses an unknown ref with 422', async () => {
    const { data } = await client().repos.getCommit({ owner: OWNER, repo: 'history', ref: historyShas[0]! });
    expect(data.parents).toEqual([]);
    expect(data.files).toEqual([expect.objectContaining({ filename: 'counter.txt', status: 'added', patch: '@@ -0,0 +1 @@\n+1' })]);
    const error = await statusOf(client().repos.getCommit({ owner: OWNER, repo: 'history', ref: 'no-such-branch' }));
    expect(error.status).toBe(422);
    expect(error.message).toContain('No commit found for SHA: no-such-branch');
  });

  it('lists commits newest first, and octokit.paginate follows the Link header through all of them', async () => {
    const octokit = client();
    const before = gh.requests.length;
    const all = await octokit.paginate(octokit.repos.listCommits, { owner: OWNER, repo: 'history', per_page: 100 });
    expect(all.map((c) => c.sha)).toEqual([...historyShas].reverse());
    const pages = gh.requests.slice(before).filter((r) => r.path === `/repos/${OWNER}/history/commits`);
    expect(pages.map((r) => r.query.page ?? '1')).toEqual(['1', '2', '3']);
    const firstPage = await octokit.repos.listCommits({ owner: OWNER, repo: 'history' });
    expect(firstPage.data).toHaveLength(30);
    expect(firstPage.headers.link).toContain('page=9>; rel="last"');
  });
});

describe('git data', () => {
  it('round-trips blob contents as base64 in 60-character lines', async () => {
    const octokit = client();
    const tree = await octokit.git.getTree({ owner: OWNER, repo: 'big', tree_sha: baseSha, recursive: '1' });
    expect(tree.data.truncated).toBe(false);
    const logo = tree.data.tree.find((e) => e.path === 'logo.bin')!;
    expect(logo).toMatchObject({ type: 'blob', mode: '100644', size: BINARY.length });
    const { data } = await octokit.git.getBlob({ owner: OWNER, repo: 'big', file_sha: logo.sha! });
    expect(data).toMatchObject({ sha: logo.sha, size: BINARY.length, encoding: 'base64' });
    expect(Buffer.from(data.content, 'base64').equals(BINARY)).toBe(true);
    const lines = data.content.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.slice(0, -1).every((line) => line.length === 60)).toBe(true);
    const missing = await statusOf(octokit.git.getBlob({ owner: OWNER, repo: 'big', file_sha: 'f'.repeat(40) }));
    expect(missing.status).toBe(404);
  });

  it('serves a commit object without files (Git Data API), by SHA only', async () => {
    const octokit = client();
    const { data } = await octokit.git.getCommit({ owner: OWNER, repo: 'big', commit_sha: baseSha });
    expect(data).toMatchObject({ sha: baseSha, tree: { sha: expect.stringMatching(/^[0-9a-f]{40}$/) }, parents: expect.any(Array) });
    expect(data).not.toHaveProperty('files');
    const tree = await octokit.git.getTree({ owner: OWNER, repo: 'big', tree_sha: data.tree.sha });
    expect(tree.data.sha).toBe(data.tree.sha);
    expect((await statusOf(octokit.git.getCommit({ owner: OWNER, repo: 'big', commit_sha: 'main' }))).status).toBe(404);
    expect((await statusOf(octokit.git.getCommit({ owner: OWNER, repo: 'big', commit_sha: 'f'.repeat(40) }))).status).toBe(404);
  });
});

describe('app authentication', () => {
  it('lets any token, or none, in when neither an App nor tokens are configured', async () => {
    const open = await startGitHubStandIn();
    try {
      open.addRepo({ owner: OWNER, name: 'big', path: big.path, private: true });
      expect((await client({ standIn: open, auth: 'anything' }).repos.get({ owner: OWNER, repo: 'big' })).status).toBe(200);
      expect((await new Octokit({ baseUrl: open.url, log: quiet }).repos.get({ owner: OWNER, repo: 'big' })).status).toBe(200);
    } finally {
      await open.close();
    }
  });

  it('issues installation tokens for a JWT from either PEM format, and scopes them to the installation', async () => {
    for (const privateKey of [appKey.pkcs1, appKey.pkcs8]) {
      const octokit = new Octokit({
        baseUrl: gh.url,
        log: quiet,
        authStrategy: createAppAuth,
        auth: { appId: APP_ID, privateKey, installationId: 1 },
      });
      const { data } = await octokit.repos.get({ owner: OWNER, repo: 'big' });
      expect(data.private).toBe(true);
    }
    expect(gh.issuedTokens.map((t) => t.installationId)).toEqual([1, 1]);
    const tokenRequest = gh.requests.find((r) => r.path === '/app/installations/1/access_tokens')!;
    expect(tokenRequest.headers.authorization).toMatch(/^bearer [\w-]+\.[\w-]+\.[\w-]+$/i);
    expect(tokenRequest.status).toBe(201);
    const repoRequest = gh.requests.findLast((r) => r.path === `/repos/${OWNER}/big`)!;
    expect(repoRequest.headers.authorization).toBe(`token ${gh.issuedTokens[1]!.token}`);
    expect(gh.issuedTokens[0]!.token).toMatch(/^ghs_[0-9A-Za-z]{36}$/);

    // Installation 2's token cannot see installation 1's private repository.
    const other = new Octokit({
      baseUrl: gh.url,
      log: quiet,
      authStrategy: createAppAuth,
      auth: { appId: APP_ID, privateKey: appKey.pkcs8, installationId: 2 },
    });
    expect((await statusOf(other.repos.get({ owner: OWNER, repo: 'big' }))).status).toBe(404);
    expect((await other.repos.get({ owner: OWNER, repo: 'history' })).status).toBe(200);
  });

  it('refuses JWTs that are forged, too long-lived or expired, and unknown tokens', async () => {
    const now = Math.floor(Date.now() / 1000);
    const key = createPrivateKey(appKey.pkcs8);
    const forger = createPrivateKey(makeRsaKeyPair().pkcs8);
    const post = (jwt: string, installation = 1) =>
      fetch(`${gh.url}/app/installations/${installation}/access_tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${jwt}` },
      }).then(async (r) => ({
        status: r.status,
        message: ((await r.json()) as { message: string }).message,
      }));
    expect(await post(signJwt({ iss: APP_ID, iat: now - 30, exp: now + 500 }, forger))).toEqual({
      status: 401,
      message: 'A JSON web token could not be decoded',
    });
    expect(await post(signJwt({ iss: APP_ID, iat: now - 30, exp: now + 3600 }, key))).toEqual({
      status: 401,
      message: "'Expiration time' claim ('exp') is too far in the future",
    });
    expect((await post(signJwt({ iss: APP_ID, iat: now - 700, exp: now - 100 }, key))).status).toBe(401);
    expect((await post(signJwt({ iss: APP_ID, iat: now - 30, exp: now + 500 }, key))).status).toBe(201);
    expect((await post(signJwt({ iss: APP_ID, iat: now - 30, exp: now + 500 }, key), 999)).status).toBe(404);

    const unknown = await statusOf(client({ auth: 'ghs_notissued' }).repos.get({ owner: OWNER, repo: 'history' }));
    expect(unknown).toMatchObject({ status: 401, message: expect.stringContaining('Bad credentials') });
    // Anonymous: public repositories read, private ones hidden, writes refused.
    const anonymous = new Octokit({ baseUrl: gh.url, log: quiet });
    expect((await anonymous.repos.get({ owner: OWNER, repo: 'history' })).headers['x-ratelimit-limit']).toBe('60');
    expect((await statusOf(anonymous.repos.get({ owner: OWNER, repo: 'big' }))).status).toBe(404);
  });
});

describe('faults and limits', () => {
  it('fails twice with 500, and plugin-retry gets through on the third try', async () => {
    const standIn = await freshStandIn();
    try {
      standIn.fail({ path: /^\/repos\/[^/]+\/big$/, times: 2, status: 500 });
      const RetryingOctokit = Octokit.plugin(retry);
      // retryAfterBaseValue: 1 turns plugin-retry's 1 s, 4 s backoff into milliseconds.
      const octokit = new RetryingOctokit({ baseUrl: standIn.url, auth: TOKEN, log: quiet, retry: { retryAfterBaseValue: 1 } });
      const { data } = await octokit.repos.get({ owner: OWNER, repo: 'big' });
      expect(data.name).toBe('big');
      expect(standIn.requests.map((r) => r.status)).toEqual([500, 500, 200]);
    } finally {
      await standIn.close();
    }
  });

  it('answers an exhausted primary limit with 403, x-ratelimit-remaining 0 and GitHub’s message, which throttling sees', async () => {
    const standIn = await freshStandIn();
    try {
      const ThrottledOctokit = Octokit.plugin(throttling);
      const seen: number[] = [];
      const octokit = new ThrottledOctokit({
        baseUrl: standIn.url,
        auth: TOKEN,
        log: quiet,
        throttle: { onRateLimit: (retryAfter: number) => (seen.push(retryAfter), false), onSecondaryRateLimit: () => false },
      });
      const ok = await octokit.repos.get({ owner: OWNER, repo: 'big' });
      expect(ok.headers).toMatchObject({
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '4999',
        'x-ratelimit-used': '1',
        'x-ratelimit-resource': 'core',
      });
      standIn.setRateLimit({ remaining: 0, resetInSeconds: 30 });
      const error = await statusOf(octokit.repos.get({ owner: OWNER, repo: 'big' }));
      expect(error.status).toBe(403);
      expect(error.message).toContain('API rate limit exceeded for user ID');
      expect(error.headers['x-ratelimit-remaining']).toBe('0');
      expect(Number(error.headers['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toBeGreaterThanOrEqual(30);
    } finally {
      await standIn.close();
    }
  });

  it('answers a secondary limit with 403 or 429 and retry-after, which throttling retries', async () => {
    const standIn = await freshStandIn();
    try {
      standIn.secondaryRateLimit({ times: 1, status: 429, retryAfter: 7 });
      const raw = await fetch(`${standIn.url}/repos/${OWNER}/big`, { headers: { authorization: `token ${TOKEN}` } });
      expect(raw.status).toBe(429);
      expect(raw.headers.get('retry-after')).toBe('7');
      expect(raw.headers.get('x-ratelimit-remaining')).not.toBe('0');
      expect(((await raw.json()) as { message: string }).message).toMatch(/^You have exceeded a secondary rate limit/);

      const ThrottledOctokit = Octokit.plugin(throttling);
      const waits: number[] = [];
      const octokit = new ThrottledOctokit({
        baseUrl: standIn.url,
        auth: TOKEN,
        log: quiet,
        // retryAfterBaseValue: 1 makes "retry after N seconds" N milliseconds.
        throttle: {
          retryAfterBaseValue: 1,
          onRateLimit: () => false,
          onSecondaryRateLimit: (after: number, _o: unknown, _k: unknown, count: number) => (waits.push(after), count < 1),
        },
      });
      standIn.secondaryRateLimit({ times: 1, status: 429, retryAfter: 2 });
      expect((await octokit.repos.get({ owner: OWNER, repo: 'big' })).status).toBe(200);
      standIn.secondaryRateLimit({ times: 2, status: 403, retryAfter: 3 });
      const error = await statusOf(octokit.repos.get({ owner: OWNER, repo: 'big' }));
      expect(error.status).toBe(403);
      expect(error.headers['retry-after']).toBe('3');
      expect(waits).toEqual([2, 3, 3]);
    } finally {
      await standIn.close();
    }
  });

  it('refills a spent budget once its reset has passed; holds delayed requests; records when each arrived', async () => {
    const standIn = await freshStandIn();
    try {
      const get = () => fetch(`${standIn.url}/repos/${OWNER}/big`, { headers: { authorization: `token ${TOKEN}` } });
      standIn.setRateLimit({ remaining: 0, resetInSeconds: 1 });
      const spent = await get();
      expect(spent.status).toBe(403);
      const reset = Number(spent.headers.get('x-ratelimit-reset')) * 1000;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, reset - Date.now()) + 50));
      const refilled = await get();
      expect(refilled.status).toBe(200);
      expect(Number(refilled.headers.get('x-ratelimit-remaining'))).toBeGreaterThan(4000);

      standIn.delay({ path: /\/repos\//, ms: 600, times: 1 });
      const sentAt = Date.now();
      expect((await get()).status).toBe(200);
      expect(Date.now() - sentAt).toBeGreaterThanOrEqual(590);
      const held = standIn.requests.at(-1)!;
      // `at` is the arrival, before the hold.
      expect(held.at - sentAt).toBeLessThan(590);
      // Only `times` requests are held.
      const quick = Date.now();
      await get();
      expect(Date.now() - quick).toBeLessThan(590);
    } finally {
      await standIn.close();
    }
  });
});

describe('check runs', () => {
  it('refuses 51 annotations in one request with 422, and appends annotations across updates', async () => {
    const octokit = client();
    const annotations = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        path: 'README.md',
        start_line: i + 1,
        end_line: i + 1,
        annotation_level: 'failure' as const,
        message: `key ${i}`,
      }));
    const refused = await statusOf(
      octokit.checks.create({
        owner: OWNER,
        repo: 'big',
        name: 'neevscan',
        head_sha: editsSha,
        status: 'in_progress',
        output: { title: 't', summary: 's', annotations: annotations(51) },
      }),
    );
    expect(refused.status).toBe(422);
    expect(gh.checkRuns).toHaveLength(0);

    const created = await octokit.checks.create({
      owner: OWNER,
      repo: 'big',
      name: 'neevscan',
      head_sha: editsSha,
      status: 'in_progress',
      output: { title: 'Scanning', summary: '…', annotations: annotations(50) },
    });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({ name: 'neevscan', head_sha: editsSha, status: 'in_progress', conclusion: null });
    const updated = await octokit.checks.update({
      owner: OWNER,
      repo: 'big',
      check_run_id: created.data.id,
      conclusion: 'failure',
      output: { title: '1 key found', summary: 'Revoked.', annotations: annotations(1) },
    });
    expect(updated.data).toMatchObject({
      status: 'completed',
      conclusion: 'failure',
      output: { title: '1 key found', annotations_count: 51 },
    });
    expect(gh.checkRuns).toEqual([
      expect.objectContaining({
        name: 'neevscan',
        head_sha: editsSha,
        status: 'completed',
        conclusion: 'failure',
        requests: 2,
        output: expect.objectContaining({ title: '1 key found', summary: 'Revoked.' }),
      }),
    ]);
    expect(gh.checkRuns[0]!.output.annotations).toHaveLength(51);
  });
});

describe('public events', () => {
  it('serves pushed events newest first with ETag, X-Poll-Interval and 304 on If-None-Match (which octokit throws)', async () => {
    const standIn = await freshStandIn({ pollInterval: 17 });
    try {
      const octokit = client({ standIn });
      for (const n of [1, 2, 3]) standIn.pushEvent({ type: 'PushEvent', repo: { id: n, name: `${OWNER}/r${n}`, url: '' }, payload: { n } });
      const first = await octokit.activity.listPublicEvents();
      expect(first.data.map((e) => e.repo.name)).toEqual([`${OWNER}/r3`, `${OWNER}/r2`, `${OWNER}/r1`]);
      expect(first.headers['x-poll-interval']).toBe('17');
      const etag = first.headers.etag!;
      expect(etag).toMatch(/^W\/"[0-9a-f]{32}"$/);

      const notModified = await statusOf(octokit.request('GET /events', { headers: { 'if-none-match': etag } }));
      expect(notModified.status).toBe(304);
      expect(notModified.headers['x-poll-interval']).toBe('17');
      // A 304 does not spend the rate limit.
      expect(notModified.headers['x-ratelimit-used']).toBe(first.headers['x-ratelimit-used']);

      standIn.pushEvent({ type: 'CreateEvent', repo: { id: 4, name: `${OWNER}/r4`, url: '' } });
      const changed = await octokit.request('GET /events', { headers: { 'if-none-match': etag } });
      expect(changed.status).toBe(200);
      expect(changed.headers.etag).not.toBe(etag);
    } finally {
      await standIn.close();
    }
  });

  it('keeps 300 events, in pages of at most 100, and refuses to page past them', async () => {
    const standIn = await freshStandIn();
    try {
      const octokit = client({ standIn });
      for (let n = 0; n < 310; n++) standIn.pushEvent({ type: 'PushEvent', repo: { id: n, name: `${OWNER}/r${n}`, url: '' } });
      const all = await octokit.paginate(octokit.activity.listPublicEvents, { per_page: 500 });
      expect(all).toHaveLength(300);
      expect(all[0]!.repo.name).toBe(`${OWNER}/r309`);
      expect(standIn.requests.filter((r) => r.path === '/events')).toHaveLength(3);
      expect((await statusOf(octokit.activity.listPublicEvents({ per_page: 100, page: 4 }))).status).toBe(422);
    } finally {
      await standIn.close();
    }
  });
});

describe('secret scanning keys', () => {
  it('serves the public keys a test made, so a signature by the private key verifies', async () => {
    const current = makeSecretScanningKey();
    const old = makeSecretScanningKey(false);
    gh.secretScanningKeys = [old.publicKey, current.publicKey];
    const response = await fetch(`${gh.url}/meta/public_keys/secret_scanning`);
    const { public_keys: keys } = (await response.json()) as {
      public_keys: Array<{ key_identifier: string; key: string; is_current: boolean }>;
    };
    expect(keys.map((k) => k.is_current)).toEqual([false, true]);

    const body = JSON.stringify([{ token: 'x', type: 'neevcloud_api_key', url: 'https://github.com/o/r', source: 'content' }]);
    const headers = signSecretScanningPayload(body, current);
    const key = keys.find((k) => k.key_identifier === headers['Github-Public-Key-Identifier'])!;
    expect(
      verify('sha256', Buffer.from(body), createPublicKey(key.key), Buffer.from(headers['Github-Public-Key-Signature']!, 'base64')),
    ).toBe(true);
  });
});
