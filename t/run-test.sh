#!/bin/sh
# run-test.sh TEST - how automake's harness runs one test binary.
# Criterion reports in TAP on stdout.  Integration tests get their own
# PostgreSQL cluster, nginx, programs and fakes (t/integration/env.sh),
# torn down when the test ends, whatever its outcome.
set -u
test=$1; shift
case "$test" in
*/integration/*)
	exec bash "$top_srcdir/t/integration/env.sh" exec "$test" --tap=- -j1 "$@"
	;;
*)
	exec "$test" --tap=- "$@"
	;;
esac
