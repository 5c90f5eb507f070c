#!/usr/bin/python3
"""isolation.py - the isolation figures of issue 12, each against the
undisturbed figure measured in the same run (see t/bench/README.md):

1. DM latency: API create -> the fake Slack accepted the DM, undisturbed,
   then with callbacks stuck on a tarpitted host (accepts, never answers).
2. Second approver's delay: 30 requests to one approver, then one to
   another; the other's DM latency (target < 2 s) against the
   undisturbed DM latency.
3. Click ack: Approve clicks answered, undisturbed, then sent right after
   Reject clicks whose views.open Slack stalls for 6 s (target < 1 s).

Runs inside t/integration/env.sh (t/bench/isolation enters it); prints one
"bench:" line per figure and PASS/MISS per target; exit 1 on a miss only
with BENCH_STRICT=1.
"""
import os
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "t", "integration"))
import isolib  # noqa: E402
from isolib import sql1, wait_for  # noqa: E402

N = int(os.environ.get("BENCH_SAMPLES", "5"))
missed = []


def dm_latency(ws, ext, user):
    t0 = time.time()
    rid = ws.create(ext, user)
    wait_for("DM of " + ext, lambda: isolib.dm_delivered(rid), timeout=120, step=0.01)
    return time.time() - t0, rid


def median_dm(ws, tag, n):
    return statistics.median(dm_latency(ws, "%s-%d" % (tag, i), "UB%s%03d" % (tag, i))[0]
                             for i in range(n))


def report(name, value, ref, target=None):
    ratio = value / ref if ref > 0 else 0
    line = "bench: %s=%.3fs reference=%.3fs ratio=%.1f" % (name, value, ref, ratio)
    print(line)
    if target is not None:
        good = value < target
        print("  target %s < %.1f s: %s" % (name, target, "PASS" if good else "MISS"))
        if not good:
            missed.append(name)


def tarpit_figure(ws, ref):
    sock, port = isolib.tarpit()
    url = "http://127.0.0.1:%d/hook" % port
    for i in range(6):
        ws.cancel(ws.create("TPB-%d" % i, "UBTPX%03d" % i, url))
    wait_for("callbacks stuck", lambda: sql1(
        "SELECT count(*) FROM jobs WHERE kind = 'http_post' AND state = 'running'"
        " AND payload->>'url' = '%s'" % url) != "0", timeout=30)
    value = median_dm(ws, "TPD", N)
    sock.close()
    report("dm_latency_tarpitted_callbacks", value, ref)


def busy_figure(ws, ref):
    for i in range(30):
        ws.create("BSY-%d" % i, "UBBUSY001")
    value, _ = dm_latency(ws, "BSY-other", "UBOTHER01")
    report("second_approver_delay", value, ref, 2.0)


def clicks(ws, tag, n, action):
    ids = [ws.create("%s-%d" % (tag, i), "UB%s%03d" % (tag, i)) for i in range(n)]
    for rid in ids:
        wait_for("DM", lambda rid=rid: isolib.dm_delivered(rid), timeout=60)
    return [ws.click_body(r, action) for r in ids]


def send_all(bodies, gap_after=None):
    answers = [None] * len(bodies)
    threads = []

    def send(k):
        answers[k] = isolib.slack_post("/slack/interactions", bodies[k])

    for k in range(len(bodies)):
        threads.append(threading.Thread(target=send, args=(k,)))
        threads[-1].start()
        if gap_after is not None and k == gap_after:
            time.sleep(0.05)
    for t in threads:
        t.join()
    return answers


def click_figure(ws):
    ref = send_all(clicks(ws, "CKU", 6, "hub_approve"))
    rejects = clicks(ws, "CKR", 6, "hub_reject")
    approves = clicks(ws, "CKA", 6, "hub_approve")
    isolib.fake("stall", {"method": "views.open", "seconds": 6, "count": 6})
    got = send_all(rejects + approves, gap_after=5)[6:]
    bad = sum(1 for a in ref + got if a[0] != 200)
    print("  clicks not answered 200: %d" % bad)
    report("approve_ack_max_stalled_views_open", max(a[1] for a in got),
           max(a[1] for a in ref), 1.0)


def main():
    users = ["UBWARM000"] + ["UBREF%03d" % i for i in range(N)] + ["UBTPD%03d" % i for i in range(N)] + \
        ["UBTPX%03d" % i for i in range(6)] + ["UBBUSY001", "UBOTHER01"] + \
        ["UBCK%s%03d" % (t, i) for t in "URA" for i in range(6)]
    ws = isolib.Workspace("T0ISOBENCH", users, name="isobench")
    print("isolation benchmark: %s, %d cores, %d samples per DM figure" %
          (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), os.cpu_count(), N))
    dm_latency(ws, "WARM-0", "UBWARM000")   # the first DM opens connections
    ref = median_dm(ws, "REF", N)
    print("bench: dm_latency_undisturbed=%.3fs" % ref)
    tarpit_figure(ws, ref)
    busy_figure(ws, ref)
    click_figure(ws)
    return 1 if missed and os.environ.get("BENCH_STRICT") == "1" else 0


if __name__ == "__main__":
    sys.exit(main())
