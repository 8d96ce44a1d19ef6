/*
 * export-npy-t.c - the export's building blocks: .npy headers and
 * values, the zip writer (stored, deflate, zip64), file names of fields,
 * JSONB rewriting of NaN/Infinity, history sampling.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "testutil.h"
#include "export-read.h"
#include "export/export-int.h"
#include "export/npy.h"

/* Headers of several shapes parse back and align the data to 64. */
static void
test_header(void)
{
	static const uint64_t shapes[][2] = { { 0, 0 }, { 3, 5 },
	    { 123456789, 7 }, { 1, 1 } };
	struct buf	b;
	struct npyarr	a;

	buf_init(&b);
	for (size_t i = 0; i < 4; i++) {
		buf_reset(&b);
		npy_header(&b, "<f8", shapes[i], 2);
		ok(npy_parse(&a, (unsigned char *)b.p, b.len) == 0 &&
		    b.len % 64 == 0 && a.ndim == 2 &&
		    a.shape[0] == shapes[i][0] && a.shape[1] == shapes[i][1] &&
		    strcmp(a.descr, "<f8") == 0 && !a.fortran,
		    "header (%llu, %llu) parses back, %zu bytes",
		    (unsigned long long)shapes[i][0],
		    (unsigned long long)shapes[i][1], b.len);
	}
	buf_reset(&b);
	npy_header(&b, "<U7", shapes[1], 1);
	ok(npy_parse(&a, (unsigned char *)b.p, b.len) == 0 && a.ndim == 1 &&
	    a.shape[0] == 3 && strcmp(a.descr, "<U7") == 0 &&
	    memmem(b.p, b.len, "(3,)", 4) != NULL, "1-D header is (3,)");
	buf_release(&b);
}

/* Doubles are little-endian and exact, NaN and infinities included. */
static void
test_values(void)
{
	static const double v[] = { 0.0, -0.0, 1.5, -2.25e-300, NAN,
	    INFINITY, -INFINITY, 1e308 };
	struct buf	b;
	struct npyarr	a;
	uint64_t	shape[2] = { 1, 8 };
	int		same = 1;

	buf_init(&b);
	npy_header(&b, "<f8", shape, 2);
	for (size_t i = 0; i < 8; i++)
		npy_f8(&b, v[i]);
	npy_parse(&a, (unsigned char *)b.p, b.len);
	for (size_t i = 0; i < 8; i++) {
		double d = npy_at(&a, i);

		same &= isnan(v[i]) ? isnan(d) :
		    memcmp(&d, &v[i], 8) == 0;
	}
	ok(same && a.datalen == 64, "float64 values round-trip");
	ok((unsigned char)a.data[8 * 2 + 7] == 0x3f &&
	    (unsigned char)a.data[8 * 2 + 6] == 0xf8, "1.5 is little-endian");
	buf_reset(&b);
	is_int(npy_u8len("m\xc3\xa9tr\xf0\x9f\x98\x80"), 5,
	    "code points of a UTF-8 string");
	npy_u32(&b, "\xc3\xa9\xf0\x9f\x98\x80", 3);
	ok(b.len == 12 && memcmp(b.p, "\xe9\0\0\0\x00\xf6\x01\0\0\0\0\0",
	    12) == 0, "UTF-32LE with zero padding");
	buf_release(&b);
}

/* Write an archive of the given members; read it back with zr_read. */
static int
zip_roundtrip(const char *dir, uint64_t limit, int method, size_t nmem,
    size_t size, struct zarchive *z)
{
	char		 path[4096];
	FILE		*f, *src;
	struct zip	 zw;
	unsigned char	*img;
	size_t		 len;
	int		 rc = 0;

	snprintf(path, sizeof(path), "%s/t.zip", dir);
	if ((f = fopen(path, "w+")) == NULL)
		return -1;
	zip_init(&zw, f);
	if (limit)
		zw.zip64_limit = limit;
	if ((src = tmpfile()) == NULL)
		return -1;
	for (size_t m = 0; m < nmem && rc == 0; m++) {
		char name[64];

		rewind(src);
		if (ftruncate(fileno(src), 0) != 0)
			return -1;
		for (size_t i = 0; i < size; i++)
			fputc((int)((i * 7 + m) % 13 + 'a'), src);
		fflush(src);
		rewind(src);
		snprintf(name, sizeof(name), "dir/m\xc3\xa9mbre-%zu.npy", m);
		rc = zip_add(&zw, name, src, method);
	}
	fclose(src);
	if (rc == 0)
		rc = zip_finish(&zw);
	if (rc != 0)
		diag("zip: %s", zw.err);
	zip_release(&zw);
	fclose(f);
	if (rc != 0 || (img = (unsigned char *)rd_file(path, &len)) == NULL)
		return -1;
	rc = zr_read(z, img, len);
	if (rc != 0)
		diag("zr_read: %s", z->err);
	free(img);
	return rc;
}

static int
zip_content_ok(const struct zarchive *z, size_t nmem, size_t size)
{
	for (size_t m = 0; m < nmem; m++) {
		char			 name[64];
		const struct zmember	*zm;

		snprintf(name, sizeof(name), "dir/m\xc3\xa9mbre-%zu.npy", m);
		/* Members come back in the order they were added. */
		if (m >= z->n || strcmp((zm = &z->m[m])->name, name) != 0 ||
		    zm->len != size)
			return 0;
		for (size_t i = 0; i < size; i++)
			if (zm->data[i] != (i * 7 + m) % 13 + 'a')
				return 0;
	}
	return z->n == nmem;
}

/* Python's zipfile, where installed, reads the archive too. */
static void
zip_python(const char *dir, size_t nmem)
{
	char cmd[4200];

	/* EXPORT_PYTHON: the interpreter configure found, or ":". */
	snprintf(cmd, sizeof(cmd), "'%s' -c 1 >/dev/null 2>&1",
	    EXPORT_PYTHON);
	if (strcmp(EXPORT_PYTHON, ":") == 0 || system(cmd) != 0) {
		ok(1, "# SKIP no Python interpreter (configure found none)");
		return;
	}
	snprintf(cmd, sizeof(cmd), "'%s' -c 'import sys, zipfile; "
	    "z = zipfile.ZipFile(sys.argv[1]); "
	    "assert z.testzip() is None; assert len(z.namelist()) == %zu' "
	    "'%s/t.zip'", EXPORT_PYTHON, nmem, dir);
	ok(system(cmd) == 0, "Python's zipfile reads the zip64 archive and "
	    "its CRCs check out");
}

static void
test_zip(void)
{
	char		*dir = test_tmpdir();
	struct zarchive	 z;

	ok(zip_roundtrip(dir, 0, ZIP_STORE, 3, 100000, &z) == 0 &&
	    zip_content_ok(&z, 3, 100000) && !z.zip64_end &&
	    !z.m[0].zip64 && z.m[1].method == 0,
	    "stored members: CRC and sizes check out, no zip64");
	zr_free(&z);
	ok(zip_roundtrip(dir, 0, ZIP_DEFLATE, 2, 300000, &z) == 0 &&
	    zip_content_ok(&z, 2, 300000) && z.m[0].method == 8,
	    "deflated members inflate to the same bytes");
	zr_free(&z);
	ok(zip_roundtrip(dir, 0, ZIP_STORE, 1, 0, &z) == 0 &&
	    zip_content_ok(&z, 1, 0), "an empty member");
	zr_free(&z);
	/* Lower the limit so that every size and offset takes zip64. */
	ok(zip_roundtrip(dir, 1000, ZIP_STORE, 3, 5000, &z) == 0 &&
	    zip_content_ok(&z, 3, 5000) && z.zip64_end && z.m[2].zip64,
	    "zip64 extra fields and end records read back (stored)");
	zr_free(&z);
	zip_python(dir, 3);
	ok(zip_roundtrip(dir, 1000, ZIP_DEFLATE, 2, 50000, &z) == 0 &&
	    zip_content_ok(&z, 2, 50000) && z.m[0].zip64 && z.m[1].zip64,
	    "zip64 with deflate");
	zr_free(&z);
	ok(zip_roundtrip(dir, 0, ZIP_STORE, 65536, 1, &z) == 0 &&
	    zip_content_ok(&z, 65536, 1) && z.zip64_end,
	    "65536 members take the zip64 end record");
	zr_free(&z);
	test_rmtree(dir);
}

static void
fname_is(const char *name, int slashes, const char *want)
{
	struct buf b;

	buf_init(&b);
	keys_fname(&b, name, slashes);
	is_str(buf_cstr(&b), want, "file name of \"%s\"%s", name,
	    slashes ? " (slashes kept)" : "");
	buf_release(&b);
}

static void
test_fnames(void)
{
	fname_is("loss", 0, "loss");
	fname_is("train/loss", 0, "train%2Floss");
	fname_is("train/loss", 1, "train/loss");
	fname_is("a%b", 0, "a%25b");
	fname_is("..", 0, "%2E%2E");
	fname_is(".", 1, "%2E");
	fname_is("../x", 1, "..%2Fx");
	fname_is("/abs", 1, "%2Fabs");
	fname_is("a//b", 1, "a%2F%2Fb");
	fname_is("m\xc3\xa9trique", 0, "m\xc3\xa9trique");
}

static void
json_pg_is(const char *in, const char *want, int changed)
{
	struct buf	b;
	int		c;

	buf_init(&b);
	c = xval_json_pg(&b, in, strlen(in));
	ok(strcmp(buf_cstr(&b), want) == 0 && c == changed,
	    "JSONB form of %s", in);
	if (strcmp(buf_cstr(&b), want) != 0)
		diag("got %s", buf_cstr(&b));
	buf_release(&b);
}

static void
test_json_pg(void)
{
	json_pg_is("[1,NaN,-Infinity,Infinity]",
	    "[1,\"NaN\",\"-Infinity\",\"Infinity\"]", 1);
	json_pg_is("{\"NaN\":\"Infinity \\\" NaN\"}",
	    "{\"NaN\":\"Infinity \\\" NaN\"}", 0);
	json_pg_is("{\"a\":{\"b\":NaN}}", "{\"a\":{\"b\":\"NaN\"}}", 1);
}

/* One double through xval_double: exact, and marked as a float. */
static int
double_ok(double d)
{
	struct buf	 b;
	double		 back;
	char		*end;
	int		 good;

	buf_init(&b);
	xval_double(&b, d);
	back = strtod(buf_cstr(&b), &end);
	good = *end == '\0' && strpbrk(b.p, ".eNI") != NULL &&
	    (isnan(d) ? isnan(back) : memcmp(&back, &d, 8) == 0);
	if (!good)
		diag("%.17g written as %s", d, b.p);
	buf_release(&b);
	return good;
}

static void
test_doubles(void)
{
	uint64_t	 x = 88172645463325252ULL;
	int		 good = 1;
	struct buf	 b;

	for (int i = 0; i < 200000 && good; i++) {
		uint64_t	u;
		double		d;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		u = x;
		memcpy(&d, &u, 8);
		good &= double_ok(d);
		good &= double_ok((double)(int64_t)(x % 2000001) / 1000.0 -
		    1000.0);
		good &= double_ok(1.0 / (double)(i + 1));
		good &= double_ok(1.7e9 + (double)(x % 1000000000) / 1e6);
		good &= double_ok((double)(x >> 11) * 0x1p-53 * 1e-3);
	}
	good &= double_ok(0.0) && double_ok(-0.0) && double_ok(NAN) &&
	    double_ok(INFINITY) && double_ok(-INFINITY) &&
	    double_ok(5e-324) && double_ok(1.7976931348623157e308) &&
	    double_ok(9007199254740991.0) && double_ok(9007199254740993.0) &&
	    double_ok(0.1) && double_ok(1e-4) && double_ok(-123.456);
	ok(good, "1,000,000 doubles read back exactly");
	buf_init(&b);
	xval_double(&b, 0.1);
	buf_addc(&b, ' ');
	xval_double(&b, -2.0);
	buf_addc(&b, ' ');
	xval_double(&b, 1795436590.890627);
	buf_addc(&b, ' ');
	xval_double(&b, -0.0);
	is_str(buf_cstr(&b), "0.1 -2.0 1795436590.890627 -0.0",
	    "short decimals stay short and floats keep a fraction");
	buf_release(&b);
}

static void
test_sampler(void)
{
	struct sampler	s;
	uint64_t	got[16];
	size_t		n = 0;

	sampler_init(&s, 11, 4);
	for (uint64_t i = 0; i < 11; i++)
		if (sampler_take(&s, i) && n < 16)
			got[n++] = i;
	ok(n == 4 && got[0] == 0 && got[1] == 3 && got[2] == 7 &&
	    got[3] == 10, "4 samples of 11 rows: 0 3 7 10");
	n = 0;
	sampler_init(&s, 3, 10);
	for (uint64_t i = 0; i < 3; i++)
		n += (size_t)sampler_take(&s, i);
	ok(n == 3 && sampler_count(3, 10) == 3, "short runs keep every row");
	n = 0;
	sampler_init(&s, 1000000, 2);
	for (uint64_t i = 0; i < 1000000; i++)
		if (sampler_take(&s, i))
			got[n++] = i;
	ok(n == 2 && got[0] == 0 && got[1] == 999999,
	    "2 samples are the first and last rows");
}

int
main(void)
{
	test_header();
	test_values();
	test_zip();
	test_fnames();
	test_json_pg();
	test_doubles();
	test_sampler();
	plan_lazy_done();
	return tap_exit();
}
