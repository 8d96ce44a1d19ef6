/*
 * buf.h - growable text buffers and an extended-JSON writer (W&B's JSON:
 * NaN, Infinity and -Infinity are bare tokens).
 */
#ifndef WBS_BUF_H
#define WBS_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "wbstore/wbstore.h"

struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

void	buf_init(struct buf *b);
void	buf_release(struct buf *b);
void	buf_reset(struct buf *b);
void	buf_add(struct buf *b, const void *p, size_t n);
void	buf_adds(struct buf *b, const char *s);
void	buf_addc(struct buf *b, char c);
void	buf_printf(struct buf *b, const char *fmt, ...)
	    __attribute__((__format__(__printf__, 2, 3)));
const char *buf_cstr(struct buf *b);

void	json_str(struct buf *b, const char *s, size_t n);
void	json_double(struct buf *b, double d);
void	json_value(struct buf *b, const struct wbs_value *v);

#endif /* WBS_BUF_H */
