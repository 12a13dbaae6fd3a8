#!/usr/bin/env python3
"""Metrics through nginx with 4 worker processes.

    python3 tests/metrics/run.py --bin build/zoom-attendees [--keep]

On 127.0.0.1 only. nginx with the project's nginx/zoom-attendees.location.conf
-> FastCGI over TCP -> 4 responder processes, each `--listen` on its own
port, the upstream's 4 servers in nginx's round robin (METRICS=on,
METRICS_KEY, one METRICS_FILE) -> a Zoom stand-in (nginx: a fixed token
answer, one participants page, a 404 code 3001, a 429 daily limit).

Round robin spreads both the requests and the scrapes over every process
for certain (processes sharing one listening socket may leave all the work
to one of them: each accepts every pending connection at once). Sends N
requests of known kinds from 16 threads, then scrapes GET /api/zoom/metrics
through nginx 8 times (each process answers 2 of them) and checks:
  - without a key, with the API key instead of METRICS_KEY: 401;
  - za_requests_total per route and status equals what was sent, exactly,
    in every scrape (earlier scrapes counted under route="metrics");
  - each route's latency histogram counts as many requests;
  - Zoom calls by kind and outcome equal the stand-in's access log, and
    retries its 503 answers less the first tries;
  - token fetches equal its token calls: 4, one by each process (no
    token cache), so every process added to the counters;
  - every process maps METRICS_FILE, and none fell back to its own counters;
  - the text format: Content-Type text/plain; version=0.0.4.
With --spawn-fcgi, the 4 processes are `spawn-fcgi -F 4`'s on one socket
(the same checks, but the token calls may be fewer than 4).
Prints "N passed, N failed"; exits 1 if any failed.
"""

import argparse
import concurrent.futures
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from fast_standin import free_port, wait_port, write_meetings  # noqa: E402

LOCATION_CONF = os.path.join(ROOT, "nginx", "zoom-attendees.location.conf")
API = "/api/zoom/get-meeting-attendees"
METRICS = "/api/zoom/metrics"
HEALTH = "/api/zoom/healthz"
KEY = "metrics-internal-key-" + os.urandom(8).hex()
MKEY = "metrics-scrape-key-" + os.urandom(8).hex()
TOKEN = "metrics-access-token-" + os.urandom(8).hex()
SECRET = "metrics-client-secret-" + os.urandom(8).hex()
WORKERS = 4

OK_ID, NOT_FOUND, RATE = "12000000012", "40440440440", "42942942942"
DOWN = "50350350350"

# (what, count, route, status)
PLAN = [
    ("ok", 120, "attendance", 200),
    ("not_found", 30, "attendance", 404),
    ("rate", 20, "attendance", 503),
    ("down", 4, "attendance", 502),
    ("no_key", 25, "attendance", 401),
    ("get_api", 10, "attendance", 405),
    ("health", 40, "healthz", 200),
]

HEAD = """
daemon off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    client_body_temp_path {d}/cb;
    proxy_temp_path {d}/px;
    fastcgi_temp_path {d}/fc;
    uwsgi_temp_path {d}/uw;
    scgi_temp_path {d}/sc;
"""


def standin_conf(d, port, data):
    token = json.dumps({"access_token": TOKEN, "token_type": "bearer",
                        "expires_in": 3600,
                        "scope": "meeting:read:list_past_participants:admin"})
    return HEAD.format(d=d) + """
    log_format calls '$request_uri $status';
    access_log {d}/access.log calls;
    default_type application/json;
    server {{
        listen 127.0.0.1:{port};
        root {data};
        location = /oauth/token {{ return 200 '{token}'; }}
        location = /v2/past_meetings/{nf}/participants {{
            return 404 '{{"code":3001,"message":"Meeting does not exist: {nf}."}}';
        }}
        location = /v2/past_meetings/{rate}/participants {{
            add_header Retry-After "Wed, 21 Oct 2099 07:28:00 GMT" always;
            add_header X-RateLimit-Type "Daily-limit" always;
            return 429 '{{"code":429,"message":"You have reached the maximum daily rate limit for this API."}}';
        }}
        location = /v2/past_meetings/{down}/participants {{
            return 503 '{{"code":503,"message":"Service Unavailable"}}';
        }}
        location ~ ^/v2/past_meetings/(?<mid>[0-9]+)/participants$ {{
            try_files /$mid/p$arg_next_page_token.json =404;
        }}
    }}
}}
""".format(d=d, port=port, data=data, token=token, nf=NOT_FOUND, rate=RATE,
           down=DOWN)


def front_conf(d, port, fcgi_ports):
    # Round robin, no keepalive: request i goes to process i mod 4.
    return HEAD.format(d=d) + """
    access_log off;
    upstream zoom_attendees {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        include {loc};
    }}
}}
""".format(d=d, port=port, loc=LOCATION_CONF, servers="\n".join(
        "        server 127.0.0.1:%d;" % p for p in fcgi_ports))


passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
        print("ok   %s" % what)
    else:
        failed += 1
        print("FAIL %s" % what)


def request(port, what):
    h = {"Content-Type": "application/json",
         "Authorization": "Bearer " + KEY}
    method, path, body = "POST", API, None
    if what == "ok":
        body = '{"zoomCallId":"%s"}' % OK_ID
    elif what == "not_found":
        body = '{"zoomCallId":"%s"}' % NOT_FOUND
    elif what == "rate":
        body = '{"zoomCallId":"%s"}' % RATE
    elif what == "down":
        body = '{"zoomCallId":"%s"}' % DOWN
    elif what == "no_key":
        body = '{"zoomCallId":"%s"}' % OK_ID
        del h["Authorization"]
    elif what == "get_api":
        method = "GET"
    elif what == "health":
        method, path, h = "GET", HEALTH, {}
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    r.read()
    c.close()
    return r.status


def scrape(port, key):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", METRICS,
              headers={"Authorization": "Bearer " + key} if key else {})
    r = c.getresponse()
    body = r.read().decode()
    c.close()
    return r.status, r.getheader("Content-Type"), body


def samples(text):
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) ([0-9.]+)$", line)
        if m is None:
            out.setdefault("__bad__", []).append(line)
            continue
        out[m.group(1)] = float(m.group(2))
    return out


class Run:
    def __init__(self, a):
        self.a = a
        self.tmp = tempfile.mkdtemp(prefix="za-metrics-")
        self.procs = []
        self.workers = []
        self.popen = []
        self.data = write_meetings(self.tmp, [(OK_ID, 12)])

    def nginx(self, name, conf_fn, *args):
        port = free_port()
        d = os.path.join(self.tmp, name)
        os.makedirs(d)
        os.chmod(d, 0o755)
        path = os.path.join(d, "nginx.conf")
        with open(path, "w") as f:
            f.write(conf_fn(d, port, *args))
        p = subprocess.Popen(
            [shutil.which("nginx") or "/usr/sbin/nginx", "-p", d, "-c",
             path, "-e", os.path.join(d, "error.log")],
            start_new_session=True, stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(d, "stderr"), "ab"))
        self.procs.append(p)
        wait_port(port)
        return port, d

    def start_workers(self, sport):
        self.metrics_file = os.path.join(self.tmp, "metrics")
        env = {"PATH": "/usr/bin:/bin", "INTERNAL_API_KEY": KEY,
               "ZOOM_ACCOUNT_ID": "metrics-account",
               "ZOOM_CLIENT_ID": "metrics-client",
               "ZOOM_CLIENT_SECRET": SECRET,
               "ZOOM_TOKEN_URL": "http://127.0.0.1:%d/oauth/token" % sport,
               "ZOOM_API_BASE": "http://127.0.0.1:%d/v2" % sport,
               "ZOOM_ATTENDEES_THREADS": "1",
               "METRICS": "on", "METRICS_KEY": MKEY,
               "METRICS_FILE": self.metrics_file}
        self.log = os.path.join(self.tmp, "workers.stderr")
        if self.a.spawn:
            return self.spawn_workers(env)
        ports = []
        for _ in range(WORKERS):
            port = free_port()
            p = subprocess.Popen(
                [self.a.bin, "--listen", "127.0.0.1:%d" % port], env=env,
                stdout=subprocess.DEVNULL, stderr=open(self.log, "ab"))
            self.workers.append(p.pid)
            self.popen.append(p)
            wait_port(port)
            ports.append(port)
        return ports

    def spawn_workers(self, env):
        """spawn-fcgi -F 4: one listening socket shared by 4 processes."""
        port = free_port()
        p = subprocess.run(
            ["spawn-fcgi", "-F", str(WORKERS), "-a", "127.0.0.1",
             "-p", str(port), "--", self.a.bin], env=env,
            stdout=subprocess.PIPE, stderr=open(self.log, "ab"), timeout=30)
        self.workers = sorted(int(x) for x in re.findall(
            rb"child spawned successfully: PID: (\d+)", p.stdout))
        if p.returncode != 0 or len(self.workers) != WORKERS:
            raise RuntimeError("spawn-fcgi failed: %r" % p.stdout)
        wait_port(port)
        return [port]

    def close(self):
        for pid in self.workers:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        for pid in self.workers:
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                    with open("/proc/%d/stat" % pid) as f:
                        if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                            break
                except (ProcessLookupError, FileNotFoundError):
                    break
                time.sleep(0.05)
            else:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        for p in self.popen:
            p.wait()
        for p in reversed(self.procs):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
        if self.a.keep:
            print("kept %s" % self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--spawn-fcgi", dest="spawn", action="store_true",
                    help="4 processes by spawn-fcgi -F 4 on one socket "
                    "instead: the work may all go to one of them, so only "
                    "the sums, not the spread, are certain")
    a = ap.parse_args()
    a.bin = os.path.abspath(a.bin)
    for tool in ("nginx",) + (("spawn-fcgi",) if a.spawn else ()):
        if shutil.which(tool) is None and not os.path.exists(
                "/usr/sbin/" + tool):
            print("FAIL %s is not installed" % tool)
            return 1
    r = Run(a)
    try:
        sport, sdir = r.nginx("standin", standin_conf, r.data)
        fports = r.start_workers(sport)
        port, _ = r.nginx("front", front_conf, fports)

        # Unauthorised scrapes first: counted under route="metrics".
        st, _, body = scrape(port, None)
        check(st == 401, "scrape without a key: 401 (got %d)" % st)
        st, _, _ = scrape(port, KEY)
        check(st == 401, "scrape with INTERNAL_API_KEY while METRICS_KEY is "
              "set: 401 (got %d)" % st)
        check("za_requests_total" not in body, "no counters in the 401")

        jobs = [w for w, n, _, _ in PLAN for _ in range(n)]
        want = {}
        for w, n, route, status in PLAN:
            want[(route, status)] = want.get((route, status), 0) + n
        with concurrent.futures.ThreadPoolExecutor(16) as ex:
            got = list(ex.map(lambda w: (w, request(port, w)), jobs))
        wrong = [(w, s) for w, s in got if s != dict(
            (p[0], p[3]) for p in PLAN)[w]]
        check(not wrong, "%d requests, each with its expected status%s" % (
            len(jobs), "" if not wrong else " (wrong: %r)" % wrong[:5]))

        time.sleep(0.3)		# the stand-in's log written
        calls = {}
        with open(os.path.join(sdir, "access.log")) as f:
            for line in f:
                uri, st = line.split()
                kind = "token" if uri.startswith("/oauth/token") else (
                    "participants" if "/participants" in uri else "other")
                calls[(kind, st)] = calls.get((kind, st), 0) + 1
        token_calls = sum(n for (k, _), n in calls.items() if k == "token")

        scrapes = 8
        for i in range(scrapes):
            st, ctype, body = scrape(port, MKEY)
            check(st == 200, "scrape %d: 200 (got %d)" % (i + 1, st))
            if st != 200:
                continue
            s = samples(body)
            check("__bad__" not in s, "scrape %d: every line a comment or a "
                  "sample%s" % (i + 1, "" if "__bad__" not in s else
                                " (%r)" % s["__bad__"][:3]))
            exp = dict(want)
            exp[("metrics", 401)] = 2
            if i > 0:
                exp[("metrics", 200)] = i
            seen = {}
            for k, v in s.items():
                m = re.match(r'za_requests_total\{route="([a-z_]+)",'
                             r'status="([0-9a-z]+)"\}$', k)
                if m:
                    seen[(m.group(1), int(m.group(2)))] = int(v)
            check(seen == exp, "scrape %d: requests by route and status "
                  "exactly as sent%s" % (i + 1, "" if seen == exp else
                                         ": %r != %r" % (seen, exp)))
            for route in ("attendance", "healthz", "metrics"):
                n = sum(v for (rt, _), v in exp.items() if rt == route)
                c = s.get('za_request_duration_seconds_count{route="%s"}'
                          % route)
                inf = s.get('za_request_duration_seconds_bucket{route="%s",'
                            'le="+Inf"}' % route)
                check(c == n and inf == n, "scrape %d: %s latency histogram "
                      "counts %d (got %s, +Inf %s)" % (i + 1, route, n, c,
                                                       inf))
            if i > 0:
                continue
            check(ctype is not None and ctype.startswith(
                "text/plain; version=0.0.4"), "Content-Type %r" % ctype)
            z = lambda k, o: s.get('za_zoom_calls_total{kind="%s",'  # noqa
                                   'outcome="%s"}' % (k, o))
            check(z("participants", "ok") == calls.get(
                ("participants", "200"), 0) == 120,
                "participants ok: 120 (metric %s, stand-in %s)" % (
                    z("participants", "ok"),
                    calls.get(("participants", "200"))))
            check(z("participants", "client_error") == calls.get(
                ("participants", "404"), 0) == 30,
                "participants client_error: 30 (metric %s)" %
                z("participants", "client_error"))
            check(z("participants", "rate_limited") == calls.get(
                ("participants", "429"), 0) == 20 and
                s.get("za_zoom_rate_limited_total") == 20,
                "participants rate_limited: 20 (metric %s)" %
                z("participants", "rate_limited"))
            check(z("token", "ok") == token_calls and
                  s.get("za_zoom_token_fetches_total") == token_calls,
                  "token calls: metric %s, fetches %s, stand-in %d" % (
                      z("token", "ok"), s.get("za_zoom_token_fetches_total"),
                      token_calls))
            if a.spawn:
                check(1 <= token_calls <= WORKERS, "1 to %d token calls (%d)"
                      % (WORKERS, token_calls))
            else:
                check(token_calls == WORKERS, "each of the %d processes "
                      "fetched a token (%d): every process counted" % (
                          WORKERS, token_calls))
            down = calls.get(("participants", "503"), 0)
            check(z("participants", "server_error") == down and down > 4,
                  "participants server_error: %s (stand-in %d)" % (
                      z("participants", "server_error"), down))
            check(s.get("za_zoom_retries_total") == down - 4,
                  "retries: %s (503 answers %d less the 4 first tries)" % (
                      s.get("za_zoom_retries_total"), down))
            check(s.get("za_metrics_shared") == 1, "counters shared")
        st = os.stat(r.metrics_file)
        check(st.st_mode & 0o777 == 0o600, "METRICS_FILE mode 0600 (%o)" %
              (st.st_mode & 0o777))
        alive = [p.pid for p in r.popen if p.poll() is None] + [
            p for p in r.workers if os.path.exists("/proc/%d/maps" % p)
            and not r.popen]
        check(len(alive) == WORKERS, "all %d workers alive" % WORKERS)
        mapped = []
        for pid in alive:
            with open("/proc/%d/maps" % pid) as f:
                if r.metrics_file in f.read():
                    mapped.append(pid)
        check(len(mapped) == WORKERS, "every worker maps METRICS_FILE "
              "(%d of %d)" % (len(mapped), WORKERS))
        with open(r.log) as f:
            log = f.read()
        check("METRICS_FILE cannot be used" not in log,
              "no worker fell back to its own counters")
    finally:
        r.close()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
