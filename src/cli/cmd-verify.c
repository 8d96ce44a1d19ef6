/*
 * cmd-verify.c - wbstore verify: check every record of journals.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "wbstore/wbstore.h"
#include "cmd.h"
#include "log.h"
#include "runs.h"

struct verify {
	int	n;
	int	failed;
	int	quiet;
};

static int
verify_one(const char *rundir, void *arg)
{
	struct verify		*v = arg;
	struct wbs_journal	*j;
	uint64_t		 n;
	char			 err[512];
	int			 rc;

	v->n++;
	if ((rc = wbs_journal_open(&j, rundir, WBS_JOURNAL_RDONLY, err,
	    sizeof(err))) != 0) {
		printf("FAIL %s: %s\n", rundir, err);
		v->failed++;
		return 0;
	}
	if ((rc = wbs_journal_verify(j, &n)) != 0) {
		printf("FAIL %s: %s\n", rundir, wbs_journal_errmsg(j));
		v->failed++;
	} else if (!v->quiet)
		printf("ok   %s: %llu records\n", rundir, (unsigned long long)n);
	wbs_journal_close(j);
	return 0;
}

int
cmd_verify(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct verify	v = { 0, 0, 0 };
	char		path[4096];
	int		c;

	while ((c = getopt_long(argc, argv, "qh", lopts, NULL)) != -1) {
		switch (c) {
		case 'q':
			v.quiet = 1;
			break;
		case 'h':
			return cmd_usage("verify", 0);
		default:
			return cmd_usage("verify", CMD_EXIT_USAGE);
		}
	}
	if (optind == argc)
		return cmd_usage("verify", CMD_EXIT_USAGE);
	for (int i = optind; i < argc; i++) {
		if (runs_resolve(argv[i], path, sizeof(path)) != 0) {
			printf("FAIL %s: no such run or directory\n", argv[i]);
			v.failed++;
			continue;
		}
		if (runs_each(path, verify_one, &v) <= 0) {
			printf("FAIL %s: no journal found\n", argv[i]);
			v.failed++;
		}
	}
	return v.failed ? CMD_EXIT_FAIL : CMD_EXIT_OK;
}
