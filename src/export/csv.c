/*
 * csv.c - CSV output (RFC 4180: CRLF line ends, fields quoted when they
 * hold a comma, a quote or a line break, quotes doubled).
 *
 * runs.csv has one line per run; history.csv one line per history row,
 * one column per metric (wide; an empty field where the row has no value,
 * "" for an empty string), or with --long one line per value: _run_id,
 * _step, key, value.  Numbers are written in their shortest exact form,
 * NaN and infinities as W&B writes them (NaN, Infinity, -Infinity).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export-int.h"
#include "log.h"

struct csv {
	struct ofile		  runs;
	struct ofile		  hist;
	struct buf		  line;
	struct buf		  tmp;
	const struct xcell	**slot;		/* per output column */
};

/* One field, quoted if needed; an empty string is "". */
void
csv_field(struct buf *b, const char *s, size_t n)
{
	if (n > 0 && memchr(s, ',', n) == NULL && memchr(s, '"', n) == NULL &&
	    memchr(s, '\n', n) == NULL && memchr(s, '\r', n) == NULL) {
		buf_add(b, s, n);
		return;
	}
	buf_addc(b, '"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			buf_addc(b, '"');
		buf_addc(b, s[i]);
	}
	buf_addc(b, '"');
}

/* A field from a NUL-terminated string; NULL leaves it empty. */
static void
csv_str(struct buf *b, const char *s)
{
	if (s != NULL)
		csv_field(b, s, strlen(s));
}

/* A field holding b2's text, then b2 is reset. */
static void
csv_tmp(struct buf *b, struct buf *b2)
{
	csv_field(b, b2->p ? b2->p : "", b2->len);
	buf_reset(b2);
}

/* Write and reset the line buffer. */
static int
csv_flush(struct export *x, struct ofile *of, struct buf *b)
{
	if (b->len > 0 && fwrite(b->p, 1, b->len, of->f) != b->len)
		return export_fail(x, "cannot write %s", of->path);
	buf_reset(b);
	return 0;
}

/* The runs table, one line per run. */
static int
csv_runs(struct export *x, struct csv *c)
{
	struct buf *b = &c->line, *t = &c->tmp;

	buf_adds(b, "id,name,project,entity,state,created,updated,group,"
	    "job_type,tags,notes,exit_code,runtime,config,summary,"
	    "metadata\r\n");
	for (size_t i = 0; i < x->nruns; i++) {
		struct xrun *r = x->runs[i];

		csv_str(b, r->id);
		buf_addc(b, ',');
		csv_str(b, r->name);
		buf_addc(b, ',');
		csv_str(b, r->project);
		buf_addc(b, ',');
		csv_str(b, r->entity);
		buf_addc(b, ',');
		csv_str(b, r->state);
		buf_addc(b, ',');
		xval_iso(b, r->created_us);
		buf_addc(b, ',');
		xval_iso(b, r->updated_us);
		buf_addc(b, ',');
		csv_str(b, r->group);
		buf_addc(b, ',');
		csv_str(b, r->job_type);
		buf_addc(b, ',');
		buf_addc(t, '[');
		for (size_t k = 0; k < r->ntags; k++) {
			if (k > 0)
				buf_addc(t, ',');
			json_str(t, r->tags[k], strlen(r->tags[k]));
		}
		buf_addc(t, ']');
		csv_tmp(b, t);
		buf_addc(b, ',');
		csv_str(b, r->notes);
		buf_addc(b, ',');
		if (r->has_exit)
			buf_printf(b, "%d", r->exit_code);
		buf_addc(b, ',');
		xval_double(b, r->runtime);
		buf_addc(b, ',');
		tree_json(t, r->config);
		csv_tmp(b, t);
		buf_addc(b, ',');
		tree_json(t, r->summary);
		csv_tmp(b, t);
		buf_addc(b, ',');
		tree_json(t, r->meta);
		csv_tmp(b, t);
		buf_adds(b, "\r\n");
		if (csv_flush(x, &c->runs, b) != 0)
			return -1;
	}
	return 0;
}

static void
csv_free(struct export *x)
{
	struct csv *c = x->state;

	if (c == NULL)
		return;
	ofile_abort(&c->runs);
	ofile_abort(&c->hist);
	buf_release(&c->line);
	buf_release(&c->tmp);
	free(c->slot);
	free(c);
	x->state = NULL;
}

/* Paths of the two outputs. */
static void
csv_paths(struct export *x, const char *ext, char *runs, char *hist,
    size_t len)
{
	const char *dir = x->o->outdir ? x->o->outdir : ".";

	snprintf(runs, len, "%s/runs.%s", dir, ext);
	snprintf(hist, len, "%s/history.%s", dir, ext);
}

/* Open both outputs (refusing existing ones). */
int
csv_open_pair(struct export *x, const char *ext, struct ofile *runs,
    struct ofile *hist)
{
	char rp[4096], hp[4096];

	csv_paths(x, ext, rp, hp, sizeof(rp));
	if (ofile_mkdirs(x->o->outdir ? x->o->outdir : ".", x->err,
	    sizeof(x->err)) != 0 ||
	    ofile_check(rp, x->o->overwrite, x->err, sizeof(x->err)) != 0 ||
	    ofile_check(hp, x->o->overwrite, x->err, sizeof(x->err)) != 0 ||
	    ofile_open(runs, rp, x->err, sizeof(x->err)) != 0)
		return -1;
	if (ofile_open(hist, hp, x->err, sizeof(x->err)) != 0) {
		ofile_abort(runs);
		return -1;
	}
	return 0;
}

static int
csv_begin(struct export *x)
{
	struct csv *c;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->slot = calloc(x->ks.nout + 1, sizeof(*c->slot))) == NULL)
		fatalx("out of memory");
	x->state = c;
	if (csv_open_pair(x, "csv", &c->runs, &c->hist) != 0 ||
	    csv_runs(x, c) != 0) {
		csv_free(x);
		return -1;
	}
	if (x->o->longcsv)
		buf_adds(&c->line, "_run_id,_step,key,value\r\n");
	else {
		buf_adds(&c->line, "_run_id,_step,_timestamp,_runtime");
		for (size_t i = 0; i < x->ks.nout; i++) {
			buf_addc(&c->line, ',');
			csv_str(&c->line, x->ks.out[i]->name);
		}
		buf_adds(&c->line, "\r\n");
	}
	return csv_flush(x, &c->hist, &c->line);
}

/* One history row: a wide line, or long lines. */
static int
csv_row(struct export *x, struct xrun *r, const struct xrow *row)
{
	struct csv	*c = x->state;
	struct buf	*b = &c->line;

	if (x->o->longcsv) {
		for (size_t i = 0; i < row->n; i++) {
			const struct xcell *cell = &row->cells[i];

			csv_str(b, r->id);
			buf_printf(b, ",%lld,", (long long)row->step);
			csv_str(b, x->ks.cols[cell->col]->name);
			buf_addc(b, ',');
			xval_text(&c->tmp, row, cell);
			csv_tmp(b, &c->tmp);
			buf_adds(b, "\r\n");
		}
	} else {
		for (size_t i = 0; i < row->n; i++)
			c->slot[x->ks.cols[row->cells[i].col]->out] =
			    &row->cells[i];
		csv_str(b, r->id);
		buf_printf(b, ",%lld,", (long long)row->step);
		xval_double(b, row->timestamp);
		buf_addc(b, ',');
		xval_double(b, row->runtime);
		for (size_t i = 0; i < x->ks.nout; i++) {
			buf_addc(b, ',');
			if (c->slot[i] == NULL)
				continue;
			xval_text(&c->tmp, row, c->slot[i]);
			csv_tmp(b, &c->tmp);
			c->slot[i] = NULL;
		}
		buf_adds(b, "\r\n");
	}
	if (b->len >= 65536)
		return csv_flush(x, &c->hist, b);
	return 0;
}

static int
csv_end(struct export *x)
{
	struct csv	*c = x->state;
	int		 rc;

	rc = csv_flush(x, &c->hist, &c->line);
	if (rc == 0)
		rc = ofile_commit(&c->runs, x->err, sizeof(x->err));
	if (rc == 0)
		rc = ofile_commit(&c->hist, x->err, sizeof(x->err));
	csv_free(x);
	return rc;
}

const struct sink sink_csv = {
	.begin = csv_begin,
	.row = csv_row,
	.end = csv_end,
	.abort = csv_free,
};
