/*
 * api-t.c - every public function of libwbstore, error paths included.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lmdb.h>

#include "wbstore/wbstore.h"
#include "tap.h"
#include "testutil.h"

static char	*root;
static char	 err[512];

/* Open a run in root with the given id and resume mode (NULL: unset). */
static int
open_run(struct wbs_run **runp, const char *id, const char *resume)
{
	struct wbs_opts	*o;
	int		 rc;

	if (wbs_opts_new(&o) != 0)
		return -100;
	if (wbs_opts_set(o, WBS_OPT_DIR, root) != 0 ||
	    (id && wbs_opts_set(o, WBS_OPT_ID, id) != 0) ||
	    (resume && wbs_opts_set(o, WBS_OPT_RESUME, resume) != 0)) {
		wbs_opts_free(o);
		return -101;
	}
	rc = wbs_run_open(runp, o, err, sizeof(err));
	wbs_opts_free(o);
	return rc;
}

/* All records of a journal through a callback. */
typedef void rec_fn(const struct wbs_record *r, void *arg);

static int
each_record(const char *path, rec_fn *fn, void *arg)
{
	struct wbs_journal	*j;
	struct wbs_iter		*it;
	const struct wbs_record	*r;
	int			 rc, n = 0;

	if (wbs_journal_open(&j, path, 0, err, sizeof(err)) != 0)
		return -1;
	if (wbs_iter_open(&it, j, 1) != 0) {
		wbs_journal_close(j);
		return -1;
	}
	while ((rc = wbs_iter_next(it, &r)) == 1) {
		fn(r, arg);
		n++;
	}
	wbs_iter_free(it);
	wbs_journal_close(j);
	return rc < 0 ? rc : n;
}

static void
test_strerror(void)
{
	int codes[] = { WBS_OK, WBS_ENOMEM, WBS_EINVAL, WBS_EIO, WBS_ENOSPC,
	    WBS_ENOTFOUND, WBS_EEXIST, WBS_EVERSION, WBS_ECORRUPT, WBS_ETOOBIG,
	    WBS_ESTEP, WBS_EFINISHED, WBS_EUTF8, WBS_ERDONLY, WBS_ELOCKED };
	int named = 1;

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strncmp(wbs_strerror(codes[i]), "WBS_", 4) != 0)
			named = 0;
	ok(named, "strerror names every code");
	ok(strstr(wbs_strerror(-999), "unknown") != NULL, "strerror: unknown");
	is_str(wbs_version(), WBS_VERSION_STRING, "version");
	is_int(WBS_ELOCKED, -14, "error values are fixed");
}

static void
test_checks(void)
{
	char	e[128];

	ok(wbs_check_run_id("abc123", e, sizeof(e)) == 0, "run id ok");
	ok(wbs_check_run_id("", e, sizeof(e)) == WBS_EINVAL, "empty id");
	ok(wbs_check_run_id("a:b", e, sizeof(e)) == WBS_EINVAL &&
	    strstr(e, "a:b") != NULL, "id with ':' refused, named");
	ok(wbs_check_run_id(" ab", e, sizeof(e)) == WBS_EINVAL,
	    "id with leading space");
	ok(wbs_check_run_id("a/b", NULL, 0) == WBS_EINVAL, "id with '/'");
	ok(wbs_check_run_id("\xff\xfe", e, sizeof(e)) == WBS_EUTF8,
	    "id not UTF-8");
	ok(wbs_check_project("mnist-2", e, sizeof(e)) == 0, "project ok");
	ok(wbs_check_project("a%b", e, sizeof(e)) == WBS_EINVAL, "project with %%");
	{
		char long_p[200];

		memset(long_p, 'p', sizeof(long_p) - 1);
		long_p[sizeof(long_p) - 1] = '\0';
		ok(wbs_check_project(long_p, e, sizeof(e)) == WBS_EINVAL,
		    "project over 128");
	}
}

static void
test_opts(void)
{
	struct wbs_opts	*o;
	struct wbs_item	 bad = WBS_DOUBLE_ITEM("", 1);

	ok(wbs_opts_new(&o) == 0, "opts_new");
	wbs_opts_free(NULL);
	is_int(wbs_opts_set(o, 999, "x"), WBS_EINVAL, "unknown option");
	is_int(wbs_opts_set(o, WBS_OPT_PROJECT, "a/b"), WBS_EINVAL,
	    "bad project");
	ok(strstr(wbs_opts_errmsg(o), "a/b") != NULL, "message names it");
	is_int(wbs_opts_set(o, WBS_OPT_ID, "x?y"), WBS_EINVAL, "bad id");
	is_int(wbs_opts_set(o, WBS_OPT_RESUME, "maybe"), WBS_EINVAL,
	    "bad resume");
	is_int(wbs_opts_set(o, WBS_OPT_MODE, "sometimes"), WBS_EINVAL,
	    "bad mode");
	is_int(wbs_opts_set(o, WBS_OPT_FORK_FROM, "parent"), WBS_EINVAL,
	    "fork_from without ?_step=");
	is_int(wbs_opts_set(o, WBS_OPT_FORK_FROM, "parent?_step=-3"),
	    WBS_EINVAL, "negative fork step");
	is_int(wbs_opts_set(o, WBS_OPT_SYNC_INTERVAL, "soon"), WBS_EINVAL,
	    "bad sync interval");
	is_int(wbs_opts_set(o, WBS_OPT_WRITE_MODE, "mmap"), WBS_EINVAL,
	    "bad write mode");
	ok(strstr(wbs_opts_errmsg(o), "\"mmap\" is not map or write") !=
	    NULL, "message: %s", wbs_opts_errmsg(o));
	ok(wbs_opts_set(o, WBS_OPT_WRITE_MODE, "map") == 0 &&
	    wbs_opts_set(o, WBS_OPT_WRITE_MODE, "write") == 0,
	    "write modes map and write");
	is_int(wbs_opts_set(o, WBS_OPT_TAGS, "ok, "
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
	    WBS_EINVAL, "tag over 64 characters");
	is_int(wbs_opts_set(o, WBS_OPT_NAME, "bad \xc3"), WBS_EUTF8,
	    "option not UTF-8");
	is_int(wbs_opts_config(o, &bad, 1), WBS_EINVAL, "config: empty key");
	ok(wbs_opts_set(o, WBS_OPT_PROJECT, "p") == 0 &&
	    wbs_opts_set(o, WBS_OPT_PROJECT, NULL) == 0, "set and unset");
	wbs_opts_free(o);
}

static void
test_env_and_layout(void)
{
	struct wbs_run			*run;
	struct wbs_journal		*j;
	const struct wbs_run_info	*ri;
	char				 link[PATH_MAX], target[PATH_MAX];
	ssize_t				 n;
	const char			*id;

	setenv("WANDB_DIR", root, 1);
	setenv("WANDB_PROJECT", "envproj", 1);
	setenv("WANDB_TAGS", "a, b ,c", 1);
	setenv("WANDB_RUN_GROUP", "grp", 1);
	ok(wbs_run_open(&run, NULL, err, sizeof(err)) == 0,
	    "open from environment only");
	id = wbs_run_id(run);
	ok(strlen(id) == 8 && strspn(id, "abcdefghijklmnopqrstuvwxyz"
	    "0123456789") == 8, "generated id is 8 of [a-z0-9]: %s", id);
	ok(strstr(wbs_run_dir(run), "/wandb/offline-run-") != NULL,
	    "offline-run- directory");
	snprintf(link, sizeof(link), "%s/wandb/latest-run", root);
	n = readlink(link, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	ok(n > 0 && strstr(wbs_run_dir(run), target) != NULL,
	    "latest-run points at the run");
	ok(wbs_journal_open(&j, wbs_run_journal(run), 0, err,
	    sizeof(err)) == 0 && wbs_journal_info(j, &ri) == 0,
	    "read while the writer is open");
	is_str(ri->project, "envproj", "WANDB_PROJECT");
	is_str(ri->group, "grp", "WANDB_RUN_GROUP");
	is_int(ri->ntags, 3, "WANDB_TAGS split");
	is_str(ri->ntags == 3 ? ri->tags[1] : NULL, "b", "tags trimmed");
	{
		struct wbs_journal_stat st;

		ok(wbs_journal_stat(j, &st) == 0 && st.live == 1 &&
		    st.state == WBS_STATE_RUNNING, "live writer seen");
	}
	wbs_journal_close(j);
	wbs_run_close(run);
	setenv("WANDB_PROJECT", "bad/name", 1);
	ok(wbs_run_open(&run, NULL, err, sizeof(err)) == WBS_EINVAL &&
	    strstr(err, "WANDB_PROJECT") != NULL,
	    "bad WANDB_PROJECT refused, named: %s", err);
	unsetenv("WANDB_PROJECT");
	unsetenv("WANDB_TAGS");
	unsetenv("WANDB_RUN_GROUP");
	setenv("WANDB_MODE", "disabled", 1);
	ok(open_run(&run, "nothere", NULL) == 0, "disabled mode opens");
	ok(wbs_run_log(run, NULL, 0, WBS_STEP_AUTO, 0) == 0 &&
	    wbs_run_finish(run, 0) == 0, "disabled mode accepts calls");
	wbs_run_close(run);
	unsetenv("WANDB_MODE");
	snprintf(link, sizeof(link), "%s/wandb", root);
	{
		struct stat sb;
		char p[PATH_MAX];
		int found = 0;

		/* No directory of id "nothere" may exist. */
		snprintf(p, sizeof(p), "ls -d %s/*nothere* 2>/dev/null", link);
		found = system(p) == 0;
		ok(!found && stat(link, &sb) == 0, "disabled wrote nothing");
	}
	unsetenv("WANDB_DIR");
}

struct collect {
	int	hist;
	int64_t	steps[64];
	unsigned flags[64];
	int	types[16];
	int	nitems_last;
	int	sawnan, sawinf, sawninf, sawstr, sawjson, sawbytes, sawnull,
		sawbool;
};

static void
collect(const struct wbs_record *r, void *arg)
{
	struct collect *c = arg;

	c->types[r->type]++;
	if (r->type != WBS_REC_HISTORY)
		return;
	if (c->hist < 64) {
		c->steps[c->hist] = r->step;
		c->flags[c->hist] = r->flags;
	}
	c->hist++;
	c->nitems_last = (int)r->nitems;
	for (size_t i = 0; i < r->nitems; i++) {
		const struct wbs_value *v = &r->items[i].v;

		if (v->type == WBS_DOUBLE && isnan(v->u.d))
			c->sawnan++;
		if (v->type == WBS_DOUBLE && isinf(v->u.d) && v->u.d > 0)
			c->sawinf++;
		if (v->type == WBS_DOUBLE && isinf(v->u.d) && v->u.d < 0)
			c->sawninf++;
		if (v->type == WBS_STRING && v->u.s.len == 7 &&
		    memcmp(v->u.s.ptr, "a\0b\xe2\x9c\x93z", 7) == 0)
			c->sawstr++;
		if (v->type == WBS_JSON && strncmp(v->u.s.ptr, "{\"_type\"",
		    8) == 0)
			c->sawjson++;
		if (v->type == WBS_BYTES && v->u.s.len == 3)
			c->sawbytes++;
		if (v->type == WBS_NULL)
			c->sawnull++;
		if (v->type == WBS_BOOL && v->u.b)
			c->sawbool++;
	}
}

static void
test_log(void)
{
	struct wbs_run	*run;
	struct collect	 c;
	struct wbs_item	 row[8];
	char		 key[WBS_KEY_MAX + 2];
	char		*big;

	ok(open_run(&run, "logrun", NULL) == 0, "open logrun");
	row[0] = WBS_DOUBLE_ITEM("nan", NAN);
	row[1] = WBS_DOUBLE_ITEM("inf", INFINITY);
	row[2] = WBS_DOUBLE_ITEM("ninf", -INFINITY);
	row[3] = (struct wbs_item){ "str", { WBS_STRING, { .s = {
	    "a\0b\xe2\x9c\x93z", 7 } } } };
	row[4] = WBS_JSON_ITEM("img", "{\"_type\":\"image-file\"}");
	row[5] = (struct wbs_item){ "raw", { WBS_BYTES, { .s = { "\x00\xff\x01",
	    3 } } } };
	row[6] = (struct wbs_item){ "none", { WBS_NULL, { .i = 0 } } };
	row[7] = WBS_BOOL_ITEM("flag", 1);
	is_int(wbs_run_log(run, row, 8, WBS_STEP_AUTO, 0), 0,
	    "every value type");
	is_int(wbs_run_step(run), 1, "auto step advanced");
	/* commit=False builds one row; a higher step closes it. */
	is_int(wbs_run_log(run, row, 1, WBS_STEP_AUTO, WBS_LOG_NOCOMMIT), 0,
	    "commit=false");
	is_int(wbs_run_step(run), 1, "step kept while row open");
	is_int(wbs_run_log(run, row + 7, 1, WBS_STEP_AUTO, 0), 0,
	    "commit the row");
	is_int(wbs_run_log(run, row, 1, 10, 0), 0, "explicit step 10");
	is_int(wbs_run_step(run), 10, "explicit step stays open");
	is_int(wbs_run_log(run, row + 7, 1, 10, WBS_LOG_COMMIT), 0,
	    "explicit step committed");
	is_int(wbs_run_log(run, row, 1, 5, 0), WBS_ESTEP, "lower step refused");
	ok(strstr(wbs_run_errmsg(run), "step 5") != NULL, "ESTEP message");
	is_int(wbs_run_log(run, row, 1, -5, 0), WBS_EINVAL, "negative step");
	is_int(wbs_run_log(run, row, 1, WBS_STEP_AUTO, WBS_LOG_COMMIT |
	    WBS_LOG_NOCOMMIT), WBS_EINVAL, "both commit flags");
	is_int(wbs_run_log(run, row, 1, WBS_STEP_AUTO, 0x80), WBS_EINVAL,
	    "unknown flag");
	is_int(wbs_run_log(run, NULL, 2, WBS_STEP_AUTO, 0), WBS_EINVAL,
	    "NULL items");

	/* Keys. */
	row[0] = WBS_DOUBLE_ITEM("", 1);
	is_int(wbs_run_log(run, row, 1, WBS_STEP_AUTO, 0), WBS_EINVAL,
	    "empty key");
	row[0] = WBS_DOUBLE_ITEM("a" WBS_SEP WBS_SEP "b", 1);
	is_int(wbs_run_log(run, row, 1, WBS_STEP_AUTO, 0), WBS_EINVAL,
	    "empty key component");
	row[0] = WBS_DOUBLE_ITEM("a\nb", 1);
	is_int(wbs_run_log(run, row, 1, WBS_STEP_AUTO, 0), WBS_EINVAL,
	    "control character in key");
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	row[0] = WBS_DOUBLE_ITEM(key, 1);
	is_int(wbs_run_log(run, row, 1, WBS_STEP_AUTO, 0), WBS_EINVAL,
	    "over-long key");
	row[0] = WBS_DOUBLE_ITEM("bad\xc0\xafkey", 1);
	is_int(wbs_run_log(run, row, 1, WBS_STEP_AUTO, 0), WBS_EUTF8,
	    "overlong UTF-8 in key");
	row[0] = WBS_STRING_ITEM("s", "\xed\xa0\x80");
	is_int(wbs_run_log(run, row, 1, WBS_STEP_AUTO, 0), WBS_EUTF8,
	    "surrogate in string value");
	row[0] = (struct wbs_item){ "t", { 42, { .i = 0 } } };
	is_int(wbs_run_log(run, row, 1, WBS_STEP_AUTO, 0), WBS_EINVAL,
	    "unknown value type");

	/* Sizes: 1 MiB per value, 25 MiB per row. */
	big = malloc(WBS_VALUE_MAX + 1);
	memset(big, 'x', WBS_VALUE_MAX + 1);
	row[0] = (struct wbs_item){ "big", { WBS_STRING, { .s = { big,
	    WBS_VALUE_MAX + 1 } } } };
	is_int(wbs_run_log(run, row, 1, WBS_STEP_AUTO, 0), WBS_ETOOBIG,
	    "value over 1 MiB");
	{
		struct wbs_item many[26];
		char		names[26][4];

		for (int i = 0; i < 26; i++) {
			snprintf(names[i], sizeof(names[i]), "b%d", i);
			many[i] = (struct wbs_item){ names[i], { WBS_STRING,
			    { .s = { big, WBS_VALUE_MAX } } } };
		}
		is_int(wbs_run_log(run, many, 26, WBS_STEP_AUTO, 0),
		    WBS_ETOOBIG, "row over 25 MiB");
		/* 20 MiB row is fine (and grows the 4 MiB map). */
		is_int(wbs_run_log(run, many, 20, WBS_STEP_AUTO, 0), 0,
		    "a 20 MiB row grows the map");
	}
	free(big);
	is_int(wbs_run_finish(run, 0), 0, "finish");
	is_int(wbs_run_log(run, row + 7, 1, WBS_STEP_AUTO, 0), WBS_EFINISHED,
	    "log after finish");
	wbs_run_close(run);
	wbs_run_close(NULL);

	memset(&c, 0, sizeof(c));
	snprintf(key, sizeof(key), "%s/wandb/latest-run", root);
	ok(each_record(key, collect, &c) > 0, "read back");
	is_int(c.hist, 6, "6 history records (failed calls stored nothing)");
	ok(c.sawnan >= 1 && c.sawinf == 1 && c.sawninf == 1,
	    "NaN and +-Infinity round-trip");
	ok(c.sawstr == 1, "string with NUL and UTF-8 round-trips");
	ok(c.sawjson == 1 && c.sawbytes == 1 && c.sawnull == 1 &&
	    c.sawbool >= 1, "JSON, bytes, null and bool round-trip");
	ok(c.steps[1] == 1 && c.flags[1] == WBS_LOG_NOCOMMIT &&
	    c.steps[2] == 1 && c.flags[2] == WBS_LOG_COMMIT,
	    "commit=false row: two records of step 1, the last commits");
	ok(c.steps[3] == 10 && c.flags[3] == WBS_LOG_NOCOMMIT &&
	    c.steps[4] == 10 && c.flags[4] == WBS_LOG_COMMIT,
	    "explicit step: open, then committed");
	is_int(c.steps[5], 11, "next auto step after 10");
}

static void
test_other_records(void)
{
	struct wbs_run		*run;
	struct wbs_item		 it[2];
	struct wbs_metric	 m;
	struct collect		 c;
	const char		*keys[] = { "lr" };
	const char		*tags[] = { "x", "y" };
	char			 src[PATH_MAX], dst[PATH_MAX];
	FILE			*f;
	struct stat		 sb;

	ok(open_run(&run, "other", NULL) == 0, "open other");
	it[0] = WBS_DOUBLE_ITEM("lr", 0.001);
	it[1] = WBS_INT_ITEM("model" WBS_SEP "layers", 4);
	is_int(wbs_run_config(run, it, 2), 0, "config update");
	is_int(wbs_run_config_remove(run, keys, 1), 0, "config remove");
	is_int(wbs_run_config_remove(run, NULL, 1), WBS_EINVAL,
	    "config remove NULL");
	is_int(wbs_run_summary(run, it, 1), 0, "summary update");
	is_int(wbs_run_summary_remove(run, keys, 1), 0, "summary remove");
	memset(&m, 0, sizeof(m));
	m.name = "val/acc";
	m.step_metric = "epoch";
	m.summary = WBS_SUMMARY_MAX | WBS_SUMMARY_LAST;
	m.goal = WBS_GOAL_MAXIMIZE;
	is_int(wbs_run_define_metric(run, &m), 0, "define_metric");
	m.glob = "val/*";
	is_int(wbs_run_define_metric(run, &m), WBS_EINVAL,
	    "define_metric with name and glob");
	m.name = NULL;
	m.goal = 7;
	is_int(wbs_run_define_metric(run, &m), WBS_EINVAL, "bad goal");
	is_int(wbs_run_set(run, WBS_FIELD_NAME, "renamed"), 0, "set name");
	is_int(wbs_run_set(run, WBS_FIELD_NOTES, "n"), 0, "set notes");
	is_int(wbs_run_set(run, 99, "x"), WBS_EINVAL, "set unknown field");
	is_int(wbs_run_set_tags(run, tags, 2), 0, "set tags");
	tags[1] = "";
	is_int(wbs_run_set_tags(run, tags, 2), WBS_EINVAL, "empty tag");
	is_int(wbs_run_console(run, WBS_STDOUT, "hello\r\n", 7), 0, "console");
	is_int(wbs_run_console(run, 5, "x", 1), WBS_EINVAL, "bad stream");
	it[0] = WBS_DOUBLE_ITEM("cpu", 12.5);
	is_int(wbs_run_stats(run, it, 1), 0, "stats");
	snprintf(src, sizeof(src), "%s/model.txt", root);
	f = fopen(src, "w");
	fputs("weights\n", f);
	fclose(f);
	is_int(wbs_run_file(run, "ckpt/model.txt", src, WBS_POLICY_END,
	    WBS_FILE_OTHER), 0, "file copied");
	snprintf(dst, sizeof(dst), "%s/files/ckpt/model.txt", wbs_run_dir(run));
	ok(stat(dst, &sb) == 0 && sb.st_size == 8, "file is under files/");
	is_int(wbs_run_file(run, "../x", NULL, 0, 0), WBS_EINVAL, "file ..");
	is_int(wbs_run_file(run, "/etc/passwd", NULL, 0, 0), WBS_EINVAL,
	    "absolute file");
	is_int(wbs_run_file(run, "a//b", NULL, 0, 0), WBS_EINVAL,
	    "empty component");
	is_int(wbs_run_file(run, "x", "/nonexistent/file", 0, 0),
	    WBS_ENOTFOUND, "missing source file");
	is_int(wbs_run_file(run, "x", NULL, 9, 0), WBS_EINVAL, "bad policy");
	is_int(wbs_run_alert(run, "t", "text", "WARN", 1000), 0, "alert");
	is_int(wbs_run_alert(run, "t", "text", "LOUD", 0), WBS_EINVAL,
	    "bad alert level");
	is_int(wbs_run_preempting(run), 0, "preempting");
	is_int(wbs_run_finish(run, 3), 0, "finish with exit 3");
	is_int(wbs_run_console(run, WBS_STDOUT, "x", 1), WBS_EFINISHED,
	    "console after finish");
	wbs_run_close(run);

	memset(&c, 0, sizeof(c));
	snprintf(src, sizeof(src), "%s/wandb/latest-run", root);
	each_record(src, collect, &c);
	ok(c.types[WBS_REC_CONFIG] == 2 && c.types[WBS_REC_SUMMARY] == 2 &&
	    c.types[WBS_REC_METRIC] == 1 && c.types[WBS_REC_SET] == 2 &&
	    c.types[WBS_REC_TAGS] == 1 && c.types[WBS_REC_CONSOLE] == 1 &&
	    c.types[WBS_REC_STATS] == 1 && c.types[WBS_REC_FILE] == 1 &&
	    c.types[WBS_REC_ALERT] == 1 && c.types[WBS_REC_PREEMPTING] == 1 &&
	    c.types[WBS_REC_EXIT] == 1 && c.types[WBS_REC_RUN] == 1,
	    "every record type stored once per successful call");
	{
		struct wbs_journal		*j;
		const struct wbs_run_info	*ri;
		struct wbs_journal_stat		 st;

		ok(wbs_journal_open(&j, src, 0, err, sizeof(err)) == 0 &&
		    wbs_journal_info(j, &ri) == 0, "info");
		is_str(ri->name, "renamed", "name change is in the info");
		is_int(ri->ntags, 2, "tag change is in the info");
		ok(wbs_journal_stat(j, &st) == 0 && st.state ==
		    WBS_STATE_FAILED && st.exit_code == 3 && st.live == 0,
		    "failed with exit 3, writer gone");
		wbs_journal_close(j);
	}
}

static void
test_resume(void)
{
	struct wbs_run	*run;
	struct collect	 c;
	struct wbs_item	 it = WBS_DOUBLE_ITEM("x", 1);
	char		 path[PATH_MAX];
	FILE		*f;

	ok(open_run(&run, "res", NULL) == 0, "open res");
	for (int i = 0; i < 3; i++)
		(void)!wbs_run_log(run, &it, 1, WBS_STEP_AUTO, 0);
	wbs_run_close(run);
	is_int(open_run(&run, "res", "never"), WBS_EEXIST,
	    "resume never refuses an existing run");
	ok(strstr(err, "never") != NULL, "message: %s", err);
	ok(open_run(&run, "res", "allow") == 0, "resume allow appends");
	is_int(wbs_run_step(run), 3, "steps continue at 3");
	(void)!wbs_run_log(run, &it, 1, WBS_STEP_AUTO, 0);
	(void)!wbs_run_finish(run, 0);
	wbs_run_close(run);
	memset(&c, 0, sizeof(c));
	snprintf(path, sizeof(path), "%s/wandb/latest-run", root);
	each_record(path, collect, &c);
	ok(c.hist == 4 && c.steps[3] == 3 && c.types[WBS_REC_RUN] == 2,
	    "one journal, two sessions, steps 0..3");
	ok(open_run(&run, "fresh", "must") == 0,
	    "resume must without a local run records the intent");
	wbs_run_close(run);

	/* resume=auto comes back to the id in wandb-resume.json. */
	ok(open_run(&run, NULL, "auto") == 0, "auto: new run");
	snprintf(path, sizeof(path), "%s", wbs_run_id(run));
	wbs_run_close(run);
	{
		char p[PATH_MAX];

		snprintf(p, sizeof(p), "%s/wandb/wandb-resume.json", root);
		f = fopen(p, "r");
		ok(f != NULL, "wandb-resume.json written");
		if (f)
			fclose(f);
	}
	ok(open_run(&run, NULL, "auto") == 0 &&
	    strcmp(wbs_run_id(run), path) == 0, "auto resumes the same id");
	(void)!wbs_run_finish(run, 0);
	wbs_run_close(run);

	/* Fork and rewind. */
	{
		struct wbs_opts			*o;
		struct wbs_journal		*j;
		const struct wbs_run_info	*ri;

		(void)!wbs_opts_new(&o);
		(void)!wbs_opts_set(o, WBS_OPT_DIR, root);
		(void)!wbs_opts_set(o, WBS_OPT_ID, "child");
		ok(wbs_opts_set(o, WBS_OPT_FORK_FROM, "res?_step=2") == 0,
		    "fork_from set");
		(void)!wbs_opts_set(o, WBS_OPT_RESUME, "allow");
		is_int(wbs_run_open(&run, o, err, sizeof(err)), WBS_EINVAL,
		    "fork_from and resume are exclusive");
		(void)!wbs_opts_set(o, WBS_OPT_RESUME, NULL);
		ok(wbs_run_open(&run, o, err, sizeof(err)) == 0, "fork opens");
		ok(wbs_journal_open(&j, wbs_run_journal(run), 0, err,
		    sizeof(err)) == 0 && wbs_journal_info(j, &ri) == 0 &&
		    ri->fork_run && strcmp(ri->fork_run, "res") == 0 &&
		    ri->fork_step == 2, "fork recorded");
		wbs_journal_close(j);
		wbs_run_close(run);
		(void)!wbs_opts_set(o, WBS_OPT_FORK_FROM, NULL);
		(void)!wbs_opts_set(o, WBS_OPT_ID, NULL);
		(void)!wbs_opts_set(o, WBS_OPT_RESUME_FROM, "res?_step=1");
		ok(wbs_run_open(&run, o, err, sizeof(err)) == 0 &&
		    strcmp(wbs_run_id(run), "res") == 0,
		    "resume_from takes the run's id");
		ok(wbs_journal_open(&j, wbs_run_journal(run), 0, err,
		    sizeof(err)) == 0 && wbs_journal_info(j, &ri) == 0 &&
		    ri->rewind_run && ri->rewind_step == 1,
		    "rewind recorded");
		wbs_journal_close(j);
		wbs_run_close(run);
		wbs_opts_free(o);
	}
}

static void
test_cursors(void)
{
	struct wbs_journal	*j;
	const void		*v;
	size_t			 len;
	char			 path[PATH_MAX], dest[600];

	snprintf(path, sizeof(path), "%s/wandb/latest-run", root);
	ok(wbs_journal_open(&j, path, WBS_JOURNAL_RDONLY, err,
	    sizeof(err)) == 0, "open read-only");
	is_int(wbs_journal_get_cursor(j, "https://api.wandb.ai", &v, &len),
	    WBS_ENOTFOUND, "no cursor yet");
	is_int(wbs_journal_put_cursor(j, "x", "1", 1), WBS_ERDONLY,
	    "put needs RDWR");
	ok(strstr(wbs_journal_path(j), ".wbs") != NULL, "journal path");
	wbs_journal_close(j);
	wbs_journal_close(NULL);
	ok(wbs_journal_open(&j, path, WBS_JOURNAL_RDWR, err,
	    sizeof(err)) == 0, "open read-write");
	is_int(wbs_journal_put_cursor(j, "https://api.wandb.ai", "seq=7", 5),
	    0, "put cursor");
	ok(wbs_journal_get_cursor(j, "https://api.wandb.ai", &v, &len) == 0 &&
	    len == 5 && memcmp(v, "seq=7", 5) == 0, "get cursor");
	memset(dest, 'd', sizeof(dest) - 1);
	dest[sizeof(dest) - 1] = '\0';
	is_int(wbs_journal_put_cursor(j, dest, "1", 1), WBS_EINVAL,
	    "destination over 511 bytes");
	is_int(wbs_journal_put_cursor(j, "", "1", 1), WBS_EINVAL,
	    "empty destination");
	wbs_journal_close(j);
	ok(wbs_journal_open(&j, path, 0, err, sizeof(err)) == 0 &&
	    wbs_journal_get_cursor(j, "https://api.wandb.ai", &v, &len) == 0,
	    "cursor persists");
	wbs_journal_close(j);
	is_int(wbs_journal_open(&j, path, 0x40, err, sizeof(err)), WBS_EINVAL,
	    "unknown journal flag");
}

/* Find needle in the file and flip a byte of it; 0 if done. */
static int
corrupt(const char *file, const char *needle)
{
	FILE	*f = fopen(file, "r+b");
	char	*data;
	long	 len;
	char	*hit;

	if (f == NULL)
		return -1;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = malloc((size_t)len);
	if (fread(data, 1, (size_t)len, f) != (size_t)len) {
		fclose(f);
		free(data);
		return -1;
	}
	/* Copy-on-write leaves old copies of pages: flip every one. */
	hit = memmem(data, (size_t)len, needle, strlen(needle));
	if (hit == NULL) {
		fclose(f);
		free(data);
		return -1;
	}
	while (hit != NULL) {
		fseek(f, hit - data, SEEK_SET);
		fputc(hit[0] ^ 0x20, f);
		hit = memmem(hit + 1, (size_t)(data + len - hit - 1), needle,
		    strlen(needle));
	}
	fclose(f);
	free(data);
	return 0;
}

static void
test_damage(void)
{
	struct wbs_run		*run;
	struct wbs_journal	*j;
	struct wbs_item		 it = WBS_STRING_ITEM("note", "CANARY-VALUE");
	char			 jdir[PATH_MAX], file[PATH_MAX], cmd[PATH_MAX * 2];
	uint64_t		 n;
	MDB_env			*env;
	MDB_txn			*txn;
	MDB_dbi			 dbi;
	MDB_val			 k = { 6, "format" }, v = { 1, "9" };

	ok(open_run(&run, "dmg", NULL) == 0, "open dmg");
	(void)!wbs_run_log(run, &it, 1, WBS_STEP_AUTO, 0);
	(void)!wbs_run_finish(run, 0);
	snprintf(jdir, sizeof(jdir), "%s", wbs_run_journal(run));
	wbs_run_close(run);
	ok(wbs_journal_open(&j, jdir, 0, err, sizeof(err)) == 0 &&
	    wbs_journal_verify(j, &n) == 0 && n == 3, "verify: 3 records");
	wbs_journal_close(j);

	/* A copy with one byte of a record flipped. */
	snprintf(cmd, sizeof(cmd), "cp -r %s %s/flip.wbs", jdir, root);
	ok(system(cmd) == 0, "copy journal");
	snprintf(file, sizeof(file), "%s/flip.wbs/data.mdb", root);
	ok(corrupt(file, "CANARY") == 0, "flip a byte of a record");
	snprintf(file, sizeof(file), "%s/flip.wbs", root);
	ok(wbs_journal_open(&j, file, 0, err, sizeof(err)) == 0,
	    "damaged journal still opens");
	is_int(wbs_journal_verify(j, &n), WBS_ECORRUPT, "verify finds it");
	ok(strstr(wbs_journal_errmsg(j), "record 2") != NULL &&
	    strstr(wbs_journal_errmsg(j), "checksum") != NULL,
	    "message names the record: %s", wbs_journal_errmsg(j));
	wbs_journal_close(j);

	/* A truncated copy. */
	snprintf(cmd, sizeof(cmd), "cp -r %s %s/trunc.wbs && truncate -s 12288 "
	    "%s/trunc.wbs/data.mdb", jdir, root, root);
	ok(system(cmd) == 0, "truncate a copy");
	snprintf(file, sizeof(file), "%s/trunc.wbs", root);
	is_int(wbs_journal_open(&j, file, 0, err, sizeof(err)), WBS_ECORRUPT,
	    "truncated journal refused");
	ok(strstr(err, "truncated") != NULL, "message: %s", err);

	/* Garbage instead of a journal. */
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/junk.wbs && head -c 65536 "
	    "/dev/urandom > %s/junk.wbs/data.mdb", root, root);
	ok(system(cmd) == 0, "make a junk journal");
	snprintf(file, sizeof(file), "%s/junk.wbs", root);
	is_int(wbs_journal_open(&j, file, 0, err, sizeof(err)), WBS_ECORRUPT,
	    "junk refused: %s", err);

	/* A journal from a newer format. */
	snprintf(cmd, sizeof(cmd), "cp -r %s %s/new.wbs", jdir, root);
	ok(system(cmd) == 0, "copy journal");
	snprintf(file, sizeof(file), "%s/new.wbs", root);
	mdb_env_create(&env);
	mdb_env_set_maxdbs(env, 8);
	ok(mdb_env_open(env, file, 0, 0644) == 0 &&
	    mdb_txn_begin(env, NULL, 0, &txn) == 0 &&
	    mdb_dbi_open(txn, "meta", 0, &dbi) == 0 &&
	    mdb_put(txn, dbi, &k, &v, 0) == 0 && mdb_txn_commit(txn) == 0,
	    "set format 9");
	mdb_env_close(env);
	is_int(wbs_journal_open(&j, file, 0, err, sizeof(err)), WBS_EVERSION,
	    "newer format refused");
	ok(strstr(err, "format version 9") != NULL, "message: %s", err);
	is_int(wbs_journal_open(&j, "/nonexistent", 0, err, sizeof(err)),
	    WBS_ENOTFOUND, "missing path");
	ok(wbs_journal_open(&j, jdir, 0, err, sizeof(err)) == 0 &&
	    wbs_journal_verify(j, &n) == 0, "original untouched");
	wbs_journal_close(j);
}

static int	log_calls;

static void
log_cb(int prio, const char *msg, void *arg)
{
	(void)prio;
	(void)arg;
	if (strstr(msg, "grown") != NULL)
		log_calls++;
}

static void
test_growth_and_log(void)
{
	struct wbs_run	*run;
	struct wbs_item	 it;
	char		*blob = malloc(512 << 10);
	int		 okay = 1;

	/* Incompressible, so that lz4 does not shrink it. */
	srandom(7);
	for (size_t i = 0; i < (512 << 10); i++)
		blob[i] = (char)random();
	wbs_set_log(log_cb, NULL);
	ok(open_run(&run, "grow", NULL) == 0, "open grow");
	it = (struct wbs_item){ "blob", { WBS_BYTES, { .s = { blob,
	    512 << 10 } } } };
	/* 48 MiB through a 4 MiB initial map. */
	for (int i = 0; i < 96 && okay; i++) {
		blob[i] = (char)('a' + i % 26);
		okay = wbs_run_log(run, &it, 1, WBS_STEP_AUTO, 0) == 0;
	}
	ok(okay, "48 MiB logged: %s", okay ? "" : wbs_run_errmsg(run));
	ok(log_calls > 0, "map growth reported through the log callback");
	wbs_set_log(NULL, NULL);
	wbs_run_close(run);
	free(blob);
}

/* Records of the run "rows", counted and checked by collect(). */
static int
read_rows(struct collect *c)
{
	char path[PATH_MAX];

	memset(c, 0, sizeof(*c));
	snprintf(path, sizeof(path), "%s/wandb/latest-run", root);
	return each_record(path, collect, c);
}

/* wbs_run_log_rows(): wbs_run_log()'s rows, in one transaction. */
static void
test_log_rows(void)
{
	struct wbs_run	*run;
	struct collect	 c;
	struct wbs_item	 it[2] = { WBS_DOUBLE_ITEM("loss", 0.5),
	    WBS_INT_ITEM("epoch", 1) };
	struct wbs_item	 bad = WBS_DOUBLE_ITEM("a\nb", 1);
	struct wbs_row	 rows[6] = {
		{ it, 2, WBS_STEP_AUTO, 0 },
		{ it, 1, WBS_STEP_AUTO, WBS_LOG_NOCOMMIT },
		{ it + 1, 1, WBS_STEP_AUTO, 0 },
		{ it, 2, 10, 0 },
		{ it, 1, 10, WBS_LOG_COMMIT },
		{ it, 2, WBS_STEP_AUTO, 0 },
	};
	char		*blob;
	struct wbs_row	*big;
	int		 before;

	ok(open_run(&run, "rows", NULL) == 0, "open rows");
	is_int(wbs_run_log_rows(run, rows, 6), 0, "six rows in one call");
	is_int(wbs_run_step(run), 12, "the step follows the last row");
	ok(read_rows(&c) > 0 && c.hist == 6, "six history records");
	ok(c.steps[0] == 0 && c.flags[0] == WBS_LOG_COMMIT &&
	    c.steps[1] == 1 && c.flags[1] == WBS_LOG_NOCOMMIT &&
	    c.steps[2] == 1 && c.flags[2] == WBS_LOG_COMMIT &&
	    c.steps[3] == 10 && c.flags[3] == WBS_LOG_NOCOMMIT &&
	    c.steps[4] == 10 && c.flags[4] == WBS_LOG_COMMIT &&
	    c.steps[5] == 11, "steps and commits as with single calls");
	is_int(wbs_run_log_rows(run, rows, 0), 0, "no rows: nothing to do");
	is_int(wbs_run_log_rows(run, NULL, 3), WBS_EINVAL, "NULL rows");

	/* A bad row anywhere: nothing of the call is stored. */
	before = c.hist;
	rows[0] = (struct wbs_row){ it, 2, WBS_STEP_AUTO, 0 };
	rows[1] = (struct wbs_row){ it, 2, 20, 0 };
	rows[2] = (struct wbs_row){ it, 2, 15, 0 };
	is_int(wbs_run_log_rows(run, rows, 3), WBS_ESTEP,
	    "a step going back inside the batch");
	ok(strstr(wbs_run_errmsg(run), "row 2 of 3") != NULL &&
	    strstr(wbs_run_errmsg(run), "step 15") != NULL,
	    "the message names the row: %s", wbs_run_errmsg(run));
	rows[2] = (struct wbs_row){ &bad, 1, WBS_STEP_AUTO, 0 };
	is_int(wbs_run_log_rows(run, rows, 3), WBS_EINVAL, "a bad key");
	rows[2] = (struct wbs_row){ it, 2, WBS_STEP_AUTO, 0x40 };
	is_int(wbs_run_log_rows(run, rows, 3), WBS_EINVAL, "unknown flag");
	ok(read_rows(&c) > 0 && c.hist == before, "failed calls stored "
	    "nothing (%d rows)", c.hist);
	is_int(wbs_run_step(run), 12, "and left the step alone");

	/* 48 MiB in one transaction through a 4 MiB map. */
	blob = malloc(512 << 10);
	big = calloc(96, sizeof(*big));
	srandom(11);
	for (size_t i = 0; i < (512 << 10); i++)
		blob[i] = (char)random();
	it[0] = (struct wbs_item){ "blob", { WBS_BYTES, { .s = { blob,
	    512 << 10 } } } };
	for (int i = 0; i < 96; i++)
		big[i] = (struct wbs_row){ it, 1, WBS_STEP_AUTO, 0 };
	is_int(wbs_run_log_rows(run, big, 96), 0, "96 rows of 512 KiB in one "
	    "call");
	is_int(wbs_run_step(run), 108, "all 96 counted");
	ok(read_rows(&c) > 0 && c.hist == before + 96, "and stored");
	free(big);
	free(blob);
	is_int(wbs_run_log(run, it + 1, 1, WBS_STEP_AUTO, 0), 0,
	    "a single row after the batches");
	is_int(wbs_run_finish(run, 0), 0, "finish");
	rows[0] = (struct wbs_row){ it + 1, 1, WBS_STEP_AUTO, 0 };
	is_int(wbs_run_log_rows(run, rows, 1), WBS_EFINISHED,
	    "rows after finish");
	wbs_run_close(run);
}

/* Sealed copies from the writer and from outside. */
static void
test_seal(void)
{
	struct wbs_run	*run;
	struct wbs_item	 it = WBS_DOUBLE_ITEM("loss", 1);
	char		 dir[PATH_MAX], out[PATH_MAX], msg[256];
	uint64_t	 n = 0;
	struct wbs_journal *j;
	int		 good;

	snprintf(dir, sizeof(dir), "%s/sealed", root);
	ok(open_run(&run, "sealme", NULL) == 0, "open sealme");
	is_int(wbs_run_log(run, &it, 1, WBS_STEP_AUTO, 0), 0, "a row");
	is_int(wbs_run_seal(run, ""), WBS_EINVAL, "seal: empty directory");
	is_int(wbs_run_seal(run, dir), 0, "seal while open: %s",
	    wbs_run_errmsg(run));
	is_int(wbs_run_log(run, &it, 1, WBS_STEP_AUTO, 0), 0, "another row");
	is_int(wbs_seal(wbs_run_journal(run), dir, out, sizeof(out), msg,
	    sizeof(msg)), 0, "wbs_seal from outside replaces it: %s", out);
	good = wbs_journal_open(&j, out, 0, err, sizeof(err)) == 0 &&
	    wbs_journal_verify(j, &n) == 0;
	ok(good && n == 3, "the copy verifies: %ju records (start, 2 rows), "
	    "the latest included", (uintmax_t)n);
	wbs_journal_close(j);
	is_int(wbs_seal("/nonexistent/run", dir, out, sizeof(out), msg,
	    sizeof(msg)), WBS_ENOTFOUND, "no journal there");
	ok(strstr(msg, "/nonexistent/run: no journal") != NULL, "message: %s",
	    msg);
	wbs_run_close(run);
}

/* An exact run directory, a given start time, replayed record times. */
static void
test_import_options(void)
{
	struct wbs_opts			*o;
	struct wbs_run			*run;
	struct wbs_journal		*j;
	struct wbs_iter			*it;
	const struct wbs_record		*r;
	const struct wbs_run_info	*ri;
	struct wbs_journal_stat		 st;
	struct wbs_item			 x = WBS_DOUBLE_ITEM("x", 1);
	char				 dir[PATH_MAX], link[PATH_MAX];
	int64_t				 t0 = 1600000000000000LL, times[3];
	int64_t				 exit_us = 0, runtime_ms = -1;
	int				 n = 0;
	struct stat			 sb;

	snprintf(dir, sizeof(dir), "%s/imported/offline-run-x-imp1", root);
	snprintf(link, sizeof(link), "%s/wandb/latest-run", root);
	lstat(link, &sb);
	(void)!wbs_opts_new(&o);
	is_int(wbs_opts_set(o, WBS_OPT_START_TIME, "soon"), WBS_EINVAL,
	    "bad start time");
	is_int(wbs_opts_set(o, WBS_OPT_RUN_DIR, ""), WBS_EINVAL,
	    "empty run directory");
	(void)!wbs_opts_set(o, WBS_OPT_RUN_DIR, dir);
	(void)!wbs_opts_set(o, WBS_OPT_ID, "imp1");
	(void)!wbs_opts_set(o, WBS_OPT_START_TIME, "1600000000000000");
	ok(wbs_run_open(&run, o, err, sizeof(err)) == 0, "open in RUN_DIR");
	ok(strcmp(wbs_run_dir(run), dir) == 0, "the run directory is RUN_DIR");
	wbs_run_set_time(run, t0 + 1000000);
	(void)!wbs_run_log(run, &x, 1, WBS_STEP_AUTO, 0);
	wbs_run_set_time(run, t0 + 2500000);
	(void)!wbs_run_log(run, &x, 1, WBS_STEP_AUTO, 0);
	wbs_run_set_time(run, t0 + 4000000);
	(void)!wbs_run_finish(run, 0);
	wbs_run_close(run);
	ok(wbs_run_open(&run, o, err, sizeof(err)) == 0 &&
	    wbs_run_step(run) == 2, "reopening RUN_DIR appends");
	wbs_run_set_time(run, t0 + 5000000);
	wbs_run_set_time(run, 0);
	(void)!wbs_run_log(run, &x, 1, WBS_STEP_AUTO, 0);
	wbs_run_close(run);
	wbs_opts_free(o);
	ok(wbs_journal_open(&j, dir, 0, err, sizeof(err)) == 0 &&
	    wbs_journal_info(j, &ri) == 0 && wbs_journal_stat(j, &st) == 0,
	    "journal in RUN_DIR");
	is_int(st.created_us, t0, "creation time from START_TIME");
	(void)!wbs_iter_open(&it, j, 1);
	while (wbs_iter_next(it, &r) == 1)
		if (r->type == WBS_REC_HISTORY && n < 3)
			times[n++] = r->time_us;
		else if (r->type == WBS_REC_EXIT) {
			exit_us = r->time_us;
			runtime_ms = r->runtime_ms;
		}
	wbs_iter_free(it);
	wbs_journal_close(j);
	ok(n == 3 && times[0] == t0 + 1000000 && times[1] == t0 + 2500000,
	    "records carry the times given");
	ok(exit_us == t0 + 4000000 && runtime_ms == 4000,
	    "finish takes its time and run time from the time given");
	ok(times[2] > t0 + 100000000, "wbs_run_set_time(0) returns to the clock");
	snprintf(link, sizeof(link), "%s/files", dir);
	ok(stat(link, &sb) == 0, "files/ made in RUN_DIR");
}

/* Count IN_MODIFY events waiting on fd within ms milliseconds. */
static int
events(int fd, int ms)
{
	char		buf[4096];
	struct pollfd	p = { fd, POLLIN, 0 };
	int		n = 0;

	while (poll(&p, 1, ms) == 1) {
		ssize_t len = read(fd, buf, sizeof(buf));

		for (char *q = buf; len > 0 && q < buf + len;) {
			struct inotify_event *e = (struct inotify_event *)q;

			n++;
			q += sizeof(*e) + e->len;
		}
		ms = 0;
	}
	return n;
}

/* The doorbell wakes inotify watchers; it is rate-limited. */
static void
test_doorbell(void)
{
	struct wbs_run	*run;
	struct wbs_item	 x = WBS_DOUBLE_ITEM("x", 1);
	char		 bell[PATH_MAX];
	int		 fd, n1, n2, n3;

	ok(open_run(&run, "bell", NULL) == 0, "open bell");
	snprintf(bell, sizeof(bell), "%s/doorbell", wbs_run_journal(run));
	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	ok(fd >= 0 && inotify_add_watch(fd, bell, IN_MODIFY) >= 0,
	    "watch the doorbell");
	usleep(60000);
	(void)!wbs_run_log(run, &x, 1, WBS_STEP_AUTO, 0);
	n1 = events(fd, 200);
	ok(n1 >= 1, "a log call rings the doorbell (%d events)", n1);
	for (int i = 0; i < 2000; i++)
		(void)!wbs_run_log(run, &x, 1, WBS_STEP_AUTO, 0);
	n2 = events(fd, 0);
	ok(n2 <= 2, "2000 quick calls ring at most twice (%d)", n2);
	/* What the rate limit held back rings within the sync interval. */
	n3 = events(fd, 1500);
	ok(n3 >= 1, "held-back appends ring within the sync interval (%d)",
	    n3);
	close(fd);
	wbs_run_close(run);
}

int
main(void)
{
	root = test_tmpdir();
	test_strerror();
	test_checks();
	test_opts();
	test_env_and_layout();
	test_log();
	test_other_records();
	test_resume();
	test_cursors();
	test_damage();
	test_growth_and_log();
	test_log_rows();
	test_seal();
	test_import_options();
	test_doorbell();
	test_rmtree(root);
	plan_lazy_done();
	return tap_exit();
}
