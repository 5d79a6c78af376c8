/**
 * Lua scripts of the notifier's delivery state (delivery-state.ts). Each runs
 * atomically in Redis, which is what makes "one successful delivery per
 * channel per notice" hold across retries, stalled jobs and a second worker:
 * a channel is claimed before it is sent and marked sent right after, and a
 * claim or a retry never touches a channel already sent.
 *
 * Entries of the alert's notifications list are JSON objects
 * `{channel, notice, status, attempts, at, error?}`, matched by (channel,
 * notice) and rewritten in place with LSET; the notify-state hash holds the
 * rest:
 *   d        notices taken so far
 *   dl       places covered by them (the alert's `n` when the last one was taken)
 *   da       when the last notice was taken (ms): follow-ups wait on it
 *   fp, fpt  the job id of the pending notice and when it was scheduled (ms)
 *   fq       follow-up job id sequence
 *   job:<jobId>   "number,from,to": the notice that job took, so its retries send the same one
 *   c:<notice>:<channel>   when the channel was last claimed (ms)
 */

/**
 * KEYS: nst. ARGV: 1 alertId, 2 now ms, 3 first-notice delay ms, 4 follow-up interval ms, 5 stale ms.
 * Returns {jobId, delay ms}: the job to add (adding it again is a no-op while it is kept).
 */
export const SCHEDULE_NOTICE = `
local now = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'fp', 'fpt', 'd', 'da')
local id = state[1]
if (not id) or (now - tonumber(state[2] or '0') > tonumber(ARGV[5])) then
  if (not id) and (not state[3]) then
    id = 'alert-' .. ARGV[1]
  else
    id = 'alert-' .. ARGV[1] .. '-' .. redis.call('HINCRBY', KEYS[1], 'fq', 1)
  end
  redis.call('HSET', KEYS[1], 'fp', id, 'fpt', ARGV[2])
end
local delay = tonumber(ARGV[3])
if state[3] and state[4] then
  local wait = tonumber(state[4]) + tonumber(ARGV[4]) - now
  if wait > delay then delay = wait end
end
return {id, delay}
`;

/**
 * KEYS: alert record, nst. ARGV: 1 jobId, 2 now ms.
 * Returns "number,from,to" (the job's notice: places [from, to) by recording
 * order), '' when there is nothing new to tell, nil for an unknown alert.
 */
export const TAKE_NOTICE = `
local taken = redis.call('HGET', KEYS[2], 'job:' .. ARGV[1])
if taken then return taken end
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
if redis.call('HGET', KEYS[2], 'fp') == ARGV[1] then redis.call('HDEL', KEYS[2], 'fp', 'fpt') end
local n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
local covered = tonumber(redis.call('HGET', KEYS[2], 'dl') or '0')
if n <= covered then return '' end
local number = redis.call('HINCRBY', KEYS[2], 'd', 1)
local value = number .. ',' .. covered .. ',' .. n
redis.call('HSET', KEYS[2], 'dl', n, 'da', ARGV[2], 'job:' .. ARGV[1], value)
return value
`;

const FIND_ENTRY = `
local function find(list, channel, notice)
  local entries = redis.call('LRANGE', list, 0, -1)
  for i, raw in ipairs(entries) do
    local e = cjson.decode(raw)
    if e.channel == channel and e.notice == notice then return i - 1, e end
  end
  return nil, nil
end
`;

/**
 * KEYS: ntf list, nst. ARGV: 1 channel, 2 notice, 3 now ms, 4 now ISO, 5 lease ms.
 * Returns {'claimed', attempts} (send it now), {'done', status} (sent, failed
 * or skipped already: leave it), or {'busy', attempts} (another worker holds a
 * live claim).
 */
export const CLAIM_CHANNEL = `
${FIND_ENTRY}
local notice = tonumber(ARGV[2])
local claimField = 'c:' .. ARGV[2] .. ':' .. ARGV[1]
local index, e = find(KEYS[1], ARGV[1], notice)
if e then
  if e.status == 'sent' or e.status == 'failed' or e.status == 'skipped' then return {'done', e.status} end
  local claimed = tonumber(redis.call('HGET', KEYS[2], claimField) or '0')
  if e.status == 'sending' and tonumber(ARGV[3]) - claimed < tonumber(ARGV[5]) then return {'busy', e.attempts} end
  e.attempts = e.attempts + 1
  e.status = 'sending'
  e.at = ARGV[4]
  redis.call('LSET', KEYS[1], index, cjson.encode(e))
else
  e = { channel = ARGV[1], notice = notice, status = 'sending', attempts = 1, at = ARGV[4] }
  redis.call('RPUSH', KEYS[1], cjson.encode(e))
end
redis.call('HSET', KEYS[2], claimField, ARGV[3])
return {'claimed', e.attempts}
`;

/**
 * KEYS: ntf list, nst. ARGV: 1 channel, 2 notice, 3 status, 4 now ISO, 5 error class or ''.
 * Sets the channel's status. A channel already sent stays sent (a stale
 * worker's late failure changes nothing); `skipped` is only ever written once,
 * as a new entry. Returns 1 when written, 0 when left as it was.
 */
export const SETTLE_CHANNEL = `
${FIND_ENTRY}
local notice = tonumber(ARGV[2])
local index, e = find(KEYS[1], ARGV[1], notice)
if e then
  if e.status == 'sent' or ARGV[3] == 'skipped' then return 0 end
  e.status = ARGV[3]
  e.at = ARGV[4]
  if ARGV[5] == '' then e.error = nil else e.error = ARGV[5] end
  redis.call('LSET', KEYS[1], index, cjson.encode(e))
else
  e = { channel = ARGV[1], notice = notice, status = ARGV[3], attempts = 0, at = ARGV[4] }
  if ARGV[5] ~= '' then e.error = ARGV[5] end
  redis.call('RPUSH', KEYS[1], cjson.encode(e))
end
redis.call('HDEL', KEYS[2], 'c:' .. ARGV[2] .. ':' .. ARGV[1])
return 1
`;
