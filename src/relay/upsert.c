/*
 * upsert.c - UpsertBucket: create a run, or update one.
 *
 * A null (or absent) variable leaves its field unchanged.  The config
 * arrives whole in W&B's backend form {key: {"value": v}} and is applied
 * as a difference (ingest_config).  A new run whose config names another
 * run in _wandb.branch_point is a fork: it is created with fork_from and
 * seeded with the parent's history up to the branch step (branch.c).
 * Name, notes, group, job type and tags are updated with wbs_run_set and
 * wbs_run_set_tags; host, program, repo and commit with a new writer
 * session, which records the run's attributes again.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "relay-int.h"

struct upvars {
	const char	*id;
	const char	*name;
	const char	*project;
	const char	*entity;
	const char	*config;
	const char	*summary;
	const char	*field[4];	/* displayName, notes, groupName, jobType */
	const char	*attr[4];	/* host, program, repo, commit */
	json_t		*tags;
};

static const char *const field_var[4] = { "displayName", "notes",
	"groupName", "jobType" };
static const int field_id[4] = { WBS_FIELD_NAME, WBS_FIELD_NOTES,
	WBS_FIELD_GROUP, WBS_FIELD_JOB_TYPE };
static const int field_opt[4] = { WBS_OPT_NAME, WBS_OPT_NOTES,
	WBS_OPT_GROUP, WBS_OPT_JOB_TYPE };
static const char *const attr_var[4] = { "host", "program", "repo",
	"commit" };
static const int attr_opt[4] = { WBS_OPT_HOST, WBS_OPT_PROGRAM,
	WBS_OPT_GIT_REMOTE, WBS_OPT_GIT_COMMIT };

/* Read and type-check the variables. */
static int
get_vars(json_t *vars, struct upvars *u, struct reply *rp)
{
	static const char *const ignored[] = { "description", "state",
	    "sweep" };
	json_t	*v, *e;
	size_t	 i;
	const char *dummy;

	memset(u, 0, sizeof(*u));
	if (gql_var_str(vars, "id", &u->id, rp) != 0 ||
	    gql_var_str(vars, "name", &u->name, rp) != 0 ||
	    gql_var_str(vars, "project", &u->project, rp) != 0 ||
	    gql_var_str(vars, "entity", &u->entity, rp) != 0 ||
	    gql_var_str(vars, "config", &u->config, rp) != 0 ||
	    gql_var_str(vars, "summaryMetrics", &u->summary, rp) != 0)
		return -1;
	for (i = 0; i < 4; i++)
		if (gql_var_str(vars, field_var[i], &u->field[i], rp) != 0 ||
		    gql_var_str(vars, attr_var[i], &u->attr[i], rp) != 0)
			return -1;
	for (i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		if (gql_var_str(vars, ignored[i], &dummy, rp) != 0)
			return -1;
	v = json_object_get(vars, "debug");
	if (v != NULL && !json_is_null(v) && !json_is_boolean(v)) {
		reply_gql_error(rp, 400, "variable $debug must be a boolean");
		return -1;
	}
	v = json_object_get(vars, "tags");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_array(v)) {
			reply_gql_error(rp, 400, "variable $tags must be a list "
			    "of strings");
			return -1;
		}
		json_array_foreach(v, i, e)
			if (!json_is_string(e)) {
				reply_gql_error(rp, 400, "variable $tags[%zu] "
				    "must be a string", i);
				return -1;
			}
		u->tags = v;
	}
	if (u->entity != NULL && (strlen(u->entity) > 128 ||
	    strpbrk(u->entity, "/\\#?%:") != NULL || (u->entity[0] != '\0' &&
	    !jscan_utf8_valid(u->entity, strlen(u->entity))))) {
		reply_gql_error(rp, 400, "entity \"%.80s\" is not a valid name",
		    u->entity);
		return -1;
	}
	return 0;
}

/* Chars (code points) of a UTF-8 string. */
static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/*
 * Check everything the writes below could refuse before any is made, so
 * that a refused UpsertBucket changes nothing: the config and summary
 * documents, the lengths of the fields and the tags.
 */
static int
check_vars(struct relay *r, const struct upvars *u, struct reply *rp)
{
	struct conv	c;
	size_t		n0 = r->iv.n, len;
	json_t		*e;

	memset(&c, 0, sizeof(c));
	c.ar = &r->ar;
	c.iv = &r->iv;
	c.kind = CONV_CONFIG;
	if (u->config != NULL && conv_config(&c, arena_strndup(&r->ar,
	    u->config, strlen(u->config)), strlen(u->config)) != 0) {
		reply_gql_error(rp, 400, "config: %s", c.err);
		return -1;
	}
	c.kind = CONV_SUMMARY;
	if (u->summary != NULL && conv_line(&c, arena_strndup(&r->ar,
	    u->summary, strlen(u->summary)), strlen(u->summary)) != 0) {
		reply_gql_error(rp, 400, "summaryMetrics: wandb-summary.json: "
		    "%s", c.err);
		return -1;
	}
	r->iv.n = n0;
	for (int i = 0; i < 4; i++)
		if (u->field[i] != NULL && (len = strlen(u->field[i])) >
		    (64u << 10)) {
			reply_gql_error(rp, 400, "variable $%s is %zu bytes, "
			    "over the limit of %u", field_var[i], len,
			    64u << 10);
			return -1;
		}
	for (size_t i = 0; u->tags != NULL && i < json_array_size(u->tags);
	    i++) {
		e = json_array_get(u->tags, i);
		len = utf8_chars(json_string_value(e));
		if (len < 1 || len > 64) {
			reply_gql_error(rp, 400, "variable $tags[%zu] \"%.70s\" "
			    "has %zu characters; tags have 1 to 64", i,
			    json_string_value(e), len);
			return -1;
		}
	}
	return 0;
}

/* _wandb.branch_point {run_id, step} of a backend-form config; 1 if any. */
static int
branch_point(const char *cfg, char *run, size_t rlen, int64_t *step)
{
	static const char *const path[] = { "_wandb", "value",
	    "branch_point" };
	struct jscan	js;
	struct jstr	k, s;
	struct jnum	num;
	size_t		n;
	int		found = 0, have_step = 0;

	jscan_init(&js, cfg, strlen(cfg));
	for (int lvl = 0; lvl < 3; lvl++) {
		if (jscan_open(&js, '{') < 0)
			return 0;
		for (n = 0;;) {
			if (jscan_member(&js, &n, &k) != 1)
				return 0;
			if (jscan_streq(&k, path[lvl]))
				break;
			if (jscan_skip(&js) < 0)
				return 0;
		}
	}
	if (jscan_open(&js, '{') < 0)
		return 0;
	for (n = 0; jscan_member(&js, &n, &k) == 1;) {
		if (jscan_streq(&k, "run_id") && jscan_peek(&js) == JK_STRING &&
		    jscan_string(&js, &s) == 0 && s.len < rlen) {
			s.len = jscan_unescape(s.p, s.len, run);
			run[s.len] = '\0';
			found = 1;
		} else if (jscan_streq(&k, "step") && jscan_peek(&js) ==
		    JK_NUMBER && jscan_number(&js, &num) == 0) {
			*step = num.isint ? num.i : (int64_t)num.d;
			have_step = *step >= 0;
		} else if (jscan_skip(&js) < 0)
			return 0;
	}
	return found && have_step && run[0] != '\0';
}

/* The tags variable as one comma-separated option; -1 if commas inside. */
static int
tags_opt(json_t *tags, struct buf *b)
{
	size_t	 i;
	json_t	*e;

	json_array_foreach(tags, i, e) {
		if (strchr(json_string_value(e), ',') != NULL)
			return -1;
		buf_printf(b, "%s%s", i ? "," : "", json_string_value(e));
	}
	buf_cstr(b);
	return 0;
}

/* Set the tags through the writer. */
static int
set_tags(struct store *s, struct rrun *rr, json_t *tags, char *err,
    size_t errlen)
{
	const char	**v;
	size_t		  i, n = json_array_size(tags);
	json_t		 *e;
	int		  rc = 0;

	if (store_writer(s, rr, err, errlen) != 0)
		return -1;
	if ((v = calloc(n + 1, sizeof(*v))) == NULL)
		fatalx("out of memory");
	json_array_foreach(tags, i, e)
		v[i] = json_string_value(e);
	if (wbs_run_set_tags(rr->w, v, n) != 0) {
		snprintf(err, errlen, "tags: %s", wbs_run_errmsg(rr->w));
		rc = -1;
	} else
		rr->seq++;
	free(v);
	return rc;
}

/* Seed a new fork from its parent (if the store has the parent). */
static int
seed_fork(struct relay *r, struct rrun *rr, const char *parent, int64_t step,
    char *err, size_t errlen)
{
	struct rrun	*p = store_find(r->store, parent);
	uint64_t	 rows = 0;

	if (p == NULL) {
		log_warnx("run %s forks from %s, which this relay does not "
		    "have: not seeded", rr->id, parent);
		return 0;
	}
	if (branch_seed(r->store, p, rr->w, step, &rows, err, errlen) != 0)
		return -1;
	rr->hist += rows;
	rr->seq += rows;
	if (rows > 0)
		rr->hist_seq = rr->seq;
	rr->dirty = 1;
	log_info("run %s forked from %s at step %" PRId64 ": %" PRIu64
	    " history lines seeded", rr->id, parent, step, rows);
	return 0;
}

/* Options of a new run from the variables. */
static int
new_run_opts(struct relay *r, const struct upvars *u, const char *id,
    const char *project, struct wbs_opts **op, char *parent, size_t plen,
    int64_t *step, char *err, size_t errlen)
{
	struct wbs_opts	*o;
	struct buf	 b;
	size_t		 first = r->iv.n;
	int		 rc = 0;

	if (store_opts(r->store, &o, id, project, u->entity, err, errlen) != 0)
		return -1;
	buf_init(&b);
	for (int i = 0; i < 4 && rc == 0; i++) {
		if (u->field[i] != NULL)
			rc = wbs_opts_set(o, field_opt[i], u->field[i]);
		if (rc == 0 && u->attr[i] != NULL)
			rc = wbs_opts_set(o, attr_opt[i], u->attr[i]);
	}
	if (rc == 0 && u->tags != NULL && tags_opt(u->tags, &b) == 0)
		rc = wbs_opts_set(o, WBS_OPT_TAGS, b.p);
	if (rc == 0 && u->config != NULL && branch_point(u->config, parent,
	    plen, step) && strcmp(parent, id) != 0) {
		buf_reset(&b);
		buf_printf(&b, "%s?_step=%" PRId64, parent, *step);
		if ((rc = wbs_opts_set(o, WBS_OPT_RESUME, "false")) == 0)
			rc = wbs_opts_set(o, WBS_OPT_FORK_FROM, b.p);
	} else
		parent[0] = '\0';
	if (rc != 0)
		snprintf(err, errlen, "%s", wbs_opts_errmsg(o));
	buf_release(&b);
	if (rc == 0 && u->config != NULL) {
		struct conv c = { &r->ar, &r->iv, CONV_CONFIG, 0, 0, 0, "" };

		if (conv_config(&c, arena_strndup(&r->ar, u->config,
		    strlen(u->config)), strlen(u->config)) != 0) {
			snprintf(err, errlen, "config: %s", c.err);
			rc = -1;
		} else if (wbs_opts_config(o, &r->iv.v[first], r->iv.n -
		    first) != 0) {
			snprintf(err, errlen, "config: %s", wbs_opts_errmsg(o));
			rc = -1;
		}
	}
	if (rc != 0) {
		wbs_opts_free(o);
		return -1;
	}
	*op = o;
	return 0;
}

/* Create the run from the variables. */
static struct rrun *
create_run(struct relay *r, const struct upvars *u, const char *id,
    const char *project, struct reply *rp)
{
	struct wbs_opts	*o;
	struct rrun	*rr;
	struct buf	 b;
	char		 err[RELAY_ERR], parent[256];
	int64_t		 step = 0;
	size_t		 first = r->iv.n;

	if (new_run_opts(r, u, id, project, &o, parent, sizeof(parent), &step,
	    err, sizeof(err)) != 0) {
		reply_gql_error(rp, 400, "%s", err);
		return NULL;
	}
	if (store_create(r->store, id, o, &rr, err, sizeof(err)) != 0) {
		wbs_opts_free(o);
		reply_gql_error(rp, 500, "creating run %s: %s", id, err);
		return NULL;
	}
	wbs_opts_free(o);
	rr->used = ev_now(r->loop);
	if (u->config != NULL) {
		rr->config = tree_new();
		for (size_t i = first; i < r->iv.n; i++)
			tree_set(rr->config, r->iv.v[i].key, &r->iv.v[i].v);
		rr->cfg_hash = hash64(u->config, strlen(u->config),
		    HASH64_INIT) | 1;
	}
	buf_init(&b);
	if (u->tags != NULL && tags_opt(u->tags, &b) != 0 &&
	    set_tags(r->store, rr, u->tags, err, sizeof(err)) != 0) {
		buf_release(&b);
		reply_gql_error(rp, 400, "%s", err);
		return NULL;
	}
	buf_release(&b);
	if (parent[0] != '\0' && seed_fork(r, rr, parent, step, err,
	    sizeof(err)) != 0) {
		reply_gql_error(rp, 500, "%s", err);
		return NULL;
	}
	log_info("run %s created in %s/%s", id, store_entity(r->store, rr),
	    project);
	return rr;
}

static int
differs(const char *given, const char *stored)
{
	return given != NULL && strcmp(given, stored ? stored : "") != 0;
}

/* Update an existing run from the variables. */
static int
update_run(struct relay *r, const struct upvars *u, struct rrun *rr,
    struct reply *rp)
{
	const struct wbs_run_info	*ri;
	const char			*stored[4];
	int				 fchange[4] = { 0 }, tchange = 0;
	char				 err[RELAY_ERR];

	if (wbs_journal_info(rr->j, &ri) != 0) {
		reply_gql_error(rp, 500, "run %s: %s", rr->id,
		    wbs_journal_errmsg(rr->j));
		return -1;
	}
	stored[0] = ri->name;
	stored[1] = ri->notes;
	stored[2] = ri->group;
	stored[3] = ri->job_type;
	for (int i = 0; i < 4; i++)
		fchange[i] = differs(u->field[i], stored[i]);
	if (u->tags != NULL) {
		tchange = json_array_size(u->tags) != ri->ntags;
		for (size_t i = 0; !tchange && i < ri->ntags; i++)
			tchange = strcmp(json_string_value(json_array_get(
			    u->tags, i)), ri->tags[i]) != 0;
	}
	stored[0] = ri->host;
	stored[1] = ri->program;
	stored[2] = ri->git_remote;
	stored[3] = ri->git_commit;
	for (int i = 0; i < 4; i++)
		if (differs(u->attr[i], stored[i])) {
			free(rr->reopen_attr[i]);
			if ((rr->reopen_attr[i] = strdup(u->attr[i])) == NULL)
				fatalx("out of memory");
			rr->reopen = 1;
		}
	/* ri is invalid from here on: the handles may be reopened. */
	if (rr->reopen && store_writer(r->store, rr, err, sizeof(err)) != 0)
		goto fail;
	for (int i = 0; i < 4; i++) {
		if (!fchange[i])
			continue;
		if (store_writer(r->store, rr, err, sizeof(err)) != 0)
			goto fail;
		if (wbs_run_set(rr->w, field_id[i], u->field[i]) != 0) {
			snprintf(err, sizeof(err), "%s: %s", field_var[i],
			    wbs_run_errmsg(rr->w));
			goto fail;
		}
		rr->seq++;
	}
	if (tchange && set_tags(r->store, rr, u->tags, err, sizeof(err)) != 0)
		goto fail;
	if (u->config != NULL && ingest_config(r->store, rr, &r->ar, &r->iv,
	    u->config, strlen(u->config), err, sizeof(err)) != 0)
		goto fail;
	rr->dirty = 1;
	return 0;
fail:
	reply_gql_error(rp, 400, "updating run %s: %s", rr->id, err);
	return -1;
}

/* The bucket object of an UpsertBucket or RewindRun answer. */
json_t *
upsert_bucket_json(struct relay *r, struct rrun *rr)
{
	const struct wbs_run_info	*ri;
	const char			*entity = store_entity(r->store, rr);
	struct buf			 sid, cfg, id;
	json_t				*b;

	if (ingest_config_load(r->store, rr) != 0 ||
	    wbs_journal_info(rr->j, &ri) != 0)
		return NULL;
	buf_init(&sid);
	buf_init(&cfg);
	buf_init(&id);
	store_storage_id(rr, &sid);
	view_config(rr, &cfg);
	buf_printf(&id, "%s/%s", entity, rr->project);
	b = json_pack("{s:o,s:s,s:o,s:n,s:o,s:n,s:{s:o,s:s,s:{s:o,s:s}},"
	    "s:I}", "id", gql_strn(sid.p, sid.len), "name", rr->id,
	    "displayName", gql_str(ri->name), "description", "config",
	    gql_strn(cfg.p, cfg.len), "sweepName", "project", "id",
	    gql_node_id("Project", buf_cstr(&id)), "name", rr->project,
	    "entity", "id", gql_node_id("Entity", entity), "name", entity,
	    "historyLineCount",
	    (json_int_t)rr->hist);
	buf_release(&sid);
	buf_release(&cfg);
	buf_release(&id);
	return b;
}

/* UpsertBucket. */
int
upsert_handle(struct relay *r, json_t *vars, json_t *data, struct reply *rp)
{
	struct upvars	 u;
	struct rrun	*rr;
	const char	*id, *project;
	char		 idbuf[256], err[RELAY_ERR];
	json_t		*bucket;
	int		 inserted = 0;

	if (get_vars(vars, &u, rp) != 0 || check_vars(r, &u, rp) != 0)
		return -1;
	if ((id = u.name) == NULL && u.id != NULL) {
		if (store_parse_storage_id(u.id, idbuf, sizeof(idbuf)) != 0) {
			reply_gql_error(rp, 400, "variable $id \"%.80s\" is "
			    "not a run of this relay", u.id);
			return -1;
		}
		id = idbuf;
	}
	if (id == NULL) {
		store_random_hex(idbuf);
		idbuf[8] = '\0';
		id = idbuf;
	}
	if (wbs_check_run_id(id, err, sizeof(err)) != 0) {
		reply_gql_error(rp, 400, "%s", err);
		return -1;
	}
	if ((rr = store_find(r->store, id)) != NULL) {
		if (store_load(r->store, rr, err, sizeof(err)) != 0) {
			reply_gql_error(rp, 500, "%s", err);
			return -1;
		}
		rr->used = ev_now(r->loop);
	}
	project = u.project ? u.project : rr ? rr->project : "uncategorized";
	if (wbs_check_project(project, err, sizeof(err)) != 0) {
		reply_gql_error(rp, 400, "%s", err);
		return -1;
	}
	if (rr != NULL && !store_match(r->store, rr, u.entity, project)) {
		reply_gql_error(rp, 400, "run id %s is already used by %s/%s "
		    "in this relay", id, store_entity(r->store, rr),
		    rr->project);
		return -1;
	}
	if (rr == NULL) {
		if ((rr = create_run(r, &u, id, project, rp)) == NULL)
			return -1;
		inserted = 1;
	} else if (update_run(r, &u, rr, rp) != 0)
		return -1;
	if (u.summary != NULL && ingest_summary_text(r->store, rr, &r->ar,
	    &r->iv, u.summary, strlen(u.summary), err, sizeof(err)) != 0) {
		reply_gql_error(rp, 400, "summaryMetrics: %s", err);
		return -1;
	}
	if ((bucket = upsert_bucket_json(r, rr)) == NULL) {
		reply_gql_error(rp, 500, "run %s: reading it back: %s", id,
		    rr->j ? wbs_journal_errmsg(rr->j) : "not loaded");
		return -1;
	}
	json_object_set_new(data, "upsertBucket", json_pack("{s:o,s:b,s:{s:[]}}",
	    "bucket", bucket, "inserted", inserted, "serverSettings",
	    "serverMessages"));
	return 0;
}
