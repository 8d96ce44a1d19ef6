/*
 * import-tlib.h - helpers of the importer's unit tests (import-log-t.c,
 * import-bad-t.c): W&B records written with t/unit/import-wlog.h, a
 * scratch directory, importing one log with its notices collected, and
 * journals read back through the public API.
 */
#ifndef WBS_IMPORT_TLIB_H
#define WBS_IMPORT_TLIB_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "wbstore/wbstore.h"
#include "import/import.h"
#include "import-wlog.h"
#include "tap.h"
#include "testutil.h"

#define TL	__attribute__((__unused__)) static

static char	*tmp;			/* the scratch directory */
static char	 notes[16384];

TL void
collect(void *arg, const char *msg)
{
	size_t n = strlen(notes);

	(void)arg;
	snprintf(notes + n, sizeof(notes) - n, "%s\n", msg);
}

static const struct import_opts opts = { collect, NULL, 100 };

/* ------------------------------------------------------------------ */
/* Writing logs */

TL int
put_run(struct wl *w, const char *id, const char *name)
{
	static char		*tags[] = { "\xe6\xa0\x87\xe7\xad\xbe",
				    "with,comma", "plain" };
	WbsWandb__Record	 rec = WBS_WANDB__RECORD__INIT;
	WbsWandb__RunRecord	 rr = WBS_WANDB__RUN_RECORD__INIT;
	WbsWandb__ConfigRecord	 cr = WBS_WANDB__CONFIG_RECORD__INIT;
	WbsWandb__Timestamp	 ts = WBS_WANDB__TIMESTAMP__INIT;
	struct wl_items		 it;
	static const char *const cfg[] = {
		"lr", "0.001",
		"\xe6\xa8\xa1\xe5\x9e\x8b", "{\"name\": \"caf\\u00e9\", "
		    "\"layers\": [64, 64]}",
		"_wandb", "{\"cli_version\": \"0.17.0\"}",
	};

	wl_items(&it, cfg, 3);
	cr.n_update = it.n;
	cr.update = (WbsWandb__ConfigItem **)it.ptr;
	ts.seconds = 1767323045;
	rr.run_id = (char *)id;
	rr.project = "proj";
	rr.entity = "ent";
	rr.display_name = (char *)name;
	rr.notes = "notes \xf0\x9f\x8e\x89";
	rr.tags = tags;
	rr.n_tags = 3;
	rr.config = &cr;
	rr.start_time = &ts;
	rec.record_type_case = WBS_WANDB__RECORD__RECORD_TYPE_RUN;
	rec.run = &rr;
	return wl_put(w, &rec);
}

/* A history record: pairs of key, JSON value; _step given as step. */
TL int
put_history(struct wl *w, int64_t step, const char *const *kv, size_t n)
{
	WbsWandb__Record	rec = WBS_WANDB__RECORD__INIT;
	WbsWandb__HistoryRecord	h = WBS_WANDB__HISTORY_RECORD__INIT;
	WbsWandb__HistoryStep	hs = WBS_WANDB__HISTORY_STEP__INIT;
	WbsWandb__HistoryItem	si = WBS_WANDB__HISTORY_ITEM__INIT;
	WbsWandb__HistoryItem	ti = WBS_WANDB__HISTORY_ITEM__INIT;
	WbsWandb__HistoryItem	*ptr[66];
	struct wl_items		it;
	char			sv[32], tv[32];

	wl_items(&it, kv, n);
	snprintf(sv, sizeof(sv), "%lld", (long long)step);
	snprintf(tv, sizeof(tv), "%.3f", 1767323046.0 + (double)step);
	si.key = "_step";
	si.value_json = sv;
	ti.key = "_timestamp";
	ti.value_json = tv;
	ptr[0] = &si;
	ptr[1] = &ti;
	memcpy(ptr + 2, it.ptr, it.n * sizeof(*ptr));
	h.item = ptr;
	h.n_item = it.n + 2;
	hs.num = step;
	h.step = &hs;
	rec.record_type_case = WBS_WANDB__RECORD__RECORD_TYPE_HISTORY;
	rec.history = &h;
	return wl_put(w, &rec);
}

TL int
put_summary(struct wl *w, const char *const *kv, size_t n)
{
	WbsWandb__Record	rec = WBS_WANDB__RECORD__INIT;
	WbsWandb__SummaryRecord	s = WBS_WANDB__SUMMARY_RECORD__INIT;
	struct wl_items		it;

	wl_items(&it, kv, n);
	s.update = (WbsWandb__SummaryItem **)it.ptr;
	s.n_update = it.n;
	rec.record_type_case = WBS_WANDB__RECORD__RECORD_TYPE_SUMMARY;
	rec.summary = &s;
	return wl_put(w, &rec);
}

TL int
put_exit(struct wl *w, int code)
{
	WbsWandb__Record	rec = WBS_WANDB__RECORD__INIT;
	WbsWandb__RunExitRecord	e = WBS_WANDB__RUN_EXIT_RECORD__INIT;

	e.exit_code = code;
	e.runtime = 30;
	rec.record_type_case = WBS_WANDB__RECORD__RECORD_TYPE_EXIT;
	rec.exit = &e;
	return wl_put(w, &rec);
}

/* Rows from..to-1 of a simple run; a big value at step big (if >= 0). */
TL int
put_rows(struct wl *w, int from, int to, int big)
{
	static char	*pad;
	char		 loss[32], acc[32];
	int		 rc = 0;

	if (pad == NULL) {
		/* A string value of 50000 bytes: one record over 2 blocks. */
		pad = malloc(50003);
		pad[0] = '"';
		memset(pad + 1, 'x', 50000);
		pad[50001] = '"';
		pad[50002] = '\0';
	}
	for (int s = from; s < to && rc == 0; s++) {
		const char *kv[] = { "train/loss", loss, "val/acc", acc,
		    "blob", pad };

		snprintf(loss, sizeof(loss), "%.4f", 1.0 / (s + 1));
		snprintf(acc, sizeof(acc), "%.4f", s / 100.0);
		rc = put_history(w, s, kv, s == big ? 3 : 2);
	}
	return rc;
}

TL char *
path_in(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		exit(99);
	return p;
}

/* A new directory under tmp. */
TL char *
mkdir_in(const char *name)
{
	char *p = path_in(tmp, name);

	if (mkdir(p, 0755) != 0) {
		perror(p);
		exit(99);
	}
	return p;
}

/* ------------------------------------------------------------------ */
/* Reading journals back */

struct jsum {
	struct wbs_journal_stat	st;
	uint64_t		bytype[16];
	uint64_t		items;
};

typedef void	rec_fn(const struct wbs_record *rec, void *arg);

TL int
jread(const char *path, struct jsum *js, rec_fn *fn, void *arg)
{
	struct wbs_journal	*j;
	struct wbs_iter		*it;
	const struct wbs_record	*rec;
	uint64_t		 n;
	int			 rc;

	memset(js, 0, sizeof(*js));
	if (path == NULL || wbs_journal_open(&j, path, WBS_JOURNAL_RDONLY,
	    NULL, 0) != 0)
		return -1;
	if (wbs_journal_verify(j, &n) != 0 || wbs_journal_stat(j, &js->st) !=
	    0 || wbs_iter_open(&it, j, 1) != 0) {
		wbs_journal_close(j);
		return -1;
	}
	while ((rc = wbs_iter_next(it, &rec)) == 1) {
		js->bytype[rec->type & 15]++;
		if (rec->type == WBS_REC_HISTORY)
			js->items += rec->nitems;
		if (fn != NULL)
			fn(rec, arg);
	}
	wbs_iter_free(it);
	wbs_journal_close(j);
	return rc == 0 && n == js->st.records ? 0 : -1;
}

/* Import one file; the run's status (the report is in *ir). */
TL int
imp(const char *path, struct import_run *ir)
{
	notes[0] = '\0';
	import_file(path, &opts, ir);
	return ir->status;
}

TL uint8_t *
slurp(const char *path, size_t *len)
{
	FILE	*f = fopen(path, "rb");
	uint8_t	*b;
	long	 n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0) {
		if (f)
			fclose(f);
		return NULL;
	}
	rewind(f);
	b = malloc((size_t)n + 1);
	if (fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return b;
}

TL int
spit(const char *path, const void *p, size_t n)
{
	FILE	*f = fopen(path, "wb");
	int	 rc;

	if (f == NULL)
		return -1;
	rc = fwrite(p, 1, n, f) == n ? 0 : -1;
	return fclose(f) != 0 ? -1 : rc;
}

#endif /* WBS_IMPORT_TLIB_H */
