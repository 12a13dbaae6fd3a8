#!/usr/bin/env python3
"""Migration test: the original SvelteKit caller, through a real nginx.

    python3 tests/migration/run.py --bin build/zoom-attendees [--only SUBSTR]

The endpoint this project replaces lived inside a SvelteKit app, whose
server code calls it with a relative event.fetch. tests/migration/ is a
minimal SvelteKit 2 app (adapter-node) with that caller as its route
GET /check/[zoomCallId]; this driver

  - installs its packages (`npm ci`, once: node_modules is kept in
    tests/migration/node_modules while package-lock.json and Node do not
    change), installing Debian's nodejs and npm first if node is missing;
  - builds it twice with `npm run build`, in copies under a temporary
    directory: "plain" (the app as it is) and "catch-all" (the same app
    plus tests/migration/variants/catch-all/+server.js as
    src/routes/[...rest]/+server.js);
  - starts, on 127.0.0.1 only, the Zoom stand-in and the responder over
    FastCGI (tests/integration/run.py's Harness), a real nginx with the
    shipped nginx/zoom-attendees.location.conf in two servers, "public"
    (location / proxied to Node, as a site in front of the app has it) and
    "internal" (the responder only), and for each case `node build` with
    that case's environment;
  - asks the app for GET /check/85746065432 through the public nginx and
    checks where the app's call went: to nginx and the responder (the
    answer is the responder's, participants and "attendance" included), or
    nowhere (SvelteKit answered it inside Node, or the fetch failed).

The app's src/hooks.server.js has a handleFetch hook that sends
/api/zoom/... to ZOOM_ATTENDEES_ORIGIN when that is set, and changes
nothing when it is not: the cases without it are the app with no code
change.

Prints one line per case, "name... ok" or "name... FAIL: reason", then
"N passed, N failed"; exits 1 if any case failed. A missing Node that
cannot be installed, or an npm registry that cannot be reached when
node_modules must be installed, is a failure, never a pass.
"""

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# The integration suite's helpers (stand-in, responder, nginx, checks).
# Loaded under its own name: `import run` would find this file.
_spec = importlib.util.spec_from_file_location(
    "itest", os.path.join(ROOT, "tests", "integration", "run.py"))
it = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(it)

Failure, fail, short = it.Failure, it.fail, it.short
free_port, port_ready = it.free_port, it.port_ready

APP_FILES = ["package.json", "package-lock.json", "svelte.config.js",
             "vite.config.js", "src"]
CATCH_ALL = os.path.join(HERE, "variants", "catch-all", "+server.js")
NODE_MODULES = os.path.join(HERE, "node_modules")
STAMP = os.path.join(NODE_MODULES, ".za-migration-stamp")
MIN_NODE = (18, 13)             # @sveltejs/kit 2's engines
NPM_CI_SECONDS = 600
BUILD_SECONDS = 300

MEETING = it.SMALL
COACH = {"email": "ada@example.com", "name": "Ada Lovelace"}
CLIENT = {"email": "", "name": "Guest Caller"}
# What the app's route sends, given the query string below.
CALL_BODY = {"zoomCallId": MEETING, "coach": COACH, "client": CLIENT}
CHECK_PATH = "/check/%s?%s" % (MEETING, urllib.parse.urlencode({
    "coachEmail": COACH["email"], "coachName": COACH["name"],
    "clientName": CLIENT["name"]}))
# The shipped snippet's exact path, as it appears in nginx's access log.
API_REQUEST = '"POST %s ' % it.API_PATH

# The lines of a failed npm's output that say why.
NPM_KEY_LINES = ("ERR! code", "error code", "FetchError", "ERESOLVE",
                 "EBADENGINE", "ERR! network", "error network")
NET_ERRORS = ("ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ETIMEDOUT",
              "ECONNRESET", "ENETUNREACH", "EHOSTUNREACH", "network")


class Setup(Exception):
    """A step before the cases failed: no case can run."""


# ---------------------------------------------------------------------------
# Node, npm ci, builds


def npm_env():
    env = {"PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
           "HOME": os.environ.get("HOME", "/root"), "LC_ALL": "C",
           "npm_config_update_notifier": "false",
           "npm_config_fund": "false", "npm_config_audit": "false",
           # An unreachable registry should fail in about a minute, not in
           # npm's default five-minute timeout times its retries.
           "npm_config_fetch_timeout": "30000",
           "npm_config_fetch_retries": "1"}
    for k in ("npm_config_registry", "npm_config_cache", "https_proxy",
              "http_proxy", "no_proxy", "HTTPS_PROXY", "HTTP_PROXY",
              "NO_PROXY"):
        if k in os.environ:
            env[k] = os.environ[k]
    return env


def node_version(node):
    out = subprocess.run([node, "--version"], capture_output=True,
                         text=True, timeout=30).stdout.strip()
    try:
        return out, tuple(int(x) for x in out.lstrip("v").split(".")[:2])
    except ValueError:
        raise Setup("node --version printed %r" % out)


def ensure_node():
    """node and npm on PATH, installing Debian's nodejs and npm (through
    tests/install-deps.sh) when either is missing. Returns a note."""
    note = ""
    if not (shutil.which("node") and shutil.which("npm")):
        print("(node or npm missing: tests/install-deps.sh)", flush=True)
        p = subprocess.run(["sh", os.path.join(ROOT, "tests",
                                               "install-deps.sh")],
                           capture_output=True, text=True, timeout=900)
        if p.returncode != 0 or not (shutil.which("node") and
                                     shutil.which("npm")):
            raise Setup("node and npm are not installed and "
                        "tests/install-deps.sh could not install them "
                        "(exit %d): %s" % (p.returncode, short(
                            p.stdout + p.stderr, 1500)))
        note = "installed Debian's nodejs and npm; "
    node = shutil.which("node")
    text, ver = node_version(node)
    if ver < MIN_NODE:
        raise Setup("node %s is older than SvelteKit 2 needs (%d.%d)"
                    % (text, MIN_NODE[0], MIN_NODE[1]))
    npm = subprocess.run(["npm", "--version"], capture_output=True,
                         text=True, timeout=60, env=npm_env()).stdout.strip()
    return node, note + "node %s, npm %s" % (text, npm)


def stamp_text(node):
    lock = open(os.path.join(HERE, "package-lock.json"), "rb").read()
    text, _ = node_version(node)
    return "lock %s node %s %s\n" % (hashlib.sha256(lock).hexdigest(),
                                     text, os.uname().machine)


def npm_ci(node, log):
    """tests/migration/node_modules as package-lock.json says, with
    `npm ci` unless the one there was installed from this lock by this
    Node. Returns a note; raises Setup on failure."""
    want = stamp_text(node)
    try:
        have = open(STAMP).read()
    except OSError:
        have = None
    if have == want and os.path.exists(os.path.join(
            NODE_MODULES, "@sveltejs", "kit", "package.json")):
        return "node_modules up to date, npm ci not needed"
    t0 = time.monotonic()
    with open(log, "wb") as f:
        try:
            p = subprocess.run(["npm", "ci", "--prefer-offline",
                                "--no-audit", "--no-fund"], cwd=HERE,
                               env=npm_env(), stdout=f,
                               stderr=subprocess.STDOUT,
                               timeout=NPM_CI_SECONDS)
            rc = p.returncode
        except subprocess.TimeoutExpired:
            rc = None
    out = open(log, errors="replace").read()
    if rc != 0:
        why = ("timed out after %d s" % NPM_CI_SECONDS if rc is None
               else "exit %d" % rc)
        if rc is None or any(e in out for e in NET_ERRORS):
            why += ": the npm registry could not be reached, and " \
                "tests/migration/node_modules is not installed from this " \
                "package-lock.json"
        key = []
        for line in out.splitlines():
            if any(w in line for w in NPM_KEY_LINES) and line not in key:
                key.append(line)
        raise Setup("npm ci failed (%s):\n%s" % (
            why, "\n".join(key[:6]) if key else out[-1500:]))
    with open(STAMP, "w") as f:
        f.write(want)
    return "npm ci %.0f s" % (time.monotonic() - t0)


def build_variant(tmp, name, extra=()):
    """A copy of the app in tmp/app-NAME, plus extra (source, path in the
    copy) files, built there with `npm run build`. Returns its directory
    (`node build` runs from it)."""
    d = os.path.join(tmp, "app-" + name)
    os.mkdir(d)
    for f in APP_FILES:
        src = os.path.join(HERE, f)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(d, f))
        else:
            shutil.copy2(src, d)
    os.symlink(NODE_MODULES, os.path.join(d, "node_modules"))
    for src, rel in extra:
        dst = os.path.join(d, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(src, dst)
    log = os.path.join(tmp, "build-%s.log" % name)
    with open(log, "wb") as f:
        try:
            rc = subprocess.run(["npm", "run", "build"], cwd=d,
                                env=npm_env(), stdout=f,
                                stderr=subprocess.STDOUT,
                                timeout=BUILD_SECONDS).returncode
        except subprocess.TimeoutExpired:
            rc = "timeout"
    if rc != 0 or not os.path.exists(os.path.join(d, "build", "index.js")):
        fail("npm run build (%s) failed (%s):\n%s" % (
            name, rc, open(log, errors="replace").read()[-1500:]))
    return d


# ---------------------------------------------------------------------------
# nginx in front of both: the public site and an internal address


def start_nginx(h, node_port):
    """nginx with two servers, each including the shipped location
    snippet: "public" (h.nport) also proxies everything else to the app on
    node_port, as a site in front of a SvelteKit app does; "internal"
    (h.iport) serves the responder only, for the handleFetch hook."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    d = os.path.join(h.tmp, "nginx")
    os.mkdir(d)
    os.chmod(d, 0o755)
    h.nport, h.iport = free_port(), free_port()
    h.access_log = os.path.join(h.tmp, "nginx-access.log")
    conf = """
daemon off;
worker_processes 1;
pid {t}/nginx.pid;
error_log {t}/nginx-error.log info;
events {{ worker_connections 256; }}
http {{
    log_format migration '$server_port "$request" $status';
    access_log {t}/nginx-access.log migration;
    client_body_temp_path {t}/nginx/client_body;
    fastcgi_temp_path {t}/nginx/fastcgi;
    proxy_temp_path {t}/nginx/proxy;
    uwsgi_temp_path {t}/nginx/uwsgi;
    scgi_temp_path {t}/nginx/scgi;
    upstream zoom_attendees {{
        server 127.0.0.1:{r};
        keepalive 4;
    }}
    # public: the site; the responder's path to FastCGI, the rest to Node
    server {{
        listen 127.0.0.1:{n};
        server_name localhost;
        include {loc};
        location / {{
            proxy_pass http://127.0.0.1:{node};
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
    }}
    # internal: the responder only (ZOOM_ATTENDEES_ORIGIN for the hook)
    server {{
        listen 127.0.0.1:{i};
        server_name localhost;
        include {loc};
        location / {{ return 404; }}
    }}
}}
""".format(t=h.tmp, r=h.rport, n=h.nport, i=h.iport, node=node_port,
           loc=it.LOCATION_CONF)
    path = os.path.join(d, "nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    h.nginx = h.spawn([nginx, "-p", d, "-c", path, "-e", h.nginx_log],
                      stdout=subprocess.DEVNULL,
                      stderr=open(os.path.join(h.tmp, "nginx.stderr"), "ab"))
    if not (port_ready(h.nport, h.nginx) and port_ready(h.iport, h.nginx)):
        raise RuntimeError("nginx did not start: %s" % short(
            open(os.path.join(h.tmp, "nginx.stderr")).read() +
            open(h.nginx_log).read(), 2000))


# ---------------------------------------------------------------------------
# One case: the app started with an environment, one page asked for


class Mig:
    def __init__(self, h, apps, node_port):
        self.h = h
        self.apps = apps                # variant name -> app directory
        self.node_port = node_port
        self.app = None
        self.node_log = None
        self.direct = None              # the responder's own answer
        self.lines = []                 # access log lines since start_app

    def origin(self, port):
        return "http://127.0.0.1:%d" % port

    def start_app(self, variant, namespace=None, **env):
        """`node build` of variant on 127.0.0.1:node_port with the given
        environment (names with None are left out), in a fresh stand-in
        request log and with the logs read so far skipped."""
        h = self.h
        h.ctl("reset", {"tokens": False})
        h.new_log(h.access_log)
        self.lines = []
        e = {"PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
             "LC_ALL": "C", "HOST": "127.0.0.1",
             "PORT": str(self.node_port), "SHUTDOWN_TIMEOUT": "1",
             "INTERNAL_API_KEY": it.API_KEY}
        e.update({k: v for k, v in env.items() if v is not None})
        self.node_log = os.path.join(h.tmp, "node.stderr")
        h.new_log(self.node_log)
        argv = [shutil.which("node"), "build"]
        if namespace:
            argv = namespace + argv
        self.app = h.spawn(argv, cwd=self.apps[variant], env=e,
                           stdout=open(self.node_log, "ab"),
                           stderr=subprocess.STDOUT)
        if not port_ready(self.node_port, self.app, 20.0):
            fail("node build (%s) did not listen: %s" % (
                variant, short(h.new_log(self.node_log), 1500)))

    def stop_app(self):
        if self.app is not None:
            self.h.kill(self.app)
            if self.app in self.h.procs:
                self.h.procs.remove(self.app)
            self.app = None

    def check(self):
        """GET /check/<meeting> from the app through the public nginx.
        Returns (the app's status, its JSON or None, the raw answer)."""
        r = self.h.http("GET", CHECK_PATH, record=False, timeout=30)
        try:
            j = json.loads(r.body)
        except ValueError:
            j = None
        return r.status, j, r

    def access_lines(self):
        """nginx's access log lines since the app started."""
        self.lines += self.h.new_log(self.h.access_log).splitlines()
        return self.lines

    def api_lines(self):
        """The access log lines for the responder's path since the app
        started: "port status" each."""
        return ["%s %s" % (l.split()[0], l.split()[-1])
                for l in self.access_lines() if API_REQUEST in l]

    def node_error(self):
        """The first lines SvelteKit logged about an error, for a note."""
        text = self.h.new_log(self.node_log)
        keep = [l.strip() for l in text.splitlines()
                if any(w in l for w in ("Error", "error", "cause", "code:",
                                        "ENOTFOUND", "EAI_AGAIN"))]
        return short(" | ".join(keep[:4]), 300)


def expect_reached(m, status, j, r, port, what):
    """The app's call went through nginx (on port) to the responder, and
    the app got the responder's whole answer."""
    if status != 200 or not isinstance(j, dict):
        fail("%s: the app answered %d %s; node: %s" % (
            what, status, short(r.body), m.node_error()))
    if j.get("status") != 200:
        fail("%s: the app's call got %r %s" % (
            what, j.get("status"), short(json.dumps(j.get("body")) if
                                         j.get("body") is not None else
                                         j.get("text") or "")))
    body = j.get("body")
    if not isinstance(body, dict) or not isinstance(body.get("attendance"),
                                                    dict):
        fail("%s: no \"attendance\" object in the answer (a responder "
             "without attendance support?): %s" % (what, short(
                 json.dumps(body))))
    if body["participants"] != it.DATASET[MEETING]:
        fail("%s: the participants differ from Zoom's" % what)
    if body != m.direct:
        fail("%s: the app got %s, the responder answers %s directly"
             % (what, short(json.dumps(body)), short(json.dumps(m.direct))))
    if j.get("contentType", "").split(";")[0] != "application/json":
        fail("%s: Content-Type %r" % (what, j.get("contentType")))
    lines = m.api_lines()
    if lines != ["%d 200" % port]:
        fail("%s: nginx logged %r for the responder's path, expected one "
             "200 on port %d" % (what, lines, port))
    if not it.participant_paths(m.h):
        fail("%s: the stand-in saw no participants request" % what)
    att = body["attendance"]
    return "200, %d participants, attendance %s" % (
        len(body["participants"]), att.get("status"))


def expect_not_sent(m, what):
    """Neither nginx's responder path nor Zoom saw the app's call."""
    lines = m.api_lines()
    if lines:
        fail("%s: the call reached nginx's responder path: %r"
             % (what, lines))
    it.expect_no_zoom_call(m.h, what)


def expect_failed(m, status, j, r, what):
    """SvelteKit's request to the origin threw (TLS to a plain port, a
    name that does not resolve): event.fetch returns its 500, and nothing
    reached nginx's responder path or Zoom. Returns Node's error line."""
    if status != 200 or not isinstance(j, dict):
        fail("%s: the app answered %d %s" % (what, status, short(r.body)))
    if j.get("status") != 500 or j.get("body") != {
            "message": "Internal Error"}:
        fail("%s: expected the call to get SvelteKit's 500, it got %r %s"
             % (what, j.get("status"), short(json.dumps(j))))
    expect_not_sent(m, what)
    return m.node_error()


# ---------------------------------------------------------------------------
# Cases

CASES = []


def case(name):
    def deco(fn):
        CASES.append((name, fn))
        return fn
    return deco


@case("plain app, ORIGIN = the public nginx: the relative call reaches "
      "the responder")
def _(m):
    m.start_app("plain", ORIGIN=m.origin(m.h.nport))
    status, j, r = m.check()
    return expect_reached(m, status, j, r, m.h.nport, "ORIGIN=nginx")


@case("plain app, PROTOCOL_HEADER/HOST_HEADER from nginx's X-Forwarded-*: "
      "reaches the responder")
def _(m):
    m.start_app("plain", PROTOCOL_HEADER="x-forwarded-proto",
                HOST_HEADER="x-forwarded-host")
    status, j, r = m.check()
    return expect_reached(m, status, j, r, m.h.nport, "X-Forwarded-*")


@case("plain app, no ORIGIN: adapter-node assumes https, the call gets "
      "500")
def _(m):
    m.start_app("plain")
    status, j, r = m.check()
    err = expect_failed(m, status, j, r, "no ORIGIN")
    # The TLS handshake reached nginx's plain port as a bad request.
    tls = [l for l in m.access_lines()
           if l.startswith("%d " % m.h.nport) and l.endswith(" 400")]
    return "500 %s; nginx got %s; node: %s" % (
        json.dumps(j["body"]),
        "a TLS handshake on its plain port (400)" if tls else "no request",
        err)


@case("plain app, ORIGIN = Node itself: SvelteKit's own 404")
def _(m):
    m.start_app("plain", ORIGIN=m.origin(m.node_port))
    status, j, r = m.check()
    if status != 200 or not isinstance(j, dict) or j.get("status") != 404:
        fail("expected the call to get 404, the app answered %d %s"
             % (status, short(r.body)))
    if j.get("body") is not None or "Not Found" not in (j.get("text") or ""):
        fail("expected SvelteKit's HTML 404 page, got %s"
             % short(json.dumps(j)))
    expect_not_sent(m, "ORIGIN=node")
    return "the call got 404 %s" % j.get("contentType")


def _resolver_namespace(m):
    """argv prefix: a private mount namespace whose /etc/resolv.conf names
    only 127.0.0.1, so the lookup of an unknown name fails at once and no
    DNS query leaves the machine. None when that cannot be made here."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return None
    try:   # something answering DNS on 127.0.0.1 could forward the query
        for line in open("/proc/net/udp").read().splitlines()[1:]:
            local = line.split()[1]
            if local.endswith(":0035") and local.split(":")[0] in (
                    "0100007F", "00000000"):
                return None
    except OSError:
        return None
    rc = os.path.join(m.h.tmp, "resolv.conf")
    with open(rc, "w") as f:
        f.write("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
    os.chmod(rc, 0o644)
    return ["unshare", "--mount", "sh", "-c",
            'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"',
            "sh", rc]


@case("plain app, ORIGIN with a name that does not resolve: the call "
      "gets 500")
def _(m):
    ns = _resolver_namespace(m)
    if ns is None:
        return "SKIP: needs root, unshare and no DNS server on 127.0.0.1"
    m.start_app("plain", namespace=ns,
                ORIGIN="http://attendees-app.invalid")
    status, j, r = m.check()
    err = expect_failed(m, status, j, r, "unresolvable ORIGIN")
    return "500 %s; node: %s" % (json.dumps(j["body"]), err)


@case("catch-all route, ORIGIN = the public nginx: the call never leaves "
      "Node")
def _(m):
    m.start_app("catch-all", ORIGIN=m.origin(m.h.nport))
    status, j, r = m.check()
    if status != 200 or not isinstance(j, dict):
        fail("the app answered %d %s" % (status, short(r.body)))
    want = {"error": "not_found", "from": "catch-all", "method": "POST",
            "path": it.API_PATH}
    if j.get("status") != 404 or j.get("body") != want:
        fail("expected the catch-all's 404 %s, the call got %r %s" % (
            json.dumps(want), j.get("status"), short(json.dumps(j))))
    expect_not_sent(m, "catch-all")
    return "the call got the catch-all's 404"


@case("handleFetch hook, catch-all route, ORIGIN = Node itself: reaches "
      "the responder")
def _(m):
    m.start_app("catch-all", ORIGIN=m.origin(m.node_port),
                ZOOM_ATTENDEES_ORIGIN=m.origin(m.h.iport))
    status, j, r = m.check()
    return expect_reached(m, status, j, r, m.h.iport, "hook, catch-all")


@case("handleFetch hook, catch-all route, ORIGIN = the public nginx: "
      "reaches the responder")
def _(m):
    m.start_app("catch-all", ORIGIN=m.origin(m.h.nport),
                ZOOM_ATTENDEES_ORIGIN=m.origin(m.h.iport))
    status, j, r = m.check()
    return expect_reached(m, status, j, r, m.h.iport,
                          "hook, catch-all, ORIGIN=nginx")


@case("handleFetch hook, plain app, no ORIGIN: reaches the responder")
def _(m):
    m.start_app("plain", ZOOM_ATTENDEES_ORIGIN=m.origin(m.h.iport))
    status, j, r = m.check()
    return expect_reached(m, status, j, r, m.h.iport, "hook, no ORIGIN")


# ---------------------------------------------------------------------------


def main():
    got = it.suite_args(__doc__, CASES, "logs, builds")
    if isinstance(got, int):
        return got
    a, cases = got

    passed = failed = 0
    t_start = time.monotonic()
    h = it.Harness(os.path.abspath(a.bin), keep=a.keep)

    def step(name, fn):
        """A setup step reported like a case; Setup/Failure stop the run."""
        nonlocal passed
        sys.stdout.write("%s... " % name)
        sys.stdout.flush()
        t0 = time.monotonic()
        try:
            note = fn()
        except (Setup, Failure) as e:
            print("FAIL: %s" % e)
            raise Setup(None)
        passed += 1
        it.report_ok(note, t0)

    try:
        node = [None]

        def get_node():
            node[0], note = ensure_node()
            return note
        step("node and npm", get_node)
        step("npm ci (tests/migration/node_modules)",
             lambda: npm_ci(node[0], os.path.join(h.tmp, "npm-ci.log")))
        apps = {}

        def build(name, extra):
            apps[name] = build_variant(h.tmp, name, extra)
        step("npm run build: plain app", lambda: build("plain", ()))
        step("npm run build: the app plus src/routes/[...rest]/+server.js",
             lambda: build("catch-all", [
                 (CATCH_ALL, "src/routes/[...rest]/+server.js")]))

        h.start_standin()
        h.start_responder()
        node_port = free_port()
        start_nginx(h, node_port)
        if h.wait_healthy(5.0) is not True:
            raise RuntimeError("nginx -> responder healthz does not answer "
                               "200; responder log:\n%s" % short(
                                   open(h.responder_log).read(), 2000))
        m = Mig(h, apps, node_port)
        r = h.post(CALL_BODY, record=False)
        if r.status != 200:
            raise RuntimeError("the responder, asked directly through "
                               "nginx: %r" % r)
        m.direct = r.json()
        if "attendance" not in m.direct:
            raise RuntimeError("the responder at %s answers without "
                               "\"attendance\" (built before attendance "
                               "support? use --bin)" % a.bin)
        for name, fn in cases:
            sys.stdout.write("%s... " % name)
            sys.stdout.flush()
            t0 = time.monotonic()
            try:
                note = fn(m)
            except Failure as e:
                failed += 1
                print("FAIL: %s" % e)
                continue
            except Exception as e:
                failed += 1
                it.report_error(e)
                continue
            finally:
                m.stop_app()
            if note and note.startswith("SKIP: "):
                print("skipped (%s)" % note[6:])
                continue
            passed += 1
            it.report_ok(note, t0)
    except Setup:
        failed += 1
    except KeyboardInterrupt:
        print("\ninterrupted")
        failed += 1
    except RuntimeError as e:
        print("setup failed: %s" % e)
        failed += 1
    finally:
        h.close()
    if os.environ.get("ZA_ITEST_TIMING"):
        print("# %.1f s" % (time.monotonic() - t_start))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
