-- wrk script for benchmarks/registration.py (both routes, same script):
--   wrk ... -s registration.lua URL -- <ping|register|api> <run id> <name> <cap per thread>
--                                      [<csrf token> <session cookie>]...  (one pair per thread)
-- For "api" the pair is <API token> "" and the POST is JSON to the REST API.
-- Each POST carries a unique email; each thread uses its own session cookie and CSRF token.

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

local kind, run, name, cap, token, cookie, tid
local n = 0
local expected

function init(args)
  kind, run, name, cap = args[1], args[2], args[3], tonumber(args[4])
  expected = (kind == "ping") and 200 or ((kind == "api") and 201 or 303)
  tid = wrk.thread:get("tid")
  token, cookie = args[3 + 2 * tid], args[4 + 2 * tid]
end

function request()
  if kind == "ping" then
    return wrk.format("GET", "/api/ping")
  end
  n = n + 1
  if kind == "api" then
    local json = '{"full_name": "' .. name .. ' ' .. tid .. '-' .. n .. '", '
      .. '"email": "bench-' .. run .. '-' .. tid .. '-' .. n .. '@example.org", '
      .. '"organisation": "Benchmark", "country": "SA", "preferred_language": "ar"}'
    return wrk.format("POST", "/api/v1/events/bench/registrations", {
      ["Content-Type"] = "application/json",
      ["Authorization"] = "Bearer " .. token,
    }, json)
  end
  local body = "csrf_token=" .. token
    .. "&full_name=" .. name .. "+" .. tid .. "-" .. n
    .. "&email=bench-" .. run .. "-" .. tid .. "-" .. n .. "%40example.org"
    .. "&organisation=Benchmark&country=SA&preferred_language=ar"
    .. "&attendance_mode=in_person&consent=y"
  return wrk.format("POST", "/en/events/bench/register", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = cookie,
  }, body)
end

local done_count = 0
local unexpected = ""

function response(status, headers, body)
  done_count = done_count + 1
  if status ~= expected then
    -- rare: recorded as it happens (a thread's state is read back only through get/set)
    unexpected = unexpected .. status .. " "
    wrk.thread:set("unexpected", unexpected)
  end
  if done_count >= cap then
    wrk.thread:set("capped", 1)
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local bad, capped = "", false
  for _, thread in ipairs(threads) do
    bad = bad .. (thread:get("unexpected") or "")
    if thread:get("capped") then capped = true end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"duration_us": %d, "requests": %d, "capped": %s, "unexpected": "%s", '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}}\n',
    summary.duration, summary.requests, tostring(capped), bad,
    e.connect, e.read, e.write, e.timeout))
end
