/*
 * worker.c - sync passes: the main thread picks the runs that changed
 * and hands them to the worker thread, which runs the sync engine over
 * them on its own loop; results come back through an ev_async.
 *
 * One pass at a time: a run is never in two passes, so the engine's
 * cursor (committed after each acknowledgement) is the only progress
 * there is, and a restart resumes from it.  A failed pass backs the run
 * off (1 s doubling to 60 s); a run left without a writer and without an
 * exit record is finished as crashed after the grace period.
 */
#include "config.h"

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "daemon.h"
#include "log.h"

/* Free a pass and its results. */
static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	for (size_t i = 0; i < j->n; i++)
		free(j->paths[i]);
	free(j->paths);
	free(j->runs);
	free(j->res);
	free(j->base_url);
	free(j);
}

/* In the worker: one pass of the engine over the job's runs. */
static void
job_run(struct daemon *d, struct ev_loop *loop, struct job *j)
{
	struct sync_opts	 o;
	struct sync_engine	*e;

	memset(&o, 0, sizeof(o));
	o.loop = loop;
	o.base_url = j->base_url;
	o.jobs = j->jobs;
	o.max_retries = j->retries;
	o.timeout_s = j->timeout;
	o.finish_crashed = j->finish_crashed;
	(void)d;
	if ((e = sync_new(&o, j->err, sizeof(j->err))) == NULL) {
		for (size_t i = 0; i < j->n; i++) {
			j->res[i].state = SYNC_FAILED;
			snprintf(j->res[i].reason, sizeof(j->res[i].reason),
			    "%s", j->err);
		}
		return;
	}
	for (size_t i = 0; i < j->n; i++)
		sync_add(e, j->paths[i]);
	(void)sync_run(e);
	for (size_t i = 0; i < j->n; i++) {
		const struct sync_info	*si = sync_get(e, i);
		struct jres		*r = &j->res[i];

		r->state = si->state;
		r->exit_code = si->exit_code;
		r->retry_in = si->retry_in;
		r->backlog = si->records_total > si->records_done &&
		    si->state != SYNC_UPTODATE && si->state != SYNC_SYNCED ?
		    si->records_total - si->records_done : 0;
		snprintf(r->id, sizeof(r->id), "%s", si->id ? si->id : "");
		snprintf(r->reason, sizeof(r->reason), "%s",
		    si->reason ? si->reason : "");
	}
	sync_free(e);
	/* A pass's buffers can be large: give them back between passes. */
	malloc_trim(0);
}

/* The worker thread: take a pass, run it, hand it back. */
static void *
worker_main(void *arg)
{
	struct daemon	*d = arg;
	struct ev_loop	*loop = ev_loop_new(EVFLAG_AUTO);
	struct job	*j;

	if (loop == NULL)
		fatalx("cannot create the sync worker's event loop");
	pthread_mutex_lock(&d->mu);
	while (!d->worker_quit) {
		if (d->todo == NULL) {
			pthread_cond_wait(&d->cv, &d->mu);
			continue;
		}
		j = d->running = d->todo;
		d->todo = NULL;
		pthread_mutex_unlock(&d->mu);
		job_run(d, loop, j);
		pthread_mutex_lock(&d->mu);
		d->running = NULL;
		d->finished = j;
		pthread_cond_broadcast(&d->cv);
		ev_async_send(d->loop, &d->async);
	}
	pthread_mutex_unlock(&d->mu);
	ev_loop_destroy(loop);
	return NULL;
}

/* Back the run off after a failed pass. */
static void
run_backoff(struct daemon *d, struct drun *r, double now, double hint)
{
	r->backoff = r->backoff < DAEMON_BACKOFF_MIN ? DAEMON_BACKOFF_MIN :
	    r->backoff * 2;
	if (r->backoff > DAEMON_BACKOFF_MAX)
		r->backoff = DAEMON_BACKOFF_MAX;
	r->next_retry = now + (hint > r->backoff ? hint : r->backoff);
	r->dirty = 1;
	(void)d;
}

/* Take in one run's result. */
static void
run_result(struct daemon *d, struct drun *r, const struct jres *res,
    double now)
{
	struct stat sb;

	r->inpass = 0;
	r->passes++;
	r->last_pass = now;
	r->seen_state = 1;
	r->state = res->state;
	r->exit_code = res->exit_code;
	r->backlog = res->backlog;
	if (res->id[0] != '\0' && (r->id == NULL || strcmp(r->id,
	    res->id) != 0)) {
		free(r->id);
		if ((r->id = strdup(res->id)) == NULL)
			fatalx("out of memory");
	}
	switch (res->state) {
	case SYNC_SYNCED:
	case SYNC_SKIPPED:
		if (res->state == SYNC_SYNCED)
			log_info("%s: synced (exit %d)", r->path,
			    res->exit_code);
		r->done = 1;
		r->crash = 0;
		r->err[0] = '\0';
		r->backoff = r->next_retry = 0;
		break;
	case SYNC_UPTODATE:
		r->done = 0;
		r->err[0] = '\0';
		r->backoff = r->next_retry = 0;
		r->live = watch_live(r->path);
		if (!r->live && r->dead_since == 0)
			r->dead_since = now;
		break;
	case SYNC_STOPPED:
		if (strstr(res->reason, "gone") != NULL) {
			r->done = 1;	/* deleted on the server: never again */
			break;
		}
		/* FALLTHROUGH */
	default:
		if (strcmp(r->err, res->reason) != 0)
			log_warnx("%s: %s: %s", r->path,
			    sync_state_name(res->state), res->reason);
		snprintf(r->err, sizeof(r->err), "%s", res->reason);
		run_backoff(d, r, now, res->retry_in);
		break;
	}
	if (r->now) {
		r->now = 0;
		if (--d->now_pending == 0)
			ctl_now_done(d);
	}
	if (stat(r->path, &sb) != 0)
		drun_remove(d, r);
}

/* Results are back from the worker. */
static void
worker_async_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	struct daemon	*d = w->data;
	struct job	*j;
	double		 now = ev_now(loop);

	(void)revents;
	pthread_mutex_lock(&d->mu);
	j = d->finished;
	d->finished = NULL;
	pthread_mutex_unlock(&d->mu);
	if (j == NULL)
		return;
	d->passes++;
	if (j->err[0] != '\0')
		log_debug("sync pass: %s", j->err);
	for (size_t i = 0; i < j->n; i++)
		run_result(d, j->runs[i], &j->res[i], now);
	job_free(j);
	worker_timers(d);
	worker_kick(d);
	watcher_status(d);
}

/* 1 if the run should go into the next pass. */
static int
run_ready(const struct drun *r, double now, int crash)
{
	if (r->inpass || !r->dirty || r->root->gone)
		return 0;
	if (r->next_retry > now && !r->now)
		return 0;
	return crash ? r->crash : !r->crash;
}

/* Build the next pass, or NULL if nothing is due. */
static struct job *
job_next(struct daemon *d, double now)
{
	struct job	*j;
	int		 crash = 0;
	size_t		 n = 0;

	for (size_t i = 0; i < d->nruns; i++)
		if (run_ready(d->runs[i], now, 1))
			crash = 1;
	for (size_t i = 0; i < d->nruns; i++)
		if (run_ready(d->runs[i], now, crash))
			n++;
	if (n == 0)
		return NULL;
	if (n > DAEMON_BATCH)
		n = DAEMON_BATCH;
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->paths = calloc(n, sizeof(*j->paths))) == NULL ||
	    (j->runs = calloc(n, sizeof(*j->runs))) == NULL ||
	    (j->res = calloc(n, sizeof(*j->res))) == NULL)
		fatalx("out of memory");
	j->finish_crashed = crash;
	j->jobs = d->conf.jobs;
	j->retries = d->conf.retries;
	j->timeout = d->conf.timeout;
	if (d->conf.base_url != NULL &&
	    (j->base_url = strdup(d->conf.base_url)) == NULL)
		fatalx("out of memory");
	/* `sync --now` first, then in the order found. */
	for (int pass = 0; pass < 2 && j->n < n; pass++)
		for (size_t i = 0; i < d->nruns && j->n < n; i++) {
			struct drun *r = d->runs[i];

			if (!run_ready(r, now, crash) || (pass == 0) != r->now)
				continue;
			if ((j->paths[j->n] = strdup(r->path)) == NULL)
				fatalx("out of memory");
			j->runs[j->n++] = r;
			r->inpass = 1;
			r->dirty = 0;
			if (crash)
				r->crash = 0;
		}
	return j;
}

/* Hand the worker its next pass if it is free. */
static void
kick_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct daemon	*d = w->data;
	struct job	*j;
	int		 busy;

	(void)revents;
	ev_idle_stop(loop, w);
	pthread_mutex_lock(&d->mu);
	busy = d->todo != NULL || d->running != NULL || d->finished != NULL;
	pthread_mutex_unlock(&d->mu);
	if (busy || !d->worker_on)
		return;
	if ((j = job_next(d, ev_now(loop))) == NULL)
		return;
	pthread_mutex_lock(&d->mu);
	d->todo = j;
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

/* Something may be due: look once the loop is idle. */
void
worker_kick(struct daemon *d)
{
	if (d->loop != NULL && !ev_is_active(&d->kick))
		ev_idle_start(d->loop, &d->kick);
}

/* A backoff is over: look for due runs. */
static void
retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = w->data;

	(void)loop;
	(void)revents;
	d->wakeups++;
	worker_kick(d);
}

/* Arm the retry timer for the earliest backed-off run. */
void
worker_timers(struct daemon *d)
{
	double	now = ev_now(d->loop), next = 0;

	for (size_t i = 0; i < d->nruns; i++) {
		struct drun *r = d->runs[i];

		if (r->dirty && !r->inpass && r->next_retry > now &&
		    (next == 0 || r->next_retry < next))
			next = r->next_retry;
	}
	ev_timer_stop(d->loop, &d->retry_timer);
	if (next > 0) {
		ev_timer_set(&d->retry_timer, next - now + 0.001, 0);
		ev_timer_start(d->loop, &d->retry_timer);
	}
}

/*
 * Runs left running without a writer: after the grace period, one more
 * pass finishes them as crashed (the engine checks for an exit record).
 */
void
worker_check_dead(struct daemon *d)
{
	double now = ev_now(d->loop);

	for (size_t i = 0; i < d->nruns; i++) {
		struct drun *r = d->runs[i];

		if (r->done || r->inpass || !r->seen_state ||
		    r->state != SYNC_UPTODATE || r->crash)
			continue;
		if ((r->live = watch_live(r->path))) {
			r->dead_since = 0;
			continue;
		}
		if (r->dead_since == 0)
			r->dead_since = now;
		else if (now - r->dead_since >= d->conf.grace) {
			log_info("%s: no writer for %.0f s and no exit record: "
			    "finishing it as crashed (exit 1)", r->path,
			    now - r->dead_since);
			r->crash = 1;
			r->dirty = 1;
			worker_kick(d);
		}
	}
}

/* Now and then: look for runs left without a writer. */
static void
crash_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = w->data;

	(void)loop;
	(void)revents;
	d->wakeups++;
	worker_check_dead(d);
}

/* Live runs with no news get a pass now and then (a heartbeat). */
static void
beat_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = w->data;

	(void)loop;
	(void)revents;
	d->wakeups++;
	for (size_t i = 0; i < d->nruns; i++) {
		struct drun *r = d->runs[i];

		if (!r->done && r->seen_state && r->state == SYNC_UPTODATE &&
		    r->live && ev_now(d->loop) - r->last_pass >=
		    d->conf.heartbeat * 0.9)
			drun_touch(d, r);
	}
}

/* The crash check's period: a quarter of the grace, 0.25 s to 30 s. */
static double
crash_period(const struct daemon *d)
{
	double p = d->conf.grace / 4;

	return p < 0.25 ? 0.25 : p > 30 ? 30 : p;
}

/* Start the worker thread and the timers. */
int
worker_start(struct daemon *d, char *err, size_t errlen)
{
	sigset_t	all, old;
	int		rc;

	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv, NULL);
	ev_async_init(&d->async, worker_async_cb);
	d->async.data = d;
	ev_async_start(d->loop, &d->async);
	ev_idle_init(&d->kick, kick_cb);
	d->kick.data = d;
	ev_timer_init(&d->retry_timer, retry_cb, 1, 0);
	d->retry_timer.data = d;
	ev_timer_init(&d->crash_timer, crash_cb, crash_period(d),
	    crash_period(d));
	d->crash_timer.data = d;
	ev_timer_start(d->loop, &d->crash_timer);
	ev_timer_init(&d->beat_timer, beat_cb, d->conf.heartbeat,
	    d->conf.heartbeat);
	d->beat_timer.data = d;
	ev_timer_start(d->loop, &d->beat_timer);
	/* Signals go to the main thread's loop only. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&d->thread, NULL, worker_main, d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the sync worker: %s",
		    strerror(rc));
		return -1;
	}
	d->worker_on = 1;
	return 0;
}

/* After a reload: the timers' periods may have changed. */
void
worker_reconf(struct daemon *d)
{
	ev_timer_stop(d->loop, &d->crash_timer);
	ev_timer_set(&d->crash_timer, crash_period(d), crash_period(d));
	ev_timer_start(d->loop, &d->crash_timer);
	ev_timer_stop(d->loop, &d->beat_timer);
	ev_timer_set(&d->beat_timer, d->conf.heartbeat, d->conf.heartbeat);
	ev_timer_start(d->loop, &d->beat_timer);
}

/*
 * Stop the worker: let a pass in progress end for up to wait_s seconds
 * (its acknowledged progress is committed as it goes, so leaving it is
 * as safe as a crash).  0 if the thread ended, -1 if it was left.
 */
int
worker_stop(struct daemon *d, double wait_s)
{
	struct timespec	ts;
	int		left = 0;

	if (!d->worker_on)
		return 0;
	ev_timer_stop(d->loop, &d->crash_timer);
	ev_timer_stop(d->loop, &d->beat_timer);
	ev_timer_stop(d->loop, &d->retry_timer);
	ev_idle_stop(d->loop, &d->kick);
	ev_async_stop(d->loop, &d->async);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)wait_s;
	pthread_mutex_lock(&d->mu);
	d->worker_quit = 1;
	pthread_cond_broadcast(&d->cv);
	while (d->running != NULL)
		if (pthread_cond_timedwait(&d->cv, &d->mu, &ts) == ETIMEDOUT)
			break;
	left = d->running != NULL;
	pthread_mutex_unlock(&d->mu);
	d->worker_on = 0;
	if (left) {
		log_warnx("stopping in the middle of a sync pass; its "
		    "acknowledged progress is kept");
		return -1;
	}
	pthread_join(d->thread, NULL);
	job_free(d->todo);
	job_free(d->finished);
	d->todo = d->finished = NULL;
	return 0;
}
