-- Folds one (tenant, event) group's deltas into its buckets, atomically with the group's stored
-- offsets for the partitions whose events the deltas hold, so a redelivered batch is never counted
-- twice. One script may carry several partitions' batches (concurrently consumed partitions share
-- one write): then all of them are applied or none.
-- A minute's stats and users are merged here; its sketches only for seconds already rolled up into
-- it (a late event), the other seconds' reach it through live-rollup.lua.
-- The deltas come as one JSON argument, decoded in C (cjson): thousands of arguments cost the
-- client more to send than the script to read.
-- KEYS[1]     the group's offsets hash (field topic:partition)
-- KEYS[2..]   per minute: its stats hash, sketch hash and rolled-up mark, then per second of it:
--             stats hash, sketch hash (a series' HyperLogLog of users is the stats hash's key
--             followed by ':u:' and the series id: same hash tag, same slot)
-- ARGV[1]     range count R
-- ARGV[2..]   per range: partition field, fromOffset, toOffset
-- ARGV[2+3R]  JSON: per minute (in KEYS' order) an array [its expire-at (epoch ms, a string),
--             its series as a flat list of id, stats 'count valueCount sum min max' (min, max
--             '-' without values), users to add (0 for none), then per second: [second,
--             expire-at, then per series: id, stats, sketch '{"key":count,...}' as JSON ('' without
--             values), users to add (0 for none)]]
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

local minutes = cjson.decode(ARGV[2 + 3 * ranges])
local k = 2
for m = 1, #minutes do
  local minute = minutes[m]
  local minuteStats, minuteSketch = KEYS[k], KEYS[k + 1]
  local rolledThrough = tonumber(redis.call('GET', KEYS[k + 2]) or '-1')
  local minuteExpireAt = minute[1]
  k = k + 3

  local ids, adds = {}, {}
  local series = minute[2]
  for i = 1, #series, 3 do
    local id, users = series[i], series[i + 2]
    ids[#ids + 1], adds[#adds + 1] = id, series[i + 1]
    if users ~= 0 then addUsers(minuteStats .. ':u:' .. id, users, minuteExpireAt) end
  end
  mergeHash(minuteStats, ids, adds, mergeScalars)
  redis.call('PEXPIREAT', minuteStats, minuteExpireAt)

  local lateIds, lateSketches = {}, {}
  for s = 3, #minute do
    local second = minute[s]
    local statsKey, sketchKey = KEYS[k], KEYS[k + 1]
    k = k + 2
    local rolled = second[1] <= rolledThrough
    local expireAt = second[2]
    local sketchIds, sketchAdds = {}, {}
    ids, adds = {}, {}
    for i = 3, #second, 4 do
      local id, sketch, users = second[i], second[i + 2], second[i + 3]
      ids[#ids + 1], adds[#adds + 1] = id, second[i + 1]
      if sketch ~= '' then
        sketchIds[#sketchIds + 1], sketchAdds[#sketchAdds + 1] = id, sketch
        if rolled then lateIds[#lateIds + 1], lateSketches[#lateSketches + 1] = id, sketch end
      end
      if users ~= 0 then addUsers(statsKey .. ':u:' .. id, users, expireAt) end
    end
    mergeHash(statsKey, ids, adds, mergeScalars)
    redis.call('PEXPIREAT', statsKey, expireAt)
    if #sketchIds > 0 then
      mergeHash(sketchKey, sketchIds, sketchAdds, mergeSketch)
      redis.call('PEXPIREAT', sketchKey, expireAt)
    end
  end
  if #lateIds > 0 then
    mergeSketches(minuteSketch, lateIds, lateSketches)
    redis.call('PEXPIREAT', minuteSketch, minuteExpireAt)
  end
end

redis.call('HSET', KEYS[1], unpack(fields))
return {1, stored}
