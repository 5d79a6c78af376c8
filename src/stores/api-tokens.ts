import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RedisClient } from './redis.js';
import { checkId, newId, InvalidIdError } from './ids.js';
import { StoreUnavailableError } from '../core/errors.js';
import { keyStoreNames } from './key-store-names.js';

export type Scope = 'admin' | 'security' | 'gateway';
export const SCOPES: readonly Scope[] = ['admin', 'security', 'gateway'];

export interface ApiToken {
  id: string;
  name: string;
  scope: Scope;
  createdAt: string;
}

/**
 * How long a process trusts a gateway token it has just verified without asking Redis again. The gateway presents
 * its token on every `authenticate`, and every one of those reads went to the single slot holding the tokens (`{ks}`):
 * at 100,000 calls/s that one master would need ~3 cores (docs/SCALING.md). A deleted gateway token therefore keeps
 * working for up to this long in other processes (at once in the one that deleted it). Admin and security tokens,
 * and unknown tokens, are never cached: deleting one of those takes effect everywhere at once.
 */
export const GATEWAY_TOKEN_CACHE_MS = 1_000;
const GATEWAY_TOKEN_CACHE_SIZE = 1_000;

/** The id of NEEVSCAN_ADMIN_TOKEN's record (it is never stored). */
export const ENV_ADMIN_TOKEN_ID = 'env-admin';

const digest = (token: string) => createHash('sha256').update(token).digest();
/** A token's sha256, hex: how tokens are stored and sessions refer to them. */
export const tokenDigest = (token: string) => digest(token).toString('hex');

/**
 * API tokens for /api/v1, stored as sha256 only. The first admin token comes
 * from NEEVSCAN_ADMIN_TOKEN and is never stored; admins mint the others.
 * Tokens are looked up by their digest, so no comparison ever runs over the
 * token's own bytes; the environment token is compared in constant time.
 */
export class ApiTokens {
  private readonly names;
  private readonly adminDigest: Buffer | undefined;
  /** Gateway tokens verified lately: digest (hex) → record and until when it is trusted (GATEWAY_TOKEN_CACHE_MS). */
  private readonly recentGateway = new Map<string, { record: ApiToken; until: number }>();

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    adminToken: string | undefined,
    private readonly gatewayCacheMs = GATEWAY_TOKEN_CACHE_MS,
  ) {
    this.names = keyStoreNames(prefix);
    this.adminDigest = adminToken ? digest(adminToken) : undefined;
  }

  async mint(name: string, scope: Scope): Promise<ApiToken & { token: string }> {
    const id = newId('tok');
    const token = `nvs_${randomBytes(30).toString('base64url')}`;
    const record: ApiToken = { id, name, scope, createdAt: new Date().toISOString() };
    const hex = digest(token).toString('hex');
    await this.call(() =>
      this.redis.multi().hset(this.names.tokens, hex, JSON.stringify(record)).hset(this.names.tokenById, id, hex).exec(),
    );
    return { ...record, token };
  }

  async revoke(id: string): Promise<boolean> {
    const hex = await this.call(() => this.redis.hget(this.names.tokenById, checkId('tok', id)));
    if (!hex) return false;
    this.recentGateway.delete(hex);
    await this.call(() => this.redis.multi().hdel(this.names.tokens, hex).hdel(this.names.tokenById, id).exec());
    return true;
  }

  /** The token's record, or null for a token we do not know. */
  async verify(token: string): Promise<ApiToken | null> {
    return this.verifyDigest(tokenDigest(token));
  }

  /**
   * The record of the token with this sha256 (hex), or null: the dashboard's
   * sessions keep the digest, never the token, and check it on every request,
   * so deleting a token ends its sessions at once.
   */
  async verifyDigest(hex: string): Promise<ApiToken | null> {
    const presented = Buffer.from(hex, 'hex');
    if (presented.length !== 32) return null;
    if (this.adminDigest && timingSafeEqual(presented, this.adminDigest)) {
      return { id: ENV_ADMIN_TOKEN_ID, name: 'NEEVSCAN_ADMIN_TOKEN', scope: 'admin', createdAt: new Date(0).toISOString() };
    }
    const key = presented.toString('hex');
    const recent = this.recentGateway.get(key);
    if (recent && recent.until > Date.now()) return recent.record;
    const json = await this.call(() => this.redis.hget(this.names.tokens, key));
    const record = json ? (JSON.parse(json) as ApiToken) : null;
    if (record?.scope === 'gateway' && this.gatewayCacheMs > 0) this.rememberGateway(key, record);
    else this.recentGateway.delete(key);
    return record;
  }

  private rememberGateway(key: string, record: ApiToken): void {
    this.recentGateway.delete(key);
    // A Map keeps insertion order: past the bound, the oldest entry goes.
    if (this.recentGateway.size >= GATEWAY_TOKEN_CACHE_SIZE) this.recentGateway.delete(this.recentGateway.keys().next().value!);
    this.recentGateway.set(key, { record, until: Date.now() + this.gatewayCacheMs });
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      // Not an outage: a string that is not an id, refused before any call (see ids.ts).
      if (error instanceof InvalidIdError) throw error;
      throw new StoreUnavailableError(`token store unavailable: ${(error as Error).message}`, { cause: error });
    }
  }
}
