import { createHash, randomBytes } from 'node:crypto';
import type { RedisClient } from './redis.js';
import { KEY_PREFIX, generateKey } from '../key-format/key.js';
import { newId, InvalidIdError } from './ids.js';
import { keyStoreNames, shardOfId, type KeyRef, type KeyStoreNames } from './key-store-names.js';
import {
  AUTHENTICATE,
  CLAIM_NAME,
  MARK_REPLACED,
  MARK_ROTATED,
  RECORD_CALLER,
  RELEASE_NAME,
  REVOKE_KEY,
  UNMARK_REPLACED,
} from './key-store-scripts.js';
import { LuaScript } from './lua-script.js';
import { readCallerEvidence, type CallerContext } from './caller-evidence.js';
import {
  KeyStoreUnavailableError,
  type KeyRecord,
  type KeyStatus,
  type KeyStore,
  type Owner,
  type RevokedBy,
  type UsageBucket,
  type CallerEvidence,
} from './key-store.js';

/** The store's scripts (key-store-scripts.ts), each with the reply it gives. */
const SCRIPTS = {
  claimName: new LuaScript<[number, (string | number)?]>(CLAIM_NAME),
  releaseName: new LuaScript<number>(RELEASE_NAME),
  markRotated: new LuaScript<[number, string?, string?, string?, string?]>(MARK_ROTATED),
  markReplaced: new LuaScript<[number, ...string[]]>(MARK_REPLACED),
  unmarkReplaced: new LuaScript<number>(UNMARK_REPLACED),
  revokeKey: new LuaScript<0 | string[]>(REVOKE_KEY),
  authenticate: new LuaScript<[number, (string | number)?, string?]>(AUTHENTICATE),
  recordCaller: new LuaScript<number>(RECORD_CALLER),
};

/** A name claimed for a key whose record is still missing this long after is a crashed create's leftover (healed). */
const ABANDONED_CLAIM_MS = 60_000;
/** id → where the key lives: never changes once made, so kept (bounded) to spare by-id calls a round trip. */
const REF_CACHE_SIZE = 10_000;

/** Usage buckets live for 90 days. */
const USAGE_TTL_SECONDS = 90 * 24 * 3600;
export const DEFAULT_GRACE_SECONDS = 24 * 3600;

/** Entries kept per key, hour and caller attribute (addresses, user agents, endpoints); the rest are counted as "others". */
export const CALLER_TOP_N = 32;

export type AuthResult =
  | { outcome: 'ok'; keyId: string; ownerId: string }
  | { outcome: 'canary'; keyId: string; ownerId: string }
  | { outcome: 'invalid' }
  | { outcome: 'limited'; retryAfterMs: number };

export interface CreatedKey {
  record: KeyRecord;
  /** The key itself: shown once, never stored. */
  key: string;
}

export class KeyStoreError extends Error {
  constructor(
    message: string,
    readonly status: 404 | 409,
    readonly code: string,
    /** 409s about another key (the existing replacement, the key now holding the name): its id. */
    readonly otherKeyId?: string,
  ) {
    super(message);
  }
}

const sha256 = (key: string) => createHash('sha256').update(key).digest();

/**
 * The key store on Redis (or a Redis Cluster). Keys are kept as sha256 only with a four-character hint; a key's data
 * lives in its shard, named by its sha256; owners in theirs. See key-store-names.ts for the layout and
 * docs/SCALING-stores.md for what a crash between the steps of a cross-shard operation leaves.
 */
export class RedisKeyStore implements KeyStore {
  readonly names: KeyStoreNames;
  private readonly refs = new Map<string, KeyRef>();

  constructor(
    readonly redis: RedisClient,
    prefix: string,
    private readonly defaults: { requests: number; windowSeconds: number } = { requests: 600, windowSeconds: 60 },
  ) {
    this.names = keyStoreNames(prefix);
  }

  // ---- owners

  async createOwner(input: {
    name: string;
    email?: string | null;
    webhookUrl?: string | null;
  }): Promise<Owner & { webhookSecret: string | null }> {
    const id = newId('own');
    const createdAt = Date.now();
    const webhookSecret = input.webhookUrl ? `whsec_${randomBytes(24).toString('base64url')}` : null;
    const fields: Record<string, string | number> = { n: input.name, c: createdAt };
    if (input.email) fields.m = input.email;
    if (input.webhookUrl) fields.w = input.webhookUrl;
    if (webhookSecret) fields.ws = webhookSecret;
    // Two slots, record first: a crash between leaves an owner nobody lists (its creator got no id), never a listed ghost.
    await this.call(() => this.redis.hset(this.names.owner(id), fields));
    await this.call(() => this.redis.zadd(this.names.owners, createdAt, id));
    return {
      id,
      name: input.name,
      email: input.email ?? null,
      webhookUrl: input.webhookUrl ?? null,
      createdAt: iso(createdAt)!,
      webhookSecret,
    };
  }

  async getOwner(id: string): Promise<(Owner & { webhookSecret: string | null }) | null> {
    const h = await this.call(() => this.redis.hgetall(this.names.owner(id)));
    if (!h.n) return null;
    return { id, name: h.n, email: h.m ?? null, webhookUrl: h.w ?? null, createdAt: iso(Number(h.c))!, webhookSecret: h.ws ?? null };
  }

  async listOwners(): Promise<Owner[]> {
    const ids = await this.call(() => this.redis.zrange(this.names.owners, 0, -1));
    const owners = await Promise.all(ids.map((id) => this.getOwner(id)));
    return owners
      .filter((o): o is Owner & { webhookSecret: string | null } => o !== null)
      .map(({ webhookSecret: _secret, ...owner }) => owner);
  }

  // ---- keys

  /**
   * Two steps on two slots. 1: the owner's shard claims the name for the new id and lists it. 2: the key's shard
   * writes its record and id entry. A crash between leaves a listed id without a record: listings skip it,
   * authenticate cannot find it (no key was handed out), and the name it holds is freed by the next create that wants
   * it once ABANDONED_CLAIM_MS have passed.
   */
  async createKey(input: {
    ownerId: string;
    name: string;
    rateLimit?: { requests: number; windowSeconds: number };
    expiresAt?: Date;
    /** A honeytoken: authenticate refuses it like an unknown key and raises an alert. */
    canary?: { label: string };
  }): Promise<CreatedKey> {
    const fresh = this.freshKey();
    const [status, at] = await this.claimName(input.ownerId, input.name, fresh.id, '');
    if (status === 0) throw new KeyStoreError(`no owner ${input.ownerId}`, 404, 'owner_not_found');
    if (status === -1) throw new KeyStoreError(`owner ${input.ownerId} already has a key named "${input.name}"`, 409, 'name_taken');
    const fields: Record<string, string | number> = { o: input.ownerId, n: input.name, s: 'a', c: Number(at) };
    if (input.rateLimit) Object.assign(fields, { rl: input.rateLimit.requests, rw: input.rateLimit.windowSeconds });
    if (input.expiresAt) fields.e = input.expiresAt.getTime();
    if (input.canary) Object.assign(fields, { cy: '1', cl: input.canary.label });
    return this.writeKey(fresh, fields);
  }

  /**
   * Three steps. 1: the old key's shard marks it rotated (deciding a race: a second rotate is refused). 2: the owner's
   * shard hands the name on and lists the new id. 3: the new key's record. A crash after 1 leaves the old key working
   * until its grace ends, pointing at an id that never came (getKey: null); after 2, the leftover of a crashed create.
   */
  async rotateKey(id: string, graceSeconds = DEFAULT_GRACE_SECONDS): Promise<CreatedKey | null> {
    const ref = await this.refOf(id);
    if (!ref) return null;
    const fresh = this.freshKey();
    const marked = await this.call(() => SCRIPTS.markRotated.run(this.redis, [this.names.key(ref)], [fresh.id, graceSeconds * 1000]));
    const [status, owner, name, rl, rw] = marked;
    if (status === 0) return null;
    if (status === -1) throw new KeyStoreError(`key ${id} is revoked, expired or already rotated`, 409, 'not_rotatable');
    const [, at] = await this.claimName(owner!, name!, fresh.id, id, true);
    const fields: Record<string, string | number> = { o: owner!, n: name!, s: 'a', c: Number(at) };
    if (rl) Object.assign(fields, { rl, rw: rw! });
    return this.writeKey(fresh, fields);
  }

  /**
   * A new key for a revoked or expired one, with its owner, name, rate limit (and canary flag). Once per key:
   * a second call is a 409 naming the replacement made by the first. Null for an unknown id. Steps as rotate's; a name
   * taken by another key undoes step 1.
   */
  async replaceKey(id: string): Promise<CreatedKey | null> {
    const ref = await this.refOf(id);
    if (!ref) return null;
    const fresh = this.freshKey();
    const record = this.names.key(ref);
    const [status, ...old] = await this.call(() => SCRIPTS.markReplaced.run(this.redis, [record], [fresh.id]));
    if (status === 0) return null;
    if (status === -1)
      throw new KeyStoreError(
        `key ${id} is still active: revoke it first (or rotate it, to keep it working for a grace period)`,
        409,
        'key_active',
      );
    if (status === -2) throw new KeyStoreError(`key ${id} was already replaced by ${old[0]}`, 409, 'already_replaced', String(old[0]));
    const [owner, name, rl, rw, canary, label] = old as string[];
    const [claimed, at] = await this.claimName(owner!, name!, fresh.id, id);
    if (claimed !== 1) {
      await this.call(() => SCRIPTS.unmarkReplaced.run(this.redis, [record], [fresh.id]));
      if (claimed === 0) return null;
      throw new KeyStoreError(`the name of key ${id} now belongs to key ${at}`, 409, 'name_taken', String(at));
    }
    const fields: Record<string, string | number> = { o: owner!, n: name!, s: 'a', c: Number(at), rf: id };
    if (rl) Object.assign(fields, { rl, rw: rw! });
    if (canary) Object.assign(fields, { cy: canary, cl: label ?? '' });
    return this.writeKey(fresh, fields);
  }

  /**
   * Two steps: the key's shard revokes (the answer's truth: authenticate refuses it from here on), then the owner's
   * shard frees its name. A crash between leaves the name held by a revoked key: a retried revoke frees it, and so does
   * the next create or replace that wants the name.
   */
  async revoke(id: string, revocation: { reason: string; by: RevokedBy }): Promise<KeyRecord | null> {
    const ref = await this.refOf(id);
    if (!ref) return null;
    const flat = await this.call(() => SCRIPTS.revokeKey.run(this.redis, [this.names.key(ref)], [revocation.reason, revocation.by]));
    if (!flat) return null;
    const fields = fieldsOf(flat);
    await this.call(() =>
      SCRIPTS.releaseName.run(this.redis, [this.names.ownerNames(fields.o!), this.names.ownerKeys(fields.o!)], [fields.n!, id, '']),
    );
    return this.existing(id, fields);
  }

  /** Sets (or, with null, clears back to the default) a key's rate limit; takes effect on the next request. */
  async setRateLimit(id: string, limit: { requests: number; windowSeconds: number } | null): Promise<KeyRecord | null> {
    const ref = await this.refOf(id);
    if (!ref) return null;
    const record = this.names.key(ref);
    if (!(await this.call(() => this.redis.exists(record)))) return null;
    const write = this.redis.multi();
    if (limit) write.hset(record, 'rl', limit.requests, 'rw', limit.windowSeconds);
    else write.hdel(record, 'rl', 'rw');
    // A new limit starts from a clean slate: the old one's timestamp would keep refusing. Same shard: one MULTI.
    await this.call(() => write.del(this.names.rate(ref)).exec());
    return this.getKey(id);
  }

  async getKey(id: string): Promise<KeyRecord | null> {
    const ref = await this.refOf(id);
    if (!ref) return null;
    return this.existing(id, await this.call(() => this.redis.hgetall(this.names.key(ref))));
  }

  async findByHash(sha256Hex: string): Promise<KeyRecord | null> {
    if (!/^[0-9a-f]{64}$/.test(sha256Hex)) return null;
    // One round trip: the record is named by the hash (the detector confirms every finding with this).
    const h = await this.call(() => this.redis.hgetall(this.names.key(this.names.ref(Buffer.from(sha256Hex, 'hex')))));
    return h.i ? this.existing(h.i, h) : null;
  }

  /** An owner's keys, oldest first, each with its requests and tokens over the last 24 hours (which key is consuming tokens). */
  async listKeys(ownerId: string): Promise<Array<KeyRecord & { usage24h: { requests: number; tokens: number } }>> {
    const ids = await this.call(() => this.redis.zrange(this.names.ownerKeys(ownerId), 0, -1));
    if (ids.length === 0) return [];
    const now = Date.now();
    const today = Math.floor(now / 86_400_000);
    const since = now - 86_400_000;
    // Keys live in many shards: one command each, all sent at once (a pipeline may not span slots on a cluster).
    const rows = await Promise.all(
      ids.map(async (id) => {
        const ref = await this.refOf(id);
        if (!ref) return null;
        return this.call(() =>
          Promise.all([
            this.redis.hgetall(this.names.key(ref)),
            this.redis.hgetall(this.names.usage(ref, today - 1)),
            this.redis.hgetall(this.names.usage(ref, today)),
          ]),
        );
      }),
    );
    return ids.flatMap((id, i) => {
      const row = rows[i];
      if (!row || !row[0].o) return [];
      const [record, yesterday, current] = row;
      const usage24h = { requests: 0, tokens: 0 };
      for (const [day, fields] of [
        [today - 1, yesterday],
        [today, current],
      ] as const) {
        for (let hour = 0; hour < 24; hour++) {
          if ((day * 24 + hour + 1) * 3_600_000 <= since) continue;
          usage24h.requests += Number(fields[`r${hour}`] ?? 0);
          usage24h.tokens += Number(fields[`t${hour}`] ?? 0);
        }
      }
      return [{ ...this.toRecord(id, record, now), usage24h }];
    });
  }

  /**
   * The gateway's check, one Redis round trip on one slot. The caller has already dropped
   * strings that fail the checksum, so garbage never reaches Redis.
   */
  async authenticate(key: string, tokens: number, caller?: CallerContext): Promise<AuthResult> {
    const ref = this.names.ref(sha256(key));
    const now = Date.now();
    const day = Math.floor(now / 86_400_000);
    const hour = Math.floor((now % 86_400_000) / 3_600_000);
    const n = this.names;
    const result = await this.call(() =>
      SCRIPTS.authenticate.run(
        this.redis,
        [n.key(ref), n.rate(ref), n.usage(ref, day)],
        [tokens, this.defaults.requests, this.defaults.windowSeconds, USAGE_TTL_SECONDS, hour],
      ),
    );
    if (result[0] === 1) {
      const keyId = String(result[1]);
      if (caller && (caller.clientIp || caller.userAgent || caller.endpoint)) this.recordCaller(ref, caller);
      return { outcome: 'ok', keyId, ownerId: String(result[2]) };
    }
    if (result[0] === 3) return { outcome: 'canary', keyId: String(result[1]), ownerId: String(result[2]) };
    if (result[0] === 2) return { outcome: 'limited', retryAfterMs: Number(result[1]) };
    return { outcome: 'invalid' };
  }

  /**
   * Counts the caller in the key's hour. Not awaited by authenticate: the answer does not wait for the evidence,
   * and commands on one connection run in order, so a later read on this store sees it. A failure loses one count.
   */
  private recordCaller(ref: KeyRef, caller: CallerContext): void {
    const now = Date.now();
    const k = this.names.callers(ref, Math.floor(now / 3_600_000));
    SCRIPTS.recordCaller
      .run(
        this.redis,
        [k.addresses, k.userAgents, k.endpoints, k.firstSeen, k.distinct, k.others],
        [caller.clientIp ?? '', caller.userAgent ?? '', caller.endpoint ?? '', now, CALLER_TOP_N, USAGE_TTL_SECONDS],
      )
      .catch(() => undefined);
  }

  async callerEvidence(id: string, since: Date, until: Date): Promise<CallerEvidence> {
    const ref = await this.refOf(id);
    // An unknown key has no callers: the same empty summary a key never used gets.
    const where = ref ?? { shard: shardOfId(id), digest: 'none' };
    return this.call(() => readCallerEvidence(this.redis, this.names, where, since, until, USAGE_TTL_SECONDS * 1000));
  }

  /**
   * Whether the gateway's authenticate would accept the key with this sha256 now: the same script
   * (AUTHENTICATE) in its probe mode, which spends no rate limit and counts no usage.
   */
  async authenticatesByHash(sha256Hex: string): Promise<boolean> {
    if (!/^[0-9a-f]{64}$/.test(sha256Hex)) return false;
    const ref = this.names.ref(Buffer.from(sha256Hex, 'hex'));
    const n = this.names;
    const result = await this.call(() =>
      SCRIPTS.authenticate.run(
        this.redis,
        [n.key(ref), n.rate(ref), n.usage(ref, 0)],
        [0, this.defaults.requests, this.defaults.windowSeconds, USAGE_TTL_SECONDS, 0, '1'],
      ),
    );
    return result[0] === 1;
  }

  async usageSince(id: string, since: Date): Promise<UsageBucket[]> {
    const ref = await this.refOf(id);
    if (!ref) return [];
    const now = Date.now();
    const from = Math.max(since.getTime(), now - USAGE_TTL_SECONDS * 1000);
    const firstDay = Math.floor(from / 86_400_000);
    const lastDay = Math.floor(now / 86_400_000);
    // One key's days share its shard: one pipeline, one slot.
    const pipeline = this.redis.pipeline();
    for (let day = firstDay; day <= lastDay; day++) pipeline.hgetall(this.names.usage(ref, day));
    const rows = (await this.call(() => pipeline.exec())) ?? [];
    const buckets: UsageBucket[] = [];
    rows.forEach(([, h], i) => {
      const fields = (h ?? {}) as Record<string, string>;
      for (let hour = 0; hour < 24; hour++) {
        const requests = Number(fields[`r${hour}`] ?? 0);
        const start = (firstDay + i) * 86_400_000 + hour * 3_600_000;
        if (requests === 0 || start + 3_600_000 <= since.getTime()) continue;
        buckets.push({ hour: iso(start)!, requests, tokens: Number(fields[`t${hour}`] ?? 0) });
      }
    });
    return buckets;
  }

  /** Where key `id` lives (its shard's id map), or null for an id no key has. Cached: the answer never changes. */
  async refOf(id: string): Promise<KeyRef | null> {
    const cached = this.refs.get(id);
    if (cached) return cached;
    const digest = await this.call(() => this.redis.hget(this.names.ids(shardOfId(id)), id));
    if (!digest) return null;
    const ref = this.names.ref(Buffer.from(digest, 'base64url'));
    if (this.refs.size >= REF_CACHE_SIZE) this.refs.delete(this.refs.keys().next().value!);
    this.refs.set(id, ref);
    return ref;
  }

  /** A new key, its id starting with its shard tag so that by-id calls find it in the shard of its hash. */
  private freshKey(): { key: string; id: string; ref: KeyRef } {
    const key = generateKey();
    const ref = this.names.ref(sha256(key));
    return { key, id: newId('key', ref.shard), ref };
  }

  /** The last step of making a key: its record and id entry, one MULTI on its shard. */
  private async writeKey(fresh: { key: string; id: string; ref: KeyRef }, fields: Record<string, string | number>): Promise<CreatedKey> {
    fields.i = fresh.id;
    fields.h = fresh.key.slice(-4);
    const { ref } = fresh;
    await this.call(() =>
      this.redis.multi().hset(this.names.key(ref), fields).hset(this.names.ids(ref.shard), fresh.id, ref.digest).exec(),
    );
    return { key: fresh.key, record: this.toRecord(fresh.id, stringFields(fields), Date.now()) };
  }

  /**
   * CLAIM_NAME, healing once: a name held by a revoked key (a revoke that crashed before freeing it) or by an id whose
   * record never came (a create that crashed, ABANDONED_CLAIM_MS ago) is freed and claimed again.
   */
  private async claimName(
    ownerId: string,
    name: string,
    id: string,
    allowed: string,
    force = false,
  ): Promise<[number, (string | number)?]> {
    const n = this.names;
    const [owner, names, listing] = [n.owner(ownerId), n.ownerNames(ownerId), n.ownerKeys(ownerId)];
    const claim = () => this.call(() => SCRIPTS.claimName.run(this.redis, [owner, names, listing], [id, name, allowed, force ? '1' : '']));
    const first = await claim();
    if (first[0] !== -1) return first;
    const holder = String(first[1]);
    const held = await this.getKey(holder);
    let stale = held !== null && held.status === 'revoked';
    if (held === null) {
      const listedAt = await this.call(() => this.redis.zscore(n.ownerKeys(ownerId), holder));
      stale = listedAt === null || Date.now() - Number(listedAt) > ABANDONED_CLAIM_MS;
    }
    if (!stale) return first;
    await this.call(() =>
      SCRIPTS.releaseName.run(this.redis, [n.ownerNames(ownerId), n.ownerKeys(ownerId)], [name, holder, held === null ? '1' : '']),
    );
    return claim();
  }

  /** The record of a key hash as read, or null when it holds no key (never created, or gone). */
  private existing(id: string, h: Record<string, string>): KeyRecord | null {
    return h.o ? this.toRecord(id, h, Date.now()) : null;
  }

  private toRecord(id: string, h: Record<string, string>, now: number): KeyRecord {
    const expiresAt = h.e ? Number(h.e) : null;
    const status: KeyStatus = h.s === 'r' ? 'revoked' : expiresAt !== null && expiresAt <= now ? 'expired' : 'active';
    return {
      id,
      ownerId: h.o!,
      name: h.n!,
      hint: `${KEY_PREFIX}…${h.h}`,
      status,
      createdAt: iso(Number(h.c))!,
      lastUsedAt: iso(h.u ? Number(h.u) : null),
      revokedAt: iso(h.ra ? Number(h.ra) : null),
      revokedReason: h.rr ?? null,
      revokedBy: (h.rb as RevokedBy | undefined) ?? null,
      expiresAt: iso(expiresAt),
      rotatedTo: h.rt ?? null,
      replacedBy: h.rp ?? null,
      replaces: h.rf ?? null,
      canary: h.cy === '1',
      canaryLabel: h.cy === '1' ? (h.cl ?? '') : null,
      rateLimit: h.rl ? { requests: Number(h.rl), windowSeconds: Number(h.rw) } : { ...this.defaults },
    };
  }

  /** Every Redis failure becomes KeyStoreUnavailableError: a retry, never "no such key". */
  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      // Not an outage: a string that is not an id, refused before any call (see ids.ts).
      if (error instanceof InvalidIdError) throw error;
      if (error instanceof KeyStoreError) throw error;
      throw new KeyStoreUnavailableError(`key store unavailable: ${(error as Error).message}`, { cause: error });
    }
  }
}

/** A hash as Lua's HGETALL returns it (field, value, field, value…), as an object. */
function fieldsOf(flat: string[]): Record<string, string> {
  const h: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) h[flat[i]!] = flat[i + 1]!;
  return h;
}

function stringFields(fields: Record<string, string | number>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)]));
}

function iso(ms: number | null): string | null {
  return ms === null || Number.isNaN(ms) ? null : new Date(ms).toISOString();
}
