/*
 * runview.c - reading a whole run for display.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "runview.h"

/* FNV-1a hash of a key. */
static size_t
series_hash(const char *key)
{
	uint64_t h = 14695981039346656037ULL;

	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return (size_t)h;
}

/* Rebuild the hash index at twice the size. */
static void
series_rehash(struct runview *rv)
{
	size_t n = rv->nslots ? rv->nslots * 2 : 64;

	free(rv->slots);
	if ((rv->slots = calloc(n, sizeof(*rv->slots))) == NULL)
		fatalx("out of memory");
	rv->nslots = n;
	for (size_t i = 0; i < rv->nseries; i++) {
		size_t h = series_hash(rv->series[i].key) & (n - 1);

		while (rv->slots[h] != 0)
			h = (h + 1) & (n - 1);
		rv->slots[h] = i + 1;
	}
}

/* The series of key, created on first use. */
static struct series *
series_get(struct runview *rv, const char *key)
{
	struct series	*s;
	size_t		 h;

	if (rv->nslots == 0 || (rv->nseries + 1) * 2 > rv->nslots)
		series_rehash(rv);
	h = series_hash(key) & (rv->nslots - 1);
	for (; rv->slots[h] != 0; h = (h + 1) & (rv->nslots - 1))
		if (strcmp(rv->series[rv->slots[h] - 1].key, key) == 0)
			return &rv->series[rv->slots[h] - 1];
	if (rv->nseries == rv->capseries) {
		rv->capseries = rv->capseries ? rv->capseries * 2 : 16;
		if ((rv->series = realloc(rv->series, rv->capseries *
		    sizeof(*rv->series))) == NULL)
			fatalx("out of memory");
	}
	s = &rv->series[rv->nseries++];
	rv->slots[h] = rv->nseries;
	memset(s, 0, sizeof(*s));
	if ((s->key = strdup(key)) == NULL)
		fatalx("out of memory");
	s->stride = 1;
	s->min = INFINITY;
	s->max = -INFINITY;
	return s;
}

/* Add a point, halving the kept points when full. */
static void
series_add(struct series *s, double d)
{
	if (!isnan(d)) {
		if (d < s->min)
			s->min = d;
		if (d > s->max)
			s->max = d;
	}
	s->last = d;
	if (s->seen++ % s->stride != 0)
		return;
	if (s->n == SERIES_POINTS) {
		for (size_t i = 0; i < SERIES_POINTS / 2; i++)
			s->v[i] = s->v[2 * i];
		s->n = SERIES_POINTS / 2;
		s->stride *= 2;
		if ((s->seen - 1) % s->stride != 0)
			return;
	}
	s->v[s->n++] = d;
}

/* Apply one record. */
static void
apply(struct runview *rv, const struct wbs_record *r)
{
	if (r->type > 0 && r->type < 16)
		rv->counts[r->type]++;
	switch (r->type) {
	case WBS_REC_HISTORY:
		if (rv->rows == 0 || r->step != rv->last_step)
			rv->rows++;
		rv->last_step = r->step;
		for (size_t i = 0; i < r->nitems; i++) {
			const struct wbs_item *it = &r->items[i];

			tree_set(rv->summary, it->key, &it->v);
			if (it->v.type == WBS_DOUBLE)
				series_add(series_get(rv, it->key), it->v.u.d);
			else if (it->v.type == WBS_INT)
				series_add(series_get(rv, it->key),
				    (double)it->v.u.i);
		}
		break;
	case WBS_REC_CONFIG:
	case WBS_REC_SUMMARY: {
		struct tree *t = r->type == WBS_REC_CONFIG ? rv->config :
		    rv->summary;

		for (size_t i = 0; i < r->nitems; i++)
			tree_set(t, r->items[i].key, &r->items[i].v);
		for (size_t i = 0; i < r->nkeys; i++)
			tree_remove(t, r->keys[i]);
		break;
	}
	case WBS_REC_EXIT:
		rv->has_exit = 1;
		rv->exit_code = r->exit_code;
		rv->runtime_ms = r->runtime_ms;
		break;
	}
}

/* Read the run at path (journal or run directory). */
int
runview_load(struct runview *rv, const char *path, char *err, size_t errlen)
{
	struct wbs_iter		*it;
	const struct wbs_record	*r;
	int			 rc;

	memset(rv, 0, sizeof(*rv));
	if ((rc = wbs_journal_open(&rv->j, path, WBS_JOURNAL_RDONLY, err,
	    errlen)) != 0)
		return rc;
	rv->config = tree_new();
	rv->summary = tree_new();
	if ((rc = wbs_journal_stat(rv->j, &rv->st)) != 0 ||
	    (rc = wbs_iter_open(&it, rv->j, 1)) != 0)
		goto fail;
	while ((rc = wbs_iter_next(it, &r)) == 1)
		apply(rv, r);
	wbs_iter_free(it);
	if (rc < 0)
		goto fail;
	/* Stat and iteration reuse the info storage: fetch it last. */
	if ((rc = wbs_journal_info(rv->j, &rv->info)) != 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "%s", wbs_journal_errmsg(rv->j));
	runview_release(rv);
	return rc;
}

void
runview_release(struct runview *rv)
{
	wbs_journal_close(rv->j);
	tree_free(rv->config);
	tree_free(rv->summary);
	for (size_t i = 0; i < rv->nseries; i++)
		free(rv->series[i].key);
	free(rv->series);
	free(rv->slots);
	memset(rv, 0, sizeof(*rv));
}

/* Unicode block sparkline; NaN points are blank. */
void
runview_sparkline(struct buf *b, const struct series *s)
{
	static const char *const bars[] = { "\u2581", "\u2582", "\u2583",
	    "\u2584", "\u2585", "\u2586", "\u2587", "\u2588" };
	double span = s->max - s->min;

	for (size_t i = 0; i < s->n; i++) {
		double	d = s->v[i];
		int	k;

		if (isnan(d)) {
			buf_addc(b, ' ');
			continue;
		}
		if (!isfinite(span) || span <= 0)
			k = isinf(d) && d > 0 ? 7 : (isinf(d) ? 0 : 3);
		else if (isinf(d))
			k = d > 0 ? 7 : 0;
		else
			k = (int)((d - s->min) / span * 7.0 + 0.5);
		if (k < 0)
			k = 0;
		if (k > 7)
			k = 7;
		buf_adds(b, bars[k]);
	}
}
