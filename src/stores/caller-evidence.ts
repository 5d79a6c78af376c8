import type { KeyRef, KeyStoreNames } from './key-store-names.js';
import type { RedisClient } from './redis.js';
import type { CallerCount, CallerEvidence, NewCaller } from './key-store.js';

/** What the gateway may tell about a request it authenticates (validated at the edge; never a body, never the key). */
export interface CallerContext {
  clientIp?: string;
  userAgent?: string;
  /** The endpoint or model name the request was for. */
  endpoint?: string;
}

const HOUR = 3_600_000;
/** "Seen before the exposure" looks this far back. */
export const LOOK_BACK_DAYS = 7;
/** The window read at most: its last 30 days (an alert left open for months). */
const MAX_WINDOW_HOURS = 30 * 24;
/** Entries listed per attribute in the answer. */
const LISTED = 10;

type Hourly = { counts: Map<string, number>; first: Map<string, number> };

/**
 * Reads the per-hour caller summaries (key-store-scripts.ts, RECORD_CALLER) of one key: the window from the
 * exposure's hour to `until`, and LOOK_BACK_DAYS before it. An address or user agent is new when no hour of the
 * look-back held it and, in the exposure's own hour, it was first seen at or after the exposure. One script.
 */
export async function readCallerEvidence(
  redis: RedisClient,
  names: KeyStoreNames,
  id: KeyRef,
  since: Date,
  until: Date,
  keptMs: number,
): Promise<CallerEvidence> {
  const exposedAt = since.getTime();
  const endAt = Math.max(exposedAt, until.getTime());
  // An exposure older than the window read (or than what is kept) is read from the window's own start.
  const lastHour = Math.floor(endAt / HOUR);
  const firstHour = Math.max(Math.floor(exposedAt / HOUR), lastHour - MAX_WINDOW_HOURS + 1);
  const oldestKept = Math.floor((Date.now() - keptMs) / HOUR);
  const lookBackFrom = Math.max(firstHour - LOOK_BACK_DAYS * 24, oldestKept);

  const { hours, values } = await readHours(redis, names, id, lookBackFrom, firstHour, lastHour);

  const before = { a: new Set<string>(), u: new Set<string>() };
  const window = { addresses: new Map<string, number>(), userAgents: new Map<string, number>(), endpoints: new Map<string, number>() };
  const firstSeen = { a: new Map<string, number>(), u: new Map<string, number>() };
  const others = { addresses: 0, userAgents: 0, endpoints: 0 };
  let at = 0;
  for (const hour of hours) {
    const firstFlat = values[at + 2] as string[];
    const addresses = hourly(values[at] as string[], firstFlat, 'a');
    const userAgents = hourly(values[at + 1] as string[], firstFlat, 'u');
    at += 3;
    if (hour < firstHour) {
      for (const value of addresses.counts.keys()) before.a.add(value);
      for (const value of userAgents.counts.keys()) before.u.add(value);
      continue;
    }
    const endpoints = pairs(values[at++] as string[]);
    const other = (values[at++] ?? {}) as Record<string, string>;
    others.addresses += Number(other['1'] ?? 0);
    others.userAgents += Number(other['2'] ?? 0);
    others.endpoints += Number(other['3'] ?? 0);
    for (const [tag, data, into] of [
      ['a', addresses, window.addresses],
      ['u', userAgents, window.userAgents],
    ] as const) {
      for (const [value, count] of data.counts) {
        into.set(value, (into.get(value) ?? 0) + count);
        const first = data.first.get(value) ?? hour * HOUR;
        // The exposure's own hour: what was first seen before the exposure was there before it.
        if (hour === firstHour && first < exposedAt) before[tag].add(value);
        const known = firstSeen[tag].get(value);
        if (known === undefined || first < known) firstSeen[tag].set(value, first);
      }
    }
    for (const [value, count] of endpoints) window.endpoints.set(value, (window.endpoints.get(value) ?? 0) + count);
  }
  const distinctAddresses = Number(values[at] ?? 0);

  const fresh = (tag: 'a' | 'u', counts: Map<string, number>): NewCaller[] =>
    [...counts]
      .filter(([value]) => !before[tag].has(value))
      .map(([value, requests]) => ({ value, requests, firstSeenAt: new Date(firstSeen[tag].get(value)!).toISOString() }))
      .sort((x, y) => x.firstSeenAt.localeCompare(y.firstSeenAt) || y.requests - x.requests);
  const newAddresses = fresh('a', window.addresses);
  const newUserAgents = fresh('u', window.userAgents);
  const firstNew = [...newAddresses, ...newUserAgents].map((c) => c.firstSeenAt).sort()[0] ?? null;
  return {
    since: since.toISOString(),
    until: new Date(endAt).toISOString(),
    lookBackDays: LOOK_BACK_DAYS,
    distinctAddresses,
    addresses: top(window.addresses),
    userAgents: top(window.userAgents),
    endpoints: top(window.endpoints),
    others,
    newAddresses: newAddresses.slice(0, LISTED),
    newUserAgents: newUserAgents.slice(0, LISTED),
    firstNewUseAt: firstNew,
    firstNewUseDelayMs: firstNew === null ? null : Math.max(0, Date.parse(firstNew) - exposedAt),
  };
}

/**
 * Reads the listed keys in one script: KEYS[i] with ARGV[i] = `z` (ZRANGE 0 -1 WITHSCORES) or `h` (HGETALL, flat);
 * the keys past the last ARGV are counted together with PFCOUNT, the last result. All of one key's hours share its
 * shard tag (one slot), as the pipeline's commands did.
 */
const READ_HOURS = `
local out = {}
for i = 1, #ARGV do
  if ARGV[i] == 'z' then out[i] = redis.call('ZRANGE', KEYS[i], 0, -1, 'WITHSCORES') else out[i] = redis.call('HGETALL', KEYS[i]) end
end
local hll = {}
for i = #ARGV + 1, #KEYS do hll[#hll + 1] = KEYS[i] end
out[#ARGV + 1] = redis.call('PFCOUNT', unpack(hll))
return out`;

/**
 * Each hour's address, user agent and first-seen sets from the look-back on, the window's endpoints and "others"
 * counts, and last the window's distinct-address count (HyperLogLog union). One script, not a pipeline: the look-back
 * alone is 7 × 24 hours of three sets, and ~500 commands cost the service ~10 ms of CPU (a notice per alert).
 */
async function readHours(redis: RedisClient, names: KeyStoreNames, id: KeyRef, lookBackFrom: number, firstHour: number, lastHour: number) {
  const keys: string[] = [];
  const kinds: string[] = [];
  const read = (key: string, kind: 'z' | 'h') => void (keys.push(key), kinds.push(kind));
  const hours: number[] = [];
  for (let hour = lookBackFrom; hour <= lastHour; hour++) {
    const k = names.callers(id, hour);
    hours.push(hour);
    read(k.addresses, 'z');
    read(k.userAgents, 'z');
    read(k.firstSeen, 'z');
    if (hour >= firstHour) {
      read(k.endpoints, 'z');
      read(k.others, 'h');
    }
  }
  for (let hour = firstHour; hour <= lastHour; hour++) keys.push(names.callers(id, hour).distinct);
  const rows = (await redis.eval(READ_HOURS, keys.length, ...keys, ...kinds)) as unknown[];
  // HGETALL's flat pairs as the object the pipeline's hgetall gave.
  const values = rows.map((row, i) => (kinds[i] === 'h' ? Object.fromEntries(pairsOf(row as string[])) : row));
  return { hours, values };
}

function pairsOf(flat: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

/** One hour's sorted set (value → count) with its first-seen times (members tagged `a…` / `u…` in the first-seen set). */
function hourly(flat: string[], firstFlat: string[], tag: 'a' | 'u'): Hourly {
  const first = new Map<string, number>();
  for (const [member, at] of pairs(firstFlat)) if (member.startsWith(tag)) first.set(member.slice(1), at);
  return { counts: new Map(pairs(flat)), first };
}

function pairs(flat: string[] | null | undefined): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  if (!flat) return out;
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, Number(flat[i + 1])]);
  return out;
}

function top(counts: Map<string, number>): CallerCount[] {
  return [...counts]
    .map(([value, requests]) => ({ value, requests }))
    .sort((x, y) => y.requests - x.requests || x.value.localeCompare(y.value))
    .slice(0, LISTED);
}
