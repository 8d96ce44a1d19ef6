/*
 * relay-jscan.c - libFuzzer target for the relay's JSON scanner and its
 * conversions of W&B lines and configs to items.
 *
 * Each input is scanned as a document and must get the same verdict and
 * value as jansson (inputs jansson cannot judge are skipped: raw NUL
 * bytes, \u0000 in keys, numbers beyond jansson's range); then it is
 * converted as a history, events and summary line and as a config
 * document, which must fail cleanly or give items with valid keys.
 * In ordinary builds t/fuzz/replay.c replays t/fuzz/corpus/relay-jscan.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "relay-int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct arena	ar;
static struct itemvec	iv;

/* A jansson tree from the scanner, or NULL if it rejects the value. */
static json_t *
build(struct jscan *js)
{
	struct jstr	 s;
	struct jnum	 num;
	enum jkind	 k;
	size_t		 n = 0;
	json_t		*v, *e;
	char		*tmp;
	int		 rc;

	switch (jscan_peek(js)) {
	case JK_OBJECT:
	case JK_ARRAY: {
		int obj = jscan_peek(js) == JK_OBJECT;

		if (jscan_open(js, obj ? '{' : '[') < 0)
			return NULL;
		v = obj ? json_object() : json_array();
		while ((rc = obj ? jscan_member(js, &n, &s) :
		    jscan_element(js, &n)) == 1) {
			if ((e = build(js)) == NULL)
				break;
			if (!obj) {
				json_array_append_new(v, e);
				continue;
			}
			tmp = malloc(s.len + 1);
			tmp[jscan_unescape(s.p, s.len, tmp)] = '\0';
			json_object_set_new_nocheck(v, tmp, e);
			free(tmp);
		}
		if (rc != 0) {
			json_decref(v);
			return NULL;
		}
		return v;
	}
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
		return NULL;
	}
}

/* The scanner and jansson agree on this document. */
static void
differential(const char *p, size_t len)
{
	struct jscan	 js;
	json_error_t	 e;
	json_t		*a, *b;

	if (memchr(p, '\0', len) != NULL || memmem(p, len, "\\u0000", 6) ||
	    memmem(p, len, "NaN", 3) || memmem(p, len, "Infinity", 8))
		return;
	a = json_loadb(p, len, JSON_DECODE_ANY, &e);
	if (a == NULL && (strstr(e.text, "too big") ||
	    strstr(e.text, "overflow")))
		return;
	jscan_init(&js, p, len);
	b = build(&js);
	if (b != NULL && jscan_done(&js) < 0) {
		json_decref(b);
		b = NULL;
	}
	if ((a == NULL) != (b == NULL) || (a != NULL && !json_equal(a, b))) {
		fprintf(stderr, "scanner and jansson disagree on %.*s\n",
		    (int)len, p);
		abort();
	}
	json_decref(a);
	json_decref(b);
}

/* Every key a conversion produced is a valid wbstore key. */
static void
check_keys(void)
{
	for (size_t i = 0; i < iv.n; i++) {
		const char *k = iv.v[i].key;

		if (*k == '\0' || strlen(k) > WBS_KEY_MAX ||
		    !jscan_utf8_valid(k, strlen(k)))
			abort();
		for (; *k != '\0'; k++)
			if ((unsigned char)*k < 0x20 && *k != WBS_SEP_CHAR)
				abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int kinds[] = { CONV_HISTORY, CONV_EVENTS, CONV_SUMMARY,
	    CONV_CONFIG };
	struct conv c;

	differential((const char *)data, size);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		char *copy = arena_alloc(&ar, size + 1);

		memcpy(copy, data, size);
		memset(&c, 0, sizeof(c));
		c.ar = &ar;
		c.iv = &iv;
		c.kind = kinds[i];
		iv.n = 0;
		if ((kinds[i] == CONV_CONFIG ? conv_config(&c, copy, size) :
		    conv_line(&c, copy, size)) == 0)
			check_keys();
		else if (c.err[0] == '\0')
			abort();	/* failures always say why */
		arena_reset(&ar);
	}
	return 0;
}
