#!/bin/sh
# campaign.sh - fuzz targets until each has used a budget of CPU time.
#
#   t/fuzz/campaign.sh BUILDDIR CPU_SECONDS TARGET...
#
# libFuzzer's -max_total_time is wall time, which on a shared machine says
# little about how much fuzzing was done; this runs each target (built
# with --enable-fuzzing in BUILDDIR) in slices of at most 300 s until its
# user+system CPU time reaches CPU_SECONDS, keeping new inputs in
# BUILDDIR/t/fuzz/corpus-new/TARGET and crashes in
# BUILDDIR/t/fuzz/artifacts/TARGET.  One line per target at the end:
#   TARGET cpu=S execs=N slices=K crashes=C
set -u
[ $# -ge 3 ] || { echo "usage: $0 BUILDDIR CPU_SECONDS TARGET..." >&2; exit 2; }
build=$(cd "$1" && pwd) || exit 2
budget=$2
shift 2
src=$(cd "$(dirname "$0")/../.." && pwd)
for t in "$@"; do
	bin=$build/t/fuzz/$t
	# Fuzz targets are check programs: "make" alone leaves them stale.
	make -C "$build" "t/fuzz/$t" >/dev/null ||
	    { echo "campaign: cannot build $bin" >&2; exit 2; }
	[ -x "$bin" ] || { echo "campaign: no fuzz target $bin" >&2; exit 2; }
	new=$build/t/fuzz/corpus-new/$t
	art=$build/t/fuzz/artifacts/$t
	mkdir -p "$new" "$art"
	cpu=0 execs=0 slices=0
	while [ "$cpu" -lt "$budget" ]; do
		left=$((budget - cpu))
		[ "$left" -gt 300 ] && left=300
		log=$build/t/fuzz/$t.slice.log
		/usr/bin/time -f 'cputime %U %S' -o "$build/t/fuzz/$t.time" \
		    "$bin" -max_total_time="$left" -print_final_stats=1 \
		    -artifact_prefix="$art/" "$new" "$src/t/fuzz/corpus/$t" \
		    >"$log" 2>&1
		s=$(awk '/^cputime/ { printf "%d", $2 + $3 + 0.5 }' \
		    "$build/t/fuzz/$t.time")
		e=$(awk '/^stat::number_of_executed_units/ { print $2 }' "$log")
		cpu=$((cpu + ${s:-0}))
		execs=$((execs + ${e:-0}))
		slices=$((slices + 1))
		if grep -q -E '^(==[0-9]+==ERROR|SUMMARY: )' "$log"; then
			cp "$log" "$art/slice-$slices.log"
		fi
	done
	crashes=$(find "$art" -type f ! -name '*.log' | wc -l)
	echo "$t cpu=$cpu execs=$execs slices=$slices crashes=$crashes"
done
