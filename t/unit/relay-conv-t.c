/*
 * relay-conv-t.c - the relay's conversions of W&B lines and configs to
 * items, its console line forms, key sets, fault rules, API keys and
 * storage ids.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "relay-int.h"
#include "tap.h"
#include "testutil.h"

static struct arena	ar;
static struct itemvec	iv;

/* Convert text as kind; items from index 0. */
static int
convert(int kind, const char *text, struct conv *c)
{
	char *copy = arena_strndup(&ar, text, strlen(text));

	memset(c, 0, sizeof(*c));
	c->ar = &ar;
	c->iv = &iv;
	c->kind = kind;
	iv.n = 0;
	if (kind == CONV_CONFIG)
		return conv_config(c, copy, strlen(text));
	return conv_line(c, copy, strlen(text));
}

/* The item of key, or NULL. */
static const struct wbs_item *
item(const char *key)
{
	for (size_t i = 0; i < iv.n; i++)
		if (strcmp(iv.v[i].key, key) == 0)
			return &iv.v[i];
	return NULL;
}

static int
is_json(const char *key, const char *text)
{
	const struct wbs_item *it = item(key);

	return it != NULL && it->v.type == WBS_JSON &&
	    it->v.u.s.len == strlen(text) &&
	    memcmp(it->v.u.s.ptr, text, it->v.u.s.len) == 0;
}

static void
test_history(void)
{
	struct conv		c;
	const struct wbs_item	*it;

	ok(convert(CONV_HISTORY, "{\"loss\": 0.5, \"n\": 3, \"ok\": true, "
	    "\"s\": \"a\\\"b\", \"z\": null, \"val\": {\"loss\": NaN, \"in\": "
	    "{\"x\": -Infinity}}, \"img\": {\"path\": \"a.png\", \"_type\": "
	    "\"image-file\"}, \"arr\": [1, NaN], \"e\": {}, \"_step\": 7, "
	    "\"_runtime\": 1.5, \"_timestamp\": 17.25}", &c) == 0,
	    "history line converts: %s", c.err);
	ok(c.has_step && c.step == 7, "_step is the step");
	ok(iv.n == 11, "eleven items (_step and _runtime are not items)");
	ok((it = item("loss")) && it->v.type == WBS_DOUBLE &&
	    it->v.u.d == 0.5, "double");
	ok((it = item("n")) && it->v.type == WBS_INT && it->v.u.i == 3, "int");
	ok((it = item("ok")) && it->v.type == WBS_BOOL && it->v.u.b, "bool");
	ok((it = item("s")) && it->v.type == WBS_STRING && it->v.u.s.len == 3 &&
	    memcmp(it->v.u.s.ptr, "a\"b", 3) == 0, "string, unescaped");
	ok((it = item("z")) && it->v.type == WBS_NULL, "null");
	ok((it = item("val" WBS_SEP "loss")) && isnan(it->v.u.d),
	    "nested key path; NaN");
	ok((it = item("val" WBS_SEP "in" WBS_SEP "x")) && isinf(it->v.u.d) &&
	    it->v.u.d < 0, "deeper path; -Infinity");
	ok(is_json("img", "{\"path\": \"a.png\", \"_type\": \"image-file\"}"),
	    "media object kept whole, as sent");
	ok(is_json("arr", "[1, NaN]"), "array kept whole");
	ok(is_json("e", "{}"), "empty object kept");
	ok((it = item("_timestamp")) && it->v.u.d == 17.25,
	    "_timestamp is an ordinary item");
	ok(convert(CONV_HISTORY, "{\"a\": 1}", &c) == 0 && !c.has_step,
	    "no _step: auto step");
	ok(convert(CONV_HISTORY, "{\"_step\": 4.0}", &c) == 0 && c.step == 4,
	    "_step 4.0 is step 4");
}

static void
test_history_errors(void)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "[1]", "must be a JSON object" },
		{ "{\"a\": 1", "unterminated object" },
		{ "{\"\": 1}", "an empty key is not allowed" },
		{ "{\"a\": {\"\": 1}}", "key \"a\": an empty key" },
		{ "{\"a\\u001fb\": 1}", "control character 0x1f" },
		{ "{\"_step\": -2}", "negative" },
		{ "{\"_step\": 1.5}", "not a non-negative integer" },
		{ "{\"_step\": \"3\"}", "not a number" },
		{ "{\"a\": 1} {}", "text after the end" },
		{ "{\"a\": nan}", "invalid literal" },
	};
	struct conv c;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(convert(CONV_HISTORY, bad[i].text, &c) < 0 &&
		    strstr(c.err, bad[i].msg) != NULL, "%s: %s", bad[i].text,
		    c.err);
	{
		size_t	 n = (1 << 20) + 20;
		char	*big = malloc(n);

		memset(big, 'x', n);
		memcpy(big, "{\"s\": \"", 7);
		memcpy(big + n - 3, "\"}", 3);
		ok(convert(CONV_HISTORY, big, &c) < 0 &&
		    strstr(c.err, "over the 1 MiB limit"), "value over 1 MiB: %s",
		    c.err);
		free(big);
	}
}

static void
test_events_summary(void)
{
	struct conv c;

	ok(convert(CONV_EVENTS, "{\"system.cpu\": 5, \"system.network\": "
	    "{\"sent\": 1}, \"_wandb\": true, \"_timestamp\": 2.5, "
	    "\"_runtime\": 3, \"other\": 1}", &c) == 0 && iv.n == 4 &&
	    item("cpu") && item("network" WBS_SEP "sent") &&
	    item("_timestamp") && item("other"),
	    "events: system. stripped, _wandb and _runtime dropped");
	ok(convert(CONV_SUMMARY, "{\"a\": 1, \"_step\": 3, \"_runtime\": 2, "
	    "\"_wandb\": {\"runtime\": 2}}", &c) == 0 && iv.n == 4 &&
	    item("_step") && item("_runtime") &&
	    item("_wandb" WBS_SEP "runtime"), "summary: every key is kept");
}

static void
test_config(void)
{
	struct conv c;

	ok(convert(CONV_CONFIG, "{\"lr\": {\"desc\": null, \"value\": 0.1}, "
	    "\"m\": {\"value\": {\"layers\": 4}}, \"_wandb\": {\"value\": "
	    "{\"t\": {\"1\": [5]}, \"x\": NaN}}}", &c) == 0 && iv.n == 3,
	    "config converts: %s", c.err);
	ok(item("lr") && item("lr")->v.u.d == 0.1, "value unwrapped");
	ok(item("m" WBS_SEP "layers") != NULL, "nested config value");
	ok(is_json("_wandb", "{\"t\": {\"1\": [5]}, \"x\": NaN}"),
	    "_wandb kept whole");
	ok(convert(CONV_CONFIG, "{\"lr\": 0.1}", &c) < 0 &&
	    strstr(c.err, "must be objects"), "entries are objects: %s", c.err);
	ok(convert(CONV_CONFIG, "{\"lr\": {\"desc\": 1}}", &c) < 0 &&
	    strstr(c.err, "has no \"value\""), "entries have a value: %s",
	    c.err);
}

static void
test_console(void)
{
	static const struct {
		const char	*text;
		int64_t		 count, back;
		const char	*body;
	} forms[] = {
		{ "first", 0, -1, "first" },
		{ "\nnext", 3, -1, "next" },
		{ "\rredone\x1b[K", 3, 0, "redone" },
		{ "\x1b[2A\rup two\x1b[K\x1b[2B", 5, 2, "up two" },
		{ "\x1b[31mred", 0, -1, "\x1b[31mred" },
	};
	int good = 1;

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		size_t		 len;
		int64_t		 back;
		const char	*b = console_body(forms[i].text,
		    strlen(forms[i].text), forms[i].count, &len, &back);

		if (back != forms[i].back || len != strlen(forms[i].body) ||
		    memcmp(b, forms[i].body, len) != 0) {
			diag("form %zu: back %lld, body %.*s", i,
			    (long long)back, (int)len, b);
			good = 0;
		}
	}
	ok(good, "console records: new lines and overwrites read back");
}

static void
test_keyset(void)
{
	struct keyset	ks = { 0 };
	char		k[32];
	int		good = 1;

	for (int i = 0; i < 1000; i++) {
		snprintf(k, sizeof(k), "key%d", i);
		good &= keyset_add(&ks, k) == 1;
	}
	good &= keyset_add(&ks, "key5") == 0;
	good &= keyset_has(&ks, "key999") && !keyset_has(&ks, "key1000");
	ok(good && ks.n == 1000, "key set: add, has, grow");
	keyset_clear(&ks);
	ok(!keyset_has(&ks, "key1"), "cleared");
}

static void
test_faults(void)
{
	char			*dir = test_tmpdir(), path[512], err[256] = "";
	struct faults		*f;
	struct fault_hit	 h;
	FILE			*fh;
	int			 seq[6];

	snprintf(path, sizeof(path), "%s/faults", dir);
	fh = fopen(path, "w");
	fprintf(fh, "file_stream 429 retry-after=2 times=2\nfile_stream close\n"
	    "graphql:UpsertBucket 503\n* ok remaining=3 reset=9 times=*\n");
	fclose(fh);
	ok(fault_load(&f, path, err, sizeof(err)) == 0, "rules load: %s", err);
	for (int i = 0; i < 4; i++)
		seq[i] = fault_pick(f, "file_stream", "", &h) ? h.act * 1000 +
		    h.status : 0;
	ok(seq[0] == FA_STATUS * 1000 + 429 && seq[1] == seq[0] &&
	    seq[2] == FA_CLOSE * 1000 && seq[3] == FA_OK * 1000,
	    "file_stream: 429, 429, close, then the '*' rule");
	ok(fault_pick(f, "graphql", "UpsertBucket", &h) && h.status == 503,
	    "graphql:UpsertBucket");
	ok(fault_pick(f, "graphql", "UpsertBucket", &h) && h.act == FA_OK &&
	    h.rl_remaining == 3 && h.rl_reset == 9, "then RateLimit headers");
	fault_free(f);
	fh = fopen(path, "w");
	fprintf(fh, "upload delay=x\n");
	fclose(fh);
	ok(fault_load(&f, path, err, sizeof(err)) < 0 &&
	    strstr(err, "line 1: bad or missing action"), "bad delay: %s", err);
	test_rmtree(dir);
}

static void
test_auth(void)
{
	char		*dir = test_tmpdir(), path[512], err[256];
	struct auth	*a;
	FILE		*fh;

	snprintf(path, sizeof(path), "%s/keys", dir);
	fh = fopen(path, "w");
	fprintf(fh, "# comment\n\n  k3y-one  \nkey2\n");
	fclose(fh);
	chmod(path, 0640);
	ok(auth_load(&a, path, err, sizeof(err)) == 0, "mode 0640 is fine");
	auth_free(a);
	chmod(path, 0604);
	ok(auth_load(&a, path, err, sizeof(err)) < 0 &&
	    strstr(err, "accessible by others"), "world-readable: %s", err);
	chmod(path, 0600);
	ok(auth_load(&a, path, err, sizeof(err)) == 0, "keys load");
	/* "api:k3y-one" and "api:key2" and "api:key" in base64. */
	ok(auth_check(a, "Basic YXBpOmszeS1vbmU="), "first key");
	ok(auth_check(a, "basic YXBpOmtleTI="), "second key");
	ok(!auth_check(a, "Basic YXBpOmtleQ=="), "a prefix of a key");
	ok(!auth_check(a, "Basic dXNlcjprZXky"), "user must be api");
	ok(!auth_check(a, "Basic !!!"), "bad base64");
	ok(!auth_check(a, "Bearer YXBpOmtleTI="), "not Basic");
	auth_free(a);
	test_rmtree(dir);
}

static void
test_storage_id(void)
{
	struct rrun	rr;
	struct buf	b;
	char		id[64];

	memset(&rr, 0, sizeof(rr));
	rr.id = "abc-123";
	rr.project = "demo";
	buf_init(&b);
	store_storage_id(&rr, &b);
	ok(store_parse_storage_id(buf_cstr(&b), id, sizeof(id)) == 0 &&
	    strcmp(id, "abc-123") == 0, "storage id round trip (%s)", b.p);
	ok(store_parse_storage_id("bm9wZQ==", id, sizeof(id)) < 0,
	    "foreign ids are refused");
	buf_release(&b);
}

int
main(void)
{
	test_history();
	test_history_errors();
	test_events_summary();
	test_config();
	test_console();
	test_keyset();
	test_faults();
	test_auth();
	test_storage_id();
	arena_release(&ar);
	free(iv.v);
	plan_lazy_done();
	return tap_exit();
}
