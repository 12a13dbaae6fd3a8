#!/usr/bin/env python3
"""The responder against Zoom stand-ins speaking HTTPS on 127.0.0.1.

Production Zoom is HTTPS only, and speaks HTTP/2. Here a throwaway CA signs
a certificate for "localhost"; the responder runs in a private mount
namespace (`unshare --mount`) where a copy of /etc/ssl/certs that also
trusts that CA is bind-mounted over /etc/ssl/certs: the CA is a file of
its own there under `openssl rehash`'s hashed names (for a lookup in the
hashed directory, the responder's default) and is appended to the copy's
bundle (for a client that reads the bundle), so nothing on the machine is
changed. Needs root (as CI).

Two stand-ins: one speaking HTTPS itself (HTTP/1.1), and a plain one that
nginx fronts over TLS, with HTTP/2 on one port and HTTP/1.1 only on
another. Both issue tokens of Zoom's size (--jwt-tokens).

Checks: answers over TLS, one TLS connection for many requests, through a
CONNECT proxy; over TLS, chunked pages, a kept connection closed without a
word (after an answer, and under the next request), a compression bomb,
a token refused with 401 code 124; HTTP/2 through nginx (its access log
says HTTP/2.0), compressed answers there handed on byte for byte, HTTP/1.1
through nginx without http2; the refusals: a certificate for another name,
one from an unknown CA; ZOOM_CA_FILE and ZOOM_CA_PATH holding only the
throwaway CA; and no secret or token in the responder's log.
Prints "N passed, N failed" last.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import run as it  # noqa: E402  (the integration suite's helpers)

BUNDLE = subprocess.run(["curl-config", "--ca"], capture_output=True,
                        text=True).stdout.strip() or \
    "/etc/ssl/certs/ca-certificates.crt"
CERTS = "/etc/ssl/certs"
TEST_CA_FILE = "zoom-attendees-test-ca.pem"


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_ca(d, name, subject):
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=" + subject, "-keyout", name + ".key",
            "-out", name + ".pem", cwd=d)


def make_pki(d):
    """A CA, a server certificate it signs for localhost only, and another
    CA that signed nothing here."""
    make_ca(d, "ca", "zoom-attendees test CA")
    make_ca(d, "other-ca", "zoom-attendees unrelated test CA")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
            "-keyout", "server.key", "-out", "server.csr", cwd=d)
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:localhost\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey",
            "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "ext.cnf",
            "-out", "server.pem", cwd=d)


def make_trust(d, ca):
    """The mounts that make the system store trust ca: a copy of
    /etc/ssl/certs with ca as a file of its own (rehashed) and appended to
    the bundle; and the bundle itself when it lies elsewhere. Returns
    [(source, target)]."""
    certs = os.path.join(d, "certs")
    shutil.copytree(CERTS, certs, symlinks=True)
    shutil.copy(ca, os.path.join(certs, TEST_CA_FILE))
    openssl("rehash", certs, cwd=d)
    inside = BUNDLE.startswith(CERTS + "/")
    bundle = os.path.join(certs, BUNDLE[len(CERTS) + 1:]) if inside else \
        os.path.join(d, "bundle.crt")
    # A regular file of our own: appending through a link would change
    # the machine's bundle.
    data = open(BUNDLE, "rb").read() if os.path.exists(BUNDLE) else b""
    if os.path.lexists(bundle):
        os.unlink(bundle)
    with open(bundle, "wb") as f:
        f.write(data + b"\n" + open(ca, "rb").read())
    return [(certs, CERTS)] + ([] if inside else [(bundle, BUNDLE)])


def ca_only_dir(d, ca):
    """A hashed directory (openssl rehash) holding ca and nothing else."""
    path = os.path.join(d, "ca-only")
    os.mkdir(path)
    shutil.copy(ca, os.path.join(path, TEST_CA_FILE))
    openssl("rehash", path, cwd=d)
    return path


def in_mount_namespace(mounts, argv):
    """argv in a private mount namespace with each (source, target) of
    mounts bind-mounted; exec keeps the PID, so SIGTERM reaches argv."""
    script = 'mount --bind "$1" "$2" && shift 2 && ' * len(mounts) + \
        'exec "$@"'
    return ["unshare", "--mount", "sh", "-c", script, "sh"] + \
        [x for m in mounts for x in m] + argv


class ConnectProxy:
    """An HTTP CONNECT proxy on 127.0.0.1 that tunnels to loopback only and
    notes every tunnel it was asked for."""

    def __init__(self):
        self.tunnels = []
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(16)
        self.port = self.srv.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            threading.Thread(target=self.tunnel, args=(c,),
                             daemon=True).start()

    def tunnel(self, c):
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 8192:
            chunk = c.recv(4096)
            if not chunk:
                c.close()
                return
            head += chunk
        line = head.split(b"\r\n", 1)[0].decode("latin-1").split()
        self.tunnels.append(" ".join(line[:2]))
        if len(line) < 2 or line[0] != "CONNECT":
            c.sendall(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
            c.close()
            return
        host, port = line[1].rsplit(":", 1)
        if host not in ("localhost", "127.0.0.1"):
            c.sendall(b"HTTP/1.1 403 Forbidden\r\n\r\n")
            c.close()
            return
        up = socket.create_connection(("127.0.0.1", int(port)))
        c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")

        def pump(a, b):
            try:
                while True:
                    d = a.recv(65536)
                    if not d:
                        break
                    b.sendall(d)
            except OSError:
                pass
            for x in (a, b):
                try:
                    x.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        threading.Thread(target=pump, args=(up, c), daemon=True).start()
        pump(c, up)

    def close(self):
        self.srv.close()


NGINX_CONF = """
daemon off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 256; }}
http {{
    log_format zoom escape=json '{{"port":"$server_port",'
        '"protocol":"$server_protocol","status":"$status",'
        '"method":"$request_method","uri":"$request_uri",'
        '"connection":"$connection",'
        '"accept_encoding":"$http_accept_encoding",'
        '"content_encoding":"$sent_http_content_encoding"}}';
    access_log {d}/access.log zoom;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    upstream standin {{
        server 127.0.0.1:{s};
        keepalive 8;
    }}
    server {{
        listen 127.0.0.1:{h2} ssl http2;
        listen 127.0.0.1:{h1} ssl;
        server_name localhost;
        ssl_certificate {t}/server.pem;
        ssl_certificate_key {t}/server.key;
        location / {{
            proxy_pass http://standin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}
}}
"""


class Tls:
    def __init__(self, binary):
        self.bin = binary
        self.tmp = tempfile.mkdtemp(prefix="za-tls-")
        os.chmod(self.tmp, 0o755)       # nginx's workers run as nobody
        self.procs = []
        self.front = None
        make_pki(self.tmp)
        self.ca = os.path.join(self.tmp, "ca.pem")
        self.trust = make_trust(self.tmp, self.ca)
        self.ca_dir = ca_only_dir(self.tmp, self.ca)
        self.ctx = ssl.create_default_context(cafile=self.ca)
        self.sport = self.start_standin(
            "tls", "--tls-cert", os.path.join(self.tmp, "server.pem"),
            "--tls-key", os.path.join(self.tmp, "server.key"))
        self.log = os.path.join(self.tmp, "responder.log")

    def start_standin(self, name, *extra):
        pf = os.path.join(self.tmp, name + ".port")
        p = self.spawn(
            [sys.executable, it.STANDIN, "--port", "0", "--port-file", pf,
             "--client-id", it.CLIENT_ID, "--client-secret", it.CLIENT_SECRET,
             "--account-id", it.ACCOUNT_ID, "--jwt-tokens"] + list(extra))
        return it.wait_port_file(pf, p, "the %s stand-in" % name)

    def start_front(self):
        """nginx over TLS in front of a plain stand-in: HTTP/2 on h2port,
        HTTP/1.1 only on h1port."""
        self.fport = self.start_standin("front")
        d = os.path.join(self.tmp, "nginx")
        os.mkdir(d)
        os.chmod(d, 0o755)
        self.h2port, self.h1port = it.free_port(), it.free_port()
        conf = os.path.join(d, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(d=d, t=self.tmp, s=self.fport,
                                      h2=self.h2port, h1=self.h1port))
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        err = os.path.join(d, "nginx.stderr")
        p = self.spawn([nginx, "-p", d, "-c", conf, "-e",
                        os.path.join(d, "error.log")], stderr=open(err, "ab"))
        for port in (self.h2port, self.h1port):
            if not it.port_ready(port, p):
                raise RuntimeError("nginx did not start: %s" % it.short(
                    open(err).read(), 1000))
        self.access_log = os.path.join(d, "access.log")
        self.access_seen = 0

    def front_calls(self):
        """nginx's access log lines since the last call, as dicts. nginx
        logs a request after its answer has gone, so the caller may have
        its answer before the line is written: wait until the log has not
        grown for 0.2 s (2 s at most), and take whole lines only."""
        deadline = time.monotonic() + 2.0
        size = -1
        while time.monotonic() < deadline:
            now = os.path.getsize(self.access_log)
            if now == size:
                break
            size = now
            time.sleep(0.2)
        with open(self.access_log, "rb") as f:
            f.seek(self.access_seen)
            data = f.read()
        data = data[:data.rfind(b"\n") + 1]
        self.access_seen += len(data)
        return [json.loads(x) for x in data.decode().splitlines()]

    def spawn(self, argv, **kw):
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                             stderr=kw.pop("stderr", subprocess.DEVNULL), **kw)
        self.procs.append(p)
        return p

    def stop(self, p):
        p.send_signal(signal.SIGTERM)
        p.wait(10)

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def ctl(self, what, args=None, standin="tls"):
        """A control call to the TLS stand-in, or (standin="front") to
        the one behind nginx."""
        url = "https://localhost:%d" % self.sport if standin == "tls" else \
            "http://127.0.0.1:%d" % self.fport
        req = urllib.request.Request(
            "%s/_control/%s" % (url, what),
            data=json.dumps(args or {}).encode(), method="POST",
            headers={"Content-Type": "application/json"})
        ctx = self.ctx if standin == "tls" else None
        with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
            return json.loads(r.read())

    def stats(self):
        """The TLS stand-in's stats (as run.py's Harness.stats)."""
        return self.ctl("stats")

    def responder(self, host, trust, proxy=None, port=None, env=None):
        """A FastCGI responder for https://host:port (default: the TLS
        stand-in's); trust: our CA in the system store; env: more settings.
        One thread: each thread keeps its own connection to Zoom."""
        port = port or self.sport
        e = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LC_ALL": "C",
             "INTERNAL_API_KEY": it.API_KEY,
             "ZOOM_ACCOUNT_ID": it.ACCOUNT_ID,
             "ZOOM_CLIENT_ID": it.CLIENT_ID,
             "ZOOM_CLIENT_SECRET": it.CLIENT_SECRET,
             "ZOOM_TOKEN_URL": "https://%s:%d/oauth/token" % (host, port),
             "ZOOM_API_BASE": "https://%s:%d/v2" % (host, port),
             "ZOOM_TIMEOUT_MS": str(it.TIMEOUT_MS),
             "ZOOM_ATTENDEES_THREADS": "1"}
        if proxy:
            e["HTTPS_PROXY"] = proxy
        e.update(env or {})
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                e[k] = os.environ[k]
        rport = it.free_port()
        argv = [self.bin, "--listen", "127.0.0.1:%d" % rport]
        if trust:
            argv = in_mount_namespace(self.trust, argv)
        p = self.spawn(argv, env=e, stderr=open(self.log, "ab"))
        if not it.port_ready(rport, p):
            raise RuntimeError("the responder did not start: %s" % open(
                self.log).read()[-1000:])
        return p, rport

    def attendees(self, port, meeting=it.SMALL):
        body = json.dumps({"zoomCallId": meeting}).encode()
        out, _ = it.fcgi_request(("127.0.0.1", port), {
            "REQUEST_METHOD": "POST", "SCRIPT_NAME": it.API_PATH,
            "REQUEST_URI": it.API_PATH, "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_AUTHORIZATION": "Bearer " + it.API_KEY}, body)
        return it.parse_cgi_output(out, "fastcgi")


def answers(t, port, meetings):
    """Ask for each meeting; (all whole, detail, [Resp])."""
    rs = [t.attendees(port, m) for m in meetings]
    try:
        for m, r in zip(meetings, rs):
            it.expect_ok(r, m)
    except it.Failure as e:
        return False, str(e), rs
    return True, "statuses %s" % [r.status for r in rs], rs


# ---------------------------------------------------------------------------
# The checks, in groups: each starts what it needs and stops its responders.


def direct(t, check):
    want = len(it.DATASET[it.SMALL])
    t.ctl("reset")
    p, port = t.responder("localhost", trust=True)
    rs = [t.attendees(port) for _ in range(5)]
    check("answers over TLS", all(r.status == 200 for r in rs) and
          all(len(r.json()["participants"]) == want for r in rs),
          "statuses %s" % [r.status for r in rs])
    st = t.ctl("stats")
    pages = [q for q in st["requests"] if "/participants" in q["path"]]
    conns = {q["conn"] for q in pages}
    check("one kept TLS connection for the pages",
          len(pages) == 5 and len(conns) == 1,
          "%d page requests over %d connection(s)" % (len(pages),
                                                     len(conns)))
    check("one token over TLS", st["token_calls"] == 1,
          "%d token call(s)" % st["token_calls"])
    t.stop(p)


def through_proxy(t, check):
    # Through an HTTPS proxy named by the environment: libcurl opens the
    # tunnel, the pages still share one connection (the token may have
    # its own).
    proxy = ConnectProxy()
    try:
        t.ctl("reset")
        p, port = t.responder("localhost", trust=True,
                              proxy="http://127.0.0.1:%d" % proxy.port)
        rs = [t.attendees(port) for _ in range(3)]
        st = t.ctl("stats")
        pages = [q for q in st["requests"] if "/participants" in q["path"]]
        want_tunnel = "CONNECT localhost:%d" % t.sport
        check("through an HTTPS proxy (CONNECT tunnel)",
              all(r.status == 200 for r in rs) and len(pages) == 3 and
              len({q["conn"] for q in pages}) == 1 and
              1 <= len(proxy.tunnels) <= 2 and
              set(proxy.tunnels) == {want_tunnel},
              "statuses %s, tunnels %s" % ([r.status for r in rs],
                                           proxy.tunnels))
        t.stop(p)
    finally:
        proxy.close()


def zoom_ways(t, check):
    """Zoom's ways over TLS, against the stand-in speaking HTTPS."""
    t.ctl("reset")
    p, port = t.responder("localhost", trust=True)
    meetings = (it.SMALL, it.BIG, it.SMALL)

    t.ctl("mode", {"chunked": True})
    ok, detail, _ = answers(t, port, meetings)
    pages = it.page_requests(t)
    few = [q["path"] for q in pages if q.get("chunks", 0) < 3]
    check("chunked pages over TLS", ok and len(pages) == 5 and not few,
          detail if not ok else "%d pages, %d chunks" % (
              len(pages), sum(q.get("chunks", 0) for q in pages)))

    t.ctl("reset", {"tokens": False})
    t.ctl("mode", {"silent_close": True})
    ok, detail, _ = answers(t, port, meetings)
    pages = it.page_requests(t)
    conns = {q["conn"] for q in pages}
    check("kept TLS connection closed after an answer, without a word",
          ok and len(pages) == 5 and len(conns) == 5,
          detail if not ok else "%d pages over %d connections"
          % (len(pages), len(conns)))

    t.ctl("reset", {"tokens": False})
    t.ctl("mode", {"close_kept": True})
    ok, detail, _ = answers(t, port, meetings)
    try:
        n, answered = it.resent_once(t, "TLS")
        if ok and len(answered) != 5:
            ok, detail = False, "%d pages answered, expected 5" % len(answered)
        else:
            detail = detail if not ok else "%d requests sent again" % n
    except it.Failure as e:
        ok, detail = False, str(e)
    check("kept TLS connection closed under the next request", ok, detail)

    t.ctl("reset", {"tokens": False})
    t.ctl("fault", {"target": "participants", "kind": "compression_bomb"})
    r = t.attendees(port)
    j = r.json() if r.status != 200 else {}
    ok, detail, _ = answers(t, port, [it.SMALL])
    check("compression bomb over TLS",
          r.status == 502 and j.get("error") == "zoom_bad_response" and ok,
          "%d %s, then %s" % (r.status, j.get("error"), detail))

    # Zoom refuses the token (revoked), then says the next one has expired
    # (its clock an hour on): each time a new token and the page again.
    t.ctl("reset", {"tokens": False})
    t.ctl("fault", {"target": "participants", "kind": "revoke_tokens"})
    ok1, d1, _ = answers(t, port, [it.SMALL])
    t.ctl("clock", {"advance": 3601})
    ok2, d2, _ = answers(t, port, [it.SMALL])
    st = t.stats()
    bearers = [q["auth"] for q in st["requests"]
               if "/participants" in q["path"]]
    check("401 code 124 over TLS: a new token, the page again",
          ok1 and ok2 and st["token_calls"] == 2 and
          st["expired_token_401s"] == 1 and len(bearers) == 4 and
          len(set(bearers)) == 3,
          "%s; %s; %d token calls, %d expired-token 401s" % (
              d1, d2, st["token_calls"], st["expired_token_401s"]))
    t.stop(p)


def front_http2(t, check):
    """nginx with http2 in front of the plain stand-in."""
    t.start_front()
    t.ctl("reset", standin="front")
    t.front_calls()
    p, port = t.responder("localhost", trust=True, port=t.h2port)
    meetings = (it.SMALL, it.BIG, it.SMALL, it.EMPTY)
    ok, detail, rs = answers(t, port, meetings)
    check("through nginx over TLS with http2", ok, detail)
    calls = t.front_calls()
    protos = sorted({c["protocol"] for c in calls})
    check("HTTP/2 was used (nginx's access log)",
          calls and protos == ["HTTP/2.0"],
          "%d Zoom calls as %s" % (len(calls), protos))
    pages = [c for c in calls if c["uri"].startswith("/v2/")]
    conns = {c["connection"] for c in pages}
    check("one kept connection through nginx for the pages",
          len(pages) == 6 and len(conns) == 1,
          "%d page requests over %d connection(s)" % (len(pages),
                                                     len(conns)))

    # The same answers with compression off at the stand-in: byte for byte
    # what the responder answered from compressed pages.
    st = t.ctl("stats", standin="front")
    seen = [q for q in st["requests"] if "/participants" in q["path"]]
    asked = [q for q in seen if "gzip" in q["accept_encoding"].lower()]
    coded = [q for q in seen if q["content_encoding"] == "gzip"]
    via_nginx = [c for c in pages if c["content_encoding"] == "gzip"]
    t.ctl("reset", {"tokens": False}, standin="front")
    t.ctl("mode", {"compress": "off"}, standin="front")
    rs_plain = [t.attendees(port, m) for m in meetings]
    same = [a.body == b.body for a, b in zip(rs, rs_plain)]
    plain_bytes = t.ctl("stats", standin="front")["participants_wire_bytes"]
    check("compressed answers over HTTP/2, handed on unchanged",
          ok and seen and len(asked) == len(seen) and
          len(coded) == len(seen) and len(via_nginx) == len(pages) and
          all(same) and all(r.status == 200 for r in rs_plain),
          "%d/%d pages asked gzip, %d gzip, %d gzip through nginx; "
          "answers same as plain: %s; %d bytes on the wire, %d plain" % (
              len(asked), len(seen), len(coded), len(via_nginx), same,
              st["participants_wire_bytes"], plain_bytes))
    t.stop(p)

    t.ctl("reset", standin="front")
    t.front_calls()
    p, port = t.responder("localhost", trust=True, port=t.h1port)
    ok, detail, _ = answers(t, port, meetings)
    calls = t.front_calls()
    protos = sorted({c["protocol"] for c in calls})
    check("through nginx over TLS without http2: HTTP/1.1",
          ok and calls and protos == ["HTTP/1.1"],
          "%s; %d Zoom calls as %s" % (detail, len(calls), protos))
    t.stop(p)


def refusals(t, check):
    # A certificate for another name: 127.0.0.1 is not "localhost".
    t.ctl("reset")
    p, port = t.responder("127.0.0.1", trust=True)
    r = t.attendees(port)
    st = t.ctl("stats")
    check("certificate for another host name refused",
          r.status == 502 and st["token_calls"] == 0 and
          not st["requests"], "status %d" % r.status)
    t.stop(p)

    # The system bundle, which does not hold our CA.
    p, port = t.responder("localhost", trust=False)
    r = t.attendees(port)
    st = t.ctl("stats")
    check("certificate from an unknown CA refused",
          r.status == 502 and not st["requests"], "status %d" % r.status)
    t.stop(p)


def own_ca(t, check):
    """ZOOM_CA_FILE and ZOOM_CA_PATH, the system store not trusting the
    CA: the settings are used, and used to verify."""
    for name, value, works in (
            ("ZOOM_CA_FILE", t.ca, True),
            ("ZOOM_CA_PATH", t.ca_dir, True),
            ("ZOOM_CA_FILE", os.path.join(t.tmp, "other-ca.pem"), False)):
        t.ctl("reset")
        p, port = t.responder("localhost", trust=False, env={name: value})
        if works:
            ok, detail, _ = answers(t, port, [it.SMALL, it.SMALL])
            check("%s holding only the test CA" % name, ok, detail)
        else:
            r = t.attendees(port)
            st = t.ctl("stats")
            check("%s holding another CA: refused" % name,
                  r.status == 502 and not st["requests"],
                  "status %d" % r.status)
        t.stop(p)


def log_clean(t, check):
    log = open(t.log, errors="replace").read()
    marks = [m for m in it.SANITIZER_MARKS if m in log]
    # "eyJ" begins every piece of a JWT (base64url of '{"').
    leaks = [s[:8] for s in it.SECRETS + ["eyJ"] if s in log]
    check("no sanitizer report, no secret in the log", not marks and not leaks,
          "sanitizer: %s, secrets: %s" % (marks, leaks)
          if marks or leaks else "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    a = ap.parse_args()
    passed = failed = 0

    def check(name, ok, detail=""):
        nonlocal passed, failed
        ok = bool(ok)
        print("%s... %s%s" % (name, "ok" if ok else "FAIL",
                               (" (%s)" % detail) if detail else ""))
        if ok:
            passed += 1
        else:
            failed += 1

    t = None
    try:
        t = Tls(os.path.abspath(a.bin))
        for group in (direct, through_proxy, zoom_ways, front_http2,
                      refusals, own_ca, log_clean):
            t0 = time.monotonic()
            try:
                group(t, check)
            except Exception as e:  # a broken harness is a failure, never a skip
                check("%s: harness" % group.__name__, False, repr(e))
            if os.environ.get("ZA_ITEST_TIMING"):
                print("# %s: %.1f s" % (group.__name__,
                                        time.monotonic() - t0))
    except Exception as e:
        check("harness", False, repr(e))
    finally:
        if t is not None:
            t.close()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
