#!/bin/sh
# wbstore export --config FILE.yaml: experiments files in wandb2numpy's
# shape (DEFAULT plus named experiments) select runs and write one array
# per field, as .npy or CSV matrices, under output_path/EXPERIMENT.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"

MKRUNS=$WBS_BUILDDIR/t/bench/export-mkruns
WANDB_DIR=$TRASH
export WANDB_DIR

PY=
for p in "${PYTHON:-}" /usr/bin/python3 python3; do
	if [ -n "$p" ] && "$p" -c 'import numpy' >/dev/null 2>&1; then
		PY=$p
		break
	fi
done

test_skip() {
	test_count=$((test_count + 1))
	echo "ok $test_count - $1 # SKIP $2"
}

# The shape in an .npy header: "(2, 20)".
npy_shape() {
	head -c 256 "$1" | LC_ALL=C tr -d '\000' | LC_ALL=C sed -n "s/.*'shape': \(([0-9, ]*)\).*/\1/p"
}

cat >exp.yaml <<\EOF
DEFAULT:
  project: proj
  fields: [loss, val.loss]
  output_path: out
  output_data_type: numpy

g1_train:
  groups: [g1, g2]
  job_types: [[train], all]
  runs: [all, [nobody]]
  config:
    lr: {min: 0.001, max: 0.1}

csv_second:
  output_data_type: csv
  runs: [second]
  history_samples: 3

good_acc:
  fields: [loss]
  summary:
    acc:
      min: 0.5

by_value:
  config:
    optimizer:
      values: [adam]
    lr:
      values: [0.5, 0.25]
EOF

test_expect_success 'test runs are written' '
	"$MKRUNS" -d "$TRASH" -i r1 -p proj -n first -g g1 -j train -s 20 &&
	"$MKRUNS" -d "$TRASH" -i r2 -p proj -n second -g g2 -j eval \
	    -c lr=0.5 -s 7 &&
	"$MKRUNS" -d "$TRASH" -i r3 -p other -g g1 -j train -s 3 &&
	"$MKRUNS" -d "$TRASH" -i r4 -p proj -g g1 -j train -S acc=0.9 \
	    -s 12 &&
	"$MKRUNS" -d "$TRASH" -i r5 -p proj -g g1 -j eval -s 4
'

test_expect_success 'every experiment of the file is exported' '
	wbstore export --config exp.yaml &&
	test -d out/g1_train && test -d out/csv_second &&
	test -d out/good_acc && test -d out/by_value
'

test_expect_success 'groups with per-group job types and runs, a config range' '
	ls out/g1_train | sort | tr "\n" " " >ls.out &&
	test "$(cat ls.out)" = "_run_id.npy _run_name.npy _runtime.npy _step.npy _timestamp.npy loss.npy val.loss.npy " &&
	test "$(npy_shape out/g1_train/loss.npy)" = "(2, 20)" &&
	test "$(npy_shape out/g1_train/_run_id.npy)" = "(2,)"
'

test_expect_success 'CSV matrices: a line per run, a column per row, samples' '
	test -f out/csv_second/loss.csv &&
	tr -d "\r" <out/csv_second/loss.csv >m.csv &&
	test "$(sed -n 1p m.csv)" = ",step 0,step 1,step 2" &&
	test "$(sed -n 2p m.csv)" = "r2,1.0,0.25,0.14285714285714285" &&
	test $(wc -l <m.csv) = 2 &&
	tr -d "\r" <out/csv_second/val.loss.csv | sed -n 2p >v.csv &&
	test "$(cat v.csv)" = "r2,0.5,,"
'

test_expect_success 'summary filter and values lists' '
	test "$(npy_shape out/good_acc/loss.npy)" = "(1, 12)" &&
	! test -e out/good_acc/val.loss.npy &&
	test "$(npy_shape out/by_value/loss.npy)" = "(1, 7)"
'

if [ -n "$PY" ]; then
test_expect_success 'NumPy reads the experiment arrays' '
	"$PY" - <<-\EOF
	import numpy as np
	ids = list(np.load("out/g1_train/_run_id.npy"))
	assert ids == ["r1", "r4"], ids
	loss = np.load("out/g1_train/loss.npy")
	assert loss.shape == (2, 20) and loss[1, 11] == 1 / 12
	assert np.isnan(loss[1, 12:]).all()
	v = np.load("out/g1_train/val.loss.npy")
	assert v[0, 5] == 0.5 / 6 and np.isnan(v[0, 6])
	assert list(np.load("out/by_value/_run_id.npy")) == ["r2"]
	EOF
'
else
test_skip 'NumPy reads the experiment arrays' 'python3-numpy is not installed'
fi

test_expect_success 'earlier output is not overwritten without -o' '
	cp out/g1_train/loss.npy before.npy &&
	test_must_fail_1() { "$@"; test $? = 1; } &&
	test_must_fail_1 wbstore export --config exp.yaml -e g1_train 2>err &&
	grep "out/g1_train/.*already exists" err &&
	cmp before.npy out/g1_train/loss.npy
'

test_expect_success '-o overwrites; -e names experiments' '
	rm -r out/csv_second &&
	wbstore export --config exp.yaml -o -e g1_train csv_second &&
	test -f out/csv_second/loss.csv &&
	wbstore export -o --config=exp.yaml -e good_acc
'

test_expect_success 'an unknown experiment name is an error' '
	wbstore export --config exp.yaml -o -e nope 2>err;
	test $? = 1 && grep "no experiment \"nope\"" err
'

test_expect_success '--dir reads runs from another directory' '
	mkdir other && "$MKRUNS" -d other -i z9 -p proj -g g1 -j train -s 2 &&
	wbstore export --config exp.yaml -o -e g1_train --dir other &&
	test "$(npy_shape out/g1_train/loss.npy)" = "(1, 2)"
'

test_done
