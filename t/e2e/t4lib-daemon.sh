# t4lib-daemon.sh - helpers for wbstored's watcher tests (sourced after
# test-lib.sh).  The server is a real relay (wbstored --listen on
# 127.0.0.1, see t1lib-relay.sh); the watcher is a second wbstored process
# watching $SRC; trainers are t/helpers/mkrun processes writing journals
# while it runs.  Copies are compared as in t2lib-sync.sh.

. "$WBS_SRCDIR/t/e2e/t2lib-sync.sh"

SRC=$TRASH/src
mkdir -p "$SRC"

# daemon_start [--no-src] [ARGS...]: start the watcher on $SRC (not with
# --no-src: the configuration's roots) against the relay; wait (bounded)
# until its control socket answers.
daemon_start() {
	rm -f "$TRASH/daemon.pid" "$TRASH/daemon.status"
	use_relay
	if [ "$1" = --no-src ]; then
		shift
	else
		set -- --root "$SRC" "$@"
	fi
	(
		if [ "${WBS_VALGRIND:-0}" = 1 ]; then
			"$WBS_BUILDDIR/libtool" --mode=execute valgrind -q \
			    --error-exitcode=99 --leak-check=full \
			    --errors-for-leak-kinds=definite "$WBSTORED" \
			    "$@" &
		else
			"$WBSTORED" "$@" &
		fi
		echo $! >"$TRASH/daemon.pid"
		wait $!
		echo $? >"$TRASH/daemon.status"
	) </dev/null >>"$TRASH/daemon.log" 2>&1 &
	test_wait_for 60 '"$WBSTORE" status >/dev/null 2>&1 ||
	    test -s "$TRASH/daemon.status"' &&
	! test -s "$TRASH/daemon.status"
}

# daemon_stop: SIGTERM, wait (bounded), require a clean exit.
daemon_stop() {
	test -s "$TRASH/daemon.pid" || return 0
	kill -TERM "$(cat "$TRASH/daemon.pid")" 2>/dev/null
	test_wait_for 60 'test -s "$TRASH/daemon.status"' || return 1
	rm -f "$TRASH/daemon.pid"
	st=$(cat "$TRASH/daemon.status")
	[ "$st" = 0 ] || { echo "watcher exited with $st" >&2; return 1; }
}

# daemon_kill9: kill -9; wait until it is gone.
daemon_kill9() {
	test -s "$TRASH/daemon.pid" || return 0
	kill -KILL "$(cat "$TRASH/daemon.pid")" 2>/dev/null
	test_wait_for 60 'test -s "$TRASH/daemon.status"'
	rm -f "$TRASH/daemon.pid"
}

test_at_end 'daemon_kill9'

# trainer ID ROWS [MS] [END]: a trainer in the background writing ROWS
# rows of 4 keys to $SRC, one every MS ms (default 20), with console and
# stats now and then, then END ("finish 0" by default, or "crash").  Its
# pid goes to trainer-ID.pid.
trainer() {
	(
		echo "open id=$1 project=demo name=trainer-$1"
		echo "config lr=0.01 layers=4"
		i=0
		while [ $i -lt "$2" ]; do
			echo "log step=$i loss=$i acc=0.5 lr=0.01 x>y=$i"
			if [ $((i % 25)) = 0 ]; then
				printf 'console stdout "step %d\\n"\n' $i
				echo "stats cpu=$i"
			fi
			echo "sleep ${3:-20}"
			i=$((i + 1))
		done
		echo "${4:-finish 0}"
	) | (cd "$SRC" && exec "$MKRUN") >/dev/null 2>>"$TRASH/trainer.log" &
	echo $! >"$TRASH/trainer-$1.pid"
}

# trainer_wait ID: wait (bounded) for the trainer to end.
trainer_wait() {
	tpid=$(cat "$TRASH/trainer-$1.pid") &&
	test_wait_for 120 '! kill -0 $tpid 2>/dev/null'
}

# relay_rows ID: history rows the relay holds for run ID (0 if none).
relay_rows() {
	d=$(relay_run "$1")
	if [ -d "$d" ]; then
		"$RELAY_DUMP" "$d" 2>/dev/null | grep -c '"type":"history"'
	else
		echo 0
	fi
}

# relay_exit ID: the exit code the relay recorded for ID, or "none".
relay_exit() {
	d=$(relay_run "$1")
	[ -d "$d" ] || { echo none; return; }
	"$RELAY_DUMP" "$d" 2>/dev/null | python3 -c '
import json, sys
e = [json.loads(l)["exit_code"] for l in sys.stdin if "\"exit\"" in l]
print(e[-1] if e else "none")'
}

# same_copy ID [ATTRS]: the relay's copy of ID is the journal, nothing
# doubled (ATTRS False: not the attributes, as for a run finished as
# crashed, which the relay calls failed).
same_copy() {
	py_sync <<-EOF
	src, dst = "$(rundir "$SRC" "$1")", "$(relay_run "$1")"
	same_run(src, dst, attrs=${2:-True})
	steps = [s for s, i in rows(dump(dst))]
	assert steps == list(range(len(steps))), "steps missing or doubled"
	EOF
}

# daemon_state ID: the watcher's state word for run ID.
daemon_state() {
	"$WBSTORE" status --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print([r["state"] for r in d["runs"] if r["id"] == sys.argv[1]
       or r["path"].endswith("/run-%s.wbs" % sys.argv[1])][0])' "$1"
}
