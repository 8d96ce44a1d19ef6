/*
 * cmd-ls.c - wbstore ls: list runs.
 */
#include "config.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "wbstore/wbstore.h"
#include "buf.h"
#include "cmd.h"
#include "log.h"
#include "runs.h"
#include "sync/sync.h"

struct ls {
	int		json;
	int		n;
	int		failed;
	struct buf	out;
};

/* One line (or JSON object) per run. */
static int
ls_one(const char *rundir, void *arg)
{
	struct ls			*ls = arg;
	struct wbs_journal		*j;
	struct wbs_journal_stat		 st;
	const struct wbs_run_info	*ri;
	char				 err[512], size[32], when[32], sst[160];
	int				 rc;

	if ((rc = wbs_journal_open(&j, rundir, WBS_JOURNAL_RDONLY, err,
	    sizeof(err))) != 0) {
		log_warnx("%s", err);
		ls->failed++;
		return 0;
	}
	sync_status(j, sst, sizeof(sst));
	if ((rc = wbs_journal_stat(j, &st)) != 0 ||
	    (rc = wbs_journal_info(j, &ri)) != 0) {
		log_warnx("%s", wbs_journal_errmsg(j));
		wbs_journal_close(j);
		ls->failed++;
		return 0;
	}
	fmt_size(size, sizeof(size), st.bytes);
	fmt_time(when, sizeof(when), st.last_us);
	if (ls->json) {
		struct buf *b = &ls->out;

		buf_adds(b, ls->n ? ",\n " : "[");
		buf_adds(b, "{\"id\":");
		json_str(b, ri->id, strlen(ri->id));
		buf_adds(b, ",\"name\":");
		if (ri->name)
			json_str(b, ri->name, strlen(ri->name));
		else
			buf_adds(b, "null");
		buf_adds(b, ",\"project\":");
		json_str(b, ri->project, strlen(ri->project));
		buf_adds(b, ",\"entity\":");
		if (ri->entity)
			json_str(b, ri->entity, strlen(ri->entity));
		else
			buf_adds(b, "null");
		buf_printf(b, ",\"state\":\"%s\",\"exit_code\":",
		    fmt_state(st.state, st.live));
		if (st.state == WBS_STATE_RUNNING)
			buf_adds(b, "null");
		else
			buf_printf(b, "%d", st.exit_code);
		buf_printf(b, ",\"steps\":%lld,\"records\":%llu,\"bytes\":%llu,"
		    "\"created_us\":%lld,\"updated_us\":%lld,\"dir\":",
		    (long long)st.last_step + 1,
		    (unsigned long long)st.records,
		    (unsigned long long)st.bytes, (long long)st.created_us,
		    (long long)st.last_us);
		json_str(b, rundir, strlen(rundir));
		buf_adds(b, ",\"sync\":");
		json_str(b, sst, strlen(sst));
		buf_addc(b, '}');
	} else {
		if (ls->n == 0)
			printf("%-10s %-20s %-16s %-9s %8s %10s  %-19s  %s\n",
			    "ID", "NAME", "PROJECT", "STATE", "STEPS", "SIZE",
			    "UPDATED", "SYNC");
		printf("%-10s %-20.20s %-16.16s %-9s %8lld %10s  %-19s  %s\n",
		    ri->id, ri->name ? ri->name : "-", ri->project,
		    fmt_state(st.state, st.live), (long long)st.last_step + 1,
		    size, when, sst);
	}
	ls->n++;
	wbs_journal_close(j);
	return 0;
}

int
cmd_ls(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ls	ls;
	char		dir[PATH_MAX];
	int		c;

	memset(&ls, 0, sizeof(ls));
	buf_init(&ls.out);
	while ((c = getopt_long(argc, argv, "jh", lopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			ls.json = 1;
			break;
		case 'h':
			return cmd_usage("ls", 0);
		default:
			return cmd_usage("ls", CMD_EXIT_USAGE);
		}
	}
	if (optind == argc) {
		runs_default_dir(dir, sizeof(dir));
		if (runs_each(dir, ls_one, &ls) < 0)
			log_warn("%s", dir);
	}
	for (int i = optind; i < argc; i++)
		if (runs_each(argv[i], ls_one, &ls) < 0) {
			log_warn("%s", argv[i]);
			ls.failed++;
		}
	if (ls.json) {
		if (ls.n == 0)
			buf_adds(&ls.out, "[");
		buf_adds(&ls.out, "]\n");
		fputs(buf_cstr(&ls.out), stdout);
	}
	buf_release(&ls.out);
	return ls.failed ? CMD_EXIT_FAIL : CMD_EXIT_OK;
}
