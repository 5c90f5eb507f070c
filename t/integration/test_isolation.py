#!/usr/bin/python3
"""test_isolation.py - one slow or failing thing never holds up the rest
(issue 12), through the running programs: API and interactions behind
nginx, the stack's worker with its lanes, the fake Slack, loopback hosts.

1. A tarpitted callback host (accepts, never answers) does not delay a
   new approval's DM: the DM is delivered while every callback to the
   tarpit is still in its first attempt.
2. A busy approver (30 requests at once) does not hold back another
   approver's DM: it is delivered before the busy approver's queue has
   drained (Slack's per-channel limit defers the busy DMs instead of
   sleeping on them).
3. A failing callback host opens its circuit: its queued jobs are
   deferred to when the circuit closes, and no attempt goes to the host
   meanwhile.
4. Reject clicks whose views.open Slack stalls for 6 s do not hold up the
   Approve clicks sent right after them: every click is answered 200 and
   every Approve recorded, while the stalled views.open calls have not
   even come back.
5. A stalled SMTP server does not hold up Slack: notifications to
   email-only approvers move themselves to the email lane, so a Slack
   approver's DM is delivered while every email is still stalled, and the
   emails go out from the email lane once the server answers.

Ordering and state only; how fast is t/bench/isolation's business.
Reports TAP; stdlib only, inside t/integration/env.sh.
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import isolib  # noqa: E402
from isolib import sql, sql1, wait_for  # noqa: E402

results = []
PLANNED = 13


def ok(cond, name, detail=""):
    results.append(cond)
    print("%s %d - %s" % ("ok" if cond else "not ok", len(results), name))
    if not cond and detail:
        for line in str(detail).splitlines():
            print("# " + line)
    sys.stdout.flush()


def tarpit_does_not_delay_dm(ws):
    sock, port = isolib.tarpit()
    url = "http://127.0.0.1:%d/hook" % port
    stuck = [ws.create("TP-%d" % i, "UISOTP%03d" % i, url) for i in range(6)]
    for rid in stuck:
        ws.cancel(rid)
    tp = "payload->>'url' = '%s'" % url
    # Callbacks to the tarpit are in flight (the worker is waiting on it).
    wait_for("callbacks running into the tarpit", lambda: sql1(
        "SELECT count(*) FROM jobs WHERE kind = 'http_post' AND state = 'running' AND "
        + tp) != "0", timeout=30)
    rid = ws.create("TP-new", "UISONEW01")
    wait_for("the new approval's DM", lambda: isolib.dm_delivered(rid), timeout=90)
    attempts = sql1("SELECT count(*) FROM job_attempts a JOIN jobs j ON j.id = a.job_id"
                    " WHERE j.kind = 'http_post' AND j." + tp)
    sock.close()
    ok(attempts == "0",
       "the DM went out while every tarpit callback was still in its first attempt",
       "attempts recorded for tarpit callbacks: %s" % attempts)


def busy_approver_does_not_hold_back(ws):
    busy, other = "UISOBUSY1", "UISOOTHER"
    ids = [ws.create("BZ-%d" % i, busy) for i in range(30)]
    rid = ws.create("BZ-other", other)
    wait_for("the other approver's DM", lambda: isolib.dm_delivered(rid), timeout=120)
    sent = int(sql1("SELECT count(*) FROM sent_messages WHERE kind = 'call_for_action'"
                    " AND request_id IN (%s)" % ",".join("'%s'" % i for i in ids)))
    ok(sent < 30, "the other approver's DM was delivered before the busy one's 30 drained",
       "busy approver's DMs already delivered: %d" % sent)
    failed = sql1("SELECT count(*) FROM job_attempts a JOIN jobs j ON j.id = a.job_id"
                  " WHERE j.kind = 'notify' AND NOT a.ok AND j.payload->>'request_id' IN (%s)"
                  % ",".join("'%s'" % i for i in ids))
    ok(failed == "0", "the busy approver's jobs waited without spending an attempt",
       "failed attempts: %s" % failed)


def breaker_defers_failing_host(ws):
    port = isolib.free_port()     # nothing listens: every attempt fails at once
    url = "http://127.0.0.1:%d/down" % port
    ids = [ws.create("CB-%d" % i, "UISOCB%03d" % i, url) for i in range(6)]
    for rid in ids:
        ws.cancel(rid)
    target = "127.0.0.1:%d" % port
    wait_for("the circuit to open", lambda: sql1(
        "SELECT count(*) FROM callback_hosts WHERE target = '%s' AND open_until > now()"
        % target) == "1", timeout=60)
    time.sleep(1)   # jobs in flight when it opened come back
    # This test's callbacks only: the port may be one an earlier test's
    # tarpit listened on, whose callbacks share the target (host:port).
    mine = "payload->>'url' = '%s'" % url
    rows = sql("SELECT j.state, j.run_at >= h.open_until - interval '1 second',"
               " j.attempts FROM jobs j, callback_hosts h WHERE h.target = '%s'"
               " AND j.kind = 'http_post' AND j.target = h.target AND j.%s" % (target, mine))
    before = sum(int(r[2]) for r in rows)
    ok(len(rows) == 6, "every callback of the host is kept", "rows: %r" % rows)
    ok(all(r[0] == "queued" and r[1] == "t" for r in rows),
       "every queued job of the failing host waits until the circuit closes",
       "state, run_at past the opening, attempts: %r" % rows)
    time.sleep(2)
    after = int(sql1("SELECT coalesce(sum(attempts), 0) FROM jobs WHERE kind = 'http_post'"
                     " AND target = '%s' AND %s" % (target, mine)))
    ok(after == before and before < 6,
       "no attempt goes to the host while its circuit is open",
       "attempts when it opened %d, two seconds later %d" % (before, after))


def clicks_not_held_by_views_open(ws):
    rejects = [ws.create("VR-%d" % i, "UISOVR%03d" % i) for i in range(6)]
    approves = [ws.create("VA-%d" % i, "UISOVA%03d" % i) for i in range(6)]
    for rid in rejects + approves:
        wait_for("DM of " + rid, lambda rid=rid: isolib.dm_delivered(rid), timeout=60)
    bodies = [ws.click_body(r, "hub_reject") for r in rejects] + \
             [ws.click_body(r, "hub_approve") for r in approves]
    isolib.fake("stall", {"method": "views.open", "seconds": 6, "count": 6})
    answers = [None] * len(bodies)

    def send(k):
        answers[k] = isolib.slack_post("/slack/interactions", bodies[k])

    threads = []
    for k in range(len(bodies)):
        threads.append(threading.Thread(target=send, args=(k,)))
        threads[-1].start()
        if k == 5:
            time.sleep(0.05)   # the Approves right after the Rejects
    for t in threads:
        t.join()
    opened = len(isolib.fake_get("calls?method=views.open"))
    ok(all(a[0] == 200 for a in answers), "every click answered 200",
       "statuses: %r" % [a[0] for a in answers])
    ok(opened == 0, "the clicks were answered while the stalled views.open had not returned",
       "views.open calls finished: %d" % opened)
    decided = sql1("SELECT count(*) FROM requests WHERE status = 'Approved' AND id IN (%s)"
                   % ",".join("'%s'" % i for i in approves))
    ok(decided == "6", "every Approve recorded", "approved: %s of 6" % decided)
    wait_for("the stalled views.open calls", lambda: len(
        isolib.fake_get("calls?method=views.open")) >= 6, timeout=30)
    ok(True, "the Rejects' views.open calls reached Slack")


def smtp_stall_does_not_hold_slack(ws):
    smtp = os.environ["FAKE_SMTP_CONTROL_URL"]
    mails = ["iso-mail-%d@example.test" % i for i in range(6)]   # unknown to Slack
    isolib.fake("reset", {}, base=smtp)
    isolib.fake("stall", {"seconds": 45, "count": len(mails)}, base=smtp)
    try:
        ids = [ws.create("EM-%d" % i, m) for i, m in enumerate(mails)]
        wait_for("an email stalled at the SMTP server",
                 lambda: isolib.smtp_get("health")["stalled"] > 0, timeout=60)
        rid = ws.create("EM-slack", "UISOEMSLK")
        wait_for("the Slack approver's DM", lambda: isolib.dm_delivered(rid), timeout=40)
        sent = [m for m in isolib.smtp_get("messages") if set(m["rcpt_to"]) & set(mails)]
        stalled = isolib.smtp_get("health")["stalled"]
        ok(not sent and stalled > 0,
           "the Slack DM was delivered while every email was still stalled",
           "emails through: %d, stalled now: %d" % (len(sent), stalled))
        inlist = ",".join("'%s'" % i for i in ids)
        moved = "SELECT count(DISTINCT payload->>'request_id') FROM jobs WHERE kind = 'notify'" \
            " AND lane = 'email' AND payload->>'request_id' IN (%s)" % inlist
        # one may still wait its turn at users.lookupByEmail's rate limit
        wait_for("every email notification in the email lane",
                 lambda: sql1(moved) == str(len(ids)), timeout=60)
        rows = sql("SELECT j.payload->>'request_id', j.state, coalesce(j.locked_by, '')"
                   " FROM jobs j WHERE j.kind = 'notify' AND j.lane = 'email'"
                   " AND j.payload->>'request_id' IN (%s)" % inlist)
        running = [r for r in rows if r[1] == "running"]
        ok(len({r[0] for r in rows}) == len(ids) and running and
           all("/email." in r[2] for r in running),
           "every email notification moved to the email lane, the stalled one runs there",
           "request, state, locked_by: %r" % rows)
    finally:
        isolib.fake("reset", {}, base=smtp)    # ends the stalls
    wait_for("every email", lambda: len([m for m in isolib.smtp_get("messages")
                                         if set(m["rcpt_to"]) & set(mails)]) >= len(mails),
             timeout=90)
    attempts = sql("SELECT a.worker, a.ok FROM job_attempts a JOIN jobs j ON j.id = a.job_id"
                   " WHERE j.kind = 'notify' AND j.payload->>'request_id' IN (%s)"
                   " AND j.lane = 'email'" % inlist)
    ok(len(attempts) >= len(ids) and all("/email." in w and a == "t" for w, a in attempts),
       "the emails were sent by the email lane, no attempt spent on the move",
       "worker, ok: %r" % attempts)


def main():
    users = ["UISOTP%03d" % i for i in range(6)] + ["UISONEW01", "UISOBUSY1", "UISOOTHER"] + \
        ["UISOCB%03d" % i for i in range(6)] + ["UISOVR%03d" % i for i in range(6)] + \
        ["UISOVA%03d" % i for i in range(6)] + ["UISOEMSLK"]
    ws = isolib.Workspace("T0ISOLATE", users)
    tests = [tarpit_does_not_delay_dm, busy_approver_does_not_hold_back,
             breaker_defers_failing_host, clicks_not_held_by_views_open,
             smtp_stall_does_not_hold_slack]
    print("1..%d" % PLANNED)
    for t in tests:
        try:
            t(ws)
        except Exception as e:  # noqa: BLE001 - a scenario that cannot finish fails
            ok(False, t.__name__, repr(e))
    return 0 if all(results) and len(results) == PLANNED else 1


if __name__ == "__main__":
    sys.exit(main())
