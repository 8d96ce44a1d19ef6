/*
 * watcher.c - wbstored's watcher mode: the configuration and the roots
 * it names, the loop, signals (SIGTERM/SIGINT stop, SIGHUP reloads) and
 * sd_notify.
 */
#include "config.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

/* The roots in effect: --root, else ~/wandb and the config's. */
static char **
wanted_roots(struct daemon *d, size_t *np)
{
	char	**v;
	size_t	  n = 0, max = d->ncli_roots + d->conf.nroots + 1;

	if ((v = calloc(max, sizeof(*v))) == NULL)
		fatalx("out of memory");
	if (d->ncli_roots > 0) {
		for (size_t i = 0; i < d->ncli_roots; i++)
			v[n++] = conf_expand(d->cli_roots[i]);
	} else {
		v[n++] = conf_expand("~/wandb");
		for (size_t i = 0; i < d->conf.nroots; i++)
			v[n++] = conf_expand(d->conf.roots[i]);
	}
	*np = n;
	return v;
}

/* Free what wanted_roots() returned. */
static void
free_roots(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The command line over the file. */
static void
apply_cli(struct daemon *d)
{
	if (d->url_cli != NULL) {
		free(d->conf.base_url);
		if ((d->conf.base_url = strdup(d->url_cli)) == NULL)
			fatalx("out of memory");
	}
	if (d->grace_cli > 0)
		d->conf.grace = d->grace_cli;
	if (d->force_poll)
		d->conf.poll = 1;
}

/* Load the configuration; 0 or -1 (reported). */
static int
load(struct daemon *d, struct conf *c)
{
	char err[1024];

	if (conf_load(c, d->conf_path, d->conf_path != NULL, err,
	    sizeof(err)) != 0) {
		log_warnx("%s", err);
		return -1;
	}
	return 0;
}

/* -n: check the configuration, print what would be watched. */
int
watcher_check(struct daemon *d)
{
	char	**roots;
	size_t	  n;

	if (load(d, &d->conf) != 0)
		return 1;
	apply_cli(d);
	roots = wanted_roots(d, &n);
	printf("configuration OK (%s)\n", d->conf.path ? d->conf.path :
	    "no configuration file; defaults");
	for (size_t i = 0; i < n; i++) {
		const char *fs = watch_remote_fs(roots[i]);

		printf("root %s%s%s%s\n", roots[i], access(roots[i], F_OK) ?
		    " (missing)" : "", fs || d->conf.poll ? ": polled " : "",
		    fs ? fs : d->conf.poll ? "(poll = yes)" : "");
	}
	printf("server %s\n", d->conf.base_url ? d->conf.base_url :
	    "from WANDB_BASE_URL or the sync configuration");
	free_roots(roots, n);
	conf_free(&d->conf);
	return 0;
}

/* Make the roots match the configuration: add new ones, drop old ones. */
static void
sync_roots(struct daemon *d)
{
	char	**want;
	size_t	  n;

	want = wanted_roots(d, &n);
	for (size_t i = 0; i < d->nroots; i++) {
		struct droot	*r = d->roots[i];
		int		 keep = 0;

		for (size_t k = 0; k < n; k++)
			keep |= strcmp(want[k], r->path) == 0;
		if (!keep && !r->gone) {
			log_info("%s: no longer watched", r->path);
			watch_drop_root(d, r);
		}
	}
	for (size_t k = 0; k < n; k++) {
		struct droot *r = watch_add_root(d, want[k]);

		if (!ev_is_active(&r->timer) || r->missing)
			watch_scan_root(d, r);
	}
	free_roots(want, n);
}

/* Tell systemd how things stand. */
void
watcher_status(struct daemon *d)
{
	char	msg[256];
	size_t	live = 0, pending = 0, failed = 0;

	if (getenv("NOTIFY_SOCKET") == NULL)
		return;
	for (size_t i = 0; i < d->nruns; i++) {
		struct drun *r = d->runs[i];

		live += !r->done && r->live;
		pending += r->dirty || r->inpass;
		failed += r->err[0] != '\0';
	}
	snprintf(msg, sizeof(msg), "STATUS=%zu runs: %zu live, %zu to sync, "
	    "%zu failing", d->nruns, live, pending, failed);
	ctl_notify(msg);
}

/* SIGHUP: reload the configuration, or keep the old one if it is wrong. */
static void
on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon	*d = w->data;
	struct conf	 c;

	(void)loop;
	(void)revents;
	ctl_notify("RELOADING=1");
	if (load(d, &c) != 0) {
		log_warnx("reload failed; keeping the configuration in use");
	} else {
		conf_free(&d->conf);
		d->conf = c;
		apply_cli(d);
		sync_roots(d);
		worker_reconf(d);
		log_info("configuration reloaded: %zu roots", d->nroots);
	}
	ctl_notify("READY=1");
	watcher_status(d);
}

/* SIGTERM, SIGINT: stop. */
static void
on_term(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)revents;
	log_info("signal %d: shutting down", w->signum);
	ctl_notify("STOPPING=1");
	ev_break(loop, EVBREAK_ALL);
}

/* Set everything up, run until a signal, tear down; the exit code. */
int
watcher_main(struct daemon *d, int use_ctl)
{
	ev_signal	sterm, sint;
	ev_tstamp	t0;
	char		err[1024];
	int		rc = 0, left;

	if (load(d, &d->conf) != 0)
		return 1;
	apply_cli(d);
	signal(SIGPIPE, SIG_IGN);
	if ((d->loop = ev_default_loop(EVFLAG_AUTO)) == NULL) {
		log_warnx("cannot initialize the event loop");
		conf_free(&d->conf);
		return 1;
	}
	d->started = ev_time();
	d->ctl_fd = -1;
	if ((use_ctl && ctl_start(d, err, sizeof(err)) != 0) ||
	    watch_init(d, err, sizeof(err)) != 0 ||
	    worker_start(d, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		ctl_stop(d);
		watch_fini(d);
		conf_free(&d->conf);
		return 1;
	}
	ev_signal_init(&sterm, on_term, SIGTERM);
	ev_signal_start(d->loop, &sterm);
	ev_signal_init(&sint, on_term, SIGINT);
	ev_signal_start(d->loop, &sint);
	ev_signal_init(&d->sighup, on_hup, SIGHUP);
	d->sighup.data = d;
	ev_signal_start(d->loop, &d->sighup);
	t0 = ev_time();
	sync_roots(d);
	log_info("watching %zu roots, %zu runs (%s; found in %.0f ms)",
	    d->nroots, d->nruns, d->conf.poll ? "polling" : "inotify",
	    (ev_time() - t0) * 1000);
	ctl_notify("READY=1");
	watcher_status(d);
	ev_run(d->loop, 0);
	left = worker_stop(d, 5);
	ctl_stop(d);
	if (left != 0) {
		/* The worker is still in a pass: leave without tearing down. */
		log_info("stopped");
		_exit(rc);
	}
	watch_fini(d);
	drun_free_all(d);
	conf_free(&d->conf);
	log_info("stopped");
	return rc;
}
