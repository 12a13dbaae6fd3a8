#!/usr/bin/env python3
"""Benchmark of zoom-attendees: `make bench`.

Runs on 127.0.0.1 only, starts every process it needs and stops them all,
and prints a table (also written to build/bench/results.md).

Upstreams (Zoom stand-ins), both nginx:
  fast       fixed token and participants answers, no delay: the responder's
             own cost.
  realistic  token 80 ms, participants page 120 ms (nginx echo module's
             echo_sleep): what a caller sees.

Ways through, measured in the same run:
  - wrk -> nginx (the project's nginx/zoom-attendees.location.conf, FastCGI
    over TCP with an upstream keepalive pool) -> responder, 1, 2 and 4
    worker processes started by spawn-fcgi;
  - reference: wrk -> nginx proxy_pass -> the fast stand-in's participants
    answer (does no work at all: the limit for any program in that place);
  - the stand-in on its own;
  - CGI: the responder as a CGI program against a floor program that only
    loads the same libraries and calls curl_global_init, timed alternately;
  - a large meeting (1,000 participants, 4 pages): latency, and CPU
    instructions counted by callgrind against a 12-participant meeting.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from fast_standin import free_port, wait_port, write_meetings  # noqa: E402
LOCATION_CONF = os.path.join(ROOT, "nginx", "zoom-attendees.location.conf")
ECHO_MODULE = "/usr/lib/nginx/modules/ngx_http_echo_module.so"
KEY = "bench-internal-key-0123456789"
TOKEN = "bench-access-token"
SMALL_ID = "12000000012"    # 12 participants, one page
LARGE_ID = "10000000100"    # 1,000 participants, 4 pages
API = "/api/zoom/get-meeting-attendees"

PROCS = []


def start(cmd, **kw):
    p = subprocess.Popen(cmd, start_new_session=True, **kw)
    PROCS.append(p)
    return p


def stop(p):
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


NGINX_HEAD = """
daemon off;
worker_processes %(workers)s;
pid %(dir)s/nginx.pid;
error_log %(dir)s/error.log warn;
%(modules)s
events { worker_connections 4096; }
http {
    client_body_temp_path %(dir)s/cb;
    proxy_temp_path %(dir)s/px;
    fastcgi_temp_path %(dir)s/fc;
    uwsgi_temp_path %(dir)s/uw;
    scgi_temp_path %(dir)s/sc;
    keepalive_requests 1000000;
"""


def upstream_conf(d, port, data, delay_token, delay_page):
    """A Zoom stand-in: token by `return`, pages as static files."""
    token = json.dumps({"access_token": TOKEN, "token_type": "bearer",
                        "expires_in": 3600, "scope": "meeting:read:admin"})
    if delay_token or delay_page:
        # echo_sleep delays without blocking the worker; then the same
        # static answers through an internal location.
        tok = "echo_sleep %.3f; echo '%s';" % (delay_token, token)
        pages = ("echo_sleep %.3f; echo_location /static/$mid/p$arg_next_page_token.json;"
                 % delay_page)
    else:
        tok = "return 200 '%s';" % token
        pages = "try_files /$mid/p$arg_next_page_token.json =404;"
    return (NGINX_HEAD % {"workers": 1, "dir": d, "modules":
                          "load_module %s;" % ECHO_MODULE if delay_token else ""}
            + """
    access_log %(dir)s/access.log;
    server {
        listen 127.0.0.1:%(port)d backlog=4096;
        root %(data)s;
        default_type application/json;
        location = /oauth/token { %(tok)s }
        location ~ ^/v2/past_meetings/(?<mid>[0-9]+)/participants$ { %(pages)s }
        location /static/ { internal; alias %(data)s/; }
    }
}
""" % {"dir": d, "port": port, "data": data, "tok": tok, "pages": pages})


def front_conf(d, port, fcgi_port, fast_port, keepalive, node_port=9):
    return (NGINX_HEAD % {"workers": 1, "dir": d, "modules": ""} + """
    access_log off;
    upstream zoom_attendees {
        server 127.0.0.1:%(fcgi)d;
        keepalive %(ka)d;
    }
    upstream fast_zoom {
        server 127.0.0.1:%(fast)d;
        keepalive 32;
    }
    upstream original_node {
        server 127.0.0.1:%(node)d;
        keepalive 32;
    }
    server {
        listen 127.0.0.1:%(port)d backlog=4096;
        include %(loc)s;
        location = /original {
            proxy_pass http://original_node;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
        location = /reference {
            proxy_pass http://fast_zoom/v2/past_meetings/%(small)s/participants?page_size=300;
            proxy_method GET;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
""" % {"dir": d, "port": port, "fcgi": fcgi_port, "fast": fast_port,
       "ka": keepalive, "loc": LOCATION_CONF, "small": SMALL_ID,
       "node": node_port})


def start_nginx(d, conf):
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)
    path = os.path.join(d, "nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    # fastcgi_params next to the config, as `include fastcgi_params;` wants.
    shutil.copy("/etc/nginx/fastcgi_params", os.path.join(d, "fastcgi_params"))
    return start(["nginx", "-p", d, "-c", path], stderr=subprocess.DEVNULL)


WRK_LUA = """
wrk.method = "POST"
wrk.body = '{"zoomCallId":"%s"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
"""


def wrk(url, conns, secs, lua=None, threads=2):
    cmd = ["wrk", "-t%d" % min(threads, conns), "-c%d" % conns, "-d%ds" % secs,
           "--latency"]
    if lua:
        cmd += ["-s", lua]
    out = subprocess.run(cmd + [url], capture_output=True, text=True,
                         timeout=secs + 30).stdout
    res = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
           "requests": int(re.search(r"(\d+) requests in", out).group(1)),
           "non2xx": 0}
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        res["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: (.*)", out)
    res["socket_errors"] = m.group(1).strip() if m else ""
    for pct in ("50", "99"):
        m = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s)\s*$" % pct, out, re.M)
        v = float(m.group(1))
        res["p" + pct] = v / 1000 if m.group(2) == "us" else (
            v * 1000 if m.group(2) == "s" else v)
    return res


def median_run(runs):
    """The median of each figure over several wrk runs."""
    return {k: statistics.median(r[k] for r in runs)
            for k in ("rps", "p50", "p99", "requests", "non2xx")}


def count_lines(path):
    try:
        with open(path, "rb") as f:
            return sum(1 for _ in f)
    except FileNotFoundError:
        return 0


def worker_pids(binary):
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if os.readlink("/proc/%s/exe" % pid) == binary:
                pids.append(int(pid))
        except OSError:
            pass
    return sorted(pids)


def proc_mem(pid):
    """Private_Dirty (KiB, smaps_rollup) and VmHWM (KiB)."""
    pd = hwm = 0
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            if line.startswith("Private_Dirty:"):
                pd = int(line.split()[1])
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    return pd, hwm


def proc_cpu(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Bench:
    def __init__(self, args):
        self.args = args
        self.round_secs = max(2, int(args.seconds * 0.4))
        self.tmp = tempfile.mkdtemp(prefix="za-bench-")
        self.data = write_meetings(self.tmp,
                                   [(SMALL_ID, 12), (LARGE_ID, 1000)])
        # A private copy of the binary: its path finds the workers.
        self.binary = os.path.join(self.tmp, "zoom-attendees")
        shutil.copy(args.bin, self.binary)
        self.rows = []
        self.notes = []

    def cleanup(self):
        for p in reversed(PROCS):
            stop(p)
        for pid in worker_pids(self.binary):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)

    def upstream(self, name, delay_token=0.0, delay_page=0.0):
        port = free_port()
        d = os.path.join(self.tmp, name)
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o755)
        start_nginx(d, upstream_conf(d, port, self.data, delay_token,
                                     delay_page))
        wait_port(port)
        return port, os.path.join(d, "access.log")

    def env(self, up_port, cache=None):
        e = {"PATH": "/usr/bin:/bin", "INTERNAL_API_KEY": KEY,
             "ZOOM_ACCOUNT_ID": "bench-account", "ZOOM_CLIENT_ID": "bench-client",
             "ZOOM_CLIENT_SECRET": "bench-secret",
             "ZOOM_TOKEN_URL": "http://127.0.0.1:%d/oauth/token" % up_port,
             "ZOOM_API_BASE": "http://127.0.0.1:%d/v2" % up_port,
             "ZOOM_TIMEOUT_MS": "10000"}
        if cache:
            e["ZOOM_TOKEN_CACHE"] = cache
        return e

    def responders(self, workers, up_port):
        """spawn-fcgi -F N forks N workers and exits (-n would ignore -F)."""
        port = free_port()
        p = subprocess.run(["spawn-fcgi", "-F", str(workers), "-a", "127.0.0.1",
                            "-p", str(port), "--", self.binary],
                           env=self.env(up_port), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=10)
        if p.returncode != 0:
            raise RuntimeError("spawn-fcgi failed")
        wait_port(port)
        for _ in range(100):
            if len(worker_pids(self.binary)) >= workers:
                break
            time.sleep(0.05)
        if len(worker_pids(self.binary)) != workers:
            raise RuntimeError("expected %d workers, found %d" % (
                workers, len(worker_pids(self.binary))))
        return None, port

    def stop_responders(self):
        for pid in worker_pids(self.binary):
            os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if not worker_pids(self.binary):
                return
            time.sleep(0.05)
        for pid in worker_pids(self.binary):
            os.kill(pid, signal.SIGKILL)

    def front(self, name, fcgi_port, fast_port, keepalive=16, node_port=9):
        port = free_port()
        d = os.path.join(self.tmp, name)
        start_nginx(d, front_conf(d, port, fcgi_port, fast_port, keepalive,
                                  node_port))
        wait_port(port)
        return port

    def lua(self, meeting):
        path = os.path.join(self.tmp, "post-%s.lua" % meeting)
        with open(path, "w") as f:
            f.write(WRK_LUA % (meeting, KEY))
        return path

    def row(self, what, r, extra=None):
        row = {"what": what, "rps": r["rps"], "p50": r["p50"], "p99": r["p99"],
               "requests": r["requests"], "non2xx": r["non2xx"]}
        row.update(extra or {})
        self.rows.append(row)
        print("  %-58s %9.0f req/s  p50 %7.2f ms  p99 %7.2f ms%s" % (
            what, r["rps"], r["p50"], r["p99"],
            "  non-2xx %d" % r["non2xx"] if r["non2xx"] else ""), flush=True)
        return row

    # ------------------------------------------------------------------
    def run_fast(self):
        secs = self.args.seconds
        fast_port, fast_log = self.upstream("fast")
        print("fast stand-in", flush=True)
        # The stand-in alone.
        r = wrk("http://127.0.0.1:%d/v2/past_meetings/%s/participants?page_size=300"
                % (fast_port, SMALL_ID), 16, secs)
        self.row("stand-in alone (participants page), 16 conns", r)
        best = 0.0
        node_port = free_port()
        node = None
        if shutil.which("node"):
            node = start(["node", os.path.join(HERE, "original-endpoint.mjs")],
                         env=dict(self.env(fast_port), PORT=str(node_port)),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_port(node_port)
        ref_rounds = []
        for workers in (1, 2, 4):
            sp, fcgi_port = self.responders(workers, fast_port)
            fport = self.front("front-%d" % workers, fcgi_port, fast_port,
                               node_port=node_port)
            lua = self.lua(SMALL_ID)
            if node is not None:
                wrk("http://127.0.0.1:%d/original" % fport, 16, 1, lua)
                r = wrk("http://127.0.0.1:%d/original" % fport, 16, secs, lua)
                self.node = self.row("original endpoint re-created in Node.js "
                                     "behind nginx, 16 conns", r)
                stop(node)
                node = None
            # warm up: tokens, connections
            wrk("http://127.0.0.1:%d%s" % (fport, API), 16, 1, lua)
            pids = worker_pids(self.binary)
            # Rounds alternate the reference and the responder, so that
            # both see the same machine; the ratio is the median of the
            # rounds' ratios (this machine is shared: one long run of each
            # gave ratios 0.1 apart from one run to the next).
            rounds, ratios = [], []
            cpu_total = requests = 0
            log_lines = 0
            for _ in range(self.args.rounds):
                ref = wrk("http://127.0.0.1:%d/reference" % fport, 16,
                          self.round_secs)
                ref_rounds.append(ref)
                cpu0 = sum(proc_cpu(p) for p in pids)
                log0 = count_lines(fast_log)
                r = wrk("http://127.0.0.1:%d%s" % (fport, API), 16,
                        self.round_secs, lua)
                log_lines += count_lines(fast_log) - log0
                cpu_total += sum(proc_cpu(p) for p in pids) - cpu0
                requests += r["requests"]
                rounds.append(r)
                ratios.append(r["rps"] / ref["rps"])
            r = median_run(rounds)
            calls = log_lines / max(1, requests)
            cpu = cpu_total / max(1, requests)
            mem = [proc_mem(p) for p in pids]
            row = self.row("responder, %d worker(s), 16 conns" % workers, r, {
                "workers": workers, "calls_per_req": calls,
                "cpu_us_per_req": cpu * 1e6,
                "private_dirty_kib": max(m[0] for m in mem),
                "vmhwm_kib": max(m[1] for m in mem)})
            row["ratio_ref"] = statistics.median(ratios)
            row["ratios"] = ratios
            best = max(best, row["ratio_ref"])
            print("      zoom calls/request %.3f, CPU %.1f us/request, "
                  "Private_Dirty max %d KiB, VmHWM max %d KiB, ratio to reference "
                  "%.2f (rounds: %s)"
                  % (calls, cpu * 1e6, row["private_dirty_kib"], row["vmhwm_kib"],
                     row["ratio_ref"], ", ".join("%.2f" % x for x in ratios)),
                  flush=True)
            self.stop_responders()
        # One row for the reference: the median of all its rounds.
        self.rows.insert(1, {"what": "reference: nginx proxy_pass to stand-in, "
                             "16 conns (median of %d rounds)" % len(ref_rounds),
                             **median_run(ref_rounds)})
        print("  reference (median of %d rounds): %.0f req/s" % (
            len(ref_rounds), self.rows[1]["rps"]), flush=True)
        self.best_ratio = best
        return fast_port, fast_log

    def run_long(self, fast_port, fast_log):
        """16 conns until 100,000 requests: p99 and memory afterwards."""
        workers = 2
        sp, fcgi_port = self.responders(workers, fast_port)
        fport = self.front("front-long", fcgi_port, fast_port)
        lua = self.lua(SMALL_ID)
        total = 0
        last = None
        start_t = time.time()
        while total < self.args.long_requests and time.time() - start_t < 120:
            last = wrk("http://127.0.0.1:%d%s" % (fport, API), 16, 5, lua)
            total += last["requests"]
        mem = [proc_mem(p) for p in worker_pids(self.binary)]
        self.long = {"requests": total, "p99_last": last["p99"],
                     "private_dirty_kib": max(m[0] for m in mem),
                     "vmhwm_kib": max(m[1] for m in mem), "workers": workers}
        print("  after %d requests, 2 workers, 16 conns: p99 (last 5 s) %.2f ms, "
              "Private_Dirty max %d KiB, VmHWM max %d KiB" % (
                  total, last["p99"], self.long["private_dirty_kib"],
                  self.long["vmhwm_kib"]), flush=True)
        self.stop_responders()

    def run_realistic(self, fast_port):
        secs = self.args.seconds
        real_port, _ = self.upstream("realistic", 0.080, 0.120)
        print("realistic stand-in (token 80 ms, page 120 ms)", flush=True)
        r = wrk("http://127.0.0.1:%d/v2/past_meetings/%s/participants?page_size=300"
                % (real_port, SMALL_ID), 4, secs)
        alone = self.row("stand-in alone (participants page), 4 conns", r)
        sp, fcgi_port = self.responders(2, real_port)
        fport = self.front("front-real", fcgi_port, fast_port)
        lua = self.lua(SMALL_ID)
        wrk("http://127.0.0.1:%d%s" % (fport, API), 4, 2, lua)
        r = wrk("http://127.0.0.1:%d%s" % (fport, API), 4, secs, lua)
        row = self.row("responder, 2 workers, 4 conns", r)
        self.added_p50 = row["p50"] - alone["p50"]
        print("      added p50: %.2f ms" % self.added_p50, flush=True)
        # The large meeting: 4 pages, 4 x 120 ms.
        lua = self.lua(LARGE_ID)
        r = wrk("http://127.0.0.1:%d%s" % (fport, API), 4, secs, lua)
        self.row("large meeting (1,000 participants, 4 pages), 4 conns", r)
        self.stop_responders()

    def run_cgi(self, fast_port):
        print("CGI (fast stand-in, ZOOM_TOKEN_CACHE)", flush=True)
        floor = os.path.join(self.tmp, "floor")
        cflags = subprocess.run(["pkg-config", "--cflags", "--libs", "fcgi",
                                 "libcurl", "libcjson"], capture_output=True,
                                text=True).stdout.split()
        subprocess.run(["cc", "-O2", "-o", floor, os.path.join(HERE, "floor.c")]
                       + cflags, check=True)
        cache = os.path.join(self.tmp, "token-cache")
        body = ('{"zoomCallId":"%s"}' % SMALL_ID).encode()
        env = self.env(fast_port, cache)
        env.update({"REQUEST_METHOD": "POST", "CONTENT_TYPE": "application/json",
                    "CONTENT_LENGTH": str(len(body)),
                    "HTTP_AUTHORIZATION": "Bearer " + KEY,
                    "GATEWAY_INTERFACE": "CGI/1.1"})

        def timed(cmd):
            t = time.perf_counter()
            out = subprocess.run(cmd, input=body, env=env, capture_output=True)
            return (time.perf_counter() - t) * 1000, out

        _, out = timed([self.binary])
        if not out.stdout.startswith(b"Status: 200"):
            raise RuntimeError("CGI run failed: %r" % out.stdout[:200])
        resp, flo, diff = [], [], []
        for _ in range(self.args.cgi_runs):
            a, out = timed([self.binary])
            b, _ = timed([floor])
            resp.append(a)
            flo.append(b)
            diff.append(a - b)
        self.cgi = {"responder": statistics.median(resp),
                    "floor": statistics.median(flo),
                    "diff": statistics.median(diff), "runs": len(diff)}
        print("  responder median %.2f ms, floor median %.2f ms, "
              "median(responder - floor) %.2f ms over %d alternate runs" % (
                  self.cgi["responder"], self.cgi["floor"], self.cgi["diff"],
                  len(diff)), flush=True)

        # Instructions: callgrind, 12 vs 1,000 participants.
        counts = {}
        for meeting, n in ((SMALL_ID, 12), (LARGE_ID, 1000)):
            b = ('{"zoomCallId":"%s"}' % meeting).encode()
            e = dict(env, CONTENT_LENGTH=str(len(b)))
            out = subprocess.run(
                ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                 self.binary], input=b, env=e, capture_output=True)
            m = re.search(rb"Collected : (\d+)", out.stderr)
            if not out.stdout.startswith(b"Status: 200") or not m:
                raise RuntimeError("callgrind run failed: %r" % out.stderr[-500:])
            counts[n] = int(m.group(1))
        self.instr = {"small": counts[12], "large": counts[1000],
                      "per_participant": (counts[1000] - counts[12]) / 988}
        print("  instructions: 12 participants %d, 1,000 participants %d, "
              "marginal %.0f per participant" % (
                  counts[12], counts[1000], self.instr["per_participant"]),
              flush=True)

    def report(self):
        lines = ["| figure | measured | target |", "|---|---|---|"]
        lines.append("| throughput / nginx proxy_pass reference, best worker count "
                     "| %.2f | >= 0.5 |" % self.best_ratio)
        best_rps = max(r["rps"] for r in self.rows if "workers" in r)
        if hasattr(self, "node"):
            lines.append("| throughput / original endpoint re-created in Node.js, same "
                         "run (%.0f req/s) | %.1f x | >= 10 x |" % (
                             self.node["rps"], best_rps / self.node["rps"]))
        lines.append("| throughput / original Node endpoint as measured before "
                     "(1,340 req/s) | %.1f x (%.0f req/s) | >= 10 x |" % (
                         best_rps / 1340.0, best_rps))
        lines.append("| realistic stand-in, 2 workers, 4 callers: p50 added "
                     "| %.2f ms | < 1 ms |" % self.added_p50)
        if hasattr(self, "long"):
            lines.append("| 16 callers, fast stand-in, p99 (after %d requests) "
                         "| %.2f ms | < 10 ms |" % (self.long["requests"],
                                                   self.long["p99_last"]))
            lines.append("| Private_Dirty per worker after %d requests (VmHWM) "
                         "| %.2f MiB (%.1f MiB) | < 2 MiB |" % (
                             self.long["requests"],
                             self.long["private_dirty_kib"] / 1024,
                             self.long["vmhwm_kib"] / 1024))
        calls = [r["calls_per_req"] for r in self.rows if "calls_per_req" in r]
        lines.append("| Zoom calls per client request, steady state | %s | 1.00 |"
                     % ", ".join("%.3f" % c for c in calls))
        if hasattr(self, "cgi"):
            lines.append("| CGI median(responder - floor), %d alternate runs "
                         "(responder %.2f ms, floor %.2f ms) | %.2f ms | < 1 ms |" % (
                             self.cgi["runs"], self.cgi["responder"],
                             self.cgi["floor"], self.cgi["diff"]))
            lines.append("| instructions per participant, marginal (12: %d, 1,000: %d) "
                         "| %.0f | < 10,000 |" % (self.instr["small"],
                                                  self.instr["large"],
                                                  self.instr["per_participant"]))
        table = ["| way through | req/s | p50 ms | p99 ms | CPU us/req | "
                 "Private_Dirty KiB | VmHWM KiB | ratio to ref |",
                 "|---|---|---|---|---|---|---|---|"]
        for r in self.rows:
            table.append("| %s | %.0f | %.2f | %.2f | %s | %s | %s | %s |" % (
                r["what"], r["rps"], r["p50"], r["p99"],
                "%.1f" % r["cpu_us_per_req"] if "cpu_us_per_req" in r else "",
                r.get("private_dirty_kib", ""), r.get("vmhwm_kib", ""),
                "%.2f" % r["ratio_ref"] if "ratio_ref" in r else ""))
        text = "\n".join(["## Targets", ""] + lines + ["", "## Runs", ""] + table)
        print()
        print(text)
        os.makedirs(os.path.join(ROOT, "build", "bench"), exist_ok=True)
        with open(os.path.join(ROOT, "build", "bench", "results.md"), "w") as f:
            f.write(text + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "zoom-attendees"))
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--long-requests", type=int, default=100000)
    ap.add_argument("--cgi-runs", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=5,
                    help="reference/responder alternations per worker count")
    ap.add_argument("--only", default="fast,long,realistic,cgi")
    args = ap.parse_args()
    args.bin = os.path.abspath(args.bin)
    b = Bench(args)
    only = args.only.split(",")
    try:
        fast_port, fast_log = b.run_fast() if "fast" in only else (None, None)
        if fast_port is None:
            fast_port, fast_log = b.upstream("fast")
            b.best_ratio = 0
        if "long" in only:
            b.run_long(fast_port, fast_log)
        if "realistic" in only:
            b.run_realistic(fast_port)
        else:
            b.added_p50 = float("nan")
        if "cgi" in only:
            b.run_cgi(fast_port)
        if b.rows:
            b.report()
    finally:
        b.cleanup()


if __name__ == "__main__":
    main()
