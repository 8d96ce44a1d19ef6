/*
 * esc.h - JSON text for the wire.  File-stream lines are JSON documents
 * carried as JSON strings, so most text is escaped twice; these writers
 * do both levels in one pass.  Everything they write is valid UTF-8:
 * bytes that are not are replaced by U+FFFD.
 */
#ifndef WBS_SYNC_ESC_H
#define WBS_SYNC_ESC_H

#include "buf.h"

/* s as a JSON string literal, quotes included. */
void	esc_str(struct buf *b, const char *s, size_t n);
/* The same literal escaped again for use inside a JSON string. */
void	esc_str2(struct buf *b, const char *s, size_t n);
/* JSON text s escaped for use inside a JSON string (no quotes added). */
void	esc_raw(struct buf *b, const char *s, size_t n);

/* A typed value as JSON (extended: NaN, Infinity). */
void	esc_value(struct buf *b, const struct wbs_value *v);
/* The same, escaped for use inside a JSON string. */
void	esc_value2(struct buf *b, const struct wbs_value *v);

/* A double / integer token (no escaping needed at any level). */
void	esc_double(struct buf *b, double d);
void	esc_int(struct buf *b, int64_t i);

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if invalid. */
size_t	esc_utf8_len(const unsigned char *s, size_t n);

#endif /* WBS_SYNC_ESC_H */
