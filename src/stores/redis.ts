import { Redis } from 'ioredis';

export type Log = (message: string) => void;

/**
 * A Redis connection that never gives up: with Redis unreachable it retries
 * (backing off to 2 s) and says so, naming REDIS_URL, instead of crashing or
 * hanging silently. Commands issued while it is down fail fast (no offline
 * queue), so callers can answer 503 and retry rather than pile up.
 */
export function connectRedis(url: string, log: Log = (m) => process.stderr.write(`${m}\n`)): Redis {
  let lastLogged = 0;
  const redis = new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000),
  });
  redis.on('error', (error: Error) => {
    const now = Date.now();
    if (now - lastLogged < 5000) return;
    lastLogged = now;
    log(`neevscan: Redis at REDIS_URL=${redactUrl(url)} unreachable (${error.message}); retrying`);
  });
  return redis;
}

/** Waits until the connection is ready (for CLI commands, which need Redis before they can do anything). */
export async function waitReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new Error('Redis did not answer in time'));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', onReady);
  });
}

/** REDIS_URL without its password, for log lines. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'invalid URL';
  }
}
