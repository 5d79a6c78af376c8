/**
 * `neevscan migrate-store`, the alert store's part: moves alerts from the one-slot layout (everything under `{al}`)
 * to the shards (alert-store-names.ts). Each alert goes whole to the shard its id names: its record and the keys
 * hanging off it are copied (DUMP/RESTORE, the names of indexes it keeps in its index set and assignee field
 * rewritten to the shard's), entered in the shard's indexes and its key's key → alert map, and only then are its
 * old keys and old index entries deleted, its entry in the old `all` index last. The old `all` index is the work
 * list: a run cut short and run again finishes the alerts still in it, and a second run moves nothing. Run it with
 * the service stopped (a copy replaces what the new layout holds under that name).
 */
import { isId } from './ids.js';
import { alertShardOfId, alertShardOfKey, alertStoreNames, type AlertStoreNames } from './alert-store-names.js';
import { move, scanAll } from './migrate-store.js';
import type { RedisClient } from './redis.js';

export interface AlertMigrationReport {
  alerts: number;
  /** Old keys copied to a new name (records, places, notifications, audit trails, …). */
  copied: number;
  /** Old keys left behind: an alert id without a record, anything the old layout holds that no moved alert owned. */
  skipped: string[];
}

/** What hangs off an alert record, by the suffix of its name (alert-store-names.ts). */
const PER_ALERT = ['', ':loc', ':lk', ':ntf', ':nst', ':ix', ':audit'];

export async function migrateAlertStore(redis: RedisClient, prefix: string): Promise<AlertMigrationReport> {
  const names = alertStoreNames(prefix);
  const report: AlertMigrationReport = { alerts: 0, copied: 0, skipped: [] };
  const work = `${names.legacyBase}all`;
  for (const id of await redis.zrange(work, 0, -1)) {
    if (!isId('alt', id)) report.skipped.push(`${work} ${id}`);
    else if (await moveAlert(redis, names, id, report)) report.alerts += 1;
  }
  // Whatever is left (empty indexes vanish on their own) was owned by no alert in the work list.
  for (const name of await scanAll(redis, `${names.legacyBase}*`)) if (name !== work) report.skipped.push(name);
  return report;
}

/** One alert, in the order described above. False when it has no record (left where it is, reported). */
async function moveAlert(redis: RedisClient, names: AlertStoreNames, id: string, report: AlertMigrationReport): Promise<boolean> {
  const old = names.legacyBase;
  const shard = alertShardOfId(id);
  const toShard = (name: string) => (name.startsWith(old) ? names.base(shard) + name.slice(old.length) : name);
  const toOld = (name: string) => (name.startsWith(names.base(shard)) ? old + name.slice(names.base(shard).length) : name);
  for (const suffix of PER_ALERT) {
    if (await move(redis, `${old}a:${id}${suffix}`, `${names.alert(id)}${suffix}`)) report.copied += 1;
  }
  // Index names kept as data: the shard's from now on.
  const ix = names.indexes(id);
  const indexes = (await redis.smembers(ix)).map((name) => [name, toShard(name)] as const).filter(([from, to]) => from !== to);
  for (const [from, to] of indexes) await redis.multi().srem(ix, from).sadd(ix, to).exec();
  const record = await redis.hgetall(names.alert(id));
  if (record.asx) await redis.hset(names.alert(id), 'asx', toShard(record.asx));
  if (!record.k || !record.f || !record.st) {
    report.skipped.push(`${old}a:${id}`);
    return false;
  }
  const member = await redis.smembers(ix);
  for (const index of [names.all(shard), names.state(shard, record.st), ...member]) await redis.zadd(index, record.f, id);
  await redis.hset(names.byKey(alertShardOfKey(record.k)), record.k, id);

  await redis.del(...PER_ALERT.map((suffix) => `${old}a:${id}${suffix}`));
  for (const index of [`${old}state:open`, `${old}state:resolved`, ...member.map(toOld)]) await redis.zrem(index, id);
  if ((await redis.hget(`${old}bykey`, record.k)) === id) await redis.hdel(`${old}bykey`, record.k);
  await redis.zrem(`${old}all`, id);
  return true;
}
