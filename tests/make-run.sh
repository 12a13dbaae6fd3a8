#!/bin/sh
# `make run`: nginx on 127.0.0.1:8080 (RUN_PORT to change it) in front of
# zoom-attendees, in the foreground, until Ctrl-C.
#
# - With ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET (or their
#   *_FILE forms, or ZOOM_ATTENDEES_CONFIG) in the environment, the responder
#   talks to Zoom (ZOOM_TOKEN_URL / ZOOM_API_BASE, default Zoom's own URLs).
# - With none of them, it talks to the Zoom stand-in (tests/zoom_standin.py)
#   on 127.0.0.1, with generated stand-in credentials.
# - Without INTERNAL_API_KEY (or INTERNAL_API_KEY_FILE), a demo key is
#   generated and printed.
#
# Everything runs from a temporary directory, removed on exit.
set -eu

cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN=${ZOOM_ATTENDEES_BIN:-$ROOT/build/zoom-attendees}
RUN_PORT=${RUN_PORT:-8080}
LOCATION_CONF=$ROOT/nginx/zoom-attendees.location.conf

say() { printf '%s\n' "make-run: $*" >&2; }
die() { say "$*"; exit 1; }

NGINX=$(command -v nginx 2>/dev/null || true)
[ -n "$NGINX" ] || NGINX=/usr/sbin/nginx
[ -x "$NGINX" ] || die "nginx not found (apt-get install nginx-light)"
[ -x "$BIN" ] || die "no $BIN (run make)"
command -v python3 >/dev/null 2>&1 || die "python3 not found"

is_set() {	# $1 = NAME: NAME or NAME_FILE is set and not empty
	eval "[ -n \"\${$1:-}\" ] || [ -n \"\${$1_FILE:-}\" ]"
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

port_busy() {	# $1 = port on 127.0.0.1
	python3 -c 'import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(0)
sys.exit(1)' "$1"
}

wait_port() {	# $1 = port, $2 = pid; true once something listens
	python3 -c 'import os, socket, sys, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
end = time.monotonic() + 10
while time.monotonic() < end:
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        sys.exit(0)
    except OSError:
        pass
    try:
        os.kill(pid, 0)
        if open("/proc/%d/stat" % pid).read().split(") ")[1][0] == "Z":
            sys.exit(1)
    except (OSError, IndexError):
        sys.exit(1)
    time.sleep(0.05)
sys.exit(1)' "$1" "$2"
}

random_token() {	# $1 = bytes of randomness
	python3 -c 'import secrets, sys; print(secrets.token_hex(int(sys.argv[1])))' "$1"
}

port_busy "$RUN_PORT" && die "127.0.0.1:$RUN_PORT is in use (set RUN_PORT)"

DIR=$(mktemp -d "${TMPDIR:-/tmp}/zoom-attendees-run.XXXXXX")
# nginx workers run as nobody when started as root.
chmod 755 "$DIR"
PIDS=""

cleanup() {
	trap - EXIT INT TERM
	for p in $PIDS; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in $PIDS; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 30 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -rf "$DIR"
	say "stopped"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- Zoom: real or stand-in ---------------------------------------------------
n=0
for v in ZOOM_ACCOUNT_ID ZOOM_CLIENT_ID ZOOM_CLIENT_SECRET; do
	if is_set "$v"; then n=$((n + 1)); fi
done
if [ -n "${ZOOM_ATTENDEES_CONFIG:-}" ] || [ $n -eq 3 ]; then
	ZOOM_MODE="Zoom (${ZOOM_API_BASE:-https://api.zoom.us/v2})"
elif [ $n -eq 0 ]; then
	ZOOM_ACCOUNT_ID=run-account-$(random_token 4)
	ZOOM_CLIENT_ID=run-client-$(random_token 8)
	ZOOM_CLIENT_SECRET=run-secret-$(random_token 16)
	python3 "$ROOT/tests/zoom_standin.py" --port 0 \
	    --port-file "$DIR/standin.port" --account-id "$ZOOM_ACCOUNT_ID" \
	    --client-id "$ZOOM_CLIENT_ID" --client-secret "$ZOOM_CLIENT_SECRET" &
	PIDS="$PIDS $!"
	i=0
	while [ ! -s "$DIR/standin.port" ]; do
		[ $i -lt 100 ] || die "the Zoom stand-in did not start"
		sleep 0.1
		i=$((i + 1))
	done
	SPORT=$(cat "$DIR/standin.port")
	ZOOM_TOKEN_URL=http://127.0.0.1:$SPORT/oauth/token
	ZOOM_API_BASE=http://127.0.0.1:$SPORT/v2
	export ZOOM_ACCOUNT_ID ZOOM_CLIENT_ID ZOOM_CLIENT_SECRET
	export ZOOM_TOKEN_URL ZOOM_API_BASE
	ZOOM_MODE="the Zoom stand-in on 127.0.0.1:$SPORT (no Zoom credentials in the environment)"
else
	die "set all of ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET (or none, for the stand-in)"
fi

if is_set INTERNAL_API_KEY; then
	KEY_SHOWN='$INTERNAL_API_KEY'
	KEY_NOTE="the key from your INTERNAL_API_KEY"
else
	INTERNAL_API_KEY=demo-$(random_token 16)
	export INTERNAL_API_KEY
	KEY_SHOWN=$INTERNAL_API_KEY
	KEY_NOTE="a demo key generated for this run"
fi

# --- the meeting-ended workflow, against a Notion stand-in -------------------------
# Only with the Zoom stand-in and no workflow settings of your own: a
# spool in the run's directory, the Notion stand-in, and one session page.
if [ -n "${SPORT:-}" ] && ! is_set WORKFLOW_SPOOL_DIR; then
	python3 "$ROOT/tests/notion_standin.py" --port 0 \
	    --port-file "$DIR/notion.port" &
	PIDS="$PIDS $!"
	i=0
	while [ ! -s "$DIR/notion.port" ]; do
		[ $i -lt 100 ] || die "the Notion stand-in did not start"
		sleep 0.1
		i=$((i + 1))
	done
	NPORT_NOTION=$(cat "$DIR/notion.port")
	standin_value() {	# $1 = a constant of tests/notion_standin.py
		python3 -c 'import sys; sys.path.insert(0, sys.argv[1])
import notion_standin; print(getattr(notion_standin, sys.argv[2]))' \
		    "$ROOT/tests" "$1"
	}
	WORKFLOW_SPOOL_DIR=$DIR/spool
	CAL_WEBHOOK_SECRET=demo-cal-secret-$(random_token 8)
	NOTION_API_BASE=http://127.0.0.1:$NPORT_NOTION/v1
	NOTION_TOKEN=$(standin_value DEFAULT_TOKEN)
	NOTION_DATABASE_ID=$(standin_value DEFAULT_DATABASE)
	export WORKFLOW_SPOOL_DIR CAL_WEBHOOK_SECRET NOTION_API_BASE NOTION_TOKEN \
	    NOTION_DATABASE_ID
	DEMO_PAGE=$(python3 -c 'import json, sys, urllib.request
r = urllib.request.urlopen(urllib.request.Request(
    "http://127.0.0.1:%s/_control/page" % sys.argv[1], method="POST",
    data=json.dumps({"properties": {"Name": "Coaching session",
        "Cal Booking UID": "demo-booking-1", "Zoom Meet ID": "81100000001",
        "Status": None}}).encode()))
print(json.load(r)["id"])' "$NPORT_NOTION") || die "cannot create the demo page"
fi

# --- the responder ----------------------------------------------------------------
RPORT=$(free_port)
"$BIN" --listen "127.0.0.1:$RPORT" &
RPID=$!
PIDS="$PIDS $RPID"
wait_port "$RPORT" "$RPID" || die "the responder did not start (see above)"

# --- nginx ------------------------------------------------------------------------
mkdir "$DIR/nginx"
chmod 755 "$DIR/nginx"
cp /etc/nginx/fastcgi_params "$DIR/nginx/"
cat >"$DIR/nginx/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $DIR/nginx.pid;
error_log stderr notice;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $DIR/nginx/client_body;
    fastcgi_temp_path $DIR/nginx/fastcgi;
    proxy_temp_path $DIR/nginx/proxy;
    uwsgi_temp_path $DIR/nginx/uwsgi;
    scgi_temp_path $DIR/nginx/scgi;
    upstream zoom_attendees {
        server 127.0.0.1:$RPORT;
        keepalive 4;
    }
    server {
        listen 127.0.0.1:$RUN_PORT;
        server_name localhost;
        include $LOCATION_CONF;
        location / { return 404; }
    }
}
EOF
"$NGINX" -p "$DIR/nginx" -c "$DIR/nginx/nginx.conf" -e stderr &
NPID=$!
PIDS="$PIDS $NPID"
wait_port "$RUN_PORT" "$NPID" || die "nginx did not start (see above)"

cat <<EOF

zoom-attendees is running: http://127.0.0.1:$RUN_PORT/api/zoom/get-meeting-attendees
  responder: $BIN --listen 127.0.0.1:$RPORT
  Zoom:      $ZOOM_MODE
  API key:   $KEY_NOTE

Try:

curl -s -X POST http://127.0.0.1:$RUN_PORT/api/zoom/get-meeting-attendees -H "Authorization: Bearer $KEY_SHOWN" -H 'Content-Type: application/json' -d '{"zoomCallId":"85746065432"}'

curl -s http://127.0.0.1:$RUN_PORT/api/zoom/healthz

EOF
if [ -n "${SPORT:-}" ]; then
	cat <<EOF
Stand-in meetings: 85746065432 (4 rows), 11122233344 (650 rows, 3 pages),
99988877766 (no rows), UUIDs "/ajXp112QmuoKj4854875==", "Ab//cdEFghIJklMNopQRsw==",
"JbkqFkfqQ0e7+CZluSnc1g=="; any other id: 404.

EOF
fi
if [ -n "${DEMO_PAGE:-}" ]; then
	cat <<EOF
The meeting-ended workflow (Cal.com -> Zoom -> Notion) runs too, against a
Notion stand-in on 127.0.0.1:$NPORT_NOTION, with a session page for booking
demo-booking-1 (Zoom meeting 81100000001, Status empty). Send Cal.com's
webhook, signed with this run's secret:

body='{"triggerEvent":"MEETING_ENDED","uid":"demo-booking-1","startTime":"2026-11-20T10:00:00Z","endTime":"2026-11-20T10:45:00Z","organizer":{"email":"coach@example.com","name":"Ada Lovelace"},"attendees":[{"email":"client@example.org","name":"Grace Hopper"}]}'
sig=\$(printf '%s' "\$body" | openssl dgst -sha256 -hmac '$CAL_WEBHOOK_SECRET' -r | cut -d' ' -f1)
curl -s -X POST http://127.0.0.1:$RUN_PORT/api/cal/meeting-ended -H "X-Cal-Signature-256: \$sig" -H 'Content-Type: application/json' --data-binary "\$body"

then the page's status, and the job:

curl -s 'http://127.0.0.1:$NPORT_NOTION/_control/page?id=$DEMO_PAGE' | python3 -c 'import json,sys; print(json.load(sys.stdin)["properties"]["Status"]["select"])'
WORKFLOW_SPOOL_DIR=$WORKFLOW_SPOOL_DIR $BIN --jobs

EOF
fi
echo "Ctrl-C stops everything."

# Foreground: until nginx or the responder stops, or Ctrl-C.
while kill -0 "$NPID" 2>/dev/null && kill -0 "$RPID" 2>/dev/null; do
	sleep 1 &
	wait $! || true
done
say "nginx or the responder exited"
exit 1
