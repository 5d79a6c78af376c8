import type * as ChildProcess from 'node:child_process';
import { createRequire } from 'node:module';
import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import { constants } from 'node:os';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { nativePrefilter, type Addon } from '../native-prefilter.js';

let childProcessModule: typeof ChildProcess | undefined;

/**
 * `node:child_process`, loaded on first use: where the addon starts git (posix_spawn), a scan never needs it,
 * and loading it (with `dgram`, which it requires) took ~1.3 ms of a pre-commit scan's start-up.
 */
export const childProcess = (): typeof ChildProcess =>
  (childProcessModule ??= createRequire(import.meta.url)('node:child_process') as typeof ChildProcess);

/**
 * What the git callers use of a child process: its pipes, `kill()`, an
 * 'error' event when git cannot be started (the error's `code` says why,
 * ENOENT: not installed), and 'close' (exit code, or null and the signal)
 * once it has exited and its output has ended.
 */
export interface GitChild extends EventEmitter {
  stdin: Writable | null;
  stdout: Readable;
  stderr: Readable;
  kill(): void;
}

/**
 * Starts `git ARGS` in `cwd`, stdout and stderr piped, stdin piped or
 * /dev/null. With the native addon (native/spawn.c) the process is started
 * with posix_spawn, not fork: libuv forks all of Node and waits for the exec,
 * 5-15 ms a process, twice before a pre-commit scan can start. Without the
 * addon (not built, NEEVSCAN_NATIVE=0, a C library without it), Node's spawn.
 */
export function spawnGit(args: readonly string[], cwd: string, stdin: 'pipe' | 'ignore'): GitChild {
  const addon = nativePrefilter();
  if (addon?.spawnPiped && addon.waitExit) return new SpawnedGit(addon as Required<Addon>, args, cwd, stdin === 'pipe');
  return childProcess().spawn('git', args, { cwd, stdio: [stdin, 'pipe', 'pipe'] }) as GitChild;
}

/**
 * As spawnGit (stdin piped), with git's stdout left to the caller as a file descriptor, for the addon's readers,
 * which read it on a thread of their own (the child's `stdout` stream is then an ended one); undefined without
 * the addon's posix_spawn. When git cannot be started, `stdout` is -1 and the child says why as spawnGit's does.
 */
export function spawnGitToFd(args: readonly string[], cwd: string): { child: GitChild; stdout: number } | undefined {
  const addon = nativePrefilter();
  if (!addon?.spawnPiped || !addon.waitExit) return undefined;
  const child = new SpawnedGit(addon as Required<Addon>, args, cwd, true, true);
  return { child, stdout: child.stdoutFd };
}

const SIGNAL_NAMES = new Map<number, string>(Object.entries(constants.signals).map(([name, number]) => [number, name]));

class SpawnedGit extends EventEmitter implements GitChild {
  stdin: Writable | null;
  stdout: Readable;
  stderr: Readable;
  /** git's stdout as a descriptor, when the caller reads it itself (rawStdout); else -1. */
  stdoutFd = -1;
  private pid = 0;
  private exited = false;

  constructor(addon: Required<Addon>, args: readonly string[], cwd: string, pipeStdin: boolean, rawStdout = false) {
    super();
    let started: { pid: number; stdin: number; stdout: number; stderr: number };
    try {
      started = addon.spawnPiped('git', ['git', ...args], cwd, pipeStdin);
    } catch (error) {
      // As Node's spawn does: ended streams, then 'error' and 'close' on the next tick, never a throw.
      this.stdout = ended();
      this.stderr = ended();
      this.stdin = pipeStdin ? new PassThrough() : null;
      this.exited = true;
      process.nextTick(() => {
        this.emit('error', error);
        this.emit('close', null, null);
      });
      return;
    }
    this.pid = started.pid;
    if (rawStdout) this.stdoutFd = started.stdout;
    this.stdout = rawStdout ? ended() : new Socket({ fd: started.stdout, readable: true, writable: false });
    this.stderr = new Socket({ fd: started.stderr, readable: true, writable: false });
    this.stdin = pipeStdin ? new Socket({ fd: started.stdin, readable: false, writable: true }) : null;
    // 'close' once git has exited and both its outputs have ended, as child_process says it.
    let waiting = rawStdout ? 2 : 3;
    let status: [number | null, string | null] = [null, null];
    const settle = () => {
      if (--waiting === 0) this.emit('close', ...status);
    };
    if (!rawStdout) this.stdout.once('close', settle);
    this.stderr.once('close', settle);
    addon.waitExit(this.pid, (code, signal) => {
      this.exited = true;
      status = signal ? [null, SIGNAL_NAMES.get(signal) ?? String(signal)] : [code < 0 ? null : code, null];
      settle();
    });
  }

  kill(): void {
    if (this.exited) return; // reaped: the pid may be another process's by now
    try {
      process.kill(this.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}

function ended(): Readable {
  const stream = new PassThrough();
  stream.end();
  return stream;
}
