#!/bin/bash
# stack.sh - start and stop the hub's processes on one machine: a private
# PostgreSQL cluster (unix socket only), the four FastCGI programs, the
# worker and nginx, each a child of this script, all stopped together.
# Used by `make run` (stack.sh run: restarts a process that exits) and by
# the integration tests (t/integration/env.sh: no restarts).
#
# PostgreSQL refuses to run as root, so as root the cluster runs as the
# unprivileged `postgres` user; nginx's workers drop to www-data and the
# FastCGI sockets are made connectable by that group.
set -eu

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${PG_BINDIR:=}"
[ -n "$PG_BINDIR" ] || PG_BINDIR=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
# Not "NGINX": nginx itself reads that variable (inherited sockets on a binary upgrade).
: "${HUB_NGINX:=}"
[ -n "$HUB_NGINX" ] || HUB_NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
: "${HUB_CHILDREN:=2}"
PROGRAMS="events interactions api dashboard"

is_root() { [ "$(id -u)" = 0 ]; }

# Can USER reach (traverse) PATH?  A clone under /root (mode 0700) is out of
# reach of the postgres and www-data users.
can_reach() {
	runuser -u "$1" -- test -x "$2" 2>/dev/null
}

# Run a PostgreSQL server binary as an unprivileged user.  When the cluster
# lives where that user cannot traverse (a clone under /root), it gets only
# the capability to traverse directories and read files (never to write
# outside what it owns), so the cluster can stay under ./var.
as_pg() {
	if ! is_root; then
		"$@"
	elif [ -n "${PG_REACH_DIR:-}" ] && ! can_reach postgres "$PG_REACH_DIR"; then
		setpriv --reuid=postgres --regid=postgres --init-groups \
			--inh-caps=+dac_read_search --ambient-caps=+dac_read_search -- "$@"
	else
		runuser -u postgres -- "$@"
	fi
}

die() { echo "stack: $*" >&2; exit 1; }

# make run as root runs the FastCGI programs and the worker as this
# unprivileged user (created as a system user when missing), in its own
# group plus www-data's (the sockets nginx's workers connect to).  The
# integration tests (env.sh) leave RUN_AS empty.
RUN_AS=
run_as_setup() {
	is_root || return 0
	RUN_AS=${HUB_RUN_USER:-approvalhub}
	if ! id "$RUN_AS" >/dev/null 2>&1; then
		useradd --system --user-group --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin "$RUN_AS" \
			|| die "could not create the user '$RUN_AS' to run the hub as"
	fi
	RUN_AS_GROUP=$(id -gn "$RUN_AS")
}

# as_hub CMD... - the command line that runs CMD as RUN_AS (or as is).
as_hub() {
	if [ -n "$RUN_AS" ]; then
		local groups=$RUN_AS_GROUP
		getent group www-data >/dev/null && groups="$groups,www-data"
		printf '%s\0' setpriv --reuid="$RUN_AS" --regid="$RUN_AS_GROUP" \
			--groups="$groups" --inh-caps=-all --bounding-set=-all --no-new-privs -- "$@"
	else
		printf '%s\0' "$@"
	fi
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# pg_init DIR FAST - create a cluster in DIR/data unless one is there.
# FAST=1 turns off fsync (tests only: a crash there loses nothing of value).
pg_init() {
	local dir=$1 fast=${2:-0}
	[ -x "$PG_BINDIR/initdb" ] || die "PostgreSQL server not found in '$PG_BINDIR' (run ./bootstrap)"
	mkdir -p "$dir"
	PG_REACH_DIR=$(dirname "$dir")
	if is_root; then
		id postgres >/dev/null 2>&1 || die "the 'postgres' user is missing (run ./bootstrap)"
		chown postgres "$dir"
	fi
	chmod 700 "$dir"
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		as_pg "$PG_BINDIR/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 \
			--locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
			|| { cat "$dir/initdb.log" >&2; die "initdb failed"; }
		{
			echo "listen_addresses = ''"
			echo "unix_socket_directories = '$dir'"
			echo "unix_socket_permissions = 0700"
			echo "max_connections = 200"
			echo "shared_buffers = 128MB"
			if [ "$fast" = 1 ]; then
				echo "fsync = off"
				echo "synchronous_commit = off"
				echo "full_page_writes = off"
			fi
		} >>"$dir/data/postgresql.conf"
	fi
}

pg_start() {
	local dir=$1
	PG_REACH_DIR=$(dirname "$dir")
	as_pg "$PG_BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		${PG_OPTS:+-o "$PG_OPTS"} start >/dev/null \
		|| { tail -n 30 "$dir/server.log" >&2; die "PostgreSQL did not start"; }
}

pg_stop() {
	local dir=$1
	PG_REACH_DIR=$(dirname "$dir")
	[ -f "$dir/data/postmaster.pid" ] || return 0
	as_pg "$PG_BINDIR/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
}

# pg_createdb DIR NAME - create database NAME unless it exists.
pg_createdb() {
	local dir=$1 name=$2
	if ! psql -X -q -h "$dir" -U postgres -d postgres -tAc \
		"SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
		psql -X -q -h "$dir" -U postgres -d postgres -c "CREATE DATABASE \"$name\"" >/dev/null
	fi
}

# ---------------------------------------------------------------- processes
# Started processes are recorded as "name pid" lines in $STATE/pids.  Each
# one leads a session of its own (setsid execs in place: $! is the
# program), so stopping it can take its children too (a prefork master's
# workers, nginx's) even when it was killed before it could stop them.
# SPAWN_CMD keeps each command line, quoted, for a restart.
declare -gA SPAWN_CMD=()
# Logs may carry request ids, emails and delivery errors: owner and group
# only (0640), also when an older run left one 0644.
private_log() {
	(umask 027; : >>"$1")
	chmod 0640 "$1"
}

spawn() {
	local name=$1; shift
	SPAWN_CMD[$name]=$(printf '%q ' "$@")
	private_log "$STATE/log/$name.log"
	setsid "$@" >>"$STATE/log/$name.log" 2>&1 &
	echo "$name $!" >>"$STATE/pids"
}

# respawn NAME - start NAME's command again (see supervise).
respawn() {
	eval "spawn \"\$1\" ${SPAWN_CMD[$1]}"
}

# forget NAME PID - drop a dead process from $STATE/pids, and whatever it
# left behind in its session.
forget() {
	kill -KILL -- "-$2" 2>/dev/null || true
	[ -f "$STATE/pids" ] || return 0
	grep -v -x -F "$1 $2" "$STATE/pids" >"$STATE/pids.new" || true
	mv -f "$STATE/pids.new" "$STATE/pids"
}

wait_for_file() {
	local f=$1 what=$2 i=0
	while [ ! -e "$f" ]; do
		i=$((i + 1))
		[ $i -le 200 ] || die "$what did not come up (see $STATE/log)"
		sleep 0.05
	done
}

# Where the FastCGI sockets and nginx's prefix live.  nginx's workers run as
# www-data: when they cannot reach $STATE (a clone under /root), the runtime
# files go to a directory of their own under /run (or /tmp), linked from
# $STATE, with a copy of the static assets.
setup_rundir() {
	[ -z "${RUNDIR:-}" ] || return 0
	BINDIR=$top_builddir
	if ! is_root || { can_reach www-data "$STATE" &&
	    { [ -z "$RUN_AS" ] || can_reach "$RUN_AS" "$STATE"; }; }; then
		RUNDIR=$STATE
		STATICDIR=$top_srcdir/templates/static
	else
		RUNDIR=$(mktemp -d /run/approvalhub.XXXXXX 2>/dev/null || mktemp -d /tmp/approvalhub.XXXXXX)
		chmod 755 "$RUNDIR"
		echo "$RUNDIR" >"$STATE/rundir"
		cp -R "$top_srcdir/templates/static" "$RUNDIR/static"
		chmod -R a+rX "$RUNDIR/static"
		STATICDIR=$RUNDIR/static
		rm -rf "$STATE/run" "$STATE/nginx"
		mkdir -p "$RUNDIR/run" "$RUNDIR/nginx"
		ln -s "$RUNDIR/run" "$STATE/run"
		ln -s "$RUNDIR/nginx" "$STATE/nginx"
	fi
	# The programs' user cannot reach the build (a clone under /root):
	# they run from a copy of the binaries (templates are built in).
	if [ -n "$RUN_AS" ] && ! can_reach "$RUN_AS" "$top_builddir/bin/approvalhub-worker"; then
		BINDIR=$RUNDIR/bin
		mkdir -p "$BINDIR/cgi-bin" "$BINDIR/bin"
		for p in $PROGRAMS; do cp "$top_builddir/cgi-bin/$p" "$BINDIR/cgi-bin/"; done
		cp "$top_builddir/bin/approvalhub-worker" "$BINDIR/bin/"
		chmod -R a+rX "$BINDIR"
	fi
}

# pg_socket_for_run_as - make run's private PostgreSQL listens where the
# programs' user can connect: a socket directory of its own under
# $RUNDIR, postgres' with group RUN_AS_GROUP and no access for others (it
# is the gate: the socket in it is open to whoever gets there; postgres,
# not a member of that group, could not give the socket the group).  The
# cluster itself stays 0700, postgres'.  Sets PG_SOCKDIR and PG_OPTS.
pg_socket_for_run_as() {
	PG_SOCKDIR=$RUNDIR/pgsock
	mkdir -p "$PG_SOCKDIR"
	chown "postgres:$RUN_AS_GROUP" "$PG_SOCKDIR"
	chmod 0750 "$PG_SOCKDIR"
	PG_OPTS="-c unix_socket_directories='$PG_SOCKDIR' -c unix_socket_permissions=0777"
}

start_programs() {
	local p mode group
	setup_rundir
	mkdir -p "$STATE/run" "$STATE/log"
	chmod 755 "$STATE/run"
	if is_root; then
		mode=0660 group=www-data
		getent group www-data >/dev/null || group=
		[ -n "$group" ] || mode=0666
	else
		mode=0600 group=
	fi
	[ -z "$RUN_AS" ] || chown "$RUN_AS:$RUN_AS_GROUP" "$RUNDIR/run"
	for p in $PROGRAMS; do
		rm -f "$STATE/run/$p.sock"
		local -a cmd=()
		mapfile -d '' cmd < <(as_hub "$BINDIR/cgi-bin/$p" --socket "$RUNDIR/run/$p.sock" \
			--socket-mode "$mode" ${group:+--socket-group "$group"} \
			--children "$HUB_CHILDREN")
		spawn "$p" "${cmd[@]}"
	done
	for p in $PROGRAMS; do
		wait_for_file "$RUNDIR/run/$p.sock" "cgi-bin/$p"
	done
}

start_worker() {
	setup_rundir
	local -a cmd=()
	mapfile -d '' cmd < <(as_hub "$BINDIR/bin/approvalhub-worker" "$@")
	spawn worker "${cmd[@]}"
}

start_nginx() {
	local port=$1 dir user_line=""
	setup_rundir
	dir=$RUNDIR/nginx
	mkdir -p "$dir/tmp"
	chmod 755 "$STATE" "$dir" 2>/dev/null || true
	# nginx's master (root) opens its logs 0644 when it creates them.
	private_log "$dir/access.log"
	private_log "$dir/error.log"
	is_root && user_line="user www-data;"
	sed -e "s|@LISTEN@|127.0.0.1:$port|" -e "s|@RUNDIR@|$RUNDIR/run|g" \
	    -e "s|@STATICDIR@|$STATICDIR|g" \
	    -e "s|@FASTCGI_PARAMS@|$dir/fastcgi.conf|g" \
	    "$top_srcdir/nginx/site.conf.in" >"$dir/site.conf"
	cp "$top_srcdir/nginx/fastcgi.conf" "$dir/fastcgi.conf"
	sed -e "s|@NGINXDIR@|$dir|g" -e "s|@USER_LINE@|$user_line|" \
	    "$top_srcdir/nginx/nginx.conf.in" >"$dir/nginx.conf"
	"$HUB_NGINX" -t -q -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" \
		|| die "nginx configuration test failed"
	spawn nginx "$HUB_NGINX" -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" -g "daemon off;"
	local i=0
	until python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null; do
		i=$((i + 1))
		[ $i -le 100 ] || die "nginx did not listen on port $port (see $dir/error.log)"
		sleep 0.05
	done
}

# Stop everything this state directory started, newest first.
stop_all() {
	local name pid pids="" i
	if [ -f "$STATE/pids" ]; then
		while read -r name pid; do
			kill -TERM "$pid" 2>/dev/null || true
			pids="$pids $pid"
		done < <(tac "$STATE/pids")
		for i in $(seq 1 100); do
			local alive=""
			for pid in $pids; do
				kill -0 "$pid" 2>/dev/null && alive="$alive $pid"
			done
			[ -n "$alive" ] || break
			pids=$alive
			sleep 0.1
		done
		for pid in $pids; do kill -KILL "$pid" 2>/dev/null || true; done
		# Children a leader left behind (each leads its own session).
		while read -r name pid; do
			kill -KILL -- "-$pid" 2>/dev/null || true
		done <"$STATE/pids"
		rm -f "$STATE/pids"
	fi
	[ -z "${PGDIR:-}" ] || pg_stop "$PGDIR"
	# A runtime directory of our own outside $STATE goes with the stack.
	if [ -f "$STATE/rundir" ]; then
		rm -rf "$(cat "$STATE/rundir")"
		rm -f "$STATE/rundir" "$STATE/run" "$STATE/nginx"
	fi
}

# supervise - keep every process of $STATE/pids running (make run).  One
# that exits is started again after 1 s, then 2, 4 ... up to 30 s while it
# keeps dying; the delay starts over once it has run for a minute.  The
# others keep serving meanwhile.  Looks once a second (bash's `wait -n`
# misses a child it has already reported), sleeping in `wait` so that
# Ctrl-C and SIGTERM reach the caller's traps, which stop everything.
SLEEPER=
supervise() {
	local -A delay=() since=() due=()
	local name pid status
	while read -r name pid; do
		delay[$name]=1
		since[$name]=$SECONDS
	done <"$STATE/pids"
	while :; do
		sleep 1 &
		SLEEPER=$!
		wait "$SLEEPER" || true
		SLEEPER=
		while read -r name pid; do
			! kill -0 "$pid" 2>/dev/null || continue
			status=0
			wait "$pid" 2>/dev/null || status=$?
			forget "$name" "$pid"
			(( SECONDS - since[$name] < 60 )) || delay[$name]=1
			echo "stack: $name exited (status $status); restarting in ${delay[$name]}s" \
				"(see $STATE/log/$name.log)" >&2
			due[$name]=$(( SECONDS + delay[$name] ))
			delay[$name]=$(( delay[$name] >= 15 ? 30 : delay[$name] * 2 ))
		done <"$STATE/pids"
		for name in "${!due[@]}"; do
			(( due[$name] <= SECONDS )) || continue
			unset "due[$name]"
			respawn "$name"
			since[$name]=$SECONDS
		done
	done
}

# ---------------------------------------------------------------- make run
# write_env - every setting the programs get from this environment (the
# variables of README's "Configuration", and every SLACK_*, SMTP_*,
# INFERENCE_*, EMBEDDING_*, WORKER_* and DB_* one) as sh that `. var/env` reads
# back: bin/approvalhub then sees what the programs see.  Values are
# single-quoted, a quote inside written as '\''.
write_env() {
	local v q="'" qq="'\\''"
	echo "# written by make run; source it to point bin/approvalhub at this hub"
	for v in $(compgen -e | LC_ALL=C sort); do
		case $v in
		DATABASE_URL | SECRET_KEY | PUBLIC_URL | PORT | APPROVALHUB_CONF | LOG_LEVEL | \
		SLACK_* | SMTP_* | INFERENCE_* | EMBEDDING_* | WORKER_* | DB_*)
			printf "export %s='%s'\n" "$v" "${!v//$q/$qq}" ;;
		esac
	done
}

cmd_run() {
	# HUB_RUN_DIR: where make run keeps its state (tests point it elsewhere).
	STATE=${HUB_RUN_DIR:-$top_builddir/var}
	mkdir -p "$STATE/log"
	: "${PORT:=8080}"
	PGDIR=
	[ -n "${DATABASE_URL:-}" ] || PGDIR=$STATE/pg
	# A run killed outright (SIGKILL) could not stop its processes.
	if [ -s "$STATE/pids" ]; then
		echo "stack: stopping what a previous run left running" >&2
		stop_all
	fi
	rm -f "$STATE/pids"
	run_as_setup
	setup_rundir
	if [ -n "$PGDIR" ]; then
		local pghost=$PGDIR
		pg_init "$PGDIR" 0
		[ -z "$RUN_AS" ] || { pg_socket_for_run_as; pghost=$PG_SOCKDIR; }
		pg_start "$PGDIR"
		pg_createdb "$pghost" approvalhub
		DATABASE_URL="postgresql:///approvalhub?host=$pghost&user=postgres"
	fi
	trap 'stop_all; [ -z "$SLEEPER" ] || kill "$SLEEPER" 2>/dev/null; exit 0' INT TERM HUP
	trap 'stop_all' EXIT
	if [ -z "${SECRET_KEY:-}" ]; then
		if [ ! -s "$STATE/secret_key" ]; then
			(umask 077; head -c 32 /dev/urandom | base64 >"$STATE/secret_key")
		fi
		SECRET_KEY=$(cat "$STATE/secret_key")
	fi
	: "${PUBLIC_URL:=http://127.0.0.1:$PORT}"
	export DATABASE_URL SECRET_KEY PORT PUBLIC_URL
	# A restart, or bin/approvalhub run elsewhere, must find the same file.
	case ${APPROVALHUB_CONF:-} in
	/* | "") ;;
	*) export APPROVALHUB_CONF=$PWD/$APPROVALHUB_CONF ;;
	esac
	# The programs' user reads it too: a copy it can reach (owner root,
	# group theirs, 0640) when it cannot reach the file itself.
	if [ -n "$RUN_AS" ] && [ -n "${APPROVALHUB_CONF:-}" ] &&
	    ! runuser -u "$RUN_AS" -- test -r "$APPROVALHUB_CONF" 2>/dev/null; then
		install -m 0640 -o root -g "$RUN_AS_GROUP" "$APPROVALHUB_CONF" "$RUNDIR/approvalhub.conf"
		export APPROVALHUB_CONF=$RUNDIR/approvalhub.conf
	fi
	(umask 077; rm -f "$STATE/env"; write_env >"$STATE/env")
	local cli=$top_builddir/bin/approvalhub
	"$cli" migrate
	if [ ! -s "$STATE/credentials" ]; then
		local pw key
		# .localhost is reserved for this (RFC 6761) and passes the
		# hub's email check, which wants a dotted domain.
		pw=$("$cli" user add admin --role admin --email admin@hub.localhost) ||
			die "could not create the admin user"
		pw=$(printf '%s\n' "$pw" | sed -n 's/.*password: //p')
		key=$("$cli" source add demo) || die "could not create the demo source"
		key=$(printf '%s\n' "$key" | sed -n 's/.*api key: //p')
		[ -n "$pw" ] && [ -n "$key" ] || die "the admin password or the demo key was not printed"
		(umask 077; printf 'admin_password=%s\ndemo_api_key=%s\n' "$pw" "$key" >"$STATE/credentials")
	fi
	start_programs
	start_worker
	start_nginx "$PORT"
	local pw key
	pw=$(sed -n 's/^admin_password=//p' "$STATE/credentials")
	key=$(sed -n 's/^demo_api_key=//p' "$STATE/credentials")
	cat <<EOT

  Universal Approval Hub is running.

  Dashboard:        http://127.0.0.1:$PORT/
  Admin login:      admin@hub.localhost / $pw
  Demo source key:  $key
                    curl -H 'Authorization: Bearer $key' http://127.0.0.1:$PORT/api/requests

  Slack request URLs (set PUBLIC_URL to the address Slack can reach):
    Event Subscriptions:  $PUBLIC_URL/slack/events
    Interactivity:        $PUBLIC_URL/slack/interactions
    Slash commands:       $PUBLIC_URL/slack/commands

  Logs: $STATE/log/   Settings for bin/approvalhub: . $STATE/env
  A process that exits is restarted.  Press Ctrl-C to stop.

EOT
	supervise
}

case "${1:-}" in
run) cmd_run ;;
lib) ;;  # sourced for its functions
*) echo "usage: stack.sh run" >&2; exit 2 ;;
esac
