-- search.lua - wrk script: GET /api/requests?q=... with rotating words,
-- optionally scoped to rotating approvers.
--   wrk ... -s t/bench/search.lua URL -- API_KEY QUERIES [APPROVERS]
-- QUERIES: words joined by '+', queries by ','; APPROVERS: ids by ','
-- ("" = unscoped).  Answers other than 200 are counted ("bad=").

local threads = {}
local next_id = 0

function setup(thread)
   next_id = next_id + 1
   thread:set("tid", next_id)
   table.insert(threads, thread)
end

local headers, queries, approvers, i, bad

local function split(s)
   local t = {}
   for a in string.gmatch(s or "", "[^,]+") do table.insert(t, a) end
   return t
end

function init(args)
   headers = { ["Authorization"] = "Bearer " .. (args[1] or "missing") }
   queries = split(args[2])
   if #queries == 0 then queries = { "nothing" } end
   approvers = split(args[3])
   i = (tid or 0) * 7
   bad = 0
end

function request()
   i = i + 1
   local path = "/api/requests?limit=20&q=" .. queries[(i % #queries) + 1]
   if #approvers > 0 then
      path = path .. "&approver_id=" .. approvers[(i % #approvers) + 1]
   end
   return wrk.format("GET", path, headers)
end

function response(status, hdrs, body)
   if status ~= 200 then
      bad = bad + 1
      if bad <= 3 then io.stderr:write("non-200: " .. status .. " " .. (body or "") .. "\n") end
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
