#!/usr/bin/env python3
"""The meeting-ended workflow under valgrind memcheck.

    python3 tests/workflow/valgrind.py --bin build/zoom-attendees

The workflow suite's harness (tests/workflow/run.py: Zoom and Notion
stand-ins, nginx), with the FastCGI responder itself run under valgrind
(--leak-check=full, definite and indirect leaks are errors): webhooks for
every kind of job (each verdict, a retry after Zoom's "not found", a
Notion 429 and 500, a page a person decided, a refused write that goes to
failed/, a bad signature, a duplicate), the job thread working them all,
then SIGTERM: the process must exit by itself, status 0, with no memory
error and nothing lost. Then the same for a CGI webhook and `--drain`,
each under valgrind. The normal build only (not the ASan one).

Prints "name... ok" / "name... FAIL: reason" lines, then "N passed, N
failed"; exits 1 if any failed.
"""

import importlib.util
import os
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
VALGRIND = ["valgrind", "--tool=memcheck", "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect", "--error-exitcode=99",
            "--track-fds=no", "--child-silent-after-fork=yes"]


def load_suite():
    spec = importlib.util.spec_from_file_location(
        "workflow_suite", os.path.join(HERE, "run.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


wf = load_suite()
itest = wf.itest
fail = wf.fail


class Harness(wf.Harness):
    """The suite's harness; the responder and the commands under valgrind."""

    def __init__(self, binary):
        super().__init__(binary)
        self.vlogs = []

    def vcmd(self, tag):
        log = os.path.join(self.tmp, "valgrind-%s.log" % tag)
        self.vlogs.append(log)
        return VALGRIND + ["--log-file=" + log]

    def start_responder(self, env=None):
        self.rport = getattr(self, "rport", None) or itest.free_port()
        self.responder = self.spawn(
            self.vcmd("fastcgi") + [self.bin, "--listen",
                                    "127.0.0.1:%d" % self.rport],
            env=env or self.base_env(), stdout=subprocess.DEVNULL,
            stderr=open(self.responder_log, "ab"))
        deadline = time.monotonic() + 60
        while not itest.port_ready(self.rport, self.responder, 1.0):
            if time.monotonic() > deadline or self.responder.poll() is not None:
                raise RuntimeError("the responder under valgrind did not "
                                   "listen; log:\n%s" % wf.short(
                                       open(self.responder_log).read(), 2000))


def valgrind_verdict(log, rc):
    text = open(log).read()
    if "ERROR SUMMARY: 0 errors" not in text:
        fail("%s: %s" % (os.path.basename(log), wf.short(text[-3000:], 3000)))
    if rc == 99:
        fail("valgrind's exit status 99 (errors or leaks): %s"
             % wf.short(text[-3000:], 3000))


def run_fastcgi(h, results):
    env = h.base_env()
    h.ctl("reset", {"tokens": True})
    h.nctl("reset")
    h.start_responder(env)
    if h.wait_healthy(60.0) is not True:
        raise RuntimeError("no healthz through nginx")
    plan = [("rejoin", wf.W_COMPLETED), ("coach_absent", wf.W_COACH_NO_SHOW),
            ("alone", wf.W_NO_SHOW), ("rejoin", wf.W_COMPLETED),
            ("never", wf.W_NEVER)]
    pages = []
    # Zoom finds the first meeting only at the second try; Notion limits
    # and fails once.
    h.ctl("fault", {"target": "participants", "kind": "zoom_error",
                    "code": 3001, "status": 404, "times": 1,
                    "meeting": wf.ATT["rejoin"]})
    h.nfault("patch", 429, code="rate_limited", retry_after=1, times=1)
    h.nfault("query", 500, times=1, skip=2)
    for name, want in plan:
        uid = h.uid("vg")
        pages.append((h.page(uid, wf.ATT[name]), want))
        r = h.meeting_ended(uid, start=wf.START, end=None)
        if r.status != 202:
            fail("webhook: %d %s" % (r.status, wf.short(r.body)))
    # A page a person decided; a write Notion refuses (no such option).
    uid = h.uid("vg-manual")
    manual = h.page(uid, wf.ATT["rejoin"], status="Rescheduled")
    h.meeting_ended(uid, start=wf.START, end=None)
    refused = h.uid("vg-refused")
    h.nfault("patch", 400, code="validation_error", times=1,
             page=h.page(refused, wf.ATT["rejoin"]))
    h.meeting_ended(refused, start=wf.START, end=None)
    # A bad signature and a replay: answered, nothing more.
    r = h.meeting_ended(h.uid("vg-bad"), signature="wrong")
    if r.status != 401:
        fail("bad signature: %d" % r.status)
    r = h.meeting_ended(uid, start=wf.START, end=None)
    if r.status != 202:
        fail("replay: %d" % r.status)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if all(h.status_of(pid) == want for pid, want in pages):
            break
        time.sleep(0.5)
    got = [(h.status_of(pid), want) for pid, want in pages]
    jobs, _ = h.jobs()
    h.responder.send_signal(signal.SIGTERM)
    try:
        rc = h.responder.wait(120)
    except subprocess.TimeoutExpired:
        h.responder.kill()
        rc = None

    def verdicts():
        bad = [g for g in got if g[0] != g[1]]
        if bad:
            fail("statuses (got, want): %s" % bad)
        if h.status_of(manual) != "Rescheduled":
            fail("the decided page was changed")
        if jobs.get(refused, {}).get("state") != "failed":
            fail("the refused write is not in failed/: %s" % jobs.get(refused))
        return "%d jobs" % len(pages)

    def exit_clean():
        if rc != 0:
            fail("exit status %s after SIGTERM" % rc)

    results.append(("fastcgi under valgrind: every job's status", verdicts))
    results.append(("fastcgi under valgrind: clean exit on SIGTERM",
                    exit_clean))
    results.append(("fastcgi under valgrind: no memory error, no leak",
                    lambda: valgrind_verdict(h.vlogs[0], rc)))


def run_cgi(h, results):
    spool = os.path.join(h.tmp, "cgi-spool")
    env = h.workflow_env(spool=spool)
    uid = h.uid("vg-cgi")
    pid = h.page(uid, wf.ATT["coach_absent"])
    real_bin = h.bin

    # The CGI request: the binary under valgrind, as the web server runs it.
    wrapper = os.path.join(h.tmp, "vg-cgi.sh")
    log = os.path.join(h.tmp, "valgrind-cgi.log")
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\nexec %s --log-file=%s %s \"$@\"\n" % (
            " ".join(VALGRIND), log, real_bin))
    os.chmod(wrapper, 0o755)
    h.bin = wrapper
    try:
        r = h.cgi_hook(wf.cal.body(wf.cal.booking(
            uid, wf.START, None, wf.COACH, wf.CLIENT)), env=env, timeout=120)
    finally:
        h.bin = real_bin
    cgi_status = (r.status, r.rc)
    dlog = os.path.join(h.tmp, "valgrind-drain.log")
    p = subprocess.run(VALGRIND + ["--log-file=" + dlog, real_bin,
                                   "--drain"], env=h.base_env(**env),
                       capture_output=True, timeout=300)

    def cgi():
        if cgi_status != (202, 0):
            fail("CGI webhook under valgrind: status %s, exit %s"
                 % cgi_status)
        valgrind_verdict(log, cgi_status[1])

    def drain():
        if p.returncode != 0:
            fail("--drain under valgrind: exit %d %s" % (
                p.returncode, wf.short(p.stderr, 600)))
        if h.status_of(pid) != wf.W_COACH_NO_SHOW:
            fail("after --drain: %r; its log: %s" % (
                h.status_of(pid), wf.short(p.stderr, 800)))
        valgrind_verdict(dlog, p.returncode)

    results.append(("CGI webhook under valgrind: no error, no leak", cgi))
    results.append(("--drain under valgrind: the job written, no error, "
                    "no leak", drain))


def main():
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True)
    a = ap.parse_args()
    h = Harness(os.path.abspath(a.bin))
    results, passed, failed = [], 0, 0
    try:
        h.start_standin()
        h.start_notion()
        h.rport = itest.free_port()     # nginx's upstream, before it starts
        h.start_nginx()
        run_fastcgi(h, results)
        run_cgi(h, results)
    except Exception as e:  # noqa: BLE001 - counted as a failure
        print("setup failed: %s" % e)
        failed += 1
    finally:
        for name, check in results:
            sys.stdout.write("%s... " % name)
            try:
                note = check()
                print("ok" + (" (%s)" % note if note else ""))
                passed += 1
            except wf.Failure as e:
                print("FAIL: %s" % e)
                failed += 1
        h.close()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
