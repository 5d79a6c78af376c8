#!/usr/bin/env node
/**
 * The least any Node.js folder scan can cost on this machine: start Node,
 * walk the tree with neevscan's walker, then open, read and close every file
 * on two threads (this one and a worker taking files from a shared counter),
 * scanning nothing. The folder-scan benchmark runs it next to neevscan and
 * rg to show how much of neevscan's time is Node's own.
 *
 *   node bench/lib/read-floor.mjs DIR
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

function readAll(paths, counter) {
  const buffer = Buffer.allocUnsafeSlow(1 << 20);
  let bytes = 0;
  for (;;) {
    const start = Atomics.add(counter, 0, 8);
    if (start >= paths.length) return bytes;
    for (let i = start; i < Math.min(start + 8, paths.length); i++) {
      const fd = openSync(paths[i], 'r');
      for (let read; (read = readSync(fd, buffer, 0, buffer.length, null)) > 0;) bytes += read;
      closeSync(fd);
    }
  }
}

if (isMainThread) {
  const { walk } = await import('../../dist/sources/walk.js');
  const paths = walk(process.argv[2], () => {}).map((f) => f.path);
  const next = new SharedArrayBuffer(4);
  const worker = new Worker(new URL(import.meta.url), { workerData: { paths, next } });
  const theirs = new Promise((resolve) => worker.once('message', resolve));
  const mine = readAll(paths, new Int32Array(next));
  console.log(mine + (await theirs));
} else {
  parentPort.postMessage(readAll(workerData.paths, new Int32Array(workerData.next)));
}
