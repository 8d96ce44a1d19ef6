#!/bin/sh
# wbstore export --format postgres against a real PostgreSQL server that
# the test starts on a private socket (no TCP): tables created, NaN and
# infinities kept, re-export idempotent, incremental export of new runs
# and new steps, an open row of a live run held back, queries with psql.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"
. "$WBS_SRCDIR/t/e2e/t6-pglib.sh"

MKRUNS=$WBS_BUILDDIR/t/bench/export-mkruns
WANDB_DIR=$TRASH
export WANDB_DIR

pg_find || test_skip_all "$PG_WHY"
test_at_end pg_stop
if ! pg_start "$TRASH/pg"; then
	echo "Bail out! cannot start PostgreSQL: $PG_WHY"
	exit 1
fi

q() {
	pg_psql "$1"
}

SQL_STATES="SELECT string_agg(run_id || ':' || state, ' ' ORDER BY run_id)
    FROM wbstore.runs"

export_pg() {
	wbstore export --format postgres --db-url "$PG_URL" --stats "$@"
}

test_expect_success 'test runs are written' '
	"$MKRUNS" -d "$TRASH" -i r1 -p proj -n first -g g1 -j train \
	    -t a,b -s 20 &&
	"$MKRUNS" -d "$TRASH" -i r2 -p proj -g g2 -c lr=0.5 -s 7 -x 3 &&
	"$MKRUNS" -d "$TRASH" -i r3 -p other -u -s 3
'

test_expect_success 'export creates the tables and fills them' '
	export_pg 2>stats1 &&
	grep "3 runs, 30 rows" stats1 &&
	test "$(q "SELECT count(*) FROM wbstore.runs")" = 3 &&
	test "$(q "SELECT count(*) FROM wbstore.history")" = 30 &&
	test "$(q "$SQL_STATES")" = "r1:finished r2:failed r3:crashed"
'

test_expect_success 'runs: attributes, tags, config, summary, marks' '
	test "$(q "SELECT name, run_group, job_type, tags FROM wbstore.runs WHERE run_id = '"'"'r1'"'"'")" = "first|g1|train|{a,b}" &&
	test "$(q "SELECT config->>'"'"'lr'"'"', config #>> '"'"'{model,layers}'"'"' FROM wbstore.runs WHERE run_id = '"'"'r2'"'"'")" = "0.5|4" &&
	test "$(q "SELECT exit_code, exported_step FROM wbstore.runs WHERE run_id = '"'"'r2'"'"'")" = "3|6" &&
	test "$(q "SELECT (summary->>'"'"'worst'"'"')::float8, nonfinite FROM wbstore.runs WHERE run_id = '"'"'r2'"'"'")" = "NaN|{summary.worst}"
'

test_expect_success 'history: NaN and infinities, nested and Unicode keys' '
	test "$(q "SELECT string_agg((metrics->>'"'"'weird'"'"')::float8::text, '"'"' '"'"' ORDER BY step) FROM wbstore.history WHERE run_id = '"'"'r1'"'"' AND step BETWEEN 2 AND 6")" = "0.5 NaN Infinity -Infinity 1.5" &&
	test "$(q "SELECT nonfinite FROM wbstore.history WHERE run_id = '"'"'r1'"'"' AND step = 3")" = "{weird}" &&
	test "$(q "SELECT jsonb_typeof(metrics->'"'"'weird'"'"') FROM wbstore.history WHERE run_id = '"'"'r1'"'"' AND step = 2")" = "number" &&
	test "$(q "SELECT metrics #>> '"'"'{val,loss}'"'"' FROM wbstore.history WHERE run_id = '"'"'r1'"'"' AND step = 5")" = "0.08333333333333333" &&
	test "$(q "SELECT metrics->>'"'"'métrique/ü'"'"', metrics->>'"'"'phase'"'"' FROM wbstore.history WHERE run_id = '"'"'r1'"'"' AND step = 1")" = "2.0|warm,up \"q\"" &&
	test "$(q "SELECT count(*) FROM wbstore.history WHERE timestamp IS NULL OR runtime < 0")" = 0
'

test_expect_success 'queries: a join and an aggregate over runs' '
	test "$(q "SELECT r.run_group, count(*), min((h.metrics->>'"'"'loss'"'"')::float8) FROM wbstore.history h JOIN wbstore.runs r USING (project, run_id) WHERE r.state <> '"'"'crashed'"'"' GROUP BY 1 ORDER BY 1")" = "g1|20|0.05
g2|7|0.14285714285714285"
'

test_expect_success 're-export changes nothing and reads no journal' '
	q "SELECT run_id, exported_at FROM wbstore.runs ORDER BY 1" >marks1 &&
	export_pg 2>stats2 &&
	grep "0 runs, 0 rows" stats2 && grep "3 unchanged runs skipped" stats2 &&
	q "SELECT run_id, exported_at FROM wbstore.runs ORDER BY 1" >marks2 &&
	test_cmp marks1 marks2 &&
	test "$(q "SELECT count(*) FROM wbstore.history")" = 30
'

test_expect_success 'incremental: new steps of a resumed run, a new run' '
	"$MKRUNS" -d "$TRASH" -i r1 -p proj -r -s 5 &&
	"$MKRUNS" -d "$TRASH" -i r4 -p proj -g g1 -s 4 &&
	export_pg 2>stats3 &&
	grep "2 runs, 9 rows" stats3 && grep "2 unchanged runs skipped" stats3 &&
	test "$(q "SELECT count(*), max(step) FROM wbstore.history WHERE run_id = '"'"'r1'"'"'")" = "25|24" &&
	test "$(q "SELECT exported_step FROM wbstore.runs WHERE run_id = '"'"'r1'"'"'")" = 24 &&
	test "$(q "SELECT count(*) FROM wbstore.history")" = 39 &&
	test "$(q "SELECT bool_and(runtime >= 0) FROM wbstore.history WHERE run_id = '"'"'r1'"'"' AND step >= 20")" = t
'

test_expect_success 'a live run: its open last row waits until it is complete' '
	"$MKRUNS" -d "$TRASH" -i live -p proj -o -w 30 -s 6 >live.out &
	echo $! >live.pid &&
	test_wait_for 20 "grep -q ready live.out" &&
	export_pg 2>stats4 &&
	test "$(q "SELECT state, exported_step, exported_seq FROM wbstore.runs WHERE run_id = '"'"'live'"'"'")" = "running|4|0" &&
	test "$(q "SELECT count(*) FROM wbstore.history WHERE run_id = '"'"'live'"'"'")" = 5 &&
	kill -9 $(cat live.pid) && wait $(cat live.pid) 2>/dev/null;
	test_wait_for 10 "wbstore ls | grep -q \"^live .*crashed\"" &&
	export_pg 2>stats5 &&
	grep "1 runs, 1 rows" stats5 &&
	test "$(q "SELECT state, exported_step FROM wbstore.runs WHERE run_id = '"'"'live'"'"'")" = "crashed|5" &&
	test "$(q "SELECT metrics #>> '"'"'{val,loss}'"'"' FROM wbstore.history WHERE run_id = '"'"'live'"'"' AND step = 5")" = "0.08333333333333333"
'
test_at_end 'test -f "$TRASH/live.pid" && kill -9 $(cat "$TRASH/live.pid") 2>/dev/null'

test_expect_success 'a deleted run is exported again in full' '
	q "DELETE FROM wbstore.runs WHERE run_id = '"'"'r2'"'"'" &&
	test "$(q "SELECT count(*) FROM wbstore.history WHERE run_id = '"'"'r2'"'"'")" = 0 &&
	export_pg 2>stats6 &&
	grep "1 runs, 7 rows" stats6 &&
	test "$(q "SELECT count(*) FROM wbstore.history WHERE run_id = '"'"'r2'"'"'")" = 7
'

test_expect_success 'filters and --fields apply; another schema' '
	export_pg --db-schema "Other Schema" --group g1 --fields loss 2>stats7 &&
	test "$(q "SELECT string_agg(run_id, '"'"' '"'"' ORDER BY run_id) FROM \"Other Schema\".runs")" = "r1 r4" &&
	test "$(q "SELECT count(DISTINCT k) FROM \"Other Schema\".history, jsonb_object_keys(metrics) k")" = 1
'

test_done
