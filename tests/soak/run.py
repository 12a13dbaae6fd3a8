#!/usr/bin/env python3
"""Soak: one FastCGI responder through thousands of mixed requests.

    python3 tests/soak/run.py --bin build/zoom-attendees [--requests N]
                              [--only valgrind|native]

On 127.0.0.1 and a unix socket only: the Zoom stand-in
(tests/zoom_standin.py) and one responder process (`--listen SOCKET`),
driven directly over FastCGI (no web server) by CONNS kept connections.

The mix (a fixed pattern of 100, repeated): successes (small, empty, UUID
meetings), the paged 650-row meeting (3 pages), 404 from Zoom, the 4xx
answers (401, 400, 405, 413, 415), healthz, and on one connection of its
own the faults, each set on the stand-in for that one request and that
one meeting: a 5xx then a retry that succeeds, 5xx on every try, a reset
mid-body on every try, a 401 code 124 (token refresh), a 429 with a date,
a non-JSON answer, and a Zoom that does not answer within the process's
ZOOM_TIMEOUT_MS (kept small here). Every answer must have the status of
its kind, and the responder writes one log line per request.

Two runs of the same mix:

  valgrind  under valgrind memcheck (--leak-check=full
            --errors-for-leak-kinds=definite,indirect --error-exitcode=99),
            then SIGTERM: the process must exit by itself, status 0, with
            no error and nothing definitely or indirectly lost.
  native    the plain binary: VmRSS (/proc/PID/status) after the first
            1,000 requests and after the last must be within 5 %.

Prints the figures, one line per check ("name... ok" / "FAIL: reason"),
then "N passed, N failed"; exits 1 if any failed.
"""

import argparse
import collections
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import run as itest  # noqa: E402  (the integration harness)
from run import (API_KEY, API_PATH, HEALTH_PATH, SMALL, BIG, EMPTY,  # noqa
                 UUID_PLUS, UUID_SLASH, UUID_DSLASH, Failure, fail, short)

TIMEOUT_MS = 2000           # the soak's ZOOM_TIMEOUT_MS: timeouts stay cheap
CONNS = 4                   # 2 connections for the mix, 2 for the faults
FIRST = 1000                # RSS is compared after this many requests
RSS_TOLERANCE = 0.05
GROWTH_MAX = 8              # bytes a request, in one span at least
SPANS = 4                   # of the run after the first FIRST requests
UNKNOWN = "98765432109"
# Each fault connection has a meeting of its own, and the stand-in applies
# a fault only to requests for that meeting: no other request can take it.
FAULT_MEETING = UUID_DSLASH     # faults that end in a success
SLOW_MEETING = "11122233300"    # slow faults (unknown to the stand-in)

VALGRIND = ["valgrind", "--tool=memcheck", "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect",
            "--show-leak-kinds=definite,indirect", "--error-exitcode=99",
            "--num-callers=30", "--child-silent-after-fork=yes"]

# ---------------------------------------------------------------------------
# Request kinds: (parameters, body, expected status)

BASE = {"GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": "POST",
        "REQUEST_URI": API_PATH, "SCRIPT_NAME": API_PATH,
        "DOCUMENT_URI": API_PATH, "CONTENT_TYPE": "application/json",
        "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
        "HTTP_AUTHORIZATION": "Bearer " + API_KEY}


def post(body, **over):
    if not isinstance(body, bytes):
        body = json.dumps({"zoomCallId": body}).encode()
    p = dict(BASE, CONTENT_LENGTH=str(len(body)))
    for k, v in over.items():
        if v is None:
            p.pop(k, None)
        else:
            p[k] = v
    return p, body


def get(path):
    p = dict(BASE, REQUEST_METHOD="GET", REQUEST_URI=path, SCRIPT_NAME=path,
             DOCUMENT_URI=path, CONTENT_LENGTH="0")
    p.pop("CONTENT_TYPE")
    return p, b""


KINDS = {
    # name: (request, status, stand-in fault or None)
    "ok_small": (post(SMALL), 200, None),
    "ok_empty": (post(EMPTY), 200, None),
    "ok_uuid": (post(UUID_PLUS), 200, None),
    "ok_uuid_slash": (post(UUID_SLASH), 200, None),
    "paged_650": (post(BIG), 200, None),
    "not_found": (post(UNKNOWN), 404, None),
    "no_key": (post(SMALL, HTTP_AUTHORIZATION=None), 401, None),
    "wrong_key": (post(SMALL, HTTP_AUTHORIZATION="Bearer " + API_KEY[:-1]
                       + "#"), 401, None),
    "bad_json": (post(b'{"zoomCallId":'), 400, None),
    "bad_id": (post("../users/me"), 400, None),
    "media_type": (post(SMALL, CONTENT_TYPE="text/plain"), 415, None),
    "method": (get(API_PATH), 405, None),
    "too_large": (post(b'{"zoomCallId":"' + b"1" * 70000 + b'"}'), 413,
                  None),
    "healthz": (get(HEALTH_PATH), 200, None),
    # On the fault connections, for FAULT_MEETING or SLOW_MEETING only.
    "retry_5xx_once": (post(FAULT_MEETING), 200,
                       dict(kind="status", status=503, times=1, body={
                           "code": 503, "message": "Service Unavailable"})),
    "5xx_every_try": (post(SLOW_MEETING), 502,
                      dict(kind="status", status=502, times=4, body={
                          "code": 502, "message": "Bad Gateway"})),
    "reset_every_try": (post(SLOW_MEETING), 502,
                        dict(kind="reset_mid_body", times=4)),
    "token_refresh": (post(FAULT_MEETING), 200,
                      dict(kind="revoke_tokens", times=1)),
    "rate_limited": (post(SLOW_MEETING), 503,
                     dict(kind="status", status=429, times=1, headers={
                         "Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"},
                         body={"code": 429, "message": "Daily limit."})),
    "not_json": (post(FAULT_MEETING), 502, dict(kind="not_json", times=1)),
    "timeout": (post(SLOW_MEETING), 504,
                dict(kind="sleep", seconds=TIMEOUT_MS / 1000.0 + 0.5,
                     times=1)),
}


def plan(n):
    """n request kinds: a pattern of 100, with the slow faults spread out."""
    cycle = (["ok_small"] * 56 + ["ok_empty"] * 5 + ["ok_uuid"] * 5 +
             ["ok_uuid_slash"] * 3 + ["paged_650"] * 2 + ["not_found"] * 5 +
             ["no_key"] * 3 + ["wrong_key"] * 3 + ["bad_json"] * 3 +
             ["bad_id"] * 3 + ["media_type"] * 2 + ["method"] * 2 +
             ["too_large"] * 1 + ["healthz"] * 3 +
             ["retry_5xx_once", "token_refresh", "rate_limited", "not_json"])
    assert len(cycle) == 100
    pending = []
    # Interleave the kinds so that every stretch has a bit of everything.
    order = sorted(range(100), key=lambda i: (i * 37) % 100)
    cycle = [cycle[i] for i in order]
    out = []
    for i in range(n):
        k = cycle[i % 100]
        if k == "retry_5xx_once" and i // 100 % 2:
            k = "ok_small"      # one in 200 is enough: each sleeps ~0.15 s
        if i % 2000 == 500:     # and in every 2,000, the slowest faults
            pending += ["timeout", "5xx_every_try", "reset_every_try"]
        if k == "ok_small" and pending:
            k = pending.pop(0)
        out.append(k)
    return out


# ---------------------------------------------------------------------------
# Driving


class Soak:
    def __init__(self, h, binary, sock):
        self.h = h
        self.bin = binary
        self.sock = sock
        self.counts = collections.Counter()
        self.bad = []
        self.lock = threading.Lock()
        self.msgs = {k: itest.FcgiConn.encode(*v[0]) for k, v in
                     KINDS.items()}
        self.slowest = collections.defaultdict(float)

    def one(self, conn, kind):
        req, status, fault = KINDS[kind]
        if fault is not None:
            self.h.ctl("fault", dict(fault, target="participants",
                                     meeting=meeting_of(kind)))
        out, secs = conn.roundtrip(self.msgs[kind])
        m = re.match(rb"Status: (\d{3})", out)
        got = int(m.group(1)) if m else None
        ok = got == status
        if ok and kind == "paged_650":
            body = out.split(b"\r\n\r\n", 1)[1]
            ok = len(json.loads(body)["participants"]) == 650
        with self.lock:
            self.counts[(kind, got)] += 1
            self.slowest[kind] = max(self.slowest[kind], secs)
            if not ok and len(self.bad) < 10:
                self.bad.append("%s: expected %d, got %r" % (
                    kind, status, short(out, 160)))

    def lane(self, kinds, errors):
        try:
            conn = itest.FcgiConn(self.sock, timeout=120)
            try:
                for k in kinds:
                    self.one(conn, k)
            finally:
                conn.close()
        except Exception as e:      # noqa: BLE001 - reported by the caller
            errors.append("%s: %s" % (type(e).__name__, e))

    def drive(self, kinds):
        """Run kinds: the fault kinds in order on a connection per fault
        meeting, the rest shared by the other connections."""
        lanes = [[k for k in kinds if meeting_of(k) == m]
                 for m in (FAULT_MEETING, SLOW_MEETING)]
        rest = [k for k in kinds if KINDS[k][2] is None]
        n = CONNS - len(lanes)
        lanes += [rest[i::n] for i in range(n)]
        errors = []
        threads = [threading.Thread(target=self.lane, args=(ln, errors))
                   for ln in lanes]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            fail("a connection failed: %s" % "; ".join(errors[:3]))


def meeting_of(kind):
    req, _, fault = KINDS[kind]
    if fault is None:
        return None
    return json.loads(req[1])["zoomCallId"]


def vm_status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "Threads"):
                out[k] = int(v.split()[0])
    return out


def start_responder(h, binary, sock, env, under_valgrind, vlog):
    argv = [binary, "--listen", sock]
    if under_valgrind:
        argv = VALGRIND + ["--log-file=" + vlog] + argv
    stderr = open(os.path.join(h.tmp, "responder-%s.stderr" % (
        "valgrind" if under_valgrind else "native")), "ab")
    p = h.spawn(argv, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    deadline = time.monotonic() + 60
    while True:
        if p.poll() is not None:
            fail("the responder exited at start (status %s)" % p.returncode)
        if os.path.exists(sock):
            try:
                itest.FcgiConn(sock).close()
                break
            except OSError:
                pass
        if time.monotonic() > deadline:
            fail("no FastCGI socket after 60 s")
        time.sleep(0.05)
    return p, stderr.name


def stop(h, p, seconds):
    """SIGTERM; the exit status, or None if it had to be killed."""
    t0 = time.monotonic()
    os.kill(p.pid, signal.SIGTERM)
    try:
        rc = p.wait(seconds)
    except subprocess.TimeoutExpired:
        h.kill(p)
        return None, time.monotonic() - t0
    return rc, time.monotonic() - t0


def log_lines(path):
    with open(path, "rb") as f:
        data = f.read().decode("utf-8", "replace")
    return data, [ln for ln in data.splitlines() if " status=" in ln]


def check_answers(soak, n, log_data):
    if soak.bad:
        fail("%d answer(s) with the wrong status: %s" % (
            sum(c for (k, s), c in soak.counts.items()
                if s != KINDS[k][1]), " | ".join(soak.bad[:5])))
    total = sum(soak.counts.values())
    if total != n:
        fail("%d answers for %d requests" % (total, n))
    data, lines = log_data
    if len(lines) != n:
        fail("%d log lines for %d requests" % (len(lines), n))
    for s in itest.SECRETS:
        if s in data:
            fail("the responder's log holds a secret")


def print_mix(soak, elapsed):
    by_kind = collections.Counter()
    for (k, s), c in soak.counts.items():
        by_kind[(k, s)] += c
    total = sum(by_kind.values())
    print("  %d requests in %.1f s (%.0f/s), %d FastCGI connections" % (
        total, elapsed, total / elapsed, CONNS))
    row = ["%s %s: %d" % (k, s, c) for (k, s), c in sorted(by_kind.items())]
    for i in range(0, len(row), 4):
        print("    " + ";  ".join(row[i:i + 4]))
    slow = sorted(soak.slowest.items(), key=lambda kv: -kv[1])[:4]
    print("  slowest answers: " + ", ".join("%s %.2f s" % kv for kv in slow))


# ---------------------------------------------------------------------------
# The two runs


def run_valgrind(h, a, results):
    sock = os.path.join(h.tmp, "valgrind.sock")
    vlog = os.path.join(h.tmp, "valgrind.log")
    env = h.base_env(ZOOM_TIMEOUT_MS=str(TIMEOUT_MS),
                     ZOOM_TOKEN_CACHE=os.path.join(h.tmp, "cache", "token"))
    kinds = plan(a.requests)
    print("valgrind memcheck: %d requests" % len(kinds), flush=True)
    t0 = time.monotonic()
    p, rlog = start_responder(h, h.bin, sock, env, True, vlog)
    print("  started under valgrind in %.1f s" % (time.monotonic() - t0))
    soak = Soak(h, h.bin, sock)
    t1 = time.monotonic()
    err = None
    try:
        soak.drive(kinds)
    except Failure as e:
        err = str(e)
    elapsed = time.monotonic() - t1
    print_mix(soak, elapsed)
    rc, took = stop(h, p, 120)
    print("  SIGTERM: exit status %s after %.1f s (valgrind's final leak "
          "check included)" % (rc, took))
    rlog = log_lines(rlog)
    with open(vlog, errors="replace") as f:
        vtext = f.read()
    summary = [ln.split("== ", 1)[-1] for ln in vtext.splitlines()
               if re.search(r"(ERROR SUMMARY|definitely lost|indirectly "
                            r"lost|possibly lost|still reachable|in use at "
                            r"exit|total heap usage|All heap blocks)", ln)]
    for ln in summary:
        print("  valgrind: %s" % ln.strip())

    def answers():
        if err:
            fail(err)
        check_answers(soak, len(kinds), rlog)
        return "%d requests, %.1f s" % (len(kinds), elapsed)

    def clean_exit():
        if rc is None:
            fail("still running %d s after SIGTERM: killed" % 120)
        if rc != 0:
            fail("exit status %d%s" % (rc, " (valgrind found errors)"
                                       if rc == 99 else ""))
        return "exit status 0"

    def no_errors():
        m = re.search(r"ERROR SUMMARY: (\d+) errors", vtext)
        if not m:
            fail("no ERROR SUMMARY in valgrind's log")
        if int(m.group(1)) != 0:
            fail("%s errors; valgrind log:\n%s" % (
                m.group(1), short(first_error(vtext), 3000)))
        return "ERROR SUMMARY: 0 errors"

    def no_leaks():
        lost = {}
        for kind in ("definitely", "indirectly"):
            m = re.search(kind + r" lost: ([\d,]+) bytes in ([\d,]+) blocks",
                          vtext)
            lost[kind] = int(m.group(1).replace(",", "")) if m else 0
        if "All heap blocks were freed" not in vtext and \
                "LEAK SUMMARY" not in vtext:
            fail("no leak summary in valgrind's log (did it finish?)")
        if any(lost.values()):
            fail("lost: %r\n%s" % (lost, short(first_error(vtext), 3000)))
        return "definitely lost 0, indirectly lost 0"

    results.append(("valgrind: every answer as expected", answers))
    results.append(("valgrind: clean exit on SIGTERM", clean_exit))
    results.append(("valgrind: no memory errors", no_errors))
    results.append(("valgrind: no leaks", no_leaks))


def first_error(vtext):
    lines = vtext.splitlines()
    for i, ln in enumerate(lines):
        if re.search(r"(Invalid|uninitialised|definitely lost in|"
                     r"indirectly lost in|Mismatched|overlap)", ln):
            return "\n".join(lines[i:i + 30])
    return "\n".join(lines[-40:])


def run_native(h, a, results):
    sock = os.path.join(h.tmp, "native.sock")
    env = h.base_env(ZOOM_TIMEOUT_MS=str(TIMEOUT_MS),
                     ZOOM_TOKEN_CACHE=os.path.join(h.tmp, "cache", "token"))
    n = max(a.requests, FIRST * 10)
    kinds = plan(n)
    print("native: %d requests" % n, flush=True)
    p, rlog = start_responder(h, h.bin, sock, env, False, None)
    soak = Soak(h, h.bin, sock)
    t0 = time.monotonic()
    err = None
    first = last = None
    marks = [FIRST + (n - FIRST) * k // SPANS for k in range(SPANS + 1)]
    rss_at = []
    try:
        soak.drive(kinds[:FIRST])
        first = vm_status(p.pid)
        rss_at.append(first["VmRSS"])
        for a_, b_ in zip(marks, marks[1:]):
            soak.drive(kinds[a_:b_])
            last = vm_status(p.pid)
            rss_at.append(last["VmRSS"])
    except Failure as e:
        err = str(e)
    elapsed = time.monotonic() - t0
    print_mix(soak, elapsed)
    if first and last:
        print("  VmRSS after %d requests: %d KiB; after %d: %d KiB "
              "(%+.2f %%); VmHWM %d KiB; %d threads" % (
                  FIRST, first["VmRSS"], n, last["VmRSS"],
                  100.0 * (last["VmRSS"] - first["VmRSS"]) / first["VmRSS"],
                  last["VmHWM"], last["Threads"]))
    rc, took = stop(h, p, 20)
    print("  SIGTERM: exit status %s after %.2f s" % (rc, took))
    rlog = log_lines(rlog)

    def answers():
        if err:
            fail(err)
        check_answers(soak, n, rlog)
        return "%d requests, %.1f s" % (n, elapsed)

    def rss():
        if not (first and last):
            fail("no RSS figures")
        d = (last["VmRSS"] - first["VmRSS"]) / first["VmRSS"]
        if abs(d) > RSS_TOLERANCE:
            fail("VmRSS %d KiB after %d requests, %d KiB after %d: %+.1f %%"
                 % (first["VmRSS"], FIRST, last["VmRSS"], n, d * 100))
        return "%d -> %d KiB, %+.2f %%" % (first["VmRSS"], last["VmRSS"],
                                          d * 100)

    def growth():
        """A small leak hides in 5 %: 24 bytes a request is +3.3 % over
        10,000. Growth per request over SPANS spans of the run after the
        warm-up: a leak grows every span alike; memory that settles late
        (a thread's malloc arena first used when the load peaks) grows
        one or two in a step. Fails when every span after the first grew
        by more than GROWTH_MAX bytes a request (RSS moves by pages: 8 B x
        2,250 requests is 4 to 5 pages)."""
        if len(rss_at) != SPANS + 1:
            fail("no RSS figures")
        g = [(b_ - a_) * 1024.0 / (marks[k + 1] - marks[k])
             for k, (a_, b_) in enumerate(zip(rss_at, rss_at[1:]))]
        note = "B/request over requests %s: %s" % (
            ", ".join("%d-%d" % (marks[k], marks[k + 1])
                      for k in range(SPANS)),
            ", ".join("%.1f" % x for x in g))
        if min(g[1:]) > GROWTH_MAX:
            fail("VmRSS grows in every span: %s (at most %d B/request "
                 "in one)" % (note, GROWTH_MAX))
        return note

    def clean_exit():
        if rc != 0:
            fail("exit status %r after SIGTERM" % rc)
        return None

    results.append(("native: every answer as expected", answers))
    results.append(("native: VmRSS within 5 %% after %d requests" % n, rss))
    results.append(("native: VmRSS growth per request, span by span",
                    growth))
    results.append(("native: clean exit on SIGTERM", clean_exit))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build",
                                                  "zoom-attendees"))
    ap.add_argument("--requests", type=int, default=10000)
    ap.add_argument("--only", choices=("valgrind", "native"))
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    if not os.access(a.bin, os.X_OK):
        print("no executable at %s (run make first)" % a.bin, file=sys.stderr)
        return 2
    if a.only != "native" and shutil.which("valgrind") is None:
        print("valgrind is not installed (tests/install-deps.sh)",
              file=sys.stderr)
        return 2

    def on_term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)

    passed = failed = 0
    results = []
    h = itest.Harness(os.path.abspath(a.bin), keep=a.keep)
    os.mkdir(os.path.join(h.tmp, "cache"), 0o700)
    t0 = time.monotonic()
    try:
        h.start_standin()
        if a.only != "native":
            run_valgrind(h, a, results)
        if a.only != "valgrind":
            h.ctl("reset", {"tokens": True})
            run_native(h, a, results)
    except KeyboardInterrupt:
        print("\ninterrupted")
        failed += 1
    except (RuntimeError, Failure) as e:
        print("setup failed: %s" % e)
        failed += 1
    finally:
        h.close()
    for name, fn in results:
        sys.stdout.write("%s... " % name)
        try:
            note = fn()
        except Failure as e:
            failed += 1
            print("FAIL: %s" % e)
            continue
        except Exception as e:      # noqa: BLE001
            failed += 1
            tb = traceback.extract_tb(e.__traceback__)[-1]
            print("FAIL: %s: %s (line %d)" % (type(e).__name__, e, tb.lineno))
            continue
        passed += 1
        print("ok" + (" (%s)" % note if note else ""))
    print("# %.1f s" % (time.monotonic() - t0))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
