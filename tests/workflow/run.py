#!/usr/bin/env python3
"""Integration tests of the meeting-ended workflow: Cal.com -> Zoom
attendance -> Notion status.

    python3 tests/workflow/run.py --bin build/zoom-attendees [--only SUBSTR]

Starts, in a temporary directory and on 127.0.0.1 only: the Zoom stand-in
(tests/zoom_standin.py), the Notion stand-in (tests/notion_standin.py), the
responder in FastCGI mode with a spool directory, and a real nginx that
includes the project's nginx/zoom-attendees.location.conf. Webhooks are
sent the way Cal.com sends them (tests/cal_sender.py: both payload shapes,
the HMAC computed here) through nginx to POST /api/cal/meeting-ended; the
binary is also run as plain CGI, then with --drain, --jobs and
--retry-failed as an operator would.

Each case starts a fresh responder on an empty spool, so that no job of an
earlier case runs behind it. WORKFLOW_RETRY_FIRST=1 and a short
WORKFLOW_MAX_WAIT keep the retries quick.

The bookings use the Zoom stand-in's attendance meetings (ATT in
tests/zoom_standin.py), which started on 2026-11-20T10:00:00Z: a booking
that gives its endTime then is past its deadline (endTime + MAX_WAIT) at
once, so its first attempt is also its last; one without endTime has until
now + MAX_WAIT.

Prints one line per case, "name... ok" or "name... FAIL: reason", then
"N passed, N failed"; exits 1 if any case failed.
"""

import concurrent.futures
import datetime
import hashlib
import http.client
import json
import os
import shutil
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import run as itest  # noqa: E402  (the integration harness)
from run import Failure, fail, short  # noqa: E402
import cal_sender as cal  # noqa: E402
import notion_standin  # noqa: E402
import zoom_standin  # noqa: E402

NOTION_STANDIN = os.path.join(ROOT, "tests", "notion_standin.py")
WEBHOOK_PATH = "/api/cal/meeting-ended"
RUN_ID = itest.RUN_ID
CAL_SECRET = "wf-cal-secret-" + os.urandom(12).hex()
NOTION_TOKEN = "ntn_wf" + os.urandom(14).hex()
WRONG_NOTION_TOKEN = "ntn_wfwrong" + os.urandom(10).hex()
NOTION_DB = notion_standin.DEFAULT_DATABASE
# Text only a Notion answer holds: it must never reach a log or an answer.
NOTION_MARK = "notion-answer-" + os.urandom(6).hex()
# Strings that must never leave the responder (answers, logs, --jobs).
itest.SECRETS.extend([CAL_SECRET, NOTION_TOKEN, WRONG_NOTION_TOKEN,
                      NOTION_MARK])
SECRETS = itest.SECRETS

RETRY_FIRST = 1             # seconds
MAX_WAIT = 8                # seconds
MAX_BODY = 256 * 1024

ATT = zoom_standin.ATT
COACH = (zoom_standin.COACH_EMAIL, zoom_standin.COACH_NAME)
CLIENT = (zoom_standin.CLIENT_EMAIL, zoom_standin.CLIENT_NAME)
START = "2026-11-20T10:00:00.000Z"      # zoom_standin.ATT_BASE
END = "2026-11-20T10:45:00.000Z"

W_COMPLETED = "Completed"
W_NO_SHOW = "No Show"
W_NEVER = "Session Never Took Place"
W_COACH_NO_SHOW = "Coach No Show"


# ---------------------------------------------------------------------------
# The harness


def spool_name(uid):
    """The job file of a booking uid: the first 32 hex digits of
    sha256(uid), ".job"."""
    return hashlib.sha256(uid.encode()).hexdigest()[:32] + ".job"


class Harness(itest.Harness):
    def __init__(self, binary, keep=False):
        super().__init__(binary, keep=keep)
        self.spool = os.path.join(self.tmp, "spool")
        self.wf = {}                # this case's settings over the defaults
        self.seq = 0

    # -- processes ----------------------------------------------------------

    def start_notion(self):
        pf = os.path.join(self.tmp, "notion.port")
        tf = os.path.join(self.tmp, "notion.token")
        with open(tf, "w") as f:
            f.write(NOTION_TOKEN + "\n")
        self.notion = self.spawn(
            [sys.executable, NOTION_STANDIN, "--port", "0", "--port-file", pf,
             "--token-file", tf], stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.tmp, "notion.stderr"), "ab"))
        self.nsport = itest.wait_port_file(pf, self.notion,
                                           "the Notion stand-in")

    def workflow_env(self, spool=None, **over):
        env = {
            "WORKFLOW_SPOOL_DIR": spool or self.spool,
            "CAL_WEBHOOK_SECRET": CAL_SECRET,
            "NOTION_API_BASE": "http://127.0.0.1:%d/v1" % self.nsport,
            "NOTION_TOKEN": NOTION_TOKEN,
            "NOTION_DATABASE_ID": NOTION_DB,
            "WORKFLOW_RETRY_FIRST": str(RETRY_FIRST),
            "WORKFLOW_MAX_WAIT": str(MAX_WAIT),
        }
        env.update(over)
        return env

    def base_env(self, **over):
        env = super().base_env()
        if getattr(self, "nsport", None):
            env.update(self.workflow_env(**self.wf))
        for k, v in list(env.items()) + list(over.items()):
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        return env

    def fresh(self, **wf):
        """A new responder on an empty spool, with these settings over the
        workflow's defaults (a value None removes a setting); both stand-ins
        reset."""
        self.kill(self.responder)
        if self.responder in self.procs:
            self.procs.remove(self.responder)
        shutil.rmtree(self.spool, ignore_errors=True)
        self.wf = wf
        self.ctl("reset", {"tokens": True})
        self.nctl("reset")
        self.start_responder(self.base_env())
        last = self.wait_healthy()
        if last is not True:
            fail("the responder does not answer healthz: %r; log: %s" % (
                last, short(self.new_log(self.responder_log), 600)))

    # -- the Notion stand-in --------------------------------------------------

    def nctl(self, what, args=None, method="POST"):
        c = http.client.HTTPConnection("127.0.0.1", self.nsport, timeout=10)
        try:
            body = json.dumps(args or {}).encode() if method == "POST" else None
            c.request(method, "/_control/" + what, body=body)
            r = c.getresponse()
            data = r.read()
            if r.status != 200:
                raise RuntimeError("notion stand-in %s: %d %s"
                                   % (what, r.status, data))
            return json.loads(data)
        finally:
            c.close()

    def nstats(self):
        return self.nctl("stats", method="GET")

    def nfault(self, target, status=None, **kw):
        kw["target"] = target
        if status is not None:
            kw["status"] = status
        kw.setdefault("message", "%s %s" % (NOTION_MARK, kw.get("code", "")))
        self.nctl("fault", kw)

    def uid(self, tag="b"):
        self.seq += 1
        return "wf-%s-%s-%d" % (RUN_ID, tag, self.seq)

    def page(self, uid, zoom, status=None, coach=None, client=None,
             split=False, pad=False, database=None, props=None):
        """A session page; its id."""
        p = {"Name": "Session %s %s" % (uid, NOTION_MARK),
             "Cal Booking UID": uid, "Zoom Meet ID": zoom}
        if status is not None:
            p["Status"] = status
        if coach is not None:
            p["Coach Email"] = coach
        if client is not None:
            p["Client Email"] = client
        if props is not None:
            p = props
        args = {"properties": p, "split_zoom_id": split, "pad_zoom_id": pad}
        if database:
            args["database"] = database
        return self.nctl("page", args)["id"]

    def page_obj(self, pid):
        return self.nctl("page?id=" + pid, method="GET")

    def status_of(self, pid, prop="Status"):
        v = self.page_obj(pid)["properties"][prop]
        val = v[v["type"]]
        return val["name"] if isinstance(val, dict) else val

    def patches(self, pid=None):
        """The PATCHes Notion accepted (of one page)."""
        return [p for p in self.nstats()["patches"]
                if pid is None or p["page"] == pid]

    def notion_requests(self, target=None):
        return [r for r in self.nstats()["requests"]
                if target is None or r.get("target") == target]

    # -- webhooks -------------------------------------------------------------

    def hook(self, data, signature="valid", secret=CAL_SECRET, headers=None,
             method="POST", record=True):
        """A webhook through nginx as Cal.com sends it; data: bytes or a
        document."""
        if not isinstance(data, (bytes, bytearray)):
            data = cal.encode(data)
        hdrs = cal.headers_for(data, secret, signature, headers)
        return self.http(method, WEBHOOK_PATH, data if method != "GET"
                         else None, hdrs, record=record)

    def meeting_ended(self, uid, shape="flat", start=START, end=END,
                      organizer=COACH, attendee=CLIENT, **kw):
        b = cal.booking(uid, start=start, end=end, organizer=organizer,
                        attendee=attendee)
        return self.hook(cal.body(b, shape), **kw)

    def cgi_run(self, method="POST", body=b"", uri=WEBHOOK_PATH, env=None,
                content_length=None, timeout=20.0, args=()):
        """The binary as plain CGI, as a web server runs it: the answer
        (elapsed: until its stdout closed, which is when a web server
        sends it) and, in .rc, the exit status."""
        e = self.base_env()
        e.update({
            "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1",
            "SERVER_SOFTWARE": "wftest", "SERVER_NAME": "localhost",
            "SERVER_PORT": "80", "REMOTE_ADDR": "127.0.0.1",
            "REQUEST_METHOD": method, "REQUEST_URI": uri,
            "SCRIPT_NAME": uri, "DOCUMENT_URI": uri, "PATH_INFO": "",
            "QUERY_STRING": "", "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body) if content_length is None
                                  else content_length)})
        for k, v in (env or {}).items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
        t0 = time.monotonic()
        p = subprocess.Popen([self.bin] + list(args), env=e, cwd=self.tmp,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=open(self.cgi_log, "ab"),
                             start_new_session=True)

        def feed():
            try:
                p.stdin.write(body)
            except OSError:
                pass
            finally:
                try:
                    p.stdin.close()
                except OSError:
                    pass
        killer = threading.Timer(timeout, p.kill)
        killer.start()
        feeder = threading.Thread(target=feed, daemon=True)
        feeder.start()
        try:
            out = p.stdout.read()
            elapsed = time.monotonic() - t0
            rc = p.wait(timeout)
        finally:
            killer.cancel()
            p.stdout.close()
        resp = itest.parse_cgi_output(out, "cgi %s %s" % (method, uri))
        resp.elapsed = elapsed
        resp.rc = rc
        self.exchanges.append(resp)
        itest.check_common(resp)
        return resp

    def cgi_hook(self, data, signature="valid", secret=CAL_SECRET, env=None,
                 timeout=20.0):
        if not isinstance(data, (bytes, bytearray)):
            data = cal.encode(data)
        sig = cal.signature_for(signature, secret, data)
        e = {"HTTP_X_CAL_SIGNATURE_256": sig,
             "HTTP_X_CAL_WEBHOOK_VERSION": cal.WEBHOOK_VERSION}
        e.update(env or {})
        return self.cgi_run("POST", data, env=e, timeout=timeout)

    # -- the spool and the operator's commands ------------------------------

    def spool_state(self, spool=None):
        """{"pending": [names], "failed": [...], "done": [...], "tmp": [...]}"""
        d = spool or self.spool
        out = {}
        for what, sub in (("pending", ""), ("failed", "failed"),
                          ("done", "done"), ("tmp", "tmp")):
            try:
                names = os.listdir(os.path.join(d, sub))
            except FileNotFoundError:
                names = []
            out[what] = sorted(n for n in names if sub or n.endswith(".job"))
        return out

    def command(self, *args, env=None, timeout=30.0):
        """The binary with arguments (--jobs, --drain, ...): (rc, out, err)."""
        p = subprocess.run([self.bin] + list(args),
                           env=env or self.base_env(),
                           stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=timeout, cwd=self.tmp)
        with open(self.cgi_log, "ab") as f:
            f.write(p.stderr)
        text = (p.stdout + p.stderr).decode("utf-8", "replace")
        leaks = [s for s in SECRETS if s in text]
        if leaks:
            fail("%s printed a secret (%s...)" % (" ".join(args),
                                                  leaks[0][:8]))
        return p.returncode, p.stdout.decode("utf-8", "replace"), \
            p.stderr.decode("utf-8", "replace")

    def jobs(self, env=None):
        """--jobs as {uid: {"state", "attempts", "next", "note"}} and the
        summary (pending, failed, done)."""
        rc, out, err = self.command("--jobs", env=env)
        if rc != 0:
            fail("--jobs: exit %d: %s" % (rc, short(out + err)))
        lines = out.splitlines()
        if not lines:
            fail("--jobs printed nothing")
        summary = lines[-1].split(", ")
        try:
            counts = tuple(int(x.split(" ")[0]) for x in summary)
            if [x.split(" ", 1)[1] for x in summary] != \
                    ["pending", "failed", "done"]:
                raise ValueError
        except (ValueError, IndexError):
            fail("--jobs: last line %r is not \"N pending, N failed, "
                 "N done\"" % lines[-1])
        out_jobs = {}
        for ln in lines[:-1]:
            f = ln.split("\t")
            if len(f) < 5 or f[0] not in ("pending", "failed", "done") or \
                    not f[2].startswith("attempts=") or \
                    not f[3].startswith("next="):
                fail("--jobs: line %r is not state, uid, attempts=N, "
                     "next=..., outcome (tab-separated)" % ln)
            out_jobs[f[1]] = {"state": f[0], "attempts": int(f[2][9:]),
                              "next": f[3][5:], "note": "\t".join(f[4:])}
        n = [sum(1 for j in out_jobs.values() if j["state"] == s)
             for s in ("pending", "failed", "done")]
        if tuple(n) != counts:
            fail("--jobs: summary %r but lines count %r" % (lines[-1], n))
        return out_jobs, counts

    # -- waiting --------------------------------------------------------------

    def wait_status(self, pid, want, seconds=15.0, prop="Status"):
        """Wait until the page's status is want; the seconds it took."""
        t0 = time.monotonic()
        last = None
        while time.monotonic() - t0 < seconds:
            last = self.status_of(pid, prop)
            if last == want:
                return time.monotonic() - t0
            time.sleep(0.05)
        fail("page status %r after %.0f s, expected %r; responder log: %s"
             % (last, seconds, want, self.log_tail()))

    def wait_job(self, uid, state, seconds=15.0, spool=None):
        """Wait until the uid's job file is in state ("done", "failed",
        "pending")."""
        name = spool_name(uid)
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds:
            st = self.spool_state(spool)
            if name in st[state] and all(
                    name not in st[s] for s in st if s != state):
                return time.monotonic() - t0
            time.sleep(0.05)
        fail("job of %s not %s after %.0f s (spool: %s); responder log: %s"
             % (uid, state, seconds, self.spool_state(spool),
                self.log_tail()))

    def log_tail(self, n=800):
        try:
            data = open(self.responder_log, "rb").read()
        except OSError:
            return ""
        return short(data[-n:], n)


def wait_until(fn, seconds, what, step=0.05):
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        v = fn()
        if v:
            return v
        time.sleep(step)
    fail("%s: not after %.0f s" % (what, seconds))


# ---------------------------------------------------------------------------
# Checks


def expect_accepted(r, uid, job="new", what=""):
    what = what or r.via
    if r.status != 202:
        fail("%s: expected 202, got %d %s" % (what, r.status, short(r.body)))
    j = r.json()
    want = {"accepted": True, "uid": uid, "job": job}
    if isinstance(job, tuple):
        if not isinstance(j, dict) or j.get("job") not in job:
            fail("%s: job %r, expected one of %s" % (what, j, job))
        want["job"] = j["job"]
    if j != want:
        fail("%s: answer %s, expected %s" % (what, short(r.body), want))
    return j


def expect_stored_nothing(h, what, spool=None):
    st = h.spool_state(spool)
    if any(st.values()):
        fail("%s: the spool holds %s" % (what, st))


def expect_no_notion_call(h, what):
    reqs = h.notion_requests()
    if reqs:
        fail("%s: Notion was called (%s)" % (what, ", ".join(
            "%s %s" % (r["method"], r["path"]) for r in reqs[:3])))


def patch_value(p, prop="Status"):
    """The status word a recorded PATCH wrote, and its type key."""
    v = p["properties"].get(prop)
    if not isinstance(v, dict) or len(set(v) - {"type"}) != 1:
        fail("PATCH properties %s: no single-typed %r" % (
            short(json.dumps(p["properties"])), prop))
    kind = (set(v) - {"type"}).pop()
    if not isinstance(v[kind], dict):
        fail("PATCH %s value %r" % (prop, v))
    return kind, v[kind].get("name")


def expect_one_patch(h, pid, word, kind="select", prop="Status",
                     checked_at=None):
    ps = h.patches(pid)
    if len(ps) != 1:
        fail("%d PATCHes of the page, expected 1: %s" % (
            len(ps), short(json.dumps([p["properties"] for p in ps]))))
    k, name = patch_value(ps[0], prop)
    if (k, name) != (kind, word):
        fail("PATCH wrote %s %r, expected %s %r" % (k, name, kind, word))
    extra = set(ps[0]["properties"]) - {prop}
    if checked_at is None and extra:
        fail("PATCH also wrote %s" % sorted(extra))
    return ps[0]


def expect_headers(h):
    """Every Notion request had the pinned version, the token and JSON."""
    for r in h.notion_requests():
        if r["notion_version"] != "2022-06-28":
            fail("%s %s with Notion-Version %r" % (
                r["method"], r["path"], r["notion_version"]))
        if not r["auth_ok"]:
            fail("%s %s without the right bearer token" % (
                r["method"], r["path"]))
        ct = (r["content_type"] or "").split(";")[0].strip().lower()
        if ct != "application/json":
            fail("%s %s with Content-Type %r" % (r["method"], r["path"],
                                                 r["content_type"]))


def query_bodies(h):
    out = []
    for r in h.notion_requests("query"):
        try:
            out.append(json.loads(r["body"]))
        except ValueError:
            fail("query body is not JSON: %r" % short(r["body"]))
    return out


def log_lines(h, uid):
    """The responder's log lines about a job."""
    try:
        data = open(h.responder_log, "rb").read().decode("utf-8", "replace")
    except OSError:
        return []
    return [ln for ln in data.splitlines() if "uid=%s" % uid in ln]


# ---------------------------------------------------------------------------
# Cases

CASES = []


def case(name):
    def deco(fn):
        CASES.append((name, fn))
        return fn
    return deco


# -- the route ----------------------------------------------------------------

@case("route_workflow_off")
def _(h):
    h.fresh(WORKFLOW_SPOOL_DIR=None)
    r = h.meeting_ended(h.uid())
    itest.expect_error(r, 503, "workflow_not_configured")
    expect_stored_nothing(h, "workflow off")
    # The attendees endpoint is untouched.
    r = h.attendees(ATT["rejoin"])
    itest.expect_ok(r, ATT["rejoin"])


@case("route_method_not_allowed")
def _(h):
    h.fresh()
    v = itest.Variants()
    for m in ("GET", "PUT", "DELETE", "PATCH"):
        with v:
            r = h.hook(cal.body(cal.booking(h.uid(), START, END)), method=m)
            itest.expect_error(r, 405, "method_not_allowed", m)
            if "POST" not in (r.header("Allow") or ""):
                fail("%s: Allow %r" % (m, r.header("Allow")))
    v.done()
    expect_stored_nothing(h, "405")


@case("payload_flat_shape")
def _(h):
    h.fresh()
    uid = h.uid("flat")
    pid = h.page(uid, ATT["rejoin"])
    r = h.meeting_ended(uid, "flat")
    expect_accepted(r, uid)
    h.wait_status(pid, W_COMPLETED)
    h.wait_job(uid, "done")
    expect_one_patch(h, pid, W_COMPLETED)
    expect_headers(h)
    qs = query_bodies(h)
    if qs[0].get("filter") != {"property": "Cal Booking UID",
                               "rich_text": {"equals": uid}}:
        fail("query filter %s" % short(json.dumps(qs[0])))
    return "answered in %.0f ms" % (r.elapsed * 1000)


@case("payload_wrapped_shape")
def _(h):
    h.fresh()
    uid = h.uid("wrapped")
    pid = h.page(uid, ATT["coach_absent"])
    r = h.meeting_ended(uid, "wrapped")
    expect_accepted(r, uid)
    h.wait_status(pid, W_COACH_NO_SHOW)
    expect_one_patch(h, pid, W_COACH_NO_SHOW)
    # A wrapped payload whose top level also has a uid: the booking's wins.
    uid2 = h.uid("wrapped2")
    pid2 = h.page(uid2, ATT["rejoin"])
    doc = cal.payload(cal.booking(uid2, START, END, COACH, CLIENT), "wrapped")
    doc["uid"] = "not-" + uid2
    expect_accepted(h.hook(doc), uid2)
    h.wait_status(pid2, W_COMPLETED)


@case("payload_uid_with_quotes_and_unicode")
def _(h):
    h.fresh()
    uid = 'wf-%s-q"uo\\te/é✓ <x>' % RUN_ID
    pid = h.page(uid, ATT["rejoin"])
    expect_accepted(h.meeting_ended(uid), uid)
    h.wait_status(pid, W_COMPLETED)
    if not os.path.exists(os.path.join(h.spool, "done", spool_name(uid))):
        fail("done/ has no %s (%s)" % (spool_name(uid), h.spool_state()))


# -- signatures -----------------------------------------------------------------

@case("signature_real_hmac")
def _(h):
    h.fresh()
    uid = h.uid()
    data = cal.body(cal.booking(uid, START, END, COACH, CLIENT))
    # Computed here, independently of the sender module.
    import hmac
    sig = hmac.new(CAL_SECRET.encode(), data, hashlib.sha256).hexdigest()
    r = h.http("POST", WEBHOOK_PATH, data, {
        "Content-Type": "application/json", "X-Cal-Signature-256": sig})
    expect_accepted(r, uid)
    # The exact bytes are signed: the same document re-serialised with
    # spaces is a different body, so the old signature fails.
    spaced = json.dumps(json.loads(data)).encode()
    r = h.http("POST", WEBHOOK_PATH, spaced, {
        "Content-Type": "application/json", "X-Cal-Signature-256": sig})
    itest.expect_error(r, 401, "invalid_signature", "re-serialised body")


@case("signature_refused")
def _(h):
    h.fresh()
    v = itest.Variants()
    for mode in ("wrong", "missing", "upper", "no-secret", "prefixed",
                 "empty", "truncated"):
        for shape in ("flat", "wrapped"):
            with v:
                r = h.meeting_ended(h.uid(), shape, signature=mode)
                itest.expect_error(r, 401, "invalid_signature",
                                   "%s signature, %s" % (mode, shape))
    with v:     # signed with another secret
        r = h.meeting_ended(h.uid(), secret="another-" + CAL_SECRET[-6:])
        itest.expect_error(r, 401, "invalid_signature", "other secret")
    with v:     # a wrong signature on a bad body is still 401, not 400
        r = h.hook(b"{nope", signature="wrong")
        itest.expect_error(r, 401, "invalid_signature", "bad body")
    v.done()
    expect_stored_nothing(h, "refused signatures")
    expect_no_notion_call(h, "refused signatures")
    st = h.stats()
    if st["requests"]:
        fail("Zoom was called")


@case("signature_unsigned_allowed")
def _(h):
    h.fresh(CAL_ALLOW_UNSIGNED="1")
    since = h.responder_log_size()
    uid1, uid2 = h.uid("missing"), h.uid("nosecret")
    # Unsigned: the people come from the page, never from the payload.
    p1 = h.page(uid1, ATT["rejoin"], coach=COACH[0], client=CLIENT[0])
    p2 = h.page(uid2, ATT["rejoin"], coach=COACH[0], client=CLIENT[0])
    expect_accepted(h.meeting_ended(uid1, signature="missing"), uid1)
    expect_accepted(h.meeting_ended(uid2, "wrapped", signature="no-secret"),
                    uid2)
    h.wait_status(p1, W_COMPLETED)
    h.wait_status(p2, W_COMPLETED)
    # A forger names the client as the coach and the assistant as the
    # client of a session the coach missed: "Completed" if trusted.
    uid4 = h.uid("forged")
    p4 = h.page(uid4, ATT["coach_absent"], coach=COACH[0], client=CLIENT[0])
    expect_accepted(h.meeting_ended(
        uid4, signature="missing", organizer=CLIENT,
        attendee=("assistant@example.com", "Assistant")), uid4)
    h.wait_status(p4, W_COACH_NO_SHOW)
    lines = [ln for ln in h.responder_lines(since) if "unsigned" in ln]
    if len(lines) < 2:
        fail("%d log lines say \"unsigned\" for 2 unsigned webhooks"
             % len(lines))
    # A secret is set: a present but wrong signature is still refused.
    v = itest.Variants()
    for mode in ("wrong", "upper", "prefixed"):
        with v:
            uid = h.uid(mode)
            r = h.meeting_ended(uid, signature=mode)
            itest.expect_error(r, 401, "invalid_signature", mode)
            if spool_name(uid) in sum(h.spool_state().values(), []):
                fail("%s: stored" % mode)
    v.done()
    # Signed ones still work.
    uid3 = h.uid("signed")
    expect_accepted(h.meeting_ended(uid3), uid3)


@case("signature_unsigned_without_secret")
def _(h):
    # CAL_ALLOW_UNSIGNED=1 and no secret at all: an old self-hosted Cal.com.
    h.fresh(CAL_ALLOW_UNSIGNED="1", CAL_WEBHOOK_SECRET=None)
    uid = h.uid()
    pid = h.page(uid, ATT["rejoin"], coach=COACH[0], client=CLIENT[0])
    expect_accepted(h.meeting_ended(uid, signature="missing"), uid)
    h.wait_status(pid, W_COMPLETED)


@case("signature_secret_required")
def _(h):
    # Neither a secret nor CAL_ALLOW_UNSIGNED=1: the workflow refuses to
    # start (FastCGI exits), or every webhook is refused; never accepted.
    h.wf = {}
    port = itest.free_port()
    rc, out, err = itest._run_until_exit(
        h, [h.bin, "--listen", "127.0.0.1:%d" % port],
        h.base_env(CAL_WEBHOOK_SECRET=None), seconds=2.0)
    if rc is None:
        # Still running: then webhooks must not be accepted.
        h.fresh(CAL_WEBHOOK_SECRET=None)
        r = h.meeting_ended(h.uid(), signature="missing")
        if r.status == 202:
            fail("no secret and unsigned not allowed: 202")
        expect_stored_nothing(h, "no secret")
        return "runs, refuses webhooks (%d)" % r.status
    if rc == 0:
        fail("exit status 0")
    if b"CAL_WEBHOOK_SECRET" not in out + err:
        fail("the error does not name CAL_WEBHOOK_SECRET: %r" % short(err))
    return "exit %d" % rc


# -- replays and other events ---------------------------------------------------

@case("replay_same_uid")
def _(h):
    h.fresh()
    uid = h.uid("replay")
    # No page yet: the job waits, so a replay meets a pending job.
    expect_accepted(h.meeting_ended(uid), uid, "new")
    expect_accepted(h.meeting_ended(uid), uid, "duplicate")
    expect_accepted(h.meeting_ended(uid, "wrapped"), uid, "duplicate")
    st = h.spool_state()
    if st["pending"] != [spool_name(uid)]:
        fail("spool after replays: %s" % st)
    pid = h.page(uid, ATT["rejoin"])
    h.wait_status(pid, W_COMPLETED)
    h.wait_job(uid, "done")
    expect_accepted(h.meeting_ended(uid), uid, "done")
    time.sleep(2.5)        # any second job would have run by now
    expect_one_patch(h, pid, W_COMPLETED)
    st = h.spool_state()
    if st["pending"] or st["done"] != [spool_name(uid)]:
        fail("spool after the replay of a done job: %s" % st)


@case("replay_concurrent")
def _(h):
    h.fresh()
    uid = h.uid("race")
    pid = h.page(uid, ATT["rejoin"])
    data = cal.body(cal.booking(uid, START, END, COACH, CLIENT))
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        rs = list(ex.map(lambda _: h.hook(data), range(8)))
    jobs = sorted(r.json().get("job") for r in rs if r.status == 202)
    if len(jobs) != 8 or jobs.count("new") != 1:
        fail("8 concurrent deliveries: %s" % [
            (r.status, r.json()) for r in rs])
    h.wait_status(pid, W_COMPLETED)
    time.sleep(2.0)
    expect_one_patch(h, pid, W_COMPLETED)


@case("other_trigger_ignored")
def _(h):
    h.fresh()
    since = h.responder_log_size()
    v = itest.Variants()
    for trig in ("MEETING_STARTED", "BOOKING_CREATED", "BOOKING_CANCELLED",
                 "meeting_ended", "PING"):
        for shape in ("flat", "wrapped"):
            with v:
                uid = h.uid()
                data = cal.body(cal.booking(uid, START, END, COACH, CLIENT),
                                shape, trigger=trig)
                r = h.hook(data)
                if r.status != 202:
                    fail("%s: %d %s" % (trig, r.status, short(r.body)))
                j = r.json()
                if j.get("ignored") is not True or \
                        not isinstance(j.get("reason"), str):
                    fail("%s: %s" % (trig, short(r.body)))
    v.done()
    expect_stored_nothing(h, "other triggers")
    expect_no_notion_call(h, "other triggers")
    if not h.responder_lines(since):
        fail("ignored events are not logged")


# -- verdicts end to end --------------------------------------------------------

VERDICTS = [
    # meeting, expected word, booking startTime
    ("rejoin", W_COMPLETED, START),
    ("devices", W_COMPLETED, START),
    ("guest", W_COMPLETED, START),          # the client by name
    ("waiting", W_NO_SHOW, START),          # waiting room only
    ("alone", W_NO_SHOW, START),            # no rows; the record: coach alone
    ("coach_absent", W_COACH_NO_SHOW, START),
    ("strangers", W_NEVER, START),          # rows, neither of them
    ("never", W_NEVER, START),              # no meeting, past the deadline
    ("recurring", W_COMPLETED, "2026-11-06T10:00:00.000Z"),
    ("recurring", W_NO_SHOW, "2026-11-13T10:00:00.000Z"),
    ("recurring", W_COACH_NO_SHOW, "2026-11-20T10:00:00.000Z"),
]


def run_verdicts(h, kind):
    pages = []
    for i, (m, word, start) in enumerate(VERDICTS):
        uid = h.uid(m)
        pid = h.page(uid, ATT[m])
        end = (datetime.datetime.strptime(start[:19], "%Y-%m-%dT%H:%M:%S") +
               datetime.timedelta(minutes=45)).strftime(
                   "%Y-%m-%dT%H:%M:%S.000Z")
        r = h.meeting_ended(uid, "flat" if i % 2 else "wrapped",
                            start=start, end=end)
        expect_accepted(r, uid)
        pages.append((m, word, uid, pid))
    v = itest.Variants()
    for m, word, uid, pid in pages:
        with v:
            h.wait_status(pid, word, 20)
            h.wait_job(uid, "done")
            expect_one_patch(h, pid, word, kind)
            lines = log_lines(h, uid)
            if not any("outcome=written" in ln for ln in lines):
                fail("%s: no \"outcome=written\" log line: %s" % (
                    m, short(" | ".join(lines))))
    v.done()
    expect_headers(h)


@case("verdicts_select")
def _(h):
    h.fresh()
    run_verdicts(h, "select")


@case("verdicts_status_property")
def _(h):
    h.fresh(NOTION_STATUS_PENDING="Not started")
    h.nctl("database", {"id": NOTION_DB, "status_type": "status"})
    run_verdicts(h, "status")


@case("verdicts_custom_words")
def _(h):
    words = {"ATTENDANCE_STATUS_COMPLETED": "Held ✓",
             "ATTENDANCE_STATUS_NO_SHOW": "Client absent",
             "ATTENDANCE_STATUS_NEVER_HELD": "Nobody came",
             "ATTENDANCE_STATUS_COACH_NO_SHOW": "Coach absent"}
    h.fresh(**words)
    v = itest.Variants()
    out = []
    for m, key in (("rejoin", "COMPLETED"), ("waiting", "NO_SHOW"),
                   ("strangers", "NEVER_HELD"),
                   ("coach_absent", "COACH_NO_SHOW")):
        uid = h.uid(m)
        pid = h.page(uid, ATT[m])
        expect_accepted(h.meeting_ended(uid), uid)
        out.append((pid, words["ATTENDANCE_STATUS_" + key]))
    for pid, word in out:
        with v:
            h.wait_status(pid, word)
    v.done()


@case("people_from_the_page")
def _(h):
    # No organizer or attendees in the payload: the page's emails.
    h.fresh()
    uid = h.uid()
    pid = h.page(uid, ATT["coach_absent"], coach=COACH[0], client=CLIENT[0])
    expect_accepted(h.meeting_ended(uid, organizer=None, attendee=None), uid)
    h.wait_status(pid, W_COACH_NO_SHOW)
    # Neither in the payload nor on the page: failed, not guessed.
    uid2 = h.uid("nobody")
    pid2 = h.page(uid2, ATT["rejoin"])
    expect_accepted(h.meeting_ended(uid2, organizer=None, attendee=None),
                    uid2)
    h.wait_job(uid2, "failed")
    if h.patches(pid2):
        fail("a page without coach or client was written")


@case("never_only_after_max_wait")
def _(h):
    # No endTime: the deadline is MAX_WAIT after receipt. Zoom has no such
    # meeting: retried with backoff, then "Session Never Took Place".
    h.fresh()
    uid = h.uid("never")
    pid = h.page(uid, ATT["never"])
    t0 = time.time()
    expect_accepted(h.meeting_ended(uid, end=None), uid)
    h.wait_status(pid, W_NEVER, MAX_WAIT + 15)
    took = h.patches(pid)[0]["t"] - t0
    # The deadline is kept in whole seconds (receipt + MAX_WAIT): up to a
    # second early is within the rule.
    if took < MAX_WAIT - 1.05:
        fail("written %.1f s after the webhook, before WORKFLOW_MAX_WAIT "
             "(%d s)" % (took, MAX_WAIT))
    attempts = [r for r in h.stats()["requests"]
                if "/past_meetings/" in r["path"]]
    if len(attempts) < 3:
        fail("only %d Zoom calls before giving up" % len(attempts))
    expect_one_patch(h, pid, W_NEVER)
    lines = log_lines(h, uid)
    if sum("outcome=retry" in ln for ln in lines) < 2:
        fail("fewer than 2 \"outcome=retry\" log lines: %s"
             % short(" | ".join(lines)))
    return "written after %.1f s" % took


@case("notion_outage_at_deadline_keeps_verdict")
def _(h):
    """The verdict reached at the deadline (Zoom never had the meeting)
    meets a Notion outage: retried past the deadline, not dead-lettered."""
    h.fresh()
    uid = h.uid("late-outage")
    pid = h.page(uid, ATT["never"])
    # Every try of the first write fails (three requests inside it).
    h.nfault("patch", 503, code="service_unavailable", times=3)
    expect_accepted(h.meeting_ended(uid, end=None), uid)
    h.wait_status(pid, W_NEVER, MAX_WAIT + 30)
    h.wait_job(uid, "done", 5)
    lines = log_lines(h, uid)
    if not any("outcome=retry" in ln and "503" in ln for ln in lines):
        fail("no retry after the refused write: %s"
             % short(" | ".join(lines)))


@case("two_pages_same_uid_fail")
def _(h):
    """Which session is it? Two pages with one booking uid: failed/, with
    the reason, and neither page written."""
    h.fresh()
    uid = h.uid("twins")
    p1 = h.page(uid, ATT["rejoin"])
    p2 = h.page(uid, ATT["rejoin"])
    expect_accepted(h.meeting_ended(uid, end=None), uid)
    h.wait_job(uid, "failed", 10)
    jobs, _ = h.jobs()
    if "2 Notion pages" not in jobs[uid]["note"]:
        fail("--jobs: %s" % jobs[uid])
    if h.patches(p1) or h.patches(p2):
        fail("a page was written")


@case("not_ready_at_deadline_fails")
def _(h):
    # Zoom's record says people came but lists no rows: never a verdict
    # from missing data; at the deadline, failed (not written).
    h.fresh()
    uid = h.uid("notready")
    pid = h.page(uid, ATT["not_ready"])
    expect_accepted(h.meeting_ended(uid), uid)
    h.wait_job(uid, "failed")
    if h.patches(pid):
        fail("written: %s" % h.patches(pid))


@case("meeting_found_at_third_attempt")
def _(h):
    h.fresh()
    uid = h.uid("third")
    pid = h.page(uid, ATT["rejoin"])
    h.fault("participants", "zoom_error", code=3001, status=404, times=2,
            meeting=ATT["rejoin"])
    t0 = time.time()
    expect_accepted(h.meeting_ended(uid, end=None), uid)
    h.wait_status(pid, W_COMPLETED, 20)
    calls = [r for r in h.stats()["requests"] if "/participants" in r["path"]]
    if len(calls) != 3:
        fail("%d participants calls, expected 3 (two 404s, then found)"
             % len(calls))
    gaps = [b["time"] - a["time"] for a, b in zip(calls, calls[1:])]
    # Backoff: RETRY_FIRST, then twice that.
    for k, g in enumerate(gaps):
        want = RETRY_FIRST * 2 ** k
        if g < want - 0.1:
            fail("retry %d came %.2f s after the last attempt, expected "
                 "at least %d s" % (k + 1, g, want))
    expect_one_patch(h, pid, W_COMPLETED)
    jobs, _ = h.jobs()
    if jobs.get(uid, {}).get("attempts") != 3:
        fail("--jobs says %s, expected 3 attempts" % jobs.get(uid))
    return "gaps %s s, written after %.1f s" % (
        ", ".join("%.2f" % g for g in gaps), h.patches(pid)[0]["t"] - t0)


@case("page_created_late")
def _(h):
    h.fresh()
    uid = h.uid("late")
    expect_accepted(h.meeting_ended(uid, end=None), uid)
    wait_until(lambda: len(h.notion_requests("query")) >= 1, 5,
               "a first query")
    time.sleep(1.2)
    pid = h.page(uid, ATT["rejoin"])
    h.wait_status(pid, W_COMPLETED, 15)
    if len(h.notion_requests("query")) < 2:
        fail("the page was found at the first query")
    expect_one_patch(h, pid, W_COMPLETED)


@case("page_never_created_fails")
def _(h):
    h.fresh()
    uid = h.uid("nopage")
    expect_accepted(h.meeting_ended(uid, end=None), uid)
    h.wait_job(uid, "failed", MAX_WAIT + 15)
    jobs, _ = h.jobs()
    if jobs.get(uid, {}).get("state") != "failed" or \
            not jobs[uid]["note"].strip("- "):
        fail("--jobs: %s" % jobs.get(uid))
    if h.patches():
        fail("something was written")


@case("manual_status_left_alone")
def _(h):
    h.fresh()
    uid = h.uid("manual")
    pid = h.page(uid, ATT["rejoin"], status="Rescheduled")
    expect_accepted(h.meeting_ended(uid), uid)
    h.wait_job(uid, "done")
    if h.patches(pid) or h.notion_requests("patch"):
        fail("a page a person had set was written")
    if h.status_of(pid) != "Rescheduled":
        fail("status now %r" % h.status_of(pid))
    jobs, _ = h.jobs()
    note = jobs.get(uid, {}).get("note", "")
    if "left" not in note.lower() or "alone" not in note.lower():
        fail("--jobs does not say it was left alone: %s" % jobs.get(uid))
    if not any("outcome=left_alone" in ln for ln in log_lines(h, uid)):
        fail("no \"outcome=left_alone\" log line")


@case("pending_status_value")
def _(h):
    # NOTION_STATUS_PENDING: that value, or empty, may be overwritten;
    # anything else is a person's.
    h.fresh(NOTION_STATUS_PENDING="Scheduled")
    rows = [("Scheduled", True), (None, True), ("Completed", False)]
    out = []
    for status, written in rows:
        uid = h.uid()
        pid = h.page(uid, ATT["waiting"], status=status)
        expect_accepted(h.meeting_ended(uid), uid)
        out.append((uid, pid, status, written))
    v = itest.Variants()
    for uid, pid, status, written in out:
        with v:
            h.wait_job(uid, "done")
            n = len(h.patches(pid))
            if written and (n != 1 or h.status_of(pid) != W_NO_SHOW):
                fail("status %r: %d PATCHes, now %r" % (
                    status, n, h.status_of(pid)))
            if not written and n:
                fail("status %r (a person's) was overwritten" % status)
    v.done()


@case("status_already_the_verdict")
def _(h):
    # The page already says what this job would write (a second delivery
    # of a job that was interrupted after its PATCH): done, harmless.
    h.fresh()
    uid = h.uid()
    pid = h.page(uid, ATT["rejoin"], status=W_COMPLETED)
    expect_accepted(h.meeting_ended(uid), uid)
    h.wait_job(uid, "done")
    if h.status_of(pid) != W_COMPLETED:
        fail("status now %r" % h.status_of(pid))


@case("checked_at_written")
def _(h):
    h.fresh(NOTION_PROP_CHECKED_AT="Checked At")
    uid = h.uid()
    pid = h.page(uid, ATT["rejoin"])
    t0 = time.time()
    expect_accepted(h.meeting_ended(uid), uid)
    h.wait_status(pid, W_COMPLETED)
    p = expect_one_patch(h, pid, W_COMPLETED, checked_at=True)
    v = p["properties"].get("Checked At")
    try:
        start = v["date"]["start"]
        t = datetime.datetime.strptime(start, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
    except (TypeError, KeyError, ValueError):
        fail("Checked At %r is not {\"date\": {\"start\": UTC ISO}}" % (v,))
    if not t0 - 2 <= t <= time.time() + 2:
        fail("Checked At %s is not now" % start)
    got = h.page_obj(pid)["properties"]["Checked At"]["date"]
    if not got or got["start"] != start:
        fail("the page's Checked At: %r" % got)
    # Unset by default: not written (the other cases check the PATCH).


@case("zoom_id_pieces_and_join_url")
def _(h):
    h.fresh()
    rows = [
        (ATT["rejoin"], dict(split=True)),
        (ATT["rejoin"], dict(split=True, pad=True)),
        ("811 0000 0001", {}),
        ("https://us06web.zoom.us/j/%s?pwd=aBcD3fGh1jK" % ATT["rejoin"],
         dict(split=True)),
        ("https://zoom.us/j/%s" % ATT["rejoin"], dict(pad=True)),
    ]
    out = []
    for zoom, kw in rows:
        uid = h.uid()
        pid = h.page(uid, zoom, **kw)
        pieces = h.page_obj(pid)["properties"]["Zoom Meet ID"]["rich_text"]
        if kw.get("split") and len(pieces) < 2:
            fail("the stand-in did not split %r" % zoom)
        expect_accepted(h.meeting_ended(uid), uid)
        out.append((zoom, kw, pid))
    v = itest.Variants()
    for zoom, kw, pid in out:
        with v:
            try:
                h.wait_status(pid, W_COMPLETED, 10)
            except Failure as e:
                fail("Zoom id %r %s: %s" % (zoom, kw, e))
    v.done()
    segs = {itest.seg_of(r["path"]) for r in h.stats()["requests"]
            if "/past_meetings/" in r["path"]}
    if ATT["rejoin"] not in segs:
        fail("Zoom was asked for %s" % sorted(segs))


@case("zoom_id_missing_or_invalid")
def _(h):
    h.fresh()
    out = []
    for zoom in (None, "", "   ", "not a meeting", "../users/me"):
        uid = h.uid()
        pid = h.page(uid, zoom)
        expect_accepted(h.meeting_ended(uid), uid)
        out.append((zoom, uid, pid))
    v = itest.Variants()
    for zoom, uid, pid in out:
        with v:
            h.wait_job(uid, "failed", MAX_WAIT + 10)
            if h.patches(pid):
                fail("Zoom id %r: written" % (zoom,))
    v.done()
    for r in h.stats()["requests"]:
        if "users" in r["path"]:
            fail("Zoom was asked for %s" % r["path"])


@case("custom_property_names")
def _(h):
    db = "0b9e1c2d-7a6f-4e3d-8c1b-2a3f4e5d6c7b"
    h.fresh(NOTION_DATABASE_ID=db.replace("-", ""),
            NOTION_PROP_BOOKING_UID="Booking", NOTION_PROP_ZOOM_ID="Zoom link",
            NOTION_PROP_COACH_EMAIL="Coach", NOTION_PROP_CLIENT_EMAIL="Client",
            NOTION_PROP_STATUS="Attendance", NOTION_PROP_CHECKED_AT="Decided")
    h.nctl("database", {"id": db, "properties": {
        "Session": "title", "Booking": "rich_text", "Zoom link": "url",
        "Coach": "rich_text", "Client": "email", "Attendance": "select",
        "Decided": "date"}})
    uid = h.uid()
    pid = h.page(uid, None, database=db, props={
        "Session": "S", "Booking": uid,
        "Zoom link": "https://us02web.zoom.us/j/%s" % ATT["coach_absent"],
        "Coach": COACH[0], "Client": CLIENT[0]})
    expect_accepted(h.meeting_ended(uid, organizer=None, attendee=None), uid)
    h.wait_status(pid, W_COACH_NO_SHOW, prop="Attendance")
    p = h.patches(pid)[0]
    if set(p["properties"]) != {"Attendance", "Decided"}:
        fail("PATCH wrote %s" % sorted(p["properties"]))
    if query_bodies(h)[0]["filter"]["property"] != "Booking":
        fail("query %s" % query_bodies(h)[0])


# -- Notion's errors ------------------------------------------------------------

@case("notion_429_retry_after")
def _(h):
    h.fresh()
    uid = h.uid()
    pid = h.page(uid, ATT["rejoin"])
    h.nfault("patch", 429, code="rate_limited", retry_after=3, times=1)
    expect_accepted(h.meeting_ended(uid, end=None), uid)
    h.wait_status(pid, W_COMPLETED, 20)
    reqs = h.notion_requests()
    p429 = [r for r in reqs if r["status"] == 429]
    if len(p429) != 1:
        fail("%d 429 answers" % len(p429))
    after = [r for r in reqs if r["t"] > p429[0]["t"]]
    if not after:
        fail("nothing after the 429")
    gap = after[0]["t"] - p429[0]["t"]
    if gap < 3 - 0.1:
        fail("next Notion request %.2f s after a 429 with Retry-After: 3"
             % gap)
    expect_one_patch(h, pid, W_COMPLETED)
    return "next request after %.1f s" % gap


@case("notion_query_429_retry_after")
def _(h):
    h.fresh()
    uid = h.uid()
    pid = h.page(uid, ATT["rejoin"])
    h.nfault("query", 429, code="rate_limited", retry_after=2, times=1)
    expect_accepted(h.meeting_ended(uid, end=None), uid)
    h.wait_status(pid, W_COMPLETED, 20)
    q = h.notion_requests("query")
    if len(q) < 2 or q[1]["t"] - q[0]["t"] < 2 - 0.1:
        fail("queries at %s" % [round(r["t"] - q[0]["t"], 2) for r in q])


@case("notion_409_5xx_retried")
def _(h):
    h.fresh()
    rows = [("patch", 409, "conflict_error"),
            ("patch", 500, "internal_server_error"),
            ("patch", 502, "bad_gateway"),
            ("patch", 503, "service_unavailable"),
            ("patch", 529, "service_overload"),
            ("query", 503, "service_unavailable"),
            ("query", 529, "service_overload")]
    out = []
    for target, status, code in rows:
        if target == "query":
            # One at a time, once nothing else runs: the fault is the next
            # query, this job's.
            for _, _, u, p in out:
                h.wait_job(u, "done", 15)
        uid = h.uid("%s%d" % (target, status))
        pid = h.page(uid, ATT["rejoin"])
        # The fault hits this page's PATCH, or the next query.
        h.nfault(target, status, code=code, times=1,
                 **({"page": pid} if target == "patch" else {}))
        expect_accepted(h.meeting_ended(uid, end=None), uid)
        out.append((target, status, uid, pid))
    v = itest.Variants()
    for target, status, uid, pid in out:
        with v:
            try:
                h.wait_status(pid, W_COMPLETED, 15)
                h.wait_job(uid, "done")
            except Failure as e:
                fail("Notion %s %d: %s" % (target, status, e))
            expect_one_patch(h, pid, W_COMPLETED)
    v.done()
    got = sorted(r["status"] for r in h.notion_requests() if r["status"] != 200)
    if got != sorted(s for _, s, _ in rows):
        fail("Notion's error answers %s, expected each fault once" % got)


@case("notion_not_json_retried")
def _(h):
    h.fresh()
    uid = h.uid()
    pid = h.page(uid, ATT["rejoin"])
    h.nfault("patch", 502, kind="not_json", times=1)
    expect_accepted(h.meeting_ended(uid, end=None), uid)
    h.wait_status(pid, W_COMPLETED, 15)


@case("notion_permanent_errors_fail")
def _(h):
    h.fresh()
    rows = [("patch", 400, "validation_error"),
            ("patch", 403, "restricted_resource"),
            ("patch", 404, "object_not_found"),
            ("query", 400, "validation_error"),
            ("query", 401, "unauthorized"),
            ("query", 404, "object_not_found")]
    out = []
    for target, status, code in rows:
        uid = h.uid("%s%d" % (target, status))
        pid = h.page(uid, ATT["rejoin"])
        h.nfault(target, status, code=code, times=1,
                 **({"page": pid} if target == "patch" else {}))
        expect_accepted(h.meeting_ended(uid, end=None), uid)
        h.wait_job(uid, "failed", 10)
        out.append((target, status, uid, pid))
    jobs, counts = h.jobs()
    v = itest.Variants()
    for target, status, uid, pid in out:
        with v:
            if h.patches(pid):
                fail("%s %d: written later" % (target, status))
            j = jobs.get(uid)
            if not j or j["state"] != "failed" or not j["note"].strip("- "):
                fail("%s %d: --jobs says %s" % (target, status, j))
            with open(os.path.join(h.spool, "failed",
                                   spool_name(uid))) as f:
                doc = json.load(f)
            if doc.get("uid") != uid:
                fail("failed/%s holds uid %r" % (spool_name(uid),
                                                 doc.get("uid")))
            if NOTION_MARK in json.dumps(doc):
                fail("the failed job copies Notion's answer")
    v.done()
    if counts[1] != len(rows):
        fail("--jobs summary %s" % (counts,))


@case("notion_status_option_refused")
def _(h):
    # A status property without the verdict's option: Notion's 400
    # validation_error, so the job fails with a reason; --retry-failed
    # brings it back once the option exists.
    h.fresh(NOTION_STATUS_PENDING="Not started")
    h.nctl("database", {"id": NOTION_DB, "status_type": "status",
                        "status_options": ["Not started", "Completed"]})
    uid = h.uid()
    pid = h.page(uid, ATT["coach_absent"])
    expect_accepted(h.meeting_ended(uid), uid)
    h.wait_job(uid, "failed")
    jobs, counts = h.jobs()
    if jobs.get(uid, {}).get("state") != "failed" or counts[1] != 1:
        fail("--jobs: %s %s" % (jobs.get(uid), counts))
    if not any("outcome=failed" in ln for ln in log_lines(h, uid)):
        fail("no \"outcome=failed\" log line")
    h.nctl("database", {"id": NOTION_DB, "status_type": "status",
                        "status_options": ["Not started", "Completed",
                                           W_COACH_NO_SHOW]})
    rc, out, err = h.command("--retry-failed", uid)
    if rc != 0:
        fail("--retry-failed: exit %d %s" % (rc, short(out + err)))
    jobs, counts = h.jobs()
    j = jobs.get(uid, {})
    if j.get("state") != "pending" or counts[:2] != (1, 0):
        fail("after --retry-failed: %s %s" % (j, counts))
    rc, out, err = h.command("--drain")
    if rc != 0:
        fail("--drain: exit %d %s" % (rc, short(out + err)))
    h.wait_status(pid, W_COACH_NO_SHOW, 15)
    h.wait_job(uid, "done")


@case("retry_failed_all")
def _(h):
    h.fresh()
    uids = []
    for i in range(3):
        uid = h.uid()
        pid = h.page(uid, ATT["rejoin"])
        h.nfault("patch", 400, code="validation_error", page=pid)
        expect_accepted(h.meeting_ended(uid), uid)
        uids.append((uid, pid))
    for uid, _ in uids:
        h.wait_job(uid, "failed")
    rc, out, err = h.command("--retry-failed")
    if rc != 0:
        fail("--retry-failed: exit %d %s" % (rc, short(out + err)))
    if h.spool_state()["failed"]:
        fail("still failed: %s" % h.spool_state())
    rc, out, err = h.command("--drain")
    if rc != 0:
        fail("--drain: exit %d" % rc)
    for uid, pid in uids:
        h.wait_status(pid, W_COMPLETED)


@case("notion_bad_token_fails")
def _(h):
    h.fresh(NOTION_TOKEN=WRONG_NOTION_TOKEN)
    uid = h.uid()
    h.page(uid, ATT["rejoin"])
    since = h.responder_log_size()
    expect_accepted(h.meeting_ended(uid), uid)
    h.wait_job(uid, "failed")
    text = "\n".join(h.responder_lines(since))
    if "NOTION_TOKEN" not in text:
        fail("the log does not say what to fix (NOTION_TOKEN): %s"
             % short(text, 600))


@case("notion_property_missing_fails")
def _(h):
    h.fresh(NOTION_PROP_BOOKING_UID="No Such Property")
    uid = h.uid()
    h.page(uid, ATT["rejoin"])
    expect_accepted(h.meeting_ended(uid), uid)
    h.wait_job(uid, "failed")
    # The status property of a wrong type: failed too.
    h.fresh(NOTION_PROP_STATUS="Checked At")
    uid = h.uid()
    pid = h.page(uid, ATT["rejoin"])
    expect_accepted(h.meeting_ended(uid), uid)
    h.wait_job(uid, "failed")
    if h.patches(pid):
        fail("written")


@case("notion_rate_ten_jobs")
def _(h):
    h.fresh()
    uids = []
    for i in range(10):
        uid = h.uid("rate")
        uids.append((uid, h.page(uid, ATT["rejoin"])))
    with concurrent.futures.ThreadPoolExecutor(10) as ex:
        rs = list(ex.map(lambda u: h.meeting_ended(u[0], end=None), uids))
    for (uid, _), r in zip(uids, rs):
        expect_accepted(r, uid)
    for uid, pid in uids:
        h.wait_status(pid, W_COMPLETED, 30)
    ts = sorted(r["t"] for r in h.notion_requests())
    if len(ts) < 20:
        fail("%d Notion requests for 10 jobs" % len(ts))
    worst = min(b - a for a, b in zip(ts, ts[3:]))
    if worst < 0.9:
        fail("4 Notion requests within %.2f s (more than 3 per second)"
             % worst)
    rate = (len(ts) - 1) / (ts[-1] - ts[0])
    if rate > 3.1:
        fail("%.2f requests per second on average" % rate)
    for uid, pid in uids:
        expect_one_patch(h, pid, W_COMPLETED)
    return "%d requests, %.2f/s, 4 in no less than %.2f s" % (
        len(ts), rate, worst)


# -- Zoom's errors ----------------------------------------------------------------

@case("zoom_5xx_retried")
def _(h):
    h.fresh()
    uid = h.uid()
    pid = h.page(uid, ATT["rejoin"])
    h.fault("participants", "status", status=503, times=6,
            meeting=ATT["rejoin"])
    expect_accepted(h.meeting_ended(uid, end=None), uid)
    h.wait_status(pid, W_COMPLETED, 20)
    expect_one_patch(h, pid, W_COMPLETED)


@case("zoom_auth_failure_fails_at_once")
def _(h):
    h.fresh()
    uid = h.uid()
    pid = h.page(uid, ATT["rejoin"])
    h.fault("token", "status", status=400, times=-1,
            body={"reason": "Invalid client_id or client_secret",
                  "error": "invalid_client"})
    t0 = time.monotonic()
    expect_accepted(h.meeting_ended(uid, end=None), uid)
    h.wait_job(uid, "failed", 10)
    if time.monotonic() - t0 > RETRY_FIRST + 3:
        fail("failed only after %.1f s (retried?)" % (time.monotonic() - t0))
    if h.patches(pid):
        fail("written")


# -- bad input ----------------------------------------------------------------------

def _doc(**over):
    b = cal.booking("wf-bad-" + RUN_ID, START, END, COACH, CLIENT)
    for k, v in over.items():
        if v is ...:
            b.pop(k, None)
        else:
            b[k] = v
    return cal.payload(b, "flat")


def _bad_rows():
    """(what, body, status, code) of every refused payload."""
    long_email = "a" * 250 + "@example.com"
    j = cal.encode
    return [
        ("empty body", b"", 400, "invalid_json"),
        ("truncated JSON", b"{", 400, "invalid_json"),
        ("trailing comma", b'{"triggerEvent":"MEETING_ENDED","uid":"x",}',
         400, "invalid_json"),
        ("invalid UTF-8", b'{"triggerEvent":"MEETING_ENDED","uid":"a\xffb"}',
         400, "invalid_json"),
        ("invalid UTF-8 in the title", cal.encode(_doc(title="T")).replace(
            b'"title":"T"', b'"title":"T\xc0\xaf"'), 400, "invalid_json"),
        ("a UTF-16 surrogate in the organizer's name", cal.encode(_doc(
            organizer={"email": COACH[0], "name": "N"})).replace(
            b'"name":"N"', b'"name":"N\xed\xa0\x80"'), 400, "invalid_json"),
        ("an array", b"[]", 400, "invalid_json"),
        ("a string", b'"MEETING_ENDED"', 400, "invalid_json"),
        ("null", b"null", 400, "invalid_json"),
        ("5000 levels deep", b'{"a":' * 5000 + b"1" + b"}" * 5000, 400,
         "invalid_json"),
        ("no triggerEvent", j({"uid": "x"}), 400, "invalid_payload"),
        ("triggerEvent a number", j({"triggerEvent": 5, "uid": "x"}), 400,
         "invalid_payload"),
        ("triggerEvent null", j({"triggerEvent": None, "uid": "x"}), 400,
         "invalid_payload"),
        ("triggerEvent an array", j({"triggerEvent": ["MEETING_ENDED"],
                                     "uid": "x"}), 400, "invalid_payload"),
        ("no uid", j(_doc(uid=...)), 400, "invalid_uid"),
        ("uid null", j(_doc(uid=None)), 400, "invalid_uid"),
        ("uid a number", j(_doc(uid=12345)), 400, "invalid_uid"),
        ("uid empty", j(_doc(uid="")), 400, "invalid_uid"),
        ("uid an array", j(_doc(uid=["a"])), 400, "invalid_uid"),
        ("uid of 201 bytes", j(_doc(uid="u" * 201)), 400, "invalid_uid"),
        ("uid of 100000 bytes", j(_doc(uid="u" * 100000)), 400,
         "invalid_uid"),
        ("uid with a newline", j(_doc(uid="a\nb")), 400, "invalid_uid"),
        # cJSON would cut "a\u0000b" to "a": any escaped NUL is refused.
        ("uid with U+0000", j(_doc(uid="a\u0000b")), 400, "invalid_payload"),
        ("organizer name with U+0000", j(_doc(organizer={
            "email": "coach@example.com", "name": "C\u0000x"})), 400,
         "invalid_payload"),
        ("uid with DEL", j(_doc(uid="a\u007fb")), 400, "invalid_uid"),
        ("uid with U+0085", j(_doc(uid="a\u0085b")), 400, "invalid_uid"),
        ("wrapped, no uid", j({"triggerEvent": "MEETING_ENDED",
                               "createdAt": "x",
                               "payload": {"title": "no uid"}}), 400,
         "invalid_uid"),
        ("payload a string", j({"triggerEvent": "MEETING_ENDED",
                                "payload": "x"}), 400, "invalid_payload"),
        ("startTime a number", j(_doc(startTime=12345)), 400,
         "invalid_payload"),
        ("startTime yesterday", j(_doc(startTime="yesterday")), 400,
         "invalid_payload"),
        ("startTime month 13", j(_doc(startTime="2026-13-45T99:00:00Z")),
         400, "invalid_payload"),
        ("startTime empty", j(_doc(startTime="")), 400, "invalid_payload"),
        ("endTime an object", j(_doc(endTime={"t": 1})), 400,
         "invalid_payload"),
        ("endTime not ISO", j(_doc(endTime="2026-11-20 10:45")), 400,
         "invalid_payload"),
        ("organizer a string", j(_doc(organizer="coach@example.com")), 400,
         "invalid_payload"),
        ("organizer email a number", j(_doc(organizer={"email": 5})), 400,
         "invalid_payload"),
        ("organizer email without @", j(_doc(organizer={
            "email": "no-at-sign"})), 400, "invalid_payload"),
        ("organizer email of 262 bytes", j(_doc(organizer={
            "email": long_email})), 400, "invalid_payload"),
        ("organizer name with BEL", j(_doc(organizer={
            "email": COACH[0], "name": "Ada\u0007"})), 400,
         "invalid_payload"),
        ("organizer name of 256 bytes", j(_doc(organizer={
            "email": COACH[0], "name": "A" * 256})), 400, "invalid_payload"),
        ("organizer name a number", j(_doc(organizer={
            "email": COACH[0], "name": 7})), 400, "invalid_payload"),
        ("attendees a string", j(_doc(attendees="client@example.org")), 400,
         "invalid_payload"),
        ("attendees[0] a number", j(_doc(attendees=[5])), 400,
         "invalid_payload"),
        ("attendee email without @", j(_doc(attendees=[{"email": "bad"}])),
         400, "invalid_payload"),
        ("attendee name with a newline", j(_doc(attendees=[{
            "email": CLIENT[0], "name": "G\nH"}])), 400, "invalid_payload"),
    ]


@case("bad_input_refused")
def _(h):
    h.fresh()
    v = itest.Variants()
    for what, data, status, code in _bad_rows():
        with v:
            r = h.hook(data)
            itest.expect_error(r, status, code, what)
    v.done()
    expect_stored_nothing(h, "bad input")
    expect_no_notion_call(h, "bad input")
    if h.responder.poll() is not None:
        fail("the responder died")
    # And it still takes a good one.
    uid = h.uid()
    pid = h.page(uid, ATT["rejoin"])
    expect_accepted(h.meeting_ended(uid), uid)
    h.wait_status(pid, W_COMPLETED)


@case("bad_input_names_the_field")
def _(h):
    h.fresh()
    v = itest.Variants()
    for field, val in (("startTime", "yesterday"), ("endTime", 5)):
        with v:
            j = itest.expect_error(h.hook(_doc(**{field: val})), 400,
                                   "invalid_payload", field)
            if field not in j["message"]:
                fail("%s: message %r does not name it" % (field, j["message"]))
    v.done()


@case("edge_inputs_accepted")
def _(h):
    h.fresh()
    v = itest.Variants()
    rows = [
        ("uid of 200 bytes", _doc(uid="u" * 200)),
        ("no times", _doc(startTime=..., endTime=...)),
        ("no organizer nor attendees", _doc(organizer=..., attendees=...)),
        ("no attendees", _doc(attendees=[])),
        ("offset times", _doc(startTime="2026-11-20T11:00:00+01:00",
                              endTime="2026-11-20T11:45:00+01:00")),
        ("attendee name only", _doc(attendees=[{"name": CLIENT[1]}])),
        ("unicode names", _doc(organizer={"email": COACH[0],
                                          "name": "Ada Lövelace ✓"})),
        ("extra fields", dict(_doc(), unknown={"deep": [1, 2, {"x": None}]})),
    ]
    for what, doc in rows:
        with v:
            uid = doc["uid"] if what == "uid of 200 bytes" else h.uid("edge")
            doc = dict(doc, uid=uid)
            r = h.hook(doc)
            expect_accepted(r, uid, what=what)
    v.done()


@case("body_size_limit")
def _(h):
    h.fresh()

    def body_of(n, uid):
        pre = cal.encode(dict(_doc(uid=uid), pad=""))[:-2]   # ..."pad":"
        return pre + b"x" * (n - len(pre) - 2) + b'"}'
    uid = h.uid("cap")
    data = body_of(MAX_BODY, uid)
    assert len(data) == MAX_BODY
    r = h.hook(data)
    expect_accepted(r, uid, what="a body of exactly 256 KiB")
    v = itest.Variants()
    # One byte over: the responder's own 413; far over, nginx may answer
    # first (413 too, in the same JSON shape).
    for n in (MAX_BODY + 1, 300 * 1024, 2 * 1024 * 1024):
        with v:
            uid = h.uid("big")
            r = h.hook(body_of(n, uid))
            if r.status != 413:
                fail("%d-byte body: %d %s" % (n, r.status, short(r.body)))
            j = r.json()
            if n == MAX_BODY + 1 and j.get("error") != "body_too_large":
                fail("%d-byte body: %s" % (n, short(r.body)))
            if spool_name(uid) in sum(h.spool_state().values(), []):
                fail("%d-byte body stored" % n)
    with v:     # too large is refused before the signature is looked at
        r = h.hook(body_of(MAX_BODY + 1, h.uid()), signature="missing")
        itest.expect_error(r, 413, "body_too_large", "unsigned, too large")
    v.done()


@case("body_length_unknown_or_invalid")
def _(h):
    # The webhook reads its body as the endpoint does: under FastCGI,
    # without a length (Caddy sends -1 for a chunked body) to the end of
    # the stdin stream, under the same 256 KiB cap; a length that is not a
    # count is its own error. As plain CGI a length is required.
    h.fresh()

    def params(data, cl):
        return itest.fcgi_params(uri=WEBHOOK_PATH, body=data, key=None,
                                 CONTENT_LENGTH=cl,
                                 HTTP_X_CAL_SIGNATURE_256=cal.sign(
                                     CAL_SECRET, data))

    def body_of(n, uid):
        pre = cal.encode(dict(_doc(uid=uid), pad=""))[:-2]   # ..."pad":"
        return pre + b"x" * (n - len(pre) - 2) + b'"}'
    v = itest.Variants()
    for cl in (None, "-1"):
        with v:
            uid = h.uid("nolength")
            data = cal.body(cal.booking(uid, START, END))
            r = itest.fcgi_direct(h, params(data, cl), data, chunk=7)
            expect_accepted(r, uid, what="CONTENT_LENGTH %r, the body in "
                            "7-byte records" % cl)
        with v:
            uid = h.uid("nolength-big")
            data = body_of(MAX_BODY + 1, uid)
            r = itest.fcgi_direct(h, params(data, cl), data, chunk=8192)
            itest.expect_error(r, 413, "body_too_large",
                               "CONTENT_LENGTH %r, 256 KiB + 1" % cl)
    for cl in ("abc", "-2", "1e3"):
        with v:
            data = cal.body(cal.booking(h.uid("badlength"), START, END))
            r = itest.fcgi_direct(h, params(data, cl), data)
            itest.expect_error(r, 400, "invalid_content_length",
                               "CONTENT_LENGTH %r" % cl)
    with v:
        data = cal.body(cal.booking(h.uid("short"), START, END))
        r = itest.fcgi_direct(h, params(data, str(len(data) + 1)), data)
        itest.expect_error(r, 400, "invalid_content_length",
                           "CONTENT_LENGTH longer than the body")
    with v:
        data = cal.body(cal.booking(h.uid("cgi"), START, END))
        r = h.cgi_run("POST", data, content_length="-1", env={
            "HTTP_X_CAL_SIGNATURE_256": cal.sign(CAL_SECRET, data)})
        itest.expect_error(r, 400, "invalid_content_length",
                           "CGI CONTENT_LENGTH -1")
    v.done()
    st = h.spool_state()
    n = sum(len(x) for k, x in st.items() if k != "tmp")
    if n != 2:
        fail("%d jobs stored, expected the 2 accepted: %s" % (n, st))


@case("spool_unwritable")
def _(h):
    h.fresh()
    # Running as root, permissions do not stop writes: put files where the
    # spool's directories are.
    for sub in ("tmp",):
        p = os.path.join(h.spool, sub)
        shutil.rmtree(p, ignore_errors=True)
        with open(p, "w") as f:
            f.write("not a directory\n")
    uid = h.uid()
    r = h.meeting_ended(uid)
    itest.expect_error(r, 503, "spool_unavailable")
    if any(spool_name(uid) in x for x in os.listdir(h.spool)):
        fail("stored anyway")
    # The spool itself replaced by a file.
    shutil.rmtree(h.spool)
    with open(h.spool, "w") as f:
        f.write("not a directory\n")
    try:
        r = h.meeting_ended(h.uid())
        itest.expect_error(r, 503, "spool_unavailable", "spool is a file")
    finally:
        os.unlink(h.spool)
    if h.responder.poll() is not None:
        fail("the responder died")


# -- CGI ------------------------------------------------------------------------

@case("cgi_webhook_then_drain")
def _(h):
    h.fresh()
    spool = os.path.join(h.tmp, "cgi-spool")
    shutil.rmtree(spool, ignore_errors=True)
    env = h.workflow_env(spool=spool)
    # A page created after the webhook: the CGI request's own try (if it
    # makes one) finds nothing; --drain finds it.
    uid = h.uid("cgi")
    r = h.cgi_hook(cal.body(cal.booking(uid, START, None, COACH, CLIENT),
                            "wrapped"), env=env)
    expect_accepted(r, uid)
    if r.elapsed > 2.5:
        fail("the CGI webhook answered after %.1f s" % r.elapsed)
    if spool_name(uid) not in h.spool_state(spool)["pending"]:
        fail("not pending after the CGI request: %s" % h.spool_state(spool))
    pid = h.page(uid, ATT["waiting"])
    time.sleep(RETRY_FIRST + 0.2)
    rc, out, err = h.command("--drain", env=h.base_env(**env))
    if rc != 0:
        fail("--drain: exit %d %s" % (rc, short(out + err)))
    if h.status_of(pid) != W_NO_SHOW:
        fail("after --drain the status is %r" % h.status_of(pid))
    h.wait_job(uid, "done", 2, spool)
    # A second --drain has nothing to do.
    rc, out, err = h.command("--drain", env=h.base_env(**env))
    if rc != 0 or len(h.patches(pid)) != 1:
        fail("second --drain: exit %d, %d PATCHes" % (rc, len(h.patches(pid))))
    jobs, counts = h.jobs(env=h.base_env(**env))
    if jobs.get(uid, {}).get("state") != "done" or counts != (0, 0, 1):
        fail("--jobs: %s %s" % (jobs, counts))


@case("cgi_webhook_answers_within_2s")
def _(h):
    h.fresh()
    spool = os.path.join(h.tmp, "cgi-spool2")
    env = h.workflow_env(spool=spool)
    v = itest.Variants()
    for what, setup in (
            ("Notion slow", lambda: h.nfault("query", kind="sleep",
                                             seconds=6, times=1)),
            ("Zoom slow", lambda: h.fault("participants", "sleep",
                                          seconds=6, times=1))):
        with v:
            h.nctl("reset")
            h.ctl("reset", {"tokens": False})
            uid = h.uid("slow")
            h.page(uid, ATT["rejoin"])
            setup()
            r = h.cgi_hook(cal.body(cal.booking(uid, START, END, COACH,
                                                CLIENT)), env=env)
            expect_accepted(r, uid, what=what)
            if r.elapsed > 2.6:
                fail("%s: the CGI webhook answered after %.1f s"
                     % (what, r.elapsed))
    v.done()
    # Let the stand-ins' sleeps end before the next case.
    time.sleep(1)


@case("cgi_signature_and_errors")
def _(h):
    h.fresh()
    spool = os.path.join(h.tmp, "cgi-spool3")
    env = h.workflow_env(spool=spool)
    v = itest.Variants()
    for mode in ("wrong", "missing", "upper", "no-secret"):
        with v:
            r = h.cgi_hook(cal.body(cal.booking(h.uid(), START, END)),
                           signature=mode, env=env)
            itest.expect_error(r, 401, "invalid_signature", "CGI " + mode)
    with v:
        r = h.cgi_hook(b"{", env=env)
        itest.expect_error(r, 400, "invalid_json", "CGI bad JSON")
    with v:
        r = h.cgi_hook(cal.encode(_doc(uid=...)), env=env)
        itest.expect_error(r, 400, "invalid_uid", "CGI no uid")
    with v:
        data = cal.body(cal.booking(h.uid(), START, END))
        r = h.cgi_run("GET", b"", env=dict(
            env, HTTP_X_CAL_SIGNATURE_256=cal.sign(CAL_SECRET, data)))
        itest.expect_error(r, 405, "method_not_allowed", "CGI GET")
    with v:
        r = h.cgi_run("POST", b"{}",
                      env=dict(env, HTTP_X_CAL_SIGNATURE_256="0" * 64),
                      content_length=MAX_BODY + 1)
        itest.expect_error(r, 413, "body_too_large", "CGI too large")
    with v:
        r = h.cgi_hook(cal.body(cal.booking(h.uid(), START, END)),
                       env=dict(env, WORKFLOW_SPOOL_DIR=None))
        itest.expect_error(r, 503, "workflow_not_configured", "CGI off")
    with v:
        blocker = os.path.join(h.tmp, "a-file")
        with open(blocker, "w") as f:
            f.write("x")
        r = h.cgi_hook(cal.body(cal.booking(h.uid(), START, END)),
                       env=dict(env, WORKFLOW_SPOOL_DIR=os.path.join(
                           blocker, "spool")))
        itest.expect_error(r, 503, "spool_unavailable", "CGI spool unusable")
    with v:     # PATH_INFO routing, as Apache's CGI gives it
        uid = h.uid("pathinfo")
        data = cal.body(cal.booking(uid, START, END))
        r = h.cgi_run("POST", data, uri="/cgi-bin/zoom-attendees",
                      env=dict(env, PATH_INFO=WEBHOOK_PATH,
                               DOCUMENT_URI="/cgi-bin/zoom-attendees",
                               REQUEST_URI="/cgi-bin/zoom-attendees" +
                               WEBHOOK_PATH,
                               HTTP_X_CAL_SIGNATURE_256=cal.sign(CAL_SECRET,
                                                                 data)))
        expect_accepted(r, uid, what="CGI via PATH_INFO")
    v.done()
    st = h.spool_state(spool)
    if len(st["pending"]) + len(st["done"]) + len(st["failed"]) != 1:
        fail("CGI spool: %s (only the PATH_INFO one should be there)" % st)


@case("cgi_request_ignores_arguments")
def _(h):
    """Apache's CGI turns a query string without '=' into arguments:
    "?--drain" must not run the command for a caller."""
    h.fresh()
    spool = os.path.join(h.tmp, "argv-spool")
    shutil.rmtree(spool, ignore_errors=True)
    env = h.workflow_env(spool=spool)
    uid = h.uid("argv")
    h.page(uid, ATT["rejoin"])
    r = h.cgi_hook(cal.body(cal.booking(uid, START, None, COACH, CLIENT)),
                   env=env)
    expect_accepted(r, uid)
    for arg in ("--drain", "--retry-failed", "--jobs", "--check-config"):
        e = dict(env, QUERY_STRING=arg)
        r = h.cgi_run("GET", uri="/api/zoom/healthz", env=e, args=[arg])
        if r.status != 200 or r.json() != {"status": "ok"}:
            fail("GET /api/zoom/healthz?%s as CGI: %d %s" % (
                arg, r.status, short(r.body)))
    if spool_name(uid) not in h.spool_state(spool)["pending"]:
        fail("the job left pending/: %s" % h.spool_state(spool))
    jobs, counts = h.jobs(env=h.base_env(**env))
    if jobs.get(uid, {}).get("attempts") not in (0, "0"):
        fail("a CGI request's arguments ran the job: %s" % jobs)


@case("drain_bad_config_exits_1")
def _(h):
    h.fresh()
    blocker = os.path.join(h.tmp, "b-file")
    with open(blocker, "w") as f:
        f.write("x")
    rc, out, err = h.command("--drain", env=h.base_env(
        WORKFLOW_SPOOL_DIR=os.path.join(blocker, "spool")))
    if rc != 1:
        fail("--drain on an unusable spool: exit %d" % rc)
    rc, out, err = h.command("--drain", env=h.base_env(NOTION_TOKEN=None))
    if rc != 1:
        fail("--drain without NOTION_TOKEN: exit %d" % rc)
    if "NOTION_TOKEN" not in out + err:
        fail("--drain without NOTION_TOKEN does not name it")


@case("secrets_from_files")
def _(h):
    d = os.path.join(h.tmp, "creds")
    os.makedirs(d, exist_ok=True)
    for name, val in (("cal", CAL_SECRET), ("notion", NOTION_TOKEN)):
        with open(os.path.join(d, name), "w") as f:
            f.write(val + "\n")
    h.fresh(CAL_WEBHOOK_SECRET=None, NOTION_TOKEN=None,
            CAL_WEBHOOK_SECRET_FILE=os.path.join(d, "cal"),
            NOTION_TOKEN_FILE=os.path.join(d, "notion"))
    uid = h.uid()
    pid = h.page(uid, ATT["rejoin"])
    expect_accepted(h.meeting_ended(uid), uid)
    h.wait_status(pid, W_COMPLETED)
    rc, out, err = h.command("--check-config")
    for s in SECRETS:
        if s in out + err:
            fail("--check-config printed a secret")


@case("no_secrets_anywhere")
def _(h):
    for path in (h.responder_log, h.nginx_log, h.cgi_log,
                 os.path.join(h.tmp, "nginx-access.log")):
        try:
            data = open(path, "rb").read().decode("utf-8", "replace")
        except FileNotFoundError:
            continue
        for s in SECRETS:
            if s in data:
                fail("%s contains a secret or Notion's text (%s...)" % (
                    os.path.basename(path), s[:10]))
    for r in h.exchanges:
        text = r.text()
        for s in SECRETS:
            if s in text:
                fail("an answer (%s) contains %s..." % (r.via, s[:10]))
    for root, dirs, files in os.walk(h.tmp):
        if "nginx" in root.split(os.sep)[-1:]:
            continue
        for n in files:
            if not n.endswith(".job"):
                continue
            data = open(os.path.join(root, n), "rb").read().decode(
                "utf-8", "replace")
            for s in SECRETS:
                if s in data:
                    fail("job file %s contains a secret" % n)


# ---------------------------------------------------------------------------
# Runner


def main():
    got = itest.suite_args(__doc__, CASES, "logs, spool")
    if isinstance(got, int):
        return got
    a, cases = got
    passed = failed = 0
    t_start = time.monotonic()
    h = Harness(os.path.abspath(a.bin), keep=a.keep)
    try:
        with open(itest.LOCATION_CONF) as f:
            if WEBHOOK_PATH not in f.read():
                raise RuntimeError("%s has no location for %s" % (
                    itest.LOCATION_CONF, WEBHOOK_PATH))
        h.start_standin()
        h.start_notion()
        h.start_responder()
        h.start_nginx()
        if h.wait_healthy(5.0) is not True:
            raise RuntimeError("nginx -> responder healthz does not answer "
                               "200; responder log:\n%s" % short(
                                   open(h.responder_log).read(), 2000))
        for name in (h.responder_log, h.nginx_log, h.cgi_log):
            h.new_log(name)
        for name, fn in cases:
            sys.stdout.write("%s... " % name)
            sys.stdout.flush()
            t0 = time.monotonic()
            try:
                note = fn(h)
                problem = itest.after_case(h)
                if problem:
                    raise Failure(problem)
            except Failure as e:
                failed += 1
                print("FAIL: %s" % e)
                itest.after_case(h)
                continue
            except Exception as e:
                failed += 1
                itest.report_error(e)
                itest.after_case(h)
                continue
            passed += 1
            itest.report_ok(note, t0)
    except KeyboardInterrupt:
        print("\ninterrupted")
        failed += 1
    except RuntimeError as e:
        print("setup failed: %s" % e)
        failed += 1
    finally:
        h.close()
    if os.environ.get("ZA_ITEST_TIMING"):
        print("# %.1f s" % (time.monotonic() - t_start))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
