import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AuthFailures } from '../../src/server/auth-failures.js';
import { DeliveryState } from '../../src/notify/delivery-state.js';
import { AlertStore } from '../../src/stores/alert-store.js';
import { LuaScript } from '../../src/stores/lua-script.js';
import { RedisKeyStore } from '../../src/stores/redis-key-store.js';
import { connectRedis, waitReady, type RedisClient } from '../../src/stores/redis.js';
import { REDIS_URL } from '../helpers/redis.js';
import { redisPrefixForFile } from '../helpers/redis-prefix.js';

const file = redisPrefixForFile();

/** A script Redis has never seen (a fresh comment makes a fresh SHA1), so its first run meets NOSCRIPT. */
const unseen = (body: string) => new LuaScript<unknown>(`-- ${randomUUID()}\n${body}`);

describe('LuaScript', () => {
  it('runs a script Redis does not know by sending it whole, then by its SHA1', async () => {
    const script = unseen("redis.call('SET', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[1])");
    const key = `${file.prefix}lua:a`;
    expect(await file.redis.script('EXISTS', script.sha)).toEqual([0]);
    expect(await script.run(file.redis, [key], ['first'])).toBe('first');
    // EVAL cached it: the next run is an EVALSHA that Redis answers.
    expect(await file.redis.script('EXISTS', script.sha)).toEqual([1]);
    expect(await script.run(file.redis, [key], [42])).toBe('42');
    expect(await file.redis.get(key)).toBe('42');
  });

  it("passes a script's own error on, without running it a second time", async () => {
    const script = unseen("redis.call('INCR', KEYS[1]); return redis.error_reply('refused')");
    const key = `${file.prefix}lua:b`;
    await expect(script.run(file.redis, [key])).rejects.toThrow('refused');
    await expect(script.run(file.redis, [key])).rejects.toThrow('refused');
    expect(await file.redis.get(key)).toBe('2');
  });

  it("the stores define nothing on their connection, so ioredis' pipelines (each batch of commands) stay cheap", async () => {
    const redis: RedisClient = connectRedis({ redisUrl: REDIS_URL }, () => {});
    try {
      await waitReady(redis, 5000);
      const keys = new RedisKeyStore(redis, file.prefix);
      const alerts = new AlertStore(redis, file.prefix);
      new DeliveryState(redis, file.prefix);
      new AuthFailures(redis, file.prefix, { max: 5, windowSeconds: 60 });
      const { key } = await keys.createKey({ ownerId: (await keys.createOwner({ name: 'o', email: 'o@example.com' })).id, name: 'k' });
      expect((await keys.authenticate(key, 1)).outcome).toBe('ok');
      expect(await alerts.get('alt_0000000000000000')).toBeNull();
      expect(Object.keys((redis as unknown as { scriptsSet: object }).scriptsSet)).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });
});
