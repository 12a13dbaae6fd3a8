#!/usr/bin/env python3
"""The shipped systemd units under a real systemd.

    python3 tests/systemd/run.py [--bin build/zoom-attendees] [--keep]

tests/deploy/run.py emulates socket activation (no systemd): none of the
service's sandbox settings is applied there. Here systemd itself (the
machine's /lib/systemd/systemd) runs as PID 1 of a private PID, mount, UTS
and IPC namespace, in a sub-cgroup of its own, on a copy-on-write view of
this machine's root file system (overlayfs over /, the changes in a tmpfs
that disappears with the run). Nothing of the machine's own units is
loaded: the unit directories are replaced by the few targets a boot needs,
Debian's nginx.service, and the units `make install` renders
(PREFIX=/usr/local, CONFDIR=/etc/zoom-attendees, the socket in /run).
The network namespace is the machine's, so nginx listens on 127.0.0.1 and
the service reaches the Zoom stand-in there.

Inside, as an administrator would (systemd/README.md): the credentials in
/etc/zoom-attendees (0600), a drop-in with the site's settings (only where
Zoom is), `systemctl enable --now zoom-attendees.socket`, and nginx with
the shipped TLS site for the unix socket. Checked:

  systemd boots; the socket listens while the service is not running; the
  first request through nginx starts the service (200 healthz, 401 without
  the key, 200 attendees); the sandbox is really applied to the running
  responder (seccomp filter mode, no_new_privs, no capabilities, a user
  namespace, a dynamic user, / read-only, /home inaccessible) and a probe
  run with the [Service] section of the shipped unit gets EPERM/EROFS/
  EAFNOSUPPORT for what the filter forbids; `systemctl restart` while
  requests run loses none; `systemctl stop` ends it with status 0 (no
  core, no SIGKILL); the next request starts it again; systemd shuts down.

Needs root (namespaces, mounts, cgroups). If systemd cannot run on this
machine kind, the "systemd boot" check fails and says why; nothing here is
ever reported as started by systemd when it was not.
Prints "name... ok" / "name... FAIL: reason", then "N passed, N failed";
exits 1 on any failure.
"""

import argparse
import concurrent.futures
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# The deployment test's clients, checks and counters (one implementation).
_spec = importlib.util.spec_from_file_location(
    "deploy_run", os.path.join(ROOT, "tests", "deploy", "run.py"))
dep = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dep)
Failure, fail, check, report = dep.Failure, dep.fail, dep.check, dep.report

SYSTEMD = "/lib/systemd/systemd"
CGROOT = "/sys/fs/cgroup"
UNIT_DIR = "/usr/lib/systemd/system"
PREFIX = "/usr/local"
CONFDIR = "/etc/zoom-attendees"
SOCK = "/run/zoom-attendees.sock"
SERVICE = "zoom-attendees.service"
SOCKET = "zoom-attendees.socket"
CG_NAME = "zoom-attendees-systemd-test-" + dep.RUN_ID

# Copied from the machine's systemd: what booting, stopping and nginx need.
HOST_UNITS = ["sysinit.target", "basic.target", "sockets.target",
              "timers.target", "paths.target", "slices.target",
              "local-fs.target", "network.target", "network-online.target",
              "nss-lookup.target", "remote-fs.target", "multi-user.target",
              "shutdown.target", "umount.target", "final.target",
              "poweroff.target", "systemd-poweroff.service",
              "exit.target", "systemd-exit.service",
              "systemd-journald.service", "systemd-journald.socket",
              "systemd-journald-dev-log.socket", "nginx.service"]


def sh(argv, timeout=30, check_rc=True):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout)
    out = p.stdout.decode("utf-8", "replace")
    if check_rc and p.returncode != 0:
        fail("%s: exit %d\n%s" % (" ".join(argv), p.returncode, out[-2000:]))
    return p.returncode, out


class Machine:
    """systemd as PID 1 of private namespaces over an overlay of /."""

    def __init__(self, binary, keep):
        self.binary = binary
        self.keep = keep
        self.tmp = tempfile.mkdtemp(prefix="zoom-attendees-systemd-")
        os.chmod(self.tmp, 0o755)
        self.stage = os.path.join(self.tmp, "stage")   # becomes the upper
        self.units = os.path.join(self.tmp, "units")   # /usr/lib/systemd/system
        self.logs = os.path.join(self.tmp, "logs")
        for d in (self.stage, self.units, self.logs):
            os.makedirs(d)
        self.proc = None     # unshare
        self.pid = None      # systemd, as this machine sees it
        self.console = None
        self.standin = None
        self.cgroups = []

    # -- files an administrator installs --------------------------------------

    def stage_path(self, path):
        return os.path.join(self.stage, path.lstrip("/"))

    def write(self, path, text, mode=0o644):
        p = self.stage_path(path)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)

    def install(self, sport, nginx_port):
        b = self.binary
        if b.startswith(ROOT + "/"):
            b = os.path.relpath(b, ROOT)
        sh(["make", "-s", "-C", ROOT, "-o", b, "install",
            "BUILD=" + os.path.dirname(b), "DESTDIR=" + self.stage,
            "PREFIX=" + PREFIX, "CONFDIR=" + CONFDIR, "RUNSTATEDIR=/run",
            "FCGI_SOCKET=" + SOCK], timeout=120)
        # Credentials, as systemd/README.md says: 0700 directory, 0600 files.
        os.makedirs(self.stage_path(CONFDIR), mode=0o700)
        os.chmod(self.stage_path(CONFDIR), 0o700)
        for name, value in (("internal_api_key", dep.API_KEY),
                            ("zoom_account_id", dep.ACCOUNT_ID),
                            ("zoom_client_id", dep.CLIENT_ID),
                            ("zoom_client_secret", dep.CLIENT_SECRET)):
            self.write(os.path.join(CONFDIR, name), value + "\n", 0o600)
        # The site's drop-in (`systemctl edit`): only where Zoom is.
        self.write("/etc/systemd/system/%s.d/site.conf" % SERVICE,
                   "[Service]\nEnvironment=ZOOM_TOKEN_URL=http://127.0.0.1:%d"
                   "/oauth/token ZOOM_API_BASE=http://127.0.0.1:%d/v2 "
                   "ZOOM_TIMEOUT_MS=3000\n" % (sport, sport))
        # nginx: the shipped TLS site for the unix socket, with the lines a
        # site owner writes (listen address, certificate).
        share = self.stage_path(os.path.join(PREFIX, "share",
                                             "zoom-attendees"))
        with open(os.path.join(share, "nginx",
                               "zoom-attendees.site-unix.conf.example")) as f:
            site = f.read()
        cert, key = "/etc/ssl/zoom-attendees-test.pem", \
            "/etc/ssl/zoom-attendees-test.key"
        os.makedirs(os.path.dirname(self.stage_path(key)), exist_ok=True)
        sh(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
            "-days", "2", "-subj", "/CN=localhost",
            "-keyout", self.stage_path(key), "-out", self.stage_path(cert)])
        self.cafile = self.stage_path(cert)
        for pat, new in ((r"listen\s+443 ssl;",
                          "listen 127.0.0.1:%d ssl;" % nginx_port),
                         (r"ssl_certificate\s+\S+;",
                          "ssl_certificate %s;" % cert),
                         (r"ssl_certificate_key\s+\S+;",
                          "ssl_certificate_key %s;" % key)):
            site, n = re.subn(pat, new, site)
            if n != 1:
                fail("the shipped site has %d lines matching %r" % (n, pat))
        self.write("/etc/nginx/sites-enabled/zoom-attendees", site)
        # The units: the machine's basic targets, nginx's, and the shipped
        # ones where `make install` put them (/usr/local/lib/systemd/system).
        for u in HOST_UNITS:
            src = os.path.join(UNIT_DIR, u)
            if not os.path.exists(src):
                fail("%s is missing on this machine" % src)
            shutil.copy(src, self.units)
        with open(os.path.join(self.units, "default.target"), "w") as f:
            f.write("[Unit]\nDescription=zoom-attendees systemd test\n"
                    "Requires=sysinit.target sockets.target basic.target\n"
                    "After=sysinit.target sockets.target basic.target\n"
                    "Wants=nginx.service\n")
        for t in ("sysinit.target", "sockets.target"):
            d = os.path.join(self.units, t + ".wants")
            os.makedirs(d, exist_ok=True)
        os.symlink("../systemd-journald.service", os.path.join(
            self.units, "sysinit.target.wants", "systemd-journald.service"))
        for s in ("systemd-journald.socket", "systemd-journald-dev-log.socket"):
            os.symlink("../" + s, os.path.join(self.units,
                                               "sockets.target.wants", s))

    # -- the machine -----------------------------------------------------------

    def cgroup_dirs(self):
        out = []
        for h in sorted(os.listdir(CGROOT)):
            p = os.path.join(CGROOT, h)
            if os.path.exists(os.path.join(p, "cgroup.procs")):
                out.append(os.path.join(p, CG_NAME))
        return out

    def boot(self):
        named = os.path.join(CGROOT, "systemd")
        unified = os.path.join(CGROOT, "unified")
        if os.path.exists(os.path.join(CGROOT, "cgroup.controllers")):
            self.cgroups = [os.path.join(CGROOT, CG_NAME)]
        elif os.path.isdir(named):
            self.cgroups = [os.path.join(named, CG_NAME)]
            if os.path.exists(os.path.join(unified, "cgroup.procs")):
                self.cgroups.append(os.path.join(unified, CG_NAME))
        else:
            fail("no cgroup hierarchy systemd can use at %s (neither cgroup2 "
                 "nor a name=systemd hierarchy)" % CGROOT)
        for c in self.cgroups:
            os.mkdir(c)
        master, slave = os.openpty()
        self.console_slave = slave
        tty = os.ttyname(slave)
        clog = open(os.path.join(self.logs, "console.log"), "wb")

        def pump():
            while True:
                try:
                    b = os.read(master, 65536)
                except OSError:
                    break
                if not b:
                    break
                clog.write(b)
                clog.flush()
        threading.Thread(target=pump, daemon=True).start()

        script = os.path.join(self.tmp, "boot.sh")
        m = os.path.join(self.tmp, "mnt")
        os.makedirs(m)
        with open(script, "w") as f:
            f.write(BOOT_SH)
        env = dict(os.environ, M=m, STAGE=self.stage, UNITS=self.units,
                   CONSOLE=tty, CGROUPS=" ".join(self.cgroups),
                   SYSTEMD=SYSTEMD)
        self.bootlog = os.path.join(self.logs, "boot.log")
        self.proc = subprocess.Popen(
            ["unshare", "--pid", "--mount", "--uts", "--ipc", "--fork",
             "--propagation", "private", "sh", script],
            stdin=subprocess.DEVNULL, stdout=open(self.bootlog, "wb"),
            stderr=subprocess.STDOUT, env=env, start_new_session=True)
        # systemd is the child of unshare, PID 1 inside.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                fail("the namespace exited (%s) before systemd ran:\n%s\n%s"
                     % (self.proc.returncode, dep.tail(self.bootlog),
                        dep.tail(os.path.join(self.logs, "console.log"))))
            kids = children(self.proc.pid)
            if kids and comm(kids[0]) == "systemd":
                self.pid = kids[0]
                break
            time.sleep(0.1)
        else:
            fail("systemd did not start in 30 s:\n%s" % dep.tail(self.bootlog))
        # Booted: default.target reached, manager running.
        state = ""
        while time.monotonic() < deadline:
            rc, state = self.ctl("is-system-running", check_rc=False)
            state = state.strip()
            if state in ("running", "degraded"):
                break
            if self.proc.poll() is not None:
                fail("systemd exited (%s):\n%s" % (
                    self.proc.returncode,
                    dep.tail(os.path.join(self.logs, "console.log"))))
            time.sleep(0.2)
        if state != "running":
            _, failed = self.ctl("--failed", "--no-legend", check_rc=False)
            fail("systemd is %r after boot; failed units: %s\n%s" % (
                state, failed.strip() or "none",
                dep.tail(os.path.join(self.logs, "console.log"))))

    def ctl(self, *args, check_rc=True, timeout=40, prog="systemctl"):
        return sh(["nsenter", "-t", str(self.pid), "-m", "-p", "-u", "-i",
                   "--", prog] + (["--no-pager"] if prog != "sh" else [])
                  + list(args), timeout=timeout, check_rc=check_rc)

    def show(self, unit, *props):
        _, out = self.ctl("show", unit, "-p", ",".join(props))
        d = {}
        for line in out.splitlines():
            k, _, v = line.partition("=")
            d[k] = v
        return d

    def host_pids(self, unit):
        """PIDs of a unit's processes as this machine sees them."""
        for c in self.cgroups:
            p = os.path.join(c, "system.slice", unit, "cgroup.procs")
            if os.path.exists(p):
                with open(p) as f:
                    return [int(x) for x in f.read().split()]
        return []

    def journal(self, unit, n=40):
        _, out = self.ctl("-u", unit, "-n", str(n), "-o", "short-monotonic",
                          check_rc=False, prog="journalctl")
        return out

    def nginx_errors(self):
        p = "/proc/%d/root/var/log/nginx/error.log" % self.pid
        if not os.path.exists(p):
            return "(none)"
        return "\n".join(l for l in dep.tail(p, 3000).splitlines()
                         if "[error]" in l or "[crit]" in l)[-2500:]

    def shutdown(self):
        if self.proc is None:
            return
        if self.proc.poll() is None and self.pid:
            try:
                os.kill(self.pid, signal.SIGRTMIN + 4)    # poweroff
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                pass
        clean = self.proc.poll() is not None
        if not clean:
            os.killpg(self.proc.pid, signal.SIGKILL)
            if self.pid:
                try:
                    os.kill(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.proc.wait(10)
        self.proc = None
        return clean

    def remove_cgroups(self):
        for top in self.cgroup_dirs() + self.cgroups:
            if not os.path.isdir(top):
                continue
            for d, _, _ in sorted(os.walk(top), key=lambda x: -len(x[0])):
                try:
                    os.rmdir(d)
                except OSError:
                    pass

    def close(self):
        try:
            self.shutdown()
        finally:
            self.remove_cgroups()
            if self.standin is not None and self.standin.poll() is None:
                self.standin.terminate()
                self.standin.wait(10)
            if self.keep:
                print("kept %s" % self.tmp)
            else:
                shutil.rmtree(self.tmp, ignore_errors=True)


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return ""


def status(pid):
    with open("/proc/%d/status" % pid) as f:
        return dict(line.split(":", 1) for line in f.read().splitlines())


# Runs in the new namespaces (PID 1 there), then becomes systemd.
BOOT_SH = r"""
set -eu
for c in $CGROUPS; do echo $$ > "$c/cgroup.procs"; done
mount -t tmpfs -o mode=755 tmpfs "$M"
mkdir "$M/upper" "$M/work" "$M/root"
cp -a "$STAGE/." "$M/upper/"
R="$M/root"
mount -t overlay overlay -o "lowerdir=/,upperdir=$M/upper,workdir=$M/work" "$R"
mount --rbind /dev "$R/dev"
mount --bind "$CONSOLE" "$R/dev/console"
mount -t sysfs sysfs "$R/sys"
mount --rbind /sys/fs/cgroup "$R/sys/fs/cgroup"
mount -t proc proc "$R/proc"
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs "$R/run"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R/tmp"
# Only the units of this test: none of the machine's own.
for d in etc/systemd/system/multi-user.target.wants etc/systemd/system/sockets.target.wants \
         etc/systemd/system/sysinit.target.wants etc/systemd/system/timers.target.wants \
         etc/systemd/system/getty.target.wants usr/lib/systemd/system \
         usr/lib/systemd/system-generators usr/lib/systemd/system-preset; do
    [ -d "$R/$d" ] && mount -t tmpfs -o mode=755 tmpfs "$R/$d"
done
cp -a "$UNITS/." "$R/usr/lib/systemd/system/"
rm -f "$R/etc/nginx/sites-enabled/default" "$R/etc/machine-id"
: > "$R/etc/machine-id"
mkdir -p "$R/.oldroot"
cd "$R"
pivot_root . .oldroot
umount -l /.oldroot
rmdir /.oldroot
# As a container manager does (systemd leaves it to the manager when not
# booted by the kernel): mounts shared, or LoadCredential= moves its ramfs
# where the service never sees it.
mount --make-rshared /
export container=zoom-attendees-test
exec "$SYSTEMD" --log-target=console --log-level=info --show-status=no
"""


# ---------------------------------------------------------------------------


def run_checks(m, client):
    # The socket unit, enabled and started as the README says.
    def enable_now():
        m.ctl("enable", "--now", SOCKET)
        s = m.show(SOCKET, "ActiveState", "UnitFileState")
        if s.get("ActiveState") != "active" or s.get("UnitFileState") != "enabled":
            fail("%s after enable --now: %r" % (SOCKET, s))
    if not check("systemd enable-now socket", enable_now):
        return

    def socket_before_service():
        s = m.show(SERVICE, "ActiveState")
        if s.get("ActiveState") != "inactive":
            fail("%s is %r before any connection" % (SERVICE, s))
        st = os.stat("/proc/%d/root%s" % (m.pid, SOCK))
        import grp
        import stat as st_
        if not st_.S_ISSOCK(st.st_mode) or st_.S_IMODE(st.st_mode) != 0o660 \
                or st.st_uid != 0 or st.st_gid != grp.getgrnam("www-data").gr_gid:
            fail("%s: mode %o uid %d gid %d (expected a socket, 0660, "
                 "root:www-data)" % (SOCK, st.st_mode, st.st_uid, st.st_gid))
    check("systemd socket-listens-service-idle", socket_before_service)

    def first_request():
        dep.smoke_healthz(client)
        s = m.show(SERVICE, "ActiveState", "MainPID")
        if s.get("ActiveState") != "active":
            fail("%s is %r after the first request" % (SERVICE, s))
    if not check("systemd first-request-starts-service healthz-200",
                 first_request):
        print("    journal:\n    " + m.journal(SERVICE).replace("\n", "\n    "))
        return
    check("systemd nginx no-key-401", dep.smoke_no_key, client)
    check("systemd nginx attendees-200", dep.smoke_attendees, client)

    def pid():
        pids = m.host_pids(SERVICE)
        if len(pids) != 1:
            fail("%s has processes %r (expected one)" % (SERVICE, pids))
        return pids[0]

    def sandbox_status():
        p = pid()
        s = {k: v.strip() for k, v in status(p).items()}
        want = {"Seccomp": "2", "NoNewPrivs": "1", "CapEff": "0" * 16,
                "CapPrm": "0" * 16, "CapBnd": "0" * 16}
        bad = ["%s: %s (want %s)" % (k, s.get(k), v)
               for k, v in want.items() if s.get(k) != v]
        if int(s.get("Seccomp_filters", "0")) < 1:
            bad.append("Seccomp_filters: %s" % s.get("Seccomp_filters"))
        uid = int(s["Uid"].split()[0])
        if not 61184 <= uid <= 65519:
            bad.append("Uid %d is not a dynamic user (61184-65519)" % uid)
        if os.readlink("/proc/%d/ns/user" % p) == os.readlink(
                "/proc/%d/ns/user" % m.pid):
            bad.append("no user namespace of its own (PrivateUsers=yes)")
        # PrivateUsers=yes: root and the service's user, nobody else.
        with open("/proc/%d/uid_map" % p) as f:
            um = [l.split() for l in f.read().splitlines()]
        if any(l[2] != "1" for l in um) or [uid, uid, 1] not in [
                [int(x) for x in l] for l in um]:
            bad.append("uid_map is %r (PrivateUsers=yes maps 0 and the "
                       "service's user only)" % um)
        if bad:
            fail("responder pid %d: %s" % (p, "; ".join(bad)))
    check("systemd sandbox seccomp-nnp-caps-users", sandbox_status)

    def sandbox_mounts():
        p = pid()
        mounts = {}
        with open("/proc/%d/mountinfo" % p) as f:
            for line in f:
                fields = line.split()
                mounts[fields[4]] = fields[5].split(",")
        bad = []
        for path in ("/", "/usr", "/etc", "/boot", "/efi"):
            if path in mounts and "ro" not in mounts[path]:
                bad.append("%s is %s" % (path, ",".join(mounts[path])))
        if "/" not in mounts:
            bad.append("no / in its mount table")
        for path in ("/home", "/root"):
            if path not in mounts and os.path.isdir(
                    "/proc/%d/root%s" % (m.pid, path)):
                bad.append("%s is not hidden (ProtectHome=yes)" % path)
        if "/tmp" not in mounts:
            bad.append("/tmp is not private (PrivateTmp=yes)")
        if "/dev" not in mounts:
            bad.append("/dev is not private (PrivateDevices=yes)")
        # DynamicUser=yes: RuntimeDirectory= and StateDirectory= live in
        # /run/private and /var/lib/private, the only writable places.
        for path in ("/run/private/zoom-attendees",
                     "/var/lib/private/zoom-attendees"):
            if "rw" not in mounts.get(path, []):
                bad.append("%s is not a writable mount: %r" % (
                    path, mounts.get(path)))
        if not os.path.exists("/proc/%d/root/run/zoom-attendees/token" % p):
            bad.append("no token cache in /run/zoom-attendees after a "
                       "request (ZOOM_TOKEN_CACHE)")
        if bad:
            fail("responder pid %d: %s" % (p, "; ".join(bad)))
    check("systemd sandbox protect-system-strict", sandbox_mounts)

    def probe():
        # The shipped [Service] section (sandbox and all) with a probe for
        # ExecStart: what the filter forbids must fail, the rest work.
        unit = os.path.join("/proc/%d/root" % m.pid,
                            PREFIX.lstrip("/"), "lib/systemd/system", SERVICE)
        with open(unit) as f:
            text = f.read()
        svc = text.split("[Service]", 1)[1].split("\n[Install]", 1)[0]
        svc = re.sub(r"(?m)^(ExecStart|Type|Restart|RestartSec)=.*\n", "", svc)
        with open(os.path.join("/proc/%d/root" % m.pid,
                               "etc/zoom-attendees-probe.py"), "w") as f:
            f.write(PROBE)
        unit_text = ("[Unit]\nDescription=sandbox probe\n[Service]\n"
                     "Type=oneshot\n"
                     "StandardOutput=file:/run/zoom-attendees-probe.out\n"
                     "StandardError=inherit\n"
                     "ExecStart=/usr/bin/python3 /etc/zoom-attendees-probe.py\n"
                     + svc)
        path = os.path.join("/proc/%d/root" % m.pid,
                            "etc/systemd/system/zoom-attendees-probe.service")
        with open(path, "w") as f:
            f.write(unit_text)
        m.ctl("daemon-reload")
        rc, out = m.ctl("start", "zoom-attendees-probe.service",
                        check_rc=False)
        with open(os.path.join("/proc/%d/root" % m.pid,
                               "run/zoom-attendees-probe.out")) as f:
            got = f.read()
        if rc != 0 or "ALL OK" not in got:
            fail("probe under the shipped sandbox: exit %d %s\n%s\n%s" % (
                rc, out.strip(), got.strip(),
                m.journal("zoom-attendees-probe.service", 20)))
    check("systemd sandbox probe-forbidden-calls", probe)

    def restart_under_load():
        before = m.show(SERVICE, "MainPID")["MainPID"]
        stop = threading.Event()
        results = []
        lock = threading.Lock()

        def loop(i):
            while not stop.is_set():
                try:
                    r = (client.request("GET", dep.HEALTH, timeout=30)
                         if i % 2 else dep.attendees(client))
                    res = (r.status, r.via, r.body[:120])
                except Exception as e:
                    res = ("error", "GET" if i % 2 else "POST", repr(e))
                with lock:
                    results.append(res)
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            futs = [ex.submit(loop, i) for i in range(8)]
            time.sleep(1.0)
            for _ in range(3):
                m.ctl("restart", SERVICE)
                time.sleep(0.7)
            time.sleep(1.0)
            stop.set()
            for f in futs:
                f.result()
        after = m.show(SERVICE, "MainPID", "NRestarts", "ActiveState")
        bad = [r for r in results if r[0] != 200]
        if bad:
            fail("%d of %d requests during 3 restarts were not 200, e.g. %r"
                 "\nnginx error.log:\n%s\njournal:\n%s" % (
                     len(bad), len(results), bad[:3], m.nginx_errors(),
                     m.journal(SERVICE, 30)))
        if after["MainPID"] == before or after["ActiveState"] != "active":
            fail("the service was not restarted: %r -> %r" % (before, after))
        if len(results) < 50:
            fail("only %d requests ran during the restarts" % len(results))
        print("    (%d requests, 3 restarts, none refused)" % len(results))
    check("systemd restart-under-load none-refused", restart_under_load)

    def stop_clean():
        m.ctl("stop", SERVICE)
        s = m.show(SERVICE, "ActiveState", "Result", "ExecMainCode",
                   "ExecMainStatus")
        # ExecMainCode 1 = CLD_EXITED (2 killed, 3 dumped core).
        if s != {"ActiveState": "inactive", "Result": "success",
                 "ExecMainCode": "1", "ExecMainStatus": "0"}:
            fail("after systemctl stop: %r\n%s" % (s, m.journal(SERVICE)))
        s = m.show(SOCKET, "ActiveState")
        if s["ActiveState"] != "active":
            fail("%s is %r after stopping the service" % (SOCKET, s))
    check("systemd stop exit-0", stop_clean)

    def reactivated():
        dep.smoke_attendees(client)
        s = m.show(SERVICE, "ActiveState")
        if s["ActiveState"] != "active":
            fail("%s is %r" % (SERVICE, s))
    check("systemd stopped-then-request-restarts", reactivated)


PROBE = r"""
import ctypes, errno, mmap, os, socket
bad = []
def expect(name, fn, want):
    try:
        fn()
        bad.append(name + ": allowed")
    except OSError as e:
        if e.errno not in want:
            bad.append("%s: %s" % (name, e))
expect("socket(AF_NETLINK)", lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0), (errno.EAFNOSUPPORT,))
expect("mmap(W|X)", lambda: mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC), (errno.EPERM, errno.EACCES))
expect("setpriority (@resources)", lambda: os.setpriority(os.PRIO_PROCESS, 0, 5), (errno.EPERM,))
libc = ctypes.CDLL(None, use_errno=True)
def unshare():
    if libc.unshare(0x10000000) != 0:
        e = ctypes.get_errno(); raise OSError(e, os.strerror(e))
expect("unshare(CLONE_NEWUSER)", unshare, (errno.EPERM,))
def write_usr():
    open("/usr/local/zoom-attendees-probe", "w")
expect("write /usr", write_usr, (errno.EROFS,))
expect("list /home", lambda: os.listdir("/home"), (errno.EACCES, errno.EPERM))
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM); s.close()
print("; ".join(bad) if bad else "ALL OK")
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build",
                                                  "zoom-attendees"))
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary directory (logs, configs)")
    ap.add_argument("--pause", type=float, default=0, metavar="SECONDS",
                    help="before shutting systemd down, wait (to look "
                    "inside with nsenter -t PID -m -p systemctl ...)")
    a = ap.parse_args()
    a.bin = os.path.abspath(a.bin)
    t0 = time.monotonic()

    def summary():
        print("(%.1f s)" % (time.monotonic() - t0))
        print("%d passed, %d failed" % (dep.PASSED, dep.FAILED))
        return 1 if dep.FAILED else 0

    if os.geteuid() != 0:
        report("systemd setup", False, "must run as root (namespaces, mounts, "
               "cgroups)")
        return summary()
    # nginx, systemd, openssl (util-linux's unshare/nsenter are essential).
    p = subprocess.run(["sh", os.path.join(ROOT, "tests", "install-deps.sh")])
    if p.returncode != 0:
        report("systemd setup", False, "tests/install-deps.sh failed")
        return summary()
    for tool in ("unshare", "nsenter", "nginx", "openssl"):
        if not shutil.which(tool):
            report("systemd setup", False, "%s is not installed" % tool)
            return summary()
    if not os.access(SYSTEMD, os.X_OK):
        report("systemd setup", False, "no %s (package systemd)" % SYSTEMD)
        return summary()
    if not os.access(a.bin, os.X_OK):
        report("systemd setup", False, "no binary at %s" % a.bin)
        return summary()

    m = Machine(a.bin, a.keep)

    def on_term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)
    try:
        pf = os.path.join(m.tmp, "standin.port")
        m.standin = subprocess.Popen(
            [sys.executable, dep.STANDIN, "--port", "0", "--port-file", pf,
             "--client-id", dep.CLIENT_ID, "--client-secret",
             dep.CLIENT_SECRET, "--account-id", dep.ACCOUNT_ID],
            stdout=open(os.path.join(m.logs, "standin.log"), "wb"),
            stderr=subprocess.STDOUT)
        dep.wait_for("the Zoom stand-in", lambda: os.path.exists(pf))
        sport = int(open(pf).read())
        nginx_port = dep.free_port()
        m.install(sport, nginx_port)

        if check("systemd boot (systemd as PID 1, private namespaces)",
                 m.boot):
            client = dep.HttpClient(nginx_port, cafile=m.cafile)

            def nginx_up():
                s = m.show("nginx.service", "ActiveState")
                if s["ActiveState"] != "active":
                    fail("nginx.service is %r\n%s" % (
                        s, m.journal("nginx.service")))
                dep.wait_for("nginx", lambda: dep.tcp_open(nginx_port))
            if check("systemd nginx.service", nginx_up):
                run_checks(m, client)

            if a.pause:
                print("systemd is pid %d; pausing %g s" % (m.pid, a.pause),
                      flush=True)
                time.sleep(a.pause)

            def poweroff():
                if not m.shutdown():
                    fail("systemd did not power off in 30 s (killed)")
            check("systemd poweroff", poweroff)
    except KeyboardInterrupt:
        report("systemd run", False, "interrupted")
    except Failure as e:
        report("systemd setup", False, str(e))
    finally:
        m.close()
    return summary()


if __name__ == "__main__":
    sys.exit(main())
