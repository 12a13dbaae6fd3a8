#!/usr/bin/env python3
"""A stand-in for the Notion API calls of the meeting-ended workflow.

    python3 tests/notion_standin.py --port 0 --port-file F [--token T]

Serves, on 127.0.0.1 only, in the shape of Notion's API version 2022-06-28:

  POST  /v1/databases/<database>/query   the pages whose rich_text (or title)
                                         property equals a value:
                                         {"filter": {"property": P,
                                          "rich_text": {"equals": V}},
                                          "page_size": N, "start_cursor": C}
  PATCH /v1/pages/<page>                 {"properties": {name: value, ...}}
                                         select, status, date, rich_text,
                                         title, email, url, number values

Every request needs "Authorization: Bearer <token>" (401 unauthorized) and
"Notion-Version: 2022-06-28" (400 missing_version without it, 400
validation_error for any other version). Errors have Notion's shape
{"object": "error", "status", "code", "message"}; every answer carries an
x-request-id header. Ids are accepted with or without dashes, as Notion's.

Pages are shaped like Notion's: {"object": "page", "id", "created_time",
"last_edited_time", "parent": {"type": "database_id", ...}, "archived",
"in_trash", "properties": {name: {"id", "type", <type>: value}}, "url"};
rich_text and title values are arrays of text pieces {"type": "text",
"text": {"content", "link": null}, "annotations": {...}, "plain_text",
"href": null}, a value may be split across several pieces; select and
status values are {"id", "name", "color"} or null; email a string or null.

A select accepts any option name (Notion creates the option); a status
only one of the database's status options (400 validation_error). Select
option names may not contain a comma (Notion's rule).

Control API for tests (never called by the responder):

  POST /_control/reset                   pages, faults, counters and the
                                         request log emptied; the default
                                         database (DEFAULT_SCHEMA) again
  POST /_control/database  {"id", "properties": {name: type},
                            "status_options": [names],
                            "select_options": [names]}
                                         define (or redefine) a database;
                                         "properties" omitted: the default
                                         schema; {"status_type": "status"}
                                         is a shortcut for the default
                                         schema with Status a status
  POST /_control/page      {"database": id (default DEFAULT_DATABASE),
                            "properties": {name: simple value},
                            "split_zoom_id": true, "pad_zoom_id": true,
                            "archived": false}
                                         a new page; simple values: a string
                                         (a list of strings: several rich
                                         text pieces) for title / rich_text,
                                         a name for select / status, an ISO
                                         time for date, a string for email
                                         / url, a number, or null.
                                         split_zoom_id cuts the Zoom id into
                                         two pieces after its 4th character
                                         ("8574", "6065432"); pad_zoom_id
                                         adds spaces around it. -> {"id"}
  POST /_control/page_update {"id", "properties": {...}, "archived"}
                                         change a page as a person would
                                         (not logged as a PATCH)
  GET  /_control/page?id=ID              the page, as Notion shows it
  GET  /_control/pages                   every page
  GET  /_control/stats                   {"query_calls", "patch_calls",
                                          "patches": [{"page", "properties",
                                          "t", "status"}], "requests":
                                          [{"method", "path", "t", "status",
                                          "notion_version", "content_type",
                                          "auth_ok", "body", "host",
                                          "t_done"}],
                                          "faults_pending": [...]}
  POST /_control/fault     {"target": "query"|"patch"|"any",
                            "status": 429|409|500|502|503|529|400|401|403|404,
                            "code": "rate_limited"|... (default: Notion's
                                    code for the status),
                            "message": text,
                            "retry_after": S (a Retry-After header),
                            "times": N (default 1, -1: forever),
                            "skip": N (let N matching requests through),
                            "page": ID (patch only: only that page),
                            "kind": "status" (default) | "sleep" (wait
                                    "seconds", then answer normally) |
                                    "not_json" | "close"}

Arrival times ("t", time.time() when the request line was read) let a test
check the client's pace: Notion allows an average of three requests per
second per connection. "t_done" is when the answer was sent (absent while
a request is in flight, e.g. in a "sleep" fault), and "host" the request's
Host header: callers configured with different NOTION_API_BASE spellings
(127.0.0.1 or localhost) can be told apart.
"""

import argparse
import datetime
import hashlib
import json
import os
import re
import socket
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NOTION_VERSION = "2022-06-28"
KNOWN_VERSIONS = ("2021-05-13", "2021-08-16", "2022-02-22", "2022-06-28",
                  "2025-09-03", "2026-03-11")
DEFAULT_TOKEN = "ntn_standin0notion0token"
DEFAULT_DATABASE = "5f1c8d2a-3b4e-4f60-9a7b-1c2d3e4f5a6b"
DEFAULT_SCHEMA = {
    "Name": "title",
    "Cal Booking UID": "rich_text",
    "Zoom Meet ID": "rich_text",
    "Coach Email": "email",
    "Client Email": "email",
    "Status": "select",
    "Checked At": "date",
}
# The status property's options when Status is of type status (Notion
# groups them as to do / in progress / complete; the stand-in keeps names).
DEFAULT_STATUS_OPTIONS = ["Not started", "In progress", "Completed",
                          "No Show", "Session Never Took Place",
                          "Coach No Show", "Rescheduled"]
DEFAULT_SELECT_OPTIONS = ["Scheduled", "Completed", "No Show",
                          "Session Never Took Place", "Coach No Show",
                          "Rescheduled"]
PROPERTY_TYPES = ("title", "rich_text", "select", "status", "date", "email",
                  "url", "number", "checkbox", "phone_number")
MAX_PAGE_SIZE = 100
MAX_BODY = 1 << 20
ZOOM_PROP = "Zoom Meet ID"

ERROR_CODES = {
    400: "validation_error",
    401: "unauthorized",
    403: "restricted_resource",
    404: "object_not_found",
    409: "conflict_error",
    429: "rate_limited",
    500: "internal_server_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
    529: "service_overload",
}
ERROR_MESSAGES = {
    "validation_error": "body failed validation.",
    "unauthorized": "API token is invalid.",
    "restricted_resource": "API token does not have access to this resource.",
    "object_not_found": "Could not find the object. Make sure the relevant "
                        "pages and databases are shared with your "
                        "integration.",
    "conflict_error": "Conflict occurred while saving. Please try again.",
    "rate_limited": "You have been rate limited. Please try again in a few "
                    "minutes.",
    "internal_server_error": "Unexpected error occurred.",
    "bad_gateway": "Bad gateway.",
    "service_unavailable": "Notion is unavailable, please try again later.",
    "gateway_timeout": "Notion timed out while processing the request.",
    "service_overload": "Notion is overloaded, please try again later.",
}
COLORS = ("default", "gray", "brown", "orange", "yellow", "green", "blue",
          "purple", "pink", "red")
ISO_DATE = re.compile(
    r"^\d{4}-\d{2}-\d{2}"
    r"(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$")


# ---------------------------------------------------------------------------
# Shapes


def iso_now(t=None):
    t = time.time() if t is None else t
    d = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (d.microsecond // 1000)


def norm_id(s):
    """A Notion id as the API accepts it: with or without dashes, any case.
    The canonical key, or None when it is not 32 hex digits."""
    h = s.replace("-", "").lower()
    if len(h) != 32 or any(c not in "0123456789abcdef" for c in h):
        return None
    return h


def dashed(h):
    return str(uuid.UUID(hex=h))


def prop_id(name):
    """A property's short id, as Notion gives them (url-encoded bytes)."""
    d = hashlib.sha256(name.encode()).digest()
    raw = "".join(chr(0x21 + b % 90) for b in d[:4])
    return urllib.parse.quote(raw, safe="")


def option(name):
    d = hashlib.sha256(("opt:" + name).encode()).digest()
    return {"id": str(uuid.UUID(bytes=d[:16])), "name": name,
            "color": COLORS[d[16] % len(COLORS)]}


def text_piece(s):
    return {"type": "text", "text": {"content": s, "link": None},
            "annotations": {"bold": False, "italic": False,
                            "strikethrough": False, "underline": False,
                            "code": False, "color": "default"},
            "plain_text": s, "href": None}


def plain(value):
    """The plain text of a rich_text / title value (all pieces)."""
    return "".join(p.get("plain_text", "") for p in value or [])


class Database:
    def __init__(self, db_id, properties, status_options=None,
                 select_options=None):
        self.id = db_id                         # normalised
        self.properties = dict(properties)      # name -> type
        self.status_options = list(status_options or DEFAULT_STATUS_OPTIONS)
        self.select_options = list(select_options or DEFAULT_SELECT_OPTIONS)
        self.created = time.time()


def simple_value(ptype, v, db, name, split=False, pad=False):
    """A property value in Notion's read shape from a test's simple form."""
    if ptype in ("title", "rich_text"):
        if v is None:
            pieces = []
        elif isinstance(v, list):
            pieces = [str(x) for x in v]
        else:
            s = str(v)
            pieces = [s[:4], s[4:]] if split and len(s) > 4 else [s]
            if pad:
                pieces[0] = "  " + pieces[0]
                pieces[-1] = pieces[-1] + " "
        return [text_piece(p) for p in pieces if p != ""]
    if ptype == "select":
        if v is None:
            return None
        if v not in db.select_options:
            db.select_options.append(v)
        return option(v)
    if ptype == "status":
        if v is None:
            # A status property always has a value: its default option.
            v = db.status_options[0]
        return option(v)
    if ptype == "date":
        return None if v is None else {"start": v, "end": None,
                                       "time_zone": None}
    if ptype == "checkbox":
        return bool(v)
    return v


class Page:
    def __init__(self, db, props_simple, split=False, pad=False,
                 archived=False):
        self.id = uuid.uuid4().hex
        self.db = db
        self.created = time.time()
        self.edited = self.created
        self.archived = archived
        self.values = {}
        for name, ptype in db.properties.items():
            v = props_simple.get(name)
            self.values[name] = simple_value(
                ptype, v, db, name, split and name == ZOOM_PROP,
                pad and name == ZOOM_PROP)

    def obj(self):
        props = {}
        for name, ptype in self.db.properties.items():
            if name in self.values:
                v = self.values[name]
            else:       # a property added to the database since
                v = simple_value(ptype, None, self.db, name)
            props[name] = {"id": "title" if ptype == "title" else
                           prop_id(name), "type": ptype, ptype: v}
        user = {"object": "user",
                "id": "6a1f0c55-2d3e-4b6a-8f11-0e9d8c7b6a5f"}
        return {
            "object": "page",
            "id": dashed(self.id),
            "created_time": iso_now(self.created)[:17] + "00.000Z",
            "last_edited_time": iso_now(self.edited)[:17] + "00.000Z",
            "created_by": user,
            "last_edited_by": user,
            "cover": None,
            "icon": None,
            "parent": {"type": "database_id",
                       "database_id": dashed(self.db.id)},
            "archived": self.archived,
            "in_trash": self.archived,
            "properties": props,
            "url": "https://www.notion.so/Session-%s" % self.id,
            "public_url": None,
        }


def check_value(db, name, ptype, value):
    """Why a PATCH value for property name (of type ptype) is refused, as
    Notion words it; None when it is fine. Returns (error, new value)."""
    if not isinstance(value, dict):
        return "body.properties.%s should be an object" % name, None
    keys = set(value) - {"type", "id"}
    if value.get("type", ptype) != ptype or keys != {ptype}:
        return ("body.properties.%s.%s should be defined, instead was "
                "`undefined`." % (name, ptype)), None
    v = value[ptype]
    if ptype in ("select", "status"):
        if v is None:
            if ptype == "status":
                return "Status cannot be cleared.", None
            return None, None
        if not isinstance(v, dict) or not (
                isinstance(v.get("name"), str) or isinstance(v.get("id"),
                                                             str)):
            return ("body.properties.%s.%s.name should be a string" %
                    (name, ptype)), None
        if set(v) - {"name", "id", "color"}:
            return ("body.properties.%s.%s has unknown members" %
                    (name, ptype)), None
        opt_name = v.get("name")
        if opt_name is None:
            found = [o for o in (db.status_options if ptype == "status"
                                 else db.select_options)
                     if option(o)["id"] == v["id"]]
            if not found:
                return "Invalid option id %s for %s." % (v["id"], name), None
            opt_name = found[0]
        if not opt_name.strip() or len(opt_name) > 100:
            return ("body.properties.%s.%s.name should be a non-empty "
                    "string of at most 100 characters" % (name, ptype)), None
        if ptype == "status":
            if opt_name not in db.status_options:
                return ("Invalid status option. Status option \"%s\" does "
                        "not exist\"." % opt_name), None
        else:
            if "," in opt_name:
                return ("Invalid select option, commas not allowed: %s" %
                        opt_name), None
            if opt_name not in db.select_options:
                db.select_options.append(opt_name)
        return None, option(opt_name)
    if ptype == "date":
        if v is None:
            return None, None
        if not isinstance(v, dict) or not isinstance(v.get("start"), str) \
                or not ISO_DATE.match(v["start"]):
            return ("body.properties.%s.date.start should be a valid ISO "
                    "8601 date string" % name), None
        if set(v) - {"start", "end", "time_zone"}:
            return "body.properties.%s.date has unknown members" % name, None
        return None, {"start": v["start"], "end": v.get("end"),
                      "time_zone": v.get("time_zone")}
    if ptype in ("title", "rich_text"):
        if not isinstance(v, list):
            return "body.properties.%s.%s should be an array" % (
                name, ptype), None
        out = []
        for p in v:
            if not isinstance(p, dict) or not isinstance(
                    (p.get("text") or {}).get("content"), str):
                return "body.properties.%s.%s[].text.content should be " \
                       "a string" % (name, ptype), None
            out.append(text_piece(p["text"]["content"]))
        return None, out
    if ptype in ("email", "url", "phone_number"):
        if v is not None and not isinstance(v, str):
            return "body.properties.%s.%s should be a string" % (
                name, ptype), None
        return None, v
    if ptype == "number":
        if v is not None and (isinstance(v, bool) or
                              not isinstance(v, (int, float))):
            return "body.properties.%s.number should be a number" % name, None
        return None, v
    if ptype == "checkbox":
        if not isinstance(v, bool):
            return "body.properties.%s.checkbox should be a boolean" % \
                name, None
        return None, v
    return "unsupported property type", None


# ---------------------------------------------------------------------------
# State


class State:
    def __init__(self, token):
        self.token = token
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.databases = {}
            db = Database(norm_id(DEFAULT_DATABASE), DEFAULT_SCHEMA)
            self.databases[db.id] = db
            self.pages = {}             # id -> Page, in creation order
            self.faults = []
            self.requests = []
            self.patches = []
            self.query_calls = 0
            self.patch_calls = 0

    def take_fault(self, target, page=None):
        with self.lock:
            for f in self.faults:
                if f["target"] not in (target, "any") or f["times"] == 0:
                    continue
                if f.get("page") is not None and \
                        norm_id(str(f["page"])) != page:
                    continue
                if f.get("skip", 0) > 0:
                    f["skip"] -= 1
                    return None
                if f["times"] > 0:
                    f["times"] -= 1
                return dict(f)
        return None


# ---------------------------------------------------------------------------
# HTTP


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "NotionStandin/1.0"
    sys_version = ""
    state = None
    verbose = False

    def log_message(self, fmt, *args):
        if self.verbose:
            sys.stderr.write("notion-standin: %s\n" % (fmt % args))

    def send_json(self, status, body, headers=None):
        data = json.dumps(body, ensure_ascii=False,
                          separators=(",", ":")).encode()
        self.send_raw(status, data, "application/json; charset=utf-8",
                      headers)

    def send_raw(self, status, data, ctype, headers=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-request-id", str(uuid.uuid4()))
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()
        if self.entry is not None:
            self.entry["status"] = status
            self.entry["t_done"] = time.time()

    def error(self, status, code=None, message=None, headers=None):
        code = code or ERROR_CODES.get(status, "internal_server_error")
        self.send_json(status, {
            "object": "error", "status": status, "code": code,
            "message": message or ERROR_MESSAGES.get(code, code),
            "request_id": str(uuid.uuid4())}, headers)

    def do_GET(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_PATCH(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    def do_DELETE(self):
        self.dispatch()

    def dispatch(self):
        self.entry = None
        t = time.time()
        try:
            n = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            n = -1
        if n < 0 or n > MAX_BODY:
            self.close_connection = True
            return self.error(413, "validation_error", "Request too large.")
        body = self.rfile.read(n) if n else b""
        url = urllib.parse.urlsplit(self.path)
        try:
            if url.path.startswith("/_control/"):
                return self.control(url, body)
            self.api(url, body, t)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # -- the API ------------------------------------------------------------

    def api(self, url, body, t):
        st = self.state
        auth = self.headers.get("Authorization", "")
        entry = {"method": self.command, "path": self.path, "t": t,
                 "notion_version": self.headers.get("Notion-Version"),
                 "content_type": self.headers.get("Content-Type"),
                 "auth_ok": auth == "Bearer " + st.token,
                 "body": body.decode("utf-8", "replace")[:4000],
                 "conn": self.client_address[1],
                 "host": self.headers.get("Host")}
        self.entry = entry
        parts = url.path.split("/")
        target = None
        if len(parts) == 5 and parts[1] == "v1" and parts[2] == "databases" \
                and parts[4] == "query":
            target = "query"
        elif len(parts) == 4 and parts[1] == "v1" and parts[2] == "pages":
            target = "patch"
        entry["target"] = target
        with st.lock:
            st.requests.append(entry)
            if target == "query":
                st.query_calls += 1
            elif target == "patch" and self.command == "PATCH":
                st.patch_calls += 1
        if target is None:
            return self.error(400, "invalid_request_url",
                              "Invalid request URL.")
        want = "POST" if target == "query" else "PATCH"
        if self.command != want:
            return self.error(405, "invalid_request",
                              "Unsupported request: %s." % self.command)
        if not entry["auth_ok"]:
            return self.error(401, "unauthorized", "API token is invalid.")
        ver = self.headers.get("Notion-Version")
        if ver is None:
            return self.error(400, "missing_version",
                              "Notion-Version header failed validation: "
                              "Notion-Version header should be defined, "
                              "instead was `undefined`.")
        if ver != NOTION_VERSION:
            return self.error(400, "validation_error",
                              "Notion-Version header failed validation: "
                              "this stand-in serves %s only, got `%s`."
                              % (NOTION_VERSION, ver[:40]))
        page_key = norm_id(parts[3]) if target == "patch" else None
        fault = st.take_fault(target, page_key)
        if fault is not None:
            entry["fault"] = fault.get("kind", "status")
            if self.apply_fault(fault):
                return
        try:
            args = json.loads(body.decode("utf-8")) if body else {}
        except (ValueError, UnicodeDecodeError):
            return self.error(400, "invalid_json",
                              "Error parsing JSON body.")
        if not isinstance(args, dict):
            return self.error(400, "validation_error",
                              "body failed validation: body should be an "
                              "object, instead was `%s`." % type(args).__name__)
        if target == "query":
            return self.query(parts[3], args)
        return self.patch(parts[3], args, t)

    def apply_fault(self, f):
        """Answer for a fault; True when the request is answered."""
        kind = f.get("kind", "status")
        if kind == "sleep":
            time.sleep(float(f.get("seconds", 5)))
            return False
        if kind == "close":
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.close_connection = True
            self.entry["status"] = 0
            return True
        if kind == "not_json":
            self.send_raw(int(f.get("status", 502)),
                          b"<html><body>502 Bad Gateway</body></html>\n",
                          "text/html")
            return True
        status = int(f.get("status", 500))
        headers = {}
        if f.get("retry_after") is not None:
            headers["Retry-After"] = f["retry_after"]
        code = f.get("code") or ERROR_CODES.get(status, "internal_server_error")
        body = {"object": "error", "status": status, "code": code,
                "message": f.get("message") or ERROR_MESSAGES.get(code, code),
                "request_id": str(uuid.uuid4())}
        if code == "rate_limited":
            body["additional_data"] = {"rate_limit_reason":
                                       f.get("reason", "integration_limit")}
        self.send_json(status, body, headers)
        return True

    def query(self, db_seg, args):
        st = self.state
        dbk = norm_id(db_seg)
        with st.lock:
            db = st.databases.get(dbk) if dbk else None
        if db is None:
            return self.error(404, "object_not_found",
                              "Could not find database with ID: %s. Make "
                              "sure the relevant pages and databases are "
                              "shared with your integration."
                              % urllib.parse.unquote(db_seg)[:80])
        unknown = set(args) - {"filter", "sorts", "start_cursor", "page_size",
                               "filter_properties", "archived", "in_trash"}
        if unknown:
            return self.error(400, "validation_error",
                              "body failed validation: %s should be not "
                              "present." % sorted(unknown)[0])
        size = args.get("page_size", MAX_PAGE_SIZE)
        if isinstance(size, bool) or not isinstance(size, int) or \
                not 1 <= size <= MAX_PAGE_SIZE:
            return self.error(400, "validation_error",
                              "body failed validation: body.page_size should "
                              "be a number between 1 and 100.")
        flt = args.get("filter")
        match = lambda p: True   # noqa: E731
        if flt is not None:
            if not isinstance(flt, dict) or not isinstance(
                    flt.get("property"), str):
                return self.error(400, "validation_error",
                                  "body failed validation: body.filter "
                                  "should be a property filter.")
            name = flt["property"]
            ptype = db.properties.get(name)
            if ptype is None:
                return self.error(400, "validation_error",
                                  "Could not find property with name or id: "
                                  "%s" % name)
            kinds = set(flt) - {"property", "type"}
            if len(kinds) != 1:
                return self.error(400, "validation_error",
                                  "body failed validation: body.filter should "
                                  "have one condition.")
            kind = kinds.pop()
            if kind not in ("rich_text", "title") or (
                    ptype not in ("rich_text", "title")):
                return self.error(400, "validation_error",
                                  "database property %s does not match "
                                  "filter %s" % (ptype, kind))
            cond = flt[kind]
            if not isinstance(cond, dict) or list(cond) != ["equals"] or \
                    not isinstance(cond["equals"], str):
                return self.error(400, "validation_error",
                                  "body failed validation: body.filter.%s "
                                  "should be {\"equals\": string}" % kind)
            want = cond["equals"]
            match = lambda p: plain(p.values.get(name)) == want  # noqa: E731
        with st.lock:
            found = [p for p in st.pages.values()
                     if p.db is db and not p.archived and match(p)]
            start = 0
            cur = args.get("start_cursor")
            if cur is not None:
                ids = [p.id for p in found]
                ck = norm_id(cur) if isinstance(cur, str) else None
                if ck not in ids:
                    return self.error(400, "validation_error",
                                      "start_cursor is invalid.")
                start = ids.index(ck)
            chunk = found[start:start + size]
            more = start + size < len(found)
            objs = [p.obj() for p in chunk]
        self.send_json(200, {
            "object": "list", "results": objs,
            "next_cursor": dashed(found[start + size].id) if more else None,
            "has_more": more, "type": "page_or_database",
            "page_or_database": {}, "request_id": str(uuid.uuid4())})

    def patch(self, page_seg, args, t):
        st = self.state
        pk = norm_id(page_seg)
        with st.lock:
            page = st.pages.get(pk) if pk else None
        if page is None:
            return self.error(404, "object_not_found",
                              "Could not find page with ID: %s. Make sure the "
                              "relevant pages and databases are shared with "
                              "your integration."
                              % urllib.parse.unquote(page_seg)[:80])
        unknown = set(args) - {"properties", "archived", "in_trash", "icon",
                               "cover"}
        if unknown:
            return self.error(400, "validation_error",
                              "body failed validation: %s should be not "
                              "present." % sorted(unknown)[0])
        props = args.get("properties", {})
        if not isinstance(props, dict):
            return self.error(400, "validation_error",
                              "body failed validation: body.properties "
                              "should be an object.")
        why = None
        with st.lock:
            if page.archived:
                why = ("Can't edit block that is archived. You must "
                       "unarchive the block before editing.")
            updates = {}
            for name, value in props.items():
                if why:
                    break
                ptype = page.db.properties.get(name)
                if ptype is None:
                    why = "%s is not a property that exists." % name
                    break
                why, new = check_value(page.db, name, ptype, value)
                updates[name] = new
            if why is None:
                page.values.update(updates)
                page.edited = time.time()
                st.patches.append({"page": dashed(page.id),
                                   "properties": props, "t": t,
                                   "status": 200})
                obj = page.obj()
        if why:
            return self.error(400, "validation_error", why)
        self.send_json(200, obj)

    # -- control API --------------------------------------------------------

    def control(self, url, body):
        st = self.state
        try:
            args = json.loads(body) if body.strip() else {}
        except ValueError:
            return self.send_json(400, {"error": "bad json"})
        what = url.path[len("/_control/"):]
        q = urllib.parse.parse_qs(url.query)
        if what == "reset" and self.command == "POST":
            st.reset()
            return self.send_json(200, {"ok": True,
                                        "database": DEFAULT_DATABASE})
        if what == "database" and self.command == "POST":
            dbk = norm_id(str(args.get("id", DEFAULT_DATABASE)))
            if dbk is None:
                return self.send_json(400, {"error": "id: 32 hex digits"})
            props = args.get("properties")
            if props is None:
                props = dict(DEFAULT_SCHEMA)
                if args.get("status_type"):
                    props["Status"] = args["status_type"]
            bad = [k for k, v in props.items() if v not in PROPERTY_TYPES]
            if bad or list(props.values()).count("title") != 1:
                return self.send_json(400, {
                    "error": "properties: name -> one of %s, exactly one "
                             "title" % ", ".join(PROPERTY_TYPES)})
            with st.lock:
                old = st.databases.get(dbk)
                db = Database(dbk, props, args.get("status_options"),
                              args.get("select_options"))
                st.databases[dbk] = db
                # Pages of a redefined database keep their values by name.
                for p in st.pages.values():
                    if p.db is old:
                        p.db = db
            return self.send_json(200, {"id": dashed(dbk)})
        if what == "page" and self.command == "POST":
            dbk = norm_id(str(args.get("database", DEFAULT_DATABASE)))
            with st.lock:
                db = st.databases.get(dbk)
                if db is None:
                    return self.send_json(404, {"error": "no such database"})
                props = args.get("properties", {})
                bad = [k for k in props if k not in db.properties]
                if bad:
                    return self.send_json(400, {"error": "unknown property "
                                                "%s" % bad[0]})
                p = Page(db, props, bool(args.get("split_zoom_id")),
                         bool(args.get("pad_zoom_id")),
                         bool(args.get("archived")))
                st.pages[p.id] = p
            return self.send_json(200, {"id": dashed(p.id)})
        if what == "page_update" and self.command == "POST":
            pk = norm_id(str(args.get("id", "")))
            with st.lock:
                p = st.pages.get(pk)
                if p is None:
                    return self.send_json(404, {"error": "no such page"})
                for name, v in args.get("properties", {}).items():
                    ptype = p.db.properties.get(name)
                    if ptype is None:
                        return self.send_json(400, {"error": "unknown "
                                                    "property %s" % name})
                    p.values[name] = simple_value(ptype, v, p.db, name)
                if "archived" in args:
                    p.archived = bool(args["archived"])
                p.edited = time.time()
                obj = p.obj()
            return self.send_json(200, obj)
        if what == "page":
            pk = norm_id(q.get("id", [""])[0])
            with st.lock:
                p = st.pages.get(pk)
                obj = p.obj() if p else None
            if obj is None:
                return self.send_json(404, {"error": "no such page"})
            return self.send_json(200, obj)
        if what == "pages":
            with st.lock:
                objs = [p.obj() for p in st.pages.values()]
            return self.send_json(200, {"pages": objs})
        if what == "stats":
            with st.lock:
                out = {"query_calls": st.query_calls,
                       "patch_calls": st.patch_calls,
                       "patches": [dict(x) for x in st.patches],
                       "requests": [dict(x) for x in st.requests],
                       "faults_pending": [dict(f) for f in st.faults
                                          if f["times"] != 0]}
            return self.send_json(200, out)
        if what == "fault" and self.command == "POST":
            f = dict(args)
            if f.get("target") not in ("query", "patch", "any") or \
                    f.get("kind", "status") not in ("status", "sleep",
                                                    "not_json", "close"):
                return self.send_json(400, {
                    "error": "target: query, patch or any; kind: status, "
                             "sleep, not_json or close"})
            f.setdefault("times", 1)
            f.setdefault("skip", 0)
            with st.lock:
                st.faults.append(f)
            return self.send_json(200, {"ok": True})
        return self.send_json(404, {"error": "unknown control call"})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0,
                    help="TCP port on 127.0.0.1 (0: pick a free one)")
    ap.add_argument("--port-file", help="write the port here once listening")
    ap.add_argument("--token", default=DEFAULT_TOKEN,
                    help="the integration token callers must present")
    ap.add_argument("--token-file",
                    help="read the token from this file instead")
    ap.add_argument("--verbose", action="store_true",
                    help="log every request on stderr")
    a = ap.parse_args(argv)
    token = a.token
    if a.token_file:
        with open(a.token_file) as f:
            token = f.read().rstrip("\n")
    Handler.state = State(token)
    Handler.verbose = a.verbose
    srv = Server(("127.0.0.1", a.port), Handler)
    port = srv.server_address[1]
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, a.port_file)
    if a.verbose:
        sys.stderr.write("notion-standin: listening on 127.0.0.1:%d\n" % port)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
