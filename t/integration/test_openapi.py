#!/usr/bin/python3
"""test_openapi.py - the REST API against its own document, as a property.

Reads /api/openapi.json from the running hub (t/integration/env.sh) and,
for every operation in it, sends requests drawn from the document: valid
bodies, parameters and ids (generated from the schemas, the document's
examples, ids that exist) and invalid ones (wrong types, unknown or
missing fields, malformed JSON, ids that cannot exist, a missing or wrong
key, a wrong Content-Type, a chunked or oversized body).  Every answer
must hold:

  - no 5xx, ever;
  - its status is one the document lists for that operation;
  - its body matches the documented schema of that status (errors are
    {"error", "field"});
  - a request without a key or with an unknown one is 401, a source key
    on an admin operation 403 (unless refused earlier: route, length, type);
  - no FastCGI program or child and no worker died (their pids are the
    same after each operation as before the run).

Seeded (Hypothesis derandomized, no example database) and bounded:
HUB_OPENAPI_EXAMPLES requests per operation (default 100);
HUB_OPENAPI_VERBOSE=1 prints every request and answer as TAP comments.
Reports TAP on stdout: the document's own checks, one line per operation,
then whether every process lived through the run.

Runs with Debian's python3 (/usr/bin/python3) and its python3-hypothesis
and python3-jsonschema packages (./bootstrap installs them).
"""
import contextlib
import http.client
import io
import json
import os
import string
import subprocess
import sys
import time
import traceback
import urllib.parse

# Hypothesis keeps caches (its character tables) in a directory of its
# own: the throwaway state directory, not the build tree.
if os.environ.get("HUB_STATE"):
    os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY",
                          os.path.join(os.environ["HUB_STATE"], "hypothesis"))

import jsonschema  # noqa: E402 (after the environment it reads)
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

HUB_URL = os.environ["HUB_URL"]
HUB_STATE = os.environ["HUB_STATE"]
CLI = os.path.join(os.environ["top_builddir"], "bin", "approvalhub")
EXAMPLES = int(os.environ.get("HUB_OPENAPI_EXAMPLES", "100"))
VERBOSE = os.environ.get("HUB_OPENAPI_VERBOSE") == "1"   # every request on stdout
BODY_MAX = 1024 * 1024      # HUB_BODY_MAX_DEFAULT: one byte more is 413
METHODS = ("get", "post", "put", "patch", "delete")
PROGRAMS = ("events", "interactions", "api", "dashboard")

_tap_n = 0
_failed = 0


def tap(ok, name, diag=""):
    global _tap_n, _failed
    _tap_n += 1
    if not ok:
        _failed += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", _tap_n, name))
    for line in diag.splitlines():
        print("# " + line)
    sys.stdout.flush()


def bail(why):
    print("Bail out! " + why)
    sys.exit(1)


# ------------------------------------------------------------ processes

def ppid_of(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    return int(stat[stat.rindex(")") + 2:].split()[1])


def processes():
    """{"api": {master, child, ...}, ..., "worker": {pid}} from env.sh's
    pid file and /proc: a child that died is replaced by a new pid."""
    masters = {}
    with open(os.path.join(HUB_STATE, "pids")) as f:
        for line in f:
            name, _, pid = line.strip().partition(" ")
            if name in PROGRAMS or name == "worker":
                masters[name] = int(pid)
    procs = {name: {pid} for name, pid in masters.items()
             if os.path.exists("/proc/%d" % pid)}
    by_master = {pid: name for name, pid in masters.items()}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            parent = ppid_of(int(entry))
            if parent in by_master and by_master[parent] in PROGRAMS:
                procs[by_master[parent]].add(int(entry))
    return procs


# ------------------------------------------------------------ HTTP

class Resp:
    def __init__(self, status, ctype, body):
        self.status, self.ctype, self.body = status, ctype, body

    def json(self):
        return json.loads(self.body.decode("utf-8"))


def send(method, path, key=None, ctype=None, body=None, chunked=False):
    u = urllib.parse.urlsplit(HUB_URL)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    headers = {}
    if key is not None:
        headers["Authorization"] = "Bearer " + key
    if ctype is not None:
        headers["Content-Type"] = ctype
    try:
        if chunked:
            conn.request(method, path, body=iter([body or b""]), headers=headers,
                         encode_chunked=True)
        else:
            conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        return Resp(r.status, r.getheader("Content-Type") or "", r.read())
    finally:
        conn.close()


def call(method, path, key, obj=None, want=(200, 201)):
    body = None if obj is None else json.dumps(obj).encode()
    r = send(method, path, key, "application/json" if body is not None else None, body)
    if r.status not in want:
        bail("%s %s: %d %s" % (method, path, r.status, r.body[:300]))
    return r.json()


def cli(args, marker):
    out = subprocess.run([CLI] + args, check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        if marker in line:
            return line.split(marker, 1)[1].strip()
    bail("%s printed no %r" % (" ".join(args), marker))


# ------------------------------------------------------------ the document

class Doc:
    def __init__(self, doc):
        self.doc = doc
        self.resolver = jsonschema.RefResolver.from_schema(doc)

    def deref(self, node):
        while isinstance(node, dict) and "$ref" in node:
            node = self.resolver.resolve(node["$ref"])[1]
        return node

    def validate(self, instance, schema):
        jsonschema.Draft202012Validator(
            schema, resolver=self.resolver,
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
        ).validate(instance)

    def operations(self):
        for path, item in self.doc["paths"].items():
            common = item.get("parameters", [])
            for method in METHODS:
                if method in item:
                    op = item[method]
                    params = [self.deref(p) for p in common + op.get("parameters", [])]
                    yield path, method, op, params


# ------------------------------------------------------------ generators

ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) |
    st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) |
    st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=8)

# Any text JSON can carry (no lone surrogates), control characters
# included: a case to refuse, not to crash on.
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
WORD = st.text(string.ascii_lowercase + string.digits + "-_.", min_size=1, max_size=20)
# Segments a path resolver or a decoder treats specially.
ODD_SEGMENTS = ["..", ".", "%", "%2e%2e", "a/b", "/", " ", "?", "#", "\\", "0", "-1",
                "00000000-0000-0000-0000-000000000000", "x" * 300]
# URLs the hub may call later (callbacks, webhooks): only this test's own
# fakes, or a port nobody listens on -- never another program on this host.
SAFE_URL = st.builds(lambda base, s: base + s, st.sampled_from([
    os.environ.get("FAKE_CALLBACK_URL", "http://127.0.0.1:9") + "/",
    os.environ.get("FAKE_SLACK_URL", "http://127.0.0.1:9") + "/services/T0OPENAPI/B0OPENAPI/",
    "http://127.0.0.1:9/"]), WORD)
PERSON = st.one_of(
    st.from_regex(r"\AU[A-Z0-9]{2,10}\Z"),
    st.builds(lambda a, b: "%s@%s.example" % (a, b),
              st.from_regex(r"\A[a-z][a-z0-9.]{0,10}[a-z]\Z"), st.from_regex(r"\A[a-z]{1,10}\Z")))


def string_for(name, schema):
    """A string as the schema describes it, with the hub's forms for the
    fields whose schema says less than their description."""
    fmt = schema.get("format")
    if "pattern" in schema:
        return st.from_regex(schema["pattern"])
    if fmt == "uuid":
        return st.uuids().map(str)
    if fmt == "date":
        return st.dates().map(lambda d: d.isoformat())
    if fmt == "date-time":
        return st.datetimes().map(lambda d: d.isoformat() + "Z")
    if fmt == "uri" or name.endswith("url"):
        return SAFE_URL
    lo, hi = schema.get("minLength", 0), min(schema.get("maxLength", 40), 40)
    text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=lo, max_size=hi)
    if name in ("email", "requester_email"):
        return st.one_of(PERSON.filter(lambda s: "@" in s), text)
    if name in ("approver", "delegate", "member", "approver_id", "requester_slack_id",
                "slack", "from", "to"):
        return st.one_of(PERSON, text)
    return text


class Gen:
    def __init__(self, doc):
        self.doc = doc

    def value(self, schema, name="", depth=0):
        """A value the schema accepts (as far as JSON Schema says)."""
        s = self.doc.deref(schema)
        if "examples" in s and s["examples"]:
            example = st.sampled_from(s["examples"])
        else:
            example = None
        if "const" in s:
            return st.just(s["const"])
        if "enum" in s:
            return st.sampled_from(s["enum"])
        for k in ("oneOf", "anyOf"):
            if k in s:
                return st.one_of([self.value(x, name, depth) for x in s[k]])
        t = s.get("type")
        if isinstance(t, list):
            return st.one_of([self.value(dict(s, type=x), name, depth) for x in t])
        if t is None:
            t = "object" if "properties" in s else None
        if t == "null":
            gen = st.none()
        elif t == "boolean":
            gen = st.booleans()
        elif t == "integer":
            gen = st.integers(s.get("minimum", -2**31), s.get("maximum", 2**31))
        elif t == "number":
            gen = st.floats(s.get("minimum"), s.get("maximum"), allow_nan=False,
                            allow_infinity=False)
        elif t == "string":
            gen = string_for(name, s)
        elif t == "array":
            hi = min(s.get("maxItems", 4), 4)
            gen = st.lists(self.value(s.get("items", {}), name, depth + 1),
                           min_size=min(s.get("minItems", 0), hi), max_size=hi)
        elif t == "object":
            gen = self.obj(s, depth)
        else:
            gen = ANY_JSON
        return gen if example is None else st.one_of(example, gen)

    def obj(self, s, depth):
        props = s.get("properties", {})
        required = [k for k in s.get("required", []) if k in props]
        optional = [k for k in props if k not in required]
        if depth > 3:
            optional = []

        @st.composite
        def build(draw):
            # A few optional fields at a time: with every one drawn, one of
            # them is nearly always refused and nothing gets past it.
            keys = required + draw(st.lists(st.sampled_from(optional), unique=True,
                                            max_size=min(3, len(optional)))) \
                if optional else required
            out = {k: draw(self.value(props[k], k, depth + 1)) for k in keys}
            lo, hi = s.get("minProperties", 0), s.get("maxProperties")
            if len(out) < lo and optional:
                k = draw(st.sampled_from(optional))
                out[k] = draw(self.value(props[k], k, depth + 1))
            if hi is not None:
                out = dict(list(out.items())[:hi])
            return out
        return build()

    def invalid_body(self, schema):
        """A body the schema refuses, or one that is not JSON at all."""
        s = self.doc.deref(schema)
        props = s.get("properties", {})

        @st.composite
        def mutate(draw):
            base = draw(self.value(s))
            how = draw(st.sampled_from(["unknown", "drop", "retype", "toplevel", "text"]))
            if how == "unknown" or not isinstance(base, dict):
                base = base if isinstance(base, dict) else {}
                base[draw(st.text(string.ascii_letters, min_size=1, max_size=12))] = \
                    draw(ANY_JSON)
            elif how == "drop" and s.get("required"):
                base.pop(draw(st.sampled_from(s["required"])), None)
            elif how == "retype" and props:
                k = draw(st.sampled_from(sorted(props)))
                base[k] = draw(ANY_JSON)
            elif how == "toplevel":
                base = draw(st.one_of(st.lists(ANY_JSON, max_size=3), st.text(max_size=10),
                                      st.integers(), st.none()))
            else:
                return draw(st.sampled_from(
                    [b"{", b'{"a":}', b"{} x", b"\xff\xfe", b"[", b'"\\ud800"',
                     b'{"a":' * 40 + b"1" + b"}" * 40]))
            return json.dumps(base).encode()
        return mutate()

    def path_value(self, param, pool):
        """An id that exists, one of the documented shape, or any text (a
        path parameter is never empty)."""
        schema = param.get("schema", {})
        choices = [self.value(schema, param["name"]), TEXT, st.sampled_from(ODD_SEGMENTS)]
        if pool:
            choices = [st.sampled_from(list(pool))] * 3 + choices
        # Not NUL: nginx refuses "%00" in a URI with a page of its own
        # before any program sees it (and the location's error_page
        # cannot catch that one).
        return st.one_of(choices).map(str).filter(lambda x: x != "" and "\0" not in x)

    def query_value(self, param):
        schema = param.get("schema", {})
        valid = self.value(schema, param["name"])
        return st.one_of(valid, valid, valid, valid, TEXT, st.text(max_size=300)).map(
            lambda v: json.dumps(v) if isinstance(v, bool) else str(v))


# ------------------------------------------------------------ the property

class Pool(list):
    """Ids in the order they were made (so a seeded run picks the same
    ones), each once."""

    def add(self, v):
        if v not in self:
            self.append(v)

    def update(self, vs):
        for v in vs:
            self.add(v)


class Hub:
    """Keys and the ids that exist, for requests that reach past the
    lookups."""

    def __init__(self):
        self.admin = cli(["key", "add-admin"], "admin api key: ")
        # The document's examples name "demo", as make run's source is
        # called; a name differing only in case is the same source.
        self.source_name = "Demo"
        self.source = cli(["source", "add", self.source_name], "api key: ")
        self.pools = {}

    def pool(self, name):
        return self.pools.setdefault(name, Pool())

    def seed(self):
        for i in range(3):
            o = call("POST", "/api/new-approval", self.source, {
                "requester_name": "Ana Lopez", "approver_id": "U0OPENAPI%d" % i,
                "justification_text": "property test", "metadata": {}})
            self.pool("request").add(o["id"])
        # Not this test's own source: a rotated key or a disabled source
        # would lock the test out.
        o = call("POST", "/api/sources", self.admin, {"name": "openapi-target-%d" % os.getpid()})
        self.pool("source").add(o["id"])
        # A Slack connection the fake knows, so its operations reach past
        # the lookup (the fake checks its token with auth.test).
        token = "xoxb-openapi-%d" % os.getpid()
        fake = urllib.parse.urlsplit(os.environ["FAKE_SLACK_URL"])
        conn = http.client.HTTPConnection(fake.hostname, fake.port, timeout=30)
        conn.request("POST", "/_fake/tokens", json.dumps([{
            "token": token, "team_id": "T0OPENAPI", "team_name": "OpenAPI",
            "bot_user_id": "U0OPENBOT"}]), {"Content-Type": "application/json"})
        if conn.getresponse().status != 200:
            bail("the fake Slack refused a token")
        conn.close()
        c = call("POST", "/api/connections", self.admin,
                 {"name": "openapi-%d" % os.getpid(), "type": "SLACK_APP", "token": token})
        self.pool("connection").add(c["id"])
        g = "openapi-%d" % os.getpid()
        call("POST", "/api/groups", self.admin,
             {"name": g, "members": ["U0MEMBER1", "member@example.com"]})
        self.pool("group").add(g)
        self.pool("member").update(["U0MEMBER1", "member@example.com"])
        d = call("POST", "/api/delegations", self.admin, {
            "approver": "U0DELEGATOR", "delegate": "U0DELEGATE",
            "valid_from": "2098-01-01", "valid_to": "2099-12-31"})
        self.pool("delegation").add(str(d["id"]))

    def pool_for(self, path, param):
        if param == "member":
            return self.pool("member")
        if param == "name":
            return self.pool("group")
        if param == "job":
            return self.pool("job")
        kind = path.split("/")[2]          # /api/<kind>/{id}...
        return self.pool({"requests": "request", "sources": "source",
                          "connections": "connection", "delegations": "delegation",
                          "groups": "group"}.get(kind, kind))

    def learn(self, path, method, status, body):
        """Ids that now exist, for later examples."""
        if status not in (200, 201, 202) or not isinstance(body, dict):
            return
        if path == "/api/new-approval" and "id" in body:
            self.pool("request").add(body["id"])
        elif path == "/api/sources" and method == "post":
            self.pool("source").add(body["id"])
        elif path == "/api/groups" and method == "post":
            self.pool("group").add(body["name"])
        elif path == "/api/delegations" and method == "post":
            self.pool("delegation").add(str(body["id"]))
        elif path == "/api/connections/{id}/test" and "job" in body:
            self.pool("job").add(str(body["job"]))


def media(ctype):
    return ctype.split(";")[0].strip().lower()


def check(doc, method, op, req, r):
    """Raise AssertionError naming what the answer breaks."""
    what = "%s %s -> %d" % (method.upper(), req["url"], r.status)
    assert r.status < 500, "%s: a server error: %s" % (what, r.body[:500])
    spec = op["responses"].get(str(r.status))
    assert spec is not None, "%s: status not in the document (%s): %s" % (
        what, ", ".join(sorted(op["responses"])), r.body[:500])
    if req["auth"] in ("none", "bogus") and op.get("security", doc.doc.get("security")) \
            and req["gate_ok"]:
        assert r.status == 401, "%s: no key or an unknown one, yet not 401" % what
    if req["auth"] == "source" and "Admin" in op.get("tags", ()) and req["gate_ok"]:
        assert r.status == 403, "%s: a source key on an admin operation, yet not 403" % what
    content = doc.deref(spec).get("content")
    if not content:
        return None
    got = media(r.ctype)
    assert got in content, "%s: Content-Type %r, documented %s" % (what, r.ctype,
                                                                    sorted(content))
    if got != "application/json":
        return None
    try:
        body = r.json()
    except ValueError:
        raise AssertionError("%s: not JSON: %r" % (what, r.body[:300]))
    schema = content[got].get("schema")
    if schema is not None:
        try:
            doc.validate(body, schema)
        except jsonschema.ValidationError as e:
            raise AssertionError("%s: the body breaks its schema at %s: %s\nbody: %s" % (
                what, "/".join(str(p) for p in e.absolute_path) or "(top)", e.message,
                json.dumps(body)[:800]))
    return body


def draw_request(data, doc, gen, hub, path, method, op, params):
    secured = bool(op.get("security", doc.doc.get("security")))
    admin = "Admin" in op.get("tags", ())
    auth = "none"
    if secured:
        auth = data.draw(st.sampled_from(
            ["right"] * 6 + ["none", "bogus"] + (["source"] if admin else ["admin"])),
            label="auth")
    key = {"none": None, "bogus": "ahk_" + "x" * 43, "admin": hub.admin,
           "source": hub.source, "right": hub.admin if admin else hub.source}[auth]
    url = path
    query = []
    routable = True   # no path parameter that changes which route it is
    for p in params:
        if p["in"] == "path":
            v = data.draw(gen.path_value(p, hub.pool_for(path, p["name"])), label=p["name"])
            url = url.replace("{%s}" % p["name"], urllib.parse.quote(v, safe=""))
            routable = routable and v not in (".", "..") and "/" not in v
        elif p["in"] == "query" and data.draw(st.booleans(), label="has " + p["name"]):
            query.append((p["name"], data.draw(gen.query_value(p), label=p["name"])))
    queryable = [p for p in params if p["in"] == "query"]
    # (Hypothesis starts from the simplest choice, the first of a list.)
    if queryable and data.draw(st.sampled_from([False] * 9 + [True]), label="unknown param?"):
        query.append((data.draw(WORD, label="unknown param"), "1"))
    if query:
        url += "?" + urllib.parse.urlencode(query)
        # the query string's own checks (a NUL, say) come before the key
        routable = routable and not any("\0" in v for _, v in query)
    # gate_ok: nothing refused before the key is looked at (STYLE order:
    # route 404, length 411/413, type 415, then 401/403)
    ctype, body, chunked, gate_ok = None, None, False, True
    rb = doc.deref(op.get("requestBody")) if op.get("requestBody") else None
    if rb is not None:
        schema = rb["content"]["application/json"].get("schema", {})
        how = data.draw(st.sampled_from(
            ["valid"] * 6 + ["invalid"] * 3 + ["none", "ctype", "chunked", "huge"]),
            label="body")
        ctype = "application/json"
        if how == "valid":
            body = json.dumps(data.draw(gen.value(schema), label="body")).encode()
        elif how == "invalid":
            body = data.draw(gen.invalid_body(schema), label="body")
        elif how == "none":
            ctype, body, gate_ok = None, b"", not rb.get("required")
        elif how == "ctype":
            ctype = data.draw(st.sampled_from(["text/plain", "application/x-www-form-urlencoded",
                                               "application/jsonx"]), label="ctype")
            body = b"{}"
            gate_ok = False
        elif how == "chunked":
            body, chunked, gate_ok = b"{}", True, False
        else:
            body, gate_ok = b"{" + b" " * BODY_MAX + b"}", False
    return {"method": method.upper(), "url": url, "key": key, "auth": auth, "ctype": ctype,
            "body": body, "chunked": chunked, "gate_ok": gate_ok and routable}


def run_operation(doc, gen, hub, path, method, op, params):
    failures = []
    seen = {}

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate], report_multiple_bugs=False,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def prop(data):
        req = draw_request(data, doc, gen, hub, path, method, op, params)
        r = send(req["method"], req["url"], req["key"], req["ctype"], req["body"],
                 req["chunked"])
        seen[r.status] = seen.get(r.status, 0) + 1
        if VERBOSE:
            sys.__stdout__.write("# %s %s [%s %s] -> %d %s\n" % (
                req["method"], req["url"][:200], req["auth"], (req["body"] or b"")[:200],
                r.status, r.body[:200]))
        body = check(doc, method, op, req, r)
        hub.learn(path, method, r.status, body)

    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            prop()
    except AssertionError as e:
        failures.append(str(e))
    except Exception:  # a transport error is a finding too (a reset connection)
        failures.append(traceback.format_exc())
    if failures:
        failures.append(out.getvalue())
    return "\n".join(failures), " ".join("%d:%d" % kv for kv in sorted(seen.items()))


def main():
    for name in ("HUB_URL", "HUB_STATE", "top_builddir"):
        if not os.environ.get(name):
            bail("%s is not set: run me through t/integration/env.sh" % name)
    r = send("GET", "/api/openapi.json")
    if r.status != 200:
        bail("GET /api/openapi.json: %d" % r.status)
    doc = Doc(r.json())
    gen = Gen(doc)
    ops = list(doc.operations())
    print("1..%d" % (len(ops) + 3))
    sys.stdout.flush()

    ids = [op.get("operationId") for _, _, op, _ in ops]
    missing = ["%s %s" % (m.upper(), p) for p, m, op, _ in ops if not op.get("operationId")]
    dups = sorted({i for i in ids if i and ids.count(i) > 1})
    tap(not missing and not dups, "every operation has its own operationId",
        "without: %s\nrepeated: %s" % (", ".join(missing), ", ".join(dups))
        if missing or dups else "")

    bad = []
    for name, schema in doc.doc["components"]["schemas"].items():
        for i, example in enumerate(schema.get("examples", [])):
            try:
                doc.validate(example, {"$ref": "#/components/schemas/" + name})
            except jsonschema.ValidationError as e:
                bad.append("%s example %d: %s" % (name, i, e.message))
    tap(not bad, "the document's examples match their schemas", "\n".join(bad))

    hub = Hub()
    hub.seed()
    start = before = processes()
    if any(len(before.get(p, ())) < 2 for p in PROGRAMS) or "worker" not in before:
        bail("not every program is running: %r" % before)
    t0 = time.monotonic()
    for path, method, op, params in ops:
        t1 = time.monotonic()
        diag, statuses = run_operation(doc, gen, hub, path, method, op, params)
        now = processes()
        if now != before:
            diag += "\nprocesses changed: %r -> %r" % (before, now)
        tap(not diag, "%s %s (%s, %.1fs)" % (method.upper(), path, op.get("operationId"),
                                            time.monotonic() - t1), diag)
        print("# statuses seen: " + statuses)
        before = now
    now = processes()
    tap(now == start, "no program or worker died",
        "" if now == start else "%r -> %r" % (start, now))
    print("# %d operations x %d examples in %.0fs" % (len(ops), EXAMPLES,
                                                      time.monotonic() - t0))
    return 1 if _failed else 0


if __name__ == "__main__":
    sys.exit(main())
