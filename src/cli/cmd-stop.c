/*
 * cmd-stop.c - wbstore stop: ask a run's client to stop.
 *
 * The mark is a file named "stop" in the run directory.  The relay looks
 * for it on every file_stream request and answers {"stopped": true}, and
 * RunStoppedStatus reports it, so the W&B client logging the run ends it.
 * --clear removes the mark.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "log.h"
#include "runs.h"

struct stop_find {
	const char	*id;
	char		 dir[PATH_MAX];
	int		 n;
};

/* Remember run directories (under a store) whose journal is run-ID.wbs. */
static int
stop_match(const char *rundir, void *arg)
{
	struct stop_find	*f = arg;
	char			 p[PATH_MAX];
	struct stat		 sb;

	if ((size_t)snprintf(p, sizeof(p), "%s/run-%s.wbs", rundir, f->id) >=
	    sizeof(p) || stat(p, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return 0;
	snprintf(f->dir, sizeof(f->dir), "%s", rundir);
	f->n++;
	return 0;
}

/* Count the run directories below a path, keeping the last one. */
static int
stop_one_dir(const char *rundir, void *arg)
{
	struct stop_find *f = arg;

	snprintf(f->dir, sizeof(f->dir), "%s", rundir);
	f->n++;
	return 0;
}

/*
 * The run directory a RUN argument names: a run id in STORE (if given) or
 * in the default wandb directory, a run directory or a journal directory.
 */
static int
stop_resolve(const char *store, const char *arg, char *out, size_t len)
{
	struct stop_find	 f;
	char			 path[PATH_MAX], *slash;
	size_t			 n;

	memset(&f, 0, sizeof(f));
	f.id = arg;
	if (store != NULL && strchr(arg, '/') == NULL) {
		if (runs_each(store, stop_match, &f) < 0) {
			log_warnx("store %s: %s", store, strerror(errno));
			return -1;
		}
	} else {
		if (runs_resolve(arg, path, sizeof(path)) != 0 ||
		    runs_each(path, stop_one_dir, &f) < 0) {
			log_warnx("%s: no such run or directory", arg);
			return -1;
		}
		if (f.n > 1) {
			log_warnx("%s holds %d runs: name one run", arg, f.n);
			return -1;
		}
	}
	if (f.n == 0) {
		log_warnx("%s: no such run%s%s", arg, store ? " in " : "",
		    store ? store : "");
		return -1;
	}
	/* A journal directory (run-ID.wbs): its run directory is above. */
	n = strlen(f.dir);
	while (n > 1 && f.dir[n - 1] == '/')
		f.dir[--n] = '\0';
	slash = strrchr(f.dir, '/');
	if (n > 4 && strcmp(f.dir + n - 4, ".wbs") == 0 &&
	    strncmp(slash ? slash + 1 : f.dir, "run-", 4) == 0) {
		if (slash == NULL)
			snprintf(f.dir, sizeof(f.dir), ".");
		else if (slash == f.dir)
			f.dir[1] = '\0';
		else
			*slash = '\0';
	}
	snprintf(out, len, "%s", f.dir);
	return 0;
}

/* Leave the stop mark in a run directory (atomically, with the time). */
static int
stop_mark(const char *rundir)
{
	char		 path[PATH_MAX], tmp[PATH_MAX], when[64];
	time_t		 now = time(NULL);
	struct tm	 tm;
	FILE		*f;

	snprintf(path, sizeof(path), "%s/stop", rundir);
	snprintf(tmp, sizeof(tmp), "%s/.stop.%ld", rundir, (long)getpid());
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ",
	    gmtime_r(&now, &tm));
	if ((f = fopen(tmp, "w")) == NULL) {
		log_warn("run %s: cannot create %s", rundir, tmp);
		return -1;
	}
	fprintf(f, "stopped by wbstore stop at %s\n", when);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		log_warn("run %s: cannot write %s", rundir, tmp);
		fclose(f);
		unlink(tmp);
		return -1;
	}
	fclose(f);
	if (rename(tmp, path) != 0) {
		log_warn("run %s: cannot rename %s to %s", rundir, tmp, path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Remove the stop mark; a run without one is fine. */
static int
stop_clear(const char *rundir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/stop", rundir);
	if (unlink(path) != 0 && errno != ENOENT) {
		log_warn("run %s: cannot remove %s", rundir, path);
		return -1;
	}
	return 0;
}

/* wbstore stop [--store DIR] [--clear] RUN...: mark runs stopped. */
int
cmd_stop(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "clear", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*store = NULL;
	char		 dir[PATH_MAX];
	int		 c, clear = 0, failed = 0;

	while ((c = getopt_long(argc, argv, "s:ch", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			store = optarg;
			break;
		case 'c':
			clear = 1;
			break;
		case 'h':
			return cmd_usage("stop", CMD_EXIT_OK);
		default:
			return cmd_usage("stop", CMD_EXIT_USAGE);
		}
	}
	if (optind == argc)
		return cmd_usage("stop", CMD_EXIT_USAGE);
	for (int i = optind; i < argc; i++) {
		if (stop_resolve(store, argv[i], dir, sizeof(dir)) != 0 ||
		    (clear ? stop_clear(dir) : stop_mark(dir)) != 0) {
			failed = 1;
			continue;
		}
		printf("%s %s\n", clear ? "cleared" : "stopped", dir);
	}
	return failed ? CMD_EXIT_FAIL : CMD_EXIT_OK;
}
