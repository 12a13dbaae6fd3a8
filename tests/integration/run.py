#!/usr/bin/env python3
"""Integration tests for zoom-attendees.

    python3 tests/integration/run.py --bin build/zoom-attendees [--only SUBSTR]

Starts, in a temporary directory and on 127.0.0.1 only: the Zoom stand-in
(tests/zoom_standin.py), the responder in FastCGI mode (--listen), and a real
nginx that includes the project's nginx/zoom-attendees.location.conf. Tests
talk HTTP to nginx, and also run the binary as plain CGI and speak FastCGI to
it directly over a unix socket.

Prints one line per case, "name... ok" or "name... FAIL: reason", then
"N passed, N failed"; exits 1 if any case failed.
"""

import argparse
import base64
import concurrent.futures
import contextlib
import datetime
import fcntl
import http.client
import json
import os
import re
import shutil
import signal
import socket
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
LOCATION_CONF = os.path.join(ROOT, "nginx", "zoom-attendees.location.conf")
sys.path.insert(0, os.path.join(ROOT, "tests"))
import zoom_standin  # noqa: E402  (dataset and encoding rules, for checks)
from fast_standin import free_port, port_ready  # noqa: E402

API_PATH = "/api/zoom/get-meeting-attendees"
HEALTH_PATH = "/api/zoom/healthz"
TIMEOUT_MS = 3000
SCOPE = "meeting:read:list_past_participants:admin"
RUN_ID = os.urandom(6).hex()
API_KEY = "itest-key-" + os.urandom(12).hex()
CLIENT_ID = "itest-client-" + RUN_ID
CLIENT_SECRET = "itest-secret-" + os.urandom(12).hex()
ACCOUNT_ID = "itest-account-" + RUN_ID
BASIC = base64.b64encode(("%s:%s" % (CLIENT_ID, CLIENT_SECRET)).encode()).decode()
# Strings that must never leave the responder (answers, its log, nginx's).
SECRETS = [API_KEY, CLIENT_SECRET, BASIC, "standin-token-"]
SANITIZER_MARKS = ["AddressSanitizer", "LeakSanitizer", "runtime error:",
                   "UndefinedBehaviorSanitizer"]

DATASET = zoom_standin.build_dataset()
SMALL = "85746065432"
BIG = "11122233344"
EMPTY = "99988877766"
UUID_SLASH = "/ajXp112QmuoKj4854875=="
UUID_DSLASH = "Ab//cdEFghIJklMNopQRsw=="
UUID_PLUS = "JbkqFkfqQ0e7+CZluSnc1g=="


class Failure(Exception):
    pass


def fail(msg):
    raise Failure(msg)



def wait_port_file(pf, proc, what, seconds=10.0):
    """The port a stand-in wrote to pf (--port-file) once it listens."""
    deadline = time.monotonic() + seconds
    while not os.path.exists(pf):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("%s did not start" % what)
        time.sleep(0.02)
    return int(open(pf).read())


def short(b, n=300):
    if isinstance(b, bytes):
        b = b.decode("utf-8", "replace")
    return b if len(b) <= n else b[:n] + "..."


# ---------------------------------------------------------------------------
# Answers


class Resp:
    def __init__(self, status, headers, body, via, elapsed=0.0, reason=""):
        self.status = status
        self.reason = reason
        self.headers = headers          # list of (name, value)
        self.body = body
        self.via = via
        self.elapsed = elapsed
        self._json = None

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self):
        if self._json is None:
            try:
                self._json = json.loads(self.body.decode("utf-8"))
            except (ValueError, UnicodeDecodeError) as e:
                fail("%s answer %d is not JSON (%s): %r"
                     % (self.via, self.status, e, short(self.body)))
        return self._json

    def text(self):
        head = "".join("%s: %s\n" % kv for kv in self.headers)
        return head + "\n" + self.body.decode("utf-8", "replace")

    def __repr__(self):
        return "%s %d %s" % (self.via, self.status, short(self.body, 200))


def parse_cgi_output(out, via):
    """A CGI/FastCGI response: headers, blank line, body."""
    for sep in (b"\r\n\r\n", b"\n\n"):
        i = out.find(sep)
        if i >= 0:
            head, body = out[:i], out[i + len(sep):]
            break
    else:
        fail("%s: no end of headers in output %r" % (via, short(out)))
    headers, status, reason = [], 200, ""
    for line in head.decode("latin-1").splitlines():
        if not line.strip():
            continue
        if ":" not in line:
            fail("%s: bad header line %r" % (via, line))
        k, v = line.split(":", 1)
        headers.append((k.strip(), v.strip()))
    st = [v for k, v in headers if k.lower() == "status"]
    if not st:
        fail("%s: no Status header in %r" % (via, short(out)))
    m = re.match(r"^(\d{3})(?: (.*))?$", st[0])
    if not m:
        fail("%s: bad Status header %r" % (via, st[0]))
    status, reason = int(m.group(1)), m.group(2) or ""
    if not head.startswith(b"Status:"):
        fail("%s: output does not start with Status: %r" % (via, short(out, 80)))
    return Resp(status, headers, body, via, reason=reason)


# ---------------------------------------------------------------------------
# A minimal FastCGI client (responder role), for --listen on a unix socket.


def _fcgi_record(rtype, rid, content):
    pad = (8 - len(content) % 8) % 8
    return struct.pack("!BBHHBx", 1, rtype, rid, len(content), pad) + \
        content + b"\0" * pad


def _fcgi_nv(name, value):
    out = b""
    for x in (name, value):
        n = len(x)
        out += bytes([n]) if n < 128 else struct.pack("!I", n | 0x80000000)
    return out + name + value


def fcgi_request(address, params, body=b"", timeout=15.0, chunk=65535):
    """One request without FCGI_KEEP_CONN, the body in STDIN records of
    chunk bytes; (stdout, stderr) of the answer."""
    fam = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(address)
        rid = 1
        msg = _fcgi_record(1, rid, struct.pack("!HB5x", 1, 0))
        pv = b"".join(_fcgi_nv(k.encode(), v.encode())
                      for k, v in params.items())
        for i in range(0, len(pv), 65535):
            msg += _fcgi_record(4, rid, pv[i:i + 65535])
        msg += _fcgi_record(4, rid, b"")
        for i in range(0, len(body), chunk):
            msg += _fcgi_record(5, rid, body[i:i + chunk])
        msg += _fcgi_record(5, rid, b"")
        s.sendall(msg)
        buf, out, err = b"", b"", b""
        while True:
            while len(buf) < 8:
                chunk = s.recv(65536)
                if not chunk:
                    fail("fastcgi: connection closed before END_REQUEST")
                buf += chunk
            _, rtype, _, clen, plen = struct.unpack("!BBHHBx", buf[:8])
            while len(buf) < 8 + clen + plen:
                chunk = s.recv(65536)
                if not chunk:
                    fail("fastcgi: truncated record")
                buf += chunk
            content = buf[8:8 + clen]
            buf = buf[8 + clen + plen:]
            if rtype == 6:
                out += content
            elif rtype == 7:
                err += content
            elif rtype == 3:
                return out, err
    finally:
        s.close()


class FcgiConn:
    """A FastCGI connection kept open between requests (FCGI_KEEP_CONN)."""

    def __init__(self, address, timeout=10.0):
        fam = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
        self.s = socket.socket(fam, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(address)
        if fam == socket.AF_INET:
            self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self):
        self.s.close()

    @staticmethod
    def encode(params, body=b"", rid=1, keep=True):
        """BEGIN_REQUEST (FCGI_KEEP_CONN unless not keep), PARAMS, STDIN."""
        head, stdin = FcgiConn.encode_parts(params, body, rid, keep)
        return head + stdin

    @staticmethod
    def encode_parts(params, body=b"", rid=1, keep=True):
        """The same in two parts: up to the end of the parameters, and
        the STDIN records."""
        msg = _fcgi_record(1, rid, struct.pack("!HB5x", 1, 1 if keep else 0))
        pv = b"".join(_fcgi_nv(k.encode(), v if isinstance(v, bytes)
                               else v.encode()) for k, v in params.items())
        for i in range(0, len(pv), 65535):
            msg += _fcgi_record(4, rid, pv[i:i + 65535])
        msg += _fcgi_record(4, rid, b"")
        stdin = b""
        for i in range(0, len(body), 65535):
            stdin += _fcgi_record(5, rid, body[i:i + 65535])
        return msg, stdin + _fcgi_record(5, rid, b"")

    def roundtrip(self, msg):
        """Send a request; its stdout and the seconds to END_REQUEST."""
        out = b""
        t0 = time.perf_counter()
        self.s.sendall(msg)
        while True:
            while len(self.buf) < 8:
                c = self.s.recv(65536)
                if not c:
                    fail("fastcgi: connection closed")
                self.buf += c
            _, rtype, _, clen, plen = struct.unpack("!BBHHBx", self.buf[:8])
            while len(self.buf) < 8 + clen + plen:
                c = self.s.recv(65536)
                if not c:
                    fail("fastcgi: truncated record")
                self.buf += c
            content = self.buf[8:8 + clen]
            self.buf = self.buf[8 + clen + plen:]
            if rtype == 6:
                out += content
            elif rtype == 3:
                return out, time.perf_counter() - t0


# ---------------------------------------------------------------------------
# The processes under test


def _die_with_parent():
    """In the child: get SIGTERM if this harness dies without cleaning up
    (it starts every process in a session of its own, out of reach of the
    terminal's Ctrl-C)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PDEATHSIG
    except (OSError, AttributeError):
        pass


class Harness:
    def __init__(self, binary, keep=False, verbose=False):
        self.keep = keep
        self.verbose = verbose
        self.tmp = tempfile.mkdtemp(prefix="za-itest-")
        # nginx workers run as nobody when started as root.
        os.chmod(self.tmp, 0o755)
        self.procs = []
        self.exchanges = []          # every Resp seen, for the leak check
        self.notes = []
        bindir = os.path.join(self.tmp, "bin")
        os.mkdir(bindir)
        os.chmod(bindir, 0o755)
        # A private copy: no zoom-attendees.conf lies beside it.
        self.bin = os.path.join(bindir, "zoom-attendees")
        shutil.copy2(binary, self.bin)
        self.responder = None
        self.responder_log = os.path.join(self.tmp, "responder.stderr")
        self.nginx_log = os.path.join(self.tmp, "nginx-error.log")
        self.cgi_log = os.path.join(self.tmp, "cgi.stderr")
        self.log_offsets = {}
        # Set when the responder's cached token may no longer be valid (or
        # there is none): the runner then warms it up before the next case,
        # so every case starts with one valid cached token.
        self.dirty = True

    # -- processes ----------------------------------------------------------

    def spawn(self, argv, **kw):
        p = subprocess.Popen(argv, start_new_session=True,
                             preexec_fn=_die_with_parent,
                             stdin=subprocess.DEVNULL, **kw)
        self.procs.append(p)
        return p

    def kill(self, p, grace=3.0):
        if p is None or p.poll() is not None:
            if p is not None:
                p.wait()
            return
        try:
            os.killpg(p.pid, signal.SIGTERM)
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

    def close(self):
        for p in reversed(self.procs):
            self.kill(p)
        self.procs = []
        if not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            print("kept %s" % self.tmp)

    def start_standin(self):
        pf = os.path.join(self.tmp, "standin.port")
        argv = [sys.executable, STANDIN, "--port", "0", "--port-file", pf,
                "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET,
                "--account-id", ACCOUNT_ID]
        self.standin = self.spawn(argv, stdout=subprocess.DEVNULL,
                                  stderr=open(os.path.join(
                                      self.tmp, "standin.stderr"), "ab"))
        self.sport = wait_port_file(pf, self.standin, "the Zoom stand-in")
        self.ctl("reset")

    def base_env(self, **over):
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LC_ALL": "C"}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                env[k] = os.environ[k]
        env.update({
            "INTERNAL_API_KEY": API_KEY,
            "ZOOM_ACCOUNT_ID": ACCOUNT_ID,
            "ZOOM_CLIENT_ID": CLIENT_ID,
            "ZOOM_CLIENT_SECRET": CLIENT_SECRET,
            "ZOOM_TOKEN_URL": "http://127.0.0.1:%d/oauth/token" % self.sport,
            "ZOOM_API_BASE": "http://127.0.0.1:%d/v2" % self.sport,
            "ZOOM_TIMEOUT_MS": str(TIMEOUT_MS),
        })
        for k, v in over.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        return env

    def start_responder(self, env=None):
        self.rport = getattr(self, "rport", None) or free_port()
        self.responder = self.spawn(
            [self.bin, "--listen", "127.0.0.1:%d" % self.rport],
            env=env or self.base_env(), stdout=subprocess.DEVNULL,
            stderr=open(self.responder_log, "ab"))
        if not port_ready(self.rport, self.responder):
            raise RuntimeError("the responder did not listen on 127.0.0.1:%d"
                               " (exit %s); its log:\n%s" % (
                                   self.rport, self.responder.poll(),
                                   short(open(self.responder_log).read(),
                                         2000)))

    def restart_responder(self, env=None):
        """A fresh process: empty in-process token cache."""
        self.kill(self.responder)
        if self.responder in self.procs:
            self.procs.remove(self.responder)
        self.start_responder(env)
        self.dirty = True
        self.wait_healthy()

    def start_nginx(self):
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        d = os.path.join(self.tmp, "nginx")
        os.mkdir(d)
        os.chmod(d, 0o755)
        shutil.copy("/etc/nginx/fastcgi_params", d)
        self.nport = free_port()
        conf = """
daemon off;
worker_processes 1;
pid {t}/nginx.pid;
error_log {t}/nginx-error.log info;
events {{ worker_connections 256; }}
http {{
    access_log {t}/nginx-access.log;
    client_body_temp_path {t}/nginx/client_body;
    fastcgi_temp_path {t}/nginx/fastcgi;
    proxy_temp_path {t}/nginx/proxy;
    uwsgi_temp_path {t}/nginx/uwsgi;
    scgi_temp_path {t}/nginx/scgi;
    upstream zoom_attendees {{
        server 127.0.0.1:{r};
        keepalive 4;
    }}
    server {{
        listen 127.0.0.1:{n};
        server_name localhost;
        include {loc};
        location / {{ return 404; }}
    }}
}}
""".format(t=self.tmp, r=self.rport, n=self.nport, loc=LOCATION_CONF)
        path = os.path.join(d, "nginx.conf")
        with open(path, "w") as f:
            f.write(conf)
        self.nginx = self.spawn(
            [nginx, "-p", d, "-c", path, "-e", self.nginx_log],
            stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.tmp, "nginx.stderr"), "ab"))
        if not port_ready(self.nport, self.nginx):
            raise RuntimeError("nginx did not start: %s" % short(
                open(os.path.join(self.tmp, "nginx.stderr")).read() +
                open(self.nginx_log).read(), 2000))

    def wait_healthy(self, seconds=5.0):
        deadline = time.monotonic() + seconds
        last = None
        while time.monotonic() < deadline:
            try:
                last = self.http("GET", HEALTH_PATH, record=False)
                if last.status == 200:
                    return True
            except (OSError, http.client.HTTPException) as e:
                last = e
            time.sleep(0.05)
        return last

    # -- the stand-in's control API ----------------------------------------

    def ctl(self, what, args=None, method="POST"):
        c = http.client.HTTPConnection("127.0.0.1", self.sport, timeout=10)
        try:
            body = json.dumps(args or {}).encode() if method == "POST" else None
            if what == "revoke" or (what == "reset" and
                                    (args or {}).get("tokens", True)):
                self.dirty = True
            c.request(method, "/_control/" + what, body=body)
            r = c.getresponse()
            data = r.read()
            if r.status != 200:
                raise RuntimeError("stand-in %s: %d %s" % (what, r.status, data))
            return json.loads(data)
        finally:
            c.close()

    def stats(self):
        return self.ctl("stats", method="GET")

    def fault(self, target, kind, **kw):
        kw.update(target=target, kind=kind)
        if target == "token" or kind == "revoke_tokens":
            self.dirty = True
        self.ctl("fault", kw)

    def mode(self, **modes):
        """How the stand-in answers until the next reset (its "Modes")."""
        if "jwt" in modes or "expires_in" in modes:
            self.dirty = True
        return self.ctl("mode", modes)

    def fresh(self):
        """New responder process and a stand-in that forgot every token."""
        self.ctl("reset", {"tokens": True})
        self.restart_responder()
        self.ctl("reset", {"tokens": True})

    # -- HTTP through nginx -------------------------------------------------

    def http(self, method, path, body=None, headers=None, record=True,
             chunked=False, timeout=20.0):
        c = http.client.HTTPConnection("127.0.0.1", self.nport,
                                       timeout=timeout)
        t0 = time.monotonic()
        try:
            hdrs = dict(headers or {})
            if chunked:
                data = body
                body = iter([data[i:i + 7] for i in range(0, len(data), 7)])
                c.request(method, path, body=body, headers=hdrs,
                          encode_chunked=True)
            else:
                c.request(method, path, body=body, headers=hdrs)
            r = c.getresponse()
            data = r.read()
            resp = Resp(r.status, r.getheaders(), data, "nginx %s %s"
                        % (method, path), time.monotonic() - t0, r.reason)
        finally:
            c.close()
        if record:
            self.exchanges.append(resp)
            check_common(resp)
        return resp

    def post(self, body, key=API_KEY, ctype="application/json",
             headers=None, auth=None, **kw):
        hdrs = {}
        if ctype is not None:
            hdrs["Content-Type"] = ctype
        if auth is not None:
            hdrs["Authorization"] = auth
        elif key is not None:
            hdrs["Authorization"] = "Bearer " + key
        hdrs.update(headers or {})
        if not isinstance(body, (bytes, bytearray)):
            body = json.dumps(body).encode()
        return self.http("POST", API_PATH, body, hdrs, **kw)

    def attendees(self, zoom_call_id, **kw):
        return self.post({"zoomCallId": zoom_call_id}, **kw)

    # -- plain CGI ------------------------------------------------------------

    def cgi(self, method="POST", body=b"", ctype="application/json",
            key=API_KEY, auth=None, uri=API_PATH, env=None, timeout=20.0,
            content_length=None, user=None):
        if not isinstance(body, (bytes, bytearray)):
            body = json.dumps(body).encode()
        e = self.base_env()
        e.update({
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "SERVER_SOFTWARE": "itest",
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "80",
            "REMOTE_ADDR": "127.0.0.1",
            "REQUEST_METHOD": method,
            "REQUEST_URI": uri,
            "SCRIPT_NAME": uri,
            "DOCUMENT_URI": uri,
            "PATH_INFO": "",
            "QUERY_STRING": "",
        })
        if body or method == "POST":
            e["CONTENT_LENGTH"] = str(len(body) if content_length is None
                                      else content_length)
        if ctype is not None:
            e["CONTENT_TYPE"] = ctype
        if auth is not None:
            e["HTTP_AUTHORIZATION"] = auth
        elif key is not None:
            e["HTTP_AUTHORIZATION"] = "Bearer " + key
        for k, v in (env or {}).items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
        t0 = time.monotonic()
        p = subprocess.run([self.bin], input=body, env=e,
                           capture_output=True, timeout=timeout,
                           cwd=self.tmp, user=user)
        with open(self.cgi_log, "ab") as f:
            f.write(p.stderr)
        resp = parse_cgi_output(p.stdout, "cgi %s %s" % (method, uri))
        resp.elapsed = time.monotonic() - t0
        resp.stderr = p.stderr
        resp.rc = p.returncode
        self.exchanges.append(resp)
        check_common(resp)
        return resp

    # -- logs -----------------------------------------------------------------

    def new_log(self, path):
        """What was appended to a log since the last call."""
        try:
            with open(path, "rb") as f:
                f.seek(self.log_offsets.get(path, 0))
                data = f.read()
                self.log_offsets[path] = f.tell()
            return data.decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def responder_lines(self, since):
        with open(self.responder_log, "rb") as f:
            f.seek(since)
            return f.read().decode("utf-8", "replace").splitlines()

    def responder_log_size(self):
        try:
            return os.path.getsize(self.responder_log)
        except OSError:
            return 0


# ---------------------------------------------------------------------------
# Checks


def check_common(r):
    ct = r.header("Content-Type")
    if ct is None or ct.split(";")[0].strip().lower() != "application/json":
        fail("%s: answer %d has Content-Type %r" % (r.via, r.status, ct))
    cc = r.header_all("Cache-Control")
    if not any("no-store" in v for v in cc):
        fail("%s: answer %d has Cache-Control %r" % (r.via, r.status, cc))
    leaks = [s for s in SECRETS if s in r.text()]
    if leaks:
        fail("%s: answer %d contains a secret (%s...)"
             % (r.via, r.status, leaks[0][:8]))


def expect_error(r, status, code, what=""):
    what = what or r.via
    if r.status != status:
        fail("%s: expected %d %s, got %d %s" % (what, status, code, r.status,
                                                short(r.body, 200)))
    j = r.json()
    if not isinstance(j, dict) or j.get("error") != code:
        fail("%s: expected error %r, got %s" % (what, code, short(r.body, 200)))
    if not isinstance(j.get("message"), str) or not j["message"]:
        fail("%s: error answer without a message: %s" % (what, short(r.body)))
    if set(j) != {"error", "message"}:
        fail("%s: error answer has extra members %s" % (what, sorted(j)))
    return j


def expect_ok(r, meeting, what="", attendance=False):
    """A 200 in Zoom's shape holding exactly the meeting's rows; with
    attendance, one more member "attendance", the last."""
    what = what or r.via
    if r.status != 200:
        fail("%s: expected 200, got %d %s" % (what, r.status, short(r.body)))
    j = r.json()
    want = DATASET[meeting]
    keys = ["page_count", "page_size", "total_records", "next_page_token",
            "participants"]
    if attendance:
        if not isinstance(j, dict) or list(j) != keys + ["attendance"]:
            fail("%s: members %s, expected %s" % (
                what, list(j) if isinstance(j, dict) else type(j).__name__,
                keys + ["attendance"]))
    elif not isinstance(j, dict) or sorted(j) != sorted(keys):
        fail("%s: members %s, expected %s" % (what, sorted(j), keys))
    if j["page_count"] != 1 or j["next_page_token"] != "":
        fail("%s: page_count %r next_page_token %r" % (
            what, j["page_count"], j["next_page_token"]))
    if j["page_size"] != len(want) or j["total_records"] != len(want):
        fail("%s: page_size %r total_records %r, expected %d" % (
            what, j["page_size"], j["total_records"], len(want)))
    got = j["participants"]
    if not isinstance(got, list) or len(got) != len(want):
        fail("%s: %s participants, expected %d" % (
            what, len(got) if isinstance(got, list) else type(got).__name__,
            len(want)))
    for i, (a, b) in enumerate(zip(got, want)):
        if a != b:
            fail("%s: participant %d differs: got %s, Zoom sent %s" % (
                what, i, short(json.dumps(a)), short(json.dumps(b))))
    return j


class Variants:
    """Run every variant of a case and report all that fail, not just the
    first one:  with Variants() as v: for x in xs: with v: check(x)"""

    def __init__(self):
        self.failures = []

    def __enter__(self):
        return self

    def __exit__(self, et, e, tb):
        if et is Failure:
            self.failures.append(str(e))
            return True
        return False

    def done(self):
        if self.failures:
            n = len(self.failures)
            fail("%d variant(s) failed: %s" % (n, " | ".join(self.failures)))


def zoom_calls(h):
    st = h.stats()
    return st["token_calls"], st["participants_calls"], st["requests"]


def expect_no_zoom_call(h, what):
    st = h.stats()
    if st["requests"]:
        fail("%s: the responder called Zoom (%s)" % (
            what, ", ".join("%s %s" % (x["method"], x["path"])
                            for x in st["requests"][:3])))


def participant_paths(h):
    return [x["path"] for x in h.stats()["requests"]
            if "/participants" in x["path"]]


def seg_of(path):
    # /v2/past_meetings/<seg>/participants?...
    return path.split("?")[0].split("/")[3]


# ---------------------------------------------------------------------------
# Cases

CASES = []


def case(name):
    def deco(fn):
        CASES.append((name, fn))
        return fn
    return deco


# -- health, method, auth, media type, size ----------------------------------

@case("healthz")
def _(h):
    r = h.http("GET", HEALTH_PATH)
    if r.status != 200 or r.json() != {"status": "ok"}:
        fail("GET healthz: %r" % r)
    expect_no_zoom_call(h, "healthz")


@case("method_not_allowed")
def _(h):
    for m in ("GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"):
        r = h.http(m, API_PATH, headers={
            "Authorization": "Bearer " + API_KEY,
            "Content-Type": "application/json"},
            body=b'{"zoomCallId":"85746065432"}' if m in ("PUT", "PATCH")
            else None)
        if m == "HEAD":
            if r.status != 405:
                fail("HEAD: %d" % r.status)
        else:
            expect_error(r, 405, "method_not_allowed", m)
        allow = r.header("Allow")
        if allow is None or "POST" not in allow:
            fail("%s: 405 without Allow: POST (Allow: %r)" % (m, allow))
    expect_no_zoom_call(h, "405")


@case("unauthorized")
def _(h):
    body = {"zoomCallId": SMALL}
    variants = [
        ("no Authorization", dict(key=None)),
        ("wrong key", dict(key="itest-wrong-key-0123456789abcdef")),
        ("key prefix", dict(key=API_KEY[:-1])),
        ("key plus suffix", dict(key=API_KEY + "x")),
        ("empty bearer", dict(auth="Bearer ")),
        ("bare key", dict(auth=API_KEY)),
        ("Basic scheme", dict(auth="Basic " + base64.b64encode(
            ("x:" + API_KEY).encode()).decode())),
        ("Token scheme", dict(auth="Token " + API_KEY)),
    ]
    v = Variants()
    for what, kw in variants:
        with v:
            r = h.post(body, **kw)
            expect_error(r, 401, "unauthorized", what)
            wa = r.header("WWW-Authenticate")
            if wa is None or not wa.startswith("Bearer"):
                fail("%s: WWW-Authenticate %r" % (what, wa))
    # Without the key, a bad body is still 401: nothing is revealed.
    with v:
        expect_error(h.post(b"{nope", key=None), 401, "unauthorized",
                     "bad body")
    v.done()
    expect_no_zoom_call(h, "401")


@case("unsupported_media_type")
def _(h):
    v = Variants()
    for ct in (None, "text/plain", "application/x-www-form-urlencoded",
               "application/jsonx", "application/json-patch+json",
               "multipart/form-data; boundary=x", "json"):
        with v:
            r = h.post({"zoomCallId": SMALL}, ctype=ct)
            expect_error(r, 415, "unsupported_media_type",
                         "Content-Type %r" % ct)
    v.done()
    expect_no_zoom_call(h, "415")


@case("content_type_with_charset")
def _(h):
    r = h.attendees(SMALL, ctype="application/json; charset=utf-8")
    expect_ok(r, SMALL, "charset=utf-8")


@case("body_too_large_responder")
def _(h):
    # 64 KiB exactly is allowed; one byte more is not.
    def body_of(n):
        pre = b'{"zoomCallId":"85746065432","pad":"'
        return pre + b"x" * (n - len(pre) - 2) + b'"}'
    r = h.post(body_of(65536))
    expect_ok(r, SMALL, "64 KiB body")
    h.ctl("reset", {"tokens": False})
    for n in (65537, 70000):
        r = h.post(body_of(n))
        expect_error(r, 413, "body_too_large", "%d-byte body" % n)
    expect_no_zoom_call(h, "413")


@case("body_too_large_nginx")
def _(h):
    r = h.post(b'{"zoomCallId":"85746065432","pad":"' + b"x" * 200000 + b'"}')
    expect_error(r, 413, "body_too_large", "200 kB body (nginx)")
    expect_no_zoom_call(h, "413 nginx")


@case("chunked_request_body")
def _(h):
    r = h.post(json.dumps({"zoomCallId": SMALL}).encode(), chunked=True)
    expect_ok(r, SMALL, "chunked body")


# -- body and id validation ---------------------------------------------------

@case("invalid_json")
def _(h):
    bad = [b"", b"{", b"nul", b"{'zoomCallId':'85746065432'}",
           b'{"zoomCallId":"85746065432"} x', b'{"zoomCallId":"85746065432",}',
           b'{"zoomCallId":"8574606\xff5432"}', b'{"a":"\xc0\xaf"}',
           b'{"a":"\xed\xa0\x80"}', b"\xef\xbb\xbf{}x",
           b'{"zoomCallId":085746065432}',
           b"[" * 30000 + b"]" * 30000,                 # deep, under 64 KiB
           b'{"a":' * 10000 + b"1" + b"}" * 10000,
           b"[]", b'"85746065432"', b"85746065432", b"null", b"true"]
    v = Variants()
    for b in bad:
        with v:
            r = h.post(b)
            expect_error(r, 400, "invalid_json", "body %r" % short(b, 40))
    v.done()
    expect_no_zoom_call(h, "invalid_json")


@case("missing_zoom_call_id")
def _(h):
    v = Variants()
    for b in ({}, {"zoomcallid": SMALL}, {"meetingId": SMALL},
              {"zoomCallID": SMALL}, {"data": {"zoomCallId": SMALL}}):
        with v:
            expect_error(h.post(b), 400, "missing_zoom_call_id",
                         "body %r" % b)
    v.done()
    expect_no_zoom_call(h, "missing_zoom_call_id")


@case("invalid_zoom_call_id")
def _(h):
    bad = [True, False, [], [SMALL], {}, {"id": SMALL}, 85746065432.0,
           -85746065432, 12345678, 1234567890123,
           "", " ", "12345678", "1234567890123", "857 4606 543a",
           " 85746065432", "85746065432 ", "-85746065432",
           "../users/me", "..%2Fusers%2Fme", "85746065432?x=1",
           "85746065432#x", "85746065432/..", "8574606543%32",
           "857\u00004606\u00005432", "85746065432\n", "857\t4606\t5432",
           "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669",
           "JbkqFkfqQ0e7+CZluSnc1g=%", "Jbkq FkfqQ0e7+CZluSnc1g==",
           "JbkqFkfqQ0e7-CZluSnc1g==", "abc", "A" * 21, "A" * 25,
           "JbkqFkfqQ0e7+CZluSnc1g==\u0000", "/../../../../../etc/passwd====",
           "x" * 70]
    vs = Variants()
    for v in bad:
        with vs:
            r = h.post({"zoomCallId": v})
            expect_error(r, 400, "invalid_zoom_call_id", "zoomCallId %r"
                         % (v if not isinstance(v, str) else short(v, 30)))
    for raw in (b'{"zoomCallId":8.5746065432e10}',
                b'{"zoomCallId":85746065432e0}',
                b'{"zoomCallId":"\\u0038\\u0035746065432/"}',
                b'{"zoomCallId":"85746065432\\u0000"}',
                b'{"zoomCallId":"..\\/users\\/me"}'):
        with vs:
            expect_error(h.post(raw), 400, "invalid_zoom_call_id",
                         "body %s" % raw.decode())
    vs.done()
    expect_no_zoom_call(h, "invalid_zoom_call_id")


@case("zoom_call_id_null")
def _(h):
    # The member is there, with the wrong type: invalid, not missing.
    expect_error(h.post({"zoomCallId": None}), 400, "invalid_zoom_call_id",
                 "zoomCallId null")
    expect_no_zoom_call(h, "null id")


# -- success paths ------------------------------------------------------------

@case("success_small_meeting")
def _(h):
    r = h.attendees(SMALL)
    expect_ok(r, SMALL)
    paths = participant_paths(h)
    if paths != ["/v2/past_meetings/85746065432/participants?page_size=300"]:
        fail("participants requests: %r" % paths)
    for x in h.stats()["requests"]:
        if "/participants" in x["path"] and not x["auth"].startswith(
                "Bearer standin-token-"):
            fail("participants request without our Bearer token")


@case("token_request_shape")
def _(h):
    h.fresh()
    expect_ok(h.attendees(SMALL), SMALL)
    t, p, reqs = zoom_calls(h)
    if t != 1 or p != 1:
        fail("token_calls %d participants_calls %d, expected 1 and 1" % (t, p))
    tok = [x for x in reqs if x["path"].startswith("/oauth/token")][0]
    if tok["method"] != "POST" or tok["path"] != "/oauth/token":
        fail("token request %s %s (parameters belong in the body)"
             % (tok["method"], tok["path"]))
    if tok["auth"] != "Basic " + BASIC:
        fail("token request Authorization is not Basic base64(id:secret)")
    if tok["content_type"].split(";")[0] != "application/x-www-form-urlencoded":
        fail("token request Content-Type %r" % tok["content_type"])
    form = dict(x.split("=", 1) for x in tok["body"].split("&"))
    if form != {"grant_type": "account_credentials", "account_id": ACCOUNT_ID}:
        fail("token request body %r" % sorted(form))


@case("pagination_650_rows")
def _(h):
    r = h.attendees(BIG)
    expect_ok(r, BIG)
    paths = participant_paths(h)
    if len(paths) != 3:
        fail("%d participants calls, expected 3: %r" % (len(paths), paths))
    for i, p in enumerate(paths):
        q = p.split("?", 1)[1] if "?" in p else ""
        parts = dict(x.split("=", 1) for x in q.split("&") if "=" in x)
        if seg_of(p) != BIG or parts.get("page_size") != "300":
            fail("call %d: %s" % (i + 1, p))
        if (i == 0) != ("next_page_token" not in parts):
            fail("call %d next_page_token: %s" % (i + 1, p))
        if i > 0 and not parts.get("next_page_token"):
            fail("call %d: empty next_page_token: %s" % (i + 1, p))


@case("pagination_retry_second_page")
def _(h):
    h.fault("participants", "status", status=503, skip=1,
            body={"code": 503, "message": "Service Unavailable"})
    r = h.attendees(BIG)
    expect_ok(r, BIG, "5xx on page 2")
    n = len(participant_paths(h))
    if n != 4:
        fail("%d participants calls, expected 4 (3 pages + 1 retry)" % n)


@case("one_person_meeting")
def _(h):
    j = expect_ok(h.attendees(EMPTY), EMPTY)
    if j["participants"] != [] or j["total_records"] != 0:
        fail("expected no participants: %s" % short(json.dumps(j)))


@case("numeric_id_forms")
def _(h):
    for v in ("857 4606 5432", "857-4606-5432", 85746065432, "85746065432"):
        h.ctl("reset", {"tokens": False})
        expect_ok(h.attendees(v), SMALL, "zoomCallId %r" % (v,))
        paths = participant_paths(h)
        if [seg_of(p) for p in paths] != [SMALL]:
            fail("zoomCallId %r: requested %r" % (v, paths))
    # 9 and 12 digits are valid ids too (unknown to Zoom here).
    for v in ("123456789", "1234 5678 9012", 123456789012):
        h.ctl("reset", {"tokens": False})
        expect_error(h.attendees(v), 404, "meeting_not_found",
                     "zoomCallId %r" % (v,))
        want = str(v).replace(" ", "")
        if [seg_of(p) for p in participant_paths(h)] != [want]:
            fail("zoomCallId %r: requested %r" % (v, participant_paths(h)))


def _uuid_case(h, uuid, want_seg):
    if zoom_standin.zoom_path_segment(uuid) != want_seg:
        raise RuntimeError("test data: encoding of %r" % uuid)
    expect_ok(h.attendees(uuid), uuid, "UUID %r" % uuid)
    segs = [seg_of(p) for p in participant_paths(h)]
    if segs != [want_seg]:
        fail("UUID %r: path segment %r, expected %r" % (uuid, segs, want_seg))


@case("uuid_double_encoded_leading_slash")
def _(h):
    _uuid_case(h, UUID_SLASH, "%252FajXp112QmuoKj4854875%253D%253D")


@case("uuid_double_encoded_double_slash")
def _(h):
    _uuid_case(h, UUID_DSLASH, "Ab%252F%252FcdEFghIJklMNopQRsw%253D%253D")


@case("uuid_single_encoded")
def _(h):
    _uuid_case(h, UUID_PLUS, "JbkqFkfqQ0e7%2BCZluSnc1g%3D%3D")


@case("meeting_not_found")
def _(h):
    expect_error(h.attendees("98765432109"), 404, "meeting_not_found")
    expect_error(h.attendees("ZZZZkfqQ0e7+CZluSnc1g=="), 404,
                 "meeting_not_found", "unknown UUID")
    n = len(participant_paths(h))
    if n != 2:
        fail("%d participants calls, expected 2 (no retry on 404)" % n)


# -- token handling -------------------------------------------------------------

@case("token_reused_across_requests")
def _(h):
    h.fresh()
    for m in (SMALL, EMPTY, UUID_PLUS, SMALL):
        expect_ok(h.attendees(m), m)
    t, p, reqs = zoom_calls(h)
    bearers = {x["auth"] for x in reqs if "/participants" in x["path"]}
    if t != 1 or p != 4 or len(bearers) != 1:
        fail("token_calls %d participants_calls %d bearers %d; expected "
             "1, 4, 1" % (t, p, len(bearers)))


@case("concurrent_requests")
def _(h):
    h.fresh()
    ids = [SMALL, BIG, EMPTY, UUID_SLASH, UUID_DSLASH, UUID_PLUS] * 3
    with concurrent.futures.ThreadPoolExecutor(len(ids)) as ex:
        res = list(ex.map(lambda m: (m, h.attendees(m)), ids))
    for m, r in res:
        expect_ok(r, m, "concurrent %r" % m)
    t, p, _ = zoom_calls(h)
    h.notes.append("%d concurrent requests on a fresh responder: "
                   "%d token call(s)" % (len(ids), t))
    return "%d requests, %d token call(s)" % (len(ids), t)


@case("token_refresh_after_401")
def _(h):
    expect_ok(h.attendees(SMALL), SMALL, "warm-up")
    h.ctl("reset", {"tokens": False})
    h.fault("participants", "revoke_tokens", times=1)
    expect_ok(h.attendees(SMALL), SMALL, "after 401 code 124")
    t, p, reqs = zoom_calls(h)
    bearers = [x["auth"] for x in reqs if "/participants" in x["path"]]
    if t != 1 or p != 2:
        fail("token_calls %d participants_calls %d, expected 1 and 2" % (t, p))
    if bearers[0] == bearers[1]:
        fail("the retry used the rejected token again")
    # And the new token is kept for the next request.
    h.ctl("reset", {"tokens": False})
    expect_ok(h.attendees(SMALL), SMALL, "next request")
    t, p, _ = zoom_calls(h)
    if t != 0:
        fail("the refreshed token was not cached (%d token calls)" % t)


@case("token_expiry_margin")
def _(h):
    # Cached until 5 min before expiry: a token that lives 400 s is reused,
    # one that lives 200 s serves its own request and is then replaced.
    for life, want in ((400, 1), (200, 2)):
        h.fresh()
        h.fault("token", "token_body", times=-1, body={
            "access_token": True, "token_type": "bearer",
            "expires_in": life, "scope": SCOPE})
        for _ in range(2):
            expect_ok(h.attendees(SMALL), SMALL, "expires_in %d" % life)
        t, p, _ = zoom_calls(h)
        if t != want or p != 2:
            fail("expires_in %d: token_calls %d participants_calls %d, "
                 "expected %d and 2" % (life, t, p, want))


@case("token_rejected_twice")
def _(h):
    h.fault("participants", "revoke_tokens", times=2)
    expect_error(h.attendees(SMALL), 502, "zoom_token_rejected")
    t, p, _ = zoom_calls(h)
    if t != 1 or p != 2:
        fail("token_calls %d participants_calls %d, expected 1 and 2 "
             "(one refresh, one retry)" % (t, p))


@case("token_revoked_on_two_pages")
def _(h):
    # Revoked while page 1 is fetched, and again at page 3: each page's
    # refresh works, so the answer is whole. Only a fresh token refused on
    # the same page is final (token_rejected_twice).
    h.fresh()
    h.fault("participants", "revoke_tokens", times=1)
    # skip counts the participants calls after the first fault's: the
    # retry of page 1, then page 2; page 3 is revoked.
    h.fault("participants", "revoke_tokens", times=1, skip=2)
    expect_ok(h.attendees(BIG), BIG, "revoked on pages 1 and 3")
    t, p, _ = zoom_calls(h)
    if t != 3 or p != 5:
        fail("token_calls %d participants_calls %d, expected 3 and 5 "
             "(first token, 2 refreshes; 3 pages, 2 retries)" % (t, p))


@case("token_invalid_client")
def _(h):
    h.fresh()
    h.fault("token", "status", times=-1, status=400, body={
        "reason": "Invalid client_id or client_secret",
        "error": "invalid_client"})
    expect_error(h.attendees(SMALL), 502, "zoom_auth_failed")
    t, p, _ = zoom_calls(h)
    if p != 0:
        fail("participants called without a token (%d calls)" % p)
    # Refused credentials are not retried: another try cannot succeed and
    # spends the token endpoint's limit.
    if t != 1:
        fail("%d token calls for refused credentials, expected 1" % t)
    return "%d token call(s)" % t


@case("token_endpoint_5xx_once")
def _(h):
    h.fresh()
    h.fault("token", "status", status=503,
            body={"reason": "Service Unavailable", "error": "server_error"})
    expect_ok(h.attendees(SMALL), SMALL, "token 503 once")
    t, p, _ = zoom_calls(h)
    if t != 2:
        fail("token_calls %d, expected 2" % t)


@case("token_endpoint_timeout")
def _(h):
    h.fresh()
    h.fault("token", "sleep", seconds=TIMEOUT_MS / 1000.0 + 3)
    r = h.attendees(SMALL)
    expect_error(r, 504, "zoom_timeout", "token endpoint silent")
    if r.elapsed > TIMEOUT_MS / 1000.0 + 1.5:
        fail("answered after %.2f s (budget %.1f s)"
             % (r.elapsed, TIMEOUT_MS / 1000.0))
    return "504 after %.2f s, budget %.1f s" % (r.elapsed, TIMEOUT_MS / 1000.0)


# -- Zoom errors ------------------------------------------------------------------

@case("zoom_5xx_once_then_ok")
def _(h):
    h.fault("participants", "status", status=500,
            body={"code": 500, "message": "Internal Server Error"})
    expect_ok(h.attendees(SMALL), SMALL)
    n = len(participant_paths(h))
    if n != 2:
        fail("%d participants calls, expected 2" % n)


@case("zoom_5xx_persistent")
def _(h):
    h.fault("participants", "status", times=-1, status=502,
            body={"code": 502, "message": "Bad Gateway"})
    r = h.attendees(SMALL)
    expect_error(r, 502, "zoom_unavailable")
    n = len(participant_paths(h))
    if n < 2:
        fail("no retry (%d call)" % n)
    if r.elapsed > TIMEOUT_MS / 1000.0 + 1.5:
        fail("answered after %.2f s" % r.elapsed)
    return "%d calls in %.2f s" % (n, r.elapsed)


@case("zoom_connection_closed_once")
def _(h):
    h.fault("participants", "close")
    expect_ok(h.attendees(SMALL), SMALL, "connection closed once")


@case("zoom_connection_closed_persistent")
def _(h):
    h.fault("participants", "close", times=-1)
    r = h.attendees(SMALL)
    expect_error(r, 502, "zoom_unavailable")
    if r.elapsed > TIMEOUT_MS / 1000.0 + 1.5:
        fail("answered after %.2f s" % r.elapsed)


@case("zoom_429_per_second_retry_after_1")
def _(h):
    h.fault("participants", "status", status=429,
            headers={"Retry-After": "1", "X-RateLimit-Type": "QPS",
                     "X-RateLimit-Category": "Medium"},
            body={"code": 429, "message": "You have reached the maximum "
                  "per-second rate limit for this API. Try again later."})
    r = h.attendees(SMALL)
    expect_ok(r, SMALL, "429 then 200")
    reqs = [x for x in h.stats()["requests"] if "/participants" in x["path"]]
    if len(reqs) != 2:
        fail("%d participants calls, expected 2" % len(reqs))
    gap = reqs[1]["time"] - reqs[0]["time"]
    if gap < 0.9:
        fail("retried %.2f s after Retry-After: 1" % gap)
    return "retried after %.2f s" % gap


@case("zoom_429_without_retry_after")
def _(h):
    h.fault("participants", "status", status=429,
            body={"code": 429, "message": "You have reached the maximum "
                  "per-second rate limit for this API. Try again later."})
    expect_ok(h.attendees(SMALL), SMALL, "429 (no headers) then 200")


@case("zoom_429_persistent")
def _(h):
    h.fresh()
    h.fault("participants", "status", status=429, times=-1,
            headers={"Retry-After": "1", "X-RateLimit-Type": "QPS"},
            body={"code": 429, "message": "You have reached the maximum "
                  "per-second rate limit for this API. Try again later."})
    r = h.attendees(SMALL)
    expect_error(r, 503, "rate_limited")
    ra = r.header("Retry-After")
    if ra is None or not re.fullmatch(r"\d+", ra) or int(ra) < 1:
        fail("Retry-After %r is not a number of seconds" % ra)
    if r.elapsed > TIMEOUT_MS / 1000.0 + 1.5:
        fail("answered after %.2f s" % r.elapsed)
    # Zoom's 1 s Retry-After honoured within the budget: more than one try,
    # never more than the exchange's four.
    calls = len(participant_paths(h))
    if not 2 <= calls <= 4:
        fail("%d participants calls, expected 2 to 4" % calls)
    return "%d calls in %.2f s" % (calls, r.elapsed)


@case("zoom_429_daily_limit")
def _(h):
    until = datetime.datetime.now(datetime.timezone.utc).replace(
        microsecond=0) + datetime.timedelta(hours=2)
    iso = until.strftime("%Y-%m-%dT%H:%M:%SZ")
    h.fault("participants", "status", status=429, times=-1,
            headers={"Retry-After": iso, "X-RateLimit-Type": "Daily-limit",
                     "X-RateLimit-Category": "Medium",
                     "X-RateLimit-Limit": "2000",
                     "X-RateLimit-Remaining": "0"},
            body={"code": 429, "message": "You have reached the maximum daily "
                  "rate limit for this API. Refer to the response header for "
                  "details on when you can make another request."})
    r = h.attendees(SMALL)
    expect_error(r, 503, "rate_limited")
    ra = r.header("Retry-After")
    if ra is None or not re.fullmatch(r"\d+", ra):
        fail("Retry-After %r, expected seconds" % ra)
    left = (until - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    if abs(int(ra) - left) > 15:
        fail("Retry-After %s, expected about %d" % (ra, left))
    n = len(participant_paths(h))
    if n != 1:
        fail("%d participants calls: retried a daily limit" % n)
    if r.elapsed > 1.0:
        fail("took %.2f s: should answer at once" % r.elapsed)


@case("zoom_timeout")
def _(h):
    h.fault("participants", "sleep", seconds=TIMEOUT_MS / 1000.0 + 3)
    r = h.attendees(SMALL)
    expect_error(r, 504, "zoom_timeout")
    if r.elapsed > TIMEOUT_MS / 1000.0 + 1.5:
        fail("answered after %.2f s (budget %.1f s)"
             % (r.elapsed, TIMEOUT_MS / 1000.0))
    if r.elapsed < TIMEOUT_MS / 1000.0 - 0.5:
        fail("gave up after %.2f s, before the budget" % r.elapsed)
    return "504 after %.2f s, budget %.1f s" % (r.elapsed, TIMEOUT_MS / 1000.0)


@case("zoom_http_300")
def _(h):
    h.fault("participants", "status", status=300, body={
        "code": 300, "message": "Cannot access meeting information:%s." % SMALL})
    expect_error(h.attendees(SMALL), 502, "zoom_bad_response")


@case("zoom_not_json")
def _(h):
    h.fault("participants", "not_json", times=-1)
    expect_error(h.attendees(SMALL), 502, "zoom_bad_response")


@case("zoom_missing_scope_4711")
def _(h):
    h.fault("participants", "status", status=400, times=-1, body={
        "code": 4711, "message": "Invalid access token, does not contain "
        "scopes:[%s]." % SCOPE})
    j = expect_error(h.attendees(SMALL), 502, "zoom_missing_scope")
    if SCOPE not in j["message"]:
        fail("message does not name the scope: %r" % j["message"])


@case("zoom_permission_denied_200")
def _(h):
    h.fault("participants", "status", status=400, times=-1, body={
        "code": 200, "message": "Only available for Paid or ZMP account: x."})
    expect_error(h.attendees(SMALL), 502, "zoom_permission_denied")


@case("client_abort_keeps_responder_healthy")
def _(h):
    h.fault("participants", "sleep", seconds=1.5)
    try:
        h.attendees(SMALL, timeout=0.3, record=False)
    except (socket.timeout, TimeoutError, OSError):
        pass
    time.sleep(1.6)
    expect_ok(h.attendees(SMALL), SMALL, "after a client gave up")


# -- robustness: Zoom misbehaving in ways the contract groups as "unexpected".
# The exact code may reasonably differ, so each accepts a small set; what
# must hold is a JSON 5xx within the budget and a responder that lives on.

BUDGET_SLACK = 1.5      # seconds past ZOOM_TIMEOUT_MS an answer may take


def within_budget(r, what, budget_ms=None):
    budget = (budget_ms or TIMEOUT_MS) / 1000.0
    if r.elapsed > budget + BUDGET_SLACK:
        fail("%s: answered after %.2f s (budget %.1f s)"
             % (what, r.elapsed, budget))


def next_request_ok(h, what):
    """The fault is gone: the same process serves the next request."""
    h.ctl("reset", {"tokens": False})
    expect_ok(h.attendees(SMALL), SMALL, "%s, then the next request" % what)


def _robust(h, target, kind, codes, **kw):
    kw.setdefault("times", -1)
    if target == "token":
        h.fresh()
    h.fault(target, kind, **kw)
    r = h.attendees(SMALL)
    j = r.json()
    got = (r.status, j.get("error") if isinstance(j, dict) else None)
    if got not in codes:
        fail("%s: got %d %s, expected one of %s" % (
            kind, r.status, short(r.body, 150),
            ", ".join("%d %s" % c for c in codes)))
    expect_error(r, got[0], got[1], kind)
    within_budget(r, kind)
    h.fault_paths = participant_paths(h)    # before the next request
    next_request_ok(h, kind)
    return "%d %s in %.2f s" % (got[0], got[1], r.elapsed)


BAD = (502, "zoom_bad_response")
UNAVAILABLE = (502, "zoom_unavailable")
TIMEOUT = (504, "zoom_timeout")


@case("robust_reset_mid_body")
def _(h):
    return _robust(h, "participants", "reset_mid_body", [UNAVAILABLE, BAD])


@case("robust_short_body")
def _(h):
    return _robust(h, "participants", "short_body", [UNAVAILABLE, BAD])


@case("robust_connection_reset")
def _(h):
    return _robust(h, "participants", "reset", [UNAVAILABLE])


@case("robust_invalid_utf8")
def _(h):
    return _robust(h, "participants", "invalid_utf8", [BAD])


@case("robust_deep_nesting")
def _(h):
    return _robust(h, "participants", "deep_nesting", [BAD])


@case("robust_wrong_types")
def _(h):
    out = [_robust(h, "participants", "wrong_types", [BAD])]
    for body in ({"page_count": 1, "page_size": 300, "total_records": 1,
                  "next_page_token": "", "participants": "nobody"},
                 {"page_count": 1, "page_size": 300, "total_records": 1,
                  "next_page_token": ["x"], "participants": []},
                 [{"id": "x"}], "participants", 42, None):
        h.ctl("reset", {"tokens": False})
        _robust(h, "participants", "wrong_types", [BAD], body=body)
    return out[0]


@case("robust_endless_body")
def _(h):
    return _robust(h, "participants", "endless_body", [BAD, TIMEOUT],
                   max_seconds=TIMEOUT_MS / 1000.0 + 2)


@case("robust_trickle_past_budget")
def _(h):
    return _robust(h, "participants", "trickle", [TIMEOUT],
                   chunk_size=16, interval=0.2)


@case("robust_endless_next_page_token")
def _(h):
    note = _robust(h, "participants", "endless_next_page_token",
                   [BAD, TIMEOUT])
    return "%s, %d pages fetched" % (note, len(h.fault_paths))


@case("robust_token_without_access_token")
def _(h):
    return _robust(h, "token", "token_body", [BAD, (502, "zoom_auth_failed")],
                   body={"token_type": "bearer", "expires_in": 3600,
                         "scope": SCOPE})


@case("robust_token_expires_in_zero")
def _(h):
    out = []
    for e in (0, -5, "3600", None):
        h.fresh()
        h.fault("token", "token_body", times=-1, body={
            "access_token": True, "token_type": "bearer", "expires_in": e,
            "scope": SCOPE})
        r = h.attendees(SMALL)
        j = r.json()
        got = (r.status, j.get("error") if isinstance(j, dict) else None)
        if got not in (BAD, (502, "zoom_auth_failed")):
            fail("expires_in %r: got %d %s" % (e, r.status, short(r.body, 150)))
        out.append("%r: %d %s" % (e, got[0], got[1]))
    return "; ".join(out)


@case("robust_token_not_json")
def _(h):
    return _robust(h, "token", "not_json", [BAD, (502, "zoom_auth_failed")])


# -- fault injection: the rest of the list in issue 4. Each case checks the
# documented status, an answer inside ZOOM_TIMEOUT_MS (+ BUDGET_SLACK), and
# that the responder then serves the next request.

def _closed_port_url(path):
    """A loopback URL where nothing listens: connection refused."""
    return "http://127.0.0.1:%d%s" % (free_port(), path)


def _refused(h, setting, path):
    env = h.base_env(**{setting: _closed_port_url(path)})
    h.restart_responder(env)
    try:
        h.ctl("reset", {"tokens": True})
        out = []
        for i in range(2):      # the same process, twice: it stays usable
            r = h.attendees(SMALL)
            expect_error(r, 502, "zoom_unavailable", "%s refused, request %d"
                         % (setting, i + 1))
            within_budget(r, "%s refused" % setting)
            # Refused is transient: retried with backoff (at least
            # 100 + 200 + 400 ms between the 4 tries).
            if r.elapsed < 0.6:
                fail("%s refused: answered after %.2f s, without the retries"
                     % (setting, r.elapsed))
            out.append("%.2f s" % r.elapsed)
        if h.wait_healthy(3.0) is not True:
            fail("%s refused: healthz fails afterwards" % setting)
        t, p, _ = zoom_calls(h)
        if setting == "ZOOM_API_BASE" and t != 1:
            fail("%d token calls, expected 1 (kept while the API is down)" % t)
    finally:
        h.restart_responder()
    next_request_ok(h, "%s refused" % setting)
    return "502 zoom_unavailable after %s" % ", ".join(out)


@case("fault_connection_refused_api")
def _(h):
    return _refused(h, "ZOOM_API_BASE", "/v2")


@case("fault_connection_refused_token")
def _(h):
    return _refused(h, "ZOOM_TOKEN_URL", "/oauth/token")


@case("fault_token_endpoint_down_cached_token")
def _(h):
    # The runner leaves a valid token cached in the responder. The token
    # endpoint then fails in every way it can: the cached token keeps
    # serving, and the endpoint is never asked.
    v = Variants()
    for kind, kw in (("status", dict(status=503, body={
                         "reason": "Service Unavailable",
                         "error": "server_error"})),
                     ("reset", {}), ("close", {}), ("not_json", {}),
                     ("sleep", dict(seconds=TIMEOUT_MS / 1000.0 + 2))):
        with v:
            h.ctl("reset", {"tokens": False})
            h.fault("token", kind, times=-1, **kw)
            for m in (SMALL, BIG):
                r = h.attendees(m)
                expect_ok(r, m, "token endpoint %s, cached token" % kind)
                within_budget(r, "token endpoint %s" % kind)
            t, p, _ = zoom_calls(h)
            if t != 0:
                fail("token endpoint %s: %d token call(s) while a cached "
                     "token was valid" % (kind, t))
    v.done()
    # Down, and Zoom now rejects the cached token: a refresh is needed and
    # cannot happen: 502 zoom_unavailable, at once (no waiting out a budget).
    h.ctl("reset", {"tokens": False})
    h.fault("token", "status", times=-1, status=503, body={
        "reason": "Service Unavailable", "error": "server_error"})
    h.fault("participants", "revoke_tokens", times=1)
    r = h.attendees(SMALL)
    expect_error(r, 502, "zoom_unavailable", "cached token revoked, token "
                 "endpoint down")
    within_budget(r, "cached token revoked, token endpoint down")
    next_request_ok(h, "token endpoint down")


@case("fault_token_endpoint_down_cache_file")
def _(h):
    # Across processes: a CGI run fills ZOOM_TOKEN_CACHE; later runs find
    # the token endpoint refusing connections and serve from the file.
    h.ctl("reset", {"tokens": True})
    d = os.path.join(h.tmp, "cache-down")
    os.mkdir(d)
    env = {"ZOOM_TOKEN_CACHE": os.path.join(d, "zoom-token")}
    expect_ok(h.cgi(body={"zoomCallId": SMALL}, env=env), SMALL, "CGI fill")
    env["ZOOM_TOKEN_URL"] = _closed_port_url("/oauth/token")
    for m in (SMALL, EMPTY):
        r = h.cgi(body={"zoomCallId": m}, env=env)
        expect_ok(r, m, "CGI, token endpoint refused, cached file")
        within_budget(r, "CGI with a cached file")
    t, p, _ = zoom_calls(h)
    if t != 1 or p != 3:
        fail("token_calls %d participants_calls %d, expected 1 and 3" % (t, p))


def _rate_limited_at_once(h, headers, want_ra, what, target="participants"):
    if target == "token":
        h.fresh()
        body = {"reason": "Too Many Requests", "error": "rate_limited"}
    else:
        body = {"code": 429, "message": "You have reached the maximum daily "
                "rate limit for this API."}
    h.fault(target, "status", status=429, times=-1, headers=headers,
            body=body)
    r = h.attendees(SMALL)
    expect_error(r, 503, "rate_limited", what)
    ra = r.header("Retry-After")
    if ra is None or not re.fullmatch(r"\d+", ra):
        fail("%s: Retry-After %r, expected seconds" % (what, ra))
    lo, hi = want_ra
    if not lo <= int(ra) <= hi:
        fail("%s: Retry-After %s, expected %d to %d" % (what, ra, lo, hi))
    st = h.stats()
    n = st["token_calls"] if target == "token" else \
        len(participant_paths(h))
    if n != 1:
        fail("%s: %d %s calls, expected 1 (no retry)" % (what, n, target))
    if r.elapsed > 1.0:
        fail("%s: took %.2f s: should answer at once" % (what, r.elapsed))
    next_request_ok(h, what)
    return ra


@case("fault_429_retry_after_http_date")
def _(h):
    # RFC 9110 HTTP-date forms, no X-RateLimit-Type header: a date means
    # "not before then", so 503 at once with the seconds left.
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    until = now + datetime.timedelta(minutes=30)
    left = int((until - now).total_seconds())
    forms = [
        ("IMF-fixdate", until.strftime("%a, %d %b %Y %H:%M:%S GMT")),
        ("RFC 850", until.strftime("%A, %d-%b-%y %H:%M:%S GMT")),
        ("asctime", until.strftime("%a %b ") + "%2d" % until.day +
         until.strftime(" %H:%M:%S %Y")),
        ("ISO 8601", until.strftime("%Y-%m-%dT%H:%M:%SZ")),
    ]
    v = Variants()
    got = []
    for name, value in forms:
        with v:
            h.ctl("reset", {"tokens": False})
            got.append("%s: %s" % (name, _rate_limited_at_once(
                h, {"Retry-After": value}, (left - 15, left + 2),
                "Retry-After %s %r" % (name, value))))
    with v:     # a date already past: retry at once, so at most 1 s
        h.ctl("reset", {"tokens": False})
        past = (now - datetime.timedelta(minutes=5)).strftime(
            "%a, %d %b %Y %H:%M:%S GMT")
        _rate_limited_at_once(h, {"Retry-After": past}, (0, 1),
                              "Retry-After in the past %r" % past)
    v.done()
    return "; ".join(got)


@case("fault_429_retry_after_beyond_budget")
def _(h):
    # Seconds, but more than the budget allows waiting: answer at once.
    ra = _rate_limited_at_once(h, {"Retry-After": "120",
                                   "X-RateLimit-Type": "QPS"}, (119, 121),
                               "Retry-After: 120")
    return "Retry-After %s" % ra


@case("fault_429_token_endpoint")
def _(h):
    ra = _rate_limited_at_once(h, {"Retry-After": "30"}, (29, 31),
                               "token endpoint 429", target="token")
    return "Retry-After %s" % ra


@case("fault_401_code_124_twice")
def _(h):
    # Zoom rejects the token, and then the freshly issued one too: one
    # refresh, one retry, 502 zoom_token_rejected, never a loop. On the
    # first page and on a later page of a paged meeting.
    out = []
    for meeting, skip, pages in ((SMALL, 0, 0), (BIG, 1, 1)):
        h.ctl("reset", {"tokens": False})
        h.fault("participants", "revoke_tokens", times=2, skip=skip)
        r = h.attendees(meeting)
        what = "401 code 124 twice on page %d" % (pages + 1)
        expect_error(r, 502, "zoom_token_rejected", what)
        within_budget(r, what)
        t, p, reqs = zoom_calls(h)
        if t != 1 or p != pages + 2:
            fail("%s: token_calls %d participants_calls %d, expected 1 and %d"
                 % (what, t, p, pages + 2))
        bearers = [x["auth"] for x in reqs if "/participants" in x["path"]]
        if bearers[-1] == bearers[-2]:
            fail("%s: the retry used the rejected token" % what)
        next_request_ok(h, what)
        out.append("page %d: %d calls in %.2f s" % (pages + 1, t + p,
                                                    r.elapsed))
    return "; ".join(out)


@case("fault_trickle_one_byte_a_second")
def _(h):
    return _robust(h, "participants", "trickle", [TIMEOUT],
                   chunk_size=1, interval=1.0)


# -- Zoom's HTTP as it is: chunked pages, connections closed without a
# word, Zoom-sized tokens that expire, compressed answers (issue 12).

@contextlib.contextmanager
def one_worker(h):
    """The responder with one worker thread for the block: consecutive
    requests are then served by the same thread, over its one connection
    to Zoom. The usual responder again afterwards."""
    h.restart_responder(h.base_env(ZOOM_ATTENDEES_THREADS="1"))
    try:
        yield
    finally:
        h.restart_responder()


def page_requests(h):
    return [x for x in h.stats()["requests"] if "/participants" in x["path"]]


@case("chunked_pages")
def _(h):
    h.mode(chunked=True)
    for m in (SMALL, BIG, EMPTY):
        expect_ok(h.attendees(m), m, "chunked pages, %s" % m)
    expect_error(h.attendees("98765432109"), 404, "meeting_not_found",
                 "chunked 404")
    expect_ok(h.cgi(body={"zoomCallId": BIG}), BIG, "CGI, chunked pages")
    pages = page_requests(h)
    few = [x["path"] for x in pages if x.get("chunks", 0) < 3]
    if few:
        fail("answers not in several chunks: %r" % few)
    return "%d answers in %d chunks" % (len(pages),
                                        sum(x["chunks"] for x in pages))


@case("kept_connection_closed_after_answer")
def _(h):
    # Zoom closes a connection right after an answer that promised to keep
    # it (no Connection: close). The next request on it must go out on a
    # fresh connection: 200 every time, each page asked for once.
    with one_worker(h):
        h.mode(silent_close=True)
        meetings = (SMALL, SMALL, BIG, SMALL)
        rs = [h.attendees(m) for m in meetings]
        for i, (m, r) in enumerate(zip(meetings, rs)):
            expect_ok(r, m, "request %d after a silent close" % (i + 1))
            within_budget(r, "request %d after a silent close" % (i + 1))
        pages = page_requests(h)
        if len(pages) != 6 or len({x["conn"] for x in pages}) != 6:
            fail("%d page requests over %d connections, expected 6 and 6"
                 % (len(pages), len({x["conn"] for x in pages})))
    h.ctl("reset", {"tokens": False})
    h.mode(silent_close=True)
    expect_ok(h.cgi(body={"zoomCallId": BIG}), BIG, "CGI, 3 pages")
    n = len(page_requests(h))
    if n != 3:
        fail("CGI: %d page requests for 3 pages" % n)
    return "slowest %.2f s" % max(r.elapsed for r in rs)


def resent_once(h, what):
    """Each request the stand-in dropped (close_kept) came again, at once,
    on a new connection, and was answered there."""
    reqs = h.stats()["requests"]
    dropped = [i for i, x in enumerate(reqs) if x.get("dropped")]
    if not dropped:
        fail("%s: no request came on a kept connection (nothing tested)"
             % what)
    for i in dropped:
        nxt = reqs[i + 1] if i + 1 < len(reqs) else None
        if nxt is None or nxt["path"] != reqs[i]["path"] or \
                nxt.get("dropped") or nxt["conn_request"] != 1:
            fail("%s: %s was not sent again on a new connection"
                 % (what, reqs[i]["path"]))
        if nxt["time"] - reqs[i]["time"] > 0.5:
            fail("%s: %s sent again only after %.2f s (a retry, not a "
                 "reconnection)" % (what, reqs[i]["path"],
                                    nxt["time"] - reqs[i]["time"]))
    answered = [x["path"] for x in reqs if not x.get("dropped") and
                "/participants" in x["path"]]
    return len(dropped), answered


@case("kept_connection_closed_under_next_request")
def _(h):
    # The race of a server's keep-alive timeout: the connection is closed
    # when the next request arrives on it, unanswered. Nothing of an answer
    # came, so the request is sent again on a new connection.
    with one_worker(h):
        h.mode(close_kept=True)
        meetings = (SMALL, SMALL, BIG)
        rs = [h.attendees(m) for m in meetings]
        for i, (m, r) in enumerate(zip(meetings, rs)):
            expect_ok(r, m, "request %d on a kept connection" % (i + 1))
            within_budget(r, "request %d on a kept connection" % (i + 1))
        n, answered = resent_once(h, "FastCGI")
        if len(answered) != 5:
            fail("%d pages answered, expected 5: %r" % (len(answered),
                                                        answered))
    h.ctl("reset", {"tokens": False})
    h.mode(close_kept=True)
    expect_ok(h.cgi(body={"zoomCallId": BIG}), BIG, "CGI, 3 pages")
    m, answered = resent_once(h, "CGI")
    if len(answered) != 3:
        fail("CGI: %d pages answered, expected 3" % len(answered))
    return "%d + %d requests sent again, slowest answer %.2f s" % (
        n, m, max(r.elapsed for r in rs))


def _jwt_runs(h):
    """One request through nginx (the FastCGI process) and one CGI run
    (its token in a cache file), each: (name, Resp)."""
    d = os.path.join(h.tmp, "cache-jwt")
    os.makedirs(d, exist_ok=True)
    env = {"ZOOM_TOKEN_CACHE": os.path.join(d, "zoom-token")}
    return [("FastCGI", h.attendees(SMALL)),
            ("CGI", h.cgi(body={"zoomCallId": SMALL}, env=env))]


def _jwt_round(h, what):
    for name, r in _jwt_runs(h):
        expect_ok(r, SMALL, "%s, %s" % (name, what))


def _jwt_sized(st):
    """The tokens issued and the Bearer tokens sent: Zoom's size and
    shape (three dotted pieces, 1000 to 1200 characters)."""
    sent = {x["auth"][7:] for x in st["requests"]
            if "/participants" in x["path"]}
    odd = [len(t) for t in sent if not 1000 <= len(t) <= 1200 or
           t.count(".") != 2]
    odd += [t["length"] for t in st["tokens_issued"]
            if not 1000 <= t["length"] <= 1200]
    if odd:
        fail("tokens not JWT-sized: lengths %r" % odd)


@case("jwt_token_refreshed_before_expiry")
def _(h):
    # Zoom-sized tokens that live 302 s: 2 s past the responder's 5-minute
    # margin, so it may use one until issue + 2 s (real clock). Once the
    # first tokens are out, the stand-in's clock jumps 299 s: it rejects
    # them from issue + 3 s. A request at issue + 3.3 s must bring a new
    # token, fetched before use: the stand-in never answers 401.
    h.fresh()
    h.mode(jwt=True, expires_in=302)
    _jwt_round(h, "first token")
    issued = time.time()            # both tokens were issued before this
    h.ctl("clock", {"advance": 299})
    _jwt_round(h, "token reused")
    st = h.stats()
    if st["token_calls"] != 2:
        fail("%d token calls for 2 processes, before expiry (expected 2)"
             % st["token_calls"])
    time.sleep(max(0.0, issued + 3.3 - time.time()))
    _jwt_round(h, "after the token's use")
    st = h.stats()
    _jwt_sized(st)
    if st["expired_token_401s"] or st["invalid_token_401s"]:
        fail("the stand-in answered 401 (%d expired, %d invalid): the "
             "token was used too long" % (st["expired_token_401s"],
                                          st["invalid_token_401s"]))
    if st["token_calls"] != 4:
        fail("%d token calls, expected 4 (2 processes, 2 tokens each)"
             % st["token_calls"])


@case("jwt_token_expired_early_refreshed")
def _(h):
    # The other way round: Zoom says the token has expired while the
    # responder thinks it lives (the clocks disagree by an hour). 401 code
    # 124 "Access token is expired.": a new token, and the page again.
    h.fresh()
    h.mode(jwt=True)
    _jwt_round(h, "first token")
    h.ctl("clock", {"advance": 3601})
    _jwt_round(h, "token expired for Zoom")
    st = h.stats()
    _jwt_sized(st)
    if st["expired_token_401s"] != 2 or st["token_calls"] != 4:
        fail("%d 401s for an expired token, %d token calls; expected 2 and "
             "4" % (st["expired_token_401s"], st["token_calls"]))


@case("zoom_400_code_3001")
def _(h):
    # "Meeting does not exist", as a 400 and as a 404: not found, no retry.
    v = Variants()
    for status in (400, 404):
        with v:
            h.ctl("reset", {"tokens": False})
            h.fault("participants", "zoom_error", code=3001, status=status,
                    times=-1)
            what = "%d code 3001" % status
            expect_error(h.attendees(SMALL), 404, "meeting_not_found", what)
            expect_error(h.cgi(body={"zoomCallId": SMALL}), 404,
                         "meeting_not_found", "CGI, " + what)
            n = len(participant_paths(h))
            if n != 2:
                fail("%s: %d participants calls, expected 2 (no retry)"
                     % (what, n))
    v.done()


@case("zoom_400_code_1010")
def _(h):
    # "User does not belong to this account": the app cannot see it.
    h.fault("participants", "zoom_error", code=1010, times=-1)
    for r in (h.attendees(SMALL), h.cgi(body={"zoomCallId": SMALL})):
        expect_error(r, 502, "zoom_permission_denied", "%s, 400 code 1010"
                     % r.via)
        if ACCOUNT_ID.encode() in r.body:
            fail("%s: Zoom's message passed on: %s" % (r.via, short(r.body)))
    n = len(participant_paths(h))
    if n != 2:
        fail("%d participants calls, expected 2 (no retry)" % n)


@case("compressed_answers")
def _(h):
    # The responder asks for compressed answers and hands on exactly the
    # bytes it does with plain ones, whichever coding Zoom picks.
    plain = {}
    h.mode(compress="off")
    for m in (SMALL, BIG):
        r = h.attendees(m)
        expect_ok(r, m, "plain answers")
        plain[m] = r.body
    sizes = ["plain %d B" % sum(x["wire_bytes"] for x in page_requests(h))]
    v = Variants()
    for coding in ("gzip", "deflate"):
        with v:
            h.ctl("reset", {"tokens": False})
            h.mode(compress=coding)
            rs = [(m, h.attendees(m)) for m in (SMALL, BIG)]
            rs.append((BIG, h.cgi(body={"zoomCallId": BIG})))
            for m, r in rs:
                expect_ok(r, m, "%s, %s" % (r.via, coding))
                if r.body != plain[m]:
                    fail("%s, %s: the answer differs from the plain one"
                         % (r.via, coding))
            expect_error(h.attendees("98765432109"), 404, "meeting_not_found",
                         "%s 404" % coding)
            st = h.stats()
            pages = [x for x in st["requests"] if "/participants" in x["path"]]
            unasked = [x["accept_encoding"] for x in pages
                       if not zoom_standin.acceptable(
                           zoom_standin.accepted_codings(
                               x["accept_encoding"]), coding)]
            if unasked:
                fail("%s not asked for (Accept-Encoding %r)" % (
                    coding, unasked[0]))
            if any(x["content_encoding"] != coding for x in pages):
                fail("answers not in %s" % coding)
            if st["participants_wire_bytes"] * 2 > \
                    st["participants_identity_bytes"]:
                fail("%s: %d bytes on the wire for %d plain" % (
                    coding, st["participants_wire_bytes"],
                    st["participants_identity_bytes"]))
            sizes.append("%s %d B" % (coding, sum(x["wire_bytes"]
                                                  for x in pages[:4])))
    v.done()
    return "4 pages on the wire: " + ", ".join(sizes)


@case("robust_compression_bomb")
def _(h):
    # A few KiB that inflate to 20 MiB, past the 8 MiB page cap.
    out = _robust(h, "participants", "compression_bomb", [BAD])
    h.ctl("reset", {"tokens": False})
    _robust(h, "participants", "compression_bomb", [BAD], encoding="deflate",
            fill="string", inflated_mib=9)
    return out


# -- attendance (issue 13): coach, client, minimumSeconds, startTime -------
#
# The stand-in's attendance meetings (zoom_standin.ATT) each show one rule;
# every verdict is asked through nginx (FastCGI) and as plain CGI, and the
# answer is checked whole: Zoom's rows unchanged, then one "attendance"
# member whose persons are compared with what the rows prove.

ATT = zoom_standin.ATT
ATT_BASE = zoom_standin.ATT_BASE
RECURRING = zoom_standin.RECURRING
COACH = {"email": zoom_standin.COACH_EMAIL, "name": zoom_standin.COACH_NAME}
CLIENT = {"email": zoom_standin.CLIENT_EMAIL}
GUEST = {"name": zoom_standin.CLIENT_NAME}
COMPLETED = "Completed"
NO_SHOW = "No Show"
NEVER_HELD = "Session Never Took Place"
COACH_NO_SHOW = "Coach No Show"
ATT_RETRY_AFTER = 60        # handler.c: Retry-After when rows are not ready
COACH_ROWS = ("Ada Lovelace", "Ada Lovelace (iPhone)")
CLIENT_ROWS = ("Grace Hopper", "Grace Hopper (iPhone)",
               "  grace   HOPPER - Android")


def att_body(meeting, coach=COACH, client=CLIENT, **extra):
    """A request body naming the coach and the client (None: not named)."""
    b = {"zoomCallId": meeting}
    if coach is not None:
        b["coach"] = coach
    if client is not None:
        b["client"] = client
    b.update(extra)
    return b


def both_ways(h, body):
    """The same request through nginx to the FastCGI process, and as a
    plain CGI run."""
    return [h.post(body), h.cgi(body=body)]


def iso(minutes, base=ATT_BASE):
    return (base + datetime.timedelta(minutes=minutes)).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def person(attended, seconds, joins, matched, rows, first=None, last=None,
           waiting_only=False, base=ATT_BASE):
    """The person object att_write_json writes; first and last in minutes
    after base (None: not written)."""
    p = {"attended": attended, "seconds": seconds, "joins": joins,
         "matchedBy": matched, "rows": rows}
    if first is not None:
        p["firstJoin"] = iso(first, base)
    if last is not None:
        p["lastLeave"] = iso(last, base)
    if waiting_only:
        p["waitingRoomOnly"] = True
    return p


NOBODY = person(False, 0, 0, "none", [])
ANY = object()      # expect_verdict: the person is there, not compared


def split_attendance(r, what):
    """(the answer without its attendance member, that member's bytes):
    the attendance member must be spliced in last, after participants."""
    key = b',"attendance":'
    i = r.body.rfind(key)
    if i < 0 or not r.body.endswith(b"}"):
        fail("%s: no attendance member at the end: %s" % (what,
                                                         short(r.body)))
    plain, att = r.body[:i] + b"}", r.body[i + len(key):-1]
    try:
        if not isinstance(json.loads(att), dict):
            raise ValueError("not an object")
    except ValueError as e:
        fail("%s: attendance member %r: %s" % (what, short(att), e))
    return plain, att


def expect_verdict(r, meeting, status, people, coach=None, client=None,
                   coach_rows=COACH_ROWS, client_rows=CLIENT_ROWS, what=""):
    """200, the meeting's rows as Zoom sent them, and "attendance" equal to
    {"status", "coach" (if expected), "client" (if expected), "people"}.
    Each person's "rows" must point, in the same answer, at participants
    whose name is one of coach_rows / client_rows."""
    what = what or r.via
    j = expect_ok(r, meeting, what, attendance=True)
    split_attendance(r, what)
    att = j["attendance"]
    order = ["status"] + [k for k, v in (("coach", coach), ("client", client))
                          if v is not None] + ["people"]
    if not isinstance(att, dict) or list(att) != order:
        fail("%s: attendance members %s, expected %s: %s" % (
            what, list(att) if isinstance(att, dict) else att, order,
            json.dumps(att)))
    if att["status"] != status:
        fail("%s: status %r, expected %r: %s" % (what, att["status"], status,
                                                 json.dumps(att)))
    if att["people"] != people:
        fail("%s: people %r, expected %d" % (what, att["people"], people))
    for who, want, names in (("coach", coach, coach_rows),
                             ("client", client, client_rows)):
        if want is None or want is ANY:
            continue
        got = att[who]
        if got != want:
            fail("%s: %s is %s, expected %s" % (
                what, who, json.dumps(got, sort_keys=True),
                json.dumps(want, sort_keys=True)))
        parts = j["participants"]
        for i in got["rows"]:
            if not 0 <= i < len(parts) or parts[i].get("name") not in names:
                fail("%s: %s rows index %d points at %s" % (
                    what, who, i, json.dumps(parts[i]) if 0 <= i < len(parts)
                    else "nothing"))
    return att


def calls_of(h):
    """{target: [paths]} of the Zoom REST calls made since the last reset."""
    out = {"participants": [], "meeting": [], "instances": []}
    for x in h.stats()["requests"]:
        p = x["path"].split("?")[0].split("/")
        if len(p) == 4 and p[2] == "past_meetings":
            out["meeting"].append(x["path"])
        elif len(p) == 5 and p[4] in out:
            out[p[4]].append(x["path"])
    return out


def expect_calls(h, what, participants=None, meeting=0, instances=0):
    """How many calls each REST endpoint got (participants: None, any)."""
    c = calls_of(h)
    got = (len(c["participants"]), len(c["meeting"]), len(c["instances"]))
    want = (got[0] if participants is None else participants, meeting,
            instances)
    if got != want:
        fail("%s: %d participants, %d meeting, %d instances calls; expected "
             "%d, %d, %d: %s" % ((what,) + got + want + (c,)))
    return c


# Every rule, one meeting each: (label, meeting, body, status, people,
# coach, client). Minutes are after 2026-11-20T10:00:00Z.
VERDICTS = [
    ("rejoin", ATT["rejoin"], att_body(ATT["rejoin"]), COMPLETED, 2,
     person(True, 28 * 60, 2, "email", [0, 2], 0, 30),
     person(True, 27 * 60, 2, "email", [1, 3], 1, 30)),
    # The phone row's email is in another case: still the coach; its 15
    # minutes lie inside the laptop's 30 and are not added.
    ("two devices", ATT["devices"], att_body(ATT["devices"]), COMPLETED, 2,
     person(True, 30 * 60, 2, "email", [0, 2], 0, 30),
     person(True, 30 * 60, 1, "email", [1], 0, 30)),
    # 0-25 and the failover row 24-40: 40 minutes, not 41.
    ("failover", ATT["failover"], att_body(ATT["failover"], client=GUEST),
     COMPLETED, 2,
     person(True, 40 * 60, 2, "email", [0, 2], 0, 40),
     person(True, 40 * 60, 1, "name", [1], 0, 40)),
    ("waiting room only", ATT["waiting"],
     att_body(ATT["waiting"], client=GUEST), NO_SHOW, 2,
     person(True, 55 * 60, 1, "email", [0], 0, 55),
     person(False, 0, 1, "name", [1], waiting_only=True)),
    # A guest: Zoom hides the email the caller knows, so the name decides
    # (case and blanks aside); the waiting-room row is a join, no time.
    ("guest by name", ATT["guest"],
     att_body(ATT["guest"], client={"email": "grace.hopper@gmail.com",
                                    "name": " grace  HOPPER "}),
     COMPLETED, 2,
     person(True, 30 * 60, 1, "email", [0], 0, 30),
     person(True, 26 * 60, 2, "name", [1, 2], 2, 28)),
    # "(iPhone)", " - Android", blanks and case: one person; "(Sales)" is
    # not a device, so someone else.
    ("device tags", ATT["device_tags"],
     att_body(ATT["device_tags"], client=GUEST), COMPLETED, 4,
     person(True, 30 * 60, 1, "email", [2], 0, 30),
     person(True, 25 * 60, 3, "name", [0, 1, 3], 0, 30)),
    # Unicode: upper case with a device tag and a decomposed spelling are
    # the name the caller typed in composed lower case.
    ("unicode names", ATT["device_tags"],
     att_body(ATT["device_tags"], client={"name": "jos\u00e9 m\u00fcller"}),
     COMPLETED, 4,
     person(True, 30 * 60, 1, "email", [2], 0, 30),
     person(True, 20 * 60, 2, "name", [5, 6], 0, 20)),
    # Two persons are called Sam Lee: by name alone it is nobody's.
    ("ambiguous name", ATT["ambiguous"],
     att_body(ATT["ambiguous"], client={"name": "Sam Lee"}), NO_SHOW, 3,
     person(True, 30 * 60, 1, "email", [0], 0, 30),
     person(False, 0, 0, "ambiguous", [])),
    ("ambiguous name, email decides", ATT["ambiguous"],
     att_body(ATT["ambiguous"], client={"name": "Sam Lee",
                                        "email": "SAM2@example.com"}),
     COMPLETED, 3,
     person(True, 30 * 60, 1, "email", [0], 0, 30),
     person(True, 30 * 60, 1, "email", [2], 0, 30)),
    ("coach absent", ATT["coach_absent"],
     att_body(ATT["coach_absent"], client={"email": zoom_standin.CLIENT_EMAIL,
                                           "name": "Grace Hopper"}),
     COACH_NO_SHOW, 2, NOBODY,
     person(True, 30 * 60, 1, "email", [0], 0, 30)),
    ("neither came", ATT["strangers"], att_body(ATT["strangers"]),
     NEVER_HELD, 2, NOBODY, NOBODY),
    ("minimumSeconds 60, stayed 60 s", ATT["short"],
     att_body(ATT["short"], minimumSeconds=60), COMPLETED, 2,
     person(True, 30 * 60, 1, "email", [0], 0, 30),
     person(True, 60, 1, "email", [1], 10, 11)),
    ("minimumSeconds 61, stayed 60 s", ATT["short"],
     att_body(ATT["short"], minimumSeconds=61), NO_SHOW, 2,
     person(True, 30 * 60, 1, "email", [0], 0, 30),
     person(False, 60, 1, "email", [1], 10, 11)),
    ("only the coach named: no status", ATT["rejoin"],
     att_body(ATT["rejoin"], client=None), None, 2,
     person(True, 28 * 60, 2, "email", [0, 2], 0, 30), None),
    ("only the client named: no status", ATT["rejoin"],
     att_body(ATT["rejoin"], coach=None), None, 2,
     None, person(True, 27 * 60, 2, "email", [1, 3], 1, 30)),
]


# The names of the rows a person's "rows" may point at, where they are not
# COACH_ROWS and CLIENT_ROWS.
CLIENT_ROW_NAMES = {
    "unicode names": ("JOS\u00c9 M\u00dcLLER (iPad)",
                      "Jose\u0301 Mu\u0308ller"),
    "ambiguous name, email decides": ("sam lee (iPhone)",),
}


def _verdict_cases(h, table):
    v = Variants()
    out = []
    for label, meeting, body, status, people, coach, client in table:
        with v:
            h.ctl("reset", {"tokens": False})
            for r in both_ways(h, body):
                expect_verdict(r, meeting, status, people, coach, client,
                               client_rows=CLIENT_ROW_NAMES.get(
                                   label, CLIENT_ROWS),
                               what="%s, %s" % (label, r.via))
            # Rows came: the meeting's record is not needed.
            expect_calls(h, label, participants=2)
            out.append(label)
    v.done()
    return "%d verdicts, each through nginx and CGI" % len(out)


@case("attendance_rules")
def _(h):
    return _verdict_cases(h, VERDICTS)


@case("attendance_every_verdict")
def _(h):
    # The four words, end to end, in one case each (the rules above give
    # them too): rows give all four; no rows give the two below as well.
    got = set()
    for label, meeting, body, status, people, coach, client in VERDICTS:
        if status is not None and status not in got:
            h.ctl("reset", {"tokens": False})
            for r in both_ways(h, body):
                att = expect_verdict(r, meeting, status, people, coach,
                                     client, client_rows=CLIENT_ROW_NAMES.get(
                                         label, CLIENT_ROWS), what=label)
            got.add(att["status"])
    if got != {COMPLETED, NO_SHOW, NEVER_HELD, COACH_NO_SHOW}:
        fail("verdicts seen: %s" % sorted(got))
    return ", ".join(sorted(got))


@case("attendance_across_pages")
def _(h):
    # 650 rows in 3 pages: "rows" index the merged answer, so a person on
    # page 2 and one on page 3 (a guest, by name) point at the right rows;
    # one seen only in the waiting room is named so.
    base = datetime.datetime(2025, 2, 11, 9, 0, 0)
    for r in both_ways(h, att_body(BIG, coach={"email": "P301@example.com"},
                                   client={"name": "participant 605"})):
        expect_verdict(r, BIG, COMPLETED, 650,
                       person(True, 90 * 60, 1, "email", [301], 1, 91,
                              base=base),
                       person(True, 75 * 60, 1, "name", [605], 5, 80,
                              base=base),
                       coach_rows=("Participant 301",),
                       client_rows=("Participant 605",),
                       what="3 pages, %s" % r.via)
    r = h.post(att_body(BIG, coach={"email": "p005@example.com"},
                        client={"name": "Nobody Here"}))
    expect_verdict(r, BIG, NEVER_HELD, 650,
                   person(False, 0, 1, "email", [5], waiting_only=True),
                   NOBODY, coach_rows=("Participant 005",),
                   what="waiting room on page 1")
    expect_calls(h, "3 pages", participants=9)


@case("attendance_concurrent")
def _(h):
    # Every rule at once, twice over, with plain requests between: each
    # worker's rows are its own request's.
    jobs = [("verdict", x) for x in VERDICTS] * 2 + \
        [("plain", m) for m in (SMALL, BIG, ATT["rejoin"])] * 3
    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        res = list(ex.map(lambda j: (j, h.post(
            j[1][2] if j[0] == "verdict" else {"zoomCallId": j[1]})), jobs))
    v = Variants()
    for (kind, x), r in res:
        with v:
            if kind == "plain":
                expect_ok(r, x, "concurrent plain %s" % x)
                continue
            label, meeting, body, status, people, coach, client = x
            expect_verdict(r, meeting, status, people, coach, client,
                           client_rows=CLIENT_ROW_NAMES.get(label,
                                                            CLIENT_ROWS),
                           what="concurrent %s" % label)
    v.done()
    return "%d requests, 16 at a time" % len(jobs)


@case("attendance_escaped_rows")
def _(h):
    # Zoom may escape what it sends: an email with "\u0040", a name in
    # escapes with a device tag, a surrogate pair, a null email. The rows
    # are matched on their decoded text and handed on as sent, escapes
    # and all.
    row = ('{"id":"%s","user_id":"%d","name":"%s","user_email":%s,'
           '"join_time":"2026-11-20T10:%02d:00Z",'
           '"leave_time":"2026-11-20T10:%02d:00Z","duration":%d,'
           '"failover":false,"status":"in_meeting","registrant_id":""}')
    rows = [row % (zoom_standin.COACH_ID, 1, "Ada Lovelace",
                   '"coach\\u0040example.com"', 0, 30, 1800),
            row % ("", 2, "Gr\\u0061ce \\u0048opper \\u0028iPhone\\u0029",
                   '""', 5, 25, 1200),
            row % ("", 3, "JOS\\u00c9 \\ud83d\\ude00 \\/ \\\"x\\\"", "null",
                   0, 10, 600)]
    page = ('{"page_count":1,"page_size":300,"total_records":3,'
            '"next_page_token":"","participants":[%s]}'
            % ",".join(rows)).encode()
    want = merged_document([page], "escaped rows")
    v = Variants()
    for way in ("nginx", "CGI"):
        with v:
            h.ctl("reset", {"tokens": False})
            h.fault("participants", "wrong_types", times=-1,
                    body=page.decode())
            body = att_body(ATT["rejoin"], client=GUEST)
            r = h.post(body) if way == "nginx" else h.cgi(body=body)
            if r.status != 200:
                fail("%s: %r" % (way, r))
            rest, _ = split_attendance(r, way)
            if rest != want:
                fail("%s: the rows were not handed on as sent: %s"
                     % (way, short(rest)))
            att = r.json()["attendance"]
            exp = {"status": COMPLETED, "people": 3,
                   "coach": person(True, 1800, 1, "email", [0], 0, 30),
                   "client": person(True, 1200, 1, "name", [1], 5, 25)}
            if att != exp:
                fail("%s: attendance %s, expected %s" % (
                    way, json.dumps(att, sort_keys=True),
                    json.dumps(exp, sort_keys=True)))
    v.done()


@case("attendance_decomposed_names")
def _(h):
    # Zoom hands names on as the device typed them, sometimes decomposed
    # (NFD): "E" + U+0301 is the "\u00c9" the caller types, first letter
    # included; and the other way round.
    m = ATT["decomposed"]
    v = Variants()
    for label, client, rows, first, last in (
            ("NFD first letter in the row", {"name": "\u00c9milie Dubois"},
             [1], 0, 30),
            ("NFD inside the row's name", {"name": "No\u00ebl Martin"},
             [2], 5, 25),
            ("NFD from the caller", {"name": "E\u0301milie Dubois"},
             [1], 0, 30)):
        with v:
            h.ctl("reset", {"tokens": False})
            for r in both_ways(h, att_body(m, client=client)):
                expect_verdict(r, m, COMPLETED, 3,
                               person(True, 30 * 60, 1, "email", [0], 0, 30),
                               person(True, (last - first) * 60, 1, "name",
                                      rows, first, last),
                               client_rows=("E\u0301milie Dubois",
                                            "Noe\u0308l Martin"),
                               what="%s, %s" % (label, r.via))
    v.done()


@case("attendance_rows_robust")
def _(h):
    # Rows Zoom should not send but might: a name or an email that decodes
    # to more than any name. The row has no usable name or email; the rest
    # of the meeting still gives its verdict (or, at worst, Zoom's answer
    # is refused as unusable) but the responder never fails (500).
    row = ('{"id":"%s","user_id":"%d","name":"%s","user_email":"%s",'
           '"join_time":"2026-11-20T10:00:00Z",'
           '"leave_time":"2026-11-20T10:30:00Z","duration":1800,'
           '"failover":false,"status":"in_meeting","registrant_id":""}')
    coach = row % (zoom_standin.COACH_ID, 1, "Ada Lovelace",
                   zoom_standin.COACH_EMAIL)
    client = row % ("", 3, "Grace Hopper", "")
    v = Variants()
    for label, odd in (
            ("escaped name of 5,000 characters",
             row % ("", 2, "\\u0041" * 5000, "")),
            ("escaped email of 5,000 characters",
             row % ("", 2, "Someone", "\\u0061" * 5000 + "@example.com")),
            ("raw name of 5,000 characters", row % ("", 2, "A" * 5000, "")),
            ("name not UTF-8 once decoded", row % ("", 2, "\\udc00x", ""))):
        with v:
            page = ('{"page_count":1,"page_size":300,"total_records":3,'
                    '"next_page_token":"","participants":[%s]}'
                    % ",".join((coach, odd, client)))
            h.ctl("reset", {"tokens": False})
            h.fault("participants", "wrong_types", times=-1, body=page)
            for r in both_ways(h, att_body(ATT["rejoin"], client=GUEST)):
                what = "%s, %s" % (label, r.via)
                if r.status == 502:
                    expect_error(r, 502, "zoom_bad_response", what)
                    continue
                if r.status != 200:
                    fail("%s: %d %s" % (what, r.status, short(r.body)))
                att = r.json()["attendance"]
                if att["status"] != COMPLETED or att["client"]["rows"] != [2]:
                    fail("%s: %s" % (what, json.dumps(att)))
    v.done()


# -- no rows: the meeting's record decides -----------------------------------

@case("attendance_no_rows_host_alone")
def _(h):
    # Zoom lists nobody for a person alone; the record says 1 participant
    # and names the host: the coach (in another case), there 45 minutes.
    m = ATT["alone"]
    rec_path = "/v2/past_meetings/%s" % m
    for r in both_ways(h, att_body(m, client=GUEST)):
        expect_verdict(r, m, NO_SHOW, 1,
                       person(True, 45 * 60, 1, "host", [], 0, 45), NOBODY,
                       what="host alone, %s" % r.via)
    c = expect_calls(h, "host alone", participants=2, meeting=2)
    if c["meeting"] != [rec_path] * 2:
        fail("record asked at %r, expected %s" % (c["meeting"], rec_path))
    st = h.stats()
    valid = {"Bearer " + t for t in st["valid_tokens"]}
    for x in st["requests"]:
        if x["path"] == rec_path and x["auth"] not in valid:
            fail("the record asked without a valid Bearer token")
    # The record proves only the host: the coach named by name alone, or
    # another host, or too short a meeting is nobody's attendance.
    v = Variants()
    for label, body in (
            ("coach by name only", att_body(m, coach={"name": "Ada Lovelace"},
                                            client=GUEST)),
            ("another coach", att_body(m, coach={"email": "x@example.com"})),
            ("minimumSeconds past its length",
             att_body(m, client=GUEST, minimumSeconds=45 * 60 + 1))):
        with v:
            h.ctl("reset", {"tokens": False})
            r = h.post(body)
            att = expect_verdict(r, m, NEVER_HELD, 1, ANY, ANY, what=label)
            if att["coach"]["attended"]:
                fail("%s: coach attended: %s" % (label, json.dumps(att)))
            if label.startswith("minimum"):
                if att["coach"] != person(False, 45 * 60, 1, "host", [],
                                          0, 45):
                    fail("%s: coach %s" % (label, json.dumps(att["coach"])))
            elif att["coach"] != NOBODY:
                fail("%s: coach %s" % (label, json.dumps(att["coach"])))
    v.done()


@case("attendance_no_rows_no_record")
def _(h):
    # No rows and no record (404 code 3001): it never took place, and the
    # 404 of the record is not the caller's 404.
    m = ATT["never"]
    for r in both_ways(h, att_body(m, client=GUEST)):
        expect_verdict(r, m, NEVER_HELD, 0, NOBODY, NOBODY,
                       what="no record, %s" % r.via)
    expect_calls(h, "no record", participants=2, meeting=2)
    # The same with a record whose 3001 comes as a 400.
    h.ctl("reset", {"tokens": False})
    h.fault("meeting", "zoom_error", code=3001, status=400, meeting=m)
    expect_verdict(h.post(att_body(m)), m, NEVER_HELD, 0, NOBODY, NOBODY,
                   what="record 400 code 3001")


@case("attendance_no_rows_not_ready")
def _(h):
    # No rows, but the record counts 3: their rows are not listed yet. No
    # verdict: 503 attendance_not_ready with Retry-After.
    m = ATT["not_ready"]
    for r in both_ways(h, att_body(m)):
        expect_error(r, 503, "attendance_not_ready", "not ready, %s" % r.via)
        ra = r.header("Retry-After")
        if ra is None or not re.fullmatch(r"\d+", ra) or int(ra) < 1:
            fail("%s: Retry-After %r" % (r.via, ra))
        if int(ra) != ATT_RETRY_AFTER:
            fail("%s: Retry-After %s, expected %d" % (r.via, ra,
                                                      ATT_RETRY_AFTER))
        if b"attendance\"" in r.body or b"Completed" in r.body:
            fail("%s: a verdict in the error: %s" % (r.via, short(r.body)))
    expect_calls(h, "not ready", participants=2, meeting=2)
    lines = [ln for ln in r.stderr.decode("utf-8", "replace").splitlines()
             if "status=503" in ln]
    if len(lines) != 1 or "zoom_calls=3" not in lines[0]:
        fail("CGI log line: %r (expected status=503, zoom_calls=3: token, "
             "participants, record)" % lines)
    # Without coach and client, the same meeting is Zoom's empty answer.
    h.ctl("reset", {"tokens": False})
    expect_ok(h.attendees(m), m, "not ready, without coach and client")
    expect_calls(h, "without coach and client", participants=1)


@case("attendance_meeting_not_found_stays_404")
def _(h):
    # Zoom's 404 / 3001 on the participants call is 404 meeting_not_found,
    # with or without coach and client: the record is never asked, and
    # no verdict is made from it.
    v = Variants()
    for label, meeting, fault in (
            ("unknown meeting", "98765432109", None),
            ("unknown UUID", "ZZZZkfqQ0e7+CZluSnc1g==", None),
            ("404 code 3001", ATT["rejoin"], 404),
            ("400 code 3001", ATT["rejoin"], 400)):
        with v:
            h.ctl("reset", {"tokens": False})
            if fault:
                h.fault("participants", "zoom_error", code=3001,
                        status=fault, times=-1)
            for r in both_ways(h, att_body(meeting)):
                expect_error(r, 404, "meeting_not_found",
                             "%s, %s" % (label, r.via))
            expect_calls(h, label, participants=2)
    v.done()


@case("attendance_meeting_found_after_attempts")
def _(h):
    # A meeting that has just ended: Zoom says "does not exist" twice, then
    # lists it. 404, 404, then the verdict.
    m = ATT["rejoin"]
    h.fault("participants", "zoom_error", code=3001, status=404, times=2,
            meeting=m)
    for i in range(2):
        expect_error(h.post(att_body(m)), 404, "meeting_not_found",
                     "attempt %d" % (i + 1))
    label, _, body, status, people, coach, client = VERDICTS[0]
    expect_verdict(h.post(body), m, status, people, coach, client,
                   what="attempt 3")
    expect_calls(h, "found on attempt 3", participants=3)


# -- recurring meetings: startTime picks the occurrence ----------------------

def _occurrence(h, start, want_uuid, status, coach, client, people,
                what, body=None):
    m = ATT["recurring"]
    body = body or att_body(m, client={"email": zoom_standin.CLIENT_EMAIL},
                            startTime=start)
    for r in both_ways(h, body):
        if status is False:
            expect_ok(r, want_uuid, "%s, %s" % (what, r.via))
        else:
            expect_verdict(r, want_uuid, status, people, coach, client,
                           what="%s, %s" % (what, r.via))
    c = expect_calls(h, what, participants=2, instances=2)
    want = ["/v2/past_meetings/%s/instances" % m] * 2
    if c["instances"] != want:
        fail("%s: instances asked at %r, expected %r" % (what, c["instances"],
                                                         want))
    segs = [seg_of(p) for p in c["participants"]]
    seg = zoom_standin.zoom_path_segment(want_uuid)
    if segs != [seg, seg]:
        fail("%s: participants asked for %r, expected %r" % (what, segs, seg))


@case("attendance_recurring_start_time")
def _(h):
    (u1, b1), (u2, b2), (u3, b3) = RECURRING
    both = person(True, 30 * 60, 1, "email", [0], 0, 30, base=b1)
    v = Variants()
    for label, start, uuid, status, coach, client, people in (
            # Closest start, 5 minutes off: the second occurrence ("//").
            ("5 min after the 2nd", "2026-11-13T10:05:00Z", u2, NO_SHOW,
             person(True, 30 * 60, 1, "email", [0], 0, 30, base=b2),
             NOBODY, 2),
            # An offset: 20:59Z, 10 h 59 min after the first (leading '/').
            ("offset +01:00, 11 h after the 1st",
             "2026-11-06T21:59:00+01:00", u1, COMPLETED, both,
             person(True, 28 * 60, 1, "email", [1], 2, 30, base=b1), 2),
            # Exactly 12 hours is within.
            ("exactly 12 h after the 2nd", "2026-11-13T22:00:00Z", u2,
             NO_SHOW, person(True, 30 * 60, 1, "email", [0], 0, 30, base=b2),
             NOBODY, 2),
            # The third ('+', encoded once), from an hour before.
            ("1 h before the 3rd", "2026-11-20T09:00:00.250Z", u3,
             COACH_NO_SHOW, NOBODY,
             person(True, 30 * 60, 1, "email", [0], 0, 30, base=b3), 1)):
        with v:
            h.ctl("reset", {"tokens": False})
            _occurrence(h, start, uuid, status, coach, client, people,
                        label)
    # startTime without coach and client: that occurrence's rows, no
    # verdict.
    with v:
        h.ctl("reset", {"tokens": False})
        _occurrence(h, None, u2, False, None, None, None, "no coach/client",
                    body={"zoomCallId": ATT["recurring"],
                          "startTime": "2026-11-13T10:05:00Z"})
    v.done()


@case("attendance_recurring_latest_without_start_time")
def _(h):
    # The numeric id alone is the latest occurrence (Zoom's rule), and
    # no instances are asked.
    m = ATT["recurring"]
    u3, b3 = RECURRING[-1]
    for r in both_ways(h, att_body(m)):
        expect_verdict(r, m, COACH_NO_SHOW, 1, NOBODY,
                       person(True, 30 * 60, 1, "email", [0], 0, 30, base=b3))
        if r.json()["participants"] != DATASET[u3]:
            fail("not the latest occurrence's rows")
    c = expect_calls(h, "no startTime", participants=2)
    if [seg_of(p) for p in c["participants"]] != [m, m]:
        fail("participants asked for %r" % c["participants"])


@case("attendance_recurring_none_within_12h")
def _(h):
    m = ATT["recurring"]
    v = Variants()
    for label, start in (("3 days 12 h from both", "2026-11-16T22:00:00Z"),
                         ("12 h and 1 s after the 2nd",
                          "2026-11-13T22:00:01Z"),
                         ("a year later", "2027-11-13T10:00:00Z")):
        with v:
            h.ctl("reset", {"tokens": False})
            for r in both_ways(h, att_body(m, startTime=start)):
                j = expect_error(r, 404, "meeting_not_found",
                                 "%s, %s" % (label, r.via))
                if "12 hours" not in j["message"]:
                    fail("%s: the message does not say why: %r"
                         % (label, j["message"]))
            expect_calls(h, label, participants=0, instances=2)
    # A numeric id Zoom does not know: its instances are 404 too.
    with v:
        h.ctl("reset", {"tokens": False})
        r = h.post(att_body("98765432109", startTime="2026-11-13T10:00:00Z"))
        expect_error(r, 404, "meeting_not_found", "unknown meeting")
        expect_calls(h, "unknown meeting", participants=0, instances=1)
    v.done()


@case("attendance_start_time_one_off_and_uuid")
def _(h):
    # A one-off meeting has one instance, itself: startTime near its start
    # reaches the same rows by its UUID.
    uuid = zoom_standin.build_records(DATASET)[SMALL]["uuid"]
    h.ctl("reset", {"tokens": False})
    for r in both_ways(h, {"zoomCallId": SMALL,
                           "startTime": "2025-03-04T15:10:00Z"}):
        expect_ok(r, SMALL, "one-off meeting with startTime, %s" % r.via)
    c = expect_calls(h, "one-off", participants=2, instances=2)
    seg = zoom_standin.zoom_path_segment(uuid)
    if [seg_of(p) for p in c["participants"]] != [seg, seg]:
        fail("one-off: participants asked for %r, expected %s"
             % (c["participants"], seg))
    # A UUID is an occurrence already: startTime asks nothing more.
    u1, b1 = RECURRING[0]
    h.ctl("reset", {"tokens": False})
    for r in both_ways(h, att_body(u1, startTime="2030-01-01T00:00:00Z")):
        expect_verdict(r, u1, COMPLETED, 2,
                       person(True, 30 * 60, 1, "email", [0], 0, 30, base=b1),
                       person(True, 28 * 60, 1, "email", [1], 2, 30, base=b1),
                       what="UUID with a far startTime, %s" % r.via)
    expect_calls(h, "UUID with startTime", participants=2)


@case("attendance_occurrence_without_rows")
def _(h):
    # The chosen occurrence lists no rows yet: its own record (asked by its
    # UUID, encoded twice for "//") decides; it counts 2 people: not ready.
    m = ATT["recurring"]
    u2, _ = RECURRING[1]
    h.fault("participants", "wrong_types", times=-1, meeting=u2, body={
        "page_count": 1, "page_size": 300, "total_records": 0,
        "next_page_token": "", "participants": []})
    for r in both_ways(h, att_body(m, startTime="2026-11-13T10:05:00Z")):
        expect_error(r, 503, "attendance_not_ready", r.via)
    c = expect_calls(h, "occurrence without rows", participants=2,
                     meeting=2, instances=2)
    want = "/v2/past_meetings/%s" % zoom_standin.zoom_path_segment(u2)
    if c["meeting"] != [want, want]:
        fail("record asked at %r, expected %s" % (c["meeting"], want))


# -- Zoom's faults on the two new endpoints ----------------------------------

@case("attendance_zoom_faults")
def _(h):
    alone, rec = ATT["alone"], person(True, 45 * 60, 1, "host", [], 0, 45)
    rec_ok = (alone, NO_SHOW, 1, rec, NOBODY)
    occ = ATT["recurring"]
    u2, b2 = RECURRING[1]
    occ_ok = (u2, NO_SHOW, 2,
              person(True, 30 * 60, 1, "email", [0], 0, 30, base=b2), NOBODY)
    occ_body = att_body(occ, client=CLIENT, startTime="2026-11-13T10:05:00Z")
    v = Variants()
    for label, target, kind, kw, body, want in (
            ("record 503 once", "meeting", "status",
             dict(status=503, body={"code": 503, "message": "Unavailable"}),
             att_body(alone, client=GUEST), rec_ok),
            ("record 5xx always", "meeting", "status",
             dict(status=502, times=-1, body={"code": 502, "message": "x"}),
             att_body(alone), UNAVAILABLE),
            ("record token revoked", "meeting", "revoke_tokens", {},
             att_body(alone, client=GUEST), rec_ok),
            ("record not JSON", "meeting", "not_json", dict(times=-1),
             att_body(alone), BAD),
            ("record an array", "meeting", "wrong_types",
             dict(times=-1, body=[{"participants_count": 1}]),
             att_body(alone), BAD),
            ("record 429 daily", "meeting", "status",
             dict(status=429, times=-1, headers={
                 "Retry-After": "120", "X-RateLimit-Type": "Daily-limit"},
                 body={"code": 429, "message": "daily limit"}),
             att_body(alone), (503, "rate_limited")),
            ("record missing scope", "meeting", "status",
             dict(status=400, times=-1, body={
                 "code": 4711, "message": "Invalid access token, does not "
                 "contain scopes:[meeting:read:past_meeting:admin]."}),
             att_body(alone), (502, "zoom_missing_scope")),
            ("instances 503 once", "instances", "status",
             dict(status=503, body={"code": 503, "message": "Unavailable"}),
             occ_body, occ_ok),
            ("instances token revoked", "instances", "revoke_tokens", {},
             occ_body, occ_ok),
            ("instances 5xx always", "instances", "status",
             dict(status=500, times=-1, body={"code": 500, "message": "x"}),
             occ_body, UNAVAILABLE),
            ("instances not JSON", "instances", "not_json", dict(times=-1),
             occ_body, BAD),
            ("instances wrong shape", "instances", "wrong_types",
             dict(times=-1, body={"meetings": {"uuid": u2}}), occ_body, BAD),
            ("instances timeout", "instances", "sleep",
             dict(seconds=TIMEOUT_MS / 1000.0 + 2), occ_body, TIMEOUT),
            ("no instances at all", "instances", "wrong_types",
             dict(times=-1, body={"meetings": []}), occ_body,
             (404, "meeting_not_found"))):
        with v:
            h.ctl("reset", {"tokens": False})
            h.fault(target, kind, **kw)
            r = h.post(body)
            within_budget(r, label)
            if len(want) == 2:
                expect_error(r, want[0], want[1], label)
                if want[0] == 503 and not re.fullmatch(
                        r"\d+", r.header("Retry-After") or ""):
                    fail("%s: Retry-After %r" % (label,
                                                 r.header("Retry-After")))
            else:
                m, status, people, coach, client = want
                expect_verdict(r, m, status, people, coach, client,
                               what=label)
    v.done()


@case("attendance_record_without_count")
def _(h):
    # A record that does not say how many came proves nothing: no verdict
    # from missing data (handler.c's own rule), so never "Session Never
    # Took Place" for a meeting whose record lacks participants_count.
    alone = ATT["alone"]
    rec = dict(zoom_standin.build_records(DATASET)[alone])
    v = Variants()
    for label, change in (("participants_count absent", None),
                          ("participants_count a string", "1"),
                          ("participants_count null", "null")):
        with v:
            h.ctl("reset", {"tokens": False})
            body = dict(rec)
            if change is None:
                del body["participants_count"]
            else:
                body["participants_count"] = None if change == "null" \
                    else change
            h.fault("meeting", "wrong_types", times=-1, body=body)
            r = h.post(att_body(alone, client=GUEST))
            j = r.json()
            if r.status == 200:
                fail("%s: a verdict from a record without a count: %s"
                     % (label, json.dumps(j.get("attendance"))))
            expect_error(r, 502, "zoom_bad_response", label)
    v.done()


@case("attendance_instances_hostile_uuids")
def _(h):
    # Only what a caller could send reaches a URL: instances whose uuid is
    # a path, a numeric id or too long are passed over, even when closer.
    m = ATT["recurring"]
    u2, b2 = RECURRING[1]
    near = [("../../users/me", "2026-11-13T10:04:00Z"),
            ("81300000001", "2026-11-13T10:04:10Z"),
            ("1234567890123456789012", "2026-11-13T10:04:20Z"),
            ("A" * 40, "2026-11-13T10:04:30Z"),
            ("ReCuRr1nG0cc UrReNcE3w==", "2026-11-13T10:04:40Z"),
            (7, "2026-11-13T10:04:50Z"),
            (u2, "2026-11-13T10:00:00Z"),
            ("/ReCuRr1nG0ccUrReNcE1A==", "yesterday")]
    h.fault("instances", "wrong_types", times=-1, body={"meetings": [
        {"uuid": u, "start_time": t} for u, t in near]})
    for r in both_ways(h, att_body(m, startTime="2026-11-13T10:05:00Z")):
        expect_verdict(r, u2, NO_SHOW, 2,
                       person(True, 30 * 60, 1, "email", [0], 0, 30, base=b2),
                       person(False, 0, 0, "none", []),
                       what="hostile uuids, %s" % r.via)
    c = expect_calls(h, "hostile uuids", participants=2, instances=2)
    seg = zoom_standin.zoom_path_segment(u2)
    if [seg_of(p) for p in c["participants"]] != [seg, seg]:
        fail("participants asked for %r" % c["participants"])


# -- status words --------------------------------------------------------------

WORD_ENV = {
    "ATTENDANCE_STATUS_COMPLETED": "Done \u2713",
    "ATTENDANCE_STATUS_NO_SHOW": "Client \"absent\" \\ no-show",
    "ATTENDANCE_STATUS_NEVER_HELD": "Nie odby\u0142o si\u0119",
    "ATTENDANCE_STATUS_COACH_NO_SHOW": "coach_no_show",
}


def _word_rows():
    """(meeting, body, default word, variable) for each verdict."""
    by = {COMPLETED: "ATTENDANCE_STATUS_COMPLETED",
          NO_SHOW: "ATTENDANCE_STATUS_NO_SHOW",
          NEVER_HELD: "ATTENDANCE_STATUS_NEVER_HELD",
          COACH_NO_SHOW: "ATTENDANCE_STATUS_COACH_NO_SHOW"}
    out, seen = [], set()
    for label, meeting, body, status, _, _, _ in VERDICTS:
        if status in by and status not in seen:
            seen.add(status)
            out.append((meeting, body, status, by[status]))
    return out


@case("attendance_status_words_configurable")
def _(h):
    # The FastCGI process with ATTENDANCE_STATUS_NO_SHOW set: that word
    # for No Show, the defaults for the rest.
    word = WORD_ENV["ATTENDANCE_STATUS_NO_SHOW"]
    h.restart_responder(h.base_env(ATTENDANCE_STATUS_NO_SHOW=word))
    try:
        v = Variants()
        for meeting, body, default, var in _word_rows():
            with v:
                want = word if var == "ATTENDANCE_STATUS_NO_SHOW" else default
                got = h.post(body).json().get("attendance", {}).get("status")
                if got != want:
                    fail("FastCGI, %s set: %r for a %s, expected %r"
                         % ("ATTENDANCE_STATUS_NO_SHOW", got, default, want))
        # The host-alone verdict takes the word too.
        with v:
            r = h.post(att_body(ATT["alone"], client=GUEST))
            if r.json().get("attendance", {}).get("status") != word:
                fail("host alone: %s" % short(r.body))
        v.done()
    finally:
        h.restart_responder()
    # As CGI, all four set.
    v = Variants()
    for meeting, body, default, var in _word_rows():
        with v:
            r = h.cgi(body=body, env=WORD_ENV)
            got = r.json().get("attendance", {}).get("status")
            if got != WORD_ENV[var]:
                fail("CGI with all four words: %r for a %s, expected %r"
                     % (got, default, WORD_ENV[var]))
    v.done()
    # A word that cannot go into JSON or a record: the configuration is
    # incomplete (500 as CGI), never a broken answer.
    for bad in ("x" * 101, "tab\there", "\u0085next line"):
        with v:
            r = h.cgi(body=_word_rows()[0][1],
                      env={"ATTENDANCE_STATUS_COMPLETED": bad})
            expect_error(r, 500, "server_misconfigured",
                         "ATTENDANCE_STATUS_COMPLETED %r" % short(bad, 20))
    v.done()


# -- the new 400s: refused before anything reaches Zoom ----------------------

ATT_BAD = {
    "invalid_coach": ("coach", [
        "coach@example.com", None, True, 7, [], [COACH], {}, {"email": ""},
        {"name": ""}, {"email": "", "name": ""}, {"email": None},
        {"email": 5}, {"name": ["Ada"]}, {"name": {"first": "Ada"}},
        {"email": "not-an-email"}, {"email": "@example.com"},
        {"email": "coach@"}, {"email": "a@b@example.com"},
        {"email": "coach @example.com"}, {"email": " coach@example.com"},
        {"email": "coach@example.com\t"}, {"email": "x" * 250 + "@e.com"},
        {"name": "x" * 256}, {"name": "\u00e9" * 128},
        {"name": "Ada\u0007"}, {"name": "Ada\nLovelace"},
        {"name": "Ada\u007f"}, {"name": "Ada\u0085"},
        {"name": "Ada\u0000"}, {"other": "x"}]),
    "invalid_minimum_seconds": ("minimumSeconds", [
        -1, 86401, 1000000, 10 ** 20, 1.5, 60.0, 1e2, "60", None, True,
        [60], {}]),
    "invalid_start_time": ("startTime", [
        "yesterday", "", "2026-11-20", "2026-11-20 10:00:00Z",
        "2026-11-20T10:00:00", "2026-11-20T10:00Z", "20261120T100000Z",
        "2026-13-01T10:00:00Z", "2026-00-10T10:00:00Z",
        "2026-11-32T10:00:00Z", "2026-11-20T24:00:00Z",
        "2026-11-20T10:60:00Z", "2026-11-20T10:00:00+25:00",
        "2026-11-20T10:00:00Zjunk", "1969-12-31T23:59:59Z",
        "2026-11-20T10:00:00Z\u0000", " 2026-11-20T10:00:00Z",
        "2026-11-20T10:00:00 Z", 1795168800, None, True, [], {}]),
}
ATT_BAD["invalid_client"] = ("client", ATT_BAD["invalid_coach"][1])

# Raw bodies: escapes and a member given twice.
ATT_BAD_RAW = [
    (b'{"zoomCallId":"81100000001","coach":{"name":"Ada","name":"Bob"}}',
     "invalid_coach"),
    (b'{"zoomCallId":"81100000001","client":{"email":"a@b.c",'
     b'"email":"d@e.f"}}', "invalid_client"),
    (b'{"zoomCallId":"81100000001","client":{"name":"Ada\\u0000x"}}',
     "invalid_client"),
    (b'{"zoomCallId":"81100000001","coach":{"name":"Ada\\u001bLovelace"}}',
     "invalid_coach"),
    (b'{"zoomCallId":"81100000001","minimumSeconds":060}', "invalid_json"),
    (b'{"zoomCallId":"81100000001","minimumSeconds":-0}',
     "invalid_minimum_seconds"),
    (b'{"zoomCallId":"81100000001","minimumSeconds":6e1}',
     "invalid_minimum_seconds"),
    (b'{"zoomCallId":"81100000001","minimumSeconds":1,"minimumSeconds":2}',
     "invalid_json"),
    (b'{"zoomCallId":"81100000001","startTime":"2026-11-20T10:00:00\\u005a"}',
     None),     # \u005a is "Z": valid once decoded
]


@case("attendance_invalid_fields")
def _(h):
    v = Variants()
    n = 0
    for code, (member, values) in sorted(ATT_BAD.items()):
        for val in values:
            with v:
                body = att_body(ATT["rejoin"])
                body[member] = val
                what = "%s %s" % (member, short(json.dumps(val), 40))
                for r in both_ways(h, body):
                    expect_error(r, 400, code, "%s, %s" % (what, r.via))
                n += 1
    for raw, code in ATT_BAD_RAW:
        if code is None:
            continue
        with v:
            for r in (h.post(raw), h.cgi(body=raw)):
                expect_error(r, 400, code, "body %s, %s" % (raw.decode(),
                                                            r.via))
            n += 1
    v.done()
    expect_no_zoom_call(h, "invalid attendance fields")
    # The valid one among the raw bodies: the escape decodes to "Z".
    for raw, code in ATT_BAD_RAW:
        if code is None:
            for r in (h.post(raw), h.cgi(body=raw)):
                expect_ok(r, ATT["rejoin"], "body %s" % raw.decode())
    return "%d bodies refused, through nginx and CGI" % n


@case("attendance_start_time_calendar")
def _(h):
    # Times that are not times: no 30th of February, no fraction without
    # digits. Refused like the others, before any call.
    v = Variants()
    for bad in ("2026-02-30T10:00:00Z", "2026-02-29T10:00:00Z",
                "2026-04-31T10:00:00Z", "2026-11-20T10:00:00.Z"):
        with v:
            h.ctl("reset", {"tokens": False})
            r = h.post(att_body(ATT["recurring"], startTime=bad))
            expect_error(r, 400, "invalid_start_time", "startTime %r" % bad)
            expect_no_zoom_call(h, "startTime %r" % bad)
    v.done()


@case("attendance_invalid_fields_nothing_sent")
def _(h):
    # Zero calls of any kind (token, participants, record, instances) for
    # every new 400, even on a fresh process and a fresh stand-in.
    h.fresh()
    for code, (member, values) in sorted(ATT_BAD.items()):
        body = att_body(ATT["recurring"], startTime="2026-11-13T10:05:00Z")
        body[member] = values[0]
        for r in both_ways(h, body):
            expect_error(r, 400, code, "%s, %s" % (member, r.via))
    st = h.stats()
    calls = (st["token_calls"], st["participants_calls"],
             st["meeting_calls"], st["instances_calls"])
    if calls != (0, 0, 0, 0) or st["requests"]:
        fail("calls to the stand-in (token, participants, meeting, "
             "instances): %s" % (calls,))


@case("attendance_valid_field_edges")
def _(h):
    # The edges that are valid: 255-byte name, 0 and 86400 seconds, a
    # fractional second and an offset in startTime, an empty client email
    # beside a name, unknown members ignored.
    m = ATT["rejoin"]
    v = Variants()
    for label, body in (
            ("255-byte name", att_body(m, coach={"name": "x" * 255,
                                                 "email": COACH["email"]})),
            ("2-byte characters to 254 bytes",
             att_body(m, coach={"name": "\u00e9" * 127,
                                "email": COACH["email"]})),
            ("minimumSeconds 0", att_body(m, minimumSeconds=0)),
            ("empty email beside a name",
             att_body(m, client={"email": "", "name": "Grace Hopper"})),
            ("unknown members", att_body(m, coach=dict(COACH, phone="1"),
                                         extra={"x": [1]}))):
        with v:
            for r in both_ways(h, body):
                j = expect_ok(r, m, "%s, %s" % (label, r.via),
                              attendance=True)
                if j["attendance"]["status"] != COMPLETED:
                    fail("%s: %s" % (label, json.dumps(j["attendance"])))
    with v:
        for r in both_ways(h, att_body(m, minimumSeconds=86400)):
            j = expect_ok(r, m, "minimumSeconds 86400", attendance=True)
            if j["attendance"]["status"] != NEVER_HELD:
                fail("minimumSeconds 86400: %s" % json.dumps(j["attendance"]))
    v.done()


# -- without coach and client: the answer of before, byte for byte ----------

def sent_bodies(h, target="participants"):
    """The bodies of the stand-in's answers since the last reset, exactly
    as it sent them (before any content coding), oldest first."""
    return [(x["path"], x["status"], base64.b64decode(x["body_b64"]))
            for x in h.ctl("sent?target=" + target, method="GET")["answers"]]


def page_elements(page, what):
    """The participant objects of one page as raw bytes: what lies between
    the brackets of "participants", the page's last member."""
    key = b'"participants":['
    try:
        j = json.loads(page)
    except ValueError as e:
        fail("%s: a page that is not JSON (%s)" % (what, e))
    if list(j)[-1:] != ["participants"] or not page.endswith(b"]}"):
        fail("%s: participants is not the page's last member" % what)
    return page[page.rindex(key) + len(key):-2]


def merged_document(pages, what):
    """The answer zapi_merge_finish writes for these pages: Zoom's shape,
    page_count 1, the elements as sent, comma-joined."""
    elems = [e for e in (page_elements(p, what) for p in pages) if e]
    n = sum(len(json.loads(p)["participants"]) for p in pages)
    return (b'{"page_count":1,"page_size":%d,"total_records":%d,'
            b'"next_page_token":"","participants":[%s]}'
            % (n, n, b",".join(elems)))


@case("attendance_absent_answer_byte_identical")
def _(h):
    # Without coach and client: exactly the document built from the pages
    # the stand-in sent, as before this feature, and no other call. With
    # them: that same document, plus the attendance member spliced in.
    meetings = [SMALL, BIG, EMPTY, UUID_SLASH, UUID_DSLASH, UUID_PLUS,
                ATT["rejoin"], ATT["device_tags"], ATT["alone"],
                ATT["never"]]
    v = Variants()
    for modes in ({}, {"compress": "gzip", "chunked": True}):
        for m in meetings:
            with v:
                for way in ("nginx", "CGI"):
                    def ask(body):
                        return h.post(body) if way == "nginx" \
                            else h.cgi(body=body)
                    what = "%s %s%s" % (m, way, " %s" % modes if modes else "")
                    h.ctl("reset", {"tokens": False})
                    if modes:
                        h.mode(**modes)
                    plain = ask({"zoomCallId": m})
                    expect_ok(plain, m, what)
                    pages = [b for path, st, b in sent_bodies(h)
                             if st == 200]
                    if not pages:
                        fail("%s: the stand-in kept no page" % what)
                    want = merged_document(pages, what)
                    if plain.body != want:
                        fail("%s: the answer differs from the merged pages: "
                             "got %s, expected %s" % (what, short(plain.body),
                                                      short(want)))
                    expect_calls(h, what, participants=len(pages))
                    h.ctl("reset", {"tokens": False})
                    if modes:
                        h.mode(**modes)
                    withatt = ask(att_body(m, client=GUEST))
                    expect_ok(withatt, m, what + " with coach and client",
                              attendance=True)
                    rest, _ = split_attendance(withatt, what)
                    if rest != plain.body:
                        fail("%s: with coach and client, the answer less its "
                             "attendance member differs from the one "
                             "without" % what)
                    # minimumSeconds alone names nobody: no verdict.
                    h.ctl("reset", {"tokens": False})
                    if modes:
                        h.mode(**modes)
                    alone = ask({"zoomCallId": m, "minimumSeconds": 60})
                    if alone.body != plain.body:
                        fail("%s: with minimumSeconds alone, the answer "
                             "differs" % what)
                    expect_calls(h, what + ", minimumSeconds",
                                 participants=len(pages))
    v.done()
    return "%d meetings, through nginx and CGI, plain and gzip+chunked" \
        % len(meetings)


# -- log ------------------------------------------------------------------------

@case("one_log_line_per_request")
def _(h):
    since = h.responder_log_size()
    expect_ok(h.attendees(SMALL), SMALL)
    expect_error(h.post({"zoomCallId": SMALL}, key=None), 401, "unauthorized")
    expect_error(h.http("GET", API_PATH), 405, "method_not_allowed")
    trk = [x["trackingid"] for x in h.stats()["requests"]]
    time.sleep(0.2)
    lines = [ln for ln in h.responder_lines(since) if "status=" in ln]
    if len(lines) != 3:
        fail("%d request log lines for 3 requests: %r" % (len(lines), lines))
    ok = [ln for ln in lines if "status=200" in ln]
    if not ok or "meeting=%s" % SMALL not in ok[0]:
        fail("no status=200 meeting=%s line: %r" % (SMALL, lines))
    if not ok[0].startswith("zoom-attendees:"):
        fail("log line does not start with 'zoom-attendees:': %r" % ok[0])
    if not re.search(r" zoom_calls=\d+ token_calls=\d+ ms=\d+", ok[0]):
        fail("log line lacks zoom_calls/token_calls/ms: %r" % ok[0])
    if not any(t and ("trackingid=" + t) in ok[0] for t in trk):
        fail("log line lacks Zoom's trackingid: %r" % ok[0])
    if not any("status=401" in ln for ln in lines) or \
            not any("status=405" in ln for ln in lines):
        fail("missing status=401/405 lines: %r" % lines)


# -- plain CGI -------------------------------------------------------------------

@case("cgi_success")
def _(h):
    r = h.cgi(body={"zoomCallId": "857 4606 5432"})
    expect_ok(r, SMALL, "CGI")
    if r.rc != 0:
        fail("CGI exit status %d" % r.rc)
    lines = [ln for ln in r.stderr.decode("utf-8", "replace").splitlines()
             if "status=" in ln]
    if len(lines) != 1 or "status=200" not in lines[0]:
        fail("CGI log lines: %r" % lines)


@case("cgi_healthz")
def _(h):
    r = h.cgi(method="GET", uri=HEALTH_PATH, key=None, ctype=None)
    if r.status != 200 or r.json() != {"status": "ok"}:
        fail("CGI healthz: %r" % r)
    expect_no_zoom_call(h, "CGI healthz")


@case("cgi_rejects")
def _(h):
    expect_error(h.cgi(method="GET"), 405, "method_not_allowed", "CGI GET")
    expect_error(h.cgi(body={"zoomCallId": SMALL}, key=None), 401,
                 "unauthorized", "CGI no key")
    expect_error(h.cgi(body={"zoomCallId": SMALL}, ctype="text/plain"), 415,
                 "unsupported_media_type", "CGI text/plain")
    expect_error(h.cgi(body=b'{"zoomCallId":"' + b"1" * 70000 + b'"}'), 413,
                 "body_too_large", "CGI 70 kB")
    expect_error(h.cgi(body=b"{"), 400, "invalid_json", "CGI bad JSON")
    expect_error(h.cgi(body={"zoomCallId": "../users/me"}), 400,
                 "invalid_zoom_call_id", "CGI ../users/me")
    expect_no_zoom_call(h, "CGI rejects")


@case("cgi_content_length")
def _(h):
    # Plain CGI: the body is CONTENT_LENGTH bytes (RFC 3875 section
    # 4.1.2); none means no body, and -1 is no length. A length that is
    # not a count has its own code, not invalid_json (as if it were 0).
    good = json.dumps({"zoomCallId": SMALL}).encode()
    bad_id = json.dumps({"zoomCallId": "../users/me"}).encode()
    v = Variants()
    for cl in (None, ""):
        with v:
            r = h.cgi(body=good, env={"CONTENT_LENGTH": cl})
            expect_error(r, 400, "invalid_json", "CGI CONTENT_LENGTH %r, a "
                         "body on stdin" % cl)
    for cl in ("-1", "-2", "abc", "1e3", "+%d" % len(bad_id),
               " %d" % len(bad_id)):
        with v:
            r = h.cgi(body=bad_id, content_length=cl)
            expect_error(r, 400, "invalid_content_length",
                         "CGI CONTENT_LENGTH %r" % cl)
    for cl in ("99999999999999999999999", str(1 << 40)):
        with v:
            r = h.cgi(body=bad_id, content_length=cl)
            expect_error(r, 413, "body_too_large", "CGI CONTENT_LENGTH %s"
                         % cl)
    with v:
        r = h.cgi(body=good + b"GARBAGE", content_length=len(good))
        expect_ok(r, SMALL, "CGI CONTENT_LENGTH shorter than the body")
    with v:
        r = h.cgi(body=good, content_length=len(good) + 10)
        expect_error(r, 400, "invalid_content_length",
                     "CGI CONTENT_LENGTH longer than the body")
    v.done()


@case("cgi_token_cache_file")
def _(h):
    h.ctl("reset", {"tokens": True})
    d = os.path.join(h.tmp, "cache")
    os.mkdir(d)
    path = os.path.join(d, "zoom-token")
    env = {"ZOOM_TOKEN_CACHE": path}
    for m in (SMALL, EMPTY):
        expect_ok(h.cgi(body={"zoomCallId": m}, env=env), m, "CGI %s" % m)
    t, p, _ = zoom_calls(h)
    if t != 1 or p != 2:
        fail("2 CGI runs: token_calls %d participants_calls %d, expected 1 "
             "and 2" % (t, p))
    if not os.path.exists(path):
        fail("no token cache file at ZOOM_TOKEN_CACHE")
    mode = stat.S_IMODE(os.stat(path).st_mode)
    if mode != 0o600:
        fail("token cache file mode %o, expected 600" % mode)
    # A revoked cached token: the next run refreshes and rewrites the file.
    h.ctl("revoke")
    h.ctl("reset", {"tokens": False})
    expect_ok(h.cgi(body={"zoomCallId": SMALL}, env=env), SMALL,
              "CGI after revoke")
    expect_ok(h.cgi(body={"zoomCallId": SMALL}, env=env), SMALL,
              "CGI after refresh")
    t, p, _ = zoom_calls(h)
    if t != 1 or p != 3:
        fail("after revoke: token_calls %d participants_calls %d, expected 1 "
             "and 3" % (t, p))


@case("cgi_token_cache_parallel")
def _(h):
    # Several CGI runs at once, sharing one cache file that does not exist
    # yet. All must succeed; how many tokens they fetch is reported.
    h.ctl("reset", {"tokens": True})
    path = os.path.join(h.tmp, "cache-parallel", "zoom-token")
    os.mkdir(os.path.dirname(path))
    env = {"ZOOM_TOKEN_CACHE": path}
    with concurrent.futures.ThreadPoolExecutor(6) as ex:
        res = list(ex.map(lambda _: h.cgi(body={"zoomCallId": SMALL},
                                          env=env), range(6)))
    for r in res:
        expect_ok(r, SMALL, "parallel CGI")
    t, p, _ = zoom_calls(h)
    mode = stat.S_IMODE(os.stat(path).st_mode)
    if mode != 0o600:
        fail("token cache file mode %o, expected 600" % mode)
    return "6 parallel CGI runs, %d token call(s)" % t


# What another user who can write the cache's directory can put there. Each
# costs token calls at most: no request waits past its budget, and SIGTERM
# still stops the process.

NOBODY_UID = 65534
FALLBACK_LINE = "without the file cache"


def _budget_s():
    return TIMEOUT_MS / 1000.0 + BUDGET_SLACK


def _cgi_problem(h, env, what, user=None):
    """A CGI run that must answer 200 within the budget: None, or what went
    wrong. (The old code waited on a FIFO for ever: a time-out here.)"""
    try:
        r = h.cgi(body={"zoomCallId": SMALL}, env=env, user=user,
                  timeout=_budget_s() + 3)
    except subprocess.TimeoutExpired:
        return "%s: no answer after %.1f s" % (what, _budget_s() + 3)
    try:
        expect_ok(r, SMALL, what)
        within_budget(r, what)
    except Failure as e:
        return str(e)
    n = r.stderr.decode("utf-8", "replace").count(FALLBACK_LINE)
    return None if n <= 1 else "%s: logged %d times" % (what, n)


def _requests_problems(h, n, what):
    """n requests at once through nginx, each must be a 200 in time."""
    problems = []
    with concurrent.futures.ThreadPoolExecutor(n) as ex:
        futs = [ex.submit(h.attendees, SMALL, timeout=_budget_s() + 3)
                for _ in range(n)]
        for f in futs:
            try:
                r = f.result()
                expect_ok(r, SMALL, what)
                within_budget(r, what)
            except (OSError, http.client.HTTPException) as e:
                problems.append("%s: %s" % (what, e))
            except Failure as e:
                problems.append(str(e))
    return problems


def _sigterm_problem(h, what):
    p = h.responder
    os.kill(p.pid, signal.SIGTERM)
    try:
        p.wait(5)
    except subprocess.TimeoutExpired:
        return "%s: still running 5 s after SIGTERM" % what
    return None if p.returncode == 0 else "%s: exit status %d after " \
        "SIGTERM" % (what, p.returncode)


@case("token_cache_fifo")
def _(h):
    # A FIFO at ZOOM_TOKEN_CACHE blocked open() for ever with the token
    # lock held: every thread waited and SIGTERM no longer stopped it.
    h.ctl("reset", {"tokens": True})
    d = os.path.join(h.tmp, "cache-fifo")
    os.mkdir(d, 0o700)
    problems = []
    path = os.path.join(d, "cgi-token")
    os.mkfifo(path, 0o600)
    problems.append(_cgi_problem(h, {"ZOOM_TOKEN_CACHE": path},
                                 "CGI, a FIFO at ZOOM_TOKEN_CACHE"))
    path = os.path.join(d, "fcgi-token")
    os.mkfifo(path, 0o600)
    try:
        h.restart_responder(h.base_env(ZOOM_TOKEN_CACHE=path,
                                       ZOOM_ATTENDEES_THREADS="4"))
        problems += _requests_problems(h, 4, "FastCGI, a FIFO at "
                                       "ZOOM_TOKEN_CACHE, 4 at once")
        problems.append(_sigterm_problem(h, "FIFO at ZOOM_TOKEN_CACHE"))
    finally:
        h.restart_responder()
    problems = [x for x in problems if x]
    if problems:
        fail("; ".join(problems))
    # The FIFO was replaced by the token file, and no request waited on it.
    if not stat.S_ISREG(os.lstat(path).st_mode):
        fail("the FIFO at ZOOM_TOKEN_CACHE was not replaced by the token "
             "file")


def _held_lock(path, owner=None, mode=0o666):
    """A lock file as someone else would make it, flocked: the descriptor,
    which holds the lock until the caller closes it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.fchmod(fd, mode)
    if owner is not None:
        os.fchown(fd, owner, owner)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


@case("token_cache_lock_unusable")
def _(h):
    # The cache's .lock cannot be ours: every request answered 504
    # zoom_timeout for ever. Now the token is fetched without the file
    # cache, and why is logged once per process.
    h.ctl("reset", {"tokens": True})
    problems = []
    missing = os.path.join(h.tmp, "no-such-dir", "zoom-token")
    for i in range(2):
        problems.append(_cgi_problem(h, {"ZOOM_TOKEN_CACHE": missing},
                                     "CGI run %d, missing directory" % i))
    t, _, _ = zoom_calls(h)
    if t != 2:
        problems.append("2 CGI runs without a usable cache: %d token "
                        "calls, expected 2" % t)
    # A shared sticky directory (/tmp): another user's .lock, held by them.
    shared = os.path.join(h.tmp, "cache-shared")
    os.mkdir(shared)
    os.chmod(shared, 0o1777)
    cache = os.path.join(shared, "zoom-token")
    root = os.geteuid() == 0
    held = _held_lock(cache + ".lock", owner=NOBODY_UID if root else None,
                      mode=0o666 if root else 0o644)
    try:
        problems.append(_cgi_problem(h, {"ZOOM_TOKEN_CACHE": cache},
                                     "CGI, another's held .lock"))
        if root:
            # ... and, run as nobody, root's private .lock: open() fails.
            os.close(held)
            held = None
            os.unlink(cache + ".lock")
            os.close(os.open(cache + ".lock", os.O_RDWR | os.O_CREAT,
                             0o600))
            problems.append(_cgi_problem(h, {"ZOOM_TOKEN_CACHE": cache},
                                         "CGI as nobody, root's .lock",
                                         user=NOBODY_UID))
        if os.path.exists(cache):
            problems.append("a token file was written beside a .lock that "
                            "is not ours")
        # FastCGI: served, and said once.
        since = h.responder_log_size()
        try:
            h.restart_responder(h.base_env(ZOOM_TOKEN_CACHE=missing))
            problems += _requests_problems(h, 2, "FastCGI, missing "
                                           "directory")
            h.ctl("revoke")
            problems += _requests_problems(h, 1, "FastCGI, missing "
                                           "directory, token revoked")
        finally:
            h.restart_responder()
        n = "\n".join(h.responder_lines(since)).count(FALLBACK_LINE)
        if n != 1:
            problems.append("FastCGI: %r logged %d times, expected once"
                            % (FALLBACK_LINE, n))
    finally:
        if held is not None:
            os.close(held)
    problems = [x for x in problems if x]
    if problems:
        fail("; ".join(problems))


@case("cgi_secret_files")
def _(h):
    d = os.path.join(h.tmp, "secrets")
    os.mkdir(d, 0o700)
    files = {}
    for name, val in (("INTERNAL_API_KEY", API_KEY),
                      ("ZOOM_CLIENT_SECRET", CLIENT_SECRET)):
        p = os.path.join(d, name.lower())
        with open(p, "w") as f:
            f.write(val + "\n")
        os.chmod(p, 0o600)
        files[name] = None
        files[name + "_FILE"] = p
    expect_ok(h.cgi(body={"zoomCallId": SMALL}, env=files), SMALL,
              "CGI with *_FILE secrets")


@case("secret_file_fifo_or_nul")
def _(h):
    # A FIFO as NAME_FILE blocked start-up and --check-config; a NUL byte
    # cut the value there, silently. Both are refused, naming the setting.
    d = os.path.join(h.tmp, "secrets-bad")
    os.mkdir(d, 0o700)
    fifo = os.path.join(d, "fifo")
    os.mkfifo(fifo, 0o600)
    nul = os.path.join(d, "nul")
    with open(nul, "wb") as f:
        f.write(CLIENT_SECRET.encode() + b"\0junk\n")
    os.chmod(nul, 0o600)
    for path, says in ((fifo, b"not a regular file"), (nul, b"NUL byte")):
        env = h.base_env(ZOOM_CLIENT_SECRET=None,
                         ZOOM_CLIENT_SECRET_FILE=path)
        what = os.path.basename(path)
        t0 = time.monotonic()
        rc, out, err = _run_until_exit(h, [h.bin, "--check-config"], env)
        if rc is None:
            fail("--check-config, %s: still running after 5 s" % what)
        if rc != 1 or b"ZOOM_CLIENT_SECRET" not in out or says not in out:
            fail("--check-config, %s: exit %r, %r" % (what, rc, short(out)))
        rc, out, err = _run_until_exit(
            h, [h.bin, "--listen", "127.0.0.1:%d" % free_port()], env)
        if rc is None:
            fail("--listen, %s: still running after 5 s" % what)
        if rc == 0 or b"ZOOM_CLIENT_SECRET" not in err or says not in err:
            fail("--listen, %s: exit %r, %r" % (what, rc, short(err)))
        for s in SECRETS:
            if s.encode() in out + err:
                fail("%s: a secret value was printed" % what)
        if time.monotonic() - t0 > 3:
            fail("%s: %.1f s to refuse" % (what, time.monotonic() - t0))
        r = h.cgi(body={"zoomCallId": SMALL}, timeout=10,
                  env={"ZOOM_CLIENT_SECRET": None,
                       "ZOOM_CLIENT_SECRET_FILE": path})
        expect_error(r, 500, "server_misconfigured", "CGI, %s" % what)
    expect_no_zoom_call(h, "a secret file refused")


@case("cgi_wrong_client_secret")
def _(h):
    r = h.cgi(body={"zoomCallId": SMALL},
              env={"ZOOM_CLIENT_SECRET": "itest-not-the-secret-000"})
    expect_error(r, 502, "zoom_auth_failed", "CGI wrong client secret")
    t, p, _ = zoom_calls(h)
    if p != 0:
        fail("called participants without a token")


@case("cgi_missing_config")
def _(h):
    for name in ("INTERNAL_API_KEY", "ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID",
                 "ZOOM_CLIENT_SECRET"):
        r = h.cgi(body={"zoomCallId": SMALL}, env={name: None})
        expect_error(r, 500, "server_misconfigured", "CGI without " + name)
    r = h.cgi(body={"zoomCallId": SMALL}, env={"INTERNAL_API_KEY": "short"},
              key="short")
    expect_error(r, 500, "server_misconfigured", "CGI with a 5-char key")
    expect_no_zoom_call(h, "CGI misconfigured")


# -- FastCGI process -------------------------------------------------------------

def _run_until_exit(h, argv, env, seconds=5.0):
    p = h.spawn(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = p.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        h.kill(p)
        out, err = p.communicate()
        return None, out, err
    return p.returncode, out, err


@case("fastcgi_missing_config")
def _(h):
    for name in ("INTERNAL_API_KEY", "ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID",
                 "ZOOM_CLIENT_SECRET"):
        port = free_port()
        rc, out, err = _run_until_exit(
            h, [h.bin, "--listen", "127.0.0.1:%d" % port],
            h.base_env(**{name: None}))
        if rc is None:
            fail("without %s: still running after 5 s" % name)
        if rc == 0:
            fail("without %s: exit status 0" % name)
        if name.encode() not in err:
            fail("without %s: stderr does not name it: %r" % (name, short(err)))
        for s in SECRETS:
            if s.encode() in out + err:
                fail("without %s: a secret value was printed" % name)
    # http:// is for loopback only.
    rc, out, err = _run_until_exit(
        h, [h.bin, "--listen", "127.0.0.1:%d" % free_port()],
        h.base_env(ZOOM_API_BASE="http://api.zoom.example/v2"))
    if rc is None or rc == 0 or b"ZOOM_API_BASE" not in err:
        fail("http:// non-loopback ZOOM_API_BASE accepted (rc %r, %r)"
             % (rc, short(err)))


@case("command_line_flags")
def _(h):
    for flag in ("--help", "--version"):
        rc, out, err = _run_until_exit(h, [h.bin, flag], h.base_env())
        if rc != 0 or not (out + err).strip():
            fail("%s: exit %r, output %r" % (flag, rc, short(out + err)))
    rc, out, err = _run_until_exit(h, [h.bin, "--check-config"], h.base_env())
    if rc != 0:
        fail("--check-config with a complete config: exit %r %r"
             % (rc, short(out + err)))
    for s in SECRETS + [ACCOUNT_ID, CLIENT_ID]:
        if s.encode() in out + err:
            fail("--check-config printed a value")
    rc, out, err = _run_until_exit(h, [h.bin, "--check-config"],
                                   h.base_env(ZOOM_CLIENT_SECRET=None))
    if rc in (0, None):
        fail("--check-config without ZOOM_CLIENT_SECRET: exit %r" % rc)
    if b"ZOOM_CLIENT_SECRET" not in out + err:
        fail("--check-config does not name ZOOM_CLIENT_SECRET")
    for s in SECRETS + [ACCOUNT_ID, CLIENT_ID]:
        if s.encode() in out + err:
            fail("--check-config printed a value")


@case("check_config_token_cache")
def _(h):
    # --check-config said "complete" while every request would wait out
    # its budget on the cache's lock. It now looks at the cache path: a
    # WARNING line (the responder serves, without the file cache), and
    # the exit status stays "will it serve".
    d = os.path.join(h.tmp, "cache-check")
    os.mkdir(d, 0o700)
    root = os.geteuid() == 0
    lock = os.path.join(d, "other", "zoom-token.lock")
    os.mkdir(os.path.dirname(lock), 0o700)
    os.close(os.open(lock, os.O_RDWR | os.O_CREAT, 0o600))
    if root:
        os.chown(lock, NOBODY_UID, NOBODY_UID)
    else:
        os.chmod(lock, 0o644)
    fifo_dir = os.path.join(d, "fifo")
    os.mkdir(fifo_dir, 0o700)
    os.mkfifo(os.path.join(fifo_dir, "zoom-token"), 0o600)
    for path, says in (
            (os.path.join(d, "zoom-token"), None),
            (os.path.join(d, "missing", "zoom-token"), "is missing"),
            (lock[:-len(".lock")], "the lock file"),
            (os.path.join(fifo_dir, "zoom-token"), "the token file")):
        rc, out, err = _run_until_exit(h, [h.bin, "--check-config"],
                                       h.base_env(ZOOM_TOKEN_CACHE=path))
        text = out.decode("utf-8", "replace")
        line = [x for x in text.splitlines() if x.startswith("token cache:")]
        if rc != 0:
            fail("%s: exit %r (a cache problem is a warning): %s"
                 % (path, rc, short(text, 600)))
        if len(line) != 1:
            fail("%s: no \"token cache:\" line: %s" % (path, short(text, 600)))
        if says is None and line[0] != "token cache: usable":
            fail("%s: %s" % (path, line[0]))
        if says is not None and ("WARNING ZOOM_TOKEN_CACHE" not in line[0]
                                 or says not in line[0]):
            fail("%s: %s" % (path, line[0]))
    if sorted(os.listdir(d)) != ["fifo", "other"]:
        fail("--check-config created files: %s" % sorted(os.listdir(d)))


def listen_unix(h, sock, *extra, umask=None):
    """The responder on --listen sock (with extra arguments), started with
    the given umask; returns once the socket exists."""
    old = os.umask(umask) if umask is not None else None
    try:
        p = h.spawn([h.bin, "--listen", sock] + list(extra),
                    env=h.base_env(), stdout=subprocess.DEVNULL,
                    stderr=open(h.responder_log, "ab"))
    finally:
        if old is not None:
            os.umask(old)
    deadline = time.monotonic() + 5
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(sock)     # bound and listening, not just bound
            return p
        except OSError:
            pass
        finally:
            s.close()
        if p.poll() is not None or time.monotonic() > deadline:
            h.kill(p)
            fail("nothing listens at %s (exit %r)" % (sock, p.poll()))
        time.sleep(0.02)


def fcgi_healthz(sock, what, timeout=15.0):
    out, _ = fcgi_request(sock, {
        "GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": "GET",
        "REQUEST_URI": HEALTH_PATH, "SCRIPT_NAME": HEALTH_PATH,
        "DOCUMENT_URI": HEALTH_PATH, "CONTENT_LENGTH": "0",
        "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1"}, b"",
        timeout=timeout)
    r = parse_cgi_output(out, what)
    if r.status != 200:
        fail("healthz, %s: %r" % (what, r))


@case("fastcgi_unix_socket")
def _(h):
    sock = os.path.join(h.tmp, "za.sock")
    p = listen_unix(h, sock)
    try:
        body = json.dumps({"zoomCallId": SMALL}).encode()
        params = {
            "GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": "POST",
            "REQUEST_URI": API_PATH, "SCRIPT_NAME": API_PATH,
            "DOCUMENT_URI": API_PATH, "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_AUTHORIZATION": "Bearer " + API_KEY,
            "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1"}
        for i in range(3):     # the same process, several requests
            out, _ = fcgi_request(sock, params, body)
            r = parse_cgi_output(out, "fastcgi unix")
            h.exchanges.append(r)
            check_common(r)
            expect_ok(r, SMALL, "FastCGI over a unix socket, request %d" % i)
        fcgi_healthz(sock, "over the unix socket")
    finally:
        h.kill(p)
        h.procs.remove(p)


@case("fastcgi_unix_socket_mode")
def _(h):
    # --socket-mode gives exactly those permissions, whatever the umask:
    # it adds what the umask takes away, and takes away what it leaves.
    for mode, text, umask in ((0o660, "660", 0o077), (0o600, "0600", 0o000)):
        sock = os.path.join(h.tmp, "za-%o.sock" % mode)
        p = listen_unix(h, sock, "--socket-mode", text, umask=umask)
        try:
            got = stat.S_IMODE(os.stat(sock).st_mode)
            if got != mode:
                fail("--socket-mode %o with umask %03o: socket mode %03o"
                     % (mode, umask, got))
            fcgi_healthz(sock, "socket mode %o" % mode)
        finally:
            h.kill(p)
            h.procs.remove(p)
    # Without it, the umask decides (as before).
    sock = os.path.join(h.tmp, "za-umask.sock")
    p = listen_unix(h, sock, umask=0o007)
    try:
        got = stat.S_IMODE(os.stat(sock).st_mode)
        if got != 0o770:
            fail("no --socket-mode, umask 007: socket mode %03o" % got)
    finally:
        h.kill(p)
        h.procs.remove(p)
    # Misuse is refused before anything listens.
    for argv, rc, says in (
            (["--listen", sock, "--socket-mode", "999"], 2, b"expected octal"),
            (["--listen", sock, "--socket-mode", "6600"], 2, b"expected octal"),
            (["--listen", sock, "--socket-mode", ""], 2, b"expected octal"),
            (["--listen", sock, "--socket-mode", "-1"], 2, b"expected octal"),
            (["--socket-mode", "660"], 2, b"needs --listen"),
            (["--listen", "127.0.0.1:%d" % free_port(), "--socket-mode",
              "660"], 2, b"unix socket path"),
            (["--check-config", "--listen", ":9000", "--socket-mode", "660"],
             2, b"unix socket path")):
        r = subprocess.run([h.bin] + argv, env=h.base_env(),
                           stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=10)
        if r.returncode != rc or says not in r.stderr:
            fail("%s: exit %r, stderr %r" % (" ".join(argv), r.returncode,
                                             r.stderr[:200]))


def fcgi_params(method="POST", uri=API_PATH, body=b"", key=API_KEY,
                **more):
    """The parameters nginx's fastcgi_params sends for a request; more
    replaces or (None) removes one."""
    p = {"GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": method,
         "REQUEST_URI": uri, "SCRIPT_NAME": uri, "DOCUMENT_URI": uri,
         "CONTENT_TYPE": "application/json",
         "CONTENT_LENGTH": str(len(body)), "SERVER_PROTOCOL": "HTTP/1.1",
         "REMOTE_ADDR": "127.0.0.1"}
    if key is not None:
        p["HTTP_AUTHORIZATION"] = "Bearer " + key
    p.update(more)
    return {k: v for k, v in p.items() if v is not None}


def fcgi_direct(h, params, body=b"", what="fastcgi", **kw):
    """A request straight to the responder's FastCGI port, checked and
    recorded like nginx's answers."""
    out, _ = fcgi_request(("127.0.0.1", h.rport), params, body, **kw)
    r = parse_cgi_output(out, what)
    h.exchanges.append(r)
    check_common(r)
    return r


@case("fastcgi_content_length")
def _(h):
    # Under FastCGI the body's end is marked (an empty STDIN record):
    # without a length, it is read to there. Caddy sends -1 for a chunked
    # body, in several records. A length that is not a count has its own
    # code: if it were taken as 0, the answer would be invalid_json.
    good = json.dumps({"zoomCallId": SMALL}).encode()
    bad_id = json.dumps({"zoomCallId": "../users/me"}).encode()
    v = Variants()
    for cl in (None, "", "-1"):
        with v:
            r = fcgi_direct(h, fcgi_params(body=good, CONTENT_LENGTH=cl),
                            good, chunk=7)
            expect_ok(r, SMALL, "CONTENT_LENGTH %r, the body in 7-byte "
                      "records" % cl)
    for cl in (None, "-1"):
        with v:
            r = fcgi_direct(h, fcgi_params(CONTENT_LENGTH=cl),
                            padded_body(70000), chunk=4096)
            expect_error(r, 413, "body_too_large", "CONTENT_LENGTH %r, "
                         "70,000 bytes" % cl)
        with v:
            r = fcgi_direct(h, fcgi_params(CONTENT_LENGTH=cl),
                            padded_body(65536), chunk=4096)
            expect_error(r, 400, "invalid_zoom_call_id", "CONTENT_LENGTH "
                         "%r, 64 KiB exactly (read whole)" % cl)
    for cl in ("-2", "-0", "abc", "1e3", "+%d" % len(bad_id),
               " %d" % len(bad_id), "%d.0" % len(bad_id), "0x1c"):
        with v:
            r = fcgi_direct(h, fcgi_params(body=bad_id, CONTENT_LENGTH=cl),
                            bad_id)
            expect_error(r, 400, "invalid_content_length",
                         "CONTENT_LENGTH %r" % cl)
    for cl in ("99999999999999999999999", str(1 << 40), "65537"):
        with v:
            r = fcgi_direct(h, fcgi_params(body=bad_id, CONTENT_LENGTH=cl),
                            bad_id)
            expect_error(r, 413, "body_too_large", "CONTENT_LENGTH %s" % cl)
    with v:     # shorter than the body: that many bytes are the body
        r = fcgi_direct(h, fcgi_params(body=good), good + b"GARBAGE")
        expect_ok(r, SMALL, "CONTENT_LENGTH shorter than the body")
    with v:     # longer: the body ends first
        r = fcgi_direct(h, fcgi_params(CONTENT_LENGTH=str(len(good) + 10)),
                        good)
        expect_error(r, 400, "invalid_content_length",
                     "CONTENT_LENGTH longer than the body")
    v.done()


def padded_body(n):
    """A JSON object of exactly n bytes with an invalid id (no Zoom call)."""
    pre = b'{"zoomCallId":"../users/me","pad":"'
    return pre + b"x" * (n - len(pre) - 2) + b'"}'


@case("log_method_known_or_other")
def _(h):
    # The method goes into the log line only if it is one of HTTP's;
    # anything else is "other": a caller's text could forge fields or push
    # the status out of the line.
    body = json.dumps({"zoomCallId": SMALL}).encode()
    forged = "PUT status=200 meeting=%s zoom_calls=1 token_calls=0 ms=1" \
        % SMALL
    methods = [(forged, "other"), ("X" * 1000, "other"), ("BREW", "other"),
               ("post", "other"), ("PUT", "PUT"), ("DELETE", "DELETE")]
    since = h.responder_log_size()
    for m, _ in methods:
        expect_error(fcgi_direct(h, fcgi_params(method=m, body=body), body),
                     405, "method_not_allowed", "FastCGI %s" % short(m, 20))
    # The webhook route logs its own line (here: the workflow is off).
    r = fcgi_direct(h, fcgi_params(method=forged, uri="/api/cal/meeting-"
                                   "ended", body=body), body)
    expect_error(r, 503, "workflow_not_configured", "webhook, forged method")
    lines = [ln for ln in h.responder_lines(since) if "status=" in ln]
    want = ["zoom-attendees: %s status=405 meeting=- " % w
            for _, w in methods] + \
        ["zoom-attendees: other status=503 route=meeting-ended uid=- "]
    if len(lines) != len(want):
        fail("%d log lines, expected %d: %r" % (len(lines), len(want),
                                                 lines))
    for ln, w in zip(lines, want):
        if not ln.startswith(w) or ln.count("status=") != 1:
            fail("log line %r, expected it to start %r" % (short(ln, 120),
                                                           w))
    for m in (forged, "BREW"):
        r = h.cgi(method=m, body={"zoomCallId": SMALL})
        expect_error(r, 405, "method_not_allowed", "CGI %s" % short(m, 20))
        got = [ln for ln in r.stderr.decode().splitlines() if "status=" in ln]
        if len(got) != 1 or not got[0].startswith(
                "zoom-attendees: other status=405 meeting=- "):
            fail("CGI log line %r" % got)


# A request's whole deadline, shortened from 30 s for the test (the
# binary reads ZA_TEST_REQUEST_MS, which can only shorten it).
DRIP_DEADLINE_MS = 2000
DRIP_EVERY = 0.4        # seconds between two bytes: under every per-read
                        # timeout (30 s) and libfcgi's 2 s wait at a close


class Dripper(threading.Thread):
    """A FastCGI client that sends head at once, then one byte every
    DRIP_EVERY seconds (the rest of drip, then "x" for ever), reading what
    comes back, until its connection is gone (a send or a read fails: a
    half-close alone does not stop it) or `seconds` pass."""

    def __init__(self, port, head, drip, seconds):
        super().__init__(daemon=True)
        self.port, self.head, self.drip = port, head, drip
        self.seconds = seconds
        self.out = b""
        self.gone_after = None      # seconds from the first byte
        self.started = threading.Event()

    def run(self):
        s = socket.create_connection(("127.0.0.1", self.port), 5)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.t0 = time.monotonic()
        try:
            if self.head:
                s.sendall(self.head)
            i = 0
            while time.monotonic() - self.t0 < self.seconds:
                s.sendall(self.drip[i:i + 1] or b"x")
                i += 1
                self.started.set()
                end = time.monotonic() + DRIP_EVERY
                while time.monotonic() < end:
                    s.settimeout(max(0.01, end - time.monotonic()))
                    try:
                        c = s.recv(65536)
                    except socket.timeout:
                        break
                    if not c:       # half-closed: go on sending
                        time.sleep(max(0.0, end - time.monotonic()))
                        break
                    self.out += c
        except OSError:
            self.gone_after = time.monotonic() - self.t0
        finally:
            self.started.set()
            s.close()


def fcgi_stdout(raw):
    """The STDOUT stream of raw FastCGI records."""
    out = b""
    while len(raw) >= 8:
        _, rtype, _, clen, plen = struct.unpack("!BBHHBx", raw[:8])
        if rtype == 6:
            out += raw[8:8 + clen]
        raw = raw[8 + clen + plen:]
    return out


@case("fastcgi_drip_fed_request_cut")
def _(h):
    # One worker thread. A client drip-feeds one byte every 0.4 s: while
    # the parameters come, while the body comes, and after its answer
    # (libfcgi waits for a client to close, 2 s at a time). A per-read
    # timeout would never fire; the request's whole deadline does, and a
    # health check on another connection is answered then.
    dl = DRIP_DEADLINE_MS / 1000.0
    h.restart_responder(h.base_env(ZOOM_ATTENDEES_THREADS="1",
                                   ZA_TEST_REQUEST_MS=str(DRIP_DEADLINE_MS)))
    try:
        body = json.dumps({"zoomCallId": SMALL}).encode()
        params = fcgi_params(body=body)
        head, stdin = FcgiConn.encode_parts(params, body)
        bad = json.dumps({"zoomCallId": "../users/me"}).encode()
        whole = FcgiConn.encode(fcgi_params(body=bad), bad, keep=False)
        phases = (("parameters", b"", head + stdin, None),
                  ("body", head, stdin, (408, "request_timeout")),
                  ("wait for the close", whole, b"",
                   (400, "invalid_zoom_call_id")))
        took = []
        for what, first, rest, answer in phases:
            since = h.responder_log_size()
            d = Dripper(h.rport, first, rest, seconds=dl + 4)
            d.start()
            d.started.wait(5)
            time.sleep(0.3)     # the only thread is held by now
            try:
                fcgi_healthz(("127.0.0.1", h.rport), what, timeout=dl + 2)
            except socket.timeout:
                waited = time.monotonic() - d.t0
                d.join()
                fail("%s drip-fed: a health check not answered %.1f s "
                     "after the first byte (deadline %.1f s)"
                     % (what, waited, dl))
            waited = time.monotonic() - d.t0
            d.join(dl + 5)
            if waited > dl + 1.5:
                fail("%s drip-fed: health check answered %.1f s after the "
                     "first byte (deadline %.1f s)" % (what, waited, dl))
            if waited < dl - 0.3:
                fail("%s drip-fed: health check answered at %.1f s, before "
                     "the deadline: the drip did not hold the thread"
                     % (what, waited))
            if d.gone_after is None or d.gone_after > dl + 2:
                fail("%s drip-fed: connection still open %s s after its "
                     "first byte" % (what, d.gone_after))
            out = fcgi_stdout(d.out)
            if answer is None and out:
                fail("%s drip-fed: an answer %r" % (what, short(out)))
            if answer is not None:
                r = parse_cgi_output(out, "drip-fed " + what)
                expect_error(r, answer[0], answer[1], what + " drip-fed")
            log = "\n".join(h.responder_lines(since))
            if not re.search(r"deadline: .* %d ms" % DRIP_DEADLINE_MS, log):
                fail("%s drip-fed: no log line says why it was dropped: %s"
                     % (what, short(log, 300)))
            took.append("%s %.1f s" % (what, waited))
        # The handler's own time is not the caller's: an answer that takes
        # longer than the deadline (Zoom is slow) is not cut.
        since = h.responder_log_size()
        h.fault("participants", "sleep", seconds=dl + 0.5)
        r = h.attendees(SMALL)
        expect_ok(r, SMALL, "Zoom slower than the request deadline")
        expect_ok(h.attendees(SMALL), SMALL, "the next request")
        log = "\n".join(h.responder_lines(since))
        if "deadline:" in log:
            fail("a slow answer logged as cut: %s" % short(log, 300))
    finally:
        h.restart_responder()
    return "health answered after " + ", ".join(took)


@case("responder_clean_shutdown")
def _(h):
    # SIGTERM with a request in flight: it finishes, then the process exits.
    h.fault("participants", "sleep", seconds=0.5)
    with concurrent.futures.ThreadPoolExecutor(1) as ex:
        fut = ex.submit(h.attendees, SMALL)
        time.sleep(0.25)
        since = h.responder_log_size()
        p = h.responder
        os.kill(p.pid, signal.SIGTERM)
        try:
            rc = p.wait(5)
        except subprocess.TimeoutExpired:
            fail("still running 5 s after SIGTERM")
        r = fut.result()
    tail = "\n".join(h.responder_lines(since))
    for m in SANITIZER_MARKS:
        if m in tail:
            fail("on exit: %s" % short(tail[tail.find(m) - 80:], 400))
    h.restart_responder()
    if r.status != 200:
        fail("the request in flight got %r" % r)
    if rc != 0:
        fail("exit status %d after SIGTERM" % rc)
    return "exit status %d" % rc


@case("no_secrets_in_logs")
def _(h):
    for path in (h.responder_log, h.nginx_log, h.cgi_log):
        try:
            data = open(path, "rb").read().decode("utf-8", "replace")
        except FileNotFoundError:
            continue
        for s in SECRETS:
            if s in data:
                fail("%s contains a secret (%s...)" % (
                    os.path.basename(path), s[:8]))


# ---------------------------------------------------------------------------
# Runner


def after_case(h):
    """The responder still serves, and no log got a secret or a sanitizer
    report. Returns a problem, or None."""
    problems = []
    if h.responder.poll() is not None:
        problems.append("the responder exited (status %s)" % h.responder.poll())
    else:
        last = h.wait_healthy(3.0)
        if last is not True:
            problems.append("healthz failed afterwards: %r" % (last,))
    for path in (h.responder_log, h.nginx_log, h.cgi_log):
        data = h.new_log(path)
        for s in SECRETS:
            if s in data:
                problems.append("%s got a secret (%s...)"
                                % (os.path.basename(path), s[:8]))
        for m in SANITIZER_MARKS:
            if m in data:
                i = data.find(m)
                problems.append("%s: %s" % (os.path.basename(path),
                                            short(data[max(0, i - 80):], 400)))
                break
    if problems and h.responder.poll() is not None:
        h.restart_responder()
    return "; ".join(problems) or None


def report_ok(note, t0):
    """A case passed: "ok", with its note and, past 2 s, how long."""
    took = time.monotonic() - t0
    extra = [note] if note else []
    if took > 2:
        extra.append("%.1f s" % took)
    print("ok" + (" (%s)" % ", ".join(extra) if extra else ""))


def report_error(e):
    """A case raised something else than Failure: what, and where."""
    tb = traceback.extract_tb(e.__traceback__)[-1]
    print("FAIL: %s: %s (line %d)" % (type(e).__name__, e, tb.lineno))


def suite_args(doc, all_cases, kept):
    """The command line the suites share (--bin, --only, --list, --keep)
    and SIGTERM as an interrupt. (args, the cases chosen), or an exit
    status to return: 0 after --list, 2 for a bad command line."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build",
                                                  "zoom-attendees"))
    ap.add_argument("--only", action="append", default=[],
                    help="run the cases whose name contains SUBSTR "
                    "(repeatable)")
    ap.add_argument("--list", action="store_true", help="list the cases")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary directory (%s)" % kept)
    a = ap.parse_args()

    if a.list:
        for name, _ in all_cases:
            print(name)
        return 0
    if not os.access(a.bin, os.X_OK):
        print("no executable at %s (run make first)" % a.bin, file=sys.stderr)
        return 2
    cases = [(n, f) for n, f in all_cases
             if not a.only or any(s in n for s in a.only)]
    if not cases:
        print("no case matches %r" % a.only, file=sys.stderr)
        return 2

    def on_term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)
    return a, cases


def main():
    got = suite_args(__doc__, CASES, "logs, configs")
    if isinstance(got, int):
        return got
    a, cases = got

    passed = failed = 0
    t_start = time.monotonic()
    h = Harness(os.path.abspath(a.bin), keep=a.keep)
    try:
        h.start_standin()
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
            note = None
            try:
                h.ctl("reset", {"tokens": False})
                if h.dirty:
                    h.dirty = False
                    r = h.attendees(SMALL, record=False)
                    if r.status != 200:
                        raise Failure("warm-up request: %r" % r)
                    h.ctl("reset", {"tokens": False})
                note = fn(h)
                problem = after_case(h)
                if problem:
                    raise Failure(problem)
            except Failure as e:
                failed += 1
                print("FAIL: %s" % e)
                after_case(h)
                continue
            except Exception as e:
                failed += 1
                report_error(e)
                after_case(h)
                continue
            passed += 1
            report_ok(note, t0)
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
