/*
 * buf.c - growable text buffers and extended-JSON output.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"

void
buf_init(struct buf *b)
{
	memset(b, 0, sizeof(*b));
}

void
buf_release(struct buf *b)
{
	free(b->p);
	buf_init(b);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
}

/* Make room for n more bytes plus a NUL; out of memory is fatal. */
static void
buf_grow(struct buf *b, size_t n)
{
	size_t cap;

	if (b->len + n + 1 <= b->cap)
		return;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + n + 1)
		cap *= 2;
	if ((b->p = realloc(b->p, cap)) == NULL)
		fatalx("out of memory (%zu bytes)", cap);
	b->cap = cap;
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	buf_grow(b, n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_addc(struct buf *b, char c)
{
	buf_grow(b, 1);
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* The buffer as a C string (never NULL). */
const char *
buf_cstr(struct buf *b)
{
	if (b->p == NULL)
		buf_grow(b, 0), b->p[0] = '\0';
	return b->p;
}

/* A JSON string literal; bytes that are not UTF-8 were refused earlier. */
void
json_str(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t start = 0;

	buf_addc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		buf_add(b, s + start, i - start);
		start = i + 1;
		switch (c) {
		case '"':
			buf_adds(b, "\\\"");
			break;
		case '\\':
			buf_adds(b, "\\\\");
			break;
		case '\n':
			buf_adds(b, "\\n");
			break;
		case '\r':
			buf_adds(b, "\\r");
			break;
		case '\t':
			buf_adds(b, "\\t");
			break;
		default: {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4],
			    hex[c & 15] };

			buf_add(b, e, 6);
		}
		}
	}
	buf_add(b, s + start, n - start);
	buf_addc(b, '"');
}

/*
 * A double in the shortest form that reads back exactly, always with a
 * fraction or exponent so that it stays a float; NaN and infinities as
 * W&B's bare tokens.
 */
void
json_double(struct buf *b, double d)
{
	char tmp[40];

	if (isnan(d)) {
		buf_adds(b, "NaN");
		return;
	}
	if (isinf(d)) {
		buf_adds(b, d > 0 ? "Infinity" : "-Infinity");
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	buf_adds(b, tmp);
	if (strpbrk(tmp, ".e") == NULL)
		buf_adds(b, ".0");
}

/* A typed value as JSON; JSON values are copied as they are. */
void
json_value(struct buf *b, const struct wbs_value *v)
{
	switch (v->type) {
	case WBS_DOUBLE:
		json_double(b, v->u.d);
		break;
	case WBS_INT:
		buf_printf(b, "%lld", (long long)v->u.i);
		break;
	case WBS_BOOL:
		buf_adds(b, v->u.b ? "true" : "false");
		break;
	case WBS_STRING:
		json_str(b, v->u.s.ptr, v->u.s.len);
		break;
	case WBS_JSON:
		buf_add(b, v->u.s.ptr, v->u.s.len);
		break;
	case WBS_BYTES: {
		/* Bytes have no JSON form: base64 under a typed object. */
		static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789+/";
		const unsigned char *p = (const unsigned char *)v->u.s.ptr;
		size_t n = v->u.s.len;

		buf_adds(b, "{\"_type\":\"bytes\",\"base64\":\"");
		for (size_t i = 0; i < n; i += 3) {
			uint32_t w = (uint32_t)p[i] << 16;

			if (i + 1 < n)
				w |= (uint32_t)p[i + 1] << 8;
			if (i + 2 < n)
				w |= p[i + 2];
			buf_addc(b, b64[w >> 18 & 63]);
			buf_addc(b, b64[w >> 12 & 63]);
			buf_addc(b, i + 1 < n ? b64[w >> 6 & 63] : '=');
			buf_addc(b, i + 2 < n ? b64[w & 63] : '=');
		}
		buf_adds(b, "\"}");
		break;
	}
	default:
		buf_adds(b, "null");
		break;
	}
}
