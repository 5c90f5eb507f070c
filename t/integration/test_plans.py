#!/usr/bin/python3
"""test_plans.py - no statement of the hub scans a table that grows with use.

Loads a grown hub into a private database (t/integration/plans-load.sql:
HUB_PLANS_REQUESTS requests, default 200 000, with their steps,
assignments, jobs, attempts, deliveries, sent messages, audit rows, events
seen, embeddings and sessions), then asks PostgreSQL for the plan of every statement
of every statement table in lib/ and fails on a sequential scan of one of
GROWING, and on a statement taking jobs off the queue (FOR UPDATE SKIP
LOCKED) that reads jobs other than by due time, job or target.

The statements are read from the source as the compiler sees it: every
lib/**/*.c is run through the C preprocessor (HUB_CPP, the build's, with
comments kept), and every `struct hub_stmt NAME[...] = { ... }` table in
it is parsed, so a new table, or a table moved to another file, is
covered without touching this test.  Each statement is PREPAREd and
EXPLAINed with plan_cache_mode = force_generic_plan: the generic plan is
the one a prepared statement settles on, whatever its parameters.

An index scan whose condition leaves out the index's first column
counts as a scan too: it reads the whole index.  A statement that may scan
on purpose says so in a comment right above its entry in the table,
`/* scan-ok: <why> */`; the test reports the reason and lets it pass.  Statements PostgreSQL cannot PREPARE (LISTEN,
DDL, SET) have no plan and are skipped.

Reports TAP on stdout, one line per statement.  Runs with Debian's
python3 (/usr/bin/python3), stdlib only, inside t/integration/env.sh.
"""
import glob
import json
import os
import re
import shlex
import subprocess
import sys
import time

GROWING = ("requests", "assignments", "request_steps", "jobs", "job_attempts",
           "delivery_log", "sent_messages", "audit_log", "slack_events_seen",
           "sessions", "request_embeddings")
SCAN_OK = "scan-ok:"
PLANNABLE = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH|VALUES)\b", re.I)

top_srcdir = os.environ["top_srcdir"]
top_builddir = os.environ.get("top_builddir", top_srcdir)
# 200 000 keeps the test near a minute on a busy 2-core machine; the plans
# are the same at 1 000 000 (HUB_PLANS_REQUESTS=1000000 to check).
N = int(os.environ.get("HUB_PLANS_REQUESTS", "200000"))
PSQL = os.path.join(os.environ["PG_BINDIR"], "psql") \
    if os.environ.get("PG_BINDIR") else "psql"


def say(*lines):
    for line in lines:
        for part in str(line).splitlines() or [""]:
            print("# " + part)
    sys.stdout.flush()


# ------------------------------------------------------------ extraction
TOKEN = re.compile(r"""
    (?P<comment>/\*.*?\*/|//[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<char>'(?:[^'\\\n]|\\.)*')
  | (?P<marker>^\#[^\n]*)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*|\d+)
  | (?P<space>\s+)
  | (?P<punct>.)
""", re.S | re.M | re.X)

ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'", "r": "\r",
           "0": "\0"}


def c_string(lit):
    """The bytes of a C string literal, as UTF-8 text (\\x escapes are bytes:
    "\\xe2\\x86\\x92" is one arrow)."""
    body, out, i = lit[1:-1], bytearray(), 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt == "x":
                m = re.match(r"[0-9A-Fa-f]+", body[i + 2:])
                if not m:
                    raise ValueError("escape \\x without digits in %s" % lit)
                out.append(int(m.group(0), 16) & 0xFF)
                i += 2 + len(m.group(0))
                continue
            if nxt not in ESCAPES:
                raise ValueError("escape \\%s in %s" % (nxt, lit))
            out += ESCAPES[nxt].encode()
            i += 2
        else:
            out += ch.encode("utf-8")
            i += 1
    return out.decode("utf-8", "replace")


def tokens(text):
    for m in TOKEN.finditer(text):
        kind = m.lastgroup
        if kind in ("space", "marker"):
            continue
        yield kind, m.group(kind)


def parse_tables(text, where):
    """Yield (table, key, sql, nparams, comments) for every statement."""
    toks = list(tokens(text))
    i = 0
    while i < len(toks):
        if not (toks[i] == ("word", "hub_stmt") and i + 3 < len(toks)
                and toks[i - 1] == ("word", "struct") and toks[i + 1][0] == "word"
                and toks[i + 2] == ("punct", "[")):
            i += 1
            continue
        table = toks[i + 1][1]
        j = i + 3
        while toks[j] != ("punct", "]"):
            j += 1
        if toks[j + 1] != ("punct", "=") or toks[j + 2] != ("punct", "{"):
            i = j  # a declaration, not a definition
            continue
        j += 3
        index, comments = 0, []
        while toks[j] != ("punct", "}"):
            kind, val = toks[j]
            if kind == "comment":
                comments.append(val)
                j += 1
                continue
            if (kind, val) == ("punct", ","):
                j += 1
                continue
            key = str(index)
            if (kind, val) == ("punct", "["):
                key = toks[j + 1][1]
                j += 2
                while toks[j] != ("punct", "="):
                    j += 1
                j += 1
                while toks[j][0] == "comment":
                    comments.append(toks[j][1])
                    j += 1
            if toks[j] != ("punct", "{"):
                raise ValueError("%s: %s: entry %s is not { sql, nparams }"
                                 % (where, table, key))
            j += 1
            parts, rest, field = [], [], 0
            while toks[j] != ("punct", "}"):
                kind, val = toks[j]
                if (kind, val) == ("punct", ","):
                    field += 1
                elif kind == "string" and field == 0:
                    parts.append(c_string(val))
                elif kind != "comment" and field == 1:
                    rest.append(val)
                j += 1
            j += 1
            if parts:
                nparams = int("".join(rest).strip("()").rstrip("uUlL"))
                yield table, key, "".join(parts), nparams, comments
            index += 1
            comments = []
        i = j


def statements():
    cpp = shlex.split(os.environ.get("HUB_CPP") or "cc -E")
    found = []
    for path in sorted(glob.glob(os.path.join(top_srcdir, "lib", "**", "*.c"),
                                 recursive=True)):
        rel = os.path.relpath(path, top_srcdir)
        with open(path, encoding="utf-8") as f:
            if "hub_stmt" not in f.read():
                continue
        out = subprocess.run(cpp + ["-C", "-I", os.path.join(top_srcdir, "lib"),
                                    "-I", os.path.join(top_builddir, "lib"),
                                    "-I", top_builddir, path],
                             check=True, capture_output=True, text=True,
                             cwd=top_builddir).stdout
        # Only the file's own text: headers hold no tables.
        mine, keep = [], True
        for line in out.splitlines():
            m = re.match(r'^# \d+ "([^"]*)"', line)
            if m:
                keep = os.path.realpath(os.path.join(top_builddir, m.group(1))) \
                    == os.path.realpath(path)
                continue
            if keep:
                mine.append(line)
        for table, key, sql, n, comments in parse_tables("\n".join(mine), rel):
            ok = None
            for c in comments:
                m = re.search(re.escape(SCAN_OK) + r"\s*(.*?)\s*(\*/)?$", c, re.S)
                if m:
                    ok = " ".join(re.sub(r"\n\s*\*", " ", m.group(1)).split()) or None
            found.append({"name": "%s %s[%s]" % (rel, table, key), "sql": sql,
                          "n": n, "scan_ok": ok})
    return found


# ------------------------------------------------------------ database
def psql(db, *args, **kw):
    return subprocess.run([PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db]
                          + list(args), check=True, capture_output=True,
                          text=True, **kw)


PLAN_FN = r"""
CREATE FUNCTION pg_temp.plan_of(sql text, n int) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	plan text;
	line text;
BEGIN
	BEGIN
		DEALLOCATE ALL;
		EXECUTE 'PREPARE plan_stmt AS ' || sql;
		FOR line IN EXECUTE 'EXPLAIN (FORMAT JSON) EXECUTE plan_stmt'
		    || CASE WHEN n > 0 THEN '(' || array_to_string(array_fill('NULL'::text,
		        ARRAY[n]), ', ') || ')' ELSE '' END LOOP
			plan := concat_ws(E'\n', plan, line);
		END LOOP;
		RETURN plan;
	EXCEPTION WHEN others THEN
		RETURN 'ERROR: ' || SQLSTATE || ' ' || SQLERRM;
	END;
END
$$;
"""


def literal(s):
    return "'" + s.replace("'", "''") + "'"


def plans(db, stmts):
    rows = ",\n".join("(%d, %s, %d)" % (i, literal(s["sql"]), s["n"])
                      for i, s in enumerate(stmts))
    script = (PLAN_FN + "SET plan_cache_mode = force_generic_plan;\n"
              "SELECT json_agg(json_build_object('i', i, 'plan', pg_temp.plan_of(sql, n))"
              " ORDER BY i) FROM (VALUES\n" + rows + ") s(i, sql, n);\n")
    out = psql(db, "-At", input=script).stdout
    return {r["i"]: r["plan"] for r in json.loads(out)}


LEADING = """
SELECT json_object_agg(c.relname, a.attname) FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
WHERE t.relname = ANY (%s);
"""


def scans(node, leading, found):
    """Every scan of a growing table in the plan: a sequential scan, or an
    index scan whose condition leaves out the index's first column (it
    reads the whole index; PostgreSQL 15 has no skip scan)."""
    rel, kind = node.get("Relation Name"), node.get("Node Type", "")
    if kind == "Seq Scan" and rel in GROWING:
        found.append(rel)
    cond, index = node.get("Index Cond"), node.get("Index Name")
    if cond and index in leading and leading[index] \
            and not re.search(r"\b%s\b" % re.escape(leading[index]), cond):
        found.append("%s (all of index %s)" % (rel or index, index))
    for child in node.get("Plans", []):
        scans(child, leading, found)
    return found


# A statement that takes jobs off the queue (FOR UPDATE SKIP LOCKED on
# jobs) reads only the jobs it may take: each of its reads of jobs is an
# index scan bounded by a due time (run_at, locked_until), a job (id), a
# target, or the running jobs (a few per worker process; PostgreSQL picks
# jobs_live_kind or jobs_lease for those by the statistics of the load).
# A claim that read the queue by state alone (jobs_live_kind, or a bitmap
# of jobs_due and jobs_lease with the condition between them) read every
# queued job, due or not, and, as a bitmap, every job that had left the
# queue since the last VACUUM (lib/store/jobs.c, JOB_PICK).
TAKES_JOBS = re.compile(r"\bFROM jobs\b.*\bFOR UPDATE SKIP LOCKED\b", re.S | re.I)
BOUNDED = re.compile(r"\b(run_at|locked_until|id|target|updated_at)\b"
                     r"|\bstate = 'running'")


def unbounded_job_reads(node, found):
    """The reads of jobs in the plan that no due time, job, target or
    running state bounds."""
    kind, rel = node.get("Node Type", ""), node.get("Relation Name")
    index = node.get("Index Name", "")
    if kind == "Bitmap Index Scan" and index.startswith("jobs_"):
        found.append("%s as a bitmap" % index)
    elif kind in ("Index Scan", "Index Only Scan") and rel == "jobs" \
            and not BOUNDED.search(node.get("Index Cond", "")):
        found.append("%s by %s" % (index, node.get("Index Cond", "no condition")))
    for child in node.get("Plans", []):
        unbounded_job_reads(child, found)
    return found


def main():
    stmts = statements()
    print("1..%d" % (len(stmts) + 2))
    tables = sorted({s["name"].split("[")[0] for s in stmts})
    ok = len(tables) >= 10 and len(stmts) >= 100
    print("%s 1 - %d statements in %d tables found in lib/" %
          ("ok" if ok else "not ok", len(stmts), len(tables)))
    say(*tables)

    db = "plans_%d" % os.getpid()
    psql("postgres", "-c", "CREATE DATABASE " + db)
    try:
        env = dict(os.environ)
        env["DATABASE_URL"] = "postgresql:///%s?host=%s&user=%s" % (
            db, os.environ["PGHOST"], os.environ.get("PGUSER", "postgres"))
        subprocess.run([os.path.join(top_builddir, "bin", "approvalhub"), "migrate"],
                       env=env, check=True, capture_output=True)
        t0 = time.monotonic()
        psql(db, "-v", "n=%d" % N, "-f",
             os.path.join(top_srcdir, "t", "integration", "plans-load.sql"))
        print("ok 2 - loaded %d requests and their rows in %.1f s"
              % (N, time.monotonic() - t0))
        t0 = time.monotonic()
        got = plans(db, stmts)
        leading = json.loads(psql(db, "-At", input=LEADING % literal(
            "{" + ",".join(GROWING) + "}")).stdout)
        say("explained %d statements in %.1f s" % (len(stmts), time.monotonic() - t0))
        failed = 0
        for i, s in enumerate(stmts):
            plan, num = got[i], i + 3
            if plan.startswith("ERROR: "):
                if PLANNABLE.match(s["sql"]):
                    failed += 1
                    print("not ok %d - %s: %s" % (num, s["name"], plan))
                    say(s["sql"])
                else:
                    print("ok %d - %s # SKIP no plan (%s)" % (num, s["name"],
                                                            s["sql"].split()[0]))
                continue
            seq = scans(json.loads(plan)[0]["Plan"], leading, [])
            if TAKES_JOBS.search(s["sql"]):
                seq = unbounded_job_reads(json.loads(plan)[0]["Plan"], seq)
            if not seq:
                print("ok %d - %s" % (num, s["name"]))
            elif s["scan_ok"]:
                print("ok %d - %s scans %s on purpose: %s"
                      % (num, s["name"], ", ".join(seq), s["scan_ok"]))
            else:
                failed += 1
                print("not ok %d - %s scans %s" % (num, s["name"], ", ".join(seq)))
                say(s["sql"])
                out = psql(db, "-At", input=PLAN_FN.replace("FORMAT JSON", "FORMAT TEXT")
                           + "SET plan_cache_mode = force_generic_plan;\n"
                           "SELECT pg_temp.plan_of(%s, %d);\n"
                           % (literal(s["sql"]), s["n"])).stdout
                say(out)
        return 1 if failed or not ok else 0
    finally:
        if not os.environ.get("HUB_KEEP_STATE"):
            psql("postgres", "-c", "DROP DATABASE IF EXISTS %s WITH (FORCE)" % db)


if __name__ == "__main__":
    sys.exit(main())
