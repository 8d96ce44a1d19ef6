/*
 * wandblog.c - streaming reader for W&B `.wandb` transaction logs.
 *
 * The format and the recovery rules are in WANDB-PROTOCOL.md section 1;
 * the reader follows W&B's Go reader (skip to the next block on a bad
 * chunk, an unfinished tail is "incomplete", not an error).
 *
 * A file handle reads a window of WL_WINDOW bytes at a time with pread(),
 * so memory stays bounded whatever the file size; a memory handle keeps a
 * copy of its input as the one window.  A record held in one FULL chunk is
 * returned as a pointer into the window; only records split across chunks
 * are copied, into a growable buffer capped at recmax bytes.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L		/* pread, O_CLOEXEC */
#endif

#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libdeflate.h>

#include "wandblog.h"

#define WL_HDR		7		/* file header and chunk header size */
#define WL_BLOCK	32768u		/* block size */
#define WL_BLOCK_BITS	15
#define WL_SHIFT	7u		/* phase of wandb-core <= 0.17.5 logs */
#ifndef WL_WINDOW		/* read-ahead of a file handle, >= WL_BLOCK */
#define WL_WINDOW	(8 * WL_BLOCK)
#endif
#define WL_REC_MIN	(64u * 1024)	/* first reassembly buffer size */

enum {
	WL_FULL = 1,
	WL_FIRST = 2,
	WL_MIDDLE = 3,
	WL_LAST = 4
};

struct wandblog {
	char		*name;		/* path, or name given for memory */
	int		 fd;		/* -1: buf holds the whole input */
	uint8_t		*buf;		/* window of the file */
	size_t		 bufcap;
	uint64_t	 bufoff;	/* file offset of buf[0] */
	size_t		 buflen;
	int		 version;
	unsigned	 phase;		/* where blocks start: 0 or WL_SHIFT */
	int		 locked;	/* phase confirmed by the data */
	int		 shift_tried;
	uint64_t	 pos;		/* offset of the next chunk header */
	uint64_t	 boundary;	/* end of the last record or skip */

	uint8_t		*rec;		/* reassembly of a split record */
	size_t		 reclen;
	size_t		 reccap;
	size_t		 recmax;
	int		 inrec;		/* a FIRST chunk was seen */
	uint64_t	 recstart;	/* offset of that FIRST chunk */

	uint64_t	 nrec;
	uint64_t	 last;		/* offset of the last record returned */
	uint64_t	 skipped;
	uint64_t	 nskip;
	uint64_t	 skipend;	/* end of the last skipped region */
	int		 incomplete;
	uint64_t	 incbytes;

	int		 err;		/* sticky error of wandblog_next() */
	wandblog_log_fn	*logfn;
	void		*logarg;
	char		 errmsg[WANDBLOG_ERRMAX];
};

static const uint8_t wl_magic[6] = { ':', 'W', '&', 'B', 0xe1, 0xbe };
static const uint8_t wl_empty[1];

static const char *const wl_type_name[] = {
	"type 0", "FULL", "FIRST", "MIDDLE", "LAST"
};

/* Format "name: ..." into the handle's message buffer. */
static void
wl_vmsg(struct wandblog *r, const char *fmt, va_list ap)
	__attribute__((__format__(__printf__, 2, 0)));

static void
wl_vmsg(struct wandblog *r, const char *fmt, va_list ap)
{
	int n;

	n = snprintf(r->errmsg, sizeof(r->errmsg), "%s: ", r->name);
	if (n < 0 || (size_t)n >= sizeof(r->errmsg))
		return;
	vsnprintf(r->errmsg + n, sizeof(r->errmsg) - n, fmt, ap);
}

/* Record an error message and return code. */
static int
wl_fail(struct wandblog *r, int code, const char *fmt, ...)
	__attribute__((__format__(__printf__, 3, 4)));

static int
wl_fail(struct wandblog *r, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	wl_vmsg(r, fmt, ap);
	va_end(ap);
	return code;
}

/* Record a notice and pass it to the log callback. */
static void
wl_notice(struct wandblog *r, const char *fmt, ...)
	__attribute__((__format__(__printf__, 2, 3)));

static void
wl_notice(struct wandblog *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	wl_vmsg(r, fmt, ap);
	va_end(ap);
	if (r->logfn != NULL)
		r->logfn(r->logarg, r->errmsg);
}

/* Offset of the end of the block holding pos, for blocks starting at phase. */
static inline uint64_t
wl_block_end(uint64_t pos, unsigned phase)
{
	return (((pos - phase) >> WL_BLOCK_BITS) + 1) * WL_BLOCK + phase;
}

/* Read a 16- or 32-bit little-endian number. */
static inline unsigned
wl_le16(const uint8_t *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static inline uint32_t
wl_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* CRC-32/IEEE of a chunk's type byte and payload, which are contiguous. */
static inline uint32_t
wl_crc(const uint8_t *chunk, size_t len)
{
	return libdeflate_crc32(0, chunk + 6, 1 + len);
}

/*
 * Point *pp at file offset off and set *availp to the bytes available from
 * there, reading a new window when fewer than want are in the current one.
 * *availp < want means the data ends first.
 */
static int
wl_fill(struct wandblog *r, uint64_t off, size_t want, const uint8_t **pp,
    size_t *availp)
{
	size_t got;
	ssize_t k;

	if (off >= r->bufoff && off - r->bufoff <= r->buflen) {
		got = r->buflen - (size_t)(off - r->bufoff);
		if (got >= want || r->fd < 0) {
			*pp = r->buf + (off - r->bufoff);
			*availp = got;
			return 0;
		}
	} else if (r->fd < 0) {
		*pp = wl_empty;
		*availp = 0;
		return 0;
	}
	got = 0;
	while (got < r->bufcap) {
		k = pread(r->fd, r->buf + got, r->bufcap - got,
		    (off_t)(off + got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r->buflen = 0;
			return wl_fail(r, WANDBLOG_EIO, "offset %" PRIu64
			    ": read: %s", off + got, strerror(errno));
		}
		if (k == 0)
			break;
		got += (size_t)k;
	}
	r->bufoff = off;
	r->buflen = got;
	*pp = r->buf;
	*availp = got;
	return 0;
}

/* Count [from, to) as skipped, merging it with a region that ends at from. */
static void
wl_skip(struct wandblog *r, uint64_t from, uint64_t to)
{
	if (to <= from)
		return;
	if (r->nskip == 0 || r->skipend != from)
		r->nskip++;
	r->skipped += to - from;
	r->skipend = to;
}

/* Drop the record being assembled because the chunk at off cannot go on. */
static void
wl_drop_partial(struct wandblog *r, uint64_t off, const char *found)
{
	wl_skip(r, r->recstart, off);
	r->inrec = 0;
	wl_notice(r, "offset %" PRIu64 ": record that starts at offset %"
	    PRIu64 " is cut off by %s; skipped %" PRIu64 " bytes",
	    off, r->recstart, found, off - r->recstart);
}

/*
 * Whether the data from start reads cleanly with blocks starting at offset
 * 7 (the layout of wandb-core <= 0.17.5, protocol notes section 1.8), the
 * aligned layout having failed at failpos.  1 if a valid chunk crosses a
 * block boundary of the aligned layout, which cannot happen there, or if
 * eof_ok and the data ends cleanly past failpos; 0 at the first invalid
 * chunk, or if a block goes by without either.
 */
static int
wl_probe_shift(struct wandblog *r, uint64_t start, uint64_t failpos,
    int eof_ok)
{
	const uint8_t *p;
	uint64_t pos, bend, end, limit;
	size_t avail, len;
	int rc;

	limit = (start > failpos ? start : failpos) + WL_BLOCK;
	for (pos = start; pos <= limit; pos = end) {
		bend = wl_block_end(pos, WL_SHIFT);
		if (bend - pos < WL_HDR) {
			end = bend;
			continue;
		}
		if ((rc = wl_fill(r, pos, WL_HDR, &p, &avail)) < 0)
			return rc;
		if (avail == 0)
			return eof_ok && pos > failpos;
		if (avail < WL_HDR)
			return 0;
		len = wl_le16(p + 4);
		if (p[6] < WL_FULL || p[6] > WL_LAST ||
		    len > bend - pos - WL_HDR)
			return 0;
		if (avail < WL_HDR + len &&
		    (rc = wl_fill(r, pos, WL_HDR + len, &p, &avail)) < 0)
			return rc;
		if (avail < WL_HDR + len || wl_crc(p, len) != wl_le32(p))
			return 0;
		end = pos + WL_HDR + len;
		if (pos >> WL_BLOCK_BITS != (end - 1) >> WL_BLOCK_BITS)
			return 1;
	}
	return 0;
}

/*
 * On the first bad chunk (why says what is wrong with it) before the
 * layout is confirmed, see whether the file has the old 7-byte-shifted
 * blocks: from the last record boundary or, if the damage is in block 0,
 * from the second shifted block.  If so, switch to that layout and
 * return 1.
 */
static int
wl_try_shift(struct wandblog *r, const char *why)
{
	uint64_t start, from;
	int rc;

	r->shift_tried = 1;
	start = r->boundary;
	rc = wl_probe_shift(r, start, r->pos, 1);
	if (rc == 0 && r->pos < WL_BLOCK + WL_SHIFT) {
		start = WL_BLOCK + WL_SHIFT;
		rc = wl_probe_shift(r, start, r->pos, 0);
	}
	if (rc <= 0)
		return rc;
	from = r->inrec ? r->recstart : r->pos;
	if (start > from) {
		wl_skip(r, from, start);
		wl_notice(r, "offset %" PRIu64 ": %s; skipped %" PRIu64
		    " bytes from offset %" PRIu64 " to the next block at %"
		    PRIu64, r->pos, why, start - from, from, start);
	}
	r->phase = WL_SHIFT;
	r->locked = 1;
	r->inrec = 0;
	r->pos = start;
	r->boundary = start;
	wl_notice(r, "blocks start at offset 7, not 0 (a log from wandb-core "
	    "0.17.5 or older); reading it so");
	return 1;
}

/* Whether n bytes at p are all zero. */
static int
wl_all_zero(const uint8_t *p, size_t n)
{
	while (n > 0 && *p == 0) {
		p++;
		n--;
	}
	return n == 0;
}

/*
 * Give up on the chunk at r->pos (why says what is wrong with it): drop
 * any partial record and the rest of the block, and go on at the next
 * block.  Before the first block boundary, first see whether the file has
 * the old 7-byte-shifted block layout.
 */
static int
wl_bad_chunk(struct wandblog *r, uint64_t bend, const char *why)
{
	const uint8_t *p;
	uint64_t from, to;
	size_t avail;
	int rc;

	if (r->phase == 0 && !r->locked && !r->shift_tried &&
	    (rc = wl_try_shift(r, why)) != 0)
		return rc < 0 ? rc : 0;
	from = r->inrec ? r->recstart : r->pos;
	if ((rc = wl_fill(r, r->pos, bend - r->pos, &p, &avail)) < 0)
		return rc;
	to = avail < bend - r->pos ? r->pos + avail : bend;
	wl_skip(r, from, to);
	if (to == bend)
		wl_notice(r, "offset %" PRIu64 ": %s; skipped %" PRIu64
		    " bytes from offset %" PRIu64 " to the next block at %"
		    PRIu64, r->pos, why, to - from, from, to);
	else
		wl_notice(r, "offset %" PRIu64 ": %s; skipped %" PRIu64
		    " bytes from offset %" PRIu64 " to the end of the file",
		    r->pos, why, to - from, from);
	r->inrec = 0;
	r->pos = bend;
	r->boundary = bend;
	return 0;
}

/*
 * Handle a chunk header at r->pos that has a bad type or length.  An
 * all-zero header followed by zeros to the end of the block is padding
 * (a pre-allocated file) and is passed over silently.
 */
static int
wl_bad_header(struct wandblog *r, uint64_t bend)
{
	const uint8_t *p;
	char why[128];
	size_t avail, n;
	unsigned len, type;
	int rc;

	if ((rc = wl_fill(r, r->pos, bend - r->pos, &p, &avail)) < 0)
		return rc;
	n = avail < bend - r->pos ? avail : (size_t)(bend - r->pos);
	if (wl_all_zero(p, n)) {
		if (r->inrec)
			wl_drop_partial(r, r->pos, "zero padding");
		r->pos = bend;
		r->boundary = bend;
		return 0;
	}
	len = wl_le16(p + 4);
	type = p[6];
	if (type < WL_FULL || type > WL_LAST)
		snprintf(why, sizeof(why), "unknown chunk type %u", type);
	else
		snprintf(why, sizeof(why), "%s chunk of %u bytes runs past the "
		    "end of its block (%" PRIu64 " bytes left)",
		    wl_type_name[type], len, bend - r->pos - WL_HDR);
	return wl_bad_chunk(r, bend, why);
}

/* Handle a chunk at r->pos (p, payload of n bytes) with a wrong CRC. */
static int
wl_bad_crc(struct wandblog *r, const uint8_t *p, size_t n, uint64_t bend)
{
	char why[96];

	snprintf(why, sizeof(why), "chunk checksum mismatch (stored 0x%08"
	    PRIx32 ", computed 0x%08" PRIx32 ")", wl_le32(p), wl_crc(p, n));
	return wl_bad_chunk(r, bend, why);
}

/* The data ends at r->pos + avail, inside a chunk or record or not. */
static int
wl_at_eof(struct wandblog *r, size_t avail)
{
	uint64_t start, n;

	start = r->inrec ? r->recstart : r->pos;
	n = r->pos + avail - start;
	r->inrec = 0;
	r->pos = start;		/* a file that grows is read again from here */
	if (n == 0) {
		r->incomplete = 0;
		r->incbytes = 0;
		return 0;
	}
	if (!r->incomplete || r->incbytes != n)
		wl_notice(r, "offset %" PRIu64 ": last record is incomplete "
		    "(still being written?): %" PRIu64 " bytes at the end "
		    "of the file", start, n);
	r->incomplete = 1;
	r->incbytes = n;
	return 0;
}

/* Append a chunk payload to the record being assembled. */
static int
wl_append(struct wandblog *r, uint64_t off, const uint8_t *data, size_t len)
{
	uint8_t *nrec;
	size_t ncap;

	if (len == 0)
		return 0;
	if (len > r->recmax - r->reclen)
		return wl_fail(r, WANDBLOG_ETOOBIG, "offset %" PRIu64
		    ": record that starts at offset %" PRIu64 " is larger "
		    "than the limit of %zu bytes", off, r->recstart,
		    r->recmax);
	if (len > r->reccap - r->reclen) {
		ncap = r->reccap > 0 ? r->reccap : WL_REC_MIN;
		while (ncap - r->reclen < len)
			ncap = ncap > r->recmax / 2 ? r->recmax : ncap * 2;
		if ((nrec = realloc(r->rec, ncap)) == NULL)
			return wl_fail(r, WANDBLOG_ENOMEM, "offset %" PRIu64
			    ": out of memory for a record of %zu bytes", off,
			    r->reclen + len);
		r->rec = nrec;
		r->reccap = ncap;
	}
	memcpy(r->rec + r->reclen, data, len);
	r->reclen += len;
	return 0;
}

/*
 * Feed a valid FIRST, MIDDLE or LAST chunk at off to the reassembly:
 * 1 when it completes a record, 0 when more is needed, or an error.
 */
static int
wl_assemble(struct wandblog *r, uint64_t off, unsigned type,
    const uint8_t *data, size_t len)
{
	int rc;

	if (type == WL_FIRST) {
		if (r->inrec)
			wl_drop_partial(r, off, "a FIRST chunk");
		r->inrec = 1;
		r->recstart = off;
		r->reclen = 0;
		return wl_append(r, off, data, len);
	}
	if (!r->inrec) {
		/* A piece of a record whose start was skipped or lost. */
		wl_skip(r, off, r->pos);
		r->boundary = r->pos;
		wl_notice(r, "offset %" PRIu64 ": %s chunk without a FIRST "
		    "chunk; skipped its %" PRIu64 " bytes", off,
		    wl_type_name[type], r->pos - off);
		return 0;
	}
	if ((rc = wl_append(r, off, data, len)) < 0 || type == WL_MIDDLE)
		return rc;
	r->inrec = 0;
	r->last = r->recstart;
	return 1;
}

int
wandblog_next(struct wandblog *r, const uint8_t **data, size_t *len)
{
	const uint8_t *p;
	uint64_t bend, off;
	size_t avail, n;
	int rc;

	if (r->err != 0)
		return r->err;
	for (;;) {
		bend = wl_block_end(r->pos, r->phase);
		if (bend - r->pos < WL_HDR) {
			r->pos = bend;		/* block trailer */
			continue;
		}
		if ((rc = wl_fill(r, r->pos, WL_HDR, &p, &avail)) < 0)
			break;
		if (avail < WL_HDR)
			return wl_at_eof(r, avail);
		n = wl_le16(p + 4);
		if (p[6] < WL_FULL || p[6] > WL_LAST ||
		    n > bend - r->pos - WL_HDR) {
			if ((rc = wl_bad_header(r, bend)) < 0)
				break;
			continue;
		}
		if (avail < WL_HDR + n) {
			if ((rc = wl_fill(r, r->pos, WL_HDR + n, &p,
			    &avail)) < 0)
				break;
			if (avail < WL_HDR + n)
				return wl_at_eof(r, avail);
		}
		if (wl_crc(p, n) != wl_le32(p)) {
			if ((rc = wl_bad_crc(r, p, n, bend)) < 0)
				break;
			continue;
		}
		off = r->pos;
		r->pos += WL_HDR + n;
		if (!r->locked && (off - WL_SHIFT) >> WL_BLOCK_BITS !=
		    (r->pos - 1 - WL_SHIFT) >> WL_BLOCK_BITS)
			r->locked = 1;	/* impossible in the shifted layout */
		if (p[6] == WL_FULL) {
			if (r->inrec)
				wl_drop_partial(r, off, "a FULL chunk");
			r->last = off;
			*data = p + WL_HDR;
			*len = n;
		} else if ((rc = wl_assemble(r, off, p[6], p + WL_HDR,
		    n)) < 0) {
			break;
		} else if (rc == 0) {
			continue;
		} else {
			*data = r->rec != NULL ? r->rec : wl_empty;
			*len = r->reclen;
		}
		r->nrec++;
		r->boundary = r->pos;
		r->incomplete = 0;
		r->incbytes = 0;
		return 1;
	}
	r->err = rc;
	return rc;
}

/* Allocate a handle named name, with an input window of bufcap bytes. */
static struct wandblog *
wl_new(const char *name, size_t bufcap)
{
	struct wandblog *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->fd = -1;
	r->recmax = WANDBLOG_MAX_RECORD;
	r->bufcap = bufcap;
	if ((r->name = strdup(name)) == NULL ||
	    (r->buf = malloc(bufcap > 0 ? bufcap : 1)) == NULL) {
		wandblog_close(r);
		return NULL;
	}
	return r;
}

/* Check the 7-byte file header and position the reader after it. */
static int
wl_header(struct wandblog *r)
{
	const uint8_t *p;
	size_t avail, i;
	int rc;

	if ((rc = wl_fill(r, 0, WL_HDR, &p, &avail)) < 0)
		return rc;
	for (i = 0; i < avail && i < 4; i++)
		if (p[i] != wl_magic[i])
			return wl_fail(r, WANDBLOG_EFORMAT, "offset 0: not a "
			    "W&B transaction log (starts with %02x %02x %02x "
			    "%02x, not \":W&B\")", p[0], avail > 1 ? p[1] : 0,
			    avail > 2 ? p[2] : 0, avail > 3 ? p[3] : 0);
	for (; i < avail && i < 6; i++)
		if (p[i] != wl_magic[i])
			return wl_fail(r, WANDBLOG_EFORMAT, "offset 4: bad "
			    "magic 0x%02x%02x (expected 0xBEE1)",
			    avail > 5 ? p[5] : 0, p[4]);
	if (avail < WL_HDR)
		return wl_fail(r, WANDBLOG_ESHORT, "file is %zu bytes, "
		    "shorter than the 7-byte header (still being written?)",
		    avail);
	if (p[6] > 1)
		return wl_fail(r, WANDBLOG_EVERSION, "offset 6: unsupported "
		    "format version %u (this reader knows 0 and 1)", p[6]);
	r->version = p[6];
	r->pos = WL_HDR;
	r->boundary = WL_HDR;
	return 0;
}

/* Finish an open: hand out r, or report and free it. */
static int
wl_opened(struct wandblog **rp, struct wandblog *r, int rc, char *errbuf,
    size_t errlen)
{
	if (rc < 0) {
		if (errbuf != NULL && errlen > 0)
			snprintf(errbuf, errlen, "%s", r->errmsg);
		wandblog_close(r);
		return rc;
	}
	r->errmsg[0] = '\0';
	*rp = r;
	return 0;
}

int
wandblog_open(struct wandblog **rp, const char *path, char *errbuf,
    size_t errlen)
{
	struct wandblog *r;
	int rc;

	if (rp == NULL || path == NULL) {
		if (errbuf != NULL && errlen > 0)
			snprintf(errbuf, errlen, "wandblog_open: NULL "
			    "argument");
		return WANDBLOG_EINVAL;
	}
	if ((r = wl_new(path, WL_WINDOW)) == NULL) {
		if (errbuf != NULL && errlen > 0)
			snprintf(errbuf, errlen, "%s: out of memory", path);
		return WANDBLOG_ENOMEM;
	}
	if ((r->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		rc = wl_fail(r, WANDBLOG_EIO, "open: %s", strerror(errno));
	else
		rc = wl_header(r);
	return wl_opened(rp, r, rc, errbuf, errlen);
}

int
wandblog_open_mem(struct wandblog **rp, const void *data, size_t len,
    const char *name, char *errbuf, size_t errlen)
{
	struct wandblog *r;

	if (name == NULL)
		name = "<memory>";
	if (rp == NULL || (data == NULL && len > 0)) {
		if (errbuf != NULL && errlen > 0)
			snprintf(errbuf, errlen, "%s: wandblog_open_mem: NULL "
			    "argument", name);
		return WANDBLOG_EINVAL;
	}
	if ((r = wl_new(name, len)) == NULL) {
		if (errbuf != NULL && errlen > 0)
			snprintf(errbuf, errlen, "%s: out of memory for %zu "
			    "bytes", name, len);
		return WANDBLOG_ENOMEM;
	}
	if (len > 0)
		memcpy(r->buf, data, len);
	r->buflen = len;
	return wl_opened(rp, r, wl_header(r), errbuf, errlen);
}

void
wandblog_close(struct wandblog *r)
{
	if (r == NULL)
		return;
	if (r->fd >= 0)
		close(r->fd);
	free(r->rec);
	free(r->buf);
	free(r->name);
	free(r);
}

void
wandblog_set_log(struct wandblog *r, wandblog_log_fn *fn, void *arg)
{
	r->logfn = fn;
	r->logarg = arg;
}

int
wandblog_set_max_record(struct wandblog *r, size_t max)
{
	if (max == 0)
		return wl_fail(r, WANDBLOG_EINVAL, "record size limit of 0");
	r->recmax = max;
	return 0;
}

uint64_t
wandblog_records(const struct wandblog *r)
{
	return r->nrec;
}

uint64_t
wandblog_offset(const struct wandblog *r)
{
	return r->last;
}

uint64_t
wandblog_skipped_bytes(const struct wandblog *r)
{
	return r->skipped;
}

uint64_t
wandblog_skipped_regions(const struct wandblog *r)
{
	return r->nskip;
}

int
wandblog_incomplete(const struct wandblog *r)
{
	return r->incomplete;
}

uint64_t
wandblog_incomplete_bytes(const struct wandblog *r)
{
	return r->incbytes;
}

int
wandblog_version(const struct wandblog *r)
{
	return r->version;
}

unsigned
wandblog_block_phase(const struct wandblog *r)
{
	return r->phase;
}

const char *
wandblog_errmsg(const struct wandblog *r)
{
	return r->errmsg;
}

const char *
wandblog_strerror(int err)
{
	switch (err) {
	case WANDBLOG_OK:
		return "WANDBLOG_OK: success";
	case WANDBLOG_ENOMEM:
		return "WANDBLOG_ENOMEM: out of memory";
	case WANDBLOG_EINVAL:
		return "WANDBLOG_EINVAL: invalid argument";
	case WANDBLOG_EIO:
		return "WANDBLOG_EIO: input/output error";
	case WANDBLOG_EFORMAT:
		return "WANDBLOG_EFORMAT: not a .wandb file";
	case WANDBLOG_EVERSION:
		return "WANDBLOG_EVERSION: unsupported .wandb format version";
	case WANDBLOG_ESHORT:
		return "WANDBLOG_ESHORT: file shorter than the .wandb header";
	case WANDBLOG_ETOOBIG:
		return "WANDBLOG_ETOOBIG: record larger than the limit";
	case WANDBLOG_EDECODE:
		return "WANDBLOG_EDECODE: record is not a valid Record "
		    "protobuf";
	}
	return "unknown wandblog error";
}

int
wandblog_decode(struct wandblog *r, const uint8_t *data, size_t len,
    WbsWandb__Record **recp)
{
	WbsWandb__Record *rec;

	if (recp == NULL || (data == NULL && len > 0))
		return WANDBLOG_EINVAL;
	rec = wbs_wandb__record__unpack(NULL, len, data);
	if (rec == NULL) {
		if (r != NULL)
			wl_fail(r, WANDBLOG_EDECODE, "offset %" PRIu64 ": "
			    "record %" PRIu64 " (%zu bytes) is not a valid "
			    "Record protobuf", r->last, r->nrec, len);
		return WANDBLOG_EDECODE;
	}
	*recp = rec;
	return 0;
}

void
wandblog_record_free(WbsWandb__Record *rec)
{
	if (rec != NULL)
		wbs_wandb__record__free_unpacked(rec, NULL);
}

const char *
wandblog_record_type(const WbsWandb__Record *rec)
{
	switch (rec->record_type_case) {
	case WBS_WANDB__RECORD__RECORD_TYPE_HISTORY:
		return "history";
	case WBS_WANDB__RECORD__RECORD_TYPE_SUMMARY:
		return "summary";
	case WBS_WANDB__RECORD__RECORD_TYPE_OUTPUT:
		return "output";
	case WBS_WANDB__RECORD__RECORD_TYPE_CONFIG:
		return "config";
	case WBS_WANDB__RECORD__RECORD_TYPE_FILES:
		return "files";
	case WBS_WANDB__RECORD__RECORD_TYPE_STATS:
		return "stats";
	case WBS_WANDB__RECORD__RECORD_TYPE_ARTIFACT:
		return "artifact";
	case WBS_WANDB__RECORD__RECORD_TYPE_TBRECORD:
		return "tbrecord";
	case WBS_WANDB__RECORD__RECORD_TYPE_ALERT:
		return "alert";
	case WBS_WANDB__RECORD__RECORD_TYPE_TELEMETRY:
		return "telemetry";
	case WBS_WANDB__RECORD__RECORD_TYPE_METRIC:
		return "metric";
	case WBS_WANDB__RECORD__RECORD_TYPE_OUTPUT_RAW:
		return "output_raw";
	case WBS_WANDB__RECORD__RECORD_TYPE_RUN:
		return "run";
	case WBS_WANDB__RECORD__RECORD_TYPE_EXIT:
		return "exit";
	case WBS_WANDB__RECORD__RECORD_TYPE_FINAL:
		return "final";
	case WBS_WANDB__RECORD__RECORD_TYPE_HEADER:
		return "header";
	case WBS_WANDB__RECORD__RECORD_TYPE_FOOTER:
		return "footer";
	case WBS_WANDB__RECORD__RECORD_TYPE_PREEMPTING:
		return "preempting";
	case WBS_WANDB__RECORD__RECORD_TYPE_NOOP_LINK_ARTIFACT:
		return "noop_link_artifact";
	case WBS_WANDB__RECORD__RECORD_TYPE_USE_ARTIFACT:
		return "use_artifact";
	case WBS_WANDB__RECORD__RECORD_TYPE_ENVIRONMENT:
		return "environment";
	case WBS_WANDB__RECORD__RECORD_TYPE_OUTPUT_LOGGER:
		return "output_logger";
	case WBS_WANDB__RECORD__RECORD_TYPE_REQUEST:
		return "request";
	default:
		return "unknown";
	}
}
