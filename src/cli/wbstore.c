/*
 * wbstore.c - the wbstore command: dispatch to cmd-<name>.c.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "wbstore/wbstore.h"
#include "cmd.h"
#include "log.h"

static const struct cmd cmds[] = {
	{ "ls", cmd_ls, "[--json] [DIR...]",
	    "list runs (default: $WANDB_DIR/wandb or ./wandb)" },
	{ "show", cmd_show, "[--json] RUN",
	    "show a run: attributes, config, summary, metric sparklines" },
	{ "verify", cmd_verify, "RUN|DIR...",
	    "check that every record of the journals decodes" },
	{ "export", cmd_export, "[RUN|DIR...] --format csv|jsonl|npy|npz|postgres [--fields A,B] [-o DIR] [filters]\n       wbstore export --config FILE.yaml [-e NAME...] [-o]", "export runs for analysis: CSV, JSONL, NumPy, PostgreSQL" },
	{ "sync", cmd_sync, "[-e ENTITY] [-p PROJECT] [--id ID] [--include-synced] [--no-mark-synced] [--sync-all] [--clean [--clean-old-hours N] [--clean-force]] [--dry-run] [--view] [-j N] [--json] [--finish-crashed] [--insecure] [--timeout S] [--retries N] [PATH...]\n       wbstore sync --now [--json]", "upload runs to a W&B-compatible server ($WANDB_BASE_URL), exactly once" },
	{ "status", cmd_status, "[--json]", "what the running wbstored is doing: per run state, backlog, last error" },
	{ "seal", cmd_seal, "RUN --to DIR", "write a compacted copy of a journal (consistent while it is written) for a daemon on another host to sync" },
	{ "import", cmd_import, "[--json] [-q] PATH...", "import W&B .wandb logs (files, run or wandb directories) into journals, in place" },
	{ "stop", cmd_stop, "[--store DIR] [--clear] RUN...", "mark runs stopped: the relay answers their client {\"stopped\": true}" },
};

static const char *const help_extra[] = {
	[0] = "RUN is a run id, a run directory or a journal directory.\n",
};

/* Print usage of one command (or all, for name NULL). */
int
cmd_usage(const char *name, int status)
{
	FILE *f = status == 0 ? stdout : stderr;

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (name != NULL && strcmp(name, cmds[i].name) != 0)
			continue;
		fprintf(f, "usage: wbstore %s %s\n", cmds[i].name,
		    cmds[i].usage);
		if (name != NULL)
			fprintf(f, "\n%s.\n%s", cmds[i].summary, help_extra[0]);
	}
	return status;
}

static int
usage(int status)
{
	FILE *f = status == 0 ? stdout : stderr;

	fprintf(f, "usage: wbstore [--version] [--help] COMMAND [ARGS]\n\n"
	    "Commands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\n'wbstore COMMAND --help' tells more.\n");
	return status;
}

/* Human size: 1.2 MiB. */
void
fmt_size(char *out, size_t len, unsigned long long bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double	v = (double)bytes;
	int	u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, len, "%llu B", bytes);
	else
		snprintf(out, len, "%.1f %s", v, units[u]);
}

/* Local time of us since the epoch: 2026-11-23 10:15:00. */
void
fmt_time(char *out, size_t len, long long us)
{
	time_t		t = (time_t)(us / 1000000);
	struct tm	tm;

	if (us <= 0) {
		snprintf(out, len, "-");
		return;
	}
	localtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%d %H:%M:%S", &tm);
}

/* State word: running, finished, failed, crashed (no exit, no writer). */
const char *
fmt_state(int state, int live)
{
	switch (state) {
	case WBS_STATE_FINISHED:
		return "finished";
	case WBS_STATE_FAILED:
		return "failed";
	default:
		return live ? "running" : "crashed";
	}
}

int
main(int argc, char **argv)
{
	log_init("wbstore");
	if (argc < 2)
		return usage(CMD_EXIT_USAGE);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		if (argc > 2)
			return cmd_usage(argv[2], 0);
		return usage(0);
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("wbstore %s\n", wbs_version());
		return 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	log_warnx("unknown command \"%s\"; try 'wbstore --help'", argv[1]);
	return CMD_EXIT_USAGE;
}
