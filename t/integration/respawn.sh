#!/bin/bash
# respawn.sh NAME [VAR=value ...] - restart one process of the running test
# stack (t/integration/env.sh) with more environment: the same command line
# it was started with, plus VAR=value.  For tests of configuration the
# stack does not have by default (EMBEDDING_URL, INFERENCE_URL, ...):
#   respawn.sh api EMBEDDING_URL=$FAKE_INFERENCE_URL
#   respawn.sh worker INFERENCE_URL=$FAKE_INFERENCE_URL
# The new process is recorded in $HUB_STATE/pids, so the stack stops it.
# A FastCGI program is back when its socket is; nginx keeps its port.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
# shellcheck source=../../contrib/stack.sh
. "$top_srcdir/contrib/stack.sh" lib
STATE=${HUB_STATE:?respawn.sh runs inside env.sh}
name=${1:?usage: respawn.sh NAME [VAR=value ...]}
shift
pid=$(awk -v n="$name" '$1 == n { p = $2 } END { print p }' "$STATE/pids")
[ -n "$pid" ] || die "no process named $name in $STATE/pids"
# The command line as it was started (NUL-separated in /proc).
mapfile -d '' cmd <"/proc/$pid/cmdline"
[ "${#cmd[@]}" -gt 0 ] || die "$name ($pid) has no command line"
sock=""
for ((i = 0; i < ${#cmd[@]}; i++)); do
	[ "${cmd[$i]}" = --socket ] && sock=${cmd[$((i + 1))]}
done
kill -TERM "$pid" 2>/dev/null || true
for _ in $(seq 1 100); do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.05
done
forget "$name" "$pid"
[ -z "$sock" ] || rm -f "$sock"
spawn "$name" env "$@" "${cmd[@]}"
[ -z "$sock" ] || wait_for_file "$sock" "$name"
