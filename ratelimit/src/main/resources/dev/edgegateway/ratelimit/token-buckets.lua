-- Token buckets, one per limit of a key, decided atomically with Redis's clock; a gateway may
-- take several tokens at once (a lease it spends locally), and may send several keys' decisions
-- in one call (those due on one event loop in the same turn).
-- ARGV[1]: the channel a refusal is published on ('' for none); ARGV[2]: the number of decisions d.
-- Then per decision: the number of limits n, tokens wanted (1 or more), then per limit its
-- capacity and microseconds per token. KEYS: each decision's n buckets in turn (one decision's
-- buckets share a hash tag, so one cluster slot; a call with several decisions is sent only where
-- they are in one slot).
-- Returns, per decision, {tokens granted (0 to wanted, as many as every bucket holds), tokens
-- remaining (smallest), microseconds until the wanted tokens are there (0 if any were granted),
-- microseconds until the first limit's bucket is full}.
-- A refused request takes nothing, so hammering a full bucket does not starve it further. The
-- first refusal of a key until it has tokens again is published ('<first bucket key>|<wait us>'),
-- so every gateway refuses the key without asking until then; the next only after that.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local channel = ARGV[1]
local out = {}
local k = 0
local a = 3

local function decide(keys, n, want, caps, pers)
  local avail = -1
  local tokens = {}
  for i = 1, n do
    local cap = caps[i]
    local per = pers[i]
    local v = redis.call('HMGET', keys[i], 't', 'ts')
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
      local cap = caps[i]
      local per = pers[i]
      local need = math.max(1, math.min(want, cap))
      local w = math.ceil((need - tokens[i]) * per)
      if w > wait then wait = w end
    end
  end
  local remaining = -1
  local reset = 0
  for i = 1, n do
    local cap = caps[i]
    local per = pers[i]
    local tk = tokens[i] - granted
    redis.call('HSET', keys[i], 't', string.format('%.6f', tk), 'ts', now)
    local full = math.ceil((cap - tk) * per)
    redis.call('PEXPIRE', keys[i], math.floor(full / 1000) + 1000)
    if i == 1 then reset = full end
    local r = math.floor(tk)
    if r < 0 then r = 0 end
    if remaining < 0 or r < remaining then remaining = r end
  end
  if granted == 0 and channel ~= '' then
    local ru = tonumber(redis.call('HGET', keys[1], 'ru'))
    if ru == nil or now >= ru then
      redis.call('HSET', keys[1], 'ru', now + wait)
      redis.call('PUBLISH', channel, keys[1] .. '|' .. wait)
    end
  end
  return granted, remaining, wait, reset
end

for d = 1, tonumber(ARGV[2]) do
  local n = tonumber(ARGV[a])
  local want = tonumber(ARGV[a + 1])
  a = a + 2
  local keys, caps, pers = {}, {}, {}
  for i = 1, n do
    keys[i] = KEYS[k + i]
    caps[i] = tonumber(ARGV[a])
    pers[i] = tonumber(ARGV[a + 1])
    a = a + 2
  end
  k = k + n
  local granted, remaining, wait, reset = decide(keys, n, want, caps, pers)
  out[#out + 1] = granted
  out[#out + 1] = remaining
  out[#out + 1] = wait
  out[#out + 1] = reset
end
return out
