#!/usr/bin/env python3
"""Send MEETING_ENDED webhooks shaped like Cal.com's.

As a module:

    import cal_sender as cal
    b = cal.booking("uid-1", start="2026-11-20T10:00:00Z",
                    end="2026-11-20T10:45:00Z",
                    organizer=("coach@example.com", "Ada Lovelace"),
                    attendee=("client@example.org", "Grace Hopper"))
    body = cal.body(b, shape="flat")          # or "wrapped"
    r = cal.send("http://127.0.0.1:8080/api/cal/meeting-ended", body,
                 secret="...")                # signature="valid"
    r.status, r.headers, r.body, r.json()

As a command:

    python3 tests/cal_sender.py --url URL --uid UID [--secret S]
        [--shape flat|wrapped] [--signature valid|wrong|missing|no-secret|
        upper|prefixed|VALUE] [--start ISO] [--end ISO]
        [--organizer EMAIL[,NAME]] [--attendee EMAIL[,NAME]]
        [--trigger EVENT] [--body-file F]

What Cal.com sends (its webhook code, packages/features/webhooks/lib):

  - the body is JSON, POSTed with "Content-Type: application/json",
    "X-Cal-Webhook-Version: 2021-10-20" and "X-Cal-Signature-256": the
    lowercase hex HMAC-SHA256 of the exact body keyed with the webhook's
    secret, or the literal "no-secret-provided" when the webhook has none
    (before 2024-03, MEETING_ENDED was sent with no signature at all);
  - MEETING_ENDED comes in two shapes: the scheduled trigger's FLAT body,
    {"triggerEvent": "MEETING_ENDED", ...the booking row's fields}, and the
    versioned builder's WRAPPED one, {"triggerEvent", "createdAt",
    "payload": {...the booking}}.
"""

import argparse
import datetime
import hashlib
import hmac
import http.client
import json
import sys
import urllib.parse

WEBHOOK_VERSION = "2021-10-20"
SIGNATURE_HEADER = "X-Cal-Signature-256"
NO_SECRET = "no-secret-provided"
SIGNATURE_MODES = ("valid", "wrong", "missing", "no-secret", "upper",
                   "prefixed", "empty", "truncated")


def iso(t):
    """A datetime (UTC) as Cal.com writes times: 2026-11-20T10:00:00.000Z."""
    if isinstance(t, str):
        return t
    t = t.astimezone(datetime.timezone.utc) if t.tzinfo else t
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


def person(p, default_tz="Europe/London"):
    """(email, name) or a dict -> Cal.com's person object."""
    if p is None or isinstance(p, dict):
        return p
    email, name = p
    return {"email": email, "name": name, "timeZone": default_tz,
            "locale": "en"}


def booking(uid, start=None, end=None, organizer=None, attendee=None,
            attendees=None, booking_id=1, title="Coaching session",
            location="integrations:zoom", video_url=None, **extra):
    """A booking as Cal.com's MEETING_ENDED carries it. start / end:
    datetimes or ISO strings (None: left out); organizer / attendee:
    (email, name) or a dict (None: left out); attendees: a whole list
    instead of [attendee]. Keys of extra are added (a value of ... removes
    the key)."""
    b = {
        "id": booking_id,
        "uid": uid,
        "idempotencyKey": hashlib.sha256(
            ("idem:%s" % uid).encode()).hexdigest()[:36],
        "userId": 7,
        "userPrimaryEmail": organizer[0] if isinstance(organizer, tuple)
        else None,
        "eventTypeId": 3,
        "title": title,
        "description": "",
        "customInputs": {},
        "responses": {},
        "location": location,
        "status": "ACCEPTED",
        "paid": False,
        "recurringEventId": None,
        "metadata": {"videoCallUrl": video_url} if video_url else {},
        "isRecorded": False,
        "iCalUID": "%s@Cal.com" % uid if isinstance(uid, str) else None,
        "iCalSequence": 0,
        "noShowHost": False,
    }
    if start is not None:
        b["startTime"] = iso(start)
    if end is not None:
        b["endTime"] = iso(end)
    if organizer is not None:
        b["organizer"] = person(organizer)
    if attendees is not None:
        b["attendees"] = attendees
    elif attendee is not None:
        a = person(attendee)
        if isinstance(a, dict):
            a = dict(a, id=11, bookingId=booking_id, noShow=False)
        b["attendees"] = [a]
    for k, v in extra.items():
        if v is ...:
            b.pop(k, None)
        else:
            b[k] = v
    return b


def payload(b, shape="flat", trigger="MEETING_ENDED", created_at=None):
    """The document: flat {"triggerEvent", ...booking} or wrapped
    {"triggerEvent", "createdAt", "payload": booking}."""
    if shape == "flat":
        return dict({"triggerEvent": trigger}, **b)
    if shape == "wrapped":
        return {"triggerEvent": trigger,
                "createdAt": created_at or iso(datetime.datetime.now(
                    datetime.timezone.utc)),
                "payload": b}
    raise ValueError("shape: flat or wrapped")


def body(b, shape="flat", **kw):
    """The exact bytes Cal.com POSTs (JSON.stringify: compact)."""
    return encode(payload(b, shape, **kw))


def encode(doc):
    return json.dumps(doc, separators=(",", ":"),
                      ensure_ascii=False).encode()


def sign(secret, data):
    """Cal.com's signature: createHmac("sha256", secret).update(body)
    .digest("hex")."""
    if isinstance(secret, str):
        secret = secret.encode()
    return hmac.new(secret, data, hashlib.sha256).hexdigest()


def signature_for(mode, secret, data):
    """The X-Cal-Signature-256 value for a mode (SIGNATURE_MODES), or None
    for no header; any other string is sent as it is."""
    if mode == "valid":
        return sign(secret, data)
    if mode == "wrong":
        return sign((secret or "") + "-not-the-secret", data)
    if mode == "missing":
        return None
    if mode == "no-secret":
        return NO_SECRET
    if mode == "upper":
        return sign(secret, data).upper()
    if mode == "prefixed":
        return "sha256=" + sign(secret, data)
    if mode == "empty":
        return ""
    if mode == "truncated":
        return sign(secret, data)[:-1]
    return mode


def headers_for(data, secret=None, signature=None, extra=None):
    """Cal.com's headers for a body; signature defaults to "valid" with a
    secret and "no-secret" without (what Cal.com sends)."""
    if signature is None:
        signature = "valid" if secret is not None else "no-secret"
    h = {"Content-Type": "application/json",
         "X-Cal-Webhook-Version": WEBHOOK_VERSION,
         "User-Agent": "node-fetch"}
    sig = signature_for(signature, secret, data)
    if sig is not None:
        h[SIGNATURE_HEADER] = sig
    h.update(extra or {})
    return h


class Answer:
    def __init__(self, status, headers, data, elapsed):
        self.status = status
        self.headers = headers
        self.body = data
        self.elapsed = elapsed

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "%d %s" % (self.status, self.body[:300].decode(
            "utf-8", "replace"))


def send(url, data, secret=None, signature=None, headers=None,
         method="POST", timeout=20.0):
    """POST data (bytes, or a document to encode) to url with Cal.com's
    headers; the Answer."""
    import time
    if not isinstance(data, (bytes, bytearray)):
        data = encode(data)
    u = urllib.parse.urlsplit(url)
    h = headers_for(data, secret, signature, headers)
    c = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=timeout)
    t0 = time.monotonic()
    try:
        c.request(method, u.path + ("?" + u.query if u.query else ""),
                  body=data, headers=h)
        r = c.getresponse()
        out = r.read()
        return Answer(r.status, r.getheaders(), out, time.monotonic() - t0)
    finally:
        c.close()


def _who(s):
    if s is None:
        return None
    email, _, name = s.partition(",")
    return (email, name)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--uid", help="the booking uid")
    ap.add_argument("--secret", help="the webhook's secret")
    ap.add_argument("--shape", choices=("flat", "wrapped"), default="flat")
    ap.add_argument("--signature", default=None,
                    help="|".join(SIGNATURE_MODES) + " or a value "
                    "(default: valid with --secret, else no-secret)")
    ap.add_argument("--start", help="startTime (ISO 8601)")
    ap.add_argument("--end", help="endTime (ISO 8601)")
    ap.add_argument("--organizer", help="EMAIL[,NAME]")
    ap.add_argument("--attendee", help="EMAIL[,NAME]")
    ap.add_argument("--trigger", default="MEETING_ENDED")
    ap.add_argument("--body-file", help="send this file's bytes as the body")
    a = ap.parse_args(argv)
    if a.body_file:
        with open(a.body_file, "rb") as f:
            data = f.read()
    else:
        if not a.uid:
            ap.error("--uid or --body-file")
        data = body(booking(a.uid, a.start, a.end, _who(a.organizer),
                            _who(a.attendee)), a.shape, trigger=a.trigger)
    r = send(a.url, data, a.secret, a.signature)
    sys.stdout.write("%d\n%s\n" % (r.status, r.body.decode("utf-8",
                                                              "replace")))
    return 0 if 200 <= r.status < 300 else 1


if __name__ == "__main__":
    sys.exit(main())
