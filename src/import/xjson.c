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

#include <float.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

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

static const double pow10_exact[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

#if LDBL_MANT_DIG == 64 && (defined(__x86_64__) || defined(__i386__))
#define HAVE_LD_FAST	1
static const long double pow10_ld[] = {
	1e0L, 1e1L, 1e2L, 1e3L, 1e4L, 1e5L, 1e6L, 1e7L, 1e8L, 1e9L, 1e10L,
	1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L, 1e20L,
	1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L
};

/*
 * 1 if long double arithmetic really has its 64-bit significand: not so
 * under valgrind, which computes x87 operations in double precision.
 */
static int
ld_exact(void)
{
	static _Atomic int	 known = -1;
	volatile long double	 three = 3;
	long double		 third;
	uint64_t		 sig;
	int			 k;

	if ((k = atomic_load_explicit(&known, memory_order_relaxed)) >= 0)
		return k;
	third = 1 / three;
	memcpy(&sig, &third, sizeof(sig));
	k = (sig & 0x7ff) != 0;		/* 1/3 fills all 64 bits */
	atomic_store_explicit(&known, k, memory_order_relaxed);
	return k;
}

/*
 * m * 10^exp as the nearest double, for |exp| <= 27 (whose powers of ten
 * are exact in the 64-bit significand of x87 long double, as is m): one
 * long double operation rounds once, and rounding that to a double is
 * right unless it lies next to the midpoint of two doubles (its 11 low
 * bits near 0x400), which is left to strtod.  1 if *d was set.  Floats
 * printed with 17 digits, most of W&B's, take this path.
 */
static int
ld_fast(uint64_t m, int exp, double *d)
{
	long double	r = (long double)m;
	uint64_t	sig;
	unsigned	low;

	if (!ld_exact())
		return 0;
	r = exp < 0 ? r / pow10_ld[-exp] : r * pow10_ld[exp];
	memcpy(&sig, &r, sizeof(sig));		/* the explicit significand */
	low = (unsigned)(sig & 0x7ff);
	if (low >= 0x3ff && low <= 0x401)
		return 0;
	*d = (double)r;
	return 1;
}
#endif

/*
 * A number (JSON grammar).  Integers that fit int64 are WBS_INT; other
 * integers are WBS_JSON text; the rest WBS_DOUBLE, computed exactly when
 * the digits fit 53 bits and the power of ten is exact, else by ld_fast()
 * when it can, else by strtod.
 */
static int
number(struct xj *x, struct wbs_value *v)
{
	const char	*start = x->p, *p = x->p;
	uint64_t	 m = 0;
	int		 neg = 0, frac = 0, exp = 0, exact = 1;
	int		 isint = 1;

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
		for (; p < x->end && *p >= '0' && *p <= '9'; p++) {
			if (m > (UINT64_MAX - 9) / 10) {
				exact = 0;
				continue;
			}
			m = m * 10 + (uint64_t)(*p - '0');
			frac++;
		}
	}
	if (p < x->end && (*p == 'e' || *p == 'E')) {
		int eneg = 0, e = 0;

		isint = 0;
		p++;
		if (p < x->end && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		if (p == x->end || *p < '0' || *p > '9')
			return -1;
		for (; p < x->end && *p >= '0' && *p <= '9'; p++)
			if (e < 100000)
				e = e * 10 + (*p - '0');
		exp = eneg ? -e : e;
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
	exp -= frac;
	if (exact && m < (1ull << 53) && exp >= -22 && exp <= 22) {
		double d = (double)m;

		d = exp < 0 ? d / pow10_exact[-exp] : d * pow10_exact[exp];
		v->u.d = neg ? -d : d;
		return 0;
	}
#ifdef HAVE_LD_FAST
	if (exact && exp >= -27 && exp <= 27 && ld_fast(m, exp, &v->u.d)) {
		if (neg)
			v->u.d = -v->u.d;
		return 0;
	}
#endif
	{
		char	 buf[128], *tmp = buf;
		size_t	 n = (size_t)(p - start);

		if (n >= sizeof(buf) && (tmp = imp_alloc(x->a, n + 1)) == NULL)
			return -1;
		memcpy(tmp, start, n);
		tmp[n] = '\0';
		v->u.d = strtod(tmp, NULL);
	}
	return 0;
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
