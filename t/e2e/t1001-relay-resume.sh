#!/bin/sh
# The relay: resuming a run (RunResumeStatus, offsets that continue),
# re-sent batches stored once, overwritten console lines, and line counts
# that survive a restart and a crash of the relay.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"
. "$WBS_SRCDIR/t/e2e/t1lib-relay.sh"

command -v curl >/dev/null || test_skip_all "curl is not installed"

# count RUN TYPE: number of records of a type.
count() {
	py <<-EOF
	print(len(recs("$1", "$2")))
	EOF
}

test_expect_success 'setup: a run with 10 rows, 2 samples, 3 lines' '
	relay_start &&
	py <<-\EOF &&
	upsert("u.json", "r1", config={"lr": 0.1,
	    "_wandb": {"t": {"1": [1], "5": "0.18.7"}}}, tags=["x"])
	stream("b1.json", {
	    "wandb-history.jsonl": (0, [hist(i, loss=1.0 / (i + 1))
	                                for i in range(10)]),
	    "wandb-events.jsonl": (0, [json.dumps({"system.cpu": c,
	        "_wandb": True, "_timestamp": 1795423930.0 + c,
	        "_runtime": 3.0}) for c in (1, 2)]),
	    "output.log": (0, ["2026-11-23T09:00:00.000000 line %d" % i
	                       for i in range(3)]),
	    "wandb-summary.json": (0, [json.dumps({"loss": 0.1, "_step": 9,
	        "_runtime": 4.5, "_wandb": {"runtime": 4}})])})
	EOF
	test "$(gql u.json)" = 200 &&
	test "$(fs r1 b1.json)" = 200
'

test_expect_success 'RunResumeStatus: null bucket for a new run' '
	py <<-\EOF &&
	write("rs0.json", {"query": "query RunResumeStatus { x }",
	    "variables": {"project": "demo", "entity": None, "name": "nope"}})
	EOF
	test "$(gql rs0.json)" = 200 &&
	py <<-\EOF
	m = out()["data"]["model"]
	assert m["bucket"] is None and m["name"] == "demo", m
	assert m["entity"]["name"] == "wbstore", m
	EOF
'

test_expect_success 'RunResumeStatus: counts, tails, config, summary' '
	py <<-\EOF &&
	write("rs.json", {"query": "query RunResumeStatus { x }",
	    "variables": {"project": "demo", "entity": None, "name": "r1"}})
	EOF
	test "$(gql rs.json)" = 200 &&
	py <<-\EOF
	b = out()["data"]["model"]["bucket"]
	assert b["historyLineCount"] == 10, b
	assert b["eventsLineCount"] == 2 and b["logLineCount"] == 3, b
	h = json.loads(json.loads(b["historyTail"])[-1])
	assert h["_step"] == 9 and h["loss"] == 0.1, h
	assert h["_timestamp"] == 1795423922.0, h
	e = json.loads(json.loads(b["eventsTail"])[-1])
	assert e == {"system.cpu": 2, "_timestamp": 1795423932.0,
	    "_wandb": True}, e
	assert json.loads(b["config"])["lr"] == {"value": 0.1}, b["config"]
	s = json.loads(b["summaryMetrics"])
	assert s["_step"] == 9 and s["_wandb"]["runtime"] == 4, s
	assert json.loads(b["wandbConfig"]) == {"t": {"1": [1], "5": "0.18.7"}}
	assert b["tags"] == ["x"] and b["name"] == "r1", b
	EOF
'

test_expect_success 'a re-sent batch stores nothing twice' '
	before=$(py <<-\EOF
	print(len(dump("r1")))
	EOF
	) &&
	test "$(fs r1 b1.json)" = 200 &&
	test "$(fs r1 b1.json)" = 200 &&
	after=$(py <<-\EOF
	print(len(dump("r1")))
	EOF
	) &&
	test "$before" = "$after" &&
	grep "10 wandb-history.jsonl lines at offsets below its count" relay.log
'

test_expect_success 'an overlapping batch appends only the new lines' '
	py <<-\EOF &&
	stream("b2.json", {"wandb-history.jsonl": (5, [hist(i, loss=0.5)
	    if i >= 10 else hist(i, loss=1.0 / (i + 1)) for i in range(5, 15)])})
	EOF
	test "$(fs r1 b2.json)" = 200 &&
	py <<-\EOF
	h = recs("r1", "history")
	assert [r["step"] for r in h] == list(range(15)), h
	EOF
'

test_expect_success 'output.log: a changed line is overwritten, once' '
	py <<-\EOF &&
	stream("o1.json", {"output.log": (2, ["2026-11-23T09:00:01.000000 "
	    "line 2 100%", "2026-11-23T09:00:02.000000 line 3"])})
	stream("o2.json", {"output.log": (0, ["ERROR 2026-11-23T09:00:03.0 "
	    "line 0 again"])})
	EOF
	test "$(fs r1 o1.json)" = 200 && test "$(fs r1 o1.json)" = 200 &&
	test "$(fs r1 o2.json)" = 200 && test "$(fs r1 o2.json)" = 200 &&
	py <<-\EOF
	c = [(r["stream"], r["text"]) for r in recs("r1", "console")]
	assert c == [(1, "line 0"), (1, "\nline 1"), (1, "\nline 2"),
	    (1, "\rline 2 100%\u001b[K"), (1, "\nline 3"),
	    (0, "\u001b[3A\rline 0 again\u001b[K\u001b[3B")], c
	EOF
'

test_expect_success 'an unchanged summary is not written again' '
	n=$(count r1 summary) &&
	test "$(fs r1 b1.json)" = 200 &&
	test "$(count r1 summary)" = "$n"
'

test_expect_success 'a gap is refused and names the expected offset' '
	py <<-\EOF &&
	stream("gap.json", {"wandb-history.jsonl": (20, [hist(20, loss=1)])})
	EOF
	test "$(fs r1 gap.json)" = 400 &&
	grep "offset 20 leaves a gap: run r1 has 15 lines, so the next line goes at offset 15" out.json &&
	test "$(count r1 history)" = 15
'

test_expect_success 'after a restart the offsets still line up' '
	relay_stop && relay_start &&
	"$RELAY_DUMP" -c relay: store/wandb/*r1 >cursor &&
	grep "relay1 .* hist=15 events=2 out=4 " cursor &&
	test "$(fs r1 b2.json)" = 200 &&
	test "$(count r1 history)" = 15 &&
	py <<-\EOF &&
	stream("b3.json", {"wandb-history.jsonl": (15, [hist(15, loss=0.3)])})
	EOF
	test "$(fs r1 b3.json)" = 200 &&
	test "$(count r1 history)" = 16
'

test_expect_success 'after a crash (kill -9) a re-sent batch is not duplicated' '
	py <<-\EOF &&
	stream("b4.json", {"wandb-history.jsonl": (16, [hist(i, loss=0.2)
	    for i in range(16, 20)]), "output.log": (4, ["x", "y"])})
	EOF
	test "$(fs r1 b4.json)" = 200 &&
	n=$(count r1 console) &&
	relay_kill9 && relay_start &&
	test "$(fs r1 b4.json)" = 200 &&
	test "$(count r1 history)" = 20 &&
	test "$(count r1 console)" = "$n"
'

test_expect_success 'a finished run resumes with a new session' '
	py <<-\EOF &&
	stream("fin.json", complete=True, exitcode=0)
	stream("b5.json", {"wandb-history.jsonl": (20, [hist(20, loss=0.1)])},
	    complete=True, exitcode=0)
	EOF
	test "$(fs r1 fin.json)" = 200 &&
	test "$(gql u.json)" = 200 &&
	py <<-\EOF &&
	u = out()["data"]["upsertBucket"]
	assert u["inserted"] is False and u["bucket"]["historyLineCount"] == 20
	EOF
	test "$(fs r1 b5.json)" = 200 &&
	test "$(fs r1 b5.json)" = 200 &&
	py <<-\EOF
	d = dump("r1")
	types = [r["type"] for r in d]
	assert types.count("exit") == 2, types
	assert types[-2:] == ["history", "exit"] and types[-3] == "run", types
	EOF
'

test_expect_success 'the journal verifies and shows 21 rows' '
	relay_stop &&
	WANDB_DIR=$STORE wbstore verify r1 &&
	WANDB_DIR=$STORE wbstore show --json r1 >show.json &&
	py <<-\EOF
	r = json.load(open(T + "/show.json"))
	assert r["rows"] == 21 and r["state"] == "finished", r
	EOF
'

test_done
