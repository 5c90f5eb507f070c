-- common.lua - what the wrk scripts of t/bench share; wrk takes a single
-- script, so each loads this one from its own folder:
--   dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "common.lua")
-- It defines setup() (numbers the threads: tid), count_bad(), bench_line()
-- (the one "bench:" line t/bench/lib.sh reads) and a done() printing it.

local threads = {}
local next_id = 0

function setup(thread)
   next_id = next_id + 1
   thread:set("tid", next_id)
   table.insert(threads, thread)
end

-- Answers the run did not expect, in this thread.  A global: done() reads
-- each thread's with thread:get, which sees no locals.
bad = 0

-- One more unexpected answer; the first three are shown on stderr.
function count_bad(line)
   bad = bad + 1
   if bad <= 3 then io.stderr:write(line .. "\n") end
end

-- The "bench:" line t/bench/lib.sh reads (bench_wrk), with nbad as bad=.
function bench_line(summary, latency, nbad)
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

function done(summary, latency, requests)
   local nbad = 0
   for _, t in ipairs(threads) do nbad = nbad + (t:get("bad") or 0) end
   bench_line(summary, latency, nbad)
end
