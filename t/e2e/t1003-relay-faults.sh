#!/bin/sh
# The relay's fault injection (--faults FILE): each kind of fault, in
# sequence, logged; and a batch whose answer was dropped, re-sent, is
# stored once.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"
. "$WBS_SRCDIR/t/e2e/t1lib-relay.sh"

command -v curl >/dev/null || test_skip_all "curl is not installed"

cat >faults <<'EOF'
# target              action           options
graphql:UpsertBucket  503              retry-after=1
graphql               ok               remaining=5 reset=30 times=2
file_stream           429              retry-after=2 times=2
file_stream           503
file_stream           close
file_stream           delay=2
file_stream           drop
upload                500
EOF

# code FILE: HTTP status of a file_stream POST of FILE for run f1 (000 if
# the connection closed without an answer); headers into hdr.
code() {
	curl -sS -o out.json -D hdr -w '%{http_code}' --max-time 30 \
	    --data-binary "@$1" "$(relay_url)/files/wbstore/demo/f1/file_stream" \
	    2>curl.err
}

test_expect_success 'bad rules files are refused with the line' '
	echo "nowhere 503" >bad1 &&
	{ "$WBSTORED" -n --store "$STORE" --faults bad1 2>err; test $? = 1; } &&
	grep "faults file bad1, line 1: unknown target" err &&
	printf "file_stream 200\n" >bad2 &&
	{ "$WBSTORED" -n --store "$STORE" --faults bad2 2>err; test $? = 1; } &&
	grep "line 1: bad or missing action" err &&
	printf "# ok\n\nupload 500 times=x\n" >bad3 &&
	{ "$WBSTORED" -n --store "$STORE" --faults bad3 2>err; test $? = 1; } &&
	grep "line 3: bad option" err
'

test_expect_success 'GraphQL: 503 with Retry-After, then RateLimit headers' '
	relay_start --faults faults &&
	py <<-\EOF &&
	upsert("u.json", "f1", config={"_wandb": {"t": {}}})
	EOF
	curl -sS -o out.json -D hdr -w "%{http_code}" --data-binary @u.json \
	    "$(relay_url)/graphql" >st && test "$(cat st)" = 503 &&
	grep -i "^Retry-After: 1" hdr &&
	grep "injected fault: 503" out.json &&
	! ls store/wandb/*f1 2>/dev/null &&
	curl -sS -o out.json -D hdr -w "%{http_code}" --data-binary @u.json \
	    "$(relay_url)/graphql" >st && test "$(cat st)" = 200 &&
	grep -i "^RateLimit-Remaining: 5" hdr &&
	grep -i "^RateLimit-Reset: 30" hdr &&
	grep "fault: POST graphql:UpsertBucket: 503 with Retry-After: 1" relay.log
'

test_expect_success 'file_stream: 429 twice, 503, close; nothing stored' '
	py <<-\EOF &&
	stream("b.json", {"wandb-history.jsonl": (0, [hist(i, loss=1.0)
	    for i in range(5)])})
	EOF
	test "$(code b.json)" = 429 && grep -i "^Retry-After: 2" hdr &&
	test "$(code b.json)" = 429 &&
	test "$(code b.json)" = 503 && ! grep -i "^Retry-After" hdr &&
	{ code b.json >st; test "$(cat st)" = 000; } &&
	grep -i "empty reply" curl.err &&
	py <<-\EOF
	assert recs("f1", "history") == []
	EOF
'

test_expect_success 'file_stream: a delay holds one answer, not the relay' '
	( code b.json >delayed.st ) &
	sleep 0.3 &&
	start=$(date +%s%N) &&
	curl -sS --max-time 5 "$(relay_url)/healthz" | grep ok &&
	end=$(date +%s%N) &&
	test $(( (end - start) / 1000000 )) -lt 1000 &&
	test_wait_for 10 "test -s delayed.st" &&
	test "$(cat delayed.st)" = 200 &&
	grep "fault: POST file_stream: delay 2 s" relay.log &&
	py <<-\EOF
	assert len(recs("f1", "history")) == 5
	EOF
'

test_expect_success 'file_stream: a dropped answer, then the re-send, once' '
	py <<-\EOF &&
	stream("b2.json", {"wandb-history.jsonl": (5, [hist(i, loss=2.0)
	    for i in range(5, 10)])})
	EOF
	{ code b2.json >st; test "$(cat st)" = 000; } &&
	py <<-\EOF &&
	assert len(recs("f1", "history")) == 10
	EOF
	test "$(code b2.json)" = 200 &&
	py <<-\EOF &&
	assert [r["step"] for r in recs("f1", "history")] == list(range(10))
	EOF
	grep "fault: POST file_stream: process, then drop the answer" relay.log
'

test_expect_success 'upload: 500 once, then the file lands' '
	py <<-\EOF &&
	write("cf.json", {"query": "mutation CreateRunFiles { x }",
	    "variables": {"entity": "wbstore", "project": "demo", "run": "f1",
	    "files": ["a.txt"]}})
	EOF
	test "$(gql cf.json)" = 200 &&
	u=$(py <<-\EOF
	print(out()["data"]["createRunFiles"]["files"][0]["uploadUrl"])
	EOF
	) &&
	echo data >a.txt &&
	test "$(curl -sS -o /dev/null -w "%{http_code}" -T a.txt "$u")" = 500 &&
	! test -e store/wandb/*f1/files/a.txt &&
	test "$(curl -sS -o /dev/null -w "%{http_code}" -T a.txt "$u")" = 200 &&
	cmp a.txt store/wandb/*f1/files/a.txt &&
	grep "fault: PUT upload: 500" relay.log
'

test_expect_success 'after the sequences, requests pass untouched' '
	test "$(code b2.json)" = 200 && ! grep -i "^RateLimit" hdr &&
	relay_stop &&
	WANDB_DIR=$STORE wbstore verify f1
'

test_done
