#!/bin/sh
# test-summary.sh BUILD_DIR - report the results of `make check`: failing
# tests with their logs, then one line "N passed, N failed".  Exit 1 if
# anything failed or errored.
build=${1:-.}
cd "$build" || exit 2
pass=0
fail=0
for trs in $(find . -name '*.trs' | sort); do
	p=$(grep -c '^:test-result: PASS' "$trs")
	f=$(grep -c -E '^:test-result: (FAIL|ERROR|XPASS)' "$trs")
	pass=$((pass + p))
	fail=$((fail + f))
	if [ "$f" != 0 ]; then
		log=${trs%.trs}.log
		echo "---- $log"
		grep -v '^ok ' "$log" | head -n 60
	fi
done
if [ ! -f test-suite.log ] || [ "$pass" = 0 ]; then
	echo "no test results found in $build" >&2
	fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
