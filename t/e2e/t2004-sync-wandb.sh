#!/bin/sh
# wbstore sync of W&B's own offline run directories (run-ID.wandb, no
# journal): each log is imported into a journal beside it on the fly,
# synced to a real relay, and marked with W&B's run-ID.wandb.synced.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"
. "$WBS_SRCDIR/t/e2e/t2lib-sync.sh"

FIX=$WBS_SHARED/fixtures/wandb
test -d "$FIX/sdk-0.10-offline" || test_skip_all "no W&B fixtures in $FIX"

# copy DIR DEST: a writable copy of a fixture directory.
copy() {
	mkdir -p "$2" && cp -R "$1" "$2"/ && chmod -R u+w "$2"
}

R1=offline-run-20210216_154407-g9dvvkua

test_expect_success 'setup: a relay and a W&B run directory' '
	relay_start &&
	copy "$FIX/sdk-0.10-offline/$R1" w1 &&
	! ls w1/$R1/*.wbs 2>/dev/null
'

test_expect_success 'a W&B run directory is imported, synced and marked' '
	wsync w1/$R1 >out 2>err &&
	grep -q "^imported .*run-g9dvvkua.wandb" err &&
	grep -q "^synced " out &&
	test -d w1/$R1/run-g9dvvkua.wbs &&
	test -f w1/$R1/run-g9dvvkua.wandb.synced &&
	test -d "$(relay_run g9dvvkua)" &&
	py_sync <<-EOF
	src, dst = "w1/$R1/run-g9dvvkua.wbs", "$(relay_run g9dvvkua)"
	same_run(src, dst, attrs=False)
	a, b = show(src), show(dst)
	for k in ("name", "notes", "group", "job_type", "tags", "state",
	          "exit_code"):
	    check(a[k], b[k], k)
	# the _wandb of W&B (telemetry, versions, code path) goes along
	check(norm(a["config"]), norm(b["config"]), "config")
	for k, v in a["summary"].items():
	    if not k.startswith("_"): check(norm(v), norm(b["summary"].get(k)), k)
	EOF
'

test_expect_success 'syncing it again sends nothing' '
	"$RELAY_DUMP" "$(relay_run g9dvvkua)" >before.dump &&
	wsync w1/$R1 >out 2>err &&
	grep -q "Skipped 1 synced run" err &&
	"$RELAY_DUMP" "$(relay_run g9dvvkua)" >after.dump &&
	cmp before.dump after.dump
'

test_expect_success 'a wandb directory of W&B runs: each one, --no-mark-synced' '
	copy "$FIX/compat-logs/offline-run-new_auto_steps" w2/wandb &&
	copy "$FIX/compat-logs/offline-run-old_explicit_steps" w2/wandb &&
	wsync --no-mark-synced w2 >out 2>err &&
	test "$(grep -c "^imported" err)" = 2 &&
	test "$(grep -c "^synced" out)" = 2 &&
	! ls w2/wandb/*/*.synced 2>/dev/null &&
	test -d "$(relay_run new_auto_steps)" &&
	test -d "$(relay_run old_explicit_steps)"
'

test_expect_success '--dry-run names W&B runs without importing them' '
	copy "$FIX/sdk-0.10-offline/$R1" w3 &&
	wsync --dry-run w3/$R1 >out &&
	grep -q "^Would sync 1 run(s):" out &&
	grep -q "w3/$R1\$" out &&
	wsync --dry-run w3 >out &&
	grep -q "^Would sync 1 run(s):" out &&
	! ls -d w3/$R1/*.wbs 2>/dev/null
'

test_expect_success 'a directory with neither: a clear error' '
	mkdir -p empty/sub &&
	! wsync empty/sub >out 2>err &&
	grep -q "empty/sub: no wbstore runs here" err
'

test_done
