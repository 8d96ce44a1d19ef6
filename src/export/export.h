/*
 * export.h - exporting runs for offline analysis: CSV, JSONL, NumPy
 * (.npy, .npz) and PostgreSQL.
 *
 * Two tables come out of a set of runs: runs (one row per run: id, name,
 * project, entity, state, times, group, job type, tags, config, summary,
 * system metadata) and history (one row per history row of each run:
 * run id, step, timestamp, runtime, metrics).  History rows follow the
 * journal's row rule: consecutive history records with the same step form
 * one row, which a committing record or a record with another step ends.
 */
#ifndef WBS_EXPORT_H
#define WBS_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "filter.h"

enum export_format {
	EXPORT_CSV = 1,		/* runs.csv, history.csv */
	EXPORT_JSONL,		/* runs.jsonl, history.jsonl */
	EXPORT_NPY,		/* FIELD.npy: runs x rows, float64 */
	EXPORT_NPZ,		/* history.npz: the same arrays in a zip */
	EXPORT_POSTGRES,	/* tables runs and history, incremental */
	EXPORT_MATRIX_CSV	/* FIELD.csv: runs x rows (experiments file) */
};

struct export_opts {
	int			 format;	/* enum export_format */
	int			 longcsv;	/* CSV: run, step, key, value */
	int			 overwrite;	/* replace existing files */
	int			 compress;	/* npz: deflate members */
	int			 stats;		/* print rows/s and peak RSS */
	int			 quiet;
	uint64_t		 samples;	/* rows kept per run; 0: all */
	const char *const	*fields;	/* dotted metric names */
	size_t			 nfields;
	const char		*outdir;	/* default "." */
	const char		*db_url;	/* libpq connection string */
	const char		*db_schema;	/* default "wbstore" */
	const char *const	*sources;	/* RUN or DIR arguments */
	size_t			 nsources;
	const struct filter	*filt;
	const char		*label;		/* experiment name, or NULL */
};

/*
 * Run one export.  0 on success (also when no run matched: a warning is
 * printed), -1 with err filled on failure.  Existing output files are
 * refused unless overwrite is set; outputs appear whole or not at all.
 */
int	export_run(const struct export_opts *o, char *err, size_t errlen);

/* Format name ("csv", ...) to enum export_format, or 0. */
int	export_format_parse(const char *name);

#endif /* WBS_EXPORT_H */
