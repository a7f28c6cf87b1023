-- Helpers shared by live-apply.lua and live-rollup.lua (each script is this file followed by its own).

local SCALARS = '^(%S+) (%S+) (%S+) (%S+) (%S+)$'
local CHUNK = 1000 -- stays far below Lua's limit on unpack()

-- 'count valueCount sum min max' (min, max '-' without values), added up.
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
-- FRAGMENTS-th merge decodes them all into one (cjson, in C). A minute bucket is merged with
-- deltas much smaller than itself; decoding it each time would cost most of the script.
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

-- Merges adds[i] into the field ids[i] of the hash (merge(old, add), or add where there is none).
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

-- Merges sketches into the hash, where a series id may repeat (several seconds of it): joined first.
local function mergeSketches(key, ids, sketches)
  local joined, order = {}, {}
  for i = 1, #ids do
    local id = ids[i]
    if joined[id] then
      joined[id] = joined[id] .. '|' .. sketches[i]
    else
      order[#order + 1] = id
      joined[id] = sketches[i]
    end
  end
  local adds = {}
  for i = 1, #order do adds[i] = joined[order[i]] end
  mergeHash(key, order, adds, mergeSketch)
end

local function addUsers(key, users, expireAt)
  for first = 1, #users, CHUNK do
    redis.call('PFADD', key, unpack(users, first, math.min(first + CHUNK - 1, #users)))
  end
  redis.call('PEXPIREAT', key, expireAt)
end

