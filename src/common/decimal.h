/*
 * decimal.h - text to double, correctly rounded and fast, through
 * fast_float (libfast-float-dev), the algorithm GCC's from_chars uses.
 * glibc's strtod takes 80-90 ns for the 17-digit floats W&B clients
 * print; this takes about 16 ns, and needs neither a NUL terminator nor
 * the locale.
 */
#ifndef WBS_DECIMAL_H
#define WBS_DECIMAL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Parse the decimal number at [p, end) (an optional '-', digits, an
 * optional fraction and exponent: JSON's grammar, which the caller has
 * checked) into *out, rounded to nearest even.  Magnitudes too large
 * for a double give +-infinity, too small ones zero, as strtod does.
 * Returns the bytes read, or -1 if [p, end) starts with no number.
 */
ptrdiff_t	wbs_decimal(const char *p, const char *end, double *out);

#ifdef __cplusplus
}
#endif

#endif
