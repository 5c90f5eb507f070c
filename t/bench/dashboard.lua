-- dashboard.lua - wrk script: GET dashboard pages as a signed-in person.
--   wrk ... -s t/bench/dashboard.lua URL -- COOKIE PATHS [EXPECT] [IF-NONE-MATCH]
-- COOKIE is the hub_session value; PATHS one or more paths separated by
-- spaces, taken in turn; EXPECT the status every answer must have (200,
-- or 304 with IF-NONE-MATCH sent).  Other answers are counted ("bad=" in
-- the bench: line, as report.lua prints it).

local threads = {}
local next_id = 0

function setup(thread)
   next_id = next_id + 1
   thread:set("tid", next_id)
   table.insert(threads, thread)
end

local headers, paths, expect, i, bad

function init(args)
   headers = { ["Cookie"] = "hub_session=" .. (args[1] or "") }
   paths = {}
   for p in string.gmatch(args[2] or "/requests", "%S+") do table.insert(paths, p) end
   expect = tonumber(args[3] or "200")
   if args[4] and args[4] ~= "" then headers["If-None-Match"] = args[4] end
   i = (tid or 0) * 7
   bad = 0
end

function request()
   i = i + 1
   return wrk.format("GET", paths[(i % #paths) + 1], headers)
end

function response(status, hdrs, body)
   if status ~= expect then
      bad = bad + 1
      if bad <= 3 then io.stderr:write("unexpected " .. status .. "\n") end
   end
end

function done(summary, latency, requests)
   local nbad = 0
   for _, t in ipairs(threads) do nbad = nbad + (t:get("bad") or 0) end
   local e = summary.errors
   local s = summary.duration / 1e6
   io.write(string.format(
      "bench: requests=%d duration_s=%.2f rps=%.1f p50_ms=%.3f p95_ms=%.3f" ..
      " p99_ms=%.3f max_ms=%.3f socket_errors=%d bad=%d\n",
      summary.requests, s, summary.requests / s,
      latency:percentile(50) / 1000, latency:percentile(95) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000,
      e.connect + e.read + e.write + e.timeout, nbad))
end
