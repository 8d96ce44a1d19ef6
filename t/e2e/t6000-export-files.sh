#!/bin/sh
# wbstore export to files: CSV (wide and long), JSONL, .npy and .npz, with
# run filters, field selection and history sampling.  Values are read back
# with Python's csv and json modules and with NumPy where installed (the
# C test export-roundtrip-t reads every format with its own readers).
. "$WBS_SRCDIR/t/e2e/test-lib.sh"

MKRUNS=$WBS_BUILDDIR/t/bench/export-mkruns
WANDB_DIR=$TRASH
export WANDB_DIR

# Python (Debian's first: it is the one with python3-numpy).
PY=
for p in "${PYTHON:-}" /usr/bin/python3 python3; do
	if [ -n "$p" ] && "$p" -c 1 >/dev/null 2>&1; then
		PY=$p
		break
	fi
done
NUMPY=
if [ -n "$PY" ] && "$PY" -c 'import numpy' >/dev/null 2>&1; then
	NUMPY=1
fi

test_skip() {
	test_count=$((test_count + 1))
	echo "ok $test_count - $1 # SKIP $2"
}

# Steps of run $2 in the wide CSV $1, space-separated.
steps_of() {
	awk -F, -v id="$2" '$1 == id { printf "%s%s", s, $2; s = " " }' "$1"
}

# The run ids of runs.csv $1, space-separated.
ids_of() {
	tail -n +2 "$1" | cut -d, -f1 | tr -d '\r' | tr '\n' ' ' |
	    sed 's/ $//'
}

test_expect_success 'test runs are written' '
	"$MKRUNS" -d "$TRASH" -i r1 -p proj -n first -g g1 -j train \
	    -t a,b -s 20 &&
	"$MKRUNS" -d "$TRASH" -i r2 -p proj -n second -g g2 -j eval \
	    -c lr=0.5 -c opt.name=sgd -s 7 -x 3 &&
	"$MKRUNS" -d "$TRASH" -i r3 -p other -u -s 3 &&
	"$MKRUNS" -d "$TRASH" -i r4 -p proj -g g1 -j train -S acc=0.9 \
	    -s 12 &&
	test $(ls -d wandb/offline-run-* | wc -l) = 4
'

test_expect_success 'CSV: runs.csv and history.csv, CRLF, a column per metric' '
	wbstore export --format csv -o csv &&
	test -f csv/runs.csv && test -f csv/history.csv &&
	test $(wc -l <csv/runs.csv) = 5 &&
	test $(wc -l <csv/history.csv) = 43 &&
	test $(grep -c "$(printf "\r")\$" csv/history.csv) = 43 &&
	head -n 1 csv/history.csv | grep -F "_run_id,_step,_timestamp,_runtime,epoch,flag,loss,métrique/ü,phase,val.loss,weird" &&
	grep -F "r1,3," csv/history.csv | grep -F ",NaN$(printf "\r")" &&
	grep -F "r1,4," csv/history.csv | grep -F ",Infinity$(printf "\r")" &&
	grep -F "r1,0," csv/history.csv | grep -F ",\"warm,up \"\"q\"\"\"," &&
	grep -F "r2,6," csv/history.csv | grep -F ",0.14285714285714285,"
'

if [ -n "$PY" ]; then
test_expect_success 'CSV: every value reads back with Python csv' '
	"$PY" - csv/history.csv <<-\EOF
	import csv, math, sys
	rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
	assert len(rows) == 42, len(rows)
	def same(a, b):
	    return (math.isnan(a) and math.isnan(b)) or a == b
	for r in rows:
	    i = int(r["_step"])
	    assert float(r["loss"]) == 1.0 / (i + 1), r
	    assert r["epoch"] == str(i // 10), r
	    w = [float("nan"), float("inf"), float("-inf")][i % 7 - 3] \
	        if 3 <= i % 7 <= 5 else i / 4.0
	    assert same(float(r["weird"]), w), r
	    assert float(r["métrique/ü"]) == 2.0 * i, r
	    assert r["phase"] == ("warm,up \"q\"" if i < 2 else "train"), r
	    assert r["flag"] == ("true" if i % 2 else "false"), r
	    if i % 5 == 0:
	        assert float(r["val.loss"]) == 0.5 / (i + 1), r
	    else:
	        assert r["val.loss"] == "", r
	    assert float(r["_timestamp"]) > 1.6e9 and float(r["_runtime"]) >= 0
	EOF
'
else
test_skip 'CSV: every value reads back with Python csv' 'no Python'
fi

test_expect_success 'CSV: runs.csv has state, tags, config and summary' '
	grep -F "r1,first,proj,,finished," csv/runs.csv |
	    grep -F "g1,train,\"[\"\"a\"\",\"\"b\"\"]\"" &&
	grep -F "r2,second,proj,,failed," csv/runs.csv |
	    grep -F "\"\"opt\"\":{\"\"name\"\":\"\"sgd\"\"}" &&
	grep -F "r3,,other,,crashed," csv/runs.csv &&
	grep -F "\"\"worst\"\":NaN" csv/runs.csv
'

test_expect_success 'CSV --long: run, step, key, value' '
	wbstore export --format csv --long -o long &&
	head -n 1 long/history.csv | grep -F "_run_id,_step,key,value" &&
	grep -F "r1,5,val.loss,0.08333333333333333" long/history.csv &&
	grep -F "r1,5,weird,-Infinity" long/history.csv &&
	test $(grep -c "^r3,0," long/history.csv) = 7 &&
	test $(grep -c "^r3,2," long/history.csv) = 6
'

if [ -n "$PY" ]; then
test_expect_success 'JSONL: objects with NaN/Infinity tokens and nested keys' '
	wbstore export --format jsonl -o jsonl &&
	"$PY" - jsonl <<-\EOF
	import json, math, sys
	d = sys.argv[1]
	runs = [json.loads(l) for l in open(d + "/runs.jsonl", encoding="utf-8")]
	assert [r["id"] for r in runs] == ["r1", "r2", "r3", "r4"], runs
	r1 = runs[0]
	assert r1["tags"] == ["a", "b"] and r1["group"] == "g1", r1
	assert r1["config"]["model"]["layers"] == 4 and r1["state"] == "finished"
	assert math.isnan(r1["summary"]["worst"]) and runs[3]["summary"]["acc"] == 0.9
	rows = [json.loads(l) for l in open(d + "/history.jsonl", encoding="utf-8")]
	assert len(rows) == 42
	for r in rows:
	    i = r["_step"]
	    assert r["loss"] == 1.0 / (i + 1) and r["métrique/ü"] == 2.0 * i
	    assert isinstance(r["epoch"], int) and isinstance(r["flag"], bool)
	    if i % 5 == 0:
	        assert r["val"]["loss"] == 0.5 / (i + 1), r
	    else:
	        assert "val" not in r, r
	    if i % 7 == 3:
	        assert math.isnan(r["weird"])
	    if i % 7 == 5:
	        assert r["weird"] == float("-inf")
	EOF
'
else
test_skip 'JSONL: objects with NaN/Infinity tokens and nested keys' 'no Python'
fi

test_expect_success 'filters: group, job type, run, tag, state, project' '
	wbstore export --format csv -o f1 --group g1 && test "$(ids_of f1/runs.csv)" = "r1 r4" &&
	wbstore export --format csv -o f2 --job-type eval && test "$(ids_of f2/runs.csv)" = "r2" &&
	wbstore export --format csv -o f3 --run second --run r3 && test "$(ids_of f3/runs.csv)" = "r2 r3" &&
	wbstore export --format csv -o f4 --tag b && test "$(ids_of f4/runs.csv)" = "r1" &&
	wbstore export --format csv -o f5 --state crashed && test "$(ids_of f5/runs.csv)" = "r3" &&
	wbstore export --format csv -o f6 --project other && test "$(ids_of f6/runs.csv)" = "r3" &&
	test $(wc -l <f1/history.csv) = 33
'

test_expect_success 'filters: config and summary values and ranges' '
	wbstore export --format csv -o c1 --config lr=0.4..1 && test "$(ids_of c1/runs.csv)" = "r2" &&
	wbstore export --format csv -o c2 --config opt.name=sgd && test "$(ids_of c2/runs.csv)" = "r2" &&
	wbstore export --format csv -o c3 --config model.layers=4 --group g1 --config lr=0.01 &&
	test "$(ids_of c3/runs.csv)" = "r1 r4" &&
	wbstore export --format csv -o c4 --summary acc=0.5.. && test "$(ids_of c4/runs.csv)" = "r4" &&
	wbstore export --format csv -o c5 --summary best=0.125 --state failed && test "$(ids_of c5/runs.csv)" = "r2"
'

test_expect_success 'runs named as arguments: an id and a run directory' '
	wbstore export r2 wandb/offline-run-*-r3 --format csv -o args &&
	test "$(ids_of args/runs.csv)" = "r2 r3"
'

test_expect_success '--history-samples: evenly spaced rows, ends kept' '
	wbstore export --format csv -o s5 --history-samples 5 &&
	test "$(steps_of s5/history.csv r1)" = "0 5 10 14 19" &&
	test "$(steps_of s5/history.csv r3)" = "0 1 2"
'

test_expect_success '--fields: only those columns, rows that carry them' '
	wbstore export --format csv -o fl --fields val.loss,loss &&
	head -n 1 fl/history.csv | tr -d "\r" >head.out &&
	test "$(cat head.out)" = "_run_id,_step,_timestamp,_runtime,loss,val.loss" &&
	wbstore export --format csv -o fv --fields val.loss &&
	test "$(steps_of fv/history.csv r1)" = "0 5 10 15"
'

test_expect_success 'NumPy: a .npy per field with the NPY magic and shape' '
	wbstore export --format npy -o npy 2>npy.err &&
	grep "field \"phase\" has values that are not numbers" npy.err &&
	for f in loss epoch flag weird phase val.loss "métrique%2Fü" \
	    _step _timestamp _runtime _run_id _run_name; do
		test -f "npy/$f.npy" || { echo "missing $f.npy"; exit 1; }
	done &&
	head -c 128 npy/loss.npy | grep -a "NUMPY" &&
	head -c 128 npy/loss.npy | grep -a "'"'"'shape'"'"': (4, 20)" &&
	head -c 128 npy/_run_id.npy | grep -a "'"'"'descr'"'"': '"'"'<U2'"'"'"
'

if [ -n "$NUMPY" ]; then
test_expect_success 'NumPy reads the .npy files (NaN-padded, runs x rows)' '
	"$PY" - npy <<-\EOF
	import math, sys
	import numpy as np
	d = sys.argv[1]
	ids = list(np.load(d + "/_run_id.npy"))
	assert ids == ["r1", "r2", "r3", "r4"], ids
	names = list(np.load(d + "/_run_name.npy"))
	assert names == ["first", "second", "", ""], names
	loss = np.load(d + "/loss.npy")
	assert loss.shape == (4, 20) and loss.dtype == np.float64
	assert loss[0, 19] == 1 / 20 and loss[1, 6] == 1 / 7
	assert np.isnan(loss[1, 7:]).all() and np.isnan(loss[2, 3:]).all()
	w = np.load(d + "/weird.npy")
	assert math.isnan(w[0, 3]) and w[0, 4] == np.inf and w[0, 5] == -np.inf
	u = np.load(d + "/métrique%2Fü.npy")
	assert u[3, 11] == 22.0
	step = np.load(d + "/_step.npy")
	assert list(step[2, :4][:3]) == [0, 1, 2] and np.isnan(step[2, 3])
	assert np.isnan(np.load(d + "/phase.npy")).all()
	assert np.load(d + "/flag.npy")[0, 1] == 1.0
	EOF
'
else
test_skip 'NumPy reads the .npy files (NaN-padded, runs x rows)' \
    'python3-numpy is not installed'
fi

test_expect_success 'NumPy .npz: a zip of .npy members (stored and deflate)' '
	wbstore export --format npz -o npz -q &&
	wbstore export --format npz --compress -o npzc -q &&
	test -f npz/history.npz && test -f npzc/history.npz &&
	test $(wc -c <npzc/history.npz) -lt $(wc -c <npz/history.npz) &&
	head -c 4 npz/history.npz | od -An -tx1 | grep "50 4b 03 04" &&
	! ls -a npz | grep -q "tmp"
'

if [ -n "$NUMPY" ]; then
test_expect_success 'NumPy loads the .npz (member names keep their slashes)' '
	"$PY" - npz/history.npz npzc/history.npz <<-\EOF
	import sys
	import numpy as np
	for path in sys.argv[1:]:
	    z = np.load(path)
	    assert "métrique/ü" in z.files and "val.loss" in z.files, z.files
	    assert z["métrique/ü"][0, 19] == 38.0
	    assert z["loss"].shape == (4, 20)
	    assert list(z["_run_id"]) == ["r1", "r2", "r3", "r4"]
	EOF
'
else
test_skip 'NumPy loads the .npz (member names keep their slashes)' \
    'python3-numpy is not installed'
fi

test_expect_success '--stats prints rows/s and the peak RSS' '
	wbstore export --format jsonl -o st --stats 2>st.err &&
	grep -E "export: 4 runs, 42 rows in [0-9.]+ s \([0-9]+ rows/s\), peak RSS [0-9.]+ MiB" st.err
'

test_expect_success 'no run matched: a warning, nothing written, exit 0' '
	wbstore export --format csv -o none --group nope 2>none.err &&
	grep "no run matched" none.err &&
	! test -e none/history.csv
'

test_done
