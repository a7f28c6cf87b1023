-- Folds one (tenant, event) group's deltas into its buckets, atomically with the group's stored
-- offsets for the partitions whose events the deltas hold, so a redelivered batch is never counted
-- twice. One script may carry several partitions' batches (concurrently consumed partitions share
-- one write): then all of them are applied or none.
-- The deltas come as one JSON argument, decoded in C (cjson): thousands of arguments cost the
-- client more to send than the script to read.
-- KEYS[1]     the group's offsets hash (field topic:partition)
-- KEYS[2..]   per bucket: its stats hash, its sketch hash (a series' HyperLogLog of users is the
--             stats hash's key followed by ':u:' and the series id: same hash tag, same slot)
-- ARGV[1]     range count R
-- ARGV[2..]   per range: partition field, fromOffset, toOffset
-- ARGV[2+3R]  JSON: per bucket (in KEYS' order) an array [expire-at (epoch ms, a string), then per
--             series: id, 'count valueCount sum min max' (min, max '-' without values),
--             sketch '{"key":count,...}' as JSON ('' without values), users to add (0 for none)]
-- Returns {1, stored} applied, {0, stored} applied before (skipped), {2, stored} partly applied
-- before (conflict: nothing written); stored is the offset of the first range that was not new,
-- and a script with several ranges writes nothing unless every range is new.
local ranges = tonumber(ARGV[1])
local fields = {}
local stored = -1
for r = 0, ranges - 1 do
  local field, from, to = ARGV[2 + 3 * r], tonumber(ARGV[3 + 3 * r]), tonumber(ARGV[4 + 3 * r])
  stored = tonumber(redis.call('HGET', KEYS[1], field) or '-1')
  if stored >= to then return {0, stored} end
  if stored >= from then return {2, stored} end
  fields[#fields + 1] = field
  fields[#fields + 1] = ARGV[4 + 3 * r]
end

local SCALARS = '^(%S+) (%S+) (%S+) (%S+) (%S+)$'
local CHUNK = 1000 -- stays far below Lua's limit on unpack()

local function mergeScalars(old, add)
  local c1, n1, s1, lo1, hi1 = string.match(old, SCALARS)
  local c2, n2, s2, lo2, hi2 = string.match(add, SCALARS)
  n1, n2 = tonumber(n1), tonumber(n2)
  local lo, hi = lo1, hi1
  if n1 == 0 then
    lo, hi = lo2, hi2
  elseif n2 > 0 then
    -- the original strings are kept, so a min or max is never reformatted
    if tonumber(lo2) < tonumber(lo1) then lo = lo2 end
    if tonumber(hi2) > tonumber(hi1) then hi = hi2 end
  end
  return string.format('%.0f %.0f %.0f ', tonumber(c1) + tonumber(c2), n1 + n2, tonumber(s1) + tonumber(s2))
    .. lo .. ' ' .. hi
end

-- A sketch is stored as JSON fragments joined by '|': a merge appends the delta, and only every
-- FRAGMENTS-th merge decodes them all into one (cjson, in C). A minute bucket is merged by every
-- batch of its minute with deltas much smaller than itself; decoding it each time cost most of
-- this script.
local FRAGMENTS = 8

local function mergeSketch(old, add)
  local fragments, at = 1, 1
  while true do
    at = string.find(old, '|', at, true)
    if not at then break end
    fragments, at = fragments + 1, at + 1
  end
  if fragments < FRAGMENTS then return old .. '|' .. add end
  local counts = {}
  for fragment in string.gmatch(old .. '|' .. add, '[^|]+') do
    for key, count in pairs(cjson.decode(fragment)) do counts[key] = (counts[key] or 0) + count end
  end
  return cjson.encode(counts)
end

local function mergeHash(key, ids, adds, merge)
  for first = 1, #ids, CHUNK do
    local last = math.min(first + CHUNK - 1, #ids)
    local old = redis.call('HMGET', key, unpack(ids, first, last))
    local out = {}
    for i = first, last do
      local previous = old[i - first + 1]
      out[#out + 1] = ids[i]
      out[#out + 1] = previous and merge(previous, adds[i]) or adds[i]
    end
    redis.call('HSET', key, unpack(out))
  end
end

local function addUsers(key, users, expireAt)
  for first = 1, #users, CHUNK do
    redis.call('PFADD', key, unpack(users, first, math.min(first + CHUNK - 1, #users)))
  end
  redis.call('PEXPIREAT', key, expireAt)
end

local buckets = cjson.decode(ARGV[2 + 3 * ranges])
for b = 1, #buckets do
  local bucket = buckets[b]
  local statsKey, sketchKey = KEYS[2 * b], KEYS[2 * b + 1]
  local expireAt = bucket[1]
  local ids, adds, sketchIds, sketchAdds = {}, {}, {}, {}
  for i = 2, #bucket, 4 do
    local id = bucket[i]
    ids[#ids + 1], adds[#adds + 1] = id, bucket[i + 1]
    if bucket[i + 2] ~= '' then
      sketchIds[#sketchIds + 1], sketchAdds[#sketchAdds + 1] = id, bucket[i + 2]
    end
    if bucket[i + 3] ~= 0 then addUsers(statsKey .. ':u:' .. id, bucket[i + 3], expireAt) end
  end
  mergeHash(statsKey, ids, adds, mergeScalars)
  redis.call('PEXPIREAT', statsKey, expireAt)
  if #sketchIds > 0 then
    mergeHash(sketchKey, sketchIds, sketchAdds, mergeSketch)
    redis.call('PEXPIREAT', sketchKey, expireAt)
  end
end

redis.call('HSET', KEYS[1], unpack(fields))
return {1, stored}
