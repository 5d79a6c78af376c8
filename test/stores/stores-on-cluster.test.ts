import { createHash } from 'node:crypto';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Exposure } from '../../src/core/exposure.js';
import { AlertStore } from '../../src/stores/alert-store.js';
import { RedisKeyStore } from '../../src/stores/redis-key-store.js';
import { hasRedisCluster, startLocalCluster, type LocalCluster } from '../helpers/redis-cluster.js';

const ADMIN = { id: 'tok_Admin00000000000', name: 'admin' };

/**
 * The key store and the alert store on a real three-master Redis Cluster. Every command and script must touch one slot:
 * a CROSSSLOT (or a key outside the script's declared KEYS in another slot) fails the call, and so this test.
 */
describe.runIf(hasRedisCluster())('stores on a Redis Cluster', () => {
  let cluster: LocalCluster;
  let client: Cluster;
  const prefix = 'nsc:';
  beforeAll(async () => {
    cluster = await startLocalCluster({ masters: 3 });
    client = cluster.client();
  }, 90_000);
  afterAll(async () => {
    client?.disconnect();
    await cluster?.close();
  });

  it('creates, authenticates, rotates, revokes and replaces keys spread over the masters', async () => {
    const store = new RedisKeyStore(client, prefix, { requests: 1000, windowSeconds: 60 });
    const owner = await store.createOwner({ name: 'Acme', email: 'sec@acme.example' });
    const created = [];
    for (let i = 0; i < 12; i++) created.push(await store.createKey({ ownerId: owner.id, name: `key ${i}` }));
    // Sharded: the keys' records live on more than one master, and each id names its key's shard.
    const masters = new Set<number>();
    for (const { record } of created) masters.add(await cluster.masterOf(store.names.key((await store.refOf(record.id))!)));
    expect(masters.size).toBeGreaterThan(1);
    await expect(store.createKey({ ownerId: owner.id, name: 'key 0' })).rejects.toMatchObject({ code: 'name_taken' });

    const caller = { clientIp: '198.51.100.4', userAgent: 'curl/8', endpoint: 'llama' };
    for (const { key, record } of created)
      expect(await store.authenticate(key, 10, caller)).toEqual({ outcome: 'ok', keyId: record.id, ownerId: owner.id });
    const [first, second, third] = created;
    expect((await store.findByHash(createHash('sha256').update(first!.key).digest('hex')))?.id).toBe(first!.record.id);
    expect((await store.usageSince(first!.record.id, new Date(Date.now() - 3_600_000)))[0]).toMatchObject({ requests: 1, tokens: 10 });
    await expect
      .poll(async () => (await store.callerEvidence(first!.record.id, new Date(Date.now() - 60_000), new Date())).addresses)
      .toEqual([{ value: '198.51.100.4', requests: 1 }]);

    const rotated = (await store.rotateKey(second!.record.id, 0))!;
    expect(rotated.record.name).toBe('key 1');
    expect(await store.authenticate(rotated.key, 0)).toMatchObject({ outcome: 'ok', keyId: rotated.record.id });

    const revoked = await store.revoke(third!.record.id, { reason: 'leaked', by: 'admin' });
    expect(revoked?.status).toBe('revoked');
    expect(await store.authenticate(third!.key, 0)).toEqual({ outcome: 'invalid' });
    const replacement = (await store.replaceKey(third!.record.id))!;
    expect(replacement.record).toMatchObject({ name: 'key 2', replaces: third!.record.id });
    await expect(store.replaceKey(third!.record.id)).rejects.toMatchObject({ code: 'already_replaced', otherKeyId: replacement.record.id });
    expect(await store.authenticate(replacement.key, 0)).toMatchObject({ outcome: 'ok', keyId: replacement.record.id });
    expect(await store.setRateLimit(first!.record.id, { requests: 1, windowSeconds: 60 })).toMatchObject({ rateLimit: { requests: 1 } });
    expect((await store.authenticate(first!.key, 0)).outcome).toBe('ok');
    expect((await store.authenticate(first!.key, 0)).outcome).toBe('limited');

    const listed = await store.listKeys(owner.id);
    expect(listed).toHaveLength(14);
    expect(listed.find((k) => k.id === third!.record.id)).toMatchObject({ status: 'revoked', replacedBy: replacement.record.id });
    expect((await store.listOwners()).map((o) => o.id)).toEqual([owner.id]);
  }, 60_000);

  it('records, reviews and lists alerts with filters', async () => {
    const alerts = new AlertStore(client, prefix);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const exposure: Exposure = {
        secretSha256: String(i).repeat(64).slice(0, 64),
        redacted: 'neev_…abcd',
        ruleId: 'neevcloud-api-key',
        location: {
          source: 'push',
          repo: i % 2 ? 'acme/odd' : 'acme/even',
          path: '.env',
          line: 1,
          commit: 'a'.repeat(40),
          url: `https://github.com/acme/x/blob/${'a'.repeat(40)}/.env#L${i}`,
          seenAt: new Date(Date.UTC(2026, 10, 26, 13, i)).toISOString(),
        },
        public: true,
        pushedAt: null,
        receivedAt: new Date(Date.UTC(2026, 10, 26, 13, i)).toISOString(),
      } as Exposure;
      const key = {
        id: `key_Cluster000000000${i}`,
        ownerId: i < 3 ? 'own_ClusterOwnerA001' : 'own_ClusterOwnerB001',
        hint: 'neev_…abcd',
        status: 'active' as const,
        revokedAt: null,
      };
      ids.push((await alerts.recordExposure(exposure, key)).alert.id);
    }
    await alerts.resolve(ids[1]!, { resolution: 'revoked' }, ADMIN);
    await alerts.assign(ids[4]!, { assignee: 'Dana' }, ADMIN);
    expect((await alerts.list()).alerts.map((a) => a.id)).toEqual([...ids].reverse());
    expect((await alerts.list({ repo: 'ACME/odd', state: 'open' })).alerts.map((a) => a.id)).toEqual([ids[5], ids[3]]);
    expect((await alerts.list({ ownerId: 'own_ClusterOwnerA001', limit: 2 })).alerts.map((a) => a.id)).toEqual([ids[2], ids[1]]);
    expect((await alerts.list({ assignee: 'dana' })).alerts.map((a) => a.id)).toEqual([ids[4]]);
    expect(await alerts.count()).toEqual({ open: 5, resolved: 1, complete: true });
  }, 60_000);
});
