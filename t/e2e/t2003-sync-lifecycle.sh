#!/bin/sh
# wbstore sync and a run's life on the server: journals written offline
# with resume must/allow/never/auto continue the relay's run (its steps
# and lines go after the relay's) instead of becoming a second run, or
# stop with a clear error and the journal untouched; a fork is created
# with _wandb.branch_point; a rewind (resume_from) cuts the relay's
# history with RewindRun, in the first session or a later one.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"
. "$WBS_SRCDIR/t/e2e/t2lib-sync.sh"

# steps RUN: the steps of the relay's copy of RUN, on one line.
steps() {
	py_sync <<-EOF
	print(" ".join(str(s) for s, i in rows(dump("$(relay_run "$1")"))))
	EOF
}

# range A B: the numbers A to B on one line.
range() {
	seq -s " " "$1" "$2"
}

# relay_runs: how many runs the relay holds.
relay_runs() {
	ls -d "$STORE"/wandb/*run-* | wc -l
}

test_expect_success 'setup: run r1 with 10 rows synced' '
	relay_start &&
	mk a <<-\EOF &&
	open id=r1 project=demo name=first
	config lr=0.1
	rows 10 keys=2
	console stdout "first session\n"
	finish 0
	EOF
	wsync a >out &&
	grep -q "^synced" out &&
	test "$(steps r1)" = "$(range 0 9)"
'

test_expect_success 'resume=allow continues the relay run, steps after its own' '
	mk b <<-\EOF &&
	open id=r1 project=demo resume=allow
	rows 5 keys=2
	console stdout "second session\n"
	finish 0
	EOF
	wsync b >out &&
	grep -q "^synced" out &&
	test "$(steps r1)" = "$(range 0 14)" &&
	test "$(relay_runs)" = 1 &&
	py_sync <<-EOF
	d = dump("$(relay_run r1)")
	check([t for s, t in render(d, False)],
	      ["first session", "second session"], "console")
	check(rows(d)[10:], [(s + 10, i) for s, i in rows(dump(
	      "$(rundir b r1)"))], "rows")
	b = show("$(relay_run r1)")
	assert b["name"] == "first" and b["config"]["lr"] == 0.1, b
	EOF
'

test_expect_success 'resume=must and resume=auto continue it too' '
	printf "open id=r1 project=demo resume=must\nrows 3\nfinish 0\n" |
	    mk c &&
	printf "open id=r1 project=demo resume=auto\nrows 3\nfinish 0\n" |
	    mk d &&
	wsync c >out && grep -q "^synced" out &&
	wsync d >out && grep -q "^synced" out &&
	test "$(steps r1)" = "$(range 0 20)" &&
	test "$(relay_runs)" = 1
'

test_expect_success 'syncing a resumed journal again sends nothing' '
	wsync --include-synced --json b c d >out.json &&
	test "$(grep -c "\"lines\":0" out.json)" = 3 &&
	test "$(steps r1)" = "$(range 0 20)"
'

test_expect_success 'resume=must of a run the relay lacks: clear error, data kept' '
	printf "open id=nope project=demo resume=must\nrows 3\nfinish 0\n" |
	    mk e &&
	"$RELAY_DUMP" "$(rundir e nope)" >before.dump &&
	! wsync e >out 2>err &&
	grep "^stopped" out | grep -q "run nope does not exist" &&
	grep -q "resume=\"must\" needs it" out &&
	! ls -d "$STORE"/wandb/*run-*-nope 2>/dev/null &&
	wbstore ls e | grep -q "stopped: " &&
	"$RELAY_DUMP" "$(rundir e nope)" >after.dump &&
	cmp before.dump after.dump &&
	wbstore verify e
'

test_expect_success 'resume=never of a run the relay has: clear error, relay untouched' '
	printf "open id=r1 project=demo resume=never\nrows 3\nfinish 0\n" |
	    mk f &&
	! wsync f >out 2>err &&
	grep -q "run r1 already exists" out &&
	grep -q "resume=\"never\"" out &&
	test "$(steps r1)" = "$(range 0 20)" &&
	wbstore verify f
'

test_expect_success 'resume=allow of a run the relay lacks creates it' '
	printf "open id=new1 project=demo resume=allow\nrows 4\nfinish 0\n" |
	    mk g &&
	wsync g >out && grep -q "^synced" out &&
	test "$(steps new1)" = "$(range 0 3)"
'

test_expect_success 'fork: a new run with _wandb.branch_point, steps after it' '
	mk h <<-\EOF &&
	open id=k1 project=demo fork_from=r1?_step=4
	rows 3 keys=2
	finish 0
	EOF
	wsync h >out && grep -q "^synced" out &&
	test "$(steps k1)" = "$(range 0 7)" &&
	test "$(steps r1)" = "$(range 0 20)" &&
	py_sync <<-EOF
	c = show("$(relay_run k1)")["config"]["_wandb"]
	assert c["branch_point"]["run_id"] == "r1", c
	assert c["branch_point"]["step"] == 4, c
	k, p = rows(dump("$(relay_run k1)")), rows(dump("$(relay_run r1)"))
	check(k[:5], p[:5], "seeded rows")
	check(k[5:], [(s + 5, i) for s, i in rows(dump("$(rundir h k1)"))],
	      "fork rows")
	EOF
'

test_expect_success 'rewind: resume_from cuts the relay history, then appends' '
	mk i <<-\EOF &&
	open id=r1 project=demo resume_from=r1?_step=11
	rows 2 keys=2
	console stdout "rewound\n"
	finish 0
	EOF
	wsync i >out && grep -q "^synced" out &&
	test "$(steps r1)" = "$(range 0 13)" &&
	test "$(steps r1-rw1)" = "$(range 0 20)" &&
	py_sync <<-EOF
	check(rows(dump("$(relay_run r1)"))[12:], [(s + 12, i) for s, i in
	      rows(dump("$(rundir i r1)"))], "rows after the cut")
	EOF
'

test_expect_success 'a later session of the same journal rewinds' '
	mk j <<-\EOF &&
	open id=w2 project=demo
	rows 10 keys=1
	console stdout "before\n"
	stats cpu=1
	close
	EOF
	mk j <<-\EOF &&
	open id=w2 project=demo resume_from=w2?_step=4
	rows 3 keys=1
	console stdout "after\n"
	stats cpu=2
	finish 0
	EOF
	wsync j >out && grep -q "^synced" out &&
	test "$(steps w2)" = "$(range 0 7)" &&
	test "$(steps w2-rw1)" = "$(range 0 9)" &&
	py_sync <<-EOF
	d = dump("$(relay_run w2)")
	check([t for s, t in render(d, False)], ["after"], "console")
	check(stats(d), [{"cpu": 2}], "stats")
	EOF
'

test_expect_success 'a sync killed just after its rewind converges' '
	relay_kill9 &&
	printf "file_stream delay=1.5 times=3\n" >faults &&
	relay_start --faults "$TRASH/faults" &&
	mk k <<-\EOF &&
	open id=w3 project=demo
	rows 10 keys=1
	console stdout "before\n"
	close
	EOF
	mk k <<-\EOF &&
	open id=w3 project=demo resume_from=w3?_step=4
	rows 3 keys=1
	console stdout "after\n"
	finish 0
	EOF
	use_relay || exit 1
	"$WBSTORE" sync k >out 2>&1 &
	pid=$!
	test_wait_for 60 "grep -q \"run w3 rewound\" relay.log" &&
	sleep 0.5 &&
	kill -KILL $pid &&
	! wait $pid &&
	wsync k >out &&
	grep -q "^synced" out &&
	test "$(steps w3)" = "$(range 0 7)" &&
	py_sync <<-EOF
	d = dump("$(relay_run w3)")
	check([t for s, t in render(d, False)], ["after"], "console")
	EOF
'

test_done
