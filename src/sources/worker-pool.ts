import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { CompiledRule } from '../rules/types.js';
import { scanBatch, type FileResult } from './file-batch.js';
import type { ReadOptions } from './read-file.js';
import type { WalkedFile } from './walk.js';

export interface WorkerInit {
  ruleFiles: string[];
  readOptions: ReadOptions;
}
export interface WorkerRequest {
  id: number;
  files: WalkedFile[];
}
export interface WorkerResponse {
  id: number;
  results: FileResult[];
}

/** Below this many files, starting worker threads costs more than it saves. */
const PARALLEL_MIN_FILES = 256;
/** Files per message: enough to amortise messaging, few enough to balance load between workers. */
const BATCH_FILES = 32;

export interface ScanFilesOptions {
  rules: readonly CompiledRule[];
  /** The extra rule files, so that workers can load the same rules. */
  ruleFiles: string[];
  readOptions: ReadOptions;
  onResult: (result: FileResult) => void;
  /** Worker threads to use; default one per core. */
  threads?: number;
}

/** Scans files, on worker threads (one per core) when there are enough of them to pay off. */
export async function scanFiles(files: readonly WalkedFile[], options: ScanFilesOptions): Promise<void> {
  const threads = options.threads ?? availableParallelism();
  if (files.length < PARALLEL_MIN_FILES || threads < 2) {
    for (let i = 0; i < files.length; i += BATCH_FILES) {
      for (const result of await scanBatch(files.slice(i, i + BATCH_FILES), options.rules, options.readOptions)) options.onResult(result);
    }
    return;
  }
  const batches: WalkedFile[][] = [];
  for (let i = 0; i < files.length; i += BATCH_FILES) batches.push(files.slice(i, i + BATCH_FILES));
  const init: WorkerInit = { ruleFiles: options.ruleFiles, readOptions: options.readOptions };
  const workerUrl = new URL('./scan-worker.js', import.meta.url);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(threads, batches.length) }, () =>
      new Promise<void>((resolve, reject) => {
        const worker = new Worker(workerUrl, { workerData: init });
        const send = () => {
          if (next >= batches.length) {
            void worker.terminate().then(() => resolve());
            return;
          }
          const request: WorkerRequest = { id: next, files: batches[next]! };
          next++;
          worker.postMessage(request);
        };
        worker.on('message', (response: WorkerResponse) => {
          for (const result of response.results) options.onResult(result);
          send();
        });
        worker.on('error', reject);
        worker.on('online', send);
      }),
    ),
  );
}
