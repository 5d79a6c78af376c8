import { createHash } from 'node:crypto';
import type { RedisClient } from './redis.js';
import type { Exposure, Location, LocationRecord } from '../core/exposure.js';
import { InvalidIdError } from './ids.js';
import {
  ALERT_LIMITS,
  ALERT_SHARDS,
  alertShardOfId,
  alertShardOfKey,
  alertStoreNames,
  newAlertId,
  type AlertStoreNames,
} from './alert-store-names.js';
import { GET_ALERT, MARK_REVOKED, MARK_VERIFICATION, RECORD_EXPOSURE } from './alert-store-scripts.js';
import { ASSIGN, COMMENT, COUNT_ALERTS, LIST_ALERTS, REOPEN, RESOLVE } from './alert-review-scripts.js';
import { LuaScript } from './lua-script.js';
import {
  filterSets,
  formatCursor,
  mergeShardPages,
  parseCursor,
  scoreRange,
  type AlertCursor,
  type AlertFilter,
  type ShardPage,
} from './alert-query.js';
import { StoreUnavailableError } from '../core/errors.js';
import type { KeyStatus } from './key-store.js';

export { AlertCursorError, type AlertFilter } from './alert-query.js';

/** The alert record itself is the domain's (src/core/alert.ts); re-exported for the store's callers. */
export {
  RESOLUTIONS,
  SYSTEM_ACTOR,
  type RevocationVerification,
  type AlertState,
  type AlertResolution,
  type AlertNotification,
  type TimelineEntry,
  type Actor,
  type AuditEntry,
  type Alert,
} from '../core/alert.js';
import {
  SYSTEM_ACTOR,
  type Actor,
  type Alert,
  type AlertNotification,
  type AlertResolution,
  type AlertState,
  type AuditEntry,
  type RevocationVerification,
  type TimelineEntry,
} from '../core/alert.js';

/** The key an exposure was confirmed against, as the key store sees it after any revoke. */
export interface ExposedKey {
  id: string;
  ownerId: string;
  hint: string;
  /** The key's name, kept on the alert so lists need no key store call per row. */
  name?: string;
  status: KeyStatus;
  revokedAt: string | null;
  /** A canary key: the alert is marked so (with the label) on every exposure. */
  canary?: { label: string | null } | null;
  /** When this revocation is the leak detector's: revokedAt minus pushedAt (or receivedAt). */
  revokeLatencyMs?: number | null;
}

export interface RecordResult {
  alert: Alert;
  /** The alert was new: the key's first exposure. */
  created: boolean;
  /** The location was new to the alert (false for a redelivery). */
  newLocation: boolean;
  /** A `wont_fix` alert was reopened: its key, still active, turned up in this new place. */
  reopened: boolean;
}

export interface AlertPage {
  alerts: Alert[];
  /** Pass back as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

/** A review action that does not apply now: resolving a resolved alert, reopening an open one. */
export class AlertConflictError extends Error {
  readonly statusCode = 409;
  constructor(
    readonly code: 'already_resolved' | 'already_open',
    message: string,
  ) {
    super(message);
    this.name = 'AlertConflictError';
  }
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;
/**
 * Index entries one list or count call examines at most (a few ms of Redis time); a list then returns a short page
 * with a cursor. Shared out between the shards: each examines at most SHARD_SCAN_CAP.
 */
export const SCAN_CAP = 20_000;
const SHARD_SCAN_CAP = Math.ceil(SCAN_CAP / ALERT_SHARDS);

/** An alert as the scripts return it: the record as HGETALL's flat list, its locations, its notifications. */
type AlertReply = [string[], string[], string[]];

/** The store's scripts (alert-store-scripts.ts, alert-review-scripts.ts), each with the reply it gives. */
const SCRIPTS = {
  recordExposure: new LuaScript<Array<string | number>>(RECORD_EXPOSURE),
  markRevoked: new LuaScript<AlertReply | 0>(MARK_REVOKED),
  markVerification: new LuaScript<AlertReply | 0>(MARK_VERIFICATION),
  get: new LuaScript<AlertReply>(GET_ALERT),
  resolve: new LuaScript<number>(RESOLVE),
  reopen: new LuaScript<number>(REOPEN),
  assign: new LuaScript<number>(ASSIGN),
  comment: new LuaScript<number>(COMMENT),
  list: new LuaScript<Array<string | number>>(LIST_ALERTS),
  count: new LuaScript<[number, number, number]>(COUNT_ALERTS),
};

/**
 * Alerts on Redis. Writes go through Lua scripts (alert-store-scripts.ts), so
 * a redelivered or concurrent exposure never makes a second alert or a second
 * copy of a location. Every Redis failure becomes StoreUnavailableError,
 * the pipeline's one "retry later" error (the same Redis holds both stores).
 */
export class AlertStore {
  readonly names: AlertStoreNames;

  constructor(
    readonly redis: RedisClient,
    prefix: string,
  ) {
    this.names = alertStoreNames(prefix);
  }

  /**
   * Adds the exposure to its key's alert, creating the alert on the key's first exposure. Atomic and idempotent: one
   * script on the alert's shard. A first try creates the alert in the key's shard; when the key has one already (or
   * the script asks for the alert's indexes, or the alert predates sharding and lives elsewhere), the store calls
   * again with what the script said.
   */
  async recordExposure(exposure: Exposure, key: ExposedKey): Promise<RecordResult> {
    const location = exposure.location;
    // Times are parsed before Redis is touched: a bad one is a bug upstream, not an outage to retry.
    const revokedAt = key.revokedAt === null ? '' : ms(key.revokedAt, 'revokedAt');
    const latency = revokedAt === '' || key.revokeLatencyMs == null ? '' : Math.round(key.revokeLatencyMs);
    // ARGV 4 on; 1 to 3 (mode, key id, alert id) go in front on each try.
    const args = [
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
      key.name ?? '',
      location.repo ? 2 : 1,
      auditJson(
        { actor: SYSTEM_ACTOR, action: 'reopened', reason: 'new_location', location: { source: location.source, repo: location.repo } },
        Date.now(),
      ),
      ALERT_LIMITS.audit,
      Date.now(),
      exposure.committedAt == null ? '' : ms(exposure.committedAt, 'committedAt'),
    ];
    let mode: 'create' | 'update' = 'create';
    let id = newAlertId(alertShardOfKey(key.id));
    let known: string[] = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      const keys = this.exposureKeys(id, key.ownerId, location, known);
      const [outcome, ...rest] = await this.call(() => SCRIPTS.recordExposure.run(this.redis, keys, [mode, key.id, id, ...args]));
      if (outcome === 'exists') [mode, id] = ['update', String(rest[0])];
      else if (outcome === 'stale') known = rest.map(String);
      else if (outcome === 'missing') throw new StoreUnavailableError(`alert store: the alert ${id} of key ${key.id} has no record`);
      else return this.recorded(String(rest[0]), key, rest.slice(1).map(Number) as [number, number, number]);
    }
    throw new StoreUnavailableError(`alert store: recording an exposure of key ${key.id} did not settle`);
  }

  /** The names the record script touches (see RECORD_EXPOSURE), all in the alert's shard. */
  private exposureKeys(id: string, ownerId: string, location: Exposure['location'], known: string[]): string[] {
    const n = this.names;
    const shard = alertShardOfId(id);
    const places = [...(location.repo ? [n.repo(shard, location.repo)] : []), n.source(shard, location.source)];
    return [
      n.alert(id),
      n.indexes(id),
      n.locationIds(id),
      n.locations(id),
      n.audit(id),
      n.all(shard),
      n.state(shard, 'open'),
      n.state(shard, 'resolved'),
      n.byKey(shard),
      n.owner(shard, ownerId),
      ...places,
      ...known,
    ];
  }

  private async recorded(id: string, key: ExposedKey, [created, newLocation, reopened]: [number, number, number]): Promise<RecordResult> {
    if (key.canary) await this.call(() => this.redis.hset(this.names.alert(id), 'cy', '1', 'cyl', key.canary!.label ?? ''));
    const alert = await this.get(id);
    // The script just wrote it and alerts are never deleted.
    if (!alert) throw new StoreUnavailableError(`alert store lost alert ${id}`);
    return { alert, created: created === 1, newLocation: newLocation === 1, reopened: reopened === 1 };
  }

  /** Resolves an open alert, with GitHub's resolution names and an optional comment; AlertConflictError if it is resolved already. Null for an unknown alert. */
  async resolve(id: string, input: { resolution: AlertResolution; comment?: string | null }, actor: Actor): Promise<Alert | null> {
    const at = Date.now();
    const comment = input.comment?.trim() || '';
    const entry = auditJson({ actor, action: 'resolved', resolution: input.resolution, ...(comment ? { comment } : {}) }, at);
    const done = await this.call(() =>
      SCRIPTS.resolve.run(this.redis, this.reviewKeys(id), [id, input.resolution, comment, actor.name, at, entry, ALERT_LIMITS.audit]),
    );
    if (done === -1) throw new AlertConflictError('already_resolved', `alert ${id} is resolved already; reopen it first`);
    return done === 1 ? this.get(id) : null;
  }

  /** Reopens a resolved alert; AlertConflictError if it is open. Null for an unknown alert. */
  async reopen(id: string, input: { comment?: string | null }, actor: Actor): Promise<Alert | null> {
    const at = Date.now();
    const comment = input.comment?.trim() || '';
    const entry = auditJson({ actor, action: 'reopened', ...(comment ? { comment } : {}) }, at);
    const done = await this.call(() => SCRIPTS.reopen.run(this.redis, this.reviewKeys(id), [id, at, entry, ALERT_LIMITS.audit]));
    if (done === -1) throw new AlertConflictError('already_open', `alert ${id} is open already`);
    return done === 1 ? this.get(id) : null;
  }

  /** Assigns the alert (null: to nobody). Assigning the current assignee again changes nothing and adds no audit entry. Null for an unknown alert. */
  async assign(id: string, input: { assignee: string | null; comment?: string | null }, actor: Actor): Promise<Alert | null> {
    const assignee = input.assignee?.trim() || '';
    const comment = input.comment?.trim() || '';
    const entry = auditJson(
      { actor, action: assignee ? 'assigned' : 'unassigned', ...(assignee ? { assignee } : {}), ...(comment ? { comment } : {}) },
      Date.now(),
    );
    const index = assignee ? this.names.assignee(alertShardOfId(id), assignee) : '';
    for (let attempt = 0; attempt < 4; attempt++) {
      // The current assignee's index is read first and checked by the script: it names every key it touches.
      const current = (await this.call(() => this.redis.hget(this.names.alert(id), 'asx'))) ?? '';
      const keys = [
        this.names.alert(id),
        this.names.audit(id),
        this.names.indexes(id),
        ...(index ? [index] : []),
        ...(current ? [current] : []),
      ];
      const done = await this.call(() => SCRIPTS.assign.run(this.redis, keys, [id, assignee, current, entry, ALERT_LIMITS.audit]));
      if (done !== -2) return done === 0 ? null : this.get(id);
    }
    throw new StoreUnavailableError(`alert store: assigning alert ${id} did not settle`);
  }

  /** The record, audit trail and state indexes of an alert: the review scripts' KEYS. */
  private reviewKeys(id: string): [string, string, string, string] {
    const shard = alertShardOfId(id);
    return [this.names.alert(id), this.names.audit(id), this.names.state(shard, 'open'), this.names.state(shard, 'resolved')];
  }

  /** Adds a line to the audit trail (a comment, a key revoked from the review). False for an unknown alert. */
  async appendAudit(id: string, entry: Omit<AuditEntry, 'at'>): Promise<boolean> {
    const done = await this.call(() =>
      SCRIPTS.comment.run(this.redis, [this.names.alert(id), this.names.audit(id)], [auditJson(entry, Date.now()), ALERT_LIMITS.audit]),
    );
    return done === 1;
  }

  /** The alert's audit trail, oldest first. */
  async audit(id: string): Promise<AuditEntry[]> {
    const rows = await this.call(() => this.redis.lrange(this.names.audit(id), 0, -1));
    return rows.map((row) => {
      const entry = JSON.parse(row) as AuditEntry;
      return { ...entry, at: iso(entry.at)! };
    });
  }

  /** Records the key's revocation on the alert; the first one wins. Null for an unknown alert. */
  async markRevoked(alertId: string, revokedAt: string, latencyMs: number | null): Promise<Alert | null> {
    const at = ms(revokedAt, 'revokedAt');
    const reply = await this.call(() =>
      SCRIPTS.markRevoked.run(this.redis, this.alertKeys(alertId), [at, latencyMs === null ? '' : Math.round(latencyMs)]),
    );
    return reply ? alertOf(alertId, reply) : null;
  }

  /** Records the key that replaced the alert's key. Null for an unknown alert. */
  async markReplaced(alertId: string, newKeyId: string): Promise<Alert | null> {
    // Alerts are never deleted: one that exists now still does at the write.
    if (!(await this.call(() => this.redis.exists(this.names.alert(alertId))))) return null;
    await this.call(() => this.redis.hset(this.names.alert(alertId), 'rpb', newKeyId));
    return this.get(alertId);
  }

  /** Records where proving the key's revocation stands (`verified` sets verifiedRevokedAt to `at`). Null for an unknown alert. */
  async markVerification(alertId: string, status: RevocationVerification, at: Date): Promise<Alert | null> {
    const reply = await this.call(() => SCRIPTS.markVerification.run(this.redis, this.alertKeys(alertId), [status, at.getTime()]));
    return reply ? alertOf(alertId, reply) : null;
  }

  async get(id: string): Promise<Alert | null> {
    return alertOf(id, await this.call(() => SCRIPTS.get.run(this.redis, this.alertKeys(id))));
  }

  /** The names an alert is read from (ALERT_REPLY in alert-store-scripts.ts), in its shard. */
  private alertKeys(id: string): [string, string, string] {
    return [this.names.alert(id), this.names.locations(id), this.names.notifications(id)];
  }

  async getByKeyId(keyId: string): Promise<Alert | null> {
    const id = await this.call(() => this.redis.hget(this.names.byKey(alertShardOfKey(keyId)), keyId));
    return id ? this.get(id) : null;
  }

  /**
   * Alerts newest first (by firstSeenAt), a page at a time, narrowed by the
   * filter. A page may hold fewer than `limit` alerts and still have a
   * `nextCursor` (when a filter matches few of the alerts it had to look at).
   * Every shard is asked for a page (the commands go out together) and the pages are merged (mergeShardPages).
   */
  async list(options: AlertFilter & { cursor?: string | null; limit?: number } = {}): Promise<AlertPage> {
    const limit = Math.min(Math.max(Math.floor(options.limit ?? DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE);
    const after = options.cursor ? parseCursor(options.cursor) : null;
    // One more than asked: whether there is a next page. A page's alerts spread over the shards, so each is first
    // asked for a fair share with room to spare; only if a shard that filled its share would cut the page short is
    // it asked for the rest (a second round, never a third: after it, a full shard holds limit + 1 on its own).
    const want = limit + 1;
    const share = Math.min(want, Math.ceil((2 * want) / ALERT_SHARDS) + 4);
    let pages = await this.call(() =>
      Promise.all(this.names.shards.map((shard) => this.shardPage(shard, options, after, share, SHARD_SCAN_CAP))),
    );
    let merged = mergeShardPages(pages, limit);
    if (share < want && merged.page.length < limit && pages.some((p) => p.status === 'full')) {
      pages = await this.call(() =>
        Promise.all(
          pages.map(async (first, shard) => {
            if (first.status !== 'full') return first;
            const left = SHARD_SCAN_CAP - first.examined;
            if (left <= 0) return { ...first, status: 'cut' as const };
            const rest = await this.shardPage(shard, options, first.entries[first.entries.length - 1]!, want - first.entries.length, left);
            return {
              status: rest.status,
              last: rest.last ?? first.last,
              entries: [...first.entries, ...rest.entries],
              examined: first.examined + rest.examined,
            };
          }),
        ),
      );
      merged = mergeShardPages(pages, limit);
    }
    const alerts = (await Promise.all(merged.page.map(({ id }) => this.get(id)))).filter((a): a is Alert => a !== null);
    return { alerts, nextCursor: merged.next ? formatCursor(merged.next) : null };
  }

  /** One shard's page: up to `want` matches after `after`, examining at most `cap` index entries (LIST_ALERTS). */
  private async shardPage(shard: number, filter: AlertFilter, after: AlertCursor | null, want: number, cap: number): Promise<ShardPage> {
    const sets = filterSets(this.names, shard, filter);
    if (!sets.length) sets.push(this.names.all(shard));
    const range = scoreRange(filter, after);
    const reply = await SCRIPTS.list.run(this.redis, sets, [range.max, range.min, range.tie, range.tieId, want, cap]);
    const [status, lastId, lastScore, examined, ...flat] = reply;
    return {
      status: status as ShardPage['status'],
      last: lastId ? { id: String(lastId), score: Number(lastScore) } : null,
      entries: pairs(flat.map(String)),
      examined: Number(examined),
    };
  }

  /**
   * How many alerts are open and resolved under the filter (its state aside), added up over the shards.
   * `complete` is false when a filtered count stopped at SCAN_CAP entries: the counts are then lower bounds.
   */
  async count(filter: AlertFilter = {}): Promise<{ open: number; resolved: number; complete: boolean }> {
    const range = scoreRange(filter, null);
    const counts = await this.call(() =>
      Promise.all(
        this.names.shards.map((shard) => {
          const sets = filterSets(this.names, shard, filter, { state: false });
          const states = [this.names.state(shard, 'open'), this.names.state(shard, 'resolved')];
          return SCRIPTS.count.run(this.redis, [...states, ...sets], [range.max, range.min, SHARD_SCAN_CAP]);
        }),
      ),
    );
    const total = { open: 0, resolved: 0, complete: true };
    for (const [open, resolved, complete] of counts) {
      total.open += open;
      total.resolved += resolved;
      total.complete &&= complete === 1;
    }
    return total;
  }

  /** Every Redis failure is "unavailable": a retry, never "no alert". */
  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      // Not an outage: a string that is not an id, refused before any call (see ids.ts).
      if (error instanceof InvalidIdError) throw error;
      throw new StoreUnavailableError(`alert store unavailable: ${(error as Error).message}`, { cause: error });
    }
  }
}

/** The alert of a script's AlertReply; null when its record holds no alert. */
function alertOf(id: string, [flat, locations, notifications]: AlertReply): Alert | null {
  const h: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) h[flat[i]!] = flat[i + 1]!;
  return h.k ? toAlert(id, h, locations, notifications) : null;
}

/** What makes a place the same place: everything but when it was seen. */
export function locationIdentity(location: LocationRecord): string {
  const { source, repo, path, line, commit, url, partnerSource } = location;
  // partnerSource only when set, so places recorded before it existed keep their identity.
  const parts: unknown[] = [source, repo, path, line, commit, url];
  if (partnerSource !== undefined) parts.push(partnerSource);
  // A canary's uses: one place per distinct caller, so a caller repeating itself adds nothing.
  if (location.caller) parts.push(location.caller.clientIp, location.caller.userAgent, location.caller.endpoint);
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}

/** Only the contract's fields (and the optional notes on a place), so nothing else an exposure carries is ever stored. */
function pickLocation(l: LocationRecord): LocationRecord {
  const picked: LocationRecord = {
    source: l.source,
    repo: l.repo,
    path: l.path,
    line: l.line,
    commit: l.commit,
    url: l.url,
    seenAt: l.seenAt,
  };
  if (l.caller) picked.caller = { clientIp: l.caller.clientIp, userAgent: l.caller.userAgent, endpoint: l.caller.endpoint };
  if (l.partnerSource !== undefined) picked.partnerSource = l.partnerSource;
  if (l.field === 'path') picked.field = 'path';
  if (l.allowMarker === true) picked.allowMarker = true;
  if (l.scanIncomplete === true) picked.scanIncomplete = true;
  if (l.source === 'ci-log' && typeof l.job === 'string' && typeof l.step === 'string') Object.assign(picked, { job: l.job, step: l.step });
  return picked;
}

function toAlert(id: string, h: Record<string, string>, locations: string[], notifications: string[]): Alert {
  const revokedAt = iso(h.ra);
  const pushedAt = iso(h.pa);
  const committedAt = iso(h.ca);
  const receivedAt = iso(h.rc)!;
  const resolvedAt = iso(h.rsa);
  const reopenedAt = iso(h.roa);
  const sent = notifications.map((n) => JSON.parse(n) as AlertNotification);
  const notifiedAt = sent
    .filter((n) => n.status === 'sent' && (n.channel === 'email' || n.channel === 'webhook'))
    .map((n) => n.at)
    .sort()[0];
  const timeline: TimelineEntry[] = [];
  if (committedAt) timeline.push({ event: 'committed', at: committedAt });
  if (pushedAt) timeline.push({ event: 'pushed', at: pushedAt });
  timeline.push({ event: 'received', at: receivedAt });
  if (revokedAt) timeline.push({ event: 'revoked', at: revokedAt });
  const verifiedRevokedAt = iso(h.vra);
  if (verifiedRevokedAt) timeline.push({ event: 'verified_revoked', at: verifiedRevokedAt });
  if (notifiedAt) timeline.push({ event: 'notified', at: notifiedAt });
  if (reopenedAt) timeline.push({ event: 'reopened', at: reopenedAt });
  if (resolvedAt) timeline.push({ event: 'resolved', at: resolvedAt });
  timeline.sort((a, b) => a.at.localeCompare(b.at));
  return {
    id,
    state: h.st as AlertState,
    resolution: (h.rs as AlertResolution | undefined) ?? null,
    keyId: h.k!,
    ownerId: h.o!,
    keyHint: h.h!,
    keyName: h.kn ?? null,
    secretSha256: h.sh!,
    keyStatus: h.ks as KeyStatus,
    revokedAt,
    verifiedRevokedAt,
    revocationVerification: (h.vs as RevocationVerification | undefined) ?? null,
    assignee: h.as ?? null,
    resolvedAt,
    resolvedBy: h.rsb ?? null,
    resolutionComment: h.rsc ?? null,
    firstSeenAt: iso(h.f)!,
    pushedAt,
    committedAt,
    receivedAt,
    revokeLatencyMs: h.lat === undefined ? null : Number(h.lat),
    canary: h.cy === '1',
    canaryLabel: h.cy === '1' ? (h.cyl ?? '') : null,
    replacedBy: h.rpb ?? null,
    locations: locations.map((l) => JSON.parse(l) as Location),
    locationCount: Number(h.n ?? 0),
    notifications: sent,
    timeline,
  };
}

function pairs(flat: string[]): Array<{ id: string; score: number }> {
  const out: Array<{ id: string; score: number }> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ id: flat[i]!, score: Number(flat[i + 1]) });
  return out;
}

/** An ISO time as ms, as a string for the scripts. A bad time is a bug upstream, not a retry. */
function ms(value: string, what: string): string {
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new TypeError(`alert store: ${what} is not a time: ${JSON.stringify(value)}`);
  return String(t);
}

/** An audit entry as stored: its time as ms in a string, like the record's (the scripts never format times). */
function auditJson(entry: Omit<AuditEntry, 'at'>, at: number): string {
  return JSON.stringify({ at: String(at), ...entry });
}

function iso(value: string | undefined): string | null {
  return value === undefined ? null : new Date(Number(value)).toISOString();
}
