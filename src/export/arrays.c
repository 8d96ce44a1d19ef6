/*
 * arrays.c - history as arrays: one array per field, runs x rows
 * (float64, C order, NaN where a run has no value or no such row), plus
 * _step, _timestamp and _runtime arrays of the same shape and the 1-D
 * string arrays _run_id and _run_name.  Written as .npy files, as
 * members of history.npz, or as CSV matrices (a row per run, labelled by
 * run id; a column per row index) for experiments files.
 *
 * Each array is streamed to its own file in one pass over the runs: the
 * shape is known from the first pass.  To stay within the open-file
 * limit, at most CHUNK arrays are written per pass; more fields take more
 * passes.  An .npz is assembled from the finished .npy files.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export-int.h"
#include "log.h"
#include "npy.h"

#define CHUNK		200

#define AK_FIELD	0
#define AK_STEP		1
#define AK_TS		2
#define AK_RT		3
#define AK_STR		4	/* _run_id, _run_name: written at once */

struct aout {
	char		*name;		/* dotted field name */
	int		 kind;		/* AK_* */
	size_t		 col;		/* output column for AK_FIELD */
	struct ofile	 of;
	uint64_t	 n;		/* values in the current run */
};

struct arrays {
	struct aout		 *v;
	size_t			  n;
	size_t			  lo, hi;	/* this pass's arrays */
	const struct xcell	**slot;		/* per output column */
	struct buf		  b;
	struct ofile		  npz;
};

static int
is_matrix(const struct export *x)
{
	return x->o->format == EXPORT_MATRIX_CSV;
}

static void
arrays_free(struct export *x)
{
	struct arrays *a = x->state;

	if (a == NULL)
		return;
	for (size_t i = 0; i < a->n; i++) {
		ofile_abort(&a->v[i].of);
		free(a->v[i].name);
	}
	free(a->v);
	free(a->slot);
	buf_release(&a->b);
	ofile_abort(&a->npz);
	free(a);
	x->state = NULL;
}

static void
arrays_add(struct arrays *a, const char *name, int kind, size_t col)
{
	struct aout *o;

	if ((a->v = realloc(a->v, (a->n + 1) * sizeof(*a->v))) == NULL)
		fatalx("out of memory");
	o = &a->v[a->n++];
	memset(o, 0, sizeof(*o));
	if ((o->name = strdup(name)) == NULL)
		fatalx("out of memory");
	o->kind = kind;
	o->col = col;
}

/* Final path of array o (npy, csv) or its temporary part (npz). */
static void
arrays_path(struct export *x, const struct aout *o, struct buf *b)
{
	buf_reset(b);
	buf_printf(b, "%s/", x->o->outdir ? x->o->outdir : ".");
	if (x->o->format == EXPORT_NPZ)
		buf_printf(b, ".history.npz.part-%zu",
		    (size_t)(o - ((struct arrays *)x->state)->v));
	else {
		keys_fname(b, o->name, 0);
		buf_adds(b, is_matrix(x) ? ".csv" : ".npy");
	}
}

/* Write b to the array's file and reset b. */
static int
arrays_put(struct export *x, struct aout *o, struct buf *b)
{
	if (b->len > 0 && fwrite(b->p, 1, b->len, o->of.f) != b->len)
		return export_fail(x, "cannot write %s", o->of.path);
	buf_reset(b);
	return 0;
}

/* Open array o and write its header. */
static int
arrays_open(struct export *x, struct aout *o)
{
	struct arrays	*a = x->state;
	struct buf	 path;
	uint64_t	 shape[2] = { x->nruns, x->maxrows };
	int		 rc;

	buf_init(&path);
	arrays_path(x, o, &path);
	rc = ofile_open(&o->of, buf_cstr(&path), x->err, sizeof(x->err));
	buf_release(&path);
	if (rc != 0)
		return -1;
	if (o->kind == AK_STR) {
		size_t w = 1;

		for (size_t i = 0; i < x->nruns; i++) {
			const char *s = o->name[5] == 'i' ? x->runs[i]->id :
			    x->runs[i]->name ? x->runs[i]->name : "";
			size_t n = npy_u8len(s);

			if (n > w)
				w = n;
		}
		char descr[32];

		snprintf(descr, sizeof(descr), "<U%zu", w);
		npy_header(&a->b, descr, shape, 1);
		for (size_t i = 0; i < x->nruns; i++)
			npy_u32(&a->b, o->name[5] == 'i' ? x->runs[i]->id :
			    x->runs[i]->name ? x->runs[i]->name : "", w);
		if (arrays_put(x, o, &a->b) != 0)
			return -1;
		return ofile_close(&o->of, x->err, sizeof(x->err));
	}
	if (is_matrix(x)) {
		for (uint64_t i = 0; i < x->maxrows; i++)
			buf_printf(&a->b, ",step %llu", (unsigned long long)i);
		buf_adds(&a->b, "\r\n");
	} else
		npy_header(&a->b, "<f8", shape, 2);
	return arrays_put(x, o, &a->b);
}

/* The list of arrays and the checks on their paths. */
static int
arrays_plan(struct export *x, struct arrays *a)
{
	struct buf	p;
	int		rc = 0;

	arrays_add(a, "_step", AK_STEP, 0);
	arrays_add(a, "_timestamp", AK_TS, 0);
	arrays_add(a, "_runtime", AK_RT, 0);
	for (size_t i = 0; i < x->ks.nout; i++)
		arrays_add(a, x->ks.out[i]->name, AK_FIELD, i);
	if (!is_matrix(x)) {
		arrays_add(a, "_run_id", AK_STR, 0);
		arrays_add(a, "_run_name", AK_STR, 0);
	}
	if (ofile_mkdirs(x->o->outdir ? x->o->outdir : ".", x->err,
	    sizeof(x->err)) != 0)
		return -1;
	buf_init(&p);
	if (x->o->format == EXPORT_NPZ) {
		buf_printf(&p, "%s/history.npz", x->o->outdir ? x->o->outdir :
		    ".");
		rc = ofile_check(buf_cstr(&p), x->o->overwrite, x->err,
		    sizeof(x->err));
	} else
		for (size_t i = 0; i < a->n && rc == 0; i++) {
			arrays_path(x, &a->v[i], &p);
			rc = ofile_check(buf_cstr(&p), x->o->overwrite, x->err,
			    sizeof(x->err));
		}
	buf_release(&p);
	return rc;
}

static int
arrays_begin(struct export *x)
{
	struct arrays	*a;
	size_t		 nstream;

	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->slot = calloc(x->ks.nout + 1, sizeof(*a->slot))) == NULL)
		fatalx("out of memory");
	x->state = a;
	if (arrays_plan(x, a) != 0)
		goto fail;
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].kind == AK_STR && arrays_open(x, &a->v[i]) != 0)
			goto fail;
	nstream = 3 + x->ks.nout;
	x->npasses = (int)((nstream + CHUNK - 1) / CHUNK);
	return 0;
fail:
	arrays_free(x);
	return -1;
}

/* At the first run of a pass, open that pass's arrays. */
static int
arrays_run_begin(struct export *x, struct xrun *r)
{
	struct arrays *a = x->state;

	if (x->run_index == 0) {
		a->lo = (size_t)x->pass * CHUNK;
		a->hi = a->lo + CHUNK;
		if (a->hi > 3 + x->ks.nout)
			a->hi = 3 + x->ks.nout;
		for (size_t i = a->lo; i < a->hi; i++)
			if (arrays_open(x, &a->v[i]) != 0)
				return -1;
	}
	for (size_t i = a->lo; i < a->hi; i++) {
		a->v[i].n = 0;
		if (is_matrix(x)) {
			csv_field(&a->b, r->id, strlen(r->id));
			if (arrays_put(x, &a->v[i], &a->b) != 0)
				return -1;
		}
	}
	return 0;
}

/* Append one value to array o. */
static int
arrays_value(struct export *x, struct aout *o, double d, int missing)
{
	struct arrays *a = x->state;

	o->n++;
	if (is_matrix(x)) {
		buf_addc(&a->b, ',');
		if (!missing)
			xval_double(&a->b, d);
	} else
		npy_f8(&a->b, d);
	return arrays_put(x, o, &a->b);
}

static int
arrays_row(struct export *x, struct xrun *r, const struct xrow *row)
{
	struct arrays	*a = x->state;
	int		 rc = 0;

	(void)r;
	for (size_t i = 0; i < row->n; i++)
		a->slot[x->ks.cols[row->cells[i].col]->out] = &row->cells[i];
	for (size_t i = a->lo; i < a->hi && rc == 0; i++) {
		struct aout	*o = &a->v[i];
		double		 d = NAN;
		int		 num = 1;

		switch (o->kind) {
		case AK_STEP:
			d = (double)row->step;
			break;
		case AK_TS:
			d = row->timestamp;
			break;
		case AK_RT:
			d = row->runtime;
			break;
		default:
			if (a->slot[o->col] == NULL) {
				rc = arrays_value(x, o, NAN, 1);
				continue;
			}
			d = xval_num(a->slot[o->col], &num);
			if (!num)
				x->ks.out[o->col]->nonnum = 1;
		}
		rc = arrays_value(x, o, d, !num);
	}
	for (size_t i = 0; i < row->n; i++)
		a->slot[x->ks.cols[row->cells[i].col]->out] = NULL;
	return rc;
}

/* Pad the run to the common length; at the last run, close the pass. */
static int
arrays_run_end(struct export *x, struct xrun *r)
{
	struct arrays *a = x->state;

	(void)r;
	for (size_t i = a->lo; i < a->hi; i++) {
		struct aout *o = &a->v[i];

		for (; o->n < x->maxrows; o->n++) {
			if (is_matrix(x))
				buf_addc(&a->b, ',');
			else
				npy_f8(&a->b, NAN);
			if (a->b.len >= 65536 && arrays_put(x, o, &a->b) != 0)
				return -1;
		}
		if (is_matrix(x))
			buf_adds(&a->b, "\r\n");
		if (arrays_put(x, o, &a->b) != 0)
			return -1;
		if (x->run_index + 1 == x->nruns &&
		    ofile_close(&o->of, x->err, sizeof(x->err)) != 0)
			return -1;
	}
	return 0;
}

/* Assemble history.npz from the finished arrays. */
static int
arrays_npz(struct export *x, struct arrays *a)
{
	struct zip	 z;
	struct buf	 p, name;
	int		 rc = -1;

	buf_init(&p);
	buf_init(&name);
	buf_printf(&p, "%s/history.npz", x->o->outdir ? x->o->outdir : ".");
	if (ofile_open(&a->npz, buf_cstr(&p), x->err, sizeof(x->err)) != 0)
		goto out;
	zip_init(&z, a->npz.f);
	for (size_t i = 0; i < a->n; i++) {
		FILE *f = fopen(a->v[i].of.tmp, "r");

		if (f == NULL) {
			export_fail(x, "cannot read %s back", a->v[i].of.tmp);
			goto zout;
		}
		buf_reset(&name);
		keys_fname(&name, a->v[i].name, 1);
		buf_adds(&name, ".npy");
		rc = zip_add(&z, buf_cstr(&name), f,
		    x->o->compress ? ZIP_DEFLATE : ZIP_STORE);
		fclose(f);
		ofile_abort(&a->v[i].of);
		if (rc != 0) {
			export_fail(x, "%s: %s", buf_cstr(&p), z.err);
			goto zout;
		}
	}
	if ((rc = zip_finish(&z)) != 0)
		export_fail(x, "%s: %s", buf_cstr(&p), z.err);
	else
		rc = ofile_commit(&a->npz, x->err, sizeof(x->err));
zout:
	zip_release(&z);
out:
	buf_release(&p);
	buf_release(&name);
	return rc;
}

static int
arrays_end(struct export *x)
{
	struct arrays	*a = x->state;
	int		 rc = 0;

	for (size_t i = 0; i < x->ks.nout; i++)
		if (x->ks.out[i]->nonnum && !x->o->quiet)
			log_warnx("export: field \"%s\" has values that are "
			    "not numbers; they are NaN in its array",
			    x->ks.out[i]->name);
	if (x->o->format == EXPORT_NPZ)
		rc = arrays_npz(x, a);
	else
		for (size_t i = 0; i < a->n && rc == 0; i++)
			rc = ofile_commit(&a->v[i].of, x->err, sizeof(x->err));
	arrays_free(x);
	return rc;
}

const struct sink sink_arrays = {
	.begin = arrays_begin,
	.run_begin = arrays_run_begin,
	.row = arrays_row,
	.run_end = arrays_run_end,
	.end = arrays_end,
	.abort = arrays_free,
};
