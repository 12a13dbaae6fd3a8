"""The HTTPS Zoom stand-in of the benchmark (tests/bench/bench.py --only tls).

Zoom is HTTPS only, so what a user pays per request is mostly TLS: the
handshake of a new connection, the certificate checks, the CA store read to
make them. Here nginx serves the same static Zoom pages as the fast
stand-in, over TLS, from two servers:

  kept   keepalive (one connection serves every request: a busy day);
  close  `keepalive_requests 1`: nginx closes the connection after every
         answer (HTTP/1.1 `Connection: close`, HTTP/2 GOAWAY), so every
         request pays a new TLS connection (a quiet day, or a Zoom edge
         that dropped the idle connection).

The pages are also there gzip-compressed (`gzip_static`): whoever sends
`Accept-Encoding: gzip` gets those. The access log records, per request,
the connection, whether the TLS session was resumed, the protocol, the
status, the bytes sent and the Accept-Encoding the client sent.

The certificate is signed by a throwaway CA for a made-up host name
(HOST). The CA is trusted only inside a private mount namespace
(`unshare -m --propagation private`, see reexec_in_namespace): there a
copy of /etc/ssl/certs, with the CA appended to the bundle and added to the
hashed directory (`openssl rehash`), is bind-mounted over /etc/ssl/certs,
and a copy of /etc/hosts naming HOST 127.0.0.1 over /etc/hosts, so that
libcurl resolves the name as it would Zoom's (getaddrinfo) and finds the CA
whichever way it reads the store (CAfile or CApath). Nothing outside the
namespace changes. Needs root.
"""

import gzip
import os
import shutil
import socket
import ssl
import subprocess
import sys

HOST = "api.zoom-standin.test"
NS_MARK = "ZA_BENCH_IN_MOUNT_NS"
CERTS = "/etc/ssl/certs"
HOSTS = "/etc/hosts"


def bundle_path():
    """The CA bundle libcurl reads by default (Debian: in /etc/ssl/certs)."""
    try:
        out = subprocess.run(["curl-config", "--ca"], capture_output=True,
                             text=True).stdout.strip()
    except OSError:
        out = ""
    return out or os.path.join(CERTS, "ca-certificates.crt")


def in_namespace():
    return os.environ.get(NS_MARK) == "1"


def reexec_in_namespace(argv):
    """Run this program again inside a private mount namespace (never
    returns); exits 2 with a plain message if that is not possible."""
    probe = subprocess.run(["unshare", "-m", "--propagation", "private",
                            "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        sys.stderr.write(
            "bench: the TLS part needs a private mount namespace "
            "(unshare -m, as root) to trust its throwaway CA without "
            "touching the machine's store, and cannot have one: %s\n"
            "bench: run it as root, or leave it out: --only "
            "fast,long,realistic,cgi\n" % (probe.stderr.strip() or
                                           "unshare failed"))
        sys.exit(2)
    os.environ[NS_MARK] = "1"
    sys.stdout.flush()
    sys.stderr.flush()
    os.execvp("unshare", ["unshare", "-m", "--propagation", "private",
                          sys.executable] + argv)


def _openssl(*args, cwd):
    p = subprocess.run(["openssl"] + list(args), cwd=cwd,
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("openssl %s: %s" % (args[0], p.stderr.strip()))


def make_pki(d):
    """A CA and a server certificate it signs for HOST (RSA 2048, as
    Zoom's). Returns (ca, cert, key) paths."""
    os.makedirs(d, exist_ok=True)
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=zoom-attendees bench CA", "-keyout", "ca.key",
             "-out", "ca.pem", cwd=d)
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + HOST,
             "-keyout", "server.key", "-out", "server.csr", cwd=d)
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\n"
                "extendedKeyUsage=serverAuth\n" % HOST)
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey",
             "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "ext.cnf",
             "-out", "server.pem", cwd=d)
    return (os.path.join(d, "ca.pem"), os.path.join(d, "server.pem"),
            os.path.join(d, "server.key"))


class Trust:
    """The CA trusted, and HOST named, inside this mount namespace only."""

    def __init__(self, d, ca):
        if not in_namespace():
            raise RuntimeError("Trust outside the private mount namespace")
        self.mounts = []
        certs = os.path.join(d, "certs")
        # Symlinks stay symlinks (most point into /usr/share/ca-certificates,
        # which stays where it is).
        shutil.copytree(CERTS, certs, symlinks=True)
        with open(ca) as f:
            pem = f.read()
        bundle = bundle_path()
        if os.path.dirname(bundle) == CERTS:
            with open(os.path.join(certs, os.path.basename(bundle)), "a") as f:
                f.write("\n" + pem)
        else:
            # A bundle elsewhere: its own copy, mounted over it.
            copy = os.path.join(d, "bundle.crt")
            shutil.copy(bundle, copy)
            with open(copy, "a") as f:
                f.write("\n" + pem)
            self._bind(copy, bundle)
        shutil.copy(ca, os.path.join(certs, "zoom-attendees-bench-ca.pem"))
        _openssl("rehash", certs, cwd=d)
        hosts = os.path.join(d, "hosts")
        with open(HOSTS) as f:
            text = f.read()
        with open(hosts, "w") as f:
            f.write(text.rstrip("\n") + "\n127.0.0.1 %s\n" % HOST)
        self._bind(certs, CERTS)
        self._bind(hosts, HOSTS)

    def _bind(self, src, dst):
        p = subprocess.run(["mount", "--bind", src, dst], capture_output=True,
                           text=True)
        if p.returncode != 0:
            raise RuntimeError("mount --bind %s %s: %s" % (src, dst,
                                                          p.stderr.strip()))
        self.mounts.append(dst)

    def check(self, port):
        """Both ways of reading the store accept the stand-in by name."""
        resolved = socket.gethostbyname(HOST)
        if resolved != "127.0.0.1":
            raise RuntimeError("%s resolves to %s" % (HOST, resolved))
        for kw in ({"cafile": bundle_path()}, {"capath": CERTS}):
            ctx = ssl.create_default_context(**kw)
            with socket.create_connection(("127.0.0.1", port), 5) as s:
                with ctx.wrap_socket(s, server_hostname=HOST):
                    pass

    def close(self):
        for dst in reversed(self.mounts):
            subprocess.run(["umount", dst], capture_output=True)
        self.mounts = []


def write_gzip_pages(data):
    """A .json.gz beside each page (level 6, fixed mtime), for gzip_static."""
    for root, _, files in os.walk(data):
        for name in files:
            if not name.endswith(".json"):
                continue
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                raw = f.read()
            with open(path + ".gz", "wb") as f:
                f.write(gzip.compress(raw, compresslevel=6, mtime=0))
            os.chmod(path + ".gz", 0o644)


LOG_FORMAT = ("$connection $ssl_session_reused $server_port $status "
              "$bytes_sent \"$http_accept_encoding\" $server_protocol "
              "$ssl_protocol $request_uri")


def nginx_conf(head, d, kept_port, close_port, data, cert, key, token,
               http2=True):
    """nginx config: the two TLS servers over the same static pages."""
    h2 = " http2" if http2 else ""
    server = """
    server {
        listen 127.0.0.1:%(port)d ssl%(h2)s backlog=4096;
        server_name %(host)s;
        %(keep)s
        location = /oauth/token { return 200 '%(token)s'; }
        location ~ ^/v2/past_meetings/(?<mid>[0-9]+)/participants$ {
            gzip_static on;
            gzip_vary on;
            try_files /$mid/p$arg_next_page_token.json =404;
        }
    }
"""
    kept = server % {"port": kept_port, "h2": h2, "host": HOST,
                     "token": token,
                     "keep": "keepalive_timeout 600s; "
                             "keepalive_requests 10000000;"}
    close = server % {"port": close_port, "h2": h2, "host": HOST,
                      "token": token,
                      "keep": "keepalive_requests 1;"}
    return head + """
    log_format tls '%(fmt)s';
    access_log %(dir)s/access.log tls;
    root %(data)s;
    default_type application/json;
    ssl_certificate %(cert)s;
    ssl_certificate_key %(key)s;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:TLS:10m;
    ssl_session_timeout 1h;
""" % {"fmt": LOG_FORMAT, "dir": d, "data": data, "cert": cert,
       "key": key} + kept + close + "}\n"


class Log:
    """Reads the stand-in's access log from where it was last read."""

    def __init__(self, path):
        self.path = path
        self.off = 0
        self.seen = set()   # connection numbers seen so far (1 nginx worker)

    def read(self):
        """Lines since the last read, as dicts; `new` marks the first
        request of a connection (a handshake, full or resumed)."""
        try:
            with open(self.path, "rb") as f:
                f.seek(self.off)
                raw = f.read()
        except FileNotFoundError:
            return []
        end = raw.rfind(b"\n") + 1
        self.off += end
        out = []
        for line in raw[:end].decode("latin-1").splitlines():
            head, enc, tail = line.split('"')
            conn, reused, port, status, sent = head.split()
            proto, sslp, uri = tail.split()
            out.append({"conn": conn, "reused": reused == "r",
                        "port": int(port), "status": int(status),
                        "bytes": int(sent), "enc": enc, "proto": proto,
                        "ssl": sslp, "uri": uri,
                        "new": conn not in self.seen})
            self.seen.add(conn)
        return out


def summary(lines):
    """Counts over log lines: requests, pages, handshakes (full and
    resumed), non-2xx, and the protocols and Accept-Encodings seen."""
    return {
        "requests": len(lines),
        "pages": sum(1 for x in lines if "/participants" in x["uri"]),
        "tokens": sum(1 for x in lines if x["uri"] == "/oauth/token"),
        "handshakes": sum(1 for x in lines if x["new"]),
        "resumed": sum(1 for x in lines if x["new"] and x["reused"]),
        "non2xx": sum(1 for x in lines if not 200 <= x["status"] < 300),
        "protos": sorted({"%s %s" % (x["proto"], x["ssl"]) for x in lines}),
        "encodings": sorted({x["enc"] for x in lines}),
        "bytes": sum(x["bytes"] for x in lines),
    }
