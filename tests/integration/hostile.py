#!/usr/bin/env python3
"""Hostile callers: a table of bad requests through the real nginx.

    python3 tests/integration/hostile.py --bin build/zoom-attendees [--only S]

Reuses the integration harness (tests/integration/run.py): the Zoom
stand-in, the responder in FastCGI mode and nginx with the project's
nginx/zoom-attendees.location.conf, all on 127.0.0.1. Every request is
written byte by byte on a raw socket, so it can lie about its length,
repeat headers, or carry what a library would refuse to send.

For every row of the table:
  - the answer has its documented status (README's API table; where nginx
    answers itself, nginx's status), and the responder's JSON error shape
    with the stable code when the responder answered;
  - the request reached the responder exactly when it should (one log
    line), or not at all when nginx refused it;
  - Zoom was not called (the stand-in's request log stays empty), except
    in the last group, ids that are valid by the rules but look like paths:
    there the one call must keep the id inside one encoded path segment;
  - no trace of a secret in the answer, the responder's stderr, or nginx's
    error log.

nginx runs with two error logs: one at `notice` (what a production server
keeps; Debian's default is `error`), which must never hold a secret, and
one at `info`, where nginx itself copies a rejected header line, value
included ("client sent duplicate/invalid/too long header line"): those
copies are counted and reported, anything else with a secret fails.

Then a timing check of the key comparison: thousands of FastCGI requests
straight to the responder's socket on one kept connection, with keys that
match the real one in 0 bytes, half of it, and all but the last byte,
interleaved. It prints each group's median and the relative spread, and a
Mann-Whitney z score (|z| < 3: no difference the test can see). Only a
very loose bound is asserted: the figure is the evidence.

Prints "name... ok" or "name... FAIL: reason" per row, the figures, then
"N passed, N failed"; exits 1 if any failed.
"""

import argparse
import json
import math
import os
import random
import re
import socket
import statistics
import sys
import threading
import time
import traceback
import urllib.parse

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run as itest  # noqa: E402  (the integration harness)
from run import (API_KEY, API_PATH, HEALTH_PATH, SMALL, Failure,  # noqa: E402
                 fail, short)

KEY = API_KEY.encode()
# What must never appear: the secrets themselves, and any 12 characters of
# the random part of the key or the client secret (a truncated copy).
TRACES = list(itest.SECRETS) + [API_KEY[10:22], API_KEY[-12:],
                                itest.CLIENT_SECRET[-12:]]
# nginx (info level) copies a header line it rejects, value included.
NGINX_HEADER_ECHO = re.compile(
    r"client sent (duplicate|invalid|too long) header line")
MAX_BODY = 65536
# The method in a log line: HTTP's own, else "other" (never the caller's).
LOGGED_METHOD = re.compile(r"zoom-attendees: (GET|HEAD|POST|PUT|DELETE|"
                           r"CONNECT|OPTIONS|TRACE|PATCH|other) status=\d+ ")
# Known bugs, reported to the owner of src/: a row marked with one (xfail=)
# is reported as XFAIL while it fails, XPASS once fixed (then drop the mark).
# None are open.

# ---------------------------------------------------------------------------
# Raw HTTP


class Answer:
    def __init__(self, raw, elapsed):
        self.raw = raw
        self.elapsed = elapsed
        self.status = None
        self.headers = []
        self.body = b""
        i = raw.find(b"\r\n\r\n")
        if raw.startswith(b"HTTP/1.") and i >= 0:
            lines = raw[:i].decode("latin-1").split("\r\n")
            self.status = int(lines[0].split(" ")[1])
            for ln in lines[1:]:
                k, _, v = ln.partition(":")
                self.headers.append((k.strip(), v.strip()))
            self.body = raw[i + 4:]

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def __repr__(self):
        return "%s %s" % (self.status, short(self.body, 160))


def exchange(port, data, half_close=False, timeout=10.0):
    """Send data (from a thread: nginx may answer before it has read all
    of a large body), read the answer until nginx closes."""
    s = socket.create_connection(("127.0.0.1", port), timeout)
    t0 = time.monotonic()

    def send():
        try:
            s.sendall(data)
            if half_close:
                s.shutdown(socket.SHUT_WR)
        except OSError:
            pass            # nginx answered and closed first: fine
    th = threading.Thread(target=send, daemon=True)
    th.start()
    out = b""
    head_only = data.startswith(b"HEAD ")
    try:
        while True:
            c = s.recv(65536)
            if not c:
                break
            out += c
            if answer_complete(out, head_only):
                break       # not waiting out nginx's lingering close
    except socket.timeout:
        fail("no answer within %.0f s (got %r)" % (timeout, short(out)))
    except ConnectionResetError:
        pass
    finally:
        th.join(timeout)
        s.close()
    return Answer(out, time.monotonic() - t0)


def answer_complete(out, head_only):
    i = out.find(b"\r\n\r\n")
    if i < 0:
        return False
    m = re.search(rb"\r\ncontent-length:\s*(\d+)", out[:i], re.I)
    if head_only:
        return True
    return m is not None and len(out) - i - 4 >= int(m.group(1))


def request(method=b"POST", path=API_PATH.encode(), body=b"",
            auth=b"Bearer " + KEY, ctype=b"application/json",
            length="auto", extra=(), version=b"HTTP/1.1", host=b"localhost"):
    """Request bytes. auth/ctype None: header left out; length "auto": the
    true length, None: no Content-Length, else the (lying) value given."""
    h = [method + b" " + path + b" " + version]
    if host is not None:
        h.append(b"Host: " + host)
    if auth is not None:
        h.append(b"Authorization: " + auth)
    if ctype is not None:
        h.append(b"Content-Type: " + ctype)
    if length == "auto":
        h.append(b"Content-Length: %d" % len(body))
    elif length is not None:
        h.append(b"Content-Length: " + (length if isinstance(length, bytes)
                                        else b"%d" % length))
    h.extend(extra)
    h.append(b"Connection: close")
    return b"\r\n".join(h) + b"\r\n\r\n" + body


def chunked(data, size=4096):
    out = b""
    for i in range(0, len(data), size):
        piece = data[i:i + size]
        out += b"%x\r\n%s\r\n" % (len(piece), piece)
    return out + b"0\r\n\r\n"


def jbody(zoom_call_id, **more):
    d = {"zoomCallId": zoom_call_id}
    d.update(more)
    return json.dumps(d, ensure_ascii=False).encode()


def padded(n, zoom_call_id="../users/me"):
    """A JSON object of exactly n bytes (an invalid id: no Zoom call)."""
    pre = b'{"zoomCallId":' + json.dumps(zoom_call_id).encode() + \
        b',"pad":"'
    return pre + b"x" * (n - len(pre) - 2) + b'"}'


# ---------------------------------------------------------------------------
# The table. Expectation: (status, code, by) where by is
#   "responder": the responder answered (JSON error, one log line);
#   "nginx":     nginx refused it itself (its own page; no log line);
#   "nginx-json": nginx answered from the location's JSON error pages;
#   "maybe":     nginx may not answer at all (the client went away).

ROWS = []


def row(group, name, data, status, code=None, by="responder", **kw):
    ROWS.append(dict(group=group, name=name, data=data, status=status,
                     code=code, by=by, **kw))


def method_rows():
    body = jbody(SMALL)
    for m in (b"GET", b"PUT", b"DELETE", b"PATCH", b"OPTIONS", b"BREW",
              b"PROPFIND"):
        row("method", m.decode(), request(method=m, body=body), 405,
            "method_not_allowed", allow=True)
    row("method", "HEAD", request(method=b"HEAD", body=body), 405, None,
        allow=True, no_body=True)
    row("method", "GET without a body", request(method=b"GET", length=None,
                                                ctype=None), 405,
        "method_not_allowed", allow=True)
    # nginx answers TRACE itself (405) and refuses methods in lower case.
    row("method", "TRACE", request(method=b"TRACE", body=body), 405,
        by="nginx")
    for m in (b"post", b"Post", b"P0ST"):
        row("method", m.decode(), request(method=m, body=body), 400,
            by="nginx")
    # Logged as "other", never as sent (nginx passes it on: only capital
    # letters, but any length).
    row("method", "1,000 capital letters", request(method=b"A" * 1000,
                                                  body=body), 405,
        "method_not_allowed", allow=True)
    row("method", "POST to the healthz path", request(
        path=HEALTH_PATH.encode(), body=body, auth=None), 401,
        "unauthorized")


def header_rows():
    body = jbody(SMALL)
    wrong = b"Bearer itest-key-" + b"0" * 24
    row("headers", "no Authorization", request(body=body, auth=None), 401,
        "unauthorized")
    row("headers", "empty Authorization", request(body=body, auth=b""), 401,
        "unauthorized")
    row("headers", "Authorization: Bearer (no key)",
        request(body=body, auth=b"Bearer"), 401, "unauthorized")
    row("headers", "two Authorization: wrong, then the key",
        request(body=body, auth=wrong,
                extra=[b"Authorization: Bearer " + KEY]),
        400, by="nginx")
    row("headers", "two Authorization: the key, then wrong",
        request(body=body, extra=[b"Authorization: " + wrong]), 400,
        by="nginx")
    row("headers", "two Authorization: the key twice",
        request(body=body, extra=[b"Authorization: Bearer " + KEY]), 400,
        by="nginx")
    row("headers", "Authorization with a NUL after the key",
        request(body=body, auth=b"Bearer " + KEY + b"\0x"), 400, by="nginx")
    row("headers", "Authorization of 9000 bytes",
        request(body=body, auth=b"Bearer " + KEY + b"a" * 9000), 400,
        by="nginx")
    row("headers", "X-Authorization instead", request(
        body=body, auth=None, extra=[b"X-Authorization: Bearer " + KEY]),
        401, "unauthorized")
    row("headers", "key in the query string", request(
        path=API_PATH.encode() + b"?access_token=" + KEY, body=body,
        auth=None), 401, "unauthorized")
    row("headers", "no Content-Type", request(body=body, ctype=None), 415,
        "unsupported_media_type")
    row("headers", "two Content-Type: text/plain first", request(
        body=body, ctype=b"text/plain",
        extra=[b"Content-Type: application/json"]), 415,
        "unsupported_media_type")
    # nginx hands the first one on: accepted, so the body is read (here an
    # invalid id, to stop before Zoom).
    row("headers", "two Content-Type: application/json first", request(
        body=jbody("../users/me"),
        extra=[b"Content-Type: text/plain"]), 400, "invalid_zoom_call_id")
    row("headers", "Content-Type with a NUL", request(
        body=body, ctype=b"application/json\0"), 400, by="nginx")
    row("headers", "Content-Type application/json;x (no space)", request(
        body=jbody("../users/me"), ctype=b"application/json;x"), 400,
        "invalid_zoom_call_id")
    row("headers", "Content-Type application/jsonp", request(
        body=body, ctype=b"application/jsonp"), 415,
        "unsupported_media_type")
    row("headers", "no Host (HTTP/1.1)", request(body=body, host=None), 400,
        by="nginx")
    row("headers", "folded header line", request(
        body=body, extra=[b"X-A: a", b" b"]), 400, by="nginx")
    row("headers", "Proxy header (httpoxy)", request(
        body=jbody("../users/me"),
        extra=[b"Proxy: http://127.0.0.1:9/"]), 400, "invalid_zoom_call_id")


def length_rows():
    body = jbody(SMALL)
    row("length", "Content-Length shorter than the body",
        request(body=body, length=len(body) - 5), 400, "invalid_json")
    row("length", "Content-Length 0 with a body",
        request(body=body, length=0), 400, "invalid_json")
    row("length", "Content-Length longer than the body, client half-closes",
        request(body=body, length=len(body) + 100), None, by="maybe",
        half_close=True)
    row("length", "Content-Length 1 GiB, 30 bytes sent, half-close",
        request(body=body, length=1 << 30), 413, "body_too_large",
        by="nginx-json", half_close=True)
    for bad in (b"-1", b"abc", b"1e3", b"+28", b"0x1c",
                b"99999999999999999999999"):
        row("length", "Content-Length %s" % bad.decode(),
            request(body=body, length=bad), 400, by="nginx")
    row("length", "two Content-Length", request(
        body=body, extra=[b"Content-Length: %d" % len(body)]), 400,
        by="nginx")
    row("length", "Content-Length and Transfer-Encoding", request(
        body=chunked(body), extra=[b"Transfer-Encoding: chunked"]), 400,
        by="nginx")
    row("length", "no Content-Length (HTTP/1.1)",
        request(body=b"", length=None), 400, "invalid_json")
    # nginx reads no body without a length: the responder sees none.
    row("length", "no Content-Length (HTTP/1.0), body sent anyway",
        request(body=body, length=None, version=b"HTTP/1.0"), 400,
        "invalid_json")


def chunked_rows():
    te = [b"Transfer-Encoding: chunked"]
    row("chunked", "chunked, invalid id (the body was read)", request(
        body=chunked(jbody("../users/me"), 7), length=None, extra=te), 400,
        "invalid_zoom_call_id")
    row("chunked", "chunked, no chunks", request(
        body=b"0\r\n\r\n", length=None, extra=te), 400, "invalid_json")
    row("chunked", "chunked, bad chunk size", request(
        body=b"zz\r\nabc\r\n0\r\n\r\n", length=None, extra=te), 400,
        by="nginx")
    row("chunked", "chunked, chunk longer than announced", request(
        body=b"2\r\nabcdef\r\n0\r\n\r\n", length=None, extra=te), 400,
        by="nginx")
    row("chunked", "chunked, 70,000 bytes", request(
        body=chunked(padded(70000)), length=None, extra=te), 413,
        "body_too_large")
    row("chunked", "chunked, 10 MiB", request(
        body=chunked(padded(10 << 20), 65536), length=None, extra=te), 413,
        "body_too_large", by="nginx-json")
    row("chunked", "Transfer-Encoding gzip, chunked", request(
        body=chunked(jbody(SMALL)), length=None,
        extra=[b"Transfer-Encoding: gzip, chunked"]), 501, by="nginx")


def body_rows():
    row("body", "0 bytes", request(body=b""), 400, "invalid_json")
    row("body", "64 KiB exactly (invalid id)", request(body=padded(MAX_BODY)),
        400, "invalid_zoom_call_id")
    row("body", "64 KiB + 1", request(body=padded(MAX_BODY + 1)), 413,
        "body_too_large")
    row("body", "10 MiB", request(body=padded(10 << 20)), 413,
        "body_too_large", by="nginx-json")
    row("body", "NUL bytes only", request(body=b"\0" * 64), 400,
        "invalid_json")
    row("body", "raw NUL inside the id string",
        request(body=b'{"zoomCallId":"8574606\x005432"}'), 400,
        "invalid_json")
    row("body", "NUL after the object",
        request(body=jbody(SMALL) + b"\0"), 400, "invalid_json")
    row("body", "NUL before the object",
        request(body=b"\0" + jbody(SMALL)), 400, "invalid_json")
    row("body", "\\u0000 inside the id",
        request(body=b'{"zoomCallId":"85746065432\\u0000"}'), 400,
        "invalid_zoom_call_id")
    for name, raw in (("overlong /", b"\xc0\xaf"), ("lone continuation",
                                                     b"\x80"),
                      ("UTF-16 surrogate", b"\xed\xa0\x80"),
                      ("truncated sequence", b"\xe2\x82"),
                      ("0xFF", b"\xff"),
                      ("above U+10FFFF", b"\xf4\x90\x80\x80")):
        row("body", "invalid UTF-8 in the id: %s" % name, request(
            body=b'{"zoomCallId":"857460' + raw + b'65432"}'), 400,
            "invalid_json")
        row("body", "invalid UTF-8 in a member name: %s" % name, request(
            body=b'{"zoomCallId' + raw + b'":"85746065432"}'), 400,
            "invalid_json")
    row("body", "UTF-16 body with a BOM", request(
        body=b"\xff\xfe" + jbody(SMALL).decode().encode("utf-16-le")), 400,
        "invalid_json")
    row("body", "UTF-8 BOM", request(body=b"\xef\xbb\xbf" + jbody(SMALL)),
        400, "invalid_json")
    for num in (b"1e400", b"-1e400", b"123456789012345678901234567890",
                b"85746065432" + b"0" * 300, b"-0", b"0", b"85746065432.0",
                b"8.5746065432e10", b"857460654320000000000e-10"):
        row("body", "huge or odd number %s" % short(num, 24), request(
            body=b'{"zoomCallId":' + num + b"}"), 400,
            "invalid_zoom_call_id")
    row("body", "huge number in another member", request(
        body=b'{"n":1e999999,"m":-' + b"9" * 5000 + b',"zoomCallId":"x"}'),
        400, "invalid_zoom_call_id")
    row("body", "zoomCallId twice (second one a path)", request(
        body=b'{"zoomCallId":"85746065432","zoomCallId":"../users/me"}'),
        400, "invalid_json")
    # JSON member names may be written with escapes: "zoom\u0043allId" is
    # zoomCallId. A parser that decodes names (JavaScript's JSON.parse:
    # last one wins) must not read another id than the responder does.
    row("body", "zoomCallId twice, the second spelled with escapes", request(
        body=b'{"zoomCallId":"../users/me","zoom\\u0043allId":"85746065432"}'),
        400, "invalid_json")
    row("body", "zoomCallId spelled with escapes only", request(
        body=b'{"zoom\\u0043allId":"../users/me"}'), 400,
        "invalid_zoom_call_id")
    row("body", "60,000 levels of nesting", request(
        body=b"[" * 30000 + b"]" * 30000), 400, "invalid_json")
    row("body", "5,000 members, then an invalid id", request(
        body=b"{" + b"".join(b'"m%d":%d,' % (i, i) for i in range(5000)) +
        b'"zoomCallId":"x"}'), 400, "invalid_zoom_call_id")
    row("body", "form-encoded body sent as JSON", request(
        body=b"zoomCallId=85746065432"), 400, "invalid_json")


ESCAPES = [
    "..", "../..", "../users/me", "85746065432/..",
    "85746065432/../../users/me", "%2e%2e", "%2E%2E%2Fusers%2Fme",
    "8574606543%32", "85746065432%2F..", "85746065432?page_size=1",
    "85746065432?", "85746065432#", "85746065432#x",
    "85746065432&next_page_token=x", "85746065432\r\nX-Injected: 1",
    "85746065432\r\n", "\r\n", "85746065432%0d%0aX-Injected:%201",
    "85746065432\\", "85746065432;", "85746065432 /",
    "\u0000", "85746065432\u0000/../x",
    # Unicode look-alikes: digits of other scripts, fullwidth forms, spaces
    # and dashes that are not " " and "-", zero-width characters.
    "\uff18\uff15\uff17\uff14\uff16\uff10\uff16\uff15\uff14\uff13\uff12",
    "\u0668\u0665\u0667\u0664\u0666\u0660\u0666\u0665\u0664\u0663\u0662",
    "\u06f8\u06f5\u06f7\u06f4\u06f6\u06f0\u06f6\u06f5\u06f4\u06f3\u06f2",
    "\u096e\u096b\u096d\u096a\u096c\u0966\u096c\u096b\u096a\u0969\u0968",
    "\U0001d7d6\U0001d7d3\U0001d7d5\U0001d7d2\U0001d7d4\U0001d7ce"
    "\U0001d7d4\U0001d7d3\U0001d7d2\U0001d7d1\U0001d7d0",
    "\u2078\u2075\u2077\u2074\u2076\u2070\u2076\u2075\u2074\u00b3\u00b2",
    "8574606543\uff12", "857\u00a04606\u00a05432", "857\u20034606\u20035432",
    "857\u200b46065432", "\ufeff85746065432", "857\u20134606\u20135432",
    "857\u20104606\u20105432", "857\u22124606\u22125432",
    "85746065432\uff0f..", "\uff0fajXp112QmuoKj4854875==",
    "\uff0e\uff0e\uff0fusers\uff0fme", "85746065432\u2215..",
    "JbkqFkfqQ0e7+CZluSnc1g\uff1d\uff1d", "JbkqFkfqQ0e7\u2215CZluSnc1g==",
    "\u0410bkqFkfqQ0e7+CZluSnc1g==", "JbkqFkfqQ0e7+CZluSnc1g=\u0338",
    "JbkqFkfqQ0e7%2BCZluSnc1g%3D", "Jbkq.FkfqQ0e7+CZluSnc1g=",
    "JbkqFkfqQ0e7+CZluSnc1g==\n", "JbkqFkfqQ0e7-CZluSnc1g__",
    "/../../../../../../../..", "..%2F..%2F..%2F..%2F..%2F",
    "85746065432\u2028", "85746065432\u0085",
]


def escape_rows():
    for v in ESCAPES:
        row("escape", "zoomCallId %s" % ascii(v)[:60], request(body=jbody(v)),
            400, "invalid_zoom_call_id")
    # The same, written with JSON escapes.
    for raw in (b'"\\u002e\\u002e\\u002fusers\\u002fme"',
                b'"85746065432\\u002f.."', b'"85746065432\\u003f"',
                b'"85746065432\\u0023"', b'"85746065432\\r\\nX: 1"',
                b'"\\uff18\\uff15\\uff17\\uff14\\uff16\\uff10\\uff16\\uff15'
                b'\\uff14\\uff13\\uff12"', b'"\\ud835\\udfd6\\ud835\\udfd3'
                b'\\ud835\\udfd5\\ud835\\udfd2\\ud835\\udfd4\\ud835\\udfce'
                b'\\ud835\\udfd4\\ud835\\udfd3\\ud835\\udfd2\\ud835\\udfd1'
                b'\\ud835\\udfd0"'):
        row("escape", "zoomCallId %s" % raw.decode()[:60], request(
            body=b'{"zoomCallId":' + raw + b"}"), 400,
            "invalid_zoom_call_id")
    # A lone surrogate: invalid JSON text, or an invalid id.
    row("escape", "zoomCallId with a lone surrogate escape", request(
        body=b'{"zoomCallId":"\\ud800857460654"}'), 400, None,
        codes=("invalid_json", "invalid_zoom_call_id"))


def key_rows():
    body = jbody(SMALL)
    last = KEY[-1:]
    other = b"0" if last != b"0" else b"1"
    variants = [
        ("last byte differs", KEY[:-1] + other),
        ("last byte +1", KEY[:-1] + bytes([KEY[-1] + 1])),
        ("first byte differs", (b"J" if KEY[:1] != b"J" else b"K") + KEY[1:]),
        ("a prefix (all but the last byte)", KEY[:-1]),
        ("a prefix (half)", KEY[:len(KEY) // 2]),
        ("the key and one byte more", KEY + b"x"),
        ("the key twice", KEY + KEY),
        ("upper case", KEY.upper()),
        ("trailing tab", KEY + b"\t"),
        ("trailing NBSP (UTF-8)", KEY + "\u00a0".encode()),
        ("trailing ,", KEY + b","),
        ("the key quoted", b'"' + KEY + b'"'),
        ("a key of 513 bytes starting with the key",
         KEY + b"k" * (513 - len(KEY))),
    ]
    for what, k in variants:
        row("key", what, request(body=body, auth=b"Bearer " + k), 401,
            "unauthorized", www_auth=True)
    for what, a in (("Basic scheme with the key", b"Basic " + KEY),
                    ("Token scheme", b"Token " + KEY),
                    ("Bearer without a space", b"Bearer" + KEY),
                    ("Bearer, tab, key", b"Bearer\t" + KEY),
                    ("the key alone", KEY),
                    ("Bearer, the key, another key",
                     b"Bearer " + KEY + b" " + KEY),
                    ("Bearer, the key, comma, Basic",
                     b"Bearer " + KEY + b", Basic eDp5")):
        row("key", what, request(body=body, auth=a), 401, "unauthorized",
            www_auth=True)
    # HTTP field values exclude surrounding spaces (RFC 9110 5.5): nginx
    # strips them, so this is the key. An invalid id stops it before Zoom:
    # a 400 (not a 401) shows the key was accepted.
    row("key", "trailing spaces (stripped by HTTP: the key)", request(
        body=jbody("../users/me"), auth=b"Bearer " + KEY + b"   "), 400,
        "invalid_zoom_call_id")
    row("key", "lower-case scheme (the key)", request(
        body=jbody("../users/me"), auth=b"bearer " + KEY), 400,
        "invalid_zoom_call_id")


# Valid by the documented rules, but shaped like paths: they do reach Zoom,
# and the one call must keep them inside one encoded path segment.
PATHLIKE = ["/" * 24, "=" * 22, "+" * 22, "//" + "A" * 20 + "==",
            "AAAAAAAAAAAAAAAAAAAA//==", "/" * 21 + "A", "123-456-789-012"]


def pathlike_rows():
    for v in PATHLIKE:
        row("pathlike", "valid-shaped id %r stays in one segment" % v,
            request(body=jbody(v)), 404, "meeting_not_found", zoom=v)


for _f in (method_rows, header_rows, length_rows, chunked_rows, body_rows,
           escape_rows, key_rows, pathlike_rows):
    _f()


# ---------------------------------------------------------------------------
# Checks


class Hostile(itest.Harness):
    """The integration harness, with nginx writing two error logs."""

    def start_nginx(self):
        super().start_nginx()
        self.notice_log = os.path.join(self.tmp, "nginx-error-notice.log")
        conf = os.path.join(self.tmp, "nginx", "nginx.conf")
        with open(conf) as f:
            text = f.read()
        text = text.replace(
            "error_log %s/nginx-error.log info;" % self.tmp,
            "error_log %s/nginx-error.log info;\nerror_log %s notice;"
            % (self.tmp, self.notice_log))
        if self.notice_log not in text:
            raise RuntimeError("cannot add the notice-level error log")
        with open(conf, "w") as f:
            f.write(text)
        # Restart it with both logs (same port).
        self.kill(self.nginx)
        self.procs.remove(self.nginx)
        self.nginx = self.spawn(self.nginx_argv,
                                stdout=itest.subprocess.DEVNULL,
                                stderr=open(os.path.join(
                                    self.tmp, "nginx.stderr"), "ab"))
        if not itest.port_ready(self.nport, self.nginx) or \
                not os.path.exists(self.notice_log):
            raise RuntimeError("nginx did not restart with both logs")

    @property
    def nginx_argv(self):
        d = os.path.join(self.tmp, "nginx")
        return [itest.shutil.which("nginx") or "/usr/sbin/nginx",
                "-p", d, "-c", os.path.join(d, "nginx.conf"),
                "-e", self.nginx_log]


def traces_in(data):
    if isinstance(data, bytes):
        data = data.decode("latin-1")
    return [t for t in TRACES if t in data]


class LogWatch:
    def __init__(self, h):
        self.h = h
        self.echoes = 0         # nginx info lines that copied the key
        for p in self.paths():
            h.new_log(p)

    def paths(self):
        return (self.h.responder_log, self.h.nginx_log, self.h.notice_log)

    def check(self, what):
        """No trace of a secret in what the logs got since the last call;
        returns the responder's new lines."""
        h = self.h
        resp = h.new_log(h.responder_log)
        if traces_in(resp):
            fail("%s: the responder's log holds a secret" % what)
        if traces_in(h.new_log(h.notice_log)):
            fail("%s: nginx's error log (notice level) holds a secret" % what)
        for ln in h.new_log(h.nginx_log).splitlines():
            if traces_in(ln):
                if NGINX_HEADER_ECHO.search(ln):
                    self.echoes += 1
                else:
                    fail("%s: nginx's error log holds a secret: %s"
                         % (what, short(ln.replace(API_KEY, "<KEY>"), 200)))
        for m in itest.SANITIZER_MARKS:
            if m in resp:
                fail("%s: %s" % (what, short(resp[resp.find(m):], 300)))
        return [ln for ln in resp.splitlines() if "status=" in ln]


def check_row(h, logs, r):
    h.ctl("reset", {"tokens": False})
    a = exchange(h.nport, r["data"], r.get("half_close", False))
    what = r["name"]
    # Read the logs first: a failed check must not leave lines behind.
    lines = logs.check(what)
    if traces_in(a.raw):
        fail("the answer holds a secret")
    by = r["by"]
    if by == "maybe":
        if a.status not in (None, 400):
            fail("expected no answer or 400, got %r" % a)
    elif a.status != r["status"]:
        fail("expected %d, got %r" % (r["status"], a))
    if by in ("responder", "nginx-json") and a.status is not None:
        ct = a.header("Content-Type") or ""
        if ct.split(";")[0].strip() != "application/json":
            fail("Content-Type %r" % ct)
        if "no-store" not in (a.header("Cache-Control") or ""):
            fail("no Cache-Control: no-store")
        if not r.get("no_body"):
            try:
                j = json.loads(a.body)
            except ValueError:
                fail("the answer is not JSON: %r" % a)
            codes = r.get("codes") or (r["code"],)
            if not isinstance(j, dict) or set(j) != {"error", "message"} or \
                    j["error"] not in codes:
                fail("expected error %s, got %s" % ("/".join(codes),
                                                    short(a.body, 200)))
    if r.get("allow") and "POST" not in (a.header("Allow") or ""):
        fail("405 without Allow: POST")
    if r.get("www_auth") and not (a.header("WWW-Authenticate") or
                                  "").startswith("Bearer"):
        fail("401 without WWW-Authenticate: Bearer")
    # Which side answered: one log line from the responder, or none.
    want = 1 if by == "responder" else 0
    if len(lines) != want:
        fail("%d responder log line(s), expected %d (%s): %r" % (
            len(lines), want, "the responder answers" if want else
            "nginx refuses it", lines))
    if want == 1 and "status=%d" % r["status"] not in lines[0]:
        fail("log line %r" % lines[0])
    if want == 1 and not LOGGED_METHOD.match(lines[0]):
        fail("log line %r: the method is not one of HTTP's nor \"other\""
             % short(lines[0], 120))
    st = h.stats()
    if "zoom" not in r:
        if st["requests"]:
            fail("Zoom was called: %s" % ", ".join(
                "%s %s" % (x["method"], short(x["path"], 80))
                for x in st["requests"][:3]))
        return None
    # A valid-shaped id: exactly one participants call, one segment.
    paths = [x["path"] for x in st["requests"] if "/participants" in x["path"]]
    if len(paths) != 1:
        fail("%d participants calls, expected 1: %r" % (len(paths), paths))
    path = paths[0].split("?")[0]
    parts = path.split("/")
    if len(parts) != 5 or parts[:3] != ["", "v2", "past_meetings"] or \
            parts[4] != "participants":
        fail("the id left its path segment: %s" % paths[0])
    seg = parts[3]
    if not re.fullmatch(r"[A-Za-z0-9%]+", seg):
        fail("unencoded characters in the segment %r" % seg)
    once = urllib.parse.unquote(seg)
    twice = urllib.parse.unquote(once)
    if r["zoom"].replace("-", "") not in (once, twice):
        fail("segment %r does not decode to the id" % seg)
    return "segment %s" % short(seg, 40)


# ---------------------------------------------------------------------------
# Timing of the key comparison


def mann_whitney_z(a, b):
    """Normal approximation of the Mann-Whitney U statistic (ties averaged)."""
    allv = sorted([(v, 0) for v in a] + [(v, 1) for v in b])
    ranks = [0.0] * len(allv)
    i = 0
    while i < len(allv):
        j = i
        while j + 1 < len(allv) and allv[j + 1][0] == allv[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2.0 + 1
        i = j + 1
    ra = sum(r for r, (_, g) in zip(ranks, allv) if g == 0)
    n1, n2 = len(a), len(b)
    u = ra - n1 * (n1 + 1) / 2.0
    mu = n1 * n2 / 2.0
    sd = math.sqrt(n1 * n2 * (n1 + n2 + 1) / 12.0)
    return (u - mu) / sd


def timing_check(h, per_group):
    k = KEY
    n = len(k)

    def mutate(prefix):        # same length, first difference at prefix
        c = k[prefix:prefix + 1]
        return k[:prefix] + (b"#" if c != b"#" else b"%") + \
            (b"#" * (n - prefix - 1))
    groups = [("0 bytes match", mutate(0)),
              ("half matches", mutate(n // 2)),
              ("all but the last byte", mutate(n - 1))]
    for _, g in groups:
        if len(g) != n or g == k:
            raise RuntimeError("timing keys")
    base = {"GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": "POST",
            "REQUEST_URI": API_PATH, "SCRIPT_NAME": API_PATH,
            "DOCUMENT_URI": API_PATH, "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": "0", "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1"}
    msgs = [itest.FcgiConn.encode(dict(base,
                                       HTTP_AUTHORIZATION=b"Bearer " + g))
            for _, g in groups]
    conn = itest.FcgiConn(("127.0.0.1", h.rport))
    times = [[] for _ in groups]
    rnd = random.Random(4)
    order = list(range(len(groups)))
    try:
        for _ in range(50):                 # warm-up
            for i in order:
                conn.roundtrip(msgs[i])
        for _ in range(per_group):
            rnd.shuffle(order)
            for i in order:
                out, t = conn.roundtrip(msgs[i])
                if not out.startswith(b"Status: 401"):
                    fail("timing request %s: %r" % (groups[i][0],
                                                    short(out, 100)))
                times[i].append(t)
    finally:
        conn.close()
    meds = [statistics.median(t) for t in times]
    spread = (max(meds) - min(meds)) / min(meds)
    z = mann_whitney_z(times[0], times[2])
    print("key comparison timing: %d FastCGI requests per group, "
          "interleaved, one kept connection" % per_group)
    for (name, _), t, m in zip(groups, times, meds):
        q = statistics.quantiles(t, n=10)
        print("  %-24s median %7.1f us  p10 %7.1f us  p90 %7.1f us"
              % (name, m * 1e6, q[0] * 1e6, q[-1] * 1e6))
    print("  relative spread of the medians: %.2f %% (%.0f ns)"
          % (spread * 100, (max(meds) - min(meds)) * 1e9))
    print("  Mann-Whitney z (0 bytes vs all but the last): %+.2f "
          "(|z| < 3: no difference seen)" % z)
    # Loose: the figure is the evidence; this only catches a gross leak.
    if spread > 0.5:
        fail("medians differ by %.0f %%" % (spread * 100))
    return "spread %.2f %%, z %+.2f" % (spread * 100, z)


# ---------------------------------------------------------------------------
# Runner


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(itest.ROOT, "build",
                                                  "zoom-attendees"))
    ap.add_argument("--only", action="append", default=[],
                    help="rows whose group or name contains SUBSTR")
    ap.add_argument("--timing-requests", type=int, default=2000,
                    help="FastCGI requests per group in the timing check")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    rows = [r for r in ROWS if not a.only or any(
        s in r["group"] or s in r["name"] for s in a.only)]
    if a.list:
        for r in rows:
            print("%s: %s" % (r["group"], r["name"]))
        return 0
    if not os.access(a.bin, os.X_OK):
        print("no executable at %s (run make first)" % a.bin, file=sys.stderr)
        return 2

    def on_term(signum, frame):
        raise KeyboardInterrupt
    itest.signal.signal(itest.signal.SIGTERM, on_term)

    passed = failed = 0
    h = Hostile(os.path.abspath(a.bin), keep=a.keep)

    def outcome(name, fn, xfail=None):
        nonlocal passed, failed
        sys.stdout.write("%s... " % name)
        sys.stdout.flush()
        try:
            note = fn()
        except Failure as e:
            if xfail:
                passed += 1
                print("XFAIL (known bug: %s): %s" % (xfail, e))
                return
            failed += 1
            print("FAIL: %s" % e)
            return
        except Exception as e:
            failed += 1
            tb = traceback.extract_tb(e.__traceback__)[-1]
            print("FAIL: %s: %s (line %d)" % (type(e).__name__, e,
                                              tb.lineno))
            return
        passed += 1
        if xfail:
            print("XPASS (fixed? drop the xfail mark): %s" % xfail)
            return
        print("ok" + (" (%s)" % note if note else ""))

    try:
        h.start_standin()
        h.start_responder()
        h.start_nginx()
        if h.wait_healthy(5.0) is not True:
            raise RuntimeError("nginx -> responder healthz does not answer")
        # One real request: a token is cached, so a row that wrongly got
        # through would show as a participants call.
        r = h.attendees(SMALL, record=False)
        if r.status != 200:
            raise RuntimeError("warm-up request: %r" % r)
        logs = LogWatch(h)
        t0 = time.monotonic()
        for r in rows:
            outcome("%s: %s" % (r["group"], r["name"]),
                    lambda r=r: check_row(h, logs, r), r.get("xfail"))
            if h.responder.poll() is not None:
                print("the responder died (exit %s)" % h.responder.poll())
                failed += 1
                break
        took = time.monotonic() - t0

        def survived():
            if h.wait_healthy(3.0) is not True:
                fail("healthz fails")
            h.ctl("reset", {"tokens": False})
            itest.expect_ok(h.attendees(SMALL, record=False), SMALL,
                            "a real request after the table")
            logs.check("after the table")
            return "%d rows in %.1f s" % (len(rows), took)
        outcome("responder serves after the table", survived)
        if not a.only:
            outcome("key comparison timing",
                    lambda: timing_check(h, a.timing_requests))
            outcome("no secret in any log", lambda: whole_logs(h, logs))
    except KeyboardInterrupt:
        print("\ninterrupted")
        failed += 1
    except RuntimeError as e:
        print("setup failed: %s" % e)
        failed += 1
    finally:
        h.close()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def whole_logs(h, logs):
    logs.check("at the end")
    for p in (h.responder_log, h.notice_log):
        with open(p, "rb") as f:
            if traces_in(f.read()):
                fail("%s holds a secret" % os.path.basename(p))
    note = "notice-level nginx log and responder log clean"
    if logs.echoes:
        print("note: nginx at `info` level copied %d rejected header line(s) "
              "holding the key into its error log (nginx's own logging of "
              "duplicate/invalid/too long header lines; see SECURITY.md)"
              % logs.echoes)
        note += "; %d nginx info-level header echoes" % logs.echoes
    return note


if __name__ == "__main__":
    sys.exit(main())
