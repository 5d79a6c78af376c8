/**
 * The limiters @octokit/plugin-throttling schedules every request through, without Bottleneck's cost. The plugin
 * decides what to pace and how to react to GitHub's rate limits (which requests are writes, searches or token
 * requests; a 403/429 read as a primary or secondary limit, handed to onRateLimit/onSecondaryRateLimit, retried after
 * the wait they accept): all of that stays the plugin's. What it hands to Bottleneck is only "run this when the
 * limiter allows", and Bottleneck answers that through several promise hops and a `setTimeout(0)` each (its
 * datastore yields to the event loop before every register, check and free), three limiters a GitHub request: about
 * 0.3 ms of CPU a request. These are the same limits as plain counters and a queue.
 *
 * The plugin reads these limiters from its options (`throttle.global`, `.auth`, `.write`, `.search`,
 * `.notifications`: groups keyed by the client's id; `throttle.retryLimiter`: one per client), so the service's
 * clients pass them there (src/github/client.ts). The semantics are Bottleneck's own (2.19, as the plugin uses it):
 * a job starts once `running + weight <= maxConcurrent`, and no sooner than `minTime` after the previous start;
 * jobs wait in order of priority (0 first, 5 by default), first come first served within one; a retry (the plugin
 * gives it priority 0 and weight 0) goes first and takes no slot.
 */

/** What the plugin passes with a job: a retry's priority and weight (Bottleneck's job options). */
interface JobOptions {
  priority?: number;
  weight?: number;
}

type Task = (...args: never[]) => unknown;

interface Waiting {
  priority: number;
  weight: number;
  start: () => void;
}

/** One limiter: at most `maxConcurrent` weight running, starts at least `minTime` ms apart. */
export class Lane {
  private running = 0;
  private nextStart = 0;
  private readonly waiting: Waiting[] = [];

  constructor(
    private readonly maxConcurrent: number,
    private readonly minTime: number,
    /** The clock and the timer (tests hand in their own). */
    private readonly clock: { now: () => number; later: (start: () => void, ms: number) => void } = {
      now: () => Date.now(),
      later: (start, ms) => void setTimeout(start, ms),
    },
  ) {}

  /** Bottleneck's `schedule([options], fn, ...args)`: `fn(...args)`'s result, once the lane lets it start. */
  schedule<R>(...call: [JobOptions | Task, ...unknown[]]): Promise<R> {
    const [first, ...rest] = call;
    const options: JobOptions = typeof first === 'function' ? {} : first;
    const [fn, ...args] = (typeof first === 'function' ? call : rest) as [(...a: unknown[]) => R | Promise<R>, ...unknown[]];
    const weight = options.weight ?? 1;
    return new Promise<R>((resolve, reject) => {
      const start = () => {
        let result: Promise<R>;
        try {
          result = Promise.resolve(fn(...args));
        } catch (error) {
          result = Promise.reject(error);
        }
        result.then(resolve, reject).finally(() => {
          this.running -= weight;
          this.drain();
        });
      };
      this.enqueue({ priority: options.priority ?? 5, weight, start });
      this.drain();
    });
  }

  /** Nothing running or waiting, and the next start due: the lane can be dropped and made afresh. */
  idle(now: number): boolean {
    return this.running === 0 && this.waiting.length === 0 && now >= this.nextStart;
  }

  private enqueue(job: Waiting): void {
    // After the last job of the same or a higher priority (a lower number): first come, first served within a priority.
    let at = this.waiting.length;
    while (at > 0 && this.waiting[at - 1]!.priority > job.priority) at--;
    this.waiting.splice(at, 0, job);
  }

  /** Starts waiting jobs while the head fits (Bottleneck drains its head only: no job overtakes a heavier one). */
  private drain(): void {
    while (this.waiting.length > 0 && this.running + this.waiting[0]!.weight <= this.maxConcurrent) {
      const job = this.waiting.shift()!;
      this.running += job.weight;
      const now = this.clock.now();
      const wait = Math.max(this.nextStart - now, 0);
      this.nextStart = now + wait + this.minTime;
      if (wait === 0) job.start();
      else this.clock.later(job.start, wait);
    }
  }
}

/** Lanes by key (Bottleneck.Group's `key(id)`), the same lane for the same key while it is in use. */
export class LaneGroup {
  private readonly lanes = new Map<string, Lane>();

  constructor(
    private readonly maxConcurrent: number,
    private readonly minTime = 0,
    /** Past this many keys, idle lanes are dropped (Bottleneck.Group drops a limiter after 2 minutes unused). */
    private readonly keep = 1000,
  ) {}

  key(id = ''): Lane {
    let lane = this.lanes.get(id);
    if (!lane) {
      if (this.lanes.size >= this.keep) this.dropIdle();
      lane = new Lane(this.maxConcurrent, this.minTime);
      this.lanes.set(id, lane);
    }
    return lane;
  }

  private dropIdle(): void {
    const now = Date.now();
    for (const [id, lane] of this.lanes) if (lane.idle(now)) this.lanes.delete(id);
  }
}

type FailedListener = (error: unknown, info: { args: unknown[]; retryCount: number }) => unknown;

/**
 * The plugin's retry limiter (a Bottleneck with no limits): runs a job, and when it fails asks the `failed` listener;
 * a number back means "run it again after that many ms" (the plugin's answer to a rate limit it waits out).
 */
export class RetryRunner {
  private failed: FailedListener | null = null;

  on(event: string, listener: FailedListener): void {
    if (event === 'failed') this.failed = listener;
  }

  async schedule<R>(fn: (...args: unknown[]) => Promise<R>, ...args: unknown[]): Promise<R> {
    for (let retryCount = 0; ; retryCount++) {
      try {
        return await fn(...args);
      } catch (error) {
        // A listener that throws is no retry (Bottleneck reports it as an `error` event and fails the job).
        const listener = this.failed;
        const after = listener ? await (async () => listener(error, { args, retryCount }))().catch(() => null) : null;
        if (after === null || after === undefined) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.trunc(Number(after)) || 0));
      }
    }
  }
}

/**
 * The plugin's groups, with its limits (plugin-throttling 11: global 10 at once, token requests one at a time,
 * searches 2 s apart, writes 1 s apart, notification-triggering writes 3 s apart), shared by every client of the
 * process as the plugin's own are: two clients of one installation pace their writes together.
 */
const LANES = {
  global: new LaneGroup(10),
  auth: new LaneGroup(1),
  search: new LaneGroup(1, 2000),
  write: new LaneGroup(1, 1000),
  notifications: new LaneGroup(1, 3000),
};

/** What goes into a client's `throttle` options: the shared groups and a retry runner of its own. */
export function pacingLimiters(): typeof LANES & { retryLimiter: RetryRunner } {
  return { ...LANES, retryLimiter: new RetryRunner() };
}
