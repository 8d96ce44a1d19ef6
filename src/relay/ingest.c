/*
 * ingest.c - writing what a file_stream request or an UpsertBucket
 * carries into a run's journal, exactly once.
 *
 * Offsets are line numbers.  A history or events line at an offset below
 * the run's count is already stored and is skipped (those files only
 * grow); an output.log line there overwrites the stored line unless it is
 * the same; the summary is the whole summary each time and is written
 * only when it changed.  The request checks (fstream.c) guarantee that
 * new lines start exactly at the count.
 *
 * Console lines are stored so that replaying the console records through
 * a terminal yields output.log: a new line is "\n" + text (the first one
 * just the text), an overwrite of the last line is "\r" + text + ESC[K,
 * and an overwrite k lines above the last is ESC[kA "\r" text ESC[K ESC[kB.
 * Timestamps of the original lines are not kept (the record has its own).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "relay-int.h"

/* Re-read the last sequence number after a failed write. */
static void
resync(struct rrun *rr)
{
	struct wbs_journal_stat st;

	if (rr->j != NULL && wbs_journal_stat(rr->j, &st) == 0)
		rr->seq = st.last_seq;
}

static int
wfail(struct rrun *rr, char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "run %s: %s: %s", rr->id, what,
	    wbs_run_errmsg(rr->w));
	resync(rr);
	rr->dirty = 1;
	return -1;
}

/* Track the keys of history rows while the summary needs them. */
static void
track_keys(struct rrun *rr, const struct wbs_item *it, size_t n,
    const struct wbs_item **prev, size_t *nprev)
{
	if (rr->hkeys == NULL)
		return;
	/* Rows usually repeat the previous row's keys: skip the lookups. */
	if (*prev != NULL && *nprev == n) {
		size_t i;

		for (i = 0; i < n; i++)
			if (strcmp(it[i].key, (*prev)[i].key) != 0)
				break;
		if (i == n)
			return;
	}
	for (size_t i = 0; i < n; i++)
		keyset_add(rr->hkeys, it[i].key);
	*prev = it;
	*nprev = n;
}

/*
 * History lines from the run's line count on, in one journal transaction:
 * either every new line of the request is stored or none is.
 */
static int
ingest_history(struct store *s, struct rrun *rr, struct fsbatch *b,
    char *err, size_t errlen)
{
	struct fsfile		*f = &b->f[FS_HISTORY];
	const struct wbs_item	*prev = NULL;
	struct wbs_row		*rows;
	size_t			 nprev = 0, first, n;
	int64_t			 cur;

	first = f->offset < rr->hist ? (size_t)(rr->hist - f->offset) : 0;
	if (first > f->n)
		first = f->n;
	b->skipped[FS_HISTORY] += first;
	if ((n = f->n - first) == 0)
		return 0;
	if (store_writer(s, rr, err, errlen) != 0)
		return -1;
	rows = arena_alloc(b->ar, n * sizeof(*rows));
	cur = wbs_run_step(rr->w);
	for (size_t i = 0; i < n; i++) {
		struct fsline	*l = &f->lines[first + i];

		rows[i].items = &b->iv->v[l->item0];
		rows[i].n = l->nitems;
		rows[i].flags = WBS_LOG_COMMIT;
		if (l->has_step && l->step >= cur)
			rows[i].step = l->step;
		else {
			if (l->has_step)
				log_warnx("run %s: history line %" PRIu64
				    " has _step %" PRId64 ", below the run's "
				    "step %" PRId64 "; stored at that step",
				    rr->id, rr->hist + i, l->step, cur);
			rows[i].step = cur;
		}
		cur = rows[i].step + 1;
	}
	if (wbs_run_log_rows(rr->w, rows, n) != 0)
		return wfail(rr, err, errlen, "history");
	rr->seq += n;
	rr->hist += n;
	rr->hist_seq = rr->seq;
	rr->dirty = 1;
	for (size_t i = 0; i < n; i++)
		track_keys(rr, rows[i].items, rows[i].n, &prev, &nprev);
	return 0;
}

/* Events lines (system metrics) from the run's count on. */
static int
ingest_events(struct store *s, struct rrun *rr, struct fsbatch *b,
    char *err, size_t errlen)
{
	struct fsfile *f = &b->f[FS_EVENTS];

	for (size_t i = 0; i < f->n; i++) {
		struct fsline *l = &f->lines[i];

		if (f->offset + i < rr->events) {
			b->skipped[FS_EVENTS]++;
			continue;
		}
		if (store_writer(s, rr, err, errlen) != 0)
			return -1;
		if (wbs_run_stats(rr->w, &b->iv->v[l->item0], l->nitems) != 0)
			return wfail(rr, err, errlen, "events");
		rr->seq++;
		rr->events++;
		rr->events_seq = rr->seq;
		rr->dirty = 1;
	}
	return 0;
}

/* Write one output line at offset o (new or overwriting). */
static int
put_output(struct store *s, struct rrun *rr, uint64_t o, struct fsline *l,
    struct buf *tmp, char *err, size_t errlen)
{
	buf_reset(tmp);
	if (o == rr->out) {
		if (rr->out > 0)
			buf_addc(tmp, '\n');
		buf_add(tmp, l->text, l->len);
	} else if (o + 1 == rr->out) {
		buf_addc(tmp, '\r');
		buf_add(tmp, l->text, l->len);
		buf_adds(tmp, "\x1b[K");
	} else {
		uint64_t k = rr->out - 1 - o;

		buf_printf(tmp, "\x1b[%" PRIu64 "A\r", k);
		buf_add(tmp, l->text, l->len);
		buf_printf(tmp, "\x1b[K\x1b[%" PRIu64 "B", k);
	}
	if (store_writer(s, rr, err, errlen) != 0)
		return -1;
	if (wbs_run_console(rr->w, l->stream, tmp->p ? tmp->p : "",
	    tmp->len) != 0)
		return wfail(rr, err, errlen, "output.log");
	rr->seq++;
	rr->dirty = 1;
	if (o == rr->out) {
		if (rr->outh != NULL) {
			if (rr->out == rr->outh_cap) {
				rr->outh_cap *= 2;
				if ((rr->outh = realloc(rr->outh, rr->outh_cap *
				    sizeof(*rr->outh))) == NULL)
					fatalx("out of memory");
			}
			rr->outh[rr->out] = store_out_hash(l->stream, l->text,
			    l->len);
		}
		rr->out++;
	} else
		rr->outh[o] = store_out_hash(l->stream, l->text, l->len);
	return 0;
}

/* output.log lines: new ones appended, changed ones overwritten. */
static int
ingest_output(struct store *s, struct rrun *rr, struct fsbatch *b,
    char *err, size_t errlen)
{
	struct fsfile	*f = &b->f[FS_OUTPUT];
	struct buf	 tmp;
	int		 rc = 0;

	buf_init(&tmp);
	for (size_t i = 0; i < f->n && rc == 0; i++) {
		struct fsline	*l = &f->lines[i];
		uint64_t	 o = f->offset + i;

		if (o < rr->out) {
			if (rr->outh == NULL && store_outh_load(s, rr) != 0) {
				snprintf(err, errlen, "run %s: reading "
				    "output.log lines back: %s", rr->id,
				    wbs_journal_errmsg(rr->j));
				rc = -1;
				break;
			}
			if (rr->outh[o] == store_out_hash(l->stream, l->text,
			    l->len)) {
				b->skipped[FS_OUTPUT]++;
				continue;
			}
		}
		rc = put_output(s, rr, o, l, &tmp, err, errlen);
	}
	buf_release(&tmp);
	return rc;
}

/* Load the keys the summary can hold: all history keys, last summary's. */
int
ingest_summary_keys(struct store *s, struct rrun *rr)
{
	struct wbs_iter		*it;
	const struct wbs_record	*r;
	int			 rc;

	(void)s;
	if (rr->hkeys != NULL)
		return 0;
	if ((rr->hkeys = calloc(1, sizeof(*rr->hkeys))) == NULL)
		fatalx("out of memory");
	keyset_clear(&rr->skeys);
	if (wbs_iter_open(&it, rr->j, 1) != 0)
		return -1;
	while ((rc = wbs_iter_next(it, &r)) == 1) {
		if (r->type == WBS_REC_HISTORY)
			for (size_t i = 0; i < r->nitems; i++)
				keyset_add(rr->hkeys, r->items[i].key);
		else if (r->type == WBS_REC_SUMMARY && r->nitems > 0) {
			keyset_clear(&rr->skeys);
			for (size_t i = 0; i < r->nitems; i++)
				keyset_add(&rr->skeys, r->items[i].key);
		}
	}
	wbs_iter_free(it);
	return rc < 0 ? -1 : 0;
}

/*
 * Record that key is gone from tree t: as its shortest prefix that t does
 * not hold, so that a whole subtree that went away is removed whole.
 */
static void
add_gone(struct tree *t, const char *key, struct keyset *out)
{
	struct buf	 b;
	const char	*p = key;

	buf_init(&b);
	for (;;) {
		const char *sep = strchr(p, WBS_SEP_CHAR);

		buf_add(&b, key, (size_t)((sep ? sep : p + strlen(p)) - key));
		if (tree_get(t, b.p) == NULL) {
			keyset_add(out, b.p);
			break;
		}
		if (sep == NULL)
			break;
		p = sep + 1;
		buf_reset(&b);
	}
	buf_release(&b);
}

/* Keys of set that the new tree does not hold (nor holds below). */
static void
gone_keys(const struct keyset *set, struct tree *t, struct keyset *out)
{
	for (size_t i = 0; i < set->nslots; i++)
		if (set->slots[i] != NULL && tree_get(t, set->slots[i]) == NULL)
			add_gone(t, set->slots[i], out);
}

/* The keys of a key set as an array (borrowed from the set). */
static const char **
keys_of(const struct keyset *ks, size_t *np)
{
	const char	**v;
	size_t		  n = 0;

	if ((v = calloc(ks->n + 1, sizeof(*v))) == NULL)
		fatalx("out of memory");
	for (size_t i = 0; i < ks->nslots; i++)
		if (ks->slots[i] != NULL)
			v[n++] = ks->slots[i];
	*np = n;
	return v;
}

/* Write a whole summary line: remove keys that went away, set the rest. */
int
ingest_summary_text(struct store *s, struct rrun *rr, struct arena *ar,
    struct itemvec *iv, const char *text, size_t len, char *err,
    size_t errlen)
{
	struct conv	 c = { ar, iv, CONV_SUMMARY, 0, 0, 0, "" };
	uint64_t	 h = hash64(text, len, HASH64_INIT) | 1;
	size_t		 first = iv->n, n, nrm;
	struct keyset	 gone = { 0 };
	struct tree	*t;
	const char	**rm;
	char		*copy;
	int		 rc = 0;

	if (h == rr->sum_hash)
		return 0;
	copy = arena_strndup(ar, text, len);
	if (conv_line(&c, copy, len) != 0) {
		snprintf(err, errlen, "wandb-summary.json: %s", c.err);
		return -1;
	}
	n = iv->n - first;
	if (store_writer(s, rr, err, errlen) != 0)
		return -1;
	if (ingest_summary_keys(s, rr) != 0) {
		snprintf(err, errlen, "run %s: reading its keys back: %s",
		    rr->id, wbs_journal_errmsg(rr->j));
		return -1;
	}
	t = tree_new();
	for (size_t i = 0; i < n; i++)
		tree_set(t, iv->v[first + i].key, &iv->v[first + i].v);
	gone_keys(rr->hkeys, t, &gone);
	gone_keys(&rr->skeys, t, &gone);
	tree_free(t);
	rm = keys_of(&gone, &nrm);
	if (nrm > 0) {
		if (wbs_run_summary_remove(rr->w, rm, nrm) != 0)
			rc = wfail(rr, err, errlen, "summary");
		else
			rr->seq++;
	}
	free(rm);
	keyset_clear(&gone);
	if (rc == 0 && n > 0) {
		if (wbs_run_summary(rr->w, &iv->v[first], n) != 0)
			rc = wfail(rr, err, errlen, "summary");
		else
			rr->seq++;
	}
	if (rc == 0) {
		keyset_clear(&rr->skeys);
		for (size_t i = 0; i < n; i++)
			keyset_add(&rr->skeys, iv->v[first + i].key);
		rr->sum_hash = h;
		rr->dirty = 1;
	}
	return rc;
}

/* Load the run's current config tree from its config records. */
int
ingest_config_load(struct store *s, struct rrun *rr)
{
	struct wbs_iter		*it;
	const struct wbs_record	*r;
	int			 rc;

	(void)s;
	if (rr->config != NULL)
		return 0;
	rr->config = tree_new();
	if (wbs_iter_open(&it, rr->j, 1) != 0)
		return -1;
	while ((rc = wbs_iter_next(it, &r)) == 1) {
		if (r->type != WBS_REC_CONFIG)
			continue;
		for (size_t i = 0; i < r->nitems; i++)
			tree_set(rr->config, r->items[i].key, &r->items[i].v);
		for (size_t i = 0; i < r->nkeys; i++)
			tree_remove(rr->config, r->keys[i]);
	}
	wbs_iter_free(it);
	return rc < 0 ? -1 : 0;
}

/* Same value? (NaN equals NaN: a re-sent config is not a change.) */
static int
same_value(const struct wbs_value *a, const struct wbs_value *b)
{
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case WBS_DOUBLE:
		return memcmp(&a->u.d, &b->u.d, sizeof(double)) == 0 ||
		    (a->u.d != a->u.d && b->u.d != b->u.d);
	case WBS_INT:
		return a->u.i == b->u.i;
	case WBS_BOOL:
		return !a->u.b == !b->u.b;
	case WBS_NULL:
		return 1;
	default:
		return a->u.s.len == b->u.s.len && (a->u.s.len == 0 ||
		    memcmp(a->u.s.ptr, b->u.s.ptr, a->u.s.len) == 0);
	}
}

/* Leaves of old that new does not hold, as paths into out. */
static void
gone_leaves(const struct tree *old, struct tree *new, struct buf *path,
    struct keyset *out)
{
	size_t base = path->len;

	for (size_t i = 0; i < old->nkids; i++) {
		const struct tree *k = old->kids[i];

		path->len = base;
		if (base > 0)
			buf_addc(path, WBS_SEP_CHAR);
		buf_adds(path, k->name);
		if (tree_get(new, buf_cstr(path)) == NULL)
			add_gone(new, path->p, out);
		else if (!k->leaf)
			gone_leaves(k, new, path, out);
	}
	path->len = base;
	if (path->p != NULL)
		path->p[base] = '\0';
}

/* Apply a config document from UpsertBucket: only what changed. */
int
ingest_config(struct store *s, struct rrun *rr, struct arena *ar,
    struct itemvec *iv, const char *text, size_t len, char *err,
    size_t errlen)
{
	struct conv	 c = { ar, iv, CONV_CONFIG, 0, 0, 0, "" };
	uint64_t	 h = hash64(text, len, HASH64_INIT) | 1;
	size_t		 first = iv->n, n, nrm, nset = 0;
	struct keyset	 gone = { 0 };
	struct tree	*t;
	struct buf	 path;
	const char	**rm;
	int		 rc = 0;

	if (h == rr->cfg_hash)
		return 0;
	if (conv_config(&c, arena_strndup(ar, text, len), len) != 0) {
		snprintf(err, errlen, "config: %s", c.err);
		return -1;
	}
	n = iv->n - first;
	if (ingest_config_load(s, rr) != 0) {
		snprintf(err, errlen, "run %s: reading its config back: %s",
		    rr->id, wbs_journal_errmsg(rr->j));
		return -1;
	}
	t = tree_new();
	for (size_t i = 0; i < n; i++)
		tree_set(t, iv->v[first + i].key, &iv->v[first + i].v);
	buf_init(&path);
	gone_leaves(rr->config, t, &path, &gone);
	buf_release(&path);
	/* Keep only the items that are new or changed. */
	for (size_t i = 0; i < n; i++) {
		const struct tree *o = tree_get(rr->config,
		    iv->v[first + i].key);

		if (o == NULL || !o->leaf || !same_value(&o->v,
		    &iv->v[first + i].v))
			iv->v[first + nset++] = iv->v[first + i];
	}
	rm = keys_of(&gone, &nrm);
	if (nrm > 0 || nset > 0) {
		if (store_writer(s, rr, err, errlen) != 0)
			rc = -1;
		else if (nrm > 0 && wbs_run_config_remove(rr->w, rm, nrm) != 0)
			rc = wfail(rr, err, errlen, "config");
		else if (nrm > 0)
			rr->seq++;
		if (rc == 0 && nset > 0) {
			if (wbs_run_config(rr->w, &iv->v[first], nset) != 0)
				rc = wfail(rr, err, errlen, "config");
			else
				rr->seq++;
		}
	}
	free(rm);
	keyset_clear(&gone);
	if (rc == 0) {
		tree_free(rr->config);
		rr->config = t;
		rr->cfg_hash = h;
		rr->dirty = 1;
	} else
		tree_free(t);
	return rc;
}

/* Apply a checked file_stream batch (see fstream.c) to the run. */
int
ingest_batch(struct store *s, struct rrun *rr, struct fsbatch *b, char *err,
    size_t errlen)
{
	struct fsfile *sf = &b->f[FS_SUMMARY];

	if (ingest_history(s, rr, b, err, errlen) != 0 ||
	    ingest_events(s, rr, b, err, errlen) != 0 ||
	    ingest_output(s, rr, b, err, errlen) != 0)
		return -1;
	if (sf->n > 0 && ingest_summary_text(s, rr, b->ar, b->iv,
	    sf->lines[sf->n - 1].text, sf->lines[sf->n - 1].len, err,
	    errlen) != 0)
		return -1;
	if (b->preempting && !rr->preempted) {
		if (store_writer(s, rr, err, errlen) != 0)
			return -1;
		if (wbs_run_preempting(rr->w) != 0)
			return wfail(rr, err, errlen, "preempting");
		rr->seq++;
		rr->preempted = 1;
		rr->dirty = 1;
	}
	if (b->complete && !rr->finished) {
		int code = b->has_exitcode ? b->exitcode : b->failed ? 1 : 0;

		if (store_writer(s, rr, err, errlen) != 0)
			return -1;
		if (wbs_run_finish(rr->w, code) != 0)
			return wfail(rr, err, errlen, "finishing");
		rr->seq++;
		rr->finished = 1;
		rr->dirty = 1;
		log_info("run %s finished with exit code %d", rr->id, code);
		/* Close the handles: the run is no longer live. */
		store_unload(s, rr);
	}
	return 0;
}
