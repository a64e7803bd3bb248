-- wrk script for benchmarks/registration.py (every mode, same script):
--   wrk ... -s registration.lua URL -- <kind> <run id> <name> <cap per thread>
--                                      [<csrf token> <session cookie>]...  (one pair per thread)
-- kind:
--   ping      GET /api/ping (the stack's floor)
--   home      GET the event's home page (the "plain page render")
--   form      GET the registration form
--   honeypot  POST a registration with the honeypot field filled (stores nothing: the floor
--             of a registration POST)
--   register  POST a registration (a unique email each)
--   api       POST the same registration as JSON to the REST API (the pair is <API token> "")
--   flow      one virtual visitor after another: GET the form (a new session cookie and its
--             CSRF token, parsed from the answer), then POST a registration with them. The
--             state is per thread, so run it with as many threads as connections (-tN -cN).

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
local paths = {
  ping = "/api/ping",
  home = "/en/events/bench/",
  form = "/en/events/bench/register",
}
-- flow: "get" (next request fetches the form) or "post" (next request registers)
local step = "get"
local visitors = 0

function init(args)
  kind, run, name, cap = args[1], args[2], args[3], tonumber(args[4])
  if paths[kind] then
    expected = 200
  elseif kind == "api" then
    expected = 201
  else
    expected = 303
  end
  tid = wrk.thread:get("tid")
  token, cookie = args[3 + 2 * tid], args[4 + 2 * tid]
end

local function form_body(extra)
  n = n + 1
  return "csrf_token=" .. token
    .. "&full_name=" .. name .. "+" .. tid .. "-" .. n
    .. "&email=bench-" .. run .. "-" .. tid .. "-" .. n .. "%40example.org"
    .. "&organisation=Benchmark&country=SA&preferred_language=ar"
    .. "&attendance_mode=in_person&consent=y" .. (extra or "")
end

local function post_form(extra)
  return wrk.format("POST", "/en/events/bench/register", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = cookie,
  }, form_body(extra))
end

function request()
  if paths[kind] then
    return wrk.format("GET", paths[kind])
  end
  if kind == "api" then
    n = n + 1
    local json = '{"full_name": "' .. name .. ' ' .. tid .. '-' .. n .. '", '
      .. '"email": "bench-' .. run .. '-' .. tid .. '-' .. n .. '@example.org", '
      .. '"organisation": "Benchmark", "country": "SA", "preferred_language": "ar"}'
    return wrk.format("POST", "/api/v1/events/bench/registrations", {
      ["Content-Type"] = "application/json",
      ["Authorization"] = "Bearer " .. token,
    }, json)
  end
  if kind == "honeypot" then
    return post_form("&website=https%3A%2F%2Fspam.example")
  end
  if kind == "flow" then
    if step == "get" then
      -- a new visitor: no cookie, the form gives one
      return wrk.format("GET", "/en/events/bench/register")
    end
    return post_form()
  end
  return post_form()
end

local done_count = 0
local unexpected = ""

local function record(status)
  unexpected = unexpected .. status .. " "
  wrk.thread:set("unexpected", unexpected)
end

function response(status, headers, body)
  done_count = done_count + 1
  if kind == "flow" then
    if step == "get" then
      local found = body and body:match('name="csrf_token" type="hidden" value="([^"]+)"')
      local set = headers["Set-Cookie"] or headers["set-cookie"]
      if status == 200 and found and set then
        token = found
        cookie = set:match("^([^;]+)")
        step = "post"
      else
        record(status)
      end
    else
      if status == 303 then
        visitors = visitors + 1
        wrk.thread:set("visitors", visitors)
      else
        record(status)
      end
      step = "get"
    end
  elseif status ~= expected then
    -- rare: recorded as it happens (a thread's state is read back only through get/set)
    record(status)
  end
  if done_count >= cap then
    wrk.thread:set("capped", 1)
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local bad, capped, visited = "", false, 0
  for _, thread in ipairs(threads) do
    bad = bad .. (thread:get("unexpected") or "")
    if thread:get("capped") then capped = true end
    visited = visited + (thread:get("visitors") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"duration_us": %d, "requests": %d, "visitors": %d, "capped": %s, '
      .. '"unexpected": "%s", '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}}\n',
    summary.duration, summary.requests, visited, tostring(capped), bad,
    e.connect, e.read, e.write, e.timeout))
end
