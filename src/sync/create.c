/*
 * create.c - a run's life on the server: create or resume it (resume
 * must/allow/never/auto against RunResumeStatus), rewind, fork, and the
 * debounced upserts of metadata and config that follow.
 *
 * A journal whose first session asked to resume continues the server's
 * run: its lines go after the server's line counts and its steps after
 * the server's last step; it does not become a second run.  A rewind
 * cuts the server's history with RewindRun and continues after the cut;
 * a fork is created with _wandb.branch_point in its config and its steps
 * continue after the branch point.  These shifts are kept in the cursor.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "syncint.h"

enum { C_RESUME = 1, C_REWIND, C_UPSERT, C_RECONNECT };

static void	step_send(struct srun *r);

/* The UpsertBucket request for the run as it stands. */
static void
upsert_body(struct srun *r, struct buf *b)
{
	struct wire		*w = &r->w;
	struct gql_upsert	 u;
	struct buf		 cfg;

	buf_init(&cfg);
	wire_config(w, &cfg, r->cur.config_base);
	memset(&u, 0, sizeof(u));
	u.id = r->cur.storage_id;
	u.name = r->cur.run_id ? r->cur.run_id : r->id;
	u.project = r->cur.project ? r->cur.project : r->project;
	u.entity = r->cur.entity ? r->cur.entity : r->entity;
	u.group = w->group;
	u.display_name = w->name;
	u.notes = w->notes;
	u.commit = w->git_commit;
	u.host = w->host;
	u.program = w->program;
	u.repo = w->git_remote;
	u.job_type = w->job_type;
	u.tags = (const char *const *)w->tags;
	u.ntags = w->ntags;
	u.set_tags = 1;
	u.config = cfg.p;
	gql_upsert_body(b, &u);
	buf_release(&cfg);
	w->config_dirty = w->params_dirty = 0;
}

/* Take the server's names for the run. */
static void
take_bucket(struct srun *r, const struct gql_bucket *b)
{
	if (b->id[0])
		cursor_set(&r->cur.storage_id, b->id);
	cursor_set(&r->cur.run_id, b->name);
	if (b->entity[0])
		cursor_set(&r->cur.entity, b->entity);
	if (b->project[0])
		cursor_set(&r->cur.project, b->project);
	if (b->display_name[0])
		cursor_set(&r->cur.display_name, b->display_name);
}

/* Copy the wire's offsets into the cursor (nothing acknowledged moved). */
static void
bases_to_cursor(struct srun *r)
{
	struct cursor_pos *p = &r->cur.pos;

	p->hist_base = r->w.hist_base;
	p->hist_base_row = r->w.hist_base_row;
	p->events_base = r->w.events_base;
	p->console_base = r->w.console_base;
	p->step_shift = r->w.step_shift;
	p->runtime_shift_us = r->w.runtime_shift_us;
	p->hist_next = wire_hist_next(&r->w);
	p->events_next = wire_events_next(&r->w);
	p->console_next = wire_console_next(&r->w);
}

static void
stream(struct srun *r)
{
	r->phase = P_STREAM;
	srun_event(r, SYNC_EV_PROGRESS);
	srun_pump(r);
}

/* RunResumeStatus answered. */
static int
resumed(struct srun *r, const char *p, size_t n)
{
	struct gql_resume	*g;
	struct wire_sess	*s = &r->w.sess;
	char			 err[300];
	const char		*name = s->rewind ? r->w.branch_run : r->id;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		fatalx("out of memory");
	r->resume = g;
	if (gql_resume_parse(p, n, g, err, sizeof(err)) != 0) {
		srun_fail(r, SYNC_STOPPED, "error", 200, "RunResumeStatus: %s",
		    err);
		return -1;
	}
	if (!g->exists && (s->rewind || s->resume == WBS_RESUME_MUST)) {
		srun_fail(r, SYNC_STOPPED, "error", 0, "run %s does not exist "
		    "at %s/%s; %s needs it", name, r->e->base_url, r->project,
		    s->rewind ? "resume_from (rewind)" : "resume=\"must\"");
		return -1;
	}
	if (g->exists && s->resume == WBS_RESUME_NEVER && !s->rewind) {
		srun_fail(r, SYNC_STOPPED, "error", 0, "run %s already exists "
		    "at %s/%s and the run says resume=\"never\"", name,
		    r->e->base_url, g->b.project);
		return -1;
	}
	if (!g->exists)
		return C_UPSERT;
	take_bucket(r, &g->b);
	cursor_set(&r->cur.summary_base, g->summary);
	cursor_set(&r->cur.config_base, g->config);
	if (s->rewind)
		return C_REWIND;
	r->w.events_base = g->events_line_count;
	r->w.console_base = g->log_line_count;
	r->w.runtime_shift_us = (int64_t)(g->runtime * 1e6);
	r->w.hist_base = g->b.history_line_count;
	r->w.hist_base_row = (int64_t)r->w.rows;
	if (g->b.history_line_count > 0 && g->last_step >= 0 &&
	    g->last_step + 1 > s->starting_step)
		r->w.step_shift = g->last_step + 1 - s->starting_step;
	return C_UPSERT;
}

/*
 * The server cut the run's history at the branch step.  As W&B's client
 * does, the history goes on after the lines left and the system stats
 * and console start again at offset 0.
 */
static void
rewound(struct srun *r, const struct gql_bucket *b, int64_t step,
    int64_t starting)
{
	take_bucket(r, b);
	r->w.hist_base = b->history_line_count;
	r->w.hist_base_row = (int64_t)r->w.rows;
	r->w.events_base = -(int64_t)r->w.events;
	r->w.console_base = -(int64_t)r->w.cons.index;
	r->w.step_shift = step + 1 - starting;
	r->w.config_dirty = 1;
}

static void
step_done(struct http_req *q, void *arg)
{
	struct srun		*r = arg;
	struct gql_bucket	 b;
	char			 err[300];
	int			 next = 0;

	r->gql = NULL;
	if (q->cls != TH_OK) {
		srun_request_failed(r, q, r->step == C_RESUME ?
		    "RunResumeStatus" : r->step == C_REWIND ? "RewindRun" :
		    "UpsertBucket");
		http_req_free(q);
		return;
	}
	switch (r->step) {
	case C_RESUME:
		next = resumed(r, q->resp.p, q->resp.len);
		break;
	case C_REWIND:
		if (gql_rewind_parse(q->resp.p, q->resp.len, &b, err,
		    sizeof(err)) != 0) {
			srun_fail(r, SYNC_STOPPED, "error", 200, "RewindRun: "
			    "%s", err);
			next = -1;
			break;
		}
		rewound(r, &b, r->w.branch_step, r->w.sess.starting_step);
		next = C_UPSERT;
		break;
	case C_UPSERT:
	case C_RECONNECT:
		if (gql_upsert_parse(q->resp.p, q->resp.len, &b, err,
		    sizeof(err)) != 0) {
			srun_fail(r, SYNC_STOPPED, "error", 200, "UpsertBucket: "
			    "%s", err);
			next = -1;
			break;
		}
		if (r->step == C_UPSERT && r->w.sess.fork) {
			int64_t shift = r->w.branch_step + 1 -
			    r->w.sess.starting_step;

			r->w.hist_base = b.history_line_count;
			r->w.hist_base_row = (int64_t)r->w.rows;
			r->w.step_shift = shift > 0 ? shift : 0;
		}
		take_bucket(r, &b);
		r->cur.created = 1;
		cursor_clear_stop(&r->cur);
		bases_to_cursor(r);
		r->dirty = 1;
		srun_commit(r, 1);
		break;
	}
	http_req_free(q);
	if (next < 0 || r->phase == P_DONE)
		return;
	if (next > 0) {
		r->step = next;
		step_send(r);
		return;
	}
	stream(r);
}

/* Send the request of the current creation step. */
static void
step_send(struct srun *r)
{
	const char *name;

	buf_reset(&r->gqlbody);
	switch (r->step) {
	case C_RESUME:
		name = r->w.sess.rewind ? r->w.branch_run : r->id;
		gql_resume_body(&r->gqlbody, r->project, r->entity, name);
		break;
	case C_REWIND:
		gql_rewind_body(&r->gqlbody, r->id, r->cur.entity ?
		    r->cur.entity : r->entity, r->cur.project ? r->cur.project :
		    r->project, (double)r->w.branch_step);
		break;
	default:
		upsert_body(r, &r->gqlbody);
		break;
	}
	r->gql = srun_gql(r, &r->gqlbody, r->step >= C_UPSERT, step_done, r);
}

/* Create (or find again) the run on the server, then stream. */
void
create_begin(struct srun *r)
{
	const struct wire_sess *s = &r->w.sess;

	if (r->e->o.view != NULL) {
		buf_reset(&r->gqlbody);
		upsert_body(r, &r->gqlbody);
		fprintf(r->e->o.view, "graphql %s\n", r->gqlbody.p);
		stream(r);
		return;
	}
	if (r->cur.created)
		r->step = C_RECONNECT;
	else if (s->rewind || (!s->fork && s->resume != WBS_RESUME_UNSET))
		r->step = C_RESUME;
	else
		r->step = C_UPSERT;
	step_send(r);
}

static void
rewind_done(struct http_req *q, void *arg)
{
	struct srun		*r = arg;
	struct gql_bucket	 b;
	char			 err[300];

	r->gql = NULL;
	if (q->cls != TH_OK)
		srun_request_failed(r, q, "RewindRun");
	else if (gql_rewind_parse(q->resp.p, q->resp.len, &b, err,
	    sizeof(err)) != 0)
		srun_fail(r, SYNC_STOPPED, "error", 200, "RewindRun: %s", err);
	else {
		uint64_t lines = r->cur.pos.lines;

		/* Everything before is acknowledged: the cursor moves now. */
		rewound(r, &b, r->rewind_step, r->rewind_starting);
		srun_snapshot(r, &r->cur.pos);
		r->cur.pos.lines = lines;
		r->dirty = 1;
		srun_commit(r, 1);
		create_debounce(r);
		if (r->phase != P_DONE)
			r->phase = P_STREAM;
	}
	http_req_free(q);
	if (r->phase == P_STREAM)
		srun_pump(r);
}

/* A later session rewinds: everything before it is acknowledged now. */
void
create_rewind_later(struct srun *r)
{
	if (r->gql != NULL)
		return;
	if (r->e->o.view != NULL) {
		r->w.hist_base_row = (int64_t)r->w.rows;
		r->w.step_shift = r->rewind_step + 1 - r->rewind_starting;
		fprintf(r->e->o.view, "graphql RewindRun %s _step=%lld\n",
		    r->id, (long long)r->rewind_step);
		r->phase = P_STREAM;
		r->pump_again = 1;
		return;
	}
	buf_reset(&r->gqlbody);
	gql_rewind_body(&r->gqlbody, r->cur.run_id ? r->cur.run_id : r->id,
	    r->cur.entity ? r->cur.entity : r->entity, r->cur.project ?
	    r->cur.project : r->project, (double)r->rewind_step);
	r->gql = srun_gql(r, &r->gqlbody, 0, rewind_done, r);
}

static void
upsert_done(struct http_req *q, void *arg)
{
	struct srun		*r = arg;
	struct gql_bucket	 b;
	char			 err[300];

	r->upsert = NULL;
	if (q->cls != TH_OK) {
		srun_request_failed(r, q, "UpsertBucket");
		http_req_free(q);
		return;
	}
	if (gql_upsert_parse(q->resp.p, q->resp.len, &b, err,
	    sizeof(err)) != 0) {
		srun_fail(r, SYNC_STOPPED, "error", 200, "UpsertBucket: %s",
		    err);
		http_req_free(q);
		return;
	}
	http_req_free(q);
	if (r->w.config_dirty || r->w.params_dirty)
		create_debounce(r);
	srun_pump(r);
}

/* Send the metadata upsert now (or note that another one is due). */
void
create_upsert_now(struct srun *r)
{
	ev_timer_stop(r->e->loop, &r->debounce);
	if (r->upsert != NULL)
		return;
	buf_reset(&r->upsertbody);
	upsert_body(r, &r->upsertbody);
	if (r->e->o.view != NULL) {
		fprintf(r->e->o.view, "graphql %s\n", r->upsertbody.p);
		r->pump_again = 1;
		return;
	}
	r->upsert = srun_gql(r, &r->upsertbody, 1, upsert_done, r);
}

static void
debounce_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	create_upsert_now(w->data);
}

/* Metadata or config changed: upsert after a short quiet time. */
void
create_debounce(struct srun *r)
{
	if (r->phase != P_STREAM && r->phase != P_REWIND &&
	    r->phase != P_FINISH)
		return;
	if (r->upsert != NULL || ev_is_active(&r->debounce))
		return;
	ev_timer_init(&r->debounce, debounce_cb, SYNC_DEBOUNCE, 0.);
	r->debounce.data = r;
	ev_timer_start(r->e->loop, &r->debounce);
}
