/**
 * The key store's Lua scripts. Each runs atomically in Redis, which is what
 * makes a revoke visible to every gateway process at once (there is no cache),
 * a name unique per owner, and a rate limit spent exactly once per request.
 * Times come from Redis' own clock (TIME), so all processes agree.
 */

const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** KEYS: owner, ownerNames, record, indexBucket, ownerKeys. ARGV: id, name, last4, shaRaw, rl, rw, expiresAt, ownerId. */
export const CREATE_KEY = `
${NOW}
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
if redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[1]) == 0 then return {-1} end
redis.call('HSET', KEYS[3], 'o', ARGV[8], 'n', ARGV[2], 'h', ARGV[3], 's', 'a', 'c', now)
if ARGV[5] ~= '' then redis.call('HSET', KEYS[3], 'rl', ARGV[5], 'rw', ARGV[6]) end
if ARGV[7] ~= '' then redis.call('HSET', KEYS[3], 'e', ARGV[7]) end
redis.call('HSET', KEYS[4], ARGV[4], ARGV[1])
redis.call('ZADD', KEYS[5], now, ARGV[1])
return {1, now}
`;

/** KEYS: oldRecord, ownerNames, newRecord, indexBucket, ownerKeys. ARGV: newId, last4, shaRaw, graceMs. */
export const ROTATE_KEY = `
${NOW}
local old = redis.call('HMGET', KEYS[1], 'o', 'n', 's', 'e', 'rt', 'rl', 'rw')
if not old[1] then return {0} end
if old[3] == 'r' or old[5] or (old[4] and tonumber(old[4]) <= now) then return {-1} end
redis.call('HSET', KEYS[3], 'o', old[1], 'n', old[2], 'h', ARGV[2], 's', 'a', 'c', now)
if old[6] then redis.call('HSET', KEYS[3], 'rl', old[6], 'rw', old[7]) end
local graceEnd = now + tonumber(ARGV[4])
if old[4] and tonumber(old[4]) < graceEnd then graceEnd = tonumber(old[4]) end
redis.call('HSET', KEYS[1], 'e', graceEnd, 'rt', ARGV[1])
redis.call('HSET', KEYS[2], old[2], ARGV[1])
redis.call('HSET', KEYS[4], ARGV[3], ARGV[1])
redis.call('ZADD', KEYS[5], now, ARGV[1])
return {1, now}
`;

/**
 * KEYS: record. ARGV: base (the names' prefix), id, reason, by. Idempotent: a revoked key keeps its first revocation.
 * Returns 0 (no such key) or the record as it now stands ({field, value, …}), so the caller needs no second read.
 */
export const REVOKE_KEY = `
${NOW}
local rec = redis.call('HMGET', KEYS[1], 'o', 'n', 's')
if not rec[1] then return 0 end
if rec[3] ~= 'r' then
  redis.call('HSET', KEYS[1], 's', 'r', 'ra', now, 'rr', ARGV[3], 'rb', ARGV[4])
  local names = ARGV[1] .. 'own:' .. rec[1] .. ':names'
  if redis.call('HGET', names, rec[2]) == ARGV[2] then redis.call('HDEL', names, rec[2]) end
end
return redis.call('HGETALL', KEYS[1])
`;

/**
 * A key by the SHA-256 of its secret, in one round trip (the leak detector's confirm step). KEYS: indexBucket.
 * ARGV: base, shaRaw. Returns 0 (no such key) or {keyId, {field, value, …}}.
 */
export const FIND_BY_HASH = `
local id = redis.call('HGET', KEYS[1], ARGV[2])
if not id then return 0 end
return {id, redis.call('HGETALL', ARGV[1] .. 'key:' .. id)}
`;

/**
 * The gateway's hot path, one round trip. KEYS: indexBucket.
 * ARGV: base, shaRaw, tokens, defaultRequests, defaultWindowSeconds, usageTtlSeconds, probe ('1' or absent).
 * Returns {0} not an active key; {1, keyId, ownerId} allowed; {2, retryAfterMs} rate limit spent.
 * A probe (the leak detector proving a revocation) takes the same decision on whether the key authenticates and
 * stops before the rate limit: it spends no request, counts no usage and leaves lastUsedAt as it was.
 * The rate limit is GCRA (one timestamp per key): a burst of up to the limit, then one request per window/limit.
 */
export const AUTHENTICATE = `
local id = redis.call('HGET', KEYS[1], ARGV[2])
if not id then return {0} end
local record = ARGV[1] .. 'key:' .. id
local rec = redis.call('HMGET', record, 'o', 's', 'e', 'rl', 'rw')
if not rec[1] or rec[2] ~= 'a' then return {0} end
${NOW}
if rec[3] and tonumber(rec[3]) <= now then return {0} end
if ARGV[7] == '1' then return {1, id, rec[1]} end
local limit = tonumber(rec[4] or ARGV[4])
local window = tonumber(rec[5] or ARGV[5]) * 1000
local interval = window / limit
local rateKey = ARGV[1] .. 'rl:' .. id
local tat = tonumber(redis.call('GET', rateKey) or now)
if tat < now then tat = now end
local newTat = tat + interval
local allowAt = newTat - window
if now < allowAt then return {2, math.ceil(allowAt - now)} end
redis.call('SET', rateKey, newTat, 'PX', math.ceil(newTat - now) + 1000)
local day = math.floor(now / 86400000)
local hour = math.floor((now % 86400000) / 3600000)
local usage = ARGV[1] .. 'use:' .. id .. ':' .. day
if redis.call('HINCRBY', usage, 'r' .. hour, 1) == 1 then redis.call('EXPIRE', usage, ARGV[6]) end
local tokens = tonumber(ARGV[3])
if tokens > 0 then redis.call('HINCRBY', usage, 't' .. hour, tokens) end
redis.call('HSET', record, 'u', now)
return {1, id, rec[1]}
`;
