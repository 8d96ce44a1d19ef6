#!/bin/sh
# soak.sh - fault soak (not part of make check; run with `make soak`).
#
# For SOAK_SECONDS (default 600) trainers keep starting and writing runs
# (some crash instead of finishing) while wbstored watches them and syncs
# them live to a relay that injects a random mix of 429 with Retry-After,
# 503, dropped connections, responses lost after processing and delays.
# The relay's fault steps run out a while after the trainers stop; then
# every run must converge: the relay's copy equals its journal, nothing
# missing, nothing doubled.  Prints what was injected and the totals.
#
# SOAK_SECONDS, SOAK_TRAINERS (at once, default 4), SOAK_SEED.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"
. "$WBS_SRCDIR/t/e2e/t4lib-daemon.sh"

SECONDS_=${SOAK_SECONDS:-600}
TRAINERS=${SOAK_TRAINERS:-4}
SEED=${SOAK_SEED:-$$}

# faults SEED SECONDS: a rules file of random fault steps for each
# endpoint, interleaved with runs of normal answers, long enough to last
# about as long as the trainers write.
faults() {
	python3 - "$1" "$2" <<-\EOF
	import random, sys
	rnd = random.Random(int(sys.argv[1]))
	secs = int(sys.argv[2])
	kinds = ["429 retry-after=%d", "503", "close", "drop", "delay=%d",
	         "429 remaining=0 reset=%d"]
	for target in ("file_stream", "graphql", "upload"):
	    # about one fault every 2-3 s of traffic per endpoint
	    for _ in range(secs):
	        k = rnd.choice(kinds)
	        if "%d" in k:
	            k = k % rnd.randint(1, 3)
	        print("%s %s" % (target, k))
	        print("%s ok times=%d" % (target, rnd.randint(5, 40)))
	EOF
}

test_expect_success "setup: relay with random faults (seed $SEED), watcher" '
	faults "$SEED" "$SECONDS_" >faults &&
	relay_start --faults faults &&
	daemon_start --grace 2
'

test_expect_success "trainers for $SECONDS_ s, $TRAINERS at once" '
	end=$(($(date +%s) + SECONDS_)) &&
	n=0 &&
	: >ids &&
	while [ "$(date +%s)" -lt "$end" ]; do
		running=0
		for f in trainer-*.pid; do
			[ -e "$f" ] || continue
			kill -0 "$(cat "$f")" 2>/dev/null &&
			    running=$((running + 1))
		done
		while [ "$running" -lt "$TRAINERS" ]; do
			n=$((n + 1))
			rows=$((200 + (n * 37) % 800))
			if [ $((n % 5)) = 0 ]; then
				trainer "s$n" "$rows" 10 crash
				echo "s$n crash" >>ids
			else
				trainer "s$n" "$rows" 10
				echo "s$n ok" >>ids
			fi
			running=$((running + 1))
		done
		sleep 1
	done &&
	while read -r id how; do trainer_wait "$id" || exit 1; done <ids
'

test_expect_success 'every run converges: copies equal, nothing doubled' '
	while read -r id how; do
		want=0
		[ "$how" = crash ] && want=1
		test_wait_for 900 "test \"\$(relay_exit $id)\" = $want" || {
			echo "run $id did not converge" >&2
			exit 1
		}
		if [ "$how" = crash ]; then
			same_copy "$id" False
		else
			same_copy "$id"
		fi || exit 1
	done <ids
'

# The figures, as TAP comments.
echo "# seed $SEED, $(grep -vc " ok " faults) fault steps over 3 endpoints"
rows=0
while read -r id how; do
	rows=$((rows + $(relay_rows "$id")))
done <ids
echo "# runs: $(wc -l <ids) ($(grep -c crash ids) crashed on purpose)," \
    "history rows at the relay: $rows"
# Fault lines are "... fault: METHOD ENDPOINT: WHAT"; "pass" lines are
# requests a rule let through, not faults.
grep "wbstored: fault:" relay.log | sed "s/.*wbstored: fault: [A-Z]* //" |
    grep -v ": pass (" >faults.seen
echo "# injected faults by kind:"
sed -E "s/(Retry-After|Reset): [0-9.]+/\1: S/g; s/delay [0-9.]+ s/delay S s/" \
    faults.seen | sort | uniq -c | sed "s/^/#   /"
echo "# injected in all: $(wc -l <faults.seen)"

test_expect_success 'the watcher and the relay stop cleanly' '
	daemon_stop &&
	relay_stop
'

test_done
