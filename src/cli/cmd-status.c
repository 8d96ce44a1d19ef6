/*
 * cmd-status.c - wbstore status: how the running wbstored stands (roots,
 * and per run: state, backlog, last error, next retry); and wbstore sync
 * --now, which asks it to sync everything at once.  Both talk to the
 * daemon's control socket (src/daemon/ctl.c).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "cmd.h"
#include "daemon/daemon.h"
#include "log.h"

/* A string member of o, or def. */
static const char *
jstr(json_t *o, const char *k, const char *def)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : def;
}

/* The run's short name: its id, else the journal directory's name. */
static const char *
run_name(json_t *run)
{
	const char *id = jstr(run, "id", NULL), *p = jstr(run, "path", "?");
	const char *slash = strrchr(p, '/');

	return id != NULL ? id : slash != NULL ? slash + 1 : p;
}

/* The status document as a table. */
static int
print_status(const struct buf *b)
{
	json_error_t	 je;
	json_t		*o, *roots, *runs, *v;
	size_t		 i;

	if ((o = json_loadb(b->p, b->len, 0, &je)) == NULL) {
		log_warnx("wbstored sent an unreadable status: %s", je.text);
		return CMD_EXIT_FAIL;
	}
	printf("wbstored %s, pid %lld, up %.0f s, %lld sync passes\n",
	    jstr(o, "version", "?"),
	    (long long)json_integer_value(json_object_get(o, "pid")),
	    json_number_value(json_object_get(o, "uptime")),
	    (long long)json_integer_value(json_object_get(o, "passes")));
	roots = json_object_get(o, "roots");
	json_array_foreach(roots, i, v)
		printf("root %s: %s%s%s\n", jstr(v, "path", "?"),
		    json_is_true(json_object_get(v, "missing")) ? "missing" :
		    jstr(v, "mode", "?"), *jstr(v, "why", "") ? ", " : "",
		    jstr(v, "why", ""));
	runs = json_object_get(o, "runs");
	if (json_array_size(runs) > 0)
		printf("%-24s %-20s %8s  %s\n", "RUN", "STATE", "BACKLOG",
		    "LAST ERROR");
	json_array_foreach(runs, i, v) {
		json_t	*retry = json_object_get(v, "retry_in");
		char	 state[64];

		snprintf(state, sizeof(state), "%s%s", jstr(v, "state", "?"),
		    json_is_true(json_object_get(v, "pending")) &&
		    strcmp(jstr(v, "state", ""), "syncing") != 0 ?
		    ", pending" : "");
		printf("%-24s %-20s %8lld  %s", run_name(v), state,
		    (long long)json_integer_value(json_object_get(v,
		    "backlog")), jstr(v, "error", "-"));
		if (json_is_number(retry))
			printf(" (retry in %.0f s)", json_number_value(retry));
		putchar('\n');
	}
	json_decref(o);
	return CMD_EXIT_OK;
}

/* wbstore status [--json]. */
int
cmd_status(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct buf	b;
	char		err[512];
	int		c, json = 0, rc;

	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		if (c == 'J')
			json = 1;
		else
			return cmd_usage("status", c == 'h' ? 0 :
			    CMD_EXIT_USAGE);
	}
	if (optind != argc) {
		log_warnx("status: unexpected argument \"%s\"", argv[optind]);
		return CMD_EXIT_USAGE;
	}
	buf_init(&b);
	if (ctl_request("status", &b, 30, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		buf_release(&b);
		return CMD_EXIT_FAIL;
	}
	if (json) {
		fwrite(b.p, 1, b.len, stdout);
		rc = CMD_EXIT_OK;
	} else
		rc = print_status(&b);
	buf_release(&b);
	return rc;
}

/* wbstore sync --now [--json]: the daemon syncs every run, then answers. */
int
cmd_sync_now(int argc, char **argv)
{
	struct buf	 b;
	json_error_t	 je;
	json_t		*o;
	char		 err[512];
	int		 json = 0, rc = CMD_EXIT_FAIL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--now") != 0) {
			log_warnx("sync --now: \"%s\" cannot go with --now "
			    "(the daemon syncs every run it watches)",
			    argv[i]);
			return CMD_EXIT_USAGE;
		}
	}
	buf_init(&b);
	if (ctl_request("sync", &b, 0, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		buf_release(&b);
		return CMD_EXIT_FAIL;
	}
	if ((o = json_loadb(b.p, b.len, 0, &je)) == NULL)
		log_warnx("wbstored sent an unreadable answer: %s", je.text);
	else {
		if (json)
			fwrite(b.p, 1, b.len, stdout);
		else
			printf("%lld runs: %lld synced or up to date, %lld "
			    "failing (wbstore status tells why)\n",
			    (long long)json_integer_value(json_object_get(o,
			    "runs")), (long long)json_integer_value(
			    json_object_get(o, "synced")),
			    (long long)json_integer_value(json_object_get(o,
			    "failed")));
		rc = json_is_true(json_object_get(o, "ok")) ? CMD_EXIT_OK :
		    CMD_EXIT_FAIL;
		json_decref(o);
	}
	buf_release(&b);
	return rc;
}
