import { createHash, randomBytes } from 'node:crypto';
import type { Redis, Result } from 'ioredis';
import { KEY_PREFIX, generateKey } from '../key-format/key.js';
import { newId, InvalidIdError } from './ids.js';
import { keyStoreNames, type KeyStoreNames } from './key-store-names.js';
import { AUTHENTICATE, CREATE_KEY, FIND_BY_HASH, REVOKE_KEY, ROTATE_KEY } from './key-store-scripts.js';
import {
  KeyStoreUnavailableError,
  type KeyRecord,
  type KeyStatus,
  type KeyStore,
  type Owner,
  type RevokedBy,
  type UsageBucket,
} from './key-store.js';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    nsCreateKey(...args: Array<string | Buffer | number>): Result<[number, number?], Context>;
    nsRotateKey(...args: Array<string | Buffer | number>): Result<[number, number?], Context>;
    nsRevokeKey(...args: Array<string | Buffer | number>): Result<0 | string[], Context>;
    nsFindByHash(...args: Array<string | Buffer | number>): Result<0 | [string, string[]], Context>;
    nsAuthenticate(...args: Array<string | Buffer | number>): Result<[number, (string | number)?, string?], Context>;
  }
}

/** Usage buckets live for 90 days. */
const USAGE_TTL_SECONDS = 90 * 24 * 3600;
export const DEFAULT_GRACE_SECONDS = 24 * 3600;

export type AuthResult =
  | { outcome: 'ok'; keyId: string; ownerId: string }
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
  ) {
    super(message);
  }
}

const sha256 = (key: string) => createHash('sha256').update(key).digest();

/**
 * The key store on Redis. Keys are kept as sha256 only (an index from the
 * 32-byte digest to the key id) with a four-character hint; ids, names and
 * owners are plain records. See key-store-names.ts for the layout.
 */
export class RedisKeyStore implements KeyStore {
  readonly names: KeyStoreNames;

  constructor(
    readonly redis: Redis,
    prefix: string,
    private readonly defaults: { requests: number; windowSeconds: number } = { requests: 600, windowSeconds: 60 },
  ) {
    this.names = keyStoreNames(prefix);
    if (!(redis as Partial<Redis>).nsFindByHash) {
      redis.defineCommand('nsCreateKey', { numberOfKeys: 5, lua: CREATE_KEY });
      redis.defineCommand('nsRotateKey', { numberOfKeys: 5, lua: ROTATE_KEY });
      redis.defineCommand('nsRevokeKey', { numberOfKeys: 1, lua: REVOKE_KEY });
      redis.defineCommand('nsAuthenticate', { numberOfKeys: 1, lua: AUTHENTICATE });
      redis.defineCommand('nsFindByHash', { numberOfKeys: 1, lua: FIND_BY_HASH });
    }
  }

  // ---- owners

  async createOwner(input: { name: string; email?: string | null; webhookUrl?: string | null }): Promise<Owner & { webhookSecret: string | null }> {
    const id = newId('own');
    const createdAt = Date.now();
    const webhookSecret = input.webhookUrl ? `whsec_${randomBytes(24).toString('base64url')}` : null;
    const fields: Record<string, string | number> = { n: input.name, c: createdAt };
    if (input.email) fields.m = input.email;
    if (input.webhookUrl) fields.w = input.webhookUrl;
    if (webhookSecret) fields.ws = webhookSecret;
    await this.call(() => this.redis.multi().hset(this.names.owner(id), fields).zadd(this.names.owners, createdAt, id).exec());
    return { id, name: input.name, email: input.email ?? null, webhookUrl: input.webhookUrl ?? null, createdAt: iso(createdAt)!, webhookSecret };
  }

  async getOwner(id: string): Promise<(Owner & { webhookSecret: string | null }) | null> {
    const h = await this.call(() => this.redis.hgetall(this.names.owner(id)));
    if (!h.n) return null;
    return { id, name: h.n, email: h.m ?? null, webhookUrl: h.w ?? null, createdAt: iso(Number(h.c))!, webhookSecret: h.ws ?? null };
  }

  async listOwners(): Promise<Owner[]> {
    const ids = await this.call(() => this.redis.zrange(this.names.owners, 0, -1));
    const owners = await Promise.all(ids.map((id) => this.getOwner(id)));
    return owners.filter((o): o is Owner & { webhookSecret: string | null } => o !== null).map(({ webhookSecret: _secret, ...owner }) => owner);
  }

  // ---- keys

  async createKey(input: {
    ownerId: string;
    name: string;
    rateLimit?: { requests: number; windowSeconds: number };
    expiresAt?: Date;
  }): Promise<CreatedKey> {
    const key = generateKey();
    const id = newId('key');
    const digest = sha256(key);
    const n = this.names;
    const [status] = await this.call(() =>
      this.redis.nsCreateKey(
        n.owner(input.ownerId),
        n.ownerNames(input.ownerId),
        n.key(id),
        n.index(digest.toString('hex')),
        n.ownerKeys(input.ownerId),
        id,
        input.name,
        key.slice(-4),
        digest,
        input.rateLimit ? input.rateLimit.requests : '',
        input.rateLimit ? input.rateLimit.windowSeconds : '',
        input.expiresAt ? input.expiresAt.getTime() : '',
        input.ownerId,
      ),
    );
    if (status === 0) throw new KeyStoreError(`no owner ${input.ownerId}`, 404, 'owner_not_found');
    if (status === -1) throw new KeyStoreError(`owner ${input.ownerId} already has a key named "${input.name}"`, 409, 'name_taken');
    return { key, record: (await this.getKey(id))! };
  }

  async rotateKey(id: string, graceSeconds = DEFAULT_GRACE_SECONDS): Promise<CreatedKey | null> {
    const old = await this.call(() => this.redis.hget(this.names.key(id), 'o'));
    if (old === null) return null;
    const key = generateKey();
    const newKeyId = newId('key');
    const digest = sha256(key);
    const n = this.names;
    const [status] = await this.call(() =>
      this.redis.nsRotateKey(n.key(id), n.ownerNames(old), n.key(newKeyId), n.index(digest.toString('hex')), n.ownerKeys(old), newKeyId, key.slice(-4), digest, graceSeconds * 1000),
    );
    if (status === 0) return null;
    if (status === -1) throw new KeyStoreError(`key ${id} is revoked, expired or already rotated`, 409, 'not_rotatable');
    return { key, record: (await this.getKey(newKeyId))! };
  }

  async revoke(id: string, revocation: { reason: string; by: RevokedBy }): Promise<KeyRecord | null> {
    const fields = await this.call(() => this.redis.nsRevokeKey(this.names.key(id), this.names.base, id, revocation.reason, revocation.by));
    return fields ? this.existing(id, fieldsOf(fields)) : null;
  }

  /** Sets (or, with null, clears back to the default) a key's rate limit; takes effect on the next request. */
  async setRateLimit(id: string, limit: { requests: number; windowSeconds: number } | null): Promise<KeyRecord | null> {
    const record = this.names.key(id);
    if (!(await this.call(() => this.redis.exists(record)))) return null;
    const write = this.redis.multi();
    if (limit) write.hset(record, 'rl', limit.requests, 'rw', limit.windowSeconds);
    else write.hdel(record, 'rl', 'rw');
    // A new limit starts from a clean slate: the old one's timestamp would keep refusing.
    await this.call(() => write.del(this.names.rate(id)).exec());
    return this.getKey(id);
  }

  async getKey(id: string): Promise<KeyRecord | null> {
    return this.existing(id, await this.call(() => this.redis.hgetall(this.names.key(id))));
  }

  async findByHash(sha256Hex: string): Promise<KeyRecord | null> {
    if (!/^[0-9a-f]{64}$/.test(sha256Hex)) return null;
    // One round trip: the detector confirms every finding with this, at the rate pushes arrive.
    const found = await this.call(() => this.redis.nsFindByHash(this.names.index(sha256Hex), this.names.base, Buffer.from(sha256Hex, 'hex')));
    return found ? this.existing(found[0], fieldsOf(found[1])) : null;
  }

  /** An owner's keys, oldest first, each with its requests and tokens over the last 24 hours (which key is consuming tokens). */
  async listKeys(ownerId: string): Promise<Array<KeyRecord & { usage24h: { requests: number; tokens: number } }>> {
    const ids = await this.call(() => this.redis.zrange(this.names.ownerKeys(ownerId), 0, -1));
    if (ids.length === 0) return [];
    const now = Date.now();
    const today = Math.floor(now / 86_400_000);
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.names.key(id)).hgetall(this.usageKey(id, today - 1)).hgetall(this.usageKey(id, today));
    const rows = (await this.call(() => pipeline.exec())) ?? [];
    const since = now - 86_400_000;
    return ids.flatMap((id, i) => {
      const [record, yesterday, current] = [0, 1, 2].map((k) => (rows[i * 3 + k]?.[1] ?? {}) as Record<string, string>);
      if (!record!.o) return [];
      const usage24h = { requests: 0, tokens: 0 };
      for (const [day, fields] of [[today - 1, yesterday!], [today, current!]] as const) {
        for (let hour = 0; hour < 24; hour++) {
          if ((day * 24 + hour + 1) * 3_600_000 <= since) continue;
          usage24h.requests += Number(fields[`r${hour}`] ?? 0);
          usage24h.tokens += Number(fields[`t${hour}`] ?? 0);
        }
      }
      return [{ ...this.toRecord(id, record!, now), usage24h }];
    });
  }

  private usageKey(id: string, day: number): string {
    return `${this.names.base}use:${id}:${day}`;
  }

  /**
   * The gateway's check, one Redis round trip. The caller has already dropped
   * strings that fail the checksum, so garbage never reaches Redis.
   */
  async authenticate(key: string, tokens: number): Promise<AuthResult> {
    const digest = sha256(key);
    const result = await this.call(() =>
      this.redis.nsAuthenticate(this.names.index(digest.toString('hex')), this.names.base, digest, tokens, this.defaults.requests, this.defaults.windowSeconds, USAGE_TTL_SECONDS),
    );
    if (result[0] === 1) return { outcome: 'ok', keyId: String(result[1]), ownerId: String(result[2]) };
    if (result[0] === 2) return { outcome: 'limited', retryAfterMs: Number(result[1]) };
    return { outcome: 'invalid' };
  }

  /**
   * Whether the gateway's authenticate would accept the key with this sha256 now: the same script
   * (AUTHENTICATE) in its probe mode, which spends no rate limit and counts no usage.
   */
  async authenticatesByHash(sha256Hex: string): Promise<boolean> {
    if (!/^[0-9a-f]{64}$/.test(sha256Hex)) return false;
    const digest = Buffer.from(sha256Hex, 'hex');
    const result = await this.call(() =>
      this.redis.nsAuthenticate(this.names.index(sha256Hex), this.names.base, digest, 0, this.defaults.requests, this.defaults.windowSeconds, USAGE_TTL_SECONDS, '1'),
    );
    return result[0] === 1;
  }

  async usageSince(id: string, since: Date): Promise<UsageBucket[]> {
    const now = Date.now();
    const from = Math.max(since.getTime(), now - USAGE_TTL_SECONDS * 1000);
    const firstDay = Math.floor(from / 86_400_000);
    const lastDay = Math.floor(now / 86_400_000);
    const pipeline = this.redis.pipeline();
    for (let day = firstDay; day <= lastDay; day++) pipeline.hgetall(this.usageKey(id, day));
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

function iso(ms: number | null): string | null {
  return ms === null || Number.isNaN(ms) ? null : new Date(ms).toISOString();
}
