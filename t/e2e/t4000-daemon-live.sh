#!/bin/sh
# wbstored watching a directory: trainers write while it syncs them live
# to a relay; runs that existed before it started, runs that appear later,
# a run whose writer crashed (finished as exit 1 after the grace period),
# wbstore status and sync --now, -n and SIGHUP.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"
. "$WBS_SRCDIR/t/e2e/t4lib-daemon.sh"

test_expect_success 'setup: a relay, a finished run, the watcher' '
	relay_start &&
	mk "$SRC" <<-\EOF &&
	open id=old1 project=demo
	config a=1
	rows 300 keys=3
	finish 0
	EOF
	daemon_start --grace 1 &&
	test_wait_for 30 "test \"\$(relay_exit old1)\" = 0" &&
	same_copy old1
'

test_expect_success 'a trainer writing: its rows show up at the relay while it runs' '
	trainer live1 300 20 &&
	test_wait_for 30 "test \$(relay_rows live1) -ge 50" &&
	kill -0 "$(cat "$TRASH/trainer-live1.pid")" &&
	test "$(relay_exit live1)" = none &&
	case "$(daemon_state live1)" in live|syncing) ;; *) false ;; esac
'

test_expect_success 'when it finishes, the copies are equal and finished' '
	trainer_wait live1 &&
	test_wait_for 30 "test \"\$(relay_exit live1)\" = 0" &&
	same_copy live1 &&
	test_wait_for 10 "test \"\$(daemon_state live1)\" = synced"
'

test_expect_success 'a crashed trainer is finished as exit 1 after the grace period' '
	trainer crash1 40 10 crash &&
	trainer_wait crash1 &&
	test_wait_for 30 "test \"\$(relay_exit crash1)\" = 1" &&
	same_copy crash1 False &&
	grep -q "crash1.*finishing it as crashed" daemon.log
'

test_expect_success 'wbstore status: every run, its state and backlog' '
	"$WBSTORE" status >st &&
	grep -q "^root $SRC: inotify" st &&
	grep -q "^old1 *synced *0  -" st &&
	grep -q "^live1 *synced" st &&
	grep -q "^crash1 *synced" st &&
	"$WBSTORE" status --json >st.json &&
	python3 -c "
import json
d = json.load(open(\"st.json\"))
assert len(d[\"runs\"]) == 3, d
assert all(r[\"error\"] is None and r[\"backlog\"] == 0 for r in d[\"runs\"]), d
assert d[\"roots\"][0][\"mode\"] == \"inotify\"
"
'

test_expect_success 'wbstore sync --now: the daemon syncs everything, then answers' '
	"$WBSTORE" sync --now >now.out &&
	grep -q "^3 runs: 3 synced or up to date, 0 failing" now.out &&
	"$WBSTORE" sync --now --json >now.json &&
	grep -q "\"ok\":true" now.json
'

test_expect_success 'wbstore status without a daemon: a clear error' '
	XDG_RUNTIME_DIR=$TRASH/nowhere "$WBSTORE" status 2>err;
	test $? = 1 &&
	grep -q "no wbstored is running" err &&
	XDG_RUNTIME_DIR=$TRASH/nowhere "$WBSTORE" sync --now 2>err;
	test $? = 1 &&
	grep -q "no wbstored is running" err
'

test_expect_success 'a second daemon for the same user is refused' '
	"$WBSTORED" --root "$SRC" 2>err;
	test $? = 1 &&
	grep -q "another wbstored answers on" err
'

test_expect_success '-n checks the configuration' '
	mkdir -p "$XDG_CONFIG_HOME/wbstore" &&
	printf "# test\nroot = %s/other # more\npoll_max = 5\n" "$TRASH" \
	    >"$XDG_CONFIG_HOME/wbstore/wbstore.conf" &&
	"$WBSTORED" -n >out &&
	grep -q "^configuration OK" out &&
	grep -q "^root $HOME/wandb (missing)" out &&
	grep -q "^root $TRASH/other (missing)" out &&
	printf "root = /x\nspeed = 3\n" >bad.conf &&
	"$WBSTORED" -n -c bad.conf 2>err;
	test $? = 1 &&
	grep -q "bad.conf:2: unknown key \"speed\"" err &&
	printf "grace = soon\n" >bad.conf &&
	"$WBSTORED" -n -c bad.conf 2>err;
	test $? = 1 &&
	grep -q "bad.conf:1: grace: \"soon\" is not a positive number" err &&
	"$WBSTORED" -n -c missing.conf 2>err;
	test $? = 1 &&
	grep -q "missing.conf: No such file" err &&
	printf "jobs = 2\nroot = /a\0b\n" >bad.conf &&
	"$WBSTORED" -n -c bad.conf 2>err;
	test $? = 1 &&
	grep -q "bad.conf:2: a NUL byte in the line" err &&
	{ printf "root = /"; head -c 5000 /dev/zero | tr "\\0" a; echo; } \
	    >bad.conf &&
	"$WBSTORED" -n -c bad.conf 2>err;
	test $? = 1 &&
	grep -q "bad.conf:1: line longer than 4096 bytes" err
'

# notify_listen: a datagram socket at $TRASH/notify writing what it gets
# to notify.log (for at most 120 s).
notify_listen() {
	python3 -c "
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); s.settimeout(1)
end = time.time() + 120
with open(sys.argv[2], \"a\") as f:
    print(\"listening\", file=f, flush=True)
    while time.time() < end:
        try: m = s.recv(4096)
        except socket.timeout: continue
        print(m.decode(), file=f, flush=True)
        if m == b\"STOPPING=1\": break
" "$TRASH/notify" "$TRASH/notify.log" >/dev/null 2>&1 </dev/null &
	test_wait_for 10 "test -s \"$TRASH/notify.log\""
}

test_expect_success 'SIGHUP: a root added to the configuration is watched' '
	daemon_stop &&
	printf "root = %s/other\ngrace = 1\n" "$TRASH" >watch.conf &&
	notify_listen &&
	NOTIFY_SOCKET=$TRASH/notify daemon_start --no-src -c "$TRASH/watch.conf" &&
	test_wait_for 10 "grep -q ^READY=1 notify.log" &&
	grep -q "^STATUS=0 runs" notify.log &&
	"$WBSTORE" status >st && grep -q "^root $TRASH/other: missing" st &&
	printf "root = %s/other\nroot = %s/third\n" "$TRASH" "$TRASH" \
	    >watch.conf &&
	mkdir -p "$TRASH/third" &&
	kill -HUP "$(cat "$TRASH/daemon.pid")" &&
	test_wait_for 10 "grep -q \"configuration reloaded: 3 roots\" daemon.log" &&
	mk "$TRASH/third" <<-\EOF &&
	open id=hup1 project=demo
	rows 20
	finish 0
	EOF
	test_wait_for 30 "test \"\$(relay_exit hup1)\" = 0" &&
	printf "root = \"%s/third\"\ngrace = never\n" "$TRASH" >watch.conf &&
	kill -HUP "$(cat "$TRASH/daemon.pid")" &&
	test_wait_for 10 "grep -q \"reload failed; keeping\" daemon.log" &&
	"$WBSTORE" status >st && grep -q "^root $TRASH/other" st &&
	grep -q "^RELOADING=1" notify.log
'

test_expect_success 'the watcher stops cleanly on SIGTERM' '
	daemon_stop &&
	test_wait_for 10 "grep -q ^STOPPING=1 notify.log" &&
	grep -q "stopped" daemon.log &&
	! test -e "$XDG_RUNTIME_DIR/wbstore/wbstored.sock"
'

test_expect_success 'relay mode still works as before' '
	relay_stop
'

test_done
