#!/bin/sh
# Export memory is bounded by design: the peak RSS of an export does not
# follow the size of the run (journal pages read are let go of, rows are
# streamed).  A run ten times longer must peak within 10 MiB of a short
# one, and every format stays under the 64 MiB budget.  (The benchmark
# t/bench/export.sh does the same with 1 M rows.)
. "$WBS_SRCDIR/t/e2e/test-lib.sh"

MKRUNS=$WBS_BUILDDIR/t/bench/export-mkruns
[ "${WBS_VALGRIND:-0}" = 1 ] &&
	test_skip_all "RSS under valgrind is valgrind's own"
"$WBS_BUILDDIR/libtool" --mode=execute ldd "$WBS_BUILDDIR/wbstore" 2>/dev/null |
    grep -q libasan &&
	test_skip_all "RSS under AddressSanitizer is its shadow memory's"
SHORT=30000
LONG=300000

# peak FILE: the peak RSS in KiB of an export's --stats line.
peak() {
	sed -n 's/.*peak RSS \([0-9.]*\) MiB.*/\1/p' "$1" |
	    awk '{ printf "%d", $1 * 1024 }'
}

test_expect_success 'a short and a ten times longer run' '
	"$MKRUNS" -d short -i s1 -m bench -s $SHORT &&
	"$MKRUNS" -d long -i l1 -m bench -s $LONG &&
	journal=$(du -sk long/wandb | cut -f1) &&
	echo "# long journal: $journal KiB" &&
	test "$journal" -gt 30000
'

for fmt in csv jsonl npz; do
	test_expect_success "$fmt: peak RSS does not grow with the run" '
		wbstore export short/wandb --format '$fmt' -o s-'$fmt' \
		    --stats 2>s.err &&
		wbstore export long/wandb --format '$fmt' -o l-'$fmt' \
		    --stats 2>l.err &&
		grep "1 runs, $LONG rows" l.err &&
		s=$(peak s.err) && l=$(peak l.err) &&
		echo "# '$fmt': short $s KiB, long $l KiB" &&
		test "$s" -gt 0 && test "$l" -le $((64 * 1024)) &&
		test $((l - s)) -le $((10 * 1024))
	'
done

test_expect_success 'the long export has every row' '
	test $(wc -l <l-csv/history.csv) = $((LONG + 1)) &&
	test $(wc -l <l-jsonl/history.jsonl) = $LONG
'

test_done
