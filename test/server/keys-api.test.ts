import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateKey, sha256Hex } from '../../src/key-format/key.js';
import { dumpPrefix } from '../helpers/redis.js';
import { startServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
beforeEach(async () => {
  t = await startServer();
});
afterEach(async () => {
  await t.close();
});

async function owner(name = 'Acme Inc') {
  const res = await t.api('POST', '/api/v1/owners', { body: { name, email: 'security@acme.example' } });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function key(ownerId: string, name: string, extra: Record<string, unknown> = {}) {
  const res = await t.api('POST', '/api/v1/keys', { body: { ownerId, name, ...extra } });
  expect(res.status).toBe(201);
  return res.body as { id: string; key: string; hint: string; name: string; createdAt: string };
}

async function token(scope: string) {
  const res = await t.api('POST', '/api/v1/tokens', { body: { name: `${scope} token`, scope } });
  expect(res.status).toBe(201);
  return res.body.token as string;
}

/** The key with its last checksum character changed: the right shape, the wrong checksum. */
const badChecksum = (k: string) => k.slice(0, -1) + (k.endsWith('0') ? '1' : '0');

const authenticate = (k: string, tokenValue?: string | null, tokens?: number) =>
  t.api('POST', '/api/v1/authenticate', { token: tokenValue, body: tokens === undefined ? { key: k } : { key: k, tokens } });

describe('API tokens and scopes', () => {
  it('refuses a missing or wrong token with 401 and the wrong scope with 403', async () => {
    expect((await t.api('GET', '/api/v1/owners', { token: null })).status).toBe(401);
    expect((await t.api('GET', '/api/v1/owners', { token: 'nvs_wrong' })).status).toBe(401);
    const security = await token('security');
    const gateway = await token('gateway');
    expect((await t.api('GET', '/api/v1/owners', { token: security })).status).toBe(200);
    expect((await t.api('POST', '/api/v1/owners', { token: security, body: { name: 'x' } })).status).toBe(403);
    expect((await t.api('GET', '/api/v1/owners', { token: gateway })).status).toBe(403);
    // Authenticate is no validity oracle without the gateway scope: refused before the key is looked at.
    const ownerId = await owner();
    const k = await key(ownerId, 'Production Web App');
    expect((await authenticate(k.key, security)).status).toBe(403);
    expect((await authenticate(k.key, null)).status).toBe(401);
    expect((await authenticate(k.key, gateway)).status).toBe(200);
  });

  it('admins mint and revoke tokens; tokens are stored hashed', async () => {
    const res = await t.api('POST', '/api/v1/tokens', { body: { name: 'ci', scope: 'security' } });
    expect(res.body).toMatchObject({ id: expect.stringMatching(/^tok_/), token: expect.stringMatching(/^nvs_/), scope: 'security' });
    expect((await t.api('GET', '/api/v1/owners', { token: res.body.token })).status).toBe(200);
    const dump = Buffer.concat(await dumpPrefix(t.redis, t.prefix));
    expect(dump.includes(res.body.token)).toBe(false);
    expect((await t.api('DELETE', `/api/v1/tokens/${res.body.id}`)).status).toBe(204);
    expect((await t.api('GET', '/api/v1/owners', { token: res.body.token })).status).toBe(401);
    expect((await t.api('DELETE', `/api/v1/tokens/${res.body.id}`)).status).toBe(404);
    expect((await t.api('POST', '/api/v1/tokens', { body: { name: 'x', scope: 'root' } })).status).toBe(400);
  });
});

describe('owners and keys', () => {
  it('creates a named key, shows it once, and lists only hints', async () => {
    const ownerId = await owner();
    const created = await key(ownerId, 'Production Web App');
    expect(created).toMatchObject({
      id: expect.stringMatching(/^key_/),
      name: 'Production Web App',
      hint: `neev_…${created.key.slice(-4)}`,
    });
    expect(created.key).toMatch(/^neev_[0-9A-Za-z]{38}$/);
    await key(ownerId, 'Data Pipeline');
    const list = await t.api('GET', `/api/v1/keys?ownerId=${ownerId}`);
    expect(list.status).toBe(200);
    expect(list.body.keys.map((k: any) => k.name)).toEqual(['Production Web App', 'Data Pipeline']);
    expect(list.body.keys[0]).toMatchObject({
      status: 'active',
      lastUsedAt: null,
      revokedAt: null,
      revokedReason: null,
      revokedBy: null,
      expiresAt: null,
    });
    expect(JSON.stringify(list.body)).not.toContain(created.key.slice(5, 37));
    expect((await t.api('GET', `/api/v1/keys/${created.id}`)).body).not.toHaveProperty('key');
  });

  it('answers 404 for an unknown owner or key, 409 for a name the owner already uses', async () => {
    const ownerId = await owner();
    await key(ownerId, 'Staging');
    expect((await t.api('POST', '/api/v1/keys', { body: { ownerId: 'own_0000000000000000', name: 'x' } })).status).toBe(404);
    const dup = await t.api('POST', '/api/v1/keys', { body: { ownerId, name: 'Staging' } });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('name_taken');
    // Another owner may use the same name.
    expect((await t.api('POST', '/api/v1/keys', { body: { ownerId: await owner('Other'), name: 'Staging' } })).status).toBe(201);
    expect((await t.api('GET', '/api/v1/keys/key_0000000000000000')).status).toBe(404);
    expect((await t.api('POST', '/api/v1/keys/key_0000000000000000/revoke', { body: {} })).status).toBe(404);
    expect((await t.api('GET', '/api/v1/keys?ownerId=own_0000000000000000')).status).toBe(404);
  });

  it('validates bodies with clear 400s and limits their size with 413', async () => {
    const ownerId = await owner();
    const cases = [
      { ownerId },
      { ownerId, name: '' },
      { ownerId, name: '   ' },
      { ownerId, name: 'x'.repeat(101) },
      { ownerId, name: 'tab\there' },
      { ownerId, name: 42 },
      { ownerId, name: 'ok', extra: true },
    ];
    for (const body of cases) {
      const res = await t.api('POST', '/api/v1/keys', { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'bad_request', message: expect.any(String) });
    }
    expect((await t.api('POST', '/api/v1/keys', { raw: '{not json' })).status).toBe(400);
    expect((await t.api('POST', '/api/v1/owners', { body: { name: 'x', email: 'not-an-email' } })).status).toBe(400);
    expect((await t.api('POST', '/api/v1/owners', { body: { name: 'x', webhookUrl: 'http://example.com/hook' } })).status).toBe(400);
    expect((await t.api('GET', '/api/v1/keys')).status).toBe(400);
    const huge = await t.api('POST', '/api/v1/keys', { raw: JSON.stringify({ ownerId, name: 'x'.repeat(100_000) }) });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('too_large');
  });

  it('owners with a webhook get a signing secret, shown to admins only', async () => {
    const res = await t.api('POST', '/api/v1/owners', { body: { name: 'Hooks', webhookUrl: 'https://hooks.example.com/neev' } });
    expect(res.status).toBe(201);
    expect(res.body.webhookSecret).toMatch(/^whsec_/);
    const security = await token('security');
    expect((await t.api('GET', `/api/v1/owners/${res.body.id}`, { token: security })).body).not.toHaveProperty('webhookSecret');
    expect((await t.api('GET', `/api/v1/owners/${res.body.id}`)).body.webhookSecret).toBe(res.body.webhookSecret);
  });
});

describe('authenticate, usage, revoke, rotate', () => {
  it('answers one 401 for malformed, bad-checksum, unknown, revoked and expired keys', async () => {
    const ownerId = await owner();
    const gateway = await token('gateway');
    const revoked = await key(ownerId, 'Revoked');
    await t.api('POST', `/api/v1/keys/${revoked.id}/revoke`, { body: {} });
    const expiring = await key(ownerId, 'Expiring', { expiresAt: new Date(Date.now() + 300).toISOString() });
    await new Promise((r) => setTimeout(r, 400));
    const answers = [];
    for (const k of ['hello', badChecksum(generateKey()), generateKey(), revoked.key, expiring.key])
      answers.push(await authenticate(k, gateway));
    for (const a of answers)
      expect({ status: a.status, body: a.body }).toEqual({
        status: 401,
        body: { error: { code: 'invalid_key', message: 'not an active API key' } },
      });
  });

  it('refuses a key that fails the checksum without touching Redis', async () => {
    t.redis.disconnect(); // with Redis gone, anything that reached it would answer 503
    expect((await authenticate(badChecksum(generateKey()))).status).toBe(401);
    expect((await authenticate(generateKey())).status).toBe(503); // a well-formed key does need Redis
  });

  it('records requests and tokens per hour and lastUsedAt', async () => {
    const ownerId = await owner();
    const k = await key(ownerId, 'Data Pipeline');
    for (const tokens of [100, 250, 0]) expect((await authenticate(k.key, undefined, tokens)).body).toEqual({ keyId: k.id, ownerId });
    const usage = await t.api('GET', `/api/v1/keys/${k.id}/usage?since=${new Date(Date.now() - 3_600_000).toISOString()}`);
    expect(usage.body.buckets).toHaveLength(1);
    expect(usage.body.buckets[0]).toMatchObject({ requests: 3, tokens: 350 });
    expect(new Date(usage.body.buckets[0].hour).getUTCMinutes()).toBe(0);
    expect((await t.api('GET', `/api/v1/keys/${k.id}`)).body.lastUsedAt).not.toBeNull();
    const listed = (await t.api('GET', `/api/v1/keys?ownerId=${ownerId}`)).body.keys;
    expect(listed[0].usage24h).toEqual({ requests: 3, tokens: 350 });
    expect((await t.api('GET', `/api/v1/keys/${k.id}/usage?since=${new Date(Date.now() + 3_600_000).toISOString()}`)).body.buckets).toEqual(
      [],
    );
    expect((await t.api('GET', `/api/v1/keys/${k.id}/usage?since=yesterday`)).status).toBe(400);
  });

  it('revokes at once and idempotently, leaving the other keys working', async () => {
    const ownerId = await owner();
    const [a, b] = [await key(ownerId, 'Web'), await key(ownerId, 'Batch')];
    const first = await t.api('POST', `/api/v1/keys/${a.id}/revoke`, { body: { reason: 'found in a public repo', revokedBy: 'owner' } });
    expect(first.body).toMatchObject({
      status: 'revoked',
      revokedReason: 'found in a public repo',
      revokedBy: 'owner',
      revokedAt: expect.any(String),
    });
    const again = await t.api('POST', `/api/v1/keys/${a.id}/revoke`, { body: { reason: 'second time' } });
    expect(again.body).toEqual(first.body);
    expect((await authenticate(a.key)).status).toBe(401);
    expect((await authenticate(b.key)).status).toBe(200);
    // The name is free again for a new key.
    expect((await t.api('POST', '/api/v1/keys', { body: { ownerId, name: 'Web' } })).status).toBe(201);
  });

  it('rotates: a new key with the same name, the old one working until the grace period ends', async () => {
    const ownerId = await owner();
    const old = await key(ownerId, 'Production Web App');
    const rotated = await t.api('POST', `/api/v1/keys/${old.id}/rotate`, { body: { graceSeconds: 1 } });
    expect(rotated.status).toBe(201);
    expect(rotated.body).toMatchObject({ name: 'Production Web App', key: expect.stringMatching(/^neev_/), status: 'active' });
    expect(rotated.body.id).not.toBe(old.id);
    expect((await authenticate(rotated.body.key)).status).toBe(200);
    expect((await authenticate(old.key)).status).toBe(200);
    const during = (await t.api('GET', `/api/v1/keys/${old.id}`)).body;
    expect(during).toMatchObject({ status: 'active', rotatedTo: rotated.body.id, expiresAt: expect.any(String) });
    expect((await t.api('POST', `/api/v1/keys/${old.id}/rotate`, { body: {} })).status).toBe(409);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await authenticate(old.key)).status).toBe(401);
    expect((await t.api('GET', `/api/v1/keys/${old.id}`)).body.status).toBe('expired');
    expect((await authenticate(rotated.body.key)).status).toBe(200);
  });

  it('a rotation with no grace period stops the old key at once; the default grace is 24 h', async () => {
    const ownerId = await owner();
    const a = await key(ownerId, 'A');
    const now = await t.api('POST', `/api/v1/keys/${a.id}/rotate`, { body: { graceSeconds: 0 } });
    expect((await authenticate(a.key)).status).toBe(401);
    const b = await key(ownerId, 'B');
    await t.api('POST', `/api/v1/keys/${b.id}/rotate`);
    const expires = new Date((await t.api('GET', `/api/v1/keys/${b.id}`)).body.expiresAt).getTime();
    expect(Math.abs(expires - Date.now() - 86_400_000)).toBeLessThan(60_000);
    expect(now.status).toBe(201);
  });

  it('enforces a per-key rate limit with 429 and Retry-After, per key', async () => {
    const ownerId = await owner();
    const limited = await key(ownerId, 'Limited', { rateLimit: { requests: 3, windowSeconds: 60 } });
    const other = await key(ownerId, 'Other');
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await authenticate(limited.key)).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const refused = await authenticate(limited.key);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await authenticate(other.key)).status).toBe(200);
    // Raising the limit takes effect on the next request.
    const patched = await t.api('PATCH', `/api/v1/keys/${limited.id}`, { body: { rateLimit: { requests: 1000, windowSeconds: 1 } } });
    expect(patched.body.rateLimit).toEqual({ requests: 1000, windowSeconds: 1 });
    expect((await authenticate(limited.key)).status).toBe(200);
  });

  it('concurrent authenticates spend the rate limit exactly once each', async () => {
    const ownerId = await owner();
    const k = await key(ownerId, 'Hot', { rateLimit: { requests: 40, windowSeconds: 3600 } });
    const results = await Promise.all(Array.from({ length: 150 }, () => authenticate(k.key)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(40);
    expect(results.filter((r) => r.status === 429)).toHaveLength(110);
  });

  it('after many keys, a full dump of Redis holds none of them', async () => {
    const ownerId = await owner();
    const keys: string[] = [];
    for (let i = 0; i < 150; i++) keys.push((await key(ownerId, `key ${i}`)).key);
    for (const k of keys.slice(0, 20)) await authenticate(k, undefined, 5);
    await t.api('POST', `/api/v1/keys/${(await t.api('GET', `/api/v1/keys?ownerId=${ownerId}`)).body.keys[0].id}/rotate`);
    const dump = Buffer.concat(await dumpPrefix(t.redis, t.prefix));
    expect(dump.length).toBeGreaterThan(10_000);
    for (const k of keys) {
      expect(dump.includes(k)).toBe(false);
      expect(dump.includes(k.slice(5, 37))).toBe(false); // not even the secret part
      expect(dump.includes(sha256Hex(k))).toBe(false); // the digest is never kept as hex (names carry it in base64url)
    }
  });
});
