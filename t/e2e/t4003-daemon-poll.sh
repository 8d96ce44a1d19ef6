#!/bin/sh
# wbstored --poll: no inotify; new runs and appended records are found by
# polling (backing off while idle), and the copies end up equal.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"
. "$WBS_SRCDIR/t/e2e/t4lib-daemon.sh"

test_expect_success 'setup: relay, watcher polling' '
	relay_start &&
	printf "poll_interval = 0.2\npoll_max = 1\n" >poll.conf &&
	daemon_start --poll -c "$TRASH/poll.conf" &&
	"$WBSTORE" status >st &&
	grep -q "^root $SRC: poll, --poll" st
'

test_expect_success 'a trainer is synced live by polling' '
	trainer p1 2000 5 &&
	test_wait_for 30 "test \$(relay_rows p1) -ge 50" &&
	kill -0 "$(cat "$TRASH/trainer-p1.pid")" &&
	trainer_wait p1 &&
	test_wait_for 30 "test \"\$(relay_exit p1)\" = 0" &&
	same_copy p1
'

test_expect_success 'a run directory appearing later is found' '
	mk "$SRC" <<-\EOF &&
	open id=p2 project=demo
	rows 50
	finish 0
	EOF
	test_wait_for 30 "test \"\$(relay_exit p2)\" = 0" &&
	same_copy p2
'

test_expect_success 'idle: the poll interval has backed off to poll_max' '
	sleep 3 &&
	"$WBSTORE" status --json | python3 -c "
import json, sys
d = json.load(sys.stdin)
assert d[\"roots\"][0][\"interval\"] == 1.0, d[\"roots\"]
"
'

test_expect_success 'stop' '
	daemon_stop && relay_stop
'

test_done
