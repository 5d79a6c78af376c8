/**
 * vitest globalSetup: the service tests need a Redis at REDIS_URL (default
 * redis://127.0.0.1:6379). When nothing answers there, start a redis-server
 * for this run (on the URL's port when it names this machine, else on a spare
 * one), export its URL to the tests, and stop it at the end; so `npm test`
 * works on a machine where Redis is installed but not running. Without a
 * redis-server binary the run stops at once with one line saying how to get one.
 */
import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { startDedicatedRedis, type DedicatedRedis } from './redis-server.js';

const DEFAULT_URL = 'redis://127.0.0.1:6379';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

async function answers(url: string): Promise<boolean> {
  const probe = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

const hasRedisServer = () => spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  const url = process.env.REDIS_URL ?? DEFAULT_URL;
  if (await answers(url)) return undefined;
  if (!hasRedisServer()) {
    throw new Error(
      `no Redis answers at ${url} and there is no redis-server to start one: install Redis (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set REDIS_URL to a running one`,
    );
  }
  const { hostname, port } = new URL(url);
  let redis: DedicatedRedis;
  try {
    redis = await startDedicatedRedis(LOOPBACK.has(hostname) ? { port: Number(port || 6379) } : {});
  } catch {
    // The port is taken by something that is not Redis: use a spare one.
    redis = await startDedicatedRedis();
  }
  process.env.REDIS_URL = redis.url;
  console.log(`test setup: nothing answered at ${url}; started redis-server at ${redis.url} for this run`);
  return () => redis.close();
}
