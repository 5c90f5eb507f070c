-- list.lua - wrk script: GET /api/requests for a rotating set of approvers.
--   wrk ... -s t/bench/list.lua URL -- API_KEY QUERY APPROVER[,APPROVER...]
-- QUERY is the rest of the query string, e.g. "status=Pending&limit=50".
-- Answers other than 200 are counted ("bad=" in the bench: line).

local threads = {}
local next_id = 0

function setup(thread)
   next_id = next_id + 1
   thread:set("tid", next_id)
   table.insert(threads, thread)
end

local headers, query, approvers, i, bad

function init(args)
   headers = { ["Authorization"] = "Bearer " .. (args[1] or "missing") }
   query = args[2] or "limit=50"
   approvers = {}
   for a in string.gmatch(args[3] or "", "[^,]+") do table.insert(approvers, a) end
   if #approvers == 0 then approvers = { "nobody" } end
   i = (tid or 0) * 7
   bad = 0
end

function request()
   i = i + 1
   local a = approvers[(i % #approvers) + 1]
   return wrk.format("GET", "/api/requests?approver_id=" .. a .. "&" .. query, headers)
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
