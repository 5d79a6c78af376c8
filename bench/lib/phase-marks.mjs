/**
 * Preloaded into the CLI by `bench/staged.mjs` (`node --import`): when the
 * process exits, appends one JSON line of its `neevscan:*` performance marks,
 * Node's own start-up milestones and the exit time (ms since the process
 * started) to the file named by BENCH_MARKS_FILE. Reading marks costs the CLI
 * nothing when this is not loaded.
 */
import { appendFileSync } from 'node:fs';

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
