/*
 * view.c - a run read back in W&B's shapes, for RunResumeStatus and
 * UpsertBucket answers: summary, config (backend form), the last history
 * and events lines, and the "t" part of _wandb.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "relay-int.h"

/* The run's summary: history values overlaid by summary records. */
int
view_summary(struct rrun *rr, struct buf *out, char *err, size_t errlen)
{
	struct wbs_iter		*it;
	const struct wbs_record	*r;
	struct tree		*t = tree_new();
	int			 rc;

	if (wbs_iter_open(&it, rr->j, 1) != 0) {
		snprintf(err, errlen, "%s", wbs_journal_errmsg(rr->j));
		tree_free(t);
		return -1;
	}
	while ((rc = wbs_iter_next(it, &r)) == 1) {
		if (r->type != WBS_REC_HISTORY && r->type != WBS_REC_SUMMARY)
			continue;
		for (size_t i = 0; i < r->nitems; i++)
			tree_set(t, r->items[i].key, &r->items[i].v);
		for (size_t i = 0; i < r->nkeys; i++)
			tree_remove(t, r->keys[i]);
	}
	wbs_iter_free(it);
	if (rc < 0) {
		snprintf(err, errlen, "%s", wbs_journal_errmsg(rr->j));
		tree_free(t);
		return -1;
	}
	tree_json(out, t);
	tree_free(t);
	return 0;
}

/* The config in W&B's backend form {key: {"value": v}}. */
void
view_config(struct rrun *rr, struct buf *out)
{
	const struct tree *t = rr->config;

	buf_addc(out, '{');
	for (size_t i = 0; t != NULL && i < t->nkids; i++) {
		if (i > 0)
			buf_addc(out, ',');
		json_str(out, t->kids[i]->name, strlen(t->kids[i]->name));
		buf_adds(out, ":{\"value\":");
		tree_json(out, t->kids[i]);
		buf_addc(out, '}');
	}
	buf_addc(out, '}');
}

/* The record at seq, through it; 1 if found. */
static int
record_at(struct rrun *rr, uint64_t seq, struct wbs_iter **itp,
    const struct wbs_record **rp)
{
	if (seq == 0 || wbs_iter_open(itp, rr->j, seq) != 0)
		return 0;
	if (wbs_iter_next(*itp, rp) != 1 || (*rp)->seq != seq) {
		wbs_iter_free(*itp);
		*itp = NULL;
		return 0;
	}
	return 1;
}

/* Find the last record of a type by scanning (when no seq is known). */
static uint64_t
last_of(struct rrun *rr, int type)
{
	struct wbs_iter		*it;
	const struct wbs_record	*r;
	uint64_t		 seq = 0;

	if (wbs_iter_open(&it, rr->j, 1) != 0)
		return 0;
	while (wbs_iter_next(it, &r) == 1)
		if (r->type == type)
			seq = r->seq;
	wbs_iter_free(it);
	return seq;
}

/* A JSON array of one JSON-text string (W&B's historyTail form). */
static void
tail_array(struct buf *out, struct buf *line)
{
	buf_addc(out, '[');
	json_str(out, line->p, line->len);
	buf_addc(out, ']');
}

/* historyTail: the last history line, as W&B would show it. */
int
view_history_tail(struct rrun *rr, struct buf *out)
{
	struct wbs_iter		*it = NULL;
	const struct wbs_record	*r;
	struct tree		*t;
	struct buf		 line;
	struct wbs_value	 step;

	if (rr->hist == 0) {
		buf_adds(out, "[]");
		return 0;
	}
	if (rr->hist_seq == 0)
		rr->hist_seq = last_of(rr, WBS_REC_HISTORY);
	if (!record_at(rr, rr->hist_seq, &it, &r)) {
		buf_adds(out, "[]");
		return -1;
	}
	t = tree_new();
	for (size_t i = 0; i < r->nitems; i++)
		tree_set(t, r->items[i].key, &r->items[i].v);
	step.type = WBS_INT;
	step.u.i = r->step;
	tree_set(t, "_step", &step);
	wbs_iter_free(it);
	buf_init(&line);
	tree_json(&line, t);
	tree_free(t);
	tail_array(out, &line);
	buf_release(&line);
	return 0;
}

/* eventsTail: the last system metrics line. */
int
view_events_tail(struct rrun *rr, struct buf *out)
{
	struct wbs_iter		*it = NULL;
	const struct wbs_record	*r;
	struct tree		*t;
	struct buf		 line, key;
	struct wbs_value	 yes = { .type = WBS_BOOL, .u = { .b = 1 } };

	if (rr->events == 0) {
		buf_adds(out, "[]");
		return 0;
	}
	if (rr->events_seq == 0)
		rr->events_seq = last_of(rr, WBS_REC_STATS);
	if (!record_at(rr, rr->events_seq, &it, &r)) {
		buf_adds(out, "[]");
		return -1;
	}
	t = tree_new();
	buf_init(&key);
	for (size_t i = 0; i < r->nitems; i++) {
		buf_reset(&key);
		if (strcmp(r->items[i].key, "_timestamp") != 0)
			buf_adds(&key, "system.");
		buf_adds(&key, r->items[i].key);
		tree_set(t, buf_cstr(&key), &r->items[i].v);
	}
	buf_release(&key);
	tree_set(t, "_wandb", &yes);
	wbs_iter_free(it);
	buf_init(&line);
	tree_json(&line, t);
	tree_free(t);
	tail_array(out, &line);
	buf_release(&line);
	return 0;
}

/* wandbConfig(keys: ["t"]): {"t": ...} from the _wandb config value. */
void
view_wandb_config(struct rrun *rr, struct buf *out)
{
	const struct tree	*w = rr->config ? tree_get(rr->config,
	    "_wandb") : NULL;
	struct jscan		 js;
	struct jstr		 k;
	size_t			 n = 0;

	buf_addc(out, '{');
	if (w != NULL && w->leaf && w->v.type == WBS_JSON) {
		jscan_init(&js, w->v.u.s.ptr, w->v.u.s.len);
		if (jscan_open(&js, '{') == 0)
			while (jscan_member(&js, &n, &k) == 1) {
				const char *start;

				(void)jscan_peek(&js);
				start = js.p;
				if (jscan_skip(&js) < 0)
					break;
				if (jscan_streq(&k, "t")) {
					buf_adds(out, "\"t\":");
					buf_add(out, start,
					    (size_t)(js.p - start));
					break;
				}
			}
	}
	buf_addc(out, '}');
}
