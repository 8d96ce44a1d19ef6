/*
 * utf8.h - UTF-8 checks for libwbstore, the relay's JSON scanner and the
 * importer (header only: libwbstore links nothing of src/common).
 */
#ifndef WBS_UTF8_H
#define WBS_UTF8_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * Length of the well-formed UTF-8 sequence at p, whose lead byte is 0x80
 * or above, before end; 0 if it is not one (overlong forms, surrogates
 * and code points above U+10FFFF are not).
 */
static inline size_t
utf8_seq(const unsigned char *p, const unsigned char *end)
{
	unsigned char	c = p[0];
	size_t		n;
	uint32_t	cp;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 1;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3;
		cp = c & 0x07;
	} else
		return 0;
	if ((size_t)(end - p) <= n)
		return 0;
	for (size_t i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n + 1;
}

/* 1 if [str, str + len) is well-formed UTF-8. */
static inline int
utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + len;

	while (s < end) {
		size_t n;

		if (*s < 0x80) {
			s++;
			/* Whole words of ASCII at a time. */
			while (end - s >= 8) {
				uint64_t w;

				memcpy(&w, s, 8);
				if (w & 0x8080808080808080ull)
					break;
				s += 8;
			}
			continue;
		}
		if ((n = utf8_seq(s, end)) == 0)
			return 0;
		s += n;
	}
	return 1;
}

#endif /* WBS_UTF8_H */
