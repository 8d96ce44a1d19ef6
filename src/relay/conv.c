/*
 * conv.c - W&B JSON lines and config documents to typed wbstore items.
 *
 * Rules (the same for history, events, summary and config values):
 *  - numbers: integers that fit in int64 stay WBS_INT, the rest WBS_DOUBLE
 *    (NaN, Infinity and -Infinity included);
 *  - true/false: WBS_BOOL; null: WBS_NULL; strings: WBS_STRING;
 *  - nested objects become key paths joined with WBS_SEP, except objects
 *    with a "_type" key (media, tables, histograms) and empty objects,
 *    which are kept whole as WBS_JSON, like arrays; WBS_JSON values hold
 *    the text exactly as it arrived.
 * Per kind: history lines give _step as the row's step and drop _runtime;
 * events lines drop _wandb and _runtime and lose the "system." prefix;
 * both keep _timestamp as an ordinary item.  Summary lines keep all keys.
 * A config document is {key: {"value": v, ...}} with "_wandb" kept whole.
 *
 * The text is decoded in place: keys and strings point into it, so it
 * must stay alive (and unchanged) until the items are written.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "relay-int.h"

/* Append an item; the vector only grows within one request. */
static struct wbs_item *
push(struct conv *c, const char *key)
{
	struct itemvec *iv = c->iv;

	if (iv->n == iv->cap) {
		size_t cap = iv->cap ? iv->cap * 2 : 256;

		if ((iv->v = realloc(iv->v, cap * sizeof(*iv->v))) == NULL)
			fatalx("out of memory (%zu items)", cap);
		iv->cap = cap;
	}
	iv->v[iv->n].key = key;
	return &iv->v[iv->n++];
}

/* A key for messages: components joined with '.'. */
static const char *
showkey(const char *key, char *buf, size_t len)
{
	size_t i;

	for (i = 0; key[i] != '\0' && i + 1 < len; i++)
		buf[i] = key[i] == WBS_SEP_CHAR ? '.' : key[i];
	buf[i] = '\0';
	return buf;
}

static int
conv_fail(struct conv *c, const char *key, const char *what)
{
	char kb[80];

	if (key != NULL)
		snprintf(c->err, sizeof(c->err), "key \"%s\": %s",
		    showkey(key, kb, sizeof(kb)), what);
	else
		snprintf(c->err, sizeof(c->err), "%s", what);
	return -1;
}

static int
scan_fail(struct conv *c, struct jscan *js)
{
	snprintf(c->err, sizeof(c->err), "invalid JSON: %s", js->err);
	return -1;
}

/* Check a decoded key component: non-empty, no control characters. */
static int
check_comp(struct conv *c, const char *p, size_t n, const char *parent)
{
	if (n == 0)
		return conv_fail(c, parent, "an empty key is not allowed");
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f) {
			char msg[96];

			snprintf(msg, sizeof(msg), "key \"%.*s\" contains "
			    "control character 0x%02x", (int)(n > 40 ? 40 : n),
			    p, (unsigned char)p[i]);
			return conv_fail(c, NULL, msg);
		}
	return 0;
}

/* Account one value's size against the W&B limits. */
static int
add_bytes(struct conv *c, const char *key, size_t keylen, size_t vlen)
{
	char msg[96];

	if (vlen > WBS_VALUE_MAX) {
		snprintf(msg, sizeof(msg), "value of %zu bytes is over the "
		    "1 MiB limit", vlen);
		return conv_fail(c, key, msg);
	}
	c->row_bytes += keylen + 8 + vlen;
	if (c->row_bytes > WBS_ROW_MAX)
		return conv_fail(c, NULL, "the line's values take more than "
		    "the 25 MiB row limit");
	return 0;
}

static int conv_value(struct conv *c, struct jscan *js, const char *key,
    size_t keylen);

/* An object's whole text as one WBS_JSON item. */
static int
json_item(struct conv *c, const char *key, size_t keylen, const char *p,
    size_t n)
{
	struct wbs_item *it;

	if (add_bytes(c, key, keylen, n) < 0)
		return -1;
	it = push(c, key);
	it->v.type = WBS_JSON;
	it->v.u.s.ptr = p;
	it->v.u.s.len = n;
	return 0;
}

/* A nested object: key paths, or whole if empty or with "_type". */
static int
conv_object(struct conv *c, struct jscan *js, const char *key, size_t keylen)
{
	struct jscan	sk = *js;
	struct jstr	k;
	const char	*start;
	size_t		n = 0;
	int		rc, whole = 0;

	(void)jscan_peek(&sk);
	start = sk.p;
	if (jscan_open(&sk, '{') < 0)
		return scan_fail(c, &sk);
	while ((rc = jscan_member(&sk, &n, &k)) == 1) {
		if (jscan_streq(&k, "_type"))
			whole = 1;
		if (jscan_skip(&sk) < 0)
			return scan_fail(c, &sk);
	}
	if (rc < 0)
		return scan_fail(c, &sk);
	if (whole || n == 0) {
		*js = sk;
		return json_item(c, key, keylen, start, (size_t)(sk.p - start));
	}
	n = 0;
	if (jscan_open(js, '{') < 0)
		return scan_fail(c, js);
	while ((rc = jscan_member(js, &n, &k)) == 1) {
		char	*comp = (char *)k.p, *path;
		size_t	 clen = k.esc ? jscan_unescape(k.p, k.len, comp) : k.len;
		size_t	 plen = keylen + 1 + clen;

		if (check_comp(c, comp, clen, key) < 0)
			return -1;
		if (plen > WBS_KEY_MAX)
			return conv_fail(c, key, "nested key is longer than "
			    "1024 bytes");
		path = arena_alloc(c->ar, plen + 1);
		memcpy(path, key, keylen);
		path[keylen] = WBS_SEP_CHAR;
		memcpy(path + keylen + 1, comp, clen);
		path[plen] = '\0';
		if (conv_value(c, js, path, plen) < 0)
			return -1;
	}
	return rc < 0 ? scan_fail(c, js) : 0;
}

/* Convert the value at js into items under key. */
static int
conv_value(struct conv *c, struct jscan *js, const char *key, size_t keylen)
{
	struct wbs_item	*it;
	struct jstr	 s;
	struct jnum	 num;
	enum jkind	 k;
	const char	*start;

	switch ((k = jscan_peek(js))) {
	case JK_OBJECT:
		return conv_object(c, js, key, keylen);
	case JK_ARRAY:
		start = js->p;
		if (jscan_skip(js) < 0)
			return scan_fail(c, js);
		return json_item(c, key, keylen, start, (size_t)(js->p - start));
	case JK_STRING:
		if (jscan_string(js, &s) < 0)
			return scan_fail(c, js);
		if (s.esc)
			s.len = jscan_unescape(s.p, s.len, (char *)s.p);
		if (add_bytes(c, key, keylen, s.len) < 0)
			return -1;
		it = push(c, key);
		it->v.type = WBS_STRING;
		it->v.u.s.ptr = s.p;
		it->v.u.s.len = s.len;
		return 0;
	case JK_NUMBER:
		if (jscan_number(js, &num) < 0)
			return scan_fail(c, js);
		if (add_bytes(c, key, keylen, 0) < 0)
			return -1;
		it = push(c, key);
		if (num.isint) {
			it->v.type = WBS_INT;
			it->v.u.i = num.i;
		} else {
			it->v.type = WBS_DOUBLE;
			it->v.u.d = num.d;
		}
		return 0;
	case JK_TRUE:
	case JK_FALSE:
	case JK_NULL:
		if (jscan_literal(js, &k) < 0)
			return scan_fail(c, js);
		if (add_bytes(c, key, keylen, 0) < 0)
			return -1;
		it = push(c, key);
		if (k == JK_NULL)
			it->v.type = WBS_NULL;
		else {
			it->v.type = WBS_BOOL;
			it->v.u.b = k == JK_TRUE;
		}
		return 0;
	default:
		if (jscan_skip(js) < 0)
			return scan_fail(c, js);
		return conv_fail(c, key, "unexpected value");
	}
}

/* The _step of a history line: a non-negative integer. */
static int
conv_step(struct conv *c, struct jscan *js)
{
	struct jnum num;

	if (jscan_peek(js) != JK_NUMBER || jscan_number(js, &num) < 0)
		return conv_fail(c, "_step", "not a number");
	if (!num.isint) {
		if (!(num.d >= 0 && num.d < 9.2e18) || num.d != (double)(int64_t)
		    num.d)
			return conv_fail(c, "_step", "not a non-negative "
			    "integer");
		num.i = (int64_t)num.d;
	}
	if (num.i < 0)
		return conv_fail(c, "_step", "negative");
	c->step = num.i;
	c->has_step = 1;
	return 0;
}

/* A top-level member of a line; the key is decoded in place. */
static int
conv_member(struct conv *c, struct jscan *js, struct jstr *k)
{
	char	*key = (char *)k->p;
	size_t	 klen = k->esc ? jscan_unescape(k->p, k->len, key) : k->len;

	/* The closing quote (or a decoded-away byte) becomes the NUL. */
	key[klen] = '\0';
	if (c->kind == CONV_HISTORY || c->kind == CONV_EVENTS) {
		if (strcmp(key, "_runtime") == 0 || (c->kind == CONV_EVENTS &&
		    strcmp(key, "_wandb") == 0))
			return jscan_skip(js) < 0 ? scan_fail(c, js) : 0;
		if (c->kind == CONV_HISTORY && strcmp(key, "_step") == 0)
			return conv_step(c, js);
		if (c->kind == CONV_EVENTS && strncmp(key, "system.", 7) == 0) {
			key += 7;
			klen -= 7;
		}
	}
	if (check_comp(c, key, klen, NULL) < 0)
		return -1;
	if (klen > WBS_KEY_MAX)
		return conv_fail(c, NULL, "a key is longer than 1024 bytes");
	return conv_value(c, js, key, klen);
}

/*
 * Convert one JSON object (a history, events or summary line) held in
 * the mutable text [p, p + len) into items appended to c->iv.
 */
int
conv_line(struct conv *c, char *p, size_t len)
{
	struct jscan	js;
	struct jstr	k;
	size_t		n = 0;
	int		rc;

	c->has_step = 0;
	c->step = 0;
	c->row_bytes = 0;
	c->err[0] = '\0';
	jscan_init(&js, p, len);
	if (jscan_peek(&js) != JK_OBJECT)
		return conv_fail(c, NULL, "a line must be a JSON object");
	if (jscan_open(&js, '{') < 0)
		return scan_fail(c, &js);
	while ((rc = jscan_member(&js, &n, &k)) == 1)
		if (conv_member(c, &js, &k) < 0)
			return -1;
	if (rc < 0 || jscan_done(&js) < 0)
		return scan_fail(c, &js);
	return 0;
}

/* The "value" inside one config entry {"value": v, "desc": ...}. */
static int
conv_config_entry(struct conv *c, struct jscan *js, const char *key,
    size_t klen)
{
	struct jstr	k;
	size_t		n = 0;
	int		rc, seen = 0;

	if (jscan_peek(js) != JK_OBJECT)
		return conv_fail(c, key, "config entries must be objects "
		    "{\"value\": ...}");
	if (jscan_open(js, '{') < 0)
		return scan_fail(c, js);
	while ((rc = jscan_member(js, &n, &k)) == 1) {
		if (!jscan_streq(&k, "value")) {
			if (jscan_skip(js) < 0)
				return scan_fail(c, js);
			continue;
		}
		seen = 1;
		if (strcmp(key, "_wandb") == 0) {
			const char *start;

			(void)jscan_peek(js);
			start = js->p;
			if (jscan_skip(js) < 0)
				return scan_fail(c, js);
			if (json_item(c, key, klen, start, (size_t)(js->p -
			    start)) < 0)
				return -1;
		} else if (conv_value(c, js, key, klen) < 0)
			return -1;
	}
	if (rc < 0)
		return scan_fail(c, js);
	if (!seen)
		return conv_fail(c, key, "config entry has no \"value\"");
	return 0;
}

/* Convert a config document {key: {"value": v}} in [p, p + len). */
int
conv_config(struct conv *c, char *p, size_t len)
{
	struct jscan	js;
	struct jstr	k;
	size_t		n = 0;
	int		rc;

	c->row_bytes = 0;
	c->err[0] = '\0';
	jscan_init(&js, p, len);
	if (jscan_peek(&js) != JK_OBJECT)
		return conv_fail(c, NULL, "config must be a JSON object");
	if (jscan_open(&js, '{') < 0)
		return scan_fail(c, &js);
	while ((rc = jscan_member(&js, &n, &k)) == 1) {
		char	*key = (char *)k.p;
		size_t	 klen = k.esc ? jscan_unescape(k.p, k.len, key) : k.len;

		key[klen] = '\0';
		if (check_comp(c, key, klen, NULL) < 0)
			return -1;
		if (klen > WBS_KEY_MAX)
			return conv_fail(c, NULL, "a key is longer than 1024 "
			    "bytes");
		if (conv_config_entry(c, &js, key, klen) < 0)
			return -1;
	}
	if (rc < 0 || jscan_done(&js) < 0)
		return scan_fail(c, &js);
	return 0;
}
