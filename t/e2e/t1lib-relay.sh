# t1lib-relay.sh - helpers for the relay's end-to-end tests (sourced after
# test-lib.sh).  A real wbstored listens on 127.0.0.1 on a port the kernel
# picks; requests go through curl; JSON is built and checked with python3.

STORE=$TRASH/store
RELAY_DUMP=$WBS_BUILDDIR/t/helpers/relay-dump

# The relay's own tests send every file_stream body, however small,
# through its decoding threads (the default keeps bodies under 16 KiB on
# the main thread); the sync and daemon tests (t2lib-sync.sh) keep the
# default.  `--threads 0` decodes all of them on the main thread.
WBS_TEST_OFFLOAD_MIN=0
export WBS_TEST_OFFLOAD_MIN

# relay_start [ARGS...]: start wbstored on a free port with store $STORE.
# It runs under a subshell that records its exit status in relay.status,
# so that any later test (each runs in its own subshell) can stop it.
relay_start() {
	rm -f "$TRASH/port" "$TRASH/relay.pid" "$TRASH/relay.status"
	(
		if [ "${WBS_VALGRIND:-0}" = 1 ]; then
			"$WBS_BUILDDIR/libtool" --mode=execute valgrind -q \
			    --error-exitcode=99 --leak-check=full \
			    --errors-for-leak-kinds=definite "$WBSTORED" \
			    --listen 127.0.0.1:0 --store "$STORE" \
			    --port-file "$TRASH/port" "$@" &
		else
			"$WBSTORED" --listen 127.0.0.1:0 --store "$STORE" \
			    --port-file "$TRASH/port" "$@" &
		fi
		echo $! >"$TRASH/relay.pid"
		wait $!
		echo $? >"$TRASH/relay.status"
	) </dev/null >>"$TRASH/relay.log" 2>&1 &
	test_wait_for 60 'test -s "$TRASH/port" || test -s "$TRASH/relay.status"'
	test -s "$TRASH/port"
}

relay_url() {
	echo "http://127.0.0.1:$(cat "$TRASH/port")"
}

# relay_stop: SIGTERM, wait (bounded), and require a clean exit.
relay_stop() {
	test -s "$TRASH/relay.pid" || return 0
	kill -TERM "$(cat "$TRASH/relay.pid")" 2>/dev/null
	test_wait_for 60 'test -s "$TRASH/relay.status"' || return 1
	rm -f "$TRASH/relay.pid"
	st=$(cat "$TRASH/relay.status")
	[ "$st" = 0 ] || { echo "wbstored exited with $st" >&2; return 1; }
}

# relay_kill9: kill -9 (a crash); wait until it is gone.
relay_kill9() {
	test -s "$TRASH/relay.pid" || return 0
	kill -KILL "$(cat "$TRASH/relay.pid")" 2>/dev/null
	test_wait_for 60 'test -s "$TRASH/relay.status"'
	rm -f "$TRASH/relay.pid"
}

test_at_end 'relay_kill9'

# post PATH FILE: POST FILE; the body goes to out.json, the status to stdout.
post() {
	curl -sS -o "$TRASH/out.json" -w '%{http_code}' --max-time 60 \
	    -H 'Content-Type: application/json' --data-binary "@$2" \
	    ${CURL_AUTH:+-u "$CURL_AUTH"} "$(relay_url)$1"
}

# gql FILE: POST a GraphQL request.
gql() {
	post /graphql "$1"
}

# fs RUN FILE [PROJECT [ENTITY]]: POST a file_stream request.
fs() {
	post "/files/${4:-wbstore}/${3:-demo}/$1/file_stream" "$2"
}

# py: run python3 on stdin with the helpers of relay_py below.
py() {
	python3 -c "$RELAY_PY
$(cat)"
}

# Python helpers shared by the tests: request builders and checks.
RELAY_PY='
import json, os, sys, glob
T = os.environ["TRASH"]
URL = "http://127.0.0.1:" + open(T + "/port").read().strip() \
    if os.path.exists(T + "/port") else None
def out(): return json.load(open(T + "/out.json"))
def write(name, obj): open(T + "/" + name, "w").write(json.dumps(obj))
def upsert(name, run, project="demo", entity=None, config=None, **kw):
    v = {"name": run, "project": project, "entity": entity}
    if config is not None:
        v["config"] = json.dumps({k: {"desc": None, "value": x}
                                  for k, x in config.items()})
    v.update(kw)
    write(name, {"query": "mutation UpsertBucket($name: String) "
                 "{ upsertBucket { bucket { id } inserted } }",
                 "variables": v})
def op(name, opname, **v):
    write(name, {"query": "query %s { x }" % opname, "variables": v})
def stream(name, files=None, **top):
    body = dict(top)
    if files is not None:
        body["files"] = {f: {"offset": off, "content": [
            c if isinstance(c, str) else json.dumps(c) for c in content]}
            for f, (off, content) in files.items()}
    write(name, body)
def hist(step, **items):
    d = dict(items)
    d.update({"_step": step, "_runtime": step * 0.5,
              "_timestamp": 1795423913.0 + step})
    return json.dumps(d)
def rundir(run):
    d = [p for p in glob.glob(T + "/store/wandb/*run-*-" + run)]
    assert len(d) == 1, (run, d)
    return d[0]
def dump(run):
    import subprocess
    o = subprocess.run([os.environ["RELAY_DUMP"], rundir(run)],
                       capture_output=True, text=True, check=True).stdout
    return [json.loads(l) for l in o.splitlines()]
def recs(run, t):
    return [r for r in dump(run) if r["type"] == t]
'
export RELAY_DUMP TRASH
