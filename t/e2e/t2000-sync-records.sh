#!/bin/sh
# wbstore sync: every record type reaches a real relay in the right shape
# (history rows, summary, config, metrics, console, stats, files, alerts,
# metadata), NaN, infinities and Unicode survive, and syncing again sends
# nothing but what is new.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"
. "$WBS_SRCDIR/t/e2e/t2lib-sync.sh"

SRC=$TRASH/src

test_expect_success 'setup: a journal with every kind of record' '
	relay_start &&
	mk "$SRC" <<-\EOF &&
	open id=all1 project=demo entity=ent name=first notes="some notes" group=g1 job_type=train tags=a,b
	config lr=0.01 epochs=3 model>layers=4 model>act=relu flag=true name="caf\u00e9 \u2603"
	metric name=val/acc summary=max,min goal=max
	metric glob=train/* step_metric=epoch summary=last
	log loss=1.5 acc=0.5 val>loss=2.0 phase=warmup
	log loss=0.5 acc=nan val>loss=inf neg=-inf val/acc=0.7 "\u00fcber=\u65e5\u672c\u8a9e \"quoted\" \\ back"
	log step=5 nocommit a=1 epoch=1
	log step=5 commit b=2 train/loss=0.25
	log step=6 nocommit img="{\"_type\":\"image-file\",\"path\":\"media/i.png\",\"w\":2}"
	log step=7 x=1 val/acc=0.9 train/loss=0.125 epoch=2 emoji="\ud83d\ude00"
	console stdout "starting\nprogress 10%\rprogress 50%\rprogress 100%\ndone\n"
	console stderr "warning: \u00e9t\u00e9\n"
	console stdout "no newline at the end"
	stats cpu=12.5 memory=30 gpu>0>util=77
	stats cpu=13.5 memory=31 gpu>0>util=78
	summary best=0.99 final="ok"
	set name renamed
	set notes "new notes"
	tags x y "z z"
	file now.txt now content="now content"
	file end.txt end content="end content"
	file media/live.bin live content="live \u00e9"
	alert "Hello" "an alert" WARN 1000
	preempting
	finish 0
	EOF
	test -d $(rundir "$SRC" all1)
'

test_expect_success 'sync succeeds and reports the run' '
	wsync --json "$SRC" >out.json &&
	python3 -c "
import json; r = json.load(open(\"out.json\"))
assert len(r) == 1 and r[0][\"state\"] == \"synced\", r
assert r[0][\"id\"] == \"all1\" and r[0][\"exit_code\"] == 0, r
assert r[0][\"url\"].endswith(\"/ent/demo/runs/all1\"), r
"
'

test_expect_success 'the relay holds the same rows, console, stats, config' '
	py_sync <<-EOF
	same_run("$(rundir "$SRC" all1)", "$(relay_run all1)")
	EOF
'

test_expect_success 'NaN, infinities and Unicode survive' '
	py_sync <<-EOF
	r = rows(dump("$(relay_run all1)"))
	one = r[1][1]
	assert one["acc"] == "NaN", one
	assert one["val\x1floss"] == float("inf"), one
	assert one["neg"] == float("-inf"), one
	assert one["\u00fcber"] == "\u65e5\u672c\u8a9e \"quoted\" \\\\ back", one
	assert r[-1][1]["emoji"] == "\U0001f600", r[-1]
	EOF
'

test_expect_success 'rows: commit=False halves merged, JSON values kept' '
	py_sync <<-EOF
	r = rows(dump("$(relay_run all1)"))
	assert [s for s, i in r] == [0, 1, 5, 6, 7], r
	assert r[2][1] == {"a": 1, "epoch": 1, "b": 2, "train/loss": 0.25}, r[2]
	assert r[3][1]["img"]["path"] == "media/i.png", r[3]
	EOF
'

test_expect_success 'summary: last values, metric modes, explicit values' '
	py_sync <<-EOF
	s = show("$(relay_run all1)")["summary"]
	assert s["val/acc"] == {"min": 0.7, "max": 0.9}, s
	assert s["train/loss"] == {"last": 0.125}, s
	assert s["best"] == 0.99 and s["final"] == "ok", s
	assert s["loss"] == 0.5 and s["x"] == 1 and s["_step"] == 7, s
	assert s["val"]["loss"] == float("inf"), s
	EOF
'

test_expect_success 'config: _wandb.m with the glob expansion kept' '
	py_sync <<-EOF
	c = show("$(relay_run all1)")["config"]["_wandb"]
	names = [m.get("1") or m.get("2") for m in c["m"]]
	assert "val/acc" in names and "train/*" in names, c
	assert "train/loss" in names and "epoch" in names, c
	EOF
'

test_expect_success 'metadata changes reach the relay (name, notes, tags)' '
	py_sync <<-EOF
	b = show("$(relay_run all1)")
	assert b["name"] == "renamed" and b["notes"] == "new notes", b
	assert b["tags"] == ["x", "y", "z z"], b["tags"]
	assert b["group"] == "g1" and b["job_type"] == "train", b
	EOF
'

test_expect_success 'files uploaded, with what the run implies' '
	F=$(relay_run all1)/files &&
	test "$(cat "$F/now.txt")" = "now content" &&
	test "$(cat "$F/end.txt")" = "end content" &&
	cmp "$F/media/live.bin" "$(rundir "$SRC" all1)/files/media/live.bin" &&
	test -s "$F/wandb-summary.json" && test -s "$F/config.yaml"
'

test_expect_success 'the alert was delivered' '
	"$RELAY_DUMP" "$(relay_run all1)" | grep "\"type\":\"alert\"" |
	    grep -q "\"title\":\"Hello\""
'

test_expect_success 'console lines carry the time of the record' '
	sleep 1.2 &&
	now=$(python3 -c "import time; print(time.time())") &&
	wsync --view "$SRC" >view.out &&
	python3 - "$now" <<-\EOF
	import json, sys, datetime
	now = float(sys.argv[1])
	for l in open("view.out"):
	    if not l.startswith("file_stream "): continue
	    b = json.loads(l[12:])
	    for line in b.get("files", {}).get("output.log", {}).get("content", []):
	        stamp = line[6:32] if line.startswith("ERROR ") else line[:26]
	        t = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f")
	        t = t.replace(tzinfo=datetime.timezone.utc).timestamp()
	        assert now - 60 < t < now - 1, (line, now)
	EOF
'

test_expect_success 'wbstore ls shows the run synced' '
	use_relay && wbstore ls "$SRC" >ls.out &&
	grep all1 ls.out | grep -q " synced$"
'

test_expect_success 'syncing again sends nothing' '
	"$RELAY_DUMP" "$(relay_run all1)" >before.dump &&
	wsync --json "$SRC" >again.json &&
	grep -q "^\[\]" again.json &&
	wsync --json --include-synced "$SRC" >again2.json &&
	grep -q "\"lines\":0" again2.json &&
	"$RELAY_DUMP" "$(relay_run all1)" >after.dump &&
	py_sync <<-\EOF
	a = [json.loads(l) for l in open("before.dump")]
	b = [json.loads(l) for l in open("after.dump")]
	check(rows(a), rows(b), "rows")
	check(render(a, False), render(b, False), "console")
	check(stats(a), stats(b), "stats")
	EOF
'

test_expect_success 'a resumed journal sends only what is new' '
	mk "$SRC" <<-\EOF &&
	open id=all1 project=demo entity=ent resume=allow
	log more=1
	log more=2
	console stdout "resumed\n"
	stats cpu=50
	finish 0
	EOF
	wsync --json "$SRC" >new.json &&
	grep -q "\"state\":\"synced\"" new.json &&
	py_sync <<-EOF
	res = json.load(open("new.json"))[0]
	assert res["lines"] == 4, res
	same_run("$(rundir "$SRC" all1)", "$(relay_run all1)")
	r = rows(dump("$(relay_run all1)"))
	assert [s for s, i in r] == [0, 1, 5, 6, 7, 8, 9], r
	EOF
'

test_expect_success 'on a terminal: live progress bars, then the summary' '
	printf "open id=tty1 project=demo\nrows 3000 keys=4\nfinish 0\n" |
	    mk tty &&
	use_relay &&
	TERM=xterm script -qec "\"$WBSTORE\" sync tty" /dev/null >tty.out &&
	grep -q "$(printf "\033")\[2Ktty1  *\[" tty.out &&
	tr "\r" "\n" <tty.out | sed "s/$(printf "\033")\[[0-9]*[AK]//g" \
	    >tty.txt &&
	grep -q "^total  *\[#*\] 100% 3000/3000 lines [0-9.k]*/s in " \
	    tty.txt &&
	grep -q "^synced .*/demo/runs/tty1 (3000 lines" tty.txt &&
	grep -q "^1 run(s): 1 synced" tty.txt &&
	! grep -q "^syncing" tty.txt
'

test_expect_success 'not on a terminal: plain lines, no escapes' '
	printf "open id=tty2 project=demo\nrows 10\nfinish 0\n" | mk plain &&
	wsync plain >out 2>err &&
	grep -q "^syncing .*tty2" err &&
	! grep -q "$(printf "\033")" out err
'

test_done
