/*
 * daemon-lat - log -> relay latency through wbstored (t/bench/daemon runs
 * it): write N committed rows into a new run under ROOT, one every
 * INTERVAL ms, and watch the relay's copy under STORE for each row's
 * arrival; print p50, p99 and max in milliseconds.
 *
 *   daemon-lat ROOT STORE N INTERVAL_MS
 */
#include "config.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wbstore/wbstore.h"

/* Seconds on the monotonic clock. */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct watch {
	const char		*store;
	const char		*id;
	struct wbs_journal	*j;
	struct wbs_iter		*it;
	double			*sent, *arrived;
	int			 n, got;
};

/* Look at the relay's copy once: note the rows that arrived. */
static void
poll_copy(struct watch *w)
{
	const struct wbs_record	*rec;
	char			 pat[4096], err[256];
	glob_t			 g;

	if (w->j == NULL) {
		snprintf(pat, sizeof(pat), "%s/wandb/*run-*-%s/run-%s.wbs",
		    w->store, w->id, w->id);
		if (glob(pat, 0, NULL, &g) != 0)
			return;
		if (wbs_journal_open(&w->j, g.gl_pathv[0], WBS_JOURNAL_RDONLY,
		    err, sizeof(err)) != 0 ||
		    wbs_iter_open(&w->it, w->j, 1) != 0) {
			if (w->j != NULL)
				wbs_journal_close(w->j);
			w->j = NULL;
			globfree(&g);
			return;
		}
		globfree(&g);
	}
	while (wbs_iter_next(w->it, &rec) == 1) {
		if (rec->type != WBS_REC_HISTORY || rec->step < 0 ||
		    rec->step >= w->n || w->arrived[rec->step] > 0)
			continue;
		w->arrived[rec->step] = now();
		w->got++;
	}
}

/* qsort() order of doubles. */
static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* A new run under root (exits on failure). */
static struct wbs_run *
open_run(const char *root, const char *id)
{
	struct wbs_opts	*o;
	struct wbs_run	*run;
	char		 err[256];

	if (wbs_opts_new(&o) != 0 || wbs_opts_set(o, WBS_OPT_DIR, root) != 0 ||
	    wbs_opts_set(o, WBS_OPT_ID, id) != 0 ||
	    wbs_opts_set(o, WBS_OPT_PROJECT, "bench") != 0 ||
	    wbs_run_open(&run, o, err, sizeof(err)) != 0) {
		fprintf(stderr, "daemon-lat: cannot open a run: %s\n", err);
		exit(1);
	}
	wbs_opts_free(o);
	return run;
}

/* Write, watch, report. */
int
main(int argc, char **argv)
{
	struct watch	 w;
	struct wbs_run	*run;
	char		 id[32];
	double		*lat, next, end;
	int		 n, ms, k = 0;

	if (argc != 5 || (n = atoi(argv[3])) < 1 || (ms = atoi(argv[4])) < 1) {
		fprintf(stderr, "usage: daemon-lat ROOT STORE N INTERVAL_MS\n");
		return 2;
	}
	snprintf(id, sizeof(id), "lat%ld", (long)getpid());
	memset(&w, 0, sizeof(w));
	w.store = argv[2];
	w.id = id;
	w.n = n;
	if ((w.sent = calloc((size_t)n, sizeof(double))) == NULL ||
	    (w.arrived = calloc((size_t)n, sizeof(double))) == NULL ||
	    (lat = calloc((size_t)n, sizeof(double))) == NULL)
		return 1;
	run = open_run(argv[1], id);
	for (next = now(); k < n; next += ms / 1000.0) {
		struct wbs_item it = WBS_DOUBLE_ITEM("x", k);

		while (now() < next) {
			poll_copy(&w);
			usleep(1000);
		}
		w.sent[k] = now();
		if (wbs_run_log(run, &it, 1, k, WBS_LOG_COMMIT) != 0) {
			fprintf(stderr, "daemon-lat: log: %s\n",
			    wbs_run_errmsg(run));
			return 1;
		}
		k++;
	}
	for (end = now() + 30; w.got < n && now() < end; usleep(1000))
		poll_copy(&w);
	if (wbs_run_finish(run, 0) != 0)
		fprintf(stderr, "daemon-lat: finish: %s\n",
		    wbs_run_errmsg(run));
	wbs_run_close(run);
	k = 0;
	for (int i = 0; i < n; i++)
		if (w.arrived[i] > 0)
			lat[k++] = (w.arrived[i] - w.sent[i]) * 1000;
	qsort(lat, (size_t)k, sizeof(*lat), cmp);
	if (k == 0)
		printf("latency: no row arrived within 30 s\n");
	else
		printf("latency log->relay over %d rows (%d ms apart): "
		    "p50 %.0f ms, p99 %.0f ms, max %.0f ms%s\n", k, ms, lat[k / 2],
		    lat[(k * 99) / 100 < k ? (k * 99) / 100 : k - 1],
		    lat[k - 1], k < n ? " (some never arrived)" : "");
	if (w.it != NULL)
		wbs_iter_free(w.it);
	if (w.j != NULL)
		wbs_journal_close(w.j);
	free(w.sent);
	free(w.arrived);
	free(lat);
	return k == n ? 0 : 1;
}
