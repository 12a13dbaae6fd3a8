#!/usr/bin/env python3
"""Deployment tests: every shipped way of running zoom-attendees, for real.

    python3 tests/deploy/run.py --bin build/zoom-attendees [--only SUBSTR] [--keep]

First `make install` puts the binary, the man page, the example
configurations and the systemd units into a temporary prefix, with the
@NAME@ placeholders of the shipped files filled in for this run (loopback
port, socket and configuration paths under the temporary directory). Every
deployment is then started from those installed files, on 127.0.0.1 only,
against the Zoom stand-in (tests/zoom_standin.py):

  nginx + TCP, nginx + unix socket (the shipped TLS site), Apache +
  mod_proxy_fcgi (TCP and unix socket), Apache + mod_fcgid, Apache + CGI
  through the shipped .htaccess (with CGIPassAuth, with the old-2.4
  SetEnvIf fallback, and with the suexec wrapper), the configuration file
  alone, spawn-fcgi with several workers sharing one token, the systemd
  units (socket activation emulated: fd 3, LISTEN_PID, LISTEN_FDS,
  credentials), a stop signal during a slow request, lighttpd (starting
  the program with bin-path, and connecting to the socket), lighttpd as a
  background daemon with ZOOM_ATTENDEES_LOG=syslog (a private /dev/log in a
  mount namespace of its own: the machine's syslog is never used), and
  Caddy (reverse_proxy, transport fastcgi, to the socket).

Each one answers the same smoke suite: the attendees of a meeting (200, 4
participants), 401 without the key, 400 for a bad id, GET /healthz. The
web servers that pass a request's body on (nginx, lighttpd, Caddy) also
take a chunked body, answer 413 for a 70 KiB chunked one, and 20 requests
at once; for lighttpd and Caddy, the traps their files warn of (no
check-local; php_fastcgi, a bare respond) are shown to be real. Each
one also takes Cal.com's MEETING_ENDED webhook (POST /api/cal/meeting-ended,
or /api/zoom/meeting-ended through the shared-hosting .htaccess), with the
workflow configured the way that deployment is configured: a correctly
signed event is 202 and lands in the spool, a replay is a duplicate, a
wrong signature is 401, a 300 KiB body is 413 in JSON, a 70 KiB attendees
body is still the responder's 413; the job is then tried (by the job
thread, or by --drain for CGI) against a Notion address where nothing
listens, and must stay pending with the responder alive. Only the parts a
server administrator writes for the site (listen address, TLS certificate,
document root, modules, a systemd drop-in) are written by this test.

Runs as root (servers drop to www-data/nobody, as in production). Prints
"name... ok" or "name... FAIL: reason" per check, then "N passed, N failed";
exits 1 on any failure. A deployment that cannot be started is a failure.
"""

import argparse
import concurrent.futures
import ctypes
import datetime
import grp
import hashlib
import http.client
import json
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import ssl
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback

sys.dont_write_bytecode = True

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
STANDIN = os.path.join(ROOT, "tests", "zoom_standin.py")
SD_ACTIVATE = os.path.join(HERE, "sd_activate.py")
sys.path.insert(0, os.path.join(ROOT, "tests"))
import zoom_standin  # noqa: E402  (the dataset, to compare answers)
import cal_sender as cal  # noqa: E402  (Cal.com's body and signature)
from fast_standin import free_port  # noqa: E402

API = "/api/zoom/get-meeting-attendees"
HEALTH = "/api/zoom/healthz"
MEETING = "85746065432"
WANT = zoom_standin.build_dataset()[MEETING]
RUN_ID = os.urandom(6).hex()
API_KEY = "deploy-key-" + os.urandom(12).hex()
ACCOUNT_ID = "deploy-account-" + RUN_ID
CLIENT_ID = "deploy-client-" + RUN_ID
CLIENT_SECRET = "deploy-secret-" + os.urandom(12).hex()
CAL_PATH = "/api/cal/meeting-ended"
CAL_SECRET = "deploy-cal-" + os.urandom(12).hex()
NOTION_TOKEN = "ntn_deploy" + os.urandom(12).hex()
NOTION_DB = os.urandom(16).hex()
SECRETS = [API_KEY, CLIENT_SECRET, CAL_SECRET, NOTION_TOKEN]
APACHE_MODULES = "/usr/lib/apache2/modules"
WEB_USER = "www-data"        # nginx and Apache workers, as on Debian
SERVICE_USER = "nobody"      # stands for a service's own (dynamic) user

PASSED = 0
FAILED = 0


class Failure(Exception):
    pass


def fail(msg):
    raise Failure(msg)


def report(name, ok, why=""):
    global PASSED, FAILED
    if ok:
        PASSED += 1
        print("%s... ok" % name, flush=True)
    else:
        FAILED += 1
        why = why.rstrip().replace("\n", "\n    ")
        print("%s... FAIL: %s" % (name, why), flush=True)


def check(name, fn, *args, xfail=None):
    """Run one check; report it. Returns True when it passed.

    xfail: (known bug, regex): a failure whose message matches the regex is
    that bug, reported to the owner of src/, and counts as passed ("XFAIL");
    a pass then says so ("XPASS": drop the mark). Any other failure fails."""
    global PASSED
    try:
        fn(*args)
    except Exception as e:
        why = str(e) if isinstance(e, Failure) else unexpected(e)
        if xfail and re.search(xfail[1], why):
            PASSED += 1
            print("%s... XFAIL (known bug: %s): %s" % (
                name, xfail[0], why.splitlines()[0]), flush=True)
            return False
        report(name, False, why)
        return False
    if xfail:
        PASSED += 1
        print("%s... XPASS (fixed? drop the xfail mark): %s" % (
            name, xfail[0]), flush=True)
        return True
    report(name, True)
    return True


def unexpected(e):
    """An exception this test did not raise itself: what and where."""
    where = [f for f in traceback.extract_tb(e.__traceback__)
             if f.filename == os.path.abspath(__file__)]
    at = " (run.py line %d, in %s)" % (where[-1].lineno, where[-1].name) \
        if where else ""
    return "%s: %s%s" % (type(e).__name__, e, at)


def short(b, n=400):
    if isinstance(b, bytes):
        b = b.decode("utf-8", "replace")
    return b if len(b) <= n else b[:n] + "..."


def tail(path, n=1500):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return "(no %s)" % path
    return "%s:\n%s" % (path, short(data[-n:], n))



def wait_for(what, probe, proc=None, seconds=10.0):
    """Poll probe() until it returns true; fail if proc exits first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            fail("%s: the process exited with status %s" % (what, proc.returncode))
        try:
            if probe():
                return
        except OSError:
            pass
        time.sleep(0.02)
    fail("%s: not ready after %.0f s" % (what, seconds))


def tcp_open(port):
    socket.create_connection(("127.0.0.1", port), 0.2).close()
    return True


def unix_open(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.settimeout(0.2)
        s.connect(path)
    finally:
        s.close()
    return True


def ours_running(top):
    """Pids of processes whose program lies under top."""
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit() and int(d) != os.getpid():
            try:
                exe = os.readlink("/proc/%s/exe" % d)
            except OSError:
                continue
            if exe.startswith(top + "/"):
                pids.append(int(d))
    return pids


def user_ids(name):
    pw = pwd.getpwnam(name)
    return pw.pw_uid, pw.pw_gid


def chown_to(path, user, mode):
    uid, gid = user_ids(user)
    os.chown(path, uid, gid)
    os.chmod(path, mode)


def write(path, text, mode=0o644, user=None):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    if user is not None:
        chown_to(path, user, mode)


def mkdirs(*paths, mode=0o755):
    for p in paths:
        os.makedirs(p, exist_ok=True)
        os.chmod(p, mode)


# ---------------------------------------------------------------------------
# Clients: HTTP(S) to a web server, and FastCGI straight to a responder.


class Resp:
    def __init__(self, status, headers, body, via):
        self.status, self.headers, self.body, self.via = status, headers, body, via

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            fail("%s: answer %d is not JSON: %r" % (self.via, self.status,
                                                    short(self.body)))

    def __repr__(self):
        return "%d %s" % (self.status, short(self.body, 200))


class HttpClient:
    def __init__(self, port, cafile=None):
        self.port = port
        self.ctx = None
        if cafile is not None:
            self.ctx = ssl.create_default_context(cafile=cafile)
            self.ctx.check_hostname = False   # the certificate is for localhost
        self.name = "%s://127.0.0.1:%d" % ("https" if cafile else "http", port)

    def request(self, method, path, body=None, headers=None, timeout=20.0,
                chunked=False):
        """chunked: send the body with Transfer-Encoding: chunked, in
        pieces of 4 KiB, and no Content-Length."""
        if chunked:
            data = body.encode() if isinstance(body, str) else body
            body = iter([data[i:i + 4096]
                         for i in range(0, len(data), 4096)])
        if self.ctx is not None:
            c = http.client.HTTPSConnection("127.0.0.1", self.port,
                                            timeout=timeout, context=self.ctx)
        else:
            c = http.client.HTTPConnection("127.0.0.1", self.port,
                                           timeout=timeout)
        try:
            c.request(method, path, body=body, headers=headers or {},
                      encode_chunked=chunked)
            r = c.getresponse()
            try:
                data = r.read()
            except http.client.IncompleteRead as e:
                fail("%s %s: the %d answer was cut short after %d body "
                     "bytes (the server closed the connection): %r" % (
                         method, path, r.status, len(e.partial),
                         short(e.partial, 120)))
            return Resp(r.status, r.getheaders(), data,
                        "%s %s" % (method, path))
        finally:
            c.close()


def _fcgi_record(rtype, content, rid=1):
    pad = (8 - len(content) % 8) % 8
    return struct.pack("!BBHHBx", 1, rtype, rid, len(content), pad) + \
        content + b"\0" * pad


def _fcgi_pair(name, value):
    out = b""
    for x in (name, value):
        out += bytes([len(x)]) if len(x) < 128 else \
            struct.pack("!I", len(x) | 0x80000000)
    return out + name + value


class FcgiClient:
    """FastCGI responder role (FastCGI specification, section 6.2), one
    request per connection, on a unix socket."""

    def __init__(self, path):
        self.path = path
        self.name = "fastcgi unix:%s" % path

    def request(self, method, path, body=None, headers=None, timeout=20.0):
        body = body or b""
        if isinstance(body, str):
            body = body.encode()
        params = {"REQUEST_METHOD": method, "REQUEST_URI": path,
                  "SCRIPT_NAME": path, "DOCUMENT_URI": path,
                  "SERVER_PROTOCOL": "HTTP/1.1", "GATEWAY_INTERFACE": "CGI/1.1",
                  "CONTENT_LENGTH": str(len(body)) if body else ""}
        for k, v in (headers or {}).items():
            if k.lower() == "content-type":
                params["CONTENT_TYPE"] = v
            else:
                params["HTTP_" + k.upper().replace("-", "_")] = v
        pv = b"".join(_fcgi_pair(k.encode(), v.encode())
                      for k, v in params.items())
        msg = _fcgi_record(1, struct.pack("!HB5x", 1, 0))      # BEGIN_REQUEST
        msg += _fcgi_record(4, pv) + _fcgi_record(4, b"")      # PARAMS
        for i in range(0, len(body), 32768):
            msg += _fcgi_record(5, body[i:i + 32768])          # STDIN
        msg += _fcgi_record(5, b"")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        out = b""
        try:
            s.connect(self.path)
            s.sendall(msg)
            buf = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
                done = False
                while len(buf) >= 8:
                    _, rtype, _, clen, plen = struct.unpack("!BBHHBx", buf[:8])
                    if len(buf) < 8 + clen + plen:
                        break
                    if rtype == 6:                              # STDOUT
                        out += buf[8:8 + clen]
                    elif rtype == 3:                            # END_REQUEST
                        done = True
                    buf = buf[8 + clen + plen:]
                if done:
                    break
        finally:
            s.close()
        head, _, payload = out.partition(b"\r\n\r\n")
        headers, status = [], 200
        for line in head.decode("latin-1").split("\r\n"):
            k, _, v = line.partition(":")
            headers.append((k.strip(), v.strip()))
            if k.lower() == "status":
                status = int(v.split()[0])
        return Resp(status, headers, payload, "%s %s" % (method, path))


# ---------------------------------------------------------------------------
# The smoke suite every deployment answers.


def attendees(client, key=API_KEY, meeting=MEETING):
    h = {"Content-Type": "application/json"}
    if key is not None:
        h["Authorization"] = "Bearer " + key
    return client.request("POST", API, json.dumps({"zoomCallId": meeting}), h)


def expect_common(r):
    ct = (r.header("Content-Type") or "").split(";")[0].strip()
    if ct != "application/json":
        fail("%s: answer %d with Content-Type %r: %s" % (
            r.via, r.status, r.header("Content-Type"), short(r.body)))
    text = repr(r.headers) + r.body.decode("utf-8", "replace")
    for s in SECRETS:
        if s in text:
            fail("%s: the answer holds a secret" % r.via)


def expect_error(r, status, code):
    if r.status != status:
        fail("%s: expected %d %s, got %r" % (r.via, status, code, r))
    expect_common(r)
    j = r.json()
    if not isinstance(j, dict) or j.get("error") != code:
        fail("%s: expected error %r, got %r" % (r.via, code, r))


def expect_attendees(r):
    if r.status != 200:
        fail("%s: expected 200, got %r" % (r.via, r))
    expect_common(r)
    j = r.json()
    got = j.get("participants") if isinstance(j, dict) else None
    if not isinstance(got, list) or len(got) != len(WANT):
        fail("%s: expected %d participants, got %s" % (
            r.via, len(WANT), short(r.body, 200)))
    if got != WANT:
        fail("%s: the participants differ from what Zoom sent" % r.via)


def smoke_attendees(client):
    expect_attendees(attendees(client))


def smoke_no_key(client):
    expect_error(attendees(client, key=None), 401, "unauthorized")


def smoke_bad_id(client):
    expect_error(attendees(client, meeting="../users/me"), 400,
                 "invalid_zoom_call_id")


def smoke_healthz(client):
    r = client.request("GET", HEALTH)
    if r.status != 200:
        fail("%s: expected 200, got %r" % (r.via, r))
    expect_common(r)


SMOKE = [("attendees-200", smoke_attendees), ("no-key-401", smoke_no_key),
         ("bad-id-400", smoke_bad_id), ("healthz-200", smoke_healthz)]


def smoke(name, client, server=None, xfail=None):
    """The four checks; on a failure, the last lines of the server's error
    log (nginx/Apache, where a CGI program's stderr goes too). xfail: check
    name -> (known bug, regex), see check()."""
    def with_log(fn):
        def run(c):
            try:
                fn(c)
            except Failure as e:
                errlog = getattr(server, "errlog", None)
                fail("%s\n%s" % (e, tail(errlog, 700)) if errlog else str(e))
        return run
    for check_name, fn in SMOKE:
        check("%s %s" % (name, check_name), with_log(fn), client,
              xfail=(xfail or {}).get(check_name))


def front_end(name, client, server=None):
    """What a web server in front must get right beyond the smoke suite:
    a chunked body (no Content-Length: the server either buffers it and
    sends the length, or passes CONTENT_LENGTH -1 and the stream's end, as
    Caddy does), 413 for a 70 KiB chunked body, and 20 requests at once.
    (A 70 KiB body with a length is in the webhook suite.)"""
    def with_log(fn):
        def run():
            try:
                fn()
            except Failure as e:
                errlog = getattr(server, "errlog", None)
                fail("%s\n%s" % (e, tail(errlog, 700)) if errlog else str(e))
        return run
    headers = {"Content-Type": "application/json",
               "Authorization": "Bearer " + API_KEY}

    def chunked():
        a = client.request("POST", API, json.dumps({"zoomCallId": MEETING}),
                           headers, chunked=True)
        a.via += " (chunked)"
        expect_attendees(a)
    check("%s chunked-body-200" % name, with_log(chunked))

    def chunked_large():
        body = json.dumps({"zoomCallId": MEETING, "pad": "x" * (70 * 1024)})
        a = client.request("POST", API, body, headers, chunked=True)
        a.via += " (chunked, 70 KiB)"
        expect_error(a, 413, "body_too_large")
        if "64 KiB" not in a.json().get("message", ""):
            fail("%s: not the responder's 413 (64 KiB): %r" % (a.via, a))
    check("%s chunked-70k-413" % name, with_log(chunked_large))

    def parallel():
        with concurrent.futures.ThreadPoolExecutor(20) as ex:
            answers = list(ex.map(lambda _: attendees(client), range(20)))
        bad = [a for a in answers if a.status != 200]
        if bad:
            fail("%d of 20 parallel requests failed, e.g. %r" % (len(bad),
                                                                  bad[0]))
        for a in answers:
            expect_attendees(a)
    check("%s parallel-20" % name, with_log(parallel))


# ---------------------------------------------------------------------------
# The webhook suite: Cal.com's MEETING_ENDED event, as each deployment is
# configured for the meeting-ended workflow.


def cal_body(uid, shape="flat", size=None):
    """A MEETING_ENDED body for a booking that ended 5 minutes ago; size:
    padded (in the booking's description) to exactly that many bytes."""
    now = datetime.datetime.now(datetime.timezone.utc)
    b = cal.booking(uid, start=now - datetime.timedelta(minutes=50),
                    end=now - datetime.timedelta(minutes=5),
                    organizer=("coach@example.com", "Ada Coach"),
                    attendee=("client@example.org", "Grace Client"))
    data = cal.body(b, shape)
    if size is not None:
        b["description"] = "x" * (size - len(data))
        data = cal.body(b, shape)
        assert len(data) == size
    return data


def webhook(client, path, data, signature="valid"):
    return client.request("POST", path, data,
                          cal.headers_for(data, CAL_SECRET, signature))


def job_name(uid):
    """The spool's file for a booking uid: sha256(uid), 32 hex digits."""
    return hashlib.sha256(uid.encode()).hexdigest()[:32] + ".job"


def job_files(spool, uid):
    """Where the uid's job is: the spool's areas holding its file."""
    name = job_name(uid)
    return [area for area in ("", "failed", "done")
            if os.path.exists(os.path.join(spool, area, name))]


def expect_no_job(spool, uid, why):
    where = job_files(spool, uid)
    if where:
        fail("%s, yet a job was stored for it (in %s)" % (
            why, ", ".join("spool/" + a for a in where)))


def jobs_listing(r, spool, user):
    """zoom-attendees --jobs, as the spool's user (the operator's view)."""
    uid, gid = user_ids(user)
    p = subprocess.run([r.bin, "--jobs"], env=r.env(WORKFLOW_SPOOL_DIR=spool),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=10, user=uid, group=gid, extra_groups=[])
    out = p.stdout.decode("utf-8", "replace")
    if p.returncode != 0:
        fail("zoom-attendees --jobs: exit %d\n%s" % (p.returncode, out))
    return out


class Webhook:
    """How one deployment takes the webhook. path: the URL Cal.com is given;
    spool: its WORKFLOW_SPOOL_DIR; user: whom the responder runs as; alive:
    a function that fails if the responder died (FastCGI), or drain: one
    that runs `zoom-attendees --drain` as cron would (CGI); logs: where the
    responder's stderr goes."""

    def __init__(self, path, spool, user, alive=None, drain=None, logs=()):
        self.path, self.spool, self.user = path, spool, user
        self.alive, self.drain, self.logs = alive, drain, logs


def webhook_suite(name, r, client, wh, server=None):
    uid = "deploy-%s-%s" % (name, RUN_ID)

    def with_log(fn):
        def run():
            try:
                fn()
            except Failure as e:
                errlog = getattr(server, "errlog", None)
                fail("%s\n%s" % (e, tail(errlog, 700)) if errlog else str(e))
        return run

    def accepted():
        a = webhook(client, wh.path, cal_body(uid))
        if a.status != 202:
            fail("%s: expected 202, got %r" % (a.via, a))
        expect_common(a)
        j = a.json()
        if j != {"accepted": True, "uid": uid, "job": "new"}:
            fail("%s: expected accepted, job new, got %s" % (a.via,
                                                             short(a.body)))
        # Pending, unless the job thread was quick (webhook-job-pending
        # says what became of it).
        where = job_files(wh.spool, uid)
        if len(where) != 1:
            fail("202, but the job file %s is in %r of %s" % (
                job_name(uid), where, wh.spool))
        with open(os.path.join(wh.spool, where[0], job_name(uid))) as f:
            if json.load(f).get("uid") != uid:
                fail("the job file does not hold the booking uid")
        st = os.stat(wh.spool)
        if st.st_uid != user_ids(wh.user)[0]:
            fail("%s does not belong to %s" % (wh.spool, wh.user))
    ok = check("%s webhook-202" % name, with_log(accepted))

    def replay():
        # The other shape Cal.com sends, same booking: no second job.
        a = webhook(client, wh.path, cal_body(uid, shape="wrapped"))
        if a.status != 202 or a.json().get("job") != "duplicate":
            fail("%s: a replay: expected 202 job duplicate, got %r" % (
                a.via, a))
        expect_common(a)
        if len(job_files(wh.spool, uid)) != 1:
            fail("a replay made a second job: %r" % job_files(wh.spool, uid))
    check("%s webhook-replay-duplicate" % name, with_log(replay))

    def bad_signature():
        other = uid + "-unsigned"
        a = webhook(client, wh.path, cal_body(other), signature="wrong")
        expect_error(a, 401, "invalid_signature")
        expect_no_job(wh.spool, other, "401")
    check("%s webhook-bad-signature-401" % name, with_log(bad_signature))

    def too_large():
        other = uid + "-large"
        a = webhook(client, wh.path, cal_body(other, size=300 * 1024))
        expect_error(a, 413, "body_too_large")
        if "256 KiB" not in a.json().get("message", ""):
            fail("%s: the 413 does not name the 256 KiB limit: %r" % (a.via, a))
        expect_no_job(wh.spool, other, "413")
    check("%s webhook-300k-413" % name, with_log(too_large))

    def attendees_limit():
        # The web server now lets larger bodies through (mod_fcgid has one
        # limit for both routes): the attendees route keeps its own 64 KiB.
        body = json.dumps({"zoomCallId": MEETING, "pad": "x" * (70 * 1024)})
        a = client.request("POST", API, body, {
            "Content-Type": "application/json",
            "Authorization": "Bearer " + API_KEY})
        expect_error(a, 413, "body_too_large")
        if "64 KiB" not in a.json().get("message", ""):
            fail("%s: not the responder's 413 (64 KiB): %r" % (a.via, a))
    check("%s attendees-70k-413" % name, with_log(attendees_limit))

    def pending():
        # Notion refuses every connection: the job is tried once and waits.
        if wh.drain is not None:
            wh.drain()
        deadline = time.monotonic() + 10
        while True:
            out = jobs_listing(r, wh.spool, wh.user)
            line = [x for x in out.splitlines()
                    if x.split("\t")[1:2] == [uid]]
            if line and re.search(r"\tattempts=[1-9]", line[0]):
                break
            if time.monotonic() > deadline:
                fail("the job was not tried within 10 s: --jobs says\n%s"
                     % out)
            time.sleep(0.2)
        if not line[0].startswith("pending\t"):
            fail("a job that cannot reach Notion is not pending: %s" % line[0])
        if re.search(r"(?m)^failed\t", out):
            fail("failed jobs in the spool:\n%s" % out)
        if wh.alive is not None:
            wh.alive()
        h = client.request("GET", HEALTH)
        if h.status != 200:
            fail("GET %s after the job: %r" % (HEALTH, h))
        for log in wh.logs:
            try:
                text = open(log, errors="replace").read()
            except OSError:
                continue
            for s in SECRETS:
                if s in text:
                    fail("%s holds a secret" % log)
    if ok:
        check("%s webhook-job-pending" % name, with_log(pending))
    else:
        report("%s webhook-job-pending" % name, False, "no job (see above)")


def proc_alive(p):
    def alive():
        if p.poll() is not None:
            fail("the responder exited with status %s\n%s" % (
                p.returncode, tail(p.logname)))
    return alive


# ---------------------------------------------------------------------------
# The run: a temporary prefix, the stand-in, and every process started.


class Run:
    def __init__(self, binary, keep):
        self.binary = os.path.abspath(binary)
        self.keep = keep
        self.tmp = tempfile.mkdtemp(prefix="za-deploy-")
        os.chmod(self.tmp, 0o755)       # servers run as www-data/nobody
        self.prefix = os.path.join(self.tmp, "prefix")
        self.etc = os.path.join(self.tmp, "etc")
        self.run = os.path.join(self.tmp, "run")
        self.logs = os.path.join(self.tmp, "logs")
        mkdirs(self.etc, self.run, self.logs)
        self.bindir = os.path.join(self.prefix, "bin")
        self.share = os.path.join(self.prefix, "share", "zoom-attendees")
        self.unitdir = os.path.join(self.prefix, "lib", "systemd", "system")
        self.mandir = os.path.join(self.prefix, "share", "man")
        self.bin = os.path.join(self.bindir, "zoom-attendees")
        self.fcgi_port = free_port()
        self.fcgi_tcp = "127.0.0.1:%d" % self.fcgi_port
        self.sock = os.path.join(self.run, "zoom-attendees.sock")
        self.state = os.path.join(self.tmp, "state")    # systemd's %S
        mkdirs(self.state)
        # Notion's address: a port bound but not listening, so every call
        # is refused at once (a job then stays pending) and no other
        # program can take the port meanwhile.
        self.notion_hold = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.notion_hold.bind(("127.0.0.1", 0))
        self.notion_base = "http://127.0.0.1:%d/v1" % \
            self.notion_hold.getsockname()[1]
        self.procs = []         # Popen objects
        self.orphans = []       # pids of daemons (spawn-fcgi children)
        self.cert = self.key = None
        # spawn-fcgi's children outlive it: become their parent, so that
        # they can be reaped and their exit status read.
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)      # PR_SET_CHILD_SUBREAPER

    # -- processes ----------------------------------------------------------

    def log(self, name):
        return open(os.path.join(self.logs, name), "ab")

    def spawn(self, argv, logname, env=None, user=None, **kw):
        if user is not None:
            uid, gid = user_ids(user)
            kw.update(user=uid, group=gid, extra_groups=[])
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                             stdout=self.log(logname),
                             stderr=subprocess.STDOUT, env=env,
                             start_new_session=True, **kw)
        p.logname = os.path.join(self.logs, logname)
        self.procs.append(p)
        return p

    def stop(self, p, sig=signal.SIGTERM, grace=8.0):
        """Signal p (a Popen) and wait; SIGKILL its session after grace.
        Returns its exit status."""
        if p.poll() is None:
            try:
                os.kill(p.pid, sig)
            except ProcessLookupError:
                pass
            try:
                p.wait(grace)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()
        # Whatever it left in its session (Apache's CGI daemon, fcgid
        # processes) goes with it.
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if p in self.procs:
            self.procs.remove(p)
        return p.returncode

    def stop_pid(self, pid, sig=signal.SIGTERM, grace=8.0):
        """Stop a daemon we are the subreaper of; its exit status or None."""
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + grace
        status = None
        while time.monotonic() < deadline:
            try:
                got, st = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                break
            if got == pid:
                status = os.waitstatus_to_exitcode(st)
                break
            time.sleep(0.02)
        else:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        if pid in self.orphans:
            self.orphans.remove(pid)
        return status

    def stop_all(self):
        for p in list(reversed(self.procs)):
            self.stop(p, grace=3.0)
        for pid in list(self.orphans):
            self.stop_pid(pid, grace=3.0)
        # Anything still running a program from our directory was started
        # by this run (a server's child that left its session): by pid.
        for pid in ours_running(self.tmp):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def close(self):
        self.stop_all()
        self.notion_hold.close()
        if hasattr(self, "standin"):
            self.stop(self.standin)
        if self.keep:
            print("kept %s" % self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # -- install ------------------------------------------------------------

    def make_install(self, target="install"):
        # The binary under test, as $(BUILD)/$(PROG); -o: never rebuilt here.
        b = self.binary
        if b.startswith(ROOT + "/"):
            b = os.path.relpath(b, ROOT)
        argv = ["make", "-s", "-C", ROOT, "-o", b, target,
                "BUILD=" + os.path.dirname(b),
                "PREFIX=" + self.prefix, "CONFDIR=" + self.etc,
                "RUNSTATEDIR=" + self.run, "FCGI_TCP=" + self.fcgi_tcp,
                "FCGI_SOCKET=" + self.sock]
        p = subprocess.run(argv, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=120)
        if p.returncode != 0:
            fail("%s: exit %d\n%s" % (" ".join(argv), p.returncode,
                                      short(p.stdout, 2000)))
        return p.stdout.decode("utf-8", "replace")

    def installed(self, *parts):
        path = os.path.join(self.share, *parts)
        with open(path) as f:
            return f.read()

    # -- the Zoom stand-in --------------------------------------------------

    def start_standin(self):
        pf = os.path.join(self.tmp, "standin.port")
        self.standin = self.spawn(
            [sys.executable, STANDIN, "--port", "0", "--port-file", pf,
             "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET,
             "--account-id", ACCOUNT_ID], "standin.log")
        self.procs.remove(self.standin)     # lives for the whole run
        wait_for("the Zoom stand-in", lambda: os.path.exists(pf), self.standin)
        self.sport = int(open(pf).read())

    def ctl(self, what, args=None, method="POST"):
        c = http.client.HTTPConnection("127.0.0.1", self.sport, timeout=10)
        try:
            body = json.dumps(args or {}) if method == "POST" else None
            c.request(method, "/_control/" + what, body=body)
            r = c.getresponse()
            data = r.read()
            if r.status != 200:
                fail("stand-in %s: %d %s" % (what, r.status, short(data)))
            return json.loads(data)
        finally:
            c.close()

    def settings(self, **extra):
        s = {"INTERNAL_API_KEY": API_KEY, "ZOOM_ACCOUNT_ID": ACCOUNT_ID,
             "ZOOM_CLIENT_ID": CLIENT_ID, "ZOOM_CLIENT_SECRET": CLIENT_SECRET,
             "ZOOM_TOKEN_URL": "http://127.0.0.1:%d/oauth/token" % self.sport,
             "ZOOM_API_BASE": "http://127.0.0.1:%d/v2" % self.sport,
             "ZOOM_TIMEOUT_MS": "3000"}
        s.update(extra)
        return s

    def env(self, **extra):
        e = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                e[k] = os.environ[k]
        e.update(extra)
        return e

    def spool(self, name, user):
        """WORKFLOW_SPOOL_DIR for a deployment: "spool" inside a directory
        of the responder's user, outside any web root; the program makes
        the spool itself."""
        top = os.path.join(self.tmp, "spool-" + name)
        shutil.rmtree(top, ignore_errors=True)
        mkdirs(top, mode=0o700)
        chown_to(top, user, 0o700)
        return os.path.join(top, "spool")

    def workflow(self, spool):
        """The settings that turn the meeting-ended workflow on."""
        return {"WORKFLOW_SPOOL_DIR": spool, "CAL_WEBHOOK_SECRET": CAL_SECRET,
                "NOTION_TOKEN": NOTION_TOKEN, "NOTION_DATABASE_ID": NOTION_DB,
                "NOTION_API_BASE": self.notion_base}

    def conf_text(self, **extra):
        return "".join("%s=%s\n" % kv for kv in self.settings(**extra).items())

    # -- responder started by hand (--listen) -------------------------------

    def listen_responder(self, address, name, user=WEB_USER, env=None,
                         binary=None):
        if not address.startswith("127.0.0.1:") and os.path.exists(address):
            os.unlink(address)
        p = self.spawn([binary or self.bin, "--listen", address], name + ".log",
                       env=env if env is not None else self.env(**self.settings()),
                       user=user)
        if address.startswith("127.0.0.1:"):
            port = int(address.rsplit(":", 1)[1])
            wait_for("responder on %s" % address, lambda: tcp_open(port), p)
        else:
            wait_for("responder on %s" % address, lambda: unix_open(address), p)
        return p

    # -- nginx ----------------------------------------------------------------

    def tls_cert(self):
        if self.cert is None:
            d = os.path.join(self.tmp, "tls")
            mkdirs(d)
            self.cert = os.path.join(d, "cert.pem")
            self.key = os.path.join(d, "key.pem")
            p = subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                 "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                 "-subj", "/CN=localhost", "-keyout", self.key,
                 "-out", self.cert], stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT)
            if p.returncode != 0:
                fail("openssl: %s" % short(p.stdout))
        return self.cert, self.key

    def nginx_site_unix(self, port):
        """The shipped TLS site for a unix socket, with the lines a site
        owner writes (listen address, certificate) set for this test."""
        site = self.installed("nginx", "zoom-attendees.site-unix.conf.example")
        cert, key = self.tls_cert()
        for pat, new in ((r"listen\s+443 ssl;", "listen 127.0.0.1:%d ssl;" % port),
                         (r"ssl_certificate\s+\S+;", "ssl_certificate %s;" % cert),
                         (r"ssl_certificate_key\s+\S+;",
                          "ssl_certificate_key %s;" % key)):
            site, n = re.subn(pat, new, site)
            if n != 1:
                fail("the shipped site has %d lines matching %r (expected 1)"
                     % (n, pat))
        return site

    def start_nginx(self, name, site_for_port):
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        d = os.path.join(self.tmp, "nginx-" + name)
        mkdirs(d)
        shutil.copy("/etc/nginx/fastcgi_params", d)
        port = free_port()
        write(os.path.join(d, "site.conf"), site_for_port(port))
        conf = """daemon off;
user {user};
worker_processes 2;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 256; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/client_body;
    fastcgi_temp_path {d}/fastcgi;
    proxy_temp_path {d}/proxy;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    include {d}/site.conf;
}}
""".format(d=d, user=WEB_USER)
        write(os.path.join(d, "nginx.conf"), conf)
        p = self.spawn([nginx, "-p", d, "-c", os.path.join(d, "nginx.conf"),
                        "-e", os.path.join(d, "error.log")], "nginx-%s.log" % name)
        p.errlog = os.path.join(d, "error.log")
        try:
            wait_for("nginx", lambda: tcp_open(port), p)
        except Failure as e:
            fail("%s\n%s\n%s" % (e, tail(p.logname), tail(p.errlog)))
        return p, port

    # -- Apache ---------------------------------------------------------------

    def start_apache(self, name, modules, server_conf, vhost_conf):
        """A stand-alone Apache (no Debian apache2.conf): the modules, the
        server-level lines of the site owner, and one virtual host."""
        d = os.path.join(self.tmp, "apache-" + name)
        mkdirs(d)
        port = free_port()
        lines = ['ServerRoot "%s"' % d, "ServerName 127.0.0.1",
                 "Listen 127.0.0.1:%d" % port,
                 "PidFile %s/httpd.pid" % d, "Mutex file:%s default" % d,
                 "ErrorLog %s/error.log" % d, "LogLevel info",
                 "User %s" % WEB_USER, "Group %s" % WEB_USER]
        for m in ["mpm_event", "authz_core"] + modules:
            lines.append("LoadModule %s_module %s/mod_%s.so"
                         % (m, APACHE_MODULES, m))
        lines += ["<Directory />", "    AllowOverride None",
                  "    Require all denied", "</Directory>",
                  server_conf.format(d=d),
                  "<VirtualHost 127.0.0.1:%d>" % port, vhost_conf.format(d=d),
                  "</VirtualHost>", ""]
        conf = os.path.join(d, "httpd.conf")
        write(conf, "\n".join(lines))
        p = self.spawn(["apache2", "-f", conf, "-DFOREGROUND"],
                       "apache-%s.log" % name)
        p.errlog = os.path.join(d, "error.log")
        try:
            wait_for("apache", lambda: tcp_open(port), p)
        except Failure as e:
            fail("%s\n%s\n%s" % (e, tail(p.logname), tail(p.errlog)))
        return p, port

    # -- lighttpd -------------------------------------------------------------

    def start_lighttpd(self, name, include, daemon=False, wrap=()):
        """lighttpd with the lines a site owner writes (port, document root,
        user, logs), then `include` of a shipped file. daemon: as a
        background daemon (no -D), whose pid is returned in place of a
        Popen. wrap: a command the server is started under. Returns
        (Popen or pid, port, directory)."""
        d = os.path.join(self.tmp, "lighttpd-" + name)
        shutil.rmtree(d, ignore_errors=True)
        mkdirs(d, os.path.join(d, "www"), os.path.join(d, "uploads"))
        # lighttpd opens its error log once it is www-data.
        for sub in ("", "uploads"):
            chown_to(os.path.join(d, sub), WEB_USER, 0o755)
        port = free_port()
        conf = os.path.join(d, "lighttpd.conf")
        write(conf, """server.document-root = "{d}/www"
server.bind = "127.0.0.1"
server.port = {port}
server.pid-file = "{d}/lighttpd.pid"
server.errorlog = "{d}/error.log"
server.upload-dirs = ( "{d}/uploads" )
server.username = "{user}"
server.groupname = "{user}"
include "{inc}"
""".format(d=d, port=port, user=WEB_USER, inc=include))
        # What Debian's package makes for the spawned processes' sockets.
        rundir = os.path.join(self.run, "lighttpd")
        mkdirs(rundir, mode=0o750)
        chown_to(rundir, WEB_USER, 0o750)
        argv = list(wrap) + ["lighttpd", "-f", conf]
        if not daemon:
            argv.append("-D")
        p = self.spawn(argv, "lighttpd-%s.log" % name)
        p.errlog = os.path.join(d, "error.log")
        if daemon:
            # The parent returns once the daemon runs; we are its subreaper.
            try:
                status = p.wait(20)
            except subprocess.TimeoutExpired:
                fail("lighttpd did not go to the background")
            self.procs.remove(p)
            pidfile = os.path.join(d, "lighttpd.pid")
            if status != 0 or not os.path.exists(pidfile):
                fail("lighttpd (daemon): exit %s\n%s\n%s" % (
                    status, tail(p.logname), tail(p.errlog)))
            pid = int(open(pidfile).read())
            self.orphans.append(pid)
            wait_for("lighttpd", lambda: tcp_open(port))
            return pid, port, d
        try:
            wait_for("lighttpd", lambda: tcp_open(port), p)
        except Failure as e:
            fail("%s\n%s\n%s" % (e, tail(p.logname), tail(p.errlog)))
        return p, port, d

    # -- Caddy ----------------------------------------------------------------

    def start_caddy(self, name, site):
        """Caddy with a Caddyfile of global options (no admin endpoint, no
        automatic HTTPS, state under the test's directory) and site, a
        function of the port giving the site block. Runs as www-data, as
        the other web servers here. Returns (Popen, port)."""
        d = os.path.join(self.tmp, "caddy-" + name)
        shutil.rmtree(d, ignore_errors=True)
        mkdirs(d)
        chown_to(d, WEB_USER, 0o755)
        port = free_port()
        conf = os.path.join(d, "Caddyfile")
        write(conf, """{{
	admin off
	auto_https off
	storage file_system {d}/data
}}
{site}""".format(d=d, site=site(port)))
        p = self.spawn(["caddy", "run", "--config", conf, "--adapter",
                        "caddyfile"], "caddy-%s.log" % name,
                       env=self.env(HOME=d, XDG_CONFIG_HOME=d,
                                    XDG_DATA_HOME=d),
                       user=WEB_USER, cwd=d)
        p.errlog = p.logname
        try:
            wait_for("caddy", lambda: tcp_open(port), p)
        except Failure as e:
            fail("%s\n%s" % (e, tail(p.logname)))
        return p, port

    # -- systemd, emulated --------------------------------------------------

    def unit(self, name):
        return Unit(os.path.join(self.unitdir, name))

    def activate(self, socket_unit, service_unit, instance="", dropin=None,
                 socket_edit=None):
        """Do what systemd does for `systemctl start SOCKET` and the first
        connection: bind the socket as the socket unit says, prepare the
        credentials and runtime directory, and start ExecStart with the
        socket on fd 3. dropin: the text of a drop-in a site adds to the
        service ([Service] lines, appended to the unit's as systemd does).
        socket_edit: a function applied to the socket unit's text first (a
        documented edit). Returns (Popen, address: a path or (host, port))."""
        su_path = os.path.join(self.unitdir, socket_unit)
        if socket_edit is not None:
            edited = os.path.join(self.tmp, "edited-" + socket_unit)
            with open(su_path) as f:
                write(edited, socket_edit(f.read()))
            su_path = edited
        su, sv = Unit(su_path), self.unit(service_unit)
        if dropin is not None:
            d = os.path.join(self.tmp, "dropins", service_unit + ".d")
            mkdirs(os.path.dirname(d), d)
            write(os.path.join(d, "site.conf"), dropin)
            sv.items += Unit(os.path.join(d, "site.conf")).items
        spec = {"i": instance, "t": self.run, "S": self.state}
        listen = su.all("Socket", "ListenStream")
        if len(listen) != 1:
            fail("%s: %d ListenStream= lines, expected 1" % (socket_unit,
                                                            len(listen)))
        path = sv_expand(listen[0], spec)
        backlog = int(su.one("Socket", "Backlog", "128"))
        if path.startswith("/"):
            if os.path.exists(path):
                os.unlink(path)
            ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            ls.bind(path)
            ls.listen(backlog)
            os.chown(path, user_ids(su.one("Socket", "SocketUser", "root"))[0],
                     grp.getgrnam(su.one("Socket", "SocketGroup", "root")).gr_gid)
            os.chmod(path, int(su.one("Socket", "SocketMode", "0666"), 8))
        else:
            host, _, port = path.rpartition(":")
            if host != "127.0.0.1":
                fail("%s: ListenStream=%s is not on 127.0.0.1" % (socket_unit,
                                                                   path))
            ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ls.bind((host, int(port)))
            ls.listen(backlog)
            path = (host, int(port))

        user = SERVICE_USER      # DynamicUser=yes / User=: a user of its own
        uid, gid = user_ids(user)
        unit_name = service_unit.replace("@", "@" + instance, 1) \
            if instance else service_unit
        creds = os.path.join(self.tmp, "credentials", unit_name)
        if os.path.exists(creds):
            shutil.rmtree(creds)
        mkdirs(creds, mode=0o700)
        for entry in sv.all("Service", "LoadCredential"):
            cid, _, src = entry.partition(":")
            dst = os.path.join(creds, cid)
            shutil.copyfile(src, dst)           # fails if the source is missing
            chown_to(dst, user, 0o400)
        chown_to(creds, user, 0o500)
        spec["d"] = creds
        for rd in sv.all("Service", "RuntimeDirectory"):
            rpath = os.path.join(self.run, rd)
            mkdirs(rpath, mode=0o700)
            chown_to(rpath, user,
                     int(sv.one("Service", "RuntimeDirectoryMode", "0755"), 8))
        for sd in sv.all("Service", "StateDirectory"):
            spath = os.path.join(self.state, sd)
            mkdirs(spath, mode=0o700)
            chown_to(spath, user,
                     int(sv.one("Service", "StateDirectoryMode", "0755"), 8))
        env = self.env(CREDENTIALS_DIRECTORY=creds)
        for assignments in sv.all("Service", "Environment"):
            for a in shlex.split(assignments):
                k, _, v = a.partition("=")
                env[k] = sv_expand(v, spec)
        argv = [sv_expand(x, spec)
                for x in shlex.split(sv.one("Service", "ExecStart"))]
        if sv.one("Service", "DynamicUser", "no") != "yes":
            fail("%s: DynamicUser= is not yes" % service_unit)
        launcher = [sys.executable, SD_ACTIVATE, "--fd", str(ls.fileno()),
                    "--name", socket_unit.replace("@", "@" + instance, 1),
                    "--user", user, "--umask", sv.one("Service", "UMask", "0022")]
        if sv.one("Service", "NoNewPrivileges", "no") == "yes":
            launcher.append("--no-new-privileges")
        p = self.spawn(launcher + ["--"] + argv, unit_name + ".log", env=env,
                       pass_fds=(ls.fileno(),))
        p.listener = ls          # kept open by "systemd" across restarts
        p.launch = (launcher, argv, env, ls)
        return p, path

    def reactivate(self, old, logname):
        """Start the service again on the same listening socket."""
        launcher, argv, env, ls = old.launch
        p = self.spawn(launcher + ["--"] + argv, logname, env=env,
                       pass_fds=(ls.fileno(),))
        p.listener, p.launch = ls, old.launch
        return p


class Unit:
    """A systemd unit file: sections of Key=Value lines, keys may repeat."""

    def __init__(self, path):
        self.path = path
        self.items = []
        section = None
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line or line[0] in "#;":
                    continue
                if line.startswith("[") and line.endswith("]"):
                    section = line[1:-1]
                    continue
                k, _, v = line.partition("=")
                self.items.append((section, k.strip(), v.strip()))

    def all(self, section, key):
        return [v for s, k, v in self.items if s == section and k == key]

    def one(self, section, key, default=None):
        vals = self.all(section, key)
        if not vals:
            if default is None:
                fail("%s: no %s= in [%s]" % (self.path, key, section))
            return default
        return vals[-1]

    def section_text(self, section):
        return [(k, v) for s, k, v in self.items if s == section]


def sv_expand(s, spec):
    """systemd specifiers (systemd.unit(5) "Specifiers"); unknown ones fail."""
    def sub(m):
        c = m.group(1)
        if c == "%":
            return "%"
        if c not in spec:
            fail("unit uses specifier %%%s, which this test does not emulate" % c)
        return spec[c]
    return re.sub(r"%(.)", sub, s)


# ---------------------------------------------------------------------------
# Deployments. Each starts what it needs, checks, and stops it again.


def in_flight_stop(r, client, proc, sig, name):
    """A slow Zoom answer (1 s) is in flight when proc gets sig: the answer
    must still be a 200 with every participant, and proc must exit 0."""
    r.ctl("reset", {"tokens": False})
    r.ctl("fault", {"target": "participants", "kind": "sleep", "seconds": 1})
    out = {}

    def call():
        try:
            out["r"] = attendees(client)
        except Exception as e:      # noqa: BLE001 (reported below)
            out["e"] = e
    t = threading.Thread(target=call)
    t.start()

    def in_flight():
        return any("/participants" in q["path"]
                   for q in r.ctl("stats", method="GET")["requests"])
    wait_for("the request to reach Zoom", in_flight, seconds=5)
    t0 = time.monotonic()
    os.kill(proc.pid, sig)
    try:
        status = proc.wait(8)
    except subprocess.TimeoutExpired:
        fail("still running 8 s after %s" % name)
    t.join(10)
    if "e" in out:
        fail("the request in flight failed: %r" % out["e"])
    expect_attendees(out["r"])
    if status != 0:
        fail("exit status %s after %s, expected 0\n%s" % (
            status, name, tail(proc.logname)))
    if time.monotonic() - t0 > 5:
        fail("took %.1f s to stop" % (time.monotonic() - t0))


def dep_install(r):
    def install():
        r.make_install()
        left = []
        for d, _, files in os.walk(r.prefix):
            for f in files:
                p = os.path.join(d, f)
                if p != r.bin and re.search(
                        r"@[A-Z_]+@", open(p, errors="replace").read()):
                    left.append(p)
        if left:
            fail("placeholders left in %s" % ", ".join(left))
        for p in (r.bin, os.path.join(r.mandir, "man8", "zoom-attendees.8"),
                  os.path.join(r.unitdir, "zoom-attendees.socket"),
                  os.path.join(r.unitdir, "zoom-attendees.service"),
                  os.path.join(r.share, "nginx", "zoom-attendees.location.conf"),
                  os.path.join(r.share, "apache", "zoom-attendees.htaccess"),
                  os.path.join(r.share, "contrib", "zoom-attendees-spawn-fcgi")):
            if not os.path.exists(p):
                fail("not installed: %s" % p)
        if not os.access(os.path.join(r.share, "contrib",
                                      "zoom-attendees-spawn-fcgi"), os.X_OK):
            fail("the spawn-fcgi script is not executable once installed")
    if not check("make-install", install):
        return False

    def manpage():
        page = os.path.join(r.mandir, "man8", "zoom-attendees.8")
        # Lint the source (the installed page holds this run's long paths).
        p = subprocess.run(["groff", "-mandoc", "-ww", "-z",
                            os.path.join(ROOT, "man", "zoom-attendees.8")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if p.returncode != 0 or p.stdout:
            fail("groff -ww: %s" % short(p.stdout))
        p = subprocess.run(["man", "-w", "zoom-attendees"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           env=r.env(MANPATH=r.mandir))
        if p.returncode != 0 or p.stdout.decode().strip() != page:
            fail("man -w zoom-attendees: %s" % short(p.stdout))
        p = subprocess.run(["man", "zoom-attendees"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE,
                           env=r.env(MANPATH=r.mandir, MANPAGER="cat",
                                     MANWIDTH="80"))
        text = p.stdout.decode("utf-8", "replace")
        for want in ("--listen", "--check-config", "ZOOM_TOKEN_CACHE",
                     "SIGTERM", "EXIT STATUS", "EXAMPLES", r.etc):
            if want not in text:
                fail("the man page does not mention %s" % want)
    check("man-page", manpage)
    return True


def dep_systemd_units(r):
    units = ["zoom-attendees.socket", "zoom-attendees.service",
             "zoom-attendees@1.socket", "zoom-attendees@1.service"]

    def verify():
        if shutil.which("systemd-analyze") is None:
            fail("systemd-analyze is not installed (Debian package systemd)")
        # Instances of the templates are verified through their file names.
        for u in units:
            p = subprocess.run(["systemd-analyze", "verify",
                                os.path.join(r.unitdir, u)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               env=r.env(MANPATH=r.mandir), cwd=r.unitdir)
            if p.returncode != 0 or p.stdout.strip():
                fail("systemd-analyze verify %s: exit %d\n%s" % (
                    u, p.returncode, short(p.stdout, 1500)))
    check("systemd-units verify", verify)

    def verify_dropin():
        # The workflow's drop-in (as docs/deploying.md shows it), beside a
        # copy of the units: systemd-analyze reads it with them.
        d = os.path.join(r.tmp, "units-with-dropin")
        shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(r.unitdir, d)
        for u in ("zoom-attendees.service", "zoom-attendees@.service"):
            mkdirs(os.path.join(d, u + ".d"))
            write(os.path.join(d, u + ".d", "site.conf"), systemd_dropin(r))
        for u in ("zoom-attendees.service", "zoom-attendees@1.service"):
            p = subprocess.run(["systemd-analyze", "verify",
                                os.path.join(d, u)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               env=r.env(MANPATH=r.mandir), cwd=d)
            if p.returncode != 0 or p.stdout.strip():
                fail("systemd-analyze verify %s with the workflow drop-in: "
                     "exit %d\n%s" % (u, p.returncode, short(p.stdout, 1500)))
    check("systemd-units workflow-dropin", verify_dropin)

    def same_service():
        a = r.unit("zoom-attendees.service").section_text("Service")
        b = r.unit("zoom-attendees@.service").section_text("Service")
        if a != b:
            diff = [x for x in a if x not in b] + [x for x in b if x not in a]
            fail("the [Service] sections of zoom-attendees.service and "
                 "zoom-attendees@.service differ: %s" % diff)
    check("systemd-units template-matches", same_service)

    def security():
        p = subprocess.run(["systemd-analyze", "security", "--offline=yes",
                            "--no-pager",
                            os.path.join(r.unitdir, "zoom-attendees.service")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        m = re.search(rb"Overall exposure level for \S+: ([0-9.]+) (\w+)",
                      p.stdout)
        if not m:
            fail("systemd-analyze security: %s" % short(p.stdout[-800:]))
        score = float(m.group(1))
        print("  (systemd-analyze security: exposure %.1f %s)"
              % (score, m.group(2).decode()))
        if score > 2.0:
            fail("exposure %.1f, expected at most 2.0" % score)
    check("systemd-units hardening", security)


def nginx_tcp_site(r):
    up = os.path.join(r.share, "nginx", "zoom-attendees.upstream-tcp.conf")
    loc = os.path.join(r.share, "nginx", "zoom-attendees.location.conf")
    return lambda port: """include {up};
server {{
    listen 127.0.0.1:{port};
    server_name localhost;
    include {loc};
    location / {{ return 404; }}
}}
""".format(up=up, loc=loc, port=port)


def dep_nginx_tcp(r):
    spool = r.spool("nginx-tcp", WEB_USER)
    resp = r.listen_responder(r.fcgi_tcp, "nginx-tcp-responder",
                              env=r.env(**r.settings(**r.workflow(spool))))
    ng, port = r.start_nginx("tcp", nginx_tcp_site(r))
    client = HttpClient(port)
    smoke("nginx-tcp", client, ng)
    front_end("nginx-tcp", client, ng)
    webhook_suite("nginx-tcp", r, client, Webhook(
        CAL_PATH, spool, WEB_USER, alive=proc_alive(resp),
        logs=[resp.logname]), ng)
    check("nginx-tcp sighup-in-flight", in_flight_stop, r, client, resp,
          signal.SIGHUP, "SIGHUP")


def dep_config_file(r):
    d = os.path.join(r.tmp, "config-file")
    mkdirs(d)
    binary = os.path.join(d, "zoom-attendees")
    shutil.copy2(r.bin, binary)
    conf = os.path.join(d, "zoom-attendees.conf")
    wf = r.workflow(r.spool("config-file", WEB_USER))
    write(conf, r.conf_text(**wf), mode=0o600, user=WEB_USER)

    def run(argv, env=None, timeout=10):
        uid, gid = user_ids(WEB_USER)
        return subprocess.run(argv, env=env or {}, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout,
                              user=uid, group=gid, extra_groups=[])

    def check_config():
        p = run([binary, "--check-config"])
        out = p.stdout.decode("utf-8", "replace")
        if p.returncode != 0:
            fail("--check-config with an empty environment: exit %d\n%s"
                 % (p.returncode, out))
        if conf not in out:
            fail("--check-config does not name %s:\n%s" % (conf, out))
        for name in ("INTERNAL_API_KEY", "ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID",
                     "ZOOM_CLIENT_SECRET"):
            line = [x for x in out.splitlines() if x.startswith(name + " ")]
            if not line or "(configuration file)" not in line[0]:
                fail("%s does not come from the file: %r" % (name, line))
        for s in SECRETS:
            if s in out:
                fail("--check-config printed a secret")
        # The environment wins over the file.
        p = run([binary, "--check-config"],
                env={"INTERNAL_API_KEY": "another-key-0123456789"})
        line = [x for x in p.stdout.decode().splitlines()
                if x.startswith("INTERNAL_API_KEY ")]
        if not line or "(environment)" not in line[0]:
            fail("the environment does not win over the file: %r" % line)
    check("config-file check-config", check_config)

    # The whole environment of the responder is empty: settings come from
    # zoom-attendees.conf beside the binary and nothing else.
    resp = r.listen_responder(r.fcgi_tcp, "config-file-responder", env={},
                              binary=binary)
    ng, port = r.start_nginx("config-file", nginx_tcp_site(r))
    smoke("config-file", HttpClient(port), ng)
    webhook_suite("config-file", r, HttpClient(port), Webhook(
        CAL_PATH, wf["WORKFLOW_SPOOL_DIR"], WEB_USER, alive=proc_alive(resp),
        logs=[resp.logname]), ng)
    r.stop(resp)

    def refuses_0644():
        os.chmod(conf, 0o644)
        try:
            p = run([binary, "--listen", r.fcgi_tcp])
        finally:
            os.chmod(conf, 0o600)
        out = p.stdout.decode("utf-8", "replace")
        if p.returncode != 1:
            fail("started with a 0644 file (exit %s): %s" % (p.returncode, out))
        for want in (conf, "accessible by group or others", "chmod 600"):
            if want not in out:
                fail("the message does not say %r: %s" % (want, out))
        for s in SECRETS:
            if s in out:
                fail("the message holds a secret: %s" % out)
    check("config-file refuses-0644", refuses_0644)

    def broken_line():
        text = r.conf_text(**wf).splitlines()
        text.insert(2, "ZOOM_CLIENT_SECRET %s" % CLIENT_SECRET)   # no '='
        write(conf, "\n".join(text) + "\n", mode=0o600, user=WEB_USER)
        try:
            p = run([binary, "--listen", r.fcgi_tcp])
        finally:
            write(conf, r.conf_text(**wf), mode=0o600, user=WEB_USER)
        out = p.stdout.decode("utf-8", "replace")
        if p.returncode != 1 or "line 3" not in out:
            fail("a broken line 3: exit %s, %s" % (p.returncode, out))
        if CLIENT_SECRET in out:
            fail("the message shows the broken line's text: %s" % out)
    check("config-file broken-line", broken_line)


PROXY_MODULES = ["proxy", "proxy_fcgi"]


def dep_apache_proxy_tcp(r):
    # The responder: the systemd units with the TCP ListenStream= line the
    # socket unit offers in a comment (the documented edit), emulated.
    def tcp(text):
        text, n = re.subn(r"(?m)^ListenStream=/", "#ListenStream=/", text)
        text, m = re.subn(r"(?m)^#ListenStream=127\.0\.0\.1:",
                          "ListenStream=127.0.0.1:", text)
        if n != 1 or m != 1:
            fail("zoom-attendees.socket lacks its unix and TCP ListenStream= "
                 "lines")
        return text
    write_credentials(r)
    fresh_state(r)
    p, addr = r.activate("zoom-attendees.socket", "zoom-attendees.service",
                         dropin=systemd_dropin(r), socket_edit=tcp)
    if addr != ("127.0.0.1", r.fcgi_port):
        fail("the TCP ListenStream= is %r, not %s" % (addr, r.fcgi_tcp))
    wait_for("the activated service", lambda: tcp_open(r.fcgi_port), p)
    conf = os.path.join(r.share, "apache", "zoom-attendees-proxy-fcgi.conf")
    ap, port = r.start_apache("proxy-tcp", PROXY_MODULES, "",
                              "    Include %s" % conf)
    smoke("apache-proxy-fcgi-tcp", HttpClient(port), ap)
    webhook_suite("apache-proxy-fcgi-tcp", r, HttpClient(port), Webhook(
        CAL_PATH, systemd_spool(r), SERVICE_USER, alive=proc_alive(p),
        logs=[p.logname, ap.errlog]), ap)


def dep_apache_proxy_unix(r):
    # A responder on a unix socket: the systemd units (emulated, as in
    # dep_systemd) give the socket to www-data.
    write_credentials(r)
    fresh_state(r)
    p, path = r.activate("zoom-attendees.socket", "zoom-attendees.service",
                         dropin=systemd_dropin(r))
    wait_for("the activated service", lambda: unix_open(path), p)
    conf = os.path.join(r.share, "apache", "zoom-attendees-proxy-fcgi-unix.conf")
    ap, port = r.start_apache("proxy-unix", PROXY_MODULES, "",
                              "    Include %s" % conf)
    smoke("apache-proxy-fcgi-unix", HttpClient(port), ap)
    webhook_suite("apache-proxy-fcgi-unix", r, HttpClient(port), Webhook(
        CAL_PATH, systemd_spool(r), SERVICE_USER, alive=proc_alive(p),
        logs=[p.logname, ap.errlog]), ap)


def dep_apache_fcgid(r):
    # As the shipped file says: the configuration file, www-data's, 0600.
    conf = os.path.join(r.etc, "zoom-attendees.conf")
    spool = r.spool("apache-fcgid", WEB_USER)
    write(conf, r.conf_text(**r.workflow(spool)), mode=0o600, user=WEB_USER)
    snippet = os.path.join(r.share, "apache", "zoom-attendees-fcgid.conf")
    server = """FcgidIPCDir {d}/fcgid
FcgidProcessTableFile {d}/fcgid/shm
"""
    d = os.path.join(r.tmp, "apache-fcgid")
    mkdirs(os.path.join(d, "fcgid"), mode=0o700)
    chown_to(os.path.join(d, "fcgid"), WEB_USER, 0o700)
    p, port = r.start_apache("fcgid", ["alias", "fcgid"], server,
                             "    Include %s" % snippet)
    client = HttpClient(port)
    smoke("apache-fcgid", client, p)

    def processes():
        """pid -> uid of the responders mod_fcgid started."""
        found = {}
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                exe = os.readlink("/proc/%s/exe" % pid)
                st = os.stat("/proc/%s" % pid)
                if exe == r.bin and os.getsid(int(pid)) == p.pid:
                    found[int(pid)] = st.st_uid
            except OSError:
                continue
        return found

    def runs_as_www_data():
        found = processes()
        if not found:
            fail("no zoom-attendees process under mod_fcgid")
        if any(u != user_ids(WEB_USER)[0] for u in found.values()):
            fail("mod_fcgid's processes do not all run as %s" % WEB_USER)
    check("apache-fcgid processes", runs_as_www_data)
    before = set(processes())

    def alive():
        gone = before - set(processes())
        if gone:
            fail("mod_fcgid process(es) %s gone\n%s" % (
                sorted(gone), tail(p.errlog)))
    webhook_suite("apache-fcgid", r, client, Webhook(
        CAL_PATH, spool, WEB_USER, alive=alive, logs=[p.errlog]), p)


CGI_MODULES = ["cgid", "rewrite", "env", "setenvif"]
# The 401 is answered before the body is read: under mod_cgid (Debian's CGI
# module with the event MPM) the body comes over a unix socket, and a program
# that exits without reading it resets the socket, so Apache cuts the answer
# short (AH00574). The program drains its input before exiting (9e5f6f5).
CGI_SERVER = "ScriptSock {d}/cgisock"


def cgi_site(r, name, edit, wrapper=False):
    """A shared-hosting account: ~/public_html/api/zoom/ holds the shipped
    .htaccess (with the documented edits) and the program; the settings are
    outside the web root. Returns the virtual host's lines and how the
    webhook is taken (Cal.com posts to /api/zoom/meeting-ended; cron runs
    --drain as the program's user)."""
    home = os.path.join(r.tmp, "home-" + name)
    www = os.path.join(home, "public_html")
    apidir = os.path.join(www, "api", "zoom")
    mkdirs(home, www, os.path.join(www, "api"), apidir)
    ht = r.installed("apache", "zoom-attendees.htaccess")
    if "/home/USER" not in ht:
        fail("the shipped .htaccess has no /home/USER to replace")
    ht = edit(ht.replace("/home/USER", home))
    write(os.path.join(apidir, ".htaccess"), ht)
    cgi = os.path.join(apidir, "zoom-attendees.cgi")
    # As apache/README.md advises: CGI runs share one token through a file.
    cache = os.path.join(home, ".cache", "zoom-attendees")
    mkdirs(os.path.dirname(cache))
    mkdirs(cache, mode=0o700)
    chown_to(cache, WEB_USER, 0o700)
    spool = r.spool(name, WEB_USER)
    conf = r.conf_text(ZOOM_TOKEN_CACHE=os.path.join(cache, "token"),
                       **r.workflow(spool))
    if wrapper:
        bindir = os.path.join(home, "bin")
        mkdirs(bindir)
        shutil.copy2(r.bin, os.path.join(bindir, "zoom-attendees"))
        w = r.installed("apache", "zoom-attendees-wrapper.cgi")
        write(cgi, w.replace("/home/USER", home), mode=0o755)
        write(os.path.join(bindir, "zoom-attendees.conf"), conf,
              mode=0o600, user=WEB_USER)
    else:
        shutil.copy2(r.bin, cgi)
        os.chmod(cgi, 0o755)
        write(os.path.join(home, "zoom-attendees.conf"), conf,
              mode=0o600, user=WEB_USER)
    write(os.path.join(apidir, "notes.txt"), "not for the public\n")
    if wrapper:      # the crontab line: the binary finds its settings
        drain_argv = [os.path.join(home, "bin", "zoom-attendees"), "--drain"]
        drain_env = r.env()
    else:
        drain_argv = [cgi, "--drain"]
        drain_env = r.env(ZOOM_ATTENDEES_CONFIG=os.path.join(
            home, "zoom-attendees.conf"))

    def drain():
        uid, gid = user_ids(WEB_USER)
        p = subprocess.run(drain_argv, env=drain_env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=30, user=uid,
                           group=gid, extra_groups=[])
        out = p.stdout.decode("utf-8", "replace")
        if p.returncode != 0:
            fail("%s: exit %d\n%s" % (" ".join(drain_argv), p.returncode,
                                      short(out, 1500)))
        for s in SECRETS:
            if s in out:
                fail("--drain printed a secret")
    # What a shared host's configuration allows an account.
    vhost = """    DocumentRoot {www}
    <Directory {www}>
        AllowOverride AuthConfig FileInfo Options=ExecCGI
        Require all granted
    </Directory>""".format(www=www)
    return vhost, Webhook("/api/zoom/meeting-ended", spool, WEB_USER,
                          drain=drain)


def deny_others(client):
    for path in ("/api/zoom/.htaccess", "/api/zoom/notes.txt", "/api/zoom/"):
        r = client.request("GET", path)
        if r.status != 403:
            fail("GET %s: expected 403, got %d" % (path, r.status))


def no_arguments(client):
    """Apache runs a CGI program with a query string that has no "=" as
    its command-line arguments (RFC 3875 section 4.4): the .htaccess must
    refuse those, or anyone could run --drain, --retry-failed, --listen."""
    for method, path in (("GET", "/api/zoom/healthz?--check-config"),
                         ("POST", "/api/zoom/meeting-ended?--retry-failed"),
                         ("GET", "/api/zoom/zoom-attendees.cgi?--drain"),
                         ("GET", "/api/zoom/healthz?--jobs+-")):
        r = client.request(method, path, b"" if method == "POST" else None)
        if r.status != 403:
            fail("%s %s: expected 403, got %r" % (method, path, r))
    r = client.request("GET", "/api/zoom/healthz?probe=1")
    if r.status != 200:
        fail("GET /api/zoom/healthz?probe=1: expected 200, got %r" % r)


def dep_apache_cgi(r):
    vhost, wh = cgi_site(r, "cgi", lambda t: t)
    ap, port = r.start_apache("cgi", CGI_MODULES, CGI_SERVER, vhost)
    client = HttpClient(port)
    wh.logs = [ap.errlog]
    smoke("apache-cgi-htaccess", client, ap)
    check("apache-cgi-htaccess serves-nothing-else", deny_others, client)
    check("apache-cgi-htaccess no-command-line-from-query", no_arguments,
          client)
    webhook_suite("apache-cgi-htaccess", r, client, wh, ap)

    def one_token():
        token = os.path.join(r.tmp, "home-cgi", ".cache", "zoom-attendees",
                             "token")
        if os.path.exists(token):
            os.unlink(token)
        r.ctl("reset", {"tokens": True})
        for _ in range(3):
            expect_attendees(attendees(client))
        st = r.ctl("stats", method="GET")
        if st["token_calls"] != 1:
            fail("3 CGI runs made %d token requests, expected 1 (shared "
                 "through ZOOM_TOKEN_CACHE)" % st["token_calls"])
    check("apache-cgi-htaccess shared-token", one_token)


def dep_apache_cgi_old(r):
    def old_24(t):
        n1 = len(re.findall(r"(?m)^CGIPassAuth On\n", t))
        n2 = len(re.findall(r"(?m)^#SetEnvIf Authorization ", t))
        if n1 != 1 or n2 != 1:
            fail("the .htaccess lacks the documented CGIPassAuth/#SetEnvIf lines")
        t = re.sub(r"(?m)^CGIPassAuth On\n", "", t)
        return re.sub(r"(?m)^#SetEnvIf Authorization ", "SetEnvIf Authorization ", t)
    vhost, wh = cgi_site(r, "cgi-old", old_24)
    ap, port = r.start_apache("cgi-old", CGI_MODULES, CGI_SERVER, vhost)
    wh.logs = [ap.errlog]
    smoke("apache-cgi-htaccess-setenvif", HttpClient(port), ap)
    webhook_suite("apache-cgi-htaccess-setenvif", r, HttpClient(port), wh, ap)


def dep_apache_cgi_wrapper(r):
    def no_setenv(t):
        t, n = re.subn(r"(?m)^SetEnv ZOOM_ATTENDEES_CONFIG .*\n", "", t)
        if n != 1:
            fail("the .htaccess lacks the documented SetEnv line")
        return t
    vhost, wh = cgi_site(r, "cgi-wrapper", no_setenv, wrapper=True)
    ap, port = r.start_apache("cgi-wrapper", CGI_MODULES, CGI_SERVER, vhost)
    wh.logs = [ap.errlog]
    smoke("apache-cgi-suexec-wrapper", HttpClient(port), ap)
    webhook_suite("apache-cgi-suexec-wrapper", r, HttpClient(port), wh, ap)


def proc_io(pid):
    with open("/proc/%d/io" % pid) as f:
        return {k: int(v) for k, v in (x.split(": ") for x in f)}


def dep_spawn_fcgi(r):
    conf = os.path.join(r.etc, "zoom-attendees.conf")
    spool = r.spool("spawn-fcgi", SERVICE_USER)
    write(conf, r.conf_text(ZOOM_ATTENDEES_THREADS="2", **r.workflow(spool)),
          mode=0o600, user=SERVICE_USER)
    cache_dir = os.path.join(r.run, "zoom-attendees")
    shutil.rmtree(cache_dir, ignore_errors=True)
    pidfile = os.path.join(r.run, "zoom-attendees.pid")
    script = os.path.join(r.share, "contrib", "zoom-attendees-spawn-fcgi")
    logname = os.path.join(r.logs, "spawn-fcgi.log")
    with open(logname, "ab") as log:
        p = subprocess.run([script], env=r.env(ZOOM_ATTENDEES_WORKERS="3",
                                               ZOOM_ATTENDEES_USER=SERVICE_USER),
                           stdin=subprocess.DEVNULL, stdout=log,
                           stderr=subprocess.STDOUT, timeout=20)
    pids = []
    if os.path.exists(pidfile):
        pids = [int(x) for x in open(pidfile).read().split()]
        r.orphans.extend(pids)
    if p.returncode != 0 or len(pids) != 3:
        fail("the spawn-fcgi script: exit %d, %d pids\n%s" % (
            p.returncode, len(pids), tail(logname)))
    wait_for("spawn-fcgi socket", lambda: unix_open(r.sock))
    ng, port = r.start_nginx("spawn-fcgi", r.nginx_site_unix)
    client = HttpClient(port, cafile=r.tls_cert()[0])

    def shared_token():
        r.ctl("reset", {"tokens": True})
        r.ctl("fault", {"target": "participants", "kind": "sleep",
                        "seconds": 0.5, "times": 6})
        before = {pid: proc_io(pid)["syscw"] for pid in pids}
        with concurrent.futures.ThreadPoolExecutor(6) as ex:
            answers = list(ex.map(lambda _: attendees(client), range(6)))
        for a in answers:
            expect_attendees(a)
        busy = [pid for pid in pids if proc_io(pid)["syscw"] > before[pid]]
        st = r.ctl("stats", method="GET")
        print("  (6 concurrent requests: %d of 3 workers answered, %d token "
              "request(s))" % (len(busy), st["token_calls"]))
        if len(busy) < 2:
            fail("the requests did not reach several workers (%d)" % len(busy))
        if st["token_calls"] != 1:
            fail("%d token requests for %d workers sharing ZOOM_TOKEN_CACHE, "
                 "expected 1" % (st["token_calls"], len(busy)))
        tok = os.path.join(cache_dir, "token")
        stt = os.stat(tok)
        if stat.S_IMODE(stt.st_mode) != 0o600 or \
                stt.st_uid != user_ids(SERVICE_USER)[0]:
            fail("%s: mode %o uid %d" % (tok, stat.S_IMODE(stt.st_mode),
                                         stt.st_uid))
    check("nginx-unix-spawn-fcgi shared-token", shared_token)
    smoke("nginx-unix-spawn-fcgi", client, ng)

    def all_alive():
        for pid in pids:
            try:
                got, st = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                got = pid
                st = None
            if got == pid:
                fail("worker %d exited (%s)\n%s" % (
                    pid, st if st is None else os.waitstatus_to_exitcode(st),
                    tail(logname)))
    webhook_suite("nginx-unix-spawn-fcgi", r, client, Webhook(
        CAL_PATH, spool, SERVICE_USER, alive=all_alive,
        logs=[logname, ng.errlog]), ng)

    def stop():
        bad = []
        for pid in pids:
            status = r.stop_pid(pid)
            if status != 0:
                bad.append("%d: %s" % (pid, status))
        if bad:
            fail("workers did not exit 0 on SIGTERM: %s" % ", ".join(bad))
    check("nginx-unix-spawn-fcgi sigterm-exit-0", stop)


def write_credentials(r):
    """The secret files zoom-attendees.service loads, as its text says,
    and the workflow's two, which the drop-in below loads."""
    files = {"internal_api_key": API_KEY, "zoom_account_id": ACCOUNT_ID,
             "zoom_client_id": CLIENT_ID, "zoom_client_secret": CLIENT_SECRET,
             "cal_webhook_secret": CAL_SECRET, "notion_token": NOTION_TOKEN}
    for name, value in files.items():
        write(os.path.join(r.etc, name), value + "\n", mode=0o600)


def systemd_dropin(r):
    """What a site adds with `systemctl edit zoom-attendees.service`: where
    Zoom is (only for the test), and the meeting-ended workflow: its two
    secrets as credentials like the others, its spool in a state directory
    (ProtectSystem=strict leaves the rest of the file system read-only)."""
    s = r.settings()
    return """[Service]
Environment=ZOOM_TOKEN_URL={zt} ZOOM_API_BASE={za} ZOOM_TIMEOUT_MS={zm}
LoadCredential=cal_webhook_secret:{etc}/cal_webhook_secret
LoadCredential=notion_token:{etc}/notion_token
Environment=CAL_WEBHOOK_SECRET_FILE=%d/cal_webhook_secret
Environment=NOTION_TOKEN_FILE=%d/notion_token
Environment=WORKFLOW_SPOOL_DIR=%S/zoom-attendees/spool
Environment=NOTION_DATABASE_ID={db} NOTION_API_BASE={nb}
""".format(zt=s["ZOOM_TOKEN_URL"], za=s["ZOOM_API_BASE"],
           zm=s["ZOOM_TIMEOUT_MS"], etc=r.etc, db=NOTION_DB,
           nb=r.notion_base)


def systemd_spool(r):
    return os.path.join(r.state, "zoom-attendees", "spool")


def fresh_state(r):
    """An empty StateDirectory: no spool left by an earlier deployment."""
    shutil.rmtree(os.path.join(r.state, "zoom-attendees"), ignore_errors=True)


def dep_systemd(r):
    write_credentials(r)
    fresh_state(r)
    shutil.rmtree(os.path.join(r.run, "zoom-attendees"), ignore_errors=True)
    p, path = r.activate("zoom-attendees.socket", "zoom-attendees.service",
                         dropin=systemd_dropin(r))
    wait_for("the activated service", lambda: unix_open(path), p)
    ng, port = r.start_nginx("systemd", r.nginx_site_unix)
    client = HttpClient(port, cafile=r.tls_cert()[0])
    smoke("nginx-unix-systemd-socket", client, ng)
    webhook_suite("nginx-unix-systemd-socket", r, client, Webhook(
        CAL_PATH, systemd_spool(r), SERVICE_USER, alive=proc_alive(p),
        logs=[p.logname, ng.errlog]), ng)

    def hygiene():
        with open("/proc/%d/environ" % p.pid, "rb") as f:
            environ = f.read().decode("utf-8", "replace")
        for s in SECRETS:
            if s in environ:
                fail("a secret is in the service's environment")
        for name in ("INTERNAL_API_KEY_FILE=", "CAL_WEBHOOK_SECRET_FILE=",
                     "NOTION_TOKEN_FILE="):
            if name not in environ:
                fail("%s is not set" % name[:-1])
        fd3 = os.readlink("/proc/%d/fd/3" % p.pid)
        if not fd3.startswith("socket:"):
            fail("fd 3 is %s, not the socket" % fd3)
        tok = os.path.join(r.run, "zoom-attendees", "token")
        st = os.stat(tok)
        if stat.S_IMODE(st.st_mode) != 0o600:
            fail("%s has mode %o" % (tok, stat.S_IMODE(st.st_mode)))
        status = open("/proc/%d/status" % p.pid).read()
        if not re.search(r"(?m)^NoNewPrivs:\s+1$", status):
            fail("NoNewPrivs is not set")
        if not re.search(r"(?m)^Uid:\s+%d\s" % user_ids(SERVICE_USER)[0], status):
            fail("the service does not run as its own user")
    check("nginx-unix-systemd-socket credentials-fd3-token", hygiene)
    check("nginx-unix-systemd-socket sigterm-in-flight", in_flight_stop, r, client, p,
          signal.SIGTERM, "SIGTERM")

    def queued_while_down():
        # The service is stopped but the socket stays open: a request made
        # now waits in the backlog and is answered once it starts again.
        out = {}

        def call():
            try:
                out["r"] = attendees(client)
            except Exception as e:      # noqa: BLE001
                out["e"] = e
        t = threading.Thread(target=call)
        t.start()
        time.sleep(0.3)
        if not t.is_alive():
            fail("answered while the service was stopped: %r" % out)
        q = r.reactivate(p, "zoom-attendees.service-2.log")
        t.join(10)
        if "e" in out:
            fail("the queued request failed: %r" % out["e"])
        expect_attendees(out["r"])
        if r.stop(q) != 0:
            fail("the restarted service did not exit 0")
    check("nginx-unix-systemd-socket restart-keeps-requests", queued_while_down)


def dep_systemd_template(r):
    write_credentials(r)
    fresh_state(r)
    cache = os.path.join(r.run, "zoom-attendees")
    shutil.rmtree(cache, ignore_errors=True)
    insts = []
    for i in ("1", "2"):
        p, path = r.activate("zoom-attendees@.socket", "zoom-attendees@.service",
                             instance=i, dropin=systemd_dropin(r))
        insts.append((p, path))
    for p, path in insts:
        wait_for("instance socket %s" % path, lambda: unix_open(path), p)
    r.ctl("reset", {"tokens": True})
    smoke("systemd-template", FcgiClient(insts[0][1]))

    def both_alive():
        for p, _ in insts:
            proc_alive(p)()
    # Both instances share the state directory, so one spool.
    webhook_suite("systemd-template", r, FcgiClient(insts[0][1]), Webhook(
        CAL_PATH, systemd_spool(r), SERVICE_USER, alive=both_alive,
        logs=[p.logname for p, _ in insts]))

    def shared():
        r.ctl("reset", {"tokens": False})
        for p, path in insts:
            expect_attendees(attendees(FcgiClient(path)))
        st = r.ctl("stats", method="GET")
        if st["participants_calls"] != 2 or st["token_calls"] != 0:
            fail("instance 2 did not reuse instance 1's token: %d token "
                 "call(s)" % st["token_calls"])
    check("systemd-template shared-token", shared)

    def stop():
        for p, _ in insts:
            if r.stop(p) != 0:
                fail("an instance did not exit 0 on SIGTERM")
    check("systemd-template sigterm-exit-0", stop)


# ---------------------------------------------------------------------------
# lighttpd and Caddy, from the files in contrib/.

LIGHTTPD_SPAWN = "zoom-attendees-lighttpd-spawn.conf"
LIGHTTPD_SOCKET = "zoom-attendees-lighttpd.conf"
CADDY_SNIPPET = "zoom-attendees.caddy"


def session_responders(r, sid):
    """pid -> uid of the zoom-attendees processes in session sid: the ones
    a web server started (mod_fcgid, lighttpd's bin-path)."""
    found = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            exe = os.readlink("/proc/%s/exe" % pid)
            st = os.stat("/proc/%s" % pid)
            if exe == r.bin and os.getsid(int(pid)) == sid:
                found[int(pid)] = st.st_uid
        except OSError:
            continue
    return found


def log_lines(path, needle):
    try:
        with open(path, errors="replace") as f:
            return [x for x in f.read().splitlines() if needle in x]
    except OSError:
        return []


def dep_lighttpd_spawn(r):
    # As the shipped file says: the configuration file, www-data's, 0600.
    conf = os.path.join(r.etc, "zoom-attendees.conf")
    spool = r.spool("lighttpd-spawn", WEB_USER)
    write(conf, r.conf_text(**r.workflow(spool)), mode=0o600, user=WEB_USER)
    inc = os.path.join(r.share, "contrib", LIGHTTPD_SPAWN)
    lt, port, _ = r.start_lighttpd("spawn", inc)
    client = HttpClient(port)
    smoke("lighttpd-spawn", client, lt)

    def spawned():
        found = session_responders(r, lt.pid)
        if len(found) != 1:
            fail("%d zoom-attendees processes under lighttpd, expected 1 "
                 "(max-procs)\n%s" % (len(found), tail(lt.errlog)))
        if any(u != user_ids(WEB_USER)[0] for u in found.values()):
            fail("lighttpd's zoom-attendees does not run as %s" % WEB_USER)
    check("lighttpd-spawn bin-path-process", spawned)
    before = set(session_responders(r, lt.pid))
    front_end("lighttpd-spawn", client, lt)

    def alive():
        if before - set(session_responders(r, lt.pid)):
            fail("lighttpd's zoom-attendees process %s is gone\n%s" % (
                sorted(before), tail(lt.errlog)))
    webhook_suite("lighttpd-spawn", r, client, Webhook(
        CAL_PATH, spool, WEB_USER, alive=alive,
        logs=[lt.logname, lt.errlog]), lt)

    def stderr_kept():
        # In the foreground (lighttpd -D, as Debian's unit runs it) the
        # program's stderr is lighttpd's: the request lines are there.
        want = "zoom-attendees: POST status=200 meeting=%s" % MEETING
        if not log_lines(lt.logname, want):
            fail("no %r line in lighttpd -D's output\n%s" % (
                want, tail(lt.logname)))
    check("lighttpd-spawn log-lines-in-foreground", stderr_kept)


def dep_lighttpd_socket(r):
    # The responder: the systemd units (emulated), socket root:www-data.
    write_credentials(r)
    fresh_state(r)
    p, path = r.activate("zoom-attendees.socket", "zoom-attendees.service",
                         dropin=systemd_dropin(r))
    wait_for("the activated service", lambda: unix_open(path), p)
    inc = os.path.join(r.share, "contrib", LIGHTTPD_SOCKET)
    lt, port, d = r.start_lighttpd("socket", inc)
    client = HttpClient(port)
    smoke("lighttpd-socket", client, lt)
    front_end("lighttpd-socket", client, lt)
    webhook_suite("lighttpd-socket", r, client, Webhook(
        CAL_PATH, systemd_spool(r), SERVICE_USER, alive=proc_alive(p),
        logs=[p.logname, lt.errlog]), lt)

    def other_paths():
        n = len(log_lines(p.logname, " status="))
        for path in (API + "/x", "/api/zoom/other", "/api/"):
            a = client.request("GET", path)
            if a.status != 404:
                fail("GET %s: expected lighttpd's 404, got %r" % (path, a))
        if len(log_lines(p.logname, " status=")) != n:
            fail("a path outside the three routes reached the program")
    check("lighttpd-socket other-paths-404", other_paths)

    def no_check_local():
        # The documented trap: without "check-local" => "disable", lighttpd
        # looks for /api/zoom/healthz under the document root: 404.
        text, n = re.subn(r'(?m)^\s*"check-local"\s*=>\s*"disable",\n', "",
                          r.installed("contrib", LIGHTTPD_SOCKET))
        if n != 1:
            fail("%s has no \"check-local\" => \"disable\" line" %
                 LIGHTTPD_SOCKET)
        edited = os.path.join(r.tmp, "lighttpd-without-check-local.conf")
        write(edited, text)
        q, qport, _ = r.start_lighttpd("no-check-local", edited)
        try:
            a = HttpClient(qport).request("GET", HEALTH)
        finally:
            r.stop(q)
        if a.status != 404:
            fail("without check-local: expected 404, got %r (the trap the "
                 "file warns of is gone?)" % a)
    check("lighttpd-socket trap-without-check-local-404", no_check_local)


class SyslogListener:
    """A syslog daemon's socket (a unix datagram socket, as /dev/log is),
    to be mounted on /dev/log in a private mount namespace: every line it
    gets is kept. The machine's own syslog is never involved."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        os.chmod(path, 0o666)   # the programs run as www-data
        self.sock.settimeout(0.1)
        self.got = []
        self.lock = threading.Lock()
        self.stopping = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stopping:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.got.append(data.decode("utf-8", "replace"))

    def lines(self):
        with self.lock:
            return list(self.got)

    def wait(self, pattern, seconds=5.0, since=0):
        """The lines matching pattern (from the since-th line on), once
        there is one; [] after seconds."""
        deadline = time.monotonic() + seconds
        while True:
            found = [x for x in self.lines()[since:] if re.search(pattern, x)]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def close(self):
        self.stopping = True
        self.thread.join(2)
        self.sock.close()


# Run "$@" with /dev/log being the listener's socket, in a mount namespace
# of its own: a tmpfs on /dev holding the usual devices (bound from the
# real /dev) and the socket. Nothing changes outside the namespace.
PRIVATE_DEVLOG = r"""set -e
old=$1 sock=$2
shift 2
mount --rbind /dev "$old"
mount -t tmpfs -o mode=0755,size=64k tmpfs /dev
for n in null zero full random urandom; do
    : >"/dev/$n"
    mount --bind "$old/$n" "/dev/$n"
done
: >/dev/log
mount --bind "$sock" /dev/log
exec "$@"
"""

# glibc's syslog(3) line: <facility*8+priority>, time, ident[pid]: text.
SYSLOG_LINE = (r"^<30>[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d "
               r"zoom-attendees\[\d+\]: ")


def dep_lighttpd_syslog(r):
    """lighttpd as a background daemon, which throws its FastCGI programs'
    stderr away: with ZOOM_ATTENDEES_LOG=syslog the lines, start-up errors
    included, reach syslog (a private /dev/log)."""
    listener = SyslogListener(os.path.join(r.tmp, "syslog.sock"))
    olddev = os.path.join(r.tmp, "olddev")
    mkdirs(olddev)
    wrap = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
            PRIVATE_DEVLOG, "sh", olddev, listener.path]
    conf = os.path.join(r.etc, "zoom-attendees.conf")
    inc = os.path.join(r.share, "contrib", LIGHTTPD_SPAWN)
    missing = {k: v for k, v in r.settings().items()
               if k != "INTERNAL_API_KEY"}

    def conf_missing_key(**extra):
        """The settings file, INTERNAL_API_KEY left out."""
        missing.update(extra)
        write(conf, "".join("%s=%s\n" % kv for kv in missing.items()),
              mode=0o600, user=WEB_USER)
    try:
        def startup_error():
            # The program alone, as www-data, a required setting missing.
            argv = wrap + ["setpriv", "--reuid", WEB_USER, "--regid",
                           WEB_USER, "--clear-groups", r.bin, "--listen",
                           "127.0.0.1:%d" % free_port()]
            p = subprocess.run(argv, env=r.env(ZOOM_ATTENDEES_LOG="syslog",
                                               **missing),
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=20)
            out = p.stdout.decode("utf-8", "replace")
            if p.returncode != 1:
                fail("exit %d, expected 1\n%s" % (p.returncode, out))
            got = listener.wait(SYSLOG_LINE +
                                r"INTERNAL_API_KEY: missing \(not set\)$")
            if not got:
                fail("syslog did not get the missing setting; it got %r"
                     % listener.lines())
            if not listener.wait(SYSLOG_LINE + "refusing to start"):
                fail("syslog did not get 'refusing to start': %r"
                     % listener.lines())
            if out:
                fail("stderr (not a terminal) got lines too: %r" % out)
        check("lighttpd-daemon-syslog program-startup-error-to-syslog",
              startup_error)

        def check_config():
            p = subprocess.run(wrap + [r.bin, "--check-config"],
                               env=r.env(ZOOM_ATTENDEES_LOG="syslog",
                                         **r.settings()),
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=20)
            out = p.stdout.decode("utf-8", "replace")
            if p.returncode != 0 or not re.search(
                    r"(?m)^ZOOM_ATTENDEES_LOG +ok, syslog \(environment\)$",
                    out) or not re.search(r"(?m)^syslog: reachable$", out):
                fail("--check-config: exit %d\n%s" % (p.returncode, out))
        check("lighttpd-daemon-syslog check-config-syslog-reachable",
              check_config)

        def lost_on_stderr():
            # The documented trap: the default (stderr) under a background
            # lighttpd. The program dies at start; its message is nowhere.
            conf_missing_key()
            n = len(listener.lines())
            pid, port, d = r.start_lighttpd("daemon-stderr", inc, daemon=True,
                                            wrap=wrap)
            try:
                a = HttpClient(port).request("GET", HEALTH)
                time.sleep(1.5)     # lighttpd restarts it meanwhile
            finally:
                r.stop_pid(pid)
            if a.status < 500:
                fail("GET %s with a missing setting: %r" % (HEALTH, a))
            if not log_lines(os.path.join(d, "error.log"), "child exited: 1"):
                fail("lighttpd did not see the program exit 1\n%s" %
                     tail(os.path.join(d, "error.log")))
            logs = (os.path.join(d, "error.log"),
                    os.path.join(r.logs, "lighttpd-daemon-stderr.log"))
            kept = [f for f in logs if log_lines(f, "INTERNAL_API_KEY")]
            if kept or len(listener.lines()) != n:
                fail("the line was kept after all (%s, syslog %r): the trap "
                     "the docs describe is gone?" % (
                         kept, listener.lines()[n:]))
        check("lighttpd-daemon-syslog trap-stderr-lost", lost_on_stderr)

        def missing_setting():
            conf_missing_key(ZOOM_ATTENDEES_LOG="syslog")
            n = len(listener.lines())
            pid, port, d = r.start_lighttpd("daemon-missing", inc, daemon=True,
                                            wrap=wrap)
            try:
                a = HttpClient(port).request("GET", HEALTH)
                got = listener.wait(SYSLOG_LINE + r"INTERNAL_API_KEY: missing "
                                    r"\(not set\)$", since=n)
            finally:
                r.stop_pid(pid)
            if a.status < 500:
                fail("GET %s with a missing setting: %r" % (HEALTH, a))
            if not got:
                fail("syslog did not get the start-up error: %r\n%s" % (
                    listener.lines(), tail(os.path.join(d, "error.log"))))
        check("lighttpd-daemon-syslog lighttpd-startup-error-to-syslog",
              missing_setting)

        def refused_file():
            # The file's own line, uncommented: the setting comes from the
            # environment, so even a settings file the program refuses is
            # reported to syslog.
            text, k = re.subn(
                r'(?m)^(\s*)#("ZOOM_ATTENDEES_LOG" => "syslog",)$', r"\1\2",
                r.installed("contrib", LIGHTTPD_SPAWN))
            if k != 1:
                fail("%s has no commented ZOOM_ATTENDEES_LOG line" %
                     LIGHTTPD_SPAWN)
            edited = os.path.join(r.tmp, "lighttpd-spawn-syslog.conf")
            write(edited, text)
            write(conf, r.conf_text(), mode=0o644, user=WEB_USER)
            n = len(listener.lines())
            pid, port, d = r.start_lighttpd("daemon-env", edited, daemon=True,
                                            wrap=wrap)
            try:
                got = listener.wait(SYSLOG_LINE + re.escape(
                    "configuration file %s: accessible by group or others "
                    "(mode 0644)" % conf), since=n)
            finally:
                r.stop_pid(pid)
                os.chmod(conf, 0o600)
            if not got:
                fail("syslog did not get the refused file: %r\n%s" % (
                    listener.lines()[n:], tail(os.path.join(d, "error.log"))))
        check("lighttpd-daemon-syslog bin-environment-refused-file-to-syslog",
              refused_file)

        def serving():
            write(conf, r.conf_text(ZOOM_ATTENDEES_LOG="syslog"),
                  mode=0o600, user=WEB_USER)
            n = len(listener.lines())
            pid, port, d = r.start_lighttpd("daemon-syslog", inc, daemon=True,
                                            wrap=wrap)
            try:
                client = HttpClient(port)
                expect_attendees(attendees(client))
                expect_error(attendees(client, key=None), 401, "unauthorized")
                ok = listener.wait(SYSLOG_LINE + "POST status=200 meeting=%s "
                                   % MEETING, since=n)
                denied = listener.wait(SYSLOG_LINE + "POST status=401 ",
                                       since=n)
            finally:
                status = r.stop_pid(pid)
            if not ok or not denied:
                fail("syslog lacks the request lines: %r" % listener.lines())
            for line in listener.lines():
                for sec in SECRETS:
                    if sec in line:
                        fail("a secret in syslog: %r" % line)
            # lighttpd's own exit status on SIGTERM (0, or 1 when its
            # spawned children were still stopping) is lighttpd's affair,
            # not the responder's: not checked.
            return "lighttpd exited %s" % status
        check("lighttpd-daemon-syslog request-lines-to-syslog", serving)
    finally:
        listener.close()


def caddy_site(r, body=None):
    """The site block a Caddy user writes: the shipped file imported, and
    a catch-all handle for the rest of the site; or body instead."""
    snippet = os.path.join(r.share, "contrib", CADDY_SNIPPET)
    body = body or """	import {snippet}
	handle {{
		respond 404
	}}
""".format(snippet=snippet)
    return lambda port: "http://127.0.0.1:%d {\n\tbind 127.0.0.1\n%s}\n" % (
        port, body)


def dep_caddy(r):
    write_credentials(r)
    fresh_state(r)
    p, path = r.activate("zoom-attendees.socket", "zoom-attendees.service",
                         dropin=systemd_dropin(r))
    wait_for("the activated service", lambda: unix_open(path), p)
    cd, port = r.start_caddy("site", caddy_site(r))
    client = HttpClient(port)
    smoke("caddy", client, cd)
    front_end("caddy", client, cd)
    webhook_suite("caddy", r, client, Webhook(
        CAL_PATH, systemd_spool(r), SERVICE_USER, alive=proc_alive(p),
        logs=[p.logname, cd.logname]), cd)

    def requests_seen():
        return len(log_lines(p.logname, " status="))

    def other_paths():
        n = requests_seen()
        for path in (API + "/x", "/api/zoom/other", "/"):
            a = client.request("GET", path)
            if a.status != 404:
                fail("GET %s: expected the site's 404, got %r" % (path, a))
        if requests_seen() != n:
            fail("a path outside the three routes reached the program")
    check("caddy other-paths-404", other_paths)

    def php_fastcgi():
        # The documented trap: php_fastcgi, given no index.php, answers an
        # empty 200 itself and never asks the program.
        site = caddy_site(r, "\tphp_fastcgi unix/%s\n" % r.sock)
        q, qport = r.start_caddy("php-fastcgi", site)
        n = requests_seen()
        try:
            a = attendees(HttpClient(qport))
        finally:
            r.stop(q)
        if a.status != 200 or a.body or requests_seen() != n:
            fail("php_fastcgi: expected Caddy's own empty 200, got %r (the "
                 "trap the file warns of is gone?)" % a)
    check("caddy trap-php-fastcgi-empty-200", php_fastcgi)

    def bare_respond():
        # The documented trap: outside handle blocks, respond sorts before
        # reverse_proxy, whatever the order written.
        site = caddy_site(r, """	reverse_proxy {h} unix/{s} {{
		transport fastcgi
	}}
	respond 404
""".format(h=HEALTH, s=r.sock))
        q, qport = r.start_caddy("bare-respond", site)
        n = requests_seen()
        try:
            a = HttpClient(qport).request("GET", HEALTH)
        finally:
            r.stop(q)
        if a.status != 404 or requests_seen() != n:
            fail("a bare respond: expected 404 before reverse_proxy, got %r "
                 "(the trap the file warns of is gone?)" % a)
    check("caddy trap-bare-respond-404", bare_respond)


def dep_uninstall(r):
    def uninstall():
        r.make_install("uninstall")
        left = []
        for d, _, files in os.walk(r.prefix):
            left += [os.path.join(d, f) for f in files]
        if left:
            fail("left after make uninstall: %s" % ", ".join(left))
        if os.path.exists(r.share):
            fail("%s is still there" % r.share)
    check("make-uninstall", uninstall)


DEPLOYMENTS = [
    ("systemd-units", dep_systemd_units),
    ("nginx-tcp", dep_nginx_tcp),
    ("config-file", dep_config_file),
    ("apache-proxy-fcgi-tcp", dep_apache_proxy_tcp),
    ("apache-proxy-fcgi-unix", dep_apache_proxy_unix),
    ("apache-fcgid", dep_apache_fcgid),
    ("apache-cgi-htaccess", dep_apache_cgi),
    ("apache-cgi-htaccess-setenvif", dep_apache_cgi_old),
    ("apache-cgi-suexec-wrapper", dep_apache_cgi_wrapper),
    ("nginx-unix-spawn-fcgi", dep_spawn_fcgi),
    ("nginx-unix-systemd-socket", dep_systemd),
    ("systemd-template", dep_systemd_template),
    ("lighttpd-spawn", dep_lighttpd_spawn),
    ("lighttpd-socket", dep_lighttpd_socket),
    ("lighttpd-daemon-syslog", dep_lighttpd_syslog),
    ("caddy", dep_caddy),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build",
                                                  "zoom-attendees"))
    ap.add_argument("--only", help="run the deployments whose name has this")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary directory (logs, configs)")
    a = ap.parse_args()

    if os.geteuid() != 0:
        report("deploy setup", False, "must run as root: the servers drop "
               "privileges to www-data and nobody as in production")
        print("%d passed, %d failed" % (PASSED, FAILED))
        return 1
    if os.path.basename(a.bin) != "zoom-attendees" or not os.access(a.bin, os.X_OK):
        report("deploy setup", False, "no binary at %s" % a.bin)
        print("%d passed, %d failed" % (PASSED, FAILED))
        return 1

    r = Run(a.bin, a.keep)

    def on_term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)
    t0 = time.monotonic()
    try:
        try:
            r.start_standin()
        except Failure as e:
            report("zoom stand-in", False, "%s\n%s" % (e, tail(
                os.path.join(r.logs, "standin.log"))))
            return 1
        if dep_install(r):
            for name, fn in DEPLOYMENTS:
                if a.only and a.only not in name:
                    continue
                try:
                    fn(r)
                except Failure as e:
                    report("%s start" % name, False, str(e))
                except Exception as e:
                    report("%s start" % name, False, unexpected(e))
                finally:
                    r.stop_all()
            dep_uninstall(r)
    except KeyboardInterrupt:
        report("deploy run", False, "interrupted")
    finally:
        r.close()
    print("(%.1f s)" % (time.monotonic() - t0))
    print("%d passed, %d failed" % (PASSED, FAILED))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
