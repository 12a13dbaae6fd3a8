#!/usr/bin/env python3
"""A stand-in for the Zoom endpoints zoom-attendees talks to.

    python3 tests/zoom_standin.py --port 0 --port-file F [mode flags]

Serves, on 127.0.0.1 only:

  POST /oauth/token                                  Server-to-Server OAuth
  GET  /v2/past_meetings/<segment>/participants      one page of participants
  GET  /v2/past_meetings/<segment>                   the past meeting's record
                                                     (host's user_email,
                                                     participants_count,
                                                     start_time, end_time,
                                                     duration, ...)
  GET  /v2/past_meetings/<segment>/instances         the ended occurrences of
                                                     a meeting (numeric id):
                                                     {"meetings": [{"uuid",
                                                     "start_time"}, ...]}

and a control API for tests (never called by the responder):

  POST /_control/reset    {"tokens": true}   counters, faults, request log,
                                             answers kept, modes (back to
                                             the command line's), the clock
                                             and (unless "tokens": false)
                                             tokens
  GET  /_control/stats                       {"token_calls", "participants_calls",
                                              "meeting_calls", "instances_calls",
                                              "requests": [...], ...} (below)
  POST /_control/fault    {"target": "token"|"participants"|"meeting"|
                                     "instances", "kind": K,
                           "times": N (default 1, -1 = forever),
                           "skip": N (let N matching requests through first),
                           "meeting": M (only requests of those three
                                         targets for meeting id or UUID M),
                           ...kind-specific fields}
  POST /_control/mode     {name: value, ...}  change modes (MODES below);
                                             answers every mode's value
  POST /_control/clock    {"advance": S}     move the stand-in's clock S
                                             seconds on (tokens expire by it)
  POST /_control/revoke                      invalidate every issued token now
  GET  /_control/dataset?meeting=ID          the participants of a meeting,
                                             its "record" (or null) and its
                                             "instances" (or null)
  GET  /_control/sent[?target=T]             the bodies of the last answers
                                             of the Zoom REST endpoints
                                             (participants, meeting,
                                             instances) exactly as sent,
                                             before any content coding:
                                             {"answers": [{"seq", "target",
                                             "path", "status", "body_b64"}]}
                                             (the last SENT_KEPT; oldest
                                             first). Each request entry in
                                             stats names its answer's "seq".

A meeting Zoom only "finds" after N attempts (it has just ended, and Zoom
lists it a few minutes later): a fault {"target": "participants", "kind":
"zoom_error", "code": 3001, "status": 404, "times": N, "meeting": M}.

Behaviour follows what Zoom is documented and observed to do (see the
project's notes on the Zoom API): token errors use the OAuth shape
{"reason","error"}, REST errors {"code","message"}; every answer carries an
x-zm-trackingid header; the meeting path segment is matched RAW, so a UUID
sent with the wrong percent-encoding gets 404 code 3001 as it would from Zoom.
Access tokens expire expires_in seconds after they were issued, by the
stand-in's clock (the real one, plus what /_control/clock added): Zoom then
answers 401 code 124 "Access token is expired.". Answers are compressed
when the request's Accept-Encoding allows gzip or deflate, as Zoom's are.

Modes (command-line flags set the values /_control/reset comes back to):

  chunked       answers of the REST endpoints (participants, meeting,
                instances) with Transfer-Encoding: chunked, in several
                chunks of at most chunk_size bytes (--chunked)
  compress      "auto" (gzip, else deflate, when Accept-Encoding allows),
                "gzip", "deflate" (only that one), or "off" (--compress)
  silent_close  after each answer of a Zoom endpoint, close the connection
                although the answer promised to keep it (no Connection:
                close): the client finds it dead when it next uses it
                (--silent-close)
  close_kept    a request that arrives on a kept connection (one that
                already carried an answer) gets no answer: the connection
                is closed under it, as when a server's keep-alive timeout
                races the client's next request (--close-kept)
  jwt           access tokens shaped like Zoom's JWTs, about jwt_length
                characters, three base64url pieces joined by dots; the
                signature begins with "standin-token-N-", as the short
                tokens do, so a secret scan finds both (--jwt-tokens)
  expires_in    the lifetime the token endpoint gives (--expires-in)

Stats, besides the calls and the request log: "expired_token_401s" and
"invalid_token_401s" (401 code 124 answers for an expired and for an
unknown token), "tokens_issued" (seq, issued/expires_at by the stand-in's
clock, expires_in, length), "meeting_calls" and "instances_calls" (the
two endpoints the attendance verdict uses), "participants_wire_bytes"
(bytes written for participants answers: status line, headers, body as
sent) and
"participants_identity_bytes" (the same bodies uncompressed). Each request
in "requests" also has "accept_encoding", "asked_compression" (it accepts
a coding other than identity), "conn_request" (1 for the first request on
its connection), and once answered: "status", "content_encoding",
"chunks" (0: Content-Length), "body_bytes" (uncompressed), "wire_bytes",
and "dropped" when close_kept closed the connection instead.

Fault kinds live in FAULTS below: one function per kind, so adding one is
adding a function and a table entry.
"""

import argparse
import base64
import datetime
import hashlib
import json
import os
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse
import uuid
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SCOPES = ("meeting:read:list_past_participants:admin "
          "meeting:read:list_past_participants")
MAX_PAGE_SIZE = 300
DEFAULT_PAGE_SIZE = 30
TOKEN_LIFETIME = 3600           # seconds, as Zoom's expires_in
REST_TARGETS = ("participants", "meeting", "instances")
FAULT_TARGETS = ("token",) + REST_TARGETS
SENT_KEPT = 256                 # answers kept for /_control/sent

# How answers are sent (see "Modes" above); the command line may change
# these starting values.
MODES = {
    "chunked": False,
    "chunk_size": 512,
    "compress": "auto",
    "silent_close": False,
    "close_kept": False,
    "jwt": False,
    "jwt_length": 1100,
    "expires_in": TOKEN_LIFETIME,
}
COMPRESS_CHOICES = ("auto", "gzip", "deflate", "off")

# ---------------------------------------------------------------------------
# Dataset


def _ts(base, minutes):
    t = base + datetime.timedelta(minutes=minutes)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _row(i, name, email, uid, join_min, leave_min, base, **extra):
    row = {
        "id": uid,
        "user_id": str(16778240 + i),
        "name": name,
        "user_email": email,
        "join_time": _ts(base, join_min),
        "leave_time": _ts(base, leave_min),
        "duration": (leave_min - join_min) * 60,
        "failover": False,
        "status": "in_meeting",
        "registrant_id": "",
    }
    row.update(extra)
    return row


def _small_meeting():
    base = datetime.datetime(2025, 3, 4, 15, 0, 0)
    return [
        _row(0, "Ada Lovelace", "ada@example.com", "xUIdg2zBRYy0fJ8n6lJ4Pw",
             0, 31, base, internal_user=True),
        # A guest: no Zoom account, so no id and an empty e-mail.
        _row(1, "Guest Caller (iPhone)", "", "", 2, 58, base,
             internal_user=False),
        # The same person twice: dropped out, came back (one row per join).
        _row(2, "José \"Pepe\" Müller", "jose.muller@example.org",
             "k2PTu8v9Qp-2xBqM0cYr1g", 1, 20, base, internal_user=False),
        _row(3, "José \"Pepe\" Müller", "jose.muller@example.org",
             "k2PTu8v9Qp-2xBqM0cYr1g", 22, 60, base, failover=True,
             internal_user=False),
    ]


def _big_meeting(n):
    base = datetime.datetime(2025, 2, 11, 9, 0, 0)
    rows = []
    for i in range(n):
        guest = i % 7 == 3
        name = "Participant %03d" % i
        if i % 50 == 0:
            name += " \u2603 <b>&amp; \\ \u00e9"  # escapes and non-ASCII
        rows.append(_row(
            i, name,
            "" if guest else "p%03d@example.com" % i,
            "" if guest else base64.urlsafe_b64encode(
                hashlib.sha256(b"u%d" % i).digest()[:16]).decode().rstrip("="),
            i % 30, 60 + i % 45, base,
            status="in_waiting_room" if i % 97 == 5 else "in_meeting",
            registrant_id="" if i % 4 else "reg-%06d" % i))
    return rows


def _uuid_meeting(tag, n):
    base = datetime.datetime(2025, 1, 20, 18, 30, 0)
    return [_row(i, "%s attendee %d" % (tag, i), "%s%d@example.net" % (tag, i),
                 "", i, 40 + i, base) for i in range(n)]


# -- Attendance (issue 13): meetings whose rows each show one rule of the
# verdict, meetings without rows and what their records say, and a
# recurring meeting. The people: the coach (an account user, so Zoom gives
# an email and an id), the client (with an email, or a guest: Zoom hides a
# guest's email and gives no id), and others.

ATT_BASE = datetime.datetime(2026, 11, 20, 10, 0, 0)   # 2026-11-20T10:00:00Z
COACH_EMAIL = "coach@example.com"
COACH_NAME = "Ada Lovelace"
COACH_ID = "CoAcHuSeR0000aDaLoVe1A"
CLIENT_EMAIL = "client@example.org"
CLIENT_NAME = "Grace Hopper"
CLIENT_ID = "cLiEnTuSeR000gRaCeH0pA"

# name -> meeting id. Every one has rows, a record and, numeric, one
# instance (itself), unless said otherwise below.
ATT = {
    "rejoin": "81100000001",        # both dropped and came back
    "devices": "81100000002",       # the coach on a laptop and a phone
    "failover": "81100000003",      # a failover row overlapping the first
    "waiting": "81100000004",       # the client never left the waiting room
    "guest": "81100000005",         # the client a guest: no email, by name
    "device_tags": "81100000006",    # device-tagged and Unicode names
    "ambiguous": "81100000007",     # two persons called Sam Lee
    "coach_absent": "81100000008",  # only the client (and an assistant)
    "strangers": "81100000009",     # neither of them, others came
    "short": "81100000010",         # the client stayed 60 s
    "decomposed": "81100000011",    # a guest's name in NFD, first letter
                                    # and all (E + U+0301), as some
                                    # devices send it
    # No rows at all (Zoom lists none for a person alone, or none yet):
    "alone": "81200000001",         # record: 1 participant, the coach hosts
    "never": "81200000002",         # no record either (404 code 3001)
    "not_ready": "81200000003",     # record: 3 participants, rows not yet
    # A recurring meeting: 3 ended occurrences, each with its own UUID
    # and rows; its numeric id gives the latest (Zoom's rule).
    "recurring": "81300000001",
}

# The recurring meeting's occurrences, oldest first: UUID, start, the
# verdict its rows give for coach and client. The UUIDs take each of
# Zoom's encoding rules: a leading '/' and a "//" are encoded twice, the
# third (with a '+') once.
RECURRING = [
    ("/ReCuRr1nG0ccUrReNcE1A==", datetime.datetime(2026, 11, 6, 10, 0, 0)),
    ("rEcUrR1nG//0ccUrReNcE2==", datetime.datetime(2026, 11, 13, 10, 0, 0)),
    ("ReCuRr1nG0cc+UrReNcE3w==", datetime.datetime(2026, 11, 20, 10, 0, 0)),
]


def _coach(i, join, leave, base=ATT_BASE, **kw):
    kw.setdefault("internal_user", True)
    return _row(i, kw.pop("name", COACH_NAME), kw.pop("email", COACH_EMAIL),
                kw.pop("id", COACH_ID), join, leave, base, **kw)


def _client(i, join, leave, base=ATT_BASE, **kw):
    kw.setdefault("internal_user", False)
    return _row(i, kw.pop("name", CLIENT_NAME), kw.pop("email", CLIENT_EMAIL),
                kw.pop("id", CLIENT_ID), join, leave, base, **kw)


def _guest(i, name, join, leave, base=ATT_BASE, **kw):
    """Someone outside the account: no email, no id."""
    kw.setdefault("internal_user", False)
    return _row(i, name, "", "", join, leave, base, **kw)


def _attendance_meetings():
    """name -> rows (the order is the order of Zoom's answer)."""
    waiting = {"status": "in_waiting_room"}
    return {
        "rejoin": [
            _coach(0, 0, 10), _client(1, 1, 20),
            _coach(2, 12, 30), _client(3, 22, 30)],
        "devices": [
            _coach(0, 0, 30), _client(1, 0, 30),
            # The phone: same account (email), no id, a device tag.
            _coach(2, 5, 20, name=COACH_NAME + " (iPhone)",
                   email="Coach@Example.COM", id="")],
        "failover": [
            _coach(0, 0, 25), _guest(1, CLIENT_NAME, 0, 40),
            _coach(2, 24, 40, failover=True)],
        "waiting": [
            _coach(0, 0, 55), _guest(1, CLIENT_NAME, 0, 15, **waiting)],
        "guest": [
            _coach(0, 0, 30),
            _guest(1, CLIENT_NAME, 0, 2, **waiting),
            _guest(2, CLIENT_NAME, 2, 28)],
        "device_tags": [
            _guest(0, "Grace Hopper (iPhone)", 0, 10),
            _guest(1, "  grace   HOPPER - Android", 10, 20),
            _coach(2, 0, 30),
            _guest(3, "Grace Hopper", 25, 30),
            _guest(4, "Grace Hopper (Sales)", 0, 30),       # someone else
            _guest(5, "JOS\u00c9 M\u00dcLLER (iPad)", 0, 10),
            # decomposed: e + U+0301, u + U+0308
            _guest(6, "Jose\u0301 Mu\u0308ller", 10, 20)],
        "ambiguous": [
            _coach(0, 0, 30),
            _row(1, "Sam Lee", "sam1@example.com", "", 0, 30, ATT_BASE),
            _row(2, "sam lee (iPhone)", "sam2@example.com", "", 0, 30,
                 ATT_BASE)],
        "coach_absent": [
            _client(0, 0, 30),
            _row(1, "Assistant", "assistant@example.com", "", 0, 5,
                 ATT_BASE)],
        "strangers": [
            _row(0, "Assistant", "assistant@example.com", "", 0, 5,
                 ATT_BASE),
            _guest(1, "Someone Else", 1, 9)],
        "short": [_coach(0, 0, 30), _client(1, 10, 11)],
        "decomposed": [
            _coach(0, 0, 30), _guest(1, "E\u0301milie Dubois", 0, 30),
            _guest(2, "Noe\u0308l Martin", 5, 25)],
        "alone": [], "never": [], "not_ready": [],
    }


def _recurring_rows():
    """UUID -> rows: the first occurrence had both, the second the coach
    alone (with a stranger), the third the client alone."""
    (u1, b1), (u2, b2), (u3, b3) = RECURRING
    return {
        u1: [_coach(0, 0, 30, base=b1), _client(1, 2, 30, base=b1)],
        u2: [_coach(0, 0, 30, base=b2), _guest(1, "Someone Else", 0, 5,
                                                base=b2)],
        u3: [_client(0, 0, 30, base=b3)],
    }


def build_dataset():
    """meeting id or UUID (as the caller types it) -> participant rows."""
    data = {
        "85746065432": _small_meeting(),
        "11122233344": _big_meeting(650),
        "99988877766": [],        # one-person meeting: Zoom returns no rows
        "/ajXp112QmuoKj4854875==": _uuid_meeting("slash", 2),
        "Ab//cdEFghIJklMNopQRsw==": _uuid_meeting("dslash", 3),
        "JbkqFkfqQ0e7+CZluSnc1g==": _uuid_meeting("plus", 1),
    }
    for name, rows in _attendance_meetings().items():
        data[ATT[name]] = rows
    occ = _recurring_rows()
    data.update(occ)
    data[ATT["recurring"]] = occ[RECURRING[-1][0]]     # the latest
    return data


def _meeting_uuid(meeting):
    """A stable UUID for a numeric meeting (its one occurrence)."""
    d = hashlib.sha256(b"uuid:" + meeting.encode()).digest()[:16]
    return base64.b64encode(d).decode()


def _record(meeting, uuid, start, minutes, count, host_email, host_name,
            topic):
    """GET /past_meetings/{id}: Zoom's fields for an ended meeting."""
    end = start + datetime.timedelta(minutes=minutes)
    recurring = meeting == ATT["recurring"] or meeting in dict(RECURRING)
    if recurring:
        number = int(ATT["recurring"])
    elif meeting.isdigit():
        number = int(meeting)
    else:       # a meeting known here by its UUID only: some number
        number = 80000000000 + int(hashlib.sha256(
            meeting.encode()).hexdigest()[:8], 16) % 10 ** 9
    return {
        "uuid": uuid,
        "id": number,
        "host_id": "HoStId" + hashlib.sha256(
            host_email.encode()).hexdigest()[:16],
        "type": 8 if recurring else 2,     # 8: recurring, fixed time
        "topic": topic,
        "user_name": host_name,
        "user_email": host_email,
        "start_time": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end_time": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration": minutes,
        "total_minutes": minutes * max(1, count),
        "participants_count": count,
        "dept": "",
        "source": "Zoom",
    }


def _persons(rows):
    """How many distinct people the rows hold (Zoom's participants_count
    counts people, not joins): by email, else id, else name."""
    return len({r["user_email"].lower() or r["id"] or r["name"]
                for r in rows})


def _span(rows):
    """(start, minutes) of the rows' joins and leaves."""
    t = [datetime.datetime.strptime(r[k], "%Y-%m-%dT%H:%M:%SZ")
         for r in rows for k in ("join_time", "leave_time")]
    start = min(t)
    return start, int((max(t) - start).total_seconds() // 60)


def build_records(dataset=None):
    """meeting id or UUID -> its record (GET /past_meetings/{id}). Absent:
    Zoom has none (404 code 3001)."""
    data = dataset if dataset is not None else build_dataset()
    recs = {}
    for m, rows in data.items():
        if not rows:
            continue
        start, minutes = _span(rows)
        host = rows[0]["user_email"] or "host@example.com"
        name = rows[0]["name"] if rows[0]["user_email"] else "Host"
        if any(r["user_email"] == COACH_EMAIL for r in rows):
            host, name = COACH_EMAIL, COACH_NAME
        uuid = m if not m.isdigit() else _meeting_uuid(m)
        recs[m] = _record(m, uuid, start, minutes, _persons(rows), host,
                          name, "Meeting %s" % m)
    # The coach hosts every occurrence, attended or not; the numeric id
    # of the recurring meeting gives its latest occurrence.
    for u, _ in RECURRING:
        recs[u].update(user_email=COACH_EMAIL, user_name=COACH_NAME)
    recs[ATT["recurring"]] = dict(recs[RECURRING[-1][0]])
    # No rows. A person alone: Zoom lists nobody, the record says 1 and
    # names the host (the coach, in another case than the caller's).
    recs[ATT["alone"]] = _record(
        ATT["alone"], _meeting_uuid(ATT["alone"]), ATT_BASE, 45, 1,
        "Coach@Example.com", COACH_NAME, "Coaching, client absent")
    recs["99988877766"] = _record(
        "99988877766", _meeting_uuid("99988877766"),
        datetime.datetime(2025, 3, 5, 9, 0, 0), 20, 1, "host@example.com",
        "Host", "One person")
    # People came, but Zoom has not listed their rows yet.
    recs[ATT["not_ready"]] = _record(
        ATT["not_ready"], _meeting_uuid(ATT["not_ready"]), ATT_BASE, 50, 3,
        COACH_EMAIL, COACH_NAME, "Group session, rows not ready")
    # ATT["never"]: no record at all.
    return recs


def build_instances(records=None):
    """numeric meeting id -> its ended occurrences, as Zoom lists them
    (GET /past_meetings/{id}/instances: uuid and start_time, in no
    particular order). A one-off meeting has one: itself."""
    recs = records if records is not None else build_records()
    out = {}
    for m, rec in recs.items():
        if m.isdigit():
            out[m] = [{"uuid": rec["uuid"], "start_time": rec["start_time"]}]
    order = (RECURRING[1], RECURRING[2], RECURRING[0])     # not sorted
    out[ATT["recurring"]] = [
        {"uuid": u, "start_time": t.strftime("%Y-%m-%dT%H:%M:%SZ")}
        for u, t in order]
    return out


def build_aliases(records=None, dataset=None):
    """UUID -> meeting id, for a numeric meeting's own occurrence: its
    participants and record are found by either."""
    recs = records if records is not None else build_records()
    data = dataset if dataset is not None else build_dataset()
    return {rec["uuid"]: m for m, rec in recs.items()
            if m.isdigit() and rec["uuid"] not in data}


def zoom_path_segment(meeting):
    """The path segment Zoom expects for a meeting id or UUID."""
    once = urllib.parse.quote(meeting, safe="")
    if meeting.startswith("/") or "//" in meeting:
        return urllib.parse.quote(once, safe="")
    return once


def _norm_pct(seg):
    """Upper-case the hex digits of %xx escapes (they are case-insensitive)."""
    out, i = [], 0
    while i < len(seg):
        if seg[i] == "%" and i + 2 < len(seg):
            out.append("%" + seg[i + 1:i + 3].upper())
            i += 3
        else:
            out.append(seg[i])
            i += 1
    return "".join(out)


def b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def jwt_token(seq, now, expires_in, length, client_id, account_id):
    """An access token shaped like Zoom's: header.payload.signature, each
    base64url without padding, about length characters in all. The claims
    are Zoom's (an HS512 Server-to-Server token); the signature is random
    bytes' text after "standin-token-<seq>-", so that every token, short or
    long, holds the marker the tests scan logs and answers for."""
    header = {"alg": "HS512", "v": "2.0",
              "kid": str(uuid.UUID(bytes=os.urandom(16)))}
    payload = {"aud": "https://oauth.zoom.us", "uid": b64url(os.urandom(16)),
               "ver": 10, "auid": os.urandom(32).hex(), "nbf": int(now),
               "code": b64url(os.urandom(24)), "iss": "zm:cid:" + client_id,
               "gno": 0, "type": 3, "tid": 0, "aid": b64url(
                   hashlib.sha256(account_id.encode()).digest()[:16]),
               "iat": int(now), "exp": int(now + expires_in)}
    head = ".".join(b64url(json.dumps(x, separators=(",", ":")).encode())
                    for x in (header, payload))
    sig = "standin-token-%d-" % seq
    n = max(86, length - len(head) - 1) - len(sig)     # 86: HS512's 64 bytes
    sig += b64url(os.urandom(n))[:n]
    if len(sig) % 4 == 1:       # no base64url text is 1 past a multiple of 4
        sig = sig[:-1]
    return head + "." + sig


# ---------------------------------------------------------------------------
# State


class State:
    def __init__(self, client_id, client_secret, account_id, modes=None):
        self.client_id = client_id
        self.client_secret = client_secret
        self.account_id = account_id
        self.lock = threading.Lock()
        self.dataset = build_dataset()
        self.records = build_records(self.dataset)
        self.instances = build_instances(self.records)
        self.aliases = build_aliases(self.records, self.dataset)
        # Every name a path may use: the meetings, the numeric meetings'
        # own UUIDs (aliases), and meetings with a record but no rows.
        names = set(self.dataset) | set(self.records) | set(self.instances)
        self.by_segment = {zoom_path_segment(k): k for k in names}
        self.by_segment.update({zoom_path_segment(u): m
                                for u, m in self.aliases.items()})
        self.start_modes = dict(modes or MODES)
        self.token_seq = 0
        self.tokens = {}                # token -> expiry, by self.now()
        self.page_tokens = {}
        self.reset(tokens=True)

    def reset(self, tokens=True):
        with self.lock:
            self.token_calls = 0
            self.participants_calls = 0
            self.meeting_calls = 0
            self.instances_calls = 0
            self.sent = []              # the last SENT_KEPT REST answers
            self.sent_seq = 0
            self.expired_token_401s = 0
            self.invalid_token_401s = 0
            self.participants_wire_bytes = 0
            self.participants_identity_bytes = 0
            self.requests = []
            self.faults = []
            self.tokens_issued = []
            self.modes = dict(self.start_modes)
            # Going back to the real clock only lengthens the life of the
            # tokens kept: none expires because of a reset.
            self.clock_offset = 0.0
            if tokens:
                self.tokens = {}
                self.page_tokens = {}

    def now(self):
        """The stand-in's clock: the real one, moved on by /_control/clock."""
        return time.time() + self.clock_offset

    def mode(self, name):
        return self.modes[name]

    def new_token(self, expires_in=None):
        """Issue an access token that lives expires_in seconds (the
        expires_in mode when not a positive number)."""
        with self.lock:
            self.token_seq += 1
            seq = self.token_seq
            if isinstance(expires_in, bool) or \
                    not isinstance(expires_in, (int, float)) or expires_in <= 0:
                expires_in = self.modes["expires_in"]
            now = self.now()
            if self.modes["jwt"]:
                tok = jwt_token(seq, now, expires_in, self.modes["jwt_length"],
                                self.client_id, self.account_id)
            else:
                tok = "standin-token-%d" % seq
            self.tokens[tok] = now + expires_in
            self.tokens_issued.append({
                "seq": seq, "issued": now, "expires_at": now + expires_in,
                "expires_in": expires_in, "length": len(tok)})
            return tok

    def token_state(self, tok):
        """"valid", "expired" or "invalid"; counts the 401s it leads to."""
        with self.lock:
            expiry = self.tokens.get(tok) if tok else None
            if expiry is None:
                self.invalid_token_401s += 1
                return "invalid"
            if self.now() >= expiry:
                self.expired_token_401s += 1
                return "expired"
            return "valid"

    def page_token(self, meeting, offset, page_size):
        raw = "%s|%d|%d|%d" % (meeting, offset, page_size, time.time_ns())
        tok = base64.b32encode(hashlib.sha256(raw.encode()).digest()).decode()
        tok = tok.rstrip("=")[:32]
        with self.lock:
            self.page_tokens[tok] = (meeting, offset)
        return tok

    def keep_sent(self, target, path, status, data):
        """Note a REST answer's body as sent (before any content coding);
        its number."""
        with self.lock:
            self.sent_seq += 1
            self.sent.append({"seq": self.sent_seq, "target": target,
                              "path": path, "status": status,
                              "body_b64": base64.b64encode(data).decode()})
            del self.sent[:-SENT_KEPT]
            return self.sent_seq

    def meeting_of(self, seg):
        """The meeting id or UUID a REST path segment names."""
        m = self.by_segment.get(_norm_pct(seg))
        return m if m is not None else urllib.parse.unquote(seg)

    def take_fault(self, target, meeting=None):
        """The fault that applies to this request, or None."""
        with self.lock:
            for f in self.faults:
                if f["target"] != target or f["times"] == 0:
                    continue
                if f.get("meeting") is not None and f["meeting"] != meeting:
                    continue
                if f.get("skip", 0) > 0:
                    f["skip"] -= 1
                    return None
                if f["times"] > 0:
                    f["times"] -= 1
                return dict(f)
        return None


# ---------------------------------------------------------------------------
# Fault kinds. Each takes (handler, fault) and returns True when it answered
# (or closed) the request itself, False to go on with the normal answer.


def fault_status(h, f):
    body = f.get("body", {"code": f.get("status", 500),
                          "message": "Internal error."})
    h.send_json(f.get("status", 500), body, headers=f.get("headers"))
    return True


def fault_revoke_tokens(h, f):
    with h.state.lock:
        h.state.tokens.clear()
    if h.target in REST_TARGETS:
        h.send_json(401, {"code": 124, "message": "Invalid access token."})
        return True
    return False


def fault_sleep(h, f):
    time.sleep(float(f.get("seconds", 5)))
    return False


def fault_not_json(h, f):
    h.send_raw(f.get("status", 200), b"<html><body><h1>Zoom</h1>"
               b"<p>We'll be right back.</p></body></html>\n",
               "text/html; charset=utf-8")
    return True


def fault_close(h, f):
    h.close_now(reset=False)
    return True


def fault_reset(h, f):
    """TCP RST, without any answer."""
    h.close_now(reset=True)
    return True


def _normal_body(h):
    status, body = h.normal_answer()
    return status, json.dumps(body, ensure_ascii=False,
                              separators=(",", ":")).encode()


def fault_reset_mid_body(h, f):
    status, data = _normal_body(h)
    h.send_head(status, "application/json;charset=UTF-8", len(data))
    h.wfile.write(data[:len(data) // 2])
    h.wfile.flush()
    h.close_now(reset=True)
    return True


def fault_short_body(h, f):
    """Content-Length promises more than is sent, then the server closes."""
    status, data = _normal_body(h)
    h.send_head(status, "application/json;charset=UTF-8", len(data) + 100)
    h.wfile.write(data)
    h.wfile.flush()
    h.close_now(reset=False)
    return True


def fault_trickle(h, f):
    """The normal answer, chunk_size bytes every interval seconds."""
    status, data = _normal_body(h)
    h.send_head(status, "application/json;charset=UTF-8", len(data))
    step = int(f.get("chunk_size", 1))
    pause = float(f.get("interval", 0.5))
    try:
        for i in range(0, len(data), step):
            h.wfile.write(data[i:i + step])
            h.wfile.flush()
            time.sleep(pause)
    except OSError:
        pass
    h.close_connection = True
    return True


def fault_endless_body(h, f):
    """A chunked JSON body that never ends (until the client goes away)."""
    h.send_response(200)
    h.send_header("Content-Type", "application/json;charset=UTF-8")
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    piece = (b'{"id":"","name":"x","user_email":"","duration":1},' * 200)
    try:
        chunk = b'{"page_count":1,"participants":['
        h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        deadline = time.monotonic() + float(f.get("max_seconds", 60))
        while time.monotonic() < deadline:
            h.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            h.wfile.flush()
    except OSError:
        pass
    h.close_connection = True
    return True


def fault_invalid_utf8(h, f):
    status, data = _normal_body(h)
    data = data.replace(b'"name":"', b'"name":"\xff\xc0\xaf', 1)
    h.send_raw(status, data, "application/json;charset=UTF-8")
    return True


def fault_deep_nesting(h, f):
    depth = int(f.get("depth", 100000))
    data = b'{"participants":' + b"[" * depth + b"]" * depth + b"}"
    h.send_raw(200, data, "application/json;charset=UTF-8")
    return True


def fault_wrong_types(h, f):
    """Zoom's shape with the wrong JSON types (default: participants is an
    object, next_page_token a number); "body" replaces it entirely."""
    body = f.get("body", {"page_count": "1", "page_size": 300,
                          "total_records": "x", "next_page_token": 7,
                          "participants": {"0": {}}})
    h.send_json(200, body)
    return True


def fault_endless_next_page_token(h, f):
    """Every page, forever, says there is one more."""
    status, body = h.normal_answer()
    if status == 200 and h.target == "participants":
        body["next_page_token"] = h.state.page_token(
            h.meeting or "?", 0, body.get("page_size", 30))
        body["page_count"] = body.get("page_count", 1) + 1
    h.send_json(status, body)
    return True


def fault_token_body(h, f):
    """A 200 token answer with the given body (e.g. no access_token, or
    expires_in <= 0); use {"issue": true} in "body" fields to get a real
    token into access_token."""
    body = dict(f.get("body", {"token_type": "bearer", "expires_in": 3600}))
    if body.get("access_token") is True:
        body["access_token"] = h.state.new_token(body.get("expires_in"))
    h.send_json(200, body)
    return True


# Zoom's REST errors by code: the usual HTTP status, and the message with
# the account id and the meeting filled in.
ZOOM_ERRORS = {
    124: (401, "Invalid access token."),
    200: (400, "Only available for Paid or ZMP account: {account}."),
    300: (300, "Cannot access meeting information:{meeting}."),
    1010: (400, "User does not belong to this account:{account}."),
    3001: (400, "Meeting does not exist: {meeting}."),
}


def fault_zoom_error(h, f):
    """Zoom's error answer for "code" (ZOOM_ERRORS); "status" overrides
    the usual status (3001 comes as 400 or 404)."""
    code = int(f.get("code", 3001))
    status, message = ZOOM_ERRORS[code]
    seg = h.url.path.split("/")[3] if h.target in REST_TARGETS else ""
    h.send_json(int(f.get("status", status)), {
        "code": code, "message": message.format(
            account=h.state.account_id, meeting=h.state.meeting_of(seg))})
    return True


_bombs = {}


def compression_bomb(mib, coding, fill):
    """A participants page that inflates to mib MiB of valid JSON (white
    space between the brackets, or one long name), compressed: about 1 KiB
    per MiB, deflate's best ratio. Built once per shape."""
    key = (mib, coding, fill)
    if key not in _bombs:
        head = (b'{"page_count":1,"page_size":300,"total_records":1,'
                b'"next_page_token":"","participants":[')
        tail = b"]}"
        pad = b" "
        if fill == "string":
            head += b'{"id":"","name":"'
            tail = b'","user_email":"","duration":60}' + tail
            pad = b"a"
        z = zlib.compressobj(9, zlib.DEFLATED, 31 if coding == "gzip" else 15)
        block = pad * (1 << 20)
        out = [z.compress(head)] + [z.compress(block) for _ in range(mib)]
        _bombs[key] = b"".join(out + [z.compress(tail), z.flush()])
    return _bombs[key]


def fault_compression_bomb(h, f):
    """A few KiB that inflate past any sane page cap: "inflated_mib"
    (default 20), "encoding" gzip (default) or deflate, "fill" "space"
    (default) or "string". Sent compressed whether or not the request
    allowed it, as a hostile server would."""
    mib = int(f.get("inflated_mib", 20))
    coding = f.get("encoding", "gzip")
    data = compression_bomb(mib, coding, f.get("fill", "space"))
    h.entry.update(content_encoding=coding, body_bytes=mib << 20, chunks=0)
    h.send_head(200, "application/json;charset=UTF-8", len(data),
                {"Content-Encoding": coding})
    h.wfile.write(data)
    h.wfile.flush()
    return True


FAULTS = {
    "status": fault_status,
    "revoke_tokens": fault_revoke_tokens,
    "sleep": fault_sleep,
    "not_json": fault_not_json,
    "close": fault_close,
    "reset": fault_reset,
    "reset_mid_body": fault_reset_mid_body,
    "short_body": fault_short_body,
    "trickle": fault_trickle,
    "endless_body": fault_endless_body,
    "invalid_utf8": fault_invalid_utf8,
    "deep_nesting": fault_deep_nesting,
    "wrong_types": fault_wrong_types,
    "endless_next_page_token": fault_endless_next_page_token,
    "token_body": fault_token_body,
    "zoom_error": fault_zoom_error,
    "compression_bomb": fault_compression_bomb,
}


# ---------------------------------------------------------------------------
# HTTP


def accepted_codings(header):
    """An Accept-Encoding header as {coding: q}, names in lower case."""
    out = {}
    for part in header.split(","):
        name, _, params = part.partition(";")
        name = name.strip().lower()
        if not name:
            continue
        q = 1.0
        for p in params.split(";"):
            k, _, v = p.partition("=")
            if k.strip().lower() == "q":
                try:
                    q = float(v)
                except ValueError:
                    q = 0.0
        out[name] = q
    return out


def acceptable(codings, name):
    return codings.get(name, codings.get("*", 0.0)) > 0


def encode(data, coding):
    """data in a content coding: gzip, or deflate (HTTP's deflate is the
    zlib format)."""
    z = zlib.compressobj(6, zlib.DEFLATED, 31 if coding == "gzip" else 15)
    return z.compress(data) + z.flush()


class CountingWriter:
    """A connection's writer that counts the bytes written through it."""

    def __init__(self, raw):
        self.raw = raw
        self.count = 0

    def write(self, data):
        self.count += len(data)
        return self.raw.write(data)

    def __getattr__(self, name):
        return getattr(self.raw, name)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without this, Nagle's
    # algorithm and the client's delayed ACK add 40 ms to every answer.
    disable_nagle_algorithm = True
    server_version = "ZoomStandin/1.0"
    sys_version = ""

    state = None          # set by main()
    verbose = False

    # -- plumbing -----------------------------------------------------------

    def log_message(self, fmt, *args):
        if self.verbose:
            sys.stderr.write("zoom-standin: %s\n" % (fmt % args))

    def setup(self):
        super().setup()
        self.wfile = CountingWriter(self.wfile)
        self.answered = 0           # requests answered on this connection

    def tracking_id(self):
        return "v=2.0;clid=us06;rid=WEB_%s" % os.urandom(16).hex()

    def send_head(self, status, ctype, length, headers=None):
        """Status line and headers; length None: a chunked body follows."""
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if length is None:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(length))
        self.send_header("x-zm-trackingid",
                         getattr(self, "trk", None) or self.tracking_id())
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.end_headers()
        if getattr(self, "entry", None) is not None:
            self.entry["status"] = status

    def content_coding(self):
        """The coding for an answer of a Zoom endpoint: what the request's
        Accept-Encoding allows and the compress mode picks; None: identity."""
        how = self.state.mode("compress")
        if getattr(self, "target", None) is None or how == "off":
            return None
        ok = accepted_codings(self.headers.get("Accept-Encoding", ""))
        for c in ("gzip", "deflate") if how == "auto" else (how,):
            if acceptable(ok, c):
                return c
        return None

    def write_chunked(self, data):
        """data as several chunks (three at least, of at most chunk_size
        bytes), each its own write, and the last chunk; the count."""
        step = max(1, min(int(self.state.mode("chunk_size")),
                          -(-len(data) // 3)))
        n = 0
        for i in range(0, len(data), step):
            piece = data[i:i + step]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            n += 1
        self.wfile.write(b"0\r\n\r\n")
        return n

    def send_raw(self, status, data, ctype, headers=None):
        """An answer; for the Zoom endpoints, compressed and chunked as the
        request and the modes say."""
        identity = len(data)
        target = getattr(self, "target", None)
        if target in REST_TARGETS and self.command != "HEAD":
            # Kept as the client will read it once decoded.
            seq = self.state.keep_sent(target, self.path, status, data)
            if getattr(self, "entry", None) is not None:
                self.entry["answer_seq"] = seq
        coding = self.content_coding()
        if coding:
            data = encode(data, coding)
            headers = dict(headers or {}, **{"Content-Encoding": coding,
                                             "Vary": "Accept-Encoding"})
        chunked = target in REST_TARGETS and self.state.mode("chunked")
        self.send_head(status, ctype, None if chunked else len(data), headers)
        chunks = 0
        if self.command != "HEAD":
            if chunked:
                chunks = self.write_chunked(data)
            else:
                self.wfile.write(data)
        self.wfile.flush()
        if getattr(self, "entry", None) is not None:
            self.entry.update(content_encoding=coding or "",
                              body_bytes=identity, chunks=chunks)

    def send_json(self, status, body, headers=None):
        if isinstance(body, (bytes, bytearray)):
            data = bytes(body)
        elif isinstance(body, str):
            data = body.encode()
        else:
            data = json.dumps(body, ensure_ascii=False,
                              separators=(",", ":")).encode()
        self.send_raw(status, data, "application/json;charset=UTF-8", headers)

    def close_now(self, reset):
        try:
            if reset:
                # Linger 0: close() sends RST; the server must skip its
                # usual shutdown(SHUT_WR), which would send a FIN first.
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER,
                    struct.pack("ii", 1, 0))
                self.server.abort_on_close(self.connection)
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.close_connection = True

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def record(self, body):
        ae = self.headers.get("Accept-Encoding", "")
        codings = accepted_codings(ae)
        entry = {
            "method": self.command,
            "path": self.path,
            "auth": self.headers.get("Authorization", ""),
            "content_type": self.headers.get("Content-Type", ""),
            "accept": self.headers.get("Accept", ""),
            "accept_encoding": ae,
            "asked_compression": any(q > 0 for c, q in codings.items()
                                     if c != "identity"),
            "body": body.decode("utf-8", "replace"),
            "trackingid": self.trk,
            "time": time.time(),
            # the client's port names the connection: how many it opened
            "conn": self.client_address[1],
            "conn_request": self.answered + 1,
        }
        self.entry = entry
        with self.state.lock:
            self.state.requests.append(entry)

    def after_answer(self, wire_start):
        """Note what an answer of a Zoom endpoint cost on the wire; in
        silent_close mode, close the connection it promised to keep."""
        self.answered += 1
        if self.target is None:
            return
        e = self.entry
        e["wire_bytes"] = self.wfile.count - wire_start
        if self.target == "participants":
            with self.state.lock:
                self.state.participants_wire_bytes += e["wire_bytes"]
                self.state.participants_identity_bytes += \
                    e.get("body_bytes", 0)
        if self.state.mode("silent_close"):
            self.close_connection = True

    # -- dispatch -----------------------------------------------------------

    def do_GET(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    def do_DELETE(self):
        self.dispatch()

    def do_HEAD(self):
        self.dispatch()

    def dispatch(self):
        self.target = None
        self.entry = None
        wire_start = self.wfile.count
        try:
            body = self.read_body()
            self.trk = self.tracking_id()
            url = urllib.parse.urlsplit(self.path)
            parts = url.path.split("/")
            self.meeting = None
            if url.path.startswith("/_control/"):
                return self.control(url, body)
            rest = (len(parts) in (4, 5) and parts[1] == "v2" and
                    parts[2] == "past_meetings" and parts[3] != "")
            if url.path == "/oauth/token":
                self.target = "token"
            elif rest and len(parts) == 5 and parts[4] == "participants":
                self.target = "participants"
            elif rest and len(parts) == 5 and parts[4] == "instances":
                self.target = "instances"
            elif rest and len(parts) == 4:
                self.target = "meeting"
            else:
                self.record(body)
                return self.send_json(404, {"code": 404,
                                            "message": "Not Found"})
            self.record(body)
            with self.state.lock:
                name = self.target + "_calls"
                setattr(self.state, name, getattr(self.state, name) + 1)
            if self.answered and self.state.mode("close_kept"):
                self.entry["dropped"] = True
                self.close_now(reset=False)
                return
            self.req_body = body
            self.url = url
            fault = self.state.take_fault(
                self.target, self.state.meeting_of(parts[3])
                if self.target in REST_TARGETS else None)
            if fault is not None and FAULTS[fault["kind"]](self, fault):
                return
            status, answer = self.normal_answer()
            self.send_json(status, answer)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            self.after_answer(wire_start)

    # -- the Zoom endpoints -------------------------------------------------

    def normal_answer(self):
        if self.target == "token":
            return self.token_answer()
        if self.target == "meeting":
            return self.meeting_answer()
        if self.target == "instances":
            return self.instances_answer()
        return self.participants_answer()

    def rest_refusal(self):
        """Zoom's answer when a REST request cannot be served as such:
        not a GET, or without a valid access token; None when it can."""
        if self.command != "GET":
            return 405, {"code": 405, "message": "Method Not Allowed"}
        auth = self.headers.get("Authorization", "")
        tok = auth[7:] if auth.startswith("Bearer ") else None
        known = self.state.token_state(tok)
        if known == "invalid":
            return 401, {"code": 124, "message": "Invalid access token."}
        if known == "expired":
            return 401, {"code": 124, "message": "Access token is expired."}
        return None

    def not_found(self, seg):
        return 404, {"code": 3001, "message": "Meeting does not exist: %s."
                     % urllib.parse.unquote(seg)}

    def meeting_lookup(self, table, shape):
        """The meeting of the path's segment looked up in table: 200 with
        shape(entry), or 404 code 3001 for one Zoom does not know."""
        refused = self.rest_refusal()
        if refused:
            return refused
        seg = self.url.path.split("/")[3]
        meeting = self.state.by_segment.get(_norm_pct(seg))
        self.meeting = meeting
        entry = table.get(meeting)
        if entry is None:
            return self.not_found(seg)
        return 200, shape(entry)

    def meeting_answer(self):
        """GET /past_meetings/{id}: the record, or 404 code 3001."""
        return self.meeting_lookup(self.state.records, lambda rec: rec)

    def instances_answer(self):
        """GET /past_meetings/{id}/instances: a numeric meeting's ended
        occurrences; 404 code 3001 for one Zoom does not know."""
        return self.meeting_lookup(self.state.instances,
                                   lambda inst: {"meetings": inst})

    def token_answer(self):
        st = self.state
        if self.command != "POST":
            return 405, {"reason": "Method Not Allowed",
                         "error": "invalid_request"}
        bad = (400, {"reason": "Invalid client_id or client_secret",
                     "error": "invalid_client"})
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Basic "):
            return bad
        try:
            cid, _, secret = base64.b64decode(
                auth[6:].strip(), validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return bad
        if cid != st.client_id or secret != st.client_secret:
            return bad
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip()
        form = urllib.parse.parse_qs(self.req_body.decode("utf-8", "replace"))
        if ctype.lower() != "application/x-www-form-urlencoded" or self.url.query:
            # Zoom started refusing query-string parameters (devforum 124925).
            return 400, {"reason": "Bad Request", "error": "invalid_request"}
        if form.get("grant_type") != ["account_credentials"]:
            return 400, {"reason": "unsupported grant type",
                         "error": "unsupported_grant_type"}
        if form.get("account_id") != [st.account_id]:
            return bad
        expires_in = st.mode("expires_in")
        return 200, {"access_token": st.new_token(expires_in),
                     "token_type": "bearer", "expires_in": expires_in,
                     "scope": SCOPES}

    def participants_answer(self):
        st = self.state
        refused = self.rest_refusal()
        if refused:
            return refused
        seg = self.url.path.split("/")[3]
        meeting = st.by_segment.get(_norm_pct(seg))
        self.meeting = meeting
        if meeting is None or meeting not in st.dataset:
            return self.not_found(seg)
        q = urllib.parse.parse_qs(self.url.query, keep_blank_values=True)
        try:
            size = int(q.get("page_size", [DEFAULT_PAGE_SIZE])[0])
        except ValueError:
            return 300, {"code": 300, "message": "Validation Failed.",
                         "errors": [{"field": "page_size",
                                     "message": "Invalid field."}]}
        size = max(1, min(size, MAX_PAGE_SIZE))
        offset = 0
        npt = q.get("next_page_token", [""])[0]
        if npt:
            with st.lock:
                entry = st.page_tokens.get(npt)
            if entry is None or entry[0] != meeting:
                return 300, {"code": 300, "message": "The next page token is "
                             "either invalid or has expired."}
            offset = entry[1]
        rows = st.dataset[meeting]
        page = rows[offset:offset + size]
        nxt = ""
        if offset + size < len(rows):
            nxt = st.page_token(meeting, offset + size, size)
        return 200, {
            "page_count": (len(rows) + size - 1) // size,
            "page_size": size,
            "total_records": len(rows),
            "next_page_token": nxt,
            "participants": page,
        }

    # -- control API --------------------------------------------------------

    def control(self, url, body):
        st = self.state
        try:
            args = json.loads(body) if body.strip() else {}
        except ValueError:
            return self.send_json(400, {"error": "bad json"})
        what = url.path[len("/_control/"):]
        if what == "reset" and self.command == "POST":
            st.reset(tokens=args.get("tokens", True))
            return self.send_json(200, {"ok": True})
        if what == "stats":
            with st.lock:
                now = st.now()
                out = {"token_calls": st.token_calls,
                       "participants_calls": st.participants_calls,
                       "meeting_calls": st.meeting_calls,
                       "instances_calls": st.instances_calls,
                       "requests": [dict(r) for r in st.requests],
                       "valid_tokens": sorted(t for t, until in
                                              st.tokens.items() if now < until),
                       "faults_pending": [f for f in st.faults
                                          if f["times"] != 0],
                       "expired_token_401s": st.expired_token_401s,
                       "invalid_token_401s": st.invalid_token_401s,
                       "tokens_issued": list(st.tokens_issued),
                       "participants_wire_bytes": st.participants_wire_bytes,
                       "participants_identity_bytes":
                           st.participants_identity_bytes,
                       "modes": dict(st.modes),
                       "clock": now}
            return self.send_json(200, out)
        if what == "mode" and self.command == "POST":
            bad = bad_modes(args)
            if bad:
                return self.send_json(400, {"error": bad,
                                            "modes": sorted(MODES)})
            with st.lock:
                st.modes.update(args)
                out = dict(st.modes)
            return self.send_json(200, out)
        if what == "clock" and self.command == "POST":
            step = args.get("advance", 0)
            if isinstance(step, bool) or not isinstance(step, (int, float)):
                return self.send_json(400, {"error": "advance: seconds"})
            with st.lock:
                st.clock_offset += step
                out = {"clock": st.now(), "offset": st.clock_offset}
            return self.send_json(200, out)
        if what == "fault" and self.command == "POST":
            kind = args.get("kind")
            if args.get("target") not in FAULT_TARGETS or \
                    kind not in FAULTS:
                return self.send_json(400, {"error": "target or kind",
                                            "targets": list(FAULT_TARGETS),
                                            "kinds": sorted(FAULTS)})
            f = dict(args)
            f.setdefault("times", 1)
            f.setdefault("skip", 0)
            with st.lock:
                st.faults.append(f)
            return self.send_json(200, {"ok": True})
        if what == "revoke" and self.command == "POST":
            with st.lock:
                st.tokens.clear()
            return self.send_json(200, {"ok": True})
        if what == "dataset":
            q = urllib.parse.parse_qs(url.query)
            m = q.get("meeting", [""])[0]
            if m not in st.dataset and m not in st.records:
                return self.send_json(404, {"error": "unknown meeting"})
            return self.send_json(200, {"meeting": m,
                                        "segment": zoom_path_segment(m),
                                        "participants": st.dataset.get(m),
                                        "record": st.records.get(m),
                                        "instances": st.instances.get(m)})
        if what == "sent":
            q = urllib.parse.parse_qs(url.query)
            t = q.get("target", [None])[0]
            with st.lock:
                out = [dict(x) for x in st.sent
                       if t is None or x["target"] == t]
            return self.send_json(200, {"answers": out})
        return self.send_json(404, {"error": "unknown control call"})


def bad_modes(args):
    """What is wrong with a /_control/mode call, or None."""
    if not isinstance(args, dict):
        return "an object of modes"
    for k, v in args.items():
        if k not in MODES:
            return "unknown mode %r" % k
        want = type(MODES[k])
        if type(v) is not want:
            return "%s: a %s" % (k, want.__name__)
        if k == "compress" and v not in COMPRESS_CHOICES:
            return "compress: one of %s" % ", ".join(COMPRESS_CHOICES)
        if want is int and v <= 0:
            return "%s: more than 0" % k
    return None


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self._abort = set()
        self._abort_lock = threading.Lock()

    def abort_on_close(self, sock):
        with self._abort_lock:
            self._abort.add(sock)

    def shutdown_request(self, request):
        with self._abort_lock:
            abort = request in self._abort
            self._abort.discard(request)
        if abort:
            self.close_request(request)
        else:
            super().shutdown_request(request)

    def handle_error(self, request, client_address):
        # Clients that hang up (timeouts under test) are expected: stay quiet.
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):
            return
        super().handle_error(request, client_address)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0,
                    help="TCP port on 127.0.0.1 (0: pick a free one)")
    ap.add_argument("--port-file",
                    help="write the port here once listening")
    ap.add_argument("--client-id", default="standin-client-id")
    ap.add_argument("--client-secret", default="standin-client-secret")
    ap.add_argument("--account-id", default="standin-account")
    ap.add_argument("--verbose", action="store_true",
                    help="log every request on stderr")
    ap.add_argument("--tls-cert", help="serve HTTPS with this certificate "
                    "(PEM, with --tls-key)")
    ap.add_argument("--tls-key")
    ap.add_argument("--chunked", action="store_true",
                    help="participants answers chunked, in several chunks")
    ap.add_argument("--chunk-size", type=int, default=MODES["chunk_size"],
                    help="largest chunk, bytes (default %(default)s)")
    ap.add_argument("--compress", choices=COMPRESS_CHOICES,
                    default=MODES["compress"],
                    help="content codings offered when Accept-Encoding "
                    "allows them (default %(default)s: gzip, else deflate)")
    ap.add_argument("--silent-close", action="store_true",
                    help="close each connection after its first answer, "
                    "without saying so")
    ap.add_argument("--close-kept", action="store_true",
                    help="close a kept connection when the next request "
                    "arrives on it, without answering")
    ap.add_argument("--jwt-tokens", action="store_true",
                    help="access tokens shaped like Zoom's JWTs")
    ap.add_argument("--jwt-length", type=int, default=MODES["jwt_length"],
                    help="their length, about (default %(default)s)")
    ap.add_argument("--expires-in", type=int, default=MODES["expires_in"],
                    help="access token lifetime, seconds (default "
                    "%(default)s)")
    a = ap.parse_args(argv)

    modes = dict(MODES, chunked=a.chunked, chunk_size=a.chunk_size,
                 compress=a.compress, silent_close=a.silent_close,
                 close_kept=a.close_kept, jwt=a.jwt_tokens,
                 jwt_length=a.jwt_length, expires_in=a.expires_in)
    bad = bad_modes(modes)
    if bad:
        ap.error(bad)
    Handler.state = State(a.client_id, a.client_secret, a.account_id, modes)
    Handler.verbose = a.verbose
    srv = Server(("127.0.0.1", a.port), Handler)
    port = srv.server_address[1]
    if a.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, a.port_file)
    if a.verbose:
        sys.stderr.write("zoom-standin: listening on 127.0.0.1:%d\n" % port)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
