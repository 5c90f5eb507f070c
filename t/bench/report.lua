-- report.lua - wrk script for reference runs: plain GETs, and a done()
-- handler printing the one "bench:" line t/bench/lib.sh reads (bad= is
-- wrk's own count of non-2xx/3xx answers here; the other scripts count
-- what each expects).

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "common.lua")

function done(summary, latency, requests)
   bench_line(summary, latency, summary.errors.status)
end
