-- What every `crm loadtest` scenario shares. A scenario sets SCENARIO = { weights = { action =
-- weight, ... } } and then loads this file, which defines wrk's setup/init/request/response/done.
--
-- wrk runs one connection per thread (crm loadtest passes -t = -c): a connection sends its next
-- request only once the last one is answered, so the answer wrk hands to response() is always
-- the one for the action request() picked last on this thread. That is what lets us count
-- statuses and latencies per action (wrk alone knows only the whole run).
--
-- init(args): args[1] is the Lua data file crm loadtest wrote (users' sessions and CSRF tokens,
-- real ids of the workspace), args[2] the slice number (a new random seed and new names per slice).

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } crm_timespec;
int clock_gettime(int clock, crm_timespec *ts);
]])
local CLOCK_MONOTONIC = 1
local clock = ffi.new("crm_timespec")

local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
  return tonumber(clock.tv_sec) * 1000000 + tonumber(clock.tv_nsec) / 1000
end

-- Per-action latencies go into logarithmic buckets (about 5 % wide): bucket b holds latencies
-- up to exp(b / 20) microseconds; crm loadtest reads percentiles from them.
local BUCKETS_PER_E = 20

local function bucket_of(us)
  if us < 1 then return 0 end
  return math.ceil(math.log(us) * BUCKETS_PER_E)
end

---------------------------------------------------------------------------------------------
-- Main state: number the threads so each uses its own user, and gather their counts at the end.

local threads = {}

function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end

---------------------------------------------------------------------------------------------
-- Thread state.

local data, user, slice, names = nil, nil, 0, 0
local picks, total_weight = {}, 0
-- The action of the request on the wire and when it left: global, so that done() can see the
-- requests still unanswered when the slice ends (thread:get).
pending, started = nil, 0
-- Per action: count, errors, sum and max of latencies, statuses and latency buckets, as one
-- flat table keyed "action|count", "action|s|200", "action|b|140"… Global, not local: done()
-- reads it from each thread with thread:get("stats"), which copies flat tables only (a nested
-- one crashes Debian's wrk 4.1).
stats = {}

local function pick_from(list)
  return list[math.random(#list)]
end

local function cookie_headers(extra)
  local headers = { ["Cookie"] = user.cookie }
  for k, v in pairs(extra or {}) do headers[k] = v end
  return headers
end

local function get(path)
  return wrk.format("GET", data.base .. path, cookie_headers())
end

local function url_encode(text)
  return (tostring(text):gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local function form(fields)
  local parts = { "_csrf=" .. url_encode(user.csrf) }
  for _, pair in ipairs(fields) do
    table.insert(parts, url_encode(pair[1]) .. "=" .. url_encode(pair[2]))
  end
  return table.concat(parts, "&")
end

local function post(path, fields, extra)
  local headers = cookie_headers(extra)
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  return wrk.format("POST", data.base .. path, headers, form(fields))
end

-- A name no other thread, slice or run uses: "loadtest" marks everything a run creates.
local function next_name()
  names = names + 1
  return string.format("%s-%d-%d-%d", data.run, slice, index, names)
end

local function term()
  return pick_from(data.terms)
end

-- Each action: the request it sends. Reads use the workspace's own records; writes create
-- records named "loadtest …", edit and move only those (created by this run's preparation or
-- by this thread), so the workspace's own data is never changed.
local ACTIONS = {
  list_contacts = function()
    if math.random() < 0.3 then return get("/contacts?q=" .. url_encode(term())) end
    return get("/contacts")
  end,
  list_companies = function() return get("/companies") end,
  deal_board = function() return get("/deals/board") end,
  open_contact = function() return get("/contacts/" .. pick_from(data.contacts)) end,
  open_company = function() return get("/companies/" .. pick_from(data.companies)) end,
  open_deal = function() return get("/deals/" .. pick_from(data.deals)) end,
  search = function()
    if math.random() < 0.5 then return get("/search?fragment=dropdown&q=" .. url_encode(term())) end
    return get("/search?q=" .. url_encode(term()))
  end,
  tasks = function() return get("/tasks") end,
  run_segment = function()
    local id = pick_from(data.segments)
    if math.random() < 0.4 then return get("/segments/" .. id .. "/count") end
    return get("/segments/" .. id)
  end,
  create_contact = function()
    local name = next_name()
    return post("/contacts", {
      { "firstName", "loadtest" },
      { "lastName", name },
      { "email", "loadtest-" .. name .. "@example.com" },
      { "title", "Load test" },
      { "tags", "loadtest" },
    })
  end,
  edit_contact = function()
    return post("/contacts/" .. pick_from(data.ownContacts), {
      { "firstName", "loadtest" },
      { "lastName", "edited " .. next_name() },
      { "title", "Edited by the load test" },
      { "tags", "loadtest" },
    })
  end,
  create_deal = function()
    return post("/deals", {
      { "title", "loadtest deal " .. next_name() },
      { "amount", tostring(math.random(1, 500) * 100) },
      { "currency", "USD" },
      { "stageId", data.openStages[1] },
      { "tags", "loadtest" },
    })
  end,
  -- As the board does it (htmx): the token in a header, the board fragment back.
  move_deal = function()
    return post("/deals/" .. pick_from(data.ownDeals) .. "/stage", {
      { "stageId", pick_from(data.openStages) },
      { "_fragment", "board" },
    }, { ["HX-Request"] = "true", ["X-CSRF-Token"] = user.csrf })
  end,
}

local WRITES = { create_contact = true, edit_contact = true, create_deal = true, move_deal = true }

-- The list an action picks from: without one (no saved segment, no writer to make records),
-- the action is left out of the mix.
local NEEDS = {
  open_contact = "contacts",
  open_company = "companies",
  open_deal = "deals",
  run_segment = "segments",
  edit_contact = "ownContacts",
  move_deal = "ownDeals",
}

-- Where a create's id goes when its 303 names the new record.
local CREATED = { create_contact = "ownContacts", create_deal = "ownDeals" }

-- What each write answers when it worked: a form post a 303 to the record (its path), the
-- board's htmx move a 200 (the board fragment). Every read expects a 200.
local EXPECTED = {
  create_contact = { status = 303, location = "/contacts/%d+$" },
  edit_contact = { status = 303, location = "/contacts/%d+$" },
  create_deal = { status = 303, location = "/deals/%d+$" },
  move_deal = { status = 200 },
}
local READ = { status = 200 }

function init(args)
  data = dofile(args[1])
  slice = tonumber(args[2]) or 0
  -- `index` is the global setup() gave this thread.
  user = data.users[(index % #data.users) + 1]
  math.randomseed(data.seed + slice * 7919 + index * 104729)
  for name, weight in pairs(SCENARIO.weights) do
    if not ACTIONS[name] then error("scenario names an unknown action: " .. name) end
    -- A read-only user reads only: its writes would be refused (403) by design, not by load.
    local usable = not NEEDS[name] or #data[NEEDS[name]] > 0
    if weight > 0 and usable and (user.canWrite or not WRITES[name]) then
      total_weight = total_weight + weight
      table.insert(picks, { name = name, upto = total_weight })
    end
  end
  table.sort(picks, function(a, b) return a.upto < b.upto end)
end

local function pick_action()
  local r = math.random() * total_weight
  for _, p in ipairs(picks) do
    if r < p.upto then return p.name end
  end
  return picks[#picks].name
end

function request()
  pending = pick_action()
  started = now_us()
  return ACTIONS[pending]()
end

local function add(key, n)
  stats[key] = (stats[key] or 0) + n
end

function response(status, headers, body)
  local action = pending
  if not action then return end
  pending = nil
  local us = now_us() - started
  add(action .. "|count", 1)
  add(action .. "|sum_us", us)
  if us > (stats[action .. "|max_us"] or 0) then stats[action .. "|max_us"] = us end
  add(action .. "|b|" .. bucket_of(us), 1)
  add(action .. "|s|" .. status, 1)
  -- Only the answer the action expects is a success: a 303 to the login page (a lost session)
  -- or to anywhere but the record is an error, and so is a read answered other than 200.
  local expected = EXPECTED[action] or READ
  local location = headers["location"] or headers["Location"] or ""
  local ok = status == expected.status
    and not location:find("/login", 1, true)
    and (not expected.location or location:find(expected.location) ~= nil)
  if not ok then
    add(action .. "|errors", 1)
    if status >= 200 and status < 400 then add(action .. "|unexpected", 1) end
    return
  end
  local list = CREATED[action]
  if list then
    add(action .. "|created", 1)
    table.insert(data[list], location:match("/(%d+)$"))
  end
end

---------------------------------------------------------------------------------------------
-- The end: one line of JSON on stdout, "CRM-LOADTEST {...}", that crm loadtest reads.

local function json(value)
  local kind = type(value)
  if kind == "number" then
    if value ~= value or value == math.huge or value == -math.huge then return "null" end
    return string.format("%.17g", value)
  elseif kind == "string" then
    return '"' .. value:gsub('[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end) .. '"'
  elseif kind == "boolean" then
    return tostring(value)
  elseif kind == "table" then
    local parts = {}
    if #value > 0 then
      for _, v in ipairs(value) do table.insert(parts, json(v)) end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    for k, v in pairs(value) do table.insert(parts, json(tostring(k)) .. ":" .. json(v)) end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  return "null"
end

local function merge_into(all, key, value)
  local action, field, sub = key:match("^([^|]+)|([^|]+)|?(.*)$")
  local m = all[action]
  if not m then
    m = { count = 0, errors = 0, unexpected = 0, created = 0, statuses = {}, buckets = {}, max_us = 0, sum_us = 0 }
    all[action] = m
  end
  if field == "s" then
    m.statuses[sub] = (m.statuses[sub] or 0) + value
  elseif field == "b" then
    m.buckets[sub] = (m.buckets[sub] or 0) + value
  elseif field == "max_us" then
    if value > m.max_us then m.max_us = value end
  else
    m[field] = m[field] + value
  end
end

function done(summary, latency, requests)
  local actions = {}
  -- Requests unanswered when wrk stopped: wrk drops them uncounted; their age so far says
  -- whether the server was stalled (crm loadtest counts those past its timeout as timeouts).
  local unanswered, end_us = {}, now_us()
  for _, thread in ipairs(threads) do
    for key, value in pairs(thread:get("stats") or {}) do merge_into(actions, key, value) end
    local action = thread:get("pending")
    if action then table.insert(unanswered, end_us - (thread:get("started") or end_us)) end
  end
  -- The whole distribution, value (µs) and count, so slices can be merged exactly.
  local histogram = {}
  for i = 1, #latency do
    local value, count = latency(i)
    table.insert(histogram, { value, count })
  end
  io.write("CRM-LOADTEST " .. json({
    duration_us = summary.duration,
    requests = summary.requests,
    bytes = summary.bytes,
    errors = summary.errors,
    latency = { min = latency.min, max = latency.max, mean = latency.mean },
    histogram = histogram,
    actions = actions,
    unanswered_us = unanswered,
  }) .. "\n")
end
