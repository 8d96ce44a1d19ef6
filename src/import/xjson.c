/*
 * xjson.c - W&B's extended JSON (value_json) into typed items.
 *
 * W&B writes JSON with the bare tokens NaN, Infinity and -Infinity, which
 * strict parsers reject.  This is a small recursive-descent parser of that
 * dialect that never builds a tree: scalars become typed values, objects
 * are walked into key paths, and arrays and media objects (those with a
 * "_type" member) are kept as the verbatim JSON text.  Numbers without a
 * fraction or exponent that fit 64 bits are integers; larger ones stay
 * JSON text so that no digit is lost.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "imp-int.h"
#include "utf8.h"

#define XJ_DEPTH	256	/* nesting accepted */

struct xj {
	const char		*p;
	const char		*end;
	int			 depth;
	struct imp_arena	*a;
};

/* 1 if s[0..len) is valid UTF-8 (no overlongs, surrogates or > U+10FFFF). */
int
imp_utf8(const char *str, size_t len)
{
	return utf8_valid(str, len);
}

/* 1 if s[0..len) can be a key component: non-empty, no control bytes. */
int
imp_component(const char *s, size_t len)
{
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return 0;
	}
	return 1;
}

static void
ws(struct xj *x)
{
	while (x->p < x->end && (*x->p == ' ' || *x->p == '\n' ||
	    *x->p == '\r' || *x->p == '\t'))
		x->p++;
}

/* Match a literal word. */
static int
word(struct xj *x, const char *w, size_t n)
{
	if ((size_t)(x->end - x->p) < n || memcmp(x->p, w, n) != 0)
		return 0;
	x->p += n;
	return 1;
}

static int
hex4(const char *p, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Encode a code point as UTF-8; bytes written. */
static size_t
utf8_put(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * A string at x->p (the opening quote).  With out set, out and outlen get
 * the unescaped text (NUL-terminated, in the arena unless it needed no
 * unescaping and nul is 0).  A lone surrogate becomes U+FFFD.
 */
static int
string(struct xj *x, const char **out, size_t *outlen, int nul)
{
	const char	*s = ++x->p, *q;
	char		*o, *w;
	int		 esc = 0;

	for (q = s; q < x->end && *q != '"'; q++) {
		if ((unsigned char)*q < 0x20)
			return -1;
		if (*q == '\\') {
			esc = 1;
			if (++q == x->end)
				return -1;
		}
	}
	if (q == x->end)
		return -1;
	x->p = q + 1;
	if (!esc) {
		if (out != NULL) {
			if (nul && (s = imp_strndup(x->a, s, (size_t)(q - s))) ==
			    NULL)
				return -1;
			*out = s;
			*outlen = (size_t)(q - s);
		}
		return 0;
	}
	if (out == NULL) {
		/* Still check the escapes. */
		for (const char *p = s; p < q; p++) {
			uint32_t cp;

			if (*p != '\\')
				continue;
			p++;
			if (*p == 'u') {
				if (q - p < 5 || hex4(p + 1, &cp) != 0)
					return -1;
				p += 4;
			} else if (*p == '\0' || strchr("\"\\/bfnrt", *p) ==
			    NULL)
				return -1;	/* strchr finds the NUL too */
		}
		return 0;
	}
	/* Unescaped text is never longer than the escaped one. */
	if ((o = imp_alloc(x->a, (size_t)(q - s) + 1)) == NULL)
		return -1;
	w = o;
	for (const char *p = s; p < q; p++) {
		uint32_t cp, lo;

		if (*p != '\\') {
			*w++ = *p;
			continue;
		}
		switch (*++p) {
		case '"': *w++ = '"'; break;
		case '\\': *w++ = '\\'; break;
		case '/': *w++ = '/'; break;
		case 'b': *w++ = '\b'; break;
		case 'f': *w++ = '\f'; break;
		case 'n': *w++ = '\n'; break;
		case 'r': *w++ = '\r'; break;
		case 't': *w++ = '\t'; break;
		case 'u':
			if (q - p < 5 || hex4(p + 1, &cp) != 0)
				return -1;
			p += 4;
			if (cp >= 0xd800 && cp <= 0xdbff && q - p >= 7 &&
			    p[1] == '\\' && p[2] == 'u' && hex4(p + 3, &lo) == 0 &&
			    lo >= 0xdc00 && lo <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				p += 6;
			} else if (cp >= 0xd800 && cp <= 0xdfff)
				cp = 0xfffd;
			w += utf8_put(w, cp);
			break;
		default:
			return -1;
		}
	}
	*w = '\0';
	*out = o;
	*outlen = (size_t)(w - o);
	return 0;
}

/*
 * A number (JSON grammar).  Integers that fit int64 are WBS_INT; other
 * integers are WBS_JSON text; the rest WBS_DOUBLE, correctly rounded by
 * wbs_decimal().
 */
static int
number(struct xj *x, struct wbs_value *v)
{
	const char	*start = x->p, *p = x->p;
	uint64_t	 m = 0;
	int		 neg = 0, exact = 1, isint = 1;

	if (p < x->end && *p == '-') {
		neg = 1;
		p++;
	}
	if (p == x->end || *p < '0' || *p > '9')
		return -1;
	if (*p == '0' && p + 1 < x->end && p[1] >= '0' && p[1] <= '9')
		return -1;
	for (; p < x->end && *p >= '0' && *p <= '9'; p++) {
		if (m > (UINT64_MAX - 9) / 10) {
			exact = 0;
			continue;
		}
		m = m * 10 + (uint64_t)(*p - '0');
	}
	if (p < x->end && *p == '.') {
		isint = 0;
		if (++p == x->end || *p < '0' || *p > '9')
			return -1;
		while (p < x->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < x->end && (*p == 'e' || *p == 'E')) {
		isint = 0;
		p++;
		if (p < x->end && (*p == '+' || *p == '-'))
			p++;
		if (p == x->end || *p < '0' || *p > '9')
			return -1;
		while (p < x->end && *p >= '0' && *p <= '9')
			p++;
	}
	x->p = p;
	if (isint) {
		if (exact && (neg ? m <= (uint64_t)INT64_MAX + 1 :
		    m <= (uint64_t)INT64_MAX)) {
			v->type = WBS_INT;
			v->u.i = neg ? (int64_t)(0 - m) : (int64_t)m;
		} else {
			v->type = WBS_JSON;
			v->u.s.ptr = start;
			v->u.s.len = (size_t)(p - start);
		}
		return 0;
	}
	v->type = WBS_DOUBLE;
	return wbs_decimal(start, p, &v->u.d) == p - start ? 0 : -1;
}

static int skip(struct xj *x);

/* Skip an object or array (x->p at its opening bracket). */
static int
skip_container(struct xj *x)
{
	char	close = *x->p == '{' ? '}' : ']';
	int	obj = close == '}';

	if (++x->depth > XJ_DEPTH)
		return -1;
	x->p++;
	ws(x);
	if (x->p < x->end && *x->p == close) {
		x->p++;
		x->depth--;
		return 0;
	}
	for (;;) {
		if (obj) {
			if (x->p == x->end || *x->p != '"' ||
			    string(x, NULL, NULL, 0) != 0)
				return -1;
			ws(x);
			if (x->p == x->end || *x->p++ != ':')
				return -1;
		}
		if (skip(x) != 0)
			return -1;
		ws(x);
		if (x->p == x->end)
			return -1;
		if (*x->p == ',') {
			x->p++;
			ws(x);
			continue;
		}
		if (*x->p++ != close)
			return -1;
		x->depth--;
		return 0;
	}
}

/* Scalar at x->p into v (strings unescaped into the arena). */
static int
scalar(struct xj *x, struct wbs_value *v)
{
	if (x->p == x->end)
		return -1;
	switch (*x->p) {
	case '"':
		v->type = WBS_STRING;
		return string(x, &v->u.s.ptr, &v->u.s.len, 0);
	case 't':
		v->type = WBS_BOOL;
		v->u.b = 1;
		return word(x, "true", 4) ? 0 : -1;
	case 'f':
		v->type = WBS_BOOL;
		v->u.b = 0;
		return word(x, "false", 5) ? 0 : -1;
	case 'n':
		v->type = WBS_NULL;
		return word(x, "null", 4) ? 0 : -1;
	case 'N':
		v->type = WBS_DOUBLE;
		v->u.d = NAN;
		return word(x, "NaN", 3) ? 0 : -1;
	case 'I':
		v->type = WBS_DOUBLE;
		v->u.d = INFINITY;
		return word(x, "Infinity", 8) ? 0 : -1;
	case '-':
		if (x->end - x->p > 1 && x->p[1] == 'I') {
			v->type = WBS_DOUBLE;
			v->u.d = -INFINITY;
			return word(x, "-Infinity", 9) ? 0 : -1;
		}
		return number(x, v);
	default:
		return number(x, v);
	}
}

/* Skip any value. */
static int
skip(struct xj *x)
{
	struct wbs_value v;

	ws(x);
	if (x->p == x->end)
		return -1;
	if (*x->p == '{' || *x->p == '[')
		return skip_container(x);
	if (*x->p == '"')
		return string(x, NULL, NULL, 0);
	return scalar(x, &v);
}

/*
 * Look over the members of the object at x->p without consuming it: 1 if
 * it can be walked into paths below base (base_len bytes), 0 if it must
 * stay JSON text, -1 if it is not valid.
 */
static int
walkable(struct xj *x, size_t baselen)
{
	struct xj	y = *x;
	int		ok = 1, n = 0;

	y.p++;
	ws(&y);
	if (y.p < y.end && *y.p == '}')
		return 0;		/* {} stays {} */
	for (;;) {
		const char	*k;
		size_t		 klen;

		if (y.p == y.end || *y.p != '"' || string(&y, &k, &klen, 0) != 0)
			return -1;
		n++;
		if ((klen == 5 && memcmp(k, "_type", 5) == 0) ||
		    !imp_component(k, klen) || baselen + 1 + klen > WBS_KEY_MAX)
			ok = 0;
		ws(&y);
		if (y.p == y.end || *y.p++ != ':' || skip(&y) != 0)
			return -1;
		ws(&y);
		if (y.p == y.end)
			return -1;
		if (*y.p == ',') {
			y.p++;
			ws(&y);
			continue;
		}
		if (*y.p != '}')
			return -1;
		return ok && n > 0;
	}
}

/* Append key and value (key copied into the arena). */
static int
emit(struct xj *x, const char *key, size_t klen, const struct wbs_value *v,
    struct imp_items *out)
{
	char *k = imp_strndup(x->a, key, klen);

	if (k == NULL)
		return -1;
	return imp_items_add(out, k, v);
}

/* One value at path[0..plen) (path has room for WBS_KEY_MAX + 1). */
static int
walk(struct xj *x, char *path, size_t plen, unsigned flags,
    struct imp_items *out)
{
	struct wbs_value	 v;
	const char		*start;
	int			 w;

	ws(x);
	if (x->p == x->end)
		return -1;
	start = x->p;
	if (*x->p == '[' || (*x->p == '{' && !(flags & XJ_FLAT))) {
		if (skip_container(x) != 0)
			return -1;
		v.type = WBS_JSON;
		v.u.s.ptr = start;
		v.u.s.len = (size_t)(x->p - start);
		return emit(x, path, plen, &v, out);
	}
	if (*x->p != '{') {
		if (scalar(x, &v) != 0)
			return -1;
		return emit(x, path, plen, &v, out);
	}
	if ((w = walkable(x, plen)) < 0)
		return -1;
	if (w == 0 || x->depth >= XJ_DEPTH) {
		if (skip_container(x) != 0)
			return -1;
		v.type = WBS_JSON;
		v.u.s.ptr = start;
		v.u.s.len = (size_t)(x->p - start);
		return emit(x, path, plen, &v, out);
	}
	x->depth++;
	x->p++;
	for (;;) {
		const char	*k;
		size_t		 klen;

		ws(x);
		if (string(x, &k, &klen, 0) != 0)
			return -1;
		path[plen] = (flags & XJ_DOTS) ? '.' : WBS_SEP_CHAR;
		memcpy(path + plen + 1, k, klen);
		ws(x);
		x->p++;			/* ':' (checked by walkable) */
		if (walk(x, path, plen + 1 + klen, flags & XJ_ONE ?
		    flags & ~(unsigned)(XJ_FLAT | XJ_ONE) : flags, out) != 0)
			return -1;
		ws(x);
		if (*x->p++ == '}')
			break;
	}
	x->depth--;
	return 0;
}

/* See imp-int.h. */
int
xj_items(const char *s, size_t len, const char *base, unsigned flags,
    struct imp_items *out, struct imp_arena *a)
{
	struct xj	 x = { s, s + len, 0, a };
	size_t		 n0 = out->n, blen = strlen(base);
	char		*path;

	if (blen > WBS_KEY_MAX || !imp_utf8(s, len))
		return -1;
	if ((path = imp_alloc(a, WBS_KEY_MAX + 2)) == NULL)
		return -1;
	memcpy(path, base, blen);
	if (walk(&x, path, blen, flags, out) != 0)
		goto bad;
	ws(&x);
	if (x.p != x.end)
		goto bad;
	return 0;
bad:
	out->n = n0;
	return -1;
}

/* See imp-int.h. */
int
xj_scalar(const char *s, size_t len, struct wbs_value *v,
    struct imp_arena *a)
{
	struct xj x = { s, s + len, 0, a };

	ws(&x);
	if (x.p == x.end || *x.p == '{' || *x.p == '[' || scalar(&x, v) != 0)
		return -1;
	ws(&x);
	return x.p == x.end ? 0 : -1;
}

/* See imp-int.h. */
int
xj_valid(const char *s, size_t len, struct imp_arena *a)
{
	struct xj x = { s, s + len, 0, a };

	if (!imp_utf8(s, len) || skip(&x) != 0)
		return 0;
	ws(&x);
	return x.p == x.end;
}
