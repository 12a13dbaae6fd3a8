#!/usr/bin/env python3
"""Nothing lost: the meeting-ended workflow under kill -9.

    python3 tests/workflow/crash.py --bin build/zoom-attendees [--seed N]
        [--only fastcgi|cgi] [--keep]

Two runs, side by side, each with its own Zoom stand-in
(tests/zoom_standin.py), Notion stand-in (tests/notion_standin.py) and
spool, on 127.0.0.1 only:

fastcgi: 50 bookings, each with a Notion page whose verdict is known (the
  Zoom stand-in's attendance meetings: Completed, Coach No Show, No Show,
  and Session Never Took Place for a meeting Zoom never has, written at
  the deadline). The responder serves FastCGI on a unix socket (spoken
  directly); for part of the run a second responder on the same spool. The
  webhooks are sent as Cal.com sends them (tests/cal_sender.py, real
  HMAC) while the responders are killed with SIGKILL and restarted:
    - at exact moments of the spool's file handling, held there by a small
      preloaded library built by this test (below): before the webhook's
      link into the spool, after it (no 202 sent yet), before and after the
      job file's rename that announces the status about to be written,
      before the rename of a retry, before and after the move to done/;
    - while a Zoom call, a Notion query and a Notion PATCH are in flight
      (the stand-ins' "sleep" faults hold the request; their request logs
      show it in flight);
    - at random moments: during bursts of webhooks, and while jobs run
      (every Zoom and Notion call then takes 0.2 s, so that random kills
      land in calls as well as between them).
  A webhook not answered 202 is sent again after the restart (a sender's
  duty); one answered 202 never is. A resent webhook must say "new" when
  its job was not in the spool at the kill, "duplicate" or "done" when it
  was. While both processes are idle, one of them runs a job whose PATCH
  takes 8 s, longer than the job's next attempt is away; when that attempt
  is due, a webhook wakes the other process, which must keep off the job.

cgi-drain: 24 bookings on a shared host: the webhooks as plain CGI (some
  killed before and after the link, some at random), then `--drain` runs
  killed mid-way (during a Zoom call, a Notion query or PATCH, after a
  status was announced, after the move to done/, at random), two drains at
  once as overlapping cron runs (one killed), then clean `--drain` runs
  until nothing is pending. The Notion database has a "status" property
  here (pending value "Not started") and a "Checked At" date.

After the last kill, each run waits until `--jobs` shows nothing pending
and checks:
  - every booking is done (none "left alone"), none failed; `--jobs`
    agrees;
  - every page got the expected status, never two different ones, and
    shows it; a page written twice (same status) only when the first
    PATCH's process was killed while that PATCH was in flight (Notion
    applied it after the job had run again): any other second write is
    two runs of one job;
  - no two processes worked on one job at once: each process reaches
    Notion under its own spelling of NOTION_API_BASE (127.0.0.1 or
    localhost), so the Notion stand-in's log (Host header, arrival and
    answer times) tells whose attempt a request was; an attempt runs from
    its query to its last answer, or to its process's death;
  - what the killed processes left in the spool's tmp/ (reported; only
    killed processes may have left anything, and `--drain` prunes such
    files once they are an hour old: checked by ageing them);
  - no sanitizer report and no secret in any log.

The preloaded library wraps linkat(2) and renameat(2): when the file
$ZA_CRASH_HOLD_DIR/hold-<moment> exists, the first thread to reach that
moment renames it to held-<moment>-<pid> (writing the job's file name into
it) and waits there until this test kills the process. A rename into the
spool's top directory is "pending-writing" when the new file names a status
being written, else "pending-retry".

Prints "name... ok" or "name... FAIL: reason" per check, then
"N passed, N failed"; exits 1 if any failed. About a minute; --verbose
lists every kill and what was in flight, --keep keeps the directories
(logs, spool, the stand-ins' request logs).
"""

import argparse
import calendar
import concurrent.futures
import hashlib
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import run as itest  # noqa: E402  (FastCGI client, CGI output parser)
import cal_sender as cal  # noqa: E402
import notion_standin  # noqa: E402
import zoom_standin  # noqa: E402

ZOOM_STANDIN = os.path.join(ROOT, "tests", "zoom_standin.py")
NOTION_STANDIN = os.path.join(ROOT, "tests", "notion_standin.py")
WEBHOOK_PATH = "/api/cal/meeting-ended"
RUN_ID = os.urandom(4).hex()
CAL_SECRET = "crash-cal-secret-" + os.urandom(12).hex()
NOTION_TOKEN = "ntn_crash" + os.urandom(14).hex()
API_KEY = "crash-key-" + os.urandom(12).hex()
CLIENT_ID = "crash-client-" + RUN_ID
CLIENT_SECRET = "crash-secret-" + os.urandom(12).hex()
ACCOUNT_ID = "crash-account-" + RUN_ID
SECRETS = [CAL_SECRET, NOTION_TOKEN, API_KEY, CLIENT_SECRET, "standin-token-"]
SANITIZER_MARKS = ["AddressSanitizer", "LeakSanitizer", "runtime error:",
                   "UndefinedBehaviorSanitizer"]
NOTION_DB = notion_standin.DEFAULT_DATABASE

RETRY_FIRST = 1             # WORKFLOW_RETRY_FIRST, seconds
MAX_WAIT = 25               # WORKFLOW_MAX_WAIT: the "never" meetings' wait
TIMEOUT_MS = 10000          # ZOOM_TIMEOUT_MS (bounds Notion calls too)
SLEEP = 3.0                 # a held Zoom / Notion request, seconds
SLOW = 0.2                  # every call, for the random kills, seconds
LONG = 8.0                  # a slow PATCH nobody kills (> the retry delay)
SETTLE = 110                # after the last kill, until all must be done
                            # (the "never" jobs' MAX_WAIT, and leeway)

ATT = zoom_standin.ATT
COACH = (zoom_standin.COACH_EMAIL, zoom_standin.COACH_NAME)
CLIENT = (zoom_standin.CLIENT_EMAIL, zoom_standin.CLIENT_NAME)
START = "2026-11-20T10:00:00.000Z"      # zoom_standin.ATT_BASE

W_COMPLETED = "Completed"
W_NO_SHOW = "No Show"
W_NEVER = "Session Never Took Place"
W_COACH_NO_SHOW = "Coach No Show"

# meeting, expected status, booking startTime (round robin over the jobs)
FASTCGI_MEETINGS = [
    ("rejoin", W_COMPLETED, START),
    ("coach_absent", W_COACH_NO_SHOW, START),
    ("alone", W_NO_SHOW, START),
    ("waiting", W_NO_SHOW, START),
    ("rejoin", W_COMPLETED, START),
    ("coach_absent", W_COACH_NO_SHOW, START),
    ("alone", W_NO_SHOW, START),
    ("never", W_NEVER, START),      # retried until WORKFLOW_MAX_WAIT
    ("devices", W_COMPLETED, START),
    ("waiting", W_NO_SHOW, START),
]
CGI_MEETINGS = [
    ("devices", W_COMPLETED, START),
    ("guest", W_COMPLETED, START),
    ("waiting", W_NO_SHOW, START),
    ("recurring", W_COMPLETED, "2026-11-06T10:00:00.000Z"),
    ("recurring", W_NO_SHOW, "2026-11-13T10:00:00.000Z"),
    ("recurring", W_COACH_NO_SHOW, "2026-11-20T10:00:00.000Z"),
]

HOLD_C = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char hold_dir[PATH_MAX];

__attribute__((constructor)) static void
init(void)
{
	const char *d = getenv("ZA_CRASH_HOLD_DIR");

	if (d != NULL && strlen(d) < sizeof(hold_dir) - 64)
		strcpy(hold_dir, d);
}

/* Held: the test kills the process; after 120 s, go on (it is gone). */
static void
hold(const char *moment, const char *name, const char *from)
{
	char	 armed[PATH_MAX + 64], held[PATH_MAX + 128], line[512];
	int	 i, fd;

	if (hold_dir[0] == '\0')
		return;
	snprintf(armed, sizeof(armed), "%s/hold-%s", hold_dir, moment);
	snprintf(held, sizeof(held), "%s/held-%s-%ld", hold_dir, moment,
	    (long)getpid());
	if (rename(armed, held) != 0)
		return;
	snprintf(line, sizeof(line), "%s %s\n", name, from);
	if ((fd = open(held, O_WRONLY | O_TRUNC | O_CLOEXEC)) >= 0) {
		if (write(fd, line, strlen(line)) < 0)
			;
		close(fd);
	}
	for (i = 0; i < 1200; i++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

/* done, failed, or pending-writing / pending-retry by the job's text. */
static void
area(int olddirfd, const char *oldpath, int newdirfd, char *out, size_t len)
{
	char		 link[64], dir[PATH_MAX], text[16384];
	const char	*base;
	ssize_t		 n;
	int		 fd;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", newdirfd);
	n = readlink(link, dir, sizeof(dir) - 1);
	dir[n > 0 ? n : 0] = '\0';
	base = strrchr(dir, '/');
	base = base != NULL ? base + 1 : dir;
	if (strcmp(base, "done") == 0 || strcmp(base, "failed") == 0) {
		snprintf(out, len, "%s", base);
		return;
	}
	n = 0;
	if ((fd = openat(olddirfd, oldpath, O_RDONLY | O_CLOEXEC)) >= 0) {
		n = read(fd, text, sizeof(text) - 1);
		close(fd);
	}
	text[n > 0 ? n : 0] = '\0';
	snprintf(out, len, "pending-%s", strstr(text, "\"writing\":\"\"") ?
	    "retry" : "writing");
}

int
linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
    int flags)
{
	static int (*real)(int, const char *, int, const char *, int);
	int rc;

	if (real == NULL)
		real = (int (*)(int, const char *, int, const char *, int))
		    dlsym(RTLD_NEXT, "linkat");
	hold("before-link", newpath, oldpath);
	rc = real(olddirfd, oldpath, newdirfd, newpath, flags);
	hold("after-link", newpath, oldpath);
	return rc;
}

int
renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
	static int (*real)(int, const char *, int, const char *);
	char	 where[64], moment[96];
	int	 rc;

	if (real == NULL)
		real = (int (*)(int, const char *, int, const char *))
		    dlsym(RTLD_NEXT, "renameat");
	if (hold_dir[0] == '\0')
		return real(olddirfd, oldpath, newdirfd, newpath);
	area(olddirfd, oldpath, newdirfd, where, sizeof(where));
	snprintf(moment, sizeof(moment), "before-rename-%s", where);
	hold(moment, newpath, oldpath);
	rc = real(olddirfd, oldpath, newdirfd, newpath);
	snprintf(moment, sizeof(moment), "after-rename-%s", where);
	hold(moment, newpath, oldpath);
	return rc;
}
"""


class Failure(Exception):
    pass


def fail(msg):
    raise Failure(msg)


def spool_name(uid):
    return hashlib.sha256(uid.encode()).hexdigest()[:32] + ".job"


def build_hold_library(d):
    src = os.path.join(d, "hold.c")
    lib = os.path.join(d, "hold.so")
    with open(src, "w") as f:
        f.write(HOLD_C)
    cc = os.environ.get("CC") or shutil.which("cc") or "gcc"
    p = subprocess.run([cc, "-shared", "-fPIC", "-O1", "-o", lib, src,
                        "-ldl"], capture_output=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError("cannot build the hold library: %s"
                           % p.stderr.decode("utf-8", "replace")[:500])
    return lib


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.passed = 0
        self.failed = 0

    def ok(self, name, note=""):
        with self.lock:
            self.passed += 1
            print("%s... ok%s" % (name, " (%s)" % note if note else ""),
                  flush=True)

    def fail(self, name, reason):
        with self.lock:
            self.failed += 1
            print("%s... FAIL: %s" % (name, reason), flush=True)

    def check(self, name, fn):
        """Run fn(); a Failure is a FAIL line; its return is a note."""
        try:
            note = fn()
        except Failure as e:
            self.fail(name, str(e))
            return False
        except Exception as e:   # a broken harness is a failure too
            self.fail(name, "%s: %s" % (type(e).__name__, e))
            traceback.print_exc()
            return False
        self.ok(name, note or "")
        return True


# ---------------------------------------------------------------------------
# What both runs share: stand-ins, spool, processes, the final checks


class Stack:
    def __init__(self, label, binary, hold_lib, res, rng, keep, asan):
        self.label = label
        self.res = res
        self.rng = rng
        self.keep = keep
        self.asan = asan
        self.hold_lib = hold_lib
        self.tmp = tempfile.mkdtemp(prefix="za-crash-%s-" % label)
        os.chmod(self.tmp, 0o755)
        bindir = os.path.join(self.tmp, "bin")
        os.mkdir(bindir)
        # A private copy: no zoom-attendees.conf lies beside it.
        self.bin = os.path.join(bindir, "zoom-attendees")
        shutil.copy2(binary, self.bin)
        self.spool = os.path.join(self.tmp, "spool")
        self.holds = os.path.join(self.tmp, "holds")
        os.mkdir(self.holds)
        self.logdir = os.path.join(self.tmp, "logs")
        os.mkdir(self.logdir)
        self.procs = []
        self.kills = []         # {"role", "pid", "t", "why", "during"}
        self.pids_killed = set()
        self.pids_clean = set()  # processes that exited by themselves
        self.role_start = {}    # role -> start time of its current process
        self.jobs = []
        self.by_name = {}
        self.hooks = {}         # uid -> {"sends": [...], "answer": ...}
        self.sent = set()       # the jobs whose webhook was sent once
        self.hooks_lock = threading.Lock()
        self.moments = []       # (moment, what was verified)

    # -- processes ----------------------------------------------------------

    def spawn(self, argv, env, log, **kw):
        p = subprocess.Popen(argv, start_new_session=True,
                             preexec_fn=itest._die_with_parent,
                             env=env, cwd=self.tmp,
                             stderr=open(os.path.join(self.logdir, log),
                                         "ab"), **kw)
        self.procs.append(p)
        return p

    def close(self):
        if self.keep:
            for what, ctl in (("zoom", self.zctl), ("notion", self.nctl)):
                try:
                    with open(os.path.join(self.logdir, what +
                                           "-stats.json"), "w") as f:
                        json.dump(ctl("stats", method="GET"), f, indent=1)
                except Exception:
                    pass
            with open(os.path.join(self.logdir, "kills.json"), "w") as f:
                json.dump(self.kills, f, indent=1)
        for p in reversed(self.procs):
            if p.poll() is None:
                try:
                    os.kill(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()
        if self.keep:
            print("%s: kept %s" % (self.label, self.tmp), flush=True)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def sigkill(self, p, role, why):
        """kill -9 the process and note what it was doing."""
        t = time.time()
        try:
            os.kill(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()
        rec = {"role": role, "pid": p.pid, "t": t, "why": why,
               "since": self.role_start.get(role, 0)}
        rec["during"] = self.in_flight(rec)
        self.kills.append(rec)
        self.pids_killed.add(p.pid)
        return rec

    def start_standins(self):
        zpf = os.path.join(self.tmp, "zoom.port")
        self.zoom = self.spawn(
            [sys.executable, ZOOM_STANDIN, "--port", "0", "--port-file", zpf,
             "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET,
             "--account-id", ACCOUNT_ID], None, "zoom-standin.stderr",
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        npf = os.path.join(self.tmp, "notion.port")
        tf = os.path.join(self.tmp, "notion.token")
        with open(tf, "w") as f:
            f.write(NOTION_TOKEN + "\n")
        self.notion = self.spawn(
            [sys.executable, NOTION_STANDIN, "--port", "0", "--port-file",
             npf, "--token-file", tf], None, "notion-standin.stderr",
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        self.zport = itest.wait_port_file(zpf, self.zoom, "the Zoom stand-in")
        self.nport = itest.wait_port_file(npf, self.notion,
                                          "the Notion stand-in")
        self.zctl("reset", {"tokens": True})
        self.nctl("reset")

    def _ctl(self, port, what, args, method):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        try:
            body = json.dumps(args or {}).encode() if method == "POST" \
                else None
            c.request(method, "/_control/" + what, body=body)
            r = c.getresponse()
            data = r.read()
            if r.status != 200:
                raise RuntimeError("stand-in %s: %d %s" % (what, r.status,
                                                           data[:200]))
            return json.loads(data)
        finally:
            c.close()

    def zctl(self, what, args=None, method="POST"):
        return self._ctl(self.zport, what, args, method)

    def nctl(self, what, args=None, method="POST"):
        return self._ctl(self.nport, what, args, method)

    def env(self, host="127.0.0.1", hold=True, **over):
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LC_ALL": "C"}
        for k in ("UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                env[k] = os.environ[k]
        asan = os.environ.get("ASAN_OPTIONS", "")
        # Killed processes cannot report leaks; the preloaded library comes
        # before the sanitizer's runtime in the list.
        env["ASAN_OPTIONS"] = ":".join(x for x in (
            asan, "detect_leaks=0", "verify_asan_link_order=0") if x)
        env.update({
            "INTERNAL_API_KEY": API_KEY,
            "ZOOM_ACCOUNT_ID": ACCOUNT_ID,
            "ZOOM_CLIENT_ID": CLIENT_ID,
            "ZOOM_CLIENT_SECRET": CLIENT_SECRET,
            "ZOOM_TOKEN_URL": "http://127.0.0.1:%d/oauth/token" % self.zport,
            "ZOOM_API_BASE": "http://127.0.0.1:%d/v2" % self.zport,
            "ZOOM_TIMEOUT_MS": str(TIMEOUT_MS),
            "WORKFLOW_SPOOL_DIR": self.spool,
            "CAL_WEBHOOK_SECRET": CAL_SECRET,
            "NOTION_API_BASE": "http://%s:%d/v1" % (host, self.nport),
            "NOTION_TOKEN": NOTION_TOKEN,
            "NOTION_DATABASE_ID": NOTION_DB,
            "WORKFLOW_RETRY_FIRST": str(RETRY_FIRST),
            "WORKFLOW_MAX_WAIT": str(MAX_WAIT),
        })
        if hold:
            env["LD_PRELOAD"] = self.hold_lib
            env["ZA_CRASH_HOLD_DIR"] = self.holds
        env.update(over)
        return env

    def command(self, *args, timeout=30.0):
        p = subprocess.run([self.bin] + list(args),
                           env=self.env(hold=False, **self.extra_env()),
                           stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=timeout, cwd=self.tmp)
        with open(os.path.join(self.logdir, "commands.stderr"), "ab") as f:
            f.write(p.stderr)
        return p.returncode, p.stdout.decode("utf-8", "replace")

    def extra_env(self):
        return {}

    def jobs_listing(self):
        """--jobs: ({state: n}, {uid: (state, line)})."""
        rc, out = self.command("--jobs")
        if rc != 0:
            fail("--jobs exited %d: %s" % (rc, out[-300:]))
        lines = out.strip().splitlines()
        if not lines:
            fail("--jobs printed nothing")
        counts = {}
        for part in lines[-1].split(","):
            n, _, state = part.strip().partition(" ")
            counts[state] = int(n)
        per = {}
        for ln in lines[:-1]:
            f = ln.split("\t")
            if len(f) >= 2:
                per[f[1]] = (f[0], ln)
        return counts, per

    # -- the bookings -------------------------------------------------------

    def make_jobs(self, n, meetings, tag):
        for i in range(n):
            m, word, start = meetings[i % len(meetings)]
            uid = "crash-%s-%s-%02d" % (RUN_ID, tag, i)
            end = start[:11] + "10:45:00.000Z"
            from_payload = i % 3 != 2       # every third: people on the page
            props = {"Name": "Session %d" % i, "Cal Booking UID": uid,
                     "Zoom Meet ID": ATT[m]}
            if not from_payload:
                props["Coach Email"] = COACH[0]
                props["Client Email"] = CLIENT[0]
            pid = self.nctl("page", {"properties": props,
                                     "split_zoom_id": i % 4 == 1})["id"]
            b = cal.booking(uid, start=start, end=end,
                            organizer=COACH if from_payload else None,
                            attendee=CLIENT if from_payload else None)
            body = cal.body(b, "flat" if i % 2 else "wrapped")
            job = {"i": i, "uid": uid, "meeting": m, "word": word,
                   "page": pid, "name": spool_name(uid), "body": body,
                   "sig": cal.sign(CAL_SECRET, body)}
            self.jobs.append(job)
            self.by_name[job["name"]] = job
            self.hooks[uid] = {"sends": [], "answer": None}

    # -- the spool ------------------------------------------------------------

    def areas_of(self, name):
        out = []
        for area, sub in (("pending", ""), ("done", "done"),
                          ("failed", "failed")):
            if os.path.exists(os.path.join(self.spool, sub, name)):
                out.append(area)
        return out

    def read_job(self, name, area="pending"):
        sub = "" if area == "pending" else area
        try:
            with open(os.path.join(self.spool, sub, name)) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def tmp_files(self):
        try:
            return sorted(os.listdir(os.path.join(self.spool, "tmp")))
        except FileNotFoundError:
            return []

    # -- held moments ---------------------------------------------------------

    def arm(self, moment):
        open(os.path.join(self.holds, "hold-" + moment), "w").close()

    def wait_held(self, moment, timeout, alive=None):
        """(pid, job file name, tmp name) of the process held at moment, or
        None when none got there in time (the moment is disarmed)."""
        armed = os.path.join(self.holds, "hold-" + moment)
        prefix = "held-%s-" % moment
        deadline = time.monotonic() + timeout
        disarmed = False
        while True:
            for f in os.listdir(self.holds):
                if not f.startswith(prefix):
                    continue
                path = os.path.join(self.holds, f)
                for _ in range(100):
                    with open(path) as fh:
                        text = fh.read()
                    if text.endswith("\n"):
                        break
                    time.sleep(0.01)
                os.unlink(path)
                name, _, src = text.strip().partition(" ")
                return int(f[len(prefix):]), name, src
            if disarmed:
                return None
            if time.monotonic() > deadline or (alive is not None and
                                               not alive()):
                try:
                    os.unlink(armed)
                except FileNotFoundError:
                    pass        # taken just now: look once more
                disarmed = True
                continue
            time.sleep(0.02)

    # -- the stand-ins' logs --------------------------------------------------

    def zoom_requests(self):
        return self.zctl("stats", method="GET")["requests"]

    def notion_requests(self):
        return self.nctl("stats", method="GET")["requests"]

    def host_of(self, role):
        return "%s:%d" % (self.role_hosts[role], self.nport)

    def in_flight(self, rec):
        """What the killed process had in flight at rec["t"]."""
        out = []
        host = self.host_of(rec["role"]) if rec["role"] in self.role_hosts \
            else None
        for r in self.notion_requests():
            if host and r.get("host") == host and \
                    rec["since"] <= r["t"] <= rec["t"] and \
                    r.get("t_done", rec["t"] + 1) > rec["t"]:
                out.append("Notion %s" % ("PATCH" if r["target"] == "patch"
                                          else "query"))
        if host and not out:
            # Between calls: say after which one (its job's attempt may be
            # under way: Zoom, the spool, the pace between Notion calls).
            mine = [r for r in self.notion_requests()
                    if r.get("host") == host and
                    rec["since"] <= r["t"] <= rec["t"]]
            if mine:
                r = mine[-1]
                out.append("%.2f s after its Notion %s" % (
                    rec["t"] - r.get("t_done", r["t"]),
                    "PATCH" if r["target"] == "patch" else "query"))
        either = " (either process)" if self.others_running() else ""
        for r in self.zoom_requests():
            if rec["since"] <= r["time"] <= rec["t"] and "status" not in r:
                out.append(("Zoom %s" % r["path"].split("?")[0].split("/")[-1]
                            if "/v2/" in r["path"] else "Zoom token") +
                           either)
        return out

    def others_running(self):
        """Another process may have made a Zoom call (Zoom's log cannot
        tell whose it was)."""
        return False

    def slow_calls(self):
        """From now on every Zoom and Notion call takes a moment, so that a
        random kill often lands in one."""
        for target in ("participants", "instances", "meeting"):
            self.zctl("fault", {"target": target, "kind": "sleep",
                                "seconds": SLOW, "times": -1})
        self.nctl("fault", {"target": "any", "kind": "sleep",
                            "seconds": SLOW, "times": -1})
        return "Zoom and Notion calls take %.2f s each from now on" % SLOW

    def wait_zoom_in_flight(self, since, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for r in self.zoom_requests():
                if r["time"] >= since and "status" not in r and \
                        "/participants" in r["path"]:
                    return r
            time.sleep(0.03)
        return None

    def wait_notion_in_flight(self, target, since, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for r in self.notion_requests():
                if r["t"] >= since and r.get("target") == target and \
                        "t_done" not in r:
                    return r
            time.sleep(0.03)
        return None

    # -- webhooks -------------------------------------------------------------

    def note_send(self, job, how, outcome, answer=None):
        with self.hooks_lock:
            h = self.hooks[job["uid"]]
            h["sends"].append({"how": how, "outcome": outcome,
                               "t": time.time()})
            if outcome == 202:
                if h["answer"] is not None:
                    h["twice"] = True
                h["answer"] = answer

    def classify_lost(self, job, kill_no):
        """A webhook killed before its answer: was its job in the spool?"""
        kept = bool(self.areas_of(job["name"]))
        with self.hooks_lock:
            self.hooks[job["uid"]]["sends"][-1]["kept"] = kept
            self.hooks[job["uid"]]["sends"][-1]["kill"] = kill_no
        return kept

    def unanswered(self):
        with self.hooks_lock:
            return [j for j in self.jobs
                    if self.hooks[j["uid"]]["answer"] is None]

    # -- the final checks -----------------------------------------------------

    def wait_all_done(self, deadline):
        last = None
        while time.monotonic() < deadline:
            counts, _ = self.jobs_listing()
            last = counts
            if counts.get("pending", 0) == 0:
                return counts
            time.sleep(1.0)
        fail("still pending after %.0f s past the last kill: %s"
             % (SETTLE, last))

    def final_checks(self, prop_type, checked_at=False):
        P = self.label
        res = self.res
        n = len(self.jobs)

        def webhooks():
            bad = []
            lost = kept = 0
            for j in self.jobs:
                h = self.hooks[j["uid"]]
                ans = h["answer"]
                if ans is None:
                    bad.append("%s never answered 202" % j["uid"])
                    continue
                if h.get("twice"):
                    bad.append("%s answered 202 twice: resent after a 202"
                               % j["uid"])
                lost_sends = [s for s in h["sends"] if "kept" in s]
                lost += len(lost_sends)
                kept += sum(1 for s in lost_sends if s["kept"])
                want = ("new",)
                if lost_sends and lost_sends[-1]["kept"]:
                    want = ("duplicate", "done")
                if ans.get("job") not in want or ans.get("uid") != j["uid"]:
                    bad.append("%s: 202 %r, expected job %s (its job %s in "
                               "the spool when the first delivery was "
                               "killed)" % (j["uid"], ans, "/".join(want),
                                            "was" if want[0] != "new"
                                            else "was not"))
            if bad:
                fail("; ".join(bad[:5]))
            sends = sum(len(self.hooks[j["uid"]]["sends"]) for j in self.jobs)
            return ("%d webhooks sent for %d bookings; %d killed before "
                    "their answer, %d of them already in the spool; each "
                    "answered 202 once" % (sends, n, lost, kept))
        res.check("%s: every webhook answered 202 exactly once, resends "
                  "consistent with the spool" % P, webhooks)

        def jobs():
            counts, per = self.jobs_listing()
            bad = []
            for j in self.jobs:
                st = per.get(j["uid"], ("missing", ""))
                if st[0] != "done":
                    bad.append("%s: %s" % (j["uid"], st[1] or st[0]))
                elif "left alone" in st[1]:
                    bad.append("%s done but \"left alone\": %s"
                               % (j["uid"], st[1]))
            if counts.get("pending") or counts.get("failed") or \
                    counts.get("done") != n:
                bad.insert(0, "summary %r, expected 0 pending, 0 failed, %d "
                              "done" % (counts, n))
            failed_dir = os.listdir(os.path.join(self.spool, "failed"))
            if failed_dir:
                bad.append("failed/ holds %s" % failed_dir[:3])
            if bad:
                fail("; ".join(bad[:5]))
            return "%d done, 0 pending, 0 failed" % n
        res.check("%s: --jobs: every job done, none failed" % P, jobs)

        stats = self.nctl("stats", method="GET")
        by_page = {}
        for p in stats["patches"]:
            by_page.setdefault(p["page"], []).append(p)

        def statuses():
            bad = []
            for j in self.jobs:
                ps = by_page.get(j["page"], [])
                words = []
                for p in ps:
                    v = p["properties"].get("Status", {})
                    words.append((v.get(prop_type) or {}).get("name"))
                    if checked_at and "Checked At" not in p["properties"]:
                        bad.append("%s: a PATCH without Checked At"
                                   % j["uid"])
                if not ps:
                    bad.append("%s (%s): no PATCH" % (j["uid"],
                                                      j["meeting"]))
                elif len(set(words)) > 1:
                    bad.append("%s (%s): PATCHes with different statuses "
                               "%s" % (j["uid"], j["meeting"], words))
                elif words[0] != j["word"]:
                    bad.append("%s (%s): status %r, expected %r"
                               % (j["uid"], j["meeting"], words[0],
                                  j["word"]))
                page = self.nctl("page?id=" + j["page"], method="GET")
                v = page["properties"]["Status"]
                now = (v.get(v["type"]) or {}).get("name")
                if now != j["word"]:
                    bad.append("%s: the page shows %r, expected %r"
                               % (j["uid"], now, j["word"]))
            if bad:
                fail("; ".join(bad[:6]))
            return "%d pages, each with the expected status" % n
        res.check("%s: every page has the right status, never two "
                  "different ones" % P, statuses)

        def once():
            return self.check_twice(stats, by_page)
        res.check("%s: a page written twice only when a kill cut its "
                  "first PATCH short" % P, once)

        def no_overlap():
            return self.check_overlap(stats["requests"])
        res.check("%s: no two processes on one job at once" % P, no_overlap)

        def tmp_left():
            left = self.tmp_files()
            strays = []
            for f in left:
                try:
                    pid = int(f.split(".")[0])
                except ValueError:
                    strays.append(f)
                    continue
                if pid not in self.pids_killed:
                    strays.append(f)
            if strays:
                fail("tmp/ holds files of processes that were not killed "
                     "(a write that did not clean up): %s" % strays[:5])
            return self.tmp_note(left)
        res.check("%s: tmp/ holds only what killed processes left" % P,
                  tmp_left)

        def logs():
            bad = []
            for f in sorted(os.listdir(self.logdir)):
                with open(os.path.join(self.logdir, f), "rb") as fh:
                    text = fh.read().decode("utf-8", "replace")
                for m in SANITIZER_MARKS:
                    if m in text:
                        i = text.index(m)
                        bad.append("%s: %s" % (f, text[max(0, i - 200):
                                                       i + 600]))
                if not f.endswith("standin.stderr"):
                    for s in SECRETS:
                        if s in text:
                            bad.append("%s holds a secret (%s...)"
                                       % (f, s[:10]))
            if bad:
                fail("; ".join(bad[:3]))
            return None
        res.check("%s: no sanitizer report, no secret in the logs" % P, logs)

    def tmp_note(self, left):
        if not left:
            return "tmp/ is empty"
        return ("%d file(s) in tmp/ from killed processes, pruned after an "
                "hour by design: %s" % (len(left), ", ".join(left[:6])))

    def check_twice(self, stats, by_page):
        """A second PATCH of a page (same status) is harmless, and expected
        when the first one's process was killed while it was in flight:
        Notion applied it after the job had run again. Anything else is
        two runs of one job."""
        role_of_host = {self.host_of(r): r for r in self.role_hosts}
        reqs = {}
        for r in stats["requests"]:
            if r.get("target") == "patch":
                reqs[(r["path"].split("/")[-1], r["t"])] = r
        bad, explained = [], []
        for j in self.jobs:
            ps = sorted(by_page.get(j["page"], []), key=lambda p: p["t"])
            for k, p in enumerate(ps[:-1]):
                r = reqs.get((j["page"], p["t"])) or \
                    reqs.get((j["page"].replace("-", ""), p["t"]))
                role = role_of_host.get((r or {}).get("host"))
                cut = [x for x in self.kills if x["role"] == role and
                       r["t"] <= x["t"] <= r.get("t_done", x["t"] + 1)] \
                    if r else []
                if cut:
                    explained.append(j["uid"])
                else:
                    bad.append("%s (%s): PATCH %d of %d (by %s at %.3f) was "
                               "not cut short by a kill, yet the page was "
                               "written again" % (j["uid"], j["meeting"],
                                                  k + 1, len(ps), role,
                                                  p["t"] % 1000))
        if bad:
            fail("; ".join(bad[:4]))
        return ("%d accepted PATCHes for %d pages; %d page(s) written twice "
                "with the same status after a kill during the first PATCH"
                % (len(stats["patches"]), len(self.jobs), len(explained)))

    def check_overlap(self, requests):
        """Attempts (a query and the requests after it, by one process,
        until its next query or its death) of different processes on one
        booking must not overlap in time."""
        uid_of_page = {j["page"].replace("-", ""): j["uid"]
                       for j in self.jobs}
        role_of_host = {self.host_of(r): r for r in self.role_hosts}
        kills = {}
        for k in self.kills:
            kills.setdefault(k["role"], []).append(k["t"])
        seq = {}
        for r in requests:
            role = role_of_host.get(r.get("host"))
            if role is None:
                continue
            if r.get("target") == "query":
                try:
                    uid = json.loads(r["body"])["filter"]["rich_text"][
                        "equals"]
                except (ValueError, KeyError, TypeError):
                    continue
            elif r.get("target") == "patch":
                uid = uid_of_page.get(r["path"].split("/")[-1].replace(
                    "-", ""))
            else:
                continue
            seq.setdefault((uid, role), []).append(r)
        attempts = {}
        for (uid, role), rs in seq.items():
            rs.sort(key=lambda r: r["t"])
            cur = None
            for r in rs:
                end = r.get("t_done", r["t"])
                if r["target"] == "query" or cur is None:
                    cur = [r["t"], end, role]
                    attempts.setdefault(uid, []).append(cur)
                else:
                    cur[1] = max(cur[1], end)
        bad = []
        for uid, ats in attempts.items():
            for a in ats:
                dead = [t for t in kills.get(a[2], []) if t >= a[0]]
                if dead:
                    a[1] = min(a[1], min(dead))
            for x in range(len(ats)):
                for y in range(x + 1, len(ats)):
                    a, b = ats[x], ats[y]
                    if a[2] != b[2] and a[0] < b[1] and b[0] < a[1]:
                        bad.append("%s: %s %.3f-%.3f and %s %.3f-%.3f" % (
                            uid, a[2], a[0] % 1000, a[1] % 1000, b[2],
                            b[0] % 1000, b[1] % 1000))
        if bad:
            fail("attempts of different processes overlap on %d booking(s): "
                 "%s" % (len(bad), "; ".join(bad[:4])))
        roles = sorted({a[2] for ats in attempts.values() for a in ats})
        shared = sum(1 for ats in attempts.values()
                     if len({a[2] for a in ats}) > 1)
        return ("%d attempts by %s; %d bookings were worked on by more "
                "than one process, one after the other"
                % (sum(len(a) for a in attempts.values()), "/".join(roles),
                   shared))

    def kill_summary(self):
        lines = []
        for k in self.kills:
            lines.append("%s %s: %s%s" % (k["role"], k["pid"], k["why"],
                                          " [in flight: %s]" % ", ".join(
                                              k["during"]) if k["during"]
                                          else ""))
        return lines


# ---------------------------------------------------------------------------
# fastcgi: responders on a unix socket, one spool, 50 jobs


class FastcgiRun(Stack):
    N = 50

    def __init__(self, *a, **kw):
        super().__init__("fastcgi", *a, **kw)
        self.role_hosts = {"p1": "127.0.0.1", "p2": "localhost"}
        self.sock = {r: os.path.join(self.tmp, "%s.sock" % r)
                     for r in self.role_hosts}
        self.proc = {"p1": None, "p2": None}

    def start(self, role):
        try:
            os.unlink(self.sock[role])
        except FileNotFoundError:
            pass
        p = self.spawn([self.bin, "--listen", self.sock[role]],
                       self.env(self.role_hosts[role]), role + ".stderr",
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while True:
            if p.poll() is not None:
                fail("%s exited %s at start" % (role, p.returncode))
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(self.sock[role])
                s.close()
                break
            except OSError:
                s.close()
                if time.monotonic() > deadline:
                    fail("%s does not listen" % role)
                time.sleep(0.02)
        self.proc[role] = p
        self.role_start[role] = time.time()

    def kill(self, role, why):
        p = self.proc[role]
        self.proc[role] = None
        return self.sigkill(p, role, why)

    def up(self):
        return [r for r in ("p1", "p2") if self.proc[r] is not None]

    def others_running(self):
        return bool(self.up())      # the one being killed is out already

    def role_of_pid(self, pid):
        for r, p in self.proc.items():
            if p is not None and p.pid == pid:
                return r
        fail("held process %d is none of ours" % pid)

    def send(self, job, role, timeout=20.0):
        """One delivery over FastCGI: 202 (answered) or "lost" (no answer:
        the process died) or "refused" (nobody listening)."""
        params = {
            "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1",
            "REQUEST_METHOD": "POST", "REQUEST_URI": WEBHOOK_PATH,
            "SCRIPT_NAME": WEBHOOK_PATH, "DOCUMENT_URI": WEBHOOK_PATH,
            "PATH_INFO": "", "QUERY_STRING": "", "REMOTE_ADDR": "127.0.0.1",
            "SERVER_NAME": "localhost", "SERVER_PORT": "80",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(job["body"])),
            "HTTP_X_CAL_SIGNATURE_256": job["sig"],
            "HTTP_X_CAL_WEBHOOK_VERSION": cal.WEBHOOK_VERSION,
        }
        try:
            out, _ = itest.fcgi_request(self.sock[role], params, job["body"],
                                        timeout)
        except (ConnectionRefusedError, FileNotFoundError):
            self.note_send(job, role, "refused")
            return "refused"
        except (itest.Failure, OSError):
            self.note_send(job, role, "lost")
            return "lost"
        r = itest.parse_cgi_output(out, "fastcgi")
        if r.status != 202:
            self.note_send(job, role, r.status)
            fail("webhook %s: %d %s" % (job["uid"], r.status,
                                        itest.short(r.body)))
        self.note_send(job, role, 202, r.json())
        return 202

    def resend(self):
        """Every webhook without its 202, again (a sender's duty)."""
        for _ in range(10):
            todo = self.unanswered()
            todo = [j for j in todo if j["i"] in self.sent]
            if not todo:
                return
            for j in todo:
                self.send(j, self.up()[0])
        fail("webhooks still unanswered after 10 rounds")

    # -- the moments ----------------------------------------------------------

    def hook_held(self, job, moment):
        self.arm(moment)
        self.sent.add(job["i"])
        got = {}
        t = threading.Thread(target=lambda: got.update(
            r=self.send(job, "p1")))
        t.start()
        held = self.wait_held(moment, 15)
        if held is None:
            t.join()
            fail("the webhook did not reach %s (answer %s)" % (moment,
                                                              got.get("r")))
        pid, name, src = held
        rec = self.kill(self.role_of_pid(pid), "held " + moment)
        t.join()
        if got.get("r") != "lost":
            fail("the webhook was answered (%s) although its process "
                 "was killed before answering" % got.get("r"))
        kept = self.classify_lost(job, len(self.kills))
        if name != job["name"]:
            fail("held at %s for %s, expected %s" % (moment, name,
                                                     job["name"]))
        if moment == "before-link" and kept:
            fail("killed before the link, but the job is in the spool")
        if moment == "after-link" and not kept:
            fail("killed after the link, but the job is not in the spool")
        self.start(rec["role"])
        self.resend()
        return "%s killed; job %s in the spool; resent: %s" % (
            rec["role"], "already" if kept else "not",
            self.hooks[job["uid"]]["answer"].get("job"))

    def burst(self, jobs, what):
        roles = self.up()
        for j in jobs:
            self.sent.add(j["i"])
        with concurrent.futures.ThreadPoolExecutor(16) as ex:
            futs = {ex.submit(self.send, j, roles[k % len(roles)]): j
                    for k, j in enumerate(jobs)}
            time.sleep(self.rng.uniform(0.002, 0.03))
            victim = self.rng.choice(roles)
            rec = self.kill(victim, "random, " + what)
            results = {futs[f]["i"]: f.result() for f in
                       concurrent.futures.as_completed(futs)}
        kept = notkept = refused = 0
        for j in jobs:
            r = results[j["i"]]
            if r == "lost":
                if self.classify_lost(j, len(self.kills)):
                    kept += 1
                else:
                    notkept += 1
            elif r == "refused":
                refused += 1
        rec["during"].append("%d webhooks (%d kept, %d not)"
                             % (kept + notkept, kept, notkept))
        self.start(victim)
        self.resend()
        return ("%s killed after %d of %d answers: %d in flight (%d already "
                "in the spool, %d not), %d refused; all resent and answered"
                % (victim, sum(1 for r in results.values() if r == 202),
                   len(jobs), kept + notkept, kept, notkept, refused))

    def moment_hold(self, moment, check):
        self.arm(moment)
        held = self.wait_held(moment, 25)
        if held is None:
            fail("no process reached %s within 25 s" % moment)
        pid, name, src = held
        role = self.role_of_pid(pid)
        rec = self.kill(role, "held " + moment)
        job = self.by_name.get(name)
        if job is None:
            fail("held for an unknown job file %s" % name)
        note = check(job, name, src)
        self.start(role)
        return "%s killed on %s (%s): %s" % (role, job["uid"][-9:],
                                              job["meeting"], note)

    def moment_zoom(self):
        since = time.time()
        self.zctl("fault", {"target": "participants", "kind": "sleep",
                            "seconds": SLEEP, "times": 1})
        r = self.wait_zoom_in_flight(since, 25)
        if r is None:
            fail("no Zoom participants call within 25 s")
        roles = self.up()       # Zoom's log does not say which: all of them
        for role in roles:
            self.kill(role, "during a Zoom call")
        for role in roles:
            self.start(role)
        return "%s killed while %s was in flight" % (
            "+".join(roles), r["path"].split("?")[0])

    def moment_notion(self, target):
        since = time.time()
        self.nctl("fault", {"target": target, "kind": "sleep",
                            "seconds": SLEEP, "times": 1})
        r = self.wait_notion_in_flight(target, since, 25)
        if r is None:
            fail("no Notion %s within 25 s" % target)
        role = {self.host_of(x): x for x in self.role_hosts}.get(r["host"])
        if role is None or self.proc[role] is None:
            fail("a Notion %s from %r, no process of ours" % (target,
                                                              r["host"]))
        self.kill(role, "during a Notion %s" % target)
        self.start(role)
        return "%s killed while its %s %s was in flight" % (
            role, r["method"], r["path"].split("/")[2])

    # -- the run -------------------------------------------------------------

    def run(self):
        res = self.res
        P = self.label
        self.start_standins()
        self.make_jobs(self.N, FASTCGI_MEETINGS, "f")
        self.start("p1")
        J = self.jobs
        steps = [
            ("second process on the same spool",
             lambda: self.start("p2") or "p2 started"),
            ("a slow Notion PATCH, not killed, two processes",
             lambda: self.slow_patch(J[0], J[1])),
            ("kill before the spool link (webhook)",
             lambda: self.hook_held(J[2], "before-link")),
            ("kill after the spool link, before the 202",
             lambda: self.hook_held(J[3], "after-link")),
            ("random kill during a burst of webhooks",
             lambda: self.burst(J[4:30], "during a burst of webhooks")),
            ("kill during a Zoom call", self.moment_zoom),
            ("kill during a Notion query",
             lambda: self.moment_notion("query")),
            ("kill during a Notion PATCH",
             lambda: self.moment_notion("patch")),
            ("slow calls", self.slow_calls),
            ("random kill while jobs run, two processes",
             self.random_kill),
            ("random kill while jobs run, two processes, again",
             self.random_kill),
            ("kill before the rename that announces a status",
             lambda: self.moment_hold("before-rename-pending-writing",
                                      self.check_before_writing)),
            ("kill after the rename that announces a status",
             lambda: self.moment_hold("after-rename-pending-writing",
                                      self.check_after_writing)),
            ("second process killed for good",
             lambda: "killed: %s" % (", ".join(self.kill(
                 "p2", "random, the second process's end")["during"])
                 or "nothing in flight")),
            ("random kill during another burst of webhooks",
             lambda: self.burst(J[30:], "during a burst of webhooks")),
            ("random kill while jobs run", self.random_kill),
            ("random kill while jobs run, again", self.random_kill),
            ("kill before the rename of a retry",
             lambda: self.moment_hold("before-rename-pending-retry",
                                      self.check_before_retry)),
            ("kill before the move to done/",
             lambda: self.moment_hold("before-rename-done",
                                      self.check_before_done)),
            ("kill after the move to done/, before the pending file goes",
             lambda: self.moment_hold("after-rename-done",
                                      self.check_after_done)),
        ]
        for i in range(2):
            steps.append(("random kill late in the run (%d)" % (i + 1),
                          self.random_kill))
        for name, fn in steps:
            res.check("%s: %s" % (P, name), fn)
            if self.proc["p1"] is None:
                self.start("p1")
        self.sent.update(j["i"] for j in self.jobs)     # after a failed step
        self.resend()
        last_kill = max(k["t"] for k in self.kills)
        deadline = time.monotonic() + SETTLE - (time.time() - last_kill)

        def settle():
            self.wait_all_done(deadline)
            return "nothing pending %.0f s after the last kill" % (
                time.time() - last_kill)
        res.check("%s: all jobs finish after the last kill" % P, settle)

        def stop():
            p = self.proc["p1"]
            p.send_signal(signal.SIGTERM)
            try:
                rc = p.wait(20)
            except subprocess.TimeoutExpired:
                fail("p1 did not stop on SIGTERM within 20 s")
            self.proc["p1"] = None
            self.pids_clean.add(p.pid)
            if rc != 0:
                fail("p1 exited %d on SIGTERM" % rc)
            return None
        res.check("%s: the last responder stops cleanly" % P, stop)
        self.final_checks("select")
        return self.kill_summary()

    def slow_patch(self, job, waker):
        """Two idle processes; one runs a job whose PATCH takes longer than
        the job's next attempt is away; when it is due, a new webhook wakes
        the other process (it scans the spool): it must keep off that job
        while the first one is still writing it."""
        def idle():
            counts, _ = self.jobs_listing()
            return counts.get("pending", 0) == 0
        deadline = time.monotonic() + 20
        while not idle():
            if time.monotonic() > deadline:
                fail("the first jobs did not finish")
            time.sleep(0.2)
        since = time.time()
        self.nctl("fault", {"target": "patch", "kind": "sleep",
                            "seconds": LONG, "times": 1,
                            "page": job["page"]})
        self.sent.add(job["i"])
        self.send(job, "p2")
        r = self.wait_notion_in_flight("patch", since, 20)
        if r is None:
            fail("no Notion PATCH of %s within 20 s" % job["uid"])
        writer = {self.host_of(x): x for x in self.role_hosts}.get(r["host"])
        other = "p2" if writer == "p1" else "p1"
        f = self.read_job(job["name"]) or {}
        due = f.get("next") or time.time()
        # (A job whose next attempt is after the write's end is kept off
        # by time; the other process is woken during the write anyway.)
        time.sleep(max(0.0, min(due, r["t"] + LONG - 2) + 0.3 - time.time()))
        self.sent.add(waker["i"])
        self.send(waker, other)
        deadline = time.monotonic() + LONG + 10
        while time.monotonic() < deadline:
            done = [x for x in self.notion_requests()
                    if x["t"] == r["t"] and "t_done" in x]
            if done:
                took = done[0]["t_done"] - r["t"]
                return ("%s's PATCH took %.1f s; the job's next attempt was "
                        "%.1f s after it began%s; a webhook woke %s "
                        "meanwhile" % (writer, took, max(0.0, due - r["t"]),
                                       " (kept off by time)" if
                                       due - r["t"] > took else "", other))
            time.sleep(0.1)
        fail("the slow PATCH did not end")

    def random_kill(self):
        time.sleep(self.rng.uniform(0.2, 1.5))
        role = self.rng.choice(self.up())
        rec = self.kill(role, "random, while jobs run")
        self.start(role)
        return "%s killed; in flight: %s" % (role, ", ".join(rec["during"])
                                             or "nothing")

    # -- what the spool shows right after a held kill -----------------------

    def read_tmp(self, src):
        try:
            with open(os.path.join(self.spool, "tmp", src)) as f:
                return json.load(f)
        except (OSError, ValueError) as e:
            fail("the new version %s is not in tmp/: %s" % (src, e))

    def check_before_writing(self, job, name, src):
        old, new = self.read_job(name), self.read_tmp(src)
        if new.get("writing") != job["word"]:
            fail("the new version should announce %r: %r" % (job["word"],
                                                             new))
        if old is None or old["attempts"] != new["attempts"] - 1:
            fail("the job file should be the one before attempt %d: %r"
                 % (new["attempts"], old))
        return ("attempt %d announcing %r left in tmp/, the job file as "
                "before it" % (new["attempts"], job["word"]))

    def check_after_writing(self, job, name, src):
        j = self.read_job(name)
        if j is None or j.get("writing") != job["word"]:
            fail("the job file should announce %r: %r" % (job["word"], j))
        wait = max(0.0, j["next"] - time.time())
        return "the job file announces %r, next attempt in %.0f s" % (
            j["writing"], wait)

    def check_before_retry(self, job, name, src):
        old, new = self.read_job(name), self.read_tmp(src)
        if old is None or old["attempts"] != new["attempts"] - 1 or \
                not new.get("last_error"):
            fail("expected the record of attempt %d in tmp/ and the one "
                 "before it in place: %r / %r" % (new["attempts"], new, old))
        return "attempt %d's record (%s) left in tmp/" % (
            new["attempts"], new["last_error"])

    def check_before_done(self, job, name, src):
        areas = self.areas_of(name)
        if areas != ["pending"]:
            fail("expected the job in pending/ only, it is in %s" % areas)
        new = self.read_tmp(src)
        if not new.get("outcome"):
            fail("the file in tmp/ has no outcome: %r" % new)
        return "still pending, the done version (%s) in tmp/" % \
            new["outcome"]

    def check_after_done(self, job, name, src):
        areas = self.areas_of(name)
        if sorted(areas) != ["done", "pending"]:
            fail("expected the job in both pending and done/, it is in %s"
                 % areas)
        return "in both pending and done/"


# ---------------------------------------------------------------------------
# cgi-drain: webhooks as CGI, --drain runs killed mid-way, then clean ones


class CgiRun(Stack):
    N = 24

    def __init__(self, *a, **kw):
        super().__init__("cgi-drain", *a, **kw)
        self.role_hosts = {"drain-a": "127.0.0.1", "drain-b": "localhost"}

    def extra_env(self):
        return {"NOTION_STATUS_PENDING": "Not started",
                "NOTION_PROP_CHECKED_AT": "Checked At"}

    def cgi_env(self):
        e = self.env(**self.extra_env())
        e.update({
            "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1",
            "SERVER_SOFTWARE": "crashtest", "SERVER_NAME": "localhost",
            "SERVER_PORT": "80", "REMOTE_ADDR": "127.0.0.1",
            "REQUEST_METHOD": "POST", "REQUEST_URI": WEBHOOK_PATH,
            "SCRIPT_NAME": WEBHOOK_PATH, "DOCUMENT_URI": WEBHOOK_PATH,
            "PATH_INFO": "", "QUERY_STRING": "",
            "CONTENT_TYPE": "application/json",
            "HTTP_X_CAL_WEBHOOK_VERSION": cal.WEBHOOK_VERSION})
        return e

    def cgi(self, job, kill_after=None, hold=None):
        """The webhook as a CGI run: 202, or "lost" (killed first)."""
        self.sent.add(job["i"])
        e = self.cgi_env()
        e["CONTENT_LENGTH"] = str(len(job["body"]))
        e["HTTP_X_CAL_SIGNATURE_256"] = job["sig"]
        if hold:
            self.arm(hold)
        p = self.spawn([self.bin], e, "cgi.stderr", stdin=subprocess.PIPE,
                       stdout=subprocess.PIPE)
        self.role_start["cgi"] = time.time()
        rec = None
        out = [b""]

        def reader():
            out[0] = p.stdout.read()
        rt = threading.Thread(target=reader)
        rt.start()
        try:
            p.stdin.write(job["body"])
            p.stdin.close()
        except OSError:
            pass
        held = None
        if hold:
            held = self.wait_held(hold, 15, alive=lambda: p.poll() is None)
            if held is None:
                rt.join()
                p.wait()
                fail("the CGI webhook did not reach %s" % hold)
            rec = self.sigkill(p, "cgi", "held " + hold)
        elif kill_after is not None:
            time.sleep(kill_after)
            if p.poll() is None:
                rec = self.sigkill(p, "cgi", "random, a CGI webhook")
        rt.join()
        rc = p.wait()
        if rc == 0:
            self.pids_clean.add(p.pid)
        try:
            r = itest.parse_cgi_output(out[0], "cgi")
            doc = r.json()
        except itest.Failure:
            r = None
        if r is None:
            self.note_send(job, "cgi", "lost")
            kept = self.classify_lost(job, len(self.kills))
            if held and hold == "before-link" and kept:
                fail("killed before the link, but the job is in the spool")
            if held and hold == "after-link" and not kept:
                fail("killed after the link, but the job is not in the "
                     "spool")
            return "lost", kept, rec
        if r.status != 202:
            self.note_send(job, "cgi", r.status)
            fail("webhook %s: %d %s" % (job["uid"], r.status,
                                        itest.short(r.body)))
        self.note_send(job, "cgi", 202, doc)
        return 202, None, rec

    def resend(self):
        for _ in range(5):
            todo = [j for j in self.unanswered() if j["i"] in self.sent]
            if not todo:
                return
            for j in todo:
                self.cgi(j)
        fail("webhooks still unanswered after 5 rounds")

    def drain(self, role="drain-a"):
        p = self.spawn([self.bin, "--drain"],
                       self.env(self.role_hosts[role], **self.extra_env()),
                       role + ".stderr", stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL)
        self.role_start[role] = time.time()
        return p

    def killed_drain(self, arm, wait, what, tries=3):
        """A --drain killed at a moment: arm() prepares it, wait(p, since)
        returns a description once it came (None: the drain ended first,
        try another)."""
        for _ in range(tries):
            since = time.time()
            arm()
            p = self.drain()
            got = wait(p, since)
            if got is None:
                rc = p.wait()
                if rc == 0:
                    self.pids_clean.add(p.pid)
                continue
            rec = self.sigkill(p, "drain-a", what)
            return "%s; in flight: %s" % (got, ", ".join(rec["during"]) or
                                          "nothing")
        fail("%d --drain runs ended before the moment (%s)" % (tries, what))

    def wait_hold(self, moment, check):
        def wait(p, since):
            held = self.wait_held(moment, 20, alive=lambda: p.poll() is None)
            if held is None:
                return None
            pid, name, src = held
            job = self.by_name.get(name)
            return "%s (%s): %s" % (job["uid"][-9:], job["meeting"],
                                    check(job, name, src))
        return lambda: self.arm(moment), wait

    def run(self):
        res = self.res
        P = self.label
        self.start_standins()
        self.nctl("database", {"id": NOTION_DB, "status_type": "status"})
        self.make_jobs(self.N, CGI_MEETINGS, "c")
        J = self.jobs

        def hook_held(job, moment):
            r, kept, rec = self.cgi(job, hold=moment)
            if r != "lost":
                fail("answered %s although killed before answering" % r)
            self.resend()
            return "job %s in the spool; resent: %s" % (
                "already" if kept else "not",
                self.hooks[job["uid"]]["answer"].get("job"))

        def random_hooks():
            lost = kept = 0
            for j in J[2:10]:
                r, k, _ = self.cgi(j, kill_after=self.rng.uniform(0.0, 0.01))
                if r == "lost":
                    lost += 1
                    kept += 1 if k else 0
            with concurrent.futures.ThreadPoolExecutor(4) as ex:
                list(ex.map(self.cgi, J[10:]))
            self.resend()
            return ("8 CGI webhooks killed at random: %d without their "
                    "answer (%d already in the spool), resent" % (lost, kept))

        def rand_wait(lo, hi):
            def wait(p, since):
                time.sleep(self.rng.uniform(lo, hi))
                return "killed" if p.poll() is None else None
            return wait

        def zoom_arm():
            self.zctl("fault", {"target": "participants", "kind": "sleep",
                                "seconds": SLEEP, "times": 1})

        def zoom_wait(p, since):
            while p.poll() is None:
                if self.wait_zoom_in_flight(since, 0.1):
                    return "a Zoom participants call in flight"
            return None

        def notion_arm(target):
            return lambda: self.nctl("fault", {
                "target": target, "kind": "sleep", "seconds": SLEEP,
                "times": 1})

        def notion_wait(target):
            def wait(p, since):
                while p.poll() is None:
                    if self.wait_notion_in_flight(target, since, 0.1):
                        return "a Notion %s in flight" % target
                return None
            return wait

        def two_at_once():
            a = self.drain("drain-a")
            b = self.drain("drain-b")
            time.sleep(self.rng.uniform(0.5, 1.5))
            victim, other = (a, "drain-a"), (b, "drain-b")
            if self.rng.random() < 0.5:
                victim, other = other, victim
            rec = None
            if victim[0].poll() is None:
                rec = self.sigkill(victim[0], victim[1],
                                   "random, one of two drains at once")
            rc = other[0].wait(60)
            if rc != 0:
                fail("%s exited %d" % (other[1], rc))
            self.pids_clean.add(other[0].pid)
            return "%s killed (in flight: %s), %s ran to its end" % (
                victim[1], ", ".join(rec["during"]) or "nothing" if rec
                else "it had ended", other[1])

        check_w, check_d = FastcgiRun.check_after_writing, \
            FastcgiRun.check_after_done
        steps = [
            ("CGI webhook killed before the spool link",
             lambda: hook_held(J[0], "before-link")),
            ("CGI webhook killed after the spool link",
             lambda: hook_held(J[1], "after-link")),
            ("CGI webhooks killed at random", random_hooks),
            ("--drain killed during a Zoom call",
             lambda: self.killed_drain(zoom_arm, zoom_wait,
                                       "a drain, during a Zoom call")),
            ("--drain killed during a Notion query",
             lambda: self.killed_drain(notion_arm("query"),
                                       notion_wait("query"),
                                       "a drain, during a Notion query")),
            ("--drain killed during a Notion PATCH",
             lambda: self.killed_drain(notion_arm("patch"),
                                       notion_wait("patch"),
                                       "a drain, during a Notion PATCH")),
            ("slow calls", self.slow_calls),
            ("--drain killed at random",
             lambda: self.killed_drain(lambda: None, rand_wait(0.3, 1.5),
                                       "random, a drain")),
            ("--drain killed after announcing a status",
             lambda: self.killed_drain(
                 *self.wait_hold("after-rename-pending-writing",
                                 lambda *a: check_w(self, *a)),
                 "a drain, held after-rename-pending-writing")),
            ("--drain killed after the move to done/",
             lambda: self.killed_drain(
                 *self.wait_hold("after-rename-done",
                                 lambda *a: check_d(self, *a)),
                 "a drain, held after-rename-done")),
            ("--drain killed at random again",
             lambda: self.killed_drain(lambda: None, rand_wait(0.5, 2.0),
                                       "random, a drain")),
            ("two --drain runs at once, one killed", two_at_once),
        ]
        for name, fn in steps:
            res.check("%s: %s" % (P, name), fn)
        self.sent.update(j["i"] for j in self.jobs)     # after a failed step
        self.resend()
        last_kill = max(k["t"] for k in self.kills)
        deadline = time.monotonic() + SETTLE - (time.time() - last_kill)
        # What killed processes left in tmp/, aged past the pruning age,
        # and one more planted: a clean --drain removes them.
        self.left_by_kills = self.tmp_files()
        tmpdir = os.path.join(self.spool, "tmp")
        planted = os.path.join(tmpdir, "999999.0.tmp")
        with open(planted, "w") as f:
            f.write("{}\n")
        old = time.time() - 2 * 3600
        for f in self.tmp_files():
            os.utime(os.path.join(tmpdir, f), (old, old))
        fresh = os.path.join(tmpdir, "999998.0.tmp")
        with open(fresh, "w") as f:
            f.write("{}\n")
        self.pids_killed.update((999999, 999998))

        def clean():
            runs = 0
            while True:
                p = self.drain()
                try:
                    rc = p.wait(60)
                except subprocess.TimeoutExpired:
                    fail("a clean --drain did not end within 60 s")
                runs += 1
                self.pids_clean.add(p.pid)
                if rc != 0:
                    fail("a clean --drain exited %d" % rc)
                counts, per = self.jobs_listing()
                if counts.get("pending", 0) == 0:
                    break
                if time.monotonic() > deadline:
                    fail("still pending %.0f s after the last kill: %s"
                         % (SETTLE, counts))
                nexts = []
                for st, ln in per.values():
                    for f in ln.split("\t"):
                        if st == "pending" and f.startswith("next=20"):
                            nexts.append(calendar.timegm(time.strptime(
                                f[5:], "%Y-%m-%dT%H:%M:%SZ")))
                wait = min(nexts) - time.time() + 0.5 if nexts else 1.0
                time.sleep(max(0.5, min(wait, 10.0)))
            return ("%d clean --drain runs (cron-like) until nothing was "
                    "pending, %.0f s after the last kill"
                    % (runs, time.time() - last_kill))
        res.check("%s: clean --drain runs finish every job" % P, clean)

        def pruned():
            left = self.tmp_files()
            if set(left) != {"999998.0.tmp"}:
                fail("after a clean --drain tmp/ holds %s; expected only the "
                     "fresh 999998.0.tmp (files an hour old are pruned)"
                     % left)
            os.unlink(fresh)
            return ("%d left by killed processes + 1 planted, aged 2 h: "
                    "pruned; a fresh one kept" % len(self.left_by_kills))
        res.check("%s: a clean --drain prunes stale tmp/ files" % P, pruned)
        self.final_checks("status", checked_at=True)
        return self.kill_summary()

    def tmp_note(self, left):
        return ("killed processes had left %d file(s) in tmp/: %s" % (
            len(self.left_by_kills), ", ".join(self.left_by_kills[:6])
            or "none"))


# ---------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--only", choices=("fastcgi", "cgi"))
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary directories")
    ap.add_argument("--verbose", action="store_true",
                    help="print every kill")
    a = ap.parse_args()
    binary = os.path.abspath(a.bin)
    if not os.access(binary, os.X_OK):
        print("no executable %s" % binary)
        return 2
    seed = a.seed if a.seed is not None else int.from_bytes(os.urandom(4),
                                                            "big")
    print("seed %d (--seed %d repeats the random kills)" % (seed, seed),
          flush=True)
    asan = b"libasan" in subprocess.run(
        ["ldd", binary], capture_output=True).stdout
    res = Results()
    t0 = time.monotonic()
    libdir = tempfile.mkdtemp(prefix="za-crash-lib-")
    try:
        hold_lib = build_hold_library(libdir)
    except Exception as e:
        res.fail("build the hold library", str(e))
        print("%d passed, %d failed" % (res.passed, res.failed))
        return 1
    runs = []
    if a.only in (None, "fastcgi"):
        runs.append(FastcgiRun(binary, hold_lib, res,
                               random.Random(seed), a.keep, asan))
    if a.only in (None, "cgi"):
        runs.append(CgiRun(binary, hold_lib, res,
                           random.Random(seed + 1), a.keep, asan))
    summaries = {}

    def go(r):
        try:
            summaries[r.label] = r.run()
        except Exception as e:
            res.fail("%s: the run" % r.label, "%s: %s" % (type(e).__name__,
                                                          e))
            traceback.print_exc()
        finally:
            r.close()
    threads = [threading.Thread(target=go, args=(r,)) for r in runs]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        shutil.rmtree(libdir, ignore_errors=True)
    if a.verbose:
        for label, lines in summaries.items():
            for ln in lines or []:
                print("  %s kill: %s" % (label, ln))
    print("ran %.0f s" % (time.monotonic() - t0))
    print("%d passed, %d failed" % (res.passed, res.failed))
    return 1 if res.failed else 0


if __name__ == "__main__":
    sys.exit(main())
