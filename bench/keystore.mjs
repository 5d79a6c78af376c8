// Key store benchmark (npm run bench:keystore): authenticate latency at a fixed
// rate and the sustained maximum, with 100,000 keys in a real Redis, over
// loopback; and Redis memory per stored key. Expects dist/ built.
//
//   node bench/keystore.mjs [--keys 100000] [--rate 2000] [--seconds 20] [--caller both|with|without] [--cluster | --fresh-node]
//
// Per run it prints what each call costs: the service's CPU (the serve process, /proc/<pid>/stat), Redis's CPU (every
// redis-server process) and the Redis commands it ran (INFO commandstats), so a capacity estimate can be made from
// them whatever else shares the machine. --cluster: a fresh local Redis Cluster of 3 masters (REDIS_CLUSTER_NODES);
// --fresh-node: a fresh single redis-server, started alike (bench/lib/redis-target.mjs); neither: REDIS_URL.
// The results also go to bench/.data/keystore/result-<time>.json (printed last), which bench/scaling.mjs reads.
//
// --caller: the fixed-rate run without caller context, with it (clientIp, userAgent, endpoint from pools of
// 5,000 addresses, 20 user agents and 6 models, as a gateway sends them), or both, one after the other.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { RedisKeyStore } from '../dist/stores/redis-key-store.js';
import { BIN, waitReady } from './lib/neevscan-process.mjs';
import { cpuSeconds, freePort, serviceNodeFlags } from './lib/proc.mjs';
import { deletePrefixEverywhere, openRedisTarget, readRedisCost, redisCostSince, scanNodes, topCommands } from './lib/redis-target.mjs';

const { values } = parseArgs({
  options: {
    keys: { type: 'string', default: '100000' },
    rate: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '20' },
    caller: { type: 'string', default: 'both' },
    cluster: { type: 'boolean', default: false },
    'fresh-node': { type: 'boolean', default: false },
  },
});
if (!['both', 'with', 'without'].includes(values.caller)) throw new Error('--caller takes both, with or without');
const KEYS = Number(values.keys);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const PREFIX = `nsbench:${process.pid}:`;
const ADMIN = 'bench-admin-token';
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const loadBefore = load();

const target = await openRedisTarget({ cluster: values.cluster, freshNode: values['fresh-node'] });
const redis = target.connect();
const masters = target.masters();
const store = new RedisKeyStore(redis, PREFIX, { requests: 1_000_000, windowSeconds: 60 });

async function cleanup() {
  // A fresh Redis goes with its processes; REDIS_URL's is shared, so the prefix is deleted.
  if (target.fresh) return;
  await deletePrefixEverywhere(redis, PREFIX);
}

const usedMemory = async () =>
  (await Promise.all(masters.map((m) => m.info('memory')))).reduce((sum, info) => sum + Number(/used_memory:(\d+)/.exec(info)[1]), 0);

async function memoryPerKey() {
  // Sum MEMORY USAGE over everything the store wrote: exact for this prefix, whatever else shares the server.
  let total = 0;
  let count = 0;
  for (const node of scanNodes(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 5000);
      cursor = next;
      const pipeline = node.pipeline();
      for (const key of keys) pipeline.memory('USAGE', key, 'SAMPLES', 0);
      for (const [, bytes] of await pipeline.exec()) total += Number(bytes);
      count += keys.length;
    } while (cursor !== '0');
  }
  return { total, redisKeys: count };
}

async function main() {
  console.log(`Redis: ${target.kind}; load average ${loadBefore}`);
  console.log(`populating ${KEYS} keys (100 per owner) …`);
  const started = Date.now();
  const keys = [];
  const before = await usedMemory();
  for (let o = 0; o < KEYS / 100; o++) {
    const owner = await store.createOwner({ name: `Owner ${o}`, email: `owner${o}@example.com` });
    const batch = await Promise.all(
      Array.from({ length: 100 }, (_, i) => store.createKey({ ownerId: owner.id, name: `Key number ${i} of owner ${o}` })),
    );
    for (const created of batch) keys.push(created.key);
  }
  const after = await usedMemory();
  const { total, redisKeys } = await memoryPerKey();
  console.log(`populated in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const memory = { perKeyByMemoryUsage: total / KEYS, perKeyByInfo: (after - before) / KEYS, redisKeys };
  console.log(
    `Redis memory: ${memory.perKeyByMemoryUsage.toFixed(0)} bytes per key by MEMORY USAGE (${redisKeys} Redis keys), ${memory.perKeyByInfo.toFixed(0)} by INFO used_memory`,
  );

  const port = await freePort();
  const server = spawn(process.execPath, [...serviceNodeFlags(), BIN, 'serve'], {
    env: {
      ...process.env,
      PORT: String(port),
      ...target.env,
      NEEVSCAN_REDIS_PREFIX: PREFIX,
      NEEVSCAN_ADMIN_TOKEN: ADMIN,
      NEEVSCAN_DEFAULT_RATE_LIMIT: '1000000/60',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(url, 'server', { attempts: 600 });

  // A gateway token, as the inference gateway has: NEEVSCAN_ADMIN_TOKEN costs a look at the failed-token count on each use.
  const minted = await fetch(`${url}/api/v1/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench gateway', scope: 'gateway' }),
  }).then((r) => r.json());
  let next = 0;
  let withCaller = false;
  const caller = (n) => ({
    clientIp: `10.${(n >> 8) % 20}.${n % 250}.${(n * 31) % 250}`,
    userAgent: `gateway-client/${n % 20}.0 (bench)`,
    endpoint: ['llama-3-70b', 'llama-3-8b', 'mixtral-8x7b', 'embeddings', 'whisper', 'sdxl'][n % 6],
  });
  const request = {
    method: 'POST',
    path: '/api/v1/authenticate',
    headers: { authorization: `Bearer ${minted.token}`, 'content-type': 'application/json' },
    setupRequest: (req) => {
      const n = next++;
      const body = { key: keys[(n * 7919) % keys.length], tokens: 100, ...(withCaller ? caller(n % 5000) : {}) };
      return { ...req, body: JSON.stringify(body) };
    },
  };
  const run = (opts) =>
    new Promise((resolve, reject) =>
      autocannon({ url, requests: [request], ...opts }, (error, result) => (error ? reject(error) : resolve(result))),
    );

  // One autocannon run with what it cost: service CPU (serve), Redis CPU (all redis-server processes) and Redis
  // commands, each per completed call, read before and after the run.
  const measured = async (opts) => {
    const load0 = load();
    const serve0 = cpuSeconds(server.pid);
    const redis0 = await readRedisCost(target, masters);
    const result = await run(opts);
    const serve1 = cpuSeconds(server.pid);
    const redisCost = await redisCostSince(redis0, target, masters);
    const calls = result.requests.total;
    const { commands } = redisCost;
    result.cost = {
      calls,
      serviceCpuUsPerCall: ((serve1 - serve0) * 1e6) / calls,
      redisCpuUsPerCall: target.pids.length ? (redisCost.cpu * 1e6) / calls : NaN,
      redisCpuSecondsPerNode: redisCost.cpuPerNode,
      redisCommandsPerCall: commands.calls / calls,
      commandsPerNode: commands.perNode,
      moved: commands.moved,
      topCommands: topCommands(commands),
      load: `${load0} → ${load()}`,
    };
    const c = result.cost;
    console.log(
      `   ${Math.round(result.requests.average)} requests/s, p99 ${result.latency.p99} ms; per call: service CPU ${c.serviceCpuUsPerCall.toFixed(0)} µs, Redis CPU ${c.redisCpuUsPerCall.toFixed(1)} µs (per node ${c.redisCpuSecondsPerNode.join(' + ')} s), ${c.redisCommandsPerCall.toFixed(2)} Redis commands (per node ${c.commandsPerNode.join(' + ')}; ${c.topCommands}; MOVED ${c.moved}); load ${c.load}`,
    );
    return result;
  };

  await run({ connections: 20, duration: 3 }); // warm-up
  const fixed = {};
  for (const mode of values.caller === 'both' ? ['without', 'with'] : [values.caller]) {
    withCaller = mode === 'with';
    console.log(`fixed rate: ${RATE} requests/s for ${SECONDS} s, ${mode} caller context …`);
    fixed[mode] = await measured({ connections: Number(process.env.BENCH_CONNECTIONS ?? 10), overallRate: RATE, duration: SECONDS });
  }
  console.log(`maximum: 50 connections for ${SECONDS} s, ${withCaller ? 'with' : 'without'} caller context …`);
  const max = await measured({ connections: 50, duration: SECONDS });
  await new Promise((resolve) => (server.exitCode !== null ? resolve() : (server.once('exit', resolve), server.kill('SIGTERM'))));

  const row = (name, r) =>
    `| ${name} | ${Math.round(r.requests.average)} | ${r.latency.p50} | ${r.latency.p99} | ${r.latency.max} | ${r.non2xx} | ${r.errors + r.timeouts} |`;
  console.log('\n| run | requests/s (mean) | p50 ms | p99 ms | max ms | non-2xx | errors |\n| --- | --- | --- | --- | --- | --- | --- |');
  for (const [mode, result] of Object.entries(fixed)) console.log(row(`${RATE}/s fixed rate, ${mode} caller context`, result));
  console.log(row(`maximum (50 connections), ${withCaller ? 'with' : 'without'} caller context`, max));
  console.log(
    `\nRedis memory per stored key: ${memory.perKeyByMemoryUsage.toFixed(0)} bytes (MEMORY USAGE), ${memory.perKeyByInfo.toFixed(0)} bytes (INFO used_memory delta), ${KEYS} keys`,
  );
  const summary = (r) => ({
    requestsPerSecond: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    max: r.latency.max,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    ...r.cost,
  });
  const report = {
    when: new Date().toISOString(),
    redis: target.kind,
    machine: { nproc: cpus().length, cpu: cpus()[0]?.model, node: process.version },
    keys: KEYS,
    rate: RATE,
    seconds: SECONDS,
    loadBefore,
    loadAfter: load(),
    memory,
    fixed: Object.fromEntries(Object.entries(fixed).map(([mode, r]) => [mode, summary(r)])),
    max: { caller: withCaller ? 'with' : 'without', ...summary(max) },
  };
  const dir = join(dirname(fileURLToPath(import.meta.url)), '.data', 'keystore');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `result-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2));
  console.log(`\nresults: ${file}`);
  await cleanup();
  for (const client of [redis, ...masters]) client.disconnect();
  await target.close();
}

main().catch(async (error) => {
  console.error(error);
  await cleanup().catch(() => {});
  await target.close();
  process.exit(1);
});
