#!/bin/sh
# The relay: fork (a new run seeded with its parent's history) and rewind
# (RewindRun cuts the history, the old history kept as an archived fork).
. "$WBS_SRCDIR/t/e2e/test-lib.sh"
. "$WBS_SRCDIR/t/e2e/t1lib-relay.sh"

command -v curl >/dev/null || test_skip_all "curl is not installed"

test_expect_success 'setup: parent p1 with 100 rows, finished' '
	relay_start &&
	py <<-\EOF &&
	upsert("p.json", "p1", config={"lr": 0.1, "_wandb": {"t": {}}})
	stream("p1.json", {"wandb-history.jsonl": (0, [hist(i,
	    loss=1.0 / (i + 1)) for i in range(100)])}, complete=True,
	    exitcode=0)
	EOF
	test "$(gql p.json)" = 200 && test "$(fs p1 p1.json)" = 200
'

test_expect_success 'fork: the child starts with the parent up to the step' '
	py <<-\EOF &&
	upsert("c.json", "c1", config={"lr": 0.2, "_wandb": {"t": {},
	    "branch_point": {"run_id": "p1", "step": 50}}})
	EOF
	test "$(gql c.json)" = 200 &&
	py <<-\EOF
	u = out()["data"]["upsertBucket"]
	assert u["inserted"] is True, u
	assert u["bucket"]["historyLineCount"] == 51, u
	h = recs("c1", "history")
	assert [r["step"] for r in h] == list(range(51)), h
	p = recs("p1", "history")
	assert [r["items"] for r in h] == [r["items"] for r in p[:51]]
	run = recs("c1", "run")[0]
	assert run["fork_run"] == "p1" and run["fork_step"] == 50, run
	EOF
'

test_expect_success 'the child appends after the seeded lines' '
	py <<-\EOF &&
	stream("c1.json", {"wandb-history.jsonl": (51, [hist(i, loss=0.5)
	    for i in range(51, 61)])})
	EOF
	test "$(fs c1 c1.json)" = 200 &&
	test "$(gql c.json)" = 200 &&
	py <<-\EOF
	u = out()["data"]["upsertBucket"]
	assert u["inserted"] is False, u
	assert u["bucket"]["historyLineCount"] == 61, u
	assert [r["step"] for r in recs("c1", "history")] == list(range(61))
	EOF
'

test_expect_success 'a fork of a run the relay does not have is not seeded' '
	py <<-\EOF &&
	upsert("c2.json", "c2", config={"_wandb": {"t": {},
	    "branch_point": {"run_id": "elsewhere", "step": 5}}})
	EOF
	test "$(gql c2.json)" = 200 &&
	grep "c2 forks from elsewhere, which this relay does not have" relay.log &&
	py <<-\EOF
	assert out()["data"]["upsertBucket"]["bucket"]["historyLineCount"] == 0
	EOF
'

test_expect_success 'setup: run r2 with history, events, console and a file' '
	py <<-\EOF &&
	upsert("r.json", "r2", config={"lr": 0.3, "_wandb": {"t": {}}},
	    tags=["t1"], displayName="to-rewind")
	stream("r2.json", {"wandb-history.jsonl": (0, [hist(i, loss=float(i))
	    for i in range(100)]), "wandb-events.jsonl": (0, [json.dumps(
	    {"system.cpu": 1.0, "_wandb": True, "_timestamp": 1.0})]),
	    "output.log": (0, ["hello", "world"])})
	write("cf.json", {"query": "mutation CreateRunFiles { x }",
	    "variables": {"entity": "wbstore", "project": "demo", "run": "r2",
	    "files": ["media/a.txt"]}})
	EOF
	test "$(gql r.json)" = 200 && test "$(fs r2 r2.json)" = 200 &&
	test "$(gql cf.json)" = 200 &&
	u=$(py <<-\EOF
	print(out()["data"]["createRunFiles"]["files"][0]["uploadUrl"])
	EOF
	) &&
	echo media >a.txt &&
	test "$(curl -sS -o /dev/null -w "%{http_code}" -T a.txt "$u")" = 200
'

test_expect_success 'RewindRun cuts the history after the step' '
	py <<-\EOF &&
	write("rw.json", {"query": "mutation RewindRun { x }", "variables": {
	    "runName": "r2", "entity": None, "project": "demo",
	    "metricName": "_step", "metricValue": 40.0}})
	EOF
	test "$(gql rw.json)" = 200 &&
	py <<-\EOF
	b = out()["data"]["rewindRun"]["rewoundRun"]
	assert b["name"] == "r2" and b["historyLineCount"] == 41, b
	assert b["project"]["name"] == "demo", b
	assert json.loads(b["config"])["lr"] == {"value": 0.3}, b
	h = recs("r2", "history")
	assert [r["step"] for r in h] == list(range(41)), h
	runs = recs("r2", "run")
	assert runs[0]["rewind_run"] == "r2" and runs[0]["rewind_step"] == 40
	assert recs("r2", "console") == [] and recs("r2", "stats") == []
	assert os.path.exists(rundir("r2") + "/files/media/a.txt")
	EOF
'

test_expect_success 'the old history is kept as an archived fork' '
	py <<-\EOF
	h = recs("r2-rw1", "history")
	assert [r["step"] for r in h] == list(range(100)), len(h)
	run = recs("r2-rw1", "run")[0]
	assert run["fork_run"] == "r2" and run["fork_step"] == 40, run
	assert len(recs("r2-rw1", "console")) == 2
	assert len(recs("r2-rw1", "stats")) == 1
	assert open(rundir("r2-rw1") + "/files/media/a.txt").read() == "media\n"
	EOF
	WANDB_DIR=$STORE wbstore show --json r2-rw1 >arch.json &&
	py <<-\EOF
	r = json.load(open(T + "/arch.json"))
	assert r["tags"] == ["t1", "rewound"] and r["name"] == "to-rewind", r
	assert r["config"]["lr"] == 0.3 and r["rows"] == 100, r
	EOF
'

test_expect_success 'the client continues after the rewound step' '
	py <<-\EOF &&
	stream("r3.json", {"wandb-history.jsonl": (41, [hist(i, loss=-1.0)
	    for i in range(41, 46)]), "output.log": (0, ["after"])})
	EOF
	test "$(fs r2 r3.json)" = 200 &&
	py <<-\EOF
	h = recs("r2", "history")
	assert [r["step"] for r in h] == list(range(46)), h
	assert h[-1]["items"]["loss"] == -1.0
	EOF
'

test_expect_success 'rewinding past the last step changes nothing' '
	py <<-\EOF &&
	write("rw2.json", {"query": "mutation RewindRun { x }", "variables": {
	    "runName": "r2", "project": "demo", "metricName": "_step",
	    "metricValue": 60}})
	EOF
	test "$(gql rw2.json)" = 200 &&
	grep "\"historyLineCount\":46" out.json &&
	! ls -d store/wandb/*r2-rw2
'

test_expect_success 'RewindRun errors: other metrics, unknown runs' '
	py <<-\EOF &&
	write("rw3.json", {"query": "mutation RewindRun { x }", "variables": {
	    "runName": "r2", "project": "demo", "metricName": "loss",
	    "metricValue": 1}})
	write("rw4.json", {"query": "mutation RewindRun { x }", "variables": {
	    "runName": "nope", "project": "demo", "metricName": "_step",
	    "metricValue": 1}})
	EOF
	test "$(gql rw3.json)" = 400 &&
	grep "rewind only supports the _step metric" out.json &&
	test "$(gql rw4.json)" = 400 &&
	grep "run nope not found" out.json
'

test_expect_success 'after a restart both runs are found; all verify' '
	relay_stop && relay_start &&
	py <<-\EOF &&
	write("rs.json", {"query": "query RunResumeStatus { x }",
	    "variables": {"project": "demo", "name": "r2"}})
	EOF
	test "$(gql rs.json)" = 200 &&
	grep "\"historyLineCount\":46" out.json &&
	relay_stop &&
	WANDB_DIR=$STORE wbstore verify "$STORE/wandb" >v.out &&
	test "$(grep -c "^ok" v.out)" = 5 && ! grep FAIL v.out &&
	! ls store/.relay-tmp/* 2>/dev/null
'

test_done
