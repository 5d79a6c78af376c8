import type { RedisClient } from '../stores/redis.js';
import { StoreUnavailableError } from '../core/errors.js';
import { LuaScript } from '../stores/lua-script.js';
import { clientKey } from './client-key.js';

/** The seconds the window has left when its count is over `max`, else 0: one round trip. */
const BLOCKED_FOR = `
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n <= tonumber(ARGV[1]) then return 0 end
local ttl = redis.call('TTL', KEYS[1])
if ttl < 1 then return 1 end
return ttl
`;

/** Counts a failure in a fixed window, in one round trip: the count so far and the seconds the window has left. */
const COUNT_FAILURE = `
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
`;

export interface AuthFailureLimit {
  /** Failed authentications one client address may make per window. */
  max: number;
  windowSeconds: number;
}

const SCRIPTS = {
  countFailure: new LuaScript<[number, number]>(COUNT_FAILURE),
  blockedFor: new LuaScript<number>(BLOCKED_FOR),
};

/**
 * Failed bearer-token authentications per client address, counted in Redis
 * so that every process of the service shares one count. Only failures are
 * written: a correct token costs nothing here (the environment's admin token
 * excepted, see requireScope). IPv6 clients are counted by their /64, which
 * one host usually holds whole.
 */
export class AuthFailures {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    readonly limit: AuthFailureLimit,
  ) {}

  /** Counts a failure from `ip`: the seconds to wait when this one went over the limit, else 0. */
  async fail(ip: string): Promise<number> {
    const [count, ttl] = await this.call(() => SCRIPTS.countFailure.run(this.redis, [this.key(ip)], [this.limit.windowSeconds]));
    return count > this.limit.max ? Math.max(1, ttl) : 0;
  }

  /**
   * The seconds `ip` must still wait because of its failures, or 0. With Redis unreachable, 0: the environment's
   * admin token is checked without Redis and keeps the operator in, and no failure can be counted then anyway.
   */
  async blockedFor(ip: string): Promise<number> {
    try {
      return await SCRIPTS.blockedFor.run(this.redis, [this.key(ip)], [this.limit.max]);
    } catch {
      return 0;
    }
  }

  private key(ip: string): string {
    return `${this.prefix}{rl}:auth-fail:${clientKey(ip)}`;
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw new StoreUnavailableError(`authentication throttle unavailable: ${(error as Error).message}`, { cause: error });
    }
  }
}
