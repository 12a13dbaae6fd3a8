#!/bin/sh
# Everything `make check` runs: unit tests, fuzz corpus replay, integration,
# the meeting-ended workflow and hostile-caller tests, in the normal build
# and again in an AddressSanitizer + UBSan build; the deployments and the
# valgrind soak in the normal build. Ends with the skipped cases by name
# (never counted as passed), then one line "N passed, N failed" summing
# every suite: a case is a cmocka test or a line of a suite's own, a fuzz
# corpus replay is one check, a crash anywhere is a failure.
set -u
cd "$(dirname "$0")/.."

PASSED=0
FAILED=0
SKIPS=""
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT

# Note the cases a suite skipped, by name ($1 = the suite).
note_skips() {
	found=$(sed -n -e 's/^\[  SKIPPED \] \(test_[A-Za-z0-9_]*\)$/\1/p' \
	    -e 's/^\(.*\)\.\.\. skipped\(.*\)$/\1\2/p' "$LOG" | sort -u)
	[ -z "$found" ] && return
	SKIPS="$SKIPS$(printf '%s\n' "$found" | sed "s|^|  $1: |")
"
}

# Add a suite's counts; $1 = its name, then its output is in $LOG.
count_cmocka() {
	note_skips "$1"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$LOG" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$LOG" | tail -n 1)
	[ -n "$p" ] || p=0
	[ -n "$f" ] || f=0
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then f=1; echo "$1: ran no test (or crashed)"; fi
	PASSED=$((PASSED + p)); FAILED=$((FAILED + f))
}

count_plain() {
	note_skips "$1"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$LOG" | tail -n 1)
	if [ -z "$line" ]; then
		FAILED=$((FAILED + 1)); echo "$1: no summary line (crashed?)"; return
	fi
	p=${line%% passed*}
	f=${line#*passed, }; f=${f%% failed*}
	PASSED=$((PASSED + p)); FAILED=$((FAILED + f))
}

# The unit test programs: one per tests/unit/test_*.c (a stale binary of a
# test since removed is not run; a missing one is a failure).
unit_tests() {	# $1 = build dir
	for c in tests/unit/test_*.c; do
		n=$(basename "$c" .c)
		echo "$1/tests/$n"
	done
}

run_build() {	# $1 = build dir, $2 = label
	for t in $(unit_tests "$1"); do
		echo "== $2 unit: $(basename "$t")"
		"$t" >"$LOG" 2>&1
		rc=$?
		cat "$LOG"
		count_cmocka "$2 $(basename "$t")"
		# A crash after cmocka's summary is a failure too.
		[ $rc -eq 0 ] || [ "$f" -gt 0 ] || { FAILED=$((FAILED + 1)); echo "exit status $rc"; }
	done
	for d in tests/fuzz/corpus/*/; do	# one corpus per fuzz target
		n=$(basename "$d")
		echo "== $2 fuzz corpus replay: $n"
		"$1/fuzz/replay_$n" "tests/fuzz/corpus/$n" >"$LOG" 2>&1
		rc=$?
		cat "$LOG"
		# One check: every file of the corpus through the target.
		if [ $rc -eq 0 ] && grep -Eq '^[0-9]+ passed, 0 failed$' "$LOG"; then
			PASSED=$((PASSED + 1))
		else
			FAILED=$((FAILED + 1)); echo "$2 replay $n: failed (exit $rc)"
		fi
	done
	echo "== $2 integration"
	python3 tests/integration/run.py --bin "$1/zoom-attendees" >"$LOG" 2>&1
	cat "$LOG"
	count_plain "$2 integration"
	echo "== $2 TLS (HTTPS stand-in, private mount namespace)"
	python3 tests/integration/tls.py --bin "$1/zoom-attendees" >"$LOG" 2>&1
	cat "$LOG"
	count_plain "$2 tls"
	echo "== $2 meeting-ended workflow (Cal.com sender, Notion and Zoom stand-ins, nginx, CGI)"
	python3 tests/workflow/run.py --bin "$1/zoom-attendees" >"$LOG" 2>&1
	cat "$LOG"
	count_plain "$2 workflow"
	echo "== $2 nothing lost (kill -9 of responders and --drain runs, 74 jobs)"
	python3 tests/workflow/crash.py --bin "$1/zoom-attendees" >"$LOG" 2>&1
	cat "$LOG"
	count_plain "$2 crash"
	echo "== $2 hostile callers"
	python3 tests/integration/hostile.py --bin "$1/zoom-attendees" >"$LOG" 2>&1
	cat "$LOG"
	count_plain "$2 hostile"
}

echo "== build"
if ! make -s all unit; then echo "0 passed, 1 failed"; exit 1; fi
run_build build normal

# Every shipped deployment (nginx, Apache, lighttpd, Caddy, systemd,
# spawn-fcgi, CGI), started for real from `make install`'s files; the normal
# build only. lighttpd and Caddy are needed by these tests alone.
echo "== deployments"
sh tests/install-deps.sh caddy lighttpd || echo "install-deps: no lighttpd or Caddy: their deployments fail below"
python3 tests/deploy/run.py --bin build/zoom-attendees >"$LOG" 2>&1
cat "$LOG"
count_plain "deployments"

# /metrics through nginx from 4 worker processes sharing their counters:
# every sum exact; the normal build only.
echo "== metrics (4 processes behind nginx, shared counters)"
python3 tests/metrics/run.py --bin build/zoom-attendees >"$LOG" 2>&1
cat "$LOG"
count_plain "metrics"

# The shipped units under a real systemd (PID 1 of a private PID and mount
# namespace): socket activation through nginx, the sandbox in force, a
# restart under load that loses no request, a clean stop.
echo "== systemd for real (the units under systemd as PID 1 of a namespace)"
python3 tests/systemd/run.py --bin build/zoom-attendees >"$LOG" 2>&1
cat "$LOG"
count_plain "systemd"

# The Debian package: built (make deb, lintian), installed with dpkg -i,
# serving through nginx from the installed files, then purged; the normal
# build's sources only.
echo "== Debian package (make deb, lintian, install, serve, purge)"
python3 tests/deb/run.py >"$LOG" 2>&1
cat "$LOG"
count_plain "deb"

# The original caller, a SvelteKit app's relative event.fetch, through a
# real nginx to the responder (npm ci once, then cached in
# tests/migration/node_modules); the normal build only.
echo "== migration (SvelteKit caller through nginx)"
python3 tests/migration/run.py --bin build/zoom-attendees >"$LOG" 2>&1
cat "$LOG"
count_plain "migration"

# One FastCGI process, 10,000 mixed requests under valgrind memcheck, then
# natively with an RSS check; the normal build only.
echo "== soak (valgrind memcheck, RSS)"
python3 tests/soak/run.py --bin build/zoom-attendees >"$LOG" 2>&1
cat "$LOG"
count_plain "soak"

# A short libFuzzer pass of every target (10 s each, seeded with the kept
# corpus; nothing merged back): one check a target, a crash fails it and is
# kept as a named regression file.
echo "== fuzz (libFuzzer, 10 s a target)"
sh tests/install-deps.sh clang libclang-rt-14-dev >/dev/null 2>&1
for n in $(sed -n 's/^FUZZ_NAMES[[:space:]]*=[[:space:]]*//p' Makefile); do
	sh tests/fuzz/run.sh 10 "$n" >"$LOG" 2>&1
	rc=$?
	cat "$LOG"
	if [ $rc -eq 0 ]; then
		PASSED=$((PASSED + 1)); echo "fuzz $n... ok"
	else
		FAILED=$((FAILED + 1)); echo "fuzz $n... FAIL (exit $rc)"
	fi
done

# The workflow's job thread, a CGI webhook and --drain under valgrind
# memcheck; the normal build only.
echo "== workflow under valgrind"
python3 tests/workflow/valgrind.py --bin build/zoom-attendees >"$LOG" 2>&1
cat "$LOG"
count_plain "workflow valgrind"

# Constant time, checked rather than timed: auth_equal under memcheck with
# the key's low bits undefined must not branch on them (no report), and an
# early-exit strcmp in its place must be reported (the check can fail).
echo "== constant time (auth_equal under valgrind, the key's bits undefined)"
for mode in auth strcmp; do
	valgrind -q --expensive-definedness-checks=yes --error-exitcode=99 \
		build/tests/ct_auth "$mode" >"$LOG" 2>&1
	rc=$?
	cat "$LOG"
	if { [ "$mode" = auth ] && [ $rc -eq 0 ]; } ||
	    { [ "$mode" = strcmp ] && [ $rc -eq 99 ]; }; then
		PASSED=$((PASSED + 1)); echo "ct_auth $mode... ok (exit $rc)"
	else
		FAILED=$((FAILED + 1)); echo "ct_auth $mode... FAIL (exit $rc)"
	fi
done

# The unit tests again under valgrind memcheck: any error or leak fails.
for t in $(unit_tests build); do
	echo "== valgrind unit: $(basename "$t")"
	valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--error-exitcode=99 "$t" >"$LOG" 2>&1
	rc=$?
	cat "$LOG"
	count_cmocka "valgrind $(basename "$t")"
	if [ $rc -eq 99 ]; then
		FAILED=$((FAILED + 1)); echo "valgrind reported errors"
	elif [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		# A crash after cmocka's summary: not a pass.
		FAILED=$((FAILED + 1)); echo "exit status $rc"
	fi
done

echo "== build (AddressSanitizer + UndefinedBehaviorSanitizer)"
if make -s asan; then
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	run_build build-asan asan
else
	FAILED=$((FAILED + 1)); echo "asan build failed"
fi

if [ -n "$SKIPS" ]; then
	echo "skipped, not counted as passed:"
	printf '%s' "$SKIPS"
fi
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
