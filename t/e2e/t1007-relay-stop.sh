#!/bin/sh
# wbstore stop: a run marked stopped gets {"stopped": true} from the
# relay's file_stream (and RunStoppedStatus) while the relay runs; the
# batch is still stored; --clear lifts the mark; bad RUN arguments fail.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"
. "$WBS_SRCDIR/t/e2e/t1lib-relay.sh"

command -v curl >/dev/null || test_skip_all "curl is not installed"

# status RUN: ask RunStoppedStatus; prints true or false.
status() {
	py <<-EOF &&
	write("st.json", {"query": "query RunStoppedStatus { x }",
	    "variables": {"projectName": "demo", "entityName": "wbstore",
	    "runId": "$1"}})
	EOF
	test "$(gql st.json)" = 200 &&
	py <<-\EOF
	print(str(out()["data"]["project"]["run"]["stopped"]).lower())
	EOF
}

test_expect_success 'setup: runs s1 and s2 with one history line' '
	relay_start &&
	py <<-\EOF &&
	upsert("u1.json", "s1")
	upsert("u2.json", "s2")
	for i in range(4):
	    stream("b%d.json" % i, {"wandb-history.jsonl":
	        (i, [hist(i, loss=1.0 / (i + 1))])})
	EOF
	test "$(gql u1.json)" = 200 && test "$(gql u2.json)" = 200 &&
	test "$(fs s1 b0.json)" = 200 && test "$(cat out.json)" = "{}" &&
	test "$(fs s2 b0.json)" = 200 && test "$(cat out.json)" = "{}" &&
	test "$(status s1)" = false
'

test_expect_success 'wbstore stop --store ID: the next answer says stopped' '
	"$RELAY_DUMP" store/wandb/*s1 >before.dump &&
	wbstore stop --store store s1 >out &&
	grep "^stopped .*s1$" out &&
	"$RELAY_DUMP" store/wandb/*s1 >after.dump &&
	test_cmp before.dump after.dump &&
	test "$(fs s1 b1.json)" = 200 &&
	test "$(cat out.json)" = "{\"stopped\":true}" &&
	test "$(status s1)" = true &&
	test "$(fs s2 b1.json)" = 200 && test "$(cat out.json)" = "{}" &&
	test "$(status s2)" = false
'

test_expect_success 'the stopped run still stores what it was sent' '
	py <<-\EOF
	assert [r["step"] for r in recs("s1", "history")] == [0, 1], dump("s1")
	EOF
'

test_expect_success 'stop --clear lifts the mark' '
	wbstore stop --clear --store store s1 >out &&
	grep "^cleared .*s1$" out &&
	test "$(fs s1 b2.json)" = 200 && test "$(cat out.json)" = "{}" &&
	test "$(status s1)" = false &&
	wbstore stop --clear --store store s1
'

test_expect_success 'RUN as a run directory, a journal directory, an id' '
	d=$(echo store/wandb/*s2) &&
	wbstore stop "$d" && test "$(status s2)" = true &&
	wbstore stop --clear "$d/run-s2.wbs" && test "$(status s2)" = false &&
	WANDB_DIR=store wbstore stop s2 && test "$(status s2)" = true &&
	test "$(fs s2 b2.json)" = 200 &&
	test "$(cat out.json)" = "{\"stopped\":true}" &&
	WANDB_DIR=store wbstore stop --clear s2
'

test_expect_success 'bad RUN arguments fail and change nothing' '
	{ wbstore stop --store store nope 2>err; test $? = 1; } &&
	grep "nope: no such run in store" err &&
	{ wbstore stop store 2>err; test $? = 1; } &&
	grep "store holds 2 runs: name one run" err &&
	{ wbstore stop "$TRASH/no/such/dir" 2>err; test $? = 1; } &&
	grep "no such run or directory" err &&
	{ wbstore stop --store store s1 nope 2>err; test $? = 1; } &&
	grep "nope: no such run" err && test "$(status s1)" = true &&
	wbstore stop --clear --store store s1 &&
	{ wbstore stop 2>err; test $? = 2; } && grep "usage:" err &&
	{ wbstore stop --bogus s1 2>err; test $? = 2; } &&
	! ls store/wandb/*/stop 2>/dev/null
'

test_expect_success 'the relay stops cleanly; both runs verify' '
	test "$(fs s1 b3.json)" = 200 && test "$(cat out.json)" = "{}" &&
	relay_stop &&
	WANDB_DIR=$STORE wbstore verify s1 s2
'

test_done
