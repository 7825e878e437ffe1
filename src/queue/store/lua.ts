// The Redis store's own Lua scripts. They touch only keys spindle owns,
// `spindle:{<queue>}:*`, never BullMQ's (so any bullmq 5 in the peer range
// works with them): group turns, group slots, the rate-limit logs and the
// remembered jobIds. Every script gets the key prefix as ARGV[1] and one
// real key (the prefix's `config`) as KEYS[1], so the hash tag routes them.
//
// Keys (P = the prefix):
//   P..'jobs'      HASH  id -> "<score> <addedAt> <bytes of group> <group><JSON {name, data, opts}>"
//                        of every group job spindle holds; the JSON goes once BullMQ has the job
//   P..'pending'   ZSET  id by addedAt: group jobs waiting for their group's turn
//   P..'gp:'..g    ZSET  id by priority rank then arrival: group g's waiting jobs
//   P..'delayed'   ZSET  id by due time: group jobs whose `delay` has not passed
//   P..'ring'      LIST  groups that may start a job now, in turn order
//   P..'where'     HASH  group -> 'r' (in the ring), 'f' (full), 'l' (limited)
//   P..'limited'   ZSET  group by when its groupLimiter lets it start again
//   P..'active'    HASH  group -> slots held
//   P..'slots'     ZSET  id by next check: group jobs holding a slot (from their turn to their end for good)
//   P..'backoff'   SET   ids of slot holders waiting out a retry's backoff (not counted against the window)
//   P..'starts'    ZSET  start times for `limiter`;  P..'gs:'..g the same for group g's `groupLimiter`
//   P..'ids'       ZSET  callers' jobIds by when they were added (remembered for keep.jobIds)
//   P..'nodes'     ZSET  node id by expiry;  P..'capacity' HASH node id -> concurrency
//   P..'config'    HASH  conc (0: no limit), gmax, gdur, check (ms between slot checks)
//   P..'seq'       counter for generated ids and arrival order

const HELPERS = `
local rcall = redis.call
local P = ARGV[1]

local function conf()
  local c = rcall('HMGET', P .. 'config', 'conc', 'gmax', 'gdur', 'check')
  local conc = tonumber(c[1] or '0') or 0
  if conc <= 0 then conc = math.huge end
  return conc, tonumber(c[2] or ''), tonumber(c[3] or ''), tonumber(c[4] or '') or 10000
end

-- 0 when a start at t keeps every span of dur within max starts (the log
-- in key included), else how long to wait. The same rule as windowWait()
-- in src/queue/limits.ts.
local function windowWait(key, t, max, dur)
  local s = rcall('ZRANGEBYSCORE', key, '(' .. (t - dur), '(' .. (t + dur), 'WITHSCORES')
  local v = {}
  for i = 2, #s, 2 do v[#v + 1] = tonumber(s[i]) end
  local n = #v
  local i = 0
  while i < n and v[i + 1] <= t do i = i + 1 end
  local wait = 0
  for k = 0, max do
    local first = i - k
    local last = i + (max - k) - 1
    if first >= 0 and last < n then
      local lo = t
      if k > 0 then lo = v[first + 1] end
      local hi = t
      if k < max then hi = v[last + 1] end
      if hi - lo < dur then
        local w = lo + dur - t
        if w > wait then wait = w end
      end
    end
  end
  if wait > 0 then return math.max(1, math.ceil(wait)) end
  return 0
end

local function record(key, t, uid, dur)
  rcall('ZADD', key, t, uid)
  rcall('ZREMRANGEBYSCORE', key, '-inf', '(' .. (t - 2 * dur))
end

-- a value of P..'jobs': "<score> <addedAt> <bytes of group> <group><JSON>";
-- the group's length marks where it ends (a group name may hold any
-- character but ':'), the JSON is '' once BullMQ has the job
local function split(m)
  local score, added, len, at = string.match(m, '^(%S+) (%S+) (%d+) ()')
  local stop = at + tonumber(len)
  return tonumber(score), tonumber(added), string.sub(m, at, stop - 1), string.sub(m, stop), stop
end

local function metaOf(id)
  local m = rcall('HGET', P .. 'jobs', id)
  if not m then return nil end
  local score, added, group = split(m)
  return score, added, group
end

-- the JSON of a job not yet handed to BullMQ, else ''
local function jsonOf(id)
  local m = rcall('HGET', P .. 'jobs', id)
  if not m then return '' end
  local _, _, _, json = split(m)
  return json
end

-- BullMQ has these slot holders now: their JSON copies go (ARGV[from..to])
local function handed(from, to)
  for i = from, to do
    local id = ARGV[i]
    local m = rcall('HGET', P .. 'jobs', id)
    if m and rcall('ZSCORE', P .. 'slots', id) then
      local _, _, _, json, stop = split(m)
      if json ~= '' then rcall('HSET', P .. 'jobs', id, string.sub(m, 1, stop - 1)) end
    end
  end
end

local function store(id, score, now, group, json)
  rcall('HSET', P .. 'jobs', id, string.format('%.17g %.17g %d %s%s', score, now, #group, group, json))
end

-- a group not in the ring or the limited set goes where it belongs
local function place(g, now, conc, gmax, gdur)
  if rcall('ZCARD', P .. 'gp:' .. g) == 0 then
    rcall('HDEL', P .. 'where', g)
    return
  end
  local active = tonumber(rcall('HGET', P .. 'active', g) or '0')
  if active >= conc then
    rcall('HSET', P .. 'where', g, 'f')
    return
  end
  if gmax then
    local w = windowWait(P .. 'gs:' .. g, now, gmax, gdur)
    if w > 0 then
      rcall('HSET', P .. 'where', g, 'l')
      rcall('ZADD', P .. 'limited', now + w, g)
      return
    end
  end
  rcall('HSET', P .. 'where', g, 'r')
  rcall('RPUSH', P .. 'ring', g)
end

local function pend(id, now, conc, gmax, gdur, score, added, g)
  if not g then score, added, g = metaOf(id) end
  if not g then return end
  rcall('ZADD', P .. 'gp:' .. g, score, id)
  rcall('ZADD', P .. 'pending', added, id)
  if not rcall('HGET', P .. 'where', g) then place(g, now, conc, gmax, gdur) end
end

-- the window: twice the concurrency of the nodes alive, plus 32 (so that a
-- node never waits for the next turn to be handed over); jobs handed to
-- BullMQ and not started stay few, so the groups' turns decide what runs next
local function capacity(now)
  local gone = rcall('ZRANGEBYSCORE', P .. 'nodes', '-inf', now)
  if #gone > 0 then
    rcall('ZREMRANGEBYSCORE', P .. 'nodes', '-inf', now)
    for _, node in ipairs(gone) do rcall('HDEL', P .. 'capacity', node) end
  end
  local sum = 0
  for _, c in ipairs(rcall('HVALS', P .. 'capacity')) do sum = sum + tonumber(c) end
  if sum == 0 then return 0 end
  return 2 * sum + 32
end

-- gives groups their turns while there is room; returns {wake, id, json, id, json...}
local function admit(now, max)
  local conc, gmax, gdur, check = conf()
  for _, id in ipairs(rcall('ZRANGEBYSCORE', P .. 'delayed', '-inf', now, 'LIMIT', 0, 1000)) do
    rcall('ZREM', P .. 'delayed', id)
    pend(id, now, conc, gmax, gdur)
  end
  for _, g in ipairs(rcall('ZRANGEBYSCORE', P .. 'limited', '-inf', now, 'LIMIT', 0, 1000)) do
    rcall('ZREM', P .. 'limited', g)
    rcall('HDEL', P .. 'where', g)
    place(g, now, conc, gmax, gdur)
  end
  local out = {0}
  local n = 0
  local room = 0
  if max > 0 and rcall('LLEN', P .. 'ring') > 0 then
    room = capacity(now) - (rcall('ZCARD', P .. 'slots') - rcall('SCARD', P .. 'backoff'))
  end
  while n < room and n < max do
    local g = rcall('LPOP', P .. 'ring')
    if not g then break end
    rcall('HDEL', P .. 'where', g)
    local id = rcall('ZRANGE', P .. 'gp:' .. g, 0, 0)[1]
    local active = tonumber(rcall('HGET', P .. 'active', g) or '0')
    if id and active < conc and (not gmax or windowWait(P .. 'gs:' .. g, now, gmax, gdur) == 0) then
      rcall('ZREM', P .. 'gp:' .. g, id)
      rcall('ZREM', P .. 'pending', id)
      rcall('HINCRBY', P .. 'active', g, 1)
      rcall('ZADD', P .. 'slots', now + check, id)
      out[#out + 1] = id
      out[#out + 1] = jsonOf(id)
      n = n + 1
    end
    place(g, now, conc, gmax, gdur)
  end
  local wake = false
  for _, key in ipairs({P .. 'delayed', P .. 'limited'}) do
    local first = rcall('ZRANGE', key, 0, 0, 'WITHSCORES')
    if first[2] and (not wake or tonumber(first[2]) < wake) then wake = tonumber(first[2]) end
  end
  if wake then out[1] = wake end
  return out
end

-- a slot holder ended for good (or is gone): its group's slot frees
local function free(id, now, conc, gmax, gdur)
  if rcall('ZREM', P .. 'slots', id) == 0 then return end
  local _, _, g = metaOf(id)
  rcall('SREM', P .. 'backoff', id)
  rcall('HDEL', P .. 'jobs', id)
  if not g then return end
  if rcall('HINCRBY', P .. 'active', g, -1) <= 0 then rcall('HDEL', P .. 'active', g) end
  if rcall('HGET', P .. 'where', g) == 'f' then
    rcall('HDEL', P .. 'where', g)
    place(g, now, conc, gmax, gdur)
  end
end

-- takes a group job that has no slot out of its group (removed)
local function unpend(id)
  local _, _, g = metaOf(id)
  local was = 0
  if rcall('ZREM', P .. 'delayed', id) == 1 then was = 1 end
  if g and rcall('ZREM', P .. 'gp:' .. g, id) == 1 then
    was = 1
    rcall('ZREM', P .. 'pending', id)
    if rcall('ZCARD', P .. 'gp:' .. g) == 0 then
      local where = rcall('HGET', P .. 'where', g)
      if where == 'r' then rcall('LREM', P .. 'ring', 1, g) end
      if where == 'l' then rcall('ZREM', P .. 'limited', g) end
      rcall('HDEL', P .. 'where', g)
    end
  end
  if was == 1 then rcall('HDEL', P .. 'jobs', id) end
  return was
end
`;

/** One script: helpers plus its body. */
function script(body: string): string {
  return `${HELPERS}\n${body}`;
}

/**
 * The scripts by command name (ioredis `defineCommand`, one key). Each
 * returns plain arrays; see the comment of each for its ARGV after P.
 */
export const SCRIPTS = {
  /**
   * A group job arrives. ARGV: P, now, id ('' to make one), json, rank
   * (priority rank, lower first), group, dueAt (0: now), custom (1: the
   * caller's jobId: refused as 'dup' when held or remembered), max admits,
   * how long jobIds are remembered (ms).
   * Returns {id, wake, id, json...} or {'dup'}.
   */
  spindleEnqueue: script(`
local now = tonumber(ARGV[2])
local id = ARGV[3]
if ARGV[8] == '1' then
  rcall('ZREMRANGEBYSCORE', P .. 'ids', '-inf', '(' .. (now - tonumber(ARGV[10])))
  if rcall('HEXISTS', P .. 'jobs', id) == 1 or rcall('ZSCORE', P .. 'ids', id) then return {'dup'} end
  rcall('ZADD', P .. 'ids', now, id)
end
local seq = rcall('INCR', P .. 'seq')
-- all digits with a leading 0: neither a caller's id (never all digits) nor BullMQ's (never a leading 0)
if id == '' then id = '0' .. seq end
local score = tonumber(ARGV[5]) * 4294967296 + (seq % 4294967296)
store(id, score, now, ARGV[6], ARGV[4])
local conc, gmax, gdur = conf()
local due = tonumber(ARGV[7])
if due > now then rcall('ZADD', P .. 'delayed', due, id) else pend(id, now, conc, gmax, gdur, score, now, ARGV[6]) end
local out = admit(now, tonumber(ARGV[9]))
table.insert(out, 1, id)
return out
`),
  /** Turns and slots: ARGV: P, now, max admits, handed ids... Returns {wake, id, json...}. */
  spindleAdmit: script(`
handed(4, #ARGV)
return admit(tonumber(ARGV[2]), tonumber(ARGV[3]))
`),
  /**
   * Slot holders that ended for good (or were removed), and the jobs this
   * caller handed to BullMQ since its last call: ARGV: P, now, max admits,
   * number of handed ids, handed ids..., ended ids... Returns what admit() returns.
   */
  spindleRelease: script(`
local now = tonumber(ARGV[2])
local h = tonumber(ARGV[4])
handed(5, 4 + h)
local conc, gmax, gdur = conf()
for i = 5 + h, #ARGV do free(ARGV[i], now, conc, gmax, gdur) end
return admit(now, tonumber(ARGV[3]))
`),
  /** Handed to BullMQ: the JSON copies go. ARGV: P, ids... */
  spindleHanded: script(`
handed(2, #ARGV)
return 0
`),
  /** A slot holder's attempt failed and a retry follows. ARGV: P, id. */
  spindleBackoff: script(`
if rcall('ZSCORE', P .. 'slots', ARGV[2]) then rcall('SADD', P .. 'backoff', ARGV[2]) end
return 0
`),
  /**
   * A job is about to start at t (its processedOn): the limiters decide.
   * ARGV: P, id, group ('' for none), t, uid, qmax, qdur (0 0: no limiter),
   * gmax, gdur (0 0: none). Returns {0, 0} (started, counted) or {wait, 1 (queue) | 2 (group)}.
   */
  spindleStart: script(`
local id, g, t, uid = ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
local qmax, qdur, gmax, gdur = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
if qmax > 0 then
  local w = windowWait(P .. 'starts', t, qmax, qdur)
  if w > 0 then return {w, 1} end
end
if g ~= '' and gmax > 0 then
  local w = windowWait(P .. 'gs:' .. g, t, gmax, gdur)
  if w > 0 then return {w, 2} end
end
if qmax > 0 then record(P .. 'starts', t, uid, qdur) end
if g ~= '' and gmax > 0 then record(P .. 'gs:' .. g, t, uid, gdur) end
rcall('SREM', P .. 'backoff', id)
return {0, 0}
`),
  /**
   * A node says it is alive: ARGV: P, now, node, concurrency, expiry, conc,
   * gmax, gdur, check, max admits, handed ids... Its limits become the
   * queue's (every node should have the same). Returns what admit() returns.
   */
  spindleRegister: script(`
handed(11, #ARGV)
local now = tonumber(ARGV[2])
rcall('ZADD', P .. 'nodes', tonumber(ARGV[5]), ARGV[3])
rcall('HSET', P .. 'capacity', ARGV[3], ARGV[4])
rcall('HSET', P .. 'config', 'conc', ARGV[6], 'check', ARGV[9])
if ARGV[7] == '0' then rcall('HDEL', P .. 'config', 'gmax', 'gdur')
else rcall('HSET', P .. 'config', 'gmax', ARGV[7], 'gdur', ARGV[8]) end
return admit(now, tonumber(ARGV[10]))
`),
  /** A node stops. ARGV: P, node. */
  spindleUnregister: script(`
rcall('ZREM', P .. 'nodes', ARGV[2])
rcall('HDEL', P .. 'capacity', ARGV[2])
return 0
`),
  /**
   * Slot holders due for a check (their node may have died before it freed
   * the slot): each is checked again after \`check\` ms whatever the outcome.
   * ARGV: P, now, max. Returns {id, hasJson (0/1), ...}.
   */
  spindleReap: script(`
local now = tonumber(ARGV[2])
local _, _, _, check = conf()
local out = {}
for _, id in ipairs(rcall('ZRANGEBYSCORE', P .. 'slots', '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))) do
  rcall('ZADD', P .. 'slots', now + check, id)
  out[#out + 1] = id
  if jsonOf(id) ~= '' then out[#out + 1] = 1 else out[#out + 1] = 0 end
end
return out
`),
  /**
   * Where spindle holds a job: ARGV: P, id, now, how long jobIds are
   * remembered (ms). Returns {where, json, remembered, group}:
   * where 'pending' | 'delayed' | 'slot' | '' (none), json of a job not yet
   * handed to BullMQ (or ''), remembered '1' when the id is in the jobId set.
   */
  spindleLookup: script(`
local id = ARGV[2]
local where = ''
if rcall('ZSCORE', P .. 'pending', id) then where = 'pending'
elseif rcall('ZSCORE', P .. 'delayed', id) then where = 'delayed'
elseif rcall('ZSCORE', P .. 'slots', id) then where = 'slot' end
local json = jsonOf(id)
local remembered = '0'
local at = rcall('ZSCORE', P .. 'ids', id)
if at and tonumber(at) >= tonumber(ARGV[3]) - tonumber(ARGV[4]) then remembered = '1' end
local _, _, g = metaOf(id)
return {where, json, remembered, g or ''}
`),
  /**
   * Remembers callers' jobIds (a job handed straight to BullMQ) and forgets
   * the expired. ARGV: P, now, ttl, ids...
   */
  spindleRemember: script(`
local now = tonumber(ARGV[2])
rcall('ZREMRANGEBYSCORE', P .. 'ids', '-inf', '(' .. (now - tonumber(ARGV[3])))
for i = 4, #ARGV do rcall('ZADD', P .. 'ids', 'NX', now, ARGV[i]) end
return 0
`),
  /** Removes group jobs that wait (no slot). ARGV: P, ids... Returns how many. */
  spindleUnpend: script(`
local n = 0
for i = 2, #ARGV do n = n + unpend(ARGV[i]) end
return n
`),
  /**
   * Waiting (and delayed, when ARGV[3] is '1') group jobs added at or
   * before ARGV[2], at most ARGV[4] (0: all). ARGV: P, cutoff, delayed, limit.
   * Returns their ids (not removed yet: spindleUnpend does).
   */
  spindleOlder: script(`
local cutoff, limit = tonumber(ARGV[2]), tonumber(ARGV[4])
local out = {}
for _, id in ipairs(rcall('ZRANGEBYSCORE', P .. 'pending', '-inf', cutoff)) do
  if limit > 0 and #out >= limit then return out end
  out[#out + 1] = id
end
if ARGV[3] == '1' then
  for _, id in ipairs(rcall('ZRANGE', P .. 'delayed', 0, -1)) do
    if limit > 0 and #out >= limit then return out end
    local _, added = metaOf(id)
    if added and added <= cutoff then out[#out + 1] = id end
  end
end
return out
`),
  /**
   * A failed group job runs again: back to its group, with a fresh slot to
   * wait for. ARGV: P, now, id, json, rank, group, max admits.
   */
  spindleRequeue: script(`
local now, id = tonumber(ARGV[2]), ARGV[3]
if rcall('HEXISTS', P .. 'jobs', id) == 1 then return {'dup'} end
local seq = rcall('INCR', P .. 'seq')
local score = tonumber(ARGV[5]) * 4294967296 + (seq % 4294967296)
store(id, score, now, ARGV[6], ARGV[4])
local conc, gmax, gdur = conf()
pend(id, now, conc, gmax, gdur, score, now, ARGV[6])
local out = admit(now, tonumber(ARGV[7]))
table.insert(out, 1, id)
return out
`),
  /** counts(): ARGV: P. Returns {pending, delayed}. */
  spindleCounts: script(`
return {rcall('ZCARD', P .. 'pending'), rcall('ZCARD', P .. 'delayed')}
`),
} as const;

export type ScriptName = keyof typeof SCRIPTS;

/**
 * The JSON in a value of P..'jobs' (see the top of this file), or '' once
 * BullMQ has the job. The value comes as bytes: the group's length is in bytes.
 */
export function heldJsonOf(value: Buffer): string {
  const head = /^\S+ \S+ (\d+) /.exec(value.toString('latin1', 0, 96));
  if (!head) return '';
  return value.subarray(head[0].length + Number(head[1])).toString('utf8');
}
