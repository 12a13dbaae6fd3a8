#!/usr/bin/env python3
"""Load test: `make load` (not part of `make check`: it takes minutes).

    python3 tests/load/run.py --bin build/zoom-attendees [--seconds 60]
                              [--connections 256] [--workers 4]

On 127.0.0.1 only. wrk (Debian's) -> nginx with the project's
nginx/zoom-attendees.location.conf -> FastCGI over TCP -> WORKERS responder
processes started by `spawn-fcgi -F WORKERS` -> a fast Zoom stand-in (nginx:
a fixed token answer, participants pages as static files; the Python
stand-in cannot keep up with 256 connections).

The stand-in is told to fail for some meetings, and the wrk script (Lua)
asks for those in a fixed share of its requests:

  meeting       share    stand-in answers              we must answer
  12000000012   90.5 %   12 participants, one page     200
  10000000100    1 %     1,000 participants, 4 pages   200
  40440440440    5 %     404 code 3001                 404 meeting_not_found
  42942942942    3 %     429, Retry-After as a date    503 rate_limited
  50350350350    0.5 %   503 on every try              502 zoom_unavailable

Two runs of SECONDS each, CONNECTIONS connections: without
ZOOM_TOKEN_CACHE (at most one token call per worker) and with it (exactly
one token call in all). For each run it reports the answers by status
(counted by the wrk script's `response` callback, printed by its `done`),
and checks:
  - wrk saw no socket error (connect, read, write, timeout);
  - every answer has its meeting's status: nginx's access log pairs each
    request body with its status, so every non-200 is shown to come from a
    fault the stand-in was told to make;
  - no worker died: the same PIDs, alive, before and after;
  - token calls (the stand-in's access log): <= WORKERS, or 1 with the cache.
Prints a summary, then "N passed, N failed"; exits 1 if any failed.
"""

import argparse
import collections
import json
import os
import re
import shutil
import signal
import socket
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
KEY = "load-internal-key-" + os.urandom(8).hex()
TOKEN = "load-access-token-" + os.urandom(8).hex()
SECRET = "load-client-secret-" + os.urandom(8).hex()

SMALL, LARGE = "12000000012", "10000000100"
NOT_FOUND, RATE, DOWN = "40440440440", "42942942942", "50350350350"
# meeting -> (share per 200 requests, expected status, what the stand-in does)
MIX = collections.OrderedDict([
    (SMALL, (181, 200, "12 participants, one page")),
    (LARGE, (2, 200, "1,000 participants, 4 pages")),
    (NOT_FOUND, (10, 404, "404 code 3001")),
    (RATE, (6, 503, "429 with a Retry-After date")),
    (DOWN, (1, 502, "503 on every try")),
])
FAULTS = {NOT_FOUND, RATE, DOWN}


# ---------------------------------------------------------------------------
# The Zoom stand-in (nginx): pages from tests/fast_standin.py

HEAD = """
daemon off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    client_body_temp_path {d}/cb;
    proxy_temp_path {d}/px;
    fastcgi_temp_path {d}/fc;
    uwsgi_temp_path {d}/uw;
    scgi_temp_path {d}/sc;
    keepalive_requests 1000000;
"""


def standin_conf(d, port, data):
    token = json.dumps({"access_token": TOKEN, "token_type": "bearer",
                        "expires_in": 3600,
                        "scope": "meeting:read:list_past_participants:admin"})
    return HEAD.format(d=d) + """
    log_format calls '$request_uri $status';
    access_log {d}/access.log calls buffer=256k flush=1s;
    default_type application/json;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
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


def front_conf(d, port, fcgi_port):
    return HEAD.format(d=d) + """
    # The status of every request with its body: which meeting it asked for.
    log_format bodies '$status $request_body';
    access_log {d}/access.log bodies buffer=256k flush=1s;
    upstream zoom_attendees {{
        server 127.0.0.1:{fcgi};
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        include {loc};
    }}
}}
""".format(d=d, port=port, fcgi=fcgi_port, loc=LOCATION_CONF)


# ---------------------------------------------------------------------------
# wrk

LUA = r"""
-- Requests in a fixed pattern of meetings; answers counted by status.
local threads = {}
local pattern = {%(pattern)s}
local body = {}
for _, m in ipairs(pattern) do body[m] = '{"zoomCallId":"' .. m .. '"}' end
local headers = {["Content-Type"] = "application/json",
                 ["Authorization"] = "Bearer %(key)s"}

function setup(thread)
   thread:set("offset", #threads * 37)
   table.insert(threads, thread)
end

function init(args)
   statuses = {}
   n = offset
end

function request()
   n = n + 1
   local m = pattern[(n %% #pattern) + 1]
   return wrk.format("POST", "%(api)s", headers, body[m])
end

function response(status, hdrs, b)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local total = {}
   for _, t in ipairs(threads) do
      for s, c in pairs(t:get("statuses")) do
         total[s] = (total[s] or 0) + c
      end
   end
   for s, c in pairs(total) do
      io.write(string.format("status %%d %%d\n", s, c))
   end
   io.write(string.format("latency_us p50 %%d p99 %%d max %%d\n",
      latency:percentile(50), latency:percentile(99), latency.max))
   local e = summary.errors
   io.write(string.format("errors connect %%d read %%d write %%d status %%d timeout %%d\n",
      e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def lua_script(path):
    pattern = []
    for m, (share, _, _) in MIX.items():
        pattern += [m] * share
    # Spread each meeting over the pattern.
    pattern = [pattern[i] for i in sorted(range(len(pattern)),
                                          key=lambda i: (i * 67) % 200)]
    with open(path, "w") as f:
        f.write(LUA % {"pattern": ", ".join('"%s"' % m for m in pattern),
                       "key": KEY, "api": API})


def run_wrk(url, lua, conns, secs, threads):
    cmd = ["wrk", "-t%d" % threads, "-c%d" % conns, "-d%ds" % secs,
           "--timeout", "20s", "-s", lua, url]
    p = subprocess.run(cmd, capture_output=True, text=True,
                       timeout=secs + 60)
    out = p.stdout
    res = {"raw": out, "statuses": {}, "rc": p.returncode,
           "stderr": p.stderr}
    for s, c in re.findall(r"^status (\d+) (\d+)$", out, re.M):
        res["statuses"][int(s)] = int(c)
    m = re.search(r"^latency_us p50 (\d+) p99 (\d+) max (\d+)$", out, re.M)
    if m:
        res["p50"], res["p99"], res["max"] = (int(x) / 1000.0
                                               for x in m.groups())
    m = re.search(r"^errors connect (\d+) read (\d+) write (\d+) status "
                  r"(\d+) timeout (\d+)$", out, re.M)
    if m:
        res["errors"] = dict(zip(("connect", "read", "write", "status",
                                  "timeout"), map(int, m.groups())))
    m = re.search(r"(\d+) requests in ([\d.]+)(s|m)", out)
    if m:
        res["requests"] = int(m.group(1))
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if m:
        res["rps"] = float(m.group(1))
    return res


# ---------------------------------------------------------------------------
# Processes


class Load:
    def __init__(self, a):
        self.a = a
        self.tmp = tempfile.mkdtemp(prefix="za-load-")
        self.procs = []
        self.workers = []
        self.data = write_meetings(self.tmp, [(SMALL, 12), (LARGE, 1000)])
        # A private copy: its path tells the workers apart from any other.
        self.bin = os.path.join(self.tmp, "zoom-attendees")
        shutil.copy2(a.bin, self.bin)

    def nginx(self, name, conf_fn, *args):
        port = free_port()
        d = os.path.join(self.tmp, name)
        os.makedirs(d)
        os.chmod(d, 0o755)
        shutil.copy("/etc/nginx/fastcgi_params", d)
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

    def start_workers(self, name, cache):
        port = free_port()
        env = {"PATH": "/usr/bin:/bin", "INTERNAL_API_KEY": KEY,
               "ZOOM_ACCOUNT_ID": "load-account", "ZOOM_CLIENT_ID":
               "load-client", "ZOOM_CLIENT_SECRET": SECRET,
               "ZOOM_TOKEN_URL": "http://127.0.0.1:%d/oauth/token"
               % self.sport,
               "ZOOM_API_BASE": "http://127.0.0.1:%d/v2" % self.sport,
               "ZOOM_TIMEOUT_MS": "10000"}
        if cache:
            env["ZOOM_TOKEN_CACHE"] = cache
        log = os.path.join(self.tmp, "workers-%s.stderr" % name)
        p = subprocess.run(
            ["spawn-fcgi", "-F", str(self.a.workers), "-a", "127.0.0.1",
             "-p", str(port), "--", self.bin], env=env,
            stdout=subprocess.PIPE, stderr=open(log, "ab"), timeout=30)
        # spawn-fcgi prints each child's PID on stdout, then exits.
        pids = sorted(int(x) for x in re.findall(
            rb"child spawned successfully: PID: (\d+)", p.stdout))
        self.workers = pids
        if p.returncode != 0 or not pids:
            raise RuntimeError("spawn-fcgi failed: %r %s" % (
                p.stdout, open(log).read()))
        wait_port(port)
        return port, pids, log

    def stop_workers(self, pids, seconds=10.0):
        """SIGTERM to each worker we started; those that do not exit get
        SIGKILL. Returns the PIDs that had to be killed."""
        for pid in pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + seconds
        left = list(pids)
        while left and time.monotonic() < deadline:
            left = [p for p in left if alive(p, self.bin)]
            time.sleep(0.05)
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.workers = []
        return left

    def close(self):
        if self.workers:
            self.stop_workers(self.workers)
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


def alive(pid, binary):
    """pid runs binary and is not a zombie."""
    try:
        if os.readlink("/proc/%d/exe" % pid) != binary:
            return False
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def workers_running(binary):
    out = []
    for pid in os.listdir("/proc"):
        if pid.isdigit() and alive(int(pid), binary):
            out.append(int(pid))
    return sorted(out)


def read_lines(path, since=0):
    with open(path, "rb") as f:
        f.seek(since)
        return f.read().decode("utf-8", "replace").splitlines()


def size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


# ---------------------------------------------------------------------------
# One run


def one_run(ld, name, cache, checks):
    a = ld.a
    print("== %s: %d connections, %d s, %d workers (spawn-fcgi -F %d)%s" % (
        name, a.connections, a.seconds, a.workers, a.workers,
        ", ZOOM_TOKEN_CACHE" if cache else ""), flush=True)
    fcgi_port, pids, wlog = ld.start_workers(name, cache)
    fport, fdir = ld.nginx("front-" + name, front_conf, fcgi_port)
    flog = os.path.join(fdir, "access.log")
    s0 = size(ld.slog)
    time.sleep(0.2)
    before = workers_running(ld.bin)
    lua = os.path.join(ld.tmp, "load-%s.lua" % name)
    lua_script(lua)
    t0 = time.monotonic()
    w = run_wrk("http://127.0.0.1:%d%s" % (fport, API), lua, a.connections,
                a.seconds, a.threads)
    took = time.monotonic() - t0
    time.sleep(1.5)             # access logs flush every second
    after = workers_running(ld.bin)
    calls = collections.Counter()
    for ln in read_lines(ld.slog, s0):
        uri = ln.split(" ", 1)[0]
        if uri.startswith("/oauth/token"):
            calls["token"] += 1
        else:
            m = re.match(r"/v2/past_meetings/(\d+)/participants", uri)
            calls[m.group(1) if m else "other"] += 1
    answers = collections.Counter()     # (meeting, status) -> count
    unparsed = 0
    for ln in read_lines(flog):
        m = re.match(r'^(\d{3}) .*zoomCallId\\x22:\\x22(\d+)\\x22', ln)
        if not m:
            unparsed += 1
            continue
        answers[(m.group(2), int(m.group(1)))] += 1
    wlines = read_lines(wlog)
    killed = ld.stop_workers(pids)

    # -- report
    total = sum(w["statuses"].values())
    print("  wrk: %s requests in %.1f s, %.0f req/s; latency p50 %.2f ms, "
          "p99 %.2f ms, max %.2f ms" % (
              w.get("requests"), took, w.get("rps", 0), w.get("p50", -1),
              w.get("p99", -1), w.get("max", -1)))
    print("  answers by status (wrk response callback): " + ", ".join(
        "%d: %d" % kv for kv in sorted(w["statuses"].items())) +
        " (total %d)" % total)
    print("  wrk errors: %s (status: non-2xx answers)" % w.get("errors"))
    cut = sum(c for (m, s), c in answers.items() if s == 499)
    print("  requests in flight when wrk stopped (nginx 499): %d" % cut)
    print("  by meeting (nginx access log):")
    for m, (share, want, what) in MIX.items():
        got = {s: c for (mm, s), c in answers.items() if mm == m}
        print("    %s  %-28s expect %d  got %s" % (
            m, what, want, ", ".join("%d: %d" % kv for kv in
                                     sorted(got.items())) or "-"))
    print("  Zoom stand-in calls: token %d, participants %s" % (
        calls["token"], ", ".join("%s: %d" % (m, calls[m]) for m in MIX)))
    print("  workers before %s, after %s" % (before, after))

    def wrk_ok():
        if w["rc"] != 0 or "errors" not in w or not w["statuses"]:
            fail("wrk failed (rc %s): %s %s" % (w["rc"], w["raw"][-500:],
                                               w["stderr"][-500:]))
        # ("status" counts the non-2xx answers: not a socket error.)
        errs = {k: v for k, v in w["errors"].items() if k != "status" and v}
        if errs:
            fail("socket errors %s" % errs)
        if w["requests"] < a.connections:
            fail("only %d requests" % w["requests"])
        return "%d requests, %.0f req/s, %d connections, %.0f s" % (
            w["requests"], w["rps"], a.connections, took)

    def statuses_ok():
        # 499: nginx's mark for a request whose client left, as wrk's
        # connections do when it stops; never more than one a connection.
        wrong = {k: c for k, c in answers.items() if k[1] != 499 and (
            k[0] not in MIX or MIX[k[0]][1] != k[1])}
        if cut > a.connections:
            fail("%d requests cut short, more than the %d connections"
                 % (cut, a.connections))
        if unparsed:
            fail("%d access log lines without a meeting id" % unparsed)
        if wrong:
            fail("answers with another status than their meeting's: %s" % (
                ", ".join("%s -> %d: %d" % (k[0], k[1], c)
                          for k, c in sorted(wrong.items()))))
        logged = sum(answers.values()) - cut
        if logged < total:
            fail("wrk counted %d answers, nginx logged %d" % (total, logged))
        # wrk's own count agrees: non-200 only with fault statuses.
        allowed = {MIX[m][1] for m in FAULTS} | {200}
        odd = {s: c for s, c in w["statuses"].items() if s not in allowed}
        if odd:
            fail("wrk saw statuses no fault explains: %s" % odd)
        non200 = sum(c for (m, s), c in answers.items() if s not in
                     (200, 499))
        return ("%d non-200 answers, all from the configured faults; %d "
                "cut by wrk's end" % (non200, cut))

    def workers_ok():
        if len(pids) != a.workers or before != pids:
            fail("spawn-fcgi reported %s, running before: %s" % (pids,
                                                                 before))
        if after != before:
            fail("workers before %s, after %s" % (before, after))
        crash = [ln for ln in wlines if re.search(
            r"(AddressSanitizer|runtime error|Segmentation|Aborted|"
            r"out of memory)", ln)]
        if crash:
            fail("worker log: %s" % crash[0])
        if killed:
            fail("workers %s did not exit on SIGTERM" % killed)
        return "%d workers, same PIDs, each exited on SIGTERM" % len(pids)

    def tokens_ok():
        t = calls["token"]
        if cache and t != 1:
            fail("%d token calls with ZOOM_TOKEN_CACHE, expected 1" % t)
        if not cache and not 1 <= t <= a.workers:
            fail("%d token calls for %d workers" % (t, a.workers))
        return "%d token call(s)" % t

    checks += [("%s: wrk ran clean" % name, wrk_ok),
               ("%s: every answer has its meeting's status" % name,
                statuses_ok),
               ("%s: no worker died" % name, workers_ok),
               ("%s: token calls" % name, tokens_ok)]
    return {"name": name, "wrk": w, "calls": calls}


class Failure(Exception):
    pass


def fail(msg):
    raise Failure(msg)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build",
                                                  "zoom-attendees"))
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--connections", type=int, default=256)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2, help="wrk threads")
    ap.add_argument("--only", choices=("no-cache", "cache"))
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    a.bin = os.path.abspath(a.bin)
    for tool in ("wrk", "spawn-fcgi", "nginx"):
        if shutil.which(tool) is None and not os.path.exists(
                "/usr/sbin/" + tool):
            print("%s is not installed (make load installs it)" % tool,
                  file=sys.stderr)
            return 2

    def on_term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)

    ld = Load(a)
    checks, runs = [], []
    passed = failed = 0
    try:
        ld.sport, sdir = ld.nginx("standin", standin_conf, ld.data)
        ld.slog = os.path.join(sdir, "access.log")
        if a.only != "cache":
            runs.append(one_run(ld, "no-cache", None, checks))
        if a.only != "no-cache":
            cdir = os.path.join(ld.tmp, "cache")
            os.mkdir(cdir, 0o700)
            runs.append(one_run(ld, "cache", os.path.join(cdir, "token"),
                                checks))
    except KeyboardInterrupt:
        print("interrupted")
        failed += 1
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        print("setup failed: %s" % e)
        failed += 1
    finally:
        ld.close()
    print()
    for name, fn in checks:
        sys.stdout.write("%s... " % name)
        try:
            note = fn()
        except Failure as e:
            failed += 1
            print("FAIL: %s" % e)
            continue
        passed += 1
        print("ok" + (" (%s)" % note if note else ""))
    if runs:
        print("\n| run | requests | req/s | p50 ms | p99 ms | 200 | 404 | 502 "
              "| 503 | other | token calls |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for r in runs:
            w, st = r["wrk"], r["wrk"]["statuses"]
            other = sum(c for s, c in st.items()
                        if s not in (200, 404, 502, 503))
            print("| %s | %s | %.0f | %.2f | %.2f | %d | %d | %d | %d | %d | "
                  "%d |" % (r["name"], w.get("requests"), w.get("rps", 0),
                            w.get("p50", -1), w.get("p99", -1),
                            st.get(200, 0), st.get(404, 0), st.get(502, 0),
                            st.get(503, 0), other, r["calls"]["token"]))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
