/*
 * esc.c - one- and two-level JSON escaping for the wire.
 */
#include "config.h"

#include <string.h>

#include "dtoa.h"
#include "esc.h"

static const char hex[] = "0123456789abcdef";

/* Length of a valid UTF-8 sequence (no overlongs, surrogates or > 10FFFF). */
size_t
esc_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0)
			return 0;
		if (c == 0xed && s[1] >= 0xa0)
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && s[1] < 0x90)
			return 0;
		if (c == 0xf4 && s[1] >= 0x90)
			return 0;
		return 4;
	}
	return 0;
}

/*
 * Escape s for levels (1 or 2) of JSON string.  At level 2 every
 * backslash and quote that level 1 produces is escaped once more.
 */
static void
escape(struct buf *b, const char *s, size_t n, int levels)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 start = 0, i = 0;
	const char		*bs = levels == 2 ? "\\\\" : "\\";
	size_t			 bsl = levels == 2 ? 2 : 1;

	while (i < n) {
		unsigned char	c = p[i];
		size_t		l;
		char		e[8];

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0x80) {
			if ((l = esc_utf8_len(p + i, n - i)) != 0) {
				i += l;
				continue;
			}
			buf_add(b, s + start, i - start);
			buf_adds(b, "\xef\xbf\xbd");	/* U+FFFD */
			start = ++i;
			continue;
		}
		buf_add(b, s + start, i - start);
		start = ++i;
		buf_add(b, bs, bsl);
		switch (c) {
		case '"':
			if (levels == 2)
				buf_adds(b, "\\\"");
			else
				buf_addc(b, '"');
			break;
		case '\\':
			buf_add(b, bs, bsl);
			break;
		case '\n':
			buf_addc(b, 'n');
			break;
		case '\r':
			buf_addc(b, 'r');
			break;
		case '\t':
			buf_addc(b, 't');
			break;
		default:
			e[0] = 'u';
			e[1] = '0';
			e[2] = '0';
			e[3] = hex[c >> 4];
			e[4] = hex[c & 15];
			buf_add(b, e, 5);
			break;
		}
	}
	buf_add(b, s + start, n - start);
}

void
esc_str(struct buf *b, const char *s, size_t n)
{
	buf_addc(b, '"');
	escape(b, s, n, 1);
	buf_addc(b, '"');
}

void
esc_str2(struct buf *b, const char *s, size_t n)
{
	buf_add(b, "\\\"", 2);
	escape(b, s, n, 2);
	buf_add(b, "\\\"", 2);
}

void
esc_raw(struct buf *b, const char *s, size_t n)
{
	escape(b, s, n, 1);
}

void
esc_double(struct buf *b, double d)
{
	char	tmp[DTOA_MAX];
	size_t	n = dtoa_double(tmp, d);

	buf_add(b, tmp, n);
}

void
esc_int(struct buf *b, int64_t i)
{
	char	tmp[24];
	size_t	n = dtoa_int(tmp, i);

	buf_add(b, tmp, n);
}

/* Bytes as W&B has no type for them: base64 under a typed object. */
static void
bytes_value(struct buf *b, const struct wbs_value *v, int levels)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789+/";
	const unsigned char	*p = (const unsigned char *)v->u.s.ptr;
	size_t			 n = v->u.s.len;

	buf_adds(b, levels == 2 ? "{\\\"_type\\\":\\\"bytes\\\",\\\"base64\\\":\\\"" :
	    "{\"_type\":\"bytes\",\"base64\":\"");
	for (size_t i = 0; i < n; i += 3) {
		uint32_t	w = (uint32_t)p[i] << 16;
		char		q[4];

		if (i + 1 < n)
			w |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			w |= p[i + 2];
		q[0] = b64[w >> 18 & 63];
		q[1] = b64[w >> 12 & 63];
		q[2] = i + 1 < n ? b64[w >> 6 & 63] : '=';
		q[3] = i + 2 < n ? b64[w & 63] : '=';
		buf_add(b, q, 4);
	}
	buf_adds(b, levels == 2 ? "\\\"}" : "\"}");
}

static void
value(struct buf *b, const struct wbs_value *v, int levels)
{
	switch (v->type) {
	case WBS_DOUBLE:
		esc_double(b, v->u.d);
		break;
	case WBS_INT:
		esc_int(b, v->u.i);
		break;
	case WBS_BOOL:
		buf_adds(b, v->u.b ? "true" : "false");
		break;
	case WBS_STRING:
		if (levels == 2)
			esc_str2(b, v->u.s.ptr, v->u.s.len);
		else
			esc_str(b, v->u.s.ptr, v->u.s.len);
		break;
	case WBS_JSON:
		if (v->u.s.len == 0)
			buf_adds(b, "null");
		else if (levels == 2)
			esc_raw(b, v->u.s.ptr, v->u.s.len);
		else
			buf_add(b, v->u.s.ptr, v->u.s.len);
		break;
	case WBS_BYTES:
		bytes_value(b, v, levels);
		break;
	default:
		buf_adds(b, "null");
		break;
	}
}

void
esc_value(struct buf *b, const struct wbs_value *v)
{
	value(b, v, 1);
}

void
esc_value2(struct buf *b, const struct wbs_value *v)
{
	value(b, v, 2);
}
