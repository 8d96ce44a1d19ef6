/*
 * wbstored.c - the wbstore daemon: options, the libev loop, signals, and
 * the parts it runs (for now the relay, src/relay).
 */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "wbstore/wbstore.h"
#include "log.h"
#include "relay/relay.h"

#define EXIT_USAGE	2

struct daemon {
	struct relay_conf	 relay;
	int			 relay_on;
	int			 check_only;
	struct ev_loop		*loop;
	ev_signal		 sigterm;
	ev_signal		 sigint;
};

static int
usage(int status)
{
	FILE *f = status == 0 ? stdout : stderr;

	fprintf(f,
"usage: wbstored [-nv] --listen ADDR:PORT --store DIR [--keys FILE]\n"
"                [--port-file FILE] [--url URL] [--entity NAME]\n"
"                [--idle SECONDS] [--max-upload BYTES] [--faults FILE]\n"
"\n"
"Serve W&B's ingest API (GraphQL, file_stream, file uploads) and store\n"
"each run it receives as a journal under DIR/wandb.\n"
"\n"
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
"      --faults FILE       inject faults for tests (see the manual)\n"
"  -n                      check the configuration and exit\n"
"  -v                      log more\n"
"  -h, --help              this help\n"
"      --version           print the version\n");
	return status;
}

/* Parse the command line; -1 on a usage error, 1 if done (help). */
static int
parse_args(struct daemon *d, int argc, char **argv)
{
	enum { O_IDLE = 256, O_MAXUP, O_FAULTS, O_VERSION };
	static const struct option lopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "store", required_argument, NULL, 's' },
		{ "keys", required_argument, NULL, 'k' },
		{ "port-file", required_argument, NULL, 'p' },
		{ "url", required_argument, NULL, 'u' },
		{ "entity", required_argument, NULL, 'e' },
		{ "idle", required_argument, NULL, O_IDLE },
		{ "max-upload", required_argument, NULL, O_MAXUP },
		{ "faults", required_argument, NULL, O_FAULTS },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, O_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	char	*end;
	int	 c;

	while ((c = getopt_long(argc, argv, "l:s:k:p:u:e:nvh", lopts,
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
		case O_FAULTS:
			d->relay.faults_file = optarg;
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
	if (d->relay.store == NULL) {
		log_warnx("no store directory: give --store DIR");
		return -1;
	}
	d->relay_on = 1;
	return 0;
}

static void
on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)revents;
	log_info("signal %d: shutting down", w->signum);
	ev_break(loop, EVBREAK_ALL);
}

/* Run the loop until SIGTERM or SIGINT. */
static int
run(struct daemon *d, struct relay *relay)
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

int
main(int argc, char **argv)
{
	struct daemon	 d;
	struct relay	*relay;
	char		 err[512];
	int		 rc;

	log_init(argv[0]);
	memset(&d, 0, sizeof(d));
	if ((rc = parse_args(&d, argc, argv)) != 0)
		return rc > 0 ? 0 : usage(EXIT_USAGE);
	if (relay_new(&relay, &d.relay, err, sizeof(err)) != 0) {
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
	return rc;
}
