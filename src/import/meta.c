/*
 * meta.c - run, config, telemetry and environment records of a .wandb log.
 *
 * The first run record becomes the journal's run options (every option
 * is set explicitly, so that no WANDB_* variable of the importing process
 * leaks into an imported run).  Later run records change the name,
 * notes, group, job type and tags.  Telemetry and environment have no
 * record of their own in a journal yet: they are kept in the config under
 * "_wandb", where W&B's backend keeps them too ("_wandb.t" and
 * "_wandb.e.<writer id>").
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imp-int.h"

#define WANDB_KEY	"_wandb"

/* A Timestamp in microseconds since the epoch; 0 if unset. */
int64_t
imp_ts_us(const WbsWandb__Timestamp *ts)
{
	if (ts == NULL || (ts->seconds == 0 && ts->nanos == 0))
		return 0;
	if (ts->seconds < 0 || ts->seconds > INT64_MAX / 1000000 - 1)
		return 0;
	return ts->seconds * 1000000 + ts->nanos / 1000;
}

/* Set one option; a refused value fails the run with a clear message. */
static int
opt(struct imp *im, struct wbs_opts *opts, int o, const char *what,
    const char *v)
{
	if (wbs_opts_set(opts, o, v) == 0)
		return 0;
	snprintf(im->msg, sizeof(im->msg), "%s: %s: %s", im->name, what,
	    wbs_opts_errmsg(opts));
	return -1;
}

/* 1 if the tags survive WBS_OPT_TAGS's comma-separated form. */
static int
tags_plain(const WbsWandb__RunRecord *rr)
{
	for (size_t i = 0; i < rr->n_tags; i++) {
		const char *t = rr->tags[i];
		size_t n = strlen(t);

		if (n == 0 || strchr(t, ',') != NULL || t[0] == ' ' ||
		    t[n - 1] == ' ')
			return 0;
	}
	return 1;
}

/* Join the tags with sep into a malloc'ed string. */
static char *
tags_join(char *const *tags, size_t n, char sep)
{
	size_t	 len = 1;
	char	*s, *w;

	for (size_t i = 0; i < n; i++)
		len += strlen(tags[i]) + 1;
	if ((s = malloc(len)) == NULL)
		return NULL;
	w = s;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(tags[i]);

		if (i > 0)
			*w++ = sep;
		memcpy(w, tags[i], l);
		w += l;
	}
	*w = '\0';
	return s;
}

/* Fork or rewind point: "RUN?_step=N" into WBS_OPT_FORK/RESUME_FROM. */
static int
branch(struct imp *im, const WbsWandb__BranchPoint *bp, const char *id,
    struct wbs_opts *opts)
{
	char moment[512];

	if (bp == NULL || bp->run == NULL || bp->run[0] == '\0')
		return 0;
	if (strcmp(bp->metric, "_step") != 0 || !(bp->value >= 0) ||
	    bp->value > 9e18) {
		imp_notice(im, "branch point %s?%s=%g: only a _step at or "
		    "above 0 can be a fork or rewind point; ignored", bp->run,
		    bp->metric, bp->value);
		return 0;
	}
	snprintf(moment, sizeof(moment), "%s?_step=%" PRId64, bp->run,
	    (int64_t)bp->value);
	if (strcmp(bp->run, id) == 0)
		return opt(im, opts, WBS_OPT_RESUME_FROM, "rewind point",
		    moment);
	return opt(im, opts, WBS_OPT_FORK_FROM, "fork point", moment);
}

/* Options of a new journal from the first run record (rr may be NULL). */
int
imp_run_opts(struct imp *im, const WbsWandb__RunRecord *rr,
    const WbsWandb__EnvironmentRecord *env, struct wbs_opts *opts,
    const char *id)
{
	const char	*host = "", *program = "", *remote = "", *commit = "";
	char		 start[32];
	int		 rc;

#define S(f)	(rr != NULL && rr->f != NULL ? rr->f : "")
	if (env != NULL) {
		host = env->host;
		program = env->program;
		if (env->git != NULL) {
			remote = env->git->remote_url;
			commit = env->git->commit;
		}
	}
	if (rr != NULL && rr->host[0] != '\0')
		host = rr->host;
	if (rr != NULL && rr->git != NULL && (rr->git->remote_url[0] != '\0' ||
	    rr->git->commit[0] != '\0')) {
		remote = rr->git->remote_url;
		commit = rr->git->commit;
	}
	if (opt(im, opts, WBS_OPT_ID, "run id", id) != 0 ||
	    opt(im, opts, WBS_OPT_MODE, "mode", "offline") != 0 ||
	    opt(im, opts, WBS_OPT_ENTITY, "entity", S(entity)) != 0 ||
	    opt(im, opts, WBS_OPT_PROJECT, "project", S(project)[0] ?
	    S(project) : "uncategorized") != 0 ||
	    opt(im, opts, WBS_OPT_NAME, "name", S(display_name)) != 0 ||
	    opt(im, opts, WBS_OPT_NOTES, "notes", S(notes)) != 0 ||
	    opt(im, opts, WBS_OPT_GROUP, "group", S(run_group)) != 0 ||
	    opt(im, opts, WBS_OPT_JOB_TYPE, "job type", S(job_type)) != 0 ||
	    opt(im, opts, WBS_OPT_HOST, "host", host) != 0 ||
	    opt(im, opts, WBS_OPT_PROGRAM, "program", program) != 0 ||
	    opt(im, opts, WBS_OPT_GIT_REMOTE, "git remote", remote) != 0 ||
	    opt(im, opts, WBS_OPT_GIT_COMMIT, "git commit", commit) != 0 ||
	    opt(im, opts, WBS_OPT_SYNC_INTERVAL, "sync interval", "60000") != 0)
		return -1;
#undef S
	/* Tags with commas or edge spaces are set after opening. */
	if (rr != NULL && rr->n_tags > 0 && tags_plain(rr)) {
		char *t = tags_join(rr->tags, rr->n_tags, ',');

		if (t == NULL)
			return -1;
		rc = opt(im, opts, WBS_OPT_TAGS, "tags", t);
		free(t);
		if (rc != 0)
			return -1;
	} else if (opt(im, opts, WBS_OPT_TAGS, "tags", "") != 0)
		return -1;
	if (rr != NULL && rr->branch_point != NULL &&
	    rr->branch_point->run[0] != '\0') {
		if (opt(im, opts, WBS_OPT_RESUME, "resume", "false") != 0 ||
		    branch(im, rr->branch_point, id, opts) != 0)
			return -1;
	} else if (opt(im, opts, WBS_OPT_RESUME, "resume", rr != NULL &&
	    rr->resumed ? "allow" : "false") != 0)
		return -1;
	if (im->start_us > 0) {
		snprintf(start, sizeof(start), "%" PRId64, im->start_us);
		if (opt(im, opts, WBS_OPT_START_TIME, "start time", start) != 0)
			return -1;
	}
	if (rr != NULL && rr->config != NULL && rr->config->n_update > 0) {
		if (imp_config_items(im, rr->config->n_update,
		    (void *const *)rr->config->update, &im->it) != 0)
			return -1;
		im->config0 = im->it.n > 0;
		if (im->it.n > 0 && wbs_opts_config(opts, im->it.v,
		    im->it.n) != 0) {
			snprintf(im->msg, sizeof(im->msg), "%s: initial config: "
			    "%s", im->name, wbs_opts_errmsg(opts));
			return -1;
		}
	}
	return 0;
}

/*
 * Config items into out (replacing its content): objects merge as
 * subtrees, except below "_wandb", whose members keep W&B's own JSON
 * values (so "_wandb.t" and "_wandb.e" can be added beside them).
 * Unusable items are counted and skipped.  0, or -1 out of memory.
 */
int
imp_config_items(struct imp *im, size_t n, void *const *items,
    struct imp_items *out)
{
	out->n = 0;
	if (imp_kv_load(im, n, items) != 0 || imp_kv_regroup(im) != 0)
		return -1;
	for (size_t i = 0; i < im->nkv; i++) {
		const struct imp_kv	*kv = &im->kv[i];
		const char		*path = imp_kv_path(im, kv);
		unsigned		 flags = XJ_FLAT;

		if (path == NULL) {
			im->ir->dropped++;
			imp_notice(im, "record %" PRIu64 ": config key \"%.60s\" "
			    "cannot be a key; dropped", im->recno,
			    kv->key != NULL ? kv->key : "");
			continue;
		}
		/* W&B's own "_wandb" values stay its JSON, one per member. */
		if (strcmp(path, WANDB_KEY) == 0)
			flags = XJ_FLAT | XJ_ONE;
		else if (strncmp(path, WANDB_KEY WBS_SEP, 7) == 0)
			flags = 0;
		if (xj_items(kv->json, kv->jsonlen, path, flags, out,
		    &im->a) != 0) {
			im->ir->dropped++;
			imp_notice(im, "record %" PRIu64 ": config \"%.60s\": "
			    "value is not valid JSON; dropped", im->recno, path);
		}
	}
	return 0;
}

/* A bool-only message (raw) as the list of its set field numbers. */
static void
bool_fields(struct imp_str *s, const ProtobufCBinaryData *b, int map)
{
	const uint8_t	*p = b->data, *end = b->data + b->len;
	int		 first = 1;

	imp_str_add(s, map ? "{" : "[", 1);
	while (p < end) {
		uint64_t	key = 0, v = 0;
		int		shift = 0;

		while (p < end && shift < 64) {
			key |= (uint64_t)(*p & 0x7f) << shift;
			shift += 7;
			if (!(*p++ & 0x80))
				break;
		}
		if ((key & 7) == 0) {
			shift = 0;
			while (p < end && shift < 64) {
				v |= (uint64_t)(*p & 0x7f) << shift;
				shift += 7;
				if (!(*p++ & 0x80))
					break;
			}
			if (v != 0 && !map) {
				char num[24];

				snprintf(num, sizeof(num), "%s%" PRIu64,
				    first ? "" : ",", key >> 3);
				imp_str_adds(s, num);
				first = 0;
			}
		} else if ((key & 7) == 2) {
			uint64_t	len = 0;
			char		num[32];

			shift = 0;
			while (p < end && shift < 64) {
				len |= (uint64_t)(*p & 0x7f) << shift;
				shift += 7;
				if (!(*p++ & 0x80))
					break;
			}
			if (len > (uint64_t)(end - p))
				break;
			if (map && imp_utf8((const char *)p, len)) {
				snprintf(num, sizeof(num), "%s\"%" PRIu64 "\":",
				    first ? "" : ",", key >> 3);
				imp_str_adds(s, num);
				imp_str_json(s, (const char *)p, len);
				first = 0;
			}
			p += len;
		} else if ((key & 7) == 1)
			p += end - p < 8 ? end - p : 8;
		else if ((key & 7) == 5)
			p += end - p < 4 ? end - p : 4;
		else
			break;
	}
	imp_str_add(s, map ? "}" : "]", 1);
}

/* One "NUM": string member if the string is set. */
static void
str_field(struct imp_str *s, const char *num, const char *v)
{
	if (v == NULL || v[0] == '\0' || !imp_utf8(v, strlen(v)))
		return;
	if (s->len > 1)
		imp_str_add(s, ",", 1);
	imp_str_json(s, num, strlen(num));
	imp_str_add(s, ":", 1);
	imp_str_json(s, v, strlen(v));
}

/* One "NUM": [...] or {...} member from a raw sub-message. */
static void
raw_field(struct imp_str *s, const char *num, const ProtobufCBinaryData *b,
    int map)
{
	if (b->len == 0)
		return;
	if (s->len > 1)
		imp_str_add(s, ",", 1);
	imp_str_json(s, num, strlen(num));
	imp_str_add(s, ":", 1);
	bool_fields(s, b, map);
}

/* Write config items under "_wandb" at the current time. */
static int
wandb_config(struct imp *im, const struct wbs_item *items, size_t n)
{
	imp_clock(im);
	if (imp_check(im, wbs_run_config(im->run, items, n), "config") != 0)
		return -1;
	return 0;
}

/*
 * Telemetry as W&B's backend keeps it: "_wandb.t" by field number, plus
 * "_wandb.cli_version" and "_wandb.python_version".  Written when it
 * changed.  0, or -1 on a fatal writer error.
 */
int
imp_telemetry(struct imp *im, const WbsWandb__TelemetryRecord *t)
{
	struct imp_str	 s = { 0 };
	struct wbs_item	 items[3];
	size_t		 n = 0;
	int		 rc = 0;

	imp_str_add(&s, "{", 1);
	raw_field(&s, "1", &t->imports_init, 0);
	raw_field(&s, "2", &t->imports_finish, 0);
	raw_field(&s, "3", &t->feature, 0);
	str_field(&s, "4", t->python_version);
	str_field(&s, "5", t->cli_version);
	str_field(&s, "6", t->huggingface_version);
	raw_field(&s, "8", &t->env, 0);
	raw_field(&s, "9", &t->label, 1);
	raw_field(&s, "10", &t->deprecated, 0);
	str_field(&s, "12", t->core_version);
	str_field(&s, "13", t->platform);
	imp_str_add(&s, "}", 1);
	if (s.cap == SIZE_MAX) {
		imp_str_release(&s);
		return -1;
	}
	if (im->telemetry != NULL && strcmp(im->telemetry, s.p) == 0) {
		imp_str_release(&s);
		return 0;
	}
	items[n++] = (struct wbs_item){ WANDB_KEY WBS_SEP "t",
	    { .type = WBS_JSON, .u.s = { s.p, s.len } } };
	if (t->cli_version[0] != '\0' &&
	    imp_utf8(t->cli_version, strlen(t->cli_version)))
		items[n++] = (struct wbs_item){ WANDB_KEY WBS_SEP "cli_version",
		    { .type = WBS_STRING, .u.s = { t->cli_version,
		    strlen(t->cli_version) } } };
	if (t->python_version[0] != '\0' &&
	    imp_utf8(t->python_version, strlen(t->python_version)))
		items[n++] = (struct wbs_item){
		    WANDB_KEY WBS_SEP "python_version", { .type = WBS_STRING,
		    .u.s = { t->python_version, strlen(t->python_version) } } };
	if (wandb_config(im, items, n) != 0)
		rc = -1;
	free(im->telemetry);
	im->telemetry = s.p;		/* kept for comparison */
	return rc;
}

/* Add "name": "value" to an environment object if value is set. */
static void
env_str(struct imp_str *s, const char *name, const char *v)
{
	if (v == NULL || v[0] == '\0' || !imp_utf8(v, strlen(v)))
		return;
	if (s->len > 1)
		imp_str_add(s, ",", 1);
	imp_str_json(s, name, strlen(name));
	imp_str_add(s, ":", 1);
	imp_str_json(s, v, strlen(v));
}

static void
env_num(struct imp_str *s, const char *name, uint32_t v)
{
	char num[16];

	if (v == 0)
		return;
	if (s->len > 1)
		imp_str_add(s, ",", 1);
	imp_str_json(s, name, strlen(name));
	snprintf(num, sizeof(num), ":%u", v);
	imp_str_adds(s, num);
}

/* The fields of an environment record this reader knows, as JSON. */
static void
env_json(struct imp_str *s, const WbsWandb__EnvironmentRecord *e)
{
	int64_t	us = imp_ts_us(e->started_at);

	imp_str_add(s, "{", 1);
	env_str(s, "os", e->os);
	env_str(s, "python", e->python);
	if (us > 0) {
		char		when[64];
		time_t		t = (time_t)(us / 1000000);
		struct tm	tm;

		gmtime_r(&t, &tm);
		strftime(when, 32, "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(when + strlen(when), 32, ".%06dZ",
		    (int)(us % 1000000));
		env_str(s, "startedAt", when);
	}
	env_str(s, "docker", e->docker);
	if (e->n_args > 0) {
		if (s->len > 1)
			imp_str_add(s, ",", 1);
		imp_str_adds(s, "\"args\":[");
		for (size_t i = 0, k = 0; i < e->n_args; i++) {
			if (!imp_utf8(e->args[i], strlen(e->args[i])))
				continue;
			if (k++ > 0)
				imp_str_add(s, ",", 1);
			imp_str_json(s, e->args[i], strlen(e->args[i]));
		}
		imp_str_add(s, "]", 1);
	}
	env_str(s, "program", e->program);
	env_str(s, "codePath", e->code_path);
	env_str(s, "codePathLocal", e->code_path_local);
	if (e->git != NULL && (e->git->remote_url[0] || e->git->commit[0])) {
		struct imp_str g = { 0 };

		imp_str_add(&g, "{", 1);
		env_str(&g, "remote", e->git->remote_url);
		env_str(&g, "commit", e->git->commit);
		imp_str_add(&g, "}", 1);
		if (s->len > 1)
			imp_str_add(s, ",", 1);
		imp_str_adds(s, "\"git\":");
		if (g.p != NULL)
			imp_str_add(s, g.p, g.len);
		imp_str_release(&g);
	}
	env_str(s, "email", e->email);
	env_str(s, "root", e->root);
	env_str(s, "host", e->host);
	env_str(s, "username", e->username);
	env_str(s, "executable", e->executable);
	env_str(s, "colab", e->colab);
	env_num(s, "cpu_count", e->cpu_count);
	env_num(s, "cpu_count_logical", e->cpu_count_logical);
	env_str(s, "gpu", e->gpu_type);
	env_num(s, "gpu_count", e->gpu_count);
	env_str(s, "cuda_version", e->cuda_version);
	if (e->n_slurm > 0) {
		if (s->len > 1)
			imp_str_add(s, ",", 1);
		imp_str_adds(s, "\"slurm\":{");
		for (size_t i = 0, k = 0; i < e->n_slurm; i++) {
			const char *kk = e->slurm[i]->key, *vv = e->slurm[i]->value;

			if (!imp_utf8(kk, strlen(kk)) || !imp_utf8(vv, strlen(vv)))
				continue;
			if (k++ > 0)
				imp_str_add(s, ",", 1);
			imp_str_json(s, kk, strlen(kk));
			imp_str_add(s, ":", 1);
			imp_str_json(s, vv, strlen(vv));
		}
		imp_str_add(s, "}", 1);
	}
	imp_str_add(s, "}", 1);
}

/*
 * An environment record: "_wandb.e.<writer id>" in the config, as W&B's
 * backend has it (a journal's own environment record is not writable
 * through the public API yet).  0, or -1 on a fatal writer error.
 */
int
imp_environment(struct imp *im, const WbsWandb__EnvironmentRecord *e)
{
	struct imp_str	 s = { 0 };
	struct wbs_item	 item;
	char		 key[WBS_KEY_MAX + 1];
	const char	*wid = e->writer_id;
	int		 rc;

	if (!imp_component(wid, strlen(wid)) || !imp_utf8(wid, strlen(wid)) ||
	    strlen(wid) > 200)
		wid = "0";
	snprintf(key, sizeof(key), "%s" WBS_SEP "e" WBS_SEP "%s", WANDB_KEY,
	    wid);
	env_json(&s, e);
	if (s.cap == SIZE_MAX || s.p == NULL) {
		imp_str_release(&s);
		return -1;
	}
	item.key = key;
	item.v.type = WBS_JSON;
	item.v.u.s.ptr = s.p;
	item.v.u.s.len = s.len;
	rc = wandb_config(im, &item, 1);
	imp_str_release(&s);
	return rc;
}

/* Replace *cur with a copy of v; 1 if it changed. */
static int
changed(char **cur, const char *v)
{
	char *c;

	if (*cur != NULL && strcmp(*cur, v) == 0)
		return 0;
	if ((c = strdup(v)) == NULL)
		return -1;
	free(*cur);
	*cur = c;
	return 1;
}

/* Set one attribute if the record gives a new non-empty value. */
static int
update_field(struct imp *im, char **cur, const char *v, int field,
    const char *what)
{
	int c;

	if (v == NULL || v[0] == '\0')
		return 0;
	if ((c = changed(cur, v)) < 0)
		return -1;
	if (c == 0 || im->run == NULL)
		return 0;
	imp_clock(im);
	return imp_check(im, wbs_run_set(im->run, field, v), what);
}

/*
 * A run record: remember the attributes of the first one (written with
 * the run), write the changes a later one brings (W&B takes its non-empty
 * values and ignores its config).  0, or -1 on a fatal writer error.
 */
int
imp_run_update(struct imp *im, const WbsWandb__RunRecord *rr)
{
	char	*tags;
	int	 c;

	if (update_field(im, &im->name_v, rr->display_name, WBS_FIELD_NAME,
	    "name") != 0 ||
	    update_field(im, &im->notes_v, rr->notes, WBS_FIELD_NOTES,
	    "notes") != 0 ||
	    update_field(im, &im->group_v, rr->run_group, WBS_FIELD_GROUP,
	    "group") != 0 ||
	    update_field(im, &im->job_v, rr->job_type, WBS_FIELD_JOB_TYPE,
	    "job type") != 0)
		return -1;
	if (rr->n_tags == 0)
		return 0;
	if ((tags = tags_join(rr->tags, rr->n_tags, '\n')) == NULL)
		return -1;
	c = changed(&im->tags_v, tags);
	free(tags);
	if (c < 0)
		return -1;
	if (c == 0 || im->run == NULL)
		return 0;
	imp_clock(im);
	return imp_check(im, wbs_run_set_tags(im->run,
	    (const char *const *)rr->tags, rr->n_tags), "tags");
}

/*
 * A new journal was opened from rr: remember its attributes, and set the
 * tags that WBS_OPT_TAGS could not carry.  0, or -1 on a fatal error.
 */
int
imp_run_opened(struct imp *im, const WbsWandb__RunRecord *rr)
{
	struct wbs_run	*run = im->run;
	int		 rc;

	im->run = NULL;			/* remember only */
	rc = imp_run_update(im, rr);
	im->run = run;
	if (rc != 0) {
		snprintf(im->msg, sizeof(im->msg), "out of memory");
		return -1;
	}
	if (rr->n_tags == 0 || tags_plain(rr))
		return 0;
	imp_clock(im);
	return imp_check(im, wbs_run_set_tags(run, (const char *const *)rr->tags,
	    rr->n_tags), "tags");
}

void
imp_meta_release(struct imp *im)
{
	free(im->name_v);
	free(im->notes_v);
	free(im->group_v);
	free(im->job_v);
	free(im->tags_v);
	free(im->telemetry);
	im->name_v = im->notes_v = im->group_v = im->job_v = NULL;
	im->tags_v = im->telemetry = NULL;
}
