/**
 * Lua scripts of the Redis broker. Each runs atomically inside Redis, so epoch creation, offset
 * assignment, the idempotency record, the stream append and the pub/sub fan-out can never be
 * seen half done by another node.
 *
 * Keys of one channel share the hash tag `{channel}` (channel names cannot contain braces), so a
 * script only touches one cluster slot:
 *   meta   hash  epoch, top          — the stream position; its TTL never ends before the stream's
 *   hist   stream, entry ID `<offset>-0`, field `p` = publication body JSON
 *   k:KEY  string "<epoch> <offset>" — idempotency record, PX = dedupe window
 *
 * Why the offset is the stream ID: XRANGE/XREVRANGE then seek by offset directly (`<since+1>-0`),
 * the first retained ID says how far history reaches back, and there is no second index to keep in
 * sync. The cost, the built-in millisecond timestamp, is replaced by `time` inside the body (the
 * TTL is applied on read; the key's EXPIRE only bounds memory).
 *
 * "Meta gone" (expired, FLUSHALL, Redis restarted empty) creates a new epoch and drops whatever
 * stream is left, so a client's old position can never match data it has not seen: it gets
 * `recovered: false`, never wrong data.
 */

/**
 * Shared prelude: returns epoch, top and whether the meta was created now.
 * touch(meta, hist, candidateEpoch, ttlMs): ttlMs > 0 sets the TTL on creation and only ever
 * extends it afterwards (PEXPIRE GT leaves a key without TTL alone).
 */
const TOUCH = `
local function touch(meta, hist, candidate, ttl)
  local epoch = redis.call('HGET', meta, 'epoch')
  if epoch then
    if ttl > 0 then redis.call('PEXPIRE', meta, ttl, 'GT') end
    return epoch, tonumber(redis.call('HGET', meta, 'top') or '0'), false
  end
  redis.call('DEL', hist)
  redis.call('HSET', meta, 'epoch', candidate, 'top', 0)
  if ttl > 0 then redis.call('PEXPIRE', meta, ttl) end
  return candidate, 0, true
end
`;

/**
 * KEYS: meta, hist, dedupe key. ARGV: candidate epoch, body JSON, size, history TTL ms (0 = none),
 * meta TTL ms (0 = none), has key ("1"/"0"), dedupe ms, pub/sub channel, trim ("=" or "~").
 * Returns { epoch, offset, duplicate (0/1) }.
 */
export const APPEND_LUA = `${TOUCH}
local meta, hist, dkey = KEYS[1], KEYS[2], KEYS[3]
local size, ttl, metaTtl = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local epoch = touch(meta, hist, ARGV[1], 0)
if ARGV[6] == '1' then
  local seen = redis.call('GET', dkey)
  if seen then
    local sep = string.find(seen, ' ', 1, true)
    -- A record from an older epoch describes lost history: append again under the new one.
    if sep and string.sub(seen, 1, sep - 1) == epoch then
      return { epoch, tonumber(string.sub(seen, sep + 1)), 1 }
    end
  end
end
local top = redis.call('HINCRBY', meta, 'top', 1)
local offset = string.format('%d', top)
if size > 0 then
  redis.call('XADD', hist, 'MAXLEN', ARGV[9], size, offset .. '-0', 'p', ARGV[2])
  if ttl > 0 then redis.call('PEXPIRE', hist, ttl) else redis.call('PERSIST', hist) end
else
  redis.call('DEL', hist)
end
-- The meta must outlive the stream, or a new epoch would start beside old entries.
if ttl > 0 and metaTtl > 0 then
  redis.call('PEXPIRE', meta, math.max(ttl, metaTtl))
else
  redis.call('PERSIST', meta)
end
if ARGV[6] == '1' then
  redis.call('SET', dkey, epoch .. ' ' .. offset, 'PX', ARGV[7])
end
redis.call('PUBLISH', ARGV[8],
  '{"type":"pub","epoch":"' .. epoch .. '","offset":' .. offset .. ',"body":' .. ARGV[2] .. '}')
return { epoch, top, 0 }
`;

/** KEYS: meta, hist. ARGV: candidate epoch, meta TTL ms. Returns { epoch, top }. */
export const POSITION_LUA = `${TOUCH}
local epoch, top = touch(KEYS[1], KEYS[2], ARGV[1], tonumber(ARGV[2]))
return { epoch, top }
`;

/**
 * KEYS: meta, hist. ARGV: candidate epoch, meta TTL ms, since epoch ("" = no since), since
 * offset, limit. Returns { epoch, top, entries } where entries are XRANGE replies: with since
 * (same epoch) the forward page after it, without since the newest `limit` (newest first).
 */
export const HISTORY_LUA = `${TOUCH}
local epoch, top = touch(KEYS[1], KEYS[2], ARGV[1], tonumber(ARGV[2]))
local limit, since = tonumber(ARGV[5]), tonumber(ARGV[4])
local entries = {}
if limit > 0 then
  if ARGV[3] == '' then
    entries = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', limit)
  elseif ARGV[3] == epoch and since < top then
    entries = redis.call('XRANGE', KEYS[2], string.format('%d', since + 1) .. '-0', '+', 'COUNT', limit)
  end
end
return { epoch, top, entries }
`;

/** KEYS: zset (member = client, score = expiry ms), info hash. ARGV: client, info JSON, expiry ms, ttl ms. */
export const PRESENCE_ADD_LUA = `
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
local ttl = tonumber(ARGV[4])
for _, key in ipairs(KEYS) do
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end
return 1
`;

/**
 * KEYS: zset, info hash. ARGV: now ms. Drops expired entries, returns the info JSON of the rest.
 * Members go through `unpack` in chunks: Lua's stack would overflow on a very large channel.
 */
export const PRESENCE_LIST_LUA = `
local CHUNK = 500
local function chunks(list, fn)
  local out = {}
  for i = 1, #list, CHUNK do
    local part = fn({ unpack(list, i, math.min(i + CHUNK - 1, #list)) })
    for _, v in ipairs(part) do out[#out + 1] = v end
  end
  return out
end
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if #expired > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
  chunks(expired, function(part) redis.call('HDEL', KEYS[2], unpack(part)); return {} end)
end
local live = redis.call('ZRANGE', KEYS[1], 0, -1)
return chunks(live, function(part) return redis.call('HMGET', KEYS[2], unpack(part)) end)
`;
