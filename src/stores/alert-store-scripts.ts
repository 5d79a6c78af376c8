/**
 * The alert store's Lua scripts. Each runs atomically in Redis, which is what
 * makes recording an exposure idempotent under redelivery and concurrency: one
 * alert per key however many workers see it at once, each location once.
 * Times arrive as ms strings and are stored as given (no Lua float formatting).
 */

/** keyStatus only moves forward: a late, stale 'active' never undoes a 'revoked'. */
const RANK = `local RANK = { active = 0, expired = 1, revoked = 2 }`;

/**
 * KEYS: 1 record, 2 its filter-index set, 3 location identities, 4 locations, 5 audit, 6 all, 7 state:open,
 *       8 state:resolved, 9 key → alert map, 10 owner index (all of the alert's shard); 11 … 10+P the new place's
 *       indexes (repository if any, source); 11+P … the filter indexes the caller believes the alert is in (update).
 * ARGV: 1 'create' | 'update', 2 keyId, 3 alert id (create: a new one naming this shard; update: the key's alert),
 *       4 ownerId, 5 hint, 6 sha256, 7 keyStatus, 8 revokedAt ms or '', 9 latency ms or '', 10 seenAt ms,
 *       11 pushedAt ms or '', 12 receivedAt ms, 13 location identity, 14 location JSON, 15 location cap,
 *       16 identity cap, 17 keyName or '', 18 P, 19 audit entry (JSON) for a reopen, 20 audit cap, 21 now ms,
 *       22 committedAt ms or ''.
 * The location JSON is stored as given (the store picks its fields, a partner report's `partnerSource`
 * included), never parsed here, so a new location field needs no change to the script.
 * A new place is added to the filter indexes (repository, source). A new place of a key that is still
 * active reopens a `wont_fix` alert (GitHub's rule: won't-fix stands for the places known when it was
 * decided), with an audit entry; any other resolution stands.
 * No name is built or read here that is not in KEYS: an earlier firstSeenAt re-scores the alert in every index of
 * its set, so those must all be declared; when one is not, nothing is written and the set's members come back for
 * the caller to call again with.
 * Returns {'ok', alertId, created 0|1, newLocation 0|1, reopened 0|1}; {'exists', alertId} (create: the key has
 * an alert already); {'missing', alertId} (update: no such record); {'stale', index…} (update: undeclared indexes).
 */
export const RECORD_EXPOSURE = `
${RANK}
local REC, IX, LK, LOC, AUDIT, ALL, OPEN, RESOLVED, BYKEY, OWNER = unpack(KEYS, 1, 10)
local places = tonumber(ARGV[18])
local id = ARGV[3]
local created = 0
if ARGV[1] == 'create' then
  local existing = redis.call('HGET', BYKEY, ARGV[2])
  if existing then return {'exists', existing} end
  created = 1
  redis.call('HSET', BYKEY, ARGV[2], id)
  redis.call('HSET', REC, 'k', ARGV[2], 'o', ARGV[4], 'h', ARGV[5], 'sh', ARGV[6], 'st', 'open', 'ks', ARGV[7], 'f', ARGV[10], 'rc', ARGV[12], 'n', 0)
  if ARGV[11] ~= '' then redis.call('HSET', REC, 'pa', ARGV[11]) end
  if ARGV[17] ~= '' then redis.call('HSET', REC, 'kn', ARGV[17]) end
  if ARGV[22] ~= '' then redis.call('HSET', REC, 'ca', ARGV[22]) end
  redis.call('ZADD', ALL, ARGV[10], id)
  redis.call('ZADD', OPEN, ARGV[10], id)
  redis.call('ZADD', OWNER, ARGV[10], id)
  redis.call('SADD', IX, OWNER)
else
  local old = redis.call('HMGET', REC, 'f', 'pa', 'rc', 'ks', 'st')
  if not old[1] then return {'missing', id} end
  if tonumber(ARGV[10]) < tonumber(old[1]) then
    local declared = {}
    for i = 11 + places, #KEYS do declared[KEYS[i]] = true end
    local indexes = redis.call('SMEMBERS', IX)
    for _, index in ipairs(indexes) do
      if not declared[index] then return {'stale', unpack(indexes)} end
    end
    redis.call('HSET', REC, 'f', ARGV[10])
    redis.call('ZADD', ALL, ARGV[10], id)
    redis.call('ZADD', old[5] == 'resolved' and RESOLVED or OPEN, ARGV[10], id)
    for _, index in ipairs(indexes) do redis.call('ZADD', index, ARGV[10], id) end
  end
  if ARGV[11] ~= '' and (not old[2] or tonumber(ARGV[11]) < tonumber(old[2])) then redis.call('HSET', REC, 'pa', ARGV[11]) end
  if ARGV[22] ~= '' then
    local ca = redis.call('HGET', REC, 'ca')
    if not ca or tonumber(ARGV[22]) < tonumber(ca) then redis.call('HSET', REC, 'ca', ARGV[22]) end
  end
  if tonumber(ARGV[12]) < tonumber(old[3]) then redis.call('HSET', REC, 'rc', ARGV[12]) end
  if (RANK[ARGV[7]] or 0) > (RANK[old[4]] or 0) then redis.call('HSET', REC, 'ks', ARGV[7]) end
end
-- The first revocation wins; its latency goes with it.
if ARGV[8] ~= '' and redis.call('HSETNX', REC, 'ra', ARGV[8]) == 1 and ARGV[9] ~= '' then
  redis.call('HSET', REC, 'lat', ARGV[9])
end
local newLocation = 0
if redis.call('SISMEMBER', LK, ARGV[13]) == 0 then
  newLocation = 1
  if redis.call('SCARD', LK) < tonumber(ARGV[16]) then redis.call('SADD', LK, ARGV[13]) end
  redis.call('HINCRBY', REC, 'n', 1)
  if redis.call('LLEN', LOC) < tonumber(ARGV[15]) then redis.call('RPUSH', LOC, ARGV[14]) end
  local f = redis.call('HGET', REC, 'f')
  for i = 11, 10 + places do
    redis.call('ZADD', KEYS[i], f, id)
    redis.call('SADD', IX, KEYS[i])
  end
end
local reopened = 0
if newLocation == 1 and created == 0 then
  local now = redis.call('HMGET', REC, 'st', 'rs', 'ks', 'f')
  if now[1] == 'resolved' and now[2] == 'wont_fix' and now[3] == 'active' then
    reopened = 1
    redis.call('HSET', REC, 'st', 'open', 'roa', ARGV[21])
    redis.call('HDEL', REC, 'rs', 'rsa', 'rsb', 'rsc')
    redis.call('ZREM', RESOLVED, id)
    redis.call('ZADD', OPEN, now[4], id)
    redis.call('RPUSH', AUDIT, ARGV[19])
    redis.call('LTRIM', AUDIT, -tonumber(ARGV[20]), -1)
  end
end
return {'ok', id, created, newLocation, reopened}
`;

/** The alert as GET_ALERT returns it (KEYS 1 record, 2 locations, 3 notifications): writes answer with it. */
const ALERT_REPLY = `{redis.call('HGETALL', KEYS[1]), redis.call('LRANGE', KEYS[2], 0, -1), redis.call('LRANGE', KEYS[3], 0, -1)}`;

/**
 * KEYS: 1 record, 2 locations, 3 notifications. ARGV: revokedAt ms, latency ms or ''. First revocation wins.
 * Returns 0 for an unknown alert, else the alert as GET_ALERT does (no second round trip to read it back).
 */
export const MARK_REVOKED = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'ks', 'revoked')
if redis.call('HSETNX', KEYS[1], 'ra', ARGV[1]) == 1 and ARGV[2] ~= '' then
  redis.call('HSET', KEYS[1], 'lat', ARGV[2])
end
return ${ALERT_REPLY}
`;

/**
 * KEYS: 1 record, 2 locations, 3 notifications. ARGV: 1 status ('verified', 'still_authenticates', 'failed'),
 * 2 checked at ms. The outcome of proving the key's revocation: `verified` sets verifiedRevokedAt; a key found still
 * authenticating clears it (an earlier proof no longer holds). Returns 0 for an unknown alert, else the alert as
 * GET_ALERT does.
 */
export const MARK_VERIFICATION = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'vs', ARGV[1], 'vat', ARGV[2])
if ARGV[1] == 'verified' then redis.call('HSET', KEYS[1], 'vra', ARGV[2])
elseif ARGV[1] == 'still_authenticates' then redis.call('HDEL', KEYS[1], 'vra') end
return ${ALERT_REPLY}
`;

/**
 * KEYS: 1 record, 2 locations, 3 notifications. Returns {record as HGETALL's flat list, locations, notifications}:
 * an alert whole in one round trip (a MULTI of three reads was three replies and a transaction's framing).
 */
export const GET_ALERT = `
return ${ALERT_REPLY}
`;
