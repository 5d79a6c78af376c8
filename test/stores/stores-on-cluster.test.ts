import { createHash } from 'node:crypto';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Exposure } from '../../src/core/exposure.js';
import { AlertStore } from '../../src/stores/alert-store.js';
import { DeliveryState } from '../../src/notify/delivery-state.js';
import { RedisKeyStore } from '../../src/stores/redis-key-store.js';
import { hasRedisCluster, startLocalCluster, type LocalCluster } from '../helpers/redis-cluster.js';

const ADMIN = { id: 'tok_Admin00000000000', name: 'admin' };

function exposure(i: number, repo: string, seenAt: number): Exposure {
  return {
    secretSha256: String(i % 10).repeat(64),
    redacted: 'neev_…abcd',
    ruleId: 'neevcloud-api-key',
    location: {
      source: 'push',
      repo,
      path: '.env',
      line: 1,
      commit: 'a'.repeat(40),
      url: `https://github.com/${repo}/blob/${'a'.repeat(40)}/.env#L${i}`,
      seenAt: new Date(seenAt).toISOString(),
    },
    public: true,
    pushedAt: null,
    receivedAt: new Date(seenAt).toISOString(),
  } as Exposure;
}

function key(i: number) {
  return {
    id: `key_Cluster${String(i).padStart(9, '0')}`,
    ownerId: i < 3 ? 'own_ClusterOwnerA001' : 'own_ClusterOwnerB001',
    hint: 'neev_…abcd',
    status: 'active' as const,
    revokedAt: null,
  };
}

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
      ids.push(
        (await alerts.recordExposure(exposure(i, i % 2 ? 'acme/odd' : 'acme/even', Date.UTC(2026, 10, 26, 13, i)), key(i))).alert.id,
      );
    }
    await alerts.resolve(ids[1]!, { resolution: 'revoked' }, ADMIN);
    await alerts.assign(ids[4]!, { assignee: 'Dana' }, ADMIN);
    expect((await alerts.list()).alerts.map((a) => a.id)).toEqual([...ids].reverse());
    expect((await alerts.list({ repo: 'ACME/odd', state: 'open' })).alerts.map((a) => a.id)).toEqual([ids[5], ids[3]]);
    expect((await alerts.list({ ownerId: 'own_ClusterOwnerA001', limit: 2 })).alerts.map((a) => a.id)).toEqual([ids[2], ids[1]]);
    expect((await alerts.list({ assignee: 'dana' })).alerts.map((a) => a.id)).toEqual([ids[4]]);
    expect(await alerts.count()).toEqual({ open: 5, resolved: 1, complete: true });
    expect(await alerts.count({ repo: 'acme/odd' })).toEqual({ open: 2, resolved: 1, complete: true });

    // Sharded: the alerts live on more than one master, each whole in the shard its id names.
    const masters = new Set<number>();
    for (const id of ids) masters.add(await cluster.masterOf(alerts.names.alert(id)));
    expect(masters.size).toBeGreaterThan(1);
    for (const id of ids) expect(await cluster.masterOf(alerts.names.audit(id))).toBe(await cluster.masterOf(alerts.names.alert(id)));

    // An earlier place re-scores the alert in every index it is in (the record script is called again with them).
    const earlier = await alerts.recordExposure(exposure(4, 'acme/other', Date.UTC(2026, 10, 26, 12, 0)), key(4));
    expect(earlier).toMatchObject({ created: false, newLocation: true, alert: { id: ids[4], firstSeenAt: '2026-11-26T12:00:00.000Z' } });
    expect((await alerts.list({ assignee: 'DANA' })).alerts.map((a) => a.firstSeenAt)).toEqual(['2026-11-26T12:00:00.000Z']);
    expect((await alerts.list({ repo: 'acme/even', limit: 1 })).alerts.map((a) => a.id)).toEqual([ids[2]]);

    // Notification bookkeeping follows the alert to its shard.
    const state = new DeliveryState(client, prefix);
    expect((await state.schedule(ids[3]!, Date.now(), { delayMs: 0, followUpMs: 60_000 })).jobId).toBe(`alert-${ids[3]}`);
    expect(await state.takeNotice(ids[3]!, `alert-${ids[3]}`, Date.now())).toEqual({ number: 1, from: 0, to: 1 });
    expect(await state.claim(ids[3]!, 1, 'email', new Date())).toEqual({ outcome: 'claimed', attempts: 1 });
    expect(await state.settle(ids[3]!, 1, 'email', 'sent', new Date())).toBe(true);
    expect((await alerts.get(ids[3]!))?.notifications).toMatchObject([{ channel: 'email', notice: 1, status: 'sent' }]);
  }, 60_000);

  it('walks a cursor across shards on several masters through a tie, and counts across them', async () => {
    const alerts = new AlertStore(client, 'nsc-ties:');
    const ids: string[] = [];
    // Twenty alerts, ten of them at one time: the tie spans shards and masters.
    for (let i = 10; i < 30; i++) {
      const seenAt = i % 2 ? Date.UTC(2026, 10, 27, 9, 0) : Date.UTC(2026, 10, 27, 9, i);
      ids.push((await alerts.recordExposure(exposure(i, 'acme/tie', seenAt), key(i))).alert.id);
    }
    const masters = new Set<number>();
    for (const id of ids) masters.add(await cluster.masterOf(alerts.names.alert(id)));
    expect(masters.size).toBeGreaterThan(1);
    const walked: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<AlertStore['list']>> = await alerts.list({ repo: 'acme/tie', limit: 3, cursor });
      walked.push(...page.alerts.map((a) => a.id));
      cursor = page.nextCursor;
    } while (cursor);
    const all = (await alerts.list({ limit: 100 })).alerts;
    expect(all).toHaveLength(20);
    expect(walked).toEqual(all.map((a) => a.id));
    for (let i = 1; i < all.length; i++) {
      const [a, b] = [all[i - 1]!, all[i]!];
      expect(a.firstSeenAt > b.firstSeenAt || (a.firstSeenAt === b.firstSeenAt && a.id > b.id)).toBe(true);
    }
    expect(await alerts.count({ ownerId: 'own_ClusterOwnerB001' })).toEqual({ open: 20, resolved: 0, complete: true });
  }, 60_000);
});
