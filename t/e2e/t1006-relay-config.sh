#!/bin/sh
# The relay: UpsertBucket updates.  Null variables leave fields alone; a
# config is applied as its difference from the stored one; run
# attributes are recorded only when they change.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"
. "$WBS_SRCDIR/t/e2e/t1lib-relay.sh"

command -v curl >/dev/null || test_skip_all "curl is not installed"

# nrec: number of records of run c1.
nrec() {
	py <<-\EOF
	print(len(dump("c1")))
	EOF
}

# show: wbstore show --json c1 into show.json.
show() {
	WANDB_DIR=$STORE wbstore show --json c1 >show.json
}

test_expect_success 'setup: a run with config and attributes' '
	relay_start &&
	py <<-\EOF &&
	cfg = {"lr": 0.1, "model": {"layers": 4, "act": "relu"},
	    "opt": {"name": "adam"}, "arr": [1, 2], "nan": float("nan"),
	    "_wandb": {"t": {"1": [1]}}}
	json.dump(cfg, open(T + "/cfg.json", "w"))
	upsert("u1.json", "c1", config=cfg, displayName="one", notes="n1",
	    tags=["a", "b,c"], groupName="g1", jobType="train", host="h1",
	    program="train.py", repo="git@x:y.git", commit="abc123")
	EOF
	test "$(gql u1.json)" = 200 && show &&
	py <<-\EOF
	r = json.load(open(T + "/show.json"))
	assert r["name"] == "one" and r["notes"] == "n1", r
	assert r["tags"] == ["a", "b,c"] and r["group"] == "g1", r
	assert r["job_type"] == "train" and r["host"] == "h1", r
	import math
	c = r["config"]
	assert math.isnan(c["nan"]) and c["arr"] == [1, 2], c
	assert c["model"] == {"layers": 4, "act": "relu"}, c
	EOF
'

test_expect_success 'the answer carries the config with NaN as a token' '
	py <<-\EOF
	cfg = json.loads(out()["data"]["upsertBucket"]["bucket"]["config"])
	import math
	assert math.isnan(cfg["nan"]["value"]), cfg
	assert cfg["_wandb"]["value"] == {"t": {"1": [1]}}, cfg
	EOF
'

test_expect_success 'null variables and a repeated config change nothing' '
	n=$(nrec) &&
	py <<-\EOF &&
	upsert("u2.json", "c1")
	cfg = json.load(open(T + "/cfg.json"))
	upsert("u3.json", "c1", config=cfg, displayName="one", tags=["a",
	    "b,c"], host="h1")
	EOF
	test "$(gql u2.json)" = 200 && test "$(gql u3.json)" = 200 &&
	test "$(nrec)" = "$n" &&
	py <<-\EOF
	assert out()["data"]["upsertBucket"]["inserted"] is False
	EOF
'

test_expect_success 'a changed config writes only the difference' '
	n=$(nrec) &&
	py <<-\EOF &&
	cfg = {"lr": 0.2, "model": {"layers": 8, "act": "relu"},
	    "arr": [1, 2, 3], "nan": float("nan"), "bs": 32,
	    "_wandb": {"t": {"1": [1]}}}
	upsert("u4.json", "c1", config=cfg)
	EOF
	test "$(gql u4.json)" = 200 &&
	test "$(nrec)" = $((n + 2)) &&
	py <<-\EOF
	c = recs("c1", "config")
	assert c[-2]["keys"] == ["opt"], c[-2]
	assert c[-1]["items"] == {"lr": 0.2, "model\u001flayers": 8, "bs": 32,
	    "arr": {"json": "[1, 2, 3]"}}, c[-1]
	EOF
'

test_expect_success 'a value that becomes a dict replaces it' '
	py <<-\EOF &&
	cfg = {"lr": {"sched": "cos", "base": 0.2},
	    "model": {"layers": 8, "act": "relu"}, "arr": [1, 2, 3],
	    "nan": float("nan"), "bs": 32, "_wandb": {"t": {"1": [1]}}}
	upsert("u5.json", "c1", config=cfg)
	EOF
	test "$(gql u5.json)" = 200 && show &&
	py <<-\EOF
	c = json.load(open(T + "/show.json"))["config"]
	assert c["lr"] == {"sched": "cos", "base": 0.2}, c
	assert "opt" not in c and c["bs"] == 32, c
	EOF
'

test_expect_success 'changed attributes are recorded once each' '
	n=$(nrec) &&
	py <<-\EOF &&
	upsert("u6.json", "c1", displayName="two", notes="n2", tags=["z"],
	    groupName="g2", jobType="eval", host="h2", commit="def456")
	EOF
	test "$(gql u6.json)" = 200 &&
	test "$(gql u6.json)" = 200 &&
	show &&
	py <<-\EOF
	r = json.load(open(T + "/show.json"))
	assert r["name"] == "two" and r["notes"] == "n2", r
	assert r["tags"] == ["z"] and r["group"] == "g2", r
	assert r["job_type"] == "eval" and r["host"] == "h2", r
	d = dump("c1")
	tail = [x["type"] for x in d[-6:]]
	assert tail == ["run", "set", "set", "set", "set", "tags"], tail
	assert d[-6]["resumed"] == 1
	EOF
'

test_expect_success 'summaryMetrics in UpsertBucket sets the summary' '
	py <<-\EOF &&
	upsert("u7.json", "c1", summaryMetrics=json.dumps({"best": 0.9,
	    "inf": float("inf")}))
	EOF
	test "$(gql u7.json)" = 200 && show &&
	py <<-\EOF
	s = json.load(open(T + "/show.json"))["summary"]
	assert s == {"best": 0.9, "inf": float("inf")}, s
	EOF
'

test_expect_success 'a restart keeps the config (no rewrite on re-send)' '
	relay_stop && relay_start &&
	n=$(nrec) &&
	test "$(gql u5.json)" = 200 &&
	test "$(nrec)" = "$n" &&
	relay_stop &&
	WANDB_DIR=$STORE wbstore verify c1
'

test_done
