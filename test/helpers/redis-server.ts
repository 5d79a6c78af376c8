import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForPing } from './redis-ping.js';
import { freePort } from './server.js';

/**
 * A `redis-server` of the test's own, on a spare loopback port, with
 * append-only persistence in a temporary folder: a test can stop it (SIGTERM:
 * Redis writes its AOF and exits), start it again on the same port and
 * folder with its data intact, or SIGKILL it. Fault tests use it instead of
 * the shared Redis on 6379, which other tests (and helpers) rely on.
 */
export interface DedicatedRedis {
  url: string;
  port: number;
  dir: string;
  /** Whether the server process is running now. */
  readonly running: boolean;
  /** SIGTERM, then waits for the process to exit (its AOF flushed). */
  stop(): Promise<void>;
  /** Starts it again on the same port and folder; resolves once it answers PING. */
  start(): Promise<void>;
  /** Stops it and removes its folder. Safe to call more than once, and after a failure. */
  close(): Promise<void>;
}

const live = new Set<ChildProcess>();
// A test run that dies before its cleanup must not leave servers behind.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** On a spare port, or on `options.port` (the run-wide Redis of test/helpers/global-redis.ts). */
export async function startDedicatedRedis(options: { port?: number } = {}): Promise<DedicatedRedis> {
  let port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'neevscan-redis-'));
  let child: ChildProcess | null = null;
  let output = '';

  const start = async () => {
    if (child) return;
    output = '';
    const started = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--appendonly', 'yes', '--dir', dir, '--save', '', '--logfile', ''],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    started.stdout!.on('data', (d) => (output += d));
    started.stderr!.on('data', (d) => (output += d));
    live.add(started);
    started.once('exit', () => {
      live.delete(started);
      if (child === started) child = null;
    });
    child = started;
    await waitForPing(
      port,
      'redis-server',
      () => output,
      () => child === started,
    );
  };

  const stop = async () => {
    const running = child;
    if (!running) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGTERM');
    });
  };

  // A spare port is spare only until some connection takes it: the first start tries again on another.
  for (let tries = 1; ; tries++) {
    try {
      await start();
      break;
    } catch (error) {
      if (options.port !== undefined || tries === 5 || !/already in use/i.test(output)) throw error;
      port = await freePort();
    }
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get running() {
      return child !== null;
    },
    stop,
    start,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
