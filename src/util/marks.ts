/**
 * Phase marks for `npm run bench:staged`, which sets NEEVSCAN_MARKS=1 and reads
 * them at exit (bench/lib/phase-marks.cjs). Otherwise a mark is a no-op: the
 * global `performance` loads perf_hooks and eight more of Node's modules on
 * first use, a cost a pre-commit scan need not pay.
 */
const enabled = process.env.NEEVSCAN_MARKS === '1';

export function mark(name: string): void {
  if (enabled) performance.mark(`neevscan:${name}`);
}

/** A monotonic clock in milliseconds, read without `performance` (see above). */
export function clockMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
