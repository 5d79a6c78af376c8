/** Small timing helpers shared by the benchmarks. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The nearest-rank percentile (p in 0..100). */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * Runs a command `runs` times after `warmup` untimed runs and returns the wall
 * times in ms plus the last run's output. Wall time is what a user waits for,
 * so it includes process start-up. `okStatus` lists the exit codes that count
 * as success (neevscan exits 1 when it finds something). A run that takes
 * longer than `timeoutMs` is killed and fails the benchmark rather than hang it.
 */
export function timeCommand(
  command,
  args,
  { runs = 5, warmup = 1, cwd, okStatus = [0], maxBuffer = 256 * 1024 * 1024, timeoutMs = 120_000 } = {},
) {
  const times = [];
  let last;
  for (let i = 0; i < warmup + runs; i++) {
    const started = process.hrtime.bigint();
    last = spawnSync(command, args, { cwd, maxBuffer, encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL' });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (last.error) throw new Error(`${command} ${args.join(' ')}: ${last.error.message}`);
    if (!okStatus.includes(last.status)) {
      throw new Error(`${command} ${args.join(' ')} exited ${last.status}: ${last.stderr.trim().split('\n')[0]}`);
    }
    if (i >= warmup) times.push(ms);
  }
  return { times, stdout: last.stdout, stderr: last.stderr, status: last.status };
}

/**
 * Times several commands in turns (a, b, a, b, …) rather than one after the
 * other, so that a change in the machine's load (it is shared) weighs on
 * all of them alike. `commands` maps a name to [command, args, options].
 */
export function timeInterleaved(commands, { runs = 5, warmup = 1 } = {}) {
  const out = Object.fromEntries(Object.keys(commands).map((name) => [name, { times: [] }]));
  for (let i = 0; i < warmup + runs; i++) {
    for (const [name, [command, args, options]] of Object.entries(commands)) {
      const one = timeCommand(command, args, { ...options, runs: 1, warmup: 0 });
      if (i >= warmup) out[name].times.push(one.times[0]);
      Object.assign(out[name], { stdout: one.stdout, stderr: one.stderr, status: one.status });
    }
  }
  return out;
}

export function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).status === 0;
}

/** One line describing how busy the machine was, for the figures' footnotes. */
export function machineLine() {
  const [one, five] = loadavg();
  return `node ${process.version}, ${cpus().length} cpu (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM (${(freemem() / 2 ** 30).toFixed(0)} free), load ${one.toFixed(2)} / ${five.toFixed(2)}`;
}

export function fmtMs(ms) {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

/** Reads a JSON file, or undefined when it is missing or unreadable. */
export function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}
