import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { CompiledRule } from '../rules/types.js';
import type { Located } from '../scanner/finding.js';
import { toFileResult, type FileResult } from './file-batch.js';
import { FileScanner, type ReadOptions } from './read-file.js';
import { toPortable, type PortableRule } from './rule-transfer.js';
import type { WalkedFile } from './walk.js';

export interface WorkerInit {
  paths: string[];
  rules: PortableRule[];
  readOptions: ReadOptions;
  /** One Int32 shared by all threads: the index of the next file nobody has taken. */
  next: SharedArrayBuffer;
  claim: number;
}

/** What a worker sends: `ready` once its rules are compiled, then now and then the files it scanned. */
export type WorkerMessage = { ready: true } | WorkerReport;

/** Bytes per file scanned, and the rare file with findings or a problem; `done` on the last report. */
export interface WorkerReport {
  ready?: undefined;
  done: boolean;
  indices: Int32Array;
  bytes: Float64Array;
  notable: Array<{ index: number; findings: Located[]; skipped?: string }>;
}

/** Below this many files, and this many bytes, starting a worker thread costs more than it saves. */
const PARALLEL_MIN_FILES = 256;
const PARALLEL_MIN_BYTES = 64 * 1024 * 1024;
/** Files a thread takes at a time: few, so that threads finish together; taking them is one atomic add. */
export const CLAIM = 8;
/** How long the main thread scans before it lets worker reports in. */
const YIELD_MS = 20;

export interface ScanFilesOptions {
  rules: readonly CompiledRule[];
  readOptions: ReadOptions;
  onResult: (result: FileResult) => void;
  /**
   * A file the native pre-filter found no keyword in (clean), in its turn among the results: its size only. Without
   * it such a file comes through onResult like any other. A large tree is nearly all such files.
   */
  onClean?: (bytes: number) => void;
  /** Threads to use, the main thread included; default one per core. */
  threads?: number;
}

/** Set once a scan has used worker threads: see scanWithEngine on re2. */
let workersUsed = false;

interface Started {
  worker: Worker;
  /** Settles once the worker's last report is in. */
  finished: Promise<void>;
}

/**
 * Scans files with the JavaScript engine on this thread and, when there is
 * enough work, on worker threads too (one per core in all). Threads take
 * files from a shared counter, so a thread that meets a large file simply
 * takes fewer; the main thread scans as well rather than only hand out work.
 * Results are reported in the order of `files` whichever thread scanned them.
 *
 * Workers start one after another and all stop together at the end, and a
 * process runs workers for one scan only (later scans use this thread):
 * re2 1.23 keeps the handles of the last thread that loaded it in
 * process-wide statics, so two threads loading it at once, or one loading it
 * after another has exited, crash the process (SIGSEGV in
 * WrappedRE2Set::Init). The CLI scans once per process.
 */
export async function scanWithEngine(files: readonly WalkedFile[], options: ScanFilesOptions): Promise<void> {
  const threads = Math.min(options.threads ?? availableParallelism(), files.length);
  const rules = options.rules.map(toPortable);
  const portable = rules.every((r) => r !== undefined);
  const scanner = new FileScanner(options.rules, options.readOptions);
  if (threads < 2 || !portable || workersUsed || !worthThreads(files)) {
    for (const file of files) options.onResult(toFileResult(file, scanner.scan(file.path)));
    return;
  }
  workersUsed = true;

  const next = new SharedArrayBuffer(4);
  const counter = new Int32Array(next);
  const results: Array<FileResult | undefined> = new Array(files.length);
  let emitted = 0;
  const flush = () => {
    for (; emitted < files.length && results[emitted] !== undefined; emitted++) {
      options.onResult(results[emitted]!);
      results[emitted] = undefined;
    }
  };
  const onReport = (report: WorkerReport) => {
    for (let i = 0; i < report.indices.length; i++) {
      const index = report.indices[i]!;
      results[index] = { relative: files[index]!.relative, path: files[index]!.path, bytes: report.bytes[i]!, findings: [] };
    }
    for (const { index, findings, skipped } of report.notable) {
      results[index] = toFileResult(
        files[index]!,
        skipped === undefined
          ? { kind: 'scanned', findings, bytes: results[index]!.bytes }
          : { kind: 'skipped', reason: skipped, bytes: 0 },
      );
    }
  };

  let failure: Error | undefined;
  const init: WorkerInit = {
    paths: files.map((f) => f.path),
    rules: rules as PortableRule[],
    readOptions: options.readOptions,
    next,
    claim: CLAIM,
  };
  const workers: Started[] = [];
  // The next worker starts when the one before is ready, and only while files are left to take.
  const startNext = () => {
    if (workers.length >= threads - 1 || failure || Atomics.load(counter, 0) >= files.length) return;
    const started = startWorker(init, onReport, startNext);
    started.finished.catch((error: Error) => void (failure ??= error));
    workers.push(started);
  };
  startNext();

  try {
    let yielded = performance.now();
    for (;;) {
      const start = Atomics.add(counter, 0, CLAIM);
      if (start >= files.length || failure) break;
      for (let i = start; i < Math.min(start + CLAIM, files.length); i++) {
        results[i] = toFileResult(files[i]!, scanner.scan(files[i]!.path));
      }
      if (performance.now() - yielded > YIELD_MS) {
        flush();
        await nextTurn(); // lets the workers' reports in
        yielded = performance.now();
      }
    }
    // No worker starts once the counter has run out, so this is every worker there will be.
    await Promise.allSettled(workers.map((w) => w.finished));
  } catch (error) {
    failure ??= error as Error;
  } finally {
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }
  if (failure) throw failure;
  flush();
}

/** Enough files, or enough bytes, to pay for starting a thread (several dozen milliseconds). */
function worthThreads(files: readonly WalkedFile[]): boolean {
  if (files.length >= PARALLEL_MIN_FILES) return true;
  let bytes = 0;
  for (const file of files) {
    try {
      bytes += statSync(file.path).size;
    } catch {
      // the scan will report it
    }
  }
  return bytes >= PARALLEL_MIN_BYTES;
}

/** Starts a worker; it scans until no files are left, then waits to be terminated. */
function startWorker(init: WorkerInit, onReport: (report: WorkerReport) => void, onReady: () => void): Started {
  const worker = new Worker(new URL('./scan-worker.js', import.meta.url), { workerData: init });
  const finished = new Promise<void>((resolve, reject) => {
    worker.on('message', (message: WorkerMessage) => {
      if (message.ready) return onReady();
      onReport(message);
      if (message.done) resolve();
    });
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`scan worker stopped (exit status ${code}) before it finished`)));
  });
  return { worker, finished };
}
