// A `neevscan` command (serve, worker, poll) as the benchmarks run it: a child process whose output is kept (its
// tail) for the error report after a failure, a readiness wait on its /readyz, and calls to its admin API.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// BENCH_NEEVSCAN_BIN: another checkout's bin/neevscan.js (built), to measure two versions of the service in turns.
export const BIN = process.env.BENCH_NEEVSCAN_BIN || join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'neevscan.js');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The admin token the benchmarks give the service (NEEVSCAN_ADMIN_TOKEN) and call its API with. */
export const ADMIN_TOKEN = 'bench-admin-token-0123456789';

/**
 * Spawns `node [nodeFlags] bin/neevscan.js ...args` with exactly `env`. `output()` is what it has written to stdout
 * and stderr (the last 100-200 kB); `stop()` sends SIGTERM and resolves with its exit code once it has exited.
 */
export function spawnNeevscan(args, env, nodeFlags = []) {
  let output = '';
  const child = spawn(process.execPath, [...nodeFlags, BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (d) => {
    output += d;
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  return {
    pid: child.pid,
    output: () => output,
    stop: () => new Promise((r) => (child.exitCode !== null ? r(child.exitCode) : (child.once('exit', r), child.kill('SIGTERM')))),
  };
}

/**
 * Resolves once `${url}/readyz` answers 200, asking every 50 ms; after `attempts` more asks it throws
 * "<what> did not start", with the process's `output()` when given.
 */
export async function waitReady(url, what, { attempts = 300, output } = {}) {
  for (let i = 0; ; i++) {
    if (
      await fetch(`${url}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      )
    )
      return;
    if (i > attempts) throw new Error(`${what} did not start${output ? `: ${output()}` : ''}`);
    await sleep(50);
  }
}

/** One call to the service's API as the admin (a JSON body when given); its JSON answer, or an error past a 2xx. */
export async function adminApi(url, method, path, body) {
  const r = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await r.json();
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}
