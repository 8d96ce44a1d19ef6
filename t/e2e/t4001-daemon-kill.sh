#!/bin/sh
# wbstored SIGKILLed at random moments while trainers write, and started
# again each time: it resumes from the cursors, and in the end the relay
# holds every run exactly once (nothing missing, nothing doubled).
. "$WBS_SRCDIR/t/e2e/test-lib.sh"
. "$WBS_SRCDIR/t/e2e/t4lib-daemon.sh"

# The trainers write for about as long as the kills take (0.45 s each
# on average, plus a restart): 12 in make check, 100 in make check-long.
KILLS=${WBS_DAEMON_KILLS:-12}

test_expect_success 'setup: a slow relay, two trainers, the watcher' '
	printf "file_stream delay=0.05 times=*\n" >faults &&
	relay_start --faults "$TRASH/faults" &&
	trainer k1 $((KILLS * 75)) 8 &&
	trainer k2 $((KILLS * 50)) 12 &&
	daemon_start
'

test_expect_success "SIGKILL and restart the watcher $KILLS times mid-stream" '
	k=0 && killed=0 &&
	while [ $k -lt $KILLS ]; do
		sleep $(python3 -c "import random; print(random.uniform(0.2, 0.7))") &&
		daemon_kill9 && killed=$((killed + 1)) &&
		daemon_start || exit 1
		k=$((k + 1))
	done &&
	echo "# $killed kills; relay rows now: $(relay_rows k1), $(relay_rows k2)" &&
	test $killed = $KILLS
'

test_expect_success 'the trainers end; the copies converge exactly once' '
	trainer_wait k1 && trainer_wait k2 &&
	test_wait_for 60 "test \"\$(relay_exit k1)\" = 0" &&
	test_wait_for 60 "test \"\$(relay_exit k2)\" = 0" &&
	same_copy k1 && same_copy k2
'

test_expect_success 'a restart over synced runs sends nothing again' '
	daemon_kill9 &&
	n1=$(relay_rows k1) &&
	daemon_start &&
	test_wait_for 30 "\"$WBSTORE\" status | grep -q \"^k1 *synced\"" &&
	test_wait_for 30 "\"$WBSTORE\" status | grep -q \"^k2 *synced\"" &&
	test "$(relay_rows k1)" = "$n1" &&
	same_copy k1 && same_copy k2 &&
	daemon_stop
'

test_done
