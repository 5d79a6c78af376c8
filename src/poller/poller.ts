/**
 * The public events poller: reads the feed at the pace GitHub asks for
 * (X-Poll-Interval, unless overridden), takes each event once, and turns it
 * into queued work. It fetches nothing but the feed: pushes and repositories
 * made public are jobs for the workers; text is scanned here and only the
 * keys found are queued.
 */
import type { TokenPool } from '../github/token-pool.js';
import type { ExposureJob } from '../pipeline/queues.js';
import type { PublicPushJob, PublicScanJob } from '../pipeline/public-events-queues.js';
import type { CompiledRule } from '../rules/types.js';
import type { FeedCursor } from './feed-cursor.js';
import { readFeed, type FeedEvent } from './feed-reader.js';
import { estimateLost } from './loss.js';
import {
  declarePublicEventsMetrics,
  eventTypeLabel,
  lostEvents,
  observeLag,
  polls,
  queuedWork,
  seenEvents,
} from '../metrics/public-events-metrics.js';
import { routeEvent } from './route-event.js';

/** Where the poller's work goes (BullMQ queues in `neevscan poll`). */
export interface PollerSink {
  pushes(jobs: PublicPushJob[]): Promise<void>;
  scans(jobs: PublicScanJob[]): Promise<void>;
  exposures(jobs: ExposureJob[]): Promise<void>;
}

export interface PollerOptions {
  apiUrl: string;
  pool: TokenPool;
  cursor: FeedCursor;
  sink: PollerSink;
  rules: readonly CompiledRule[];
  log: (message: string) => void;
  /** Seconds between polls, instead of GitHub's X-Poll-Interval (tests, benchmarks, a GHES you run). */
  intervalSeconds?: number;
  /** @defaultValue 100 */
  perPage?: number;
  /** @defaultValue 3 */
  maxPages?: number;
}

export interface PollOutcome {
  result: 'events' | 'not_modified' | 'rate_limited' | 'error';
  /** Ids of the events this poll took, oldest first. */
  processed: string[];
  /** Events estimated lost to the feed's window since the last read. */
  lost: number;
  /** Seconds until the next poll should start. */
  waitSeconds: number;
  message?: string;
}

/** What GitHub sends in X-Poll-Interval, until it says otherwise. */
const DEFAULT_POLL_INTERVAL = 60;
/** A summary log line this often, so an operator sees the poller working without a line per poll. */
const SUMMARY_EVERY_MS = 60_000;

export class Poller {
  /** X-Poll-Interval as last sent. */
  private pollInterval = DEFAULT_POLL_INTERVAL;
  private spentLogged = false;
  private warnedFast = false;
  private summary = { at: Date.now(), seen: 0, queued: 0, lost: 0, reads: 0, notModified: 0, errors: 0, rateLimited: 0 };
  /** When the last read of the feed answered (200 or 304), for /healthz. */
  lastReadAt: Date | null = null;

  constructor(private readonly options: PollerOptions) {
    declarePublicEventsMetrics();
  }

  private interval(): number {
    const override = this.options.intervalSeconds;
    if (override === undefined) return this.pollInterval;
    if (override < this.pollInterval && !this.warnedFast) {
      this.warnedFast = true;
      this.options.log(
        `neevscan poll: polling every ${override} s, faster than GitHub's X-Poll-Interval of ${this.pollInterval} s (--interval / POLL_INTERVAL)`,
      );
    }
    return override;
  }

  /** One read of the feed and the work it brings. Never throws: a failure is an outcome, retried next poll. */
  async pollOnce(): Promise<PollOutcome> {
    const { cursor } = this.options;
    const read = await readFeed({
      apiUrl: this.options.apiUrl,
      pool: this.options.pool,
      etag: cursor.etag,
      cursor: cursor.cursor,
      perPage: this.options.perPage,
      maxPages: this.options.maxPages,
    });
    if (read.status === 'not-modified' || read.status === 'events') {
      this.lastReadAt = new Date();
      if (read.pollInterval !== null) this.pollInterval = read.pollInterval;
    }
    if (read.status === 'not-modified') {
      polls().inc({ result: 'not_modified' });
      this.summary.notModified++;
      return this.outcome('not_modified', [], 0);
    }
    if (read.status === 'rate-limited') {
      polls().inc({ result: 'rate_limited' });
      this.summary.rateLimited++;
      const wait = read.resetAt === null ? this.interval() : Math.max(this.interval(), (read.resetAt - Date.now()) / 1000 + 1);
      if (!this.spentLogged) {
        this.spentLogged = true;
        this.options.log(
          read.resetAt === null
            ? 'neevscan poll: every GitHub token was refused; check GITHUB_TOKEN / GITHUB_TOKENS'
            : `neevscan poll: every GitHub token's rate limit is spent until ${new Date(read.resetAt).toISOString()}; polls are skipped until then (events missed meanwhile are counted as lost)`,
        );
      }
      return { ...this.outcome('rate_limited', [], 0), waitSeconds: wait };
    }
    this.spentLogged = false;
    if (read.status === 'error') return this.failed(read.message);

    if (read.partial)
      this.options.log(`neevscan poll: a deeper page of /events failed after page ${read.pages}; the events below it are read next poll`);
    const fresh = read.events.filter((e) => cursor.isNew(e.id)).reverse();
    const lost =
      read.windowEnd && !read.reachedCursor
        ? estimateLost(
            cursor.cursor,
            read.events.map((e) => BigInt(e.id)),
          )
        : 0;
    try {
      const queued = await this.enqueue(fresh);
      const newest = read.events.length ? BigInt(read.events[0]!.id) : null;
      const next = cursor.cursor !== null && (newest === null || newest < cursor.cursor) ? cursor.cursor : newest;
      // A read that stopped on a failed page is not complete: the cursor stays, and the next poll reads page 1 afresh.
      await cursor.commit(
        fresh.map((e) => e.id),
        read.partial ? { etag: null } : { cursor: next, etag: read.etag },
      );
      for (const e of fresh) seenEvents().inc({ type: eventTypeLabel(e.type) });
      for (const [work, count] of Object.entries(queued)) if (count) queuedWork().inc({ work }, count);
      if (lost) {
        lostEvents().inc(lost);
        this.options.log(`neevscan poll: about ${lost} events went by unread (more than the feed's 300 arrived between two reads)`);
      }
      Object.assign(this.summary, {
        seen: this.summary.seen + fresh.length,
        queued: this.summary.queued + queued.push + queued.scan + queued.exposure,
        lost: this.summary.lost + lost,
      });
      this.summary.reads++;
      polls().inc({ result: 'events' });
      return this.outcome(
        'events',
        fresh.map((e) => e.id),
        lost,
      );
    } catch (error) {
      return this.failed(`queueing the events' work failed (${(error as Error).message}); they are read again next poll`);
    }
  }

  /** Routes each event and queues its work; text is scanned here, so its lag ends here. */
  private async enqueue(events: FeedEvent[]): Promise<{ push: number; scan: number; exposure: number }> {
    const receivedAt = new Date();
    const pushes: PublicPushJob[] = [];
    const scans: PublicScanJob[] = [];
    const exposures: ExposureJob[] = [];
    const texts: FeedEvent[] = [];
    for (const event of events) {
      const work = routeEvent(event, this.options.rules, receivedAt);
      if (work.kind === 'push') pushes.push(work.job);
      else if (work.kind === 'scan') scans.push(work.job);
      else if (work.kind === 'text') {
        texts.push(event);
        exposures.push(...work.exposures.map((exposure) => ({ deliveryId: `event-${event.id}`, exposure })));
      }
    }
    if (pushes.length) await this.options.sink.pushes(pushes);
    if (scans.length) await this.options.sink.scans(scans);
    if (exposures.length) await this.options.sink.exposures(exposures);
    const now = Date.now();
    for (const event of texts) observeLag('text', event.created_at, now);
    return { push: pushes.length, scan: scans.length, exposure: exposures.length };
  }

  private failed(message: string): PollOutcome {
    polls().inc({ result: 'error' });
    this.summary.errors++;
    this.options.log(`neevscan poll: ${message}; retrying next poll`);
    return { ...this.outcome('error', [], 0), message };
  }

  private outcome(result: PollOutcome['result'], processed: string[], lost: number): PollOutcome {
    return { result, processed, lost, waitSeconds: this.interval() };
  }

  /**
   * Polls until `signal` aborts: each poll starts one interval after the last one started. The
   * cursor is persisted by each poll, so stopping between polls (SIGTERM) loses nothing.
   * `ready` says whether Redis can take work: while it cannot, the feed is not read (a read whose
   * work cannot be queued would spend rate limit for nothing).
   */
  async run(signal: AbortSignal, ready: () => boolean = () => true): Promise<void> {
    while (!signal.aborted) {
      if (!ready()) {
        await sleep(500, signal);
        continue;
      }
      const started = Date.now();
      const outcome = await this.pollOnce();
      this.logSummary();
      await sleep(started + outcome.waitSeconds * 1000 - Date.now(), signal);
    }
  }

  private logSummary(): void {
    const s = this.summary;
    if (Date.now() - s.at < SUMMARY_EVERY_MS) return;
    this.options.log(
      `neevscan poll: last ${Math.round((Date.now() - s.at) / 1000)} s: ${s.seen} events taken, ${s.queued} jobs and exposures queued, ~${s.lost} lost; reads ${s.reads} new, ${s.notModified} not modified, ${s.rateLimited} rate-limited, ${s.errors} failed; cursor ${this.options.cursor.cursor ?? 'none'}`,
    );
    this.summary = { at: Date.now(), seen: 0, queued: 0, lost: 0, reads: 0, notModified: 0, errors: 0, rateLimited: 0 };
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
