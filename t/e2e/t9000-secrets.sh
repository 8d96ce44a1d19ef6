#!/bin/sh
# Security: the API key never shows up in anything the programs write
# (standard output and error, the relay's log and store, the journal) nor
# in any process's command line while a sync runs; a wrong key is refused
# without being echoed; TLS certificates are verified unless --insecure is
# given, and then loudly; the relay's key file must be private.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"
. "$WBS_SRCDIR/t/e2e/t2lib-sync.sh"

SRC=$TRASH/src
# Distinctive keys, so that a grep cannot match by accident.
GOOD=k_secret_9f8e7d6c5b4a39281706f5e4d3c2b1a0ffeeddcc
BAD=k_wrong_0a1b2c3d4e5f60718293a4b5c6d7e8f9aabbccdd

# scan_cmdlines OUT: record every process's command line until the file
# "stop" appears (bounded: at most 60 s).
scan_cmdlines() {
	: >"$1"
	n=0
	while [ ! -e "$TRASH/stop" ] && [ $n -lt 6000 ]; do
		for f in /proc/[0-9]*/cmdline; do
			tr '\0' ' ' <"$f" 2>/dev/null
			echo
		done >>"$1"
		n=$((n + 1))
		sleep 0.01
	done
}

# must_fail CMD...: CMD fails with an error status, not by a signal.
must_fail() {
	"$@"
	rc=$?
	[ "$rc" -ge 1 ] && [ "$rc" -lt 128 ] && [ "$rc" != 99 ]
}

# no_key FILE...: none of the files holds either key.
no_key() {
	for f in "$@"; do
		if grep -a -l -e "$GOOD" -e "$BAD" "$f"; then
			echo "a key appears in $f" >&2
			return 1
		fi
	done
}

test_expect_success 'setup: a relay with a private key file and a run' '
	printf "%s\n" "$GOOD" >keys &&
	chmod 600 keys &&
	relay_start --keys keys &&
	mk "$SRC" <<-\EOF
	open id=sec1 project=demo entity=ent
	config lr=0.1
	log loss=1
	log loss=0.5
	console stdout "hello\n"
	file a.txt now content="a"
	finish 0
	EOF
'

test_expect_success 'a readable key file is refused by the relay' '
	printf "%s\n" "$GOOD" >keys2 &&
	chmod 644 keys2 &&
	must_fail "$WBSTORED" -n --listen 127.0.0.1:0 --store st2 \
	    --keys keys2 2>err &&
	grep -i "keys2" err &&
	no_key err
'

test_expect_success 'a sync with the right key: no key in argv or output' '
	rm -f stop &&
	(scan_cmdlines cmdlines) &
	scanner=$! &&
	(export WANDB_BASE_URL=$(relay_url) WANDB_API_KEY=$GOOD &&
	    wbstore sync "$SRC" >out 2>err);
	rc=$? &&
	touch stop && wait $scanner &&
	test "$rc" = 0 &&
	grep -c . cmdlines &&
	grep -a "sync" cmdlines >/dev/null &&
	no_key cmdlines out err
'

test_expect_success 'a wrong key: a credentials error that does not echo it' '
	mk src2 <<-\EOF &&
	open id=sec2 project=demo entity=ent
	log loss=1
	finish 0
	EOF
	(export WANDB_BASE_URL=$(relay_url) WANDB_API_KEY=$BAD &&
	    must_fail wbstore sync src2 >out2 2>err2) &&
	grep -i "credential\|api key\|401\|unauthori" err2 out2 &&
	no_key out2 err2
'

test_expect_success 'the key from ~/.netrc works and stays out of output' '
	mk src3 <<-\EOF &&
	open id=sec3 project=demo entity=ent
	log loss=1
	finish 0
	EOF
	printf "machine 127.0.0.1 login user password %s\n" "$GOOD" \
	    >"$HOME/.netrc" &&
	chmod 600 "$HOME/.netrc" &&
	(export WANDB_BASE_URL=$(relay_url) &&
	    wbstore sync src3 >out3 2>err3) &&
	no_key out3 err3 &&
	rm -f "$HOME/.netrc"
'

test_expect_success 'nothing the relay or the journals hold has a key' '
	relay_stop &&
	no_key relay.log &&
	find "$STORE" "$SRC" src2 src3 -type f >files &&
	test -s files &&
	while read -r f; do no_key "$f" || exit 1; done <files
'

# A TLS server with a self-signed certificate: the sync must refuse it,
# and get through the handshake only with --insecure (and say so loudly).
test_expect_success 'TLS: a self-signed certificate is refused by default' '
	command -v openssl >/dev/null || { echo "openssl missing" >&2; exit 1; }
	openssl req -x509 -newkey rsa:2048 -nodes -keyout tls.key \
	    -out tls.crt -days 1 -subj /CN=127.0.0.1 2>/dev/null &&
	port=$(python3 -c "import socket; s=socket.socket(); \
s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])") &&
	echo "$port" >tls.port &&
	(timeout 120 openssl s_server -quiet -key tls.key -cert tls.crt \
	    -accept "127.0.0.1:$port" -www </dev/null >tls.log 2>&1 &
	 echo $! >tls.pid) &&
	test_wait_for 30 "python3 -c \"import socket; \
socket.create_connection((\\\"127.0.0.1\\\", $port), 1)\"" &&
	mk src4 <<-\EOF &&
	open id=sec4 project=demo entity=ent
	log loss=1
	finish 0
	EOF
	(export WANDB_BASE_URL=https://127.0.0.1:$port WANDB_API_KEY=$GOOD &&
	    must_fail wbstore sync --retries 0 --timeout 10 src4 \
	    >out4 2>err4) &&
	grep -i "certificate\|SSL\|TLS" err4 out4 &&
	no_key out4 err4
'

test_expect_success 'TLS: --insecure gets past the certificate, loudly' '
	port=$(cat tls.port) &&
	(export WANDB_BASE_URL=https://127.0.0.1:$port WANDB_API_KEY=$GOOD &&
	    wbstore sync --insecure --retries 0 --timeout 10 src4 \
	    >out5 2>err5);
	grep "WARNING: --insecure" err5 &&
	! grep -i "certificate verify\|self.signed" err5 out5 &&
	no_key out5 err5;
	rc=$?;
	kill "$(cat tls.pid)" 2>/dev/null;
	exit $rc
'

test_done
