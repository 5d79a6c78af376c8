// The Redis a benchmark runs against, and what it costs: the one at REDIS_URL (the default), a fresh
// redis-server of the benchmark's own (--fresh-node), or a fresh local Redis Cluster of 3 masters (--cluster).
// A fresh Redis is alone on its ports, so the CPU its processes use (/proc/<pid>/stat) and the commands it counts
// (INFO commandstats) are the benchmark's and nothing else's; its processes are killed on exit.
//
// Both fresh set-ups are started alike (no RDB snapshots, no AOF, loopback), so a comparison of the two measures
// the cluster (its client, slot routing, the cluster bus), not a difference of configuration.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { cpuSeconds } from './proc.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const live = new Set();
const killAll = () => {
  for (const child of live) child.kill('SIGKILL');
};
process.once('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'])
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });

function isFree(port) {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** A port free for a node and for its cluster bus (the port + 10000). */
async function sparePort() {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 30000);
    if ((await isFree(port)) && (await isFree(port + 10000))) return port;
  }
}

async function waitForPing(port) {
  for (let i = 0; i < 200; i++) {
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => {});
    try {
      await probe.connect();
      if ((await probe.ping()) === 'PONG') return;
    } catch {
      /* not up yet */
    } finally {
      probe.disconnect();
    }
    await sleep(50);
  }
  throw new Error(`redis-server on ${port} did not answer`);
}

function startNode(dir, port, cluster) {
  const nodeDir = join(dir, String(port));
  mkdirSync(nodeDir);
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', nodeDir, '--save', '', '--appendonly', 'no', '--logfile', ''];
  if (cluster) args.push('--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000');
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

async function clusterOk(port) {
  const probe = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
  try {
    const info = await probe.call('CLUSTER', 'INFO');
    return /cluster_state:ok/.test(info) && /cluster_slots_ok:16384/.test(info);
  } finally {
    probe.disconnect();
  }
}

/**
 * The Redis for this run, from the command line's flags: `{ kind, fresh, env, pids, connect(), masters(), close() }`.
 * `env` is what the service's processes get (REDIS_URL, or REDIS_CLUSTER_NODES); `pids` the redis-server
 * processes whose CPU is counted ([] when REDIS_URL's server is not on this machine).
 */
export async function openRedisTarget({ cluster = false, freshNode = false, masters = 3 } = {}) {
  if (!cluster && !freshNode) return existingTarget(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) throw new Error('redis-server is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'neevscan-bench-redis-'));
  const ports = [];
  for (let i = 0; i < (cluster ? masters : 1); i++) ports.push(await sparePort());
  const children = ports.map((port) => startNode(dir, port, cluster));
  for (const port of ports) await waitForPing(port);
  if (cluster) {
    const create = spawnSync(
      'redis-cli',
      ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
      {
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    for (let i = 0; !(await Promise.all(ports.map(clusterOk))).every(Boolean); i++) {
      if (i > 400) throw new Error('the cluster did not serve every slot in time');
      await sleep(50);
    }
  }
  const nodes = ports.map((p) => `127.0.0.1:${p}`).join(',');
  return {
    kind: cluster ? `${masters}-master cluster` : '1 node',
    fresh: true,
    env: cluster ? { REDIS_CLUSTER_NODES: nodes, REDIS_URL: '' } : { REDIS_URL: `redis://127.0.0.1:${ports[0]}`, REDIS_CLUSTER_NODES: '' },
    pids: children.map((c) => c.pid),
    connect: () =>
      cluster ? new Cluster(ports.map((port) => ({ host: '127.0.0.1', port }))) : new Redis({ host: '127.0.0.1', port: ports[0] }),
    masters: () => ports.map((port) => new Redis({ host: '127.0.0.1', port })),
    async close() {
      await Promise.all(
        children.map(
          (child) => new Promise((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', resolve), child.kill('SIGKILL')))),
        ),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** REDIS_URL's server, shared with whatever else uses it: its CPU is counted when it runs on this machine. */
async function existingTarget(url) {
  const probe = new Redis(url);
  const pid = Number(/process_id:(\d+)/.exec(await probe.info('server'))?.[1]);
  probe.disconnect();
  return {
    kind: '1 node (REDIS_URL, shared)',
    fresh: false,
    env: { REDIS_URL: url, REDIS_CLUSTER_NODES: '' },
    pids: pid && existsSync(`/proc/${pid}/stat`) ? [pid] : [],
    connect: () => new Redis(url),
    masters: () => [new Redis(url)],
    async close() {},
  };
}

/** The masters a client's SCAN must visit: each master of a cluster, or the one node. */
export function scanNodes(client) {
  return client instanceof Cluster ? client.nodes('master') : [client];
}

/** Deletes every key under `prefix` on every master (SCAN + UNLINK one key at a time on a cluster: keys of many slots). */
export async function deletePrefixEverywhere(client, prefix) {
  for (const node of scanNodes(client)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5000);
      cursor = next;
      if (keys.length) await Promise.all(keys.map((key) => node.unlink(key)));
    } while (cursor !== '0');
  }
}

/** Sum of the redis-server processes' user + system CPU seconds. */
export function redisCpuSeconds(pids) {
  return pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
}

/**
 * Commands each master has run (INFO commandstats, commands inside scripts included) and MOVED errors it answered
 * (INFO errorstats): `{ calls, byCommand, perNode, moved }`. A reading's own two INFO calls are counted by the next
 * reading: commandDelta takes them out.
 */
export async function commandStats(masterClients) {
  const byCommand = {};
  const perNode = [];
  let moved = 0;
  for (const node of masterClients) {
    const [commands, errors] = await Promise.all([node.info('commandstats'), node.info('errorstats')]);
    let calls = 0;
    for (const [, name, n] of commands.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
      byCommand[name] = (byCommand[name] ?? 0) + Number(n);
      calls += Number(n);
    }
    moved += Number(/^errorstat_MOVED:count=(\d+)/m.exec(errors)?.[1] ?? 0);
    perNode.push(calls);
  }
  return { calls: perNode.reduce((a, b) => a + b, 0), byCommand, perNode, moved };
}

/** What happened between two commandStats readings (less the `before` reading's own INFO calls). */
export function commandDelta(before, after) {
  const byCommand = {};
  for (const [name, n] of Object.entries(after.byCommand)) {
    const d = n - (before.byCommand[name] ?? 0) - (name === 'info' ? 2 * before.perNode.length : 0);
    if (d > 0) byCommand[name] = d;
  }
  return {
    calls: after.calls - before.calls - 2 * before.perNode.length,
    byCommand,
    perNode: after.perNode.map((n, i) => n - (before.perNode[i] ?? 0) - 2),
    moved: after.moved - before.moved,
  };
}

/** The top `n` commands of a delta, `name count` each, for a log line. */
export function topCommands(delta, n = 6) {
  return Object.entries(delta.byCommand)
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, count]) => `${name} ${count}`)
    .join(', ');
}

/** Per-node CPU seconds, for the share of each master. */
export function perPidCpu(pids) {
  return pids.map((pid) => cpuSeconds(pid));
}

/**
 * A reading of what Redis has done so far, for redisCostSince to take from a later one: the CPU seconds of the
 * target's redis-server processes (in all, and per process) and the commands its masters have run.
 */
export async function readRedisCost(target, masterClients) {
  return { cpu: redisCpuSeconds(target.pids), cpuPerNode: perPidCpu(target.pids), commands: await commandStats(masterClients) };
}

/**
 * What Redis has done since `before` (a readRedisCost reading): `{ cpu, cpuPerNode, commands }`, CPU in seconds
 * (per node to the hundredth) and the commands as commandDelta gives them.
 */
export async function redisCostSince(before, target, masterClients) {
  const now = await readRedisCost(target, masterClients);
  return {
    cpu: now.cpu - before.cpu,
    cpuPerNode: now.cpuPerNode.map((c, i) => +(c - before.cpuPerNode[i]).toFixed(2)),
    commands: commandDelta(before.commands, now.commands),
  };
}
