// Node CPU per authenticate in the calling process (RedisKeyStore straight, no HTTP), for an A/B of two builds:
//   node bench/keystore-cpu.mjs <dist dir> [<dist dir>…]   (Redis at REDIS_URL)
// 20,000 calls at concurrency 20 over 1,000 keys; prints CPU µs per call, calls/s, p50 and p99 ms per build.
const { Redis } = await import('ioredis');
const { resolve } = await import('node:path');
for (const dist of process.argv.slice(2).map((d) => resolve(d))) {
  const { RedisKeyStore } = await import(`${dist}/stores/redis-key-store.js`);
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const prefix = `nsbench:${Math.random().toString(36).slice(2)}:`;
  const store = new RedisKeyStore(redis, prefix, { requests: 1e9, windowSeconds: 60 });
  const owner = await store.createOwner({ name: 'b' });
  const keys = [];
  for (let i = 0; i < 1000; i++) keys.push((await store.createKey({ ownerId: owner.id, name: `k${i}` })).key);
  const N = 20000,
    C = 20;
  const lat = [];
  for (let i = 0; i < 2000; i++) await store.authenticate(keys[i % 1000], 1);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (next < N) {
        const i = next++;
        const s = performance.now();
        const r = await store.authenticate(keys[i % 1000], 1);
        lat.push(performance.now() - s);
        if (r.outcome !== 'ok') throw new Error(r.outcome);
      }
    }),
  );
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  lat.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      dist,
      cpuUsPerAuth: +((cpu.user + cpu.system) / N).toFixed(1),
      perSec: Math.round((N / wall) * 1000),
      p50: +lat[(N / 2) | 0].toFixed(2),
      p99: +lat[(N * 0.99) | 0].toFixed(2),
    }),
  );
  let cursor = '0';
  do {
    const [n, ks] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = n;
    if (ks.length) await redis.del(...ks);
  } while (cursor !== '0');
  redis.disconnect();
}
