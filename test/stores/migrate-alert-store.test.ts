import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { Location } from '../../src/core/exposure.js';
import { alertShardOfId, alertShardOfKey } from '../../src/stores/alert-store-names.js';
import { AlertStore, locationIdentity } from '../../src/stores/alert-store.js';
import { neevscanAsync } from '../helpers/cli.js';
import { REDIS_URL } from '../helpers/redis.js';
import { redisPrefixForFile } from '../helpers/redis-prefix.js';
import { asLocation } from '../helpers/location.js';

const OWNER = 'own_LegacyOwner00001';
// Ids made before sharding: each names a shard that is not its key's, the harder case.
const OPEN = { id: 'alt_Legacy0000000001', key: 'key_LegacyKey0000001' };
const RESOLVED = { id: 'alt_aLegacy000000002', key: 'key_LegacyKey0000002' };
const ADMIN = { id: 'tok_Admin00000000000', name: 'admin' };
const T1 = Date.parse('2026-11-20T10:00:00.000Z');
const T2 = Date.parse('2026-11-21T10:00:00.000Z');

function place(repo: string, source: Location['source'], seenAt: number): Location {
  return asLocation({
    source,
    repo,
    path: '.env',
    line: 1,
    commit: null,
    url: `https://github.com/${repo}/blob/main/.env#L1`,
    seenAt: new Date(seenAt).toISOString(),
  });
}

/** Writes two alerts the way the one-slot layout (everything under `{al}`, before sharding) kept them. */
async function writeLegacy(redis: Redis, prefix: string): Promise<void> {
  const p = `${prefix}{al}:`;
  const alerts = [
    { ...OPEN, f: T1, where: place('Octo/App', 'push', T1), st: { st: 'open', as: 'Dana', asx: `${p}assignee:dana` }, state: 'open' },
    {
      ...RESOLVED,
      f: T2,
      where: place('octo/wiki', 'wiki', T2),
      st: { st: 'resolved', rs: 'revoked', rsa: T2, rsb: 'admin' },
      state: 'resolved',
    },
  ];
  for (const a of alerts) {
    const r = `${p}a:${a.id}`;
    const indexes = [`${p}owner:${OWNER}`, `${p}repo:${a.where.repo!.toLowerCase()}`, `${p}source:${a.where.source}`];
    if (a.state === 'open') indexes.push(`${p}assignee:dana`);
    await redis.hset(r, {
      k: a.key,
      o: OWNER,
      h: 'neev_…abcd',
      sh: 'a'.repeat(64),
      ks: 'active',
      f: a.f,
      rc: a.f,
      n: 1,
      kn: 'Production',
      ...a.st,
    });
    await redis.rpush(`${r}:loc`, JSON.stringify(a.where));
    await redis.sadd(`${r}:lk`, locationIdentity(a.where));
    await redis.rpush(
      `${r}:ntf`,
      JSON.stringify({ channel: 'email', notice: 1, status: 'sent', attempts: 1, at: new Date(a.f).toISOString() }),
    );
    await redis.hset(`${r}:nst`, { d: 1, dl: 1, da: a.f });
    await redis.rpush(`${r}:audit`, JSON.stringify({ at: String(a.f), actor: ADMIN, action: 'commented', comment: 'seen' }));
    await redis.sadd(`${r}:ix`, ...indexes);
    await redis.hset(`${p}bykey`, a.key, a.id);
    for (const index of [`${p}all`, `${p}state:${a.state}`, ...indexes]) await redis.zadd(index, a.f, a.id);
  }
}

describe('neevscan migrate-store: the alert store', () => {
  const { redis, prefix } = redisPrefixForFile();

  it('moves one-slot alerts to their shards: found by id, by key and by every filter; a rerun moves nothing; they keep working', async () => {
    expect(alertShardOfId(OPEN.id)).not.toBe(alertShardOfKey(OPEN.key));
    expect(alertShardOfId(RESOLVED.id)).not.toBe(alertShardOfId(OPEN.id));
    await writeLegacy(redis, prefix);
    const env = { ...process.env, REDIS_URL, NEEVSCAN_REDIS_PREFIX: prefix };
    const run = await neevscanAsync(['migrate-store'], { env });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ alerts: 2, copied: 14, skipped: [] });
    expect(await redis.keys(`${prefix}{al}:*`)).toEqual([]);

    const store = new AlertStore(redis, prefix);
    expect(await store.get(OPEN.id)).toMatchObject({
      keyId: OPEN.key,
      state: 'open',
      assignee: 'Dana',
      locationCount: 1,
      notifications: [{ channel: 'email', notice: 1, status: 'sent' }],
    });
    expect((await store.getByKeyId(RESOLVED.key))?.id).toBe(RESOLVED.id);
    expect((await store.audit(OPEN.id)).map((e) => e.action)).toEqual(['commented']);
    const ids = async (filter: Parameters<AlertStore['list']>[0]) => (await store.list(filter)).alerts.map((a) => a.id);
    expect(await ids({})).toEqual([RESOLVED.id, OPEN.id]);
    expect(await ids({ assignee: 'DANA' })).toEqual([OPEN.id]);
    expect(await ids({ repo: 'octo/app', state: 'open' })).toEqual([OPEN.id]);
    expect(await ids({ ownerId: OWNER, state: 'resolved' })).toEqual([RESOLVED.id]);
    expect(await store.count({ source: 'wiki' })).toEqual({ open: 0, resolved: 1, complete: true });

    const snapshot = async () => {
      const names = (await redis.keys(`${prefix}*`)).sort();
      return Promise.all(names.map(async (name) => [name, (await redis.dumpBuffer(name))!.toString('base64')]));
    };
    const before = await snapshot();
    const again = await neevscanAsync(['migrate-store'], { env });
    expect(again.status).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ alerts: 0, copied: 0, skipped: [] });
    expect(await snapshot()).toEqual(before);

    // The same place again adds nothing; an earlier one re-scores the alert in every index it is in (their names were rewritten).
    const exposure = (where: Location) => ({
      secretSha256: 'a'.repeat(64),
      redacted: 'neev_…abcd',
      ruleId: 'neevcloud-api-key',
      location: where,
      public: true,
      pushedAt: null,
      receivedAt: where.seenAt,
    });
    const key = { id: OPEN.key, ownerId: OWNER, hint: 'neev_…abcd', status: 'active' as const, revokedAt: null };
    const repeat = await store.recordExposure(exposure(place('Octo/App', 'push', T1)), key);
    expect(repeat).toMatchObject({ created: false, newLocation: false, alert: { id: OPEN.id, locationCount: 1 } });
    const earlier = await store.recordExposure(exposure(place('octo/fork', 'push', T1 - 86_400_000)), key);
    expect(earlier).toMatchObject({ created: false, newLocation: true, alert: { id: OPEN.id, locationCount: 2 } });
    const seen = Date.parse(earlier.alert.firstSeenAt);
    for (const index of ['owner', 'repo', 'source', 'assignee'] as const) {
      const name = { owner: `owner:${OWNER}`, repo: 'repo:octo/app', source: 'source:push', assignee: 'assignee:dana' }[index];
      expect(await redis.zscore(`${prefix}{al:${alertShardOfId(OPEN.id)}}:${name}`, OPEN.id)).toBe(String(seen));
    }
    // The assignee's index name moved too: reassigning leaves the old one.
    await store.assign(OPEN.id, { assignee: 'Eve' }, ADMIN);
    expect(await ids({ assignee: 'dana' })).toEqual([]);
    expect(await ids({ assignee: 'eve' })).toEqual([OPEN.id]);
  }, 60_000);
});
