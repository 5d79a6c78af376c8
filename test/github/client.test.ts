/** The service's Octokit clients against the GitHub stand-in: App installation auth, retries, rate limits. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAppClient, createTokenClient, readPrivateKey } from '../../src/github/client.js';
import { makeRsaKeyPair, startGitHubStandIn, type GitHubStandIn } from '../helpers/github/standin.js';
import { TestRepo } from '../helpers/github/test-repo.js';

const OWNER = 'octo-org';
const APP_ID = 4711;
const INSTALLATION = 7;
const TOKEN = 'ghp_clienttesttoken';

const scratch = mkdtempSync(join(tmpdir(), 'neevscan-gh-client-'));
const appKey = makeRsaKeyPair();
let repo: TestRepo;
let gh: GitHubStandIn | undefined;

beforeAll(() => {
  repo = TestRepo.init(join(scratch, 'app'));
  repo.commit('base', { 'README.md': 'hi\n' });
});

afterEach(async () => {
  await gh?.close();
  gh = undefined;
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function standIn(): Promise<GitHubStandIn> {
  const started = await startGitHubStandIn({ appId: APP_ID, publicKeyPem: appKey.publicKeyPem, tokens: [TOKEN] });
  started.addRepo({ owner: OWNER, name: 'app', path: repo.path, private: true, installationId: INSTALLATION });
  gh = started;
  return started;
}

describe('createAppClient', () => {
  const keyFile = (name: string, pem: string) => {
    const path = join(scratch, name);
    writeFileSync(path, pem);
    return path;
  };

  it.each([
    ['PKCS#1 PEM text', () => appKey.pkcs1],
    ['PKCS#8 PEM text', () => appKey.pkcs8],
    ['a PKCS#1 file path', () => keyFile('app-pkcs1.pem', appKey.pkcs1)],
    ['a PKCS#8 file path', () => keyFile('app-pkcs8.pem', appKey.pkcs8)],
    ['PEM text with \\n escaped, as env files hold it', () => appKey.pkcs1.replace(/\n/g, '\\n')],
  ])('authenticates as an installation with %s, and reuses the token', async (_label, privateKey) => {
    const gh = await standIn();
    const app = createAppClient({ apiUrl: gh.url, appId: String(APP_ID), privateKey: privateKey(), log: () => {} });
    const octokit = app.forInstallation(INSTALLATION);
    expect((await octokit.repos.get({ owner: OWNER, repo: 'app' })).data.private).toBe(true);
    expect((await octokit.repos.get({ owner: OWNER, repo: 'app' })).status).toBe(200);
    expect(app.forInstallation(INSTALLATION)).toBe(octokit);
    expect(gh.issuedTokens).toHaveLength(1);
    expect(gh.requests.filter((r) => r.path === `/app/installations/${INSTALLATION}/access_tokens`)).toHaveLength(1);
    expect(gh.requests.at(-1)!.headers.authorization).toMatch(/^token ghs_/);
  });

  it('signs one App JWT for the token requests of many installations', async () => {
    const gh = await standIn();
    gh.addRepo({ owner: OWNER, name: 'other', path: repo.path, installationId: INSTALLATION + 1 });
    const app = createAppClient({ apiUrl: gh.url, appId: APP_ID, privateKey: appKey.pkcs8, log: () => {} });
    await Promise.all([
      app.forInstallation(INSTALLATION).repos.get({ owner: OWNER, repo: 'app' }),
      app.forInstallation(INSTALLATION + 1).repos.get({ owner: OWNER, repo: 'other' }),
    ]);
    const tokenRequests = gh.requests.filter((r) => r.path.endsWith('/access_tokens'));
    expect(tokenRequests.map((r) => r.status)).toEqual([201, 201]);
    expect(tokenRequests[0]!.headers.authorization).toMatch(/^bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    expect(tokenRequests[1]!.headers.authorization).toBe(tokenRequests[0]!.headers.authorization);
  });

  it('refuses a bad key or a missing file without quoting the key', () => {
    const broken = appKey.pkcs8.replace(/[A-Za-z]{20}/, 'not-a-key-at-all-xxx');
    let message = '';
    try {
      readPrivateKey(broken);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/not a readable PEM private key/);
    expect(message).not.toContain(broken.split('\n')[2]!);
    expect(() => readPrivateKey(join(scratch, 'missing.pem'))).toThrow(/cannot read the GitHub App private key file: ENOENT/);
    expect(() => createAppClient({ apiUrl: 'http://127.0.0.1:1', appId: 1, privateKey: broken })).toThrow(/not a readable PEM/);
  });
});

describe('retries and rate limits', () => {
  it('retries a 500 twice, then gets through', async () => {
    const gh = await standIn();
    const octokit = createTokenClient({ apiUrl: gh.url, token: TOKEN, retryAfterBaseValue: 1, log: () => {} });
    gh.fail({ path: /\/repos\/octo-org\/app$/, times: 2, status: 500 });
    expect((await octokit.repos.get({ owner: OWNER, repo: 'app' })).status).toBe(200);
    expect(gh.requests.map((r) => r.status)).toEqual([500, 500, 200]);
  });

  it('gives up on a 5xx after three retries, and never retries a 404', async () => {
    const gh = await standIn();
    const octokit = createTokenClient({ apiUrl: gh.url, token: TOKEN, retryAfterBaseValue: 1, log: () => {} });
    gh.fail({ path: /\/repos\/octo-org\/app$/, times: 5, status: 502 });
    await expect(octokit.repos.get({ owner: OWNER, repo: 'app' })).rejects.toMatchObject({ status: 502 });
    expect(gh.requests.map((r) => r.status)).toEqual([502, 502, 502, 502]);
    await expect(octokit.repos.get({ owner: OWNER, repo: 'gone' })).rejects.toMatchObject({ status: 404 });
    expect(gh.requests.map((r) => r.status)).toEqual([502, 502, 502, 502, 404]);
  });

  it("paces an installation's writes a second apart, and lets its reads and other installations' writes go at once", async () => {
    const gh = await standIn();
    gh.addRepo({ owner: OWNER, name: 'other', path: repo.path, private: true, installationId: INSTALLATION + 1 });
    const app = createAppClient({ apiUrl: gh.url, appId: APP_ID, privateKey: appKey.pkcs1, log: () => {} });
    const head = repo.git('rev-parse', 'HEAD');
    const run = (installation: number, name: string) =>
      app.forInstallation(installation).checks.create({ owner: OWNER, repo: name, name: 'neevscan', head_sha: head });
    // Tokens first: the pace is kept where a write is let go, before its token and its request.
    await app.forInstallation(INSTALLATION).repos.get({ owner: OWNER, repo: 'app' });
    await app.forInstallation(INSTALLATION + 1).repos.get({ owner: OWNER, repo: 'other' });
    await Promise.all([run(INSTALLATION, 'app'), run(INSTALLATION, 'app'), run(INSTALLATION + 1, 'other')]);
    const writes = gh.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/check-runs'));
    const ofApp = writes.filter((r) => r.path.includes('/app/')).map((r) => r.at);
    expect(ofApp).toHaveLength(2);
    // A second apart as they were let go; on arrival, less what one took more than the other on the way (a loaded
    // machine's scheduling); unpaced, they would arrive together.
    expect(Math.abs(ofApp[1]! - ofApp[0]!)).toBeGreaterThanOrEqual(500);
    const other = writes.find((r) => r.path.includes('/other/'))!.at;
    expect(other - Math.min(...ofApp)).toBeLessThan(500);
  });

  it('waits out a spent primary limit until its reset, logging the wait', async () => {
    const gh = await standIn();
    const logs: string[] = [];
    const octokit = createAppClient({
      apiUrl: gh.url,
      appId: APP_ID,
      privateKey: appKey.pkcs1,
      retryAfterBaseValue: 1,
      log: (m) => {
        logs.push(m);
        // The window "resets" once the client has decided to wait for it.
        gh.setRateLimit({ remaining: 5000 });
      },
    }).forInstallation(INSTALLATION);
    await octokit.repos.get({ owner: OWNER, repo: 'app' });
    gh.setRateLimit({ remaining: 0, resetInSeconds: 1 });
    expect((await octokit.repos.get({ owner: OWNER, repo: 'app' })).status).toBe(200);
    expect(gh.requests.slice(-2).map((r) => r.status)).toEqual([403, 200]);
    // Reset a second away (the header rounds it up to an epoch second), plus the one second GitHub asks for: at most 3 s.
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/primary rate limit on GET \/repos\/octo-org\/app \(installation 7\); retry 1 of 3 in [123] s/);
  });

  it('really waits a reset a second away with the default timing', async () => {
    const gh = await standIn();
    const octokit = createTokenClient({ apiUrl: gh.url, token: TOKEN, log: () => {} });
    gh.setRateLimit({ remaining: 0, resetInSeconds: 1 });
    const started = Date.now();
    setTimeout(() => gh.setRateLimit({ remaining: 5000 }), 1000);
    expect((await octokit.repos.get({ owner: OWNER, repo: 'app' })).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('honours retry-after on a secondary limit, and gives up after its retries or past the longest wait', async () => {
    const gh = await standIn();
    const logs: string[] = [];
    const octokit = createTokenClient({
      apiUrl: gh.url,
      token: TOKEN,
      retryAfterBaseValue: 1,
      maxRateLimitWaitSeconds: 60,
      log: (m) => logs.push(m),
    });
    gh.secondaryRateLimit({ times: 2, status: 429, retryAfter: 3 });
    expect((await octokit.repos.get({ owner: OWNER, repo: 'app' })).status).toBe(200);
    expect(logs).toEqual([
      expect.stringMatching(/secondary rate limit .* retry 1 of 3 in 3 s/),
      expect.stringMatching(/retry 2 of 3 in 3 s/),
    ]);

    gh.secondaryRateLimit({ times: 5, status: 403, retryAfter: 1 });
    await expect(octokit.repos.get({ owner: OWNER, repo: 'app' })).rejects.toMatchObject({ status: 403 });
    gh.setRateLimit({ remaining: 0, resetInSeconds: 3600 });
    await expect(octokit.repos.get({ owner: OWNER, repo: 'app' })).rejects.toMatchObject({ status: 403 });
    expect(logs.at(-1)).toMatch(/primary rate limit .* giving up/);
  });
});
