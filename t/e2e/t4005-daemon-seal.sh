#!/bin/sh
# wbstore seal: compacted copies of a journal written while the trainer
# runs, replaced by each new seal; a watcher on the seal directory alone
# (as on another host) syncs them, carrying its progress across copies,
# and the relay ends with the trainer's run exactly once.  A trainer with
# WBSTORE_SEAL_DIR seals itself, every WBSTORE_SEAL_INTERVAL and at
# finish.
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

test_expect_success 'WBSTORE_SEAL_DIR: the trainer seals itself while it runs' '
	(
		WBSTORE_SEAL_DIR=$SEAL WBSTORE_SEAL_INTERVAL=1 &&
		export WBSTORE_SEAL_DIR WBSTORE_SEAL_INTERVAL &&
		trainer s2 400 20
	) &&
	test_wait_for 60 "test \$(relay_rows s2) -ge 1" &&
	kill -0 "$(cat "$TRASH/trainer-s2.pid")" &&
	test "$(relay_exit s2)" = none
'

test_expect_success 'and at finish: the relay ends with the whole run' '
	trainer_wait s2 &&
	test_wait_for 60 "test \"\$(relay_exit s2)\" = 0" &&
	same_copy s2 &&
	! ls -a "$SEAL"/*/ | grep -q "seal-"
'

test_expect_success 'a bad WBSTORE_SEAL_INTERVAL: the trainer is told' '
	! (cd "$WORK" && echo "open id=s3" |
	    WBSTORE_SEAL_INTERVAL=soon "$MKRUN") 2>err &&
	grep -q "WBSTORE_SEAL_INTERVAL" err &&
	grep -q "seal interval \"soon\"" err
'

test_expect_success 'stop' '
	daemon_stop && relay_stop
'

test_done
