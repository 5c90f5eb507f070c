#!/bin/sh
# fuzz-long.sh SECONDS TARGET... - run each libFuzzer target for SECONDS
# (make fuzz-long; FUZZ_SECONDS, default 60) on its corpus and seeds, and
# print a table of executions and crashes per target.  A crash, leak or
# timeout stops that target (its input is kept under t/fuzz/artifacts-NAME/
# to replay: ./t/fuzz/NAME FILE); the others still run.  Exit status 1 when
# any target found one.
set -u
secs=$1; shift
srcdir=${srcdir:-.}
bad=0
rows=""
for f in "$@"; do
	n=$(basename "$f")
	mkdir -p "t/fuzz/corpus-$n" "t/fuzz/artifacts-$n"
	echo "fuzz: $n for ${secs}s" >&2
	"./$f" -max_total_time="$secs" -max_len=65536 -print_final_stats=1 -timeout=10 \
		-artifact_prefix="t/fuzz/artifacts-$n/" \
		"t/fuzz/corpus-$n" "$srcdir/t/fuzz/seeds/$n" >"t/fuzz/$n.long.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "t/fuzz/$n.long.log" | tail -n 1)
	[ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' "t/fuzz/$n.long.log" | tail -n 1)
	crashes=$(find "t/fuzz/artifacts-$n" -type f \( -name 'crash-*' -o -name 'leak-*' \
		-o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
	[ "$rc" = 0 ] || [ "$crashes" -gt 0 ] || crashes="?(exit $rc)"
	[ "$crashes" = 0 ] || bad=1
	rows="$rows$(printf '%-20s %15s %10s' "$n" "${execs:-0}" "$crashes")
"
done
printf '%-20s %15s %10s\n' target executions crashes
printf '%s' "$rows"
[ "$bad" = 0 ] || echo "fuzz: crashes kept in t/fuzz/artifacts-*/ (see t/fuzz/*.long.log)"
exit "$bad"
