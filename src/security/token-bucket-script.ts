/**
 * The token bucket of token-bucket.ts as one Lua script, so a take is atomic in Redis however many replicas share
 * the bucket. Time comes from Redis (TIME), so replicas whose clocks disagree still share one bucket correctly.
 *
 * KEYS[1]: the bucket (a hash: t = tokens, a = when, in ms). ARGV[1]: tokens per second; ARGV[2]: burst.
 * Returns 0 when a token was taken, otherwise whole seconds until one is there (at least 1).
 * The key expires once the bucket would be full again: a missing bucket is a full one.
 */
import { createHash } from 'node:crypto';

export const TOKEN_BUCKET_LUA = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000
local state = redis.call('HMGET', KEYS[1], 't', 'a')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
tokens = math.min(burst, tokens + math.max(0, now - at) / 1000 * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.max(1, math.ceil((1 - tokens) / rate))
end
redis.call('HSET', KEYS[1], 't', string.format('%.17g', tokens), 'a', string.format('%.17g', now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return wait
`;

/** The script's SHA-1, as EVALSHA names it. */
export const TOKEN_BUCKET_SHA = createHash('sha1').update(TOKEN_BUCKET_LUA).digest('hex');
