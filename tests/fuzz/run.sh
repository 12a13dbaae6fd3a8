#!/bin/sh
# Build each libFuzzer target with clang and run it for $1 seconds.
# New inputs go to build-fuzz/corpus/<name> (the seeds in tests/fuzz/corpus
# are read, not written); crashes to build-fuzz/crashes/<name>: copy a
# crash into tests/fuzz/corpus/<name> once fixed, so `make check` replays it.
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
	if ls "$B/crashes/$n"/* >/dev/null 2>&1; then echo "fuzz_$n: crash saved in $B/crashes/$n"; exit 1; fi
done
