/*
 * summary.h - the run summary and the metric definitions behind it.
 *
 * Every history item sets summary[key] (last value), unless a metric
 * definition with summary modes covers the key: then the summary is an
 * object of those modes ({"min": ..., "last": ...}).  Explicit summary
 * records set or remove keys.  Keys are wbstore paths (WBS_SEP between
 * components); a path replaces any value above or below it, as in a tree.
 * Metric names and globs match the key with "." between components.
 */
#ifndef WBS_SYNC_SUMMARY_H
#define WBS_SYNC_SUMMARY_H

#include "buf.h"

struct summ_metric {
	char		*name;		/* exact name, or NULL */
	char		*glob;		/* glob, or NULL */
	char		*step_metric;	/* x axis, or NULL */
	unsigned	 summary;	/* WBS_SUMMARY_* */
	int		 goal;		/* WBS_GOAL_* */
	unsigned	 flags;		/* WBS_METRIC_* */
	int		 expanded;	/* added for a key a glob matched */
};

struct summ_entry {
	char			*key;
	int			 present;
	int			 explicit;	/* set by a summary record */
	struct wbs_value	 v;		/* strings owned */
	unsigned		 mask;		/* aggregating modes */
	int			 goal;
	uint64_t		 n;		/* numeric values seen */
	uint64_t		 nn;		/* ... of them not NaN */
	double			 min, max, sum, first, last;
};

struct summ {
	struct summ_entry	**e;
	size_t			  n, cap;
	size_t			 *slots;	/* hash: index + 1, 0 empty */
	size_t			  nslots;
	size_t			  nested;	/* entries with WBS_SEP */
	struct summ_metric	 *m;
	size_t			  nm, mcap;
	unsigned		  gen;		/* bumped by each definition */
	int			  dirty;	/* changed since summ_json() */
	int			  mdirty;	/* metric list changed */
};

void	summ_init(struct summ *s);
void	summ_release(struct summ *s);

/* The entry of key, created (absent) if new.  Never NULL. */
struct summ_entry *summ_slot(struct summ *s, const char *key);

/* A history value for the entry (m: the metric covering it, or NULL). */
void	summ_hist(struct summ *s, struct summ_entry *e,
	    const struct summ_metric *m, const struct wbs_value *v);
/* An explicit summary value / removal. */
void	summ_set(struct summ *s, const char *key, const struct wbs_value *v);
void	summ_remove(struct summ *s, const char *key);

/* Add a define_metric; returns its index. */
size_t	summ_define(struct summ *s, const struct wbs_metric *m);
/*
 * Index of the metric covering key (the last exact definition, else the
 * last matching glob, expanded into an exact entry the first time), or
 * -1.  Indexes stay valid; the answer for a key changes only when gen
 * does.
 */
long	summ_metric_for(struct summ *s, const char *key);

/*
 * The summary as one JSON object: nested by path; base (a JSON object
 * text from the server, may be NULL) supplies top-level keys we do not
 * have; "_wandb": {"runtime": runtime_s} is added unless present.
 */
void	summ_json(struct summ *s, struct buf *b, const char *base,
	    int64_t runtime_s);

/* The metric definitions as W&B's _wandb.m list. */
void	summ_metrics_json(const struct summ *s, struct buf *b);

/* Write the sorted, nested JSON object of (key, value) pairs. */
struct summ_kv {
	const char		*key;
	const struct summ_entry	*e;
};
void	summ_nested_json(struct buf *b, struct summ_kv *kv, size_t n);

#endif /* WBS_SYNC_SUMMARY_H */
