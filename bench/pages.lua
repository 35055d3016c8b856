-- wrk script for bench_pages: one operation's requests, every response checked, the
-- SQL query count of each (X-Bench-Queries, bench.querycount) tallied; reports counts,
-- latencies (p50, p95: from sending a request to its response) and the query counts
-- seen as one JSON line.
--
--   wrk -t T -c C -d S -s bench/pages.lua URL -- FILE T
--
-- FILE (tab-separated): line 1 the mode, "cycle" (thread i starts at request i and goes
-- round the list) or "once" (thread i sends requests i, i+T, i+2T, ... once each and
-- stops when it runs out: writes, each of which must happen exactly once); line 2 the
-- expected status; line 3 a string every response body must contain (plain text, may
-- be empty); then one request per line: METHOD, PATH, BODY ("-" for none), then
-- headers as "Name: value", one per field.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local mode, want_status, want_body, requests, next_request = nil, 200, "", {}, 1
ok, sent, exhausted, bad, queries = 0, 0, 0, {}, {}

local function split(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do
    table.insert(fields, field)
  end
  return fields
end

function init(args)
  local step = tonumber(args[2])
  local file = assert(io.open(args[1], "r"))
  mode = file:read("*l")
  want_status = tonumber(file:read("*l"))
  want_body = file:read("*l") or ""
  local index, all = 0, {}
  for line in file:lines() do
    local f = split(line)
    local headers = {}
    for i = 4, #f do
      local name, value = f[i]:match("^([^:]+): (.*)$")
      if name then headers[name] = value end
    end
    local body = f[3]
    if body == "-" then body = nil end
    local r = wrk.format(f[1], f[2], headers, body)
    if mode == "once" then
      if index % step == tid then table.insert(requests, r) end
    else
      table.insert(all, r)
    end
    index = index + 1
  end
  file:close()
  if mode ~= "once" then
    -- every thread goes round the whole list, starting at its own offset
    for i = 1, #all do
      requests[i] = all[((i - 1 + tid) % #all) + 1]
    end
  end
end

function request()
  local r = requests[next_request]
  if r == nil then
    if mode == "once" then
      exhausted = 1
      wrk.thread:stop()
      return wrk.format("GET", "/favicon.ico", {}, nil) -- ignored (see response)
    end
    next_request = 1
    r = requests[1]
  end
  next_request = next_request + 1
  return r
end

local function count_bad(what)
  bad[what] = (bad[what] or 0) + 1
end

function response(status, headers, body)
  if exhausted == 1 then
    return
  end
  sent = sent + 1
  local q = headers["X-Bench-Queries"] or headers["x-bench-queries"] or "none"
  queries[q] = (queries[q] or 0) + 1
  if status ~= want_status then
    count_bad("HTTP " .. status .. " " .. (body or ""):sub(1, 160))
  elseif want_body ~= "" and not (body or ""):find(want_body, 1, true) then
    count_bad("HTTP " .. status .. " without the expected text")
  else
    ok = ok + 1
  end
end

local function quote(s)
  return '"' .. s:gsub('\\', '\\\\'):gsub('"', '\\"'):gsub('%c', ' ') .. '"'
end

function done(summary, latency, _)
  local total_ok, total_exhausted, errors, counts = 0, 0, {}, {}
  for _, thread in ipairs(threads) do
    total_ok = total_ok + thread:get("ok")
    total_exhausted = total_exhausted + thread:get("exhausted")
    for what, n in pairs(thread:get("bad")) do
      errors[what] = (errors[what] or 0) + n
    end
    for q, n in pairs(thread:get("queries")) do
      counts[q] = (counts[q] or 0) + n
    end
  end
  local e = summary.errors
  for what, n in pairs({connect = e.connect, read = e.read, write = e.write, timeout = e.timeout}) do
    if n > 0 then errors["socket " .. what] = n end
  end
  local parts, qparts = {}, {}
  for what, n in pairs(errors) do
    table.insert(parts, quote(what) .. ":" .. n)
  end
  for q, n in pairs(counts) do
    table.insert(qparts, quote(q) .. ":" .. n)
  end
  io.write(string.format(
    '{"ok":%d,"requests":%d,"duration_us":%d,"exhausted":%d,'
      .. '"p50_ms":%.2f,"p95_ms":%.2f,"errors":{%s},"queries":{%s}}\n',
    total_ok, summary.requests, summary.duration, total_exhausted,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    table.concat(parts, ","), table.concat(qparts, ",")))
end
