-- A rollout's state, shared by a fleet of gateways: one script, atomic, in one hash slot.
-- KEYS[1] state hash, KEYS[2] this step's counts hash, KEYS[3] history list (newest first).
-- ARGV[1] 'sync' or 'move', ARGV[2] rollout id, ARGV[3] when this gateway adopted its config
-- (ms; 0 = just now), ARGV[4] the step window (epoch) the caller counts in.
-- sync: ARGV[5..] field, increment pairs (the caller's counts since its last sync).
-- move: ARGV[5] phase, ARGV[6] step, ARGV[7] reason, ARGV[8] baseline error ratio, ARGV[9] baseline p99 ns.
-- Times are this server's clock (TIME), so gateways' clocks never disagree about a step.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nowText = string.format('%d', now)
local keep = 30 * 24 * 3600 * 1000
local id = ARGV[2]
local fields = {'id', 'phase', 'step', 'epoch', 'since', 'created', 'reason', 'baseErr', 'baseP99'}
local st = redis.call('HMGET', KEYS[1], unpack(fields))

local function remember(phase, step, reason)
  redis.call('LPUSH', KEYS[3], nowText .. '|' .. phase .. '|' .. step .. '|' .. reason)
  redis.call('LTRIM', KEYS[3], 0, 19)
end

local function touch()
  redis.call('PEXPIRE', KEYS[1], keep)
  redis.call('PEXPIRE', KEYS[3], keep)
  if redis.call('EXISTS', KEYS[2]) == 1 then
    redis.call('PEXPIRE', KEYS[2], keep)
  end
end

if ARGV[1] == 'move' then
  if st[1] ~= id or tonumber(st[4]) ~= tonumber(ARGV[4]) then
    return {nowText, '0'}
  end
  redis.call('HSET', KEYS[1], 'phase', ARGV[5], 'step', ARGV[6], 'epoch', string.format('%d', tonumber(st[4]) + 1),
    'since', nowText, 'reason', ARGV[7], 'baseErr', ARGV[8], 'baseP99', ARGV[9])
  redis.call('DEL', KEYS[2])
  remember(ARGV[5], ARGV[6], ARGV[7])
  touch()
  return {nowText, '1'}
end

local superseded = '0'
if st[1] ~= id then
  local adopted = tonumber(ARGV[3])
  if st[1] == false or adopted == 0 or adopted > tonumber(st[6]) then
    local reason = 'started'
    if st[1] ~= false then
      reason = 'restarted: its config changed'
    end
    local epoch = (tonumber(st[4]) or 0) + 1
    redis.call('DEL', KEYS[2])
    redis.call('HSET', KEYS[1], 'id', id, 'phase', 'running', 'step', '0', 'epoch', string.format('%d', epoch),
      'since', nowText, 'created', nowText, 'reason', reason, 'baseErr', '-1', 'baseP99', '-1')
    remember('running', '0', reason)
    st = redis.call('HMGET', KEYS[1], unpack(fields))
  else
    superseded = '1'
  end
end
local counted = '0'
if superseded == '0' and tonumber(ARGV[4]) == tonumber(st[4]) then
  counted = '1'
  for i = 5, #ARGV, 2 do
    redis.call('HINCRBY', KEYS[2], ARGV[i], ARGV[i + 1])
  end
end
touch()
return {nowText, superseded, counted, st, redis.call('HGETALL', KEYS[2]), redis.call('LRANGE', KEYS[3], 0, 19)}
