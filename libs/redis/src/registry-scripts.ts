/**
 * The request registry's state changes, each one Lua script so it is atomic in Redis: whoever
 * runs it first (a gateway, a sweeper, the result recorder) decides, the others see the result.
 * Keys of other requests are built from ARGV prefixes (and a request's handle key is read from its
 * hash, so its lifetime follows the request's), so the registry needs a single Redis (or a
 * cluster with one hash slot per prefix), not a sharded cluster.
 */

/**
 * KEYS: request, deadlines, idempotency key (the request key again when there is none), handle
 * key (the request key again when there is none).
 * ARGV: id, route, gateway, deadline, now, pending ttl ms, fingerprint, idempotency ttl s,
 * has idempotency key (1/0), request key prefix, mode, caller id ('' when anonymous),
 * has handle (1/0).
 * Returns {verdict, id}: new | duplicate (the id is taken) | conflict / replay (the key's request).
 */
export const ADMIT = `
if ARGV[9] == '1' then
  local held = redis.call('HMGET', KEYS[3], 'fp', 'id')
  if held[1] then
    if held[1] ~= ARGV[7] then return {'conflict', held[2]} end
    -- A key whose request has expired from the registry starts over.
    if redis.call('EXISTS', ARGV[10] .. held[2]) == 1 then return {'replay', held[2]} end
  end
end
if redis.call('EXISTS', KEYS[1]) == 1 then return {'duplicate', ARGV[1]} end
redis.call('HSET', KEYS[1], 'status', 'pending', 'route', ARGV[2], 'gateway', ARGV[3], 'deadline', ARGV[4], 'created', ARGV[5], 'mode', ARGV[11])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
if ARGV[12] ~= '' then redis.call('HSET', KEYS[1], 'caller', ARGV[12]) end
if ARGV[13] == '1' then
  redis.call('HSET', KEYS[1], 'handleKey', KEYS[4])
  redis.call('SET', KEYS[4], ARGV[1], 'PX', ARGV[6])
end
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
if ARGV[9] == '1' then
  redis.call('HSET', KEYS[3], 'fp', ARGV[7], 'id', ARGV[1])
  redis.call('EXPIRE', KEYS[3], ARGV[8])
end
return {'new', ARGV[1]}`;

/**
 * Undo ADMIT for a request Kafka never accepted, so a retry with the same key is processed.
 * KEYS: request, deadlines, idempotency key. ARGV: id, has idempotency key. The request's handle
 * key (named in its hash) goes too.
 */
export const FORGET = `
local handle = redis.call('HGET', KEYS[1], 'handleKey')
if handle then redis.call('DEL', handle) end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if ARGV[2] == '1' and redis.call('HGET', KEYS[3], 'id') == ARGV[1] then redis.call('DEL', KEYS[3]) end
return 1`;

/**
 * Record the processor's outcome, only over `pending`: a result after a timeout is counted as
 * late and changes nothing else. KEYS: request, deadlines.
 * ARGV: id, status, code, content type, body, now, result ttl s.
 * Returns recorded | late | again (already recorded) | unknown.
 */
export const COMPLETE = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 'unknown' end
if status == 'pending' then
  redis.call('HSET', KEYS[1], 'status', ARGV[2], 'code', ARGV[3], 'contentType', ARGV[4], 'body', ARGV[5], 'finished', ARGV[6])
  redis.call('EXPIRE', KEYS[1], ARGV[7])
  local handle = redis.call('HGET', KEYS[1], 'handleKey')
  if handle then redis.call('EXPIRE', handle, ARGV[7]) end
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 'recorded'
end
if status == 'timed_out' then
  redis.call('HINCRBY', KEYS[1], 'lateResults', 1)
  return 'late'
end
return 'again'`;

/**
 * The caller's gateway reached the deadline: time the request out unless an outcome is already
 * there, and queue its timeout record for the sweepers. KEYS: request, deadlines, outbox.
 * ARGV: id, now, result ttl s. Returns the entry (HGETALL) after the change; empty if unknown.
 */
export const EXPIRE_ONE = `
if redis.call('HGET', KEYS[1], 'status') == 'pending' then
  redis.call('HSET', KEYS[1], 'status', 'timed_out', 'finished', ARGV[2], 'reason', 'gateway')
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  local handle = redis.call('HGET', KEYS[1], 'handleKey')
  if handle then redis.call('EXPIRE', handle, ARGV[3]) end
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
end
return redis.call('HGETALL', KEYS[1])`;

/**
 * A sweep: time out every pending request past its deadline (up to a batch), then claim the
 * timeout records due for publishing for claim ms (a sweeper that dies before publishing leaves
 * them to be claimed again). KEYS: deadlines, outbox.
 * ARGV: now, batch, claim ms, request key prefix, result ttl s.
 * Returns {expired, id, route, deadline, finished, reason, id, …}.
 */
export const SWEEP = `
local now = tonumber(ARGV[1])
local expired = 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, ARGV[2])) do
  redis.call('ZREM', KEYS[1], id)
  local key = ARGV[4] .. id
  if redis.call('HGET', key, 'status') == 'pending' then
    redis.call('HSET', key, 'status', 'timed_out', 'finished', ARGV[1], 'reason', 'sweeper')
    redis.call('EXPIRE', key, ARGV[5])
    local handle = redis.call('HGET', key, 'handleKey')
    if handle then redis.call('EXPIRE', handle, ARGV[5]) end
    redis.call('ZADD', KEYS[2], ARGV[1], id)
    expired = expired + 1
  end
end
local out = {expired}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, ARGV[2])) do
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), id)
  local f = redis.call('HMGET', ARGV[4] .. id, 'route', 'deadline', 'finished', 'reason')
  table.insert(out, id)
  for i = 1, 4 do table.insert(out, f[i] or '') end
end
return out`;
