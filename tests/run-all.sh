#!/bin/sh
# Everything `make check` runs: unit tests, fuzz corpus replay, integration,
# the meeting-ended workflow and hostile-caller tests, in the normal build
# and again in an
# AddressSanitizer + UBSan build; the deployments and the valgrind soak in
# the normal build. Ends with one line "N passed, N failed" summing every
# suite.
set -u
cd "$(dirname "$0")/.."

PASSED=0
FAILED=0
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT

# Add a suite's counts; $1 = its name, then its output is in $LOG.
count_cmocka() {
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$LOG" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$LOG" | tail -n 1)
	[ -n "$p" ] || p=0
	[ -n "$f" ] || f=0
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then f=1; echo "$1: ran no test (or crashed)"; fi
	PASSED=$((PASSED + p)); FAILED=$((FAILED + f))
}

count_plain() {
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$LOG" | tail -n 1)
	if [ -z "$line" ]; then
		FAILED=$((FAILED + 1)); echo "$1: no summary line (crashed?)"; return
	fi
	p=${line%% passed*}
	f=${line#*passed, }; f=${f%% failed*}
	PASSED=$((PASSED + p)); FAILED=$((FAILED + f))
}

run_build() {	# $1 = build dir, $2 = label
	for t in "$1"/tests/test_*; do
		[ -x "$t" ] || continue
		echo "== $2 unit: $(basename "$t")"
		"$t" >"$LOG" 2>&1
		rc=$?
		cat "$LOG"
		count_cmocka "$2 $(basename "$t")"
		[ $rc -eq 0 ] || [ "$f" -gt 0 ] || { FAILED=$((FAILED + 1)); echo "exit status $rc"; }
	done
	for d in tests/fuzz/corpus/*/; do	# one corpus per fuzz target
		n=$(basename "$d")
		echo "== $2 fuzz corpus replay: $n"
		"$1/fuzz/replay_$n" "tests/fuzz/corpus/$n" >"$LOG" 2>&1
		cat "$LOG"
		count_plain "$2 replay $n"
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

# Every shipped deployment (nginx, Apache, systemd, spawn-fcgi, CGI), started
# for real from `make install`'s files; the normal build only.
echo "== deployments"
python3 tests/deploy/run.py --bin build/zoom-attendees >"$LOG" 2>&1
cat "$LOG"
count_plain "deployments"

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

# The workflow's job thread, a CGI webhook and --drain under valgrind
# memcheck; the normal build only.
echo "== workflow under valgrind"
python3 tests/workflow/valgrind.py --bin build/zoom-attendees >"$LOG" 2>&1
cat "$LOG"
count_plain "workflow valgrind"

# The unit tests again under valgrind memcheck: any error or leak fails.
for t in build/tests/test_*; do
	[ -x "$t" ] || continue
	echo "== valgrind unit: $(basename "$t")"
	valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--error-exitcode=99 "$t" >"$LOG" 2>&1
	rc=$?
	cat "$LOG"
	count_cmocka "valgrind $(basename "$t")"
	[ $rc -ne 99 ] || { FAILED=$((FAILED + 1)); echo "valgrind reported errors"; }
done

echo "== build (AddressSanitizer + UndefinedBehaviorSanitizer)"
if make -s asan; then
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	run_build build-asan asan
else
	FAILED=$((FAILED + 1)); echo "asan build failed"
fi

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
