/*
 * export-int.h - the parts of an export: the key set (history columns),
 * runs read in a first pass, the history row reader, output files and
 * the sinks that write each format.
 */
#ifndef WBS_EXPORT_INT_H
#define WBS_EXPORT_INT_H

#include <stdint.h>
#include <stdio.h>

#include "wbstore/wbstore.h"
#include "buf.h"
#include "export.h"
#include "tree.h"

#define EXPORT_ERRLEN	1024

/* Reserved history names: columns of their own, never metrics. */
#define RES_NONE	0
#define RES_TIMESTAMP	1	/* _timestamp: the row's wall time */
#define RES_RUNTIME	2	/* _runtime: seconds since the run started */
#define RES_OTHER	3	/* _step, _run_id: ignored as items */

/* One history key (a column of wide outputs). */
struct xcol {
	char		*key;		/* journal key, WBS_SEP-joined */
	char		*name;		/* dotted, for people */
	size_t		 id;		/* index in the key set */
	int		 reserved;	/* RES_* */
	int		 sel;		/* exported (--fields or all) */
	int		 used;		/* seen in a selected run */
	uint64_t	 seen;		/* serial of the last run that had it */
	int		 out;		/* output index, -1 if not exported */
	int		 nonnum;	/* a non-numeric value was seen */
};

struct keyset {
	struct xcol	**cols;
	size_t		  n;
	size_t		  cap;
	struct xcol	**tab;		/* open addressing on key */
	size_t		  tabsz;
	const char *const *fields;	/* requested dotted names */
	size_t		  nfields;
	struct xcol	**out;		/* exported columns by name */
	size_t		  nout;
};

void		 keys_init(struct keyset *ks, const char *const *fields,
		    size_t nfields);
void		 keys_release(struct keyset *ks);
struct xcol	*keys_get(struct keyset *ks, const char *key);
struct xcol	*keys_find(const struct keyset *ks, const char *key);
/* Order the used, selected columns; -1 and err if a field is unknown. */
int		 keys_finish(struct keyset *ks, char *err, size_t errlen);
/* key with WBS_SEP shown as ".". */
void		 keys_dotted(struct buf *b, const char *key);
/* A file name for a column name (percent-encoding unsafe bytes). */
void		 keys_fname(struct buf *b, const char *name, int slashes);

/* A run as the first pass read it. */
struct xrun {
	char		*dir;
	char		*id;
	char		*name;
	char		*project;
	char		*entity;
	char		*group;
	char		*job_type;
	char		*notes;
	char		**tags;
	size_t		 ntags;
	const char	*state;		/* running finished failed crashed */
	int		 live;
	int		 has_exit;
	int		 exit_code;
	double		 runtime;	/* seconds */
	int64_t		 created_us;
	int64_t		 updated_us;
	uint64_t	 last_seq;	/* the passes stop here */
	uint64_t	 rows;		/* kept rows up to last_seq */
	struct tree	*config;
	struct tree	*summary;
	struct tree	*meta;
	uint64_t	 serial;
	/* PostgreSQL high-water marks, read back from the database. */
	int64_t		 hwm_step;
	int		 skip;
};

void	xrun_free(struct xrun *r);

/* A history cell: a column and a value (strings in the row's arena). */
struct xcell {
	size_t		 col;
	struct wbs_value v;
	size_t		 off;		/* of string data in arena */
};

struct xrow {
	int64_t		 step;
	int64_t		 time_us;	/* time of the row's last record */
	double		 timestamp;	/* seconds since the epoch */
	double		 runtime;	/* seconds */
	int		 has_ts;	/* from a _timestamp item */
	int		 has_rt;	/* from a _runtime item */
	int		 active;
	int		 open;		/* trailing row, never committed */
	int		 kept;		/* carries an exported column */
	uint64_t	 index;		/* among the kept rows of the run */
	struct xcell	*cells;
	size_t		 n;
	size_t		 cap;
	struct buf	 arena;
};

/* The string bytes of a cell's value. */
static inline const char *
xcell_str(const struct xrow *row, const struct xcell *c)
{
	return row->arena.p + c->off;
}

typedef void rows_hook(void *arg, const struct wbs_record *r);

/* Reads a journal's history rows, up to a sequence number. */
struct rows {
	struct wbs_journal	*j;
	struct wbs_iter		*it;
	uint64_t		 stop_seq;
	struct keyset		*ks;
	int			 copy;		/* keep values (second pass) */
	int			 need_sel;	/* rows need an exported key */
	rows_hook		*hook;
	void			*arg;
	int64_t			 sess_start;
	int64_t			 sess_base;
	struct xrow		 a, b;
	struct xrow		*cur;
	struct xrow		*done;
	uint64_t		 kept;
	uint64_t		 nrec;
	size_t			*pos;		/* per column: cell in cur */
	uint64_t		*gen;		/* per column: row serial */
	size_t			 ncols;
	uint64_t		 serial;	/* of the current row */
	uint64_t		 run_serial;	/* marks columns seen */
	int			 eof;
	int			 pending;	/* end cur at the next call */
	char			*err;
	size_t			 errlen;
};

int	rows_open(struct rows *rs, struct wbs_journal *j, uint64_t stop_seq,
	    struct keyset *ks, int copy, char *err, size_t errlen);
/* 1 and *rowp (borrowed until the next call), 0 at the end, -1 error. */
int	rows_next(struct rows *rs, const struct xrow **rowp);
void	rows_close(struct rows *rs);

/* Rows of a run kept by --history-samples: evenly spaced, ends kept. */
struct sampler {
	uint64_t	total;		/* kept rows of the run */
	uint64_t	want;		/* 0: all */
	uint64_t	i;		/* next sample number */
	uint64_t	next;		/* row index of that sample */
};

void		sampler_init(struct sampler *s, uint64_t total, uint64_t want);
int		sampler_take(struct sampler *s, uint64_t index);
uint64_t	sampler_count(uint64_t total, uint64_t want);

/* An output file written under a temporary name, renamed when done. */
struct ofile {
	char	*path;
	char	*tmp;
	FILE	*f;
};

int	ofile_check(const char *path, int overwrite, char *err, size_t errlen);
int	ofile_open(struct ofile *of, const char *path, char *err,
	    size_t errlen);
int	ofile_close(struct ofile *of, char *err, size_t errlen);
int	ofile_commit(struct ofile *of, char *err, size_t errlen);
void	ofile_abort(struct ofile *of);
int	ofile_mkdirs(const char *dir, char *err, size_t errlen);

struct export;

/*
 * A format: begin after the first pass (it may ask for more passes over
 * the runs), then per run and row, end at the end (abort on failure).
 * row returns 0 if it wrote the row, 1 if it left it out, -1 on error.
 */
struct sink {
	int	(*begin)(struct export *x);
	int	(*run_begin)(struct export *x, struct xrun *r);
	int	(*row)(struct export *x, struct xrun *r, const struct xrow *row);
	int	(*run_end)(struct export *x, struct xrun *r);
	int	(*end)(struct export *x);
	void	(*abort)(struct export *x);
	int	 passes;	/* >1: the second pass is repeated */
};

struct export {
	const struct export_opts	*o;
	const struct sink		*sink;
	struct keyset			 ks;
	struct xrun			**runs;
	size_t				 nruns;
	size_t				 cap;
	uint64_t			 serial;
	uint64_t			 rows_out;
	uint64_t			 maxrows;	/* sampled, over runs */
	size_t				 run_index;
	int				 pass;		/* of the sink */
	int				 npasses;	/* set by begin */
	size_t				 failed;	/* unreadable runs */
	size_t				 skipped;	/* unchanged (pg) */
	int				 fatal;		/* stop at once */
	void				*state;		/* the sink's */
	char				 err[EXPORT_ERRLEN];
};

/* CSV helpers shared by the formats. */
void	csv_field(struct buf *b, const char *s, size_t n);
int	csv_open_pair(struct export *x, const char *ext, struct ofile *runs,
	    struct ofile *hist);
void	jsonl_run(struct buf *b, const struct xrun *r);

/* First pass over one run (see scan.c). */
int	scan_run(struct export *x, const char *dir, struct xrun **rp);

int	export_fail(struct export *x, const char *fmt, ...)
	    __attribute__((__format__(__printf__, 2, 3)));
/* us since the epoch as ISO 8601 UTC with microseconds. */
void	xval_iso(struct buf *b, int64_t us);
/* A double as text that reads back exactly (see xval.c). */
void	xval_double(struct buf *b, double d);
/* A value as JSON (W&B's extended JSON). */
void	xval_json(struct buf *b, const struct wbs_value *v);
/* A cell as text for CSV (strings as they are, others as JSON). */
void	xval_text(struct buf *b, const struct xrow *row,
	    const struct xcell *c);
/* A cell as a double for NumPy; NaN and *numeric = 0 if not a number. */
double	xval_num(const struct xcell *c, int *numeric);
/* Row items as JSON object members (see xval.c). */
void	xval_row_json(const struct keyset *ks, struct buf *b,
	    const struct xrow *row, int pg, struct buf *nonfinite, int first);
/* Extended JSON with NaN/Infinity as strings; 1 if any was rewritten. */
int	xval_json_pg(struct buf *b, const char *s, size_t n);
/* A PostgreSQL array element literal. */
void	xval_pg_elem(struct buf *b, const char *s, size_t n);

extern const struct sink sink_csv, sink_jsonl, sink_arrays, sink_pg;

/* PostgreSQL: skip runs that have not changed since the last export. */
int	pg_connect(struct export *x);
int	pg_precheck(struct export *x, const char *project, const char *id,
	    uint64_t last_seq, const char *state, int *unchanged);
void	pg_disconnect(struct export *x);

/* Peak resident set (VmHWM) in KiB, or -1. */
long	rss_peak_kib(void);
/* Let go of journal pages already read (keeps RSS bounded). */
void	rss_trim(const char *journal_path);

#endif /* WBS_EXPORT_INT_H */
