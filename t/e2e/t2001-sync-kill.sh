#!/bin/sh
# wbstore sync killed with SIGKILL at random moments, 100 times, while
# the journal keeps growing between some of the kills; after a last sync
# the relay's copy is the journal, with no line missing or doubled.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"
. "$WBS_SRCDIR/t/e2e/t2lib-sync.sh"

SRC=$TRASH/src
KILLS=${WBS_SYNC_KILLS:-100}

# chunk N: a session appending N rows, console with progress bars, stats.
chunk() {
	cat <<-EOF
	open id=k1 project=demo resume=allow
	rows $1 keys=6
	console stdout "chunk $1\nprogress 10%\rprogress 60%\rprogress 100%\n"
	stats cpu=$1
	console stderr "partial line without end"
	file media/f$1.txt now content="file $1"
	EOF
}

test_expect_success 'setup: a slow relay and a first journal' '
	printf "file_stream delay=0.15 times=*\nupload delay=0.05 times=*\n" \
	    >faults &&
	relay_start --faults "$TRASH/faults" &&
	chunk 6000 | mk "$SRC" &&
	python3 -c "import random
for _ in range(4 * $KILLS): print(random.randrange(1001))" >delays
'

# The kill comes a random 0 to 1 s (precomputed, so that nothing slow
# runs in between) after the sync said it started on the run, stretched
# while the kills keep coming before any sync ends: on a loaded machine
# the syncs still end now and then, and the journal grows.  The loop
# ends after KILLS kills that hit a running sync (at most 4 * KILLS
# syncs).
test_expect_success "SIGKILL at random moments, $KILLS times" '
	use_relay &&
	exec 3<delays &&
	n=0 && done=0 && killed=0 && row=0 &&
	while [ $killed -lt $KILLS ] && read ms <&3; do
		pct=$((100 + (row > 4 ? (row - 4) * 25 : 0)))
		ms=$((ms * pct / 100))
		"$WBS_BUILDDIR/wbstore" sync -j 16 "$SRC" >sync.out 2>&1 &
		pid=$!
		w=0
		while [ $w -lt 600 ] && kill -0 $pid 2>/dev/null &&
		    ! grep -q "^syncing" sync.out; do
			sleep 0.05
			w=$((w + 1))
		done
		sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
		kill -KILL $pid 2>/dev/null
		wait $pid
		st=$?
		n=$((n + 1))
		case $st in
		0)	done=$((done + 1)) && row=0 &&
			chunk $((500 + n * 37)) | mk "$SRC" || exit 1 ;;
		137)	killed=$((killed + 1)) && row=$((row + 1)) ;;
		*)	echo "sync exited with $st:"; cat sync.out; exit 1 ;;
		esac
	done &&
	echo "# $killed syncs killed mid-way, $done ran to the end and" \
	    "the journal grew after each ($n syncs)" &&
	test $killed -eq $KILLS && test $done -ge 1
'

test_expect_success 'a last sync converges: nothing missing, nothing doubled' '
	printf "open id=k1 project=demo resume=allow\nfinish 0\n" |
	    mk "$SRC" &&
	wsync "$SRC" >out &&
	grep -q "^synced" out &&
	py_sync <<-EOF
	src, dst = "$(rundir "$SRC" k1)", "$(relay_run k1)"
	same_run(src, dst)
	r = rows(dump(dst))
	steps = [s for s, i in r]
	assert steps == sorted(set(steps)), "steps doubled or out of order"
	assert steps == list(range(len(steps))), "steps missing"
	print("# %d rows, %d console lines" % (len(r), len(render(dump(dst), False))))
	EOF
'

test_expect_success 'the uploaded files are all there' '
	for f in "$(rundir "$SRC" k1)"/files/media/*.txt; do
		cmp "$f" "$(relay_run k1)/files/media/$(basename "$f")" || exit 1
	done
'

test_done
