/*
 * wire.c - journal records to file-stream lines, summary and config.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "esc.h"
#include "log.h"
#include "wire.h"

enum { K_PLAIN = 0, K_STEP, K_RUNTIME, K_TIMESTAMP };

struct wire_key {
	char			*name;
	size_t			 len;
	char			*esc2;		/* \"name\": */
	size_t			 esc2len;
	int			 nested;
	int			 special;
	struct summ_entry	*sum;
	long			 metric;
	unsigned		 mgen;
	uint64_t		 rgen;		/* row that used it last */
	size_t			 ridx;
	uint64_t		 hash;
};

struct wire_row_item {
	struct wire_key		*k;
	struct wbs_value	 v;
	size_t			 soff;	/* string in rowstr, or SIZE_MAX */
};

/* Replace an owned string if it changed; 1 if it did. */
static int
set_str(char **dst, const char *v)
{
	if (v != NULL && *v == '\0')
		v = NULL;
	if ((*dst == NULL && v == NULL) ||
	    (*dst != NULL && v != NULL && strcmp(*dst, v) == 0))
		return 0;
	free(*dst);
	*dst = xstrdup(v);
	return 1;
}

void
wire_init(struct wire *w)
{
	memset(w, 0, sizeof(*w));
	cons_init(&w->cons);
	summ_init(&w->summ);
	w->config = tree_new();
	w->env = tree_new();
	buf_init(&w->hist);
	buf_init(&w->ev);
	buf_init(&w->con);
	buf_init(&w->tmp);
	buf_init(&w->rowstr);
	w->next_seq = 1;
}

static void
free_tags(struct wire *w)
{
	for (size_t i = 0; i < w->ntags; i++)
		free(w->tags[i]);
	free(w->tags);
	w->tags = NULL;
	w->ntags = 0;
}

void
wire_release(struct wire *w)
{
	for (size_t i = 0; i < w->nkeys; i++) {
		free(w->keys[i]->name);
		free(w->keys[i]->esc2);
		free(w->keys[i]);
	}
	free(w->keys);
	free(w->kslots);
	free(w->row);
	buf_release(&w->rowstr);
	cons_release(&w->cons);
	summ_release(&w->summ);
	tree_free(w->config);
	tree_free(w->env);
	buf_release(&w->hist);
	buf_release(&w->ev);
	buf_release(&w->con);
	buf_release(&w->tmp);
	free(w->name);
	free(w->notes);
	free(w->group);
	free(w->job_type);
	free(w->host);
	free(w->program);
	free(w->git_remote);
	free(w->git_commit);
	free(w->branch_run);
	free_tags(w);
	memset(w, 0, sizeof(*w));
}

/* ------------------------------------------------------------------ */
/* Keys */

static uint64_t
key_hash(const char *s, size_t *lenp)
{
	uint64_t	h = 0xcbf29ce484222325ull;
	size_t		n = 0;

	for (; s[n] != '\0'; n++) {
		h ^= (unsigned char)s[n];
		h *= 0x100000001b3ull;
	}
	*lenp = n;
	return h;
}

static void
key_rehash(struct wire *w, size_t n)
{
	free(w->kslots);
	w->kslots = xrealloc(NULL, n * sizeof(*w->kslots));
	memset(w->kslots, 0, n * sizeof(*w->kslots));
	w->nkslots = n;
	for (size_t i = 0; i < w->nkeys; i++) {
		size_t j = w->keys[i]->hash & (n - 1);

		while (w->kslots[j] != 0)
			j = (j + 1) & (n - 1);
		w->kslots[j] = i + 1;
	}
}

/* The cached facts about a key, created on first sight. */
static struct wire_key *
key_get(struct wire *w, const char *name)
{
	struct wire_key	*k;
	size_t		 len, j;
	uint64_t	 h = key_hash(name, &len);
	struct buf	 b;

	if (w->nkslots > 0)
		for (j = h & (w->nkslots - 1); w->kslots[j] != 0;
		    j = (j + 1) & (w->nkslots - 1)) {
			k = w->keys[w->kslots[j] - 1];
			if (k->hash == h && k->len == len &&
			    memcmp(k->name, name, len) == 0)
				return k;
		}
	k = xrealloc(NULL, sizeof(*k));
	memset(k, 0, sizeof(*k));
	k->name = xstrdup(name);
	k->len = len;
	k->hash = h;
	k->nested = memchr(name, WBS_SEP_CHAR, len) != NULL;
	if (strcmp(name, "_step") == 0)
		k->special = K_STEP;
	else if (strcmp(name, "_runtime") == 0)
		k->special = K_RUNTIME;
	else if (strcmp(name, "_timestamp") == 0)
		k->special = K_TIMESTAMP;
	buf_init(&b);
	esc_str2(&b, name, len);
	buf_addc(&b, ':');
	k->esc2 = b.p;
	k->esc2len = b.len;
	k->sum = summ_slot(&w->summ, name);
	k->metric = -1;
	k->mgen = w->summ.gen - 1;
	if (w->nkeys == w->keycap) {
		w->keycap = w->keycap ? w->keycap * 2 : 64;
		w->keys = xrealloc(w->keys, w->keycap * sizeof(*w->keys));
	}
	w->keys[w->nkeys++] = k;
	if (w->nkeys * 2 > w->nkslots)
		key_rehash(w, w->nkslots ? w->nkslots * 2 : 128);
	else {
		for (j = h & (w->nkslots - 1); w->kslots[j] != 0;
		    j = (j + 1) & (w->nkslots - 1))
			;
		w->kslots[j] = w->nkeys;
	}
	return k;
}

/* The metric covering k, or NULL. */
static const struct summ_metric *
key_metric(struct wire *w, struct wire_key *k)
{
	if (w->summ.nm == 0)
		return NULL;
	if (k->mgen != w->summ.gen) {
		k->metric = summ_metric_for(&w->summ, k->name);
		k->mgen = w->summ.gen;
		if (w->summ.mdirty)
			w->config_dirty = 1;
	}
	return k->metric >= 0 ? &w->summ.m[k->metric] : NULL;
}

/* ------------------------------------------------------------------ */
/* Offsets */

int64_t
wire_hist_next(const struct wire *w)
{
	return w->hist_base + ((int64_t)w->rows - w->hist_base_row);
}

int64_t
wire_events_next(const struct wire *w)
{
	return w->events_base + (int64_t)w->events;
}

int64_t
wire_console_next(const struct wire *w)
{
	return w->console_base + (int64_t)w->cons.index;
}

uint64_t
wire_done_seq(const struct wire *w)
{
	return w->row_open ? w->row_seq : w->next_seq;
}

/* Run time at wall time t, in microseconds. */
static int64_t
runtime_at(const struct wire *w, int64_t t)
{
	int64_t start = w->nsess ? w->sess.start_us : w->created_us;

	return w->runtime_shift_us + w->sess.runtime_base_us + (t - start);
}

int64_t
wire_runtime_s(const struct wire *w)
{
	if (w->exit_seen)
		return w->runtime_shift_us / 1000000 +
		    w->exit_runtime_ms / 1000;
	return runtime_at(w, w->last_us) / 1000000;
}

/* ------------------------------------------------------------------ */
/* History rows */

static int
item_cmp(const void *a, const void *b)
{
	return strcmp(((const struct wire_row_item *)a)->k->name,
	    ((const struct wire_row_item *)b)->k->name);
}

/* Members of a nested row object, twice escaped (sorted items). */
static void
row_members(struct buf *b, struct wire_row_item *it, size_t n, size_t off,
    int *first)
{
	size_t i = 0;

	while (i < n) {
		const char	*c = it[i].k->name + off;
		size_t		 clen = strcspn(c, WBS_SEP), j = i + 1, k;
		int		 sub = 0;

		while (j < n && strncmp(it[j].k->name + off, c, clen) == 0 &&
		    (it[j].k->name[off + clen] == '\0' ||
		    it[j].k->name[off + clen] == WBS_SEP_CHAR))
			j++;
		for (k = i; k < j; k++)
			if (it[k].k->name[off + clen] == WBS_SEP_CHAR)
				sub = 1;
		if (!*first)
			buf_addc(b, ',');
		*first = 0;
		esc_str2(b, c, clen);
		buf_addc(b, ':');
		if (sub) {
			int f = 1;

			for (k = i; k < j && it[k].k->name[off + clen] == '\0';)
				k++;
			buf_addc(b, '{');
			row_members(b, it + k, j - k, off + clen + 1, &f);
			buf_addc(b, '}');
		} else
			esc_value2(b, &it[j - 1].v);
		i = j;
	}
}

/* Append one history line for the row to w->hist. */
static void
row_line(struct wire *w, struct wire_row_item *it, size_t n, int nested,
    int64_t step, double runtime, double ts, int own_rt, int own_ts)
{
	struct buf	*b = &w->hist;
	size_t		 start = b->len;
	int		 first = 1;

	if (w->nhist > 0)
		buf_addc(b, ',');
	else
		w->hist_first = wire_hist_next(w);
	buf_add(b, "\"{", 2);
	if (nested) {
		if (n > 1)
			qsort(it, n, sizeof(*it), item_cmp);
		row_members(b, it, n, 0, &first);
	} else
		for (size_t i = 0; i < n; i++) {
			if (it[i].k->special == K_STEP)
				continue;
			if (!first)
				buf_addc(b, ',');
			first = 0;
			buf_add(b, it[i].k->esc2, it[i].k->esc2len);
			esc_value2(b, &it[i].v);
		}
	buf_adds(b, first ? "\\\"_step\\\":" : ",\\\"_step\\\":");
	esc_int(b, step);
	if (!own_rt) {
		buf_adds(b, ",\\\"_runtime\\\":");
		esc_double(b, runtime);
	}
	if (!own_ts) {
		buf_adds(b, ",\\\"_timestamp\\\":");
		esc_double(b, ts);
	}
	buf_add(b, "}\"", 2);
	if (b->len - start > WIRE_LINE_MAX) {
		log_warnx("history row at step %lld is %zu bytes, over the "
		    "%d-byte line limit: dropped", (long long)step,
		    b->len - start, WIRE_LINE_MAX);
		b->len = start;
		w->dropped++;
		return;
	}
	w->nhist++;
}

/* The row is complete: summary, and a line when emitting. */
static void
row_emit(struct wire *w, struct wire_row_item *it, size_t n, int64_t step,
    int64_t time_us)
{
	int		own_rt = 0, own_ts = 0, nested = 0;
	int64_t		sstep = step + w->step_shift;
	double		rt = (double)runtime_at(w, time_us) / 1e6;
	double		ts = (double)time_us / 1e6;
	struct wbs_value v;

	for (size_t i = 0; i < n; i++) {
		struct wire_key *k = it[i].k;

		if (k->special == K_STEP)
			continue;
		own_rt |= k->special == K_RUNTIME;
		own_ts |= k->special == K_TIMESTAMP;
		nested |= k->nested;
		summ_hist(&w->summ, k->sum, key_metric(w, k), &it[i].v);
	}
	if (w->kstep == NULL) {
		w->kstep = key_get(w, "_step");
		w->kruntime = key_get(w, "_runtime");
		w->ktimestamp = key_get(w, "_timestamp");
	}
	v.type = WBS_INT;
	v.u.i = sstep;
	summ_hist(&w->summ, w->kstep->sum, NULL, &v);
	v.type = WBS_DOUBLE;
	if (!own_rt) {
		v.u.d = rt;
		summ_hist(&w->summ, w->kruntime->sum, NULL, &v);
	}
	if (!own_ts) {
		v.u.d = ts;
		summ_hist(&w->summ, w->ktimestamp->sum, NULL, &v);
	}
	if (w->emit)
		row_line(w, it, n, nested, sstep, rt, ts, own_rt, own_ts);
	w->rows++;
}

/* Close the open row. */
static void
row_close(struct wire *w)
{
	if (!w->row_open)
		return;
	for (size_t i = 0; i < w->nrow; i++)
		if (w->row[i].soff != SIZE_MAX)
			w->row[i].v.u.s.ptr = w->rowstr.p + w->row[i].soff;
	row_emit(w, w->row, w->nrow, w->row_step, w->row_time);
	w->row_open = 0;
	w->nrow = 0;
	buf_reset(&w->rowstr);
}

/* Add a record's items to the open row (later values of a key win). */
static void
row_add(struct wire *w, const struct wbs_record *r, int borrow)
{
	if (w->nrow + r->nitems > w->rowcap) {
		while (w->nrow + r->nitems > w->rowcap)
			w->rowcap = w->rowcap ? w->rowcap * 2 : 32;
		w->row = xrealloc(w->row, w->rowcap * sizeof(*w->row));
	}
	for (size_t i = 0; i < r->nitems; i++) {
		struct wire_key		*k = key_get(w, r->items[i].key);
		struct wire_row_item	*it;

		if (k->rgen == w->row_gen)
			it = &w->row[k->ridx];
		else {
			k->rgen = w->row_gen;
			k->ridx = w->nrow;
			it = &w->row[w->nrow++];
		}
		it->k = k;
		it->v = r->items[i].v;
		it->soff = SIZE_MAX;
		if (!borrow && it->v.type >= WBS_STRING) {
			it->soff = w->rowstr.len;
			buf_add(&w->rowstr, it->v.u.s.ptr, it->v.u.s.len);
		}
	}
}

static void
history(struct wire *w, const struct wbs_record *r)
{
	int borrow;

	if (w->row_open && r->step != w->row_step)
		row_close(w);
	borrow = !w->row_open && (r->flags & WBS_LOG_COMMIT);
	if (!w->row_open) {
		w->row_open = 1;
		w->row_step = r->step;
		w->row_seq = r->seq;
		w->row_gen++;
		w->nrow = 0;
	}
	row_add(w, r, borrow);
	w->row_time = r->time_us;
	if (r->flags & WBS_LOG_COMMIT)
		row_close(w);
}

/* ------------------------------------------------------------------ */
/* Other records */

static void
stats(struct wire *w, const struct wbs_record *r)
{
	struct buf	*b = &w->ev;
	size_t		 start = b->len;

	if (w->nev > 0)
		buf_addc(b, ',');
	else
		w->ev_first = wire_events_next(w);
	buf_add(b, "\"{", 2);
	for (size_t i = 0; i < r->nitems; i++) {
		buf_reset(&w->tmp);
		buf_adds(&w->tmp, "system.");
		buf_adds(&w->tmp, r->items[i].key);
		for (size_t j = 7; j < w->tmp.len; j++)
			if (w->tmp.p[j] == WBS_SEP_CHAR)
				w->tmp.p[j] = '.';
		esc_str2(b, w->tmp.p, w->tmp.len);
		buf_addc(b, ':');
		esc_value2(b, &r->items[i].v);
		buf_addc(b, ',');
	}
	buf_adds(b, "\\\"_wandb\\\":true,\\\"_timestamp\\\":");
	esc_double(b, (double)r->time_us / 1e6);
	buf_adds(b, ",\\\"_runtime\\\":");
	esc_double(b, (double)runtime_at(w, r->time_us) / 1e6);
	buf_add(b, "}\"", 2);
	if (b->len - start > WIRE_LINE_MAX) {
		b->len = start;
		w->dropped++;
		return;
	}
	w->nev++;
}

/* A console line into the staged lines. */
static void
con_line(struct wire *w, const struct cons *c, const char *text, size_t len)
{
	if (w->ncon > 0)
		buf_addc(&w->con, ',');
	else {
		w->con_first = w->console_base + (int64_t)c->index;
		if (c->sent)
			w->con_rewrite = 1;
	}
	buf_reset(&w->tmp);
	cons_format(&w->tmp, c->stream, c->time_us, text, len);
	buf_addc(&w->con, '"');
	esc_raw(&w->con, w->tmp.p, w->tmp.len);
	buf_addc(&w->con, '"');
	w->ncon++;
}

static void
con_done(void *arg, const struct cons *c, const char *text, size_t len,
    int complete)
{
	/* A line that went as it is now needs no second trip. */
	if (complete && c->sent && !c->dirty)
		return;
	con_line(arg, c, text, len);
}

static void
tree_update(struct tree *t, const struct wbs_record *r)
{
	for (size_t i = 0; i < r->nitems; i++)
		tree_set(t, r->items[i].key, &r->items[i].v);
	for (size_t i = 0; i < r->nkeys; i++)
		(void)tree_remove(t, r->keys[i]);
}

/* Take the attributes a session (or a later change) carries. */
static void
attributes(struct wire *w, const struct wbs_run_info *ri)
{
	int ch = 0;

	ch |= set_str(&w->name, ri->name);
	ch |= set_str(&w->notes, ri->notes);
	ch |= set_str(&w->group, ri->group);
	ch |= set_str(&w->job_type, ri->job_type);
	ch |= set_str(&w->host, ri->host);
	ch |= set_str(&w->program, ri->program);
	ch |= set_str(&w->git_remote, ri->git_remote);
	ch |= set_str(&w->git_commit, ri->git_commit);
	if (ri->ntags != w->ntags)
		ch = 1;
	for (size_t i = 0; !ch && i < ri->ntags; i++)
		ch |= strcmp(ri->tags[i], w->tags[i]) != 0;
	if (ri->ntags != w->ntags || ch) {
		free_tags(w);
		w->tags = xrealloc(NULL, (ri->ntags + 1) * sizeof(*w->tags));
		for (size_t i = 0; i < ri->ntags; i++)
			w->tags[i] = xstrdup(ri->tags[i]);
		w->ntags = ri->ntags;
	}
	if (ch)
		w->params_dirty = 1;
}

static void
session(struct wire *w, const struct wbs_record *r)
{
	const struct wbs_run_info *ri = r->run;

	row_close(w);
	cons_break(&w->cons, w->emit ? con_done : NULL, w);
	memset(&w->sess, 0, sizeof(w->sess));
	w->sess.start_us = ri->start_us ? ri->start_us : r->time_us;
	w->sess.runtime_base_us = ri->runtime_base_us;
	w->sess.starting_step = ri->starting_step;
	w->sess.resume = ri->resume;
	w->sess.seq = r->seq;
	if (ri->fork_run != NULL) {
		w->sess.fork = 1;
		set_str(&w->branch_run, ri->fork_run);
		w->branch_step = ri->fork_step;
		w->config_dirty = 1;
	} else if (ri->rewind_run != NULL) {
		w->sess.rewind = 1;
		set_str(&w->branch_run, ri->rewind_run);
		w->branch_step = ri->rewind_step;
		w->config_dirty = 1;
	}
	w->nsess++;
	w->exit_seen = 0;
	attributes(w, ri);
}

static void
set_field(struct wire *w, const struct wbs_record *r)
{
	char	**f;

	switch (r->field) {
	case WBS_FIELD_NAME:
		f = &w->name;
		break;
	case WBS_FIELD_NOTES:
		f = &w->notes;
		break;
	case WBS_FIELD_GROUP:
		f = &w->group;
		break;
	case WBS_FIELD_JOB_TYPE:
		f = &w->job_type;
		break;
	default:
		return;
	}
	if (set_str(f, r->text))
		w->params_dirty = 1;
}

static void
set_tags(struct wire *w, const struct wbs_record *r)
{
	struct wbs_run_info ri;

	memset(&ri, 0, sizeof(ri));
	ri.name = w->name;
	ri.notes = w->notes;
	ri.group = w->group;
	ri.job_type = w->job_type;
	ri.host = w->host;
	ri.program = w->program;
	ri.git_remote = w->git_remote;
	ri.git_commit = w->git_commit;
	ri.tags = r->keys;
	ri.ntags = r->nkeys;
	attributes(w, &ri);
}

/* Process one record (see wire.h). */
enum wire_event
wire_record(struct wire *w, const struct wbs_record *r)
{
	enum wire_event ev = WIRE_NONE;

	if (w->created_us == 0)
		w->created_us = r->time_us;
	w->last_us = r->time_us;
	switch (r->type) {
	case WBS_REC_RUN:
		session(w, r);
		ev = WIRE_RUN;
		break;
	case WBS_REC_HISTORY:
		history(w, r);
		break;
	case WBS_REC_CONFIG:
		tree_update(w->config, r);
		w->config_dirty = 1;
		break;
	case WBS_REC_SUMMARY:
		for (size_t i = 0; i < r->nitems; i++)
			summ_set(&w->summ, r->items[i].key, &r->items[i].v);
		for (size_t i = 0; i < r->nkeys; i++)
			summ_remove(&w->summ, r->keys[i]);
		break;
	case WBS_REC_METRIC:
		summ_define(&w->summ, r->metric);
		w->config_dirty = 1;
		break;
	case WBS_REC_STATS:
		if (w->emit)
			stats(w, r);
		w->events++;
		break;
	case WBS_REC_CONSOLE:
		cons_write(&w->cons, r->stream, r->time_us, r->text, r->textlen,
		    w->emit ? con_done : NULL, w);
		break;
	case WBS_REC_FILE:
		ev = WIRE_FILE;
		break;
	case WBS_REC_SET:
		set_field(w, r);
		break;
	case WBS_REC_TAGS:
		set_tags(w, r);
		break;
	case WBS_REC_ALERT:
		ev = WIRE_ALERT;
		break;
	case WBS_REC_PREEMPTING:
		w->preempt = 1;
		ev = WIRE_PREEMPT;
		break;
	case WBS_REC_EXIT:
		row_close(w);
		w->exit_seen = 1;
		w->exit_code = r->exit_code;
		w->exit_runtime_ms = r->runtime_ms;
		ev = WIRE_EXIT;
		break;
	case WBS_REC_ENVIRONMENT:
		tree_update(w->env, r);
		break;
	default:
		break;	/* a newer record type: nothing to send */
	}
	w->next_seq = r->seq + 1;
	return ev;
}

/* The data ended (see wire.h). */
void
wire_end(struct wire *w, int final)
{
	if (final)
		row_close(w);
}

size_t
wire_staged(const struct wire *w)
{
	return w->hist.len + w->ev.len + w->con.len + w->cons.line.len;
}

int
wire_pending(const struct wire *w)
{
	return w->nhist > 0 || w->nev > 0 || w->ncon > 0 ||
	    cons_has_open(&w->cons);
}

/* One member "name":{"offset":N,"content":[lines]} of "files". */
static void
file_member(struct buf *body, int *first, const char *name, int64_t off,
    const struct buf *lines)
{
	if (!*first)
		buf_addc(body, ',');
	*first = 0;
	buf_printf(body, "\"%s\":{\"offset\":%lld,\"content\":[", name,
	    (long long)off);
	buf_add(body, lines->p, lines->len);
	buf_adds(body, "]}");
}

/* Move staged lines into a request body (see wire.h). */
void
wire_body(struct wire *w, struct buf *body, int summary,
    const char *summary_base, struct wire_batch *wb)
{
	size_t	start = body->len;
	int	first = 1;

	memset(wb, 0, sizeof(*wb));
	if (w->emit && cons_has_open(&w->cons)) {
		con_line(w, &w->cons, w->cons.line.p, w->cons.line.len);
		w->cons.sent = 1;
		w->cons.dirty = 0;
	}
	buf_adds(body, "\"files\":{");
	if (w->nhist > 0)
		file_member(body, &first, "wandb-history.jsonl", w->hist_first,
		    &w->hist);
	if (w->nev > 0)
		file_member(body, &first, "wandb-events.jsonl", w->ev_first,
		    &w->ev);
	if (w->ncon > 0)
		file_member(body, &first, "output.log", w->con_first, &w->con);
	if (summary) {
		buf_reset(&w->tmp);
		buf_addc(&w->tmp, '"');
		{
			struct buf s;

			buf_init(&s);
			wire_summary(w, &s, summary_base);
			esc_raw(&w->tmp, s.p, s.len);
			buf_release(&s);
		}
		buf_addc(&w->tmp, '"');
		file_member(body, &first, "wandb-summary.json", 0, &w->tmp);
	}
	buf_addc(body, '}');
	if (first)
		body->len = start;
	wb->hist = w->nhist;
	wb->lines = w->nhist + w->nev + w->ncon;
	wb->barrier = w->con_rewrite || summary;
	buf_reset(&w->hist);
	buf_reset(&w->ev);
	buf_reset(&w->con);
	w->nhist = w->nev = w->ncon = 0;
	w->con_rewrite = 0;
}

/* The summary line (see wire.h). */
void
wire_summary(struct wire *w, struct buf *b, const char *base)
{
	summ_json(&w->summ, b, base, wire_runtime_s(w));
}

/* Top-level keys of the server's old config that ours lacks. */
static void
config_merge(struct buf *b, const char *base, const struct tree *config,
    int *first)
{
	json_error_t	 err;
	json_t		*o = json_loads(base, JSON_DECODE_ANY, &err), *v;
	const char	*k;

	if (o == NULL || !json_is_object(o)) {
		json_decref(o);
		return;
	}
	json_object_foreach(o, k, v) {
		char	*txt;
		int	 have = strcmp(k, "_wandb") == 0;

		for (size_t i = 0; !have && i < config->nkids; i++)
			have = strcmp(config->kids[i]->name, k) == 0;
		if (have || (txt = json_dumps(v, JSON_ENCODE_ANY |
		    JSON_COMPACT)) == NULL)
			continue;
		if (!*first)
			buf_addc(b, ',');
		*first = 0;
		esc_str(b, k, strlen(k));
		buf_addc(b, ':');
		buf_adds(b, txt);
		free(txt);
	}
	json_decref(o);
}

/*
 * The members of _wandb the journal's own config holds (a run imported
 * from W&B keeps its telemetry, versions, code path), "t" at least; the
 * metric definitions and branch point are the caller's.
 */
static void
wandb_members(const struct wire *w, struct buf *b)
{
	const struct tree	*wb = NULL;
	struct buf		 t;
	json_t			*o = NULL, *v;
	const char		*k;
	int			 have_t = 0;

	for (size_t i = 0; i < w->config->nkids; i++)
		if (strcmp(w->config->kids[i]->name, "_wandb") == 0)
			wb = w->config->kids[i];
	if (wb != NULL) {
		/* Nested keys or one JSON value: the same object either way. */
		buf_init(&t);
		tree_json(&t, wb);
		o = json_loadb(t.p, t.len, JSON_ALLOW_NUL, NULL);
		buf_release(&t);
	}
	json_object_foreach(json_is_object(o) ? o : NULL, k, v) {
		char *txt;

		if ((strcmp(k, "m") == 0 && w->summ.nm > 0) ||
		    (strcmp(k, "branch_point") == 0 && w->branch_run != NULL) ||
		    (txt = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT)) ==
		    NULL)
			continue;
		if (b->p[b->len - 1] != '{')
			buf_addc(b, ',');
		have_t |= strcmp(k, "t") == 0;
		esc_str(b, k, strlen(k));
		buf_addc(b, ':');
		buf_adds(b, txt);
		free(txt);
	}
	json_decref(o);
	if (!have_t)
		buf_adds(b, b->p[b->len - 1] == '{' ? "\"t\":{}" :
		    ",\"t\":{}");
}

/* The config in backend form (see wire.h). */
void
wire_config(struct wire *w, struct buf *b, const char *base)
{
	int first = 1;

	buf_addc(b, '{');
	for (size_t i = 0; i < w->config->nkids; i++) {
		const struct tree *k = w->config->kids[i];

		if (strcmp(k->name, "_wandb") == 0)
			continue;
		if (!first)
			buf_addc(b, ',');
		first = 0;
		esc_str(b, k->name, strlen(k->name));
		buf_adds(b, ":{\"value\":");
		tree_json(b, k);
		buf_addc(b, '}');
	}
	if (base != NULL)
		config_merge(b, base, w->config, &first);
	if (!first)
		buf_addc(b, ',');
	buf_adds(b, "\"_wandb\":{\"value\":{");
	wandb_members(w, b);
	if (w->summ.nm > 0) {
		buf_adds(b, ",\"m\":");
		summ_metrics_json(&w->summ, b);
	}
	if (w->branch_run != NULL) {
		buf_adds(b, ",\"branch_point\":{\"run_id\":");
		esc_str(b, w->branch_run, strlen(w->branch_run));
		buf_printf(b, ",\"step\":%lld}", (long long)w->branch_step);
	}
	buf_adds(b, "}}}");
	w->summ.mdirty = 0;
}
