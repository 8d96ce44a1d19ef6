#!/bin/sh
# wbstore export on bad input: each mistake gets a message naming the
# thing and what is wrong, exit status 2 for usage errors and 1 for
# failures, and the journals and earlier outputs stay as they were.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"

MKRUNS=$WBS_BUILDDIR/t/bench/export-mkruns
WANDB_DIR=$TRASH
export WANDB_DIR

# expect STATUS PATTERN CMD...: CMD exits with STATUS, stderr matches.
expect() {
	want=$1
	pat=$2
	shift 2
	"$@" >expect.out 2>expect.err
	got=$?
	if [ "$got" != "$want" ]; then
		echo "exit $got, want $want: $*"
		cat expect.err
		return 1
	fi
	if ! grep -E -- "$pat" expect.err >/dev/null; then
		echo "message does not match /$pat/:"
		cat expect.err
		return 1
	fi
}

test_expect_success 'test runs are written' '
	"$MKRUNS" -d "$TRASH" -i r1 -p proj -g g1 -s 10 &&
	"$MKRUNS" -d "$TRASH" -i r2 -p proj -g g2 -s 5 &&
	wbstore verify wandb >verify.before
'

test_expect_success 'usage errors exit 2' '
	expect 2 "no format given" wbstore export &&
	expect 2 "unknown format \"xml\"" wbstore export --format xml &&
	expect 2 "bad --config \"lr\": expected KEY=VALUE or KEY=MIN..MAX" \
	    wbstore export --format csv --config lr &&
	expect 2 "bad --summary \"acc=low..high\": a range is MIN..MAX with numbers" \
	    wbstore export --format csv --summary acc=low..high &&
	expect 2 "bad --config \"lr=2..1\": the minimum is above the maximum" \
	    wbstore export --format csv --config lr=2..1 &&
	expect 2 "bad --state \"done\"" wbstore export --format csv --state done &&
	expect 2 "bad --history-samples \"1\"" \
	    wbstore export --format csv --history-samples 1 &&
	expect 2 "bad --history-samples \"some\"" \
	    wbstore export --format csv --history-samples some &&
	expect 2 "--format postgres needs --db-url" wbstore export --format postgres &&
	expect 2 "--long applies to --format csv only" \
	    wbstore export --format npy --long &&
	expect 2 "-e names experiments of an experiments file" \
	    wbstore export --format csv -e x &&
	expect 2 "--format cannot be combined with an experiments file" \
	    wbstore export --config e.yaml --format csv &&
	expect 2 "bad --fields \",,\": expected field names" \
	    wbstore export --format csv --fields ,, &&
	expect 2 "bad --fields \"\": expected field names" \
	    wbstore export --format csv --fields "" &&
	expect 2 "unrecognized option" wbstore export --format csv --bogus
'

test_expect_success 'an unknown field fails before anything is written' '
	expect 1 "unknown field \"nope\": no selected run logged it" \
	    wbstore export --format csv -o f --fields loss,nope &&
	! test -e f/history.csv
'

test_expect_success 'unknown runs and directories fail' '
	expect 1 "zz99: no such run or directory" \
	    wbstore export --format csv -o x zz99 &&
	expect 1 "no wandb directory at" env WANDB_DIR="$TRASH/none" \
	    "$WBSTORE" export --format csv -o x
'

test_expect_success 'unreadable and malformed experiments files fail' '
	expect 1 "cannot read experiments file missing.yaml: No such file" \
	    wbstore export --config missing.yaml &&
	printf "e1: [unclosed\n" >bad.yaml &&
	expect 1 "experiments file bad.yaml, line [0-9]+, column [0-9]+: " \
	    wbstore export --config bad.yaml &&
	printf "e1:\n  output_path: o\n  feilds: [loss]\n" >typo.yaml &&
	expect 1 "typo.yaml, line 3: experiment \"e1\": unknown setting \"feilds\"" \
	    wbstore export --config typo.yaml &&
	printf "e1:\n  output_path: o\n  config:\n    lr: {min: x}\n" >min.yaml &&
	expect 1 "min must be a number, not \"x\"" wbstore export --config min.yaml &&
	mkdir unreadable.yaml &&
	expect 1 "experiments file unreadable.yaml" \
	    wbstore export --config unreadable.yaml
'

test_expect_success 'an unreachable database fails with the reason' '
	expect 1 "PostgreSQL: cannot connect to the database: .*(No such file|could not connect|connection to server)" \
	    wbstore export --format postgres \
	    --db-url "host=$TRASH/nosock port=5999 user=x dbname=y connect_timeout=3" &&
	expect 1 "PostgreSQL: cannot connect" wbstore export --format postgres \
	    --db-url "postgresql://%zz"
'

test_expect_success 'existing output is refused and left as it was' '
	wbstore export --format csv -o out &&
	cp out/history.csv before.csv &&
	expect 1 "out/runs.csv: already exists; not overwriting it" \
	    wbstore export --format csv -o out &&
	cmp before.csv out/history.csv &&
	wbstore export --format npy -o npy &&
	expect 1 "npy/.*\.npy: already exists" wbstore export --format npy -o npy &&
	wbstore export --format csv -o out --overwrite
'

test_expect_success 'an output path that is a file fails' '
	echo x >afile &&
	expect 1 "afile: not a directory|cannot create directory afile" \
	    wbstore export --format jsonl -o afile
'

test_expect_success 'a damaged journal is reported, the other runs exported' '
	mkdir -p wandb/offline-run-20200101_000000-bad/run-bad.wbs &&
	echo "not an lmdb file" >wandb/offline-run-20200101_000000-bad/run-bad.wbs/data.mdb &&
	expect 1 "skipping .*offline-run-20200101_000000-bad" \
	    wbstore export --format csv -o dmg &&
	grep "1 run could not be read" expect.err &&
	test $(wc -l <dmg/runs.csv) = 3 &&
	rm -r wandb/offline-run-20200101_000000-bad
'

test_expect_success 'the journals are unchanged' '
	wbstore verify wandb >verify.after &&
	test_cmp verify.before verify.after
'

test_done
