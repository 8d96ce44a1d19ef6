/*
 * scan.c - the first pass over a run: attributes, config, summary,
 * metadata, history keys and the number of rows, up to the journal's
 * last record at that moment (the second pass stops there too).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export-int.h"
#include "log.h"

void
xrun_free(struct xrun *r)
{
	if (r == NULL)
		return;
	free(r->dir);
	free(r->id);
	free(r->name);
	free(r->project);
	free(r->entity);
	free(r->group);
	free(r->job_type);
	free(r->notes);
	for (size_t i = 0; i < r->ntags; i++)
		free(r->tags[i]);
	free(r->tags);
	tree_free(r->config);
	tree_free(r->summary);
	tree_free(r->meta);
	free(r);
}

/* State word: running, finished, failed, crashed (no exit, no writer). */
static const char *
scan_state(const struct wbs_journal_stat *st)
{
	switch (st->state) {
	case WBS_STATE_FINISHED:
		return "finished";
	case WBS_STATE_FAILED:
		return "failed";
	default:
		return st->live ? "running" : "crashed";
	}
}

static void
meta_str(struct tree *t, const char *key, const char *s)
{
	struct wbs_value v;

	if (s == NULL)
		return;
	v.type = WBS_STRING;
	v.u.s.ptr = s;
	v.u.s.len = strlen(s);
	tree_set(t, key, &v);
}

/* A run's attributes from its journal header. */
static struct xrun *
scan_info(const char *dir, const struct wbs_run_info *ri,
    const struct wbs_journal_stat *st)
{
	struct xrun *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatalx("out of memory");
	r->dir = xstrdup(dir);
	r->id = xstrdup(ri->id);
	r->name = xstrdup(ri->name);
	r->project = xstrdup(ri->project);
	r->entity = xstrdup(ri->entity);
	r->group = xstrdup(ri->group);
	r->job_type = xstrdup(ri->job_type);
	r->notes = xstrdup(ri->notes);
	if (ri->ntags > 0 && (r->tags = calloc(ri->ntags,
	    sizeof(*r->tags))) == NULL)
		fatalx("out of memory");
	for (size_t i = 0; i < ri->ntags; i++)
		r->tags[r->ntags++] = xstrdup(ri->tags[i]);
	r->state = scan_state(st);
	r->live = st->live;
	r->created_us = st->created_us;
	r->updated_us = st->last_us;
	r->last_seq = st->last_seq;
	r->hwm_step = -1;
	r->config = tree_new();
	r->summary = tree_new();
	r->meta = tree_new();
	meta_str(r->meta, "host", ri->host);
	meta_str(r->meta, "program", ri->program);
	meta_str(r->meta, "git" WBS_SEP "remote", ri->git_remote);
	meta_str(r->meta, "git" WBS_SEP "commit", ri->git_commit);
	return r;
}

/* Apply a record to config, summary and metadata. */
static void
scan_hook(void *arg, const struct wbs_record *rec)
{
	struct xrun	*r = arg;
	struct tree	*t = NULL;

	switch (rec->type) {
	case WBS_REC_HISTORY:
	case WBS_REC_SUMMARY:
		t = r->summary;
		break;
	case WBS_REC_CONFIG:
		t = r->config;
		break;
	case WBS_REC_ENVIRONMENT:
		t = r->meta;
		break;
	case WBS_REC_EXIT:
		r->has_exit = 1;
		r->exit_code = rec->exit_code;
		r->runtime = (double)rec->runtime_ms / 1000.0;
		return;
	default:
		return;
	}
	for (size_t i = 0; i < rec->nitems; i++)
		tree_set(t, rec->items[i].key, &rec->items[i].v);
	for (size_t i = 0; i < rec->nkeys; i++)
		tree_remove(t, rec->keys[i]);
}

/* The filter's view of a run. */
static void
scan_fview(struct filter_run *fr, const struct xrun *r)
{
	memset(fr, 0, sizeof(*fr));
	fr->id = r->id;
	fr->name = r->name;
	fr->project = r->project;
	fr->entity = r->entity;
	fr->group = r->group;
	fr->job_type = r->job_type;
	fr->tags = (const char *const *)r->tags;
	fr->ntags = r->ntags;
	fr->state = r->state;
}

/* Read the history of r: rows, keys and summary. */
static int
scan_rows(struct export *x, struct wbs_journal *j, struct xrun *r)
{
	struct rows	 rs;
	const struct xrow *row;
	int		 rc;

	if (rows_open(&rs, j, r->last_seq, &x->ks, 0, x->err,
	    sizeof(x->err)) != 0)
		return -1;
	rs.hook = scan_hook;
	rs.arg = r;
	rs.run_serial = r->serial;
	while ((rc = rows_next(&rs, &row)) == 1)
		r->rows++;
	if (!r->has_exit)
		r->runtime = (double)(rs.sess_base + r->updated_us -
		    rs.sess_start) / 1e6;
	rows_close(&rs);
	return rc;
}

/*
 * First pass over the run at dir: 1 and *rp if the filters take it, 0 if
 * not (or, for PostgreSQL, if nothing changed since the last export), -1
 * on error.
 */
int
scan_run(struct export *x, const char *dir, struct xrun **rp)
{
	struct wbs_journal		*j;
	struct wbs_journal_stat		 st;
	const struct wbs_run_info	*ri;
	struct filter_run		 fr;
	struct xrun			*r = NULL;
	int				 unchanged = 0, rc = -1;

	if (wbs_journal_open(&j, dir, WBS_JOURNAL_RDONLY, x->err,
	    sizeof(x->err)) != 0)
		return -1;
	if (wbs_journal_stat(j, &st) != 0 || wbs_journal_info(j, &ri) != 0) {
		snprintf(x->err, sizeof(x->err), "%s", wbs_journal_errmsg(j));
		goto out;
	}
	r = scan_info(dir, ri, &st);
	r->serial = ++x->serial;
	scan_fview(&fr, r);
	rc = 0;
	if (!filter_match_attrs(x->o->filt, &fr))
		goto out;
	if (x->o->format == EXPORT_POSTGRES && (pg_precheck(x, r->project,
	    r->id, r->last_seq, r->state, &unchanged) != 0 || unchanged)) {
		rc = unchanged ? 0 : -1;
		goto out;
	}
	if (scan_rows(x, j, r) != 0) {
		rc = -1;
		goto out;
	}
	if (!filter_match_values(x->o->filt, r->config, r->summary))
		goto out;
	for (size_t i = 0; i < x->ks.n; i++)
		if (x->ks.cols[i]->seen == r->serial)
			x->ks.cols[i]->used = 1;
	*rp = r;
	r = NULL;
	rc = 1;
out:
	xrun_free(r);
	wbs_journal_close(j);
	return rc;
}
