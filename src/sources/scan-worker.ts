/**
 * A worker thread of a folder scan: takes files from the counter it shares
 * with the other threads until none are left, and reports now and then.
 * Then it waits for the main thread to end it (see worker-pool.ts on re2).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FileScanner } from './read-file.js';
import { fromPortable } from './rule-transfer.js';
import type { WorkerInit, WorkerMessage, WorkerReport } from './worker-pool.js';

/** Reports are sent at most this often: the main thread reads them between its own files. */
const REPORT_MS = 50;

const init = workerData as WorkerInit;
const scanner = new FileScanner(init.rules.map(fromPortable), init.readOptions);
parentPort!.postMessage({ ready: true } satisfies WorkerMessage);
const counter = new Int32Array(init.next);
const total = init.paths.length;

let indices: number[] = [];
let bytes: number[] = [];
let notable: WorkerReport['notable'] = [];
const report = (done: boolean) => {
  const message: WorkerReport = { done, indices: Int32Array.from(indices), bytes: Float64Array.from(bytes), notable };
  parentPort!.postMessage(message);
  indices = [];
  bytes = [];
  notable = [];
};

let reported = performance.now();
for (;;) {
  const start = Atomics.add(counter, 0, init.claim);
  if (start >= total) break;
  for (let index = start; index < Math.min(start + init.claim, total); index++) {
    const outcome = scanner.scan(init.paths[index]!);
    indices.push(index);
    bytes.push(outcome.bytes);
    if (outcome.kind === 'skipped') notable.push({ index, findings: [], skipped: outcome.reason });
    else if (outcome.findings.length > 0) notable.push({ index, findings: outcome.findings });
  }
  if (performance.now() - reported > REPORT_MS) {
    report(false);
    reported = performance.now();
  }
}
report(true);
parentPort!.on('message', () => {}); // keeps the thread alive until terminated
