import { createHash } from 'node:crypto';
import type { Redis, Result } from 'ioredis';
import type { Exposure, Location } from '../pipeline/types.js';
import { newId } from './ids.js';
import { ALERT_LIMITS, alertStoreNames, type AlertStoreNames } from './alert-store-names.js';
import { MARK_REVOKED, RECORD_EXPOSURE } from './alert-store-scripts.js';
import { KeyStoreUnavailableError, type KeyStatus } from './key-store.js';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    alRecordExposure(...args: Array<string | Buffer | number>): Result<[string, number, number], Context>;
    alMarkRevoked(...args: Array<string | Buffer | number>): Result<number, Context>;
  }
}

export type AlertState = 'open' | 'resolved';
export type AlertResolution = 'revoked' | 'false_positive' | 'used_in_tests' | 'wont_fix';

/** One owner notification (CONTRACT.md); written by the notifier stage. */
export interface AlertNotification {
  channel: 'email' | 'webhook';
  status: string;
  attempts: number;
  at: string;
}

export interface TimelineEntry {
  event: 'pushed' | 'received' | 'revoked';
  at: string;
}

/** An alert: one per exposed key, with every place it was seen (CONTRACT.md). Holds no key, only its sha256 and hint. */
export interface Alert {
  id: string;
  state: AlertState;
  resolution: AlertResolution | null;
  keyId: string;
  ownerId: string;
  keyHint: string;
  secretSha256: string;
  keyStatus: KeyStatus;
  revokedAt: string | null;
  firstSeenAt: string;
  pushedAt: string | null;
  receivedAt: string;
  revokeLatencyMs: number | null;
  /** The first ALERT_LIMITS.locations places, in the order they were recorded. */
  locations: Location[];
  /** Distinct places seen, including those beyond the cap. */
  locationCount: number;
  notifications: AlertNotification[];
  /** Pushed, received, revoked: oldest first, only those known. */
  timeline: TimelineEntry[];
}

/** The key an exposure was confirmed against, as the key store sees it after any revoke. */
export interface ExposedKey {
  id: string;
  ownerId: string;
  hint: string;
  status: KeyStatus;
  revokedAt: string | null;
  /** When this revocation is the leak detector's: revokedAt minus pushedAt (or receivedAt). */
  revokeLatencyMs?: number | null;
}

export interface RecordResult {
  alert: Alert;
  /** The alert was new: the key's first exposure. */
  created: boolean;
  /** The location was new to the alert (false for a redelivery). */
  newLocation: boolean;
}

export interface AlertPage {
  alerts: Alert[];
  /** Pass back as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

/** A cursor this store did not hand out. `statusCode` lets the API answer 400 through its error handler. */
export class AlertCursorError extends Error {
  readonly statusCode = 400;
  readonly code = 'bad_cursor';
  constructor() {
    super('invalid alert cursor');
    this.name = 'AlertCursorError';
  }
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/**
 * Alerts on Redis. Writes go through Lua scripts (alert-store-scripts.ts), so
 * a redelivered or concurrent exposure never makes a second alert or a second
 * copy of a location. Every Redis failure becomes KeyStoreUnavailableError,
 * the pipeline's one "retry later" error (the same Redis holds both stores).
 */
export class AlertStore {
  readonly names: AlertStoreNames;

  constructor(
    readonly redis: Redis,
    prefix: string,
  ) {
    this.names = alertStoreNames(prefix);
    if (!(redis as Partial<Redis>).alRecordExposure) {
      redis.defineCommand('alRecordExposure', { numberOfKeys: 2, lua: RECORD_EXPOSURE });
      redis.defineCommand('alMarkRevoked', { numberOfKeys: 1, lua: MARK_REVOKED });
    }
  }

  /** Adds the exposure to its key's alert, creating the alert on the key's first exposure. Atomic and idempotent. */
  async recordExposure(exposure: Exposure, key: ExposedKey): Promise<RecordResult> {
    const location = exposure.location;
    // Times are parsed before Redis is touched: a bad one is a bug upstream, not an outage to retry.
    const revokedAt = key.revokedAt === null ? '' : ms(key.revokedAt, 'revokedAt');
    const latency = revokedAt === '' || key.revokeLatencyMs == null ? '' : Math.round(key.revokeLatencyMs);
    const args = [
      this.names.byKey,
      this.names.all,
      this.names.base,
      key.id,
      newId('alt'),
      key.ownerId,
      key.hint,
      exposure.secretSha256,
      key.status,
      revokedAt,
      latency,
      ms(location.seenAt, 'location.seenAt'),
      exposure.pushedAt === null ? '' : ms(exposure.pushedAt, 'pushedAt'),
      ms(exposure.receivedAt, 'receivedAt'),
      locationIdentity(location),
      JSON.stringify(pickLocation(location)),
      ALERT_LIMITS.locations,
      ALERT_LIMITS.locationIds,
    ];
    const [id, created, newLocation] = await this.call(() => this.redis.alRecordExposure(...args));
    const alert = await this.get(id);
    // The script just wrote it and alerts are never deleted.
    if (!alert) throw new KeyStoreUnavailableError(`alert store lost alert ${id}`);
    return { alert, created: created === 1, newLocation: newLocation === 1 };
  }

  /** Records the key's revocation on the alert; the first one wins. Null for an unknown alert. */
  async markRevoked(alertId: string, revokedAt: string, latencyMs: number | null): Promise<Alert | null> {
    const at = ms(revokedAt, 'revokedAt');
    const found = await this.call(() => this.redis.alMarkRevoked(this.names.alert(alertId), at, latencyMs === null ? '' : Math.round(latencyMs)));
    return found ? this.get(alertId) : null;
  }

  async get(id: string): Promise<Alert | null> {
    const rows = await this.call(() =>
      this.redis
        .multi()
        .hgetall(this.names.alert(id))
        .lrange(this.names.locations(id), 0, -1)
        .lrange(this.names.notifications(id), 0, -1)
        .exec(),
    );
    const [h, locations, notifications] = (rows ?? []).map(([, value]) => value) as [Record<string, string>, string[], string[]];
    return h?.k ? toAlert(id, h, locations ?? [], notifications ?? []) : null;
  }

  async getByKeyId(keyId: string): Promise<Alert | null> {
    const id = await this.call(() => this.redis.hget(this.names.byKey, keyId));
    return id ? this.get(id) : null;
  }

  /** Alerts newest first (by firstSeenAt), a page at a time. */
  async list(options: { state?: AlertState; cursor?: string | null; limit?: number } = {}): Promise<AlertPage> {
    const limit = Math.min(Math.max(Math.floor(options.limit ?? DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE);
    const set = options.state ? this.names.state(options.state) : this.names.all;
    const after = options.cursor ? parseCursor(options.cursor) : null;
    // One more than asked: whether there is a next page.
    const entries = await this.call(() => (after ? this.pageAfter(set, after, limit + 1) : this.firstPage(set, limit + 1)));
    const page = entries.slice(0, limit);
    const alerts = (await Promise.all(page.map(([id]) => this.get(id)))).filter((a): a is Alert => a !== null);
    const last = page[page.length - 1];
    return { alerts, nextCursor: entries.length > limit && last ? `${last[1]}.${last[0]}` : null };
  }

  private async firstPage(set: string, count: number): Promise<Array<[string, number]>> {
    return pairs(await this.redis.zrevrange(set, 0, count - 1, 'WITHSCORES'));
  }

  /**
   * Entries after (score, id) in newest-first order. Redis orders equal scores
   * by member, so ties at the cursor's score are cut by id, then the older ones follow.
   */
  private async pageAfter(set: string, after: { score: number; id: string }, count: number): Promise<Array<[string, number]>> {
    const rows = await this.redis
      .multi()
      .zrevrangebyscore(set, after.score, after.score, 'WITHSCORES')
      .zrevrangebyscore(set, `(${after.score}`, '-inf', 'WITHSCORES', 'LIMIT', 0, count)
      .exec();
    const [ties, older] = (rows ?? []).map(([error, value]) => {
      if (error) throw error;
      return pairs(value as string[]);
    });
    return [...(ties ?? []).filter(([id]) => id < after.id), ...(older ?? [])].slice(0, count);
  }

  /** Every Redis failure is "unavailable": a retry, never "no alert". */
  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw new KeyStoreUnavailableError(`alert store unavailable: ${(error as Error).message}`, { cause: error });
    }
  }
}

/** What makes a place the same place: everything but when it was seen. */
export function locationIdentity(location: Location): string {
  const { source, repo, path, line, commit, url } = location;
  return createHash('sha256')
    .update(JSON.stringify([source, repo, path, line, commit, url]))
    .digest('hex')
    .slice(0, 32);
}

/** Only the contract's fields, so nothing else an exposure carries is ever stored. */
function pickLocation(l: Location): Location {
  return { source: l.source, repo: l.repo, path: l.path, line: l.line, commit: l.commit, url: l.url, seenAt: l.seenAt };
}

function toAlert(id: string, h: Record<string, string>, locations: string[], notifications: string[]): Alert {
  const revokedAt = iso(h.ra);
  const pushedAt = iso(h.pa);
  const receivedAt = iso(h.rc)!;
  const timeline: TimelineEntry[] = [];
  if (pushedAt) timeline.push({ event: 'pushed', at: pushedAt });
  timeline.push({ event: 'received', at: receivedAt });
  if (revokedAt) timeline.push({ event: 'revoked', at: revokedAt });
  timeline.sort((a, b) => a.at.localeCompare(b.at));
  return {
    id,
    state: h.st as AlertState,
    resolution: (h.rs as AlertResolution | undefined) ?? null,
    keyId: h.k!,
    ownerId: h.o!,
    keyHint: h.h!,
    secretSha256: h.sh!,
    keyStatus: h.ks as KeyStatus,
    revokedAt,
    firstSeenAt: iso(h.f)!,
    pushedAt,
    receivedAt,
    revokeLatencyMs: h.lat === undefined ? null : Number(h.lat),
    locations: locations.map((l) => JSON.parse(l) as Location),
    locationCount: Number(h.n ?? 0),
    notifications: notifications.map((n) => JSON.parse(n) as AlertNotification),
    timeline,
  };
}

function parseCursor(cursor: string): { score: number; id: string } {
  const match = /^(\d{1,15})\.([a-z]{3}_[0-9A-Za-z]{16})$/.exec(cursor);
  if (!match) throw new AlertCursorError();
  return { score: Number(match[1]), id: match[2]! };
}

function pairs(flat: string[]): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, Number(flat[i + 1])]);
  return out;
}

/** An ISO time as ms, as a string for the scripts. A bad time is a bug upstream, not a retry. */
function ms(value: string, what: string): string {
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new TypeError(`alert store: ${what} is not a time: ${JSON.stringify(value)}`);
  return String(t);
}

function iso(value: string | undefined): string | null {
  return value === undefined ? null : new Date(Number(value)).toISOString();
}
