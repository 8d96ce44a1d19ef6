/*
 * sync.c - benchmark: wbstore sync of a large journal to a loopback relay.
 *
 *	t/bench/sync [-n ROWS] [-k]
 *
 * Writes a journal of ROWS (default 1000000) history rows of 10 scalars
 * with wbs_run_log(), starts wbstored on 127.0.0.1 with a fresh store,
 * then runs `wbstore sync` on the journal and prints the rows per second
 * end to end (the sync process from start to exit, the run finished on
 * the relay) and the peak RSS of the syncing process, against the
 * budget (>= 200k rows/s, <= 32 MiB), and the CPU time of the syncing
 * process (the rate per CPU second shows what a loaded machine hides).
 * It checks that the relay holds every row.  WBSTORE and WBSTORED name the binaries (default ./wbstore
 * and ./wbstored); -k keeps the scratch directory.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wbstore/wbstore.h"

#define BUDGET_RATE	200000.0	/* rows/s */
#define BUDGET_RSS	(32.0 * 1024)	/* KiB */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Write the journal; its path goes to out. */
static int
write_journal(const char *dir, long rows, char *out, size_t len)
{
	static const char *keys[10] = { "m0", "m1", "m2", "m3", "m4", "m5",
	    "m6", "m7", "m8", "m9" };
	struct wbs_opts	*o;
	struct wbs_run	*run;
	struct wbs_item	 items[10];
	char		 err[512];
	int		 rc = -1;

	if (wbs_opts_new(&o) != 0)
		return -1;
	if (wbs_opts_set(o, WBS_OPT_DIR, dir) != 0 ||
	    wbs_opts_set(o, WBS_OPT_ID, "bench") != 0 ||
	    wbs_opts_set(o, WBS_OPT_PROJECT, "bench") != 0 ||
	    wbs_run_open(&run, o, err, sizeof(err)) != 0) {
		fprintf(stderr, "sync bench: cannot open the run: %s\n", err);
		wbs_opts_free(o);
		return -1;
	}
	for (long i = 0; i < rows; i++) {
		for (int k = 0; k < 10; k++)
			items[k] = WBS_DOUBLE_ITEM(keys[k], k + i * 0.001);
		if (wbs_run_log(run, items, 10, WBS_STEP_AUTO, 0) != 0) {
			fprintf(stderr, "sync bench: %s\n",
			    wbs_run_errmsg(run));
			goto out;
		}
	}
	snprintf(out, len, "%s", wbs_run_journal(run));
	rc = wbs_run_finish(run, 0);
out:
	wbs_run_close(run);
	wbs_opts_free(o);
	return rc;
}

/* Start wbstored on a free loopback port; its pid, the port in *port. */
static pid_t
start_relay(const char *bin, const char *dir, unsigned *port)
{
	char	store[4096], pf[4096];
	pid_t	pid;

	snprintf(store, sizeof(store), "%s/store", dir);
	snprintf(pf, sizeof(pf), "%s/port", dir);
	if ((pid = fork()) == 0) {
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(127);
		execl(bin, bin, "--listen", "127.0.0.1:0", "--store", store,
		    "--port-file", pf, (char *)NULL);
		_exit(127);
	}
	*port = 0;
	for (int i = 0; i < 400 && *port == 0; i++) {
		FILE *f = fopen(pf, "r");

		if (f != NULL) {
			if (fscanf(f, "%u", port) != 1)
				*port = 0;
			fclose(f);
		}
		if (*port == 0)
			usleep(50000);
	}
	return *port ? pid : -1;
}

/* Run wbstore sync; its wall time and peak RSS (KiB). */
static int
run_sync(const char *bin, const char *journal, double *secs, double *cpu,
    long *rss_kib)
{
	struct rusage	ru;
	double		t0 = now();
	pid_t		pid;
	int		st;

	fflush(stdout);
	if ((pid = fork()) == 0) {
		if (freopen("/dev/null", "w", stdout) == NULL ||
		    freopen("/dev/null", "w", stderr) == NULL)
			_exit(127);
		execl(bin, bin, "sync", "-j", "1", journal, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &st, 0, &ru) != pid)
		return -1;
	*secs = now() - t0;
	*rss_kib = ru.ru_maxrss;
	*cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Rows of the relay's copy (its steps, as wbstore ls counts them). */
static long
relay_rows(const char *bin, const char *dir)
{
	char	cmd[8192], line[256];
	FILE	*p;
	long	n = -1;

	snprintf(cmd, sizeof(cmd), "'%s' ls --json '%s/store' 2>/dev/null",
	    bin, dir);
	if ((p = popen(cmd, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), p) != NULL) {
		char *s = strstr(line, "\"steps\":");

		if (s != NULL)
			n = strtol(s + 8, NULL, 10);
	}
	pclose(p);
	return n;
}

static void
usage(void)
{
	fprintf(stderr, "usage: sync [-k] [-n ROWS]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char	*wbstore = getenv("WBSTORE"), *wbstored = getenv("WBSTORED");
	char		 dir[] = "/tmp/wbs-bench-sync.XXXXXX", journal[4096];
	char		 url[64], cmd[8192];
	long		 rows = 1000000, rss = 0, got;
	struct rusage	 ru;
	double		 t0, wsecs, ssecs = 0, cpu = 0, rcpu = 0, rate;
	unsigned	 port;
	pid_t		 relay;
	int		 c, keep = 0, rc, st;

	while ((c = getopt(argc, argv, "kn:")) != -1) {
		switch (c) {
		case 'k':
			keep = 1;
			break;
		case 'n':
			if ((rows = atol(optarg)) < 1)
				usage();
			break;
		default:
			usage();
		}
	}
	if (wbstore == NULL)
		wbstore = "./wbstore";
	if (wbstored == NULL)
		wbstored = "./wbstored";
	if (mkdtemp(dir) == NULL) {
		perror("sync bench: mkdtemp");
		return 1;
	}
	t0 = now();
	if (write_journal(dir, rows, journal, sizeof(journal)) != 0)
		return 1;
	wsecs = now() - t0;
	if ((relay = start_relay(wbstored, dir, &port)) < 0) {
		fprintf(stderr, "sync bench: %s did not start\n", wbstored);
		return 1;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", port);
	setenv("WANDB_BASE_URL", url, 1);
	setenv("WANDB_API_KEY", "k_0123456789012345678901234567890123456789",
	    1);
	rc = run_sync(wbstore, journal, &ssecs, &cpu, &rss);
	kill(relay, SIGTERM);
	if (wait4(relay, &st, 0, &ru) == relay)
		rcpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	got = relay_rows(wbstore, dir);
	rate = rows / ssecs;
	printf("rows                        %ld of 10 scalars\n", rows);
	printf("journal written             %.2f s (%.0f rows/s)\n", wsecs,
	    rows / wsecs);
	printf("wbstore sync exit status    %d; relay holds %ld rows\n", rc,
	    got);
	printf("sync end to end             %.2f s, %.0f rows/s "
	    "(budget >= %.0f: %.2fx)\n", ssecs, rate, BUDGET_RATE,
	    rate / BUDGET_RATE);
	printf("sync CPU time               %.2f s (%.0f rows per CPU "
	    "second)\n", cpu, rows / cpu);
	printf("relay CPU time              %.2f s (%.0f rows per CPU "
	    "second)\n", rcpu, rows / rcpu);
	printf("both, one after the other   %.0f rows per CPU second (%.2fx "
	    "the budget)\n", rows / (cpu + rcpu), rows / (cpu + rcpu) /
	    BUDGET_RATE);
	printf("sync peak RSS               %.1f MiB (budget <= %.0f MiB: "
	    "%.2fx)\n", rss / 1024.0, BUDGET_RSS / 1024, rss / BUDGET_RSS);
	if (!keep) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "sync bench: could not remove %s\n",
			    dir);
	} else
		printf("kept %s\n", dir);
	return rc == 0 && got == rows ? 0 : 1;
}
