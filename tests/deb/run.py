#!/usr/bin/env python3
"""The Debian package, built, installed, used and purged on this machine.

    python3 tests/deb/run.py [--no-build] [--keep]

`make deb` builds build/deb/zoom-attendees_VERSION_ARCH.deb (debian/, see
debian/README.source); lintian must report no error. The package is then
installed with `dpkg -i`, and the test checks what it put where (the binary,
the man page, the units, the nginx and Apache files, /etc/zoom-attendees/
and its modes, the documentation), that installing enabled and started
nothing, and that the installed binary answers --version and --check-config
(with the shipped example settings file too). Then one deployment runs from
the installed files only, as README.Debian tells a site to set it up: the
secrets written in /etc/zoom-attendees/, the installed zoom-attendees.socket
and zoom-attendees.service activated (systemd cannot run here: the
activation is emulated from the units' own lines, as in tests/deploy/run.py,
with %t=/run and %S=/var/lib), and nginx with the installed site example in
front; the smoke requests and Cal.com's webhook go through it. Finally
`dpkg -r` (the conffile stays), `dpkg --purge`, and nothing the package or
its units made may be left.

Runs as root, on Debian 12, with no zoom-attendees package installed
before. Prints "name... ok" or "name... FAIL: reason" per check, then
"N passed, N failed"; exits 1 on any failure.
"""

import argparse
import glob
import grp
import importlib.util
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import sys
import time

sys.dont_write_bytecode = True

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# tests/deploy/run.py: its check/report counters, clients, nginx and the
# emulated socket activation are used as they are.
_spec = importlib.util.spec_from_file_location(
    "deploy_run", os.path.join(ROOT, "tests", "deploy", "run.py"))
dr = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dr)
check, report, fail, Failure = dr.check, dr.report, dr.fail, dr.Failure
short, tail = dr.short, dr.tail

PKG = "zoom-attendees"
BIN = "/usr/bin/zoom-attendees"
UNITDIR = "/lib/systemd/system"
SHARE = "/usr/share/zoom-attendees"
DOC = "/usr/share/doc/zoom-attendees"
ETC = "/etc/zoom-attendees"
SOCK = "/run/zoom-attendees.sock"
UNITS = ["zoom-attendees.service", "zoom-attendees.socket",
         "zoom-attendees@.service", "zoom-attendees@.socket"]
# What the units and README.Debian make outside the package's own files.
MADE = [ETC, "/var/lib/zoom-attendees", "/var/lib/private/zoom-attendees",
        "/run/zoom-attendees", SOCK]


def makefile_version():
    with open(os.path.join(ROOT, "Makefile")) as f:
        m = re.search(r"^VERSION\s*=\s*(\S+)", f.read(), re.M)
    if not m:
        fail("no VERSION in the Makefile")
    return m.group(1)


def run(argv, timeout=600, env=None, **kw):
    return subprocess.run(argv, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=timeout,
                          env=env, **kw)


def pkg_status():
    p = run(["dpkg-query", "-W", "-f=${db:Status-Status}", PKG])
    return p.stdout.decode().strip() if p.returncode == 0 else "not-installed"


def mode_owner(path):
    st = os.lstat(path)
    return (stat.S_IMODE(st.st_mode), pwd.getpwuid(st.st_uid).pw_name,
            grp.getgrgid(st.st_gid).gr_name)


def expect_mode(path, mode, user="root", group="root", kind="file"):
    if not os.path.lexists(path):
        fail("%s is missing" % path)
    st = os.lstat(path)
    is_kind = stat.S_ISDIR(st.st_mode) if kind == "dir" else stat.S_ISREG(st.st_mode)
    if not is_kind:
        fail("%s is not a %s" % (path, kind))
    got = mode_owner(path)
    if got != (mode, user, group):
        fail("%s: mode %04o %s:%s, expected %04o %s:%s" % (
            path, got[0], got[1], got[2], mode, user, group))


class Deb:
    def __init__(self, keep):
        self.keep = keep
        self.version = makefile_version()
        self.arch = run(["dpkg", "--print-architecture"]).stdout.decode().strip()
        self.deb = os.path.join(ROOT, "build", "deb", "%s_%s_%s.deb" % (
            PKG, self.version, self.arch))
        self.changes = self.deb[:-4] + ".changes"
        self.files = []         # dpkg -L after installing
        self.before = set()     # the package's paths there before installing
        self.r = None           # the deployment run (tests/deploy/run.py)

    # -- build --------------------------------------------------------------

    def build(self):
        p = run(["make", "-C", ROOT, "deb"], timeout=1200)
        if p.returncode != 0:
            fail("make deb: exit %d\n%s" % (p.returncode,
                                             short(p.stdout[-3000:], 3000)))
        if not os.path.isfile(self.deb):
            fail("make deb made no %s" % self.deb)
        stray = glob.glob(os.path.join(os.path.dirname(ROOT), "%s_*" % PKG))
        if stray:
            fail("dpkg-buildpackage left files beside the repository: %s"
                 % stray)

    def lintian(self):
        p = run(["lintian", "--fail-on", "error", "--info", "--display-info",
                 self.changes], timeout=600)
        out = p.stdout.decode("utf-8", "replace")
        tags = [ln for ln in out.splitlines() if re.match(r"^[EWIPX]: ", ln)]
        print("  (lintian: %s)" % ("\n    ".join(tags) if tags else "no tags"))
        if p.returncode != 0 or any(t.startswith("E: ") for t in tags):
            fail("lintian: exit %d\n%s" % (p.returncode, short(out, 3000)))
        warnings = [t for t in tags if t.startswith("W: ")]
        if warnings:
            fail("lintian warnings neither fixed nor overridden: %s" % warnings)

    # -- install ------------------------------------------------------------

    def preconditions(self):
        if pkg_status() != "not-installed":
            fail("%s is already on this machine (%s): this test installs and "
                 "purges it; purge it first" % (PKG, pkg_status()))
        left = [p for p in MADE if os.path.lexists(p)]
        if left:
            fail("already present before installing: %s" % left)
        # The package's directories that other packages share (/usr/bin,
        # /usr/share/lintian/overrides, ...): purge leaves them, rightly.
        p = run(["dpkg-deb", "--fsys-tarfile", self.deb])
        listing = run(["tar", "-t"], input=p.stdout).stdout.decode()
        for ln in listing.splitlines():
            path = os.path.normpath("/" + ln)
            if os.path.lexists(path):
                self.before.add(path)

    def install(self):
        p = run(["dpkg", "-i", self.deb], timeout=300,
                env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        if p.returncode != 0:
            fail("dpkg -i: exit %d\n%s" % (p.returncode, short(p.stdout, 2000)))
        if pkg_status() != "installed":
            fail("dpkg says %s" % pkg_status())
        out = run(["dpkg", "-L", PKG]).stdout.decode().split("\n")
        self.files = [f for f in out if f.startswith("/") and f != "/."]

    def files_and_modes(self):
        expect_mode(BIN, 0o755)
        expect_mode("/usr/share/man/man8/zoom-attendees.8.gz", 0o644)
        for u in UNITS:
            expect_mode(os.path.join(UNITDIR, u), 0o644)
        for f in ["nginx/zoom-attendees.location.conf",
                  "nginx/zoom-attendees.upstream-unix.conf",
                  "nginx/zoom-attendees.upstream-tcp.conf",
                  "nginx/zoom-attendees.site.conf.example",
                  "nginx/zoom-attendees.site-unix.conf.example",
                  "apache/zoom-attendees-proxy-fcgi.conf",
                  "apache/zoom-attendees-proxy-fcgi-unix.conf",
                  "apache/zoom-attendees-fcgid.conf",
                  "apache/zoom-attendees.htaccess",
                  "contrib/zoom-attendees.conf.example",
                  "contrib/zoom-attendees-lighttpd.conf",
                  "contrib/zoom-attendees-lighttpd-spawn.conf",
                  "contrib/zoom-attendees.caddy",
                  "systemd/README.md"]:
            expect_mode(os.path.join(SHARE, f), 0o644)
        expect_mode(os.path.join(SHARE, "contrib", "zoom-attendees-spawn-fcgi"),
                    0o755)
        expect_mode(os.path.join(SHARE, "apache", "zoom-attendees-wrapper.cgi"),
                    0o755)
        expect_mode(ETC, 0o755, kind="dir")
        expect_mode(os.path.join(ETC, "zoom-attendees.conf.example"), 0o600)
        for f in ["copyright", "changelog.gz", "README.Debian",
                  "README.md.gz", "deploying.md.gz"]:
            expect_mode(os.path.join(DOC, f), 0o644)
        conffiles = run(["dpkg-query", "-W", "-f=${Conffiles}", PKG]
                        ).stdout.decode()
        if os.path.join(ETC, "zoom-attendees.conf.example") not in conffiles:
            fail("the example settings file is not a conffile: %r" % conffiles)
        # The placeholders were filled in for /usr, /etc and /run.
        for path in self.files:
            if not os.path.isfile(path) or not (
                    path.startswith(SHARE) or path.startswith(UNITDIR)):
                continue
            with open(path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
            m = re.search(r"@[A-Z_]+@", text)
            if m:
                fail("%s still has the placeholder %s" % (path, m.group(0)))
        unit = open(os.path.join(UNITDIR, "zoom-attendees.service")).read()
        if "ExecStart=%s\n" % BIN not in unit:
            fail("zoom-attendees.service does not run %s" % BIN)
        sock = open(os.path.join(UNITDIR, "zoom-attendees.socket")).read()
        if "ListenStream=%s\n" % SOCK not in sock:
            fail("zoom-attendees.socket does not listen on %s" % SOCK)
        up = open(os.path.join(SHARE, "nginx",
                               "zoom-attendees.upstream-unix.conf")).read()
        if "server unix:%s;" % SOCK not in up:
            fail("the nginx upstream does not name %s" % SOCK)

    def man_page(self):
        p = run(["man", "--warnings", "-l",
                 "/usr/share/man/man8/zoom-attendees.8.gz"],
                env=dict(os.environ, MANWIDTH="80", MANPAGER="cat", PAGER="cat"))
        text = p.stdout.decode("utf-8", "replace")
        if p.returncode != 0 or "zoom-attendees" not in text:
            fail("man -l: exit %d\n%s" % (p.returncode, short(text, 800)))
        warn = [ln for ln in text.splitlines() if "warning:" in ln]
        if warn:
            fail("man page warnings: %s" % warn[:5])

    def units_verify(self):
        if shutil.which("systemd-analyze") is None:
            fail("systemd-analyze is not installed (Debian package systemd)")
        for u in ["zoom-attendees.service", "zoom-attendees.socket",
                  "zoom-attendees@1.service", "zoom-attendees@1.socket"]:
            p = run(["systemd-analyze", "verify", u], cwd=UNITDIR)
            if p.returncode != 0 or p.stdout.strip():
                fail("systemd-analyze verify %s: exit %d\n%s" % (
                    u, p.returncode, short(p.stdout, 1500)))

    def nothing_enabled(self):
        # deb-systemd-helper's state: NAME.dsh-also records what enabling
        # would do (written even with --no-enable); TARGET.wants/NAME in its
        # state directory, or a link in /etc/systemd/system, means enabled.
        links = []
        for d in ["/etc/systemd/system", "/run/systemd/system",
                  "/var/lib/systemd/deb-systemd-helper-enabled"]:
            for top, dirs, files in os.walk(d):
                for n in files + dirs:
                    if n.startswith("zoom-attendees") and \
                            not n.endswith(".dsh-also"):
                        links.append(os.path.join(top, n))
        if links:
            fail("installing enabled units: %s" % links)
        for u in ["zoom-attendees.socket", "zoom-attendees.service"]:
            p = run(["systemctl", "--root=/", "is-enabled", u])
            state = p.stdout.decode().strip()
            if state not in ("disabled", "static", "indirect"):
                fail("systemctl --root=/ is-enabled %s: %r" % (u, state))

    def nothing_started(self):
        running = []
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    if os.readlink("/proc/%s/exe" % d) == BIN:
                        running.append(int(d))
                except OSError:
                    pass
        if running:
            fail("%s is running after installing (pids %s)" % (BIN, running))
        left = [p for p in MADE[1:] if os.path.lexists(p)]
        if left:
            fail("installing made %s (a unit was started?)" % left)
        if os.path.isdir("/run/systemd/system"):
            for u in ["zoom-attendees.socket", "zoom-attendees.service"]:
                p = run(["systemctl", "is-active", u])
                if p.stdout.decode().strip() not in ("inactive", "unknown"):
                    fail("%s is %s" % (u, p.stdout.decode().strip()))

    def version_option(self):
        p = run([BIN, "--version"], env={"PATH": "/usr/bin:/bin"})
        out = p.stdout.decode("utf-8", "replace")
        if p.returncode != 0 or self.version not in out:
            fail("--version: exit %d, %r (expected %s)" % (
                p.returncode, out, self.version))

    def check_config(self):
        r = self.r
        env = r.env(**r.settings())
        p = run([BIN, "--check-config"], env=env)
        out = p.stdout.decode("utf-8", "replace")
        if p.returncode != 0:
            fail("--check-config with every setting: exit %d\n%s" % (
                p.returncode, short(out, 1500)))
        for s in dr.SECRETS:
            if s in out:
                fail("--check-config printed a secret's value")
        p = run([BIN, "--check-config"], env=r.env())
        if p.returncode == 0:
            fail("--check-config without settings: exit 0\n%s" % short(
                p.stdout, 800))
        # The shipped example, copied as README.Debian says (mode 0600).
        conf = os.path.join(r.tmp, "zoom-attendees.conf")
        shutil.copy(os.path.join(ETC, "zoom-attendees.conf.example"), conf)
        os.chmod(conf, 0o600)
        p = run([BIN, "--check-config"], env=r.env(ZOOM_ATTENDEES_CONFIG=conf))
        out = p.stdout.decode("utf-8", "replace")
        if p.returncode != 0 or conf not in out:
            fail("--check-config with the example settings file: exit %d\n%s"
                 % (p.returncode, short(out, 1500)))

    # -- serve ----------------------------------------------------------------

    def serve(self):
        """The installed units and nginx site, with the secrets written as
        README.Debian says and the drop-in a site writes (`systemctl edit`)."""
        r = self.r
        dr.write_credentials(r)        # into /etc/zoom-attendees (r.etc)
        p, path = r.activate("zoom-attendees.socket", "zoom-attendees.service",
                             dropin=dr.systemd_dropin(r))
        if path != SOCK:
            fail("the installed socket unit listens on %s" % path)
        dr.wait_for("the activated service", lambda: dr.unix_open(path), p)
        ng, port = r.start_nginx("deb", r.nginx_site_unix)
        client = dr.HttpClient(port, cafile=r.tls_cert()[0])
        dr.smoke("deb nginx-unix-systemd", client, ng)
        dr.webhook_suite("deb nginx-unix-systemd", r, client, dr.Webhook(
            dr.CAL_PATH, dr.systemd_spool(r), dr.SERVICE_USER,
            alive=dr.proc_alive(p), logs=[p.logname, ng.errlog]), ng)
        check("deb nginx-unix-systemd token-in-run",
              expect_mode, "/run/zoom-attendees/token", 0o600,
              dr.SERVICE_USER, grp.getgrgid(pwd.getpwnam(
                  dr.SERVICE_USER).pw_gid).gr_name)

        def stop():
            if r.stop(p) != 0:
                fail("the service did not exit 0 on SIGTERM\n%s"
                     % tail(p.logname))
        check("deb nginx-unix-systemd stop", stop)
        self.stop_socket(p)

    def stop_socket(self, p=None):
        """What `systemctl stop zoom-attendees.socket` does (dpkg -r runs it
        where systemd runs): close the listener, remove the socket file."""
        if p is not None and getattr(p, "listener", None) is not None:
            p.listener.close()
        if os.path.exists(SOCK) and stat.S_ISSOCK(os.lstat(SOCK).st_mode):
            os.unlink(SOCK)

    # -- remove ---------------------------------------------------------------

    def remove(self):
        p = run(["dpkg", "-r", PKG], timeout=300)
        if p.returncode != 0:
            fail("dpkg -r: exit %d\n%s" % (p.returncode, short(p.stdout, 2000)))
        if pkg_status() != "config-files":
            fail("after dpkg -r dpkg says %s, expected config-files"
                 % pkg_status())
        if os.path.exists(BIN):
            fail("%s is still there after dpkg -r" % BIN)
        if not os.path.exists(os.path.join(ETC, "zoom-attendees.conf.example")):
            fail("dpkg -r removed the conffile")

    def purge(self):
        p = run(["dpkg", "--purge", PKG], timeout=300)
        out = p.stdout.decode("utf-8", "replace")
        if p.returncode != 0:
            fail("dpkg --purge: exit %d\n%s" % (p.returncode, short(out, 2000)))
        if "not empty" in out or "warning" in out:
            fail("dpkg --purge warned:\n%s" % short(out, 1500))
        if pkg_status() != "not-installed":
            fail("after dpkg --purge dpkg says %s" % pkg_status())
        left = [f for f in self.files
                if f not in self.before and os.path.lexists(f)]
        left += [f for f in MADE if os.path.lexists(f)]
        for d in ["/etc/systemd/system",
                  "/var/lib/systemd/deb-systemd-helper-enabled",
                  "/var/lib/systemd/deb-systemd-helper-masked"]:
            for top, dirs, files in os.walk(d):
                left += [os.path.join(top, n) for n in files + dirs
                         if n.startswith("zoom-attendees")]
        if left:
            fail("left after dpkg --purge: %s" % left)

    def cleanup(self):
        """After a failure midway: leave the machine as it was."""
        if self.r is not None:
            self.r.stop_all()
        self.stop_socket()
        if pkg_status() != "not-installed":
            run(["dpkg", "--purge", PKG], timeout=300)


def summary():
    print("%d passed, %d failed" % (dr.PASSED, dr.FAILED))
    return 1 if dr.FAILED else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--no-build", action="store_true",
                    help="use the .deb already in build/deb/")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary directory (logs, configs)")
    a = ap.parse_args()

    if os.geteuid() != 0:
        report("deb setup", False, "must run as root (dpkg -i, dpkg --purge)")
        return summary()

    def on_term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)
    t0 = time.monotonic()
    d = Deb(a.keep)
    try:
        if not a.no_build and not check("deb build (make deb)", d.build):
            return summary()
        if not check("deb lintian", d.lintian):
            return summary()
        if not check("deb not-installed-before", d.preconditions):
            return summary()
        if not check("deb install (dpkg -i)", d.install):
            return summary()
        check("deb files-and-modes", d.files_and_modes)
        check("deb man-page", d.man_page)
        check("deb units-verify", d.units_verify)
        check("deb units-not-enabled", d.nothing_enabled)
        check("deb units-not-started", d.nothing_started)
        check("deb --version", d.version_option)

        # A deployment run from the installed files: the secrets in
        # /etc/zoom-attendees, the units' %t and %S as systemd has them.
        r = d.r = dr.Run(BIN, a.keep)
        r.bin, r.bindir = BIN, os.path.dirname(BIN)
        r.share, r.unitdir, r.mandir = SHARE, UNITDIR, "/usr/share/man"
        r.etc, r.run, r.state, r.sock = ETC, "/run", "/var/lib", SOCK
        try:
            r.start_standin()
        except Failure as e:
            report("deb zoom stand-in", False, "%s\n%s" % (e, tail(
                os.path.join(r.logs, "standin.log"))))
            return summary()
        check("deb --check-config", d.check_config)
        try:
            d.serve()
        except Failure as e:
            report("deb nginx-unix-systemd start", False, str(e))
        except Exception as e:
            report("deb nginx-unix-systemd start", False, dr.unexpected(e))
        finally:
            r.stop_all()
            d.stop_socket()
        if check("deb remove (dpkg -r)", d.remove):
            check("deb purge (dpkg --purge)", d.purge)
    except KeyboardInterrupt:
        report("deb run", False, "interrupted")
    finally:
        d.cleanup()
        if d.r is not None:
            d.r.close()
        print("(%.1f s)" % (time.monotonic() - t0))
    return summary()


if __name__ == "__main__":
    sys.exit(main())
