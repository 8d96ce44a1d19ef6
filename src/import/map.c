/*
 * map.c - one W&B record into writer calls.
 *
 * History: "_step" is the explicit step (HistoryStep.num when it is
 * absent, the run's own step when both are), every row is committed;
 * "_runtime" is dropped (the journal derives it from record times) and
 * "_timestamp" becomes the record's time.  Summary: W&B's Go writer
 * repeats every history value as an incremental summary update and
 * Python writes the whole summary once; values the journal already
 * derives from history, and the derived _step, _runtime, _timestamp and
 * _wandb.runtime, are not written again, and an object value replaces
 * what was below its key.  Exit: applied when the log ends, so that the
 * records legacy writers put after it (stats, summary, final, footer)
 * are kept too.
 */
#include "config.h"

#include <glob.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imp-int.h"

#define CONSOLE_MAX	WBS_VALUE_MAX	/* bytes in one console record */

/* Tell the caller about something skipped (at most max_notices a log). */
void
imp_notice(struct imp *im, const char *fmt, ...)
{
	unsigned	max = im->o != NULL && im->o->max_notices ?
			    im->o->max_notices : 20;
	char		msg[IMPORT_ERRMAX];
	va_list		ap;
	int		n;

	if (im->o == NULL || im->o->notice == NULL || im->notices > max)
		return;
	if (im->notices++ == max) {
		snprintf(msg, sizeof(msg), "%s: more notices not shown",
		    im->name);
		im->o->notice(im->o->arg, msg);
		return;
	}
	n = snprintf(msg, sizeof(msg), "%s: ", im->name);
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	im->o->notice(im->o->arg, msg);
}

/* See imp-int.h. */
int
imp_check(struct imp *im, int rc, const char *what)
{
	if (rc == 0) {
		im->ir->written++;
		return 0;
	}
	if (rc == WBS_EINVAL || rc == WBS_EUTF8 || rc == WBS_ETOOBIG ||
	    rc == WBS_ESTEP) {
		im->ir->rejected++;
		imp_notice(im, "record %" PRIu64 ": %s not stored: %s",
		    im->recno, what, wbs_run_errmsg(im->run));
		return 0;
	}
	im->fatal = 1;
	snprintf(im->msg, sizeof(im->msg), "%s: record %" PRIu64 ": %s: %s",
	    im->name, im->recno, what, wbs_run_errmsg(im->run));
	return rc;
}

void
imp_clock(struct imp *im)
{
	wbs_run_set_time(im->run, im->t_us);
}

/* The report's type of a record. */
int
imp_type(const WbsWandb__Record *rec)
{
	switch (rec->record_type_case) {
	case WBS_WANDB__RECORD__RECORD_TYPE_HEADER: return IMPORT_T_HEADER;
	case WBS_WANDB__RECORD__RECORD_TYPE_RUN: return IMPORT_T_RUN;
	case WBS_WANDB__RECORD__RECORD_TYPE_CONFIG: return IMPORT_T_CONFIG;
	case WBS_WANDB__RECORD__RECORD_TYPE_HISTORY: return IMPORT_T_HISTORY;
	case WBS_WANDB__RECORD__RECORD_TYPE_SUMMARY: return IMPORT_T_SUMMARY;
	case WBS_WANDB__RECORD__RECORD_TYPE_METRIC: return IMPORT_T_METRIC;
	case WBS_WANDB__RECORD__RECORD_TYPE_STATS: return IMPORT_T_STATS;
	case WBS_WANDB__RECORD__RECORD_TYPE_OUTPUT_RAW:
		return IMPORT_T_OUTPUT_RAW;
	case WBS_WANDB__RECORD__RECORD_TYPE_OUTPUT: return IMPORT_T_OUTPUT;
	case WBS_WANDB__RECORD__RECORD_TYPE_OUTPUT_LOGGER:
		return IMPORT_T_OUTPUT_LOGGER;
	case WBS_WANDB__RECORD__RECORD_TYPE_FILES: return IMPORT_T_FILES;
	case WBS_WANDB__RECORD__RECORD_TYPE_ALERT: return IMPORT_T_ALERT;
	case WBS_WANDB__RECORD__RECORD_TYPE_PREEMPTING:
		return IMPORT_T_PREEMPTING;
	case WBS_WANDB__RECORD__RECORD_TYPE_TELEMETRY:
		return IMPORT_T_TELEMETRY;
	case WBS_WANDB__RECORD__RECORD_TYPE_ENVIRONMENT:
		return IMPORT_T_ENVIRONMENT;
	case WBS_WANDB__RECORD__RECORD_TYPE_EXIT: return IMPORT_T_EXIT;
	case WBS_WANDB__RECORD__RECORD_TYPE_FINAL: return IMPORT_T_FINAL;
	case WBS_WANDB__RECORD__RECORD_TYPE_FOOTER: return IMPORT_T_FOOTER;
	case WBS_WANDB__RECORD__RECORD_TYPE_ARTIFACT: return IMPORT_T_ARTIFACT;
	case WBS_WANDB__RECORD__RECORD_TYPE_USE_ARTIFACT:
		return IMPORT_T_USE_ARTIFACT;
	case WBS_WANDB__RECORD__RECORD_TYPE_NOOP_LINK_ARTIFACT:
		return IMPORT_T_LINK_ARTIFACT;
	case WBS_WANDB__RECORD__RECORD_TYPE_TBRECORD: return IMPORT_T_TBRECORD;
	case WBS_WANDB__RECORD__RECORD_TYPE_REQUEST: return IMPORT_T_REQUEST;
	default: return IMPORT_T_UNKNOWN;
	}
}

/* 1 if kv is the top-level key name. */
static int
top(const struct imp_kv *kv, const char *name)
{
	if (kv->nnested == 1)
		return strcmp(kv->nested[0], name) == 0;
	return kv->nnested == 0 && kv->key != NULL &&
	    strcmp(kv->key, name) == 0;
}

/* A JSON number as a double; -1 if it is not one. */
static int
num(struct imp *im, const struct imp_kv *kv, double *d)
{
	struct wbs_value v;

	if (xj_scalar(kv->json, kv->jsonlen, &v, &im->a) != 0)
		return -1;
	if (v.type == WBS_INT)
		*d = (double)v.u.i;
	else if (v.type == WBS_DOUBLE)
		*d = v.u.d;
	else
		return -1;
	return 0;
}

/* Append the items of kv at its path; 0 (dropped ones counted). */
static int
kv_items(struct imp *im, const struct imp_kv *kv, unsigned flags,
    const char *what)
{
	const char *path = imp_kv_path(im, kv);

	if (path == NULL) {
		im->ir->dropped++;
		imp_notice(im, "record %" PRIu64 ": %s key \"%.60s\" cannot be "
		    "a key; dropped", im->recno, what,
		    kv->key ? kv->key : kv->nnested ? kv->nested[0] : "");
		return 0;
	}
	if (xj_items(kv->json, kv->jsonlen, path, flags, &im->it,
	    &im->a) != 0) {
		im->ir->dropped++;
		imp_notice(im, "record %" PRIu64 ": %s \"%.60s\": value is not "
		    "valid JSON; dropped", im->recno, what, path);
	}
	return 0;
}

/* The row's step from "_step"; 1 if usable, 0 if bad (counted). */
static int
step_value(struct imp *im, const struct imp_kv *kv, int64_t *step)
{
	double d;

	if (num(im, kv, &d) == 0 && d >= 0 && d < 9.2e18 && d == floor(d)) {
		*step = (int64_t)d;
		return 1;
	}
	im->ir->bad_steps++;
	imp_notice(im, "record %" PRIu64 ": _step %.40s is not a step; the "
	    "row takes the next one", im->recno, kv->json);
	return 0;
}

static int
history(struct imp *im, const WbsWandb__HistoryRecord *h)
{
	int64_t	step = WBS_STEP_AUTO;
	int	have = 0, rc;
	double	d;

	if (imp_kv_load(im, h->n_item, (void *const *)h->item) != 0 ||
	    imp_kv_regroup(im) != 0)
		return WBS_ENOMEM;
	im->it.n = 0;
	for (size_t i = 0; i < im->nkv; i++) {
		const struct imp_kv *kv = &im->kv[i];

		if (top(kv, "_step")) {
			have |= step_value(im, kv, &step);
			continue;
		}
		if (top(kv, "_runtime") && num(im, kv, &d) == 0)
			continue;
		if (top(kv, "_timestamp") && num(im, kv, &d) == 0 &&
		    isfinite(d) && d > 0 && d < 9e12) {
			im->t_us = (int64_t)llround(d * 1e6);
			continue;
		}
		kv_items(im, kv, XJ_FLAT, "history");
	}
	if (!have && h->step != NULL && h->step->num >= 0)
		step = h->step->num;
	imp_clock(im);
	rc = wbs_run_log(im->run, im->it.v, im->it.n, step, WBS_LOG_COMMIT);
	if (rc == 0)
		for (size_t i = 0; i < im->it.n; i++)
			if (trk_set(&im->trk, im->it.v[i].key,
			    &im->it.v[i].v) < 0)
				return WBS_ENOMEM;
	return imp_check(im, rc, "history row");
}

/* 1 if a summary key is one the journal derives itself. */
static int
derived(const char *key)
{
	return strcmp(key, "_step") == 0 || strcmp(key, "_runtime") == 0 ||
	    strcmp(key, "_timestamp") == 0 ||
	    strcmp(key, "_wandb" WBS_SEP "runtime") == 0;
}

/* Removal list under construction. */
struct rmlist {
	struct imp		*im;
	const char		**v;
	size_t			 n, cap;
	const struct wbs_item	*keep;	/* items being set */
	size_t			 nkeep;
};

static void
rm_add(const char *key, void *arg)
{
	struct rmlist	*r = arg;
	char		*k;

	for (size_t i = 0; i < r->nkeep; i++)
		if (strcmp(r->keep[i].key, key) == 0)
			return;
	if (r->n == r->cap) {
		size_t		 cap = r->cap ? r->cap * 2 : 16;
		const char	**v = imp_alloc(&r->im->a, cap * sizeof(*v));

		if (v == NULL)
			return;
		if (r->n > 0)
			memcpy(v, r->v, r->n * sizeof(*v));
		r->v = v;
		r->cap = cap;
	}
	if ((k = imp_strndup(&r->im->a, key, strlen(key))) != NULL)
		r->v[r->n++] = k;
}

/* Write removals then values of a summary record. */
static int
summary_write(struct imp *im, struct rmlist *rm)
{
	int rc;

	imp_clock(im);
	for (size_t i = 0; i < rm->n; i++)
		trk_remove(&im->trk, rm->v[i]);
	if (rm->n > 0 && (rc = imp_check(im, wbs_run_summary_remove(im->run,
	    rm->v, rm->n), "summary removal")) != 0)
		return rc;
	if (im->it.n > 0 && (rc = imp_check(im, wbs_run_summary(im->run,
	    im->it.v, im->it.n), "summary")) != 0)
		return rc;
	return 0;
}

static int
summary(struct imp *im, const WbsWandb__SummaryRecord *s)
{
	struct rmlist	rm = { .im = im };
	size_t		w = 0;

	if (imp_kv_load(im, s->n_update, (void *const *)s->update) != 0 ||
	    imp_kv_regroup(im) != 0)
		return WBS_ENOMEM;
	im->it.n = 0;
	for (size_t i = 0; i < im->nkv; i++) {
		const struct imp_kv	*kv = &im->kv[i];
		size_t			 n0 = im->it.n;
		const char		*p;

		kv_items(im, kv, XJ_FLAT, "summary");
		p = kv->json;
		while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
			p++;
		/* An object replaces everything below its key. */
		if (*p == '{' && im->it.n > n0) {
			const char *path = imp_kv_path(im, kv);

			rm.keep = im->it.v + n0;
			rm.nkeep = im->it.n - n0;
			if (path != NULL)
				trk_below(&im->trk, path, rm_add, &rm);
		}
	}
	/* Keep what the journal does not derive or hold already. */
	for (size_t i = 0; i < im->it.n; i++) {
		int c;

		if (derived(im->it.v[i].key))
			continue;
		if ((c = trk_set(&im->trk, im->it.v[i].key,
		    &im->it.v[i].v)) < 0)
			return WBS_ENOMEM;
		if (c > 0)
			im->it.v[w++] = im->it.v[i];
	}
	im->it.n = w;
	if (imp_kv_load(im, s->n_remove, (void *const *)s->remove) != 0)
		return WBS_ENOMEM;
	for (size_t i = 0; i < im->nkv; i++) {
		const char *path = imp_kv_path(im, &im->kv[i]);

		rm.keep = NULL;
		rm.nkeep = 0;
		if (path != NULL)
			rm_add(path, &rm);
		else
			im->ir->dropped++;
	}
	return summary_write(im, &rm);
}

static int
config(struct imp *im, const WbsWandb__ConfigRecord *c)
{
	const char	**rm;
	size_t		  n = 0;
	int		  rc;

	if (imp_config_items(im, c->n_update, (void *const *)c->update,
	    &im->it) != 0)
		return WBS_ENOMEM;
	imp_clock(im);
	if (im->it.n > 0 && (rc = imp_check(im, wbs_run_config(im->run,
	    im->it.v, im->it.n), "config")) != 0)
		return rc;
	if (c->n_remove == 0)
		return 0;
	if (imp_kv_load(im, c->n_remove, (void *const *)c->remove) != 0 ||
	    (rm = imp_alloc(&im->a, im->nkv * sizeof(*rm))) == NULL)
		return WBS_ENOMEM;
	for (size_t i = 0; i < im->nkv; i++)
		if ((rm[n] = imp_kv_path(im, &im->kv[i])) != NULL)
			n++;
		else
			im->ir->dropped++;
	if (n == 0)
		return 0;
	return imp_check(im, wbs_run_config_remove(im->run, rm, n),
	    "config removal");
}

static int
metric(struct imp *im, const WbsWandb__MetricRecord *mr)
{
	struct wbs_metric	m = { 0 };
	const WbsWandb__MetricSummary *s = mr->summary;

	if (mr->name[0] != '\0')
		m.name = mr->name;
	else if (mr->glob_name[0] != '\0')
		m.glob = mr->glob_name;
	else {
		im->ir->dropped++;
		imp_notice(im, "record %" PRIu64 ": metric without a name or "
		    "glob; dropped", im->recno);
		return 0;
	}
	if (mr->step_metric[0] != '\0')
		m.step_metric = mr->step_metric;
	if (s != NULL)
		m.summary = (s->min ? WBS_SUMMARY_MIN : 0) |
		    (s->max ? WBS_SUMMARY_MAX : 0) |
		    (s->mean ? WBS_SUMMARY_MEAN : 0) |
		    (s->best ? WBS_SUMMARY_BEST : 0) |
		    (s->last ? WBS_SUMMARY_LAST : 0) |
		    (s->none ? WBS_SUMMARY_NONE : 0) |
		    (s->first ? WBS_SUMMARY_FIRST : 0) |
		    (s->copy ? WBS_SUMMARY_COPY : 0);
	m.goal = mr->goal == WBS_WANDB__METRIC_RECORD__METRIC_GOAL__GOAL_MINIMIZE ?
	    WBS_GOAL_MINIMIZE : mr->goal ==
	    WBS_WANDB__METRIC_RECORD__METRIC_GOAL__GOAL_MAXIMIZE ?
	    WBS_GOAL_MAXIMIZE : WBS_GOAL_UNSET;
	if (mr->options != NULL)
		m.flags = (mr->options->hidden ? WBS_METRIC_HIDDEN : 0) |
		    (mr->options->step_sync ? WBS_METRIC_STEP_SYNC : 0);
	imp_clock(im);
	return imp_check(im, wbs_run_define_metric(im->run, &m), "metric");
}

static int
stats(struct imp *im, const WbsWandb__StatsRecord *s)
{
	int64_t us = imp_ts_us(s->timestamp);

	im->it.n = 0;
	for (size_t i = 0; i < s->n_item; i++) {
		const char	*k = s->item[i]->key;
		size_t		 klen = strlen(k);
		const char	*j = s->item[i]->value_json;

		if (klen > WBS_KEY_MAX || !imp_component(k, klen) ||
		    !imp_utf8(k, klen) ||
		    xj_items(j, strlen(j), k, XJ_FLAT | XJ_DOTS, &im->it,
		    &im->a) != 0) {
			im->ir->dropped++;
			imp_notice(im, "record %" PRIu64 ": stats \"%.60s\" "
			    "cannot be stored; dropped", im->recno, k);
		}
	}
	if (us > 0)
		im->t_us = us;
	if (im->it.n == 0)
		return 0;
	imp_clock(im);
	return imp_check(im, wbs_run_stats(im->run, im->it.v, im->it.n),
	    "stats");
}

/* Console text in records of at most 1 MiB, cut at UTF-8 boundaries. */
static int
console(struct imp *im, int stream, const char *s, size_t len, int line)
{
	int rc;

	imp_clock(im);
	while (len > 0 || line) {
		size_t n = len;

		if (n > CONSOLE_MAX) {
			n = CONSOLE_MAX;
			while (n > CONSOLE_MAX - 4 &&
			    ((unsigned char)s[n] & 0xc0) == 0x80)
				n--;
		}
		if (line && n == len && (n == 0 || s[n - 1] != '\n')) {
			char *t = imp_alloc(&im->a, n + 1);

			if (t == NULL)
				return WBS_ENOMEM;
			memcpy(t, s, n);
			t[n] = '\n';
			rc = wbs_run_console(im->run, stream, t, n + 1);
		} else
			rc = wbs_run_console(im->run, stream, s, n);
		if ((rc = imp_check(im, rc, "console output")) != 0)
			return rc;
		s += n;
		len -= n;
		if (len == 0)
			break;
	}
	return 0;
}

/* A files/ path or glob: register the file, or each file it matches. */
static int
file(struct imp *im, const WbsWandb__FilesItem *f, const char *files_dir)
{
	int	 policy = f->policy >= 0 && f->policy <= 2 ? (int)f->policy :
		    WBS_POLICY_NOW;
	int	 type = f->type >= 0 && f->type <= 2 ? (int)f->type :
		    WBS_FILE_OTHER;
	char	*pat;
	glob_t	 g;
	size_t	 plen = strlen(files_dir) + 1;
	int	 rc = 0, grc;

	if (strpbrk(f->path, "*?[") == NULL || files_dir == NULL)
		return imp_check(im, wbs_run_file(im->run, f->path, NULL,
		    policy, type), "file");
	if ((pat = imp_alloc(&im->a, plen + strlen(f->path) + 1)) == NULL)
		return WBS_ENOMEM;
	snprintf(pat, plen + strlen(f->path) + 1, "%s/%s", files_dir, f->path);
	if ((grc = glob(pat, 0, NULL, &g)) != 0) {
		if (grc == GLOB_NOSPACE)
			return WBS_ENOMEM;
		im->ir->dropped++;
		imp_notice(im, "record %" PRIu64 ": file pattern \"%.60s\" "
		    "matches nothing under files/; not registered", im->recno,
		    f->path);
		return 0;
	}
	for (size_t i = 0; i < g.gl_pathc && rc == 0; i++)
		rc = imp_check(im, wbs_run_file(im->run, g.gl_pathv[i] + plen,
		    NULL, policy, type), "file");
	globfree(&g);
	return rc;
}

static int
files(struct imp *im, const WbsWandb__FilesRecord *fr)
{
	int rc;

	imp_clock(im);
	for (size_t i = 0; i < fr->n_files; i++)
		if ((rc = file(im, fr->files[i], im->files_dir)) != 0)
			return rc;
	return 0;
}

static int
alert(struct imp *im, const WbsWandb__AlertRecord *a)
{
	const char *level = a->level[0] != '\0' ? a->level : "INFO";

	imp_clock(im);
	return imp_check(im, wbs_run_alert(im->run, a->title, a->text, level,
	    a->wait_duration > 0 ? a->wait_duration : 0), "alert");
}

/* Count fields the schema here does not know, at the top two levels. */
static void
unknown_fields(struct imp *im, const WbsWandb__Record *rec)
{
	const ProtobufCMessage *body = NULL;

	im->ir->unknown_fields += rec->base.n_unknown_fields;
	switch (rec->record_type_case) {
	case WBS_WANDB__RECORD__RECORD_TYPE_HISTORY:
		body = &rec->history->base;
		break;
	case WBS_WANDB__RECORD__RECORD_TYPE_RUN:
		body = &rec->run->base;
		break;
	case WBS_WANDB__RECORD__RECORD_TYPE_EXIT:
		body = &rec->exit->base;
		break;
	case WBS_WANDB__RECORD__RECORD_TYPE_STATS:
		body = &rec->stats->base;
		break;
	default:
		break;
	}
	if (body != NULL)
		im->ir->unknown_fields += body->n_unknown_fields;
}

/* Records that only change the run's metadata or end it. */
static int
record_meta(struct imp *im, const WbsWandb__Record *rec)
{
	switch (rec->record_type_case) {
	case WBS_WANDB__RECORD__RECORD_TYPE_RUN:
		if (rec->run->telemetry != NULL &&
		    imp_telemetry(im, rec->run->telemetry) != 0)
			return -1;
		return imp_run_update(im, rec->run);
	case WBS_WANDB__RECORD__RECORD_TYPE_TELEMETRY:
		return imp_telemetry(im, rec->telemetry);
	case WBS_WANDB__RECORD__RECORD_TYPE_ENVIRONMENT:
		return imp_environment(im, rec->environment);
	case WBS_WANDB__RECORD__RECORD_TYPE_EXIT:
		if (rec->exit->not_complete) {
			imp_notice(im, "record %" PRIu64 ": exit marked "
			    "not complete (a secondary writer): the run stays "
			    "open", im->recno);
			return 0;
		}
		im->exit_seen = 1;
		im->exit_code = rec->exit->exit_code;
		im->exit_runtime_s = rec->exit->runtime;
		return 0;
	case WBS_WANDB__RECORD__RECORD_TYPE_PREEMPTING:
		imp_clock(im);
		return imp_check(im, wbs_run_preempting(im->run), "preempting");
	default:
		im->ir->not_imported++;
		return 0;
	}
}

/* See imp-int.h. */
int
imp_record(struct imp *im, const WbsWandb__Record *rec)
{
	unknown_fields(im, rec);
	switch (rec->record_type_case) {
	case WBS_WANDB__RECORD__RECORD_TYPE_HISTORY:
		return history(im, rec->history);
	case WBS_WANDB__RECORD__RECORD_TYPE_SUMMARY:
		return summary(im, rec->summary);
	case WBS_WANDB__RECORD__RECORD_TYPE_CONFIG:
		return config(im, rec->config);
	case WBS_WANDB__RECORD__RECORD_TYPE_METRIC:
		return metric(im, rec->metric);
	case WBS_WANDB__RECORD__RECORD_TYPE_STATS:
		return stats(im, rec->stats);
	case WBS_WANDB__RECORD__RECORD_TYPE_OUTPUT_RAW: {
		const WbsWandb__OutputRawRecord *o = rec->output_raw;
		int64_t us = imp_ts_us(o->timestamp);

		if (us > 0)
			im->t_us = us;
		return console(im, o->output_type == 0 ? WBS_STDERR :
		    WBS_STDOUT, o->line, strlen(o->line), 0);
	}
	case WBS_WANDB__RECORD__RECORD_TYPE_OUTPUT: {
		const WbsWandb__OutputRecord *o = rec->output;
		int64_t us = imp_ts_us(o->timestamp);

		if (us > 0)
			im->t_us = us;
		return console(im, o->output_type == 0 ? WBS_STDERR :
		    WBS_STDOUT, o->line, strlen(o->line), 1);
	}
	case WBS_WANDB__RECORD__RECORD_TYPE_OUTPUT_LOGGER:
		return console(im, WBS_STDOUT, rec->output_logger->line,
		    strlen(rec->output_logger->line), 1);
	case WBS_WANDB__RECORD__RECORD_TYPE_FILES:
		return files(im, rec->files);
	case WBS_WANDB__RECORD__RECORD_TYPE_ALERT:
		return alert(im, rec->alert);
	case WBS_WANDB__RECORD__RECORD_TYPE_HEADER:
	case WBS_WANDB__RECORD__RECORD_TYPE_FINAL:
	case WBS_WANDB__RECORD__RECORD_TYPE_FOOTER:
		return 0;
	default:
		return record_meta(im, rec);
	}
}

/* See imp-int.h. */
int
imp_finish(struct imp *im)
{
	if (!im->exit_seen || im->run == NULL)
		return 0;
	if (im->start_us > 0 && im->exit_runtime_s > 0)
		im->t_us = im->start_us + im->exit_runtime_s * 1000000;
	imp_clock(im);
	if (imp_check(im, wbs_run_finish(im->run, im->exit_code), "exit") != 0)
		return -1;
	im->ir->finished = 1;
	return 0;
}
