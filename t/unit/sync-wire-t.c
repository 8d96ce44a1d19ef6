/*
 * sync-wire-t.c - journal records to W&B's wire form: history rows,
 * summary, config, console, stats, and the property exactly-once rests
 * on: replaying up to any committed point and sending the rest gives
 * the same lines at the same offsets as sending everything in one go.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include <jansson.h>

#include "tap.h"
#include "testutil.h"
#include "sync/dtoa.h"
#include "sync/esc.h"
#include "sync/wire.h"

static char		*tmp;
static struct wbs_run	*run;
static int		 nrun;

/* Lines of one file by offset (the last version of each). */
struct file_lines {
	char	**l;
	size_t	  n;
};

struct capture {
	struct file_lines	 f[3];	/* history, events, output.log */
	char			*summary;
};

static const char *const fnames[3] = { "wandb-history.jsonl",
    "wandb-events.jsonl", "output.log" };

static void
cap_release(struct capture *c)
{
	for (int f = 0; f < 3; f++) {
		for (size_t i = 0; i < c->f[f].n; i++)
			free(c->f[f].l[i]);
		free(c->f[f].l);
	}
	free(c->summary);
	memset(c, 0, sizeof(*c));
}

/* Take a request body ({"files": ...}) apart into c. */
static int
cap_body(struct capture *c, const char *body, size_t len)
{
	json_error_t	 e;
	json_t		*o = json_loadb(body, len, 0, &e), *files, *s;

	if (o == NULL) {
		diag("body is not JSON: %s: %.200s", e.text, body);
		return -1;
	}
	files = json_object_get(o, "files");
	for (int f = 0; f < 3; f++) {
		json_t	*ff = json_object_get(files, fnames[f]), *a;
		size_t	 off;

		if (ff == NULL)
			continue;
		off = (size_t)json_integer_value(json_object_get(ff, "offset"));
		a = json_object_get(ff, "content");
		for (size_t i = 0; i < json_array_size(a); i++) {
			struct file_lines *fl = &c->f[f];

			while (off + i >= fl->n) {
				fl->l = realloc(fl->l, (fl->n + 1) *
				    sizeof(*fl->l));
				fl->l[fl->n++] = NULL;
			}
			free(fl->l[off + i]);
			fl->l[off + i] = strdup(json_string_value(
			    json_array_get(a, i)));
		}
	}
	s = json_object_get(json_object_get(files, "wandb-summary.json"),
	    "content");
	if (json_array_size(s) == 1) {
		free(c->summary);
		c->summary = strdup(json_string_value(json_array_get(s, 0)));
	}
	json_decref(o);
	return 0;
}

/* Seal what is staged into c. */
static void
seal(struct wire *w, struct capture *c, int summary)
{
	struct buf		b;
	struct wire_batch	wb;

	buf_init(&b);
	buf_addc(&b, '{');
	wire_body(w, &b, summary, NULL, &wb);
	buf_addc(&b, '}');
	if (cap_body(c, b.p, b.len) != 0)
		ok(0, "body decodes");
	buf_release(&b);
}

static void
open_run(const char *id, const char *extra_opt, const char *extra_val)
{
	struct wbs_opts	*o;
	char		 err[256];

	if (wbs_opts_new(&o) != 0 || wbs_opts_set(o, WBS_OPT_DIR, tmp) != 0 ||
	    wbs_opts_set(o, WBS_OPT_ID, id) != 0 ||
	    wbs_opts_set(o, WBS_OPT_PROJECT, "p") != 0 ||
	    wbs_opts_set(o, WBS_OPT_SYNC_INTERVAL, "0") != 0)
		exit(99);
	if (extra_opt != NULL && wbs_opts_set(o, (int)strtol(extra_opt, NULL,
	    10), extra_val) != 0)
		exit(99);
	if (wbs_run_open(&run, o, err, sizeof(err)) != 0) {
		diag("open: %s", err);
		exit(99);
	}
	wbs_opts_free(o);
	nrun++;
}

#define CHECK(x) do { if ((x) != 0) { diag("%s: %s", #x, \
	wbs_run_errmsg(run)); exit(99); } } while (0)

/* Feed every record of the run's journal to w; seal after each when asked. */
static void
feed(struct wire *w, const char *journal, struct capture *c, int each,
    uint64_t replay_below)
{
	struct wbs_journal	*j;
	struct wbs_iter		*it;
	const struct wbs_record	*r;
	char			 err[256];

	if (wbs_journal_open(&j, journal, WBS_JOURNAL_RDONLY, err,
	    sizeof(err)) != 0 || wbs_iter_open(&it, j, 1) != 0)
		exit(99);
	w->emit = replay_below <= 1;
	while (wbs_iter_next(it, &r) == 1) {
		if (!w->emit && r->seq >= replay_below) {
			wire_end(w, 1);
			w->emit = 1;
		}
		(void)wire_record(w, r);
		if (each && w->emit)
			seal(w, c, 0);
	}
	if (!w->emit) {
		wire_end(w, 1);
		w->emit = 1;
	}
	wire_end(w, 1);
	seal(w, c, 1);
	wbs_iter_free(it);
	wbs_journal_close(j);
}

/* The line at offset i of file f, or "". */
static const char *
line(struct capture *c, int f, size_t i)
{
	return i < c->f[f].n && c->f[f].l[i] ? c->f[f].l[i] : "";
}

/* s[i], or NUL past its end. */
static char
at(const char *s, size_t i)
{
	return i < strlen(s) ? s[i] : '\0';
}

/* The text of console line i after its "[ERROR ]timestamp " prefix. */
static const char *
text(struct capture *c, size_t i)
{
	const char	*l = line(c, 2, i);
	size_t		 skip = strncmp(l, "ERROR ", 6) == 0 ? 33 : 27;

	return strlen(l) >= skip ? l + skip : "(short line)";
}

static void
rows(void)
{
	struct wire	w;
	struct capture	c;
	struct wbs_item	it[4];

	open_run("rows1", NULL, NULL);
	it[0] = WBS_DOUBLE_ITEM("loss", 0.5);
	it[1] = WBS_INT_ITEM("n", 3);
	CHECK(wbs_run_log(run, it, 2, WBS_STEP_AUTO, 0));
	it[0] = WBS_DOUBLE_ITEM("a", NAN);
	it[1] = WBS_DOUBLE_ITEM("b", INFINITY);
	it[2] = WBS_DOUBLE_ITEM("c", -INFINITY);
	it[3] = WBS_STRING_ITEM("s", "h\xc3\xa9llo \"q\" \\ \n\xf0\x9f\x98\x80");
	CHECK(wbs_run_log(run, it, 4, WBS_STEP_AUTO, 0));
	it[0] = WBS_INT_ITEM("x", 1);
	CHECK(wbs_run_log(run, it, 1, 5, WBS_LOG_NOCOMMIT));
	it[0] = WBS_INT_ITEM("x", 2);
	it[1] = WBS_INT_ITEM("y", 3);
	CHECK(wbs_run_log(run, it, 2, 5, WBS_LOG_COMMIT));
	it[0] = WBS_DOUBLE_ITEM("val" WBS_SEP "loss", 1.25);
	it[1] = WBS_DOUBLE_ITEM("val" WBS_SEP "acc", 0.75);
	it[2] = WBS_JSON_ITEM("img", "{\"_type\":\"image-file\",\"path\":\"m.png\"}");
	it[3] = WBS_DOUBLE_ITEM("_timestamp", 1700000000.5);
	CHECK(wbs_run_log(run, it, 4, 6, WBS_LOG_NOCOMMIT));
	it[0] = WBS_INT_ITEM("z", 9);
	CHECK(wbs_run_log(run, it, 1, 7, WBS_LOG_NOCOMMIT));
	CHECK(wbs_run_finish(run, 0));
	wire_init(&w);
	memset(&c, 0, sizeof(c));
	feed(&w, wbs_run_journal(run), &c, 0, 1);
	is_int(c.f[0].n, 5, "five rows");
	ok(strncmp(line(&c, 0, 0), "{\"loss\":0.5,\"n\":3,\"_step\":0,"
	    "\"_runtime\":", 38) == 0, "flat row: items, then _step, _runtime");
	diag("%s", line(&c, 0, 0));
	ok(strstr(line(&c, 0, 0), "\"_timestamp\":") != NULL, "_timestamp");
	ok(strstr(line(&c, 0, 1), "\"a\":NaN,\"b\":Infinity,\"c\":-Infinity")
	    != NULL, "NaN and infinities as bare tokens");
	ok(strstr(line(&c, 0, 1), "\"s\":\"h\xc3\xa9llo \\\"q\\\" \\\\ \\n"
	    "\xf0\x9f\x98\x80\"") != NULL, "string escaped, UTF-8 kept");
	ok(strncmp(line(&c, 0, 2), "{\"x\":2,\"y\":3,\"_step\":5,", 23) == 0,
	    "commit=False halves merged, the later value wins");
	ok(strstr(line(&c, 0, 3), "\"val\":{\"acc\":0.75,\"loss\":1.25}") !=
	    NULL, "nested keys nested");
	ok(strstr(line(&c, 0, 3), "\"img\":{\"_type\":\"image-file\"") != NULL,
	    "JSON value embedded");
	ok(strstr(line(&c, 0, 3), "\"_timestamp\":1700000000.5") != NULL &&
	    strstr(strstr(line(&c, 0, 3), "1700000000.5"), "_timestamp") ==
	    NULL, "the row's own _timestamp kept, no second one");
	ok(strstr(line(&c, 0, 3), "\"_step\":6") != NULL,
	    "a step change closes the open row");
	ok(strstr(line(&c, 0, 4), "\"z\":9,\"_step\":7") != NULL,
	    "the exit closes the last open row");
	ok(c.summary != NULL && strstr(c.summary, "\"z\":9") != NULL &&
	    strstr(c.summary, "\"_step\":7") != NULL &&
	    strstr(c.summary, "\"val\":{\"acc\":0.75,\"loss\":1.25}") != NULL &&
	    strstr(c.summary, "\"_wandb\":{\"runtime\":") != NULL,
	    "summary: last value per key, _step, _wandb.runtime");
	diag("%s", c.summary ? c.summary : "(none)");
	ok(wire_done_seq(&w) == w.next_seq, "nothing left open");
	cap_release(&c);
	wire_release(&w);
	wbs_run_close(run);
}

static void
open_row(void)
{
	struct wire		 w;
	struct capture		 c;
	struct wbs_item		 it = WBS_INT_ITEM("k", 1);
	struct wbs_journal	*j;
	struct wbs_iter		*i;
	const struct wbs_record	*r;
	char			 err[128];
	uint64_t		 first = 0;

	open_run("open1", NULL, NULL);
	CHECK(wbs_run_log(run, &it, 1, WBS_STEP_AUTO, 0));
	CHECK(wbs_run_log(run, &it, 1, 3, WBS_LOG_NOCOMMIT));
	wire_init(&w);
	w.emit = 1;
	memset(&c, 0, sizeof(c));
	if (wbs_journal_open(&j, wbs_run_journal(run), 0, err,
	    sizeof(err)) != 0 || wbs_iter_open(&i, j, 1) != 0)
		exit(99);
	while (wbs_iter_next(i, &r) == 1)
		if (wire_record(&w, r) == WIRE_NONE && r->type ==
		    WBS_REC_HISTORY)
			first = r->seq;
	wire_end(&w, 0);
	seal(&w, &c, 0);
	is_int(c.f[0].n, 1, "an open row of a live writer is held back");
	is_int(wire_done_seq(&w), first, "the cursor stays at its record");
	wire_end(&w, 1);
	seal(&w, &c, 0);
	is_int(c.f[0].n, 2, "and sent once nothing can follow");
	wbs_iter_free(i);
	wbs_journal_close(j);
	cap_release(&c);
	wire_release(&w);
	wbs_run_close(run);
}

static void
console(void)
{
	struct wire	w;
	struct capture	c;

	open_run("cons1", NULL, NULL);
	CHECK(wbs_run_console(run, WBS_STDOUT, "one\ntw", 6));
	CHECK(wbs_run_console(run, WBS_STDOUT, "o\n10%\r50%", 9));
	CHECK(wbs_run_console(run, WBS_STDOUT, "\r100%\r\nnext\n", 12));
	CHECK(wbs_run_console(run, WBS_STDERR, "err\n", 4));
	CHECK(wbs_run_console(run, WBS_STDOUT, "half", 4));
	CHECK(wbs_run_console(run, WBS_STDERR, "other\n", 6));
	CHECK(wbs_run_console(run, WBS_STDOUT, "\xff bad\n", 6));
	CHECK(wbs_run_finish(run, 0));
	wire_init(&w);
	memset(&c, 0, sizeof(c));
	feed(&w, wbs_run_journal(run), &c, 1, 1);
	is_int(c.f[2].n, 8, "eight console lines");
	is_str(text(&c, 0), "one", "first line");
	ok(strlen(line(&c, 2, 0)) == 30 && at(line(&c, 2, 0), 4) == '-' &&
	    at(line(&c, 2, 0), 10) == 'T' && at(line(&c, 2, 0), 19) == '.' &&
	    at(line(&c, 2, 0), 26) == ' ', "YYYY-MM-DDTHH:MM:SS.ffffff, a space");
	is_str(text(&c, 1), "two", "a line split over two records");
	is_str(text(&c, 2), "100%", "\\r rewrites the line; \\r\\n ends it");
	is_str(text(&c, 3), "next", "next line");
	ok(strncmp(line(&c, 2, 4), "ERROR ", 6) == 0, "stderr: ERROR prefix");
	is_str(text(&c, 4), "err", "stderr text");
	is_str(text(&c, 5), "half",
	    "text from the other stream ends an unfinished line");
	is_str(text(&c, 6), "other", "then its own line");
	is_str(text(&c, 7), "\xef\xbf\xbd bad", "invalid UTF-8 replaced");
	cap_release(&c);
	wire_release(&w);
	wbs_run_close(run);
}

static void
summary_config(void)
{
	struct wire		w;
	struct capture		c;
	struct wbs_item		it[3];
	struct wbs_metric	m;
	struct buf		b;
	const char		*rm = "gone";
	double			vals[] = { 3, 1, 2, NAN };

	open_run("summ1", NULL, NULL);
	it[0] = WBS_DOUBLE_ITEM("lr", 0.01);
	it[1] = WBS_INT_ITEM("model" WBS_SEP "layers", 4);
	it[2] = WBS_STRING_ITEM("gone", "x");
	CHECK(wbs_run_config(run, it, 3));
	CHECK(wbs_run_config_remove(run, &rm, 1));
	memset(&m, 0, sizeof(m));
	m.name = "acc";
	m.summary = WBS_SUMMARY_MIN | WBS_SUMMARY_MAX | WBS_SUMMARY_MEAN |
	    WBS_SUMMARY_FIRST | WBS_SUMMARY_LAST | WBS_SUMMARY_BEST;
	m.goal = WBS_GOAL_MAXIMIZE;
	CHECK(wbs_run_define_metric(run, &m));
	memset(&m, 0, sizeof(m));
	m.glob = "val/*";
	m.step_metric = "epoch";
	m.summary = WBS_SUMMARY_MIN;
	CHECK(wbs_run_define_metric(run, &m));
	memset(&m, 0, sizeof(m));
	m.name = "secret";
	m.summary = WBS_SUMMARY_NONE;
	CHECK(wbs_run_define_metric(run, &m));
	for (int i = 0; i < 4; i++) {
		it[0] = WBS_DOUBLE_ITEM("acc", vals[i]);
		it[1] = WBS_DOUBLE_ITEM("val/loss", 10 - i);
		it[2] = WBS_INT_ITEM("secret", i);
		CHECK(wbs_run_log(run, it, 3, WBS_STEP_AUTO, 0));
	}
	it[0] = WBS_STRING_ITEM("note", "explicit");
	CHECK(wbs_run_summary(run, it, 1));
	it[0] = WBS_INT_ITEM("tmp", 1);
	CHECK(wbs_run_summary(run, it, 1));
	rm = "tmp";
	CHECK(wbs_run_summary_remove(run, &rm, 1));
	CHECK(wbs_run_finish(run, 0));
	wire_init(&w);
	memset(&c, 0, sizeof(c));
	feed(&w, wbs_run_journal(run), &c, 0, 1);
	ok(c.summary && strstr(c.summary, "\"acc\":{\"first\":3.0,\"last\":"
	    "NaN,\"min\":1.0,\"max\":3.0,\"mean\":2.0,\"best\":3.0}") != NULL,
	    "metric summary modes, NaN skipped by min/max/mean");
	ok(c.summary && strstr(c.summary, "\"val/loss\":{\"min\":7.0}") !=
	    NULL, "glob metric applied");
	ok(c.summary && strstr(c.summary, "secret") == NULL,
	    "summary none leaves the key out");
	ok(c.summary && strstr(c.summary, "\"note\":\"explicit\"") != NULL &&
	    strstr(c.summary, "tmp") == NULL, "explicit set and remove");
	diag("%s", c.summary ? c.summary : "(none)");
	buf_init(&b);
	wire_config(&w, &b, "{\"old\":{\"value\":1},\"lr\":{\"value\":9}}");
	diag("%s", b.p);
	ok(strstr(b.p, "\"lr\":{\"value\":0.01}") != NULL &&
	    strstr(b.p, "\"model\":{\"value\":{\"layers\":4}}") != NULL &&
	    strstr(b.p, "gone") == NULL, "config in backend form");
	ok(strstr(b.p, "\"old\":{\"value\":1}") != NULL &&
	    strstr(b.p, "\"value\":9") == NULL,
	    "old config keys kept, ours win");
	ok(strstr(b.p, "\"_wandb\":{\"value\":{\"t\":{},\"m\":[") != NULL,
	    "_wandb with t and m");
	ok(strstr(b.p, "{\"1\":\"acc\",\"6\":[3],\"7\":[1,2,3,4,5,8],"
	    "\"8\":2}") != NULL, "metric encoded by field number");
	ok(strstr(b.p, "{\"2\":\"val/*\",\"5\":3,") != NULL &&
	    strstr(b.p, "{\"1\":\"epoch\"") != NULL,
	    "glob with its step metric's index");
	ok(strstr(b.p, "{\"1\":\"val/loss\",\"5\":3,") != NULL,
	    "glob expansion kept for the x axis");
	buf_release(&b);
	cap_release(&c);
	wire_release(&w);
	wbs_run_close(run);
}

static void
fork_config(void)
{
	struct wire	w;
	struct capture	c;
	struct buf	b;
	char		opt[8];

	snprintf(opt, sizeof(opt), "%d", WBS_OPT_FORK_FROM);
	open_run("child1", opt, "parent1?_step=50");
	CHECK(wbs_run_finish(run, 0));
	wire_init(&w);
	memset(&c, 0, sizeof(c));
	feed(&w, wbs_run_journal(run), &c, 0, 1);
	buf_init(&b);
	wire_config(&w, &b, NULL);
	ok(strstr(b.p, "\"branch_point\":{\"run_id\":\"parent1\",\"step\":50}")
	    != NULL, "fork: _wandb.branch_point");
	ok(w.sess.fork && !w.sess.rewind, "the session is a fork");
	buf_release(&b);
	cap_release(&c);
	wire_release(&w);
	wbs_run_close(run);
}

/* The journal's own _wandb (nested or one JSON value) goes along. */
static void
wandb_config(void)
{
	struct wbs_item	it[2];
	struct wire	w;
	struct capture	c;
	struct buf	b;

	for (int json = 0; json < 2; json++) {
		open_run(json ? "wb2" : "wb1", NULL, NULL);
		if (json)
			it[0] = WBS_JSON_ITEM("_wandb", "{\"cli_version\":"
			    "\"0.10\",\"t\":{\"4\":\"3.7\"},\"m\":[1]}");
		else {
			it[0] = WBS_STRING_ITEM("_wandb\x1f" "cli_version",
			    "0.10");
			it[1] = WBS_STRING_ITEM("_wandb\x1f" "t\x1f" "4", "3.7");
		}
		CHECK(wbs_run_config(run, it, json ? 1 : 2));
		CHECK(wbs_run_finish(run, 0));
		wire_init(&w);
		memset(&c, 0, sizeof(c));
		feed(&w, wbs_run_journal(run), &c, 0, 1);
		buf_init(&b);
		wire_config(&w, &b, NULL);
		ok(strstr(b.p, "\"_wandb\":{\"value\":{\"cli_version\":"
		    "\"0.10\",\"t\":{\"4\":\"3.7\"}") != NULL &&
		    strstr(b.p, "\"t\":{}") == NULL, "%s _wandb kept: %s",
		    json ? "JSON" : "nested", b.p);
		buf_release(&b);
		cap_release(&c);
		wire_release(&w);
		wbs_run_close(run);
	}
}

/* A journal of everything, with rows left open across other records. */
static void
mixed_journal(void)
{
	struct wbs_item	it[3];
	char		txt[64];

	open_run("mix1", NULL, NULL);
	for (int i = 0; i < 60; i++) {
		it[0] = WBS_DOUBLE_ITEM("loss", 1.0 / (i + 1));
		it[1] = WBS_INT_ITEM("i", i);
		if (i % 7 == 3) {
			CHECK(wbs_run_log(run, it, 1, i, WBS_LOG_NOCOMMIT));
			CHECK(wbs_run_console(run, WBS_STDOUT, "bar\r", 4));
			it[0] = WBS_DOUBLE_ITEM("stat", i);
			CHECK(wbs_run_stats(run, it, 1));
			it[0] = WBS_INT_ITEM("late", i);
			CHECK(wbs_run_log(run, it, 1, i, WBS_LOG_COMMIT));
		} else
			CHECK(wbs_run_log(run, it, 2, i, WBS_LOG_COMMIT));
		snprintf(txt, sizeof(txt), "step %d%s", i, i % 5 ? "\n" :
		    " ...\r");
		CHECK(wbs_run_console(run, i % 9 ? WBS_STDOUT : WBS_STDERR,
		    txt, strlen(txt)));
		if (i % 11 == 0) {
			it[0] = WBS_DOUBLE_ITEM("cpu", i);
			CHECK(wbs_run_stats(run, it, 1));
		}
	}
	CHECK(wbs_run_finish(run, 0));
}

/* Replay to each point a cursor could hold, then send the rest. */
static void
replay(void)
{
	struct wire	 w;
	struct capture	 ref;
	uint64_t	 points[1024][4];
	size_t		 np = 0, bad = 0;
	char		 why[512] = "";
	struct wbs_journal *j;
	struct wbs_iter	*it;
	const struct wbs_record *r;
	char		 err[128];

	mixed_journal();
	wire_init(&w);
	memset(&ref, 0, sizeof(ref));
	if (wbs_journal_open(&j, wbs_run_journal(run), 0, err,
	    sizeof(err)) != 0 || wbs_iter_open(&it, j, 1) != 0)
		exit(99);
	w.emit = 1;
	while (wbs_iter_next(it, &r) == 1) {
		(void)wire_record(&w, r);
		seal(&w, &ref, 0);
		if (np < 1024) {
			points[np][0] = wire_done_seq(&w);
			points[np][1] = (uint64_t)wire_hist_next(&w);
			points[np][2] = (uint64_t)wire_events_next(&w);
			points[np][3] = (uint64_t)wire_console_next(&w);
			np++;
		}
	}
	wire_end(&w, 1);
	seal(&w, &ref, 1);
	wbs_iter_free(it);
	wbs_journal_close(j);
	wire_release(&w);
	ok(ref.f[0].n == 60 && ref.f[2].n > 40 && ref.f[1].n > 5,
	    "reference run: %zu rows, %zu console lines, %zu stats",
	    ref.f[0].n, ref.f[2].n, ref.f[1].n);
	for (size_t p = 0; p < np && bad == 0; p++) {
		struct capture part;

		wire_init(&w);
		memset(&part, 0, sizeof(part));
		feed(&w, wbs_run_journal(run), &part, 0, points[p][0]);
		for (int f = 0; f < 3 && bad == 0; f++) {
			size_t first = part.f[f].n;

			for (size_t i = 0; i < part.f[f].n; i++)
				if (part.f[f].l[i] != NULL && first ==
				    part.f[f].n)
					first = i;
			if (part.f[f].n == 0 && points[p][1 + f] ==
			    ref.f[f].n)
				continue;	/* all sent already */
			if (part.f[f].n != ref.f[f].n) {
				snprintf(why, sizeof(why), "from %ju: %s ends "
				    "at %zu, not %zu", (uintmax_t)points[p][0],
				    fnames[f], part.f[f].n, ref.f[f].n);
				bad++;
			} else if (first > points[p][1 + f]) {
				snprintf(why, sizeof(why), "from %ju: %s "
				    "starts at %zu, after %ju",
				    (uintmax_t)points[p][0], fnames[f], first,
				    (uintmax_t)points[p][1 + f]);
				bad++;
			}
			for (size_t i = first; i < part.f[f].n && !bad; i++)
				if (strcmp(line(&part, f, i),
				    line(&ref, f, i)) != 0) {
					snprintf(why, sizeof(why), "from %ju: "
					    "%s line %zu: %s / %s",
					    (uintmax_t)points[p][0], fnames[f],
					    i, line(&part, f, i),
					    line(&ref, f, i));
					bad++;
				}
		}
		if (!bad && (part.summary == NULL ||
		    strcmp(part.summary, ref.summary) != 0)) {
			snprintf(why, sizeof(why), "from %ju: summary %s / %s",
			    (uintmax_t)points[p][0], part.summary ?
			    part.summary : "(none)", ref.summary);
			bad++;
		}
		cap_release(&part);
		wire_release(&w);
	}
	ok(bad == 0, "replay from each of %zu cursor points reproduces every "
	    "line at its offset", np);
	if (bad)
		diag("%s", why);
	cap_release(&ref);
	wbs_run_close(run);
}

static void
numbers(void)
{
	char		 b[DTOA_MAX];
	uint64_t	 s = 88172645463325252ULL;
	long		 bad = 0;
	struct buf	 e;

	for (long i = 0; i < 2000000; i++) {
		double d;

		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		memcpy(&d, &s, sizeof(d));
		if (isnan(d))
			continue;
		dtoa_double(b, d);
		if (strtod(b, NULL) != d && bad++ == 0)
			diag("%s does not read back as %.17g", b, d);
	}
	ok(bad == 0, "2,000,000 random doubles read back exactly");
	dtoa_double(b, 0.1);
	is_str(b, "0.1", "0.1 shortest");
	dtoa_double(b, 1.0);
	is_str(b, "1.0", "integral double keeps .0");
	dtoa_double(b, 1e16);
	is_str(b, "1e+16", "large in exponent form");
	dtoa_double(b, 1e-5);
	is_str(b, "1e-05", "small in exponent form");
	dtoa_double(b, 0.0001);
	is_str(b, "0.0001", "0.0001 fixed");
	dtoa_double(b, -0.0);
	is_str(b, "-0.0", "negative zero");
	dtoa_double(b, 5e-324);
	is_str(b, "5e-324", "smallest subnormal");
	dtoa_double(b, 1.7976931348623157e308);
	is_str(b, "1.7976931348623157e+308", "largest double");
	dtoa_int(b, INT64_MIN);
	is_str(b, "-9223372036854775808", "INT64_MIN");
	buf_init(&e);
	esc_str2(&e, "a\"b\\c\n\x01", 7);
	is_str(e.p, "\\\"a\\\\\\\"b\\\\\\\\c\\\\n\\\\u0001\\\"",
	    "two-level escaping");
	buf_reset(&e);
	esc_str(&e, "\xc3\x28 \xed\xa0\x80 \xf0\x9f\x98\x80", 11);
	is_str(e.p, "\"\xef\xbf\xbd( \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd "
	    "\xf0\x9f\x98\x80\"", "invalid UTF-8 and surrogates replaced");
	buf_release(&e);
}

int
main(void)
{
	tmp = test_tmpdir();
	numbers();
	rows();
	open_row();
	console();
	summary_config();
	fork_config();
	wandb_config();
	replay();
	test_rmtree(tmp);
	plan_lazy_done();
	return tap_exit();
}
