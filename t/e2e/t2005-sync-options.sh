#!/bin/sh
# wbstore sync's options against a real relay: crashed runs left running
# or finished with --finish-crashed, --entity/--project/--id, --dry-run,
# the summary without PATH, --sync-all, --clean, and bad usage.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"
. "$WBS_SRCDIR/t/e2e/t2lib-sync.sh"

# steps_of ID: the number of history rows of the relay's copy of ID.
steps_of() {
	py_sync <<-EOF
	print(len(rows(dump("$(relay_run "$1")"))))
	EOF
}

test_expect_success 'setup: a relay, a crashed run and two finished ones' '
	relay_start &&
	printf "open id=c1 project=demo\nrows 5\ncrash\n" | mk d 2>/dev/null;
	test -d "$(rundir d c1)" &&
	printf "open id=o1 project=demo\nrows 3\nfinish 0\n" | mk d &&
	printf "open id=o2 project=demo\nrows 4\nfinish 0\n" | mk d
'

test_expect_success 'a run without an exit record is sent and left running' '
	wsync "$(rundir d c1)" >out &&
	grep "^up to date" out | grep -q "no exit record" &&
	test "$(steps_of c1)" = 5 &&
	wbstore ls "$(rundir d c1)" | grep -q " running$" &&
	WANDB_DIR=$STORE wbstore show --json c1 >c1.json &&
	grep -q "\"state\": *\"running\"" c1.json
'

test_expect_success '--finish-crashed finishes it with exit code 1' '
	wsync --finish-crashed "$(rundir d c1)" >out &&
	grep -q "^synced" out &&
	WANDB_DIR=$STORE wbstore show --json c1 >c1.json &&
	grep -q "\"exit_code\": *1" c1.json &&
	wbstore ls "$(rundir d c1)" | grep -q " synced$"
'

test_expect_success '--dry-run lists, sends nothing' '
	wsync --dry-run d >out &&
	grep -q "^Would sync 2 run(s):" out &&
	! ls -d "$STORE"/wandb/*run-*-o1 2>/dev/null
'

test_expect_success 'without PATH: what there is to sync' '
	WANDB_DIR=$TRASH/d wsync >out &&
	grep -q "^Number of runs to be synced: 2" out &&
	grep -q "already synced" out &&
	! ls -d "$STORE"/wandb/*run-*-o1 2>/dev/null
'

test_expect_success '--sync-all syncs the runs of the wandb directory' '
	WANDB_DIR=$TRASH/d wsync --sync-all >out 2>err &&
	test "$(grep -c "^synced" out)" = 2 &&
	grep -q "Skipped 1 synced run" err &&
	test "$(steps_of o1)" = 3 && test "$(steps_of o2)" = 4
'

test_expect_success '--entity, --project and --id send to another place' '
	wsync --include-synced --entity team --project other --id moved \
	    "$(rundir d o1)" >out &&
	grep -q "^synced .*/team/other/runs/moved" out &&
	WANDB_DIR=$STORE wbstore show --json moved >m.json &&
	grep -q "\"project\": *\"other\"" m.json &&
	grep -q "\"entity\": *\"team\"" m.json
'

test_expect_success '--clean removes synced runs only, and asks first' '
	printf "open id=u1 project=demo\nrows 2\nfinish 0\n" | mk d &&
	! wsync --clean --clean-old-hours 0 d </dev/null >out 2>err &&
	grep -q "pass --clean-force" err &&
	test -d "$(rundir d o1)" &&
	wsync --clean --clean-old-hours 0 --clean-force d >out &&
	grep -q "^deleted .*-o1" out && grep -q "^deleted .*-o2" out &&
	grep -q "^deleted .*-c1" out &&
	! test -d "$(rundir d o1)" &&
	test -d "$(rundir d u1)" &&
	wsync --clean --clean-force d >out &&
	grep -q "No synced runs older than 24 hours" out
'

test_expect_success 'bad usage and bad paths: clear errors, exit 2 or 1' '
	test_expect_code() { want=$1; shift; "$@"; test $? = "$want"; } &&
	test_expect_code 2 wsync -j 0 d 2>err &&
	grep -q "\"0\": want 1 to 64" err &&
	test_expect_code 2 wsync --id x d/wandb/* 2>err &&
	grep -q "only be set for a single run" err &&
	test_expect_code 2 wsync --no-such-option d 2>err &&
	test_expect_code 1 wsync nowhere 2>err &&
	grep -q "nowhere: No such file or directory" err &&
	test_expect_code 1 env -u WANDB_API_KEY HOME="$TRASH/nohome" \
	    WANDB_BASE_URL="$(relay_url)" "$WBSTORE" sync d 2>err &&
	grep -q "no API key for" err
'

test_done
