import { createHash, randomBytes } from 'node:crypto';
import type { RedisClient } from '../../stores/redis.js';
import type { ApiToken } from '../../stores/api-tokens.js';
import { StoreUnavailableError } from '../../core/errors.js';

/** A signed-in browser: which token signed in (by its digest, never the token) and the session's CSRF token. */
export interface Session {
  /** sha256 of the API token used to sign in: checked against the token store on every request. */
  tokenDigest: string;
  tokenId: string;
  name: string;
  scope: ApiToken['scope'];
  /** Sent back in every form (`_csrf`) and compared on every POST. */
  csrf: string;
  /** Sign-in time, ms: the session ends `maxSeconds` later however busy it is. */
  createdAt: number;
}

const random = () => randomBytes(32).toString('base64url');

/**
 * Dashboard sessions in Redis. The cookie holds a random id; Redis holds
 * the session under the id's sha256, so a copy of Redis gives no usable
 * cookie. A session ends after `idleSeconds` unused (its TTL, renewed on
 * use), `maxSeconds` after sign-in, or at sign-out.
 */
export class SessionStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly limits: { idleSeconds: number; maxSeconds: number },
  ) {}

  private key(sid: string): string {
    return `${this.prefix}{sess}:${createHash('sha256').update(sid).digest('hex')}`;
  }

  async create(token: ApiToken, tokenDigest: string): Promise<{ sid: string; session: Session }> {
    const sid = random();
    const session: Session = {
      tokenDigest,
      tokenId: token.id,
      name: token.name,
      scope: token.scope,
      csrf: random(),
      createdAt: Date.now(),
    };
    await this.call(() =>
      this.redis.set(this.key(sid), JSON.stringify(session), 'EX', Math.min(this.limits.idleSeconds, this.limits.maxSeconds)),
    );
    return { sid, session };
  }

  /** The live session for this cookie value, its idle time renewed; null for none, ended, or malformed. */
  async get(sid: string | undefined): Promise<Session | null> {
    if (!sid || sid.length > 100) return null;
    const key = this.key(sid);
    const json = await this.call(() => this.redis.get(key));
    if (!json) return null;
    const session = JSON.parse(json) as Session;
    const left = session.createdAt + this.limits.maxSeconds * 1000 - Date.now();
    if (left <= 0) {
      await this.destroy(sid);
      return null;
    }
    await this.call(() => this.redis.expire(key, Math.max(1, Math.min(this.limits.idleSeconds, Math.ceil(left / 1000)))));
    return session;
  }

  async destroy(sid: string): Promise<void> {
    await this.call(() => this.redis.del(this.key(sid)));
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw new StoreUnavailableError(`session store unavailable: ${(error as Error).message}`, { cause: error });
    }
  }
}
