#!/usr/bin/env python3
"""relay-replay.py - replay recorded W&B client traffic against a relay.

    relay-replay.py [--key KEY] [--verbose] URL TRACE.jsonl...

Sends every request of each trace (one JSON object per line: method,
path, headers, body or body_text, the recorded reply) to the relay at URL,
in order, and checks each answer: a 2xx status, JSON where JSON is
expected, every field the recorded server answered present in the
relay's answer (recursively), and the fields the official client reads
(UpsertBucket, RunResumeStatus, CreateRunFiles, RunUploadUrls, probes)
with the right types.  Ids and upload URLs that the relay hands out
replace the recorded ones in later requests; condensed file_stream
content ({"_condensed": true, "n": N, ...}) is expanded to N lines.

Exit status 0 if every request passed, 1 otherwise; one line per failure.
"""
import base64
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

failures = []
verbose = False


def fail(where, msg):
    failures.append("%s: %s" % (where, msg))
    print("FAIL %s: %s" % (where, msg), file=sys.stderr)


def expand_condensed(c):
    """N history lines from the first and last ones of a condensed list."""
    first = [json.loads(x) for x in c["first"]]
    last = c["last"]
    n = c["n"]
    base = first[0]
    delta = {}
    if len(first) > 1:
        for k, v in first[1].items():
            if isinstance(v, (int, float)) and isinstance(base.get(k),
                                                          (int, float)):
                delta[k] = v - base[k]
    out = list(c["first"])
    for i in range(len(first), n - len(last)):
        line = {}
        for k, v in base.items():
            line[k] = v + i * delta[k] if k in delta else v
        line["_step"] = i
        out.append(json.dumps(line))
    return out + list(last)


def substitute(obj, ids):
    """Replace recorded ids (anywhere in strings) by the relay's."""
    if isinstance(obj, dict):
        return {k: substitute(v, ids) for k, v in obj.items()}
    if isinstance(obj, list):
        return [substitute(v, ids) for v in obj]
    if isinstance(obj, str) and obj in ids:
        return ids[obj]
    return obj


def learn(rec, ours, ids, urls):
    """Pair the recorded answer with ours: ids and upload URLs."""
    if isinstance(rec, dict) and isinstance(ours, dict):
        for k, v in rec.items():
            o = ours.get(k)
            if isinstance(v, str) and isinstance(o, str) and v != o:
                if k in ("uploadUrl", "url"):
                    urls[urllib.parse.urlsplit(v).path] = o
                elif k == "id" or k.endswith("ID"):
                    ids[v] = o
            else:
                learn(v, o, ids, urls)
    elif isinstance(rec, list) and isinstance(ours, list):
        for v, o in zip(rec, ours):
            learn(v, o, ids, urls)


# Fields a relay may leave null: it has no user accounts or e-mail.
NULL_OK = ("email",)


def covers(rec, ours, path):
    """Every key of the recorded answer is in ours (types compatible)."""
    if isinstance(rec, dict):
        if not isinstance(ours, dict):
            return "%s: expected an object, got %r" % (path, ours)
        for k, v in rec.items():
            if k not in ours:
                return "%s.%s is missing" % (path, k)
            err = covers(v, ours[k], path + "." + k)
            if err:
                return err
    elif isinstance(rec, list):
        if not isinstance(ours, list):
            return "%s: expected a list, got %r" % (path, ours)
        if rec and ours:
            return covers(rec[0], ours[0], path + "[0]")
    elif rec is not None and ours is None and \
            path.split(".")[-1] not in NULL_OK:
        return "%s is null, recorded %r" % (path, rec)
    return None


def is_json_text(s, kind):
    try:
        v = json.loads(s)
    except (TypeError, ValueError):
        return False
    return isinstance(v, kind)


def check_fields(op, req, data, where):
    """The fields the official client reads, with their types."""
    v = req.get("variables") or {}
    if op == "UpsertBucket":
        u = data["upsertBucket"]
        b = u["bucket"]
        assert isinstance(u["inserted"], bool)
        assert isinstance(b["id"], str) and b["id"]
        assert b["name"] == v["name"], (b["name"], v["name"])
        assert "displayName" in b and "sweepName" in b
        assert isinstance(b["project"]["name"], str)
        assert isinstance(b["project"]["entity"]["name"], str)
        assert isinstance(b["historyLineCount"], int)
        assert b["config"] is None or is_json_text(b["config"], dict)
    elif op == "RunResumeStatus":
        m = data["model"]
        assert isinstance(m["entity"]["name"], str)
        b = m["bucket"]
        if b is not None:
            for k in ("historyLineCount", "eventsLineCount",
                      "logLineCount"):
                assert isinstance(b[k], int), k
            for k in ("historyTail", "eventsTail"):
                tail = json.loads(b[k])
                assert isinstance(tail, list), k
                for line in tail:
                    assert is_json_text(line, dict), (k, line)
            for k in ("config", "summaryMetrics", "wandbConfig"):
                assert is_json_text(b[k], dict), k
            assert isinstance(b["tags"], list)
    elif op == "CreateRunFiles":
        c = data["createRunFiles"]
        assert isinstance(c["uploadHeaders"], list)
        assert [f["name"] for f in c["files"]] == v["files"]
        for f in c["files"]:
            assert f["uploadUrl"].startswith("http")
    elif op == "RunUploadUrls":
        b = data["model"]["bucket"]
        assert isinstance(b["files"]["uploadHeaders"], list)
        names = [e["node"]["name"] for e in b["files"]["edges"]]
        assert names == v["files"], names
    elif op == "RunStoppedStatus":
        assert isinstance(data["project"]["run"]["stopped"], bool)
    elif op.startswith("Probe"):
        for alias, t in data.items():
            assert isinstance(t.get("fields"), list), alias
            assert isinstance(t.get("inputFields"), list), alias


def send(base, method, path, body, headers, key):
    req = urllib.request.Request(base + path, data=body, method=method)
    for k, v in headers.items():
        req.add_header(k, v)
    if key is not None:
        tok = base64.b64encode(("api:" + key).encode()).decode()
        req.add_header("Authorization", "Basic " + tok)
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def replay_graphql(base, r, where, key, ids, urls):
    body = substitute(r["body"], ids)
    op = r.get("gql_op", "").split(" ")[-1]
    st, raw = send(base, "POST", "/graphql", json.dumps(body).encode(),
                   {"Content-Type": "application/json"}, key)
    if not 200 <= st < 300:
        return fail(where, "%s: HTTP %d %s" % (op, st, raw[:300]))
    ans = json.loads(raw)
    data = ans.get("data")
    if not isinstance(data, dict) or ans.get("errors"):
        return fail(where, "%s: no data: %s" % (op, raw[:300]))
    rec = (r.get("reply") or {}).get("data")
    if r.get("status") == 200 and rec is not None:
        err = covers(rec, data, "data")
        if err:
            return fail(where, "%s: %s" % (op, err))
        learn(rec, data, ids, urls)
    try:
        check_fields(op, body, data, where)
    except (AssertionError, KeyError, TypeError) as e:
        fail(where, "%s: field check failed: %r in %s" % (op, e,
                                                          raw[:400]))


def put_body(r):
    if r.get("body_text") is not None:
        return r["body_text"].encode()
    if r.get("body") is not None:
        return json.dumps(r["body"]).encode()
    return b"\x89PNG placeholder" + b"\0" * max(0, r.get("body_len", 0) - 16)


def replay_one(base, r, where, key, ids, urls):
    if r["path"] == "/graphql":
        return replay_graphql(base, r, where, key, ids, urls)
    if r["method"] == "PUT":
        path = urllib.parse.unquote(r["path"])
        url = urls.get(r["path"]) or urls.get(path)
        if url is None:
            return fail(where, "no upload URL was handed out for %s" %
                        r["path"])
        st, raw = send("", "PUT", url, put_body(r), {}, None)
        if not 200 <= st < 300:
            fail(where, "PUT %s: HTTP %d %s" % (path, st, raw[:300]))
        return
    body = r["body"]
    for f in (body.get("files") or {}).values():
        if isinstance(f.get("content"), dict) and \
                f["content"].get("_condensed"):
            f["content"] = expand_condensed(f["content"])
    st, raw = send(base, "POST", r["path"], json.dumps(body).encode(),
                   {"Content-Type": "application/json"}, key)
    if not 200 <= st < 300:
        return fail(where, "file_stream: HTTP %d %s" % (st, raw[:300]))
    if not isinstance(json.loads(raw), dict):
        fail(where, "file_stream answer is not a JSON object: %s" % raw)


def replay(base, trace, key):
    ids, urls = {}, {}
    recs = [json.loads(l) for l in open(trace) if l.strip()]
    recs.sort(key=lambda r: r["seq"])
    for r in recs:
        where = "%s #%d %s %s" % (trace.split("/")[-1], r["seq"],
                                  r["method"], r["path"])
        if verbose:
            print(where, file=sys.stderr)
        try:
            replay_one(base, r, where, key, ids, urls)
        except Exception as e:  # report and go on with the next request
            fail(where, "%s: %s" % (type(e).__name__, e))
    return len(recs)


def main(argv):
    global verbose
    key = None
    args = argv[1:]
    while args and args[0].startswith("--"):
        if args[0] == "--key":
            key = args[1]
            args = args[2:]
        elif args[0] == "--verbose":
            verbose = True
            args = args[1:]
        else:
            print(__doc__, file=sys.stderr)
            return 2
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    n = 0
    for t in args[1:]:
        n += replay(args[0].rstrip("/"), t, key)
    print("%d requests replayed, %d failed" % (n, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
