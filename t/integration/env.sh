#!/bin/bash
# env.sh exec CMD [ARGS] - run CMD inside a throwaway hub: a private
# PostgreSQL cluster, the fakes of t/fakes (Slack, a source's callback
# receiver, an SMTP sink), the four FastCGI programs behind nginx on a free
# loopback port, and the worker.  Everything is stopped when CMD ends,
# whatever its outcome, and on SIGINT/SIGTERM.
#
# CMD sees:
#   DATABASE_URL       the hub's database (migrated); tests that need an
#                      empty one create their own next to it
#   PGHOST PGUSER      for psql and CREATE DATABASE
#   HUB_URL            http://127.0.0.1:PORT (nginx)
#   HUB_STATE          the state directory (logs in $HUB_STATE/log)
#   SECRET_KEY SLACK_SIGNING_SECRET SLACK_API_URL SMTP_URL SMTP_FROM PUBLIC_URL
#   SLACK_CLIENT_ID SLACK_CLIENT_SECRET (the fake's OAuth client)
#   FAKE_SLACK_URL FAKE_CALLBACK_URL FAKE_SMTP_CONTROL_URL
#   FAKE_INFERENCE_URL (t/fakes/fake_inference.py: embeddings and chat; the
#                      stack runs without EMBEDDING_URL / INFERENCE_URL, a
#                      test turns them on for the programs it needs with
#                      t/integration/respawn.sh)
#   HUB_TEST_CALLBACK_SECRET
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
# shellcheck source=../../contrib/stack.sh
. "$top_srcdir/contrib/stack.sh" lib

[ "${1:-}" = exec ] || { echo "usage: env.sh exec CMD [ARGS]" >&2; exit 2; }
shift

mkdir -p "$top_builddir/t/tmp"
STATE=$(mktemp -d "$top_builddir/t/tmp/env.XXXXXX")
chmod 755 "$STATE"
mkdir -p "$STATE/log"
PGDIR=$STATE/pg

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	kill "$watchdog" 2>/dev/null || true
	stop_all
	if [ "$rc" = 0 ] && [ -z "${HUB_KEEP_STATE:-}" ]; then
		rm -rf "$STATE"
	else
		echo "# env: state kept in $STATE" >&2
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# If this script is killed outright (SIGKILL, a harness timeout), no trap
# runs: a watchdog in its own session stops what it started once this
# process is gone.
setsid bash -c '. "$1/contrib/stack.sh" lib; STATE=$2; PGDIR=$2/pg
	trap "" INT TERM HUP
	while kill -0 "$3" 2>/dev/null; do sleep 1; done
	[ -d "$STATE" ] && stop_all' hub-env-watchdog "$top_srcdir" "$STATE" "$$" \
	</dev/null >/dev/null 2>&1 &
watchdog=$!

start_fake() {
	local name=$1 script=$2; shift 2
	[ -f "$top_srcdir/t/fakes/$script" ] || return 1
	spawn "$name" python3 "$top_srcdir/t/fakes/$script" --port-file "$STATE/$name.port" "$@"
	wait_for_file "$STATE/$name.port" "$name"
	# The port file is written once the socket listens; wait for content.
	local i=0
	until [ -s "$STATE/$name.port" ]; do
		i=$((i + 1)); [ $i -le 100 ] || die "$name wrote no port"; sleep 0.05
	done
}

pg_init "$PGDIR" 1
pg_start "$PGDIR"
pg_createdb "$PGDIR" approvalhub
export PGHOST=$PGDIR PGUSER=postgres
export DATABASE_URL="postgresql:///approvalhub?host=$PGDIR&user=postgres"
SECRET_KEY=$(head -c 32 /dev/urandom | base64)
export SECRET_KEY
export SLACK_SIGNING_SECRET=test-signing-secret-0123456789abcdef
export HUB_TEST_CALLBACK_SECRET=test-callback-secret
export HUB_STATE=$STATE LOG_LEVEL=${LOG_LEVEL:-debug}

if start_fake fake_slack fake_slack.py --port 0; then
	FAKE_SLACK_URL=http://127.0.0.1:$(cat "$STATE/fake_slack.port")
	export FAKE_SLACK_URL SLACK_API_URL=$FAKE_SLACK_URL/api/
	# The fake's default OAuth client (t/fakes/README.md), for /slack/install
	# and the worker's oauth.v2.access calls.
	export SLACK_CLIENT_ID=1111.2222 SLACK_CLIENT_SECRET=fake-client-secret
fi
if start_fake callback callback_receiver.py --port 0 --secret "$HUB_TEST_CALLBACK_SECRET"; then
	export FAKE_CALLBACK_URL=http://127.0.0.1:$(cat "$STATE/callback.port")
fi
if start_fake smtp smtp_sink.py --smtp-port 0 --http-port 0; then
	ports=$(cat "$STATE/smtp.port")
	smtp_port=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["smtp_port"])' "$ports")
	http_port=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["http_port"])' "$ports")
	export SMTP_URL=smtp://127.0.0.1:$smtp_port SMTP_FROM=hub@example.test
	export FAKE_SMTP_CONTROL_URL=http://127.0.0.1:$http_port
fi

if start_fake inference fake_inference.py --port 0; then
	export FAKE_INFERENCE_URL=http://127.0.0.1:$(cat "$STATE/inference.port")
fi

"$top_builddir/bin/approvalhub" migrate >>"$STATE/log/migrate.log" 2>&1 \
	|| { cat "$STATE/log/migrate.log" >&2; die "migrations failed"; }
# The fakes (callback receiver, Slack) listen on loopback, which callbacks
# may not reach unless an admin allows it: allow it here, as an admin with
# an internal callback host would.  test_ssrf shows what happens without.
"$top_builddir/bin/approvalhub" settings set callbacks.allow_networks 127.0.0.1/32 \
	>>"$STATE/log/migrate.log" 2>&1 \
	|| { cat "$STATE/log/migrate.log" >&2; die "settings set failed"; }

port=$(free_port)
export HUB_URL=http://127.0.0.1:$port PUBLIC_URL=http://127.0.0.1:$port
start_programs
WORKER_BACKOFF_BASE_MS=${WORKER_BACKOFF_BASE_MS:-300} start_worker
start_nginx "$port"

set +e
"$@"
rc=$?
set -e
if [ "$rc" != 0 ]; then
	for f in "$STATE"/log/*.log "$STATE/nginx/error.log"; do
		[ -s "$f" ] || continue
		echo "# ---- tail of $f" >&2
		tail -n 20 "$f" | sed 's/^/# /' >&2
	done
fi
exit "$rc"
