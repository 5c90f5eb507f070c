# lib.sh - helpers for the benchmarks of t/bench (sourced, not run).
#
# Every benchmark runs inside t/integration/env.sh and measures a reference
# in the same run (pgbench, or a second nginx answering a static reply), so
# its figures are ratios that mean something on any machine.  Loads are
# bounded (fixed durations) and loopback only.

# The programs run as many children as the production units do
# (contrib/systemd: --children 4); `make run` and the tests use 2.  On two
# cores four children keep a slow request (a first decision, a create) from
# holding up the others: ack p99 4.6 ms with 4, 13 ms with 2.
export HUB_CHILDREN=${HUB_CHILDREN:-4}

bench_die() { echo "bench: $*" >&2; exit 1; }

bench_need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || bench_die "$t is not installed"
	done
}

# bench_enter SCRIPT ARGS... - re-run SCRIPT inside a fresh env.sh unless we
# are already inside it.  Programs log at info (env.sh's default is debug,
# which writes several lines per request).
# BENCH_TMPDIR=DIR keeps env.sh's state under DIR/t/tmp instead of the build
# tree's t/tmp (which `make clean` removes, even under a running benchmark):
# DIR gets links to the build's bin/ and cgi-bin/ and becomes top_builddir.
bench_enter() {
	[ -n "${BENCH_INSIDE:-}" ] && return 0
	export BENCH_INSIDE=1 LOG_LEVEL=${LOG_LEVEL:-info}
	if [ -n "${BENCH_TMPDIR:-}" ]; then
		mkdir -p "$BENCH_TMPDIR/t/tmp"
		chmod 755 "$BENCH_TMPDIR" "$BENCH_TMPDIR/t" "$BENCH_TMPDIR/t/tmp"
		ln -sfn "$top_builddir/bin" "$BENCH_TMPDIR/bin"
		ln -sfn "$top_builddir/cgi-bin" "$BENCH_TMPDIR/cgi-bin"
		export top_builddir=$BENCH_TMPDIR
	fi
	exec bash "$top_srcdir/t/integration/env.sh" exec bash "$@"
}

# The worker would spend the benchmark retrying notify jobs that cannot be
# delivered (no Slack connection); it runs elsewhere in a real deployment.
# BENCH_WORKER=1 keeps it.
bench_stop_worker() {
	local name pid
	[ "${BENCH_WORKER:-0}" = 1 ] && return 0
	[ -f "$HUB_STATE/pids" ] || return 0
	while read -r name pid; do
		[ "$name" = worker ] || continue
		kill -TERM "$pid" 2>/dev/null || true
		local i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1; i=$((i + 1))
		done
	done <"$HUB_STATE/pids"
}

bench_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# bench_ref_nginx - start a second nginx (own prefix, same worker count and
# access logging as the hub's) answering every request with a static JSON
# reply; sets REF_URL.  env.sh stops it with everything else.
bench_ref_nginx() {
	local dir=$HUB_STATE/refnginx port user_line="" nginx
	nginx=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
	port=$(bench_free_port)
	mkdir -p "$dir/tmp"
	chmod 755 "$dir"
	[ "$(id -u)" = 0 ] && user_line="user www-data;"
	cat >"$dir/nginx.conf" <<EOF
$user_line
worker_processes 2;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
    access_log $dir/access.log;
    client_body_temp_path $dir/tmp/body;
    fastcgi_temp_path $dir/tmp/fastcgi;
    proxy_temp_path $dir/tmp/proxy;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    server_tokens off;
    keepalive_timeout 30;
    server {
        listen 127.0.0.1:$port;
        location / {
            default_type application/json;
            return 200 '{"ok":true}';
        }
    }
}
EOF
	"$nginx" -t -q -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" \
		|| bench_die "reference nginx: configuration test failed"
	"$nginx" -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" -g "daemon off;" \
		>>"$HUB_STATE/log/refnginx.log" 2>&1 &
	echo "refnginx $!" >>"$HUB_STATE/pids"
	local i=0
	until python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null; do
		i=$((i + 1)); [ $i -le 100 ] || bench_die "reference nginx did not listen"
		sleep 0.05
	done
	REF_URL=http://127.0.0.1:$port
}

# bench_wrk NAME WRK-ARGS... - run wrk, keep its output in
# $HUB_STATE/log/wrk-NAME.out and set W_RPS W_P50 W_P95 W_P99 W_REQ W_ERR
# W_BAD from the "bench:" line the Lua done() handlers print; W_LINE is the
# whole line (bench_field "$W_LINE" NAME for a script's own fields).
bench_wrk() {
	local name=$1 out line; shift
	out=$HUB_STATE/log/wrk-$name.out
	wrk "$@" >"$out" 2>&1 || { cat "$out" >&2; bench_die "wrk $name failed"; }
	line=$(grep '^bench:' "$out" | tail -n 1)
	[ -n "$line" ] || { cat "$out" >&2; bench_die "wrk $name printed no bench: line"; }
	W_RPS=$(bench_field "$line" rps)
	W_P50=$(bench_field "$line" p50_ms)
	W_P95=$(bench_field "$line" p95_ms)
	W_P99=$(bench_field "$line" p99_ms)
	W_REQ=$(bench_field "$line" requests)
	W_ERR=$(bench_field "$line" socket_errors)
	W_BAD=$(bench_field "$line" bad)
	W_LINE=$line
}

bench_field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# bench_calc EXPR - floating-point arithmetic, 2 decimals.
bench_calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }

# bench_check LABEL OK(1/0) - print PASS/MISS for a target; sets BENCH_FAILED.
bench_check() {
	if [ "$2" = 1 ]; then
		echo "  target $1: PASS"
	else
		echo "  target $1: MISS"
		BENCH_FAILED=1
	fi
}

# bench_cpu_ms PID... - CPU time (user + system, in ms) used so far by these
# processes and their running children (FastCGI children, PostgreSQL
# backends, nginx workers).  Take it before and after a run: the difference
# per request does not depend on what else the machine is doing.
bench_cpu_ms() {
	local want=" $* " f s pid ticks=0
	for f in /proc/[0-9]*/stat; do
		{ read -r s <"$f"; } 2>/dev/null || continue
		pid=${s%% *}
		set -- ${s##*) }
		case $want in
		*" $pid "* | *" $2 "*) ticks=$((ticks + ${12} + ${13})) ;;
		esac
	done
	echo $((ticks * 1000 / $(getconf CLK_TCK)))
}

# bench_pid NAME - the pid env.sh (or a benchmark) recorded for NAME.
bench_pid() { awk -v n="$1" '$1 == n { p = $2 } END { print p }' "$HUB_STATE/pids"; }

# bench_load NAME ROWS - load ROWS requests with list-load.sql (log in
# $HUB_STATE/log/NAME-load.out) and set load_s; skipped (load_s=0) when the
# database already holds at least ROWS requests: a benchmark run inside a
# stack another one loaded (BENCH_INSIDE=1 with that stack's environment)
# measures the same data without loading it again.
bench_load() {
	local have
	have=$(psql -X -qtA -d "$DATABASE_URL" -c "SELECT count(*) FROM requests")
	if [ "$have" -ge "$2" ]; then
		load_s=0
		return 0
	fi
	local t0
	t0=$(date +%s)
	psql -X -q -v ON_ERROR_STOP=1 -v n="$2" -d "$DATABASE_URL" \
		-f "$top_srcdir/t/bench/list-load.sql" >"$HUB_STATE/log/$1-load.out" 2>&1 \
		|| { cat "$HUB_STATE/log/$1-load.out" >&2; bench_die "loading failed"; }
	load_s=$(( $(date +%s) - t0 ))
}
