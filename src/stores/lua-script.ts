import { createHash } from 'node:crypto';
import type { RedisClient } from './redis.js';

type Arg = string | number | Buffer;

/**
 * A Lua script the stores run on Redis: sent by its SHA1 (EVALSHA), and whole (EVAL, which also caches it) only
 * when Redis answers NOSCRIPT: a restarted node, a replica promoted by a failover, a SCRIPT FLUSH.
 *
 * Why not ioredis' defineCommand, which does the same: every pipeline ioredis builds (each MULTI, and on the
 * auto-pipelined stores' connection each batch of commands sent in one turn) copies every script defined on the
 * connection onto itself, two properties a script. With the stores' two dozen scripts that was most of a
 * pipeline's cost, paid on nearly every command a push makes (docs/PERFORMANCE.md, Pipeline). A script kept
 * here costs a pipeline nothing; on a cluster EVALSHA is routed by its first key, as defineCommand's was.
 */
export class LuaScript<Reply = unknown> {
  readonly sha: string;

  constructor(readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  /** Runs the script with `keys` (all in one hash slot on a cluster) and `args`; its reply as Redis gives it. */
  async run(redis: RedisClient, keys: readonly string[], args: readonly Arg[] = []): Promise<Reply> {
    try {
      return (await redis.evalsha(this.sha, keys.length, ...keys, ...args)) as Reply;
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return (await redis.eval(this.lua, keys.length, ...keys, ...args)) as Reply;
    }
  }
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}
