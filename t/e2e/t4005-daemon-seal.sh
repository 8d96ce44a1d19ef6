#!/bin/sh
# wbstore seal: compacted copies of a journal written while the trainer
# runs, replaced by each new seal; a watcher on the seal directory alone
# (as on another host) syncs them, carrying its progress across copies,
# and the relay ends with the trainer's run exactly once.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"
. "$WBS_SRCDIR/t/e2e/t4lib-daemon.sh"

SEAL=$TRASH/sealed
WORK=$TRASH/work
SRC=$WORK

test_expect_success 'bad use: clear errors, nothing written' '
	wbstore seal nosuch --to "$SEAL" 2>err;
	test $? = 1 && grep -q "nosuch: no such run" err &&
	wbstore seal 2>err;
	test $? = 2 && grep -q "give one RUN and --to DIR" err &&
	! test -e "$SEAL"
'

test_expect_success 'setup: relay, a watcher on the seal directory only' '
	relay_start &&
	mkdir -p "$SEAL" &&
	daemon_start --no-src --root "$SEAL"
'

test_expect_success 'a trainer sealed three times while it writes' '
	mkdir -p "$WORK" && trainer s1 3000 5 &&
	test_wait_for 30 "test -d \"\$(rundir \"$WORK\" s1)\"" &&
	sleep 1 &&
	wbstore seal "$(rundir "$WORK" s1)" --to "$SEAL" >out1 &&
	test_wait_for 30 "test \$(relay_rows s1) -ge 10" &&
	n1=$(relay_rows s1) &&
	kill -0 "$(cat "$TRASH/trainer-s1.pid")" &&
	wbstore seal "$(rundir "$WORK" s1)" --to "$SEAL" >out2 &&
	test_wait_for 30 "test \$(relay_rows s1) -gt $n1" &&
	test "$(relay_exit s1)" = none &&
	trainer_wait s1 &&
	wbstore seal "$(rundir "$WORK" s1)" --to "$SEAL" >out3 &&
	test_wait_for 30 "test \"\$(relay_exit s1)\" = 0" &&
	test "$(cat out3)" = "$SEAL/$(basename "$(rundir "$WORK" s1)")/run-s1.wbs"
'

test_expect_success 'the sealed copy is compact and the relay copy is the run' '
	src=$(rundir "$WORK" s1)/run-s1.wbs &&
	test $(du -k "$(cat out3)/data.mdb" | cut -f1) -lt \
	    $(du -k "$src/data.mdb" | cut -f1) &&
	same_copy s1 &&
	wbstore verify "$(cat out3)" >/dev/null
'

test_expect_success 'no temporary copies are left behind' '
	! ls -a "$SEAL"/*/ | grep -q "seal-"
'

test_expect_success 'stop' '
	daemon_stop && relay_stop
'

test_done
