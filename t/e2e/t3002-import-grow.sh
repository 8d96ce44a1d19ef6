#!/bin/sh
# wbstore import on a log that grows between imports (a run still being
# written): each import adds only the new records, an incomplete tail is
# reported and picked up later, and the result equals a fresh import.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"

FIX=$WBS_SHARED/fixtures/wandb
LOG=$FIX/edge/wandb/single-tiny/wandb/run-20260102_030405-tiny0001/run-tiny0001.wandb
[ -f "$LOG" ] || test_skip_all "no shared fixtures in $FIX"
cp "$LOG" full.wandb || exit 99
SIZE=$(wc -c <full.wandb)
GROW=grow/wandb/run-20260102_030405-tiny0001
FRESH=fresh/wandb/run-20260102_030405-tiny0001
mkdir -p $GROW $FRESH live/wandb/run-20260102_030405-tiny0001 || exit 99

# The value of "key": in a one-line JSON text.
json_field() {
	sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p"
}

# Write the first $1 bytes of the full log to $2.
cut_log() {
	head -c "$1" full.wandb >"$2"
}

test_expect_success 'a log cut inside a record: imported, tail incomplete' '
	cut_log 3000 $GROW/run-tiny0001.wandb &&
	wbstore import --json $GROW >g1.json 2>g1.err &&
	grep -q "\"status\":\"new\"" g1.json &&
	test "$(json_field incomplete <g1.json)" = true &&
	test "$(json_field exit_code <g1.json)" = null &&
	grep -q "last record is incomplete" g1.err &&
	json_field total_records <g1.json >n1 && test "$(cat n1)" -gt 0
'

test_expect_success 'grown: only the new records are imported' '
	cut_log 5000 $GROW/run-tiny0001.wandb &&
	wbstore import --json $GROW >g2.json 2>/dev/null &&
	grep -q "\"status\":\"updated\"" g2.json &&
	n2=$(json_field total_records <g2.json) &&
	test "$(json_field records <g2.json)" = $((n2 - $(cat n1))) &&
	echo $n2 >n2
'

test_expect_success 'complete: all 74 records, exit recorded, tail complete' '
	cp full.wandb $GROW/run-tiny0001.wandb &&
	wbstore import --json $GROW >g3.json &&
	grep -q "\"status\":\"updated\"" g3.json &&
	test "$(json_field total_records <g3.json)" = 74 &&
	test "$(json_field records <g3.json)" = $((74 - $(cat n2))) &&
	test "$(json_field incomplete <g3.json)" = false &&
	test "$(json_field exit_code <g3.json)" = 0 &&
	test "$(json_field finished <g3.json)" = true &&
	wbstore import $GROW >g4.txt && grep -q ": up-to-date" g4.txt
'

# show --json without what depends on the import itself.
run_view() {
	wbstore show --json "$1" | sed -e "s/\"runtime_s\":[^,]*,//" \
	    -e "s/\"records\":[^,]*,//" -e "s/\"bytes\":[^,]*,//" \
	    -e "s/\"dir\":\"[^\"]*\",//"
}

test_expect_success 'the grown journal equals a fresh import of the log' '
	cp full.wandb $FRESH/run-tiny0001.wandb &&
	wbstore import $FRESH >/dev/null &&
	run_view $GROW >grow.view && run_view $FRESH >fresh.view &&
	test_cmp fresh.view grow.view &&
	grep -q "\"rows\":50,\"last_step\":49" grow.view &&
	wbstore export $GROW --format jsonl -o xg >/dev/null &&
	wbstore export $FRESH --format jsonl -o xf >/dev/null &&
	test_cmp xf/history.jsonl xg/history.jsonl &&
	test "$(wc -l <xg/history.jsonl)" = 50
'

test_expect_success 'a log written while it is imported, again and again' '
	L=live/wandb/run-20260102_030405-tiny0001/run-tiny0001.wandb &&
	(
		off=0
		while [ $off -lt $SIZE ]; do
			tail -c +$((off + 1)) full.wandb | head -c 700 >>$L
			off=$((off + 700))
			sleep 0.1
		done
		echo done >appender.done
	) &
	test_wait_for 10 "test -s $L" &&
	i=0 fails=0 &&
	while [ $i -lt 100 ]; do
		wbstore import --json live >live.json 2>>live.err ||
		    fails=$((fails + 1))
		if [ -f appender.done ] &&
		    [ "$(json_field total_records <live.json)" = 74 ]; then
			break
		fi
		i=$((i + 1))
		sleep 0.05
	done &&
	wait &&
	test $fails = 0 &&
	test "$(json_field total_records <live.json)" = 74 &&
	test "$(json_field incomplete <live.json)" = false &&
	run_view live/wandb/run-20260102_030405-tiny0001 >live.view &&
	test_cmp fresh.view live.view
'

test_expect_success 'a log replaced by a shorter one is refused, journal kept' '
	wbstore show --json $GROW >k.before &&
	cut_log 2000 $GROW/run-tiny0001.wandb &&
	{ wbstore import $GROW >short.out 2>short.err; test $? = 1; } &&
	grep -q "changed in its imported part" short.err &&
	grep -q "remove .*run-tiny0001.wbs to import it afresh" short.err &&
	wbstore show --json $GROW >k.after &&
	test_cmp k.before k.after &&
	wbstore verify $GROW
'

test_done
