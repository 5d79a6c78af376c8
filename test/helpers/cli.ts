import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built CLI, as users run it (npm test builds dist/ first). */
export const BIN = fileURLToPath(new URL('../../bin/neevscan.js', import.meta.url));

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `neevscan ARGS` in `cwd`, with a clean environment so the machine's git config cannot interfere. */
export function neevscan(
  args: string[],
  options: { cwd?: string; input?: string | Buffer; env?: NodeJS.ProcessEnv; unprivileged?: boolean } = {},
): CliRun {
  // Root reads every file whatever its mode: to see what a user sees, drop to `nobody` (when we are root).
  const drop = options.unprivileged && process.getuid?.() === 0;
  const command = drop ? 'setpriv' : process.execPath;
  const prefix = drop ? ['--reuid', '65534', '--regid', '65534', '--clear-groups', process.execPath] : [];
  const result = spawnSync(command, [...prefix, BIN, ...args], {
    cwd: options.cwd,
    input: options.input,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs the CLI with --format json and parses the report. */
export function neevscanJson(args: string[], options: Parameters<typeof neevscan>[1] = {}) {
  const run = neevscan([...args, '--format', 'json'], options);
  let report: JsonReport | undefined;
  try {
    report = JSON.parse(run.stdout) as JsonReport;
  } catch {
    throw new Error(`not JSON (status ${run.status}): ${run.stdout}\n${run.stderr}`);
  }
  return { ...run, report };
}

export interface JsonFinding {
  ruleId: string;
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  commit: string | null;
  secretSha256: string;
  redacted: string;
  fingerprint: string;
}

export interface JsonReport {
  version: number;
  findings: JsonFinding[];
  stats: { files: number; bytes: number; durationMs: number; skipped: number };
  warnings: Array<{ path: string; reason: string }>;
}

/** Like neevscan(), without blocking the event loop: for a CLI that talks to a server in this same process. */
export function neevscanAsync(
  args: string[],
  options: { cwd?: string; input?: string | Buffer; env?: NodeJS.ProcessEnv } = {},
): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: { ...process.env, NO_COLOR: '1', ...options.env } });
    child.stdin.end(options.input ?? '');
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
