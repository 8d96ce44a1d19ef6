/*
 * import-fixtures-t.c - importing W&B logs into journals, read back
 * through the public API.
 *
 * Imports a copy of every shared fixture (fixtures/wandb under
 * $WBS_SHARED; the test is skipped when they are absent) and checks the
 * records per type against FIXTURES.md, the damage reports, the exit
 * state, that the run's attributes and history keys survive byte for
 * byte (Unicode included), that NaN and Infinity survive, that importing
 * again adds nothing, and that wandb directories find all their runs.
 * Logs written by the test itself are in import-log-t.c.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "wbstore/wbstore.h"
#include "import/import.h"
#include "wandb/wandblog.h"
#include "import-wlog.h"
#include "tap.h"
#include "testutil.h"

#define NREC	16		/* journal record types counted */

static char	*tmp;		/* everything this test writes */
static char	 notes[16384];	/* notices of the last import */

static void
collect(void *arg, const char *msg)
{
	size_t n = strlen(notes);

	(void)arg;
	snprintf(notes + n, sizeof(notes) - n, "%s\n", msg);
}

static const struct import_opts opts = { collect, NULL, 100 };

/* ------------------------------------------------------------------ */
/* Journals read back */

struct jsum {
	int			 ok;
	struct wbs_journal_stat	 st;
	uint64_t		 bytype[NREC];
	int			 last_type;
	uint64_t		 first_seq[NREC];	/* of each type */
	uint64_t		 last_seq[NREC];
	uint64_t		 items;		/* history items */
};

typedef void	rec_fn(const struct wbs_record *rec, void *arg);

/* Read a whole journal: verify it, count its records, call fn on each. */
static int
jread(const char *path, struct jsum *js, rec_fn *fn, void *arg)
{
	struct wbs_journal	*j;
	struct wbs_iter		*it;
	const struct wbs_record	*rec;
	char			 err[1024];
	uint64_t		 n;
	int			 rc;

	memset(js, 0, sizeof(*js));
	if (path == NULL || wbs_journal_open(&j, path, WBS_JOURNAL_RDONLY,
	    err, sizeof(err)) != 0) {
		diag("open %s: %s", path ? path : "(null)", path ? err : "");
		return -1;
	}
	if (wbs_journal_verify(j, &n) != 0 || wbs_journal_stat(j, &js->st) !=
	    0 || wbs_iter_open(&it, j, 1) != 0) {
		diag("%s: %s", path, wbs_journal_errmsg(j));
		wbs_journal_close(j);
		return -1;
	}
	while ((rc = wbs_iter_next(it, &rec)) == 1) {
		int t = rec->type >= 0 && rec->type < NREC ? rec->type : 0;

		if (js->bytype[t]++ == 0)
			js->first_seq[t] = rec->seq;
		js->last_seq[t] = rec->seq;
		js->last_type = t;
		if (t == WBS_REC_HISTORY)
			js->items += rec->nitems;
		if (fn != NULL)
			fn(rec, arg);
	}
	wbs_iter_free(it);
	wbs_journal_close(j);
	js->ok = rc == 0 && n == js->st.records;
	return js->ok ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Part one: the shared fixtures */

struct fx {
	const char	*path;		/* under fixtures/wandb */
	const char	*log;		/* its .wandb file's base name */
	const char	*counts;	/* records per type (FIXTURES.md) */
	int		 exit_code;	/* -1: no exit record */
	uint64_t	 skipped;	/* damaged bytes */
	uint64_t	 incomplete;	/* bytes of an incomplete tail */
};

#define CL	"compat-logs/offline-run-"
#define EW	"edge/wandb/"
#define WM	EW "workspace-multi/wandb/run-20260102_"

static const struct fx fxs[] = {
	{ "sdk-0.10-offline/offline-run-20210216_154407-g9dvvkua",
	    "run-g9dvvkua.wandb", "header=1 run=1 files=1 artifact=1 "
	    "telemetry=1 exit=1 stats=1 summary=1 final=1 footer=1", 0, 0, 0 },
	{ CL "new_auto_steps", "run-new_auto_steps.wandb",
	    "run=1 history=3 summary=1 exit=1", 0, 0, 0 },
	{ CL "new_explicit_steps", "run-new_explicit_steps.wandb",
	    "run=1 history=3 summary=3 exit=1", 0, 0, 0 },
	{ CL "new_resume_mode", "run-new_resume_mode.wandb",
	    "run=1 history=3 exit=1", 0, 0, 0 },
	{ CL "new_shared_mode", "run-new_shared_mode.wandb",
	    "run=1 history=2 exit=1", 0, 0, 0 },
	{ CL "old_auto_steps", "run-old_auto_steps.wandb",
	    "run=1 history=3 summary=3 exit=1", 0, 0, 0 },
	{ CL "old_auto_steps_flat_keys", "run-old_auto_steps_flat_keys.wandb",
	    "run=1 history=3 summary=3 exit=1", 0, 0, 0 },
	{ CL "old_bad_step_types", "run-old_bad_step_types.wandb",
	    "run=1 history=6 exit=1", 0, 0, 0 },
	{ CL "old_explicit_steps", "run-old_explicit_steps.wandb",
	    "run=1 history=3 summary=3 exit=1", 0, 0, 0 },
	{ CL "old_no_history", "run-old_no_history.wandb",
	    "run=1 summary=1 exit=1", 0, 0, 0 },
	{ CL "old_resumed_run", "run-old_resumed_run.wandb",
	    "run=1 history=3 summary=3 exit=1", 0, 0, 0 },
	{ CL "old_shared_mode", "run-old_shared_mode.wandb",
	    "run=1 history=2 exit=1", 0, 0, 0 },
	{ EW "single-tiny", "run-tiny0001.wandb", "run=1 history=50 "
	    "output_raw=20 summary=1 environment=1 exit=1", 0, 0, 0 },
	{ WM "030005-wm1plain", "run-wm1plain.wandb",
	    "run=1 history=30 exit=1", 0, 0, 0 },
	{ WM "030105-wm2notes", "run-wm2notes.wandb",
	    "run=1 history=30 exit=1", 0, 0, 0 },
	{ WM "030205-wm3live", "run-wm3live.wandb", "run=1 history=30",
	    -1, 0, 0 },
	{ WM "030305-wm4crash", "run-wm4crash.wandb",
	    "run=1 history=18 output_raw=2 exit=1", 1, 0, 0 },
	{ WM "030405-wm5best", "run-wm5best.wandb",
	    "run=1 history=30 exit=1", 0, 0, 0 },
	{ EW "system-stats", "run-sysstats1.wandb",
	    "run=1 environment=1 history=1 stats=60 exit=1", 0, 0, 0 },
	{ EW "media", "run-media001.wandb", "run=1 history=5 exit=1",
	    0, 0, 0 },
	{ EW "edge-nan-inf", "run-nanedge1.wandb", "run=1 history=20 exit=1",
	    0, 0, 0 },
	{ EW "edge-unicode", "run-uni00001.wandb",
	    "run=1 history=10 output_raw=1 exit=1", 0, 0, 0 },
	{ EW "edge-empty", "run-empty001.wandb", "run=1", -1, 0, 0 },
	{ "edge/wire/bad-crc.wandb", "bad-crc.wandb", "run=1 history=1",
	    -1, 150, 0 },
	{ "edge/wire/truncated-tail.wandb", "truncated-tail.wandb",
	    "run=1 history=3", -1, 0, 56 },
};
#define NFX	(sizeof(fxs) / sizeof(fxs[0]))

/* Whether the report's counts are exactly those of spec. */
static int
counts_match(const struct import_run *ir, const char *spec, char *got,
    size_t gotlen)
{
	uint64_t	 want[IMPORT_NTYPES] = { 0 }, sum = 0;
	const char	*p = spec;
	size_t		 n = 0;

	got[0] = '\0';
	for (int t = 0; t < IMPORT_NTYPES; t++)
		if (ir->types[t] != 0)
			n += (size_t)snprintf(got + n, n < gotlen ? gotlen - n : 0,
			    "%s=%" PRIu64 " ", import_type_name(t),
			    ir->types[t]);
	while (*p != '\0') {
		const char	*eq = strchr(p, '=');
		int		 t;

		if (eq == NULL)
			return 0;
		for (t = 0; t < IMPORT_NTYPES; t++)
			if (strlen(import_type_name(t)) == (size_t)(eq - p) &&
			    strncmp(import_type_name(t), p, (size_t)(eq - p)) ==
			    0)
				break;
		if (t == IMPORT_NTYPES)
			return 0;
		want[t] = strtoull(eq + 1, (char **)&p, 10);
		sum += want[t];
		while (*p == ' ')
			p++;
	}
	return memcmp(want, ir->types, sizeof(want)) == 0 &&
	    ir->records == sum;
}

/* The first run record of a log, decoded (free with wandblog_record_free). */
static WbsWandb__Record *
first_of(const char *path, int type)
{
	struct wandblog		*r;
	WbsWandb__Record	*rec = NULL;
	const uint8_t		*data;
	size_t			 len;

	if (wandblog_open(&r, path, NULL, 0) != 0)
		return NULL;
	while (wandblog_next(r, &data, &len) == 1) {
		if (wandblog_decode(r, data, len, &rec) != 0)
			continue;
		if ((int)rec->record_type_case == type)
			break;
		wandblog_record_free(rec);
		rec = NULL;
	}
	wandblog_close(r);
	return rec;
}

/* Whether the journal's attributes are the run record's, byte for byte. */
static int
same_run(const char *journal, const WbsWandb__RunRecord *rr)
{
	struct wbs_journal		*j;
	const struct wbs_run_info	*ri;
	int				 same;

#define EQ(a, b)	(strcmp((a) != NULL ? (a) : "", (b)) == 0)
	if (wbs_journal_open(&j, journal, WBS_JOURNAL_RDONLY, NULL, 0) != 0)
		return 0;
	if (wbs_journal_info(j, &ri) != 0) {
		wbs_journal_close(j);
		return 0;
	}
	same = EQ(ri->id, rr->run_id) && EQ(ri->entity, rr->entity) &&
	    EQ(ri->project, rr->project[0] ? rr->project : "uncategorized") &&
	    EQ(ri->name, rr->display_name) && EQ(ri->notes, rr->notes) &&
	    EQ(ri->group, rr->run_group) && EQ(ri->job_type, rr->job_type) &&
	    ri->ntags == rr->n_tags;
	for (size_t i = 0; same && i < rr->n_tags; i++)
		same = EQ(ri->tags[i], rr->tags[i]);
	if (!same)
		diag("journal run %s name \"%s\" tags %zu; log \"%s\" %zu",
		    ri->id, ri->name ? ri->name : "", ri->ntags,
		    rr->display_name, rr->n_tags);
	wbs_journal_close(j);
	return same;
#undef EQ
}

/* History keys of a journal, for checking the log's keys against. */
struct keys {
	char	**v;
	size_t	  n, cap;
};

static void
keys_add(const struct wbs_record *rec, void *arg)
{
	struct keys *k = arg;

	if (rec->type != WBS_REC_HISTORY)
		return;
	for (size_t i = 0; i < rec->nitems; i++) {
		size_t j;

		for (j = 0; j < k->n; j++)
			if (strcmp(k->v[j], rec->items[i].key) == 0)
				break;
		if (j < k->n)
			continue;
		if (k->n == k->cap) {
			k->cap = k->cap ? k->cap * 2 : 64;
			k->v = realloc(k->v, k->cap * sizeof(*k->v));
		}
		k->v[k->n++] = strdup(rec->items[i].key);
	}
}

/* Whether log key lk is a journal key, or one is a path prefix of the other. */
static int
key_known(const struct keys *k, const char *lk)
{
	for (size_t i = 0; i < k->n; i++) {
		size_t a = strlen(k->v[i]), b = strlen(lk);

		if (strcmp(k->v[i], lk) == 0 ||
		    (a < b && strncmp(k->v[i], lk, a) == 0 &&
		    lk[a] == WBS_SEP_CHAR) ||
		    (b < a && strncmp(k->v[i], lk, b) == 0 &&
		    k->v[i][b] == WBS_SEP_CHAR))
			return 1;
	}
	return 0;
}

/* Every history key of the log (not _step, ...) is in the journal. */
static int
history_keys(const char *log, const char *journal, size_t *nkeys)
{
	struct keys	 k = { 0 };
	struct jsum	 js;
	struct wandblog	*r;
	const uint8_t	*data;
	size_t		 len;
	int		 all = 1;

	*nkeys = 0;
	if (jread(journal, &js, keys_add, &k) != 0 ||
	    wandblog_open(&r, log, NULL, 0) != 0)
		return 0;
	while (wandblog_next(r, &data, &len) == 1) {
		WbsWandb__Record *rec;

		if (wandblog_decode(r, data, len, &rec) != 0)
			continue;
		for (size_t i = 0; rec->record_type_case ==
		    WBS_WANDB__RECORD__RECORD_TYPE_HISTORY &&
		    i < rec->history->n_item; i++) {
			const WbsWandb__HistoryItem *h = rec->history->item[i];
			char key[WBS_KEY_MAX + 1] = "";

			for (size_t c = 0; c < h->n_nested_key; c++)
				snprintf(key + strlen(key), sizeof(key) -
				    strlen(key), "%s%s", c ? WBS_SEP : "",
				    h->nested_key[c]);
			if (h->n_nested_key == 0)
				snprintf(key, sizeof(key), "%s", h->key);
			if (key[0] == '_')
				continue;
			(*nkeys)++;
			if (!key_known(&k, key)) {
				diag("log key \"%s\" not in the journal", key);
				all = 0;
			}
		}
		wandblog_record_free(rec);
	}
	wandblog_close(r);
	for (size_t i = 0; i < k.n; i++)
		free(k.v[i]);
	free(k.v);
	return all;
}

/* The legacy 0.10 run: its exit record is honoured, what follows kept. */
static void
check_legacy(const struct import_run *ir, const struct jsum *js)
{
	ok(js->st.state == WBS_STATE_FINISHED && js->st.exit_code == 0 &&
	    js->last_type == WBS_REC_EXIT,
	    "g9dvvkua: finished with exit 0, the exit is the last record");
	ok(js->bytype[WBS_REC_STATS] == 1 &&
	    js->last_seq[WBS_REC_STATS] < js->first_seq[WBS_REC_EXIT],
	    "g9dvvkua: the stats record after the exit record is kept");
	ok(js->bytype[WBS_REC_SUMMARY] == 0 && ir->dropped == 0 &&
	    ir->rejected == 0, "g9dvvkua: its summary record (empty) adds "
	    "nothing");
	ok(js->bytype[WBS_REC_FILE] >= 1, "g9dvvkua: files registered (%"
	    PRIu64 ")", js->bytype[WBS_REC_FILE]);
	ok(ir->not_imported == 1, "g9dvvkua: the artifact record is counted "
	    "as not imported");
}

/* Values of edge/nan_inf at steps 1, 2, 3. */
static void
nan_values(const struct wbs_record *rec, void *arg)
{
	double *d = arg;

	if (rec->type != WBS_REC_HISTORY || rec->step < 1 || rec->step > 3)
		return;
	for (size_t i = 0; i < rec->nitems; i++)
		if (strcmp(rec->items[i].key, "edge/nan_inf") == 0 &&
		    rec->items[i].v.type == WBS_DOUBLE)
			d[rec->step - 1] = rec->items[i].v.u.d;
}

static void
check_nan(const struct import_run *ir)
{
	double		d[3] = { 0, 0, 0 };
	struct jsum	js;

	jread(ir->journal, &js, nan_values, d);
	ok(isnan(d[0]) && isinf(d[1]) && d[1] > 0 && isinf(d[2]) && d[2] < 0,
	    "nanedge1: NaN, Infinity and -Infinity are stored as doubles");
}

/* Set a file's modification time forward by secs. */
static int
touch_later(const char *path, int secs)
{
	struct stat	sb;
	struct timeval	tv[2];

	if (stat(path, &sb) != 0)
		return -1;
	tv[0].tv_sec = sb.st_atime;
	tv[0].tv_usec = 0;
	tv[1].tv_sec = sb.st_mtime + secs;
	tv[1].tv_usec = 0;
	return utimes(path, tv);
}

/* Importing again, even after the log's time changed, adds nothing. */
static void
check_again(const char *path, const char *wandb, const struct fx *f,
    const struct jsum *js)
{
	struct import_report	rep;
	struct jsum		js2;
	char			err[IMPORT_ERRMAX];

	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1 && touch_later(wandb, 10) != 0) {
			ok(0, "%s: touch: %s", wandb, strerror(errno));
			break;
		}
		if (import_path(path, &opts, &rep, err, sizeof(err)) != 0) {
			ok(0, "%s: import again: %s", f->log, err);
			return;
		}
		ok(rep.nruns == 1 && rep.runs[0].status == IMPORT_UPTODATE &&
		    rep.runs[0].written == 0 &&
		    jread(rep.runs[0].journal, &js2, NULL, NULL) == 0 &&
		    js2.st.last_seq == js->st.last_seq,
		    "%s: importing again%s adds nothing", f->log, pass ?
		    " (log touched)" : "");
		import_report_release(&rep);
	}
}

/* Import one fixture (a copy) and check everything about it. */
static void
check_fixture(const char *copy, const struct fx *f)
{
	char			 path[4096], got[512], err[IMPORT_ERRMAX];
	struct import_report	 rep;
	struct import_run	*ir;
	struct jsum		 js;
	WbsWandb__Record	*run;
	size_t			 nkeys;
	int			 keys_ok;

	snprintf(path, sizeof(path), "%s/%s", copy, f->path);
	notes[0] = '\0';
	if (import_path(path, &opts, &rep, err, sizeof(err)) != 0 ||
	    rep.nruns != 1) {
		ok(0, "%s: import_path: %s", f->log, err);
		return;
	}
	ir = &rep.runs[0];
	if (!ok(ir->status == IMPORT_NEW && rep.failed == 0,
	    "%s: imported (%s)", f->log, ir->error))
		goto out;
	if (!ok(counts_match(ir, f->counts, got, sizeof(got)),
	    "%s: records per type: %s", f->log, f->counts))
		diag("got %s", got);
	is_int(ir->skipped_bytes, f->skipped, "%s: %" PRIu64 " bytes skipped",
	    f->log, f->skipped);
	ok(ir->incomplete == (f->incomplete > 0) &&
	    ir->incomplete_bytes == f->incomplete, "%s: tail %s", f->log,
	    f->incomplete ? "incomplete" : "complete");
	ok(f->exit_code < 0 ? !ir->exit_seen : ir->exit_seen &&
	    ir->exit_code == f->exit_code, "%s: exit %d", f->log, f->exit_code);
	if (!ok(jread(ir->journal, &js, NULL, NULL) == 0 &&
	    js.st.records == ir->written, "%s: the journal verifies and holds "
	    "the %" PRIu64 " records written", f->log, ir->written))
		goto out;
	ok(js.st.state == (f->exit_code < 0 ? WBS_STATE_RUNNING :
	    f->exit_code == 0 ? WBS_STATE_FINISHED : WBS_STATE_FAILED) &&
	    (f->exit_code < 0 || js.st.exit_code == f->exit_code),
	    "%s: journal state %d", f->log, js.st.state);
	is_int(js.bytype[WBS_REC_HISTORY], ir->types[IMPORT_T_HISTORY],
	    "%s: one history row per history record", f->log);
	if ((run = first_of(ir->wandb, WBS_WANDB__RECORD__RECORD_TYPE_RUN))) {
		ok(same_run(ir->journal, run->run), "%s: id, project, name, "
		    "notes, group, job type and tags as in the log", f->log);
		wandblog_record_free(run);
	}
	keys_ok = history_keys(ir->wandb, ir->journal, &nkeys);
	ok(keys_ok, "%s: all %zu history keys of the log are in the journal", f->log,
	    nkeys);
	if (f->skipped > 0)
		ok(strstr(notes, "checksum mismatch") != NULL,
		    "%s: the skip is reported", f->log);
	if (f->incomplete > 0)
		ok(strstr(notes, "incomplete") != NULL,
		    "%s: the incomplete tail is reported", f->log);
	if (strcmp(f->log, "run-g9dvvkua.wandb") == 0)
		check_legacy(ir, &js);
	if (strcmp(f->log, "run-nanedge1.wandb") == 0)
		check_nan(ir);
	check_again(path, ir->wandb, f, &js);
out:
	import_report_release(&rep);
}

/* Every .wandb under dir is one of the table's (none forgotten). */
static int
all_listed(const char *dir, int *seen)
{
	DIR		*d = opendir(dir);
	struct dirent	*de;
	int		 all = 1;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char		path[4096];
		struct stat	sb;
		size_t		n = strlen(de->d_name), i;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &sb) != 0)
			continue;
		if (S_ISDIR(sb.st_mode)) {
			all &= all_listed(path, seen);
			continue;
		}
		if (n < 6 || strcmp(de->d_name + n - 6, ".wandb") != 0)
			continue;
		for (i = 0; i < NFX; i++)
			if (strcmp(fxs[i].log, de->d_name) == 0)
				break;
		if (i == NFX) {
			diag("%s is not in this test's table", path);
			all = 0;
		} else
			seen[i] = 1;
	}
	closedir(d);
	return all;
}

/* Whole wandb directories: every run found, all up to date now. */
static void
check_dirs(const char *copy)
{
	static const struct {
		const char	*path;
		size_t		 nruns;
	} dirs[] = {
		{ EW "workspace-multi", 5 },		/* holds wandb/ */
		{ EW "workspace-multi/wandb", 5 },
		{ "compat-logs", 11 },
		{ EW "single-tiny/wandb/run-20260102_030405-tiny0001/"
		    "run-tiny0001.wandb", 1 },
	};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		struct import_report	rep;
		char			path[4096], err[IMPORT_ERRMAX];
		size_t			up = 0;

		snprintf(path, sizeof(path), "%s/%s", copy, dirs[i].path);
		if (import_path(path, &opts, &rep, err, sizeof(err)) != 0) {
			ok(0, "import %s: %s", dirs[i].path, err);
			continue;
		}
		for (size_t k = 0; k < rep.nruns; k++)
			up += rep.runs[k].status == IMPORT_UPTODATE;
		if (!ok(rep.nruns == dirs[i].nruns && up == rep.nruns,
		    "%s: %zu runs found, all up to date", dirs[i].path,
		    dirs[i].nruns))
			diag("%zu runs, %zu up to date", rep.nruns, up);
		import_report_release(&rep);
	}
}

/* Find the shared fixtures, as t/unit/wandblog-t.c does. */
static int
fixture_dir(char *buf, size_t len)
{
	const char	*shared = getenv("WBS_SHARED");
	struct stat	 st;

	if (shared != NULL && *shared != '\0')
		snprintf(buf, len, "%s/fixtures/wandb", shared);
	else
		snprintf(buf, len, "../shared/fixtures/wandb");
	return stat(buf, &st) == 0 && S_ISDIR(st.st_mode);
}

static void
test_fixtures(void)
{
	char	src[4096], copy[4096], cmd[9000];
	int	seen[NFX] = { 0 };

	if (!fixture_dir(src, sizeof(src)))
		return;
	snprintf(copy, sizeof(copy), "%s/fixtures", tmp);
	/* The shared tree may be read-only: make the copy writable. */
	snprintf(cmd, sizeof(cmd), "cp -R '%s' '%s' && chmod -R u+w '%s'", src,
	    copy, copy);
	if (!ok(system(cmd) == 0, "copy the fixtures"))
		return;
	ok(all_listed(copy, seen), "every .wandb fixture is in the table");
	for (size_t i = 0; i < NFX; i++) {
		if (!seen[i]) {
			ok(0, "fixture %s found", fxs[i].log);
			continue;
		}
		check_fixture(copy, &fxs[i]);
	}
	check_dirs(copy);
}

int
main(void)
{
	char dir[4096];

	if (!fixture_dir(dir, sizeof(dir))) {
		printf("1..0 # SKIP shared fixtures not found\n");
		return 0;
	}
	tmp = test_tmpdir();
	test_fixtures();
	test_rmtree(tmp);
	plan_lazy_done();
	return tap_exit();
}
