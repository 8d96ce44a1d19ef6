/*
 * zip.c - a zip writer for .npz files (PKWARE APPNOTE 6.3: local headers,
 * central directory, end records; zip64 extra fields and end records when
 * sizes or offsets pass the classic limits).  Members are stored or raw
 * deflated with zlib; names are UTF-8 (general purpose bit 11).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <zlib.h>

#include "log.h"
#include "npy.h"

#define CHUNK		65536
#define LIMIT32		0xffffffffULL
#define UTF8_NAMES	0x0800

static void
le16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void
le32(unsigned char *p, uint32_t v)
{
	le16(p, (uint16_t)v);
	le16(p + 2, (uint16_t)(v >> 16));
}

static void
le64(unsigned char *p, uint64_t v)
{
	le32(p, (uint32_t)v);
	le32(p + 4, (uint32_t)(v >> 32));
}

void
zip_init(struct zip *z, FILE *f)
{
	memset(z, 0, sizeof(*z));
	z->f = f;
	z->zip64_limit = LIMIT32;
}

void
zip_release(struct zip *z)
{
	for (size_t i = 0; i < z->n; i++)
		free(z->ents[i].name);
	free(z->ents);
	z->ents = NULL;
	z->n = 0;
}

static int
zip_write(struct zip *z, const void *p, size_t n)
{
	if (n > 0 && fwrite(p, 1, n, z->f) != n) {
		snprintf(z->err, sizeof(z->err), "write failed: %s",
		    strerror(errno));
		return -1;
	}
	z->off += n;
	return 0;
}

/* Now as MS-DOS time and date. */
static void
zip_dostime(uint16_t *t, uint16_t *d)
{
	time_t		now = time(NULL);
	struct tm	tm;

	localtime_r(&now, &tm);
	if (tm.tm_year < 80)
		tm.tm_year = 80;
	*t = (uint16_t)(tm.tm_hour << 11 | tm.tm_min << 5 | tm.tm_sec / 2);
	*d = (uint16_t)((tm.tm_year - 80) << 9 | (tm.tm_mon + 1) << 5 |
	    tm.tm_mday);
}

/* Stream src into the archive; CRC and sizes into e. */
static int
zip_data(struct zip *z, struct zip_ent *e, FILE *src)
{
	unsigned char	 in[CHUNK], out[CHUNK];
	z_stream	 zs;
	size_t		 n;
	int		 flush, zrc, rc = -1;

	memset(&zs, 0, sizeof(zs));
	if (e->method == ZIP_DEFLATE &&
	    deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK) {
		snprintf(z->err, sizeof(z->err), "deflateInit2 failed");
		return -1;
	}
	e->crc = (uint32_t)crc32(0L, Z_NULL, 0);
	do {
		n = fread(in, 1, sizeof(in), src);
		if (ferror(src)) {
			snprintf(z->err, sizeof(z->err), "read failed: %s",
			    strerror(errno));
			goto out;
		}
		e->crc = (uint32_t)crc32(e->crc, in, (uInt)n);
		e->usize += n;
		if (e->method == ZIP_STORE) {
			if (zip_write(z, in, n) != 0)
				goto out;
			e->csize += n;
			continue;
		}
		flush = feof(src) ? Z_FINISH : Z_NO_FLUSH;
		zs.next_in = in;
		zs.avail_in = (uInt)n;
		do {
			zs.next_out = out;
			zs.avail_out = sizeof(out);
			zrc = deflate(&zs, flush);
			if (zrc == Z_STREAM_ERROR)
				goto out;
			n = sizeof(out) - zs.avail_out;
			if (zip_write(z, out, n) != 0)
				goto out;
			e->csize += n;
		} while (zs.avail_out == 0);
	} while (!feof(src));
	rc = 0;
out:
	if (e->method == ZIP_DEFLATE)
		deflateEnd(&zs);
	return rc;
}

/* Local header of e; 64 selects the zip64 form. */
static int
zip_local(struct zip *z, const struct zip_ent *e, int is64)
{
	unsigned char	h[30 + 20];
	size_t		nlen = strlen(e->name);

	le32(h, 0x04034b50);
	le16(h + 4, is64 ? 45 : 20);
	le16(h + 6, UTF8_NAMES);
	le16(h + 8, e->method);
	le16(h + 10, e->time);
	le16(h + 12, e->date);
	le32(h + 14, e->crc);
	le32(h + 18, is64 ? (uint32_t)LIMIT32 : (uint32_t)e->csize);
	le32(h + 22, is64 ? (uint32_t)LIMIT32 : (uint32_t)e->usize);
	le16(h + 26, (uint16_t)nlen);
	le16(h + 28, is64 ? 20 : 0);
	if (zip_write(z, h, 30) != 0 || zip_write(z, e->name, nlen) != 0)
		return -1;
	if (!is64)
		return 0;
	le16(h + 30, 0x0001);
	le16(h + 32, 16);
	le64(h + 34, e->usize);
	le64(h + 42, e->csize);
	return zip_write(z, h + 30, 20);
}

/* Add member name with the bytes of src. */
int
zip_add(struct zip *z, const char *name, FILE *src, int method)
{
	struct zip_ent	*e;
	struct stat	 sb;
	uint64_t	 start = z->off, bound;
	int		 is64;

	if (strlen(name) > 0xffff || fstat(fileno(src), &sb) != 0) {
		snprintf(z->err, sizeof(z->err), "%s: bad member", name);
		return -1;
	}
	if (z->n == z->cap) {
		z->cap = z->cap ? z->cap * 2 : 64;
		z->ents = xreallocarray(z->ents, z->cap, sizeof(*z->ents));
	}
	e = &z->ents[z->n];
	memset(e, 0, sizeof(*e));
	if ((e->name = strdup(name)) == NULL)
		fatalx("out of memory");
	z->n++;
	e->method = (uint16_t)method;
	e->off = start;
	zip_dostime(&e->time, &e->date);
	/* Decide on zip64 before the data: the header's size is fixed. */
	bound = (uint64_t)sb.st_size;
	if (method == ZIP_DEFLATE)
		bound = compressBound((uLong)sb.st_size);
	is64 = (uint64_t)sb.st_size >= z->zip64_limit ||
	    bound >= z->zip64_limit;
	if (zip_local(z, e, is64) != 0 || zip_data(z, e, src) != 0)
		return -1;
	/* Patch CRC and sizes into the local header. */
	if (fseeko(z->f, (off_t)(start + 14), SEEK_SET) != 0)
		goto fail;
	{
		unsigned char	p[12];
		size_t		nlen = strlen(name);

		le32(p, e->crc);
		if (fwrite(p, 1, 4, z->f) != 4)
			goto fail;
		if (is64) {
			if (fseeko(z->f, (off_t)(start + 30 + nlen + 4),
			    SEEK_SET) != 0)
				goto fail;
			le64(p, e->usize);
			if (fwrite(p, 1, 8, z->f) != 8)
				goto fail;
			le64(p, e->csize);
			if (fwrite(p, 1, 8, z->f) != 8)
				goto fail;
		} else {
			le32(p, (uint32_t)e->csize);
			le32(p + 4, (uint32_t)e->usize);
			if (fwrite(p, 1, 8, z->f) != 8)
				goto fail;
		}
	}
	if (fseeko(z->f, (off_t)z->off, SEEK_SET) != 0)
		goto fail;
	return 0;
fail:
	snprintf(z->err, sizeof(z->err), "seek or write failed: %s",
	    strerror(errno));
	return -1;
}

/* One central directory entry. */
static int
zip_central(struct zip *z, const struct zip_ent *e, int *any64)
{
	unsigned char	h[46], x[4 + 24];
	size_t		nlen = strlen(e->name), xl = 4;
	int		bu = e->usize >= z->zip64_limit;
	int		bc = e->csize >= z->zip64_limit;
	int		bo = e->off >= z->zip64_limit;

	if (bu) {
		le64(x + xl, e->usize);
		xl += 8;
	}
	if (bc) {
		le64(x + xl, e->csize);
		xl += 8;
	}
	if (bo) {
		le64(x + xl, e->off);
		xl += 8;
	}
	if (xl == 4)
		xl = 0;
	else {
		le16(x, 0x0001);
		le16(x + 2, (uint16_t)(xl - 4));
		*any64 = 1;
	}
	le32(h, 0x02014b50);
	le16(h + 4, 3 << 8 | 45);	/* made by: unix, 4.5 */
	le16(h + 6, xl ? 45 : 20);
	le16(h + 8, UTF8_NAMES);
	le16(h + 10, e->method);
	le16(h + 12, e->time);
	le16(h + 14, e->date);
	le32(h + 16, e->crc);
	le32(h + 20, bc ? (uint32_t)LIMIT32 : (uint32_t)e->csize);
	le32(h + 24, bu ? (uint32_t)LIMIT32 : (uint32_t)e->usize);
	le16(h + 28, (uint16_t)nlen);
	le16(h + 30, (uint16_t)xl);
	le16(h + 32, 0);
	le16(h + 34, 0);
	le16(h + 36, 0);
	le32(h + 38, 0100644U << 16);
	le32(h + 42, bo ? (uint32_t)LIMIT32 : (uint32_t)e->off);
	if (zip_write(z, h, 46) != 0 || zip_write(z, e->name, nlen) != 0 ||
	    zip_write(z, x, xl) != 0)
		return -1;
	return 0;
}

/* Zip64 end of central directory record and its locator. */
static int
zip_end64(struct zip *z, uint64_t cdoff, uint64_t cdsize)
{
	unsigned char	h[56 + 20];
	uint64_t	at = z->off;

	le32(h, 0x06064b50);
	le64(h + 4, 44);
	le16(h + 12, 3 << 8 | 45);
	le16(h + 14, 45);
	le32(h + 16, 0);
	le32(h + 20, 0);
	le64(h + 24, z->n);
	le64(h + 32, z->n);
	le64(h + 40, cdsize);
	le64(h + 48, cdoff);
	le32(h + 56, 0x07064b50);
	le32(h + 60, 0);
	le64(h + 64, at);
	le32(h + 72, 1);
	return zip_write(z, h, sizeof(h));
}

/* Write the central directory and the end records. */
int
zip_finish(struct zip *z)
{
	unsigned char	h[22];
	uint64_t	cdoff = z->off, cdsize;
	int		any64 = 0, big;

	for (size_t i = 0; i < z->n; i++)
		if (zip_central(z, &z->ents[i], &any64) != 0)
			return -1;
	cdsize = z->off - cdoff;
	big = z->n >= 0xffff || cdsize >= z->zip64_limit ||
	    cdoff >= z->zip64_limit;
	if ((any64 || big) && zip_end64(z, cdoff, cdsize) != 0)
		return -1;
	le32(h, 0x06054b50);
	le16(h + 4, 0);
	le16(h + 6, 0);
	le16(h + 8, big ? 0xffff : (uint16_t)z->n);
	le16(h + 10, big ? 0xffff : (uint16_t)z->n);
	le32(h + 12, big ? (uint32_t)LIMIT32 : (uint32_t)cdsize);
	le32(h + 16, big ? (uint32_t)LIMIT32 : (uint32_t)cdoff);
	le16(h + 20, 0);
	if (zip_write(z, h, 22) != 0)
		return -1;
	if (fflush(z->f) != 0) {
		snprintf(z->err, sizeof(z->err), "write failed: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}
