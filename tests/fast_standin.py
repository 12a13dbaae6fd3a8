"""The static Zoom stand-in pages that the benchmark (tests/bench/bench.py)
and the load test (tests/load/run.py) share, and the port helpers every
test driver uses."""

import json
import os
import socket
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def port_ready(port, proc=None, seconds=10.0):
    """True once something accepts on 127.0.0.1:port; False if proc (the
    process that should listen there) exits first, or after seconds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            time.sleep(0.02)
    return False


def wait_port(port, timeout=10.0):
    if not port_ready(port, seconds=timeout):
        raise RuntimeError("nothing listens on port %d" % port)


def participant(i):
    return {
        "id": "pX%020d" % i, "user_id": str(16778240 + i),
        "name": "Participant %d" % i,
        "user_email": "person%d@example.com" % i if i % 5 else "",
        "join_time": "2026-11-20T15:%02d:04Z" % (i % 60),
        "leave_time": "2026-11-20T16:%02d:12Z" % (i % 60),
        "duration": 1800 + i, "failover": False, "status": "in_meeting",
        "registrant_id": "", "internal_user": i % 3 == 0,
    }


def write_pages(root, meeting, total, page_size=300):
    d = os.path.join(root, meeting)
    os.makedirs(d, exist_ok=True)
    pages = max(1, (total + page_size - 1) // page_size)
    for n in range(pages):
        rows = [participant(i) for i in range(n * page_size,
                                              min(total, (n + 1) * page_size))]
        nxt = "" if n + 1 == pages else "tok%d" % (n + 2)
        body = {"page_count": pages, "page_size": page_size,
                "total_records": total, "next_page_token": nxt,
                "participants": rows}
        # The first page is p.json; the page after token tokN is ptokN.json.
        name = "p.json" if n == 0 else "ptok%d.json" % (n + 1)
        with open(os.path.join(d, name), "w") as f:
            json.dump(body, f, separators=(",", ":"))


def write_meetings(tmp, meetings):
    """The pages of each (meeting id, participant count) under tmp/data,
    all of tmp readable by nginx's worker user; returns the data folder."""
    data = os.path.join(tmp, "data")
    for meeting, total in meetings:
        write_pages(data, meeting, total)
    os.chmod(tmp, 0o755)
    for root, dirs, files in os.walk(tmp):
        for x in dirs:
            os.chmod(os.path.join(root, x), 0o755)
        for x in files:
            os.chmod(os.path.join(root, x), 0o644)
    return data
