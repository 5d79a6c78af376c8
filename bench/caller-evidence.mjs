// What one caller-evidence read costs (RedisKeyStore.callerEvidence, which the notifier runs for every notice,
// so once a push that finds a key): the calling process's CPU (process.cpuUsage) and Redis's CPU (the fresh
// redis-server's /proc/<pid>/stat), per read, for a key never used (every hour's sets empty), on a fresh single node.
//
//   node bench/caller-evidence.mjs [--reads 300]
//
// The read is one pipeline of 3 ZRANGEs per hour over the look-back (7 days) and the window, plus the window's
// endpoints, "others" and distinct count: about 510 commands for an exposure an hour old. Expects dist/ built.
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { RedisKeyStore } from '../dist/stores/redis-key-store.js';
import { openRedisTarget, readRedisCost, redisCostSince } from './lib/redis-target.mjs';

const { values } = parseArgs({ options: { reads: { type: 'string', default: '300' } } });
const READS = Number(values.reads);
const target = await openRedisTarget({ freshNode: true });
const redis = target.connect();
const masters = target.masters();
try {
  const store = new RedisKeyStore(redis, 'nsbench:callers:', { requests: 1e9, windowSeconds: 60 });
  const owner = await store.createOwner({ name: 'bench' });
  const key = await store.createKey({ ownerId: owner.id, name: 'bench key' });
  const read = () => store.callerEvidence(key.record.id, new Date(Date.now() - 3_600_000), new Date());
  for (let i = 0; i < 50; i++) await read(); // warm-up
  const load0 = loadavg()[0].toFixed(2);
  const [cpu0, redis0] = [process.cpuUsage(), await readRedisCost(target, masters)];
  for (let i = 0; i < READS; i++) await read();
  const cpu = process.cpuUsage(cpu0);
  const { cpu: redisCpu, commands } = await redisCostSince(redis0, target, masters);
  console.log(
    `caller evidence, key never used, exposure 1 h old: ${((cpu.user + cpu.system) / READS).toFixed(0)} µs of client CPU and ${((redisCpu * 1e6) / READS).toFixed(0)} µs of Redis CPU a read, ${(commands.calls / READS).toFixed(0)} Redis commands a read; ${READS} reads; load ${load0} → ${loadavg()[0].toFixed(2)}`,
  );
} finally {
  for (const client of [redis, ...masters]) client.disconnect();
  await target.close();
}
