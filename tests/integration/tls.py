#!/usr/bin/env python3
"""The responder against a Zoom stand-in speaking HTTPS on 127.0.0.1.

Production Zoom is HTTPS only, and the pages travel over a connection that
libcurl opened (TLS, certificate and host name checks) and that the
responder keeps (src/http_conn.c). Here a throwaway CA signs a certificate
for "localhost"; the responder runs in a private mount namespace
(`unshare --mount`) where that CA is bind-mounted over the system bundle
libcurl reads, so nothing on the machine is changed. Needs root (as CI).

Checks: answers over TLS, one TLS connection for many requests, and the
refusals: a certificate for another name, and one from an unknown CA.
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
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import run as it  # noqa: E402  (the integration suite's helpers)

BUNDLE = subprocess.run(["curl-config", "--ca"], capture_output=True,
                        text=True).stdout.strip() or \
    "/etc/ssl/certs/ca-certificates.crt"


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_pki(d):
    """A CA, and a server certificate it signs for localhost only."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=zoom-attendees test CA", "-keyout", "ca.key",
            "-out", "ca.pem", cwd=d)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
            "-keyout", "server.key", "-out", "server.csr", cwd=d)
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:localhost\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey",
            "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "ext.cnf",
            "-out", "server.pem", cwd=d)


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


class Tls:
    def __init__(self, binary):
        self.bin = binary
        self.tmp = tempfile.mkdtemp(prefix="za-tls-")
        self.procs = []
        make_pki(self.tmp)
        self.ca = os.path.join(self.tmp, "ca.pem")
        self.ctx = ssl.create_default_context(cafile=self.ca)
        pf = os.path.join(self.tmp, "port")
        self.standin = self.spawn(
            [sys.executable, it.STANDIN, "--port", "0", "--port-file", pf,
             "--client-id", it.CLIENT_ID, "--client-secret", it.CLIENT_SECRET,
             "--account-id", it.ACCOUNT_ID,
             "--tls-cert", os.path.join(self.tmp, "server.pem"),
             "--tls-key", os.path.join(self.tmp, "server.key")])
        self.sport = it.wait_port_file(pf, self.standin, "the TLS stand-in")

    def spawn(self, argv, **kw):
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                             stderr=kw.pop("stderr", subprocess.DEVNULL), **kw)
        self.procs.append(p)
        return p

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

    def ctl(self, what, args=None):
        req = urllib.request.Request(
            "https://localhost:%d/_control/%s" % (self.sport, what),
            data=json.dumps(args or {}).encode(), method="POST",
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, context=self.ctx, timeout=10) as r:
            return json.loads(r.read())

    def responder(self, host, trust, proxy=None):
        """A FastCGI responder for https://host:port; trust: our CA.
        One thread: each thread keeps its own connection to Zoom."""
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LC_ALL": "C",
               "INTERNAL_API_KEY": it.API_KEY,
               "ZOOM_ACCOUNT_ID": it.ACCOUNT_ID,
               "ZOOM_CLIENT_ID": it.CLIENT_ID,
               "ZOOM_CLIENT_SECRET": it.CLIENT_SECRET,
               "ZOOM_TOKEN_URL": "https://%s:%d/oauth/token" % (host, self.sport),
               "ZOOM_API_BASE": "https://%s:%d/v2" % (host, self.sport),
               "ZOOM_TIMEOUT_MS": str(it.TIMEOUT_MS),
               "ZOOM_ATTENDEES_THREADS": "1"}
        if proxy:
            env["HTTPS_PROXY"] = proxy
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                env[k] = os.environ[k]
        port = it.free_port()
        argv = [self.bin, "--listen", "127.0.0.1:%d" % port]
        if trust:
            # exec keeps the PID, so SIGTERM reaches the responder.
            argv = ["unshare", "--mount", "sh", "-c",
                    'mount --bind "$0" "$1" && shift && exec "$@"',
                    self.ca, BUNDLE] + argv
        log = open(os.path.join(self.tmp, "responder.log"), "ab")
        p = self.spawn(argv, env=env, stderr=log)
        if not it.port_ready(port, p):
            raise RuntimeError("the responder did not start: %s" % open(
                os.path.join(self.tmp, "responder.log")).read()[-1000:])
        return p, port

    def attendees(self, port, meeting=it.SMALL):
        body = json.dumps({"zoomCallId": meeting}).encode()
        out, _ = it.fcgi_request(("127.0.0.1", port), {
            "REQUEST_METHOD": "POST", "SCRIPT_NAME": it.API_PATH,
            "REQUEST_URI": it.API_PATH, "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_AUTHORIZATION": "Bearer " + it.API_KEY}, body)
        return it.parse_cgi_output(out, "fastcgi")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    a = ap.parse_args()
    passed = failed = 0

    def check(name, ok, detail=""):
        nonlocal passed, failed
        print("%s... %s%s" % (name, "ok" if ok else "FAIL",
                               (" (%s)" % detail) if detail else ""))
        if ok:
            passed += 1
        else:
            failed += 1

    t = Tls(os.path.abspath(a.bin))
    try:
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
        p.send_signal(signal.SIGTERM)
        p.wait(10)

        # Through an HTTPS proxy named by the environment: libcurl opens
        # the tunnel, the pages still share one connection.
        proxy = ConnectProxy()
        try:
            t.ctl("reset")
            p, port = t.responder("localhost", trust=True,
                                  proxy="http://127.0.0.1:%d" % proxy.port)
            rs = [t.attendees(port) for _ in range(3)]
            st = t.ctl("stats")
            pages = [q for q in st["requests"]
                     if "/participants" in q["path"]]
            want_tunnel = "CONNECT localhost:%d" % t.sport
            check("through an HTTPS proxy (CONNECT tunnel)",
                  all(r.status == 200 for r in rs) and len(pages) == 3 and
                  len({q["conn"] for q in pages}) == 1 and
                  proxy.tunnels == [want_tunnel] * 2,
                  "statuses %s, tunnels %s" % ([r.status for r in rs],
                                               proxy.tunnels))
            p.send_signal(signal.SIGTERM)
            p.wait(10)
        finally:
            proxy.close()

        # A certificate for another name: 127.0.0.1 is not "localhost".
        t.ctl("reset")
        p, port = t.responder("127.0.0.1", trust=True)
        r = t.attendees(port)
        st = t.ctl("stats")
        check("certificate for another host name refused",
              r.status == 502 and st["token_calls"] == 0 and
              not st["requests"], "status %d" % r.status)
        p.send_signal(signal.SIGTERM)
        p.wait(10)

        # The system bundle, which does not hold our CA.
        p, port = t.responder("localhost", trust=False)
        r = t.attendees(port)
        st = t.ctl("stats")
        check("certificate from an unknown CA refused",
              r.status == 502 and not st["requests"], "status %d" % r.status)
        p.send_signal(signal.SIGTERM)
        p.wait(10)
        log = open(os.path.join(t.tmp, "responder.log"), errors="replace").read()
        marks = [m for m in it.SANITIZER_MARKS if m in log]
        check("no sanitizer report, no secret in the log",
              not marks and not any(x in log for x in it.SECRETS),
              "sanitizer: %s" % marks if marks else "")
    except Exception as e:  # a broken harness is a failure, never a skip
        check("harness", False, repr(e))
    finally:
        t.close()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
