/** The limiters plugin-throttling runs GitHub requests through (src/github/pacing.ts): Bottleneck's limits, kept. */
import { describe, expect, it } from 'vitest';
import { Lane, LaneGroup, RetryRunner } from '../../src/github/pacing.js';

/** A job the test finishes when it wants, recording when it started. */
function gate(started: string[], name: string) {
  let open!: () => void;
  const done = new Promise<void>((resolve) => (open = resolve));
  return {
    run: () => {
      started.push(name);
      return done.then(() => name);
    },
    open: () => open(),
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('Lane', () => {
  it('runs at most maxConcurrent at once, the rest in order as slots free up', async () => {
    const lane = new Lane(2, 0);
    const started: string[] = [];
    const jobs = ['a', 'b', 'c', 'd'].map((name) => gate(started, name));
    const results = jobs.map((job) => lane.schedule<string>(job.run));
    await settle();
    expect(started).toEqual(['a', 'b']);
    jobs[1]!.open();
    await settle();
    expect(started).toEqual(['a', 'b', 'c']);
    jobs[0]!.open();
    jobs[2]!.open();
    jobs[3]!.open();
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('starts jobs no sooner than minTime after the previous start', async () => {
    let now = 1000;
    const timers: Array<{ at: number; start: () => void }> = [];
    const lane = new Lane(1, 40, { now: () => now, later: (start, ms) => void timers.push({ at: now + ms, start }) });
    const started: number[] = [];
    const results = [1, 2, 3].map(() => lane.schedule(async () => void started.push(now)));
    await settle();
    // The first ended at once; the second is let go then, to start at 1040: 40 after the first start.
    expect(started).toEqual([1000]);
    expect(timers.map((t) => t.at)).toEqual([1040]);
    now = 1040;
    timers.shift()!.start();
    await settle();
    // The third: the second started at 1040, so 1080; and later still when the lane is late to let it go.
    expect(timers.map((t) => t.at)).toEqual([1080]);
    now = 1100;
    timers.shift()!.start();
    await Promise.all(results);
    expect(started).toEqual([1000, 1040, 1100]);
  });

  it('lets a retry (priority 0, weight 0) go first and take no slot, and passes arguments and failures through', async () => {
    const lane = new Lane(1, 0);
    const started: string[] = [];
    const first = gate(started, 'first');
    const queued = gate(started, 'queued');
    const running = lane.schedule<string>(first.run);
    const waiting = lane.schedule<string>({}, queued.run);
    const retry = lane.schedule<string>({ priority: 0, weight: 0 }, (a: string, b: string) => `${a}${b}`, 're', 'try');
    expect(await retry).toBe('retry');
    expect(started).toEqual(['first']);
    await expect(lane.schedule({ priority: 0, weight: 0 }, () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    first.open();
    queued.open();
    expect(await Promise.all([running, waiting])).toEqual(['first', 'queued']);
  });

  it('puts a higher priority ahead of jobs already waiting, first come first served within one', async () => {
    const lane = new Lane(1, 0);
    const started: string[] = [];
    const jobs = ['running', 'p5a', 'p5b', 'p1'].map((name) => gate(started, name));
    const results = [
      lane.schedule(jobs[0]!.run),
      lane.schedule({ priority: 5 }, jobs[1]!.run),
      lane.schedule({ priority: 5 }, jobs[2]!.run),
      lane.schedule({ priority: 1 }, jobs[3]!.run),
    ];
    for (const job of jobs) job.open();
    await Promise.all(results);
    expect(started).toEqual(['running', 'p1', 'p5a', 'p5b']);
  });
});

describe('LaneGroup', () => {
  it('gives the same lane for the same key, and drops idle lanes past its size', () => {
    const group = new LaneGroup(1, 0, 2);
    const a = group.key('a');
    expect(group.key('a')).toBe(a);
    group.key('b');
    group.key('c');
    expect(group.key('a')).not.toBe(a);
  });
});

describe('RetryRunner', () => {
  it('runs a failed job again after the wait its failed listener gives, and fails it when the listener gives none or throws', async () => {
    const runner = new RetryRunner();
    const seen: number[] = [];
    runner.on('failed', (error, info) => {
      seen.push(info.retryCount);
      return (error as Error).message === 'again' && info.retryCount < 2 ? 1 : undefined;
    });
    let tries = 0;
    expect(await runner.schedule(async (x) => (++tries < 3 ? Promise.reject(new Error('again')) : `ok ${String(x)}`), 7)).toBe('ok 7');
    expect(seen).toEqual([0, 1]);
    await expect(runner.schedule(() => Promise.reject(new Error('other')))).rejects.toThrow('other');

    const throwing = new RetryRunner();
    throwing.on('failed', () => {
      throw new Error('listener broke');
    });
    await expect(throwing.schedule(() => Promise.reject(new Error('original')))).rejects.toThrow('original');
  });
});
