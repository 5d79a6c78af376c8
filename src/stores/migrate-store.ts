/**
 * `neevscan migrate-store`: moves the key store from its one-slot layout (everything under `{ks}`, records by id,
 * sha256 → id in `{ks}:ix:<3 hex>` buckets) to the sharded one (key-store-names.ts). Idempotent and resumable: each key
 * is copied whole (DUMP/RESTORE, TTLs kept) before its old keys are deleted, and its index entry goes last, so a run
 * cut short and run again copies what is left and nothing twice. Run it with the service stopped: a copy
 * replaces whatever the new layout already holds under that name. The owner listing and API tokens stay where they
 * were (`{ks}:owners`, `{ks}:tok`, `{ks}:tokid`).
 */
import type { Cluster, Redis } from 'ioredis';
import { isId } from './ids.js';
import { keyStoreNames, shardOfId, type KeyRef } from './key-store-names.js';
import type { RedisClient } from './redis.js';

export interface MigrationReport {
  keys: number;
  owners: number;
  /** Old keys copied to a new name (records, rate limits, usage, caller summaries, owner records and indexes). */
  copied: number;
  /** Old keys left behind because nothing in the old layout says where they belong (an index entry without its record, …). */
  skipped: string[];
}

export async function migrateKeyStore(redis: RedisClient, prefix: string): Promise<MigrationReport> {
  const names = keyStoreNames(prefix);
  const old = names.base;
  const report: MigrationReport = { keys: 0, owners: 0, copied: 0, skipped: [] };
  const found = await scanAll(redis, `${old}*`);
  const perKey = new Map<string, string[]>();
  const buckets: string[] = [];
  const owners = new Map<string, string[]>();
  for (const name of found) {
    const rest = name.slice(old.length);
    const [kind, id] = rest.split(':');
    if (kind === 'ix') buckets.push(name);
    else if ((kind === 'key' || kind === 'rl' || kind === 'use' || kind === 'cl') && isId('key', id)) push(perKey, id!, name);
    else if (kind === 'own' && isId('own', id)) push(owners, id!, name);
  }

  for (const bucket of buckets) {
    // Fields are raw 32-byte digests: read as Buffers (an object's keys would go through UTF-8).
    for (const digest of await redis.hkeysBuffer(bucket)) {
      const id = String(await redis.hget(bucket, digest));
      if (digest.length !== 32 || !isId('key', id)) continue;
      const ref = names.ref(digest);
      const olds = perKey.get(id) ?? [];
      perKey.delete(id);
      const record = `${old}key:${id}`;
      if (olds.includes(record)) {
        for (const from of olds) {
          await move(redis, from, newNameOfKeyData(names, ref, id, from.slice(old.length)));
          if (from !== record) await redis.del(from);
          report.copied += 1;
        }
        // The record learns its id (authenticate answers with it) and the id's shard learns where the key is.
        await redis.hset(names.key(ref), 'i', id);
        await redis.hset(names.ids(shardOfId(id)), id, ref.digest);
        await redis.del(record);
        report.keys += 1;
      }
      await redis.hdel(bucket, digest);
    }
  }
  for (const leftovers of perKey.values()) report.skipped.push(...leftovers);

  for (const [id, olds] of owners) {
    for (const from of olds) {
      const suffix = from.slice(`${old}own:${id}`.length);
      const to =
        suffix === '' ? names.owner(id) : suffix === ':keys' ? names.ownerKeys(id) : suffix === ':names' ? names.ownerNames(id) : null;
      if (!to) {
        report.skipped.push(from);
        continue;
      }
      await move(redis, from, to);
      await redis.del(from);
      report.copied += 1;
    }
    report.owners += 1;
  }
  return report;
}

/** `key:<id>`, `rl:<id>`, `use:<id>:<day>`, `cl:<id>:<hour>:<part>` → the same thing in the key's shard. */
function newNameOfKeyData(names: ReturnType<typeof keyStoreNames>, ref: KeyRef, id: string, rest: string): string {
  const [kind, , ...tail] = rest.split(':');
  if (kind === 'key') return names.key(ref);
  if (kind === 'rl') return names.rate(ref);
  if (kind === 'use') return names.usage(ref, Number(tail[0]));
  const hour = names.callers(ref, Number(tail[0]));
  const part = { a: hour.addresses, u: hour.userAgents, e: hour.endpoints, f: hour.firstSeen, d: hour.distinct, o: hour.others }[
    tail[1] ?? ''
  ];
  if (!part) throw new Error(`unexpected caller summary ${rest} of ${id}`);
  return part;
}

/** A copy across slots (COPY cannot on a cluster): the serialized value, its TTL kept. False when there was nothing to copy. */
export async function move(redis: RedisClient, from: string, to: string): Promise<boolean> {
  const [dump, pttl] = await Promise.all([redis.dumpBuffer(from), redis.pttl(from)]);
  if (dump === null || pttl === -2) return false;
  await redis.restore(to, pttl > 0 ? pttl : 0, dump, 'REPLACE');
  return true;
}

function push(map: Map<string, string[]>, id: string, name: string): void {
  const list = map.get(id);
  if (list) list.push(name);
  else map.set(id, [name]);
}

/** Every key matching `pattern`, on every master of a cluster. */
export async function scanAll(redis: RedisClient, pattern: string): Promise<string[]> {
  const nodes: Redis[] =
    'nodes' in redis && typeof (redis as Cluster).nodes === 'function' && (redis as Cluster).isCluster
      ? (redis as Cluster).nodes('master')
      : [redis as Redis];
  const out: string[] = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      out.push(...keys);
    } while (cursor !== '0');
  }
  return out;
}
