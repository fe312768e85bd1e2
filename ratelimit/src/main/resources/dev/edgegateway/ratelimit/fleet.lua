-- The gateways sharing this Redis: each adds itself every few seconds; those not seen for
-- ARGV[2] milliseconds are dropped. KEYS[1]: the set (scored by last heartbeat, Redis's clock).
-- ARGV[1]: this gateway's id. Returns {gateways counted}.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
return {redis.call('ZCARD', KEYS[1])}
