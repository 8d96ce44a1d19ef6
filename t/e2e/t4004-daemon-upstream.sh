#!/bin/sh
# Relay forwarding: compute node -> relay (wbstored --listen --upstream)
# -> upstream relay.  What the first relay stores is forwarded by the same
# engine, live, and the upstream copy equals the trainer's journal.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"
. "$WBS_SRCDIR/t/e2e/t4lib-daemon.sh"

MID=$TRASH/mid

# mid_start: the middle relay, forwarding to the upstream relay.
mid_start() {
	rm -f "$TRASH/mid.port" "$TRASH/mid.status"
	(
		"$WBSTORED" --listen 127.0.0.1:0 --store "$MID" \
		    --port-file "$TRASH/mid.port" --upstream "$(relay_url)" \
		    --idle 1 &
		echo $! >"$TRASH/mid.pid"
		wait $!
		echo $? >"$TRASH/mid.status"
	) </dev/null >>"$TRASH/mid.log" 2>&1 &
	test_wait_for 30 'test -s "$TRASH/mid.port" || test -s "$TRASH/mid.status"' &&
	test -s "$TRASH/mid.port"
}

mid_stop() {
	test -s "$TRASH/mid.pid" || return 0
	kill -TERM "$(cat "$TRASH/mid.pid")" 2>/dev/null
	test_wait_for 30 'test -s "$TRASH/mid.status"' || return 1
	rm -f "$TRASH/mid.pid"
	test "$(cat "$TRASH/mid.status")" = 0
}
test_at_end 'test -s "$TRASH/mid.pid" && kill -KILL "$(cat "$TRASH/mid.pid")"'

test_expect_success 'setup: upstream relay, forwarding relay' '
	relay_start &&
	WANDB_API_KEY=$KEY mid_start &&
	grep -q "relay listening" mid.log
'

test_expect_success 'a trainer synced by the watcher to the forwarding relay' '
	use_relay &&
	WANDB_BASE_URL=http://127.0.0.1:$(cat "$TRASH/mid.port") &&
	export WANDB_BASE_URL &&
	daemon_start &&
	trainer u1 300 10 &&
	test_wait_for 30 "test \$(relay_rows u1) -ge 30" &&
	trainer_wait u1 &&
	test_wait_for 60 "test \"\$(relay_exit u1)\" = 0" &&
	same_copy u1
'

test_expect_success 'the forwarding relay stops its forwarder with it' '
	daemon_stop &&
	mid_stop &&
	relay_stop
'

test_done
