import { describe, expect, it } from 'vitest';
import { watchEventLoopStalls } from '../../src/metrics/event-loop-stall.js';
import { registry } from '../../src/metrics/registry.js';

/** Blocks the event loop, as a long synchronous scan or a starved CPU would. */
function block(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until);
}

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function metric(name: string): Promise<number> {
  const text = await registry.metrics();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
}

describe('the event-loop stall watch', () => {
  it('exports the worst stall and the lock margin, logs a new worst, and warns past half of the margin', async () => {
    const info: string[] = [];
    const warn: string[] = [];
    // A margin of 800 ms: a 300 ms stall is reported, a 500 ms one is past half of it.
    const watch = watchEventLoopStalls(800, { info: (m) => info.push(m), warn: (m) => warn.push(m) });
    try {
      expect(await metric('neevscan_job_lock_margin_seconds')).toBe(0.8);
      await tick(100);
      block(300);
      await tick(1200);
      expect(watch.worstMs()).toBeGreaterThanOrEqual(250);
      expect(await metric('neevscan_event_loop_stall_max_seconds')).toBeCloseTo(watch.worstMs() / 1000, 3);
      expect(info.some((m) => /^event loop stalled \d+ ms \(the worst so far/.test(m))).toBe(true);

      block(500);
      await tick(1200);
      expect(watch.worstMs()).toBeGreaterThanOrEqual(450);
      // One warning however many stalls (at most one every 30 s).
      expect(warn).toHaveLength(1);
      expect(warn[0]).toMatch(/^event loop stalled \d+ ms, near the 800 ms past which another worker runs this process's jobs again/);
      // The histogram counts one observation a second, the stalls in their buckets.
      const text = await registry.metrics();
      expect(Number(/^neevscan_event_loop_stall_seconds_bucket\{le="0.25"\} (\d+)$/m.exec(text)?.[1])).toBeLessThan(
        Number(/^neevscan_event_loop_stall_seconds_count (\d+)$/m.exec(text)?.[1]),
      );
    } finally {
      watch.stop();
    }
  }, 10_000);
});
