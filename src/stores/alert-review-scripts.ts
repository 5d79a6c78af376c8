/**
 * The alert store's review and query scripts. A review action changes the
 * record, moves the alert between the state indexes and appends its audit
 * entry in one step, so the audit trail never disagrees with the alert and
 * two people acting at once see one win and the other refused.
 * Times arrive as ms strings; audit entries arrive as JSON built by the store.
 */

/** Every review script starts here: 0 for an unknown alert. KEYS[1] is the record, KEYS[2] its audit trail. */
const LOAD = `
local st = redis.call('HGET', KEYS[1], 'st')
if not st then return 0 end
`;

/** Appends the audit entry (ARGV[a]) and keeps the newest ARGV[a + 1]. */
const AUDIT = (entry: number) => `
redis.call('RPUSH', KEYS[2], ARGV[${entry}])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[${entry + 1}]), -1)
`;

/**
 * KEYS: record, audit, state:open, state:resolved (the alert's shard).
 * ARGV: 1 id, 2 resolution, 3 comment or '', 4 actor name, 5 at ms, 6 audit JSON, 7 audit cap.
 * Returns 1, 0 unknown, -1 already resolved.
 */
export const RESOLVE = `
${LOAD}
if st == 'resolved' then return -1 end
local f = redis.call('HGET', KEYS[1], 'f')
redis.call('HSET', KEYS[1], 'st', 'resolved', 'rs', ARGV[2], 'rsa', ARGV[5], 'rsb', ARGV[4])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'rsc', ARGV[3]) else redis.call('HDEL', KEYS[1], 'rsc') end
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZADD', KEYS[4], f, ARGV[1])
${AUDIT(6)}
return 1
`;

/**
 * KEYS: record, audit, state:open, state:resolved. ARGV: 1 id, 2 at ms, 3 audit JSON, 4 audit cap.
 * Returns 1, 0 unknown, -1 already open.
 */
export const REOPEN = `
${LOAD}
if st == 'open' then return -1 end
local f = redis.call('HGET', KEYS[1], 'f')
redis.call('HSET', KEYS[1], 'st', 'open', 'roa', ARGV[2])
redis.call('HDEL', KEYS[1], 'rs', 'rsa', 'rsb', 'rsc')
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('ZADD', KEYS[3], f, ARGV[1])
${AUDIT(3)}
return 1
`;

/**
 * KEYS: 1 record, 2 audit, 3 its filter-index set, then the new assignee's index (when ARGV[2] is not ''), then the
 * index the caller read as the current assignee's (when ARGV[3] is not '').
 * ARGV: 1 id, 2 assignee or '' (nobody), 3 the current assignee index the caller read, or '' for none,
 *       4 audit JSON, 5 audit cap.
 * Returns 1, 0 unknown, -1 unchanged (the same assignee: no audit entry), -2 the assignee changed since the caller
 * read it (nothing written: read and call again).
 */
export const ASSIGN = `
${LOAD}
local old = redis.call('HMGET', KEYS[1], 'as', 'asx')
if (old[1] or '') == ARGV[2] then return -1 end
if (old[2] or '') ~= ARGV[3] then return -2 end
if old[2] then
  redis.call('ZREM', KEYS[#KEYS], ARGV[1])
  redis.call('SREM', KEYS[3], KEYS[#KEYS])
end
if ARGV[2] == '' then
  redis.call('HDEL', KEYS[1], 'as', 'asx')
else
  redis.call('HSET', KEYS[1], 'as', ARGV[2], 'asx', KEYS[4])
  redis.call('ZADD', KEYS[4], redis.call('HGET', KEYS[1], 'f'), ARGV[1])
  redis.call('SADD', KEYS[3], KEYS[4])
end
${AUDIT(4)}
return 1
`;

/** KEYS: record, audit. ARGV: 1 audit JSON, 2 audit cap. Returns 1, 0 unknown. */
export const COMMENT = `
${LOAD}
${AUDIT(1)}
return 1
`;

/**
 * Lua compares strings with strcoll, which follows Redis' locale; sorted sets
 * order members byte by byte. Ties at a cursor are cut in the sets' order.
 */
const BYTE_ORDER = `
local function before(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end
`;

/** Of the sets in KEYS[from..], the one with the fewest members: the cheapest to walk. */
const SMALLEST = `
local function smallest(from)
  local best, card = from, nil
  for i = from, #KEYS do
    local c = redis.call('ZCARD', KEYS[i])
    if card == nil or c < card then best, card = i, c end
  end
  return best, card
end
`;

/**
 * A page of alerts newest first, in every set of KEYS (the filters), within a
 * score range. Walks the smallest set and checks the others, so the cost is
 * bounded by the most selective filter; and by ARGV[6] entries examined, after
 * which it stops with a cursor where it got to (a short page that is not the last).
 * ARGV: 1 max score ('+inf', '(ms' or 'ms'), 2 min score, 3 cursor score or '' (entries at it are
 *       skipped unless their id sorts before ARGV[4]), 4 cursor id, 5 matches wanted, 6 scan cap.
 * Returns {status 'done'|'full'|'cut', last examined id, its score, entries examined, id1, score1, id2, score2…}.
 */
export const LIST_ALERTS = `
${BYTE_ORDER}
${SMALLEST}
local best, card = smallest(1)
local out = {}
local want, cap = tonumber(ARGV[5]), tonumber(ARGV[6])
local tie = ARGV[3] ~= '' and tonumber(ARGV[3]) or nil
local examined, offset = 0, 0
local lastId, lastScore = '', ''
if card == 0 then return {'done', '', '', 0} end
-- One set: every entry matches, so a batch of what is wanted (plus a few a cursor's tie may skip) is enough.
local batch = #KEYS == 1 and math.min(want + 8, 256) or 256
while true do
  local rows = redis.call('ZREVRANGEBYSCORE', KEYS[best], ARGV[1], ARGV[2], 'WITHSCORES', 'LIMIT', offset, batch)
  if #rows == 0 then break end
  offset = offset + #rows / 2
  for i = 1, #rows, 2 do
    local id, score = rows[i], rows[i + 1]
    if not (tie and tonumber(score) == tie and not before(id, ARGV[4])) then
      examined = examined + 1
      lastId, lastScore = id, score
      local match = true
      for k = 1, #KEYS do
        if k ~= best and not redis.call('ZSCORE', KEYS[k], id) then
          match = false
          break
        end
      end
      if match then
        out[#out + 1] = id
        out[#out + 1] = score
        if #out >= want * 2 then return {'full', lastId, lastScore, examined, unpack(out)} end
      end
      if examined >= cap then return {'cut', lastId, lastScore, examined, unpack(out)} end
    end
  end
end
return {'done', lastId, lastScore, examined, unpack(out)}
`;

/**
 * Alerts per state within a score range, in every filter set of KEYS[3..]
 * (KEYS[1], KEYS[2]: the open and resolved sets). With no filter it is two
 * ZCOUNTs; with filters it walks the smallest, up to ARGV[3] entries, and then
 * says the counts are at least what it found.
 * ARGV: 1 max score, 2 min score, 3 scan cap. Returns {open, resolved, complete 1|0}.
 */
export const COUNT_ALERTS = `
${SMALLEST}
if #KEYS == 2 then
  return {redis.call('ZCOUNT', KEYS[1], ARGV[2], ARGV[1]), redis.call('ZCOUNT', KEYS[2], ARGV[2], ARGV[1]), 1}
end
local best, card = smallest(3)
local open, resolved, examined, offset = 0, 0, 0, 0
local cap = tonumber(ARGV[3])
while card > 0 do
  local ids = redis.call('ZREVRANGEBYSCORE', KEYS[best], ARGV[1], ARGV[2], 'LIMIT', offset, 512)
  if #ids == 0 then break end
  offset = offset + #ids
  for _, id in ipairs(ids) do
    examined = examined + 1
    local match = true
    for k = 3, #KEYS do
      if k ~= best and not redis.call('ZSCORE', KEYS[k], id) then
        match = false
        break
      end
    end
    if match then
      if redis.call('ZSCORE', KEYS[1], id) then open = open + 1
      elseif redis.call('ZSCORE', KEYS[2], id) then resolved = resolved + 1 end
    end
    if examined >= cap then return {open, resolved, 0} end
  end
end
return {open, resolved, 1}
`;
