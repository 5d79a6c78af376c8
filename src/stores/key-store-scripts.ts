/**
 * The key store's Lua scripts. Each runs atomically in Redis, which is what makes a revoke visible to every gateway
 * process at once (there is no cache), a name unique per owner, and a rate limit spent exactly once per request.
 * Times come from Redis' own clock (TIME), so all processes agree.
 *
 * Sharding (docs/SCALING-stores.md): every script touches one hash slot and gets every key name in KEYS; none builds
 * a name. A key's own data shares its shard tag `{k:XY}`; an owner's names and listing share `{o:<id>}`. An operation
 * that spans both (create, rotate, replace, revoke) is two or three single-slot steps, ordered so that a crash between
 * them leaves nothing a reader trusts (redis-key-store.ts says which, step by step).
 */

const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * The owner's side of making a key (create, rotate, replace): the name now points at the new id, which joins the
 * owner's listing. KEYS: owner, ownerNames, ownerKeys. ARGV: newId, name, the id allowed to hold the name now ('' none:
 * create; the old key: replace), force ('1': rotate, which always hands the name on).
 * Returns {1, now}; {0} no such owner; {-1, holderId} the name belongs to another key.
 */
export const CLAIM_NAME = `
${NOW}
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
local holder = redis.call('HGET', KEYS[2], ARGV[2])
if holder and holder ~= ARGV[3] and ARGV[4] ~= '1' then return {-1, holder} end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[3], now, ARGV[1])
return {1, now}
`;

/**
 * Frees a name if (and only if) `id` still holds it: after a revoke, and to heal a claim whose key was never written.
 * KEYS: ownerNames, ownerKeys. ARGV: name, id, dropListing ('1': also take the id out of the listing). Returns 1 freed, 0 not.
 */
export const RELEASE_NAME = `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
if ARGV[3] == '1' then redis.call('ZREM', KEYS[2], ARGV[2]) end
return 1
`;

/**
 * The old key's side of a rotate, deciding it (a second rotate finds rotatedTo set). KEYS: oldRecord.
 * ARGV: newId, graceMs. Returns {1, ownerId, name, rl or '', rw or ''}; {0} no such key; {-1} not rotatable.
 */
export const MARK_ROTATED = `
${NOW}
local old = redis.call('HMGET', KEYS[1], 'o', 'n', 's', 'e', 'rt', 'rl', 'rw')
if not old[1] then return {0} end
if old[3] == 'r' or old[5] or (old[4] and tonumber(old[4]) <= now) then return {-1} end
local graceEnd = now + tonumber(ARGV[2])
if old[4] and tonumber(old[4]) < graceEnd then graceEnd = tonumber(old[4]) end
redis.call('HSET', KEYS[1], 'e', graceEnd, 'rt', ARGV[1])
return {1, old[1], old[2], old[6] or '', old[7] or ''}
`;

/**
 * The old key's side of a replace, deciding it (once per key). KEYS: oldRecord. ARGV: newId.
 * Returns {1, ownerId, name, rl or '', rw or '', canary or '', label or ''}; {0} no such key; {-1} still active;
 * {-2, id} already replaced (or rotated) by id.
 */
export const MARK_REPLACED = `
${NOW}
local old = redis.call('HMGET', KEYS[1], 'o', 'n', 's', 'e', 'rp', 'rt', 'rl', 'rw', 'cy', 'cl')
if not old[1] then return {0} end
if old[5] then return {-2, old[5]} end
if old[6] then return {-2, old[6]} end
if old[3] ~= 'r' and not (old[4] and tonumber(old[4]) <= now) then return {-1} end
redis.call('HSET', KEYS[1], 'rp', ARGV[1])
return {1, old[1], old[2], old[7] or '', old[8] or '', old[9] or '', old[10] or ''}
`;

/** Undoes MARK_REPLACED when the owner's side refused (the name taken): only the mark this call made. KEYS: oldRecord. ARGV: newId. */
export const UNMARK_REPLACED = `
if redis.call('HGET', KEYS[1], 'rp') == ARGV[1] then redis.call('HDEL', KEYS[1], 'rp') end
return 1
`;

/**
 * One authenticated request's caller, counted in its key's hour. Bounded: each of the three sorted sets keeps its top
 * ARGV[5] entries; an entry pushed out (the lowest count) goes to the "others" hash. Never the key, never a body.
 * KEYS: addresses, userAgents, endpoints, firstSeen, distinct (HyperLogLog), others.
 * ARGV: address, userAgent, endpoint ('' when not given), now (ms), topN, ttlSeconds.
 */
export const RECORD_CALLER = `
local topN = tonumber(ARGV[5])
local function count(slot, member, tag)
  if member == '' then return end
  local z = KEYS[slot]
  if tonumber(redis.call('ZINCRBY', z, 1, member)) ~= 1 then return end
  if tag ~= '' then redis.call('ZADD', KEYS[4], 'NX', ARGV[4], tag .. member) end
  local size = redis.call('ZCARD', z)
  if size == 1 then
    redis.call('EXPIRE', z, ARGV[6])
    if tag ~= '' then redis.call('EXPIRE', KEYS[4], ARGV[6]) end
  end
  if size > topN then
    local out = redis.call('ZPOPMIN', z)
    if redis.call('HINCRBY', KEYS[6], slot, out[2]) == tonumber(out[2]) then redis.call('EXPIRE', KEYS[6], ARGV[6]) end
    if tag ~= '' then redis.call('ZREM', KEYS[4], tag .. out[1]) end
  end
end
count(1, ARGV[1], 'a')
count(2, ARGV[2], 'u')
count(3, ARGV[3], '')
if ARGV[1] ~= '' and redis.call('PFADD', KEYS[5], ARGV[1]) == 1 then redis.call('EXPIRE', KEYS[5], ARGV[6]) end
return 1
`;

/**
 * The key's side of a revoke. KEYS: record. ARGV: reason, by. Idempotent: a revoked key keeps its first revocation.
 * Returns 0 (no such key) or the record as it now stands ({field, value, …}), so the caller needs no second read and
 * knows the owner and name whose index it frees next (RELEASE_NAME).
 */
export const REVOKE_KEY = `
${NOW}
local rec = redis.call('HMGET', KEYS[1], 'o', 's')
if not rec[1] then return 0 end
if rec[2] ~= 'r' then redis.call('HSET', KEYS[1], 's', 'r', 'ra', now, 'rr', ARGV[1], 'rb', ARGV[2]) end
return redis.call('HGETALL', KEYS[1])
`;

/**
 * The gateway's hot path, one round trip on one slot: the key's record is named by the sha256 of the key, so no index
 * is read first. KEYS: record, rate, usage (the caller's day). ARGV: tokens, defaultRequests, defaultWindowSeconds,
 * usageTtlSeconds, hour of that day (the caller's clock picks the usage bucket, whose name it had to build), probe ('1' or absent).
 * Returns {0} not an active key; {1, keyId, ownerId} allowed; {2, retryAfterMs} rate limit spent;
 * {3, keyId, ownerId} an active canary (the caller is told "not an active key"; nothing is counted on it).
 * A probe (the leak detector proving a revocation) takes the same decision on whether the key authenticates and
 * stops before the rate limit: it spends no request, counts no usage and leaves lastUsedAt as it was.
 * The rate limit is GCRA (one timestamp per key): a burst of up to the limit, then one request per window/limit.
 */
export const AUTHENTICATE = `
local rec = redis.call('HMGET', KEYS[1], 'i', 'o', 's', 'e', 'rl', 'rw', 'cy')
if not rec[1] or rec[3] ~= 'a' then return {0} end
${NOW}
if rec[4] and tonumber(rec[4]) <= now then return {0} end
if ARGV[6] == '1' then return {1, rec[1], rec[2]} end
if rec[7] then return {3, rec[1], rec[2]} end
local limit = tonumber(rec[5] or ARGV[2])
local window = tonumber(rec[6] or ARGV[3]) * 1000
local interval = window / limit
local tat = tonumber(redis.call('GET', KEYS[2]) or now)
if tat < now then tat = now end
local newTat = tat + interval
local allowAt = newTat - window
if now < allowAt then return {2, math.ceil(allowAt - now)} end
redis.call('SET', KEYS[2], newTat, 'PX', math.ceil(newTat - now) + 1000)
if redis.call('HINCRBY', KEYS[3], 'r' .. ARGV[5], 1) == 1 then redis.call('EXPIRE', KEYS[3], ARGV[4]) end
local tokens = tonumber(ARGV[1])
if tokens > 0 then redis.call('HINCRBY', KEYS[3], 't' .. ARGV[5], tokens) end
redis.call('HSET', KEYS[1], 'u', now)
return {1, rec[1], rec[2]}
`;
