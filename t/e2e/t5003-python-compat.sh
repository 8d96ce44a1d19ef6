#!/bin/sh
# The wandb-compatible module: init options, config, summary, run
# attributes, files, modes, console capture, environment, stand-ins.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"

pyenv="$WBS_BUILDDIR/contrib/python/pyenv.sh"
[ -f "$pyenv" ] || test_skip_all "the Python binding is not built"
. "$pyenv"
PYTHONPATH=$WBS_PYTHONPATH
PYTHONDONTWRITEBYTECODE=1
export PYTHONPATH PYTHONDONTWRITEBYTECODE
py() { "$PYTHON" "$@"; }

test_expect_success 'config: access, update, setdefaults, allow_val_change' '
	py - <<-\EOF
	import argparse, wandb
	ns = argparse.Namespace(lr=0.1, batch_size=16)
	run = wandb.init(dir=".", id="cfg1", mode="offline", config=ns)
	c = wandb.config
	assert c.lr == 0.1 and c["batch_size"] == 16 and "lr" in c
	c.update({"--epochs": 3, "model": {"depth": 2, "act": "relu"}})
	assert c.epochs == 3 and c.model["act"] == "relu"
	c.setdefaults({"epochs": 9, "seed": 1})
	assert c.epochs == 3 and c.seed == 1
	assert c.setdefault("seed", 5) == 1
	c.lr = 0.1                          # same value: fine
	for change in (lambda: setattr(c, "lr", 0.2),
	               lambda: c.__setitem__("lr", 0.2),
	               lambda: c.update({"lr": 0.2})):
	    try:
	        change()
	        raise SystemExit("changed without allow_val_change")
	    except wandb.Error as e:
	        assert "Attempted to change value of key \"lr\"" in str(e), e
	        assert "allow_val_change=True" in str(e)
	assert c.lr == 0.1
	c.update({"lr": 0.3, "model": {"depth": 4}}, allow_val_change=True)
	del c["batch_size"]
	try:
	    c.missing
	    raise SystemExit("no AttributeError")
	except AttributeError:
	    pass
	assert dict(c.items()) == {"lr": 0.3, "epochs": 3, "seed": 1,
	                           "model": {"depth": 4}}, c.as_dict()
	run.finish()
	EOF
	wbstore show --json cfg1 >show.json &&
	py - <<-\EOF
	import json
	c = json.load(open("show.json"))["config"]
	assert c == {"lr": 0.3, "epochs": 3, "seed": 1,
	             "model": {"depth": 4}}, c
	EOF
'

test_expect_success 'config: init(allow_val_change=True), include/exclude' '
	py - <<-\EOF
	import wandb
	with wandb.init(dir=".", id="cfg2", allow_val_change=True,
	                config={"a": 1, "b": 2, "c": 3},
	                config_exclude_keys=["c"]) as run:
	    wandb.config.a = 5
	    assert dict(run.config) == {"a": 5, "b": 2}
	with wandb.init(dir=".", id="cfg3", config={"a": 1, "b": 2},
	                config_include_keys=["b"]) as run:
	    assert dict(run.config) == {"b": 2}
	EOF
'

test_expect_success 'config: YAML files, plain and W&B value form' '
	cat >plain.yaml <<-\EOF &&
	# a comment
	lr: 0.001          # trailing comment
	exp: 1e-3
	name: "res net"
	quote: '"'"'it'"'"''"'"'s'"'"'
	flags: [true, no, ~, 0x10, .inf]
	model:
	  depth: 4
	  layers:
	    - 64
	    - {size: 128, act: relu}
	  empty:
	EOF
	cat >wb.yaml <<-\EOF &&
	wandb_version: 1
	_wandb:
	  value: {cli_version: 0.18.7}
	lr:
	  desc: null
	  value: 0.01
	epochs: {value: 5}
	EOF
	py - <<-\EOF
	import math, wandb
	from wbstore.compat import yamlmini
	from wbstore.compat.config import load_yaml
	want = {"lr": 0.001, "exp": "1e-3", "name": "res net",
	        "quote": "it\x27s", "flags": [True, False, None, 16, math.inf],
	        "model": {"depth": 4, "layers": [64, {"size": 128,
	                  "act": "relu"}], "empty": None}}
	got = yamlmini.load(open("plain.yaml").read(), "plain.yaml")
	assert got == want, got
	try:
	    import yaml
	    assert yaml.safe_load(open("plain.yaml")) == want
	except ImportError:
	    pass
	assert load_yaml("wb.yaml") == {"lr": 0.01, "epochs": 5}
	for bad in ("a: &x 1", "a: |\n  text", "- a\nb: 1", "a: [1,"):
	    try:
	        yamlmini.load(bad, "bad.yaml")
	        raise SystemExit("accepted %r" % bad)
	    except yamlmini.YamlError as e:
	        assert str(e).startswith("bad.yaml:"), e
	with wandb.init(dir=".", id="cfg4", config="wb.yaml") as run:
	    assert run.config.lr == 0.01 and run.config.epochs == 5
	EOF
'

test_expect_success 'summary: logged values, updates, nesting, deletion' '
	py - <<-\EOF
	import wandb
	run = wandb.init(dir=".", id="sum1")
	run.log({"loss": 0.5, "val": {"acc": 0.7}})
	run.log({"loss": 0.25})
	s = run.summary
	assert s["loss"] == 0.25 and s.loss == 0.25 and s["val"]["acc"] == 0.7
	s["best"] = 0.1
	s.update({"epochs_done": 2, "val": {"f1": 0.3}})
	s["val"]["top5"] = 0.9
	s.extra = "x"
	del s["extra"]
	assert "extra" not in s and s["val"]["f1"] == 0.3
	assert dict(s._as_dict()) == {"loss": 0.25, "best": 0.1,
	    "epochs_done": 2, "val": {"acc": 0.7, "f1": 0.3, "top5": 0.9}}, s
	assert wandb.summary is s
	run.finish()
	EOF
	wbstore show --json sum1 >show.json &&
	py - <<-\EOF
	import json
	s = json.load(open("show.json"))["summary"]
	assert s == {"loss": 0.25, "best": 0.1, "epochs_done": 2,
	             "val": {"acc": 0.7, "f1": 0.3, "top5": 0.9}}, s
	EOF
'

test_expect_success 'resume: config and summary come back; changes refused' '
	py - <<-\EOF
	import wandb
	with wandb.init(dir=".", id="res1", resume="allow", name="r1",
	                tags=["t1"], config={"lr": 0.1}) as run:
	    assert not run.resumed
	    run.log({"loss": 1.0})
	with wandb.init(dir=".", id="res1", resume="allow") as run:
	    assert run.resumed and run.step == 1, (run.resumed, run.step)
	    assert run.name == "r1" and run.tags == ("t1",), run.name
	    assert run.config.lr == 0.1 and run.summary["loss"] == 1.0
	    try:
	        run.config.lr = 0.2
	        raise SystemExit("changed a resumed value")
	    except wandb.Error:
	        pass
	    run.log({"loss": 0.5})
	try:
	    wandb.init(dir=".", id="res1", resume="never")
	    raise SystemExit("resume=never reopened the run")
	except wandb.errors.UsageError as e:
	    assert "res1" in str(e), e
	EOF
	wbstore show --json res1 >show.json &&
	grep "\"rows\":2" show.json
'

test_expect_success 'run attributes, alert, preempting, define_metric' '
	py - <<-\EOF
	import datetime, wandb
	run = wandb.init(dir=".", id="attr1", project="p1", entity="e1",
	                 name="n1", notes="first", group="g1", job_type="j1",
	                 tags=["x"])
	assert (run.project, run.entity, run.name, run.notes, run.group,
	        run.job_type, run.tags) == ("p1", "e1", "n1", "first", "g1",
	                                    "j1", ("x",))
	assert run.path == "e1/p1/attr1" and run.offline
	run.name = "n2"
	run.notes = "second"
	run.group = "g2"
	run.job_type = "j2"
	run.tags = run.tags + ("y",)
	assert run.tags == ("x", "y") and run.name == "n2"
	m = run.define_metric("acc", summary="max,mean", goal="maximize")
	assert m.name == "acc" and m.goal == "maximize"
	wandb.alert(title="slow", text="loss is flat",
	            level=wandb.AlertLevel.WARN,
	            wait_duration=datetime.timedelta(minutes=5))
	run.mark_preempting()
	run.finish()
	EOF
	wbstore show --json attr1 >show.json &&
	py - <<-\EOF
	import json, wbstore
	r = json.load(open("show.json"))
	assert (r["name"], r["notes"], r["group"], r["job_type"], r["tags"]) \
	    == ("n2", "second", "g2", "j2", ["x", "y"]), r
	with wbstore.Reader("attr1") as rd:
	    a = rd.alerts()
	    types = [x["type"] for x in rd.records()]
	    m = rd.metrics()
	assert a == [{"title": "slow", "text": "loss is flat",
	              "level": "WARN", "wait_ms": 300000}], a
	assert "preempting" in types
	assert m[0]["summary"] == 2 | 4 and m[0]["goal"] == 2, m
	EOF
'

test_expect_success 'save: now copies, live and end are copied at finish' '
	mkdir -p out/sub &&
	echo v1 >out/now.txt && echo v1 >out/sub/live.txt &&
	echo v1 >out/end.txt &&
	py - <<-\EOF
	import os, wandb
	run = wandb.init(dir=".", id="save1")
	assert run.save("out/now.txt", policy="now") == [
	    os.path.join(run.dir, "out/now.txt")]
	run.save("out/sub/*.txt", base_path="out")
	run.save(os.path.abspath("out/end.txt"), policy="end")
	assert run.save("nothing/*.bin") == []
	assert run.save("out/now.txt", policy="bogus") == []
	for f in ("out/now.txt", "out/sub/live.txt", "out/end.txt"):
	    open(f, "w").write("v2\n")
	assert open(os.path.join(run.dir, "sub/live.txt")).read() == "v2\n"
	run.finish()
	EOF
	f=wandb/latest-run/files &&
	test "$(cat $f/out/now.txt)" = v1 &&
	test "$(cat $f/sub/live.txt)" = v2 && test ! -L $f/sub/live.txt &&
	test "$(cat $f/end.txt)" = v2 && test ! -L $f/end.txt &&
	py - <<-\EOF
	import wbstore
	with wbstore.Reader("save1") as r:
	    got = sorted((f["path"], f["policy"]) for f in r.files())
	assert got == [("end.txt", 1), ("out/now.txt", 0),
	               ("sub/live.txt", 2)], got
	EOF
'

test_expect_success 'reinit: return_previous, finish_previous, create_new' '
	py - <<-\EOF
	import wandb
	a = wandb.init(dir=".", id="re1")
	assert wandb.init(dir=".", id="re2") is a
	b = wandb.init(dir=".", id="re2", reinit=True)
	assert b is not a and a._finished and wandb.run is b
	c = wandb.init(dir=".", id="re3", reinit="create_new")
	assert wandb.run is b and not b._finished
	c.log({"x": 1})
	b.finish()
	assert wandb.run is c
	c.finish()
	assert wandb.run is None
	EOF
	for id in re1 re2 re3; do
		wbstore show --json $id | grep "\"state\":\"finished\"" || return 1
	done
'

test_expect_success 'modes: offline and online write, disabled does not' '
	mkdir modes && cd modes &&
	py - <<-\EOF &&
	import os, wandb
	with wandb.init(id="m1", mode="offline") as r:
	    r.log({"x": 1})
	with wandb.init(id="m2", mode="online") as r:
	    r.log({"x": 1})
	with wandb.init(id="m3", mode="disabled") as r:
	    r.log({"x": 1})
	    r.summary["y"] = 2
	    wandb.config.z = 3
	    assert r.summary["x"] == 1 and os.path.isdir(r.dir)
	    assert not r.dir.startswith(os.getcwd())
	EOF
	ls wandb >dirs &&
	grep "^offline-run-.*-m1$" dirs && grep "^run-.*-m2$" dirs &&
	! grep m3 dirs &&
	mkdir env && cd env &&
	WANDB_MODE=disabled py -c "import wandb; wandb.init().log({\"x\": 1})" &&
	WANDB_DISABLED=true py -c "import wandb; wandb.init().log({\"x\": 1})" &&
	test ! -e wandb
'

test_expect_success 'console: output is teed, never swallowed; off works' '
	mkdir con && cd con &&
	cat >p.py <<-\EOF &&
	import sys, wandb
	wandb.init(id=sys.argv[1])
	print("line one")
	sys.stdout.write("partial ")
	sys.stdout.write("done\n")
	print("to stderr", file=sys.stderr)
	sys.stdout.write("progress 1\rprogress 2\r")
	print("tail without newline", end="")
	EOF
	py p.py c1 >out 2>err &&
	printf "line one\npartial done\nprogress 1\rprogress 2\rtail without newline" >want &&
	test_cmp want out &&
	grep "to stderr" err &&
	py -c "
import wbstore
with wbstore.Reader(\"c1\") as r:
    want = open(\"want\", newline=\"\").read()
    assert r.console(\"stdout\") == want, r.console()
    assert \"to stderr\" in r.console(\"stderr\")
" &&
	WANDB_CONSOLE=off py p.py c2 >out2 2>err2 &&
	test_cmp want out2 &&
	py -c "
import wbstore
with wbstore.Reader(\"c2\") as r:
    assert r.console() == \"\", r.console()
"
'

test_expect_success 'the W&B environment variables set the run up' '
	mkdir envs &&
	WANDB_DIR=$TRASH/envs WANDB_PROJECT=envp WANDB_ENTITY=enve \
	WANDB_NAME=envn WANDB_NOTES=envnotes WANDB_RUN_GROUP=envg \
	WANDB_JOB_TYPE=envj WANDB_TAGS="t1, t2" WANDB_RUN_ID=envid \
	WANDB_MODE=offline py - <<-\EOF &&
	import wandb
	run = wandb.init()
	assert (run.id, run.project, run.entity, run.name, run.notes,
	        run.group, run.job_type, run.tags) == ("envid", "envp",
	        "enve", "envn", "envnotes", "envg", "envj", ("t1", "t2")), \
	    run._attrs
	run.log({"x": 1})
	EOF
	test -d envs/wandb/offline-run-*-envid &&
	(cd envs && wbstore show --json envid >show.json) &&
	py - <<-\EOF
	import json
	r = json.load(open("envs/show.json"))
	assert (r["project"], r["entity"], r["name"], r["notes"], r["group"],
	        r["job_type"], r["tags"]) == ("envp", "enve", "envn",
	        "envnotes", "envg", "envj", ["t1", "t2"]), r
	assert r["state"] == "finished", r
	EOF
'

test_expect_success 'unsupported calls are no-ops with one warning each' '
	py - >stub.out 2>stub.err <<-\EOF &&
	import wandb
	wandb.log({"early": 1})
	run = wandb.init(dir=".", id="stub1")
	wandb.watch(object(), log="all")
	wandb.watch(object())
	art = wandb.Artifact("data", type="dataset")
	art.add_file("x")
	run.log_artifact(art)
	run.log_code(".")
	run.log({"video": wandb.Video("x.mp4"), "ok": 1})
	wandb.init(dir=".", id="stub2", sync_tensorboard=True,
	           not_an_option=1, reinit=True)
	wandb.log({"fine": 2})
	EOF
	test $(grep -c "wandb.watch is not supported" stub.err) = 1 &&
	grep "wandb.Artifact is not supported" stub.err &&
	grep "run.log_artifact is not supported" stub.err &&
	grep "run.log_code is not supported" stub.err &&
	grep "wandb.Video is not supported" stub.err &&
	grep "sync_tensorboard=...) is not supported" stub.err &&
	grep "not_an_option=...) is not supported" stub.err &&
	grep "You must call wandb.init() before wandb.log()" stub.err &&
	wbstore show --json stub1 | grep "\"summary\":{\"ok\":1}" &&
	wbstore show --json stub2 | grep "\"fine\":2"
'

test_expect_success 'resume_from, WANDB_RESUME and WANDB_SILENT' '
	mkdir rsm && cd rsm &&
	py - <<-\EOF &&
	import wandb, wbstore
	with wandb.init(dir=".", id="rw1", config={"lr": 0.1}) as run:
	    for i in range(5):
	        run.log({"loss": float(i)})
	run = wandb.init(dir=".", resume_from="rw1?_step=2")
	assert run.id == "rw1" and run.resumed, (run.id, run.resumed)
	assert run.config.lr == 0.1, dict(run.config)
	run.log({"loss": 9.0})
	run.finish()
	with wbstore.Reader("rw1") as r:
	    info = r.info()
	assert (info["rewind_run"], info["rewind_step"]) == ("rw1", 2), info
	for bad in ("rw1?_step=x", "rw1"):
	    try:
	        wandb.init(dir=".", resume_from=bad)
	        raise SystemExit("resume_from=%r accepted" % bad)
	    except wandb.errors.UsageError as e:
	        assert "step" in str(e), e
	try:
	    wandb.init(dir=".", id="x", fork_from="rw1?_step=1",
	               resume_from="rw1?_step=1")
	    raise SystemExit("fork_from with resume_from accepted")
	except wandb.errors.UsageError as e:
	    assert "mutually exclusive" in str(e), e
	EOF
	cat >again.py <<-\EOF &&
	import wandb
	run = wandb.init(dir=".")
	print(run.id, run.resumed, run.step)
	run.log({"x": run.step})
	EOF
	WANDB_RUN_ID=env1 WANDB_RESUME=allow py again.py >o1 2>e1 &&
	WANDB_RUN_ID=env1 WANDB_RESUME=allow WANDB_SILENT=true \
	    py again.py >o2 2>e2 &&
	test "$(cat o1)" = "env1 False 0" && test "$(cat o2)" = "env1 True 1" &&
	grep "^wandb: Run env1" e1 && test ! -s e2 &&
	! WANDB_RUN_ID=env1 WANDB_RESUME=never py again.py >o3 2>e3 &&
	grep "resume is \"never\"" e3 &&
	wbstore show --json env1 | grep "\"rows\":2"
'

test_done
