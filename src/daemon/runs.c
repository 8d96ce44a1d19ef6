/*
 * runs.c - the daemon's table of runs: found by path through a hash,
 * listed in the order found.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"

/* FNV-1a of a path. */
static size_t
drun_hash(const char *s)
{
	size_t h = 14695981039346656037ULL;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

/* Grow the hash to twice the runs; rehash. */
static void
drun_rehash(struct daemon *d)
{
	size_t n = d->hashsize ? d->hashsize * 2 : 256;

	free(d->byname);
	if ((d->byname = calloc(n, sizeof(*d->byname))) == NULL)
		fatalx("out of memory");
	d->hashsize = n;
	for (size_t i = 0; i < d->nruns; i++) {
		size_t h = drun_hash(d->runs[i]->path) & (n - 1);

		while (d->byname[h] != NULL)
			h = (h + 1) & (n - 1);
		d->byname[h] = d->runs[i];
	}
}

/* The run whose journal is path, or NULL. */
struct drun *
drun_find(struct daemon *d, const char *path)
{
	size_t h;

	if (d->hashsize == 0)
		return NULL;
	for (h = drun_hash(path) & (d->hashsize - 1); d->byname[h] != NULL;
	    h = (h + 1) & (d->hashsize - 1))
		if (strcmp(d->byname[h]->path, path) == 0)
			return d->byname[h];
	return NULL;
}

/* Add the run whose journal is at journal (new: dirty); the run. */
struct drun *
drun_add(struct daemon *d, struct droot *root, const char *journal)
{
	struct drun	*r;

	if ((r = drun_find(d, journal)) != NULL)
		return r;
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->path = strdup(journal)) == NULL)
		fatalx("out of memory");
	r->root = root;
	r->wd = -1;
	r->dirty = 1;
	r->exit_code = -1;
	r->bell_ns = -1;
	r->data_size = -1;
	if ((d->runs = realloc(d->runs, (d->nruns + 1) *
	    sizeof(*d->runs))) == NULL)
		fatalx("out of memory");
	d->runs[d->nruns++] = r;
	if (d->nruns * 2 > d->hashsize)
		drun_rehash(d);
	else {
		size_t h = drun_hash(r->path) & (d->hashsize - 1);

		while (d->byname[h] != NULL)
			h = (h + 1) & (d->hashsize - 1);
		d->byname[h] = r;
	}
	log_debug("%s: found", journal);
	worker_kick(d);
	return r;
}

/* Forget a run (not while it is in a pass). */
void
drun_remove(struct daemon *d, struct drun *r)
{
	size_t i;

	for (i = 0; i < d->nruns && d->runs[i] != r; i++)
		;
	if (i == d->nruns)
		return;
	/* Its watch must not point at it any more. */
	if (r->wd >= 0 && (size_t)r->wd < d->nwatches &&
	    d->watches[r->wd] != NULL && d->watches[r->wd]->run == r)
		d->watches[r->wd]->run = NULL;
	memmove(d->runs + i, d->runs + i + 1, (d->nruns - i - 1) *
	    sizeof(*d->runs));
	d->nruns--;
	d->hashsize /= 2;
	drun_rehash(d);
	free(r->path);
	free(r->id);
	free(r);
}

/* Something changed in the run: sync it soon. */
void
drun_touch(struct daemon *d, struct drun *r)
{
	r->dirty = 1;
	r->dead_since = 0;
	worker_kick(d);
}

/* Forget every run (at the end). */
void
drun_free_all(struct daemon *d)
{
	for (size_t i = 0; i < d->nruns; i++) {
		free(d->runs[i]->path);
		free(d->runs[i]->id);
		free(d->runs[i]);
	}
	free(d->runs);
	free(d->byname);
	d->runs = NULL;
	d->byname = NULL;
	d->nruns = d->hashsize = 0;
}
