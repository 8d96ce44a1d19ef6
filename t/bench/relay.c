/*
 * relay.c - benchmark: file_stream ingest throughput of wbstored.
 *
 *	t/bench/relay [-n LINES] [-b LINES_PER_REQUEST] [-c CLIENTS]
 *
 * Starts wbstored on 127.0.0.1 with a fresh store, creates one run per
 * client and has each client (a thread with its own keep-alive
 * connection) POST history lines of 10 scalars plus _step, _runtime and
 * _timestamp, as the official client sends them.  Prints the wall-clock
 * throughput, the relay's own CPU time per line (from /proc), its RSS,
 * and, as the references, the cost of logging the same rows with
 * wbs_run_log() and wbs_run_log_rows() in this process.  Request bodies
 * are built before the clock starts.  WBSTORED names the binary (default
 * ./wbstored).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "wbstore/wbstore.h"

static long	nlines = 1000000, per_req = 1000;
static int	nclients = 2;
static unsigned	port;

struct client {
	pthread_t	 th;
	int		 idx;
	long		 lines;
	int		 failed;
	char		**body;		/* one request each */
	size_t		*len;
	size_t		 nreq;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t
sink(char *p, size_t sz, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return sz * n;
}

/* POST body to path; the HTTP status, or -1. */
static long
post(CURL *c, const char *path, const char *body, size_t len)
{
	char	url[256];
	long	code = -1;

	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	return code;
}

/* One file_stream body: lines [first, first + n) of a run. */
static size_t
make_body(char *buf, size_t cap, long first, long n)
{
	size_t len = (size_t)snprintf(buf, cap, "{\"files\": {\"wandb-history"
	    ".jsonl\": {\"offset\": %ld, \"content\": [", first);

	for (long i = first; i < first + n; i++) {
		double x = i * 0.001;

		len += (size_t)snprintf(buf + len, cap - len, "%s\"{\\\"m0\\\": "
		    "%.17g, \\\"m1\\\": %.17g, \\\"m2\\\": %.17g, \\\"m3\\\": "
		    "%.17g, \\\"m4\\\": %.17g, \\\"m5\\\": %.17g, \\\"m6\\\": "
		    "%.17g, \\\"m7\\\": %.17g, \\\"m8\\\": %.17g, \\\"m9\\\": "
		    "%.17g, \\\"_timestamp\\\": %.17g, \\\"_runtime\\\": %.17g, "
		    "\\\"_step\\\": %ld}\"", i > first ? ", " : "", x, 1 + x,
		    2 + x, 3 + x, 4 + x, 5 + x, 6 + x, 7 + x, 8 + x, 9 + x,
		    1795424297.7866201 + x, 0.103 + x, i);
	}
	len += (size_t)snprintf(buf + len, cap - len, "]}}}");
	return len;
}

/* The client's request bodies, built before the clock starts. */
static int
client_prepare(struct client *cl)
{
	cl->nreq = (size_t)((cl->lines + per_req - 1) / per_req);
	if ((cl->body = calloc(cl->nreq, sizeof(*cl->body))) == NULL ||
	    (cl->len = calloc(cl->nreq, sizeof(*cl->len))) == NULL)
		return -1;
	for (size_t r = 0; r < cl->nreq; r++) {
		long	off = (long)r * per_req;
		long	n = cl->lines - off < per_req ? cl->lines - off : per_req;
		size_t	cap = (size_t)n * 400 + 256;

		if ((cl->body[r] = malloc(cap)) == NULL)
			return -1;
		cl->len[r] = make_body(cl->body[r], cap, off, n);
	}
	return 0;
}

static void *
client_main(void *arg)
{
	struct client	*cl = arg;
	CURL		*c = curl_easy_init();
	char		 path[128];

	snprintf(path, sizeof(path), "/files/wbstore/bench/bench%d/file_stream",
	    cl->idx);
	for (size_t r = 0; r < cl->nreq; r++)
		if (post(c, path, cl->body[r], cl->len[r]) != 200) {
			cl->failed = 1;
			break;
		}
	curl_easy_cleanup(c);
	return NULL;
}

/* utime + stime of a process, in seconds; the system part in *sys. */
static double
cpu_seconds(pid_t pid, double *sys)
{
	char			 path[64], buf[1024], *p;
	unsigned long		 ut = 0, st = 0;
	FILE			*f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) != NULL && (p = strrchr(buf, ')')))
		sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
		    "%lu %lu", &ut, &st);
	fclose(f);
	*sys = (double)st / (double)sysconf(_SC_CLK_TCK);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* A line of /proc/PID/status, in KiB. */
static long
status_kib(pid_t pid, const char *field)
{
	char	 path[64], line[256];
	long	 v = -1;
	FILE	*f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, strlen(field)) == 0)
			v = strtol(line + strlen(field) + 1, NULL, 10);
	fclose(f);
	return v;
}

/* Start wbstored; its pid.  The port is read from the port file. */
static pid_t
start_relay(const char *dir)
{
	char	store[512], pf[512];
	const char *bin = getenv("WBSTORED") ? getenv("WBSTORED") :
	    "./wbstored";
	pid_t	pid;
	FILE	*f;

	snprintf(store, sizeof(store), "%s/store", dir);
	snprintf(pf, sizeof(pf), "%s/port", dir);
	if ((pid = fork()) == 0) {
		freopen("/dev/null", "w", stderr);
		execl(bin, bin, "--listen", "127.0.0.1:0", "--store", store,
		    "--port-file", pf, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200 && port == 0; i++) {
		usleep(50000);
		if ((f = fopen(pf, "r")) != NULL) {
			if (fscanf(f, "%u", &port) != 1)
				port = 0;
			fclose(f);
		}
	}
	return port ? pid : -1;
}

/*
 * The references: the same rows through wbs_run_log() in-process, one
 * call (one transaction) a row, or with rows > 1 through
 * wbs_run_log_rows() that many rows a call, as the relay stores them.
 */
static double
library_us_per_line(const char *dir, long n, long rows)
{
	static const char *const keys[11] = { "m0", "m1", "m2", "m3", "m4",
	    "m5", "m6", "m7", "m8", "m9", "_timestamp" };
	struct wbs_item		*it = calloc((size_t)rows * 11, sizeof(*it));
	struct wbs_row		*rv = calloc((size_t)rows, sizeof(*rv));
	struct wbs_opts		*o;
	struct wbs_run		*r;
	char			 root[512], id[32], err[256];
	double			 t0;

	snprintf(id, sizeof(id), "ref%ld", rows);
	snprintf(root, sizeof(root), "%s/%s", dir, id);
	if (it == NULL || rv == NULL || wbs_opts_new(&o) != 0 ||
	    wbs_opts_set(o, WBS_OPT_DIR, root) != 0 ||
	    wbs_opts_set(o, WBS_OPT_ID, id) != 0 ||
	    wbs_run_open(&r, o, err, sizeof(err)) != 0)
		return -1;
	wbs_opts_free(o);
	for (long j = 0; j < rows; j++) {
		for (int k = 0; k < 11; k++)
			it[j * 11 + k] = WBS_DOUBLE_ITEM(keys[k], k);
		rv[j] = (struct wbs_row){ it + j * 11, 11, 0, WBS_LOG_COMMIT };
	}
	t0 = now();
	for (long i = 0; i < n; i += rows) {
		long m = n - i < rows ? n - i : rows;

		for (long j = 0; j < m; j++) {
			it[j * 11].v.u.d = (i + j) * 0.001;
			rv[j].step = i + j;
		}
		if (rows == 1 ? wbs_run_log(r, it, 11, i, WBS_LOG_COMMIT) != 0 :
		    wbs_run_log_rows(r, rv, (size_t)m) != 0)
			return -1;
	}
	t0 = now() - t0;
	wbs_run_close(r);
	free(it);
	free(rv);
	return t0 / n * 1e6;
}

static int
bench(const char *dir)
{
	struct client	*cl = calloc((size_t)nclients, sizeof(*cl));
	char		 body[512];
	CURL		*c = curl_easy_init();
	pid_t		 pid = start_relay(dir);
	double		 t0, wall, cpu0, cpu, sys0, sys, lib, batch;
	long		 total = 0;
	int		 failed = 0;

	if (pid < 0) {
		fprintf(stderr, "relay: wbstored did not start\n");
		return 1;
	}
	for (int i = 0; i < nclients; i++) {
		snprintf(body, sizeof(body), "{\"query\": \"mutation UpsertBucket"
		    " { x }\", \"variables\": {\"name\": \"bench%d\", "
		    "\"project\": \"bench\", \"config\": \"{\\\"_wandb\\\": "
		    "{\\\"value\\\": {\\\"t\\\": {}}}}\"}}", i);
		if (post(c, "/graphql", body, strlen(body)) != 200)
			failed = 1;
		cl[i].idx = i;
		cl[i].lines = nlines / nclients;
		total += cl[i].lines;
		if (client_prepare(&cl[i]) != 0) {
			fprintf(stderr, "relay: out of memory\n");
			return 1;
		}
	}
	cpu0 = cpu_seconds(pid, &sys0);
	t0 = now();
	for (int i = 0; i < nclients; i++)
		pthread_create(&cl[i].th, NULL, client_main, &cl[i]);
	for (int i = 0; i < nclients; i++) {
		pthread_join(cl[i].th, NULL);
		failed |= cl[i].failed;
	}
	wall = now() - t0;
	cpu = cpu_seconds(pid, &sys) - cpu0;
	sys -= sys0;
	printf("relay ingest: %ld history lines (13 keys each) in %ld-line "
	    "requests, %d clients\n", total, per_req, nclients);
	printf("  wall      %.3f s   %.0f lines/s\n", wall, total / wall);
	printf("  relay CPU %.3f s   %.0f lines/s of relay CPU, %.2f us per "
	    "line (%.0f%% of it in the kernel)\n", cpu, total / cpu,
	    cpu / total * 1e6, cpu > 0 ? 100 * sys / cpu : 0);
	printf("  relay RSS %ld KiB now, %ld KiB peak\n", status_kib(pid,
	    "VmRSS:"), status_kib(pid, "VmHWM:"));
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	lib = library_us_per_line(dir, total / nclients, 1);
	batch = library_us_per_line(dir, total / nclients, per_req);
	printf("  reference: the same rows in-process, wbs_run_log %.2f us per "
	    "line (%.0f lines/s), wbs_run_log_rows of %ld %.2f us per line "
	    "(%.0f lines/s)\n", lib, 1e6 / lib, per_req, batch, 1e6 / batch);
	printf("  relay CPU per line / wbs_run_log_rows per line = %.2f\n",
	    cpu / total * 1e6 / batch);
	printf("  budget 500000 lines/s: %s\n", total / wall >= 500000 ?
	    "met" : "not met");
	curl_easy_cleanup(c);
	for (int i = 0; i < nclients; i++) {
		for (size_t r = 0; r < cl[i].nreq; r++)
			free(cl[i].body[r]);
		free(cl[i].body);
		free(cl[i].len);
	}
	free(cl);
	if (failed)
		fprintf(stderr, "relay: some requests failed\n");
	return failed;
}

int
main(int argc, char **argv)
{
	char	tmpl[] = "/tmp/wbs-bench-relay.XXXXXX", cmd[600];
	int	c, rc;

	while ((c = getopt(argc, argv, "n:b:c:")) != -1) {
		switch (c) {
		case 'n':
			nlines = atol(optarg);
			break;
		case 'b':
			per_req = atol(optarg);
			break;
		case 'c':
			nclients = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: relay [-n LINES] [-b LINES] "
			    "[-c CLIENTS]\n");
			return 2;
		}
	}
	if (nlines < 1 || per_req < 1 || nclients < 1 || nclients > 64) {
		fprintf(stderr, "relay: bad arguments\n");
		return 2;
	}
	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = bench(tmpl);
	curl_global_cleanup();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
	if (system(cmd) != 0)
		fprintf(stderr, "relay: could not remove %s\n", tmpl);
	return rc;
}
