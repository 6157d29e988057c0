package usage

import "github.com/redis/go-redis/v9"

// The Lua scripts of the Redis store. Each is one check or write, atomic in Redis, reading the
// time from Redis's own clock (TIME), so instance clocks never matter (FAULT-MATRIX L5).
//
// One hash per deployment holds its rolling window, mirroring Memory's ring:
//
//	h        newest unix second the window has been advanced to (Redis time)
//	r, t     requests and tokens summed over the window's seconds [h-ring+1, h]
//	r<sec>   requests counted in second sec; t<sec> likewise for tokens
//
// Advancing to second now subtracts and deletes the buckets that left the window, at most one
// HMGET per elapsed second, or deletes the whole key when all of them left. Every reservation
// sets the key to expire ring+1 s later, so idle deployments leave nothing behind; a key lost to
// a restart or FLUSHALL simply starts an empty window (counts start over, R5).

// luaPrelude is shared by every usage script: clock() and advance().
const luaPrelude = `
local function clock()
  local t = redis.call('TIME')
  local s = tonumber(t[1])
  return s, s * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- advance moves k's window to second now and returns the second new counts go to (head when
-- Redis's clock went back), the window's request and token sums, and whether k exists.
local function advance(k, now, ring)
  local h = redis.call('HMGET', k, 'h', 'r', 't')
  local head = tonumber(h[1])
  if head == nil then
    return now, 0, 0, false
  end
  local req, tok = tonumber(h[2]) or 0, tonumber(h[3]) or 0
  if now <= head then
    return head, req, tok, true
  end
  if now - head >= ring then
    redis.call('DEL', k)
    return now, 0, 0, false
  end
  for s = head - ring + 1, now - ring do
    local b = redis.call('HMGET', k, 'r' .. s, 't' .. s)
    if b[1] or b[2] then
      req = req - (tonumber(b[1]) or 0)
      tok = tok - (tonumber(b[2]) or 0)
      redis.call('HDEL', k, 'r' .. s, 't' .. s)
    end
  end
  if req < 0 then req = 0 end
  if tok < 0 then tok = 0 end
  redis.call('HSET', k, 'h', now, 'r', req, 't', tok)
  return now, req, tok, true
end

local function fits(rpm, tpm, req, tok, est)
  if rpm > 0 and req + 1 > rpm then return false end
  if tpm > 0 and tok > 0 and tok + est > tpm then return false end
  return true
end
`

// reserveScript walks the candidates in order and reserves on the first that fits.
//
//	KEYS[i]       window hash of candidate i (all keys share one hash tag)
//	ARGV[1..4]    token estimate (≥ 0), ring (s), key TTL (ms), deadline (Redis ms, 0 = none)
//	ARGV[2i+3..4] candidate i's rpm and tpm (0 = unlimited)
//
// Reply: {idx (1-based, 0 = none fits, −1 = the deadline had passed and nothing was counted),
// second counted in, Redis now (ms), retry-after (ms, 0 unless none fits), then per candidate
// its requests and tokens after the call (−1, −1 for candidates after the one taken, which
// were not looked at)}. The deadline keeps a call that reached Redis after its caller gave up
// (Redis frozen, then thawed: FAULT-MATRIX R7) from counting a request that never happened.
var reserveScript = redis.NewScript(luaPrelude + `
local now, nowms = clock()
local est, ring, ttl, deadline = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local n = #KEYS
local out = {0, 0, nowms, 0}
for i = 1, n do
  out[3 + 2 * i] = -1
  out[4 + 2 * i] = -1
end
if deadline > 0 and nowms > deadline then
  out[1] = -1
  return out
end
local heads = {}
for i = 1, n do
  local k = KEYS[i]
  local rpm, tpm = tonumber(ARGV[3 + 2 * i]), tonumber(ARGV[4 + 2 * i])
  local at, req, tok = advance(k, now, ring)
  if fits(rpm, tpm, req, tok, est) then
    redis.call('HINCRBY', k, 'r' .. at, 1)
    if est > 0 then
      redis.call('HINCRBY', k, 't' .. at, est)
    end
    redis.call('HSET', k, 'h', at, 'r', req + 1, 't', tok + est)
    redis.call('PEXPIRE', k, ttl)
    out[1], out[2] = i, at
    out[3 + 2 * i], out[4 + 2 * i] = req + 1, tok + est
    return out
  end
  heads[i] = at
  out[3 + 2 * i], out[4 + 2 * i] = req, tok
end
-- None fits: the smallest wait, over the candidates, until enough of its oldest buckets leave
-- the window for this request to fit.
local wait = 60000
for i = 1, n do
  local k, head = KEYS[i], heads[i]
  local rpm, tpm = tonumber(ARGV[3 + 2 * i]), tonumber(ARGV[4 + 2 * i])
  local req, tok = out[3 + 2 * i], out[4 + 2 * i]
  local flat = redis.call('HGETALL', k)
  local f = {}
  for j = 1, #flat, 2 do
    f[flat[j]] = tonumber(flat[j + 1])
  end
  for s = head - ring + 1, head do
    local br, bt = f['r' .. s], f['t' .. s]
    if br or bt then
      req = req - (br or 0)
      tok = tok - (bt or 0)
      if fits(rpm, tpm, req, tok, est) then
        local w = (s + ring) * 1000 - nowms
        if w < 1 then w = 1 end
        if w < wait then wait = w end
        break
      end
    end
  end
end
out[4] = wait
return out
`)

// adjustScript adds a request and token delta to one reservation's bucket, if that bucket is
// still in the window; a bucket never goes below zero and a missing key is not created.
//
//	KEYS[1]      the window hash
//	ARGV[1..4]   the reservation's second, request delta, token delta, ring (s)
//
// Reply: {Redis now (ms), requests, tokens} of the window after the call.
var adjustScript = redis.NewScript(luaPrelude + `
local now, nowms = clock()
local k = KEYS[1]
local sec, dreq, dtok, ring = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local at, req, tok, exists = advance(k, now, ring)
if exists and sec <= at and sec > at - ring then
  local b = redis.call('HMGET', k, 'r' .. sec, 't' .. sec)
  if b[1] then
    local br, bt = tonumber(b[1]) or 0, tonumber(b[2]) or 0
    if dreq < -br then dreq = -br end
    if dtok < -bt then dtok = -bt end
    if dreq ~= 0 then redis.call('HINCRBY', k, 'r' .. sec, dreq) end
    if dtok ~= 0 then redis.call('HINCRBY', k, 't' .. sec, dtok) end
    req, tok = req + dreq, tok + dtok
    redis.call('HSET', k, 'r', req, 't', tok)
  end
end
return {nowms, req, tok}
`)

// readScript advances and reads the windows of KEYS (one hash tag) for the local mirror.
//
//	ARGV[1]   ring (s)
//
// Reply: {Redis now (ms), then requests and tokens per key}.
var readScript = redis.NewScript(luaPrelude + `
local now, nowms = clock()
local ring = tonumber(ARGV[1])
local out = {nowms}
for i = 1, #KEYS do
  local _, req, tok = advance(KEYS[i], now, ring)
  out[2 * i], out[2 * i + 1] = req, tok
end
return out
`)

// heartbeatScript records this instance as live and counts the live ones. Members of the sorted
// set KEYS[1] are instance ids scored by the Redis time (ms) their heartbeat expires; expired
// ones are removed on every beat, and the set itself expires when no instance beats any more.
// (A sorted set rather than a key per instance: counting it is one ZCARD, where counting keys
// would need a SCAN over every node of a cluster.)
//
//	ARGV[1..2]   instance id, heartbeat TTL (ms)
//
// Reply: {Redis now (ms), live instances}.
var heartbeatScript = redis.NewScript(`
local t = redis.call('TIME')
local nowms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', nowms)
redis.call('ZADD', KEYS[1], nowms + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl)
return {nowms, redis.call('ZCARD', KEYS[1])}
`)
