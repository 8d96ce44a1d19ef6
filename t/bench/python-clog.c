/*
 * python-clog.c - the C side of t/bench/python: the rows the Python
 * benchmark logs (10 scalars, same keys, same values), each through one
 * wbs_run_log() call, timed call by call.
 *
 * usage: t/bench/python-clog ROWS DIR
 * Prints one line of key=value figures that t/bench/python-log.py reads.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wbstore/wbstore.h"

static const char *const clog_keys[10] = { "train/loss", "train/acc",
    "val/loss", "val/acc", "lr", "grad_norm", "epoch_frac",
    "tokens_per_sec", "gpu_mem_gb", "throughput" };

static int64_t
clog_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* CPU time of this process, in ns (the wall clock counts other load). */
static int64_t
clog_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
clog_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	struct wbs_opts	*o;
	struct wbs_run	*run;
	struct wbs_item	 items[10];
	int64_t		*ns, t0, t1, c0, c1;
	long		 rows;
	char		 err[512];
	int		 rc;

	if (argc != 3 || (rows = atol(argv[1])) <= 0) {
		fprintf(stderr, "usage: python-clog ROWS DIR\n");
		return 2;
	}
	if ((ns = calloc((size_t)rows, sizeof(*ns))) == NULL ||
	    wbs_opts_new(&o) != 0 ||
	    wbs_opts_set(o, WBS_OPT_DIR, argv[2]) != 0 ||
	    wbs_opts_set(o, WBS_OPT_ID, "clog") != 0 ||
	    wbs_opts_set(o, WBS_OPT_MODE, "offline") != 0) {
		fprintf(stderr, "python-clog: setup failed\n");
		return 1;
	}
	if ((rc = wbs_run_open(&run, o, err, sizeof(err))) != 0) {
		fprintf(stderr, "python-clog: %s\n", err);
		return 1;
	}
	wbs_opts_free(o);
	for (int i = 0; i < 10; i++)
		items[i] = WBS_DOUBLE_ITEM(clog_keys[i], 0);
	t0 = clog_now_ns();
	c0 = clog_cpu_ns();
	for (long r = 0; r < rows; r++) {
		int64_t s;

		for (int i = 0; i < 10; i++)
			items[i].v.u.d = (double)r * 1.000001 + i / 3.0;
		s = clog_now_ns();
		rc = wbs_run_log(run, items, 10, WBS_STEP_AUTO, 0);
		ns[r] = clog_now_ns() - s;
		if (rc != 0) {
			fprintf(stderr, "python-clog: %s\n",
			    wbs_run_errmsg(run));
			return 1;
		}
	}
	if ((rc = wbs_run_finish(run, 0)) != 0) {
		fprintf(stderr, "python-clog: %s\n", wbs_run_errmsg(run));
		return 1;
	}
	t1 = clog_now_ns();
	c1 = clog_cpu_ns();
	wbs_run_close(run);
	qsort(ns, (size_t)rows, sizeof(*ns), clog_cmp);
	printf("rows=%ld median_us=%.3f p90_us=%.3f p99_us=%.3f "
	    "total_s=%.4f rows_per_s=%.0f cpu_s=%.4f\n", rows,
	    ns[rows / 2] / 1e3, ns[rows * 9 / 10] / 1e3,
	    ns[rows * 99 / 100] / 1e3, (t1 - t0) / 1e9,
	    rows / ((t1 - t0) / 1e9), (c1 - c0) / 1e9);
	free(ns);
	return 0;
}
