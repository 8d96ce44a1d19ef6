/*
 * srun.c - one run: replay what was acknowledged, stream the rest in
 * pipelined file-stream requests, move the cursor only over an
 * acknowledged prefix, finish.
 *
 * Units (requests whose acknowledgement moves the cursor) sit in a FIFO
 * in journal order.  They are sent one at a time, in order, while up to
 * SYNC_DEPTH more are read and encoded ahead; the cursor takes the
 * position of each unit as it is acknowledged.  A request re-sent after
 * a crash or an error carries the same lines at the same offsets, and a
 * line sent again with new content (the summary, a console line that
 * "\r" rewrote) can never be overtaken by its older version.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>

#include "esc.h"
#include "log.h"
#include "syncint.h"

static void	dispatch(struct srun *r);
static void	unit_free(struct unit *u);

static int64_t
now_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

static void
commit_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	srun_commit(w->data, 1);
}

struct srun *
srun_new(struct sync_engine *e, const char *path)
{
	struct srun *r = calloc(1, sizeof(*r));

	if (r == NULL)
		fatalx("out of memory");
	r->e = e;
	r->path = xstrdup(path);
	r->info.path = r->path;
	r->info.reason = r->reason;
	r->info.url = r->url;
	r->info.exit_code = -1;
	TAILQ_INIT(&r->units);
	TAILQ_INIT(&r->uploads);
	cursor_init(&r->cur);
	wire_init(&r->w);
	buf_init(&r->gqlbody);
	buf_init(&r->upsertbody);
	buf_init(&r->alertbody);
	buf_init(&r->urlbody);
	ev_init(&r->debounce, NULL);
	ev_timer_init(&r->commit_timer, commit_timer_cb, 0., 0.);
	r->commit_timer.data = r;
	return r;
}

/* Drop everything in flight. */
static void
cancel_all(struct srun *r)
{
	struct unit *u;

	while ((u = TAILQ_FIRST(&r->units)) != NULL) {
		TAILQ_REMOVE(&r->units, u, link);
		unit_free(u);
	}
	r->nunits = 0;
	r->inflight_bytes = 0;
	http_req_free(r->gql);
	r->gql = NULL;
	http_req_free(r->upsert);
	r->upsert = NULL;
	if (r->e->loop != NULL) {
		ev_timer_stop(r->e->loop, &r->debounce);
		ev_timer_stop(r->e->loop, &r->commit_timer);
	}
	upload_cancel(r);
}

void
srun_free(struct srun *r)
{
	if (r == NULL)
		return;
	cancel_all(r);
	if (r->resume != NULL) {
		gql_resume_release(r->resume);
		free(r->resume);
	}
	wbs_iter_free(r->it);
	wbs_journal_close(r->j);
	cursor_release(&r->cur);
	wire_release(&r->w);
	buf_release(&r->gqlbody);
	buf_release(&r->upsertbody);
	buf_release(&r->alertbody);
	buf_release(&r->urlbody);
	for (size_t i = 0; i < r->ndone_files; i++)
		free(r->done_files[i].path);
	free(r->done_files);
	for (size_t i = 0; i < r->nend_files; i++)
		free(r->end_files[i]);
	free(r->end_files);
	free(r->end_policy);
	free(r->path);
	free(r->rundir);
	free(r->id);
	free(r->entity);
	free(r->project);
	free(r);
}

/* Refresh the display fields. */
static void
info_update(struct srun *r)
{
	struct sync_info *si = &r->info;

	si->id = r->cur.run_id ? r->cur.run_id : r->id;
	si->entity = r->cur.entity ? r->cur.entity : r->entity;
	si->project = r->cur.project ? r->cur.project : r->project;
	si->name = r->cur.display_name ? r->cur.display_name : r->w.name;
	si->lines = r->lines;
	si->records_done = r->cur.pos.seq > 0 ? r->cur.pos.seq - 1 : 0;
	si->records_total = r->last_seq;
	si->lines_total = r->lines + (r->last_seq > si->records_done ?
	    r->last_seq - si->records_done : 0);
	if (si->started > 0)
		si->elapsed = ev_time() - si->started;
	if (si->id != NULL && si->project != NULL)
		sync_run_url(r->url, sizeof(r->url), r->e->base_url,
		    si->entity ? si->entity : "", si->project, si->id);
}

void
srun_event(struct srun *r, enum sync_event ev)
{
	info_update(r);
	if (r->e->o.on_event != NULL)
		r->e->o.on_event(r->e, &r->info, ev, r->e->o.arg);
}

/* The run is over; let the engine start another. */
static void
finish_run(struct srun *r, enum sync_state st)
{
	char *name;

	if (r->phase == P_DONE)
		return;
	r->phase = P_DONE;
	r->info.state = st;
	cancel_all(r);
	wbs_iter_free(r->it);
	r->it = NULL;
	srun_event(r, SYNC_EV_DONE);
	r->e->active--;
	/*
	 * A pass may hold a thousand finished runs until it ends: keep only
	 * what info shows (owned strings), not the journal and its buffers.
	 */
	srun_commit(r, 1);
	wbs_journal_close(r->j);
	r->j = NULL;
	name = r->w.name;		/* info.name may point to it */
	r->w.name = NULL;
	wire_release(&r->w);
	wire_init(&r->w);
	r->w.name = name;
	buf_release(&r->gqlbody);
	buf_release(&r->upsertbody);
	buf_release(&r->alertbody);
	buf_release(&r->urlbody);
}

/* Commit the cursor now (force) or soon. */
void
srun_commit(struct srun *r, int force)
{
	struct buf	b;
	ev_tstamp	now;
	int		rc;

	if (!r->dirty || r->e->o.view != NULL || r->j == NULL)
		return;
	now = ev_now(r->e->loop);
	if (!force && now - r->last_commit < SYNC_COMMIT_EVERY) {
		if (!ev_is_active(&r->commit_timer)) {
			ev_timer_set(&r->commit_timer, SYNC_COMMIT_EVERY, 0.);
			ev_timer_start(r->e->loop, &r->commit_timer);
		}
		return;
	}
	ev_timer_stop(r->e->loop, &r->commit_timer);
	r->cur.updated_us = now_us();
	buf_init(&b);
	cursor_encode(&r->cur, &b);
	rc = wbs_journal_put_cursor(r->j, r->dest, b.p, b.len);
	buf_release(&b);
	r->last_commit = now;
	r->dirty = 0;
	if (rc != 0) {
		snprintf(r->reason, sizeof(r->reason), "cannot record sync "
		    "progress: %s", wbs_journal_errmsg(r->j));
		log_warnx("%s: %s", r->path, r->reason);
		finish_run(r, SYNC_FAILED);
	}
}

/* Stop the run for good, recording why in the cursor. */
void
srun_fail(struct srun *r, enum sync_state st, const char *kind, int status,
    const char *fmt, ...)
{
	va_list ap;

	if (r->phase == P_DONE)
		return;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
	if (kind != NULL && r->j != NULL && r->e->o.view == NULL) {
		cursor_stop(&r->cur, kind, status, r->reason, now_us());
		r->dirty = 1;
		srun_commit(r, 1);
	}
	finish_run(r, st);
}

/* Stop the run after a request failed for good. */
void
srun_request_failed(struct srun *r, struct http_req *q, const char *what)
{
	char		msg[400], detail[300];
	const char	*server = r->e->base_url;

	detail[0] = '\0';
	if (q->resp.len > 0)
		gql_error_text(q->resp.p, q->resp.len, detail, sizeof(detail));
	if (q->status != 0)
		snprintf(msg, sizeof(msg), "HTTP %ld%s%s", q->status,
		    detail[0] ? ": " : "", detail);
	else
		snprintf(msg, sizeof(msg), "%s", q->err[0] ? q->err :
		    "no response");
	switch (q->cls) {
	case TH_AUTH:
		srun_fail(r, SYNC_STOPPED, "auth", (int)q->status, "%s refused "
		    "the credentials on %s (%s); check WANDB_API_KEY, ~/.netrc "
		    "or the api_key in wbstore's config", server, what, msg);
		break;
	case TH_GONE:
		srun_fail(r, SYNC_STOPPED, "gone", (int)q->status, "the run is "
		    "gone from %s (%s on %s); its data stays in the journal",
		    server, msg, what);
		break;
	case TH_RETRY:
		srun_fail(r, SYNC_STOPPED, "retries", (int)q->status, "gave up "
		    "on %s after %d attempts (%s); run wbstore sync again "
		    "later", what, q->attempts, msg);
		break;
	default:
		srun_fail(r, SYNC_STOPPED, "error", (int)q->status, "%s "
		    "failed: %s", what, msg);
		break;
	}
}

static void
retry_cb(struct http_req *q, double delay, void *arg)
{
	struct srun	*r = arg;
	static char	 why[128];

	if (q->status != 0)
		snprintf(why, sizeof(why), "HTTP %ld", q->status);
	else
		snprintf(why, sizeof(why), "%s", q->err[0] ? q->err :
		    "no response");
	r->info.retry_in = delay;
	r->info.retry_why = why;
	srun_event(r, SYNC_EV_RETRY);
}

static void
unit_retry_cb(struct http_req *q, double delay, void *arg)
{
	retry_cb(q, delay, ((struct unit *)arg)->run);
}

/* A GraphQL request with body (borrowed until done). */
struct http_req *
srun_gql(struct srun *r, struct buf *body, int upsert, http_done_fn *done,
    void *arg)
{
	struct http_req *q = http_req_new();

	http_req_url(q, "%s/graphql", r->e->base_url);
	q->auth = 1;
	q->upsert = upsert;
	q->ctype = "application/json";
	q->body = body->p;
	q->bodylen = body->len;
	q->done = done;
	q->on_retry = retry_cb;
	q->arg = arg;
	http_submit(r->e->http, q);
	return q;
}

/* ------------------------------------------------------------------ */
/* Units */

static struct unit *
unit_new(struct srun *r, enum unit_kind kind)
{
	struct unit *u = calloc(1, sizeof(*u));

	if (u == NULL)
		fatalx("out of memory");
	u->kind = kind;
	u->run = r;
	buf_init(&u->body);
	return u;
}

static void
unit_free(struct unit *u)
{
	http_req_free(u->req);
	buf_release(&u->body);
	for (size_t i = 0; i < u->nuploaded; i++)
		free(u->uploaded[i].path);
	free(u->uploaded);
	free(u);
}

/* The cursor position as of now. */
void
srun_snapshot(struct srun *r, struct cursor_pos *p)
{
	const struct wire *w = &r->w;

	memset(p, 0, sizeof(*p));
	p->seq = wire_done_seq(w);
	p->hist_base = w->hist_base;
	p->hist_base_row = w->hist_base_row;
	p->events_base = w->events_base;
	p->console_base = w->console_base;
	p->hist_next = wire_hist_next(w);
	p->events_next = wire_events_next(w);
	p->console_next = wire_console_next(w);
	p->step_shift = w->step_shift;
	p->runtime_shift_us = w->runtime_shift_us;
	p->console_open = w->cons.line.len > 0 && w->cons.sent &&
	    !w->cons.dirty ? (int64_t)w->cons.line.len : -1;
}

static void
enqueue(struct srun *r, struct unit *u)
{
	TAILQ_INSERT_TAIL(&r->units, u, link);
	r->nunits++;
}

/* Put the files uploaded so far into the body as "uploaded". */
static void
take_uploaded(struct srun *r, struct unit *u, int *first)
{
	if (r->ndone_files == 0)
		return;
	if (!*first)
		buf_addc(&u->body, ',');
	*first = 0;
	buf_adds(&u->body, "\"uploaded\":[");
	for (size_t i = 0; i < r->ndone_files; i++) {
		if (i > 0)
			buf_addc(&u->body, ',');
		esc_str(&u->body, r->done_files[i].path,
		    strlen(r->done_files[i].path));
	}
	buf_addc(&u->body, ']');
	u->uploaded = r->done_files;
	u->nuploaded = r->ndone_files;
	r->done_files = NULL;
	r->ndone_files = 0;
}

/* Seal the staged lines (and the summary if asked) into a unit. */
static void
seal(struct srun *r, int summary)
{
	struct wire_batch	wb;
	struct unit		*u;
	int			 first = 1;
	size_t			 start;

	if (summary && !r->w.summ.dirty && r->summary_sent)
		summary = 0;
	if (!wire_pending(&r->w) && !summary && !r->w.preempt &&
	    r->ndone_files == 0)
		return;
	u = unit_new(r, U_BATCH);
	buf_addc(&u->body, '{');
	start = u->body.len;
	wire_body(&r->w, &u->body, summary, r->cur.summary_base, &wb);
	if (u->body.len != start)
		first = 0;
	take_uploaded(r, u, &first);
	if (r->w.preempt) {
		buf_adds(&u->body, first ? "\"preempting\":true" :
		    ",\"preempting\":true");
		first = 0;
		r->w.preempt = 0;
	}
	buf_addc(&u->body, '}');
	if (first) {
		unit_free(u);
		return;
	}
	if (summary) {
		r->summary_sent = 1;
		r->summary_at = ev_now(r->e->loop);
	}
	u->lines = wb.lines;
	srun_snapshot(r, &u->pos);
	u->records = u->pos.seq > r->start_seq ? u->pos.seq - r->start_seq : 0;
	r->inflight_bytes += u->body.len;
	enqueue(r, u);
}

/* Move the cursor over the acknowledged prefix. */
static void
advance(struct srun *r)
{
	struct unit *u;

	while ((u = TAILQ_FIRST(&r->units)) != NULL && u->acked) {
		uint64_t lines = r->cur.pos.lines + u->lines;

		TAILQ_REMOVE(&r->units, u, link);
		r->nunits--;
		r->inflight_bytes -= u->body.len;
		if (u->kind != U_FINAL) {
			r->cur.pos = u->pos;
			r->cur.pos.lines = lines;
		}
		r->lines += u->lines;
		for (size_t i = 0; i < u->nuploaded; i++)
			cursor_add_file(&r->cur, u->uploaded[i].path,
			    u->uploaded[i].size, u->uploaded[i].mtime_ns);
		if (u->kind == U_FINAL) {
			r->cur.finished = 1;
			r->cur.exit_code = r->info.exit_code;
			r->cur.synced = !r->e->o.no_mark_synced;
			r->cur.last_seq = r->last_seq;
		}
		r->dirty = 1;
		if (u->kind == U_FINAL) {
			unit_free(u);
			cursor_clear_stop(&r->cur);
			srun_commit(r, 1);
			finish_run(r, SYNC_SYNCED);
			return;
		}
		unit_free(u);
	}
	srun_commit(r, 0);
	srun_event(r, SYNC_EV_PROGRESS);
}

static void
unit_done(struct http_req *q, void *arg)
{
	struct unit	*u = arg;
	struct srun	*r = u->run;
	char		 err[300];

	if (q->cls != TH_OK) {
		srun_request_failed(r, q, u->kind == U_ALERT ? "an alert" :
		    "the file stream");
		return;
	}
	if (u->kind == U_ALERT && gql_alert_parse(q->resp.p, q->resp.len, err,
	    sizeof(err)) != 0)
		log_warnx("%s: alert not delivered: %s", r->path, err);
	r->info.retry_in = 0;
	u->acked = 1;
	http_req_free(u->req);
	u->req = NULL;
	advance(r);
	srun_pump(r);
}

/* Send a unit (or, in view mode, print it and count it acknowledged). */
static void
unit_send(struct srun *r, struct unit *u)
{
	const char *e = r->cur.entity ? r->cur.entity : r->entity;
	const char *p = r->cur.project ? r->cur.project : r->project;
	const char *id = r->cur.run_id ? r->cur.run_id : r->id;

	u->sent = 1;
	if (r->e->o.view != NULL) {
		fprintf(r->e->o.view, "%s %s\n", u->kind == U_ALERT ?
		    "graphql" : "file_stream", u->body.p);
		u->acked = 1;
		return;
	}
	if (u->kind == U_ALERT) {
		u->req = srun_gql(r, &u->body, 0, unit_done, u);
		u->req->on_retry = unit_retry_cb;
		return;
	}
	u->req = http_req_new();
	http_req_url(u->req, "%s/files/%s/%s/%s/file_stream", r->e->base_url,
	    e && *e ? e : "-", p, id);
	u->req->auth = 1;
	u->req->ctype = "application/json";
	u->req->body = u->body.p;
	u->req->bodylen = u->body.len;
	u->req->done = unit_done;
	u->req->on_retry = unit_retry_cb;
	u->req->arg = u;
	http_submit(r->e->http, u->req);
}

/*
 * Send the next unit.  Requests of a run go one at a time, in journal
 * order: a server that stores lines as they come (the relay does) must
 * never see a gap, and a re-sent line never overtakes its older self.
 * Reading and encoding the next units goes on meanwhile.
 */
static void
dispatch(struct srun *r)
{
	struct unit *u;

	while ((u = TAILQ_FIRST(&r->units)) != NULL) {
		if (!u->sent)
			unit_send(r, u);
		if (!u->acked || r->e->o.view == NULL)
			return;
		advance(r);
		if (r->phase == P_DONE)
			return;
		r->pump_again = 1;
	}
}

/* ------------------------------------------------------------------ */
/* Reading */

/*
 * Give back the pages of the journal map already read (RSS stays flat).
 * The map is found in /proc/self/maps by the device and inode of
 * data.mdb: the path there is the resolved one, not the one given.
 */
static void
trim_map(struct srun *r)
{
#ifdef MADV_DONTNEED
	char		 line[PATH_MAX + 256], file[PATH_MAX];
	struct stat	 sb;
	FILE		*f;

	snprintf(file, sizeof(file), "%s/data.mdb", wbs_journal_path(r->j));
	if (stat(file, &sb) != 0 || (f = fopen("/proc/self/maps",
	    "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long	 lo, hi, off, ino;
		unsigned	 maj, min;
		char		 perms[8];

		if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu", &lo, &hi, perms,
		    &off, &maj, &min, &ino) != 7 || perms[1] == 'w')
			continue;
		if (ino == (unsigned long)sb.st_ino && maj == major(sb.st_dev) &&
		    min == minor(sb.st_dev))
			(void)madvise((void *)lo, hi - lo, MADV_DONTNEED);
	}
	fclose(f);
#else
	(void)r;
#endif
}

/* Note a file the run registered. */
static void
file_record(struct srun *r, const struct wbs_file *f, int replay)
{
	const struct cursor_file *cf = cursor_file(&r->cur, f->path);

	if (f->policy == WBS_POLICY_END || f->policy == WBS_POLICY_LIVE) {
		r->end_files = realloc(r->end_files, (r->nend_files + 1) *
		    sizeof(*r->end_files));
		r->end_policy = realloc(r->end_policy, (r->nend_files + 1) *
		    sizeof(*r->end_policy));
		if (r->end_files == NULL || r->end_policy == NULL)
			fatalx("out of memory");
		r->end_files[r->nend_files] = xstrdup(f->path);
		r->end_policy[r->nend_files++] = f->policy;
	}
	if (f->policy == WBS_POLICY_END)
		return;
	if (replay && cf != NULL)
		return;		/* uploaded before */
	upload_file(r, f->path, f->policy);
}

/* The journal has nothing more for now. */
static void
end_of_data(struct srun *r)
{
	struct wbs_journal_stat st;

	if (wbs_journal_stat(r->j, &st) == 0) {
		r->live = st.live;
		r->last_seq = st.last_seq;
	}
	r->eof_final = !r->live || r->w.exit_seen;
	wire_end(&r->w, r->eof_final);
	r->at_end = 1;
	seal(r, 1);
}

/* 1 if the record is one that only changes state before any line. */
static int
lookahead_type(int type)
{
	return type == WBS_REC_CONFIG || type == WBS_REC_METRIC ||
	    type == WBS_REC_SET || type == WBS_REC_TAGS ||
	    type == WBS_REC_SUMMARY || type == WBS_REC_ENVIRONMENT;
}

/* Read records into the staged batch until it is full or data ends. */
static void
produce(struct srun *r)
{
	const struct wbs_record	*rec;
	int			 rc;

	for (;;) {
		if ((rc = wbs_iter_next(r->it, &rec)) < 0) {
			srun_fail(r, SYNC_FAILED, NULL, 0, "%s",
			    wbs_journal_errmsg(r->j));
			return;
		}
		if (rc == 0) {
			end_of_data(r);
			return;
		}
		if (++r->nread - r->trim_at >= SYNC_TRIM_EVERY) {
			r->trim_at = r->nread;
			trim_map(r);
		}
		switch (wire_record(&r->w, rec)) {
		case WIRE_RUN:
			if (r->w.sess.rewind && r->w.nsess > 1 &&
			    r->w.branch_run != NULL && r->id != NULL &&
			    strcmp(r->w.branch_run, r->id) == 0) {
				struct unit *u;

				/*
				 * The lines before the session go first; their
				 * acknowledgement leaves the cursor on the run
				 * record, so that a sync stopped before the
				 * rewind is recorded rewinds again.
				 */
				seal(r, 0);
				if ((u = TAILQ_LAST(&r->units, unitq)) != NULL &&
				    u->pos.seq > rec->seq)
					u->pos.seq = rec->seq;
				r->rewind_step = r->w.branch_step;
				r->rewind_starting = r->w.sess.starting_step;
				r->phase = P_REWIND;
				return;
			}
			break;
		case WIRE_FILE:
			file_record(r, rec->file, 0);
			break;
		case WIRE_ALERT: {
			struct unit *u;

			seal(r, 0);
			u = unit_new(r, U_ALERT);
			gql_alert_body(&u->body, r->cur.entity ? r->cur.entity :
			    r->entity, r->cur.project ? r->cur.project :
			    r->project, r->cur.run_id ? r->cur.run_id : r->id,
			    rec->alert->title, rec->alert->text,
			    rec->alert->level, rec->alert->wait_ms);
			srun_snapshot(r, &u->pos);
			enqueue(r, u);
			return;
		}
		default:
			break;
		}
		if (r->w.config_dirty || r->w.params_dirty)
			create_debounce(r);
		if (wire_staged(&r->w) >= r->e->batch) {
			seal(r, r->w.summ.dirty && ev_now(r->e->loop) -
			    r->summary_at >= SYNC_SUMMARY_EVERY);
			return;
		}
	}
}

/* Replay what the cursor covers, without sending (state only). */
static int
replay(struct srun *r)
{
	const struct wbs_record	*rec;
	int			 rc;

	r->w.emit = 0;
	while (r->w.next_seq < r->cur.pos.seq) {
		if ((rc = wbs_iter_next(r->it, &rec)) < 0)
			return rc;
		if (rc == 0)
			break;
		if (rec->seq >= r->cur.pos.seq) {
			/* Records were removed?  Start over from here. */
			break;
		}
		if (wire_record(&r->w, rec) == WIRE_FILE)
			file_record(r, rec->file, 1);
		if (++r->nread - r->trim_at >= SYNC_TRIM_EVERY) {
			r->trim_at = r->nread;
			trim_map(r);
		}
	}
	/* A row open here was sent when its data ended: close it too. */
	wire_end(&r->w, 1);
	r->w.config_dirty = r->w.params_dirty = 0;
	/* The unfinished console line goes again unless it went as it is. */
	if (r->w.cons.line.len > 0) {
		r->w.cons.sent = 1;
		r->w.cons.dirty = r->cur.pos.console_open !=
		    (int64_t)r->w.cons.line.len;
	}
	r->w.emit = 1;
	wbs_iter_free(r->it);
	r->it = NULL;
	return wbs_iter_open(&r->it, r->j, r->cur.pos.seq);
}

/*
 * Before creating the run, take in the first session and the records
 * that only set state (config, tags, ...) so that the creating upsert
 * carries them, as W&B's first upsert does.
 */
static int
lookahead(struct srun *r)
{
	const struct wbs_record	*rec;
	uint64_t		 stop = 1;
	int			 rc;

	r->w.emit = 1;
	while ((rc = wbs_iter_next(r->it, &rec)) == 1) {
		if (rec->seq == 1 ? rec->type != WBS_REC_RUN :
		    !lookahead_type(rec->type))
			break;
		if (wire_record(&r->w, rec) == WIRE_FILE)
			file_record(r, rec->file, 0);
		stop = rec->seq + 1;
	}
	if (rc < 0)
		return rc;
	if (r->w.nsess == 0)
		return WBS_ECORRUPT;
	wbs_iter_free(r->it);
	r->it = NULL;
	return wbs_iter_open(&r->it, r->j, stop);
}

/* ------------------------------------------------------------------ */
/* Flow */

/* Everything before the run's end is done: finish, or leave it running. */
static void
check_complete(struct srun *r)
{
	if (r->phase != P_STREAM || !r->at_end || !TAILQ_EMPTY(&r->units) ||
	    r->upsert != NULL || upload_busy(r))
		return;
	if (ev_is_active(&r->debounce) || r->w.config_dirty ||
	    r->w.params_dirty) {
		create_upsert_now(r);
		return;
	}
	if (r->ndone_files > 0) {
		seal(r, 0);
		dispatch(r);
		return;
	}
	if (r->w.exit_seen || (r->eof_final && r->e->o.finish_crashed)) {
		r->info.exit_code = r->w.exit_seen ? r->w.exit_code : 1;
		r->phase = P_FINISH;
		upload_finish_files(r);
		srun_pump(r);
		return;
	}
	r->cur.last_seq = r->last_seq;
	cursor_clear_stop(&r->cur);
	r->dirty = 1;
	srun_commit(r, 1);
	if (r->live)
		snprintf(r->reason, sizeof(r->reason), "the run is still "
		    "being written");
	else if (!r->w.exit_seen)
		snprintf(r->reason, sizeof(r->reason), "no exit record: left "
		    "running (--finish-crashed marks it crashed)");
	finish_run(r, SYNC_UPTODATE);
}

/* The last request: complete and exit code, once all else is in. */
static void
finish_step(struct srun *r)
{
	struct unit	*u;
	int		 first = 1;

	if (upload_busy(r) || !TAILQ_EMPTY(&r->units) || r->final_queued)
		return;
	u = unit_new(r, U_FINAL);
	buf_addc(&u->body, '{');
	take_uploaded(r, u, &first);
	buf_printf(&u->body, "%s\"complete\":true,\"exitcode\":%d}",
	    first ? "" : ",", r->info.exit_code);
	srun_snapshot(r, &u->pos);
	r->final_queued = 1;
	enqueue(r, u);
	dispatch(r);
}

/* Make progress: read, seal, send, finish. */
void
srun_pump(struct srun *r)
{
	if (r->in_pump) {
		r->pump_again = 1;
		return;
	}
	r->in_pump = 1;
	do {
		r->pump_again = 0;
		switch (r->phase) {
		case P_STREAM:
			upload_pump(r);
			while (r->phase == P_STREAM && !r->at_end &&
			    r->nunits < SYNC_DEPTH)
				produce(r);
			if (r->phase == P_STREAM || r->phase == P_REWIND)
				dispatch(r);
			if (r->phase == P_REWIND && TAILQ_EMPTY(&r->units) &&
			    r->upsert == NULL)
				create_rewind_later(r);
			check_complete(r);
			break;
		case P_REWIND:
			if (TAILQ_EMPTY(&r->units) && r->upsert == NULL)
				create_rewind_later(r);
			else
				dispatch(r);
			break;
		case P_FINISH:
			upload_pump(r);
			dispatch(r);
			finish_step(r);
			break;
		default:
			break;
		}
	} while (r->pump_again && r->phase != P_DONE);
	r->in_pump = 0;
}

/* Open the journal, read the cursor, decide, replay, then create. */
void
srun_start(struct srun *r)
{
	struct sync_engine		*e = r->e;
	const struct wbs_run_info	*ri;
	struct wbs_journal_stat		 st;
	const void			*val;
	size_t				 len;
	char				 err[600], *slash;
	int				 rc;

	r->phase = P_CREATE;
	r->info.state = SYNC_ACTIVE;
	r->info.started = ev_time();
	e->active++;
	if ((rc = wbs_journal_open(&r->j, r->path, e->o.view ?
	    WBS_JOURNAL_RDONLY : WBS_JOURNAL_RDWR, err, sizeof(err))) != 0) {
		srun_fail(r, SYNC_FAILED, NULL, 0, "%s%s", err, rc == WBS_EIO ?
		    " (sync needs to write its progress into the journal)" :
		    "");
		return;
	}
	r->rundir = xstrdup(wbs_journal_path(r->j));
	if ((slash = strrchr(r->rundir, '/')) != NULL)
		*slash = '\0';
	else
		cursor_set(&r->rundir, ".");
	if (wbs_journal_stat(r->j, &st) != 0 ||
	    wbs_journal_info(r->j, &ri) != 0) {
		srun_fail(r, SYNC_FAILED, NULL, 0, "%s",
		    wbs_journal_errmsg(r->j));
		return;
	}
	r->live = st.live;
	r->last_seq = st.last_seq;
	r->id = xstrdup(e->o.run_id ? e->o.run_id : ri->id);
	r->entity = xstrdup(e->o.entity ? e->o.entity : ri->entity);
	r->project = xstrdup(e->o.project ? e->o.project : ri->project);
	cursor_dest(r->dest, sizeof(r->dest), e->base_url, r->entity,
	    r->project);
	rc = wbs_journal_get_cursor(r->j, r->dest, &val, &len);
	if (rc == 0 && cursor_decode(&r->cur, val, len, err,
	    sizeof(err)) != 0) {
		srun_fail(r, SYNC_FAILED, NULL, 0, "%s: %s", r->dest, err);
		return;
	}
	if (rc != 0 && rc != WBS_ENOTFOUND) {
		srun_fail(r, SYNC_FAILED, NULL, 0, "%s",
		    wbs_journal_errmsg(r->j));
		return;
	}
	if (r->cur.run_id != NULL && strcmp(r->cur.run_id, r->id) != 0) {
		log_warnx("%s: progress recorded for run %s at %s; starting "
		    "over for run %s", r->path, r->cur.run_id, r->dest, r->id);
		cursor_release(&r->cur);
	}
	if (e->o.view != NULL)
		cursor_init(&r->cur);
	if (r->cur.stop_kind != NULL && strcmp(r->cur.stop_kind, "gone") == 0) {
		snprintf(r->reason, sizeof(r->reason), "%s", r->cur.stop_msg ?
		    r->cur.stop_msg : "the run is gone from the server");
		finish_run(r, SYNC_STOPPED);
		return;
	}
	if (r->cur.finished && r->cur.pos.seq > r->last_seq &&
	    !e->o.include_synced && (r->cur.synced || e->o.no_mark_synced)) {
		snprintf(r->reason, sizeof(r->reason), "already synced");
		r->info.exit_code = r->cur.exit_code;
		finish_run(r, SYNC_SKIPPED);
		return;
	}
	r->start_seq = r->cur.pos.seq;
	r->w.step_shift = r->cur.pos.step_shift;
	r->w.runtime_shift_us = r->cur.pos.runtime_shift_us;
	r->w.hist_base = r->cur.pos.hist_base;
	r->w.hist_base_row = r->cur.pos.hist_base_row;
	r->w.events_base = r->cur.pos.events_base;
	r->w.console_base = r->cur.pos.console_base;
	srun_event(r, SYNC_EV_START);
	if ((rc = wbs_iter_open(&r->it, r->j, 1)) != 0 ||
	    (rc = r->cur.created ? replay(r) : lookahead(r)) != 0) {
		srun_fail(r, SYNC_FAILED, NULL, 0, "%s", rc == WBS_ECORRUPT &&
		    r->w.nsess == 0 ? "journal does not start with a run "
		    "record" : wbs_journal_errmsg(r->j));
		return;
	}
	create_begin(r);
}
