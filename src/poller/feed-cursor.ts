/**
 * Where the poller is in the feed, kept in Redis so that a restart neither
 * rescans nor skips: the cursor (the newest event id of the last complete
 * read: paging stops there), the ids of the events processed recently (so an
 * event GitHub publishes late, with an id below the cursor, is still taken
 * once, and one seen twice is taken once), and the first page's ETag.
 */
import type { RedisClient } from '../stores/redis.js';

/** Ids remembered: a few polls' worth at GitHub's rate (300 a read). Older ids than the oldest kept are taken as done. */
const DEFAULT_CAPACITY = 10_000;

export interface CursorState {
  cursor: bigint | null;
  etag: string | null;
}

const byId = (a: string, b: string) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0);

export class FeedCursor implements CursorState {
  cursor: bigint | null = null;
  etag: string | null = null;
  private readonly seen = new Set<string>();
  /** Ids at or below this were dropped from the seen-set: too old to tell, taken as done. */
  private floor: bigint | null = null;
  private readonly keys: { cursor: string; etag: string; seen: string };

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly capacity = DEFAULT_CAPACITY,
  ) {
    // One hash tag: the three keys change in one MULTI, also on a Redis Cluster.
    this.keys = { cursor: `${prefix}{poller}:cursor`, etag: `${prefix}{poller}:etag`, seen: `${prefix}{poller}:seen` };
  }

  /** Reads the persisted state (Redis must be reachable). */
  async load(): Promise<void> {
    const [cursor, etag, ids] = await Promise.all([
      this.redis.get(this.keys.cursor),
      this.redis.get(this.keys.etag),
      this.redis.zrange(this.keys.seen, 0, -1),
    ]);
    this.cursor = cursor ? BigInt(cursor) : null;
    this.etag = etag;
    this.seen.clear();
    for (const id of ids) this.seen.add(id);
    this.floor = ids.length >= this.capacity ? BigInt(ids[0]!) : null;
  }

  /** An event not processed before (nor too old to tell). */
  isNew(id: string): boolean {
    if (this.seen.has(id)) return false;
    return this.floor === null || BigInt(id) > this.floor;
  }

  /**
   * Records processed ids, and the new cursor and ETag when the read was complete, in one
   * transaction. Call after the work is queued: a crash in between redoes the work, whose
   * job ids make it a no-op, rather than losing it.
   */
  async commit(ids: readonly string[], next: Partial<CursorState>): Promise<void> {
    const multi = this.redis.multi();
    if (ids.length) {
      multi.zadd(this.keys.seen, ...ids.flatMap((id) => [Number(id), id]));
      multi.zremrangebyrank(this.keys.seen, 0, -(this.capacity + 1));
    }
    if (next.cursor !== undefined && next.cursor !== null) multi.set(this.keys.cursor, next.cursor.toString());
    if (next.etag !== undefined) {
      if (next.etag === null) multi.del(this.keys.etag);
      else multi.set(this.keys.etag, next.etag);
    }
    const results = await multi.exec();
    const failed = results?.find(([error]) => error);
    if (!results || failed) throw failed?.[0] ?? new Error('Redis refused the poller state transaction');

    for (const id of ids) this.seen.add(id);
    if (this.seen.size > this.capacity) {
      const sorted = [...this.seen].sort(byId);
      for (const id of sorted.slice(0, sorted.length - this.capacity)) this.seen.delete(id);
      this.floor = BigInt(sorted[sorted.length - this.capacity - 1]!);
    }
    if (next.cursor !== undefined && next.cursor !== null) this.cursor = next.cursor;
    if (next.etag !== undefined) this.etag = next.etag;
  }
}
