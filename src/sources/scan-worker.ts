/** A worker thread of a folder scan: loads the rules once, then scans the batches of files it is sent. */
import { parentPort, workerData } from 'node:worker_threads';
import { loadRules } from '../rules/load.js';
import { scanBatch } from './file-batch.js';
import type { WorkerInit, WorkerRequest, WorkerResponse } from './worker-pool.js';

const init = workerData as WorkerInit;
const rules = loadRules(init.ruleFiles);

parentPort!.on('message', (request: WorkerRequest) => {
  void scanBatch(request.files, rules, init.readOptions).then((results) => {
    const response: WorkerResponse = { id: request.id, results };
    parentPort!.postMessage(response);
  });
});
