#!/bin/sh
# The relay's decoding threads: file_stream bodies decoded on threads are
# stored in the order they arrived, concurrent clients on many runs and
# clients racing with the same batches lose and double nothing, and a
# SIGTERM while bodies are being decoded stores every one it answered.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"
. "$WBS_SRCDIR/t/e2e/t1lib-relay.sh"

command -v python3 >/dev/null || test_skip_all "python3 is not installed"

# A client: streams NREQ requests of NLINES history lines to RUN, from
# offset FIRST, one after the other as the W&B client does; prints the
# number of requests answered 200; stops at the first failure.
cat >client.py <<\EOF
import http.client, json, sys
port, run, nreq, nlines, first = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=60)
ok = 0
try:
    for r in range(nreq):
        off = first + r * nlines
        lines = [json.dumps({"_step": off + i, "loss": (off + i) * 0.25,
                             "acc": {"top1": 1.0 / (off + i + 1)},
                             "_runtime": 1.5, "_timestamp": 1795423913.5})
                 for i in range(nlines)]
        body = json.dumps({"files": {"wandb-history.jsonl":
                                     {"offset": off, "content": lines}}})
        c.request("POST", "/files/wbstore/demo/%s/file_stream" % run, body,
                  {"Content-Type": "application/json"})
        resp = c.getresponse()
        text = resp.read()
        if resp.status != 200:
            print("request %d: %d %s" % (r, resp.status, text[:200]),
                  file=sys.stderr)
            break
        ok += 1
except OSError as e:
    print("request %d: %s" % (ok, e), file=sys.stderr)
print(ok)
EOF

# steps RUN: the steps of RUN's history records, one per line.
steps() {
	"$RELAY_DUMP" "$STORE"/wandb/*-"$1" | python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    if r["type"] == "history":
        print(r["step"])'
}

test_expect_success 'setup: a relay with three decoding threads, six runs' '
	relay_start --threads 3 &&
	grep "3 decoding threads" relay.log &&
	for r in a1 a2 a3 a4 b1 c1; do
		py <<-EOF &&
		upsert("u.json", "$r")
		EOF
		test "$(gql u.json)" = 200 || return 1
	done
'

test_expect_success 'four clients on four runs at once: every line, in order' '
	port=$(cat port) &&
	for r in a1 a2 a3 a4; do
		python3 client.py "$port" $r 40 250 0 >ok.$r 2>err.$r &
	done &&
	wait &&
	for r in a1 a2 a3 a4; do
		test "$(cat ok.$r)" = 40 || { cat err.$r; return 1; }
		steps $r >s.$r &&
		seq 0 9999 >want &&
		test_cmp want s.$r || return 1
	done
'

test_expect_success 'two clients racing with the same batches: no line twice' '
	port=$(cat port) &&
	for i in 1 2; do
		python3 client.py "$port" b1 30 200 0 >ok.$i 2>err.$i &
	done &&
	wait &&
	test "$(cat ok.1)" = 30 && test "$(cat ok.2)" = 30 &&
	steps b1 >s.b1 && seq 0 5999 >want && test_cmp want s.b1 &&
	grep "lines at offsets below its count were stored already" relay.log
'

test_expect_success 'SIGTERM while bodies are decoded: what was answered is stored' '
	port=$(cat port) &&
	{ python3 client.py "$port" c1 400 500 0 >ok.c1 2>err.c1 & } &&
	cpid=$! &&
	test_wait_for 60 "test \$(steps c1 | wc -l) -ge 5000" &&
	relay_stop &&
	wait $cpid;
	acked=$(cat ok.c1) && test "$acked" -ge 10 &&
	steps c1 >s.c1 && stored=$(wc -l <s.c1) &&
	echo "acked $acked requests, stored $stored lines" &&
	test "$stored" -ge $((acked * 500)) &&
	seq 0 $((stored - 1)) >want && test_cmp want s.c1 &&
	WANDB_DIR=$STORE wbstore verify c1
'

test_expect_success 'after a restart the run goes on where it was stored' '
	relay_start --threads 2 &&
	stored=$(steps c1 | wc -l) &&
	test $((stored % 500)) = 0 &&
	python3 client.py "$(cat port)" c1 2 500 "$stored" >ok.c2 2>err.c2 &&
	test "$(cat ok.c2)" = 2 &&
	steps c1 >s.c1 && seq 0 $((stored + 999)) >want && test_cmp want s.c1
'

test_done
