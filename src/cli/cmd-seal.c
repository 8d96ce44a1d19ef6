/*
 * cmd-seal.c - wbstore seal RUN --to DIR: a compacted, read-only copy of a
 * journal with the run's files, written to DIR/<run directory>/ for a
 * daemon on another host to sync (see wbs_seal() in src/lib/seal.c).
 */
#include "config.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>

#include "wbstore/wbstore.h"
#include "cmd.h"
#include "log.h"
#include "runs.h"

/* wbstore seal RUN --to DIR. */
int
cmd_seal(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char		 run[PATH_MAX], out[PATH_MAX], err[512];
	const char	*to = NULL;
	int		 c, rc;

	while ((c = getopt_long(argc, argv, "t:h", lopts, NULL)) != -1) {
		if (c == 't')
			to = optarg;
		else
			return cmd_usage("seal", c == 'h' ? 0 : CMD_EXIT_USAGE);
	}
	if (optind + 1 != argc || to == NULL) {
		log_warnx("seal: give one RUN and --to DIR");
		return CMD_EXIT_USAGE;
	}
	if (runs_resolve(argv[optind], run, sizeof(run)) != 0) {
		log_warnx("%s: no such run (a run id, run directory or journal "
		    "directory)", argv[optind]);
		return CMD_EXIT_FAIL;
	}
	if ((rc = wbs_seal(run, to, out, sizeof(out), err, sizeof(err))) != 0) {
		if (rc == WBS_ENOTFOUND)
			log_warnx("%s: no such run (a run id, run directory or "
			    "journal directory)", argv[optind]);
		else
			log_warnx("%s", err);
		return CMD_EXIT_FAIL;
	}
	printf("%s\n", out);
	return CMD_EXIT_OK;
}
