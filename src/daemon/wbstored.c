/*
 * wbstored.c - the wbstore daemon: options, the libev loop, signals, and
 * the parts it runs: the watcher (watcher.c: watch wandb directories and
 * sync every run, live) or the relay (src/relay), which can forward what
 * it stores to an upstream server through a watcher in a child process.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "wbstore/wbstore.h"
#include "log.h"
#include "relay/relay.h"
#include "daemon.h"

#define EXIT_USAGE	2

struct wbstored {
	struct relay_conf	 relay;
	int			 relay_on;
	int			 check_only;
	struct ev_loop		*loop;
	ev_signal		 sigterm;
	ev_signal		 sigint;
	struct daemon		 w;		/* the watcher's settings */
	pid_t			 fwd;		/* forwarding watcher */
};

/* Print the usage; status. */
static int
usage(int status)
{
	FILE *f = status == 0 ? stdout : stderr;

	fprintf(f,
"usage: wbstored [-nv] [-c FILE] [--root DIR]... [--poll] [--grace SECONDS]\n"
"                [--upstream URL]\n"
"       wbstored [-nv] --listen ADDR:PORT --store DIR [--keys FILE]\n"
"                [--port-file FILE] [--url URL] [--entity NAME]\n"
"                [--idle SECONDS] [--max-upload BYTES] [--threads N]\n"
"                [--faults FILE] [--upstream URL]\n"
"\n"
"Watch wandb directories and keep every run synced, live, with the server\n"
"($WANDB_BASE_URL, base_url in wbstore.conf, or --upstream).  With\n"
"--listen: serve W&B's ingest API (GraphQL, file_stream, file uploads)\n"
"and store each run it receives as a journal under DIR/wandb.\n"
"\n"
"Watcher:\n"
"  -c, --config FILE       configuration (default\n"
"                          $XDG_CONFIG_HOME/wbstore/wbstore.conf)\n"
"  -r, --root DIR          watch DIR instead of ~/wandb and the\n"
"                          configuration's roots (repeatable)\n"
"      --poll              poll instead of inotify\n"
"      --grace SECONDS     finish a run without writer and exit record as\n"
"                          crashed after this (default 600)\n"
"      --upstream URL      the server to sync to; with --listen, forward\n"
"                          every stored run there\n"
"\n"
"Relay:\n"
"  -l, --listen ADDR:PORT  address to listen on (also [ADDR]:PORT, PORT;\n"
"                          default 127.0.0.1:8080; port 0 picks one)\n"
"  -s, --store DIR         where runs are stored (required)\n"
"  -k, --keys FILE         API keys, one per line (mode 0600); required\n"
"                          to listen on anything but 127.0.0.0/8 or ::1\n"
"  -p, --port-file FILE    write the bound port to FILE\n"
"  -u, --url URL           base URL clients use, for upload URLs\n"
"                          (default: from the request's Host header)\n"
"  -e, --entity NAME       entity of runs sent without one (wbstore)\n"
"      --idle SECONDS      close a run's journal after this idle time\n"
"      --max-upload BYTES  largest file upload (default 1 GiB)\n"
"      --threads N         threads decoding file_stream bodies beside the\n"
"                          main one (default: CPUs - 1, at most 4)\n"
"      --faults FILE       inject faults for tests (see the manual)\n"
"  -n                      check the configuration and exit\n"
"  -v                      log more\n"
"  -h, --help              this help\n"
"      --version           print the version\n");
	return status;
}

/* Add a --root. */
static void
add_root(struct daemon *w, const char *dir)
{
	if ((w->cli_roots = realloc(w->cli_roots, (w->ncli_roots + 1) *
	    sizeof(*w->cli_roots))) == NULL)
		fatalx("out of memory");
	w->cli_roots[w->ncli_roots++] = (char *)dir;
}

/* Parse the command line; -1 on a usage error, 1 if done (help). */
static int
parse_args(struct wbstored *d, int argc, char **argv)
{
	enum { O_IDLE = 256, O_MAXUP, O_FAULTS, O_VERSION, O_POLL, O_GRACE,
	    O_UPSTREAM, O_THREADS };
	static const struct option lopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "store", required_argument, NULL, 's' },
		{ "keys", required_argument, NULL, 'k' },
		{ "port-file", required_argument, NULL, 'p' },
		{ "url", required_argument, NULL, 'u' },
		{ "entity", required_argument, NULL, 'e' },
		{ "idle", required_argument, NULL, O_IDLE },
		{ "max-upload", required_argument, NULL, O_MAXUP },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "faults", required_argument, NULL, O_FAULTS },
		{ "config", required_argument, NULL, 'c' },
		{ "root", required_argument, NULL, 'r' },
		{ "poll", no_argument, NULL, O_POLL },
		{ "grace", required_argument, NULL, O_GRACE },
		{ "upstream", required_argument, NULL, O_UPSTREAM },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, O_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	char	*end;
	long	 lv;
	int	 c;

	d->relay.threads = -1;
	while ((c = getopt_long(argc, argv, "l:s:k:p:u:e:c:r:nvh", lopts,
	    NULL)) != -1) {
		switch (c) {
		case 'l':
			d->relay.listen = optarg;
			break;
		case 's':
			d->relay.store = optarg;
			break;
		case 'k':
			d->relay.keys_file = optarg;
			break;
		case 'p':
			d->relay.port_file = optarg;
			break;
		case 'u':
			d->relay.url = optarg;
			break;
		case 'e':
			d->relay.entity = optarg;
			break;
		case O_IDLE:
			d->relay.idle = strtod(optarg, &end);
			if (*end != '\0' || !(d->relay.idle > 0)) {
				log_warnx("--idle: \"%s\" is not a positive "
				    "number of seconds", optarg);
				return -1;
			}
			break;
		case O_MAXUP:
			d->relay.max_upload = strtoull(optarg, &end, 10);
			if (*end != '\0' || d->relay.max_upload == 0) {
				log_warnx("--max-upload: \"%s\" is not a "
				    "positive number of bytes", optarg);
				return -1;
			}
			break;
		case O_THREADS:
			errno = 0;
			lv = strtol(optarg, &end, 10);
			if (end == optarg || *end != '\0' || errno != 0 ||
			    lv < 0 || lv > 64) {
				log_warnx("--threads: \"%s\" is not a number "
				    "from 0 to 64", optarg);
				return -1;
			}
			d->relay.threads = (int)lv;
			break;
		case O_FAULTS:
			d->relay.faults_file = optarg;
			break;
		case 'c':
			d->w.conf_path = optarg;
			break;
		case 'r':
			add_root(&d->w, optarg);
			break;
		case O_POLL:
			d->w.force_poll = 1;
			break;
		case O_GRACE:
			d->w.grace_cli = strtod(optarg, &end);
			if (*end != '\0' || !(d->w.grace_cli > 0)) {
				log_warnx("--grace: \"%s\" is not a positive "
				    "number of seconds", optarg);
				return -1;
			}
			break;
		case O_UPSTREAM:
			if (strncmp(optarg, "http://", 7) != 0 &&
			    strncmp(optarg, "https://", 8) != 0) {
				log_warnx("--upstream: \"%s\" is not an "
				    "http:// or https:// URL", optarg);
				return -1;
			}
			d->w.url_cli = optarg;
			break;
		case 'n':
			d->check_only = 1;
			break;
		case 'v':
			log_verbose = 1;
			break;
		case 'h':
			return usage(0) == 0 ? 1 : -1;
		case O_VERSION:
			printf("wbstored %s\n", wbs_version());
			return 1;
		default:
			return -1;
		}
	}
	if (optind != argc) {
		log_warnx("unexpected argument \"%s\"", argv[optind]);
		return -1;
	}
	if (d->relay.listen == NULL && d->relay.store == NULL)
		return 0;	/* the watcher */
	if (d->relay.store == NULL) {
		log_warnx("no store directory: give --store DIR");
		return -1;
	}
	if (d->w.ncli_roots > 0 || d->w.force_poll || d->w.conf_path) {
		log_warnx("--root, --poll and --config are for the watcher; "
		    "the relay forwards its store with --upstream URL");
		return -1;
	}
	d->relay_on = 1;
	return 0;
}

/*
 * Relay forwarding: a watcher over the store, in a child process that
 * dies with the relay (a journal must not be opened twice in one
 * process, and the relay writes them).
 */
static int
fork_forwarder(struct wbstored *d)
{
	pid_t pid;

	if ((pid = fork()) < 0) {
		log_warn("fork");
		return -1;
	}
	if (pid > 0) {
		d->fwd = pid;
		return 0;
	}
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		_exit(1);
	d->w.ncli_roots = 0;
	add_root(&d->w, d->relay.store);
	_exit(watcher_main(&d->w, 0));
}

/* Stop the forwarding watcher; wait for it (bounded). */
static void
stop_forwarder(struct wbstored *d)
{
	int st;

	if (d->fwd <= 0)
		return;
	kill(d->fwd, SIGTERM);
	for (int i = 0; i < 200; i++) {
		if (waitpid(d->fwd, &st, WNOHANG) == d->fwd) {
			d->fwd = 0;
			return;
		}
		usleep(50000);
	}
	kill(d->fwd, SIGKILL);
	(void)waitpid(d->fwd, &st, 0);
	d->fwd = 0;
}

/* SIGTERM, SIGINT: stop the relay. */
static void
on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)revents;
	log_info("signal %d: shutting down", w->signum);
	ev_break(loop, EVBREAK_ALL);
}

/* Run the loop until SIGTERM or SIGINT. */
static int
run(struct wbstored *d, struct relay *relay)
{
	char err[512];

	signal(SIGPIPE, SIG_IGN);
	if ((d->loop = ev_default_loop(EVFLAG_AUTO)) == NULL) {
		log_warnx("cannot initialize the event loop");
		return 1;
	}
	ev_signal_init(&d->sigterm, on_signal, SIGTERM);
	ev_signal_start(d->loop, &d->sigterm);
	ev_signal_init(&d->sigint, on_signal, SIGINT);
	ev_signal_start(d->loop, &d->sigint);
	if (relay_start(relay, d->loop, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		return 1;
	}
	ev_run(d->loop, 0);
	relay_stop(relay);
	ev_loop_destroy(d->loop);
	log_info("stopped");
	return 0;
}

/* The watcher, or the relay (with its forwarder). */
int
main(int argc, char **argv)
{
	struct wbstored	 d;
	struct relay	*relay;
	char		 err[512];
	int		 rc;

	log_init(argv[0]);
	memset(&d, 0, sizeof(d));
	d.w.grace_cli = -1;
	if ((rc = parse_args(&d, argc, argv)) != 0) {
		free(d.w.cli_roots);
		return rc > 0 ? 0 : usage(EXIT_USAGE);
	}
	if (!d.relay_on) {
		rc = d.check_only ? watcher_check(&d.w) :
		    watcher_main(&d.w, 1);
		free(d.w.cli_roots);
		return rc;
	}
	if (!d.check_only && d.w.url_cli != NULL && fork_forwarder(&d) != 0)
		return 1;
	if (relay_new(&relay, &d.relay, err, sizeof(err)) != 0) {
		stop_forwarder(&d);
		log_warnx("%s", err);
		return 1;
	}
	if (d.check_only) {
		printf("configuration OK\n");
		relay_free(relay);
		return 0;
	}
	rc = run(&d, relay);
	relay_free(relay);
	stop_forwarder(&d);
	free(d.w.cli_roots);
	return rc;
}
