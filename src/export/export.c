/*
 * export.c - an export: find the runs, read them once for their
 * attributes, keys and sizes, then stream their rows to a format.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "export-int.h"
#include "log.h"
#include "runs.h"

static const struct {
	const char	*name;
	int		 format;
} formats[] = {
	{ "csv", EXPORT_CSV },
	{ "jsonl", EXPORT_JSONL },
	{ "npy", EXPORT_NPY },
	{ "numpy", EXPORT_NPY },
	{ "npz", EXPORT_NPZ },
	{ "postgres", EXPORT_POSTGRES },
	{ "postgresql", EXPORT_POSTGRES },
};

/* Format name to enum export_format, or 0. */
int
export_format_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (strcmp(name, formats[i].name) == 0)
			return formats[i].format;
	return 0;
}

/* Record an error message; returns -1. */
int
export_fail(struct export *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->err, sizeof(x->err), fmt, ap);
	va_end(ap);
	return -1;
}

struct dirs {
	char	**v;
	size_t	  n;
};

/* Add a run directory once (by real path). */
static int
dirs_add(const char *rundir, void *arg)
{
	struct dirs	*d = arg;
	char		 real[PATH_MAX];

	if (realpath(rundir, real) == NULL)
		snprintf(real, sizeof(real), "%s", rundir);
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->v[i], real) == 0)
			return 0;
	if ((d->v = realloc(d->v, (d->n + 1) * sizeof(*d->v))) == NULL ||
	    (d->v[d->n] = strdup(real)) == NULL)
		fatalx("out of memory");
	d->n++;
	return 0;
}

static void
dirs_free(struct dirs *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i]);
	free(d->v);
}

/* The run directories named by the sources (default: the wandb dir). */
static int
export_sources(struct export *x, struct dirs *d)
{
	const struct export_opts	*o = x->o;
	char				 dir[PATH_MAX];
	struct stat			 sb;

	if (o->nsources == 0) {
		runs_default_dir(dir, sizeof(dir));
		if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
			return export_fail(x, "no wandb directory at %s (set "
			    "WANDB_DIR or name runs or directories)", dir);
		if (runs_each(dir, dirs_add, d) < 0)
			return export_fail(x, "cannot read %s: %s", dir,
			    strerror(errno));
		return 0;
	}
	for (size_t i = 0; i < o->nsources; i++) {
		const char *s = o->sources[i];

		if (stat(s, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			if (runs_each(s, dirs_add, d) < 0)
				return export_fail(x, "cannot read %s: %s", s,
				    strerror(errno));
			continue;
		}
		if (runs_resolve(s, dir, sizeof(dir)) != 0)
			return export_fail(x, "%s: no such run or directory",
			    s);
		dirs_add(dir, d);
	}
	return 0;
}

/* First pass over every run. */
static int
export_scan(struct export *x, struct dirs *d)
{
	for (size_t i = 0; i < d->n; i++) {
		struct xrun	*r = NULL;
		int		 rc = scan_run(x, d->v[i], &r);

		if (rc < 0) {
			if (x->fatal)
				return -1;
			log_warnx("export: skipping %s: %s", d->v[i], x->err);
			x->failed++;
			continue;
		}
		if (rc == 0)
			continue;
		if (x->nruns == x->cap) {
			x->cap = x->cap ? x->cap * 2 : 16;
			if ((x->runs = realloc(x->runs, x->cap *
			    sizeof(*x->runs))) == NULL)
				fatalx("out of memory");
		}
		x->runs[x->nruns++] = r;
	}
	x->err[0] = '\0';
	return 0;
}

/* Second pass over one run: its rows to the sink. */
static int
export_rows(struct export *x, struct xrun *r)
{
	struct wbs_journal	*j;
	struct rows		 rs;
	struct sampler		 sm;
	const struct xrow	*row;
	int			 rc = -1;

	if (wbs_journal_open(&j, r->dir, WBS_JOURNAL_RDONLY, x->err,
	    sizeof(x->err)) != 0)
		return -1;
	if (rows_open(&rs, j, r->last_seq, &x->ks, 1, x->err,
	    sizeof(x->err)) != 0) {
		wbs_journal_close(j);
		return -1;
	}
	sampler_init(&sm, r->rows, x->o->samples);
	if (x->sink->run_begin != NULL && x->sink->run_begin(x, r) != 0)
		goto out;
	while ((rc = rows_next(&rs, &row)) == 1) {
		int wrote;

		if (!sampler_take(&sm, row->index))
			continue;
		if ((wrote = x->sink->row(x, r, row)) < 0) {
			rc = -1;
			goto out;
		}
		if (wrote == 0 && x->pass == 0)
			x->rows_out++;
	}
	if (rc == 0 && x->sink->run_end != NULL)
		rc = x->sink->run_end(x, r);
out:
	rows_close(&rs);
	wbs_journal_close(j);
	return rc;
}

static const struct sink *
export_sink(int format)
{
	switch (format) {
	case EXPORT_CSV:
		return &sink_csv;
	case EXPORT_JSONL:
		return &sink_jsonl;
	case EXPORT_NPY:
	case EXPORT_NPZ:
	case EXPORT_MATRIX_CSV:
		return &sink_arrays;
	case EXPORT_POSTGRES:
		return &sink_pg;
	default:
		return NULL;
	}
}

/* Both passes and the sink. */
static int
export_body(struct export *x)
{
	struct dirs	d = { NULL, 0 };
	int		rc = -1;

	if (export_sources(x, &d) != 0)
		goto out;
	if (x->o->format == EXPORT_POSTGRES && pg_connect(x) != 0)
		goto out;
	if (export_scan(x, &d) != 0)
		goto out;
	if (keys_finish(&x->ks, x->err, sizeof(x->err)) != 0)
		goto out;
	for (size_t i = 0; i < x->nruns; i++) {
		uint64_t n = sampler_count(x->runs[i]->rows, x->o->samples);

		if (n > x->maxrows)
			x->maxrows = n;
	}
	if (x->nruns == 0) {
		rc = 0;
		goto out;
	}
	x->npasses = 1;
	if (x->sink->begin(x) != 0)
		goto out;
	for (x->pass = 0; x->pass < x->npasses; x->pass++)
		for (x->run_index = 0; x->run_index < x->nruns;
		    x->run_index++)
			if (export_rows(x, x->runs[x->run_index]) != 0) {
				x->sink->abort(x);
				goto out;
			}
	rc = x->sink->end(x);
out:
	dirs_free(&d);
	return rc;
}

/* Print what the export did (--stats). */
static void
export_stats(const struct export *x, double secs)
{
	long kib = rss_peak_kib();

	fprintf(stderr, "export: %zu runs, %llu rows in %.3f s (%.0f rows/s)",
	    x->nruns, (unsigned long long)x->rows_out, secs,
	    secs > 0 ? (double)x->rows_out / secs : 0.0);
	if (x->skipped > 0)
		fprintf(stderr, ", %zu unchanged runs skipped", x->skipped);
	if (kib >= 0)
		fprintf(stderr, ", peak RSS %.1f MiB", (double)kib / 1024.0);
	fprintf(stderr, "\n");
}

/* Run one export (see export.h). */
int
export_run(const struct export_opts *o, char *err, size_t errlen)
{
	struct export	 x;
	struct timespec	 t0, t1;
	int		 rc;

	memset(&x, 0, sizeof(x));
	x.o = o;
	if ((x.sink = export_sink(o->format)) == NULL) {
		snprintf(err, errlen, "unknown export format %d", o->format);
		return -1;
	}
	keys_init(&x.ks, o->fields, o->nfields);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = export_body(&x);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (x.o->format == EXPORT_POSTGRES)
		pg_disconnect(&x);
	if (rc == 0 && x.nruns == 0 && x.skipped == 0 && !o->quiet)
		log_warnx("export%s%s: no run matched; nothing written",
		    o->label ? " " : "", o->label ? o->label : "");
	if (rc == 0 && x.failed > 0) {
		snprintf(x.err, sizeof(x.err), "%zu run%s could not be read "
		    "(see above); the others were exported", x.failed,
		    x.failed == 1 ? "" : "s");
		rc = -1;
	}
	if (rc == 0 && o->stats)
		export_stats(&x, (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (rc != 0)
		snprintf(err, errlen, "%s", x.err);
	for (size_t i = 0; i < x.nruns; i++)
		xrun_free(x.runs[i]);
	free(x.runs);
	keys_release(&x.ks);
	return rc;
}
