-- wrk script for bench_checkin: POST the same JSON body with one X-Session-Token per
-- request, check every response, report counts and latencies (mean, p50, p95: from
-- sending a request to its response) as one JSON line.
--
--   wrk -t T -c C -d S -s bench/checkin.lua URL -- KIND FILE T
--
-- KIND: bare | auth (the same request over and over, one token per thread),
--       check_in | check_out (each token once; a thread that runs out stops, which
--       the orchestrator reports as an error: it must hold more volunteers).
-- FILE: first line the request body, then one session token per line; thread i of T
--       takes tokens i, i+T, i+2T, ... (each volunteer is scanned by one thread only,
--       so no two requests in flight are for the same volunteer).

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local kind, requests, next_request = nil, {}, 1
ok, exhausted, bad = 0, 0, {}

function init(args)
  kind = args[1]
  local step = tonumber(args[3])
  local file = assert(io.open(args[2], "r"))
  local body = file:read("*l")
  local index = 0
  for token in file:lines() do
    if index % step == tid then
      local headers = {["Content-Type"] = "application/json", ["X-Session-Token"] = token}
      table.insert(requests, wrk.format("POST", nil, headers, body))
    end
    index = index + 1
  end
  file:close()
end

function request()
  if kind == "bare" or kind == "auth" then
    return requests[1]
  end
  local r = requests[next_request]
  if r == nil then
    -- wrk may still send what this returns: a harmless GET of the bare view, whose
    -- response is ignored (never a second scan for a volunteer).
    exhausted = 1
    wrk.thread:stop()
    return wrk.format("GET", "/bench/bare/", {}, nil)
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
  if kind == "bare" or kind == "auth" then
    if status == 200 and body:find('"ok": ?true') then ok = ok + 1 else count_bad(kind .. ": HTTP " .. status) end
  elseif kind == "check_in" then
    if status == 201 and body:find('"action":"check_in"', 1, true) and body:find('"status":"open"', 1, true) then
      ok = ok + 1
    else
      count_bad("check_in: HTTP " .. status .. " " .. body:sub(1, 120))
    end
  else
    if status == 200 and body:find('"action":"check_out"', 1, true)
        and body:find('"status":"credited"', 1, true) and body:find('"points":200', 1, true) then
      ok = ok + 1
    else
      count_bad("check_out: HTTP " .. status .. " " .. body:sub(1, 120))
    end
  end
end

local function quote(s)
  return '"' .. s:gsub('\\', '\\\\'):gsub('"', '\\"'):gsub('%c', ' ') .. '"'
end

function done(summary, latency, requests)
  local total_ok, total_exhausted, errors = 0, 0, {}
  for _, thread in ipairs(threads) do
    total_ok = total_ok + thread:get("ok")
    total_exhausted = total_exhausted + thread:get("exhausted")
    for what, n in pairs(thread:get("bad")) do
      errors[what] = (errors[what] or 0) + n
    end
  end
  local e = summary.errors
  for what, n in pairs({connect = e.connect, read = e.read, write = e.write, timeout = e.timeout}) do
    if n > 0 then errors["socket " .. what] = n end
  end
  local parts = {}
  for what, n in pairs(errors) do
    table.insert(parts, quote(what) .. ":" .. n)
  end
  io.write(string.format(
    '{"ok":%d,"requests":%d,"duration_us":%d,"exhausted":%d,"latency_ms":%.2f,'
      .. '"p50_ms":%.2f,"p95_ms":%.2f,"errors":{%s}}\n',
    total_ok, summary.requests, summary.duration, total_exhausted, latency.mean / 1000,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    table.concat(parts, ",")))
end
