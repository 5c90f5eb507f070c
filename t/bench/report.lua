-- report.lua - wrk script for reference runs: plain GETs, and a done()
-- handler printing the one "bench:" line t/bench/lib.sh reads (bad= is
-- wrk's own count of non-2xx/3xx answers here; the other scripts load
-- common.lua, which counts what each expects).

function done(summary, latency, requests)
   local e = summary.errors
   local s = summary.duration / 1e6
   io.write(string.format(
      "bench: requests=%d duration_s=%.2f rps=%.1f p50_ms=%.3f p95_ms=%.3f" ..
      " p99_ms=%.3f max_ms=%.3f socket_errors=%d bad=%d\n",
      summary.requests, s, summary.requests / s,
      latency:percentile(50) / 1000, latency:percentile(95) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000,
      e.connect + e.read + e.write + e.timeout, e.status))
end
