/**
 * Preloaded into the CLI by `bench/staged.mjs` (`node --require`, so that it
 * does not start Node's ES module loader, which the CLI's `scan --staged` path
 * avoids), with NEEVSCAN_MARKS=1 so that the CLI records its `neevscan:*`
 * performance marks (src/util/marks.ts). When the process exits, appends one
 * JSON line of those marks, Node's own start-up milestones and the exit time
 * (ms since the process started) to the file named by BENCH_MARKS_FILE.
 */
'use strict';
const { appendFileSync } = require('node:fs');

const file = process.env.BENCH_MARKS_FILE;
if (file) {
  process.on('exit', () => {
    const marks = Object.fromEntries(
      performance
        .getEntriesByType('mark')
        .filter((m) => m.name.startsWith('neevscan:'))
        .map((m) => [m.name.slice(9), m.startTime]),
    );
    const { bootstrapComplete } = performance.nodeTiming;
    appendFileSync(file, JSON.stringify({ bootstrapComplete, ...marks, exit: performance.now() }) + '\n');
  });
}
