#!/bin/sh
# wbstore ls, show and verify on a run written by the example trainer.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"

TRAIN=$WBS_BUILDDIR/contrib/examples/train

test_expect_success 'the example trainer writes a run' '
	"$TRAIN" -n 300 -i demo01 >out &&
	grep "run demo01" out &&
	test -d wandb/latest-run/run-demo01.wbs
'

test_expect_success 'ls lists it as finished with 300 steps' '
	wbstore ls >ls.out &&
	grep -E "^demo01 +resnet-cifar10 +demo +finished +300 " ls.out
'

test_expect_success 'ls --json is valid JSON with the run' '
	wbstore ls --json >ls.json &&
	python3 -c "
import json, sys
runs = json.load(open(\"ls.json\"))
r = runs[0]
assert r[\"id\"] == \"demo01\" and r[\"state\"] == \"finished\", r
assert r[\"steps\"] == 300 and r[\"exit_code\"] == 0, r
"
'

test_expect_success 'show prints config, history sparklines and summary' '
	wbstore show demo01 >show.out &&
	grep "optimizer.lr" show.out &&
	grep "Run history:" show.out &&
	grep "train/loss  *[▁▂▃▄▅▆▇█]" show.out &&
	grep "best_val_acc" show.out &&
	grep "finished (exit 0" show.out
'

test_expect_success 'show --json has nested config and the summary' '
	wbstore show --json wandb/latest-run >show.json &&
	python3 -c "
import json
r = json.load(open(\"show.json\"))
assert r[\"config\"][\"optimizer\"][\"lr\"] == 0.1, r[\"config\"]
assert r[\"config\"][\"optimizer\"][\"milestones\"] == [300, 600, 900]
assert r[\"config\"][\"amp\"] is True
assert r[\"summary\"][\"best_val_acc\"] > 0.5
assert r[\"rows\"] == 300 and r[\"tags\"] == [\"baseline\", \"cifar10\"]
"
'

test_expect_success 'show accepts a journal path and latest-run' '
	wbstore show wandb/latest-run/run-demo01.wbs | grep -v "dir:" >a &&
	wbstore show latest-run | grep -v "dir:" >b &&
	test_cmp a b && grep "run demo01" a
'

test_expect_success 'WANDB_DIR decides where runs go and are found' '
	mkdir elsewhere &&
	WANDB_DIR=$TRASH/elsewhere "$TRAIN" -n 10 -i other1 >/dev/null &&
	test -d elsewhere/wandb/latest-run &&
	WANDB_DIR=$TRASH/elsewhere wbstore ls >ls2 &&
	grep other1 ls2 && ! grep demo01 ls2
'

test_expect_success 'verify passes on a good run' '
	wbstore verify demo01 >v.out &&
	grep "^ok .*records" v.out
'

test_expect_success 'verify names the first problem in a damaged journal' '
	cp -r wandb/latest-run/run-demo01.wbs bad.wbs &&
	python3 -c "
data = bytearray(open(\"bad.wbs/data.mdb\", \"rb\").read())
needle = b\"warning: learning rate\"
i = data.find(needle)
while i >= 0:
    data[i] ^= 0x20
    i = data.find(needle, i + 1)
open(\"bad.wbs/data.mdb\", \"wb\").write(bytes(data))
" &&
	! wbstore verify bad.wbs >v2.out &&
	grep "FAIL bad.wbs: .*record [0-9]*: checksum mismatch" v2.out
'

test_expect_success 'a failed run is shown as failed' '
	"$TRAIN" -n 5 -i fails1 -e 3 >/dev/null; test $? = 3 &&
	wbstore ls | grep -E "^fails1 .* failed "
'

test_expect_success 'bad input: clear errors and exit codes' '
	! wbstore show nosuchrun 2>err && grep "nosuchrun: no such run" err &&
	{ wbstore frobnicate 2>err; test $? = 2; } &&
	grep "unknown command" err &&
	{ wbstore ls --bogus 2>/dev/null; test $? = 2; } &&
	{ wbstore show 2>/dev/null; test $? = 2; } &&
	{ wbstore verify 2>/dev/null; test $? = 2; } &&
	{ "$TRAIN" -n 1 -i "bad:id" 2>err; test $? = 2; } &&
	grep "bad:id" err &&
	! wbstore verify /nonexistent >out && grep "no such run" out
'

test_expect_success 'every command has --help' '
	wbstore --help | grep "Commands:" &&
	for c in ls show verify; do
		wbstore $c --help | grep "usage: wbstore $c" || return 1
	done
'

test_done
