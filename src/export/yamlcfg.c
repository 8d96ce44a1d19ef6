/*
 * yamlcfg.c - reading experiments files with libyaml.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "export.h"
#include "log.h"
#include "yamlcfg.h"

struct ycx {
	yaml_document_t	*doc;
	const char	*path;
	const char	*exp;		/* experiment being read */
	char		*err;
	size_t		 errlen;
};

static const char *const settings[] = { "entity", "project", "fields",
    "output_path", "groups", "job_types", "runs", "tags",
    "output_data_type", "history_samples", "config", "summary", NULL };

/* Report a problem at node n (its line); returns -1. */
__attribute__((__format__(__printf__, 3, 4)))
static int
yfail(struct ycx *c, const yaml_node_t *n, const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n != NULL)
		snprintf(c->err, c->errlen, "experiments file %s, line %lu: "
		    "%s%s%s: %s", c->path,
		    (unsigned long)n->start_mark.line + 1,
		    c->exp ? "experiment \"" : "", c->exp ? c->exp : "",
		    c->exp ? "\"" : "", msg);
	else
		snprintf(c->err, c->errlen, "experiments file %s: %s", c->path,
		    msg);
	return -1;
}

static yaml_node_t *
ynode(struct ycx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

/* Text of a scalar node, or NULL. */
static const char *
yscalar(const yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)n->data.scalar.value;
}

static int
yquoted(const yaml_node_t *n)
{
	return n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
	    n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
}

/* Value of key in mapping m, or NULL. */
static yaml_node_t *
yget(struct ycx *c, const yaml_node_t *m, const char *key)
{
	if (m == NULL || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
	    p < m->data.mapping.pairs.top; p++) {
		const char *k = yscalar(ynode(c, p->key));

		if (k != NULL && strcmp(k, key) == 0)
			return ynode(c, p->value);
	}
	return NULL;
}

/* A setting: the experiment's, else DEFAULT's. */
static yaml_node_t *
yset(struct ycx *c, const yaml_node_t *exp, const yaml_node_t *def,
    const char *key)
{
	yaml_node_t *n = yget(c, exp, key);

	return n != NULL ? n : yget(c, def, key);
}

/* Strings of a scalar or a sequence of scalars into s. */
static int
ystrings(struct ycx *c, const yaml_node_t *n, const char *what,
    struct strset *s)
{
	if (yscalar(n) != NULL) {
		strset_add(s, yscalar(n));
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return yfail(c, n, "%s must be a list of names", what);
	for (yaml_node_item_t *i = n->data.sequence.items.start;
	    i < n->data.sequence.items.top; i++) {
		const char *v = yscalar(ynode(c, *i));

		if (v == NULL)
			return yfail(c, n, "%s must be a list of names", what);
		strset_add(s, v);
	}
	return 0;
}

/* 1 if n is the scalar "all". */
static int
yall(const yaml_node_t *n)
{
	return n == NULL || (yscalar(n) != NULL && strcmp(yscalar(n), "all") ==
	    0);
}

/* 1 if n is a list of lists (or "all"), one per group. */
static int
ynested(struct ycx *c, const yaml_node_t *n)
{
	int lists = 0;

	if (n == NULL || n->type != YAML_SEQUENCE_NODE)
		return 0;
	for (yaml_node_item_t *i = n->data.sequence.items.start;
	    i < n->data.sequence.items.top; i++) {
		const yaml_node_t *k = ynode(c, *i);

		if (k->type == YAML_SEQUENCE_NODE)
			lists++;
		else if (!yall(k))
			return 0;
	}
	return lists > 0;
}

/* Item idx of a nested list, for group idx. */
static int
ynested_at(struct ycx *c, const yaml_node_t *n, size_t idx, size_t ngroups,
    const char *what, struct strset *s)
{
	size_t len = (size_t)(n->data.sequence.items.top -
	    n->data.sequence.items.start);

	if (len != ngroups)
		return yfail(c, n, "%s has %zu lists but groups has %zu "
		    "names (one list per group)", what, len, ngroups);
	n = ynode(c, n->data.sequence.items.start[idx]);
	if (yall(n))
		return 0;
	return ystrings(c, n, what, s);
}

/* groups, job_types and runs into the filter's alternatives. */
static int
yalts(struct ycx *c, const yaml_node_t *exp, const yaml_node_t *def,
    struct filter *f)
{
	yaml_node_t	*g = yset(c, exp, def, "groups");
	yaml_node_t	*j = yset(c, exp, def, "job_types");
	yaml_node_t	*r = yset(c, exp, def, "runs");
	struct strset	 groups = { NULL, 0 };
	int		 rc = 0;

	if (!yall(g) && ystrings(c, g, "groups", &groups) != 0)
		return -1;
	if (groups.n == 0) {
		struct alt *a = filter_alt_new(f);

		if (ynested(c, j) || ynested(c, r))
			rc = yfail(c, ynested(c, j) ? j : r, "%s is a list "
			    "of lists (one per group) but no groups are "
			    "given", ynested(c, j) ? "job_types" : "runs");
		if (rc == 0 && !yall(j))
			rc = ystrings(c, j, "job_types", &a->jobs);
		if (rc == 0 && !yall(r))
			rc = ystrings(c, r, "runs", &a->runs);
		return rc;
	}
	for (size_t i = 0; i < groups.n && rc == 0; i++) {
		struct alt *a = filter_alt_new(f);

		strset_add(&a->groups, groups.v[i]);
		if (ynested(c, j))
			rc = ynested_at(c, j, i, groups.n, "job_types",
			    &a->jobs);
		else if (!yall(j))
			rc = ystrings(c, j, "job_types", &a->jobs);
		if (rc == 0 && ynested(c, r))
			rc = ynested_at(c, r, i, groups.n, "runs", &a->runs);
		else if (rc == 0 && !yall(r))
			rc = ystrings(c, r, "runs", &a->runs);
	}
	strset_free(&groups);
	return rc;
}

/* A number for min or max. */
static int
ynumber(struct ycx *c, const yaml_node_t *n, const char *key, double *d)
{
	const char	*s = yscalar(n);
	char		*end;

	if (s == NULL || *s == '\0')
		return yfail(c, n, "%s must be a number", key);
	errno = 0;
	*d = strtod(s, &end);
	if (*end != '\0' || errno != 0)
		return yfail(c, n, "%s must be a number, not \"%s\"", key, s);
	return 0;
}

/* One filter spec (values / min / max) for key into f. */
static int
yspec(struct ycx *c, struct filter *f, int summary, const char *key,
    const yaml_node_t *spec)
{
	const char	*what = summary ? "summary" : "config";
	yaml_node_t	*vals = yget(c, spec, "values");
	yaml_node_t	*mn = yget(c, spec, "min"), *mx = yget(c, spec, "max");
	struct cond	*cd;

	if (spec->type != YAML_MAPPING_NODE || (vals == NULL && mn == NULL &&
	    mx == NULL))
		return yfail(c, spec, "%s filter \"%s\" needs values: [...] "
		    "or min and/or max", what, key);
	for (yaml_node_pair_t *p = spec->data.mapping.pairs.start;
	    p < spec->data.mapping.pairs.top; p++) {
		const char *k = yscalar(ynode(c, p->key));

		if (k == NULL || (strcmp(k, "values") != 0 &&
		    strcmp(k, "min") != 0 && strcmp(k, "max") != 0))
			return yfail(c, spec, "%s filter \"%s\": unknown "
			    "setting \"%s\" (values, min, max)", what, key,
			    k ? k : "?");
	}
	if (vals != NULL) {
		if (vals->type != YAML_SEQUENCE_NODE && yscalar(vals) == NULL)
			return yfail(c, vals, "%s filter \"%s\": values must "
			    "be a list", what, key);
		cd = filter_cond(f, summary, key, COND_VALUES);
		/* The experiment's list replaces DEFAULT's. */
		for (size_t i = 0; i < cd->nvals; i++)
			fval_release(&cd->vals[i]);
		cd->nvals = 0;
		const yaml_node_item_t *i0 = NULL, *i1 = NULL;
		if (vals->type == YAML_SEQUENCE_NODE) {
			i0 = vals->data.sequence.items.start;
			i1 = vals->data.sequence.items.top;
		}
		size_t n = vals->type == YAML_SEQUENCE_NODE ?
		    (size_t)(i1 - i0) : 1;
		if ((cd->vals = realloc(cd->vals, (n + 1) *
		    sizeof(*cd->vals))) == NULL)
			fatalx("out of memory");
		for (size_t i = 0; i < n; i++) {
			const yaml_node_t *v = i0 ? ynode(c, i0[i]) : vals;

			if (yscalar(v) == NULL)
				return yfail(c, v, "%s filter \"%s\": values "
				    "must be scalars", what, key);
			fval_parse(&cd->vals[cd->nvals++], yscalar(v),
			    yquoted(v));
		}
	}
	if (mn != NULL || mx != NULL) {
		cd = filter_cond(f, summary, key, COND_RANGE);
		if (mn != NULL && ynumber(c, mn, "min", &cd->min) != 0)
			return -1;
		if (mx != NULL && ynumber(c, mx, "max", &cd->max) != 0)
			return -1;
		cd->hasmin |= mn != NULL;
		cd->hasmax |= mx != NULL;
		if (cd->hasmin && cd->hasmax && cd->min > cd->max)
			return yfail(c, spec, "%s filter \"%s\": min is above "
			    "max", what, key);
	}
	return 0;
}

/* config or summary filters of DEFAULT, then of the experiment. */
static int
yconds(struct ycx *c, const yaml_node_t *exp, const yaml_node_t *def,
    struct filter *f, int summary)
{
	const char		*what = summary ? "summary" : "config";
	const yaml_node_t	*src[2] = { yget(c, def, what),
				    yget(c, exp, what) };

	for (int s = 0; s < 2; s++) {
		const yaml_node_t *m = src[s];

		if (m == NULL)
			continue;
		if (m->type != YAML_MAPPING_NODE)
			return yfail(c, m, "%s must map keys to filters", what);
		for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
		    p < m->data.mapping.pairs.top; p++) {
			const char *k = yscalar(ynode(c, p->key));

			if (k == NULL)
				return yfail(c, m, "%s keys must be names",
				    what);
			if (yspec(c, f, summary, k, ynode(c, p->value)) != 0)
				return -1;
		}
	}
	return 0;
}

/* Check that m only has known settings. */
static int
ycheck_keys(struct ycx *c, const yaml_node_t *m)
{
	if (m->type != YAML_MAPPING_NODE)
		return yfail(c, m, "must be a mapping of settings");
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
	    p < m->data.mapping.pairs.top; p++) {
		const char	*k = yscalar(ynode(c, p->key));
		int		 known = 0;

		for (size_t i = 0; k != NULL && settings[i] != NULL; i++)
			known |= strcmp(k, settings[i]) == 0;
		if (!known)
			return yfail(c, ynode(c, p->key), "unknown setting "
			    "\"%s\"", k ? k : "?");
	}
	return 0;
}

/* output_data_type and history_samples. */
static int
youtput(struct ycx *c, const yaml_node_t *exp, const yaml_node_t *def,
    struct experiment *e)
{
	yaml_node_t	*t = yset(c, exp, def, "output_data_type");
	yaml_node_t	*h = yset(c, exp, def, "history_samples");
	yaml_node_t	*o = yset(c, exp, def, "output_path");
	const char	*s;
	char		*end;

	e->format = EXPORT_NPY;
	if (t != NULL) {
		s = yscalar(t);
		if (s != NULL && strcmp(s, "csv") == 0)
			e->format = EXPORT_MATRIX_CSV;
		else if (s == NULL || (strcmp(s, "numpy") != 0 &&
		    strcmp(s, "npy") != 0))
			return yfail(c, t, "output_data_type must be numpy "
			    "or csv, not \"%s\"", s ? s : "?");
	}
	if (h != NULL && !yall(h)) {
		s = yscalar(h);
		errno = 0;
		e->samples = s && *s != '-' ? strtoull(s, &end, 10) : 0;
		if (s == NULL || *s == '\0' || *s == '-' || *end != '\0' ||
		    errno != 0 || e->samples < 2)
			return yfail(c, h, "history_samples must be \"all\" "
			    "or a number of rows of at least 2");
	}
	if ((s = yscalar(o)) == NULL || *s == '\0')
		return yfail(c, o ? o : exp, "output_path is required (a "
		    "directory; each experiment gets a subdirectory)");
	if ((e->output_path = strdup(s)) == NULL)
		fatalx("out of memory");
	return 0;
}

/* One experiment, DEFAULT merged in. */
static int
yexperiment(struct ycx *c, const char *name, const yaml_node_t *exp,
    const yaml_node_t *def, struct experiment *e)
{
	yaml_node_t	*n;
	struct strset	 fields = { NULL, 0 };

	memset(e, 0, sizeof(*e));
	filter_init(&e->filt);
	if ((e->name = strdup(name)) == NULL)
		fatalx("out of memory");
	c->exp = name;
	if (ycheck_keys(c, exp) != 0 || youtput(c, exp, def, e) != 0 ||
	    yalts(c, exp, def, &e->filt) != 0 ||
	    yconds(c, exp, def, &e->filt, 0) != 0 ||
	    yconds(c, exp, def, &e->filt, 1) != 0)
		return -1;
	if ((n = yset(c, exp, def, "project")) != NULL &&
	    ystrings(c, n, "project", &e->filt.projects) != 0)
		return -1;
	if ((n = yset(c, exp, def, "entity")) != NULL &&
	    ystrings(c, n, "entity", &e->filt.entities) != 0)
		return -1;
	if ((n = yset(c, exp, def, "tags")) != NULL && !yall(n) &&
	    ystrings(c, n, "tags", &e->filt.tags) != 0)
		return -1;
	if ((n = yset(c, exp, def, "fields")) != NULL && !yall(n)) {
		if (ystrings(c, n, "fields", &fields) != 0)
			return -1;
		e->fields = fields.v;
		e->nfields = fields.n;
	}
	c->exp = NULL;
	return 0;
}

static void
experiment_free(struct experiment *e)
{
	free(e->name);
	filter_release(&e->filt);
	for (size_t i = 0; i < e->nfields; i++)
		free(e->fields[i]);
	free(e->fields);
	free(e->output_path);
}

void
yamlcfg_free(struct expfile *ef)
{
	for (size_t i = 0; i < ef->n; i++)
		experiment_free(&ef->v[i]);
	free(ef->v);
	ef->v = NULL;
	ef->n = 0;
}

/* Parse the file into doc; -1 with the parser's message. */
static int
yparse(struct ycx *c, yaml_document_t *doc)
{
	yaml_parser_t	 p;
	FILE		*f;
	int		 ok;

	if ((f = fopen(c->path, "r")) == NULL) {
		snprintf(c->err, c->errlen, "cannot read experiments file "
		    "%s: %s", c->path, strerror(errno));
		return -1;
	}
	yaml_parser_initialize(&p);
	yaml_parser_set_input_file(&p, f);
	ok = yaml_parser_load(&p, doc);
	if (!ok)
		snprintf(c->err, c->errlen, "experiments file %s, line %lu, "
		    "column %lu: %s%s%s", c->path,
		    (unsigned long)p.problem_mark.line + 1,
		    (unsigned long)p.problem_mark.column + 1,
		    p.problem ? p.problem : "not YAML",
		    p.context ? " " : "", p.context ? p.context : "");
	yaml_parser_delete(&p);
	fclose(f);
	return ok ? 0 : -1;
}

/* Read the experiments of root (all, or those named). */
static int
yload(struct ycx *c, const yaml_node_t *root, const char *const *names,
    size_t nnames, struct expfile *ef)
{
	const yaml_node_t	*def = yget(c, root, "DEFAULT");
	size_t			 want = nnames;

	if (def != NULL && ycheck_keys(c, def) != 0)
		return -1;
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	    p < root->data.mapping.pairs.top; p++) {
		const char	*k = yscalar(ynode(c, p->key));
		int		 take = nnames == 0;

		if (k == NULL)
			return yfail(c, root, "experiment names must be "
			    "strings");
		if (strcmp(k, "DEFAULT") == 0)
			continue;
		for (size_t i = 0; i < nnames; i++)
			take |= strcmp(names[i], k) == 0;
		if (!take)
			continue;
		if ((ef->v = realloc(ef->v, (ef->n + 1) * sizeof(*ef->v))) ==
		    NULL)
			fatalx("out of memory");
		ef->n++;
		if (yexperiment(c, k, ynode(c, p->value), def,
		    &ef->v[ef->n - 1]) != 0)
			return -1;
	}
	for (size_t i = 0; i < want; i++) {
		int found = 0;

		for (size_t k = 0; k < ef->n; k++)
			found |= strcmp(ef->v[k].name, names[i]) == 0;
		if (!found)
			return yfail(c, NULL, "no experiment \"%s\"", names[i]);
	}
	if (ef->n == 0)
		return yfail(c, NULL, "no experiments (top-level names "
		    "besides DEFAULT)");
	return 0;
}

/* Load an experiments file (see yamlcfg.h). */
int
yamlcfg_load(const char *path, const char *const *names, size_t nnames,
    struct expfile *ef, char *err, size_t errlen)
{
	yaml_document_t	 doc;
	yaml_node_t	*root;
	struct ycx	 c = { &doc, path, NULL, err, errlen };
	int		 rc;

	memset(ef, 0, sizeof(*ef));
	if (yparse(&c, &doc) != 0)
		return -1;
	root = yaml_document_get_root_node(&doc);
	if (root == NULL)
		rc = yfail(&c, NULL, "empty");
	else if (root->type != YAML_MAPPING_NODE)
		rc = yfail(&c, root, "expected a mapping of experiments");
	else
		rc = yload(&c, root, names, nnames, ef);
	yaml_document_delete(&doc);
	if (rc != 0)
		yamlcfg_free(ef);
	return rc;
}
