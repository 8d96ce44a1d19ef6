/*
 * relay-jscan-t.c - the relay's JSON scanner against jansson: the same
 * documents accepted and rejected, the same values read, numbers exact,
 * and W&B's NaN/Infinity tokens on top.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jscan.h"
#include "tap.h"

/* Build a jansson tree from the scanner (the test's reference walk). */
static json_t *
build(struct jscan *js)
{
	struct jstr	 s;
	struct jnum	 num;
	enum jkind	 k;
	size_t		 n = 0;
	json_t		*v;
	char		*tmp;
	int		 rc;

	switch (jscan_peek(js)) {
	case JK_OBJECT:
		if (jscan_open(js, '{') < 0)
			return NULL;
		v = json_object();
		while ((rc = jscan_member(js, &n, &s)) == 1) {
			json_t *e;

			tmp = malloc(s.len + 1);
			tmp[jscan_unescape(s.p, s.len, tmp)] = '\0';
			if ((e = build(js)) == NULL) {
				free(tmp);
				json_decref(v);
				return NULL;
			}
			/* Keys with NUL cannot be compared through jansson. */
			json_object_set_new(v, tmp, e);
			free(tmp);
		}
		if (rc < 0) {
			json_decref(v);
			return NULL;
		}
		return v;
	case JK_ARRAY:
		if (jscan_open(js, '[') < 0)
			return NULL;
		v = json_array();
		while ((rc = jscan_element(js, &n)) == 1) {
			json_t *e = build(js);

			if (e == NULL) {
				json_decref(v);
				return NULL;
			}
			json_array_append_new(v, e);
		}
		if (rc < 0) {
			json_decref(v);
			return NULL;
		}
		return v;
	case JK_STRING:
		if (jscan_string(js, &s) < 0)
			return NULL;
		tmp = malloc(s.len + 1);
		n = jscan_unescape(s.p, s.len, tmp);
		v = json_stringn_nocheck(tmp, n);
		free(tmp);
		return v;
	case JK_NUMBER:
		if (jscan_number(js, &num) < 0)
			return NULL;
		return num.isint ? json_integer(num.i) : json_real(num.d);
	case JK_TRUE:
	case JK_FALSE:
	case JK_NULL:
		if (jscan_literal(js, &k) < 0)
			return NULL;
		return k == JK_TRUE ? json_true() : k == JK_FALSE ?
		    json_false() : json_null();
	default:
		jscan_fail(js, "bad value");
		return NULL;
	}
}

/* Parse a whole document with the scanner; NULL if rejected. */
static json_t *
scan_doc(const char *p, size_t len)
{
	struct jscan	 js;
	json_t		*v;

	jscan_init(&js, p, len);
	if ((v = build(&js)) == NULL)
		return NULL;
	if (jscan_done(&js) < 0) {
		json_decref(v);
		return NULL;
	}
	return v;
}

/* Does jansson reject it only for numbers out of its range? */
static int
range_error(const json_error_t *e)
{
	return strstr(e->text, "too big") != NULL ||
	    strstr(e->text, "overflow") != NULL;
}

/* Same verdict and same value as jansson (1 if so). */
static int
agree(const char *doc, size_t len)
{
	json_error_t	 e;
	json_t		*a = json_loadb(doc, len, JSON_DECODE_ANY |
	    JSON_ALLOW_NUL, &e);
	json_t		*b = scan_doc(doc, len);
	int		 ok;

	if (a == NULL && range_error(&e))
		ok = 1;		/* the scanner reads those as doubles */
	else if (a == NULL || b == NULL)
		ok = (a == NULL) == (b == NULL);
	else
		ok = json_equal(a, b);
	if (!ok)
		diag("disagree on %.*s (jansson %s)", (int)(len > 60 ? 60 :
		    len), doc, a ? "accepts" : e.text);
	json_decref(a);
	json_decref(b);
	return ok;
}

static const char *const docs[] = {
	"{}", "[]", "0", "-0", "1", "-1", "1.5", "-1.5e3", "1E+2", "1e-2",
	"0.1", "123456789012345678", "9223372036854775807",
	"-9223372036854775808", "3.141592653589793", "1.7976931348623157e308",
	"5e-324", "2.2250738585072014e-308", "0.30000000000000004",
	"1795423913.7011483", "0.10318636894226074", "true", "false", "null",
	"\"\"", "\"abc\"", "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"",
	"\"\\u00e9\\u4e2d\\ud83d\\ude00\"", "\"\xc3\xa9\xe4\xb8\xad\"",
	"\"\\u0000x\"",
	"{\"a\":1,\"b\":[1,2,{\"c\":null}],\"d\":{\"e\":\"f\"}}",
	" \t\n{ \"a\" : [ 1 , 2 ] } \r\n",
	"[1,]", "[,1]", "{\"a\":1,}", "{,}", "{\"a\"}", "{\"a\":}", "{1:2}",
	"[1 2]", "01", "1.", ".5", "-", "+1", "1e", "1e+", "0x10", "tru",
	"nul", "falsey", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"",
	"\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\x80\"", "\"\xc0\xaf\"",
	"\"\xed\xa0\x80\"", "\"\xf5\x80\x80\x80\"", "\"a\tb\"", "[1]x",
	"{\"a\":1}}", "", "   ", "\"\xe2\x82\"",
	"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
	"123456789012345678901234567890", "1e400", "-1e400",
};

/* Numbers: exactly strtod's double, ints exact. */
static void
test_numbers(void)
{
	static const char *const reals[] = { "0.1", "1.001", "9.001",
	    "0.10341024398803711", "1795424297.7868261", "1e22", "1e23",
	    "123456789012345.6", "4.9e-324", "1.7976931348623157e308",
	    "0.30000000000000004", "2.5e-5", "-0.0", "1e-400",
	    "9007199254740993.0", "12345678901234567890.5" };
	struct jscan	js;
	struct jnum	num;
	int		good = 1;

	for (size_t i = 0; i < sizeof(reals) / sizeof(reals[0]); i++) {
		double want = strtod(reals[i], NULL);

		jscan_init(&js, reals[i], strlen(reals[i]));
		if (jscan_number(&js, &num) != 0 || num.isint ||
		    memcmp(&num.d, &want, sizeof(want)) != 0) {
			diag("%s: got %.17g want %.17g", reals[i], num.d, want);
			good = 0;
		}
	}
	ok(good, "decimals convert exactly as strtod does");
	jscan_init(&js, "-9223372036854775808", 20);
	ok(jscan_number(&js, &num) == 0 && num.isint && num.i == INT64_MIN,
	    "INT64_MIN is an integer");
	jscan_init(&js, "9223372036854775808", 19);
	ok(jscan_number(&js, &num) == 0 && !num.isint &&
	    num.d == 9223372036854775808.0, "past INT64_MAX: a double");
	{
		/*
		 * Python writes an int of any size (json.dumps(10**300)), and
		 * a number has no length limit of its own: the body's is
		 * enough.  A long one is the double strtod makes of it.
		 */
		char	lng[400];
		double	want;
		size_t	n = 0;

		for (int i = 0; i < 300; i++)
			lng[n++] = (char)('1' + i % 9);
		memcpy(lng + n, ".99e-3", 6);
		n += 6;
		lng[n] = '\0';
		want = strtod(lng, NULL);
		jscan_init(&js, lng, n);
		ok(jscan_number(&js, &num) == 0 && !num.isint &&
		    memcmp(&num.d, &want, sizeof(want)) == 0 &&
		    js.p == lng + n, "a number of %zu characters: %.17g", n,
		    num.d);
	}
	jscan_init(&js, "NaN", 3);
	ok(jscan_number(&js, &num) == 0 && isnan(num.d), "NaN");
	jscan_init(&js, "Infinity", 8);
	ok(jscan_number(&js, &num) == 0 && isinf(num.d) && num.d > 0,
	    "Infinity");
	jscan_init(&js, "-Infinity", 9);
	ok(jscan_number(&js, &num) == 0 && isinf(num.d) && num.d < 0,
	    "-Infinity");
	jscan_init(&js, "-Inf", 4);
	ok(jscan_number(&js, &num) < 0 && strstr(js.err, "invalid literal"),
	    "-Inf is not a token: %s", js.err);
	jscan_init(&js, "Nan", 3);
	ok(jscan_number(&js, &num) < 0, "Nan is not a token");
}

/* Strings: escapes decoded in place, errors named. */
static void
test_strings(void)
{
	struct jscan	js;
	struct jstr	s;
	char		buf[64] = "\"a\\u00e9\\n\\ud83d\\ude00b\"";
	size_t		n;

	jscan_init(&js, buf, strlen(buf));
	ok(jscan_string(&js, &s) == 0 && s.esc, "string with escapes");
	n = jscan_unescape(s.p, s.len, (char *)s.p);
	ok(n == 9 && memcmp(s.p, "a\xc3\xa9\n\xf0\x9f\x98\x80" "b", 9) == 0,
	    "decoded in place");
	jscan_init(&js, "\"a\x01\"", 4);
	ok(jscan_string(&js, &s) < 0 && strstr(js.err, "control character "
	    "0x01"), "control characters are named: %s", js.err);
	jscan_init(&js, "\"\xff\"", 3);
	ok(jscan_string(&js, &s) < 0 && strstr(js.err, "invalid UTF-8"),
	    "bad UTF-8 is named: %s", js.err);
	ok(jscan_utf8_valid("\xc3\xa9", 2) && !jscan_utf8_valid("\xc3", 1),
	    "jscan_utf8_valid");
}

/* Depth limit and error positions. */
static void
test_limits(void)
{
	char		deep[2 * JSCAN_DEPTH_MAX + 8];
	struct jscan	js;
	size_t		i;

	for (i = 0; i <= JSCAN_DEPTH_MAX; i++)
		deep[i] = '[';
	for (size_t j = 0; j <= JSCAN_DEPTH_MAX; j++)
		deep[i++] = ']';
	jscan_init(&js, deep, i);
	ok(jscan_skip(&js) < 0 && strstr(js.err, "nesting deeper than 64"),
	    "depth limit: %s", js.err);
	jscan_init(&js, "{\"a\": tru}", 10);
	ok(jscan_skip(&js) < 0 && strstr(js.err, "at byte 6"),
	    "errors give the byte offset: %s", js.err);
}

/* Random mutations of the documents: the two parsers agree. */
static void
test_mutations(void)
{
	uint64_t	seed = 0x2545f4914f6cdd1dull;
	int		bad = 0, runs = 0;
	char		buf[512];

	for (size_t d = 0; d < sizeof(docs) / sizeof(docs[0]); d++)
		for (int m = 0; m < 300; m++) {
			size_t len = strlen(docs[d]);

			if (len == 0 || len >= sizeof(buf) - 2)
				continue;
			memcpy(buf, docs[d], len);
			for (int k = 0; k < 1 + m % 3; k++) {
				size_t at;

				seed ^= seed << 13;
				seed ^= seed >> 7;
				seed ^= seed << 17;
				at = seed % len;
				switch (seed >> 32 & 3) {
				case 0:
					buf[at] = "{}[]\",:0-1e.\\ntu"[seed >> 40 &
					    15];
					break;
				case 1:
					buf[at] = (char)(seed >> 40);
					break;
				case 2:
					memmove(buf + at, buf + at + 1, len - at);
					len--;
					break;
				default:
					memmove(buf + at + 1, buf + at, len - at);
					buf[at] = "\"[{1"[seed >> 40 & 3];
					len++;
					break;
				}
				if (len == 0)
					break;
			}
			/*
			 * Skip what jansson cannot judge: keys with NUL
			 * (\u0000) and raw NUL bytes, where jansson stops
			 * reading as if the text ended.
			 */
			if (memmem(buf, len, "\\u0000", 6) != NULL ||
			    memchr(buf, '\0', len) != NULL)
				continue;
			runs++;
			if (!agree(buf, len) && ++bad > 10)
				goto done;
		}
done:
	ok(bad == 0, "%d mutated documents: same verdict and value as jansson",
	    runs);
}

int
main(void)
{
	int bad = 0;

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
		bad += !agree(docs[i], strlen(docs[i]));
	ok(bad == 0, "%zu documents: same verdict and value as jansson",
	    sizeof(docs) / sizeof(docs[0]));
	test_numbers();
	test_strings();
	test_limits();
	test_mutations();
	plan_lazy_done();
	return tap_exit();
}
