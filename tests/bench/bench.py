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
  - the original endpoint re-created in Node.js (original-endpoint.mjs)
    behind the same nginx, if `node` is installed (else the row says so);
    these three are warmed up, then measured in rounds, each round starting
    with the next of them, for each worker count;
  - the stand-in on its own;
  - CGI: the responder as a CGI program against a floor program that only
    loads the same libraries and calls curl_global_init, timed alternately;
  - a large meeting (1,000 participants, 4 pages): latency, and CPU
    instructions counted by callgrind against a 12-participant meeting;
  - TLS (--only tls; tests/bench/tls_standin.py): the responder against an
    HTTPS stand-in (nginx, throwaway CA trusted only inside a private mount
    namespace, in which this whole program then runs): CPU per request with
    a kept connection and with a new TLS connection per request, CPU per
    CGI run, and the bytes Zoom sends for a 1,000-participant meeting with
    and without compression.

Every answer that is not 2xx (counted by wrk, and by a log of such answers
in every nginx) and every request without an answer (wrk's socket errors)
fails the run: the tables are still printed, then a FAILED line, exit 1.
"""

import argparse
import http.client
import json
import os
import re
import resource
import shutil
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from fast_standin import free_port, wait_port, write_meetings  # noqa: E402
import tls_standin  # noqa: E402
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
    # Answers that are not 2xx, for not2xx.log; 499 is no answer but wrk
    # closing its connections at the end of a run with requests in flight
    # (a request wrk gave up on is one of its socket errors, "timeout").
    map $status $za_not_2xx { default 1; 200 0; 201 0; 202 0; 203 0; 204 0; 205 0; 206 0; 499 0; }
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
    access_log %(dir)s/not2xx.log combined if=$za_not_2xx;
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
    access_log %(dir)s/not2xx.log combined if=$za_not_2xx;
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
        # nginx's count of requests, for those the program behind served
        # (wrk does not count those it hung up on at its end).
        location = /za-stub { stub_status; }
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
wrk.body = '{"zoomCallId":"%s"%s}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
"""

# The verdict's costliest shape for fast_standin's rows: the coach found by
# email, the client (no email) by name, every name starting with the same
# letter, so each row's name is normalised.
ATTENDANCE_FIELDS = (',"coach":{"email":"person1@example.com","name":"x"},'
                     '"client":{"email":"","name":"participant  5"}')


def wrk(url, conns, secs, lua=None, threads=2):
    cmd = ["wrk", "-t%d" % min(threads, conns), "-c%d" % conns, "-d%ds" % secs,
           "--latency"]
    if lua:
        cmd += ["-s", lua]
    p = subprocess.run(cmd + [url], capture_output=True, text=True,
                       timeout=secs + 30)
    out = p.stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if p.returncode != 0 or not m:
        raise RuntimeError("wrk %s failed: %s" % (url, (out + p.stderr)[-600:]))
    res = {"rps": float(m.group(1)),
           "requests": int(re.search(r"(\d+) requests in", out).group(1)),
           "non2xx": 0, "socket_errors": 0, "socket_errors_text": ""}
    # wrk counts statuses above 399 here; every nginx of the benchmark
    # also logs each answer that is not 2xx (not2xx.log), see measure().
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        res["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                  r"timeout (\d+)", out)
    if m:
        res["socket_errors"] = sum(int(x) for x in m.groups())
        res["socket_errors_text"] = m.group(0)
    for pct in ("50", "99"):
        m = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s)\s*$" % pct, out, re.M)
        if not m:
            res["p" + pct] = float("nan")
            continue
        v = float(m.group(1))
        res["p" + pct] = v / 1000 if m.group(2) == "us" else (
            v * 1000 if m.group(2) == "s" else v)
    return res


def median_run(runs):
    """The median of each figure over several wrk runs; the counts summed."""
    out = {k: statistics.median(r[k] for r in runs)
           for k in ("rps", "p50", "p99")}
    for k in ("requests", "non2xx", "socket_errors"):
        out[k] = sum(r[k] for r in runs)
    return out


def count_lines(path):
    try:
        with open(path, "rb") as f:
            return sum(1 for _ in f)
    except FileNotFoundError:
        return 0


def stub_requests(port):
    """nginx's count of requests so far (stub_status), this one included."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", "/za-stub")
        text = c.getresponse().read().decode()
    finally:
        c.close()
    return int(re.search(r"\n\s*\d+\s+\d+\s+(\d+)", text).group(1))


class LogCount:
    """New lines of a log, such as an nginx log that holds only the
    answers that were not 2xx."""

    def __init__(self, path):
        self.path = path
        self.n = count_lines(path)

    def new(self):
        n = count_lines(self.path)
        d, self.n = n - self.n, n
        return d


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
    """User + system seconds of a process, all its threads (also ended ones)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def build_label(binary):
    """The commit of the tree the binary was built in (+ if it has changes),
    and the date: the default name of the TLS row for BENCHMARKS.md."""
    d = os.path.dirname(binary)
    try:
        rev = subprocess.run(["git", "-C", d, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", d, "status", "--porcelain",
                                "--untracked-files=no"], capture_output=True,
                               text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        rev = None
    name = os.path.basename(binary)
    if rev is not None and rev.returncode == 0 and rev.stdout.strip():
        name = rev.stdout.strip() + ("+" if dirty.stdout.strip() else "")
    return "%s, %s" % (name, time.strftime("%Y-%m-%d"))


def fmt_ms(s):
    return "%.2f ms" % (s * 1e3)


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
        self.binaries = [self.binary]
        self.rows = []
        self.tls_rows = []
        self.notes = []
        self.failures = []   # answers not 2xx, requests without an answer
        self.skipped = []
        self.bad_logs = {}   # nginx port -> LogCount of its not2xx.log
        self.stub_ports = set()  # fronts, with /za-stub (stub_status)
        self.trust = None
        self.floor_bin = None

    def cleanup(self):
        for p in reversed(PROCS):
            stop(p)
        for b in self.binaries:
            for pid in worker_pids(b):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if self.trust is not None:
            self.trust.close()
        if self.args.keep_tmp:
            print("(kept %s)" % self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def copy_binary(self, name):
        """Another copy of the binary, so that its workers are told apart."""
        d = os.path.join(self.tmp, name)
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, "zoom-attendees")
        shutil.copy(self.args.bin, path)
        self.binaries.append(path)
        return path

    def nginx(self, name, conf_fn, port):
        d = os.path.join(self.tmp, name)
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o755)
        start_nginx(d, conf_fn(d))
        wait_port(port)
        self.bad_logs[port] = LogCount(os.path.join(d, "not2xx.log"))
        return d

    def upstream(self, name, delay_token=0.0, delay_page=0.0):
        port = free_port()
        d = self.nginx(name, lambda d: upstream_conf(
            d, port, self.data, delay_token, delay_page), port)
        return port, os.path.join(d, "access.log")

    def env(self, up_port, cache=None, scheme="http", host="127.0.0.1"):
        origin = "%s://%s:%d" % (scheme, host, up_port)
        e = {"PATH": "/usr/bin:/bin", "INTERNAL_API_KEY": KEY,
             "ZOOM_ACCOUNT_ID": "bench-account", "ZOOM_CLIENT_ID": "bench-client",
             "ZOOM_CLIENT_SECRET": "bench-secret",
             "ZOOM_TOKEN_URL": origin + "/oauth/token",
             "ZOOM_API_BASE": origin + "/v2",
             "ZOOM_TIMEOUT_MS": "10000"}
        if cache:
            e["ZOOM_TOKEN_CACHE"] = cache
        return e

    def responders(self, workers, env, binary=None):
        """spawn-fcgi -F N forks N workers and exits (-n would ignore -F)."""
        binary = binary or self.binary
        port = free_port()
        p = subprocess.run(["spawn-fcgi", "-F", str(workers), "-a", "127.0.0.1",
                            "-p", str(port), "--", binary],
                           env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=10)
        if p.returncode != 0:
            raise RuntimeError("spawn-fcgi failed")
        wait_port(port)
        for _ in range(100):
            if len(worker_pids(binary)) >= workers:
                break
            time.sleep(0.05)
        if len(worker_pids(binary)) != workers:
            raise RuntimeError("expected %d workers, found %d" % (
                workers, len(worker_pids(binary))))
        return None, port

    def stop_responders(self, binary=None):
        binary = binary or self.binary
        for pid in worker_pids(binary):
            os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if not worker_pids(binary):
                return
            time.sleep(0.05)
        for pid in worker_pids(binary):
            os.kill(pid, signal.SIGKILL)

    def front(self, name, fcgi_port, fast_port, keepalive=16, node_port=9):
        port = free_port()
        self.nginx(name, lambda d: front_conf(d, port, fcgi_port, fast_port,
                                              keepalive, node_port), port)
        self.stub_ports.add(port)
        return port

    def lua(self, meeting, extra=""):
        path = os.path.join(self.tmp, "post-%s%s.lua" % (
            meeting, "-att" if extra else ""))
        with open(path, "w") as f:
            f.write(WRK_LUA % (meeting, extra, KEY))
        return path

    def check(self, what, non2xx, errors=0, detail=""):
        """Any answer not 2xx, or request without an answer, fails the run."""
        if not non2xx and not errors:
            return
        msg = "%s: %d answer(s) not 2xx" % (what, non2xx)
        if errors:
            msg += ", %d request(s) without an answer (%s)" % (errors, detail)
        self.failures.append(msg)
        print("  !! " + msg, flush=True)

    def measure(self, what, url, conns, secs, lua=None):
        """wrk, with the answers that were not 2xx counted both by wrk and
        by the log of the nginx it talks to (wrk does not count 3xx);
        "served": the requests a front nginx took, also those wrk hung up
        on at its end (nginx logs 499) or did not read."""
        port = int(re.search(r"//[^/:]+:(\d+)", url).group(1))
        bad = self.bad_logs.get(port)
        if bad:
            bad.new()
        n0 = stub_requests(port) if port in self.stub_ports else None
        r = wrk(url, conns, secs, lua)
        r["served"] = r["requests"]
        if n0 is not None:
            r["served"] = stub_requests(port) - n0 - 1
        if bad:
            r["non2xx"] = max(r["non2xx"], bad.new())
        self.check(what, r["non2xx"], r["socket_errors"],
                   r["socket_errors_text"])
        return r

    def post(self, port, meeting, extra=""):
        """One request through a front nginx: (status, parsed JSON)."""
        body = '{"zoomCallId":"%s"%s}' % (meeting, extra)
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            c.request("POST", API, body, {"Content-Type": "application/json",
                                          "Authorization": "Bearer " + KEY})
            r = c.getresponse()
            data = r.read()
        finally:
            c.close()
        try:
            doc = json.loads(data)
        except ValueError:
            doc = None
        return r.status, doc

    def row(self, what, r, extra=None, rows=None):
        row = {"what": what, "rps": r["rps"], "p50": r["p50"], "p99": r["p99"],
               "requests": r["requests"], "non2xx": r["non2xx"],
               "socket_errors": r.get("socket_errors", 0)}
        row.update(extra or {})
        (self.rows if rows is None else rows).append(row)
        print("  %-58s %9.0f req/s  p50 %7.2f ms  p99 %7.2f ms  non-2xx %d" % (
            what, r["rps"], r["p50"], r["p99"], r["non2xx"]), flush=True)
        return row

    # ------------------------------------------------------------------
    def run_fast(self):
        secs = self.args.seconds
        fast_port, fast_log = self.upstream("fast")
        print("fast stand-in", flush=True)
        # The stand-in alone.
        r = self.measure(
            "stand-in alone",
            "http://127.0.0.1:%d/v2/past_meetings/%s/participants?page_size=300"
            % (fast_port, SMALL_ID), 16, secs)
        self.row("stand-in alone (participants page), 16 conns", r)
        node_port = free_port()
        node = None
        if shutil.which("node"):
            node = start(["node", os.path.join(HERE, "original-endpoint.mjs")],
                         env=dict(self.env(fast_port), PORT=str(node_port)),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_port(node_port)
        else:
            msg = ("original endpoint re-created in Node.js: not measured, `node` "
                   "is not installed (`make bench` installs Debian's nodejs)")
            self.skipped.append(msg)
            print("  SKIPPED: " + msg, flush=True)
        lua = self.lua(SMALL_ID)
        ref_rounds, node_rounds = [], []
        node_cpu = 0.0
        node_served = 0
        self.worker_rows = []
        for workers in (1, 2, 4):
            sp, fcgi_port = self.responders(workers, self.env(fast_port))
            fport = self.front("front-%d" % workers, fcgi_port, fast_port,
                               node_port=node_port)
            base = "http://127.0.0.1:%d" % fport
            ways = [("reference", base + "/reference", None),
                    ("responder", base + API, lua)]
            if node is not None:
                ways.append(("node", base + "/original", lua))
            # Warm every way up (tokens, kept connections, Node's JIT).
            for name, url, l in ways:
                self.measure("warm-up: %s, %d worker(s)" % (name, workers),
                             url, 16, 1, l)
            pids = worker_pids(self.binary)
            # Rounds run every way in turn, each round starting with the
            # next way (reference, responder, Node; then responder, Node,
            # reference; ...), so that all see the same machine and none
            # always goes first; a ratio is the median of the rounds'
            # ratios (this machine is shared: one long run of each gave
            # ratios 0.1 apart from one run to the next).
            rounds, ratios, node_ratios = [], [], []
            cpu_total = requests = 0
            log_lines = 0
            for i in range(self.args.rounds):
                k = i % len(ways)
                got = {}
                for name, url, l in ways[k:] + ways[:k]:
                    what = "%s, %d worker(s), round %d" % (name, workers, i + 1)
                    if name == "responder":
                        cpu0 = sum(proc_cpu(p) for p in pids)
                        log0 = count_lines(fast_log)
                    elif name == "node":
                        cpu0 = proc_cpu(node.pid)
                    r = self.measure(what, url, 16, self.round_secs, l)
                    if name == "responder":
                        log_lines += count_lines(fast_log) - log0
                        cpu_total += sum(proc_cpu(p) for p in pids) - cpu0
                        requests += r["served"]
                    elif name == "node":
                        node_cpu += proc_cpu(node.pid) - cpu0
                        node_served += r["served"]
                    got[name] = r
                ref_rounds.append(got["reference"])
                rounds.append(got["responder"])
                ratios.append(got["responder"]["rps"] / got["reference"]["rps"])
                if node is not None:
                    node_rounds.append(got["node"])
                    node_ratios.append(got["responder"]["rps"] /
                                       got["node"]["rps"])
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
            if node_ratios:
                row["ratio_node"] = statistics.median(node_ratios)
                row["node_ratios"] = node_ratios
            self.worker_rows.append(row)
            print("      zoom calls/request %.3f, CPU %.1f us/request, "
                  "Private_Dirty max %d KiB, VmHWM max %d KiB, ratio to reference "
                  "%.2f (rounds: %s)%s"
                  % (calls, cpu * 1e6, row["private_dirty_kib"], row["vmhwm_kib"],
                     row["ratio_ref"], ", ".join("%.2f" % x for x in ratios),
                     ", to Node.js %.1f x (rounds: %s)" % (
                         row["ratio_node"], ", ".join(
                             "%.1f" % x for x in node_ratios))
                     if node_ratios else ""),
                  flush=True)
            self.stop_responders()
        if node is not None:
            stop(node)
        # One row for the reference and one for Node.js: the median of all
        # their rounds.
        extra = [{"what": "reference: nginx proxy_pass to stand-in, "
                  "16 conns (median of %d rounds)" % len(ref_rounds),
                  **median_run(ref_rounds)}]
        print("  reference (median of %d rounds): %.0f req/s" % (
            len(ref_rounds), extra[0]["rps"]), flush=True)
        if node_rounds:
            m = median_run(node_rounds)
            self.node = dict(m, what="original endpoint re-created in Node.js "
                             "behind nginx, 16 conns (median of %d rounds)"
                             % len(node_rounds),
                             cpu_us_per_req=node_cpu / max(1, node_served) * 1e6)
            extra.append(self.node)
            print("  Node.js (median of %d rounds): %.0f req/s, CPU %.0f us/request"
                  % (len(node_rounds), m["rps"], self.node["cpu_us_per_req"]),
                  flush=True)
        self.rows[1:1] = extra
        self.best_ratio = max(r["ratio_ref"] for r in self.worker_rows)
        return fast_port, fast_log

    def run_attendance(self, fast_port):
        """What the verdict adds to a 1,000-participant request: CPU per
        request of one worker, with and without coach and client, in
        alternating rounds (callgrind counts the same in the CGI part)."""
        print("attendance (1,000 participants, 1 worker, 4 conns)", flush=True)
        sp, fcgi_port = self.responders(1, self.env(fast_port))
        fport = self.front("front-att", fcgi_port, fast_port)
        url = "http://127.0.0.1:%d%s" % (fport, API)
        ways = [("plain", self.lua(LARGE_ID)),
                ("verdict", self.lua(LARGE_ID, ATTENDANCE_FIELDS))]
        st, doc = self.post(fport, LARGE_ID, ATTENDANCE_FIELDS)
        att = (doc or {}).get("attendance", {})
        if st != 200 or att.get("client", {}).get("matchedBy") != "name":
            raise RuntimeError("attendance request: %d %r" % (st, att))
        for name, l in ways:
            self.measure("warm-up: %s" % name, url, 4, 1, l)
        pids = worker_pids(self.binary)
        cpu = {"plain": [], "verdict": []}
        got = {"plain": [], "verdict": []}
        for i in range(self.args.rounds):
            k = i % 2
            for name, l in ways[k:] + ways[:k]:
                c0 = sum(proc_cpu(p) for p in pids)
                r = self.measure("%s, round %d" % (name, i + 1), url, 4,
                                 self.round_secs, l)
                cpu[name].append((sum(proc_cpu(p) for p in pids) - c0) /
                                 max(1, r["served"]) * 1e6)
                got[name].append(r)
        self.stop_responders()
        plain = statistics.median(cpu["plain"])
        verdict = statistics.median(cpu["verdict"])
        self.att = {"plain": plain, "verdict": verdict,
                    "added": (verdict - plain) / plain * 100,
                    "rounds": [(a, b) for a, b in zip(cpu["plain"],
                                                      cpu["verdict"])]}
        for name in ("plain", "verdict"):
            self.row("1,000 participants, 1 worker, 4 conns: %s" % (
                "with coach and client" if name == "verdict" else
                "without coach and client"), median_run(got[name]),
                {"cpu_us_per_req": statistics.median(cpu[name])})
        print("  CPU per request: %.0f us without, %.0f us with the verdict: "
              "+%.1f %% (rounds: %s)" % (
                  plain, verdict, self.att["added"], ", ".join(
                      "%.0f/%.0f" % x for x in self.att["rounds"])),
              flush=True)

    def run_long(self, fast_port, fast_log):
        """16 conns until 100,000 requests: p99 and memory afterwards."""
        workers = 2
        sp, fcgi_port = self.responders(workers, self.env(fast_port))
        fport = self.front("front-long", fcgi_port, fast_port)
        lua = self.lua(SMALL_ID)
        total = non2xx = 0
        last = None
        start_t = time.time()
        while total < self.args.long_requests and time.time() - start_t < 120:
            last = self.measure("long run", "http://127.0.0.1:%d%s" % (fport, API),
                                16, 5, lua)
            total += last["requests"]
            non2xx += last["non2xx"]
        mem = [proc_mem(p) for p in worker_pids(self.binary)]
        self.long = {"requests": total, "p99_last": last["p99"],
                     "private_dirty_kib": max(m[0] for m in mem),
                     "vmhwm_kib": max(m[1] for m in mem), "workers": workers,
                     "non2xx": non2xx}
        print("  after %d requests, 2 workers, 16 conns: p99 (last 5 s) %.2f ms, "
              "Private_Dirty max %d KiB, VmHWM max %d KiB, non-2xx %d" % (
                  total, last["p99"], self.long["private_dirty_kib"],
                  self.long["vmhwm_kib"], non2xx), flush=True)
        self.stop_responders()

    def run_realistic(self, fast_port):
        secs = self.args.seconds
        real_port, _ = self.upstream("realistic", 0.080, 0.120)
        print("realistic stand-in (token 80 ms, page 120 ms)", flush=True)
        r = self.measure(
            "realistic: stand-in alone",
            "http://127.0.0.1:%d/v2/past_meetings/%s/participants?page_size=300"
            % (real_port, SMALL_ID), 4, secs)
        alone = self.row("realistic: stand-in alone (participants page), 4 conns", r)
        sp, fcgi_port = self.responders(2, self.env(real_port))
        fport = self.front("front-real", fcgi_port, fast_port)
        lua = self.lua(SMALL_ID)
        url = "http://127.0.0.1:%d%s" % (fport, API)
        self.measure("realistic: warm-up", url, 4, 2, lua)
        r = self.measure("realistic: responder", url, 4, secs, lua)
        row = self.row("realistic: responder, 2 workers, 4 conns", r)
        self.added_p50 = row["p50"] - alone["p50"]
        print("      added p50: %.2f ms" % self.added_p50, flush=True)
        # The large meeting: 4 pages, 4 x 120 ms.
        lua = self.lua(LARGE_ID)
        r = self.measure("realistic: large meeting", url, 4, secs, lua)
        self.row("realistic: large meeting (1,000 participants, 4 pages), 4 conns", r)
        self.stop_responders()

    def floor(self):
        """tests/bench/floor.c, built once."""
        if self.floor_bin is None:
            floor = os.path.join(self.tmp, "floor")
            cflags = subprocess.run(["pkg-config", "--cflags", "--libs", "fcgi",
                                     "libcurl", "libcjson"], capture_output=True,
                                    text=True).stdout.split()
            subprocess.run(["cc", "-O2", "-o", floor,
                            os.path.join(HERE, "floor.c")] + cflags, check=True)
            self.floor_bin = floor
        return self.floor_bin

    def cgi_env(self, env, body):
        env = dict(env)
        env.update({"REQUEST_METHOD": "POST", "CONTENT_TYPE": "application/json",
                    "CONTENT_LENGTH": str(len(body)),
                    "HTTP_AUTHORIZATION": "Bearer " + KEY,
                    "GATEWAY_INTERFACE": "CGI/1.1"})
        return env

    def run_cgi(self, fast_port):
        print("CGI (fast stand-in, ZOOM_TOKEN_CACHE)", flush=True)
        floor = self.floor()
        cache = os.path.join(self.tmp, "token-cache")
        body = ('{"zoomCallId":"%s"}' % SMALL_ID).encode()
        env = self.cgi_env(self.env(fast_port, cache), body)

        def timed(cmd):
            t = time.perf_counter()
            out = subprocess.run(cmd, input=body, env=env, capture_output=True)
            return (time.perf_counter() - t) * 1000, out

        _, out = timed([self.binary])
        if not out.stdout.startswith(b"Status: 200"):
            raise RuntimeError("CGI run failed: %r" % out.stdout[:200])
        resp, flo, diff = [], [], []
        bad = 0
        for _ in range(self.args.cgi_runs):
            a, out = timed([self.binary])
            b, _ = timed([floor])
            bad += not out.stdout.startswith(b"Status: 200")
            resp.append(a)
            flo.append(b)
            diff.append(a - b)
        self.check("CGI runs", bad)
        self.cgi = {"responder": statistics.median(resp),
                    "floor": statistics.median(flo),
                    "diff": statistics.median(diff), "runs": len(diff),
                    "non2xx": bad}
        print("  responder median %.2f ms, floor median %.2f ms, "
              "median(responder - floor) %.2f ms over %d alternate runs, "
              "non-2xx %d" % (self.cgi["responder"], self.cgi["floor"],
                              self.cgi["diff"], len(diff), bad), flush=True)

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

    # ------------------------------------------------------------------
    def run_tls(self, fast_port):
        """The responder against the HTTPS stand-in (tls_standin.py)."""
        a = self.args
        host = tls_standin.HOST
        print("TLS: HTTPS stand-in (nginx, https://%s, %s), CA trusted in "
              "this mount namespace only" % (
                  host, "HTTP/1.1 only" if a.tls_http1 else "HTTP/2 or 1.1"),
              flush=True)
        ca, cert, key = tls_standin.make_pki(os.path.join(self.tmp, "pki"))
        tls_standin.write_gzip_pages(self.data)
        kept_port, close_port = free_port(), free_port()
        token = json.dumps({"access_token": TOKEN, "token_type": "bearer",
                            "expires_in": 3600, "scope": "meeting:read:admin"})
        d = self.nginx("tls", lambda d: tls_standin.nginx_conf(
            NGINX_HEAD % {"workers": 1, "dir": d, "modules": ""}, d,
            kept_port, close_port, self.data, cert, key, token,
            http2=not a.tls_http1), kept_port)
        wait_port(close_port)
        self.trust = tls_standin.Trust(os.path.join(self.tmp, "trust"), ca)
        self.trust.check(kept_port)
        log = tls_standin.Log(os.path.join(d, "access.log"))
        lua = self.lua(SMALL_ID)
        ways = []
        for name, port, conns, what in (
                ("kept", kept_port, a.tls_conns, "kept HTTPS connection"),
                ("close", close_port, a.tls_close_conns,
                 "new TLS connection per request (stand-in closes after "
                 "every answer)")):
            binary = self.copy_binary("tls-" + name)
            env = self.env(port, scheme="https", host=host)
            _, fcgi_port = self.responders(a.tls_workers, env, binary)
            fport = self.front("front-tls-" + name, fcgi_port, fast_port)
            st, doc = self.post(fport, SMALL_ID)
            if st != 200:
                raise RuntimeError(
                    "TLS: the responder (%s) answered %d %s: is the CA trusted "
                    "(tls_standin.Trust)?" % (name, st, doc))
            ways.append({"name": name, "what": what, "binary": binary,
                         "conns": conns,
                         "pids": worker_pids(binary), "fport": fport,
                         "url": "http://127.0.0.1:%d%s" % (fport, API),
                         "rounds": [], "cpu": 0.0, "served": 0, "lines": []})
        # Warm both up, then rounds alternating which goes first.
        for w in ways:
            self.measure("TLS warm-up: %s" % w["name"], w["url"], w["conns"],
                         1, lua)
        warm = tls_standin.summary(log.read())
        self.check("TLS warm-up: Zoom stand-in", warm["non2xx"])
        for i in range(a.rounds):
            for w in (ways if i % 2 == 0 else ways[::-1]):
                log.read()
                cpu0 = sum(proc_cpu(p) for p in w["pids"])
                r = self.measure("TLS %s, round %d" % (w["name"], i + 1),
                                 w["url"], w["conns"], self.round_secs, lua)
                # The requests wrk hung up on at its end are still being
                # served (up to one per connection, tens of ms each with a
                # new TLS connection): counted in "served", so let them end.
                time.sleep(0.3)
                w["cpu"] += sum(proc_cpu(p) for p in w["pids"]) - cpu0
                w["served"] += r["served"]
                w["rounds"].append(r)
                w["lines"] += log.read()
        for w in ways:
            r = median_run(w["rounds"])
            s = tls_standin.summary(w["lines"])
            self.check("TLS %s: Zoom stand-in" % w["name"], s["non2xx"])
            n = max(1, w["served"])
            w["row"] = self.row(
                "TLS, FastCGI, %s, %d worker(s), %d conn%s" % (
                    w["what"], a.tls_workers, w["conns"],
                    "s" if w["conns"] > 1 else ""), r, {
                    "cpu_us_per_req": w["cpu"] / n * 1e6,
                    "calls_per_req": s["requests"] / n,
                    "handshakes_per_req": s["handshakes"] / n,
                    "resumed": s["resumed"] / max(1, s["handshakes"]),
                    "protos": s["protos"], "encodings": s["encodings"],
                    "zoom_non2xx": s["non2xx"]}, rows=self.tls_rows)
            print("      CPU %.1f us/request, Zoom calls/request %.3f, TLS "
                  "handshakes/request %.3f (%.0f %% resumed), %s, "
                  "Accept-Encoding %s" % (
                      w["row"]["cpu_us_per_req"], w["row"]["calls_per_req"],
                      w["row"]["handshakes_per_req"], 100 * w["row"]["resumed"],
                      ", ".join(s["protos"]),
                      ", ".join(repr(e) for e in s["encodings"])), flush=True)
        self.tls_bytes(ways[0], log, kept_port, ca)
        self.tls_cgi(kept_port, log)
        for w in ways:
            self.stop_responders(w["binary"])
        # Only now: the TLS report needs every figure.
        self.tls = {"kept": ways[0]["row"], "close": ways[1]["row"],
                    "workers": a.tls_workers}

    def tls_bytes(self, way, log, port, ca):
        """Bytes the stand-in sent for the 1,000-participant meeting's four
        pages: to the responder (as it asks), and to a client asking for
        identity, then gzip (nginx's $bytes_sent: headers and body, before
        TLS)."""
        log.read()
        st, doc = self.post(way["fport"], LARGE_ID)
        got = len(doc.get("participants", [])) if isinstance(doc, dict) else -1
        if st != 200 or got != 1000:
            self.check("TLS bytes: responder, 1,000 participants (got %d)" % got,
                       1)
        pages = [x for x in log.read() if "/participants" in x["uri"]]
        self.check("TLS bytes: Zoom stand-in", sum(
            1 for x in pages if not 200 <= x["status"] < 300))
        res = {"responder": sum(x["bytes"] for x in pages),
               "encodings": sorted({x["enc"] for x in pages}),
               "protos": sorted({x["proto"] for x in pages}),
               "pages": len(pages)}
        ctx = ssl.create_default_context(cafile=ca)
        for enc in ("identity", "gzip"):
            c = http.client.HTTPSConnection(tls_standin.HOST, port, context=ctx,
                                            timeout=30)
            try:
                for x in pages:
                    c.request("GET", x["uri"], headers={
                        "Accept-Encoding": enc,
                        "Authorization": "Bearer " + TOKEN})
                    r = c.getresponse()
                    r.read()
            finally:
                c.close()
            lines = log.read()
            self.check("TLS bytes: client, %s" % enc, sum(
                1 for x in lines if not 200 <= x["status"] < 300))
            res[enc] = sum(x["bytes"] for x in lines)
        res["ratio"] = res["responder"] / res["identity"]
        res["gzip_ratio"] = res["gzip"] / res["identity"]
        self.tls_bytes_res = res
        print("  bytes from the stand-in, 1,000 participants (%d pages): "
              "responder %d (Accept-Encoding %s, %s) = %.0f %% of identity "
              "(%d); a gzip client %d = %.0f %%" % (
                  res["pages"], res["responder"],
                  ", ".join(repr(e) for e in res["encodings"]),
                  ", ".join(res["protos"]), 100 * res["ratio"],
                  res["identity"], res["gzip"], 100 * res["gzip_ratio"]),
              flush=True)

    def tls_cgi(self, port, log):
        """CGI over HTTPS, token cache warm: CPU (user + system) per run,
        from getrusage of the reaped child; the floor program alternately."""
        print("TLS: CGI over HTTPS, warm ZOOM_TOKEN_CACHE", flush=True)
        floor = self.floor()
        cache = os.path.join(self.tmp, "tls-token-cache")
        body = ('{"zoomCallId":"%s"}' % SMALL_ID).encode()
        env = self.cgi_env(self.env(port, cache, scheme="https",
                                    host=tls_standin.HOST), body)

        def run(cmd):
            c0, t0 = children_cpu(), time.perf_counter()
            out = subprocess.run(cmd, input=body, env=env, capture_output=True)
            return (children_cpu() - c0, time.perf_counter() - t0, out)

        _, _, out = run([self.binary])     # fetches the token into the cache
        if not out.stdout.startswith(b"Status: 200"):
            raise RuntimeError("TLS CGI run failed: %r %r" % (
                out.stdout[:200], out.stderr[-300:]))
        log.read()
        cpu, wall, fcpu, fwall = [], [], [], []
        bad = token_calls = 0
        for _ in range(self.args.tls_cgi_runs):
            c, w, out = run([self.binary])
            fc, fw, _ = run([floor])
            cpu.append(c)
            wall.append(w)
            fcpu.append(fc)
            fwall.append(fw)
            bad += not out.stdout.startswith(b"Status: 200")
            m = re.search(rb"token_calls=(\d+)", out.stderr)
            token_calls += int(m.group(1)) if m else 0
        s = tls_standin.summary(log.read())
        self.check("TLS CGI runs", bad)
        self.check("TLS CGI: Zoom stand-in", s["non2xx"])
        n = len(cpu)
        self.tls_cgi_res = {
            "runs": n, "cpu_median": statistics.median(cpu),
            "cpu_mean": sum(cpu) / n, "wall_median": statistics.median(wall),
            "floor_cpu": statistics.median(fcpu),
            "floor_wall": statistics.median(fwall), "non2xx": bad,
            "token_calls": token_calls, "pages": s["pages"],
            "handshakes": s["handshakes"], "resumed": s["resumed"],
            "protos": s["protos"], "encodings": s["encodings"]}
        print("  CPU per run median %s (mean %s; floor %s), wall median %s "
              "(floor %s), %d runs: %d page(s), %d token call(s), %d TLS "
              "handshake(s) (%d resumed), non-2xx %d" % (
                  fmt_ms(self.tls_cgi_res["cpu_median"]),
                  fmt_ms(self.tls_cgi_res["cpu_mean"]),
                  fmt_ms(self.tls_cgi_res["floor_cpu"]),
                  fmt_ms(self.tls_cgi_res["wall_median"]),
                  fmt_ms(self.tls_cgi_res["floor_wall"]), n, s["pages"],
                  token_calls, s["handshakes"], s["resumed"], bad), flush=True)

    # ------------------------------------------------------------------
    def report(self):
        parts = []
        lines = []
        if hasattr(self, "worker_rows"):
            per = ", ".join("%d worker%s %.2f" % (
                r["workers"], "s" if r["workers"] > 1 else "", r["ratio_ref"])
                for r in self.worker_rows)
            lines.append("| throughput / nginx proxy_pass reference, median of "
                         "%d alternating rounds per worker count | %s; best "
                         "%.2f | >= 0.5 |" % (self.args.rounds, per,
                                              self.best_ratio))
            best_rps = max(r["rps"] for r in self.worker_rows)
            if hasattr(self, "node"):
                per = ", ".join("%d: %.1f x" % (r["workers"], r["ratio_node"])
                                for r in self.worker_rows)
                lines.append("| throughput / original endpoint re-created in "
                             "Node.js, same rounds (%.0f req/s), median per "
                             "worker count | %s | >= 10 x |" % (
                                 self.node["rps"], per))
            else:
                lines.append("| throughput / original endpoint re-created in "
                             "Node.js | skipped: `node` not installed | >= 10 x |")
            lines.append("| throughput / original Node endpoint as measured before "
                         "(1,340 req/s) | %.1f x (%.0f req/s) | >= 10 x |" % (
                             best_rps / 1340.0, best_rps))
            calls = [r["calls_per_req"] for r in self.worker_rows]
            lines.append("| Zoom calls per client request, steady state "
                         "(1, 2, 4 workers) | %s | 1.00 |"
                         % ", ".join("%.3f" % c for c in calls))
        if hasattr(self, "added_p50"):
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
        if hasattr(self, "att"):
            lines.append("| the verdict (coach by email, client by name) on a "
                         "1,000-participant request, 1 worker: CPU added "
                         "(%.0f -> %.0f us per request, median of %d "
                         "alternating rounds) | %+.1f %% | < 5 %% |" % (
                             self.att["plain"], self.att["verdict"],
                             len(self.att["rounds"]), self.att["added"]))
        if hasattr(self, "cgi"):
            lines.append("| CGI median(responder - floor), %d alternate runs "
                         "(responder %.2f ms, floor %.2f ms) | %.2f ms | < 1 ms |" % (
                             self.cgi["runs"], self.cgi["responder"],
                             self.cgi["floor"], self.cgi["diff"]))
            lines.append("| instructions per participant, marginal (12: %d, 1,000: %d) "
                         "| %.0f | < 10,000 |" % (self.instr["small"],
                                                  self.instr["large"],
                                                  self.instr["per_participant"]))
        if lines:
            parts += ["## Targets", "", "| figure | measured | target |",
                      "|---|---|---|"] + lines + [""]
        if self.rows:
            table = ["| way through | req/s | p50 ms | p99 ms | CPU us/req | "
                     "Private_Dirty KiB | VmHWM KiB | ratio to ref | "
                     "ratio to Node.js | non-2xx |",
                     "|---|---|---|---|---|---|---|---|---|---|"]
            for r in self.rows:
                table.append("| %s | %.0f | %.2f | %.2f | %s | %s | %s | %s | %s | %d |" % (
                    r["what"], r["rps"], r["p50"], r["p99"],
                    "%.1f" % r["cpu_us_per_req"] if "cpu_us_per_req" in r else "",
                    r.get("private_dirty_kib", ""), r.get("vmhwm_kib", ""),
                    "%.2f" % r["ratio_ref"] if "ratio_ref" in r else "",
                    "%.1f" % r["ratio_node"] if "ratio_node" in r else "",
                    r["non2xx"]))
            parts += ["## Runs", ""] + table + [""]
        if hasattr(self, "tls"):
            parts += self.tls_report()
        if self.skipped:
            parts += ["Skipped: " + "; ".join(self.skipped), ""]
        text = "\n".join(parts)
        print()
        print(text)
        out = self.args.results
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "w") as f:
            f.write(text + "\n")
        print("(written to %s)" % out)

    def tls_report(self):
        t, c, b = self.tls, self.tls_cgi_res, self.tls_bytes_res
        kept, close = t["kept"], t["close"]

        def yes(ok):
            return "yes" if ok else "**NO**"

        def enc(encs):
            return ", ".join("`%s`" % e if e != "-" else "none"
                             for e in encs) or "none"

        close_ms = close["cpu_us_per_req"] / 1000
        cgi_ms = c["cpu_median"] * 1000
        figures = [
            "| figure | measured | target | met |", "|---|---|---|---|",
            "| FastCGI, kept HTTPS connection: CPU per request | %.1f µs | | |"
            % kept["cpu_us_per_req"],
            "| FastCGI, new TLS connection per request (%.2f handshakes per "
            "request, %.0f %% resumed): CPU per request | %.2f ms | <= 2 ms | %s |"
            % (close["handshakes_per_req"], 100 * close["resumed"], close_ms,
               yes(close_ms <= 2)),
            "| CGI over HTTPS, warm token cache: CPU per run, median of %d "
            "(mean %.2f ms; the floor program %.2f ms) | %.2f ms | <= 10 ms | %s |"
            % (c["runs"], c["cpu_mean"] * 1000, c["floor_cpu"] * 1000, cgi_ms,
               yes(cgi_ms <= 10)),
            "| bytes from Zoom, 1,000 participants (%d pages): as the responder "
            "asks (Accept-Encoding: %s) / identity (%d B); a gzip client: %.0f %% "
            "| %.0f %% (%d B) | <= 30 %% | %s |"
            % (b["pages"], enc(b["encodings"]), b["identity"],
               100 * b["gzip_ratio"], 100 * b["ratio"], b["responder"],
               yes(b["ratio"] <= 0.30)),
        ]
        table = ["| way | req/s | p50 ms | p99 ms | CPU µs/req | Zoom calls/req "
                 "| TLS handshakes/req (resumed) | protocol | Accept-Encoding | "
                 "non-2xx |", "|---|---|---|---|---|---|---|---|---|---|"]
        for r in self.tls_rows:
            table.append("| %s | %.0f | %.2f | %.2f | %.1f | %.3f | %.3f (%.0f %%) "
                         "| %s | %s | %d |" % (
                             r["what"], r["rps"], r["p50"], r["p99"],
                             r["cpu_us_per_req"], r["calls_per_req"],
                             r["handshakes_per_req"], 100 * r["resumed"],
                             ", ".join(r["protos"]), enc(r["encodings"]),
                             r["non2xx"] + r["zoom_non2xx"]))
        table.append("| TLS, CGI, warm token cache, %d runs | | | | %.0f (median; "
                     "wall %.2f ms) | %.3f | %.3f (%d resumed) | %s | %s | %d |" % (
                         c["runs"], c["cpu_median"] * 1e6, c["wall_median"] * 1e3,
                         (c["pages"] + c["token_calls"]) / c["runs"],
                         c["handshakes"] / c["runs"], c["resumed"],
                         ", ".join(c["protos"]), enc(c["encodings"]),
                         c["non2xx"]))
        label = self.args.label or build_label(self.args.bin)
        paste = [
            "| build | kept connection: CPU µs/req | new TLS connection per "
            "request: CPU ms/req (handshakes/req, resumed) | CGI over HTTPS: "
            "CPU ms/run (floor) | bytes for 1,000 participants / identity "
            "(Accept-Encoding) | protocol |",
            "|---|---|---|---|---|---|",
            "| %s | %.1f | %.2f (%.2f, %.0f %%) | %.2f (%.2f) | %.0f %% of %d B "
            "(%s) | %s |" % (
                label, kept["cpu_us_per_req"], close_ms,
                close["handshakes_per_req"], 100 * close["resumed"], cgi_ms,
                c["floor_cpu"] * 1000, 100 * b["ratio"], b["identity"],
                enc(b["encodings"]), ", ".join(kept["protos"])),
        ]
        return (["## TLS (HTTPS stand-in; %d worker(s) of 4 threads; %d "
                 "alternating rounds of %d s)" % (
                     t["workers"], self.args.rounds, self.round_secs), ""]
                + figures + [""] + table + ["",
                "### TLS, one row for BENCHMARKS.md", ""] + paste + [""])


def main():
    ap = argparse.ArgumentParser(
        description="Benchmark of zoom-attendees (see BENCHMARKS.md).")
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "zoom-attendees"))
    ap.add_argument("--seconds", type=int, default=10,
                    help="length of a single run; rounds are 40 %% of it")
    ap.add_argument("--long-requests", type=int, default=100000)
    ap.add_argument("--cgi-runs", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=5,
                    help="alternating rounds per worker count (and for TLS)")
    ap.add_argument("--only", default="fast,long,realistic,attendance,cgi,tls",
                    help="comma-separated parts: fast,long,realistic,"
                    "attendance,cgi,tls")
    ap.add_argument("--quick", action="store_true",
                    help="a short look: --seconds 5 --rounds 2 --cgi-runs 40 "
                    "--long-requests 20000 --tls-cgi-runs 30")
    ap.add_argument("--tls-conns", type=int, default=4,
                    help="wrk connections, TLS with a kept connection")
    ap.add_argument("--tls-close-conns", type=int, default=1,
                    help="wrk connections, TLS with a new connection per "
                    "request (a quiet day: one request at a time)")
    ap.add_argument("--tls-workers", type=int, default=1,
                    help="responder processes for the TLS rows")
    ap.add_argument("--tls-cgi-runs", type=int, default=100)
    ap.add_argument("--tls-http1", action="store_true",
                    help="the HTTPS stand-in offers HTTP/1.1 only (default: "
                    "HTTP/2 too, by ALPN)")
    ap.add_argument("--label", default="",
                    help="name of the build in the TLS row for BENCHMARKS.md")
    ap.add_argument("--keep-tmp", action="store_true",
                    help="keep the temporary folder (logs) for a look")
    ap.add_argument("--results",
                    default=os.path.join(ROOT, "build", "bench", "results.md"))
    args = ap.parse_args()
    if args.quick:
        args.seconds, args.rounds, args.cgi_runs = 5, 2, 40
        args.long_requests, args.tls_cgi_runs = 20000, 30
    args.bin = os.path.abspath(args.bin)
    args.results = os.path.abspath(args.results)
    only = args.only.split(",")
    unknown = set(only) - {"fast", "long", "realistic", "attendance", "cgi",
                           "tls"}
    if unknown:
        ap.error("unknown part(s) in --only: %s" % ", ".join(sorted(unknown)))
    if not os.access(args.bin, os.X_OK):
        ap.error("no executable at %s (make first?)" % args.bin)
    if "tls" in only and not tls_standin.in_namespace():
        # Everything runs in a private mount namespace, where the stand-in's
        # CA is trusted; nothing outside it changes.
        tls_standin.reexec_in_namespace([os.path.abspath(__file__)] +
                                        sys.argv[1:])
    # SIGTERM (timeout, kill) and SIGHUP end the run through the cleanup
    # below, as Ctrl-C does: the servers run in sessions of their own.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda n, _f: sys.exit(128 + n))
    b = Bench(args)
    error = None
    try:
        fast_port, fast_log = b.run_fast() if "fast" in only else (None, None)
        if fast_port is None:
            fast_port, fast_log = b.upstream("fast")
        if "long" in only:
            b.run_long(fast_port, fast_log)
        if "realistic" in only:
            b.run_realistic(fast_port)
        if "attendance" in only:
            b.run_attendance(fast_port)
        if "cgi" in only:
            b.run_cgi(fast_port)
        if "tls" in only:
            b.run_tls(fast_port)
    except Exception as e:  # noqa: BLE001 - reported below, run fails
        error = e
        traceback.print_exc()
    finally:
        try:
            b.report()      # what was measured, also after a failure
        except Exception as e:  # noqa: BLE001 - reported below, run fails
            error = error or e
            try:
                traceback.print_exc()
            except OSError:     # stdout/stderr gone (a closed pipe)
                pass
        finally:
            b.cleanup()     # always: every process started, every mount
    if error is not None:
        print("FAILED: the benchmark stopped: %s" % error, flush=True)
        return 1
    if b.failures:
        print("FAILED: %d measurement(s) had answers that were not 2xx or "
              "requests without an answer:" % len(b.failures), flush=True)
        for f in b.failures:
            print("  - " + f)
        return 1
    print("ok: every answer in every row was 2xx")
    return 0


if __name__ == "__main__":
    sys.exit(main())
