#!/bin/sh
# Build each libFuzzer target with clang and run it for $1 seconds.
# New inputs go to build-fuzz/corpus/<name>; then, with FUZZ_MERGE=1 (as
# `make fuzz` sets it), those that reach code the kept corpus does not are
# merged into tests/fuzz/corpus/<name> (libFuzzer's -merge=1: a minimal
# set), to be committed. A crash fails the run and is also kept, named
# crash-<name>-<sha1 of the input>, in tests/fuzz/corpus/<name>: `make
# check` replays every file there, so once fixed it stays fixed.
set -eu
cd "$(dirname "$0")/../.."
secs=$1; shift
CC=${FUZZ_CC:-clang}
B=build-fuzz
mkdir -p "$B/obj"
DEP_CFLAGS=$(pkg-config --cflags fcgi libcurl libcjson libcrypto)
DEP_LIBS="$(pkg-config --libs fcgi libcurl libcjson libcrypto) -lunistring"
FLAGS="-std=c11 -D_GNU_SOURCE -DZA_VERSION=\"fuzz\" -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all $DEP_CFLAGS"
# An object is rebuilt when its source or any header is newer: a changed
# struct in a header must reach every object that uses it.
newest_h=$(ls -t src/*.h | head -n 1)
for f in src/*.c; do
	[ "$f" = src/main.c ] && continue
	o="$B/obj/$(basename "$f" .c).o"
	[ "$o" -nt "$f" ] && [ "$o" -nt "$newest_h" ] || $CC $FLAGS -c -o "$o" "$f"
done
for n in "$@"; do
	rm -rf "$B/crashes/$n"
	mkdir -p "$B/corpus/$n" "$B/crashes/$n"
	$CC $FLAGS -fsanitize=fuzzer -Isrc -o "$B/fuzz_$n" "tests/fuzz/fuzz_$n.c" "$B"/obj/*.o $DEP_LIBS -lpthread -lm
	dict=tests/fuzz/json.dict
	[ "$n" = config ] && dict=tests/fuzz/config.dict
	[ "$n" = answer ] && dict=tests/fuzz/http.dict
	echo "== fuzz_$n for ${secs}s"
	"$B/fuzz_$n" -max_total_time="$secs" -dict="$dict" -max_len=65536 \
		-artifact_prefix="$B/crashes/$n/" -print_final_stats=1 \
		"$B/corpus/$n" "tests/fuzz/corpus/$n" 2>&1 | grep -E '^(stat::number_of_executed_units|stat::peak_rss|==|SUMMARY|#[0-9]+ *DONE)' || true
	if ls "$B/crashes/$n"/* >/dev/null 2>&1; then
		for c in "$B/crashes/$n"/*; do
			kept="tests/fuzz/corpus/$n/crash-$n-$(sha1sum "$c" | cut -c1-12)"
			cp "$c" "$kept"
			echo "fuzz_$n: crash kept as $kept (a regression file: fix, then commit it)"
		done
		exit 1
	fi
	if [ "${FUZZ_MERGE:-0}" = 1 ]; then
		before=$(ls "tests/fuzz/corpus/$n" | wc -l)
		"$B/fuzz_$n" -merge=1 -max_len=65536 "tests/fuzz/corpus/$n" \
		    "$B/corpus/$n" >/dev/null 2>&1
		echo "fuzz_$n: tests/fuzz/corpus/$n $before -> $(ls "tests/fuzz/corpus/$n" | wc -l) files"
	fi
done
