/*
 * import-xjson-t.c - W&B's extended JSON parser of the importer
 * (src/import/xjson.c) and the helpers beside it: scalars with NaN and
 * Infinity, objects walked into key paths, media objects and arrays kept
 * verbatim, UTF-8 and escapes, limits, the summary tracker.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/imp-int.h"
#include "tap.h"

static struct imp_arena	a;

/* Parse s as a scalar; the result type, or -1. */
static int
scalar(const char *s, struct wbs_value *v)
{
	if (xj_scalar(s, strlen(s), v, &a) != 0)
		return -1;
	return v->type;
}

/* Whether v is the string want. */
static int
is_text(const struct wbs_value *v, int type, const char *want)
{
	return v->type == type && v->u.s.len == strlen(want) &&
	    memcmp(v->u.s.ptr, want, v->u.s.len) == 0;
}

static void
test_scalars(void)
{
	struct wbs_value v;

	ok(scalar("1", &v) == WBS_INT && v.u.i == 1, "1 is an integer");
	ok(scalar(" -42 ", &v) == WBS_INT && v.u.i == -42,
	    "whitespace around -42");
	ok(scalar("-9223372036854775808", &v) == WBS_INT &&
	    v.u.i == INT64_MIN, "INT64_MIN is an integer");
	ok(scalar("9223372036854775807", &v) == WBS_INT &&
	    v.u.i == INT64_MAX, "INT64_MAX is an integer");
	ok(scalar("9223372036854775808", &v) == WBS_JSON &&
	    is_text(&v, WBS_JSON, "9223372036854775808"),
	    "an integer past int64 stays JSON text, digit for digit");
	ok(scalar("1.5", &v) == WBS_DOUBLE && v.u.d == 1.5, "1.5");
	ok(scalar("0.1", &v) == WBS_DOUBLE && v.u.d == 0.1,
	    "0.1 rounds as strtod does");
	ok(scalar("1e3", &v) == WBS_DOUBLE && v.u.d == 1000.0,
	    "1e3 is a double");
	ok(scalar("-2.5E-3", &v) == WBS_DOUBLE && v.u.d == -2.5e-3,
	    "-2.5E-3");
	ok(scalar("1.7976931348623157e308", &v) == WBS_DOUBLE &&
	    v.u.d == 1.7976931348623157e308, "DBL_MAX");
	ok(scalar("5e-324", &v) == WBS_DOUBLE && v.u.d == 5e-324,
	    "the smallest subnormal");
	ok(scalar("123456789012345678901234567890.5", &v) == WBS_DOUBLE &&
	    v.u.d == 123456789012345678901234567890.5,
	    "30 digits through strtod");
	ok(scalar("NaN", &v) == WBS_DOUBLE && isnan(v.u.d), "NaN");
	ok(scalar("Infinity", &v) == WBS_DOUBLE && isinf(v.u.d) &&
	    v.u.d > 0, "Infinity");
	ok(scalar("-Infinity", &v) == WBS_DOUBLE && isinf(v.u.d) &&
	    v.u.d < 0, "-Infinity");
	ok(scalar("true", &v) == WBS_BOOL && v.u.b == 1, "true");
	ok(scalar("false", &v) == WBS_BOOL && v.u.b == 0, "false");
	ok(scalar("null", &v) == WBS_NULL, "null");
	ok(scalar("\"plain\"", &v) == WBS_STRING &&
	    is_text(&v, WBS_STRING, "plain"), "a plain string");
	ok(scalar("\"caf\\u00e9 \\ud83d\\ude80 \\\"q\\\" \\\\ \\/ \\n\\t\"",
	    &v) == WBS_STRING &&
	    is_text(&v, WBS_STRING, "caf\xc3\xa9 \xf0\x9f\x9a\x80 \"q\" \\ / "
	    "\n\t"), "escapes and a surrogate pair unescape to UTF-8");
	ok(scalar("\"\\ud800x\"", &v) == WBS_STRING &&
	    is_text(&v, WBS_STRING, "\xef\xbf\xbdx"),
	    "a lone surrogate becomes U+FFFD");
	ok(scalar("\"\xe6\x97\xa5\xe6\x9c\xac\"", &v) == WBS_STRING &&
	    is_text(&v, WBS_STRING, "\xe6\x97\xa5\xe6\x9c\xac"),
	    "raw UTF-8 is kept as is");
}

/* Random decimal texts parse to the double strtod gives, bit for bit. */
static void
test_doubles(void)
{
	uint64_t	 seed = 0x9e3779b97f4a7c15ull;
	char		 buf[64];
	int		 bad = 0, n = 0;

	for (int i = 0; i < 300000; i++) {
		struct wbs_value	v;
		double			want, d;
		uint64_t		r;

		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		r = seed;
		switch (i % 3) {
		case 0:		/* a random double, 15 to 17 digits */
			memcpy(&d, &r, sizeof(d));
			if (!isfinite(d))
				continue;
			snprintf(buf, sizeof(buf), "%.*g", 15 + (int)(r % 3), d);
			break;
		case 1:		/* up to 19 digits, a point, an exponent */
			snprintf(buf, sizeof(buf), "%llu.%llue%d",
			    (unsigned long long)(r % 10000000000ull),
			    (unsigned long long)((r >> 20) % 1000000000ull),
			    (int)((r >> 50) % 61) - 30);
			break;
		default:	/* values as training loops log them */
			snprintf(buf, sizeof(buf), "%.17g", (double)(r % 100000) /
			    (1.0 + (double)((r >> 17) % 997)));
			break;
		}
		want = strtod(buf, NULL);
		n++;
		if (scalar(buf, &v) != WBS_DOUBLE && !(v.type == WBS_INT &&
		    (double)v.u.i == want)) {
			bad++;
			continue;
		}
		if (v.type == WBS_DOUBLE && memcmp(&v.u.d, &want,
		    sizeof(want)) != 0) {
			if (bad++ < 5)
				diag("%s: got %.17g, strtod %.17g", buf, v.u.d,
				    want);
		}
	}
	ok(bad == 0, "%d random numbers parse exactly as strtod does (%d "
	    "differ)", n, bad);
}

static void
test_bad_scalars(void)
{
	static const char *const bad[] = {
		"", " ", "01", "1.", ".5", "-", "+1", "1e", "nan", "inf",
		"-infinity", "Infinit", "tru", "nul", "\"abc", "\"\\x\"",
		"\"\\u12\"", "1 2", "{}", "[1]", "\"a\x01\"", "'a'", "0x10"
	};
	struct wbs_value v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(scalar(bad[i], &v) == -1, "not a scalar: '%s'", bad[i]);
}

/* Items of s at base with flags into it; the count or -1. */
static int
items(struct imp_items *it, const char *s, const char *base, unsigned flags)
{
	it->n = 0;
	if (xj_items(s, strlen(s), base, flags, it, &a) != 0)
		return -1;
	return (int)it->n;
}

static void
test_objects(void)
{
	struct imp_items it = { 0 };

	ok(items(&it, "{\"a\": 1, \"b\": {\"c\": \"x\", \"d\": [1, NaN]}}",
	    "cfg", XJ_FLAT) == 3 &&
	    strcmp(it.v[0].key, "cfg" WBS_SEP "a") == 0 &&
	    it.v[0].v.type == WBS_INT && it.v[0].v.u.i == 1 &&
	    strcmp(it.v[1].key, "cfg" WBS_SEP "b" WBS_SEP "c") == 0 &&
	    is_text(&it.v[1].v, WBS_STRING, "x") &&
	    strcmp(it.v[2].key, "cfg" WBS_SEP "b" WBS_SEP "d") == 0 &&
	    is_text(&it.v[2].v, WBS_JSON, "[1, NaN]"),
	    "objects merge as subtrees; arrays stay JSON text");
	ok(items(&it, "{\"a\": {\"b\": 1}}", "cfg", 0) == 1 &&
	    strcmp(it.v[0].key, "cfg") == 0 &&
	    is_text(&it.v[0].v, WBS_JSON, "{\"a\": {\"b\": 1}}"),
	    "without XJ_FLAT an object is one JSON value");
	ok(items(&it, "{\"_type\": \"image-file\", \"path\": \"m/a.png\"}",
	    "img", XJ_FLAT) == 1 && strcmp(it.v[0].key, "img") == 0 &&
	    is_text(&it.v[0].v, WBS_JSON,
	    "{\"_type\": \"image-file\", \"path\": \"m/a.png\"}"),
	    "a media object (\"_type\") is kept verbatim");
	ok(items(&it, "{}", "e", XJ_FLAT) == 1 &&
	    is_text(&it.v[0].v, WBS_JSON, "{}"), "{} stays {}");
	ok(items(&it, "{\"a\\u0001\": 1}", "k", XJ_FLAT) == 1 &&
	    it.v[0].v.type == WBS_JSON,
	    "a member name with a control byte keeps the object whole");
	ok(items(&it, "{\"\": 1}", "k", XJ_FLAT) == 1 &&
	    it.v[0].v.type == WBS_JSON,
	    "an empty member name keeps the object whole");
	ok(items(&it, "{\"0\": {\"temp\": 50, \"power\": 1.5}}", "gpu",
	    XJ_FLAT | XJ_DOTS) == 2 &&
	    strcmp(it.v[0].key, "gpu.0.temp") == 0 &&
	    strcmp(it.v[1].key, "gpu.0.power") == 0,
	    "XJ_DOTS joins stats keys with dots");
	ok(items(&it, "{\"t\": {\"1\": [5]}, \"cli_version\": \"0.10.20\"}",
	    "_wandb", XJ_FLAT | XJ_ONE) == 2 &&
	    strcmp(it.v[0].key, "_wandb" WBS_SEP "t") == 0 &&
	    is_text(&it.v[0].v, WBS_JSON, "{\"1\": [5]}") &&
	    is_text(&it.v[1].v, WBS_STRING, "0.10.20"),
	    "XJ_ONE walks one level only");
	ok(items(&it, "{\"x\": NaN, \"y\": -Infinity, \"z\": Infinity}", "m",
	    XJ_FLAT) == 3 && isnan(it.v[0].v.u.d) &&
	    isinf(it.v[1].v.u.d) && it.v[1].v.u.d < 0 &&
	    isinf(it.v[2].v.u.d) && it.v[2].v.u.d > 0,
	    "NaN and Infinity inside objects");
	ok(items(&it, "{\"\xe6\x8d\x9f\xe5\xa4\xb1\": {\"\xf0\x9f\x9a\x80\": 2}}",
	    "u", XJ_FLAT) == 1 && strcmp(it.v[0].key,
	    "u" WBS_SEP "\xe6\x8d\x9f\xe5\xa4\xb1" WBS_SEP "\xf0\x9f\x9a\x80")
	    == 0, "Unicode member names become key components");
	imp_items_release(&it);
}

static void
test_bad_items(void)
{
	static const char *const bad[] = {
		"{", "{\"a\"}", "{\"a\": }", "{\"a\": 1,}", "[1,]", "[1 2]",
		"{\"a\" 1}", "{1: 2}", "\"x", "{\"a\": 1} 2", "NaNa", "",
		"{\"a\": [}"
	};
	struct imp_items	it = { 0 };
	struct wbs_value	v = { .type = WBS_INT, .u.i = 7 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		it.n = 0;
		imp_items_add(&it, "keep", &v);
		ok(xj_items(bad[i], strlen(bad[i]), "k", XJ_FLAT, &it, &a) ==
		    -1 && it.n == 1, "invalid JSON '%s' appends nothing",
		    bad[i]);
	}
	it.n = 0;
	ok(xj_items("\"\xc3\x28\"", 4, "k", XJ_FLAT, &it, &a) == -1 &&
	    it.n == 0, "invalid UTF-8 is refused");
	imp_items_release(&it);
}

/* A JSON text of depth nested arrays (or objects). */
static char *
nested(int depth, int obj)
{
	char	*s = malloc((size_t)depth * 6 + 2), *w = s;

	for (int i = 0; i < depth; i++)
		w += sprintf(w, "%s", obj ? "{\"a\":" : "[");
	*w++ = '1';
	for (int i = 0; i < depth; i++)
		*w++ = obj ? '}' : ']';
	*w = '\0';
	return s;
}

static void
test_limits(void)
{
	struct imp_items	 it = { 0 };
	char			*s, key[WBS_KEY_MAX + 16];

	s = nested(200, 0);
	ok(items(&it, s, "k", XJ_FLAT) == 1 && it.v[0].v.type == WBS_JSON,
	    "200 nested arrays are one JSON value");
	ok(xj_valid(s, strlen(s), &a), "xj_valid accepts them");
	free(s);
	s = nested(300, 0);
	ok(items(&it, s, "k", XJ_FLAT) == -1 && !xj_valid(s, strlen(s), &a),
	    "300 nested arrays are refused, not a stack overflow");
	free(s);
	s = nested(200, 1);
	ok(items(&it, s, "k", XJ_FLAT) == 1,
	    "200 nested objects: walked while keys fit, then kept as JSON");
	ok(items(&it, s, "k", 0) == 1 && it.v[0].v.type == WBS_JSON,
	    "without XJ_FLAT they are one value");
	free(s);
	memset(key, 'k', WBS_KEY_MAX - 2);
	key[WBS_KEY_MAX - 2] = '\0';
	ok(items(&it, "{\"abc\": 1}", key, XJ_FLAT) == 1 &&
	    strcmp(it.v[0].key, key) == 0 && it.v[0].v.type == WBS_JSON,
	    "a member that would make the key too long keeps the object whole");
	ok(items(&it, "{\"a\": 1}", key, XJ_FLAT) == 1 &&
	    strlen(it.v[0].key) == WBS_KEY_MAX, "a key of WBS_KEY_MAX bytes");
	memset(key, 'k', WBS_KEY_MAX + 1);
	key[WBS_KEY_MAX + 1] = '\0';
	ok(items(&it, "1", key, XJ_FLAT) == -1, "a base key past the limit");
	imp_items_release(&it);
}

static void
test_valid(void)
{
	static const char *const good[] = {
		"[1, NaN, {\"a\": -Infinity}]", "{}", "[]", " 1 ", "\"s\"",
		"{\"a\": {\"b\": [true, false, null]}}"
	};
	static const char *const bad[] = {
		"[1,]", "{\"a\" 1}", "[", "]", "1 1", "{\"a\":1}}", "nan"
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(xj_valid(good[i], strlen(good[i]), &a), "valid: %s",
		    good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(!xj_valid(bad[i], strlen(bad[i]), &a), "not valid: %s",
		    bad[i]);
}

static void
test_utf8(void)
{
	static const struct {
		const char	*s;
		int		 valid;
	} cases[] = {
		{ "plain ascii, long enough for the word loop", 1 },
		{ "caf\xc3\xa9", 1 },
		{ "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9", 1 },
		{ "\xef\xbf\xbf", 1 },
		{ "\xf4\x8f\xbf\xbf", 1 },
		{ "\xc0\x80", 0 },		/* overlong NUL */
		{ "\xe0\x80\xaf", 0 },		/* overlong */
		{ "\xed\xa0\x80", 0 },		/* surrogate */
		{ "\xf4\x90\x80\x80", 0 },	/* past U+10FFFF */
		{ "\xe2\x82", 0 },		/* truncated */
		{ "abcdefgh\x80", 0 },		/* stray continuation */
		{ "\xff", 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ok(imp_utf8(cases[i].s, strlen(cases[i].s)) == cases[i].valid,
		    "UTF-8 case %zu is %s", i, cases[i].valid ? "valid" :
		    "invalid");
	ok(imp_component("a/b.c", 5), "'/' and '.' belong to a component");
	ok(!imp_component("", 0), "an empty component");
	ok(!imp_component("a" WBS_SEP "b", 3), "the separator");
	ok(!imp_component("a\x7f", 2), "DEL");
}

static void
test_strings(void)
{
	struct imp_str s = { 0 };

	imp_str_json(&s, "a\"b\\\n\r\t\x01\x7f" "caf\xc3\xa9", 14);
	is_str(s.p, "\"a\\\"b\\\\\\n\\r\\t\\u0001\\u007fcaf\xc3\xa9\"",
	    "imp_str_json escapes what JSON needs and keeps UTF-8");
	imp_str_release(&s);
	ok(imp_hash(0, "abc", 3) == imp_hash(0, "abc", 3) &&
	    imp_hash(0, "abc", 3) != imp_hash(0, "abd", 3) &&
	    imp_hash(1, "abc", 3) != imp_hash(0, "abc", 3),
	    "imp_hash depends on the data and the seed");
}

static void
count_key(const char *key, void *arg)
{
	(void)key;
	(*(int *)arg)++;
}

static void
test_tracker(void)
{
	struct trk		 t = { 0 };
	struct wbs_value	 one = { .type = WBS_INT, .u.i = 1 };
	struct wbs_value	 nan = { .type = WBS_DOUBLE, .u.d = NAN };
	struct wbs_value	 d1 = { .type = WBS_DOUBLE, .u.d = 1.0 };
	char			 key[32];
	int			 n = 0, all = 1;

	ok(trk_set(&t, "a", &one) == 1, "a new key changes the summary");
	ok(trk_set(&t, "a", &one) == 0, "the same value does not");
	ok(trk_set(&t, "a", &d1) == 1, "1.0 after 1: the type changed");
	ok(trk_set(&t, "n", &nan) == 1 && trk_set(&t, "n", &nan) == 0,
	    "NaN equals NaN here");
	trk_set(&t, "m" WBS_SEP "x", &one);
	trk_set(&t, "m" WBS_SEP "y", &one);
	trk_set(&t, "mm", &one);
	trk_below(&t, "m", count_key, &n);
	is_int(n, 2, "two keys below m (not mm)");
	trk_remove(&t, "m");
	n = 0;
	trk_below(&t, "m", count_key, &n);
	ok(n == 0 && trk_set(&t, "mm", &one) == 0,
	    "removing m forgets its subtree only");
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		if (trk_set(&t, key, &one) != 1)
			all = 0;
		if (i % 2 == 0)
			trk_remove(&t, key);
	}
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		if (trk_set(&t, key, &one) != (i % 2 == 0))
			all = 0;
	}
	ok(all, "5000 keys through growth and tombstones");
	trk_release(&t);
}

int
main(void)
{
	test_scalars();
	test_doubles();
	test_bad_scalars();
	test_objects();
	test_bad_items();
	test_limits();
	test_valid();
	test_utf8();
	test_strings();
	test_tracker();
	imp_arena_release(&a);
	plan_lazy_done();
	return tap_exit();
}
