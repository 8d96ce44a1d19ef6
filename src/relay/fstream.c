/*
 * fstream.c - POST /files/ENTITY/PROJECT/RUN/file_stream: read and check
 * the whole request (envelope, offsets, every line) before anything is
 * written, so that a bad request changes nothing; then ingest.c writes.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "relay-int.h"

static const char *const fs_names[FS_NFILES] = {
	[FS_HISTORY] = "wandb-history.jsonl",
	[FS_EVENTS] = "wandb-events.jsonl",
	[FS_SUMMARY] = "wandb-summary.json",
	[FS_OUTPUT] = "output.log",
};

/* Where each file's content array is in the body. */
struct slices {
	const char	*p[FS_NFILES];
	size_t		 len[FS_NFILES];
};

/* A JSON boolean into *out. */
static int
get_bool(struct jscan *js, int *out)
{
	enum jkind k = jscan_peek(js);

	if ((k != JK_TRUE && k != JK_FALSE) || jscan_literal(js, &k) < 0)
		return -1;
	*out = k == JK_TRUE;
	return 0;
}

/* A non-negative integer. */
static int
get_count(struct jscan *js, uint64_t *out)
{
	struct jnum num;

	if (jscan_peek(js) != JK_NUMBER || jscan_number(js, &num) < 0 ||
	    !num.isint || num.i < 0)
		return -1;
	*out = (uint64_t)num.i;
	return 0;
}

/* One entry of "files": {"offset": N, "content": [...]}. */
static int
parse_file(struct jscan *js, struct fsbatch *b, int f, struct slices *sl,
    struct reply *rp)
{
	struct jstr	k;
	size_t		n = 0;
	int		rc, have_off = 0;

	if (jscan_peek(js) != JK_OBJECT || jscan_open(js, '{') < 0) {
		reply_error(rp, 400, "files.%s must be an object with offset "
		    "and content", fs_names[f]);
		return -1;
	}
	while ((rc = jscan_member(js, &n, &k)) == 1) {
		if (jscan_streq(&k, "offset")) {
			if (get_count(js, &b->f[f].offset) < 0) {
				reply_error(rp, 400, "files.%s.offset must be a "
				    "non-negative integer", fs_names[f]);
				return -1;
			}
			have_off = 1;
		} else if (jscan_streq(&k, "content")) {
			if (jscan_peek(js) != JK_ARRAY) {
				reply_error(rp, 400, "files.%s.content must be "
				    "an array of strings", fs_names[f]);
				return -1;
			}
			sl->p[f] = js->p;
			if (jscan_skip(js) < 0)
				break;
			sl->len[f] = (size_t)(js->p - sl->p[f]);
		} else if (jscan_skip(js) < 0)
			break;
	}
	if (rc != 0 || js->err[0] != '\0') {
		reply_error(rp, 400, "malformed JSON in files.%s: %s",
		    fs_names[f], js->err);
		return -1;
	}
	if (!have_off || sl->p[f] == NULL) {
		reply_error(rp, 400, "files.%s has no %s", fs_names[f],
		    have_off ? "content" : "offset");
		return -1;
	}
	b->f[f].present = 1;
	return 0;
}

/* The "files" object. */
static int
parse_files(struct jscan *js, struct fsbatch *b, struct slices *sl,
    struct reply *rp)
{
	struct jstr	k;
	size_t		n = 0;
	int		rc, f;

	enum jkind	kind = jscan_peek(js);

	if (kind == JK_END || kind == JK_BAD) {
		unsigned char c = kind == JK_BAD ? (unsigned char)*js->p : 0;

		if (c >= 0x20 && c < 0x7f)
			reply_error(rp, 400, "malformed JSON: a value is "
			    "expected at byte %zu, not '%c'", jscan_offset(js),
			    c);
		else if (c != 0)
			reply_error(rp, 400, "malformed JSON: a value is "
			    "expected at byte %zu, not the unexpected byte "
			    "0x%02X", jscan_offset(js), c);
		else
			reply_error(rp, 400, "malformed JSON: a value is "
			    "expected at byte %zu", jscan_offset(js));
		return -1;
	}
	if (kind != JK_OBJECT || jscan_open(js, '{') < 0) {
		reply_error(rp, 400, "\"files\" must be an object");
		return -1;
	}
	while ((rc = jscan_member(js, &n, &k)) == 1) {
		for (f = 0; f < FS_NFILES; f++)
			if (jscan_streq(&k, fs_names[f]))
				break;
		if (f == FS_NFILES) {
			char name[80];

			snprintf(name, sizeof(name), "%.*s", (int)(k.len > 60 ?
			    60 : k.len), k.p);
			reply_error(rp, 400, "unknown file \"%s\" in files: the "
			    "relay takes wandb-history.jsonl, "
			    "wandb-events.jsonl, wandb-summary.json and "
			    "output.log", name);
			return -1;
		}
		if (b->f[f].present) {
			reply_error(rp, 400, "file %s given twice", fs_names[f]);
			return -1;
		}
		if (parse_file(js, b, f, sl, rp) < 0)
			return -1;
	}
	if (rc < 0) {
		reply_error(rp, 400, "malformed JSON in files: %s", js->err);
		return -1;
	}
	return 0;
}

/* The request's top-level object. */
static int
parse_envelope(char *body, size_t len, struct fsbatch *b, struct slices *sl,
    struct reply *rp)
{
	struct jscan	js;
	struct jstr	k;
	struct jnum	num;
	size_t		n = 0;
	int		rc, bad = 0, nfiles = 0;
	const char	*what = NULL;

	jscan_init(&js, body, len);
	if (jscan_peek(&js) != JK_OBJECT || jscan_open(&js, '{') < 0) {
		reply_error(rp, 400, "file_stream body must be a JSON object%s"
		    "%s", js.err[0] ? ": " : "", js.err);
		return -1;
	}
	while ((rc = jscan_member(&js, &n, &k)) == 1) {
		if (jscan_streq(&k, "files")) {
			if (nfiles++ > 0) {
				reply_error(rp, 400, "\"files\" given twice");
				return -1;
			}
			if (parse_files(&js, b, sl, rp) < 0)
				return -1;
		} else if (jscan_streq(&k, "complete")) {
			bad = get_bool(&js, &b->complete);
			what = "complete must be true or false";
		} else if (jscan_streq(&k, "failed")) {
			bad = get_bool(&js, &b->failed);
			what = "failed must be true or false";
		} else if (jscan_streq(&k, "preempting")) {
			bad = get_bool(&js, &b->preempting);
			what = "preempting must be true or false";
		} else if (jscan_streq(&k, "exitcode")) {
			what = "exitcode must be an integer or null";
			if (jscan_peek(&js) == JK_NULL)
				bad = jscan_skip(&js);
			else if (jscan_peek(&js) != JK_NUMBER ||
			    jscan_number(&js, &num) < 0 || !num.isint ||
			    num.i < -2147483647 || num.i > 2147483647)
				bad = -1;
			else {
				b->has_exitcode = 1;
				b->exitcode = (int)num.i;
			}
		} else if (jscan_streq(&k, "uploaded")) {
			size_t		m = 0;
			struct jstr	s;

			what = "uploaded must be an array of file names";
			if (jscan_peek(&js) != JK_ARRAY ||
			    jscan_open(&js, '[') < 0)
				bad = -1;
			else
				while ((rc = jscan_element(&js, &m)) == 1)
					if (jscan_peek(&js) != JK_STRING ||
					    jscan_string(&js, &s) < 0) {
						bad = -1;
						break;
					}
			b->nuploaded = m;
		} else if (jscan_skip(&js) < 0)
			bad = -1;
		if (bad) {
			if (js.err[0] != '\0')
				reply_error(rp, 400, "malformed JSON: %s",
				    js.err);
			else
				reply_error(rp, 400, "%s", what);
			return -1;
		}
		what = NULL;
	}
	if (rc < 0 || jscan_done(&js) < 0) {
		reply_error(rp, 400, "malformed JSON: %s", js.err);
		return -1;
	}
	return 0;
}

/* Length of a "YYYY-MM-DDTHH:MM:SS[.ffffff]" stamp at t, or 0. */
static size_t
stamp_len(const char *t, size_t n)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:dd";
	size_t i;

	if (n < sizeof(pat))
		return 0;
	for (i = 0; i < sizeof(pat) - 1; i++)
		if (pat[i] == 'd' ? (t[i] < '0' || t[i] > '9') : t[i] != pat[i])
			return 0;
	if (i < n && t[i] == '.')
		for (i++; i < n && t[i] >= '0' && t[i] <= '9'; i++)
			;
	return i < n && t[i] == ' ' ? i : 0;
}

/* An output.log line: "[ERROR ]STAMP TEXT" to stream and text. */
static void
output_line(struct fsline *l)
{
	char	*t = l->text;
	size_t	 n = l->len, s;

	l->stream = WBS_STDOUT;
	if (n > 6 && memcmp(t, "ERROR ", 6) == 0 && stamp_len(t + 6, n - 6)) {
		l->stream = WBS_STDERR;
		t += 6;
		n -= 6;
	}
	if ((s = stamp_len(t, n)) > 0) {
		t += s + 1;
		n -= s + 1;
	}
	if (n > 0 && t[n - 1] == '\n')
		n--;
	l->text = t;
	l->len = n;
}

/* Decode and check the lines of one file. */
static int
decode_file(struct fsbatch *b, int f, const char *p, size_t len,
    struct reply *rp)
{
	struct fsfile	*ff = &b->f[f];
	struct jscan	 js;
	struct jstr	 s;
	struct conv	 c = { b->ar, b->iv, CONV_HISTORY, 0, 0, 0, "" };
	size_t		 n = 0, cap = 0;
	int		 rc;

	if (p == NULL)
		return 0;
	c.kind = f == FS_EVENTS ? CONV_EVENTS : f == FS_SUMMARY ?
	    CONV_SUMMARY : CONV_HISTORY;
	jscan_init(&js, p, len);
	if (jscan_open(&js, '[') < 0)
		return -1;
	while ((rc = jscan_element(&js, &n)) == 1) {
		struct fsline	*l;
		uint64_t	 off = ff->offset + n - 1;

		if (jscan_peek(&js) != JK_STRING || jscan_string(&js, &s) < 0) {
			reply_error(rp, 400, "%s line at offset %" PRIu64 " is "
			    "not a string", fs_names[f], off);
			return -1;
		}
		if (n > cap) {
			struct fsline *nl;

			cap = cap ? cap * 2 : 64;
			nl = arena_alloc(b->ar, cap * sizeof(*nl));
			if (ff->lines != NULL)
				memcpy(nl, ff->lines, (n - 1) * sizeof(*nl));
			ff->lines = nl;
		}
		l = &ff->lines[n - 1];
		memset(l, 0, sizeof(*l));
		l->text = arena_alloc(b->ar, s.len + 1);
		l->len = s.esc ? jscan_unescape(s.p, s.len, l->text) : s.len;
		if (!s.esc)
			memcpy(l->text, s.p, s.len);
		l->text[l->len] = '\0';
		if (l->len > RELAY_LINE_MAX) {
			reply_error(rp, 400, "%s line at offset %" PRIu64 " is "
			    "%zu bytes, over W&B's limit of %d", fs_names[f],
			    off, l->len, RELAY_LINE_MAX);
			return -1;
		}
		if (f == FS_OUTPUT) {
			output_line(l);
			continue;
		}
		l->item0 = b->iv->n;
		if (conv_line(&c, f == FS_SUMMARY ? arena_strndup(b->ar,
		    l->text, l->len) : l->text, l->len) != 0) {
			reply_error(rp, 400, "%s line at offset %" PRIu64 ": %s",
			    fs_names[f], off, c.err);
			return -1;
		}
		l->nitems = b->iv->n - l->item0;
		l->step = c.step;
		l->has_step = c.has_step;
		if (f == FS_SUMMARY)
			b->iv->n = l->item0;	/* checked only; see ingest */
	}
	ff->n = n;
	return rc;
}

/* The request, checked against the run's line counts. */
static int
check_offsets(struct rrun *rr, struct fsbatch *b, struct reply *rp)
{
	const uint64_t count[FS_NFILES] = { rr->hist, rr->events, 0, rr->out };

	for (int f = 0; f < FS_NFILES; f++) {
		if (!b->f[f].present || f == FS_SUMMARY)
			continue;
		if (b->f[f].offset > count[f]) {
			reply_error(rp, 400, "%s: offset %" PRIu64 " leaves a "
			    "gap: run %s has %" PRIu64 " lines, so the next "
			    "line goes at offset %" PRIu64, fs_names[f],
			    b->f[f].offset, rr->id, count[f], count[f]);
			return -1;
		}
	}
	return 0;
}

/* Find and load the run a request names; NULL with rp set if none. */
static struct rrun *
find_run(struct relay *r, const char *entity, const char *project,
    const char *id, struct reply *rp)
{
	struct rrun	*rr;
	char		 err[RELAY_ERR];

	if (wbs_check_run_id(id, err, sizeof(err)) != 0 ||
	    wbs_check_project(project, err, sizeof(err)) != 0) {
		reply_error(rp, 400, "%s", err);
		return NULL;
	}
	if ((rr = store_find(r->store, id)) == NULL) {
		reply_error(rp, 404, "run %s does not exist: create it with "
		    "UpsertBucket first", id);
		return NULL;
	}
	if (store_load(r->store, rr, err, sizeof(err)) != 0) {
		reply_error(rp, 500, "%s", err);
		return NULL;
	}
	rr->used = ev_now(r->loop);
	if (!store_match(r->store, rr, entity, project)) {
		reply_error(rp, 404, "run %s is not in %s/%s (it is in %s/%s)",
		    id, entity, project, store_entity(r->store, rr),
		    rr->project);
		return NULL;
	}
	return rr;
}

/*
 * Parse and decode a request body into j->b; touches nothing but j (and
 * the arena and item vector j->b points to), so it may run on any
 * thread.  A failure is kept in j->rp with the phase it happened in, for
 * fstream_apply() to answer in the order a single pass would.
 */
void
fstream_decode(struct fsjob *j)
{
	struct arena	*ar = j->b.ar;
	struct itemvec	*iv = j->b.iv;
	struct slices	 sl;

	memset(&j->b, 0, sizeof(j->b));
	memset(&sl, 0, sizeof(sl));
	j->b.ar = ar;
	j->b.iv = iv;
	j->failed = FSJ_OK;
	if (parse_envelope(j->body, j->len, &j->b, &sl, &j->rp) < 0) {
		j->failed = FSJ_ENVELOPE;
		return;
	}
	for (int f = 0; f < FS_NFILES; f++)
		if (decode_file(&j->b, f, sl.p[f], sl.len[f], &j->rp) < 0) {
			if (j->rp.status < 400)
				reply_error(&j->rp, 400, "malformed %s "
				    "content", fs_names[f]);
			j->failed = FSJ_LINES;
			return;
		}
}

/*
 * Store a decoded request in run id, on the loop's thread.  Errors come
 * in the order of the checks: the run, the envelope, the offsets
 * against the run's line counts, the lines, the journal.
 */
int
fstream_apply(struct relay *r, const char *entity, const char *project,
    const char *id, struct fsjob *j, struct reply *rp)
{
	struct rrun	*rr;
	char		 err[RELAY_ERR];

	if ((rr = find_run(r, entity, project, id, rp)) == NULL)
		return -1;
	if (j->failed != FSJ_ENVELOPE && check_offsets(rr, &j->b, rp) < 0)
		return -1;
	if (j->failed != FSJ_OK) {
		rp->status = j->rp.status;
		buf_reset(&rp->body);
		buf_add(&rp->body, j->rp.body.p, j->rp.body.len);
		return -1;
	}
	if (ingest_batch(r->store, rr, &j->b, err, sizeof(err)) != 0) {
		reply_error(rp, 500, "%s", err);
		return -1;
	}
	for (int f = 0; f < FS_NFILES; f++)
		if (j->b.skipped[f] > 0)
			log_info("run %s: %" PRIu64 " %s line%s at offsets "
			    "below its count were stored already; skipped", id,
			    j->b.skipped[f], fs_names[f], j->b.skipped[f] > 1 ?
			    "s" : "");
	buf_adds(&rp->body, store_stopped(rr) ? "{\"stopped\":true}" : "{}");
	return 0;
}

/* Handle one file_stream request on the loop's own arena. */
int
fstream_handle(struct relay *r, const char *entity, const char *project,
    const char *id, char *body, size_t len, struct reply *rp)
{
	struct fsjob	j;
	int		rc;

	memset(&j, 0, sizeof(j));
	j.body = body;
	j.len = len;
	j.b.ar = &r->ar;
	j.b.iv = &r->iv;
	buf_init(&j.rp.body);
	j.rp.status = 200;
	fstream_decode(&j);
	rc = fstream_apply(r, entity, project, id, &j, rp);
	buf_release(&j.rp.body);
	return rc;
}
