#!/bin/sh
# The relay: a new run through GraphQL, file_stream and file uploads, the
# way the official client logs one, then checked in the journal.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"
. "$WBS_SRCDIR/t/e2e/t1lib-relay.sh"

command -v curl >/dev/null || test_skip_all "curl is not installed"

test_expect_success 'wbstored --help and usage errors' '
	"$WBSTORED" --help >help.out &&
	grep -e "--listen ADDR:PORT" help.out &&
	{ "$WBSTORED" --listen 127.0.0.1:0 2>err; test $? = 2; } &&
	grep "give --store" err &&
	{ "$WBSTORED" --store s --bogus 2>err; test $? = 2; } &&
	for bad in x -1 65 2x ""; do
		{ "$WBSTORED" --listen 127.0.0.1:0 --store s --threads "$bad" \
		    2>err; test $? = 2; } &&
		grep "threads: \"$bad\" is not a number from 0 to 64" err ||
		return 1
	done
'

test_expect_success '-n checks the configuration and exits' '
	"$WBSTORED" -n --listen 127.0.0.1:0 --store "$STORE" >n.out &&
	grep "configuration OK" n.out && ! test -e port &&
	{ "$WBSTORED" -n --listen 0.0.0.0:0 --store "$STORE" 2>err;
	  test $? = 1; } &&
	grep "refusing to listen on 0.0.0.0:0 without API keys" err
'

test_expect_success 'the relay starts and writes its port file' '
	relay_start &&
	port=$(cat port) && test "$port" -gt 0 &&
	curl -sS "$(relay_url)/healthz" | grep "\"ok\":true" &&
	grep "relay listening on 127.0.0.1:0 (port $port)" relay.log &&
	grep "relay listening.* [0-9]* decoding thread" relay.log
'

test_expect_success 'Viewer and the capability probes answer' '
	py <<-\EOF &&
	write("v.json", {"query": "query Viewer { viewer { id entity } }"})
	write("p.json", {"query": "query ProbeServerCapabilities {\n"
	  "QueryType: __type(name: \"Query\") { ...f }\n"
	  "MutationType: __type(name: \"Mutation\") { ...f }\n"
	  "X: __type(name: \"NoSuchType\") { ...f } }\n"
	  "fragment f on __Type { fields { name } }", "variables": {}})
	EOF
	test "$(gql v.json)" = 200 &&
	py <<-\EOF &&
	d = out()["data"]
	assert d["viewer"]["entity"] == "wbstore", d
	assert d["serverInfo"]["features"], d
	EOF
	test "$(gql p.json)" = 200 &&
	py <<-\EOF
	d = out()["data"]
	names = [f["name"] for f in d["MutationType"]["fields"]]
	assert "upsertBucket" in names and "createRunFiles" in names, names
	assert d["X"]["fields"] == [] and d["X"]["inputFields"] == [], d
	EOF
'

test_expect_success 'UpsertBucket creates the run' '
	py <<-\EOF &&
	upsert("u.json", "run1", config={"lr": 0.01, "epochs": 3,
	    "model": {"layers": 4, "act": "relu"}, "nan": float("nan"),
	    "_wandb": {"cli_version": "0.18.7", "t": {"1": [55]}}},
	    tags=["baseline", "paper1"], notes="first", groupName="exp1",
	    jobType="train", displayName="basic-run", host="node1")
	EOF
	test "$(gql u.json)" = 200 &&
	py <<-\EOF
	u = out()["data"]["upsertBucket"]
	b = u["bucket"]
	assert u["inserted"] is True, u
	assert b["name"] == "run1" and b["displayName"] == "basic-run", b
	assert b["project"] == {"id": b["project"]["id"], "name": "demo",
	    "entity": {"id": b["project"]["entity"]["id"], "name": "wbstore"}}
	assert b["historyLineCount"] == 0 and b["id"], b
	cfg = json.loads(b["config"])
	assert cfg["model"] == {"value": {"layers": 4, "act": "relu"}}, cfg
	assert cfg["_wandb"]["value"]["t"] == {"1": [55]}, cfg
	EOF
'

test_expect_success 'file_stream stores history, events, output, summary' '
	py <<-\EOF &&
	h = [hist(0, loss=1.0, acc=0.0, val={"loss": 1.1}, phase="warmup"),
	     hist(1, loss=float("nan"), big=float("inf"), neg=float("-inf"),
	          flag=True, none=None, n=7,
	          img={"_type": "image-file", "path": "media/images/a.png"},
	          arr=[1, 2.5, "x"], empty={}),
	     hist(2, loss=0.25, acc=0.75, val={"loss": 0.3})]
	ev = [json.dumps({"system.cpu": 12.5, "system.gpu.0.gpu": 3,
	    "system.network": {"sent": 10}, "_wandb": True,
	    "_timestamp": 1795423920.5, "_runtime": 7.5})]
	o = ["2026-11-23T09:03:35.047158 starting training\n",
	     "ERROR 2026-11-23T09:03:35.100000 warning: on stderr\n",
	     "2026-11-23T09:03:36.000000 done"]
	s = [json.dumps({"loss": 0.25, "acc": 0.75, "val": {"loss": 0.3},
	    "best": {"min": 0.1}, "_step": 2, "_runtime": 1.0,
	    "_wandb": {"runtime": 1}})]
	stream("fs1.json", {"wandb-history.jsonl": (0, h),
	    "wandb-events.jsonl": (0, ev), "output.log": (0, o),
	    "wandb-summary.json": (0, s)}, dropped=0)
	EOF
	test "$(fs run1 fs1.json)" = 200 &&
	test "$(cat out.json)" = "{}"
'

test_expect_success 'history rows are typed items with _step as the step' '
	py <<-\EOF
	h = recs("run1", "history")
	assert [r["step"] for r in h] == [0, 1, 2], h
	assert all(r["commit"] for r in h)
	a, b, c = (r["items"] for r in h)
	assert a == {"loss": 1.0, "acc": 0.0, "val\u001floss": 1.1,
	    "phase": "warmup", "_timestamp": 1795423913.0}, a
	import math
	assert math.isnan(b["loss"]) and b["big"] == float("inf"), b
	assert b["neg"] == float("-inf") and b["flag"] is True, b
	assert b["none"] is None and b["n"] == 7, b
	assert b["img"] == {"json": "{\"_type\": \"image-file\", "
	    "\"path\": \"media/images/a.png\"}"}, b
	assert b["arr"] == {"json": "[1, 2.5, \"x\"]"}, b
	assert b["empty"] == {"json": "{}"}, b
	assert "_runtime" not in b and "_step" not in b, b
	EOF
'

test_expect_success 'events lose system. and _wandb; console keeps streams' '
	py <<-\EOF
	st = recs("run1", "stats")
	assert len(st) == 1 and st[0]["items"] == {"cpu": 12.5, "gpu.0.gpu": 3,
	    "network\u001fsent": 10, "_timestamp": 1795423920.5}, st
	con = recs("run1", "console")
	assert [(c["stream"], c["text"]) for c in con] == [
	    (1, "starting training"), (0, "\nwarning: on stderr"),
	    (1, "\ndone")], con
	EOF
'

test_expect_success 'the summary line is the whole summary' '
	py <<-\EOF
	s = recs("run1", "summary")
	sets = [r for r in s if "items" in r][-1]["items"]
	assert sets["best\u001fmin"] == 0.1 and sets["_step"] == 2, sets
	assert sets["_wandb\u001fruntime"] == 1, sets
	rm = [k for r in s for k in r.get("keys", [])]
	for k in ("img", "arr", "flag", "big", "phase"):
	    assert k in rm, (k, rm)
	EOF
'

test_expect_success 'CreateRunFiles hands out upload URLs on the relay' '
	py <<-\EOF &&
	write("cf.json", {"query": "mutation CreateRunFiles { x }",
	    "variables": {"entity": "wbstore", "project": "demo",
	    "run": "run1", "files": ["wandb-metadata.json",
	    "media/images/a.png", "sub dir/x y.txt"]}})
	EOF
	test "$(gql cf.json)" = 200 &&
	py <<-\EOF
	c = out()["data"]["createRunFiles"]
	assert c["uploadHeaders"] == [] and c["runID"], c
	urls = [f["uploadUrl"] for f in c["files"]]
	assert [f["name"] for f in c["files"]] == ["wandb-metadata.json",
	    "media/images/a.png", "sub dir/x y.txt"], c
	assert all(u.startswith(URL + "/upload/wbstore/demo/"
	    "run1/") for u in urls), urls
	assert urls[2].endswith("/sub%20dir/x%20y.txt"), urls
	open(T + "/urls", "w").write("\n".join(urls) + "\n")
	EOF
'

test_expect_success 'PUT to those URLs lands files in files/ (no auth)' '
	printf "{\"os\": \"Linux\"}" >meta.json &&
	printf "\211PNG fake" >a.png &&
	echo hello >xy.txt &&
	u1=$(sed -n 1p urls) && u2=$(sed -n 2p urls) && u3=$(sed -n 3p urls) &&
	test "$(curl -sS -o /dev/null -w "%{http_code}" -T meta.json "$u1")" = 200 &&
	test "$(curl -sS -o /dev/null -w "%{http_code}" -T a.png "$u2")" = 200 &&
	test "$(curl -sS -o /dev/null -w "%{http_code}" -T xy.txt "$u3")" = 200 &&
	d=$(echo store/wandb/*run1) &&
	cmp meta.json "$d/files/wandb-metadata.json" &&
	cmp a.png "$d/files/media/images/a.png" &&
	cmp xy.txt "$d/files/sub dir/x y.txt" &&
	py <<-\EOF
	f = recs("run1", "file")
	assert [(r["path"], r["ftype"]) for r in f] == [
	    ("wandb-metadata.json", 1), ("media/images/a.png", 2),
	    ("sub dir/x y.txt", 0)], f
	EOF
'

test_expect_success 'a second PUT of a path replaces it, recorded once' '
	echo "{\"os\": \"Linux 2\"}" >meta2.json &&
	test "$(curl -sS -o /dev/null -w "%{http_code}" -T meta2.json \
	    "$(sed -n 1p urls)")" = 200 &&
	cmp meta2.json store/wandb/*run1/files/wandb-metadata.json &&
	py <<-\EOF
	assert len(recs("run1", "file")) == 3
	EOF
'

test_expect_success 'a wrong upload token is refused' '
	u=$(sed -n 1p urls | sed "s,/run1/[0-9a-f]*/,/run1/0123456789abcdef0123456789abcdef/,") &&
	test "$(curl -sS -o out.json -w "%{http_code}" -T meta.json "$u")" = 403 &&
	grep "upload token for run run1 is wrong" out.json
'

test_expect_success 'gzip bodies, heartbeats and uploaded lists' '
	py <<-\EOF &&
	stream("fs2.json", {"wandb-history.jsonl": (3, [hist(3, loss=0.2)])},
	    uploaded=["wandb-metadata.json"])
	EOF
	gzip -c fs2.json >fs2.json.gz &&
	test "$(curl -sS -o out.json -w "%{http_code}" -H "Content-Encoding: gzip" \
	    --data-binary @fs2.json.gz "$(relay_url)/files/wbstore/demo/run1/file_stream")" = 200 &&
	echo "{}" >hb.json &&
	test "$(fs run1 hb.json)" = 200 && test "$(cat out.json)" = "{}" &&
	py <<-\EOF
	assert [r["step"] for r in recs("run1", "history")] == [0, 1, 2, 3]
	EOF
'

test_expect_success 'a stop file makes file_stream answer stopped' '
	d=$(echo store/wandb/*run1) && touch "$d/stop" &&
	test "$(fs run1 hb.json)" = 200 &&
	test "$(cat out.json)" = "{\"stopped\":true}" &&
	py <<-\EOF &&
	write("st.json", {"query": "query RunStoppedStatus { x }",
	    "variables": {"projectName": "demo", "entityName": "wbstore",
	    "runId": "run1"}})
	EOF
	test "$(gql st.json)" = 200 &&
	grep "\"stopped\":true" out.json &&
	rm "$d/stop"
'

test_expect_success 'complete with exitcode finishes the run' '
	py <<-\EOF &&
	stream("fin.json", complete=True, exitcode=3, dropped=0, uploaded=[])
	EOF
	test "$(fs run1 fin.json)" = 200 &&
	test "$(fs run1 fin.json)" = 200 &&
	py <<-\EOF
	e = recs("run1", "exit")
	assert [r["exit_code"] for r in e] == [3], e
	EOF
'

test_expect_success 'wbstore show --json and verify read the stored run' '
	WANDB_DIR=$STORE wbstore show --json run1 >show.json &&
	py <<-\EOF &&
	r = json.load(open(T + "/show.json"))
	assert r["id"] == "run1" and r["project"] == "demo", r
	assert r["name"] == "basic-run" and r["notes"] == "first", r
	assert r["group"] == "exp1" and r["job_type"] == "train", r
	assert r["tags"] == ["baseline", "paper1"], r
	assert r["host"] == "node1", r
	assert r["state"] == "failed" and r["exit_code"] == 3, r
	assert r["rows"] == 4 and r["last_step"] == 3, r
	c = r["config"]
	assert c["lr"] == 0.01 and c["model"] == {"layers": 4, "act": "relu"}, c
	import math
	assert math.isnan(c["nan"]), c
	assert c["_wandb"]["t"] == {"1": [55]}, c
	s = r["summary"]
	assert s["loss"] == 0.2 and s["best"] == {"min": 0.1}, s
	EOF
	WANDB_DIR=$STORE wbstore verify run1 >v.out &&
	grep "^ok " v.out
'

test_expect_success 'SIGTERM stops the relay cleanly' '
	relay_stop &&
	grep "shutting down" relay.log && grep "stopped" relay.log &&
	WANDB_DIR=$STORE wbstore ls >ls.out && grep run1 ls.out
'

test_done
