import { GENESIS_HEX_DIGITS } from "../shared/epoch.js";

/**
 * Lua scripts of the Redis broker. Each runs atomically inside Redis, so epoch creation, offset
 * assignment, the idempotency record, the stream append and the pub/sub fan-out can never be
 * seen half done by another node.
 *
 * Keys of one channel share the hash tag `{channel}` (channel names cannot contain braces), so a
 * script only touches one cluster slot:
 *   meta   hash  epoch, top, sid     — the stream position and the store id it was written under;
 *                                      its TTL never ends before the stream's
 *   hist   stream, entry ID `<offset>-0`, field `p` = publication body JSON
 *   k:KEY  string "<epoch> <offset>" — idempotency record, PX = dedupe window
 *
 * Why the offset is the stream ID: XRANGE/XREVRANGE then seek by offset directly (`<since+1>-0`),
 * the first retained ID says how far history reaches back, and there is no second index to keep in
 * sync. The cost, the built-in millisecond timestamp, is replaced by `time` inside the body (the
 * TTL is applied on read; the key's EXPIRE only bounds memory).
 *
 * Reads create no key of the channel: without a meta (never published, expired, FLUSHALL, Redis
 * restarted empty) a channel reports its genesis epoch (shared/epoch.ts) and no publications; the
 * first append writes the meta under that epoch and drops whatever stream was left, so a client's
 * old position can never match data it has not seen: it gets `recovered: false`, never wrong data.
 * The store key (see PRELUDE) is the one key a read may create: one per store or cluster slot.
 */

/**
 * Shared prelude.
 *
 * store(key, candidate): the store id of the channel's slot (one key per store on a plain Redis,
 * one per hash slot on a cluster, so a script only touches its slot). It is created on first use
 * and REPLACED by `candidate` whenever the master's replication id differs from the one recorded
 * with it: a replica promoted after a failover (or a master restarted from its files) may lack
 * writes the old master acknowledged, so every channel of that slot must get a new epoch. The
 * replication id is read inside the script (INFO is allowed there), so a client that does not
 * know it talks to another server cannot skip the check.
 *
 * look(store, meta, channel, candidate, lifetime): epoch, top, whether the meta exists, store id —
 * writing nothing for a channel without meta (its genesis epoch, shared/epoch.ts). A meta written
 * under another store id is moved to the current one with the current genesis epoch: offsets
 * continue, but no client position from before can match it.
 */
const PRELUDE = `
local function replid()
  return string.match(redis.call('INFO', 'replication'), 'master_replid:(%w+)') or ''
end
local function store(key, candidate)
  local rid = replid()
  local s = redis.call('HMGET', key, 'id', 'rid')
  if s[1] and s[2] == rid then return s[1] end
  redis.call('HSET', key, 'id', candidate, 'rid', rid)
  return candidate
end
local function genesis(sid, channel, lifetime)
  local period = 0
  if lifetime > 0 then
    local t = redis.call('TIME')
    period = math.floor((tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)) / lifetime)
  end
  return string.sub(redis.sha1hex(sid .. ':' .. string.format('%d', period) .. ':' .. channel), 1, ${GENESIS_HEX_DIGITS})
end
local function look(skey, meta, channel, candidate, lifetime)
  local sid = store(skey, candidate)
  local m = redis.call('HMGET', meta, 'epoch', 'top', 'sid')
  if not m[1] then return genesis(sid, channel, lifetime), 0, false, sid end
  local epoch = m[1]
  if m[3] ~= sid then
    if m[3] then epoch = genesis(sid, channel, lifetime) end
    redis.call('HSET', meta, 'epoch', epoch, 'sid', sid)
  end
  return epoch, tonumber(m[2] or '0'), true, sid
end
`;

/**
 * KEYS: store, meta, hist, dedupe key. ARGV: candidate store id, body JSON, size, history TTL ms
 * (0 = none), meta TTL ms (0 = none), has key ("1"/"0"), dedupe ms, pub/sub channel, trim ("="
 * or "~"), channel, publish command (PUBLISH, or SPUBLISH on a cluster).
 * Returns { epoch, offset, duplicate (0/1) }.
 */
export const APPEND_LUA = `${PRELUDE}
local meta, hist, dkey = KEYS[2], KEYS[3], KEYS[4]
local size, ttl, metaTtl = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local epoch, _, exists, sid = look(KEYS[1], meta, ARGV[10], ARGV[1], metaTtl)
if not exists then
  -- A stream left without its meta (the meta deleted or evicted alone) proves this channel had a
  -- history under its genesis epoch: start a random one, and drop the stream nobody can continue.
  if redis.call('EXISTS', hist) == 1 then epoch = ARGV[1] end
  redis.call('DEL', hist)
  redis.call('HSET', meta, 'epoch', epoch, 'top', 0, 'sid', sid)
end
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
redis.call(ARGV[11], ARGV[8],
  '{"type":"pub","epoch":"' .. epoch .. '","offset":' .. offset .. ',"body":' .. ARGV[2] .. '}')
return { epoch, top, 0 }
`;

/**
 * KEYS: store, meta. ARGV: candidate store id, meta TTL ms, channel. Returns { epoch, top }. A
 * read only ever extends the meta's TTL (PEXPIRE GT leaves a key without TTL alone).
 */
export const POSITION_LUA = `${PRELUDE}
local ttl = tonumber(ARGV[2])
local epoch, top, exists = look(KEYS[1], KEYS[2], ARGV[3], ARGV[1], ttl)
if exists and ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl, 'GT') end
return { epoch, top }
`;

/**
 * KEYS: store, meta, hist. ARGV: candidate store id, meta TTL ms, since epoch ("" = no since),
 * since offset, limit, channel. Returns { epoch, top, entries } where entries are XRANGE replies:
 * with since (same epoch) the forward page after it, without since the newest `limit` (newest
 * first); none for a channel without meta.
 */
export const HISTORY_LUA = `${PRELUDE}
local ttl = tonumber(ARGV[2])
local epoch, top, exists = look(KEYS[1], KEYS[2], ARGV[6], ARGV[1], ttl)
local limit, since = tonumber(ARGV[5]), tonumber(ARGV[4])
local entries = {}
if exists then
  if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl, 'GT') end
  if limit > 0 then
    if ARGV[3] == '' then
      entries = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', limit)
    elseif ARGV[3] == epoch and since < top then
      entries = redis.call('XRANGE', KEYS[3], string.format('%d', since + 1) .. '-0', '+', 'COUNT', limit)
    end
  end
end
return { epoch, top, entries }
`;

/** KEYS: store. ARGV: candidate store id. Creates (or rotates) the store id; returns it. */
export const STORE_LUA = `${PRELUDE}
return store(KEYS[1], ARGV[1])
`;

/*
 * Presence (Broker.presenceAdd …): per channel, in its slot, `members` (hash: client → "<node>
 * <info JSON>") and `member-nodes` (hash: node → how many of the channel's members it holds). The
 * node records are one sorted set `<prefix>:nodes` (node → liveness expiry, ms), the one key
 * outside the channel's slot: a node renews its record once per refresh, not its entries.
 */

/** KEYS: members, member-nodes. ARGV: client, node, "<node> <info JSON>". */
export const PRESENCE_ADD_LUA = `
local prev = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
if prev then
  local was = string.match(prev, '^[^ ]*')
  if was == ARGV[2] then return 0 end
  if redis.call('HINCRBY', KEYS[2], was, -1) <= 0 then redis.call('HDEL', KEYS[2], was) end
end
redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
return 1
`;

/** KEYS: members, member-nodes. ARGV: client. */
export const PRESENCE_REMOVE_LUA = `
local prev = redis.call('HGET', KEYS[1], ARGV[1])
if not prev then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
local was = string.match(prev, '^[^ ]*')
if redis.call('HINCRBY', KEYS[2], was, -1) <= 0 then redis.call('HDEL', KEYS[2], was) end
return 1
`;

/**
 * KEYS: members, member-nodes. ARGV: the live nodes. Counts the live nodes' members; the members
 * of dead nodes are deleted (one pass over the hash, once per dead node and channel). Members go
 * through \`unpack\` in chunks: Lua's stack would overflow on a very large channel.
 */
const PRESENCE_LIVE = `
local live = {}
for _, n in ipairs(ARGV) do live[n] = true end
local counts = redis.call('HGETALL', KEYS[2])
local dead, anyDead, total = {}, false, 0
for i = 1, #counts, 2 do
  if live[counts[i]] then total = total + tonumber(counts[i + 1])
  else dead[counts[i]] = true; anyDead = true end
end
if anyDead then
  local all = redis.call('HGETALL', KEYS[1])
  local gone = {}
  for i = 1, #all, 2 do
    if dead[string.match(all[i + 1], '^[^ ]*')] then gone[#gone + 1] = all[i] end
  end
  for i = 1, #gone, 500 do
    redis.call('HDEL', KEYS[1], unpack(gone, i, math.min(i + 499, #gone)))
  end
  for n in pairs(dead) do redis.call('HDEL', KEYS[2], n) end
end
`;

/** KEYS: members, member-nodes. ARGV: the live nodes. → the number of live members. */
export const PRESENCE_COUNT_LUA = `${PRESENCE_LIVE}
return total
`;

/** KEYS: members, member-nodes. ARGV: the live nodes. → "<node> <info JSON>" of every live member. */
export const PRESENCE_LIST_LUA = `${PRESENCE_LIVE}
return redis.call('HVALS', KEYS[1])
`;

/**
 * KEYS: the node records. ARGV: node, now ms, expiry ms. Renews the node, drops expired ones;
 * returns 1 when this node's record had lapsed or did not exist (its members may be gone).
 */
export const PRESENCE_KEEPALIVE_LUA = `
local prev = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
if prev and tonumber(prev) > tonumber(ARGV[2]) then return 0 end
return 1
`;
