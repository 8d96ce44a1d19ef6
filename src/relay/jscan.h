/*
 * jscan.h - a strict, allocation-free JSON scanner for W&B's extended
 * JSON (RFC 8259 plus the bare tokens NaN, Infinity and -Infinity).
 *
 * The relay reads file_stream bodies and the lines inside them with it:
 * a pull interface over a byte range, with no tree and no allocation, so
 * that a history line costs one pass.  Strings are returned as raw slices
 * (escapes validated, not yet decoded); jscan_unescape() decodes them,
 * possibly in place.  Every function returns 0 or 1 on success and -1 on
 * error, with the reason in js->err.
 */
#ifndef WBS_JSCAN_H
#define WBS_JSCAN_H

#include <stddef.h>
#include <stdint.h>

#define JSCAN_DEPTH_MAX	64	/* nesting of objects and arrays */

struct jscan {
	const char	*start;
	const char	*p;
	const char	*end;
	int		 depth;
	char		 err[160];
};

/* A string token: the bytes between the quotes, escapes still in. */
struct jstr {
	const char	*p;
	size_t		 len;
	int		 esc;		/* contains backslash escapes */
};

/* Kinds of value, by their first byte. */
enum jkind {
	JK_END = 0,
	JK_OBJECT,
	JK_ARRAY,
	JK_STRING,
	JK_NUMBER,
	JK_TRUE,
	JK_FALSE,
	JK_NULL,
	JK_BAD
};

/* A number: an integer that fits in int64, or a double. */
struct jnum {
	int		 isint;
	int64_t		 i;
	double		 d;
};

void	jscan_init(struct jscan *js, const char *p, size_t len);
int	jscan_fail(struct jscan *js, const char *fmt, ...)
	    __attribute__((__format__(__printf__, 2, 3)));
enum jkind jscan_peek(struct jscan *js);
int	jscan_open(struct jscan *js, int c);
int	jscan_member(struct jscan *js, size_t *n, struct jstr *key);
int	jscan_element(struct jscan *js, size_t *n);
int	jscan_string(struct jscan *js, struct jstr *s);
int	jscan_number(struct jscan *js, struct jnum *num);
int	jscan_literal(struct jscan *js, enum jkind *kind);
int	jscan_skip(struct jscan *js);
int	jscan_done(struct jscan *js);
size_t	jscan_unescape(const char *p, size_t len, char *out);
int	jscan_streq(const struct jstr *s, const char *lit);
size_t	jscan_offset(const struct jscan *js);
int	jscan_utf8_valid(const char *p, size_t n);

#endif /* WBS_JSCAN_H */
