/**
 * Watches the process's event loop for stalls (a long synchronous scan, a GC
 * pause, a starved CPU) and says when one nears the job-lock margin: a worker
 * whose loop stalls past `lockDuration − lockRenewTime` renews its job locks too
 * late, and another worker runs those jobs again (src/pipeline/job-locks.ts).
 *
 * prom-client's `nodejs_eventloop_lag_max_seconds` is reset at every scrape, so
 * a stall between two scrapes shows only on the next one and the worst since
 * start is lost; this watch keeps its own histogram of perf_hooks' loop delay,
 * read every second, and exports:
 *   neevscan_event_loop_stall_seconds      histogram: the worst stall of each second
 *   neevscan_event_loop_stall_max_seconds  gauge: the worst stall since the process started
 *   neevscan_job_lock_margin_seconds       gauge: the stall past which a job's lock is lost
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { gauge, histogram } from './registry.js';

/** perf_hooks samples the loop with a timer of this period; a stall shows as one late timer. */
const RESOLUTION_MS = 20;
/** How often the worst stall is read (and the sampler reset). */
const READ_EVERY_MS = 1000;
/** A new worst stall is logged (info) from this size on, and then only when it is half again as long as the last one logged. */
const REPORT_FROM_MS = 50;
/** A stall of this fraction of the lock margin or more is a warning. */
const WARN_FRACTION = 0.5;
/** Warnings come at most this often (a starved machine stalls every second); the rest are counted in the next one. */
const WARN_QUIET_MS = 30_000;

export interface StallLog {
  info(message: string): void;
  warn(message: string): void;
}

export interface EventLoopStallWatch {
  /** The worst stall seen since the watch started, in ms. */
  worstMs(): number;
  stop(): void;
}

export function watchEventLoopStalls(lockMarginMs: number, log: StallLog): EventLoopStallWatch {
  const stalls = histogram({
    name: 'neevscan_event_loop_stall_seconds',
    help: "The longest the event loop was blocked in each second (perf_hooks loop delay); past neevscan_job_lock_margin_seconds other workers run this process's jobs again",
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 4.5, 6, 10],
  });
  const worstGauge = gauge({
    name: 'neevscan_event_loop_stall_max_seconds',
    help: 'The longest the event loop was blocked since the process started',
  });
  gauge({
    name: 'neevscan_job_lock_margin_seconds',
    help: "NEEVSCAN_JOB_LOCK_MS less its renewal period: an event-loop stall longer than this lets another worker take this process's jobs",
  }).set(lockMarginMs / 1000);
  worstGauge.set(0);

  const sampler = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  sampler.enable();
  let worst = 0;
  let lastReported = 0;
  let lastWarnAt = 0;
  let unwarned = 0;
  const timer = setInterval(() => {
    // The sampler's max is the longest wait of its timer (ns); less its own period, that is how long the loop was blocked.
    const stallMs = sampler.count > 0 ? Math.max(0, sampler.max / 1e6 - RESOLUTION_MS) : 0;
    sampler.reset();
    stalls.observe(stallMs / 1000);
    if (stallMs > worst) {
      worst = stallMs;
      worstGauge.set(worst / 1000);
      if (worst >= REPORT_FROM_MS && worst >= lastReported * 1.5) {
        lastReported = worst;
        log.info(`event loop stalled ${Math.round(worst)} ms (the worst so far; jobs are taken from a worker stalled ${lockMarginMs} ms)`);
      }
    }
    if (stallMs >= lockMarginMs * WARN_FRACTION) {
      const now = Date.now();
      if (now - lastWarnAt < WARN_QUIET_MS) {
        unwarned++;
        return;
      }
      const more = unwarned ? ` (and ${unwarned} more stalls past half of it since the last warning)` : '';
      log.warn(
        `event loop stalled ${Math.round(stallMs)} ms, near the ${lockMarginMs} ms past which another worker runs this process's jobs again${more}: ` +
          'look for CPU starvation or a long synchronous task, or raise NEEVSCAN_JOB_LOCK_MS',
      );
      lastWarnAt = now;
      unwarned = 0;
    }
  }, READ_EVERY_MS);
  timer.unref();
  return {
    worstMs: () => worst,
    stop() {
      clearInterval(timer);
      sampler.disable();
    },
  };
}
