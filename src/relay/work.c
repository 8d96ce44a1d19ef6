/*
 * work.c - a few threads that run pure jobs (decoding file_stream bodies)
 * beside the loop, which keeps everything that touches the store.
 *
 * Jobs are taken in the order they were submitted and their done
 * callbacks run on the loop's thread in that same order, whatever order
 * the threads finish them in: requests are applied to the store exactly
 * as a single thread would apply them.  A decoded body waits to be
 * applied only behind an older one that is still being decoded.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relay-int.h"

struct work {
	struct ev_loop	*loop;
	ev_async	 wake;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* a job to take, or stop */
	pthread_cond_t	 idle;		/* a job finished */
	struct wjob	*head;		/* submitted, oldest first */
	struct wjob	*tail;
	struct wjob	*next;		/* oldest job no thread took yet */
	int		 stop;
	int		 nthreads;
	int		 running;	/* jobs being run by a thread */
	pthread_t	*threads;
};

/* Take jobs in order until told to stop. */
static void *
worker(void *arg)
{
	struct work	*w = arg;
	struct wjob	*j;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->next == NULL && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->next == NULL)
			break;
		j = w->next;
		w->next = j->next;
		w->running++;
		pthread_mutex_unlock(&w->mu);
		j->run(j);
		pthread_mutex_lock(&w->mu);
		j->finished = 1;
		w->running--;
		pthread_cond_broadcast(&w->idle);
		ev_async_send(w->loop, &w->wake);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* On the loop: hand finished jobs, oldest first, to their callbacks. */
static void
reap(struct work *w)
{
	struct wjob *j;

	for (;;) {
		pthread_mutex_lock(&w->mu);
		j = w->head;
		if (j == NULL || !j->finished) {
			pthread_mutex_unlock(&w->mu);
			return;
		}
		if ((w->head = j->next) == NULL)
			w->tail = NULL;
		pthread_mutex_unlock(&w->mu);
		j->next = NULL;
		j->done(j);
	}
}

static void
wake_cb(struct ev_loop *loop, ev_async *a, int revents)
{
	(void)loop;
	(void)revents;
	reap(a->data);
}

/* Start nthreads (>= 1) threads that post their results to loop. */
int
work_new(struct work **wp, struct ev_loop *loop, int nthreads, char *err,
    size_t errlen)
{
	struct work	*w;
	int		 rc;

	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->threads = calloc((size_t)nthreads, sizeof(*w->threads))) ==
	    NULL) {
		free(w);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	w->loop = loop;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	pthread_cond_init(&w->idle, NULL);
	ev_async_init(&w->wake, wake_cb);
	w->wake.data = w;
	ev_async_start(loop, &w->wake);
	for (; w->nthreads < nthreads; w->nthreads++)
		if ((rc = pthread_create(&w->threads[w->nthreads], NULL,
		    worker, w)) != 0) {
			snprintf(err, errlen, "cannot start decoding thread: "
			    "%s", strerror(rc));
			work_free(w);
			return -1;
		}
	*wp = w;
	return 0;
}

/* Queue a job; its done callback runs later on the loop. */
void
work_submit(struct work *w, struct wjob *j)
{
	j->next = NULL;
	j->finished = 0;
	pthread_mutex_lock(&w->mu);
	if (w->tail != NULL)
		w->tail->next = j;
	else
		w->head = j;
	w->tail = j;
	if (w->next == NULL)
		w->next = j;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* Wait for every submitted job and run its done callback, in order. */
void
work_drain(struct work *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	while (w->next != NULL || w->running > 0)
		pthread_cond_wait(&w->idle, &w->mu);
	pthread_mutex_unlock(&w->mu);
	reap(w);
}

/* Drain, stop the threads and free; NULL is fine. */
void
work_free(struct work *w)
{
	if (w == NULL)
		return;
	work_drain(w);
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	for (int i = 0; i < w->nthreads; i++)
		pthread_join(w->threads[i], NULL);
	ev_async_stop(w->loop, &w->wake);
	pthread_cond_destroy(&w->idle);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w->threads);
	free(w);
}
