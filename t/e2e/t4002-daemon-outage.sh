#!/bin/sh
# The server goes away while a trainer writes: wbstored backs off (little
# CPU, no busy loop), says so in wbstore status, and catches up when the
# relay is back on the same port; then a relay answering 429 with
# Retry-After for a while.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"
. "$WBS_SRCDIR/t/e2e/t4lib-daemon.sh"

DOWN=${WBS_DAEMON_DOWN:-8}

# cpu_ticks PID: user + system clock ticks the process used.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# relay_again [ARGS...]: the relay back on the port it had.
relay_again() {
	port=$(cat "$TRASH/port")
	rm -f "$TRASH/relay.pid" "$TRASH/relay.status"
	(
		"$WBSTORED" --listen "127.0.0.1:$port" --store "$STORE" "$@" &
		echo $! >"$TRASH/relay.pid"
		wait $!
		echo $? >"$TRASH/relay.status"
	) </dev/null >>"$TRASH/relay.log" 2>&1 &
	test_wait_for 30 'curl -s -o /dev/null "http://127.0.0.1:$port/" ||
	    test -s "$TRASH/relay.status"' &&
	! test -s "$TRASH/relay.status"
}

test_expect_success 'setup: relay, watcher, a trainer synced live' '
	relay_start &&
	daemon_start &&
	trainer o1 1500 10 &&
	test_wait_for 30 "test \$(relay_rows o1) -ge 20"
'

test_expect_success "relay down for $DOWN s: backoff, no busy loop, status tells" '
	relay_stop &&
	pid=$(cat "$TRASH/daemon.pid") &&
	t0=$(cpu_ticks $pid) &&
	sleep "$DOWN" &&
	t1=$(cpu_ticks $pid) &&
	echo "# watcher CPU while the relay was down: $((t1 - t0)) ticks in $DOWN s" &&
	test $((t1 - t0)) -lt $((DOWN * 30)) &&
	test_wait_for 30 "\"$WBSTORE\" status --json | grep -q \"\\\"error\\\":\\\"\"" &&
	"$WBSTORE" status >st &&
	grep "^o1" st
'

test_expect_success 'relay back: the run catches up and ends equal' '
	relay_again &&
	"$WBSTORE" sync --now >/dev/null;
	trainer_wait o1 &&
	test_wait_for 90 "test \"\$(relay_exit o1)\" = 0" &&
	same_copy o1 &&
	test_wait_for 10 "\"$WBSTORE\" status | grep -q \"^o1 *synced *0  -\""
'

test_expect_success 'a relay answering 429 with Retry-After: waits, then converges' '
	relay_stop &&
	printf "file_stream 429 retry-after=1 times=4\nfile_stream ok\n" \
	    >faults &&
	relay_again --faults "$TRASH/faults" &&
	trainer t1 200 10 &&
	trainer_wait t1 &&
	test_wait_for 60 "test \"\$(relay_exit t1)\" = 0" &&
	test "$(grep -c "fault: .*file_stream.*429" relay.log)" = 4 &&
	same_copy t1
'

test_expect_success 'stop' '
	daemon_stop && relay_stop
'

test_done
