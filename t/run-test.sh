#!/bin/sh
# run-test.sh TEST - how automake's harness runs one test binary or
# script.  Criterion reports in TAP on stdout; so do the Python tests.
# Integration tests get their own PostgreSQL cluster, nginx, programs and
# fakes (t/integration/env.sh), torn down when the test ends, whatever its
# outcome.
set -u
test=$1; shift
case "$test" in
*/integration/*.py)
	# Python tests print TAP themselves and use Debian's python3 with its
	# packaged modules (python3-hypothesis, python3-jsonschema), not
	# whatever python3 comes first on PATH.
	exec bash "$top_srcdir/t/integration/env.sh" exec "${HUB_TEST_PYTHON:-/usr/bin/python3}" \
		"$test" "$@"
	;;
*/style/*.py|*/fakes/*.py)
	# The style rules read the sources only, the fakes' self-test starts
	# its own fakes: no stack around them.
	exec "${HUB_TEST_PYTHON:-/usr/bin/python3}" "$test" "$@"
	;;
*/integration/*)
	exec bash "$top_srcdir/t/integration/env.sh" exec "$test" --tap=- -j1 "$@"
	;;
*)
	exec "$test" --tap=- "$@"
	;;
esac
