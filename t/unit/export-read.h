/*
 * export-read.h - independent readers for what the export writes, used by
 * the export tests: RFC 4180 CSV, JSON with W&B's NaN/Infinity tokens,
 * NumPy .npy (format 1.0) and zip archives (zip64 included, CRC-32
 * checked, deflate through zlib).
 */
#ifndef WBS_EXPORT_READ_H
#define WBS_EXPORT_READ_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define RD_FN	static __attribute__((__unused__))

/* The whole file, NUL-terminated; NULL if it cannot be read. */
RD_FN char *
rd_file(const char *path, size_t *lenp)
{
	FILE	*f = fopen(path, "rb");
	char	*p = NULL;
	size_t	 n = 0, cap = 0, got;

	if (f == NULL)
		return NULL;
	do {
		if (n + 65536 + 1 > cap) {
			cap = cap ? cap * 2 : 131072;
			if ((p = realloc(p, cap)) == NULL)
				abort();
		}
		got = fread(p + n, 1, 65536, f);
		n += got;
	} while (got > 0);
	fclose(f);
	p[n] = '\0';
	if (lenp != NULL)
		*lenp = n;
	return p;
}

/* ---- CSV ---------------------------------------------------------- */

struct csvf {
	char	*s;
	int	 quoted;
};

struct csvrec {
	struct csvf	*f;
	size_t		 n;
};

struct csvdoc {
	struct csvrec	*r;
	size_t		 n;
	int		 bad;	/* a syntax error or a bare LF line end */
};

RD_FN void
csv_push(struct csvrec *rec, const char *s, size_t n, int quoted)
{
	if ((rec->f = realloc(rec->f, (rec->n + 1) * sizeof(*rec->f))) ==
	    NULL || (rec->f[rec->n].s = malloc(n + 1)) == NULL)
		abort();
	memcpy(rec->f[rec->n].s, s, n);
	rec->f[rec->n].s[n] = '\0';
	rec->f[rec->n].quoted = quoted;
	rec->n++;
}

/* Parse RFC 4180 text (CRLF record ends required). */
RD_FN void
csv_parse(struct csvdoc *d, const char *p, size_t len)
{
	const char	*end = p + len;
	char		*tmp = malloc(len + 1);
	struct csvrec	 rec = { NULL, 0 };

	memset(d, 0, sizeof(*d));
	if (tmp == NULL)
		abort();
	while (p < end) {
		size_t	n = 0;
		int	quoted = 0;

		if (*p == '"') {
			quoted = 1;
			for (p++; p < end; p++) {
				if (*p == '"' && p + 1 < end && p[1] == '"')
					tmp[n++] = *p++;
				else if (*p == '"')
					break;
				else
					tmp[n++] = *p;
			}
			if (p >= end) {
				d->bad = 1;
				break;
			}
			p++;
		} else
			while (p < end && *p != ',' && *p != '\r' &&
			    *p != '\n') {
				if (*p == '"')
					d->bad = 1;
				tmp[n++] = *p++;
			}
		csv_push(&rec, tmp, n, quoted);
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p + 1 < end && p[0] == '\r' && p[1] == '\n')
			p += 2;
		else {
			d->bad = 1;
			if (p < end)
				p++;
		}
		if ((d->r = realloc(d->r, (d->n + 1) * sizeof(*d->r))) == NULL)
			abort();
		d->r[d->n++] = rec;
		memset(&rec, 0, sizeof(rec));
	}
	if (rec.n > 0) {
		d->bad = 1;
		for (size_t i = 0; i < rec.n; i++)
			free(rec.f[i].s);
		free(rec.f);
	}
	free(tmp);
}

RD_FN void
csv_free_doc(struct csvdoc *d)
{
	for (size_t i = 0; i < d->n; i++) {
		for (size_t k = 0; k < d->r[i].n; k++)
			free(d->r[i].f[k].s);
		free(d->r[i].f);
	}
	free(d->r);
	memset(d, 0, sizeof(*d));
}

/* Column index of name in the header record, or -1. */
RD_FN int
csv_col(const struct csvdoc *d, const char *name)
{
	if (d->n == 0)
		return -1;
	for (size_t i = 0; i < d->r[0].n; i++)
		if (strcmp(d->r[0].f[i].s, name) == 0)
			return (int)i;
	return -1;
}

/* ---- JSON --------------------------------------------------------- */

enum { JV_NULL, JV_BOOL, JV_NUM, JV_STR, JV_ARR, JV_OBJ };

struct jv {
	int		 type;
	int		 b;
	double		 num;
	int		 isint;		/* written without . or e */
	char		*str;
	struct jv	*kids;
	char		**keys;
	size_t		 n;
};

static const char *jp_s;
static int jp_err;

RD_FN void
jp_ws(void)
{
	while (*jp_s == ' ' || *jp_s == '\t' || *jp_s == '\n' || *jp_s == '\r')
		jp_s++;
}

RD_FN void
jp_utf8(char **o, unsigned long c)
{
	unsigned char *p = (unsigned char *)*o;

	if (c < 0x80)
		*p++ = (unsigned char)c;
	else if (c < 0x800) {
		*p++ = (unsigned char)(0xc0 | c >> 6);
		*p++ = (unsigned char)(0x80 | (c & 0x3f));
	} else if (c < 0x10000) {
		*p++ = (unsigned char)(0xe0 | c >> 12);
		*p++ = (unsigned char)(0x80 | (c >> 6 & 0x3f));
		*p++ = (unsigned char)(0x80 | (c & 0x3f));
	} else {
		*p++ = (unsigned char)(0xf0 | c >> 18);
		*p++ = (unsigned char)(0x80 | (c >> 12 & 0x3f));
		*p++ = (unsigned char)(0x80 | (c >> 6 & 0x3f));
		*p++ = (unsigned char)(0x80 | (c & 0x3f));
	}
	*o = (char *)p;
}

RD_FN char *
jp_string(void)
{
	char	*out = malloc(strlen(jp_s) * 2 + 8), *o = out;

	if (out == NULL)
		abort();
	jp_s++;
	while (*jp_s != '"') {
		if (*jp_s == '\0' || (unsigned char)*jp_s < 0x20) {
			jp_err = 1;
			break;
		}
		if (*jp_s != '\\') {
			*o++ = *jp_s++;
			continue;
		}
		jp_s++;
		switch (*jp_s++) {
		case 'n': *o++ = '\n'; break;
		case 't': *o++ = '\t'; break;
		case 'r': *o++ = '\r'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case '/': *o++ = '/'; break;
		case '\\': *o++ = '\\'; break;
		case '"': *o++ = '"'; break;
		case 'u': {
			unsigned long c = strtoul((char[5]){ jp_s[0], jp_s[1],
			    jp_s[2], jp_s[3], 0 }, NULL, 16);

			jp_s += 4;
			if (c >= 0xd800 && c < 0xdc00 && jp_s[0] == '\\' &&
			    jp_s[1] == 'u') {
				unsigned long lo = strtoul((char[5]){ jp_s[2],
				    jp_s[3], jp_s[4], jp_s[5], 0 }, NULL, 16);

				c = 0x10000 + ((c - 0xd800) << 10) +
				    (lo - 0xdc00);
				jp_s += 6;
			}
			jp_utf8(&o, c);
			break;
		}
		default:
			jp_err = 1;
		}
	}
	if (*jp_s == '"')
		jp_s++;
	*o = '\0';
	return out;
}

static void jp_value(struct jv *v);

RD_FN void
jp_push(struct jv *v, char *key, const struct jv *kid)
{
	if ((v->kids = realloc(v->kids, (v->n + 1) * sizeof(*v->kids))) ==
	    NULL || (v->keys = realloc(v->keys, (v->n + 1) *
	    sizeof(*v->keys))) == NULL)
		abort();
	v->kids[v->n] = *kid;
	v->keys[v->n] = key;
	v->n++;
}

RD_FN void
jp_container(struct jv *v, char close)
{
	v->type = close == '}' ? JV_OBJ : JV_ARR;
	jp_s++;
	jp_ws();
	if (*jp_s == close) {
		jp_s++;
		return;
	}
	for (;;) {
		struct jv	 kid;
		char		*key = NULL;

		jp_ws();
		if (close == '}') {
			if (*jp_s != '"') {
				jp_err = 1;
				return;
			}
			key = jp_string();
			jp_ws();
			if (*jp_s++ != ':') {
				jp_err = 1;
				free(key);
				return;
			}
		}
		jp_value(&kid);
		jp_push(v, key, &kid);
		if (jp_err)
			return;
		jp_ws();
		if (*jp_s == ',') {
			jp_s++;
			continue;
		}
		if (*jp_s++ != close)
			jp_err = 1;
		return;
	}
}

RD_FN void
jp_value(struct jv *v)
{
	memset(v, 0, sizeof(*v));
	jp_ws();
	if (*jp_s == '{' || *jp_s == '[') {
		jp_container(v, *jp_s == '{' ? '}' : ']');
	} else if (*jp_s == '"') {
		v->type = JV_STR;
		v->str = jp_string();
	} else if (strncmp(jp_s, "true", 4) == 0 ||
	    strncmp(jp_s, "false", 5) == 0) {
		v->type = JV_BOOL;
		v->b = *jp_s == 't';
		jp_s += v->b ? 4 : 5;
	} else if (strncmp(jp_s, "null", 4) == 0) {
		jp_s += 4;
	} else if (strncmp(jp_s, "NaN", 3) == 0) {
		v->type = JV_NUM;
		v->num = NAN;
		jp_s += 3;
	} else if (strncmp(jp_s, "Infinity", 8) == 0 ||
	    strncmp(jp_s, "-Infinity", 9) == 0) {
		v->type = JV_NUM;
		v->num = *jp_s == '-' ? -INFINITY : INFINITY;
		jp_s += *jp_s == '-' ? 9 : 8;
	} else {
		char		*end;
		const char	*start = jp_s;

		v->type = JV_NUM;
		v->num = strtod(jp_s, &end);
		if (end == jp_s) {
			jp_err = 1;
			return;
		}
		jp_s = end;
		v->isint = strpbrk(start, ".eE") == NULL ||
		    strpbrk(start, ".eE") >= end;
	}
}

/* Parse one JSON text; 0 if it is well-formed with nothing after it. */
RD_FN int
jv_parse(struct jv *v, const char *s)
{
	jp_s = s;
	jp_err = 0;
	jp_value(v);
	jp_ws();
	return jp_err || *jp_s != '\0' ? -1 : 0;
}

RD_FN void
jv_free(struct jv *v)
{
	for (size_t i = 0; i < v->n; i++) {
		jv_free(&v->kids[i]);
		free(v->keys[i]);
	}
	free(v->kids);
	free(v->keys);
	free(v->str);
	memset(v, 0, sizeof(*v));
}

/* Member key of an object, or NULL. */
RD_FN const struct jv *
jv_get(const struct jv *v, const char *key)
{
	if (v == NULL || v->type != JV_OBJ)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->keys[i], key) == 0)
			return &v->kids[i];
	return NULL;
}

/* ---- NumPy .npy --------------------------------------------------- */

struct npyarr {
	char		 descr[16];
	int		 fortran;
	uint64_t	 shape[4];
	int		 ndim;
	const unsigned char *data;
	size_t		 datalen;
	size_t		 hdrlen;	/* bytes before the data */
};

/* Parse an .npy image; 0 if its header is format 1.0 and well-formed. */
RD_FN int
npy_parse(struct npyarr *a, const unsigned char *p, size_t len)
{
	const char	*h, *q;
	size_t		 hl;
	char		 hdr[65536 + 1];

	memset(a, 0, sizeof(*a));
	if (len < 10 || memcmp(p, "\x93NUMPY\x01\x00", 8) != 0)
		return -1;
	hl = (size_t)p[8] | (size_t)p[9] << 8;
	if (10 + hl > len || (10 + hl) % 16 != 0 || p[10 + hl - 1] != '\n')
		return -1;
	memcpy(hdr, p + 10, hl);
	hdr[hl] = '\0';
	h = hdr;
	if ((q = strstr(h, "'descr': '")) == NULL)
		return -1;
	q += 10;
	snprintf(a->descr, sizeof(a->descr), "%.*s", (int)strcspn(q, "'"), q);
	if ((q = strstr(h, "'fortran_order': ")) == NULL)
		return -1;
	a->fortran = strncmp(q + 17, "True", 4) == 0;
	if ((q = strstr(h, "'shape': (")) == NULL)
		return -1;
	q += 10;
	while (*q != ')' && a->ndim < 4) {
		char *end;

		a->shape[a->ndim++] = strtoull(q, &end, 10);
		if (end == q)
			return -1;
		q = end;
		while (*q == ',' || *q == ' ')
			q++;
	}
	a->hdrlen = 10 + hl;
	a->data = p + a->hdrlen;
	a->datalen = len - a->hdrlen;
	return 0;
}

/* Element i of a '<f8' array. */
RD_FN double
npy_at(const struct npyarr *a, size_t i)
{
	uint64_t	u = 0;
	double		d;

	for (int k = 7; k >= 0; k--)
		u = u << 8 | a->data[i * 8 + (size_t)k];
	memcpy(&d, &u, 8);
	return d;
}

/* ---- zip ---------------------------------------------------------- */

struct zmember {
	char		*name;
	unsigned char	*data;
	size_t		 len;
	int		 method;
	int		 zip64;
};

struct zarchive {
	struct zmember	*m;
	size_t		 n;
	size_t		 cap;
	int		 zip64_end;
	char		 err[256];
};

RD_FN uint64_t
rd16(const unsigned char *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8;
}

RD_FN uint64_t
rd32(const unsigned char *p)
{
	return rd16(p) | rd16(p + 2) << 16;
}

RD_FN uint64_t
rd64(const unsigned char *p)
{
	return rd32(p) | rd32(p + 4) << 32;
}

/* Inflate raw deflate data of known output size. */
RD_FN int
zr_inflate(const unsigned char *in, size_t inlen, unsigned char *out,
    size_t outlen)
{
	z_stream	zs;
	int		rc;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, -15) != Z_OK)
		return -1;
	zs.next_in = (unsigned char *)in;
	zs.avail_in = (uInt)inlen;
	zs.next_out = out;
	zs.avail_out = (uInt)outlen;
	rc = inflate(&zs, Z_FINISH);
	inflateEnd(&zs);
	return rc == Z_STREAM_END && zs.avail_out == 0 ? 0 : -1;
}

/* Read one central entry at *pp and its member. */
RD_FN int
zr_entry(struct zarchive *z, const unsigned char *p, size_t len,
    const unsigned char **pp)
{
	const unsigned char	*c = *pp, *x, *lh;
	uint64_t		 csize, usize, off;
	size_t			 nl, xl, cl;
	struct zmember		*m;
	uint32_t		 crc;

	if (c + 46 > p + len || rd32(c) != 0x02014b50)
		return snprintf(z->err, sizeof(z->err), "bad central entry"),
		    -1;
	crc = (uint32_t)rd32(c + 16);
	csize = rd32(c + 20);
	usize = rd32(c + 24);
	nl = rd16(c + 28);
	xl = rd16(c + 30);
	cl = rd16(c + 32);
	off = rd32(c + 42);
	if (z->n == z->cap) {	/* doubling: realloc copies under ASan */
		z->cap = z->cap ? z->cap * 2 : 64;
		if ((z->m = realloc(z->m, z->cap * sizeof(*z->m))) == NULL)
			abort();
	}
	m = &z->m[z->n++];
	memset(m, 0, sizeof(*m));
	m->method = (int)rd16(c + 10);
	if ((m->name = strndup((const char *)c + 46, nl)) == NULL)
		abort();
	for (x = c + 46 + nl; x + 4 <= c + 46 + nl + xl;
	    x += 4 + rd16(x + 2)) {
		const unsigned char *f = x + 4;

		if (rd16(x) != 0x0001)
			continue;
		m->zip64 = 1;
		if (usize == 0xffffffff)
			usize = rd64(f), f += 8;
		if (csize == 0xffffffff)
			csize = rd64(f), f += 8;
		if (off == 0xffffffff)
			off = rd64(f);
	}
	*pp = c + 46 + nl + xl + cl;
	lh = p + off;
	if (off + 30 > len || rd32(lh) != 0x04034b50 ||
	    rd16(lh + 26) != nl || memcmp(lh + 30, m->name, nl) != 0)
		return snprintf(z->err, sizeof(z->err), "%s: bad local "
		    "header", m->name), -1;
	lh += 30 + nl + rd16(lh + 28);
	if ((uint64_t)(lh - p) + csize > len)
		return snprintf(z->err, sizeof(z->err), "%s: truncated",
		    m->name), -1;
	if ((m->data = malloc(usize + 1)) == NULL)
		abort();
	m->len = usize;
	if (m->method == 0 && csize == usize)
		memcpy(m->data, lh, usize);
	else if (m->method != 8 || zr_inflate(lh, csize, m->data, usize) != 0)
		return snprintf(z->err, sizeof(z->err), "%s: cannot "
		    "decompress", m->name), -1;
	if ((uint32_t)crc32(0, m->data, (uInt)usize) != crc)
		return snprintf(z->err, sizeof(z->err), "%s: CRC-32 "
		    "mismatch", m->name), -1;
	return 0;
}

/* Read a whole zip image: 0 and every member, or -1 and err. */
RD_FN int
zr_read(struct zarchive *z, const unsigned char *p, size_t len)
{
	const unsigned char	*e = NULL, *c;
	uint64_t		 n, cdoff;

	memset(z, 0, sizeof(*z));
	for (size_t i = len >= 22 ? len - 22 + 1 : 0; i-- > 0;)
		if (rd32(p + i) == 0x06054b50) {
			e = p + i;
			break;
		}
	if (e == NULL)
		return snprintf(z->err, sizeof(z->err), "no end record"), -1;
	n = rd16(e + 10);
	cdoff = rd32(e + 16);
	if (n == 0xffff || cdoff == 0xffffffff) {
		const unsigned char *loc = e - 20, *e64;

		if (loc < p || rd32(loc) != 0x07064b50)
			return snprintf(z->err, sizeof(z->err), "no zip64 "
			    "locator"), -1;
		e64 = p + rd64(loc + 8);
		if (e64 + 56 > p + len || rd32(e64) != 0x06064b50)
			return snprintf(z->err, sizeof(z->err), "bad zip64 "
			    "end record"), -1;
		n = rd64(e64 + 32);
		cdoff = rd64(e64 + 48);
		z->zip64_end = 1;
	}
	c = p + cdoff;
	for (uint64_t i = 0; i < n; i++)
		if (zr_entry(z, p, len, &c) != 0)
			return -1;
	return 0;
}

RD_FN void
zr_free(struct zarchive *z)
{
	for (size_t i = 0; i < z->n; i++) {
		free(z->m[i].name);
		free(z->m[i].data);
	}
	free(z->m);
	memset(z, 0, sizeof(*z));
}

RD_FN const struct zmember *
zr_get(const struct zarchive *z, const char *name)
{
	for (size_t i = 0; i < z->n; i++)
		if (strcmp(z->m[i].name, name) == 0)
			return &z->m[i];
	return NULL;
}

#endif /* WBS_EXPORT_READ_H */
