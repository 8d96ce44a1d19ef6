/*
 * filter.h - which runs an export takes: attribute sets (group, job type,
 * run, tag, state, project, entity) and conditions on config and summary
 * values.  Keys are given with dots for nesting ("val.loss"), as W&B
 * shows them.
 */
#ifndef WBS_EXPORT_FILTER_H
#define WBS_EXPORT_FILTER_H

#include <stddef.h>

#include "tree.h"

/* A list of strings; empty means "any". */
struct strset {
	char	**v;
	size_t	  n;
};

/* A value to compare with: its text and what it reads as. */
struct fval {
	char	*text;
	int	 quoted;	/* a quoted YAML string: compare as text only */
	int	 isnum;
	double	 num;
	int	 isbool;
	int	 b;
	int	 isnull;
};

#define COND_VALUES	1	/* value in a list */
#define COND_RANGE	2	/* MIN <= value <= MAX */

struct cond {
	char		*key;		/* dotted, as the user wrote it */
	int		 kind;		/* COND_* */
	struct fval	*vals;
	size_t		 nvals;
	int		 hasmin, hasmax;
	double		 min, max;
};

/* One alternative: group, job type and run name sets that go together. */
struct alt {
	struct strset	groups;
	struct strset	jobs;
	struct strset	runs;		/* run ids or display names */
};

struct filter {
	struct alt	*alts;		/* a run matches one of them (OR) */
	size_t		 nalts;
	struct strset	 tags;		/* a run has one of them */
	struct strset	 states;	/* running finished failed crashed */
	struct strset	 projects;
	struct strset	 entities;	/* runs without an entity match too */
	struct cond	*config;	/* all must hold (AND) */
	size_t		 nconfig;
	struct cond	*summary;
	size_t		 nsummary;
};

/* The attributes of a run that the filter looks at. */
struct filter_run {
	const char		*id;
	const char		*name;
	const char		*project;
	const char		*entity;
	const char		*group;
	const char		*job_type;
	const char *const	*tags;
	size_t			 ntags;
	const char		*state;
};

void	filter_init(struct filter *f);
void	filter_release(struct filter *f);
void	strset_add(struct strset *s, const char *v);
void	strset_free(struct strset *s);
int	strset_has(const struct strset *s, const char *v);
/* The single alternative of the command-line filters (created). */
struct alt *filter_alt0(struct filter *f);
struct alt *filter_alt_new(struct filter *f);
/*
 * Add a command-line condition "KEY=VALUE" or "KEY=MIN..MAX" (either
 * bound may be left out).  -1 and err filled if arg is malformed.
 */
int	filter_parse_cond(struct filter *f, int summary, const char *arg,
	    char *err, size_t errlen);
/* Read text as a filter value (number, true/false, null or string). */
void	fval_parse(struct fval *v, const char *text, int quoted);
void	fval_release(struct fval *v);
/* A condition for key, created empty if absent. */
struct cond *filter_cond(struct filter *f, int summary, const char *key,
	    int kind);
int	filter_check_state(const char *state, char *err, size_t errlen);
/* Attribute match (no config/summary). */
int	filter_match_attrs(const struct filter *f, const struct filter_run *r);
/* 1 if config and summary satisfy every condition. */
int	filter_match_values(const struct filter *f, struct tree *config,
	    struct tree *summary);
int	filter_has_values(const struct filter *f);
/* The leaf of a dotted key in t, dots matching nesting or literal dots. */
const struct tree *filter_lookup(const struct tree *t, const char *dotted);

#endif /* WBS_EXPORT_FILTER_H */
