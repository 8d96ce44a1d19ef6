#!/bin/sh
# The sample scripts of contrib/python/examples, run unmodified with the
# wandb-compatible module, and their journals read back with
# `wbstore show --json`.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"

pyenv="$WBS_BUILDDIR/contrib/python/pyenv.sh"
[ -f "$pyenv" ] || test_skip_all "the Python binding is not built"
. "$pyenv"
PYTHONPATH=$WBS_PYTHONPATH
PYTHONDONTWRITEBYTECODE=1
export PYTHONPATH PYTHONDONTWRITEBYTECODE
py() { "$PYTHON" "$@"; }
EX=$WBS_PYEXAMPLES

# example NAME ID [ARGS]: run it into its own WANDB_DIR with a fixed id.
example() {
	name=$1 id=$2
	shift 2
	mkdir -p "$name" &&
	(cd "$name" && WANDB_DIR=. WANDB_RUN_ID=$id py "$EX/$name.py" "$@" \
	    >out 2>err) &&
	(cd "$name" && wbstore show --json "$id" >show.json)
}

test_expect_success 'import wandb gives the wbstore module' '
	py -c "import wandb; print(wandb.__file__)" >where &&
	grep "/contrib/python/wandb/__init__.py" where
'

test_expect_success 'basic: config, 8 rows, summary, console' '
	example basic ex1 &&
	py - <<-\EOF
	import json, wbstore
	r = json.load(open("basic/show.json"))
	assert r["project"] == "my-awesome-project" and r["state"] == "finished"
	assert r["config"] == {"learning_rate": 0.02, "architecture": "CNN",
	                       "dataset": "CIFAR-100", "epochs": 10}, r
	assert r["rows"] == 8 and r["last_step"] == 7, r
	assert set(r["summary"]) == {"acc", "loss"}, r["summary"]
	h = wbstore.read_run("basic/wandb/latest-run")["history"]
	assert h[-1]["acc"] == r["summary"]["acc"]
	with wbstore.Reader("basic/wandb/latest-run") as rd:
	    out = rd.console("stdout")
	assert out == open("basic/out").read(), (out, open("basic/out").read())
	assert out.count("epoch=") == 8
	EOF
'

test_expect_success 'config_updates: YAML, argparse, updates, refusal' '
	example config_updates ex2 &&
	grep "refused: Attempted to change value of key \"learning_rate\"" \
	    config_updates/out &&
	py - <<-\EOF
	import json
	r = json.load(open("config_updates/show.json"))
	c = r["config"]
	assert c == {"learning_rate": 0.1, "architecture": "resnet18",
	             "layers": [64, 128, 256], "augment": True,
	             "batch_size": 8, "epochs": 3, "dropout": 0.2, "seed": 42,
	             "optimizer": {"name": "adam", "betas": [0.9, 0.999]}}, c
	assert r["rows"] == 3 and r["summary"]["epoch"] == 2, r
	assert abs(r["summary"]["loss"] - 0.1 / 3) < 1e-12, r["summary"]
	EOF
'

test_expect_success 'define_metric: metrics recorded with the rows' '
	example define_metric ex3 &&
	py - <<-\EOF
	import json, wbstore
	r = json.load(open("define_metric/show.json"))
	assert r["rows"] == 10 and r["summary"]["train/step"] == 512, r
	with wbstore.Reader("define_metric/wandb/latest-run") as rd:
	    m = rd.metrics()
	got = [(x["name"], x["glob"], x["step_metric"], x["summary"],
	        x["goal"]) for x in m]
	assert got == [("train/step", None, None, 0, 0),
	               (None, "train/*", "train/step", 0, 0),
	               ("val/loss", None, None, 1, 0),
	               ("val/acc", None, None, 2, 2)], got
	assert m[1]["flags"] & 2, m[1]     # step_sync with a step metric
	EOF
'

test_expect_success 'commit_false: one row per step, explicit steps' '
	example commit_false ex4 &&
	py - <<-\EOF
	import json, wbstore
	r = json.load(open("commit_false/show.json"))
	assert r["rows"] == 6 and r["last_step"] == 20, r
	h = wbstore.read_run("commit_false/wandb/latest-run")["history"]
	assert [x["_step"] for x in h] == [0, 1, 2, 3, 10, 20], h
	assert set(h[2]) >= {"train/loss", "train/acc", "lr"}, h[2]
	assert h[4]["eval/loss"] == 0.5 and h[4]["eval/acc"] == 0.9, h[4]
	assert r["summary"]["eval/acc"] == 0.95, r["summary"]
	EOF
'

test_expect_success 'nested: nested dicts, / and . keys, NaN and infinities' '
	example nested ex5 &&
	py - <<-\EOF
	import json, math
	r = json.load(open("nested/show.json"))
	s = r["summary"]
	assert s["train"] == {"loss": 1 / 3, "acc": 2 / 3}, s
	assert s["val/loss"] == 2 / 3 and s["lr.schedule"] == 0.1, s
	assert s["layers"]["conv1"]["grad_norm"] == 2.0, s
	assert math.isnan(s["weird"]["nan"]), s
	assert s["weird"]["inf"] == math.inf, s
	assert s["weird"]["neg_inf"] == -math.inf, s
	assert s["best/val.loss"] == 2 / 3, s
	assert r["state"] == "finished" and r["rows"] == 3, r
	EOF
'

test_expect_success 'resume_allow: a second session appends to the run' '
	mkdir resume &&
	(cd resume && WANDB_DIR=. py "$EX/resume_allow.py" rid1 >out1 &&
	    WANDB_DIR=. py "$EX/resume_allow.py" rid1 >out2) &&
	grep "new run at step 0" resume/out1 &&
	grep "resumed at step 5" resume/out2 &&
	test $(ls -d resume/wandb/*run-*-rid1 | wc -l) = 1 &&
	(cd resume && wbstore show --json rid1 >show.json) &&
	py - <<-\EOF
	import json, wbstore
	r = json.load(open("resume/show.json"))
	assert r["rows"] == 10 and r["last_step"] == 9, r
	assert r["summary"]["sessions"] == 2, r["summary"]
	assert r["state"] == "finished", r
	h = wbstore.read_run("resume/wandb/latest-run")["history"]
	assert [x["_step"] for x in h] == list(range(10)), h
	EOF
'

test_expect_success 'fork_from: the fork records its parent and step' '
	mkdir fork &&
	(cd fork && WANDB_DIR=. py "$EX/fork_from.py" >out) &&
	set -- $(sed -n "s/^forked \([^ ]*\) from \([^ ]*\)$/\1 \2/p" fork/out) &&
	test -n "$2" &&
	(cd fork && wbstore show --json "$1" >child.json &&
	    wbstore show --json "$2" >parent.json) &&
	py - "$2" <<-\EOF
	import json, os, sys, wbstore
	parent, child = (json.load(open("fork/%s.json" % n))
	                 for n in ("parent", "child"))
	assert parent["rows"] == 30 and parent["name"] == "original", parent
	assert child["rows"] == 10 and child["name"] == "forked", child
	assert child["summary"]["metric"] == 58, child["summary"]
	with wbstore.Reader(os.path.join("fork", child["dir"])) as r:
	    info = r.info()
	assert info["fork_run"] == sys.argv[1] and info["fork_step"] == 20, info
	EOF
'

test_expect_success 'group_workers: three processes, one group' '
	mkdir group &&
	(cd group && WANDB_DIR=. py "$EX/group_workers.py" exp-7 >out 2>err) &&
	(cd group && wbstore ls --json >ls.json) &&
	py - <<-\EOF
	import json, subprocess, wbstore
	runs = wbstore.list_runs("group")
	assert len(runs) == 3, runs
	assert sorted(r["name"] for r in runs) == ["worker-0", "worker-1",
	                                           "worker-2"], runs
	assert {r["group"] for r in runs} == {"exp-7"}, runs
	assert {r["job_type"] for r in runs} == {"worker"}, runs
	assert all(r["state"] == "finished" and r["steps"] == 5 for r in runs)
	cli = json.load(open("group/ls.json"))
	assert sorted(r["id"] for r in cli) == sorted(r["id"] for r in runs)
	for r in runs:
	    s = wbstore.read_run(r["dir"], history=False)
	    rank = s["config"]["rank"]
	    assert r["name"] == "worker-%d" % rank
	    assert s["summary"]["loss"] == 0.2 + rank, s["summary"]
	EOF
'

test_expect_success 'media: image, gallery, histogram and table files' '
	example media ex9 &&
	py - <<-\EOF
	import json, os
	r = json.load(open("media/show.json"))
	s = r["summary"]
	d = os.path.join("media", r["dir"])     # show ran in media/
	assert s["sample"]["_type"] == "image-file", s
	assert s["sample"]["width"] == 16 and s["sample"]["caption"] == \
	    "gradient 1", s["sample"]
	assert s["gallery"]["_type"] == "images/separated", s["gallery"]
	assert s["gallery"]["count"] == 2, s["gallery"]
	assert s["weights"]["_type"] == "histogram", s["weights"]
	assert len(s["weights"]["values"]) == 64, s["weights"]
	assert sum(s["weights"]["values"]) == 500, s["weights"]
	t = s["predictions"]
	assert t["_type"] == "table-file" and t["nrows"] == 3, t
	body = json.load(open(os.path.join(d, "files", t["path"])))
	assert body["columns"] == ["id", "prediction", "score"], body
	assert body["data"][2] == [2, "class-2", 2 / 3], body
	for p in [s["sample"]["path"]] + s["gallery"]["filenames"]:
	    assert open(os.path.join(d, "files", p), "rb").read(8) == \
	        b"\x89PNG\r\n\x1a\n", p
	EOF
'

test_done
