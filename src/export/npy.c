/*
 * npy.c - NumPy .npy headers and values (format version 1.0: magic
 * "\x93NUMPY", version 1.0, a little-endian 16-bit header length, then a
 * Python dict literal giving descr, fortran_order and shape).
 */
#include "config.h"

#include <string.h>

#include "npy.h"

/* The header of an array (see npy.h). */
void
npy_header(struct buf *b, const char *descr, const uint64_t *shape, int ndim)
{
	struct buf	d;
	size_t		total;

	buf_init(&d);
	buf_printf(&d, "{'descr': '%s', 'fortran_order': False, 'shape': (",
	    descr);
	for (int i = 0; i < ndim; i++)
		buf_printf(&d, "%llu,%s", (unsigned long long)shape[i],
		    i + 1 < ndim ? " " : "");
	if (ndim > 1)
		d.len--;	/* (2, 3) but (2,) */
	buf_adds(&d, "), }");
	total = 10 + d.len + 1;
	while (total % 64 != 0) {
		buf_addc(&d, ' ');
		total++;
	}
	buf_addc(&d, '\n');
	buf_add(b, "\x93NUMPY\x01\x00", 8);
	buf_addc(b, (char)(d.len & 0xff));
	buf_addc(b, (char)(d.len >> 8));
	buf_add(b, d.p, d.len);
	buf_release(&d);
}

/* Append d as 8 little-endian bytes. */
void
npy_f8(struct buf *b, double d)
{
	uint64_t	u;
	char		le[8];

	memcpy(&u, &d, 8);
	for (int i = 0; i < 8; i++)
		le[i] = (char)(u >> (8 * i));
	buf_add(b, le, 8);
}

/* Decode one UTF-8 sequence at *s (advancing it); U+FFFD if invalid. */
static uint32_t
utf8_next(const char **sp)
{
	const unsigned char	*s = (const unsigned char *)*sp;
	uint32_t		 c = s[0];
	int			 n = 0;

	if (c >= 0xf0 && c < 0xf8) {
		c &= 0x07;
		n = 3;
	} else if (c >= 0xe0) {
		c &= 0x0f;
		n = 2;
	} else if (c >= 0xc0) {
		c &= 0x1f;
		n = 1;
	} else if (c >= 0x80) {
		(*sp)++;
		return 0xfffd;
	}
	for (int i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*sp += i;
			return 0xfffd;
		}
		c = c << 6 | (s[i] & 0x3f);
	}
	*sp += n + 1;
	return c;
}

/* Code points in a UTF-8 string. */
size_t
npy_u8len(const char *s)
{
	size_t n = 0;

	while (*s != '\0') {
		utf8_next(&s);
		n++;
	}
	return n;
}

/* Append s as width UTF-32LE code units, zero-padded. */
void
npy_u32(struct buf *b, const char *s, size_t width)
{
	for (size_t i = 0; i < width; i++) {
		uint32_t	c = *s != '\0' ? utf8_next(&s) : 0;
		char		le[4] = { (char)c, (char)(c >> 8),
		    (char)(c >> 16), (char)(c >> 24) };

		buf_add(b, le, 4);
	}
}
