/*
 * xval.c - history values as text, numbers and JSON for the formats.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "export-int.h"
#include "log.h"

/* us since the epoch as ISO 8601 UTC: 2026-11-23T10:15:00.123456Z. */
void
xval_iso(struct buf *b, int64_t us)
{
	time_t		t;
	struct tm	tm;
	char		tmp[64];
	int64_t		frac = us % 1000000;

	if (frac < 0)
		frac += 1000000;
	t = (time_t)((us - frac) / 1000000);
	gmtime_r(&t, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	buf_printf(b, "%s.%06dZ", tmp, (int)frac);
}

/* Append the decimal digits of u. */
static void
put_u64(char **o, uint64_t u, int width)
{
	char	tmp[24];
	int	n = 0;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0 || n < width);
	while (n > 0)
		*(*o)++ = tmp[--n];
}

/*
 * A double as text that reads back exactly: NaN, Infinity and -Infinity
 * as W&B writes them; always with a fraction or an exponent.  The common
 * case is done without printf: the fewest fraction digits k for which
 * n / 10^k == |d| with n an integer below 2^53.  Both n and 10^k are then
 * exact doubles and IEEE division rounds correctly, so strtod of the
 * decimal n * 10^-k (also correctly rounded) gives d back.  Other values
 * go through json_double (printf with 15 to 17 digits).
 */
void
xval_double(struct buf *b, double d)
{
	static const double	 p10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6,
	    1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17 };
	const double		 two53 = 9007199254740992.0;
	double			 a = fabs(d);
	char			 tmp[48], *o = tmp;

	if (d == 0) {
		buf_adds(b, signbit(d) ? "-0.0" : "0.0");
		return;
	}
	if (!(a >= 1e-4 && a < two53)) {
		json_double(b, d);
		return;
	}
	for (int k = 0; k < (int)(sizeof(p10) / sizeof(p10[0])); k++) {
		double	s = a * p10[k], n;
		uint64_t u, unit = 1;

		if (s >= two53)
			break;
		n = nearbyint(s);
		if (n / p10[k] != a)
			continue;
		u = (uint64_t)n;
		for (int i = 0; i < k; i++)
			unit *= 10;
		if (d < 0)
			*o++ = '-';
		put_u64(&o, u / unit, 1);
		*o++ = '.';
		put_u64(&o, k ? u % unit : 0, k ? k : 1);
		buf_add(b, tmp, (size_t)(o - tmp));
		return;
	}
	json_double(b, d);
}

/* A value as JSON: json_value, doubles through xval_double. */
void
xval_json(struct buf *b, const struct wbs_value *v)
{
	if (v->type == WBS_DOUBLE)
		xval_double(b, v->u.d);
	else
		json_value(b, v);
}

/* A cell as text: strings as they are, other values as JSON. */
void
xval_text(struct buf *b, const struct xrow *row, const struct xcell *c)
{
	struct wbs_value v = c->v;

	switch (v.type) {
	case WBS_STRING:
		buf_add(b, xcell_str(row, c), v.u.s.len);
		return;
	case WBS_JSON:
		buf_add(b, xcell_str(row, c), v.u.s.len);
		return;
	case WBS_NULL:
		buf_adds(b, "null");
		return;
	default:
		if (v.type >= WBS_STRING)
			v.u.s.ptr = xcell_str(row, c);
		xval_json(b, &v);
	}
}

/* A cell as a double for NumPy: NaN when it is not a number. */
double
xval_num(const struct xcell *c, int *numeric)
{
	*numeric = 1;
	switch (c->v.type) {
	case WBS_DOUBLE:
		return c->v.u.d;
	case WBS_INT:
		return (double)c->v.u.i;
	case WBS_BOOL:
		return c->v.u.b ? 1.0 : 0.0;
	default:
		*numeric = 0;
		return NAN;
	}
}

/* An array element literal of PostgreSQL ("..." with \ escapes). */
void
xval_pg_elem(struct buf *b, const char *s, size_t n)
{
	buf_addc(b, '"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			buf_addc(b, '\\');
		buf_addc(b, s[i]);
	}
	buf_addc(b, '"');
}

/*
 * Extended JSON for PostgreSQL's JSONB, which has no NaN or infinities:
 * the bare tokens NaN, Infinity and -Infinity become the strings "NaN",
 * "Infinity" and "-Infinity" (PostgreSQL's float8 reads those back).
 * Returns 1 if something was rewritten.
 */
int
xval_json_pg(struct buf *b, const char *s, size_t n)
{
	int	 instr = 0, changed = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (instr) {
			buf_addc(b, c);
			if (c == '\\' && i + 1 < n)
				buf_addc(b, s[++i]);
			else if (c == '"')
				instr = 0;
			continue;
		}
		if (c == '"') {
			instr = 1;
			buf_addc(b, c);
		} else if (n - i >= 3 && memcmp(s + i, "NaN", 3) == 0) {
			buf_adds(b, "\"NaN\"");
			i += 2;
			changed = 1;
		} else if (n - i >= 8 && memcmp(s + i, "Infinity", 8) == 0) {
			buf_adds(b, "\"Infinity\"");
			i += 7;
			changed = 1;
		} else if (n - i >= 9 && memcmp(s + i, "-Infinity", 9) == 0) {
			buf_adds(b, "\"-Infinity\"");
			i += 8;
			changed = 1;
		} else
			buf_addc(b, c);
	}
	return changed;
}

/* One value as JSON; for PostgreSQL, non-finite numbers as strings. */
static void
value_json(struct buf *b, const struct xrow *row, const struct xcell *c,
    int pg, int *nonfinite)
{
	struct wbs_value v = c->v;

	if (v.type >= WBS_STRING)
		v.u.s.ptr = xcell_str(row, c);
	if (pg && v.type == WBS_DOUBLE && !isfinite(v.u.d)) {
		buf_addc(b, '"');
		json_double(b, v.u.d);
		buf_addc(b, '"');
		*nonfinite = 1;
	} else if (pg && v.type == WBS_JSON)
		*nonfinite = xval_json_pg(b, v.u.s.ptr, v.u.s.len);
	else
		xval_json(b, &v);
}

/* Number of leading components that keys a and b share. */
static size_t
common_depth(const char *a, const char *b)
{
	size_t depth = 0;

	for (size_t i = 0; a[i] != '\0' && a[i] == b[i]; i++)
		if (a[i] == WBS_SEP_CHAR)
			depth++;
	return depth;
}

static int
cmp_cells(const void *a, const void *b, void *ksp)
{
	const struct keyset *ks = ksp;
	const struct xcell *x = *(const struct xcell *const *)a;
	const struct xcell *y = *(const struct xcell *const *)b;

	return strcmp(ks->cols[x->col]->key, ks->cols[y->col]->key);
}

/* Write one key component as a JSON string. */
static void
comp_json(struct buf *b, const char *s)
{
	json_str(b, s, strcspn(s, WBS_SEP));
}

/*
 * The row's items as the members of a JSON object (no braces), nested
 * keys as nested objects, in key order.  With pg, non-finite numbers
 * become strings and their dotted keys are added to nonfinite as
 * PostgreSQL array elements.
 */
void
xval_row_json(const struct keyset *ks, struct buf *b, const struct xrow *row,
    int pg, struct buf *nonfinite, int first)
{
	const struct xcell	**v;
	const char		 *prev = NULL;
	size_t			  depth = 0;

	if (row->n == 0)
		return;
	if ((v = calloc(row->n, sizeof(*v))) == NULL)
		fatalx("out of memory");
	for (size_t i = 0; i < row->n; i++)
		v[i] = &row->cells[i];
	qsort_r(v, row->n, sizeof(*v), cmp_cells, (void *)ks);
	for (size_t i = 0; i < row->n; i++) {
		const char	*key = ks->cols[v[i]->col]->key, *p = key;
		size_t		 common = prev ? common_depth(prev, key) : 0;
		int		 nf = 0;

		if (common > depth)
			common = depth;
		for (; depth > common; depth--)
			buf_addc(b, '}');
		for (size_t k = 0; k < common; k++)
			p = strchr(p, WBS_SEP_CHAR) + 1;
		if (!first)
			buf_addc(b, ',');
		first = 0;
		while (strchr(p, WBS_SEP_CHAR) != NULL) {
			comp_json(b, p);
			buf_adds(b, ":{");
			p = strchr(p, WBS_SEP_CHAR) + 1;
			depth++;
			first = 1;
		}
		comp_json(b, p);
		buf_addc(b, ':');
		value_json(b, row, v[i], pg, &nf);
		first = 0;
		if (nf && nonfinite != NULL) {
			if (nonfinite->len > 0)
				buf_addc(nonfinite, ',');
			xval_pg_elem(nonfinite, ks->cols[v[i]->col]->name,
			    strlen(ks->cols[v[i]->col]->name));
		}
		prev = key;
	}
	for (; depth > 0; depth--)
		buf_addc(b, '}');
	free(v);
}
