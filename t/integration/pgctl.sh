#!/bin/bash
# pgctl.sh stop|start - stop or start the PostgreSQL of the running test
# environment (t/integration/env.sh), for tests of the hub's behaviour when
# its database goes away and comes back.
set -eu
: "${top_srcdir:?}" "${HUB_STATE:?}"
. "$top_srcdir/contrib/stack.sh" lib
case "${1:-}" in
stop) pg_stop "$HUB_STATE/pg" ;;
start) pg_start "$HUB_STATE/pg" ;;
*) echo "usage: pgctl.sh stop|start" >&2; exit 2 ;;
esac
