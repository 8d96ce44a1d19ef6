/*
 * filter.c - selecting runs for an export.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "log.h"

static const char *const states[] = { "running", "finished", "failed",
    "crashed" };

void
filter_init(struct filter *f)
{
	memset(f, 0, sizeof(*f));
}

void
strset_add(struct strset *s, const char *v)
{
	s->v = xreallocarray(s->v, s->n + 1, sizeof(*s->v));
	s->v[s->n++] = xstrdup(v);
}

void
strset_free(struct strset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* 1 if the set is empty (any) or holds v. */
int
strset_has(const struct strset *s, const char *v)
{
	if (s->n == 0)
		return 1;
	if (v == NULL)
		return 0;
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], v) == 0)
			return 1;
	return 0;
}

void
fval_release(struct fval *v)
{
	free(v->text);
	memset(v, 0, sizeof(*v));
}

static void
conds_free(struct cond *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(c[i].key);
		for (size_t k = 0; k < c[i].nvals; k++)
			fval_release(&c[i].vals[k]);
		free(c[i].vals);
	}
	free(c);
}

void
filter_release(struct filter *f)
{
	for (size_t i = 0; i < f->nalts; i++) {
		strset_free(&f->alts[i].groups);
		strset_free(&f->alts[i].jobs);
		strset_free(&f->alts[i].runs);
	}
	free(f->alts);
	strset_free(&f->tags);
	strset_free(&f->states);
	strset_free(&f->projects);
	strset_free(&f->entities);
	conds_free(f->config, f->nconfig);
	conds_free(f->summary, f->nsummary);
	filter_init(f);
}

/* A new empty alternative. */
struct alt *
filter_alt_new(struct filter *f)
{
	f->alts = xreallocarray(f->alts, f->nalts + 1, sizeof(*f->alts));
	memset(&f->alts[f->nalts], 0, sizeof(*f->alts));
	return &f->alts[f->nalts++];
}

/* The first alternative, created if there is none. */
struct alt *
filter_alt0(struct filter *f)
{
	return f->nalts ? &f->alts[0] : filter_alt_new(f);
}

/* Read text as a number, a boolean, null or a string. */
void
fval_parse(struct fval *v, const char *text, int quoted)
{
	char	*end;
	double	 d;

	memset(v, 0, sizeof(*v));
	v->text = xstrdup(text);
	v->quoted = quoted;
	if (quoted || *text == '\0')
		return;
	if (strcmp(text, "true") == 0 || strcmp(text, "True") == 0 ||
	    strcmp(text, "false") == 0 || strcmp(text, "False") == 0) {
		v->isbool = 1;
		v->b = text[0] == 't' || text[0] == 'T';
		return;
	}
	if (strcmp(text, "null") == 0 || strcmp(text, "~") == 0 ||
	    strcmp(text, "None") == 0) {
		v->isnull = 1;
		return;
	}
	errno = 0;
	d = strtod(text, &end);
	if (*end == '\0' && errno == 0) {
		v->isnum = 1;
		v->num = d;
	}
}

/* The condition on key of the given kind, created if absent. */
struct cond *
filter_cond(struct filter *f, int summary, const char *key, int kind)
{
	struct cond	**cp = summary ? &f->summary : &f->config;
	size_t		 *np = summary ? &f->nsummary : &f->nconfig;
	struct cond	 *c;

	for (size_t i = 0; i < *np; i++)
		if ((*cp)[i].kind == kind && strcmp((*cp)[i].key, key) == 0)
			return &(*cp)[i];
	*cp = xreallocarray(*cp, *np + 1, sizeof(**cp));
	c = &(*cp)[(*np)++];
	memset(c, 0, sizeof(*c));
	c->key = xstrdup(key);
	c->kind = kind;
	return c;
}

/* Parse one range bound; 1 if given, 0 if empty, -1 if not a number. */
static int
parse_bound(const char *s, size_t len, double *out)
{
	char	 tmp[128], *end;

	if (len == 0)
		return 0;
	if (len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	errno = 0;
	*out = strtod(tmp, &end);
	if (*end != '\0' || errno != 0 || isnan(*out))
		return -1;
	return 1;
}

/* Add "KEY=VALUE" or "KEY=MIN..MAX" (see filter.h). */
int
filter_parse_cond(struct filter *f, int summary, const char *arg, char *err,
    size_t errlen)
{
	const char	*opt = summary ? "--summary" : "--config";
	const char	*eq = strchr(arg, '='), *dots, *val;
	char		*key;
	struct cond	*c;
	double		 lo = 0, hi = 0;
	int		 hl, hh;

	if (eq == NULL || eq == arg) {
		snprintf(err, errlen, "bad %s \"%s\": expected KEY=VALUE or "
		    "KEY=MIN..MAX", opt, arg);
		return -1;
	}
	if ((key = strndup(arg, (size_t)(eq - arg))) == NULL)
		fatalx("out of memory");
	val = eq + 1;
	if ((dots = strstr(val, "..")) == NULL) {
		c = filter_cond(f, summary, key, COND_VALUES);
		c->vals = xreallocarray(c->vals, c->nvals + 1,
		    sizeof(*c->vals));
		fval_parse(&c->vals[c->nvals++], val, 0);
		free(key);
		return 0;
	}
	hl = parse_bound(val, (size_t)(dots - val), &lo);
	hh = parse_bound(dots + 2, strlen(dots + 2), &hi);
	if (hl < 0 || hh < 0 || (hl == 0 && hh == 0)) {
		snprintf(err, errlen, "bad %s \"%s\": a range is MIN..MAX with "
		    "numbers (either may be left out, not both)", opt, arg);
		free(key);
		return -1;
	}
	if (hl && hh && lo > hi) {
		snprintf(err, errlen, "bad %s \"%s\": the minimum is above "
		    "the maximum", opt, arg);
		free(key);
		return -1;
	}
	c = filter_cond(f, summary, key, COND_RANGE);
	free(key);
	if (hl) {
		c->hasmin = 1;
		c->min = lo;
	}
	if (hh) {
		c->hasmax = 1;
		c->max = hi;
	}
	return 0;
}

/* Check a --state word. */
int
filter_check_state(const char *state, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(state, states[i]) == 0)
			return 0;
	snprintf(err, errlen, "bad --state \"%s\": expected running, "
	    "finished, failed or crashed", state);
	return -1;
}

/* Match on the attributes a run's journal header gives. */
int
filter_match_attrs(const struct filter *f, const struct filter_run *r)
{
	int ok = f->nalts == 0;

	for (size_t i = 0; i < f->nalts && !ok; i++) {
		const struct alt *a = &f->alts[i];

		ok = strset_has(&a->groups, r->group) &&
		    strset_has(&a->jobs, r->job_type) &&
		    (strset_has(&a->runs, r->id) ||
		    (r->name != NULL && strset_has(&a->runs, r->name)));
	}
	if (!ok || !strset_has(&f->states, r->state) ||
	    !strset_has(&f->projects, r->project))
		return 0;
	if (r->entity != NULL && !strset_has(&f->entities, r->entity))
		return 0;
	if (f->tags.n == 0)
		return 1;
	for (size_t i = 0; i < r->ntags; i++)
		if (strset_has(&f->tags, r->tags[i]))
			return 1;
	return 0;
}

int
filter_has_values(const struct filter *f)
{
	return f->nconfig > 0 || f->nsummary > 0;
}

/*
 * The leaf under t named by a dotted key.  Each dot may separate nesting
 * levels or belong to a key ("lr.decay" flat): every split is tried.
 */
const struct tree *
filter_lookup(const struct tree *t, const char *dotted)
{
	for (size_t i = 0; i < t->nkids; i++) {
		const struct tree	*k = t->kids[i];
		size_t			 len = strlen(k->name);
		const struct tree	*hit;

		if (strncmp(dotted, k->name, len) != 0)
			continue;
		if (dotted[len] == '\0' && k->leaf)
			return k;
		if (dotted[len] == '.' && !k->leaf &&
		    (hit = filter_lookup(k, dotted + len + 1)) != NULL)
			return hit;
	}
	return NULL;
}

/* Does a stored value equal a filter value? */
static int
value_equal(const struct wbs_value *v, const struct fval *f)
{
	switch (v->type) {
	case WBS_DOUBLE:
		return f->isnum && v->u.d == f->num;
	case WBS_INT:
		return f->isnum && (double)v->u.i == f->num;
	case WBS_BOOL:
		return f->isbool && !v->u.b == !f->b;
	case WBS_NULL:
		return f->isnull;
	case WBS_STRING:
	case WBS_JSON:
		return strlen(f->text) == v->u.s.len &&
		    memcmp(f->text, v->u.s.ptr, v->u.s.len) == 0;
	default:
		return 0;
	}
}

/* Does one tree satisfy one condition? */
static int
cond_holds(const struct cond *c, const struct tree *t)
{
	const struct tree	*leaf = filter_lookup(t, c->key);
	double			 d;

	if (leaf == NULL)
		return 0;
	if (c->kind == COND_VALUES) {
		for (size_t i = 0; i < c->nvals; i++)
			if (value_equal(&leaf->v, &c->vals[i]))
				return 1;
		return 0;
	}
	if (leaf->v.type == WBS_DOUBLE)
		d = leaf->v.u.d;
	else if (leaf->v.type == WBS_INT)
		d = (double)leaf->v.u.i;
	else
		return 0;
	if (isnan(d))
		return 0;
	return (!c->hasmin || d >= c->min) && (!c->hasmax || d <= c->max);
}

/* 1 if config and summary satisfy every condition. */
int
filter_match_values(const struct filter *f, struct tree *config,
    struct tree *summary)
{
	for (size_t i = 0; i < f->nconfig; i++)
		if (!cond_holds(&f->config[i], config))
			return 0;
	for (size_t i = 0; i < f->nsummary; i++)
		if (!cond_holds(&f->summary[i], summary))
			return 0;
	return 1;
}
