import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { waitForPing } from './redis-ping.js';

/**
 * A real Redis Cluster of the test's own: `masters` masters (3 by default, the
 * smallest cluster Redis accepts) with `replicas` replicas each, every node a
 * `redis-server --cluster-enabled yes` on spare loopback ports, joined by
 * `redis-cli --cluster create`. Fault tests kill a master and watch its
 * replica take over; the end-to-end suites run the service against it through
 * REDIS_CLUSTER_NODES.
 */
export interface LocalCluster {
  /** `127.0.0.1:port,127.0.0.1:port,…` of the masters: what REDIS_CLUSTER_NODES takes. */
  nodes: string;
  ports: number[];
  /** A cluster client for the test's own checks. */
  client(): Cluster;
  /** The port of the master serving `key`'s slot now. */
  masterOf(key: string): Promise<number>;
  /** SIGKILLs the node on `port` (no AOF flush, as a crashed machine). */
  kill(port: number): Promise<void>;
  /** SIGSTOPs / SIGCONTs the node on `port`: a replica that stops reading its master's stream for a while (a stalled link). */
  pause(port: number): void;
  resume(port: number): void;
  /** The ports of the replicas the master on `port` streams to now. */
  replicasOf(port: number): Promise<number[]>;
  /** Resolves once every slot is served by a live master again (after a kill: the replica's failover). */
  waitHealthy(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** A port free for the node and for its cluster bus (the port + 10000). */
async function clusterPort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 30000);
    if ((await isFree(port)) && (await isFree(port + 10000))) return port;
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

export function hasRedisCluster(): boolean {
  return (
    spawnSync('redis-cli', ['--version'], { stdio: 'ignore' }).status === 0 &&
    spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0
  );
}

export async function startLocalCluster(
  options: { masters?: number; replicas?: number; nodeTimeoutMs?: number } = {},
): Promise<LocalCluster> {
  const masters = options.masters ?? 3;
  const replicas = options.replicas ?? 0;
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 1000;
  const dir = mkdtempSync(join(tmpdir(), 'neevscan-cluster-'));
  const ports: number[] = [];
  for (let i = 0; i < masters * (1 + replicas); i += 1) ports.push(await clusterPort());
  const children = new Map<number, ChildProcess>();
  const logs = new Map<number, string>();
  for (const port of ports) {
    const nodeDir = join(dir, String(port));
    mkdirSync(nodeDir);
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        nodeDir,
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        'nodes.conf',
        '--cluster-node-timeout',
        String(nodeTimeoutMs),
        '--appendonly',
        'yes',
        '--save',
        '',
        '--logfile',
        '',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    logs.set(port, '');
    child.stdout!.on('data', (d) => logs.set(port, (logs.get(port) ?? '') + d));
    child.stderr!.on('data', (d) => logs.set(port, (logs.get(port) ?? '') + d));
    live.add(child);
    child.once('exit', () => live.delete(child));
    children.set(port, child);
  }
  for (const port of ports) await waitForPing(port, 'cluster node', () => logs.get(port) ?? '');
  const create = spawnSync(
    'redis-cli',
    ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', String(replicas), '--cluster-yes'],
    { encoding: 'utf8', timeout: 30_000 },
  );
  if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);

  const masterPorts = ports.slice(0, masters);
  const client = () =>
    new Cluster(
      ports.filter((p) => children.has(p)).map((port) => ({ host: '127.0.0.1', port })),
      { enableReadyCheck: true },
    );

  const waitHealthy = async (timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await slotsServed(ports.filter((p) => children.has(p)))) return;
      if (Date.now() > deadline) throw new Error('the cluster did not serve every slot in time');
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await waitHealthy();
  if (replicas > 0) await waitForReplicas(masterPorts, replicas);

  return {
    nodes: masterPorts.map((p) => `127.0.0.1:${p}`).join(','),
    ports,
    client,
    async masterOf(key: string) {
      // Asked of a node still running (the first master may be the one a test killed).
      const port = ports.find((p) => children.has(p))!;
      const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
      probe.on('error', () => {});
      try {
        await probe.connect();
        const slot = (await probe.call('CLUSTER', 'KEYSLOT', key)) as number;
        const slots = (await probe.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
        const range = slots.find(([from, to]) => slot >= from && slot <= to);
        if (!range) throw new Error(`no master serves slot ${slot}`);
        return range[2][1];
      } finally {
        probe.disconnect();
      }
    },
    async kill(port: number) {
      const child = children.get(port);
      if (!child) return;
      children.delete(port);
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      });
    },
    pause(port: number) {
      children.get(port)?.kill('SIGSTOP');
    },
    resume(port: number) {
      children.get(port)?.kill('SIGCONT');
    },
    async replicasOf(port: number) {
      const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
      probe.on('error', () => {});
      try {
        await probe.connect();
        const info = await probe.info('replication');
        return [...info.matchAll(/^slave\d+:.*\bport=(\d+)/gm)].map((m) => Number(m[1]));
      } finally {
        probe.disconnect();
      }
    },
    waitHealthy,
    async close() {
      await Promise.all(
        [...children.values()].map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGKILL');
            }),
        ),
      );
      children.clear();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whether the live nodes agree that the cluster is ok (every slot has a live master). */
async function slotsServed(ports: number[]): Promise<boolean> {
  for (const port of ports) {
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => {});
    try {
      await probe.connect();
      const info = (await probe.call('CLUSTER', 'INFO')) as string;
      if (!/cluster_state:ok/.test(info) || !/cluster_slots_ok:16384/.test(info)) return false;
      // Right after a kill the nodes still think the dead master serves its slots (until the node timeout).
      const slots = (await probe.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
      if (slots.some((range) => !ports.includes(range[2][1]))) return false;
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  }
  return true;
}

/** Replicas join their master asynchronously after `--cluster create`: until they are online, WAIT answers 0. */
async function waitForReplicas(masterPorts: number[], replicas: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (const port of masterPorts) {
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
    probe.on('error', () => {});
    try {
      await probe.connect();
      for (;;) {
        const info = await probe.info('replication');
        const online = info.split('\n').filter((line) => /^slave\d+:.*state=online/.test(line)).length;
        if (online >= replicas) break;
        if (Date.now() > deadline) throw new Error(`master ${port} has ${online} of ${replicas} replicas online`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      probe.disconnect();
    }
  }
}
