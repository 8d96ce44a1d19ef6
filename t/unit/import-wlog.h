/*
 * import-wlog.h - write W&B `.wandb` logs for tests and benchmarks.
 *
 * The writer follows the algorithm of W&B's (WANDB-PROTOCOL.md section
 * 1.5): a 7-byte file header, 32 KiB blocks aligned to offset 0, chunks
 * with a CRC-32 (IEEE) of type byte and payload, FULL or FIRST, MIDDLE...,
 * LAST, trailers under 7 bytes padded with zeros, and a zero-length FIRST
 * chunk when exactly 7 bytes are left.  Records are packed with the
 * protobuf-c code generated from proto/wandb.proto.  Opening an existing
 * file appends to it, continuing its block layout, so tests can make a
 * log grow.
 *
 * Small record builders (wl_history(), ...) fill a WbsWandb__Record from
 * arrays of key / JSON-value strings.
 */
#ifndef WBS_IMPORT_WLOG_H
#define WBS_IMPORT_WLOG_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libdeflate.h>

#include "wandb.pb-c.h"

#define WL_BLOCK	32768u
#define WL_HDR		7u

struct wl {
	FILE		*f;
	uint64_t	 pos;		/* file offset of the next byte */
	int64_t		 num;		/* Record.num of the next record */
	uint8_t		*buf;		/* packing buffer */
	size_t		 cap;
};

/* Open path for appending, writing the file header if it is new. */
__attribute__((__unused__)) static int
wl_open(struct wl *w, const char *path)
{
	static const uint8_t hdr[7] = { ':', 'W', '&', 'B', 0xe1, 0xbe, 0 };
	struct stat sb;

	memset(w, 0, sizeof(*w));
	w->num = 1;
	if ((w->f = fopen(path, "ab")) == NULL)
		return -1;
	if (fstat(fileno(w->f), &sb) != 0)
		return -1;
	w->pos = (uint64_t)sb.st_size;
	if (w->pos == 0) {
		if (fwrite(hdr, 1, 7, w->f) != 7)
			return -1;
		w->pos = 7;
	}
	return 0;
}

/* One chunk: header (CRC of type and payload, length, type), payload. */
static int
wl_chunk(struct wl *w, int type, const uint8_t *p, size_t n)
{
	uint8_t		h[7];
	uint8_t		t = (uint8_t)type;
	uint32_t	crc = libdeflate_crc32(0, &t, 1);

	crc = libdeflate_crc32(crc, p, n);
	h[0] = (uint8_t)crc;
	h[1] = (uint8_t)(crc >> 8);
	h[2] = (uint8_t)(crc >> 16);
	h[3] = (uint8_t)(crc >> 24);
	h[4] = (uint8_t)n;
	h[5] = (uint8_t)(n >> 8);
	h[6] = t;
	if (fwrite(h, 1, 7, w->f) != 7 || (n > 0 && fwrite(p, 1, n, w->f) != n))
		return -1;
	w->pos += 7 + n;
	return 0;
}

/* Write one logical record of len bytes. */
__attribute__((__unused__)) static int
wl_write(struct wl *w, const uint8_t *p, size_t len)
{
	int first = 1;

	for (;;) {
		size_t left = WL_BLOCK - (size_t)(w->pos % WL_BLOCK), n;

		if (left < WL_HDR) {
			static const uint8_t zero[WL_HDR];

			if (fwrite(zero, 1, left, w->f) != left)
				return -1;
			w->pos += left;
			continue;
		}
		n = left - WL_HDR;
		if (len <= n)
			return wl_chunk(w, first ? 1 : 4, p, len);
		if (wl_chunk(w, first ? 2 : 3, p, n) != 0)
			return -1;
		p += n;
		len -= n;
		first = 0;
	}
}

/* Pack rec (setting its num) and write it. */
__attribute__((__unused__)) static int
wl_put(struct wl *w, WbsWandb__Record *rec)
{
	size_t n;

	rec->num = w->num++;
	n = wbs_wandb__record__get_packed_size(rec);
	if (n > w->cap) {
		uint8_t *b = realloc(w->buf, n);

		if (b == NULL)
			return -1;
		w->buf = b;
		w->cap = n;
	}
	wbs_wandb__record__pack(rec, w->buf);
	return wl_write(w, w->buf, n);
}

__attribute__((__unused__)) static int
wl_close(struct wl *w)
{
	int rc = 0;

	if (w->f != NULL && fclose(w->f) != 0)
		rc = -1;
	free(w->buf);
	memset(w, 0, sizeof(*w));
	return rc;
}

/* Items from alternating key, value_json strings (flat keys). */
struct wl_items {
	WbsWandb__HistoryItem	 it[64];
	WbsWandb__HistoryItem	*ptr[64];
	size_t			 n;
};

__attribute__((__unused__)) static void
wl_items(struct wl_items *s, const char *const *kv, size_t npairs)
{
	s->n = npairs < 64 ? npairs : 64;
	for (size_t i = 0; i < s->n; i++) {
		wbs_wandb__history_item__init(&s->it[i]);
		s->it[i].key = (char *)kv[2 * i];
		s->it[i].value_json = (char *)kv[2 * i + 1];
		s->ptr[i] = &s->it[i];
	}
}

#endif /* WBS_IMPORT_WLOG_H */
