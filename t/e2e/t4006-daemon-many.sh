#!/bin/sh
# wbstored with 1,000 runs at once: 900 finished runs found at start-up,
# then 100 more written while it runs (50 of them live trainers still
# logging); every run reaches the relay exactly once and the daemon
# stays within its memory budget.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"
. "$WBS_SRCDIR/t/e2e/t4lib-daemon.sh"

N=${WBS_MANY_RUNS:-1000}
FIRST=$((N * 9 / 10))

# runs FROM TO: finished runs m<FROM>..m<TO-1>, 20 rows of 4 keys each,
# written by one process.
runs() {
	i=$1
	while [ $i -lt "$2" ]; do
		printf 'open id=m%d project=many sync_interval=100000\n' $i
		printf 'config lr=0.%d\nrows 20 keys=4\nfinish 0\n' $i
		i=$((i + 1))
	done | (cd "$SRC" && "$MKRUN")
}

# synced_count: runs the daemon reports synced.
synced_count() {
	"$WBSTORE" status --json | python3 -c '
import json, sys
print(sum(r["state"] == "synced" for r in json.load(sys.stdin)["runs"]))'
}

test_expect_success "setup: $FIRST finished runs, a relay" '
	runs 0 $FIRST &&
	test "$(ls "$SRC/wandb" | grep -c "^offline-run-")" = $FIRST &&
	relay_start
'

test_expect_success "the daemon finds them and $((N - FIRST)) more as they come" '
	daemon_start &&
	runs $FIRST $((FIRST + (N - FIRST) / 2)) &&
	i=$((FIRST + (N - FIRST) / 2)) &&
	while [ $i -lt $N ]; do
		trainer m$i 30 20 || return 1
		i=$((i + 1))
	done &&
	i=$((FIRST + (N - FIRST) / 2)) &&
	while [ $i -lt $N ]; do
		trainer_wait m$i || return 1
		i=$((i + 1))
	done &&
	test_wait_for 600 "test \$(synced_count) = $N" &&
	echo "# $(synced_count) runs synced"
'

test_expect_success 'the relay holds each run once, whole, finished' '
	WANDB_DIR=$STORE "$WBSTORE" ls --json >ls.json &&
	python3 - "$N" "$FIRST" <<-\EOF
	import json, sys
	n, first = int(sys.argv[1]), int(sys.argv[2])
	live = first + (n - first) // 2
	runs = json.load(open("ls.json"))
	ids = sorted(r["id"] for r in runs)
	assert ids == sorted("m%d" % i for i in range(n)), "runs missing or doubled"
	for r in runs:
	    want = 30 if int(r["id"][1:]) >= live else 20
	    assert r["steps"] == want, (r["id"], r["steps"], want)
	    assert r["state"] == "finished", (r["id"], r["state"])
	EOF
'

test_expect_success 'sampled copies are the journals' '
	for i in 0 1 $((FIRST - 1)) $FIRST $((N - 1)); do
		same_copy m$i || return 1
	done
'

test_expect_success "RSS with $N runs stays under 32 MiB" '
	if [ "${WBS_VALGRIND:-0}" = 1 ] || "$WBS_BUILDDIR/libtool" \
	    --mode=execute ldd "$WBSTORED" 2>/dev/null | grep -q libasan; then
		echo "# RSS not bounded under sanitizers or valgrind"
	else
		pid=$(cat daemon.pid) &&
		rss=$(awk "/^VmHWM/ { print \$2 }" /proc/$pid/status) &&
		echo "# peak RSS $rss KiB with $N runs" &&
		test "$rss" -lt 32768
	fi
'

test_expect_success 'a restarted daemon finds them all synced, sends nothing' '
	daemon_stop &&
	test "$(grep -c "created in" relay.log)" = $N &&
	WANDB_DIR=$STORE "$WBSTORE" ls --json >before.json &&
	daemon_start &&
	test_wait_for 120 "test \$(synced_count) = $N" &&
	daemon_stop &&
	WANDB_DIR=$STORE "$WBSTORE" ls --json >after.json &&
	test_cmp before.json after.json
'

test_done
