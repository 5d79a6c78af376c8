import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A fresh key prefix for one test, and a function that deletes everything under it. */
export function freshPrefix(): string {
  return `nstest:${randomBytes(6).toString('hex')}:`;
}

export function testRedis(): Redis {
  return new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
}

export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
}

/** Every Redis key under the prefix with its whole value, as bytes: what a dump of the store would show. */
export async function dumpPrefix(redis: Redis, prefix: string): Promise<Buffer[]> {
  const out: Buffer[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scanBuffer(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = String(next);
    for (const key of keys) {
      out.push(key);
      const type = await redis.type(key);
      if (type === 'string') out.push((await redis.getBuffer(key))!);
      else if (type === 'hash')
        for (const [field, value] of Object.entries(await redis.hgetallBuffer(key))) out.push(Buffer.from(field, 'latin1'), value);
      else if (type === 'zset') out.push(...(await redis.zrangeBuffer(key, 0, -1)));
      else if (type === 'set') out.push(...(await redis.smembersBuffer(key)));
      else if (type === 'list') out.push(...(await redis.lrangeBuffer(key, 0, -1)));
      // DUMP is the serialized value as Redis would persist it.
      const dumped = await redis.dumpBuffer(key);
      if (dumped) out.push(dumped);
    }
  } while (cursor !== '0');
  return out;
}
