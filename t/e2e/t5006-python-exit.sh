#!/bin/sh
# How runs of the wandb-compatible module end: at interpreter exit, on an
# uncaught exception, sys.exit(), Ctrl-C, a context manager, kill -9.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"

pyenv="$WBS_BUILDDIR/contrib/python/pyenv.sh"
[ -f "$pyenv" ] || test_skip_all "the Python binding is not built"
. "$pyenv"
PYTHONPATH=$WBS_PYTHONPATH
PYTHONDONTWRITEBYTECODE=1
export PYTHONPATH PYTHONDONTWRITEBYTECODE
py() { "$PYTHON" "$@"; }

cat >train.py <<\EOF
import os, signal, sys, wandb
how, run_id = sys.argv[1], sys.argv[2]
run = wandb.init(dir=".", id=run_id)
for i in range(3):
    wandb.log({"loss": 1.0 / (i + 1)})
print("trained", how)
if how == "raise":
    raise RuntimeError("boom in training")
if how == "exit3":
    sys.exit(3)
if how == "exit0":
    sys.exit(0)
if how == "exitmsg":
    sys.exit("giving up")
if how == "interrupt":
    raise KeyboardInterrupt
if how == "kill":
    os.kill(os.getpid(), signal.SIGKILL)
if how == "finish2":
    run.finish(exit_code=2)
EOF

# state RUN: "state exit_code rows" of a run.
state() {
	wbstore show --json "$1" | py -c "
import json, sys
r = json.load(sys.stdin)
print(r[\"state\"], r[\"exit_code\"], r[\"rows\"])"
}

test_expect_success 'a script that just ends finishes its run with 0' '
	py train.py end e1 >out && grep "trained end" out &&
	test "$(state e1)" = "finished 0 3"
'

test_expect_success 'an uncaught exception: exit code 1, traceback kept' '
	! py train.py raise e2 >out 2>err &&
	grep "RuntimeError: boom in training" err &&
	test "$(state e2)" = "failed 1 3" &&
	py -c "
import wbstore
with wbstore.Reader(\"e2\") as r:
    err = r.console(\"stderr\")
assert \"Traceback\" in err and \"boom in training\" in err, err
"
'

test_expect_success 'sys.exit(3), sys.exit(0), sys.exit("message")' '
	py train.py exit3 e3 >out; test $? = 3 &&
	test "$(state e3)" = "failed 3 3" &&
	py train.py exit0 e4 >out &&
	test "$(state e4)" = "finished 0 3" &&
	py train.py exitmsg e5 >out 2>err; test $? = 1 &&
	grep "giving up" err &&
	test "$(state e5)" = "failed 1 3"
'

test_expect_success 'KeyboardInterrupt records 255' '
	! py train.py interrupt e6 >out 2>err &&
	grep KeyboardInterrupt err &&
	test "$(state e6)" = "failed 255 3"
'

test_expect_success 'kill -9 leaves a crashed run with every logged row' '
	py train.py kill e7 >out; test $? = 137 &&
	test "$(state e7)" = "crashed None 3"
'

test_expect_success 'finish(exit_code=2) is what gets recorded' '
	py train.py finish2 e8 >out &&
	test "$(state e8)" = "failed 2 3"
'

test_expect_success 'a context manager finishes with 1 and re-raises' '
	py - >out 2>err <<-\EOF
	import wandb
	try:
	    with wandb.init(dir=".", id="e9") as run:
	        run.log({"x": 1})
	        raise ValueError("inside")
	except ValueError:
	    print("propagated")
	with wandb.init(dir=".", id="e10") as run:
	    run.log({"x": 1})
	assert wandb.run is None
	EOF
	grep propagated out &&
	test "$(state e9)" = "failed 1 1" &&
	test "$(state e10)" = "finished 0 1"
'

test_done
