import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpKeyStore } from '../../src/stores/http-key-store.js';
import { CALLER_TOP_N } from '../../src/stores/redis-key-store.js';
import { ADMIN, startServer, type TestServer } from '../helpers/server.js';

/**
 * The caller summaries through the HTTP surface (authenticate with caller context, then GET /keys/{id}/callers,
 * which HttpKeyStore.callerEvidence reads), with what they leave in the real Redis: bounded per hour, TTL'd,
 * no key.
 */

let t: TestServer;
let gateway: string;
beforeEach(async () => {
  t = await startServer();
  gateway = (await t.api('POST', '/api/v1/tokens', { body: { name: 'gw', scope: 'gateway' } })).body.token;
});
afterEach(async () => {
  await t.close();
});

async function keyOf(name: string) {
  const owner = (await t.api('POST', '/api/v1/owners', { body: { name: `${name} owner` } })).body.id as string;
  return (await t.api('POST', '/api/v1/keys', { body: { ownerId: owner, name } })).body as { id: string; key: string };
}

const auth = (key: string, context: Record<string, unknown>) =>
  t.api('POST', '/api/v1/authenticate', { token: gateway, body: { key, ...context } });

describe('caller summaries', () => {
  it(`keep the top ${CALLER_TOP_N} addresses per hour, count the rest as others, expire with the usage buckets, never hold the key`, async () => {
    const k = await keyOf('Busy');
    for (let i = 0; i < 5; i++) expect((await auth(k.key, { clientIp: '192.0.2.1', userAgent: 'steady/1' })).status).toBe(200);
    const extra = CALLER_TOP_N + 8;
    for (let i = 0; i < extra; i++) expect((await auth(k.key, { clientIp: `198.51.100.${i + 2}` })).status).toBe(200);

    const evidence = await new HttpKeyStore(t.url, ADMIN).callerEvidence(k.id, new Date(Date.now() - 60_000), new Date());
    expect(evidence).not.toBeNull();
    // HyperLogLog counts every distinct address, kept or not (exact at this size).
    expect(evidence!.distinctAddresses).toBe(extra + 1);
    expect(evidence!.addresses[0]).toEqual({ value: '192.0.2.1', requests: 5 });
    expect(evidence!.addresses).toHaveLength(10);
    expect(evidence!.others.addresses).toBe(extra + 1 - CALLER_TOP_N);
    expect(evidence!.userAgents).toEqual([{ value: 'steady/1', requests: 5 }]);

    const names = t.server.store.names.callers((await t.server.store.refOf(k.id))!, Math.floor(Date.now() / 3_600_000));
    expect(await t.redis.zcard(names.addresses)).toBe(CALLER_TOP_N);
    for (const name of [names.addresses, names.userAgents, names.firstSeen, names.distinct, names.others]) {
      const ttl = await t.redis.ttl(name);
      expect(ttl).toBeGreaterThan(89 * 86_400);
    }
    for (const name of await t.redis.keys(`${t.prefix}*cl:*`)) {
      const type = await t.redis.type(name);
      const dump =
        type === 'zset' ? (await t.redis.zrange(name, 0, -1)).join() : type === 'hash' ? JSON.stringify(await t.redis.hgetall(name)) : '';
      expect(dump.includes(k.key)).toBe(false);
    }
  });

  it('a key used by nobody new since the exposure shows no new callers; one used before the look-back shows all as new', async () => {
    const k = await keyOf('Quiet');
    expect((await auth(k.key, { clientIp: '2001:DB8::1', endpoint: 'embeddings' })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const exposedAt = new Date();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await auth(k.key, { clientIp: '2001:db8::1', endpoint: 'embeddings' })).status).toBe(200);
    const store = new HttpKeyStore(t.url, ADMIN);
    const after = await store.callerEvidence(k.id, exposedAt, new Date());
    // Addresses are kept lowercased: the same address, whatever the gateway's spelling.
    expect(after).toMatchObject({
      distinctAddresses: 1,
      newAddresses: [],
      newUserAgents: [],
      firstNewUseAt: null,
      endpoints: [{ value: 'embeddings', requests: 2 }],
    });

    const before = await store.callerEvidence(k.id, new Date(Date.now() - 60_000), new Date());
    expect(before!.newAddresses).toEqual([{ value: '2001:db8::1', requests: 2, firstSeenAt: expect.any(String) }]);
    expect(
      (await t.api('GET', `/api/v1/keys/${k.id}/callers?since=${encodeURIComponent(new Date().toISOString())}&until=2000-01-01T00:00:00Z`))
        .status,
    ).toBe(400);
  });
});
