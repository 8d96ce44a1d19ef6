#!/bin/sh
# Every request of the recorded traces of the official client, replayed
# against the relay: 2xx answers with the fields the client reads; then
# the stored runs are checked.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"
. "$WBS_SRCDIR/t/e2e/t1lib-relay.sh"

TRACES=$WBS_SHARED/protocol/traces
test -d "$TRACES" || test_skip_all "no recorded traces in $TRACES"
command -v python3 >/dev/null || test_skip_all "python3 is not installed"
REPLAY=$WBS_SRCDIR/t/relay-replay.py

# replay NAME: a fresh store, the trace's default entity, one trace.
replay() {
	STORE=$TRASH/store-$1
	relay_start --entity capture-entity &&
	python3 "$REPLAY" "$(relay_url)" "$TRACES/$1.jsonl" >"$1.out" 2>&1
	rc=$?
	relay_stop || rc=1
	cat "$1.out"
	return $rc
}

for t in "$TRACES"/*.jsonl; do
	name=$(basename "$t" .jsonl)
	test_expect_success "replay $name" "replay $name"
done

# show NAME RUN: wbstore show --json of a replayed run.
show() {
	WANDB_DIR=$TRASH/store-$1 wbstore show --json "$2" >"show-$1.json"
}

test_expect_success 'basic: the run as the client logged it' '
	show basic u5e7n3vp &&
	py <<-\EOF
	r = json.load(open(T + "/show-basic.json"))
	assert r["rows"] == 100 and r["last_step"] == 99, r
	assert r["name"] == "basic-run" and r["group"] == "exp1", r
	assert r["tags"] == ["baseline", "paper1"], r
	assert r["config"]["model"] == {"layers": 4, "act": "relu"}, r
	s = r["summary"]
	assert s["best_acc"] == 0.995 and s["val"]["loss"] == 0.011000000000000001, s
	assert r["state"] == "finished", r
	EOF
'

test_expect_success 'big: 20,000 rows in one request' '
	show big.condensed 2h09h8h2 &&
	py <<-\EOF
	r = json.load(open(T + "/show-big.condensed.json"))
	assert r["rows"] == 20000 and r["last_step"] == 19999, r
	assert r["summary"]["m9"] == 28.999, r["summary"]
	EOF
'

test_expect_success 'resumed: the second fragment does not overwrite' '
	show resumed rsm00001 &&
	py <<-\EOF
	r = json.load(open(T + "/show-resumed.json"))
	assert r["rows"] == 30, r
	EOF
'

test_expect_success 'resumed_append: offsets continue after the first part' '
	show resumed_append rsm00001 &&
	py <<-\EOF
	r = json.load(open(T + "/show-resumed_append.json"))
	assert r["rows"] == 60, r
	EOF
'

test_expect_success 'fork_rewind: the child is seeded with the parent' '
	show fork_rewind fkchild1 &&
	py <<-\EOF
	r = json.load(open(T + "/show-fork_rewind.json"))
	assert r["rows"] == 51 and r["last_step"] == 50, r
	EOF
	grep "fkchild1 forked from fkparent at step 50: 51 history lines" relay.log
'

test_expect_success 'media: files and the table artifact were stored' '
	d=$(echo store-media/wandb/*h0zqa0xq) &&
	ls "$d/files/media/images/"*.png &&
	ls store-media/artifacts/*/tbl.table.json
'

test_expect_success 'every replayed journal verifies' '
	for s in store-*; do
		WANDB_DIR=$TRASH/$s wbstore verify "$s/wandb" >>verify.out ||
		    exit 1
	done &&
	! grep FAIL verify.out && grep -c "^ok" verify.out
'

test_done
