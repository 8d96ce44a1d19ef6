/*
 * dtoa.h - fast number formatting for the wire: the shortest decimal that
 * reads back as the same double (Grisu2), and integers.
 */
#ifndef WBS_SYNC_DTOA_H
#define WBS_SYNC_DTOA_H

#include <stddef.h>
#include <stdint.h>

#define DTOA_MAX	32	/* bytes dtoa_double() may write, NUL included */

/*
 * Write d as an extended-JSON float token (NaN, Infinity, -Infinity for
 * the special values; always a fraction or an exponent otherwise, so that
 * it stays a float: 1.0, 0.1, 1e-07, 1e+16) the way Python's repr() spells
 * it.  The text reads back as exactly d.  Returns its length; out gets a
 * NUL too.
 */
size_t	dtoa_double(char *out, double d);

/* Write a decimal integer; returns its length (out holds 21 bytes). */
size_t	dtoa_int(char *out, int64_t v);

#endif /* WBS_SYNC_DTOA_H */
