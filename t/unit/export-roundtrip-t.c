/*
 * export-roundtrip-t.c - runs written through the public API, exported
 * to CSV (wide and long), JSONL, .npy and .npz, read back with the
 * independent readers of export-read.h and compared value by value:
 * NaN, infinities, -0.0, Unicode keys and strings, quotes, commas and
 * line breaks, nested keys, rows built from several calls, an open last
 * row, a resumed run's run time, sampling, field selection, filters and
 * the refusal to overwrite.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "tap.h"
#include "testutil.h"
#include "export-read.h"
#include "export/export.h"

#define MAXROWS		32
#define MAXCELLS	12

struct ecell {
	const char		*key;	/* journal key */
	const char		*name;	/* dotted */
	struct wbs_value	 v;
};

struct erow {
	int64_t		step;
	struct ecell	c[MAXCELLS];
	int		n;
};

struct erun {
	const char	*id;
	struct erow	 rows[MAXROWS];
	int		 nrows;
};

static struct erun	runs[4];
static size_t		nruns;
static double		t_begin, t_end;

static const char *const strs[] = { "plain", "comma, here",
    "quote \"q\" \"\"", "line\nbreak\r\nend", "\xc3\xbc\xc3\xb1\xc3\xad "
    "\xf0\x9f\x98\x80 \xf0\x9d\x84\x9e" };
static const double odd[] = { NAN, INFINITY, -INFINITY, 1e-300, -0.0 };
#define UKEY	"\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87/\xc3\xbc"

static double
now_s(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void
must(struct wbs_run *run, int rc, const char *what)
{
	if (rc != 0) {
		printf("Bail out! %s: %s\n", what, wbs_run_errmsg(run));
		exit(1);
	}
}

/* Add items to the expected row (a later value of a key wins). */
static void
expect(struct erow *r, const struct wbs_item *it, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int k;

		for (k = 0; k < r->n; k++)
			if (strcmp(r->c[k].key, it[i].key) == 0)
				break;
		if (k == r->n)
			r->n++;
		r->c[k].key = it[i].key;
		r->c[k].name = strcmp(it[i].key, "val" WBS_SEP "loss") == 0 ?
		    "val.loss" : strcmp(it[i].key, "val" WBS_SEP "acc") == 0 ?
		    "val.acc" : it[i].key;
		r->c[k].v = it[i].v;
	}
}

/* Log items to step and record them as expected. */
static void
logx(struct wbs_run *run, struct erun *e, const struct wbs_item *it,
    size_t n, int64_t step, unsigned flags)
{
	struct erow *r;

	must(run, wbs_run_log(run, it, n, step, flags), "log");
	if (e->nrows == 0 || e->rows[e->nrows - 1].step != step) {
		r = &e->rows[e->nrows++];
		memset(r, 0, sizeof(*r));
		r->step = step;
	}
	expect(&e->rows[e->nrows - 1], it, n);
}

static struct wbs_run *
open_run(const char *root, const char *id, const char *group,
    const char *tags, const char *resume, const struct wbs_item *cfg,
    size_t ncfg)
{
	struct wbs_opts	*o;
	struct wbs_run	*run;
	char		 err[256];

	if (wbs_opts_new(&o) != 0 || wbs_opts_set(o, WBS_OPT_DIR, root) ||
	    wbs_opts_set(o, WBS_OPT_ID, id) ||
	    wbs_opts_set(o, WBS_OPT_PROJECT, "proj") ||
	    wbs_opts_set(o, WBS_OPT_MODE, "offline") ||
	    wbs_opts_set(o, WBS_OPT_GROUP, group) ||
	    wbs_opts_set(o, WBS_OPT_TAGS, tags) ||
	    wbs_opts_set(o, WBS_OPT_RESUME, resume) ||
	    (ncfg && wbs_opts_config(o, cfg, ncfg))) {
		printf("Bail out! options\n");
		exit(1);
	}
	if (wbs_run_open(&run, o, err, sizeof(err)) != 0) {
		printf("Bail out! open %s: %s\n", id, err);
		exit(1);
	}
	wbs_opts_free(o);
	return run;
}

/* alpha: 30 rows of every kind of value. */
static void
make_alpha(const char *root)
{
	struct wbs_item	 cfg[] = { WBS_DOUBLE_ITEM("lr", 0.01),
	    WBS_INT_ITEM("model" WBS_SEP "layers", 4),
	    WBS_STRING_ITEM("\xe5\x90\x8d", "\xe5\x80\xa4") };
	struct erun	*e = &runs[nruns++];
	struct wbs_run	*run = open_run(root, "alpha", "g1", "t1,t2",
			    "never", cfg, 3);

	e->id = "alpha";
	for (int i = 0; i < 30; i++) {
		struct wbs_item a[] = {
			WBS_DOUBLE_ITEM("loss", 1.0 / (i + 1)),
			WBS_INT_ITEM("acc", i * 3 - 7),
			WBS_DOUBLE_ITEM("nanv", odd[i % 5]),
			WBS_STRING_ITEM("s", strs[i % 5]),
			WBS_BOOL_ITEM("b", i % 2),
			WBS_DOUBLE_ITEM(UKEY, i * 0.1),
			WBS_STRING_ITEM("e", ""),
			WBS_JSON_ITEM("j", "{\"a\":[1,NaN]}"),
		};
		struct wbs_item b[] = {
			WBS_DOUBLE_ITEM("val" WBS_SEP "loss", 0.5 / (i + 1)),
			WBS_INT_ITEM("val" WBS_SEP "acc", i),
		};
		size_t na = i < 2 ? 7 : 6;

		if (i == 1)
			a[6] = a[7];	/* the JSON value instead of "" */
		logx(run, e, a, na, i, i % 3 == 0 ? WBS_LOG_NOCOMMIT :
		    WBS_LOG_COMMIT);
		if (i % 3 == 0)
			logx(run, e, b, 2, i, WBS_LOG_COMMIT);
	}
	must(run, wbs_run_finish(run, 0), "finish");
	wbs_run_close(run);
}

/* beta: rows 5..7 carry only "other"; exit code 1. */
static void
make_beta(const char *root)
{
	struct wbs_item	 cfg[] = { WBS_DOUBLE_ITEM("lr", 0.5) };
	struct erun	*e = &runs[nruns++];
	struct wbs_run	*run = open_run(root, "beta", "g2", "t2", "never",
			    cfg, 1);

	e->id = "beta";
	for (int i = 0; i < 8; i++) {
		struct wbs_item a[] = { WBS_INT_ITEM("other", i),
		    WBS_DOUBLE_ITEM("loss", 2.0 / (i + 1)) };

		logx(run, e, a, i < 5 ? 2 : 1, i, WBS_LOG_COMMIT);
	}
	must(run, wbs_run_finish(run, 1), "finish");
	wbs_run_close(run);
}

/* gamma: crashed with its last row never committed. */
static void
make_gamma(const char *root)
{
	struct erun	*e = &runs[nruns++];
	struct wbs_run	*run = open_run(root, "gamma", "g1", "", "never",
			    NULL, 0);

	e->id = "gamma";
	for (int i = 0; i < 3; i++) {
		struct wbs_item a[] = { WBS_DOUBLE_ITEM("loss", 3.0 + i) };

		logx(run, e, a, 1, i, i == 2 ? WBS_LOG_NOCOMMIT :
		    WBS_LOG_COMMIT);
	}
	wbs_run_close(run);
}

/* delta: two sessions 300 ms apart. */
static void
make_delta(const char *root)
{
	struct erun	*e = &runs[nruns++];
	struct wbs_run	*run;

	e->id = "delta";
	for (int s = 0; s < 2; s++) {
		run = open_run(root, "delta", "g3", "", s ? "allow" : "never",
		    NULL, 0);
		for (int i = 0; i < 2; i++) {
			struct wbs_item a[] = {
			    WBS_DOUBLE_ITEM("loss", 10.0 + s * 2 + i) };

			logx(run, e, a, 1, s * 2 + i, WBS_LOG_COMMIT);
		}
		if (s == 1)
			must(run, wbs_run_finish(run, 0), "finish");
		wbs_run_close(run);
		if (s == 0)
			usleep(300000);
	}
}

/* ---- expectations ----------------------------------------------- */

static const struct erun *
erun_get(const char *id)
{
	for (size_t i = 0; i < nruns; i++)
		if (strcmp(runs[i].id, id) == 0)
			return &runs[i];
	return NULL;
}

static const struct ecell *
ecell_get(const struct erow *r, const char *name)
{
	for (int i = 0; i < r->n; i++)
		if (strcmp(r->c[i].name, name) == 0)
			return &r->c[i];
	return NULL;
}

static int
same_double(double a, double b)
{
	return isnan(a) ? isnan(b) : memcmp(&a, &b, sizeof(a)) == 0;
}

/* Does CSV text stand for the value? */
static int
text_is(const struct wbs_value *v, const struct csvf *f)
{
	char *end;

	switch (v->type) {
	case WBS_DOUBLE:
		return strpbrk(f->s, ".eNI") != NULL &&
		    same_double(strtod(f->s, &end), v->u.d) && *end == '\0';
	case WBS_INT:
		return strtoll(f->s, &end, 10) == v->u.i && *end == '\0' &&
		    *f->s != '\0';
	case WBS_BOOL:
		return strcmp(f->s, v->u.b ? "true" : "false") == 0;
	case WBS_STRING:
	case WBS_JSON:
		return strlen(f->s) == v->u.s.len &&
		    memcmp(f->s, v->u.s.ptr, v->u.s.len) == 0 &&
		    (v->u.s.len > 0 || f->quoted);
	}
	return 0;
}

/* Does a parsed JSON value stand for the value? */
static int
jv_is(const struct wbs_value *v, const struct jv *j)
{
	const struct jv *a;

	if (j == NULL)
		return 0;
	switch (v->type) {
	case WBS_DOUBLE:
		return j->type == JV_NUM && !j->isint &&
		    same_double(j->num, v->u.d);
	case WBS_INT:
		return j->type == JV_NUM && j->isint &&
		    j->num == (double)v->u.i;
	case WBS_BOOL:
		return j->type == JV_BOOL && !j->b == !v->u.b;
	case WBS_STRING:
		return j->type == JV_STR && strcmp(j->str, v->u.s.ptr) == 0;
	case WBS_JSON:
		/* {"a":[1,NaN]} */
		a = jv_get(j, "a");
		return a != NULL && a->type == JV_ARR && a->n == 2 &&
		    a->kids[0].num == 1 && isnan(a->kids[1].num);
	}
	return 0;
}

/* The value NumPy gets: numbers, bools as 0/1, NaN for the rest. */
static double
num_of(const struct wbs_value *v)
{
	switch (v->type) {
	case WBS_DOUBLE:
		return v->u.d;
	case WBS_INT:
		return (double)v->u.i;
	case WBS_BOOL:
		return v->u.b ? 1 : 0;
	}
	return NAN;
}

static char *
path_of(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		exit(99);
	return p;
}

/* Export with options; 0 or -1 (message in err). */
static int
run_export(const char *root, const char *out, int format,
    const char *const *fields, size_t nfields, uint64_t samples,
    const struct filter *filt, int overwrite, int longcsv, char *err,
    size_t errlen)
{
	struct export_opts	o;
	struct filter		none;
	const char		*src[1] = { root };
	int			rc;

	filter_init(&none);
	memset(&o, 0, sizeof(o));
	o.format = format;
	o.outdir = out;
	o.fields = fields;
	o.nfields = nfields;
	o.samples = samples;
	o.filt = filt ? filt : &none;
	o.overwrite = overwrite;
	o.longcsv = longcsv;
	o.compress = format == EXPORT_NPZ;
	o.sources = src;
	o.nsources = 1;
	o.quiet = 1;
	rc = export_run(&o, err, errlen);
	if (rc != 0)
		diag("export: %s", err);
	return rc;
}

/* ---- checks ----------------------------------------------------- */

static int
total_rows(void)
{
	int n = 0;

	for (size_t i = 0; i < nruns; i++)
		n += runs[i].nrows;
	return n;
}

static const struct erow *
erow_get(const char *id, const char *step)
{
	const struct erun *e = erun_get(id);

	for (int i = 0; e != NULL && i < e->nrows; i++)
		if (e->rows[i].step == atoll(step))
			return &e->rows[i];
	return NULL;
}

/* Times of a wide record are plausible; delta's runtime skips the gap. */
static int
times_ok(const struct csvrec *r, double *delta_rt, double *delta_ts)
{
	double ts = strtod(r->f[2].s, NULL), rt = strtod(r->f[3].s, NULL);

	if (strcmp(r->f[0].s, "delta") == 0) {
		delta_rt[atoi(r->f[1].s)] = rt;
		delta_ts[atoi(r->f[1].s)] = ts;
	}
	return ts >= t_begin - 1 && ts <= t_end + 1 && rt >= 0 &&
	    rt <= t_end - t_begin + 1;
}

static void
check_wide(const char *dir)
{
	char		*path = path_of(dir, "history.csv"), *text;
	struct csvdoc	 d;
	size_t		 len;
	int		 good = 1, sorted = 1, times = 1;
	double		 drt[4] = { 0 }, dts[4] = { 0 };

	text = rd_file(path, &len);
	csv_parse(&d, text ? text : "", text ? len : 0);
	ok(!d.bad && d.n == (size_t)total_rows() + 1 &&
	    csv_col(&d, "_run_id") == 0 && csv_col(&d, "_step") == 1 &&
	    csv_col(&d, "_timestamp") == 2 && csv_col(&d, "_runtime") == 3 &&
	    csv_col(&d, "val.loss") > 0 && csv_col(&d, UKEY) > 0,
	    "wide CSV: RFC 4180, one line per row, a column per metric");
	for (size_t c = 5; d.n > 0 && c < d.r[0].n; c++)
		sorted &= strcmp(d.r[0].f[c - 1].s, d.r[0].f[c].s) < 0;
	ok(sorted, "wide CSV: metric columns in name order");
	for (size_t i = 1; i < d.n; i++) {
		const struct csvrec	*r = &d.r[i];
		const struct erow	*e = erow_get(r->f[0].s, r->f[1].s);

		if (e == NULL || r->n != d.r[0].n) {
			good = 0;
			continue;
		}
		times &= times_ok(r, drt, dts);
		for (size_t c = 4; c < r->n; c++) {
			const struct ecell *ec = ecell_get(e, d.r[0].f[c].s);

			if (ec ? !text_is(&ec->v, &r->f[c]) :
			    r->f[c].s[0] != '\0' || r->f[c].quoted) {
				diag("%s step %s %s: \"%s\"", r->f[0].s,
				    r->f[1].s, d.r[0].f[c].s, r->f[c].s);
				good = 0;
			}
		}
	}
	ok(good, "wide CSV: every value reads back as logged (NaN, "
	    "Infinity, -0.0, quotes, commas, line breaks, Unicode, \"\" "
	    "apart from missing)");
	ok(times, "wide CSV: timestamps and run times are plausible");
	ok(dts[2] - dts[1] >= 0.29 && drt[2] - drt[1] < 0.2 &&
	    drt[2] >= drt[1], "a resumed run's run time leaves out the "
	    "time between sessions (%.3f s apart, %.3f s of run time)",
	    dts[2] - dts[1], drt[2] - drt[1]);
	csv_free_doc(&d);
	free(text);
	free(path);
}

static void
check_long(const char *dir)
{
	char		*path = path_of(dir, "history.csv"), *text;
	struct csvdoc	 d;
	size_t		 len, cells = 0;
	int		 good = 1;

	text = rd_file(path, &len);
	csv_parse(&d, text ? text : "", text ? len : 0);
	for (size_t i = 0; i < nruns; i++)
		for (int k = 0; k < runs[i].nrows; k++)
			cells += (size_t)runs[i].rows[k].n;
	ok(!d.bad && d.n == cells + 1 && d.r[0].n == 4 &&
	    csv_col(&d, "key") == 2 && csv_col(&d, "value") == 3,
	    "long CSV: one line per value (%zu)", cells);
	for (size_t i = 1; i < d.n; i++) {
		const struct csvrec	*r = &d.r[i];
		const struct erow	*e = erow_get(r->f[0].s, r->f[1].s);
		const struct ecell	*ec = e ? ecell_get(e, r->f[2].s) :
					    NULL;

		if (r->n != 4 || ec == NULL || !text_is(&ec->v, &r->f[3]))
			good = 0;
	}
	ok(good, "long CSV: every value reads back as logged");
	csv_free_doc(&d);
	free(text);
	free(path);
}

/* The member of o for a dotted name ("val.loss": o.val.loss). */
static const struct jv *
jv_path(const struct jv *o, const char *name)
{
	if (strncmp(name, "val.", 4) == 0)
		return jv_get(jv_get(o, "val"), name + 4);
	return jv_get(o, name);
}

static void
check_jsonl(const char *dir)
{
	char		*path = path_of(dir, "history.jsonl"), *text, *line;
	char		*save = NULL;
	int		 lines = 0, good = 1;

	text = rd_file(path, NULL);
	for (line = strtok_r(text ? text : "", "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		struct jv		 o;
		const struct jv		*id, *step, *val;
		const struct erow	*e = NULL;
		char			 sbuf[32];
		size_t			 members;

		lines++;
		if (jv_parse(&o, line) != 0 || o.type != JV_OBJ) {
			good = 0;
			jv_free(&o);
			continue;
		}
		id = jv_get(&o, "_run_id");
		step = jv_get(&o, "_step");
		if (id && step && id->type == JV_STR && step->isint) {
			snprintf(sbuf, sizeof(sbuf), "%.0f", step->num);
			e = erow_get(id->str, sbuf);
		}
		val = jv_get(&o, "val");
		members = o.n - 4 + (val ? val->n - 1 : 0);
		if (e == NULL || jv_get(&o, "_timestamp") == NULL ||
		    jv_get(&o, "_runtime") == NULL ||
		    members != (size_t)e->n)
			good = 0;
		for (int k = 0; e != NULL && k < e->n; k++)
			if (!jv_is(&e->c[k].v, jv_path(&o, e->c[k].name))) {
				diag("%s: %s", line, e->c[k].name);
				good = 0;
			}
		jv_free(&o);
	}
	ok(lines == total_rows(), "JSONL: one object per row");
	ok(good, "JSONL: every value reads back as logged (NaN and "
	    "Infinity tokens, nested objects, ints apart from floats)");
	free(text);
	free(path);
}

static void
check_runs(const char *dir)
{
	char		*path = path_of(dir, "runs.csv"), *text;
	struct csvdoc	 d;
	size_t		 len;
	int		 good = 1, ci, si, ti, st;

	text = rd_file(path, &len);
	csv_parse(&d, text ? text : "", text ? len : 0);
	ci = csv_col(&d, "config");
	si = csv_col(&d, "summary");
	ti = csv_col(&d, "tags");
	st = csv_col(&d, "state");
	ok(!d.bad && d.n == nruns + 1 && ci > 0 && si > 0 && ti > 0 &&
	    st > 0, "runs.csv: one line per run");
	for (size_t i = 1; i < d.n && ci > 0 && si > 0 && ti > 0; i++) {
		struct jv	 c, s, t;
		const char	*id = d.r[i].f[0].s;

		good &= jv_parse(&c, d.r[i].f[ci].s) == 0 &&
		    jv_parse(&s, d.r[i].f[si].s) == 0 &&
		    jv_parse(&t, d.r[i].f[ti].s) == 0 && t.type == JV_ARR;
		if (strcmp(id, "alpha") == 0)
			good &= t.n == 2 && strcmp(t.kids[1].str, "t2") == 0 &&
			    jv_get(&c, "lr")->num == 0.01 &&
			    jv_get(jv_get(&c, "model"), "layers")->num == 4 &&
			    strcmp(jv_get(&c, "\xe5\x90\x8d")->str,
			    "\xe5\x80\xa4") == 0 &&
			    jv_get(&s, "loss")->num == 1.0 / 30 &&
			    jv_get(jv_get(&s, "val"), "acc")->num == 27 &&
			    strcmp(d.r[i].f[st].s, "finished") == 0;
		if (strcmp(id, "beta") == 0)
			good &= strcmp(d.r[i].f[st].s, "failed") == 0 &&
			    strcmp(d.r[i].f[csv_col(&d, "exit_code")].s,
			    "1") == 0;
		if (strcmp(id, "gamma") == 0)
			good &= strcmp(d.r[i].f[st].s, "crashed") == 0 &&
			    jv_get(&s, "loss")->num == 5.0;
		jv_free(&c);
		jv_free(&s);
		jv_free(&t);
	}
	ok(good, "runs.csv: tags, config, summary and state read back");
	csv_free_doc(&d);
	free(text);
	free(path);
}

/* Where the arrays come from: a directory of .npy files or an .npz. */
struct arrsrc {
	const char		*dir;
	const struct zarchive	*z;
};

/* The bytes of array name (caller frees for files); NULL if absent. */
static unsigned char *
arr_bytes(const struct arrsrc *s, const char *file, size_t *len, int *owned)
{
	char			 name[256];
	const struct zmember	*m;

	snprintf(name, sizeof(name), "%s.npy", file);
	*owned = s->z == NULL;
	if (s->z == NULL) {
		char *p = path_of(s->dir, name);
		unsigned char *b = (unsigned char *)rd_file(p, len);

		free(p);
		return b;
	}
	if ((m = zr_get(s->z, name)) == NULL)
		return NULL;
	*len = m->len;
	return m->data;
}

/* Run ids in array order, from _run_id (<U...). */
static int
arr_ids(const struct arrsrc *s, const struct erun **order)
{
	struct npyarr	 a;
	unsigned char	*b;
	size_t		 len, w;
	int		 owned, good = 0;

	if ((b = arr_bytes(s, "_run_id", &len, &owned)) == NULL)
		return 0;
	if (npy_parse(&a, b, len) == 0 && a.ndim == 1 &&
	    a.shape[0] == nruns && a.descr[1] == 'U') {
		good = 1;
		w = strtoul(a.descr + 2, NULL, 10);
		for (size_t i = 0; i < nruns; i++) {
			char id[16] = "";

			for (size_t k = 0; k < w && k < 15; k++)
				id[k] = (char)a.data[(i * w + k) * 4];
			order[i] = erun_get(id);
			good &= order[i] != NULL && a.datalen == nruns * w * 4;
		}
	}
	if (owned)
		free(b);
	return good;
}

/* One field's array against the expectations. */
static int
arr_field(const struct arrsrc *s, const char *file, const char *name,
    const struct erun **order)
{
	struct npyarr	 a;
	unsigned char	*b;
	size_t		 len;
	int		 owned, good;

	if ((b = arr_bytes(s, file, &len, &owned)) == NULL)
		return 0;
	good = npy_parse(&a, b, len) == 0 && a.ndim == 2 &&
	    a.shape[0] == nruns && a.shape[1] == 30 &&
	    strcmp(a.descr, "<f8") == 0 && a.datalen == nruns * 30 * 8;
	for (size_t r = 0; good && r < nruns; r++)
		for (int k = 0; k < 30; k++) {
			double want = NAN;

			if (k < order[r]->nrows) {
				const struct erow *e = &order[r]->rows[k];
				const struct ecell *c = ecell_get(e, name);

				if (strcmp(name, "_step") == 0)
					want = (double)e->step;
				else if (c != NULL)
					want = num_of(&c->v);
			}
			if (!same_double(npy_at(&a, r * 30 + (size_t)k),
			    want)) {
				diag("%s[%zu][%d]: %g, want %g", name, r, k,
				    npy_at(&a, r * 30 + (size_t)k), want);
				good = 0;
				break;
			}
		}
	if (owned)
		free(b);
	return good;
}

static void
check_arrays(const struct arrsrc *s, const char *what)
{
	static const char *const fields[][2] = { { "loss", "loss" },
	    { "acc", "acc" }, { "nanv", "nanv" }, { "s", "s" }, { "b", "b" },
	    { "\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87%2F\xc3\xbc", UKEY },
	    { "val.loss", "val.loss" }, { "val.acc", "val.acc" },
	    { "e", "e" }, { "j", "j" }, { "other", "other" },
	    { "_step", "_step" } };
	const struct erun	*order[4] = { NULL };
	int			 good = 1;

	ok(arr_ids(s, order), "%s: _run_id names the runs in array order",
	    what);
	if (order[0] == NULL)
		return;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *file = fields[i][0];

		/* In an .npz, member names keep their slashes. */
		if (s->z != NULL && strcmp(fields[i][1], UKEY) == 0)
			file = UKEY;
		if (!arr_field(s, file, fields[i][1], order)) {
			diag("%s: field %s", what, fields[i][1]);
			good = 0;
		}
	}
	ok(good, "%s: every field is runs x 30 float64, values as logged, "
	    "NaN where missing or not a number", what);
}

/* Steps of a run's rows in a wide CSV. */
static void
steps_of(const char *dir, const char *id, char *out, size_t len)
{
	char		*path = path_of(dir, "history.csv"), *text;
	struct csvdoc	 d;
	size_t		 n;

	out[0] = '\0';
	text = rd_file(path, &n);
	csv_parse(&d, text ? text : "", text ? n : 0);
	for (size_t i = 1; i < d.n; i++)
		if (strcmp(d.r[i].f[0].s, id) == 0)
			snprintf(out + strlen(out), len - strlen(out), "%s%s",
			    out[0] ? " " : "", d.r[i].f[1].s);
	csv_free_doc(&d);
	free(text);
	free(path);
}

static void
test_selection(const char *root, const char *out)
{
	const char *const	 loss[] = { "loss" }, *nope[] = { "nope" };
	char			 err[1024], steps[256], *dir;
	struct filter		 f;

	dir = path_of(out, "sampled");
	ok(run_export(root, dir, EXPORT_CSV, NULL, 0, 4, NULL, 0, 0, err,
	    sizeof(err)) == 0, "export with --history-samples 4");
	steps_of(dir, "alpha", steps, sizeof(steps));
	is_str(steps, "0 10 19 29", "4 of 30 rows, evenly spaced, ends kept");
	steps_of(dir, "gamma", steps, sizeof(steps));
	is_str(steps, "0 1 2", "a run shorter than the samples keeps all");
	free(dir);
	dir = path_of(out, "fields");
	ok(run_export(root, dir, EXPORT_CSV, loss, 1, 0, NULL, 0, 0, err,
	    sizeof(err)) == 0, "export with --fields loss");
	steps_of(dir, "beta", steps, sizeof(steps));
	is_str(steps, "0 1 2 3 4", "rows without a selected field are left "
	    "out");
	free(dir);
	dir = path_of(out, "nope");
	ok(run_export(root, dir, EXPORT_CSV, nope, 1, 0, NULL, 0, 0, err,
	    sizeof(err)) != 0 && strstr(err, "unknown field \"nope\"") != NULL &&
	    access(dir, F_OK) != 0, "an unknown field is refused before "
	    "anything is written");
	free(dir);
	filter_init(&f);
	filter_parse_cond(&f, 0, "lr=0.4..1", err, sizeof(err));
	dir = path_of(out, "filtered");
	ok(run_export(root, dir, EXPORT_JSONL, NULL, 0, 0, &f, 0, 0, err,
	    sizeof(err)) == 0, "export with --config lr=0.4..1");
	free(dir);
	dir = path_of(out, "filtered/runs.jsonl");
	{
		char *t = rd_file(dir, NULL);

		ok(t != NULL && strncmp(t, "{\"id\":\"beta\"", 12) == 0 &&
		    strchr(t, '\n') == t + strlen(t) - 1,
		    "the config filter takes beta only");
		free(t);
	}
	free(dir);
	filter_release(&f);
}

static void
test_overwrite(const char *root, const char *dir)
{
	char	 err[1024], *path = path_of(dir, "history.csv");
	char	*before = rd_file(path, NULL), *after;

	ok(run_export(root, dir, EXPORT_CSV, NULL, 0, 0, NULL, 0, 1, err,
	    sizeof(err)) != 0 && strstr(err, "already exists") != NULL,
	    "existing output is not overwritten");
	after = rd_file(path, NULL);
	ok(before && after && strcmp(before, after) == 0,
	    "and is left as it was");
	free(after);
	ok(run_export(root, dir, EXPORT_CSV, NULL, 0, 0, NULL, 1, 1, err,
	    sizeof(err)) == 0, "--overwrite replaces it");
	after = rd_file(path, NULL);
	ok(after && strcmp(before, after) != 0, "with the long form now");
	free(before);
	free(after);
	free(path);
}

int
main(void)
{
	char		*root = test_tmpdir(), *out = test_tmpdir(), *dir;
	char		 err[1024];
	struct zarchive	 z;
	struct arrsrc	 src;
	unsigned char	*img;
	size_t		 len;

	t_begin = now_s();
	make_alpha(root);
	make_beta(root);
	make_gamma(root);
	make_delta(root);
	t_end = now_s();
	dir = path_of(out, "csv");
	ok(run_export(root, dir, EXPORT_CSV, NULL, 0, 0, NULL, 0, 0, err,
	    sizeof(err)) == 0, "CSV export");
	check_wide(dir);
	check_runs(dir);
	test_overwrite(root, dir);
	check_long(dir);
	free(dir);
	dir = path_of(out, "jsonl");
	ok(run_export(root, dir, EXPORT_JSONL, NULL, 0, 0, NULL, 0, 0, err,
	    sizeof(err)) == 0, "JSONL export");
	check_jsonl(dir);
	free(dir);
	dir = path_of(out, "npy");
	ok(run_export(root, dir, EXPORT_NPY, NULL, 0, 0, NULL, 0, 0, err,
	    sizeof(err)) == 0, "NumPy export");
	src.dir = dir;
	src.z = NULL;
	check_arrays(&src, ".npy files");
	ok(run_export(root, dir, EXPORT_NPZ, NULL, 0, 0, NULL, 0, 0, err,
	    sizeof(err)) == 0, "NumPy .npz export (deflate)");
	free(dir);
	dir = path_of(out, "npy/history.npz");
	img = (unsigned char *)rd_file(dir, &len);
	ok(img != NULL && zr_read(&z, img, len) == 0, "the .npz is a zip "
	    "whose CRCs and sizes check out");
	if (img != NULL && z.n > 0) {
		src.z = &z;
		check_arrays(&src, ".npz members");
	}
	zr_free(&z);
	free(img);
	free(dir);
	test_selection(root, out);
	test_rmtree(root);
	test_rmtree(out);
	plan_lazy_done();
	return tap_exit();
}
