-- Token buckets for one key, one per limit, decided atomically with Redis's clock; a gateway may
-- take several tokens at once (a lease it spends locally).
-- KEYS[i]: the bucket of limit i (all share one hash tag, so one cluster slot).
-- ARGV[1]: the number of limits n; ARGV[2]: tokens wanted (1 or more); ARGV[3]: the channel a
-- refusal is published on ('' for none); then, per limit i: ARGV[2i+2] capacity,
-- ARGV[2i+3] microseconds per token.
-- Returns {tokens granted (0 to wanted, as many as every bucket holds), tokens remaining
--          (smallest), microseconds until the wanted tokens are there (0 if any were granted),
--          microseconds until the first limit's bucket is full}.
-- A refused request takes nothing, so hammering a full bucket does not starve it further. The
-- first refusal of a key until it has tokens again is published ('<KEYS[1]>|<wait us>'), so every
-- gateway refuses the key without asking until then; the next is published only after that.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = tonumber(ARGV[1])
local want = tonumber(ARGV[2])
local avail = -1
local tokens = {}
for i = 1, n do
  local cap = tonumber(ARGV[2 * i + 2])
  local per = tonumber(ARGV[2 * i + 3])
  local v = redis.call('HMGET', KEYS[i], 't', 'ts')
  local tk = tonumber(v[1])
  local ts = tonumber(v[2])
  if tk == nil or ts == nil then
    tk = cap
    ts = now
  end
  if now > ts then
    tk = math.min(cap, tk + (now - ts) / per)
  end
  tokens[i] = tk
  local whole = math.floor(tk)
  if avail < 0 or whole < avail then avail = whole end
end
local granted = math.min(want, math.max(avail, 0))
local wait = 0
if granted == 0 then
  for i = 1, n do
    local cap = tonumber(ARGV[2 * i + 2])
    local per = tonumber(ARGV[2 * i + 3])
    local need = math.max(1, math.min(want, cap))
    local w = math.ceil((need - tokens[i]) * per)
    if w > wait then wait = w end
  end
end
local remaining = -1
local reset = 0
for i = 1, n do
  local cap = tonumber(ARGV[2 * i + 2])
  local per = tonumber(ARGV[2 * i + 3])
  local tk = tokens[i] - granted
  redis.call('HSET', KEYS[i], 't', string.format('%.6f', tk), 'ts', now)
  local full = math.ceil((cap - tk) * per)
  redis.call('PEXPIRE', KEYS[i], math.floor(full / 1000) + 1000)
  if i == 1 then reset = full end
  local r = math.floor(tk)
  if r < 0 then r = 0 end
  if remaining < 0 or r < remaining then remaining = r end
end
if granted == 0 and ARGV[3] ~= '' then
  local ru = tonumber(redis.call('HGET', KEYS[1], 'ru'))
  if ru == nil or now >= ru then
    redis.call('HSET', KEYS[1], 'ru', now + wait)
    redis.call('PUBLISH', ARGV[3], KEYS[1] .. '|' .. wait)
  end
end
return {granted, remaining, wait, reset}
