/**
 * The alert store's Lua scripts. Each runs atomically in Redis, which is what
 * makes recording an exposure idempotent under redelivery and concurrency: one
 * alert per key however many workers see it at once, each location once.
 * Times arrive as ms strings and are stored as given (no Lua float formatting).
 */

/** keyStatus only moves forward: a late, stale 'active' never undoes a 'revoked'. */
const RANK = `local RANK = { active = 0, expired = 1, revoked = 2 }`;

/**
 * KEYS: byKey, all.
 * ARGV: 1 base, 2 keyId, 3 new alert id, 4 ownerId, 5 hint, 6 sha256, 7 keyStatus,
 *       8 revokedAt ms or '', 9 latency ms or '', 10 seenAt ms, 11 pushedAt ms or '',
 *       12 receivedAt ms, 13 location identity, 14 location JSON, 15 location cap, 16 identity cap.
 *       17 keyName or '', 18 owner index key, 19 repo index key or '', 20 source index key,
 *       21 audit entry (JSON) for a reopen, 22 audit cap, 23 now ms, 24 committedAt ms or ''.
 * The location JSON is stored as given (the store picks its fields, a partner report's `partnerSource`
 * included), never parsed here, so a new location field needs no change to the script.
 * A new place is added to the filter indexes (repository, source). A new place of a key that is still
 * active reopens a `wont_fix` alert (GitHub's rule: won't-fix stands for the places known when it was
 * decided), with an audit entry; any other resolution stands.
 * Returns {alertId, created 0|1, newLocation 0|1, reopened 0|1}.
 */
export const RECORD_EXPOSURE = `
${RANK}
local id = redis.call('HGET', KEYS[1], ARGV[2])
local created = 0
local rec
if not id then
  id = ARGV[3]
  created = 1
  rec = ARGV[1] .. 'a:' .. id
  redis.call('HSET', KEYS[1], ARGV[2], id)
  redis.call('HSET', rec, 'k', ARGV[2], 'o', ARGV[4], 'h', ARGV[5], 'sh', ARGV[6], 'st', 'open', 'ks', ARGV[7], 'f', ARGV[10], 'rc', ARGV[12], 'n', 0)
  if ARGV[11] ~= '' then redis.call('HSET', rec, 'pa', ARGV[11]) end
  if ARGV[17] ~= '' then redis.call('HSET', rec, 'kn', ARGV[17]) end
  if ARGV[24] ~= '' then redis.call('HSET', rec, 'ca', ARGV[24]) end
  redis.call('ZADD', KEYS[2], ARGV[10], id)
  redis.call('ZADD', ARGV[1] .. 'state:open', ARGV[10], id)
  redis.call('ZADD', ARGV[18], ARGV[10], id)
  redis.call('SADD', rec .. ':ix', ARGV[18])
else
  rec = ARGV[1] .. 'a:' .. id
  local old = redis.call('HMGET', rec, 'f', 'pa', 'rc', 'ks', 'st')
  if tonumber(ARGV[10]) < tonumber(old[1]) then
    redis.call('HSET', rec, 'f', ARGV[10])
    redis.call('ZADD', KEYS[2], ARGV[10], id)
    redis.call('ZADD', ARGV[1] .. 'state:' .. old[5], ARGV[10], id)
    for _, index in ipairs(redis.call('SMEMBERS', rec .. ':ix')) do redis.call('ZADD', index, ARGV[10], id) end
  end
  if ARGV[11] ~= '' and (not old[2] or tonumber(ARGV[11]) < tonumber(old[2])) then redis.call('HSET', rec, 'pa', ARGV[11]) end
  if ARGV[24] ~= '' then
    local ca = redis.call('HGET', rec, 'ca')
    if not ca or tonumber(ARGV[24]) < tonumber(ca) then redis.call('HSET', rec, 'ca', ARGV[24]) end
  end
  if tonumber(ARGV[12]) < tonumber(old[3]) then redis.call('HSET', rec, 'rc', ARGV[12]) end
  if (RANK[ARGV[7]] or 0) > (RANK[old[4]] or 0) then redis.call('HSET', rec, 'ks', ARGV[7]) end
end
-- The first revocation wins; its latency goes with it.
if ARGV[8] ~= '' and redis.call('HSETNX', rec, 'ra', ARGV[8]) == 1 and ARGV[9] ~= '' then
  redis.call('HSET', rec, 'lat', ARGV[9])
end
local newLocation = 0
local ids = rec .. ':lk'
if redis.call('SISMEMBER', ids, ARGV[13]) == 0 then
  newLocation = 1
  if redis.call('SCARD', ids) < tonumber(ARGV[16]) then redis.call('SADD', ids, ARGV[13]) end
  redis.call('HINCRBY', rec, 'n', 1)
  local locs = rec .. ':loc'
  if redis.call('LLEN', locs) < tonumber(ARGV[15]) then redis.call('RPUSH', locs, ARGV[14]) end
  local f = redis.call('HGET', rec, 'f')
  for _, index in ipairs({ARGV[19], ARGV[20]}) do
    if index ~= '' then
      redis.call('ZADD', index, f, id)
      redis.call('SADD', rec .. ':ix', index)
    end
  end
end
local reopened = 0
if newLocation == 1 and created == 0 then
  local now = redis.call('HMGET', rec, 'st', 'rs', 'ks', 'f')
  if now[1] == 'resolved' and now[2] == 'wont_fix' and now[3] == 'active' then
    reopened = 1
    redis.call('HSET', rec, 'st', 'open', 'roa', ARGV[23])
    redis.call('HDEL', rec, 'rs', 'rsa', 'rsb', 'rsc')
    redis.call('ZREM', ARGV[1] .. 'state:resolved', id)
    redis.call('ZADD', ARGV[1] .. 'state:open', now[4], id)
    redis.call('RPUSH', rec .. ':audit', ARGV[21])
    redis.call('LTRIM', rec .. ':audit', -tonumber(ARGV[22]), -1)
  end
end
return {id, created, newLocation, reopened}
`;

/** KEYS: record. ARGV: revokedAt ms, latency ms or ''. Returns 0 for an unknown alert. First revocation wins. */
export const MARK_REVOKED = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'ks', 'revoked')
if redis.call('HSETNX', KEYS[1], 'ra', ARGV[1]) == 1 and ARGV[2] ~= '' then
  redis.call('HSET', KEYS[1], 'lat', ARGV[2])
end
return 1
`;

/**
 * KEYS: record. ARGV: 1 status ('verified', 'still_authenticates', 'failed'), 2 checked at ms.
 * The outcome of proving the key's revocation: `verified` sets verifiedRevokedAt; a key found still
 * authenticating clears it (an earlier proof no longer holds). Returns 0 for an unknown alert.
 */
export const MARK_VERIFICATION = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'vs', ARGV[1], 'vat', ARGV[2])
if ARGV[1] == 'verified' then redis.call('HSET', KEYS[1], 'vra', ARGV[2])
elseif ARGV[1] == 'still_authenticates' then redis.call('HDEL', KEYS[1], 'vra') end
return 1
`;
