#!/bin/sh
# wbstore import: copies of the shared W&B fixtures become journals in
# place; reports, damage, exit, Unicode, NaN, idempotence, bad input.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"

FIX=$WBS_SHARED/fixtures/wandb
[ -f "$FIX/FIXTURES.md" ] || test_skip_all "no shared fixtures in $FIX"
cp -R "$FIX" fx && chmod -R u+w fx || exit 99

WM=fx/edge/wandb/workspace-multi
TINY=fx/edge/wandb/single-tiny/wandb/run-20260102_030405-tiny0001
UNI=fx/edge/wandb/edge-unicode/wandb/run-20260102_030405-uni00001
NAN=fx/edge/wandb/edge-nan-inf/wandb/run-20260102_030405-nanedge1
LEGACY=fx/sdk-0.10-offline/offline-run-20210216_154407-g9dvvkua

# The value of "key": in a one-line JSON text.
json_field() {
	sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p"
}

test_expect_success 'a wandb directory: each run imported and reported' '
	wbstore import $WM >out 2>err &&
	test "$(grep -c ": new -> .*run-wm[1-5][a-z]*\.wbs$" out)" = 5 &&
	test "$(grep -c "records: run 1, history 30, exit 1$" out)" = 3 &&
	grep -q "records: run 1, history 30$" out &&
	grep -q "records: run 1, history 18, output_raw 2, exit 1$" out &&
	grep -q "exit: none (the run did not finish)" out &&
	grep -q "^  exit: 1$" out &&
	test "$(grep -c "tail: complete" out)" = 5
'

test_expect_success 'the imported runs are journals the other commands read' '
	wbstore ls $WM/wandb >ls &&
	grep "^wm4crash .* failed " ls &&
	grep "^wm1plain .* finished .* 30 " ls &&
	! grep "^wm3live .* finished" ls &&
	wbstore verify $WM/wandb/run-20260102_030005-wm1plain
'

test_expect_success 'every fixture imports (one run each, none failed)' '
	find fx -name "*.wandb" | sort >logs &&
	test "$(wc -l <logs)" = 25 &&
	while read -r f; do
		wbstore import --json "$f" >one.json 2>>err || exit 1
		grep -q "\"failed\":0}" one.json || exit 1
		grep -q "\"status\":\"\(new\|up-to-date\)\"" one.json || exit 1
	done <logs
'

test_expect_success 'bad-crc.wandb: 2 records and a skip report' '
	wbstore import --json fx/edge/wire/bad-crc.wandb >bad.json 2>bad.err &&
	test "$(json_field records <bad.json)" = 0 &&
	rm -r fx/edge/wire/run-wirebcrc.wbs &&
	wbstore import --json fx/edge/wire/bad-crc.wandb >bad.json 2>bad.err &&
	grep -q "\"types\":{\"run\":1,\"history\":1}" bad.json &&
	test "$(json_field skipped_bytes <bad.json)" = 150 &&
	test "$(json_field skipped_regions <bad.json)" = 1 &&
	grep -q "bad-crc.wandb: offset 143: chunk checksum mismatch" bad.err &&
	wbstore import fx/edge/wire/bad-crc.wandb >bad.txt 2>/dev/null &&
	grep -q "up-to-date" bad.txt
'

test_expect_success 'truncated-tail.wandb: 4 records, tail incomplete' '
	rm -r fx/edge/wire/run-wiretrnc.wbs &&
	wbstore import fx/edge/wire/truncated-tail.wandb >tr.txt 2>tr.err &&
	grep -q "read 4 records" tr.txt &&
	grep -q "records: run 1, history 3$" tr.txt &&
	grep -q "tail: incomplete (56 bytes; the log may still be being" tr.txt &&
	grep -q "last record is incomplete (still being written?)" tr.err
'

test_expect_success 'legacy 0.10 run: exit honoured though records follow' '
	wbstore show --json $LEGACY >legacy.json &&
	grep -q "\"state\":\"finished\",\"exit_code\":0" legacy.json &&
	grep -q "\"project\":\"code-toad\"" legacy.json &&
	grep -q "\"cli_version\":\"0.10.20.dev1\"" legacy.json
'

test_expect_success 'Unicode names, tags, notes, config and keys round-trip' '
	wbstore show --json $UNI >uni.json &&
	grep -q "\"name\":\"日本語ラン 🚀 家族👨‍👩‍👧‍👦\"" uni.json &&
	grep -q "\"tags\":\[\"标签\",\"🏷️tag\",\"ラベル\",\"café\"\]" uni.json &&
	grep -q "\"模型/名字\":\"变形金刚🤖\"" uni.json &&
	grep -q "\"emoji/🚀speed\":" uni.json &&
	grep -q "\"损失/loss\":" uni.json
'

test_expect_success 'NaN, Infinity and -Infinity round-trip' '
	wbstore export $NAN --format jsonl -o nan >/dev/null &&
	grep -q "\"_step\":1,.*\"edge/nan_inf\":NaN}" nan/history.jsonl &&
	grep -q "\"_step\":2,.*\"edge/nan_inf\":Infinity}" nan/history.jsonl &&
	grep -q "\"_step\":3,.*\"edge/nan_inf\":-Infinity}" nan/history.jsonl
'

test_expect_success 'importing again adds nothing' '
	wbstore show --json $TINY | json_field records >before &&
	wbstore import $TINY >again.txt &&
	grep -q ": up-to-date" again.txt &&
	touch $TINY/run-tiny0001.wandb &&
	wbstore import --json $TINY >again.json &&
	test "$(json_field written <again.json)" = 0 &&
	wbstore show --json $TINY | json_field records >after &&
	test_cmp before after &&
	test "$(cat after)" = 75
'

test_expect_success 'usage errors exit 2' '
	{ wbstore import 2>usage.err; test $? = 2; } &&
	grep -q "usage: wbstore import" usage.err &&
	{ wbstore import --no-such-option x 2>/dev/null; test $? = 2; }
'

test_expect_success 'a missing path: a clear error, exit 1' '
	{ wbstore import no/such/dir 2>miss.err; test $? = 1; } &&
	grep -q "no/such/dir: No such file or directory" miss.err
'

test_expect_success 'not a .wandb file: a clear error, nothing written' '
	mkdir notlog &&
	echo "just some text" >notlog/run-notalog.wandb &&
	{ wbstore import notlog 2>nl.err >nl.out; test $? = 1; } &&
	grep -q "run-notalog.wandb: offset 0: not a W&B transaction log" nl.err &&
	test "$(ls -A notlog)" = run-notalog.wandb
'

test_expect_success 'a directory without logs: a clear error' '
	mkdir empty &&
	{ wbstore import empty 2>empty.err; test $? = 1; } &&
	grep -q "empty: no W&B logs here" empty.err
'

test_expect_success 'good and bad paths together: the good one is imported' '
	cp -R "$FIX/compat-logs/offline-run-old_no_history" mixed &&
	chmod -R u+w mixed &&
	{ wbstore import mixed no/such >mixed.out 2>mixed.err; test $? = 1; } &&
	grep -q ": new -> " mixed.out &&
	grep -q "no/such: No such file" mixed.err
'

test_expect_success 'an unreadable log: a clear error' '
	if [ "$(id -u)" = 0 ]; then
		echo "# skipped: root reads everything" >&2; exit 0
	fi
	mkdir noread && cp fx/edge/wire/bad-crc.wandb noread/run-x.wandb &&
	chmod 0 noread/run-x.wandb &&
	{ wbstore import noread 2>nr.err; test $? = 1; } &&
	grep -q "run-x.wandb: Permission denied" nr.err
'

test_expect_success 'a log changed in its imported part never damages the journal' '
	wbstore show --json $TINY >j.before &&
	cp $TINY/run-tiny0001.wandb tiny.orig &&
	printf "X" | dd of=$TINY/run-tiny0001.wandb bs=1 seek=200 \
	    conv=notrunc 2>/dev/null &&
	{ wbstore import $TINY >chg.out 2>chg.err; test $? = 1; } &&
	grep -q "changed in its imported part" chg.err &&
	wbstore verify $TINY &&
	wbstore show --json $TINY >j.after &&
	test_cmp j.before j.after &&
	cp tiny.orig $TINY/run-tiny0001.wandb &&
	wbstore import $TINY >chg2.out && grep -q "up-to-date" chg2.out
'

test_done
