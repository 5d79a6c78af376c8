import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { generateKey } from '../../src/key-format/key.js';
import { RedisKeyStore } from '../../src/stores/redis-key-store.js';
import { neevscanAsync } from '../helpers/cli.js';
import { REDIS_URL } from '../helpers/redis.js';
import { redisPrefixForFile } from '../helpers/redis-prefix.js';

const OWNER = 'own_LegacyOwner00001';
const KEY_ID = 'key_LegacyKey0000001';
const REVOKED_ID = 'key_LegacyKey0000002';

/** Writes a key store the way the one-slot layout (everything under `{ks}`, before sharding) kept it. */
async function writeLegacy(redis: Redis, prefix: string, key: string, revokedKey: string): Promise<number> {
  const p = `${prefix}{ks}:`;
  const now = Date.now();
  const day = Math.floor(now / 86_400_000);
  const hour = Math.floor(now / 3_600_000);
  const digest = createHash('sha256').update(key).digest();
  const revokedDigest = createHash('sha256').update(revokedKey).digest();
  await redis.hset(`${p}own:${OWNER}`, { n: 'Legacy Inc', c: now, m: 'sec@legacy.example' });
  await redis.zadd(`${p}owners`, now, OWNER);
  await redis.zadd(`${p}own:${OWNER}:keys`, now, KEY_ID, now + 1, REVOKED_ID);
  await redis.hset(`${p}own:${OWNER}:names`, 'Production', KEY_ID);
  await redis.hset(`${p}key:${KEY_ID}`, { o: OWNER, n: 'Production', h: key.slice(-4), s: 'a', c: now, rl: 100, rw: 60 });
  await redis.hset(`${p}key:${REVOKED_ID}`, {
    o: OWNER,
    n: 'Old',
    h: revokedKey.slice(-4),
    s: 'r',
    c: now,
    ra: now,
    rr: 'leaked',
    rb: 'admin',
  });
  await redis.hset(`${p}ix:${digest.toString('hex').slice(0, 3)}`, digest, KEY_ID);
  await redis.hset(`${p}ix:${revokedDigest.toString('hex').slice(0, 3)}`, revokedDigest, REVOKED_ID);
  await redis.hset(
    `${p}use:${KEY_ID}:${day}`,
    `r${Math.floor((now % 86_400_000) / 3_600_000)}`,
    7,
    `t${Math.floor((now % 86_400_000) / 3_600_000)}`,
    700,
  );
  await redis.expire(`${p}use:${KEY_ID}:${day}`, 86_400);
  await redis.set(`${p}rl:${KEY_ID}`, now, 'PX', 60_000);
  await redis.zadd(`${p}cl:${KEY_ID}:${hour}:a`, 7, '192.0.2.7');
  await redis.hset(`${p}tok`, 'ab'.repeat(32), '{"id":"tok_Legacy00000000001"}');
  return now;
}

describe('neevscan migrate-store', () => {
  const { redis, prefix } = redisPrefixForFile();

  it('moves a one-slot key store to the sharded layout, keys keep working by id and by secret, and a rerun moves nothing', async () => {
    const key = generateKey();
    const revokedKey = generateKey();
    await writeLegacy(redis, prefix, key, revokedKey);
    const env = { ...process.env, REDIS_URL, NEEVSCAN_REDIS_PREFIX: prefix };

    const run = await neevscanAsync(['migrate-store'], { env });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ keys: 2, owners: 1, skipped: [] });
    // Only the global part stays under {ks}: the owner listing and the tokens.
    const left = (await redis.keys(`${prefix}{ks}:*`)).map((k) => k.slice(prefix.length)).sort();
    expect(left).toEqual(['{ks}:owners', '{ks}:tok']);

    const store = new RedisKeyStore(redis, prefix);
    expect(await store.authenticate(key, 1)).toEqual({ outcome: 'ok', keyId: KEY_ID, ownerId: OWNER });
    expect(await store.authenticate(revokedKey, 1)).toEqual({ outcome: 'invalid' });
    const record = await store.getKey(KEY_ID);
    expect(record).toMatchObject({ id: KEY_ID, name: 'Production', status: 'active', rateLimit: { requests: 100, windowSeconds: 60 } });
    expect((await store.findByHash(createHash('sha256').update(key).digest('hex')))?.id).toBe(KEY_ID);
    expect((await store.getKey(REVOKED_ID))?.revokedReason).toBe('leaked');
    expect((await store.getOwner(OWNER))?.email).toBe('sec@legacy.example');
    expect((await store.listOwners()).map((o) => o.id)).toEqual([OWNER]);
    const listed = await store.listKeys(OWNER);
    expect(listed.map((k) => k.id)).toEqual([KEY_ID, REVOKED_ID]);
    expect(listed[0]!.usage24h).toEqual({ requests: 8, tokens: 701 });
    const evidence = await store.callerEvidence(KEY_ID, new Date(Date.now() - 60_000), new Date());
    expect(evidence.addresses[0]).toEqual({ value: '192.0.2.7', requests: 7 });
    // The old name index moved with the owner: a second "Production" is refused, "Old" (revoked) is free.
    await expect(store.createKey({ ownerId: OWNER, name: 'Production' })).rejects.toMatchObject({ code: 'name_taken' });
    expect((await store.replaceKey(REVOKED_ID))?.record).toMatchObject({ name: 'Old', replaces: REVOKED_ID });

    // Every key and its serialized value, by name (SCAN's order may change as the shared server rehashes).
    const snapshot = async () => {
      // (not the rate-limit timestamp, which expires on its own a second after the last request)
      const names = (await redis.keys(`${prefix}*`)).filter((name) => !name.includes(':rl:')).sort();
      return Promise.all(names.map(async (name) => [name, (await redis.dumpBuffer(name))!.toString('base64')]));
    };
    const before = await snapshot();
    const again = await neevscanAsync(['migrate-store'], { env });
    expect(again.status).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ keys: 0, owners: 0, copied: 0, skipped: [] });
    expect(await snapshot()).toEqual(before);
  }, 60_000);
});
