-- ack.lua - wrk script for t/bench/ack: signed Slack block_actions clicks
-- POSTed at a fixed total rate.
--   wrk -t C -c C -d Ns -s t/bench/ack.lua URL -- BODIES RATE SECONDS C
-- BODIES: one click per line, "timestamp<TAB>signature<TAB>form body"
-- (t/bench/ack writes it, signed just before the run).
--
-- One connection per wrk thread, so each thread's request() and
-- response() strictly alternate and the script can time every request and
-- tell its kind.  Thread i takes lines i, i+C, ... Each line is sent once as
-- a first click (it decides the request); every other request replays a
-- click this thread already sent (Slack retrying, a second click on the same
-- button: the "already decided" path).  First clicks are spread evenly over
-- the first 80 % of the expected RATE * SECONDS / C requests of the thread.
--
-- Pacing: wrk is closed-loop; the delay() hook holds each connection to an
-- absolute schedule, one request every C * 1000 / RATE ms (threads offset
-- from one another), so the rate stays fixed whatever the latency, as long
-- as a reply comes back within the interval ("late=" counts those that did
-- not: sent behind schedule).  The done() handler prints the "bench:" line
-- t/bench/lib.sh reads, plus per-kind figures.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } ack_timespec;
int clock_gettime(int clk, ack_timespec *ts);
]]
local tsbuf = ffi.new("ack_timespec")
local function now_us()
   ffi.C.clock_gettime(1, tsbuf)     -- CLOCK_MONOTONIC
   return tonumber(tsbuf.tv_sec) * 1e6 + tonumber(tsbuf.tv_nsec) / 1e3
end

local threads = {}
local nthreads = 0

function setup(thread)
   thread:set("tid", nthreads)
   nthreads = nthreads + 1
   table.insert(threads, thread)
end

-- per thread (globals, so done() can read them with thread:get)
reqs = {}        -- prepared HTTP requests of this thread's slice
first_ms = {}    -- latencies of first clicks, ms
replay_ms = {}   -- latencies of replays, ms
bad = 0          -- answers that were not 200
nonempty = 0     -- 200 answers with a body (Slack wants an empty one)
late = 0         -- requests sent more than 1 ms behind schedule
first_sent = 0   -- requests written (answered or not when the run ends)
replay_sent = 0

local nconns, nfirst, sent, every, nextt, interval, t0, kind

function init(args)
   local file, rate, secs = args[1], tonumber(args[2]), tonumber(args[3])
   nconns = tonumber(args[4])
   if not (file and rate and secs and nconns) then
      error("usage: -- BODIES RATE SECONDS CONNECTIONS (one per thread)")
   end
   local path = wrk.path
   local i = 0
   for line in io.lines(file) do
      if i % nconns == tid then
         local ts, sig, body = line:match("^([^\t]+)\t([^\t]+)\t(.*)$")
         if not ts then error("bad line in " .. file) end
         table.insert(reqs, wrk.format("POST", path, {
            ["Content-Type"] = "application/x-www-form-urlencoded",
            ["User-Agent"] = "Slackbot 1.0 (+https://api.slack.com/robots)",
            ["X-Slack-Request-Timestamp"] = ts,
            ["X-Slack-Signature"] = sig,
         }, body))
      end
      i = i + 1
   end
   if #reqs == 0 then error("no clicks for thread " .. tid) end
   interval = nconns * 1000 / rate
   -- first clicks spread over the first 80 % of the thread's expected
   -- requests: only replays are in flight when wrk stops
   every = math.max(1, math.floor(0.8 * secs * 1000 / interval / #reqs))
   nfirst, sent = 0, 0
   math.randomseed(1000 + tid)
end

function delay()
   local now = now_us() / 1000
   if not nextt then
      nextt = now + interval * tid / nconns
   else
      nextt = nextt + interval
   end
   local d = nextt - now
   if d < -1 then late = late + 1 end
   if d <= 0 then return 0 end
   return math.floor(d)
end

function request()
   -- wrk builds one request to check it before the run (no delay() yet):
   -- not a click that counts.
   if not nextt then return reqs[1] end
   local r
   if nfirst < #reqs and (nfirst == 0 or sent % every == 0) then
      nfirst = nfirst + 1
      r = reqs[nfirst]
      kind = first_ms
      first_sent = first_sent + 1
   else
      r = reqs[math.random(nfirst)]
      kind = replay_ms
      replay_sent = replay_sent + 1
   end
   sent = sent + 1
   t0 = now_us()
   return r
end

function response(status, headers, body)
   if not t0 then return end
   kind[#kind + 1] = (now_us() - t0) / 1000
   if status ~= 200 then
      bad = bad + 1
      if bad <= 3 then
         io.stderr:write("non-200: " .. status .. " " .. (body or "") .. "\n")
      end
   elseif body and #body > 0 then
      nonempty = nonempty + 1
   end
end

local function pct(t, p)
   if #t == 0 then return 0 end
   local k = math.max(1, math.ceil(#t * p / 100))
   return t[k]
end

function done(summary, latency, requests)
   local all = { first = {}, replay = {} }
   local nbad, nempty, nlate, fsent, rsent = 0, 0, 0, 0, 0
   for _, t in ipairs(threads) do
      fsent = fsent + (t:get("first_sent") or 0)
      rsent = rsent + (t:get("replay_sent") or 0)
      nbad = nbad + (t:get("bad") or 0)
      nempty = nempty + (t:get("nonempty") or 0)
      nlate = nlate + (t:get("late") or 0)
      for _, v in ipairs(t:get("first_ms") or {}) do table.insert(all.first, v) end
      for _, v in ipairs(t:get("replay_ms") or {}) do table.insert(all.replay, v) end
   end
   table.sort(all.first)
   table.sort(all.replay)
   local e = summary.errors
   local s = summary.duration / 1e6
   io.write(string.format(
      "bench: requests=%d duration_s=%.2f rps=%.1f p50_ms=%.3f p95_ms=%.3f" ..
      " p99_ms=%.3f max_ms=%.3f socket_errors=%d bad=%d nonempty=%d late=%d" ..
      " first_sent=%d replay_sent=%d first_n=%d first_p50_ms=%.3f first_p99_ms=%.3f first_max_ms=%.3f" ..
      " replay_n=%d replay_p50_ms=%.3f replay_p99_ms=%.3f replay_max_ms=%.3f\n",
      summary.requests, s, summary.requests / s,
      latency:percentile(50) / 1000, latency:percentile(95) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000,
      e.connect + e.read + e.write + e.timeout, nbad, nempty, nlate, fsent, rsent,
      #all.first, pct(all.first, 50), pct(all.first, 99), all.first[#all.first] or 0,
      #all.replay, pct(all.replay, 50), pct(all.replay, 99), all.replay[#all.replay] or 0))
end
