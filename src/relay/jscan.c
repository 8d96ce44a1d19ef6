/*
 * jscan.c - the allocation-free JSON scanner (see jscan.h).
 *
 * Why not jansson here: a file_stream body of 1,000 history lines costs
 * jansson about 2.7 us per line to parse the body and another 4 us per
 * line to parse each line into a tree, against about 0.3 us in all for
 * this scanner, which builds nothing and reads every byte once.  jansson
 * stays in use for GraphQL documents, where speed does not matter.  The
 * scanner is checked against jansson by t/unit/relay-jscan-t and by the
 * fuzz target t/fuzz/relay-jscan.c.
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "jscan.h"
#include "utf8.h"

/* Start scanning [p, p + len). */
void
jscan_init(struct jscan *js, const char *p, size_t len)
{
	js->start = js->p = p;
	js->end = p + len;
	js->depth = 0;
	js->err[0] = '\0';
}

/* Record an error (the first one wins) with its byte offset; -1. */
int
jscan_fail(struct jscan *js, const char *fmt, ...)
{
	va_list	ap;
	char	msg[sizeof(js->err)];

	if (js->err[0] != '\0')
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(js->err, sizeof(js->err), "%s at byte %zu", msg,
	    (size_t)(js->p - js->start));
	return -1;
}

/* Byte offset of the scanner. */
size_t
jscan_offset(const struct jscan *js)
{
	return (size_t)(js->p - js->start);
}

static inline void
skip_ws(struct jscan *js)
{
	while (js->p < js->end && (*js->p == ' ' || *js->p == '\n' ||
	    *js->p == '\r' || *js->p == '\t'))
		js->p++;
}

/* The kind of the next value (whitespace skipped), JK_END at the end. */
enum jkind
jscan_peek(struct jscan *js)
{
	skip_ws(js);
	if (js->p == js->end)
		return JK_END;
	switch (*js->p) {
	case '{':
		return JK_OBJECT;
	case '[':
		return JK_ARRAY;
	case '"':
		return JK_STRING;
	case 't':
		return JK_TRUE;
	case 'f':
		return JK_FALSE;
	case 'n':
		return JK_NULL;
	case '-': case 'N': case 'I':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return JK_NUMBER;
	default:
		return JK_BAD;
	}
}

/* Consume '{' or '[' and enter it. */
int
jscan_open(struct jscan *js, int c)
{
	skip_ws(js);
	if (js->p == js->end || *js->p != c)
		return jscan_fail(js, "expected '%c'", c);
	if (++js->depth > JSCAN_DEPTH_MAX)
		return jscan_fail(js, "nesting deeper than %d", JSCAN_DEPTH_MAX);
	js->p++;
	return 0;
}

/*
 * Next member of an open object: 1 with its key read and the ':'
 * consumed (the value follows), 0 after the closing '}'.  *n counts the
 * members so far; start it at 0.
 */
int
jscan_member(struct jscan *js, size_t *n, struct jstr *key)
{
	skip_ws(js);
	if (js->p == js->end)
		return jscan_fail(js, "unterminated object");
	if (*js->p == '}') {
		js->p++;
		js->depth--;
		return 0;
	}
	if (*n > 0) {
		if (*js->p != ',')
			return jscan_fail(js, "expected ',' or '}' in object");
		js->p++;
		skip_ws(js);
	}
	if (js->p == js->end || *js->p != '"')
		return jscan_fail(js, "expected a string key");
	if (jscan_string(js, key) < 0)
		return -1;
	skip_ws(js);
	if (js->p == js->end || *js->p != ':')
		return jscan_fail(js, "expected ':' after key");
	js->p++;
	(*n)++;
	return 1;
}

/* Next element of an open array: 1 if a value follows, 0 after ']'. */
int
jscan_element(struct jscan *js, size_t *n)
{
	skip_ws(js);
	if (js->p == js->end)
		return jscan_fail(js, "unterminated array");
	if (*js->p == ']') {
		js->p++;
		js->depth--;
		return 0;
	}
	if (*n > 0) {
		if (*js->p != ',')
			return jscan_fail(js, "expected ',' or ']' in array");
		js->p++;
		skip_ws(js);
		if (js->p < js->end && *js->p == ']')
			return jscan_fail(js, "trailing ',' in array");
	}
	(*n)++;
	return 1;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits at p (bounds checked by the caller); -1 if not hex. */
static long
hex4(const char *p)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		int h = hexval((unsigned char)p[i]);

		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

/* 1 if [p, p + n) is valid UTF-8. */
int
jscan_utf8_valid(const char *p, size_t n)
{
	return utf8_valid(p, n);
}

/* Check one escape at p (after the backslash); its length or 0. */
static size_t
check_escape(const char *p, const char *end)
{
	long u, lo;

	if (p == end)
		return 0;
	switch (*p) {
	case '"': case '\\': case '/': case 'b': case 'f': case 'n':
	case 'r': case 't':
		return 1;
	case 'u':
		break;
	default:
		return 0;
	}
	if (end - p < 5 || (u = hex4(p + 1)) < 0)
		return 0;
	if (u >= 0xdc00 && u <= 0xdfff)
		return 0;		/* lone low surrogate */
	if (u < 0xd800 || u > 0xdbff)
		return 5;
	/* A high surrogate needs a low one right after it. */
	if (end - p < 11 || p[5] != '\\' || p[6] != 'u' ||
	    (lo = hex4(p + 7)) < 0xdc00 || lo > 0xdfff)
		return 0;
	return 11;
}

/*
 * Bytes a string takes as they are: printable ASCII but the quote and the
 * backslash.  One table lookup a byte in the common case.
 */
#define PLAIN16(b)	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
static const unsigned char str_plain[256] = {
	[0x20] = 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 0x20 */
	[0x30] = PLAIN16(0x30),
	[0x40] = PLAIN16(0x40),
	[0x50] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,	/* 0x50 */
	[0x60] = PLAIN16(0x60),
	[0x70] = PLAIN16(0x70),
};
#undef PLAIN16

#define ONES	0x0101010101010101ull
#define HIGHS	0x8080808080808080ull

/*
 * Non-zero if the eight bytes of w may hold a byte that is not plain: a
 * quote, a backslash, a control character or a non-ASCII byte.  (The
 * zero-byte test may also flag the byte above a real match; that only
 * sends the caller to the byte loop.)
 */
static inline uint64_t
word_special(uint64_t w)
{
	uint64_t q = w ^ (ONES * '"'), b = w ^ (ONES * '\\');

	return (((q - ONES) & ~q) | ((b - ONES) & ~b) | (w - ONES * 0x20) |
	    w) & HIGHS;
}

/* A string token; the scanner sits on its opening quote. */
int
jscan_string(struct jscan *js, struct jstr *s)
{
	const unsigned char *p, *end = (const unsigned char *)js->end;
	int		 esc = 0;

	skip_ws(js);
	if (js->p == js->end || *js->p != '"')
		return jscan_fail(js, "expected a string");
	p = (const unsigned char *)++js->p;
	for (;;) {
		unsigned char c;

		/* Plain ASCII runs are the common case: eight bytes a step. */
		while (end - p >= 8) {
			uint64_t w;

			memcpy(&w, p, sizeof(w));
			if (!word_special(w))
				p += 8;
			else
				break;
		}
		while (p < end && str_plain[*p])
			p++;
		if (p == end) {
			js->p = (const char *)p;
			return jscan_fail(js, "unterminated string");
		}
		c = *p;
		if (c == '"')
			break;
		if (c == '\\') {
			size_t n = check_escape((const char *)p + 1,
			    (const char *)end);

			if (n == 0) {
				js->p = (const char *)p;
				return jscan_fail(js, "bad escape in string");
			}
			esc = 1;
			p += 1 + n;
		} else if (c < 0x20) {
			js->p = (const char *)p;
			return jscan_fail(js, "control character 0x%02x in "
			    "string", c);
		} else {
			size_t n = utf8_seq(p, end);

			if (n == 0) {
				js->p = (const char *)p;
				return jscan_fail(js, "invalid UTF-8 in string");
			}
			p += n;
		}
	}
	s->p = js->p;
	s->len = (size_t)((const char *)p - js->p);
	s->esc = esc;
	js->p = (const char *)p + 1;
	return 0;
}

/* Encode a code point as UTF-8; its length. */
static size_t
put_utf8(char *out, unsigned long cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Decode the escapes of a string slice that jscan_string() accepted into
 * out (room for len bytes; out may equal p: decoding only shrinks).
 * Returns the decoded length.  No NUL is added.
 */
size_t
jscan_unescape(const char *p, size_t len, char *out)
{
	const char	*end = p + len;
	char		*o = out;

	while (p < end) {
		/* Copy up to the next backslash, eight bytes a step. */
		while (end - p >= 8) {
			uint64_t w, b;

			memcpy(&w, p, sizeof(w));
			b = w ^ (ONES * '\\');
			if (((b - ONES) & ~b & HIGHS) != 0)
				break;
			memcpy(o, &w, sizeof(w));
			o += 8;
			p += 8;
		}
		while (p < end && *p != '\\')
			*o++ = *p++;
		if (p == end)
			break;
		p++;
		switch (*p++) {
		case 'b':
			*o++ = '\b';
			break;
		case 'f':
			*o++ = '\f';
			break;
		case 'n':
			*o++ = '\n';
			break;
		case 'r':
			*o++ = '\r';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'u': {
			unsigned long cp = (unsigned long)hex4(p);

			p += 4;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				unsigned long lo = (unsigned long)hex4(p + 2);

				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				p += 6;
			}
			o += put_utf8(o, cp);
			break;
		}
		default:		/* " \ / */
			*o++ = p[-1];
			break;
		}
	}
	return (size_t)(o - out);
}

/* 1 if the decoded string s equals lit. */
int
jscan_streq(const struct jstr *s, const char *lit)
{
	size_t n = strlen(lit);

	if (!s->esc)
		return s->len == n && memcmp(s->p, lit, n) == 0;
	if (s->len < n || s->len > 6 * n)
		return 0;
	{
		char	buf[256];
		size_t	m;

		if (s->len > sizeof(buf))
			return 0;
		m = jscan_unescape(s->p, s->len, buf);
		return m == n && memcmp(buf, lit, n) == 0;
	}
}

/* The extended tokens NaN, Infinity, -Infinity, if at p. */
static int
special_number(struct jscan *js, struct jnum *num)
{
	size_t left = (size_t)(js->end - js->p);

	if (left >= 3 && memcmp(js->p, "NaN", 3) == 0) {
		js->p += 3;
		num->d = NAN;
	} else if (left >= 8 && memcmp(js->p, "Infinity", 8) == 0) {
		js->p += 8;
		num->d = INFINITY;
	} else if (left >= 9 && memcmp(js->p, "-Infinity", 9) == 0) {
		js->p += 9;
		num->d = -INFINITY;
	} else
		return 0;
	num->isint = 0;
	num->i = 0;
	return 1;
}

/*
 * A number.  Integers without fraction or exponent that fit in int64
 * stay integers; everything else is a double, correctly rounded by
 * wbs_decimal() (overflow gives +-infinity, as W&B's parsers do).
 */
int
jscan_number(struct jscan *js, struct jnum *num)
{
	const char	*s, *p, *end = js->end;
	uint64_t	 m = 0;
	int		 neg = 0, digits = 0, isint = 1;

	skip_ws(js);
	if (js->p < end && (*js->p == 'N' || *js->p == 'I' || (*js->p == '-' &&
	    end - js->p > 1 && js->p[1] == 'I'))) {
		if (special_number(js, num))
			return 0;
		return jscan_fail(js, "invalid literal");
	}
	s = p = js->p;
	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	if (p == end || *p < '0' || *p > '9')
		return jscan_fail(js, "invalid number");
	if (*p == '0') {
		p++;
		if (p < end && *p >= '0' && *p <= '9')
			return jscan_fail(js, "leading zero in number");
	} else
		for (; p < end && *p >= '0' && *p <= '9'; p++) {
			if (digits < 19)
				m = m * 10 + (uint64_t)(*p - '0');
			digits++;
		}
	if (p < end && *p == '.') {
		isint = 0;
		p++;
		if (p == end || *p < '0' || *p > '9')
			return jscan_fail(js, "digit expected after '.'");
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		isint = 0;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p == end || *p < '0' || *p > '9')
			return jscan_fail(js, "digit expected in exponent");
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	js->p = p;
	if (isint && (digits <= 18 || (digits == 19 &&
	    m <= (uint64_t)INT64_MAX + neg))) {
		num->isint = 1;
		num->i = neg ? (int64_t)(0 - m) : (int64_t)m;
		num->d = (double)num->i;
		return 0;
	}
	num->isint = 0;
	num->i = 0;
	if (wbs_decimal(s, p, &num->d) != p - s)
		return jscan_fail(js, "invalid number");
	return 0;
}

/* true, false or null. */
int
jscan_literal(struct jscan *js, enum jkind *kind)
{
	static const struct {
		const char	*w;
		size_t		 n;
		enum jkind	 k;
	} lits[] = {
		{ "true", 4, JK_TRUE },
		{ "false", 5, JK_FALSE },
		{ "null", 4, JK_NULL },
	};

	skip_ws(js);
	for (size_t i = 0; i < sizeof(lits) / sizeof(lits[0]); i++)
		if ((size_t)(js->end - js->p) >= lits[i].n &&
		    memcmp(js->p, lits[i].w, lits[i].n) == 0) {
			js->p += lits[i].n;
			*kind = lits[i].k;
			return 0;
		}
	return jscan_fail(js, "invalid literal");
}

/* Skip (and check) one value of any kind. */
int
jscan_skip(struct jscan *js)
{
	struct jstr	s;
	struct jnum	num;
	enum jkind	k;
	size_t		n = 0;
	int		rc;

	switch (jscan_peek(js)) {
	case JK_OBJECT:
		if (jscan_open(js, '{') < 0)
			return -1;
		while ((rc = jscan_member(js, &n, &s)) == 1)
			if (jscan_skip(js) < 0)
				return -1;
		return rc;
	case JK_ARRAY:
		if (jscan_open(js, '[') < 0)
			return -1;
		while ((rc = jscan_element(js, &n)) == 1)
			if (jscan_skip(js) < 0)
				return -1;
		return rc;
	case JK_STRING:
		return jscan_string(js, &s);
	case JK_NUMBER:
		return jscan_number(js, &num);
	case JK_TRUE:
	case JK_FALSE:
	case JK_NULL:
		return jscan_literal(js, &k);
	case JK_END:
		return jscan_fail(js, "value expected, end of text found");
	default:
		if ((unsigned char)*js->p < 0x20 || (unsigned char)*js->p >= 0x7f)
			return jscan_fail(js, "unexpected byte 0x%02X",
			    (unsigned char)*js->p);
		return jscan_fail(js, "unexpected character '%c'", *js->p);
	}
}

/* Only whitespace may follow. */
int
jscan_done(struct jscan *js)
{
	skip_ws(js);
	if (js->p != js->end)
		return jscan_fail(js, "text after the end of the value");
	return 0;
}
