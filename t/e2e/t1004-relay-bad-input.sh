#!/bin/sh
# The relay and bad input: each gets a 4xx with a JSON error naming the
# problem, the relay keeps serving, and no stored run changes.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"
. "$WBS_SRCDIR/t/e2e/t1lib-relay.sh"

command -v curl >/dev/null || test_skip_all "curl is not installed"

# raw ENDPOINT DATA [CURL ARGS...]: POST DATA as is; status to stdout.
raw() {
	ep=$1
	data=$2
	shift 2
	printf '%s' "$data" >raw.body
	curl -sS -o out.json -D hdr -w '%{http_code}' --max-time 60 \
	    --data-binary @raw.body "$@" "$(relay_url)$ep"
}

# expect CODE PATTERN: the last answer had this status and message.
expect() {
	test "$st" = "$1" || { echo "status $st, expected $1" >&2; return 1; }
	grep -e "$2" out.json || { echo "no match for $2 in:" >&2; cat out.json >&2; return 1; }
}

# unchanged: the run r1 is what it was after setup, the relay answers.
unchanged() {
	"$RELAY_DUMP" store/wandb/*r1 >after.dump &&
	test_cmp before.dump after.dump &&
	curl -sS --max-time 5 "$(relay_url)/healthz" | grep -q ok
}

FS=/files/wbstore/demo/r1/file_stream

# in_order: a request with several faults gets the first of: the run,
# the envelope, the offsets against the run's lines, the lines.
in_order() {
	H=wandb-history.jsonl &&
	st=$(raw /files/wbstore/demo/nope/file_stream "{\"files\": ") &&
	expect 404 "run nope does not exist" &&
	st=$(raw $FS "{\"files\": {\"$H\": {\"offset\": 9, \"content\": [5]}}, \"complete\": 1}") &&
	expect 400 "complete must be true or false" &&
	st=$(raw $FS "{\"files\": {\"$H\": {\"offset\": 9, \"content\": [5]}}}") &&
	expect 400 "offset 9 leaves a gap" &&
	st=$(raw $FS "{\"files\": {\"$H\": {\"offset\": 3, \"content\": [\"{}\", 5]}}}") &&
	expect 400 "line at offset 4 is not a string" &&
	unchanged
}

test_expect_success 'setup: run r1 with 3 history lines' '
	relay_start --max-upload 1000 &&
	py <<-\EOF &&
	upsert("u.json", "r1", config={"lr": 1})
	stream("b.json", {"wandb-history.jsonl": (0, [hist(i, loss=1.0)
	    for i in range(3)])})
	EOF
	test "$(gql u.json)" = 200 && test "$(fs r1 b.json)" = 200 &&
	"$RELAY_DUMP" store/wandb/*r1 >before.dump
'

test_expect_success 'GraphQL: malformed and misshapen requests' '
	st=$(raw /graphql "{\"query\": ") &&
	expect 400 "request body is not JSON" &&
	st=$(raw /graphql "[1, 2]") &&
	expect 400 "must be a JSON object" &&
	st=$(raw /graphql "{\"variables\": {}}") &&
	expect 400 "no \\\\\"query\\\\\" string" &&
	st=$(raw /graphql "{\"query\": \"query Viewer { x }\", \"variables\": [1]}") &&
	expect 400 "must be an object, not an array" &&
	st=$(raw /graphql "{\"query\": \"{ viewer { id } }\"}") &&
	expect 400 "needs named operations" &&
	grep "\"errors\":\\[{\"message\":" out.json &&
	unchanged
'

test_expect_success 'GraphQL: an unknown operation is named' '
	st=$(raw /graphql "{\"query\": \"mutation DeleteEverything { x }\"}") &&
	expect 400 "operation \\\\\"DeleteEverything\\\\\" is not supported" &&
	unchanged
'

test_expect_success 'GraphQL: wrong variable types and invalid names' '
	py <<-\EOF &&
	upsert("v1.json", 5)
	upsert("v2.json", "x:y")
	upsert("v3.json", "ok1", project="a/b")
	upsert("v4.json", "r1", tags="notalist")
	write("v5.json", {"query": "mutation UpsertBucket { x }",
	    "variables": {"name": "r1", "project": "demo",
	    "config": "{not json"}})
	write("v6.json", {"query": "mutation UpsertBucket { x }",
	    "variables": {"name": "r1", "project": "demo",
	    "config": json.dumps({"lr": 5})}})
	upsert("v7.json", "r1", project="other")
	upsert("v8.json", "r1", displayName="renamed", tags=["t"],
	    notes="n", host="h2", config={"lr": 2})
	d = json.load(open(T + "/v8.json"))
	d["variables"]["config"] = d["variables"]["config"][:-3]
	write("v8.json", d)
	upsert("v9.json", "r1", displayName="renamed", summaryMetrics="{\"a\": }")
	upsert("v10.json", "r1", displayName="renamed", tags=["ok", "x" * 65])
	EOF
	st=$(gql v1.json) && expect 400 "variable \$name must be a string, not a number" &&
	st=$(gql v2.json) && expect 400 "contains one of the characters" &&
	st=$(gql v3.json) && expect 400 "project name" &&
	st=$(gql v4.json) && expect 400 "\$tags must be a list of strings" &&
	st=$(gql v5.json) && expect 400 "config: invalid JSON" &&
	st=$(gql v6.json) && expect 400 "config entries must be objects" &&
	st=$(gql v7.json) && expect 400 "run id r1 is already used by wbstore/demo" &&
	st=$(gql v8.json) && expect 400 "config: invalid JSON" &&
	st=$(gql v9.json) && expect 400 "summaryMetrics: wandb-summary.json: invalid JSON" &&
	st=$(gql v10.json) && expect 400 "\$tags\[1\] .* has 65 characters" &&
	! ls -d store/wandb/*ok1 2>/dev/null &&
	unchanged
'

test_expect_success 'GraphQL: unsafe file names for CreateRunFiles' '
	for name in ../x /etc/passwd "a//b" "a/./b" ""; do
		py <<-EOF &&
		write("cf.json", {"query": "mutation CreateRunFiles { x }",
		    "variables": {"entity": "wbstore", "project": "demo",
		    "run": "r1", "files": ["ok.txt", "$name"]}})
		EOF
		st=$(gql cf.json) && expect 400 "files\\[1\\]: file name" ||
		    exit 1
	done &&
	py <<-\EOF &&
	write("cf.json", {"query": "mutation CreateRunFiles { x }",
	    "variables": {"entity": "wbstore", "project": "demo",
	    "run": "r1", "files": ["ok.txt", "a\u0000b"]}})
	EOF
	st=$(gql cf.json) && expect 400 "u0000 (NUL), which names and values may not" &&
	unchanged
'

test_expect_success 'bodies over the limit get 413' '
	head -c 17000000 /dev/zero | tr "\0" "a" >big &&
	st=$(curl -sS -o out.json -w "%{http_code}" --data-binary @big \
	    "$(relay_url)/graphql") &&
	expect 413 "over the limit of 16777216 bytes" &&
	st=$(curl -sS -o out.json -w "%{http_code}" --data-binary @big \
	    -H "Transfer-Encoding: chunked" "$(relay_url)$FS") &&
	expect 413 "over the limit of 16777216 bytes" &&
	unchanged
'

test_expect_success 'file_stream: malformed envelopes' '
	st=$(raw $FS "{\"files\": ") && expect 400 "malformed JSON" &&
	st=$(raw $FS "[]") && expect 400 "must be a JSON object" &&
	st=$(raw $FS "{\"files\": []}") && expect 400 "\\\\\"files\\\\\" must be an object" &&
	st=$(raw $FS "{\"files\": {\"foo.txt\": {\"offset\": 0, \"content\": []}}}") &&
	expect 400 "unknown file \\\\\"foo.txt\\\\\"" &&
	st=$(raw $FS "{\"complete\": \"yes\"}") && expect 400 "complete must be true or false" &&
	st=$(raw $FS "{\"exitcode\": \"x\"}") && expect 400 "exitcode must be an integer" &&
	st=$(raw $FS "{\"uploaded\": [1]}") && expect 400 "uploaded must be an array" &&
	st=$(raw $FS "{\"files\": {\"output.log\": {\"content\": [\"x\"]}}}") &&
	expect 400 "files.output.log has no offset" &&
	st=$(raw $FS "{\"files\": {\"output.log\": {\"offset\": 0}}}") &&
	expect 400 "files.output.log has no content" &&
	st=$(raw $FS "{\"files\": {}, \"files\": {}}") &&
	expect 400 "\\\\\"files\\\\\" given twice" &&
	st=$(raw $FS "{\"files\": {\"wandb-history.jsonl\": {\"offset\": 3, \"content\": [\"{}\"]}, \"wandb-history.jsonl\": {\"offset\": 3, \"content\": [\"{}\"]}}}") &&
	expect 400 "file wandb-history.jsonl given twice" &&
	printf "{\"files\": \\376}" >fe.body &&
	st=$(curl -sS -o out.json -w "%{http_code}" --data-binary @fe.body \
	    "$(relay_url)$FS") && expect 400 "unexpected byte 0xFE" &&
	python3 -c "import json; json.load(open(\"out.json\"))" &&
	unchanged
'

test_expect_success 'file_stream: negative, absurd and gapped offsets' '
	H=wandb-history.jsonl &&
	st=$(raw $FS "{\"files\": {\"$H\": {\"offset\": -1, \"content\": []}}}") &&
	expect 400 "offset must be a non-negative integer" &&
	st=$(raw $FS "{\"files\": {\"$H\": {\"offset\": 1e30, \"content\": []}}}") &&
	expect 400 "offset must be a non-negative integer" &&
	st=$(raw $FS "{\"files\": {\"$H\": {\"offset\": 99999999999999999999, \"content\": []}}}") &&
	expect 400 "offset must be a non-negative integer" &&
	st=$(raw $FS "{\"files\": {\"$H\": {\"offset\": 9000000000000, \"content\": [\"{}\"]}}}") &&
	expect 400 "offset 9000000000000 leaves a gap: run r1 has 3 lines" &&
	unchanged
'

test_expect_success 'file_stream: bad lines are named, nothing is stored' '
	py <<-\EOF &&
	good = hist(3, loss=1.0)
	cases = {
	    "l1": [good, 5],
	    "l2": [good, "[1]"],
	    "l3": [good, "{\"a\": }"],
	    "l4": [good, json.dumps({"_step": -1})],
	    "l5": [good, json.dumps({"_step": "x"})],
	    "l6": [good, json.dumps({"": 1})],
	    "l7": [good, json.dumps({"a\u0001b": 1})],
	    "l8": [good, json.dumps({"s": "x" * (1 << 20 | 1)})],
	    "l9": [good, "{\"a\": 1} trailing"],
	}
	for name, content in cases.items():
	    write(name + ".json", {"files": {"wandb-history.jsonl":
	        {"offset": 3, "content": content}}})
	EOF
	st=$(fs r1 l1.json) && expect 400 "line at offset 4 is not a string" &&
	st=$(fs r1 l2.json) && expect 400 "offset 4: a line must be a JSON object" &&
	st=$(fs r1 l3.json) && expect 400 "offset 4: invalid JSON" &&
	st=$(fs r1 l4.json) && expect 400 "_step.*negative" &&
	st=$(fs r1 l5.json) && expect 400 "_step.*not a number" &&
	st=$(fs r1 l6.json) && expect 400 "an empty key is not allowed" &&
	st=$(fs r1 l7.json) && expect 400 "control character 0x01" &&
	st=$(fs r1 l8.json) && expect 400 "over the 1 MiB limit" &&
	st=$(fs r1 l9.json) && expect 400 "text after the end" &&
	unchanged
'

test_expect_success 'file_stream: bad encodings, unknown and invalid runs' '
	printf "not gzip at all" >bad.gz &&
	st=$(curl -sS -o out.json -w "%{http_code}" -H "Content-Encoding: gzip" \
	    --data-binary @bad.gz "$(relay_url)$FS") &&
	expect 400 "gzip body is corrupt" &&
	head -c 20000000 /dev/zero | gzip -c >bomb.gz &&
	st=$(curl -sS -o out.json -w "%{http_code}" -H "Content-Encoding: gzip" \
	    --data-binary @bomb.gz "$(relay_url)$FS") &&
	expect 413 "inflates to over" &&
	st=$(raw $FS "{}" -H "Content-Encoding: br") &&
	expect 415 "Content-Encoding \\\\\"br\\\\\" is not supported" &&
	st=$(raw /files/wbstore/demo/nope/file_stream "{}") &&
	expect 404 "run nope does not exist" &&
	st=$(raw /files/wbstore/other/r1/file_stream "{}") &&
	expect 404 "run r1 is not in wbstore/other" &&
	st=$(raw "/files/wbstore/demo/a%3Bb/file_stream" "{}") &&
	expect 400 "run id" &&
	st=$(raw /files/wbstore/demo/r1/other_stream "{}") &&
	expect 404 "no such endpoint" &&
	unchanged
'

test_expect_success 'file_stream: several faults, the first one answered' '
	in_order
'

test_expect_success 'the same, decoded on the main thread (--threads 0)' '
	relay_stop && relay_start --max-upload 1000 --threads 0 &&
	grep "0 decoding threads" relay.log &&
	in_order &&
	st=$(fs r1 l3.json) && expect 400 "offset 4: invalid JSON" &&
	unchanged
'

# After the restart r1 has no writer open: a refused alert must not open
# one (that records a new session) before it is refused.
test_expect_success 'a refused alert leaves a run without a writer as it was' '
	st=$(raw /graphql "{\"query\": \"mutation NotifyScriptableRunAlert { x }\", \"variables\": {\"entityName\": \"wbstore\", \"projectName\": \"demo\", \"runName\": \"r1\", \"title\": \"t\", \"text\": \"x\", \"severity\": \"WAVN\"}}") &&
	expect 400 "alert level .*WAVN.* is not INFO, WARN or ERROR" &&
	unchanged
'

test_expect_success 'uploads: traversal, absolute names, NUL, limits' '
	py <<-\EOF &&
	write("cf.json", {"query": "mutation CreateRunFiles { x }",
	    "variables": {"entity": "wbstore", "project": "demo", "run": "r1",
	    "files": ["ok.txt"]}})
	EOF
	test "$(gql cf.json)" = 200 &&
	u=$(py <<-\EOF
	print(out()["data"]["createRunFiles"]["files"][0]["uploadUrl"])
	EOF
	) &&
	base=${u%/ok.txt} &&
	echo x >f.txt &&
	for bad in "../../../../escape.txt" "/etc/passwd" "a/../../b" \
	    "a%00b.txt" "./x"; do
		st=$(curl -sS --path-as-is -o out.json -w "%{http_code}" \
		    -T f.txt "$base/$bad") &&
		expect 400 "file name" || exit 1
	done &&
	! find "$TRASH" -name escape.txt | grep . &&
	head -c 2000 /dev/zero >two-k &&
	st=$(curl -sS -o out.json -w "%{http_code}" -T two-k "$u") &&
	expect 413 "over the limit of 1000 bytes" &&
	st=$(curl -sS -o out.json -w "%{http_code}" -T two-k \
	    -H "Transfer-Encoding: chunked" "$u") &&
	expect 413 "over the limit of 1000 bytes" &&
	! test -e store/wandb/*r1/files/ok.txt &&
	st=$(curl -sS -o out.json -w "%{http_code}" -d x "$u") &&
	expect 405 "uploads take PUT" &&
	st=$(curl -sS -o out.json -w "%{http_code}" -T f.txt \
	    "$(relay_url)/artifact-upload/00000000000000000000000000000000/x") &&
	expect 403 "no artifact for this upload token" &&
	unchanged
'

test_expect_success 'keys: a file others can read is refused' '
	relay_stop &&
	echo "secret-key-0123456789-0123456789-0123456789" >keys &&
	chmod 644 keys &&
	{ "$WBSTORED" -n --store "$STORE" --keys keys 2>err; test $? = 1; } &&
	grep "keys file keys is accessible by others (mode 0644)" err &&
	chmod 600 keys &&
	"$WBSTORED" -n --store "$STORE" --keys keys --listen 0.0.0.0:0 &&
	printf "# none\n\n" >empty && chmod 600 empty &&
	{ "$WBSTORED" -n --store "$STORE" --keys empty 2>err; test $? = 1; } &&
	grep "has no keys" err
'

test_expect_success 'keys: missing or wrong credentials get 401' '
	relay_start --keys keys &&
	st=$(raw /graphql "{\"query\": \"query Viewer { x }\"}") &&
	expect 401 "credentials missing" &&
	grep -i "^WWW-Authenticate: Basic" hdr &&
	st=$(raw /graphql "{}" -u api:wrong-key) &&
	expect 401 "credentials rejected" &&
	st=$(raw /graphql "{}" -u notapi:secret-key-0123456789-0123456789-0123456789) &&
	expect 401 "credentials rejected" &&
	st=$(raw $FS "{}" -H "Authorization: Bearer x") &&
	expect 401 "credentials rejected" &&
	st=$(raw $FS "{}" -u api:secret-key-0123456789-0123456789-0123456789) &&
	test "$st" = 200 &&
	CURL_AUTH=api:secret-key-0123456789-0123456789-0123456789 &&
	export CURL_AUTH &&
	test "$(gql u.json)" = 200 &&
	unchanged
'

test_expect_success 'the store is intact and verifies' '
	relay_stop &&
	WANDB_DIR=$STORE wbstore verify r1
'

test_done
