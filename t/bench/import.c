/*
 * import.c - benchmark of `wbstore import`: write a history-heavy W&B log
 * of about 100 MB (t/unit/import-wlog.h: the encoder of the tests), import
 * it into a journal, print MB/s and records/s.
 *
 * usage: t/bench/import [MB] [DIR]
 *
 * The log is a training run as the W&B SDK writes one: a run record with
 * a config, then per step a history record of 40 metrics with W&B-style
 * keys (train/loss, val/acc, layer gradients, learning rate, _step,
 * _runtime, _timestamp), a stats record every 50 steps, a console line
 * every 10 steps, summary updates every 100, and an exit record.  It is
 * written under DIR (default $TMPDIR or /tmp) and removed afterwards.
 * Budget: at least 100 MB/s of log.
 */
#include "config.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "import/import.h"
#include "unit/import-wlog.h"

#define NMETRIC		40
#define BUDGET_MBS	100.0

static double
clock_s(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* CPU time of this process, user and system. */
static double
cpu(void)
{
	return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

/* Metric names of one step: W&B-style slash keys. */
static char	names[NMETRIC][48];

static void
make_names(void)
{
	static const char *const fixed[] = {
		"train/loss", "train/acc", "train/lr", "train/grad_norm",
		"train/tokens_per_sec", "train/epoch", "val/loss", "val/acc",
		"val/perplexity", "val/f1", "system/gpu_mem_gb",
		"optim/momentum", "optim/weight_decay", "train/batch_time_ms",
		"train/data_time_ms", "eval/bleu"
	};
	size_t n = sizeof(fixed) / sizeof(fixed[0]);

	for (size_t i = 0; i < NMETRIC; i++)
		if (i < n)
			snprintf(names[i], sizeof(names[i]), "%s", fixed[i]);
		else
			snprintf(names[i], sizeof(names[i]),
			    "gradients/encoder.layer.%zu.attention.weight",
			    i - n);
}

static int
put_run(struct wl *w)
{
	WbsWandb__Record	rec = WBS_WANDB__RECORD__INIT;
	WbsWandb__RunRecord	rr = WBS_WANDB__RUN_RECORD__INIT;
	WbsWandb__ConfigRecord	cr = WBS_WANDB__CONFIG_RECORD__INIT;
	WbsWandb__Timestamp	ts = WBS_WANDB__TIMESTAMP__INIT;
	struct wl_items		it;
	static const char *const cfg[] = {
		"learning_rate", "0.0003", "batch_size", "64", "epochs", "30",
		"model", "{\"name\": \"bert-base\", \"layers\": 12, "
		    "\"hidden\": 768, \"dropout\": 0.1}",
		"optimizer", "\"adamw\"", "seed", "1234",
	};

	wl_items(&it, cfg, 6);
	cr.update = (WbsWandb__ConfigItem **)it.ptr;
	cr.n_update = it.n;
	ts.seconds = 1767323045;
	rr.run_id = "bench001";
	rr.project = "bench";
	rr.entity = "bench-team";
	rr.display_name = "import-bench";
	rr.config = &cr;
	rr.start_time = &ts;
	rec.record_type_case = WBS_WANDB__RECORD__RECORD_TYPE_RUN;
	rec.run = &rr;
	return wl_put(w, &rec);
}

/* One history record of step s. */
static int
put_step(struct wl *w, int64_t s)
{
	WbsWandb__Record	 rec = WBS_WANDB__RECORD__INIT;
	WbsWandb__HistoryRecord	 h = WBS_WANDB__HISTORY_RECORD__INIT;
	WbsWandb__HistoryStep	 hs = WBS_WANDB__HISTORY_STEP__INIT;
	WbsWandb__HistoryItem	 it[NMETRIC + 3], *ptr[NMETRIC + 3];
	char			 val[NMETRIC + 3][32];
	double			 t = (double)s;

	for (size_t i = 0; i < NMETRIC + 3; i++) {
		wbs_wandb__history_item__init(&it[i]);
		ptr[i] = &it[i];
		if (i < NMETRIC) {
			it[i].key = names[i];
			snprintf(val[i], sizeof(val[i]), "%.17g",
			    (1.0 + (double)i) / (1.0 + t * 0.001) +
			    1e-7 * (double)((s * 7919 + (int64_t)i) % 1000));
		}
		it[i].value_json = val[i];
	}
	it[NMETRIC].key = "_step";
	snprintf(val[NMETRIC], 32, "%lld", (long long)s);
	it[NMETRIC + 1].key = "_runtime";
	snprintf(val[NMETRIC + 1], 32, "%.6f", t * 0.25);
	it[NMETRIC + 2].key = "_timestamp";
	snprintf(val[NMETRIC + 2], 32, "%.6f", 1767323045.0 + t * 0.25);
	h.item = ptr;
	h.n_item = NMETRIC + 3;
	hs.num = s;
	h.step = &hs;
	rec.record_type_case = WBS_WANDB__RECORD__RECORD_TYPE_HISTORY;
	rec.history = &h;
	return wl_put(w, &rec);
}

static int
put_stats(struct wl *w, int64_t s)
{
	WbsWandb__Record	 rec = WBS_WANDB__RECORD__INIT;
	WbsWandb__StatsRecord	 st = WBS_WANDB__STATS_RECORD__INIT;
	WbsWandb__StatsItem	 it[4], *ptr[4];
	WbsWandb__Timestamp	 ts = WBS_WANDB__TIMESTAMP__INIT;
	static const char *const k[] = { "cpu", "memory", "gpu.0.gpu",
	    "gpu.0.memoryAllocated" };
	static const char *const v[] = { "23.5", "41.25", "97", "63.1" };

	for (int i = 0; i < 4; i++) {
		wbs_wandb__stats_item__init(&it[i]);
		it[i].key = (char *)k[i];
		it[i].value_json = (char *)v[i];
		ptr[i] = &it[i];
	}
	ts.seconds = 1767323045 + s / 4;
	st.timestamp = &ts;
	st.item = ptr;
	st.n_item = 4;
	rec.record_type_case = WBS_WANDB__RECORD__RECORD_TYPE_STATS;
	rec.stats = &st;
	return wl_put(w, &rec);
}

static int
put_line(struct wl *w, int64_t s)
{
	WbsWandb__Record		rec = WBS_WANDB__RECORD__INIT;
	WbsWandb__OutputRawRecord	o = WBS_WANDB__OUTPUT_RAW_RECORD__INIT;
	char				line[128];

	snprintf(line, sizeof(line), "step %lld: loss %.4f, 412 samples/s\n",
	    (long long)s, 1.0 / (1.0 + (double)s * 0.001));
	o.output_type = WBS_WANDB__OUTPUT_RAW_RECORD__OUTPUT_TYPE__STDOUT;
	o.line = line;
	rec.record_type_case = WBS_WANDB__RECORD__RECORD_TYPE_OUTPUT_RAW;
	rec.output_raw = &o;
	return wl_put(w, &rec);
}

static int
put_summary(struct wl *w, int64_t s)
{
	WbsWandb__Record	rec = WBS_WANDB__RECORD__INIT;
	WbsWandb__SummaryRecord	sr = WBS_WANDB__SUMMARY_RECORD__INIT;
	struct wl_items		it;
	char			best[32];
	const char		*kv[] = { "best/val_loss", best };

	snprintf(best, sizeof(best), "%.6f", 7.0 / (1.0 + (double)s * 0.001));
	wl_items(&it, kv, 1);
	sr.update = (WbsWandb__SummaryItem **)it.ptr;
	sr.n_update = 1;
	rec.record_type_case = WBS_WANDB__RECORD__RECORD_TYPE_SUMMARY;
	rec.summary = &sr;
	return wl_put(w, &rec);
}

static int
put_exit(struct wl *w)
{
	WbsWandb__Record	rec = WBS_WANDB__RECORD__INIT;
	WbsWandb__RunExitRecord	e = WBS_WANDB__RUN_EXIT_RECORD__INIT;

	e.runtime = 3600;
	rec.record_type_case = WBS_WANDB__RECORD__RECORD_TYPE_EXIT;
	rec.exit = &e;
	return wl_put(w, &rec);
}

static int64_t	nrows;		/* history records written */

/* Write the log until it holds at least bytes; the record count or -1. */
static int64_t
write_log(const char *path, uint64_t bytes)
{
	struct wl	w;
	int64_t		n = 1;
	int		rc;

	if (wl_open(&w, path) != 0 || put_run(&w) != 0)
		return -1;
	for (int64_t s = 0; w.pos < bytes; s++) {
		rc = put_step(&w, s);
		n++;
		nrows++;
		if (rc == 0 && s % 50 == 0) {
			rc = put_stats(&w, s);
			n++;
		}
		if (rc == 0 && s % 10 == 0) {
			rc = put_line(&w, s);
			n++;
		}
		if (rc == 0 && s % 100 == 0) {
			rc = put_summary(&w, s);
			n++;
		}
		if (rc != 0)
			return -1;
	}
	if (put_exit(&w) != 0 || wl_close(&w) != 0)
		return -1;
	return n + 1;
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)f;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* Bytes under a directory. */
static uint64_t	du_total;

static int
du_entry(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void)path;
	(void)f;
	if (flag == FTW_F)
		du_total += (uint64_t)sb->st_blocks * 512;
	return 0;
}

int
main(int argc, char **argv)
{
	const char		*base = getenv("TMPDIR");
	double			 mb = argc > 1 ? atof(argv[1]) : 100.0;
	char			 dir[4096], log[4200];
	struct import_run	 ir;
	struct stat		 sb;
	int64_t			 nrec;
	double			 t0, c0, tw, ti, ci, mbs, rps;
	int			 rc = 0;

	if (argc > 2)
		base = argv[2];
	if (mb <= 0) {
		fprintf(stderr, "usage: %s [MB] [DIR]\n", argv[0]);
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s/wbs-bench-import-XXXXXX",
	    base != NULL && base[0] != '\0' ? base : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror(dir);
		return 1;
	}
	snprintf(log, sizeof(log), "%s/run-bench001.wandb", dir);
	make_names();
	t0 = now();
	nrec = write_log(log, (uint64_t)(mb * 1e6));
	tw = now() - t0;
	if (nrec < 0 || stat(log, &sb) != 0) {
		fprintf(stderr, "import bench: writing %s failed\n", log);
		nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		return 1;
	}
	printf("log:     %s, %.1f MB, %lld records (%lld history rows of "
	    "%d metrics), written in %.2f s\n", log, (double)sb.st_size / 1e6,
	    (long long)nrec, (long long)nrows, NMETRIC + 3, tw);
	t0 = now();
	c0 = cpu();
	if (import_file(log, NULL, &ir) != 0 || ir.status != IMPORT_NEW) {
		fprintf(stderr, "import bench: %s\n", ir.error);
		rc = 1;
	} else {
		ti = now() - t0;
		ci = cpu() - c0;
		mbs = (double)sb.st_size / 1e6 / ti;
		rps = (double)ir.records / ti;
		nftw(ir.journal, du_entry, 16, FTW_PHYS);
		printf("import:  %.2f s wall, %.2f s CPU, %llu records read, "
		    "%llu journal records written, journal %.1f MB\n", ti, ci,
		    (unsigned long long)ir.records,
		    (unsigned long long)ir.written, (double)du_total / 1e6);
		printf("rate:    %.1f MB/s, %.0f records/s (budget %.0f MB/s: "
		    "%.2fx, %s)\n", mbs, rps, BUDGET_MBS, mbs / BUDGET_MBS,
		    mbs >= BUDGET_MBS ? "met" : "NOT met");
		printf("per CPU second: %.1f MB/s, %.0f records/s (what an idle "
		    "core gives; wall time waits for the CPU on a busy "
		    "machine)\n", (double)sb.st_size / 1e6 / ci,
		    (double)ir.records / ci);
		if ((uint64_t)nrec != ir.records) {
			fprintf(stderr, "import bench: %lld records written, "
			    "%llu imported\n", (long long)nrec,
			    (unsigned long long)ir.records);
			rc = 1;
		}
	}
	import_run_release(&ir);
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}
