// What every benchmark needs around the processes it starts: a free port, their CPU and memory
// from /proc, and the removal of its Redis prefix afterwards.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** A loopback port nothing listens on (taken and released at once). */
export function freePort() {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** VmRSS of a process, in MB; NaN once it is gone. */
export function rssMb(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
  } catch {
    return NaN;
  }
}

/** User + system CPU seconds a process has used; NaN once it is gone. */
export function cpuSeconds(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks (100/s)
  } catch {
    return NaN;
  }
}

/** Deletes every Redis key under `prefix` (SCAN + UNLINK, never KEYS). */
export async function deletePrefix(redis, prefix) {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5000);
    cursor = next;
    if (keys.length) await redis.unlink(...keys);
  } while (cursor !== '0');
}

/**
 * The Node.js flags `npm start` runs the service with (package.json's start script), so that a benchmark measures
 * the service as it is deployed. BENCH_SERVER_NODE_FLAGS (space-separated) replaces them for an experiment; V8 heap
 * flags such as --heap-growing-percent go on the command line, as NODE_OPTIONS refuses them.
 */
export function serviceNodeFlags() {
  if (process.env.BENCH_SERVER_NODE_FLAGS !== undefined) return process.env.BENCH_SERVER_NODE_FLAGS.split(/\s+/).filter(Boolean);
  const start = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).scripts.start;
  const words = start.split(/\s+/);
  return words.slice(
    words.indexOf('node') + 1,
    words.findIndex((w) => w.endsWith('neevscan.js')),
  );
}
