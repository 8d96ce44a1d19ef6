/*
 * import-log-t.c - importing logs this test writes (t/unit/import-tlib.h):
 * values (NaN, Infinity, Unicode, nested keys, summary, config) and every
 * record type the importer maps, read back through the public API; a log
 * that grows between imports, also inside a record that spans blocks,
 * gets only its new records and ends equal to a fresh import.  Bad input
 * is in import-bad-t.c.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "import-tlib.h"

/* ------------------------------------------------------------------ */
/* Values */

struct seen {
	int	nan, inf, ninf, uni, str, nested, big, sum, cfg, cfg_wandb;
	int64_t	steps[8];
	int	nsteps;
};

static int
key_is(const struct wbs_item *it, const char *key)
{
	return strcmp(it->key, key) == 0;
}

static int
str_is(const struct wbs_value *v, int type, const char *s)
{
	return v->type == type && v->u.s.len == strlen(s) &&
	    memcmp(v->u.s.ptr, s, v->u.s.len) == 0;
}

static void
values_rec(const struct wbs_record *rec, void *arg)
{
	struct seen *s = arg;

	if (rec->type == WBS_REC_HISTORY && s->nsteps < 8)
		s->steps[s->nsteps++] = rec->step;
	for (size_t i = 0; i < rec->nitems; i++) {
		const struct wbs_item *it = &rec->items[i];

		if (rec->type == WBS_REC_HISTORY) {
			s->nan |= key_is(it, "m/nan") &&
			    it->v.type == WBS_DOUBLE && isnan(it->v.u.d);
			s->inf |= key_is(it, "m/inf") && it->v.type ==
			    WBS_DOUBLE && isinf(it->v.u.d) && it->v.u.d > 0;
			s->ninf |= key_is(it, "m/ninf") && it->v.type ==
			    WBS_DOUBLE && isinf(it->v.u.d) && it->v.u.d < 0;
			s->uni |= key_is(it, "\xe6\x8d\x9f\xe5\xa4\xb1/loss") &&
			    it->v.type == WBS_DOUBLE && it->v.u.d == 0.25;
			s->str |= key_is(it, "text") && str_is(&it->v,
			    WBS_STRING, "caf\xc3\xa9 \xf0\x9f\x9a\x80 "
			    "\xe2\x80\x8d\"\n");
			s->nested |= key_is(it, "val" WBS_SEP "acc") &&
			    it->v.type == WBS_DOUBLE && it->v.u.d == 0.5;
			s->big |= key_is(it, "big") && str_is(&it->v,
			    WBS_JSON, "123456789012345678901234567890");
		} else if (rec->type == WBS_REC_SUMMARY) {
			s->sum |= key_is(it, "best") && it->v.type ==
			    WBS_DOUBLE && isinf(it->v.u.d) && it->v.u.d < 0;
		} else if (rec->type == WBS_REC_CONFIG ||
		    rec->type == WBS_REC_RUN) {
			s->cfg |= key_is(it, "\xe6\xa8\xa1\xe5\x9e\x8b" WBS_SEP
			    "name") && str_is(&it->v, WBS_STRING,
			    "caf\xc3\xa9");
			s->cfg_wandb |= key_is(it, "_wandb" WBS_SEP
			    "cli_version");
		}
	}
}

static void
test_values(void)
{
	char			*dir = mkdir_in("values");
	char			*log = path_in(dir, "run-values01.wandb");
	struct wl		 w;
	struct import_run	 ir;
	struct jsum		 js;
	struct seen		 s = { 0 };
	int			 rc;
	static const char *const row1[] = {
		"m/nan", "NaN", "m/inf", "Infinity", "m/ninf", "-Infinity",
		"\xe6\x8d\x9f\xe5\xa4\xb1/loss", "0.25",
		"text", "\"caf\\u00e9 \\ud83d\\ude80 \xe2\x80\x8d\\\"\\n\"",
		"val", "{\"acc\": 0.5}",
		"big", "123456789012345678901234567890",
	};
	static const char *const row2[] = { "m/nan", "1.5" };
	static const char *const sum[] = { "best", "-Infinity",
	    "m/nan", "1.5" };

	rc = wl_open(&w, log) != 0 || put_run(&w, "values01",
	    "r\xc3\xa9sum\xc3\xa9 \xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9")
	    != 0 || put_history(&w, 0, row1, 7) != 0 ||
	    put_history(&w, 5, row2, 1) != 0 || put_summary(&w, sum, 2) != 0 ||
	    put_exit(&w, 0) != 0;
	if (wl_close(&w) != 0 || rc != 0) {
		ok(0, "write %s", log);
		return;
	}
	if (!ok(imp(log, &ir) == IMPORT_NEW && ir.records == 5,
	    "values: imported (%s)", ir.error))
		goto out;
	ok(jread(ir.journal, &js, values_rec, &s) == 0, "values: journal "
	    "verifies");
	ok(s.nan && s.inf && s.ninf, "NaN, Infinity, -Infinity round-trip");
	ok(s.uni && s.str, "Unicode keys and strings (escapes, emoji, ZWJ) "
	    "round-trip");
	ok(s.nested, "an object value becomes nested keys");
	ok(s.big, "an integer past 64 bits stays exact JSON text");
	ok(s.sum, "an explicit summary value (-Infinity) is stored");
	ok(s.cfg && s.cfg_wandb, "config: Unicode key, nested object, _wandb");
	ok(s.nsteps == 2 && s.steps[0] == 0 && s.steps[1] == 5,
	    "explicit steps 0 and 5 kept");
	ok(js.st.state == WBS_STATE_FINISHED && js.st.created_us ==
	    1767323045000000LL, "finished; created at the run's start time");
out:
	import_run_release(&ir);
	free(log);
	free(dir);
}

/* ------------------------------------------------------------------ */
/* Every record type the importer maps */

static int
put_body(struct wl *w, int type, void *body)
{
	WbsWandb__Record rec = WBS_WANDB__RECORD__INIT;

	rec.record_type_case = type;
	rec.run = body;			/* the oneof: any member will do */
	return wl_put(w, &rec);
}

/* Metric, files, alert, preempting, console, telemetry, removals. */
static int
put_types(struct wl *w)
{
	WbsWandb__MetricRecord		m = WBS_WANDB__METRIC_RECORD__INIT;
	WbsWandb__MetricSummary		ms = WBS_WANDB__METRIC_SUMMARY__INIT;
	WbsWandb__FilesRecord		fr = WBS_WANDB__FILES_RECORD__INIT;
	WbsWandb__FilesItem		fi[2] = { WBS_WANDB__FILES_ITEM__INIT,
					    WBS_WANDB__FILES_ITEM__INIT };
	WbsWandb__FilesItem		*fp[2] = { &fi[0], &fi[1] };
	WbsWandb__AlertRecord		al = WBS_WANDB__ALERT_RECORD__INIT;
	WbsWandb__RunPreemptingRecord	pr =
					    WBS_WANDB__RUN_PREEMPTING_RECORD__INIT;
	WbsWandb__OutputRecord		out = WBS_WANDB__OUTPUT_RECORD__INIT;
	WbsWandb__OutputRawRecord	raw = WBS_WANDB__OUTPUT_RAW_RECORD__INIT;
	WbsWandb__OutputLoggerRecord	lg =
					    WBS_WANDB__OUTPUT_LOGGER_RECORD__INIT;
	WbsWandb__TelemetryRecord	tl = WBS_WANDB__TELEMETRY_RECORD__INIT;
	WbsWandb__ConfigRecord		cr = WBS_WANDB__CONFIG_RECORD__INIT;
	WbsWandb__SummaryRecord		sr = WBS_WANDB__SUMMARY_RECORD__INIT;
	WbsWandb__StatsRecord		st = WBS_WANDB__STATS_RECORD__INIT;
	WbsWandb__StatsItem		si = WBS_WANDB__STATS_ITEM__INIT;
	WbsWandb__StatsItem		*sp = &si;
	struct wl_items			 rm, srm;
	static const uint8_t		 feat[] = { 0x08, 0x01, 0x20, 0x01 };
	static const char *const	 rmk[] = { "lr", "" };
	static const char *const	 srmk[] = { "best", "" };

	m.name = "val/acc";
	m.step_metric = "epoch";
	m.goal = WBS_WANDB__METRIC_RECORD__METRIC_GOAL__GOAL_MAXIMIZE;
	ms.max = 1;
	m.summary = &ms;
	fi[0].path = "config.yaml";
	fi[0].policy = WBS_WANDB__FILES_ITEM__POLICY_TYPE__END;
	fi[1].path = "media/*.png";
	fr.files = fp;
	fr.n_files = 2;
	al.title = "loss spike";
	al.text = "loss went up \xe2\x86\x91";
	al.level = "WARN";
	al.wait_duration = 60000;
	out.output_type = WBS_WANDB__OUTPUT_RECORD__OUTPUT_TYPE__STDOUT;
	out.line = "epoch 1 done";
	raw.output_type = WBS_WANDB__OUTPUT_RAW_RECORD__OUTPUT_TYPE__STDERR;
	raw.line = "\rprogress 50%\x1b[0m\n";
	lg.line = "logger line";
	tl.python_version = "3.11.9";
	tl.cli_version = "0.17.0";
	tl.feature.data = (uint8_t *)feat;
	tl.feature.len = sizeof(feat);
	wl_items(&rm, rmk, 1);
	cr.remove = (WbsWandb__ConfigItem **)rm.ptr;
	cr.n_remove = 1;
	wl_items(&srm, srmk, 1);
	sr.remove = (WbsWandb__SummaryItem **)srm.ptr;
	sr.n_remove = 1;
	si.key = "gpu";
	si.value_json = "{\"0\": {\"temp\": 61, \"powerWatts\": 120.5}}";
	st.item = &sp;
	st.n_item = 1;
	return put_body(w, WBS_WANDB__RECORD__RECORD_TYPE_METRIC, &m) ||
	    put_body(w, WBS_WANDB__RECORD__RECORD_TYPE_FILES, &fr) ||
	    put_body(w, WBS_WANDB__RECORD__RECORD_TYPE_ALERT, &al) ||
	    put_body(w, WBS_WANDB__RECORD__RECORD_TYPE_OUTPUT, &out) ||
	    put_body(w, WBS_WANDB__RECORD__RECORD_TYPE_OUTPUT_RAW, &raw) ||
	    put_body(w, WBS_WANDB__RECORD__RECORD_TYPE_OUTPUT_LOGGER, &lg) ||
	    put_body(w, WBS_WANDB__RECORD__RECORD_TYPE_TELEMETRY, &tl) ||
	    put_body(w, WBS_WANDB__RECORD__RECORD_TYPE_CONFIG, &cr) ||
	    put_body(w, WBS_WANDB__RECORD__RECORD_TYPE_SUMMARY, &sr) ||
	    put_body(w, WBS_WANDB__RECORD__RECORD_TYPE_STATS, &st) ||
	    put_body(w, WBS_WANDB__RECORD__RECORD_TYPE_PREEMPTING, &pr);
}

struct typeseen {
	int	metric, file_cfg, file_png, alert, out, raw, logger, tel;
	int	cfg_rm, sum_rm, gpu;
};

static void
types_rec(const struct wbs_record *rec, void *arg)
{
	struct typeseen *t = arg;

	switch (rec->type) {
	case WBS_REC_METRIC:
		t->metric |= strcmp(rec->metric->name, "val/acc") == 0 &&
		    rec->metric->goal == WBS_GOAL_MAXIMIZE &&
		    (rec->metric->summary & WBS_SUMMARY_MAX) != 0;
		break;
	case WBS_REC_FILE:
		t->file_cfg |= strcmp(rec->file->path, "config.yaml") == 0 &&
		    rec->file->policy == WBS_POLICY_END;
		t->file_png |= strcmp(rec->file->path, "media/a.png") == 0;
		break;
	case WBS_REC_ALERT:
		t->alert |= strcmp(rec->alert->level, "WARN") == 0 &&
		    rec->alert->wait_ms == 60000;
		break;
	case WBS_REC_CONSOLE:
		t->out |= rec->stream == WBS_STDOUT && rec->textlen == 13 &&
		    memcmp(rec->text, "epoch 1 done\n", 13) == 0;
		t->raw |= rec->stream == WBS_STDERR &&
		    memmem(rec->text, rec->textlen, "\x1b[0m", 4) != NULL;
		t->logger |= memmem(rec->text, rec->textlen, "logger line",
		    11) != NULL;
		break;
	case WBS_REC_CONFIG:
		for (size_t i = 0; i < rec->nitems; i++)
			t->tel |= strcmp(rec->items[i].key, "_wandb" WBS_SEP
			    "t") == 0;
		for (size_t i = 0; i < rec->nkeys; i++)
			t->cfg_rm |= strcmp(rec->keys[i], "lr") == 0;
		break;
	case WBS_REC_SUMMARY:
		for (size_t i = 0; i < rec->nkeys; i++)
			t->sum_rm |= strcmp(rec->keys[i], "best") == 0;
		break;
	case WBS_REC_STATS:
		for (size_t i = 0; i < rec->nitems; i++)
			t->gpu |= strcmp(rec->items[i].key, "gpu.0.temp") == 0;
		break;
	}
}

/* Write the log with every mapped type (also the fuzz corpus entry). */
static int
write_types(const char *log)
{
	struct wl		w;
	static const char *const sum[] = { "best", "0.5" };
	int			rc;

	rc = wl_open(&w, log) != 0 || put_run(&w, "types001", "t") != 0 ||
	    put_rows(&w, 0, 3, -1) != 0 || put_summary(&w, sum, 1) != 0 ||
	    put_types(&w) != 0 || put_exit(&w, 0) != 0;
	return wl_close(&w) != 0 || rc != 0 ? -1 : 0;
}

static void
test_types(void)
{
	char			*dir = mkdir_in("types");
	char			*log = path_in(dir, "run-types001.wandb");
	char			*files = path_in(dir, "files");
	char			*media = path_in(dir, "files/media");
	char			*png = path_in(dir, "files/media/a.png");
	struct import_run	 ir;
	struct jsum		 js;
	struct typeseen		 t = { 0 };

	if (mkdir(files, 0755) != 0 || mkdir(media, 0755) != 0 ||
	    spit(png, "png", 3) != 0 || write_types(log) != 0) {
		ok(0, "write %s", log);
		return;
	}
	if (!ok(imp(log, &ir) == IMPORT_NEW && ir.rejected == 0 &&
	    ir.dropped == 0, "types: imported (%s)", ir.error))
		diag("%s", notes);
	ok(jread(ir.journal, &js, types_rec, &t) == 0, "types: verifies");
	ok(t.metric, "metric: name, goal, summary");
	ok(t.file_cfg && t.file_png, "files: a path with its policy, a glob "
	    "matched under files/");
	ok(t.alert, "alert: level and wait");
	ok(t.out && t.raw && t.logger, "output (a line), output_raw (bytes "
	    "as they came), output_logger");
	ok(t.tel, "telemetry kept as _wandb.t in the config");
	ok(t.cfg_rm && t.sum_rm, "config and summary removals");
	ok(t.gpu, "stats objects flattened with dots");
	ok(js.bytype[WBS_REC_PREEMPTING] == 1, "preempting");
	import_run_release(&ir);
	free(png);
	free(media);
	free(files);
	free(log);
	free(dir);
}

/* ------------------------------------------------------------------ */
/* Growth */

/* Append rows to an existing log, continuing its layout. */
static void
test_append(void)
{
	char			*dir = mkdir_in("append");
	char			*log = path_in(dir, "run-append01.wandb");
	struct wl		 w;
	struct import_run	 ir;
	struct jsum		 js;
	uint64_t		 seq1;

	if (wl_open(&w, log) != 0 || put_run(&w, "append01", "a") != 0 ||
	    put_rows(&w, 0, 10, -1) != 0 || wl_close(&w) != 0) {
		ok(0, "write %s", log);
		return;
	}
	ok(imp(log, &ir) == IMPORT_NEW && ir.records == 11 &&
	    jread(ir.journal, &js, NULL, NULL) == 0 &&
	    js.bytype[WBS_REC_HISTORY] == 10 &&
	    js.st.state == WBS_STATE_RUNNING, "append: 10 rows, running");
	seq1 = js.st.last_seq;
	import_run_release(&ir);
	if (wl_open(&w, log) != 0 || put_rows(&w, 10, 15, -1) != 0 || put_exit(&w, 3) != 0 ||
	    wl_close(&w) != 0) {
		ok(0, "append to %s", log);
		return;
	}
	if (!ok(imp(log, &ir) == IMPORT_UPDATED && ir.records == 6 &&
	    ir.total_records == 17 && jread(ir.journal, &js, NULL, NULL) == 0 &&
	    js.bytype[WBS_REC_HISTORY] == 15 && js.bytype[WBS_REC_RUN] == 2 &&
	    js.st.state == WBS_STATE_FAILED && js.st.exit_code == 3 &&
	    js.st.last_seq > seq1, "append: only the 6 new records imported, "
	    "exit 3 recorded"))
		diag("status %d records %" PRIu64 " rows %" PRIu64 ": %s",
		    ir.status, ir.records, js.bytype[WBS_REC_HISTORY],
		    ir.error);
	seq1 = js.st.last_seq;
	import_run_release(&ir);
	ok(imp(log, &ir) == IMPORT_UPTODATE && jread(ir.journal, &js, NULL,
	    NULL) == 0 && js.st.last_seq == seq1, "append: a third import "
	    "adds nothing");
	import_run_release(&ir);
	free(log);
	free(dir);
}

/*
 * A log copied in three cuts, two of them inside records (one inside a
 * record spanning blocks), imported after each: only new records are
 * added, the tail is reported incomplete, and the journal ends with the
 * same records as a fresh import of the whole log.
 */
static void
test_cuts(void)
{
	char			*dir = mkdir_in("cuts"), *fdir = mkdir_in("full");
	char			*full = path_in(fdir, "run-cuts0001.wandb");
	char			*log = path_in(dir, "run-cuts0001.wandb");
	struct wl		 w;
	struct import_run	 ir;
	struct jsum		 js, jf;
	uint8_t			*b;
	size_t			 len, cut[3];
	uint64_t		 total = 0;
	int			 good = 1;
	char			*journal = NULL;

	if (wl_open(&w, full) != 0 || put_run(&w, "cuts0001", "c") != 0 ||
	    put_rows(&w, 0, 40, 20) != 0 || put_exit(&w, 0) != 0 ||
	    wl_close(&w) != 0 || (b = slurp(full, &len)) == NULL) {
		ok(0, "write %s", full);
		return;
	}
	cut[0] = 32768 + 100;		/* inside the record over 2 blocks */
	cut[1] = len - 20;		/* inside the exit record */
	cut[2] = len;
	for (int i = 0; i < 3; i++) {
		if (spit(log, b, cut[i]) != 0) {
			ok(0, "write %s", log);
			break;
		}
		imp(log, &ir);
		total += ir.records;
		good &= ok(ir.status == (i == 0 ? IMPORT_NEW : IMPORT_UPDATED) &&
		    ir.incomplete == (i < 2) && ir.total_records == total,
		    "cut %d at %zu of %zu: status %d, %" PRIu64 " new records, "
		    "tail %s", i, cut[i], len, ir.status, ir.records,
		    ir.incomplete ? "incomplete" : "complete");
		if (i < 2)
			good &= ok(strstr(notes, "incomplete") != NULL,
			    "cut %d: the incomplete tail is reported", i);
		if (journal == NULL && ir.journal != NULL)
			journal = strdup(ir.journal);
		import_run_release(&ir);
	}
	ok(total == 42, "42 records in all (%" PRIu64 ")", total);
	imp(full, &ir);
	/* Each pass is a writing session: one run record each. */
	ok(good && jread(ir.journal, &jf, NULL, NULL) == 0 &&
	    jread(journal, &js, NULL, NULL) == 0 &&
	    js.bytype[WBS_REC_RUN] == 3 && jf.bytype[WBS_REC_RUN] == 1 &&
	    (js.bytype[WBS_REC_RUN] = 1, 1) &&
	    memcmp(js.bytype, jf.bytype, sizeof(js.bytype)) == 0 &&
	    js.items == jf.items && js.st.state == jf.st.state &&
	    js.st.last_step == jf.st.last_step,
	    "the grown journal holds what a fresh import holds");
	import_run_release(&ir);
	free(journal);
	free(b);
	free(full);
	free(log);
	free(fdir);
	free(dir);
}

int
main(int argc, char **argv)
{
	/* import-log-t --write FILE: the log of test_types() (fuzz corpus). */
	if (argc == 3 && strcmp(argv[1], "--write") == 0)
		return write_types(argv[2]) != 0;
	tmp = test_tmpdir();
	test_values();
	test_types();
	test_append();
	test_cuts();
	test_rmtree(tmp);
	plan_lazy_done();
	return tap_exit();
}
