-- Rolls the sketches of a minute's seconds up into the minute, each second once: the minute's mark
-- says through which second it holds them, and live-apply.lua adds a late event's sketch to the
-- minute itself when its second is at or before the mark.
-- KEYS[1]     the minute's sketch hash
-- KEYS[2]     the minute's rolled-up mark: the last second rolled up (absent: none yet)
-- KEYS[3..]   per second from ARGV[1] to ARGV[2]: its sketch hash
-- ARGV[1..2]  the first and last second of KEYS
-- ARGV[3]     the minute's first second
-- ARGV[4]     the minute's expire-at (epoch ms)
-- Rolls up the seconds after the mark through ARGV[2], when the mark is at least ARGV[1] - 1 (the
-- caller goes on from the mark returned otherwise), and returns the mark.
local first, last = tonumber(ARGV[1]), tonumber(ARGV[2])
local expireAt = ARGV[4]
local through = tonumber(redis.call('GET', KEYS[2]) or (tonumber(ARGV[3]) - 1))
if through >= last or through < first - 1 then return through end

local ids, sketches = {}, {}
for second = through + 1, last do
  local sketch = redis.call('HGETALL', KEYS[3 + second - first])
  for i = 1, #sketch, 2 do ids[#ids + 1], sketches[#sketches + 1] = sketch[i], sketch[i + 1] end
end
if #ids > 0 then
  mergeSketches(KEYS[1], ids, sketches)
  redis.call('PEXPIREAT', KEYS[1], expireAt)
end
redis.call('SET', KEYS[2], last, 'PXAT', expireAt)
return last
