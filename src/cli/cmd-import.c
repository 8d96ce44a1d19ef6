/*
 * cmd-import.c - wbstore import: W&B .wandb logs into journals, in place.
 */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wbstore/wbstore.h"
#include "buf.h"
#include "cmd.h"
#include "import/import.h"
#include "log.h"

static const char *const status_names[] = {
	[IMPORT_NEW] = "new", [IMPORT_UPDATED] = "updated",
	[IMPORT_UPTODATE] = "up-to-date", [IMPORT_FAILED] = "failed"
};

static const char *
status_name(int s)
{
	return s >= IMPORT_NEW && s <= IMPORT_FAILED ? status_names[s] : "?";
}

/* Notices from the importer: warnings unless --quiet. */
static void
import_notice(void *arg, const char *msg)
{
	(void)arg;
	log_warnx("%s", msg);
}

/* The per-type counts as "run 1, history 50, ...". */
static void
import_types(struct buf *b, const struct import_run *ir)
{
	int first = 1;

	for (int t = 0; t < IMPORT_NTYPES; t++) {
		if (ir->types[t] == 0)
			continue;
		buf_printf(b, "%s%s %" PRIu64, first ? "" : ", ",
		    import_type_name(t), ir->types[t]);
		first = 0;
	}
	if (first)
		buf_adds(b, "none");
}

/* One run as text. */
static void
import_text(const struct import_run *ir)
{
	struct buf b;

	buf_init(&b);
	buf_printf(&b, "%s: %s", ir->wandb, status_name(ir->status));
	if (ir->status == IMPORT_FAILED) {
		printf("%s\n  %s\n", buf_cstr(&b), ir->error);
		buf_release(&b);
		return;
	}
	if (ir->journal != NULL)
		buf_printf(&b, " -> %s", ir->journal);
	buf_printf(&b, "\n  run %s: read %" PRIu64 " records (%" PRIu64
	    " imported in all), wrote %" PRIu64 " journal records in %.3f s\n"
	    "  records: ", ir->id[0] ? ir->id : "?", ir->records,
	    ir->total_records, ir->written, ir->seconds);
	import_types(&b, ir);
	buf_printf(&b, "\n  skipped: %" PRIu64 " damaged bytes in %" PRIu64
	    " regions, %" PRIu64 " records not imported, %" PRIu64
	    " values dropped, %" PRIu64 " records refused, %" PRIu64
	    " bad steps, %" PRIu64 " unknown fields\n",
	    ir->skipped_bytes, ir->skipped_regions, ir->not_imported,
	    ir->dropped, ir->rejected, ir->bad_steps, ir->unknown_fields);
	if (ir->incomplete)
		buf_printf(&b, "  tail: incomplete (%" PRIu64 " bytes; the log "
		    "may still be being written: import it again later)\n",
		    ir->incomplete_bytes);
	else
		buf_adds(&b, "  tail: complete\n");
	if (ir->exit_seen)
		buf_printf(&b, "  exit: %d%s\n", ir->exit_code, ir->finished ?
		    "" : " (not yet recorded)");
	else
		buf_adds(&b, "  exit: none (the run did not finish)\n");
	fputs(buf_cstr(&b), stdout);
	buf_release(&b);
}

static void
json_strp(struct buf *b, const char *name, const char *v)
{
	buf_printf(b, ",\"%s\":", name);
	if (v != NULL)
		json_str(b, v, strlen(v));
	else
		buf_adds(b, "null");
}

/* One run as a JSON object. */
static void
import_json(struct buf *b, const struct import_run *ir)
{
	int first = 1;

	buf_adds(b, "{\"status\":");
	json_str(b, status_name(ir->status), strlen(status_name(ir->status)));
	json_strp(b, "wandb", ir->wandb);
	json_strp(b, "rundir", ir->rundir);
	json_strp(b, "journal", ir->journal);
	json_strp(b, "id", ir->id[0] ? ir->id : NULL);
	json_strp(b, "error", ir->status == IMPORT_FAILED ? ir->error : NULL);
	buf_printf(b, ",\"records\":%" PRIu64 ",\"total_records\":%" PRIu64
	    ",\"written\":%" PRIu64 ",\"size\":%" PRIu64 ",\"types\":{",
	    ir->records, ir->total_records, ir->written, ir->size);
	for (int t = 0; t < IMPORT_NTYPES; t++) {
		if (ir->types[t] == 0)
			continue;
		buf_printf(b, "%s\"%s\":%" PRIu64, first ? "" : ",",
		    import_type_name(t), ir->types[t]);
		first = 0;
	}
	buf_printf(b, "},\"skipped_bytes\":%" PRIu64 ",\"skipped_regions\":%"
	    PRIu64 ",\"incomplete\":%s,\"incomplete_bytes\":%" PRIu64
	    ",\"not_imported\":%" PRIu64 ",\"dropped\":%" PRIu64
	    ",\"rejected\":%" PRIu64 ",\"bad_steps\":%" PRIu64
	    ",\"unknown_fields\":%" PRIu64 ",\"exit_code\":",
	    ir->skipped_bytes, ir->skipped_regions,
	    ir->incomplete ? "true" : "false", ir->incomplete_bytes,
	    ir->not_imported, ir->dropped, ir->rejected, ir->bad_steps,
	    ir->unknown_fields);
	if (ir->exit_seen)
		buf_printf(b, "%d", ir->exit_code);
	else
		buf_adds(b, "null");
	buf_printf(b, ",\"finished\":%s,\"seconds\":%.6f}",
	    ir->finished ? "true" : "false", ir->seconds);
}

int
cmd_import(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct import_opts	o = { import_notice, NULL, 0 };
	struct buf		out;
	int			c, json = 0, failed = 0, nout = 0;

	while ((c = getopt_long(argc, argv, "jqh", lopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'q':
			o.notice = NULL;
			break;
		case 'h':
			return cmd_usage("import", 0);
		default:
			return cmd_usage("import", CMD_EXIT_USAGE);
		}
	}
	if (optind == argc)
		return cmd_usage("import", CMD_EXIT_USAGE);
	buf_init(&out);
	buf_adds(&out, "{\"runs\":[");
	for (int i = optind; i < argc; i++) {
		struct import_report	rep;
		char			err[IMPORT_ERRMAX];

		if (import_path(argv[i], &o, &rep, err, sizeof(err)) != 0) {
			log_warnx("%s", err);
			failed++;
			continue;
		}
		for (size_t k = 0; k < rep.nruns; k++) {
			const struct import_run *ir = &rep.runs[k];

			if (ir->status == IMPORT_FAILED) {
				log_warnx("%s", ir->error);
				failed++;
			}
			if (json) {
				if (nout++ > 0)
					buf_addc(&out, ',');
				import_json(&out, ir);
			} else
				import_text(ir);
		}
		import_report_release(&rep);
	}
	if (json) {
		buf_printf(&out, "],\"failed\":%d}\n", failed);
		fputs(buf_cstr(&out), stdout);
	}
	buf_release(&out);
	return failed ? CMD_EXIT_FAIL : CMD_EXIT_OK;
}
