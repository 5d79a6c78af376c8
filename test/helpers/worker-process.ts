import { spawn, type ChildProcess } from 'node:child_process';
import { BIN } from './cli.js';
import { REDIS_URL } from './redis.js';

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  output: () => string;
  /** SIGTERM (graceful: in-flight jobs finish), waited on. */
  stop(): Promise<void>;
  /** SIGKILL: the process dies where it stands, holding whatever jobs it had; waited on. */
  kill(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** `neevscan worker` (the queue workers, no HTTP) as its own process, waited on until it says it is running. */
export async function spawnWorker(env: Record<string, string>): Promise<WorkerProcess> {
  let output = '';
  const child = spawn(process.execPath, [BIN, 'worker'], {
    env: { ...process.env, REDIS_URL, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const deadline = Date.now() + 15_000;
  while (!output.includes('neevscan worker running')) {
    if (child.exitCode !== null) throw new Error(`worker exited (${child.exitCode}): ${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`worker did not start: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const signal = (name: NodeJS.Signals) => () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(name);
    });
  return { child, pid: child.pid!, output: () => output, stop: signal('SIGTERM'), kill: signal('SIGKILL') };
}
