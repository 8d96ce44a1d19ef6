/*
 * rows.c - history rows from a journal, by the journal's row rule, with
 * their timestamps and run times; and evenly spaced samples of them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export-int.h"
#include "log.h"

#define TRIM_EVERY	65536	/* records between RSS trims */

int
rows_open(struct rows *rs, struct wbs_journal *j, uint64_t stop_seq,
    struct keyset *ks, int copy, char *err, size_t errlen)
{
	int rc;

	memset(rs, 0, sizeof(*rs));
	rs->j = j;
	rs->stop_seq = stop_seq;
	rs->ks = ks;
	rs->copy = copy;
	rs->need_sel = ks->nfields > 0;
	rs->err = err;
	rs->errlen = errlen;
	buf_init(&rs->a.arena);
	buf_init(&rs->b.arena);
	rs->cur = &rs->a;
	rs->done = &rs->b;
	if ((rc = wbs_iter_open(&rs->it, j, 1)) != 0) {
		snprintf(err, errlen, "%s", wbs_journal_errmsg(j));
		return -1;
	}
	return 0;
}

void
rows_close(struct rows *rs)
{
	wbs_iter_free(rs->it);
	free(rs->a.cells);
	free(rs->b.cells);
	buf_release(&rs->a.arena);
	buf_release(&rs->b.arena);
	free(rs->pos);
	free(rs->gen);
	memset(rs, 0, sizeof(*rs));
}

/* Make the per-column tables cover every column of the key set. */
static void
rows_grow(struct rows *rs)
{
	size_t n = rs->ks->n;

	if (n <= rs->ncols)
		return;
	if ((rs->pos = realloc(rs->pos, n * sizeof(*rs->pos))) == NULL ||
	    (rs->gen = realloc(rs->gen, n * sizeof(*rs->gen))) == NULL)
		fatalx("out of memory");
	memset(rs->gen + rs->ncols, 0, (n - rs->ncols) * sizeof(*rs->gen));
	rs->ncols = n;
}

/* Start an empty row in cur. */
static void
row_start(struct rows *rs, int64_t step)
{
	struct xrow *r = rs->cur;

	r->step = step;
	r->n = 0;
	r->has_ts = r->has_rt = 0;
	r->active = 1;
	r->open = 0;
	r->kept = !rs->need_sel;
	buf_reset(&r->arena);
	rs->serial++;
}

/* A numeric item value as a double. */
static int
item_num(const struct wbs_value *v, double *d)
{
	if (v->type == WBS_DOUBLE)
		*d = v->u.d;
	else if (v->type == WBS_INT)
		*d = (double)v->u.i;
	else
		return 0;
	return 1;
}

/* Put one item into the current row (a later value of a key wins). */
static void
row_item(struct rows *rs, const struct wbs_item *it)
{
	struct xrow	*r = rs->cur;
	struct xcol	*c;
	struct xcell	*cell;

	c = rs->copy ? keys_find(rs->ks, it->key) : keys_get(rs->ks, it->key);
	if (c == NULL)
		return;
	if (c->reserved == RES_TIMESTAMP && item_num(&it->v, &r->timestamp))
		r->has_ts = 1;
	else if (c->reserved == RES_RUNTIME && item_num(&it->v, &r->runtime))
		r->has_rt = 1;
	if (c->reserved != RES_NONE)
		return;
	if (c->sel)
		r->kept = 1;
	if (!rs->copy) {
		c->seen = rs->run_serial;
		return;
	}
	if (c->out < 0)
		return;
	rows_grow(rs);
	if (rs->gen[c->id] == rs->serial)
		cell = &r->cells[rs->pos[c->id]];
	else {
		if (r->n == r->cap) {
			r->cap = r->cap ? r->cap * 2 : 16;
			if ((r->cells = realloc(r->cells, r->cap *
			    sizeof(*r->cells))) == NULL)
				fatalx("out of memory");
		}
		rs->gen[c->id] = rs->serial;
		rs->pos[c->id] = r->n;
		cell = &r->cells[r->n++];
	}
	cell->col = c->id;
	cell->v = it->v;
	cell->off = 0;
	if (it->v.type >= WBS_STRING) {
		cell->off = r->arena.len;
		buf_add(&r->arena, it->v.u.s.ptr, it->v.u.s.len);
		buf_addc(&r->arena, '\0');
	}
}

/* Time and run time of the current row, from its last record. */
static void
row_time(struct rows *rs, int64_t time_us)
{
	struct xrow *r = rs->cur;

	r->time_us = time_us;
	if (!r->has_ts)
		r->timestamp = (double)time_us / 1e6;
	if (!r->has_rt)
		r->runtime = (double)(rs->sess_base + time_us -
		    rs->sess_start) / 1e6;
}

/* End the current row: swap it into done; 1 if the caller gets it. */
static int
row_end(struct rows *rs, int open)
{
	struct xrow *r = rs->cur;

	r->active = 0;
	r->open = open;
	rs->cur = rs->done;
	rs->done = r;
	if (!r->kept)
		return 0;
	r->index = rs->kept++;
	return 1;
}

/* Apply one history record; 1 if a row was completed into done. */
static int
rows_history(struct rows *rs, const struct wbs_record *rec)
{
	int ready = 0;

	if (rs->cur->active && rec->step != rs->cur->step)
		ready = row_end(rs, 0);
	if (!rs->cur->active)
		row_start(rs, rec->step);
	if (!rs->copy)
		rows_grow(rs);
	for (size_t i = 0; i < rec->nitems; i++)
		row_item(rs, &rec->items[i]);
	/* _timestamp and _runtime items may come in any record of a row. */
	row_time(rs, rec->time_us);
	if (rec->flags & WBS_LOG_COMMIT) {
		/* Two rows at once: the earlier one goes first. */
		if (ready)
			return -2;
		ready = row_end(rs, 0);
	}
	return ready;
}

/* The next kept row (see export-int.h). */
int
rows_next(struct rows *rs, const struct xrow **rowp)
{
	const struct wbs_record	*rec;
	int			 rc;

	for (;;) {
		if (rs->pending) {
			/* A committing record ended a row right after one
			 * that its different step had ended. */
			rs->pending = 0;
			if (row_end(rs, 0)) {
				*rowp = rs->done;
				return 1;
			}
		}
		if (rs->eof)
			return 0;
		rc = wbs_iter_next(rs->it, &rec);
		if (rc < 0) {
			snprintf(rs->err, rs->errlen, "%s",
			    wbs_journal_errmsg(rs->j));
			return -1;
		}
		if (rc == 0 || rec->seq > rs->stop_seq) {
			rs->eof = 1;
			if (rs->cur->active && row_end(rs, 1)) {
				*rowp = rs->done;
				return 1;
			}
			return 0;
		}
		if (++rs->nrec % TRIM_EVERY == 0)
			rss_trim(wbs_journal_path(rs->j));
		if (rs->hook != NULL)
			rs->hook(rs->arg, rec);
		if (rec->type == WBS_REC_RUN && rec->run != NULL) {
			rs->sess_start = rec->run->start_us;
			rs->sess_base = rec->run->runtime_base_us;
			continue;
		}
		if (rec->type != WBS_REC_HISTORY)
			continue;
		if ((rc = rows_history(rs, rec)) == 0)
			continue;
		if (rc == -2)
			rs->pending = 1;
		*rowp = rs->done;
		return 1;
	}
}

/* Sample plan for a run of total kept rows. */
void
sampler_init(struct sampler *s, uint64_t total, uint64_t want)
{
	memset(s, 0, sizeof(*s));
	s->total = total;
	s->want = want == 0 || want >= total ? 0 : want;
}

/* Number of rows a run of total rows gives. */
uint64_t
sampler_count(uint64_t total, uint64_t want)
{
	return want == 0 || want >= total ? total : want;
}

/*
 * 1 if the row of this index is a sample: sample i is row
 * round(i * (total - 1) / (want - 1)), so the first and last rows are
 * always taken and want >= 2 rows are distinct.
 */
int
sampler_take(struct sampler *s, uint64_t index)
{
	uint64_t span, n;

	if (s->want == 0)
		return 1;
	if (s->i >= s->want)
		return 0;
	span = s->total - 1;
	n = s->want - 1;
	if (n == 0)
		s->next = 0;
	else
		s->next = (uint64_t)(((unsigned __int128)s->i * span + n / 2) /
		    n);
	if (index != s->next)
		return 0;
	s->i++;
	return 1;
}
