# t2lib-sync.sh - helpers for the sync engine's end-to-end tests (sourced
# after test-lib.sh).  Journals come from t/helpers/mkrun; the server is a
# real wbstored on 127.0.0.1 (the relay's helpers start and stop it); what
# it stored is read back with relay-dump and wbstore show --json and
# compared with the source journal.

. "$WBS_SRCDIR/t/e2e/t1lib-relay.sh"
unset WBS_TEST_OFFLOAD_MIN

MKRUN=$WBS_BUILDDIR/t/helpers/mkrun
KEY=k_0123456789012345678901234567890123456789
export MKRUN

command -v python3 >/dev/null || test_skip_all "python3 is not installed"
test -x "$WBSTORED" || test_skip_all "wbstored is not built"
test -x "$RELAY_DUMP" || test_skip_all "relay-dump is not built"

# mk DIR: write a journal under DIR from the script on stdin.
mk() {
	mkdir -p "$1" && (cd "$1" && "$MKRUN")
}

# relay_start_ts [ARGS...]: relay_start, each log line stamped with the
# time it was written ("SECONDS wbstored: ..." in relay.log).
relay_start_ts() {
	rm -f "$TRASH/port" "$TRASH/relay.pid" "$TRASH/relay.status" \
	    "$TRASH/stamp.ready"
	(
		(
			"$WBSTORED" --listen 127.0.0.1:0 --store "$STORE" \
			    --port-file "$TRASH/port" "$@" &
			echo $! >"$TRASH/relay.pid"
			wait $!
			echo $? >"$TRASH/relay.status"
		) 2>&1 </dev/null | python3 -u -c '
import sys, time
open(sys.argv[1], "w").close()
for l in sys.stdin:
    sys.stdout.write("%.3f %s" % (time.time(), l))' "$TRASH/stamp.ready"
	) >>"$TRASH/relay.log" 2>&1 &
	test_wait_for 60 '(test -s "$TRASH/port" && test -e "$TRASH/stamp.ready") ||
	    test -s "$TRASH/relay.status"'
	test -s "$TRASH/port"
}

# fault_times PATTERN: times (s) of the relay's fault lines matching it.
fault_times() {
	grep "wbstored: fault: .*$1" "$TRASH/relay.log" | cut -d" " -f1
}

# use_relay: point W&B's variables at the running relay.
use_relay() {
	WANDB_BASE_URL=$(relay_url)
	WANDB_API_KEY=$KEY
	export WANDB_BASE_URL WANDB_API_KEY
}

# wsync ARGS...: wbstore sync against the running relay.
wsync() {
	use_relay && wbstore sync "$@"
}

# rundir DIR ID: the run directory of ID under DIR/wandb.
rundir() {
	echo "$1"/wandb/*run-*-"$2"
}

# relay_run ID: the relay's copy of run ID.
relay_run() {
	echo "$STORE"/wandb/*run-*-"$1"
}

# Python helpers: read journals back and compare them.
SYNC_PY='
import json, math, os, subprocess, sys, glob
DUMP = os.environ["RELAY_DUMP"]
SKIP = ("_timestamp", "_runtime", "_step")
def dump(path):
    o = subprocess.run([DUMP, path], capture_output=True, text=True,
                       check=True).stdout
    return [json.loads(l) for l in o.splitlines()]
def norm(v):
    if isinstance(v, float) and math.isnan(v): return "NaN"
    if isinstance(v, dict) and set(v) == {"json"}:
        return norm(json.loads(v["json"]))
    if isinstance(v, dict): return {k: norm(x) for k, x in v.items()}
    if isinstance(v, list): return [norm(x) for x in v]
    return v
def items(d, sep=False):
    out = {}
    for k, v in d.items():
        if k in SKIP: continue
        if sep: k = k.replace("\x1f", ".")
        out[k] = norm(v)
    return out
def rows(recs):
    """History rows by the journal row rule: same step, commit ends."""
    out, cur = [], None
    for r in recs:
        if r["type"] in ("run", "exit") and cur is not None:
            out.append(cur); cur = None
        if r["type"] != "history": continue
        if cur is not None and r["step"] != cur[0]:
            out.append(cur); cur = None
        if cur is None: cur = (r["step"], {})
        cur[1].update(r["items"])
        if r.get("commit"):
            out.append(cur); cur = None
    if cur is not None: out.append(cur)
    return [(s, items(i)) for s, i in out]
def render(recs, switch_ends=True):
    """Console records as a terminal shows them: (stream, text) lines."""
    lines, cur, cr = [], 0, False
    for r in recs:
        if r["type"] == "run" and switch_ends and lines and \
           cur == len(lines) - 1 and lines[cur][1]:
            cur += 1; cr = False
        if r["type"] != "console": continue
        t, st = r["text"], r["stream"]
        if switch_ends and lines and cur == len(lines) - 1 and \
           lines[cur][1] and lines[cur][0] != st:
            cur += 1; cr = False
        i = 0
        while i < len(t):
            c = t[i]
            if c == "\x1b" and t[i + 1:i + 2] == "[":
                j = i + 2
                while j < len(t) and t[j].isdigit(): j += 1
                n, op = int(t[i + 2:j] or 1), t[j:j + 1]
                if op == "A": cur -= n
                elif op == "B": cur += n
                i = j + 1; continue
            if c == "\n":
                while len(lines) <= cur: lines.append([st, ""])
                cur += 1; cr = False
            elif c == "\r":
                cr = True
            else:
                while len(lines) <= cur: lines.append([st, ""])
                if cr: lines[cur] = [st, ""]; cr = False
                if lines[cur][1] == "": lines[cur][0] = st
                lines[cur][1] += c
            i += 1
    return [tuple(l) for l in lines]
def stats(recs):
    return [items(r["items"], True) for r in recs if r["type"] == "stats"]
def show(path):
    o = subprocess.run([os.environ["WBSTORE"], "show", "--json", path],
                       capture_output=True, text=True, check=True).stdout
    return json.loads(o)
def check(a, b, what):
    if a != b:
        print("%s differ:\n  source: %r\n  relay:  %r" % (what, a, b))
        sys.exit(1)
def same_run(src, dst, shift=0, hist=0, con=0, ev=0, attrs=True):
    """The relay copy dst holds what the journal src holds, its lines
    from offsets hist, con and ev on, its steps shifted by shift."""
    s, d = dump(src), dump(dst)
    check([(st + shift, i) for st, i in rows(s)], rows(d)[hist:],
          "history rows")
    check(render(s), render(d, False)[con:], "console lines")
    check(stats(s), stats(d)[ev:], "stats")
    if not attrs: return
    a, b = show(src), show(dst)
    for k in ("name", "notes", "group", "job_type", "tags", "state",
              "exit_code"):
        check(a[k], b[k], k)
    bc = dict(b["config"]); bc.pop("_wandb", None)
    check(norm(a["config"]), norm(bc), "config")
'
export WBSTORE

# py_sync: python3 with the helpers above, script on stdin.
py_sync() {
	python3 -c "$SYNC_PY
$(cat)"
}
