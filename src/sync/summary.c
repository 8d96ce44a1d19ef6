/*
 * summary.c - summary values and metric definitions (see summary.h).
 */
#include "config.h"

#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "esc.h"
#include "log.h"
#include "summary.h"

/* Modes that turn the summary value into an object. */
#define AGG_MODES	(WBS_SUMMARY_MIN | WBS_SUMMARY_MAX | WBS_SUMMARY_MEAN | \
			 WBS_SUMMARY_BEST | WBS_SUMMARY_LAST | WBS_SUMMARY_FIRST)

static uint64_t
hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

void
summ_init(struct summ *s)
{
	memset(s, 0, sizeof(*s));
}

/* Drop an owned string value. */
static void
value_free(struct wbs_value *v)
{
	if (v->type >= WBS_STRING)
		free((char *)v->u.s.ptr);
	v->type = WBS_NULL;
}

/* Copy v into dst (strings duplicated). */
static void
value_copy(struct wbs_value *dst, const struct wbs_value *v)
{
	char *p;

	if (dst->type >= WBS_STRING && v->type >= WBS_STRING &&
	    dst->u.s.len == v->u.s.len &&
	    memcmp(dst->u.s.ptr, v->u.s.ptr, v->u.s.len) == 0 &&
	    dst->type == v->type)
		return;
	value_free(dst);
	*dst = *v;
	if (v->type >= WBS_STRING) {
		p = xrealloc(NULL, v->u.s.len + 1);
		memcpy(p, v->u.s.ptr, v->u.s.len);
		p[v->u.s.len] = '\0';
		dst->u.s.ptr = p;
	}
}

void
summ_release(struct summ *s)
{
	for (size_t i = 0; i < s->n; i++) {
		value_free(&s->e[i]->v);
		free(s->e[i]->key);
		free(s->e[i]);
	}
	free(s->e);
	free(s->slots);
	for (size_t i = 0; i < s->nm; i++) {
		free(s->m[i].name);
		free(s->m[i].glob);
		free(s->m[i].step_metric);
	}
	free(s->m);
	memset(s, 0, sizeof(*s));
}

/* Rebuild the hash table with n slots. */
static void
rehash(struct summ *s, size_t n)
{
	free(s->slots);
	s->slots = xrealloc(NULL, n * sizeof(*s->slots));
	memset(s->slots, 0, n * sizeof(*s->slots));
	s->nslots = n;
	for (size_t i = 0; i < s->n; i++) {
		size_t j = hash(s->e[i]->key) & (n - 1);

		while (s->slots[j] != 0)
			j = (j + 1) & (n - 1);
		s->slots[j] = i + 1;
	}
}

/* The entry of key (see summary.h). */
struct summ_entry *
summ_slot(struct summ *s, const char *key)
{
	struct summ_entry	*e;
	size_t			 j;

	if (s->nslots > 0) {
		for (j = hash(key) & (s->nslots - 1); s->slots[j] != 0;
		    j = (j + 1) & (s->nslots - 1))
			if (strcmp(s->e[s->slots[j] - 1]->key, key) == 0)
				return s->e[s->slots[j] - 1];
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 32;
		s->e = xrealloc(s->e, s->cap * sizeof(*s->e));
	}
	e = xrealloc(NULL, sizeof(*e));
	memset(e, 0, sizeof(*e));
	e->key = xstrdup(key);
	s->e[s->n++] = e;
	if (strchr(key, WBS_SEP_CHAR) != NULL)
		s->nested++;
	if (s->n * 2 > s->nslots)
		rehash(s, s->nslots ? s->nslots * 2 : 64);
	else {
		for (j = hash(key) & (s->nslots - 1); s->slots[j] != 0;
		    j = (j + 1) & (s->nslots - 1))
			;
		s->slots[j] = s->n;
	}
	return e;
}

/* 1 if a is a component prefix of b ("a" of "a<SEP>b"). */
static int
path_prefix(const char *a, const char *b)
{
	size_t n = strlen(a);

	return strncmp(a, b, n) == 0 && b[n] == WBS_SEP_CHAR;
}

/* e becomes present: values above or below its path go away. */
static void
make_present(struct summ *s, struct summ_entry *e)
{
	if (e->present)
		return;
	e->present = 1;
	if (s->nested == 0)
		return;
	for (size_t i = 0; i < s->n; i++) {
		struct summ_entry *o = s->e[i];

		if (o != e && o->present && (path_prefix(o->key, e->key) ||
		    path_prefix(e->key, o->key)))
			o->present = 0;
	}
}

/* A history value (see summary.h). */
void
summ_hist(struct summ *s, struct summ_entry *e, const struct summ_metric *m,
    const struct wbs_value *v)
{
	double d;

	value_copy(&e->v, v);
	e->explicit = 0;
	s->dirty = 1;
	if (m != NULL && (m->summary & WBS_SUMMARY_NONE) &&
	    !(m->summary & (AGG_MODES | WBS_SUMMARY_COPY))) {
		e->present = 0;
		return;
	}
	make_present(s, e);
	if (m == NULL || !(m->summary & AGG_MODES)) {
		e->mask = 0;
		return;
	}
	if (e->mask != (m->summary & AGG_MODES) || e->goal != m->goal) {
		e->mask = m->summary & AGG_MODES;
		e->goal = m->goal;
		e->n = e->nn = 0;
		e->sum = 0;
	}
	if (v->type == WBS_DOUBLE)
		d = v->u.d;
	else if (v->type == WBS_INT)
		d = (double)v->u.i;
	else if (v->type == WBS_BOOL)
		d = v->u.b;
	else
		return;
	if (e->n == 0) {
		e->first = d;
		e->min = e->max = d;
	}
	if (!isnan(d)) {
		if (d < e->min || isnan(e->min))
			e->min = d;
		if (d > e->max || isnan(e->max))
			e->max = d;
		e->sum += d;
		e->nn++;
	}
	e->last = d;
	e->n++;
}

/* An explicit value (see summary.h). */
void
summ_set(struct summ *s, const char *key, const struct wbs_value *v)
{
	struct summ_entry *e = summ_slot(s, key);

	value_copy(&e->v, v);
	e->explicit = 1;
	make_present(s, e);
	s->dirty = 1;
}

/* Remove key and everything below it. */
void
summ_remove(struct summ *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++) {
		struct summ_entry *e = s->e[i];

		if (e->present && (strcmp(e->key, key) == 0 ||
		    path_prefix(key, e->key))) {
			e->present = 0;
			s->dirty = 1;
		}
	}
}

/* Append a metric definition. */
static size_t
metric_add(struct summ *s, const struct summ_metric *m)
{
	if (s->nm == s->mcap) {
		s->mcap = s->mcap ? s->mcap * 2 : 8;
		s->m = xrealloc(s->m, s->mcap * sizeof(*s->m));
	}
	s->m[s->nm] = *m;
	s->m[s->nm].name = xstrdup(m->name);
	s->m[s->nm].glob = xstrdup(m->glob);
	s->m[s->nm].step_metric = xstrdup(m->step_metric);
	s->mdirty = 1;
	return s->nm++;
}

/* Index of the exact metric called name, or -1. */
static long
metric_find(const struct summ *s, const char *name)
{
	for (size_t i = s->nm; i > 0; i--)
		if (s->m[i - 1].name != NULL &&
		    strcmp(s->m[i - 1].name, name) == 0)
			return (long)(i - 1);
	return -1;
}

/* Add a define_metric (see summary.h). */
size_t
summ_define(struct summ *s, const struct wbs_metric *wm)
{
	struct summ_metric	m;
	size_t			idx;

	memset(&m, 0, sizeof(m));
	m.name = (char *)wm->name;
	m.glob = (char *)wm->glob;
	m.step_metric = (char *)wm->step_metric;
	m.summary = wm->summary;
	m.goal = wm->goal;
	m.flags = wm->flags;
	idx = metric_add(s, &m);
	s->gen++;
	/* The x axis is a metric of its own in the list. */
	if (wm->step_metric != NULL && metric_find(s, wm->step_metric) < 0) {
		memset(&m, 0, sizeof(m));
		m.name = (char *)wm->step_metric;
		m.expanded = 1;
		(void)metric_add(s, &m);
	}
	return idx;
}

/* The metric covering key (see summary.h). */
long
summ_metric_for(struct summ *s, const char *key)
{
	char			 dotted[WBS_KEY_MAX + 1];
	const char		*k = key;
	long			 i;
	struct summ_metric	 m;

	if (s->nm == 0)
		return -1;
	if (strchr(key, WBS_SEP_CHAR) != NULL) {
		snprintf(dotted, sizeof(dotted), "%s", key);
		for (char *p = dotted; *p; p++)
			if (*p == WBS_SEP_CHAR)
				*p = '.';
		k = dotted;
	}
	if ((i = metric_find(s, k)) >= 0)
		return i;
	for (size_t j = s->nm; j > 0; j--) {
		const struct summ_metric *g = &s->m[j - 1];

		if (g->glob == NULL || fnmatch(g->glob, k, 0) != 0)
			continue;
		/* Keep the expansion: W&B's offline logs lose it. */
		m = *g;
		m.name = (char *)k;
		m.glob = NULL;
		m.expanded = 1;
		return (long)metric_add(s, &m);
	}
	return -1;
}

static int
kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct summ_kv *)a)->key,
	    ((const struct summ_kv *)b)->key);
}

/* The summary value of an entry. */
static void
entry_json(struct buf *b, const struct summ_entry *e)
{
	static const struct {
		unsigned	 bit;
		const char	*name;
	} modes[] = {
		{ WBS_SUMMARY_FIRST, "first" }, { WBS_SUMMARY_LAST, "last" },
		{ WBS_SUMMARY_MIN, "min" }, { WBS_SUMMARY_MAX, "max" },
		{ WBS_SUMMARY_MEAN, "mean" }, { WBS_SUMMARY_BEST, "best" },
	};
	int first = 1;

	if (e->explicit || e->mask == 0 || e->n == 0) {
		esc_value(b, &e->v);
		return;
	}
	buf_addc(b, '{');
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		double d;

		if (!(e->mask & modes[i].bit))
			continue;
		switch (modes[i].bit) {
		case WBS_SUMMARY_FIRST:
			d = e->first;
			break;
		case WBS_SUMMARY_LAST:
			d = e->last;
			break;
		case WBS_SUMMARY_MIN:
			d = e->min;
			break;
		case WBS_SUMMARY_MAX:
			d = e->max;
			break;
		case WBS_SUMMARY_MEAN:
			d = e->nn ? e->sum / (double)e->nn : NAN;
			break;
		default:
			d = e->goal == WBS_GOAL_MAXIMIZE ? e->max : e->min;
			break;
		}
		if (!first)
			buf_addc(b, ',');
		first = 0;
		buf_printf(b, "\"%s\":", modes[i].name);
		esc_double(b, d);
	}
	buf_addc(b, '}');
}

/* Members of a nested object from sorted pairs; off: prefix length. */
static void
members(struct buf *b, struct summ_kv *kv, size_t n, size_t off, int *first)
{
	size_t i = 0;

	while (i < n) {
		const char	*c = kv[i].key + off;
		size_t		 clen = strcspn(c, WBS_SEP), j = i + 1, leaf;
		int		 sub = 0;

		while (j < n && strncmp(kv[j].key + off, c, clen) == 0 &&
		    (kv[j].key[off + clen] == '\0' ||
		    kv[j].key[off + clen] == WBS_SEP_CHAR))
			j++;
		leaf = i;
		for (size_t k = i; k < j; k++)
			if (kv[k].key[off + clen] == WBS_SEP_CHAR)
				sub = 1;
		if (!*first)
			buf_addc(b, ',');
		*first = 0;
		esc_str(b, c, clen);
		buf_addc(b, ':');
		if (sub) {
			int	f = 1;
			size_t	k = i;

			/* A leaf beside a subtree of the same name loses. */
			while (k < j && kv[k].key[off + clen] == '\0')
				k++;
			buf_addc(b, '{');
			members(b, kv + k, j - k, off + clen + 1, &f);
			buf_addc(b, '}');
		} else
			entry_json(b, kv[leaf].e);
		i = j;
	}
}

/* Sorted nested JSON object (see summary.h). */
void
summ_nested_json(struct buf *b, struct summ_kv *kv, size_t n)
{
	int first = 1;

	if (n > 1)
		qsort(kv, n, sizeof(*kv), kv_cmp);
	buf_addc(b, '{');
	members(b, kv, n, 0, &first);
	buf_addc(b, '}');
}

/* 1 if the sorted pairs have the top-level component name. */
static int
has_top(const struct summ_kv *kv, size_t n, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < n; i++)
		if (strncmp(kv[i].key, name, len) == 0 &&
		    (kv[i].key[len] == '\0' || kv[i].key[len] == WBS_SEP_CHAR))
			return 1;
	return 0;
}

/* The summary line (see summary.h). */
void
summ_json(struct summ *s, struct buf *b, const char *base, int64_t runtime_s)
{
	struct summ_kv	*kv = xrealloc(NULL, (s->n + 1) * sizeof(*kv));
	size_t		 n = 0;
	int		 first = 1;

	for (size_t i = 0; i < s->n; i++)
		if (s->e[i]->present) {
			kv[n].key = s->e[i]->key;
			kv[n].e = s->e[i];
			n++;
		}
	if (n > 1)
		qsort(kv, n, sizeof(*kv), kv_cmp);
	buf_addc(b, '{');
	members(b, kv, n, 0, &first);
	if (base != NULL) {
		json_error_t	 err;
		json_t		*o = json_loads(base, JSON_DECODE_ANY, &err);
		const char	*k;
		json_t		*v;

		if (o != NULL && json_is_object(o))
			json_object_foreach(o, k, v) {
				char *txt;

				if (has_top(kv, n, k) || (strcmp(k, "_wandb") == 0))
					continue;
				if ((txt = json_dumps(v, JSON_ENCODE_ANY |
				    JSON_COMPACT)) == NULL)
					continue;
				if (!first)
					buf_addc(b, ',');
				first = 0;
				esc_str(b, k, strlen(k));
				buf_addc(b, ':');
				buf_adds(b, txt);
				free(txt);
			}
		json_decref(o);
	}
	if (!has_top(kv, n, "_wandb")) {
		if (!first)
			buf_addc(b, ',');
		buf_printf(b, "\"_wandb\":{\"runtime\":%lld}", (long long)runtime_s);
	}
	buf_addc(b, '}');
	free(kv);
	s->dirty = 0;
}

/* W&B's numbering of summary modes in _wandb.m. */
static void
modes_list(struct buf *b, unsigned mask)
{
	static const struct {
		unsigned	bit;
		int		num;
	} map[] = {
		{ WBS_SUMMARY_MIN, 1 }, { WBS_SUMMARY_MAX, 2 },
		{ WBS_SUMMARY_MEAN, 3 }, { WBS_SUMMARY_BEST, 4 },
		{ WBS_SUMMARY_LAST, 5 }, { WBS_SUMMARY_NONE, 6 },
		{ WBS_SUMMARY_COPY, 7 }, { WBS_SUMMARY_FIRST, 8 },
	};
	int first = 1;

	buf_adds(b, "\"7\":[");
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (mask & map[i].bit) {
			buf_printf(b, "%s%d", first ? "" : ",", map[i].num);
			first = 0;
		}
	buf_addc(b, ']');
}

/* The _wandb.m list (see summary.h). */
void
summ_metrics_json(const struct summ *s, struct buf *b)
{
	buf_addc(b, '[');
	for (size_t i = 0; i < s->nm; i++) {
		const struct summ_metric *m = &s->m[i];

		if (i > 0)
			buf_addc(b, ',');
		if (m->name != NULL) {
			buf_adds(b, "{\"1\":");
			esc_str(b, m->name, strlen(m->name));
		} else {
			buf_adds(b, "{\"2\":");
			esc_str(b, m->glob, strlen(m->glob));
		}
		if (m->step_metric != NULL) {
			long j = metric_find(s, m->step_metric);

			if (j >= 0)
				buf_printf(b, ",\"5\":%ld", j + 1);
			else {
				buf_adds(b, ",\"4\":");
				esc_str(b, m->step_metric,
				    strlen(m->step_metric));
			}
		}
		buf_adds(b, ",\"6\":[");
		if (m->flags & WBS_METRIC_STEP_SYNC)
			buf_adds(b, "1,");
		if (m->flags & WBS_METRIC_HIDDEN)
			buf_adds(b, "2,");
		buf_adds(b, "3]");
		if (m->summary != 0) {
			buf_addc(b, ',');
			modes_list(b, m->summary);
		}
		if (m->goal != WBS_GOAL_UNSET)
			buf_printf(b, ",\"8\":%d", m->goal);
		buf_addc(b, '}');
	}
	buf_addc(b, ']');
}
