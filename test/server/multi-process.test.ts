import { afterEach, describe, expect, it } from 'vitest';
import { deletePrefix, freshPrefix, testRedis } from '../helpers/redis.js';
import { ADMIN, callApi, spawnServe } from '../helpers/server.js';

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

describe('several server processes sharing one Redis', () => {
  it('a revoke that has returned is never followed by a successful authenticate on any process', async () => {
    const prefix = freshPrefix();
    const env = { NEEVSCAN_REDIS_PREFIX: prefix };
    const [a, b, c] = await Promise.all([spawnServe(env), spawnServe(env), spawnServe(env)]);
    const redis = testRedis();
    stops.push(a.stop, b.stop, c.stop, async () => {
      await deletePrefix(redis, prefix);
      redis.disconnect();
    });

    const owner = (await callApi(a.url, 'POST', '/api/v1/owners', { body: { name: 'Acme' } })).body.id;
    for (let round = 0; round < 20; round++) {
      const created = (await callApi(a.url, 'POST', '/api/v1/keys', { body: { ownerId: owner, name: `k${round}` } })).body;
      // Every process has just used the key (any cache would now hold it as valid).
      for (const s of [a, b, c])
        expect((await callApi(s.url, 'POST', '/api/v1/authenticate', { body: { key: created.key } })).status).toBe(200);
      const revoker = [a, b, c][round % 3]!;
      expect((await callApi(revoker.url, 'POST', `/api/v1/keys/${created.id}/revoke`, { body: {} })).status).toBe(200);
      const after = await Promise.all([a, b, c].map((s) => callApi(s.url, 'POST', '/api/v1/authenticate', { body: { key: created.key } })));
      expect(after.map((r) => r.status)).toEqual([401, 401, 401]);
    }
  });

  it('concurrent authenticates across processes spend a rate limit exactly once each', async () => {
    const prefix = freshPrefix();
    const env = { NEEVSCAN_REDIS_PREFIX: prefix };
    const servers = await Promise.all([spawnServe(env), spawnServe(env)]);
    const redis = testRedis();
    stops.push(...servers.map((s) => s.stop), async () => {
      await deletePrefix(redis, prefix);
      redis.disconnect();
    });
    const url = servers[0]!.url;
    const owner = (await callApi(url, 'POST', '/api/v1/owners', { body: { name: 'Acme' } })).body.id;
    const created = (
      await callApi(url, 'POST', '/api/v1/keys', {
        body: { ownerId: owner, name: 'hot', rateLimit: { requests: 75, windowSeconds: 3600 } },
      })
    ).body;
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        callApi(servers[i % 2]!.url, 'POST', '/api/v1/authenticate', { token: ADMIN, body: { key: created.key, tokens: 1 } }),
      ),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(75);
    expect(results.filter((r) => r.status === 429)).toHaveLength(225);
    const usage = await callApi(url, 'GET', `/api/v1/keys/${created.id}/usage`);
    expect(usage.body.buckets.reduce((n: number, b: { requests: number }) => n + b.requests, 0)).toBe(75);
  });
});
