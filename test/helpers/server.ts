import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { readConfig } from '../../src/config.js';
import type { Enqueue, QueuedJob } from '../../src/core/queued-job.js';
import { buildServer, type Server } from '../../src/server/app.js';
import { connectRedis, waitReady, type RedisClient } from '../../src/stores/redis.js';
import { BIN } from './cli.js';
import { TEST_CLUSTER_NODES, deletePrefix, freshPrefix, testRedis, testRedisEnv } from './redis.js';

export const ADMIN = 'test-admin-token-0123456789';

export interface TestServer {
  url: string;
  prefix: string;
  server: Server;
  redis: RedisClient;
  close(): Promise<void>;
  /** Calls the API with a bearer token. */
  api(
    method: string,
    path: string,
    options?: { token?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any; headers: Headers }>;
}

/** The real server on a loopback port, with a fresh Redis prefix, removed on close (the tests' Redis: a node, or the cluster pass's cluster). */
export async function startServer(env: Record<string, string> = {}, options: Parameters<typeof buildServer>[2] = {}): Promise<TestServer> {
  const prefix = freshPrefix();
  const config = readConfig({ ...testRedisEnv(), NEEVSCAN_ADMIN_TOKEN: ADMIN, NEEVSCAN_REDIS_PREFIX: prefix, PORT: '1', ...env });
  const redis = connectRedis(config, () => {});
  // A cluster client first learns the slot map from the nodes: longer on a loaded machine.
  await waitReady(redis, TEST_CLUSTER_NODES ? 30_000 : 5000);
  const server = buildServer(config, redis, { logLevel: 'silent', ...options });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const address = server.app.server.address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
  return {
    url,
    prefix,
    server,
    redis,
    async close() {
      await server.app.close();
      const cleaner = testRedis();
      await deletePrefix(cleaner, prefix);
      cleaner.disconnect();
      redis.disconnect();
    },
    api: (method, path, options = {}) => callApi(url, method, path, options),
  };
}

export async function callApi(
  url: string,
  method: string,
  path: string,
  options: { token?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
) {
  const token = options.token === undefined ? ADMIN : options.token;
  const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...options.headers };
  let body: string | undefined;
  if (options.raw !== undefined) body = options.raw;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  const response = await fetch(url + path, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: response.status, body: parsed as any, headers: response.headers };
}

/**
 * A receiver's `enqueue` for tests: each queue's planned jobs handed to that
 * queue's sink, in the order the delivery planned them. A job for a queue
 * the test gave no sink is refused, as a missing queue is (the delivery is
 * answered 503).
 */
export function enqueueTo(sinks: Partial<Record<string, (jobs: QueuedJob[]) => Promise<void>>>): Enqueue {
  return async (jobs) => {
    const byQueue = new Map<string, QueuedJob[]>();
    for (const job of jobs) byQueue.set(job.queue, [...(byQueue.get(job.queue) ?? []), job]);
    for (const [queue, group] of byQueue) {
      const sink = sinks[queue];
      if (!sink) throw new Error(`no ${queue} queue in this test`);
      await sink(group);
    }
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * `neevscan serve` as its own process, waited on until /readyz answers 200.
 * It listens on PORT=0 and the test reads the port it took from its start-up
 * line: a port picked here and handed over would be free only until some
 * other connection took it (EADDRINUSE, or worse, another server answering).
 */
export async function spawnServe(
  env: Record<string, string>,
  { readyMs = TEST_CLUSTER_NODES ? 60_000 : 15_000 }: { readyMs?: number } = {},
): Promise<{ url: string; child: ChildProcess; output: () => string; stop(): Promise<void>; kill(): Promise<void> }> {
  let output = '';
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: { ...process.env, ...testRedisEnv(), NEEVSCAN_ADMIN_TOKEN: ADMIN, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const deadline = Date.now() + readyMs;
  let url: string | undefined;
  for (;;) {
    url ??= /neevscan serving on (http:\/\/[^\s"]+)/.exec(output)?.[1];
    try {
      if (url && (await fetch(`${url}/readyz`)).status === 200) break;
    } catch {
      /* not answering yet */
    }
    if (Date.now() > deadline || child.exitCode !== null || child.signalCode !== null) {
      // Not left running (and reconnecting to a Redis the test is about to stop) after the test gave up on it.
      child.kill('SIGKILL');
      throw new Error(`serve did not become ready: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const signal = (name: NodeJS.Signals) => () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(name);
    });
  // stop: SIGTERM (graceful); kill: SIGKILL (dies where it stands, holding its jobs). Both waited on.
  return { url, child, output: () => output, stop: signal('SIGTERM'), kill: signal('SIGKILL') };
}

export { freshPrefix };
