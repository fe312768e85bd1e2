-- Token buckets for one key, one per limit, decided atomically with Redis's clock.
-- KEYS[i]: the bucket of limit i (all share one hash tag, so one cluster slot).
-- ARGV[1]: the number of limits n; then, per limit i: ARGV[2i] capacity, ARGV[2i+1] microseconds per token.
-- Returns {allowed (1/0), tokens remaining (smallest), microseconds until a token (0 if allowed),
--          microseconds until the first limit's bucket is full}.
-- A refused request takes nothing, so hammering a full bucket does not starve it further.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = tonumber(ARGV[1])
local allowed = 1
local wait = 0
local tokens = {}
for i = 1, n do
  local cap = tonumber(ARGV[2 * i])
  local per = tonumber(ARGV[2 * i + 1])
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
  if tk < 1 then
    allowed = 0
    local w = math.ceil((1 - tk) * per)
    if w > wait then wait = w end
  end
end
local remaining = -1
local reset = 0
for i = 1, n do
  local cap = tonumber(ARGV[2 * i])
  local per = tonumber(ARGV[2 * i + 1])
  local tk = tokens[i]
  if allowed == 1 then tk = tk - 1 end
  redis.call('HSET', KEYS[i], 't', string.format('%.6f', tk), 'ts', now)
  local full = math.ceil((cap - tk) * per)
  redis.call('PEXPIRE', KEYS[i], math.floor(full / 1000) + 1000)
  if i == 1 then reset = full end
  local r = math.floor(tk)
  if r < 0 then r = 0 end
  if remaining < 0 or r < remaining then remaining = r end
end
return {allowed, remaining, wait, reset}
