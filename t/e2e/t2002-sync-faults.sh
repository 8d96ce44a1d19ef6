#!/bin/sh
# wbstore sync against a relay that misbehaves on purpose: 429 with
# Retry-After (and no request before the wait is over, measured at the
# relay), RateLimit headers, 503, dropped connections, answers slower
# than the timeout, 401 and 404.  Every case ends with the same copy at
# the relay, or a clear error with the journal untouched.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"
. "$WBS_SRCDIR/t/e2e/t2lib-sync.sh"

SRC=$TRASH/src

# fresh_relay ARGS...: a fresh relay (fresh store) on a port no earlier
# relay of this script had: the journal keeps its sync position per server
# URL, so a reused port would make the new, empty relay look synced.
fresh_relay() {
	touch "$TRASH/ports" &&
	while :; do
		relay_kill9
		rm -rf "$STORE" "$TRASH/relay.log"
		relay_start_ts "$@" || return 1
		grep -qx "$(cat "$TRASH/port")" "$TRASH/ports" || break
	done &&
	cat "$TRASH/port" >>"$TRASH/ports"
}

# faulty RULES: a fresh relay with these fault rules.
faulty() {
	printf "%b" "$1" >"$TRASH/faults" &&
	fresh_relay --faults "$TRASH/faults"
}

# converged: the relay's copy is the journal.
converged() {
	py_sync <<-EOF
	same_run("$(rundir "$SRC" f1)", "$(relay_run f1)")
	EOF
}

# gaps_at_least PATTERN SECONDS: consecutive fault lines matching PATTERN
# are at least SECONDS apart.
gaps_at_least() {
	fault_times "$1" | python3 -c "
import sys
t = [float(x) for x in sys.stdin]
assert len(t) >= 2, t
g = [b - a for a, b in zip(t, t[1:])]
print(\"gaps:\", g)
assert min(g) >= $2, g
"
}

test_expect_success 'setup: a journal of 3000 rows with console and stats' '
	mk "$SRC" <<-\EOF
	open id=f1 project=demo name=faulty
	config lr=0.1
	rows 1500 keys=8
	console stdout "half way\n"
	stats cpu=1
	rows 1500 keys=8
	console stderr "done\n"
	finish 0
	EOF
'

test_expect_success '429 with Retry-After: the wait is kept, then it converges' '
	faulty "file_stream 429 retry-after=2 times=3\nfile_stream ok\n" &&
	wsync "$SRC" >out &&
	gaps_at_least "file_stream: " 2.0 &&
	test "$(fault_times "file_stream: 429" | wc -l)" = 3 &&
	converged
'

test_expect_success '429 on GraphQL: the wait holds for the whole host' '
	faulty "graphql:UpsertBucket 429 retry-after=1.5 times=2\ngraphql:UpsertBucket ok\n" &&
	wsync "$SRC" >out &&
	gaps_at_least "graphql:UpsertBucket: " 1.5 &&
	converged
'

test_expect_success 'RateLimit-Remaining 0: nothing before RateLimit-Reset' '
	faulty "file_stream ok remaining=0 reset=2\nfile_stream ok\n" &&
	wsync "$SRC" >out &&
	gaps_at_least "file_stream: " 2.0 &&
	converged
'

test_expect_success '503 without Retry-After: backoff, then it converges' '
	faulty "file_stream 503 times=2\nfile_stream ok\n" &&
	start=$(date +%s) &&
	wsync "$SRC" >out &&
	gaps_at_least "file_stream: " 2.0 &&
	test $(( $(date +%s) - start )) -ge 5 &&
	converged
'

test_expect_success 'dropped connections, before and after processing' '
	faulty "file_stream close times=2\nupload close\ngraphql:UpsertBucket drop\nfile_stream drop times=2\n" &&
	wsync "$SRC" >out &&
	converged
'

test_expect_success 'answers slower than the timeout' '
	faulty "file_stream delay=6 times=2\ngraphql delay=6\n" &&
	wsync --timeout 3 "$SRC" >out 2>err &&
	grep -q "retrying" err &&
	converged
'

test_expect_success 'all of it at once, and retries that run out' '
	faulty "file_stream 500 times=*\n" &&
	if wsync --retries 1 "$SRC" >out 2>err; then
		echo "sync succeeded against a relay that only answers 500" &&
		cat out err && false
	fi &&
	{ grep -q "gave up" out || { cat out err && false; }; } &&
	faulty "file_stream 429 retry-after=1\nfile_stream close\nfile_stream 503\nfile_stream delay=6\ngraphql 502\nupload 503\n" &&
	wsync --timeout 3 "$SRC" >out &&
	converged
'

test_expect_success '401: a clear error, the data kept, then it syncs' '
	printf "%s\n" "$KEY" >keys && chmod 600 keys &&
	fresh_relay --keys "$TRASH/keys" &&
	"$RELAY_DUMP" "$(rundir "$SRC" f1)" >before.dump &&
	use_relay &&
	! WANDB_API_KEY=wrong_0123456789012345678901234567890123456789 \
	    wbstore sync "$SRC" >out 2>err &&
	grep -q "refused the credentials" out &&
	grep -q "WANDB_API_KEY" out &&
	! grep -q wrong_0123 out err &&
	wbstore ls "$SRC" | grep -q "stopped: credentials rejected (HTTP 401)" &&
	"$RELAY_DUMP" "$(rundir "$SRC" f1)" >after.dump &&
	cmp before.dump after.dump &&
	wbstore verify "$SRC" &&
	wsync "$SRC" >out &&
	grep -q "^synced" out &&
	wbstore ls "$SRC" | grep -q " synced$" &&
	converged
'

test_expect_success '404: the run is gone, for good, the data kept' '
	faulty "file_stream 404 times=*\n" &&
	! wsync "$SRC" >out 2>err &&
	grep -q "gone" out &&
	use_relay &&
	wbstore ls "$SRC" | grep -q "stopped: run gone from the server (HTTP 404)" &&
	! wsync --json "$SRC" >out2 &&
	grep -q "\"state\":\"stopped\"" out2 &&
	wbstore verify "$SRC" &&
	"$RELAY_DUMP" "$(rundir "$SRC" f1)" >after.dump &&
	cmp before.dump after.dump
'

test_done
