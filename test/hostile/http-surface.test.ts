/**
 * Hostile requests to the API and the dashboard (issue 13): guessing bearer
 * tokens, anonymous bodies, ids that are Redis key names, prototype names,
 * sign-in redirects, the session cookie behind a TLS proxy. The real server
 * on a loopback port, against the real Redis.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { keyHint, sha256Hex } from '../../src/key-format/key.js';
import { handleExposure } from '../../src/pipeline/handle-exposure.js';
import { AlertStore } from '../../src/stores/alert-store.js';
import { ApiTokens } from '../../src/stores/api-tokens.js';
import { InvalidIdError } from '../../src/stores/ids.js';
import { deletePrefix, dumpPrefix, freshPrefix, testRedis } from '../helpers/redis.js';
import { ADMIN, callApi, spawnServe, startServer, type TestServer } from '../helpers/server.js';

const servers: TestServer[] = [];
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const c of cleanups.splice(0)) await c();
});

async function server(env: Record<string, string> = {}): Promise<TestServer> {
  const t = await startServer(env);
  servers.push(t);
  return t;
}

const mint = async (t: TestServer, scope: string) =>
  (await t.api('POST', '/api/v1/tokens', { body: { name: `${scope} token`, scope } })).body as { id: string; token: string };

describe('guessing bearer tokens', () => {
  it('300 wrong tokens from one address, spread over two servers sharing Redis: 401 for the first 20, then 429 with Retry-After; a correct minted token still works from there, the environment admin token does not; other addresses are not affected', async () => {
    const prefix = freshPrefix();
    const cleaner = testRedis();
    cleanups.push(async () => {
      await deletePrefix(cleaner, prefix);
      cleaner.disconnect();
    });
    // Two servers (as two processes would be), one Redis prefix; the second believes X-Forwarded-For from loopback.
    const a = await server({ NEEVSCAN_REDIS_PREFIX: prefix });
    const b = await server({ NEEVSCAN_REDIS_PREFIX: prefix, NEEVSCAN_TRUST_PROXY: '127.0.0.1' });
    const gateway = await mint(a, 'gateway');
    const security = await mint(a, 'security');

    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 300; i += 20) {
      const batch = await Promise.all(
        Array.from({ length: 20 }, (_, j) =>
          callApi((i + j) % 2 ? a.url : b.url, 'GET', '/api/v1/owners', {
            token: `guess-${i + j}`,
            headers: { 'x-forwarded-for': '127.0.0.1' },
          }),
        ),
      );
      for (const r of batch) {
        statuses.push(r.status);
        if (r.status === 429) retryAfter ??= r.headers.get('retry-after');
      }
    }
    expect(statuses.filter((s) => s === 401)).toHaveLength(20);
    expect(statuses.filter((s) => s === 429)).toHaveLength(280);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(Number(retryAfter)).toBeLessThanOrEqual(300);

    // From the throttled address: a minted token (240 random bits: not guessable) still works, on both servers.
    expect((await callApi(a.url, 'GET', '/api/v1/owners', { token: security.token })).status).toBe(200);
    expect((await callApi(b.url, 'POST', '/api/v1/authenticate', { token: gateway.token, body: { key: 'neev_x' } })).status).toBe(401);
    // The operator-chosen admin token is what a guesser is after: refused like a guess from that address.
    const admin = await callApi(a.url, 'GET', '/api/v1/owners', { token: ADMIN });
    expect(admin.status).toBe(429);
    expect(admin.body.error.code).toBe('rate_limited');
    // Another client (behind the proxy server b trusts) is not throttled, with the admin token or a wrong one.
    expect((await callApi(b.url, 'GET', '/api/v1/owners', { token: ADMIN, headers: { 'x-forwarded-for': '203.0.113.7' } })).status).toBe(
      200,
    );
    expect((await callApi(b.url, 'GET', '/api/v1/owners', { token: 'wrong', headers: { 'x-forwarded-for': '203.0.113.7' } })).status).toBe(
      401,
    );
    // Server a trusts no proxy: X-Forwarded-For changes nothing there.
    expect((await callApi(a.url, 'GET', '/api/v1/owners', { token: ADMIN, headers: { 'x-forwarded-for': '203.0.113.7' } })).status).toBe(
      429,
    );
  });

  it('requests without a token are not counted as guesses', async () => {
    const t = await server();
    for (let i = 0; i < 30; i++) expect((await t.api('GET', '/api/v1/owners', { token: null })).status).toBe(401);
    expect((await t.api('GET', '/api/v1/owners')).status).toBe(200);
  });

  it('serve warns at start when NEEVSCAN_ADMIN_TOKEN is short or an example from the README', async () => {
    for (const token of ['change-me', 'x'.repeat(20)]) {
      const serve = await spawnServe({ NEEVSCAN_REDIS_PREFIX: freshPrefix(), NEEVSCAN_ADMIN_TOKEN: token });
      await serve.stop();
      expect(serve.output()).toMatch(/NEEVSCAN_ADMIN_TOKEN is (an example value|shorter than 32 characters)/);
    }
    const serve = await spawnServe({ NEEVSCAN_REDIS_PREFIX: freshPrefix(), NEEVSCAN_ADMIN_TOKEN: `nvs_${'k'.repeat(40)}` });
    await serve.stop();
    expect(serve.output()).not.toMatch(/NEEVSCAN_ADMIN_TOKEN is/);
  }, 30_000);
});

describe('authentication before the body', () => {
  it('an anonymous or wrong-scope request is refused before its body is parsed or validated: no schema named, no 413', async () => {
    const t = await server();
    const security = await mint(t, 'security');
    const anonymous = await t.api('POST', '/api/v1/keys', { token: null, body: { x: 1 } });
    expect(anonymous.status).toBe(401);
    expect(JSON.stringify(anonymous.body)).not.toMatch(/ownerId|must have|additional/);
    expect((await t.api('POST', '/api/v1/keys', { token: 'wrong', raw: '{"x":' })).status).toBe(401);
    const wrongScope = await t.api('POST', '/api/v1/keys', { token: security.token, body: { x: 1 } });
    expect(wrongScope.status).toBe(403);
    // A body over the limit is not read for someone who may not send one.
    expect((await t.api('POST', '/api/v1/owners', { token: null, raw: 'x'.repeat(200_000) })).status).toBe(401);
    // With the right token, the schema answers as before.
    expect((await t.api('POST', '/api/v1/keys', { body: { x: 1 } })).status).toBe(400);
  });
});

describe('ids that are Redis key names', () => {
  it('an owner id with `:keys` (or any string that is not an id) is refused at the edge (400) and by the stores, and never reaches Redis', async () => {
    const t = await server();
    const owner = (await t.api('POST', '/api/v1/owners', { body: { name: 'Acme' } })).body.id as string;
    await t.api('POST', '/api/v1/keys', { body: { ownerId: owner, name: 'real' } });
    const before = await dumpPrefix(t.redis, t.prefix);
    for (const bad of [`${owner}:keys`, `${owner}:names`, 'own_x', '__proto__', `${owner}%00`]) {
      const get = await t.api('GET', `/api/v1/owners/${encodeURIComponent(bad)}`);
      expect(get.status, bad).toBe(400);
      const create = await t.api('POST', '/api/v1/keys', { body: { ownerId: bad, name: 'ghost' } });
      expect(create.status, bad).toBe(400);
      expect(create.body.key).toBeUndefined();
      expect((await t.api('GET', `/api/v1/keys?ownerId=${encodeURIComponent(bad)}`)).status, bad).toBe(400);
    }
    for (const path of [`/api/v1/keys/${owner}`, '/api/v1/keys/key_x:keys/revoke', `/api/v1/alerts/${owner}`]) {
      expect((await t.api(path.endsWith('revoke') ? 'POST' : 'GET', path)).status, path).toBe(400);
    }
    expect((await t.api('DELETE', '/api/v1/tokens/env-admin')).status).toBe(400);
    expect(await dumpPrefix(t.redis, t.prefix)).toEqual(before);

    // The stores refuse them too, whoever calls them, before any Redis call (so: no outage, no WRONGTYPE).
    await expect(t.server.store.getOwner(`${owner}:keys`)).rejects.toBeInstanceOf(InvalidIdError);
    await expect(t.server.store.createKey({ ownerId: `${owner}:keys`, name: 'ghost' })).rejects.toBeInstanceOf(InvalidIdError);
    await expect(t.server.store.listKeys(`${owner}:names`)).rejects.toBeInstanceOf(InvalidIdError);
    await expect(t.server.store.revoke('own_0000000000000000', { reason: 'x', by: 'admin' })).rejects.toBeInstanceOf(InvalidIdError);
    await expect(new AlertStore(t.redis, t.prefix).get(`alt_0000000000000000:loc`)).rejects.toBeInstanceOf(InvalidIdError);
    await expect(new ApiTokens(t.redis, t.prefix, undefined).revoke('tok_x')).rejects.toBeInstanceOf(InvalidIdError);
    expect(await dumpPrefix(t.redis, t.prefix)).toEqual(before);
  });
});

/** A signed-in dashboard session on `t` (security scope), and an alert to look at. */
async function dashboard(t: TestServer) {
  const security = await mint(t, 'security');
  const login = await fetch(`${t.url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: t.url, 'sec-fetch-site': 'same-origin' },
    body: new URLSearchParams({ token: security.token, next: '/' }).toString(),
  });
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const ownerId = (await t.api('POST', '/api/v1/owners', { body: { name: 'Acme' } })).body.id as string;
  const key = (await t.api('POST', '/api/v1/keys', { body: { ownerId, name: 'leaked' } })).body.key as string;
  const now = new Date().toISOString();
  const { alert } = await handleExposure({ keyStore: t.server.store, alerts: new AlertStore(t.redis, t.prefix), policy: 'public' }, {
    secretSha256: sha256Hex(key),
    redacted: keyHint(key),
    ruleId: 'neevcloud-api-key',
    location: { source: 'push', repo: 'octo-org/app', path: 'a.env', line: 1, commit: null, url: null, seenAt: now },
    public: true,
    pushedAt: now,
    receivedAt: now,
  } as never);
  return { cookie, alertId: alert!.id, token: security.token };
}

describe('prototype names', () => {
  it('/assets/constructor, __proto__, toString, hasOwnProperty: 404; ?done=constructor shows nothing', async () => {
    const t = await server();
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
      const res = await fetch(`${t.url}/assets/${name}`);
      expect(res.status, name).toBe(404);
    }
    expect((await fetch(`${t.url}/assets/dashboard.css`)).status).toBe(200);
    const { cookie, alertId } = await dashboard(t);
    for (const done of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const page = await fetch(`${t.url}/alerts/${alertId}?done=${done}`, { headers: { cookie } });
      expect(page.status, done).toBe(200);
      const html = await page.text();
      expect(html, done).not.toMatch(/function |\[native code\]|class="done"/);
    }
    expect(await (await fetch(`${t.url}/alerts/${alertId}?done=resolved`, { headers: { cookie } })).text()).toMatch(/class="done"/);
  });
});

describe('sign-in redirect and the session cookie', () => {
  const signIn = (t: TestServer, token: string, next: string, headers: Record<string, string> = {}) =>
    fetch(`${t.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: t.url, 'sec-fetch-site': 'same-origin', ...headers },
      body: `token=${encodeURIComponent(token)}&next=${next}`,
    });

  it('next: only a path on this site without control characters; anything else goes to /', async () => {
    const t = await server();
    const { token } = await dashboard(t);
    const cases: Array<[string, string]> = [
      ['/%09/evil.example/x', '/'],
      ['/%0a', '/'],
      ['/%0d%0aSet-Cookie:%20x=1', '/'],
      ['//evil.example', '/'],
      ['/%5Cevil.example', '/'],
      ['/.//evil.example/x', '/'],
      ['https://evil.example/', '/'],
      ['/%E2%82%AC/page', '/%E2%82%AC/page'],
      [encodeURIComponent('/alerts?state=resolved#top'), '/alerts?state=resolved#top'],
    ];
    for (const [next, location] of cases) {
      const res = await signIn(t, token, next);
      expect(res.status, next).toBe(303);
      expect(res.headers.get('location'), next).toBe(location);
    }
  });

  it('behind a proxy NEEVSCAN_TRUST_PROXY names, X-Forwarded-Proto: https makes the cookie Secure (__Host-); from anyone else it does not', async () => {
    const trusted = await server({ NEEVSCAN_TRUST_PROXY: '127.0.0.1' });
    const { token } = await dashboard(trusted);
    const viaTls = await signIn(trusted, token, '/', { 'x-forwarded-proto': 'https' });
    expect(viaTls.headers.get('set-cookie')).toMatch(/^__Host-neevscan_session=[^;]+;.*Secure/);
    // The session works over the proxy (the cookie's name follows the scheme).
    const cookie = viaTls.headers.get('set-cookie')!.split(';')[0]!;
    expect((await fetch(`${trusted.url}/`, { headers: { cookie, 'x-forwarded-proto': 'https' }, redirect: 'manual' })).status).toBe(200);
    const plain = await signIn(trusted, token, '/');
    expect(plain.headers.get('set-cookie')).not.toMatch(/Secure/);

    const untrusting = await server();
    const other = await dashboard(untrusting);
    const spoofed = await signIn(untrusting, other.token, '/', { 'x-forwarded-proto': 'https' });
    expect(spoofed.headers.get('set-cookie')).toMatch(/^neevscan_session=/);
    expect(spoofed.headers.get('set-cookie')).not.toMatch(/Secure/);
  });

  it('NEEVSCAN_TRUST_PROXY that trusts everything, or is not an address, is refused at start', async () => {
    for (const value of ['true', '*', '10.0.0.0/99', 'proxy.example']) {
      await expect(startServer({ NEEVSCAN_TRUST_PROXY: value })).rejects.toThrow(/NEEVSCAN_TRUST_PROXY/);
    }
  });
});
