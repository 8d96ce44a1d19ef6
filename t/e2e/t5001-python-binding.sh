#!/bin/sh
# The wbstore Python module: every writer call, the readers, errors.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"

pyenv="$WBS_BUILDDIR/contrib/python/pyenv.sh"
[ -f "$pyenv" ] || test_skip_all "the Python binding is not built"
. "$pyenv"
PYTHONPATH=$WBS_PYTHONPATH
PYTHONDONTWRITEBYTECODE=1
export PYTHONPATH PYTHONDONTWRITEBYTECODE
py() { "$PYTHON" "$@"; }

test_expect_success 'the extension imports from the build tree' '
	py -c "import _wbstore, wbstore; print(wbstore.library_version)" >v &&
	grep -E "^[0-9]+\.[0-9]+\.[0-9]+$" v &&
	py -c "import _wbstore; print(_wbstore.__file__)" >f &&
	grep "$WBS_BUILDDIR/contrib/python/_wbstore" f
'

test_expect_success 'a run written with every call' '
	py - <<-\EOF
	import math, wbstore
	with wbstore.Run(dir=".", id="py1", project="proj", entity="ent",
	                 name="first", notes="n", group="g", job_type="train",
	                 tags=["a", "b"], config={"lr": 0.1,
	                 "opt": {"name": "sgd", "momentum": 0.9}}) as run:
	    assert run.id == "py1" and run.step == 0
	    for i in range(5):
	        run.log({"loss": 1.0 / (i + 1), "val": {"acc": i / 10},
	                 "train/loss": float(i), "tag": "s%d" % i})
	    run.log({"part": 1}, commit=False)
	    run.log({"part2": 2})
	    run.log({"late": True}, step=10)
	    run.log({"later": None}, step=12, commit=True)
	    assert run.step == 13, run.step
	    run.config({"bs": 32, "opt": {"momentum": 0.95}})
	    run.config_remove(["lr"])
	    run.summary({"best": 0.5, "weird": math.nan})
	    run.summary_remove("tag")
	    run.define_metric("loss", summary="min", goal="minimize")
	    run.define_metric("val/*", step_metric="epoch", hidden=True)
	    run.set(name="renamed", notes="new notes")
	    run.set_tags(["c"])
	    run.console("hello\n")
	    run.console(b"err\n", stream="stderr")
	    run.stats({"cpu": 12.5, "proc.memory.rssMB": 100})
	    open("model.txt", "w").write("weights")
	    run.file("model.txt", src="model.txt", policy="end")
	    run.alert("done", "all good", level="WARN", wait_ms=1000)
	    run.preempting()
	EOF
	wbstore show --json py1 >show.json &&
	py - <<-\EOF
	import json, math
	r = json.load(open("show.json"))
	assert r["state"] == "finished" and r["exit_code"] == 0, r
	assert r["name"] == "renamed" and r["notes"] == "new notes", r
	assert r["tags"] == ["c"] and r["group"] == "g", r
	assert r["project"] == "proj" and r["entity"] == "ent", r
	assert r["job_type"] == "train", r
	assert r["config"] == {"bs": 32, "opt": {"name": "sgd",
	                       "momentum": 0.95}}, r["config"]
	s = r["summary"]
	assert s["loss"] == 0.2 and s["val"]["acc"] == 0.4, s
	assert s["train/loss"] == 4.0 and "tag" not in s, s
	assert s["best"] == 0.5 and math.isnan(s["weird"]), s
	assert s["late"] is True and s["later"] is None, s
	assert r["last_step"] == 12 and r["rows"] == 8, r
	EOF
'

test_expect_success 'the reader gives rows, console, stats, files, alerts' '
	py - <<-\EOF
	import wbstore
	with wbstore.Reader("py1") as r:
	    rows = r.history()
	    assert [x["_step"] for x in rows] == [0, 1, 2, 3, 4, 5, 10, 12]
	    assert rows[1]["loss"] == 0.5 and rows[1]["val"] == {"acc": 0.1}
	    assert rows[5]["part"] == 1 and rows[5]["part2"] == 2, rows[5]
	    assert rows[6] == dict(rows[6], late=True)
	    assert all(x["_timestamp"] > 1e9 and x["_runtime"] >= 0
	               for x in rows)
	    assert r.console() == "hello\nerr\n"
	    assert r.console("stderr") == "err\n"
	    assert r.stats()[0]["cpu"] == 12.5
	    assert r.files() == [{"path": "model.txt", "policy": 1,
	                          "type": 0}], r.files()
	    a = r.alerts()[0]
	    assert a["title"] == "done" and a["level"] == "WARN"
	    assert a["wait_ms"] == 1000
	    m = r.metrics()
	    assert m[0]["name"] == "loss" and m[1]["glob"] == "val/*", m
	    assert m[1]["step_metric"] == "epoch" and m[1]["flags"] & 1
	    assert r.verify() == r.stat()["records"]
	    types = [x["type"] for x in r.records()]
	    assert "preempting" in types and types[-1] == "exit", types
	    run = wbstore.read_run("py1")
	    assert run["history"] == rows and run["rows"] == 8
	EOF
	test "$(cat wandb/latest-run/files/model.txt)" = weights
'

test_expect_success 'list_runs agrees with wbstore ls --json' '
	py -c "import wbstore; wbstore.Run(dir=\".\", id=\"py2\").finish(3)" &&
	wbstore ls --json >ls.json &&
	py - <<-\EOF
	import json, wbstore
	ours = {r["id"]: r for r in wbstore.list_runs()}
	cli = {r["id"]: r for r in json.load(open("ls.json"))}
	assert set(ours) == set(cli) == {"py1", "py2"}, (ours, cli)
	for k in ("state", "exit_code", "steps", "records", "project"):
	    for i in ours:
	        assert ours[i][k] == cli[i][k], (k, ours[i], cli[i])
	assert ours["py2"]["state"] == "failed" and ours["py2"]["exit_code"] == 3
	EOF
'

test_expect_success 'library errors raise wbstore.Error with code and detail' '
	py - <<-\EOF
	import _wbstore, wbstore
	try:
	    wbstore.Run(dir=".", id="bad/id")
	    raise SystemExit("accepted a bad id")
	except wbstore.Error as e:
	    assert e.args[0] == _wbstore.EINVAL and "bad/id" in e.args[1], e
	try:
	    wbstore.Run(dir=".", id="py1", resume="never")
	    raise SystemExit("resume=never accepted an existing run")
	except wbstore.Error as e:
	    assert e.args[0] == _wbstore.EEXIST, e
	with wbstore.Run(dir=".", id="py3") as run:
	    run.log({"a": 1}, step=5)
	    for bad, exc in (({"a": object()}, TypeError),
	                     ({"": 1}, ValueError),
	                     ({"a\x01b": 1}, ValueError),
	                     ({1: 1}, ValueError),
	                     ([1], TypeError)):
	        try:
	            run.log(bad)
	            raise SystemExit("accepted %r" % (bad,))
	        except exc:
	            pass
	    try:
	        run.log({"a": 2}, step=3)
	        raise SystemExit("accepted a lower step")
	    except wbstore.Error as e:
	        assert e.args[0] == _wbstore.ESTEP, e
	    run.log({"list": [1, 2.5, "x"], "t": (1, 2), "big": 10 ** 30,
	             "raw": b"\x00\xff"})
	    run.finish()
	    try:
	        run.log({"a": 3})
	        raise SystemExit("logged after finish")
	    except wbstore.Error as e:
	        assert e.args[0] == _wbstore.EFINISHED, e
	with wbstore.Reader("py3") as r:
	    rows = r.history()
	    # the open row of step 5 takes the auto-stepped call, as in W&B
	    assert [x["_step"] for x in rows] == [5], rows
	    assert rows[0]["a"] == 1 and rows[0]["list"] == [1, 2.5, "x"]
	    assert rows[0]["t"] == [1, 2] and rows[0]["big"] == 10 ** 30
	    assert rows[0]["raw"] == b"\x00\xff", rows
	EOF
'

test_expect_success 'a process cannot read the run it writes; others can' '
	py - <<-\EOF
	import subprocess, sys, _wbstore, wbstore
	run = wbstore.Run(dir=".", id="live1")
	run.log({"x": 1})
	for path in (run.dir, run.journal):
	    try:
	        wbstore.Reader(path)
	        raise SystemExit("opened its own journal")
	    except wbstore.Error as e:
	        assert e.args[0] == _wbstore.ELOCKED, e
	out = subprocess.run([sys.executable, "-c",
	    "import wbstore; r = wbstore.Reader(\"live1\"); "
	    "print(r.stat()[\"state_name\"], len(r.history()))"],
	    capture_output=True, text=True, check=True).stdout
	assert out.split() == ["running", "1"], out
	run.close()
	EOF
	wbstore show --json live1 >live.json &&
	grep "\"state\":\"crashed\"" live.json
'

test_expect_success 'resume allow appends; mode disabled writes nothing' '
	py - <<-\EOF
	import os, wbstore
	for session in range(2):
	    with wbstore.Run(dir=".", id="res1", resume="allow") as run:
	        assert run.step == session * 3, run.step
	        for i in range(3):
	            run.log({"x": i})
	with wbstore.Reader("res1") as r:
	    assert [x["_step"] for x in r.history()] == list(range(6))
	os.mkdir("off")
	with wbstore.Run(dir="off", mode="disabled") as run:
	    run.log({"x": 1})
	    assert run.dir is None
	assert os.listdir("off") == [], os.listdir("off")
	EOF
'

test_done
