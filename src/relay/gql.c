/*
 * gql.c - POST /graphql: the operations W&B clients send to create and
 * log a run, dispatched on the operation name (operationName, else the
 * name in the document).  The relay has no GraphQL engine: each
 * operation it knows answers with every field the official clients read.
 *
 * Errors: a body that is not a GraphQL request, a variable of the wrong
 * type and an operation the relay does not know all get HTTP 400 with
 * {"errors": [{"message": ...}]} naming the problem.  Both official
 * clients treat 400 as final (the Go client's retry policy and the
 * Python client's no_retry_auth never retry it) and both show the
 * message from errors[].message, whereas a 200 with errors relies on
 * each client's GraphQL layer and may be retried by the Python one.
 */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "relay-int.h"
#include "upload.h"

struct gctx {
	struct relay	*r;
	json_t		*vars;
	const char	*query;
	const char	*host;
	struct reply	*rp;
	json_t		*data;
};

typedef int gql_fn(struct gctx *g);

/* ---- helpers ---- */

/* A JSON string of [p, p + n) (or null if it is not valid UTF-8). */
json_t *
gql_strn(const char *p, size_t n)
{
	json_t *s = p != NULL ? json_stringn(p, n) : NULL;

	return s != NULL ? s : json_null();
}

/* A JSON string or null. */
json_t *
gql_str(const char *s)
{
	return s != NULL ? gql_strn(s, strlen(s)) : json_null();
}

static const char *
type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

/* A string variable: *out is NULL if absent or null; -1 if not a string. */
int
gql_var_str(json_t *vars, const char *name, const char **out,
    struct reply *rp)
{
	json_t *v = json_object_get(vars, name);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		reply_gql_error(rp, 400, "variable $%s must be a string, not "
		    "%s", name, type_name(v));
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

/* A required string variable. */
static int
var_req(struct gctx *g, const char *name, const char **out)
{
	if (gql_var_str(g->vars, name, out, g->rp) != 0)
		return -1;
	if (*out == NULL) {
		reply_gql_error(g->rp, 400, "variable $%s is required", name);
		return -1;
	}
	return 0;
}

/* An array-of-strings variable (NULL if absent or null). */
static int
var_strings(struct gctx *g, const char *name, json_t **out)
{
	json_t	*v = json_object_get(g->vars, name);
	size_t	 i;
	json_t	*e;

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v)) {
		reply_gql_error(g->rp, 400, "variable $%s must be a list of "
		    "strings, not %s", name, type_name(v));
		return -1;
	}
	json_array_foreach(v, i, e)
		if (!json_is_string(e)) {
			reply_gql_error(g->rp, 400, "variable $%s[%zu] must be "
			    "a string, not %s", name, i, type_name(e));
			return -1;
		}
	*out = v;
	return 0;
}

/* base64 of "KIND:NAME" (W&B-style opaque node ids). */
json_t *
gql_node_id(const char *kind, const char *name)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
	    "opqrstuvwxyz0123456789+/";
	struct buf	 raw, out;
	const unsigned char *p;
	json_t		*j;

	buf_init(&raw);
	buf_init(&out);
	buf_printf(&raw, "%s:%s", kind, name);
	p = (const unsigned char *)raw.p;
	for (size_t i = 0; i < raw.len; i += 3) {
		uint32_t w = (uint32_t)p[i] << 16;

		if (i + 1 < raw.len)
			w |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < raw.len)
			w |= p[i + 2];
		buf_addc(&out, b64[w >> 18 & 63]);
		buf_addc(&out, b64[w >> 12 & 63]);
		buf_addc(&out, i + 1 < raw.len ? b64[w >> 6 & 63] : '=');
		buf_addc(&out, i + 2 < raw.len ? b64[w & 63] : '=');
	}
	j = gql_strn(out.p, out.len);
	buf_release(&raw);
	buf_release(&out);
	return j;
}

/*
 * The run a request names, loaded and matching entity/project; NULL if
 * it does not exist there (with an error reply if must is set).
 */
static struct rrun *
lookup(struct gctx *g, const char *entity, const char *project,
    const char *id, int must)
{
	struct rrun	*rr;
	char		 err[RELAY_ERR];

	if (wbs_check_run_id(id, err, sizeof(err)) != 0 ||
	    (project != NULL && wbs_check_project(project, err,
	    sizeof(err)) != 0)) {
		reply_gql_error(g->rp, 400, "%s", err);
		return NULL;
	}
	if ((rr = store_find(g->r->store, id)) != NULL &&
	    store_load(g->r->store, rr, err, sizeof(err)) != 0) {
		reply_gql_error(g->rp, 500, "%s", err);
		return NULL;
	}
	if (rr != NULL && store_match(g->r->store, rr, entity, project)) {
		rr->used = ev_now(g->r->loop);
		return rr;
	}
	if (must)
		reply_gql_error(g->rp, 400, "run %s not found in %s/%s", id,
		    entity ? entity : g->r->entity, project ? project :
		    "(any project)");
	return NULL;
}

/* ---- introspection (capability probes) ---- */

static const char *const t_query[] = { "viewer", "serverInfo", "model",
	"project", "models", "run", "runs", "entity", "user", "artifact",
	"artifactType", NULL };
static const char *const t_mutation[] = { "upsertBucket", "createRunFiles",
	"rewindRun", "notifyScriptableRunAlert", "markRunFilesUploaded",
	"stopRun", "createArtifact", "createArtifactType", "useArtifact",
	"commitArtifact", "createArtifactManifest", "updateArtifactManifest",
	"createArtifactFiles", NULL };
static const char *const t_serverinfo[] = { "cliVersionInfo",
	"latestLocalVersionInfo", "features", NULL };
static const char *const t_serversettings[] = { "serverMessages", NULL };
static const char *const t_artifact[] = { "id", "digest", "state",
	"description", "metadata", "ttlDurationSeconds", "ttlIsInherited",
	"tags", NULL };
static const char *const t_create_artifact_input[] = { "artifactTypeName",
	"artifactCollectionNames", "entityName", "projectName", "runName",
	"description", "digest", "digestAlgorithm", "aliases", "metadata",
	"clientID", "sequenceClientID", "enableDigestDeduplication",
	"historyStep", "ttlDurationSeconds", "tags", NULL };
static const char *const t_file_spec_input[] = { "artifactID", "name",
	"md5", "mimetype", "artifactManifestID", NULL };
static const char *const t_none[] = { NULL };

static const struct {
	const char		*name;
	const char *const	*fields;
} types[] = {
	{ "Query", t_query },
	{ "Mutation", t_mutation },
	{ "ServerInfo", t_serverinfo },
	{ "ServerSettings", t_serversettings },
	{ "Artifact", t_artifact },
	{ "CreateArtifactInput", t_create_artifact_input },
	{ "CreateArtifactFileSpecInput", t_file_spec_input },
};

static json_t *
type_json(const char *name)
{
	const char *const	*f = t_none;
	json_t			*list = json_array();

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].name, name) == 0)
			f = types[i].fields;
	for (; *f != NULL; f++)
		json_array_append_new(list, json_pack("{s:s}", "name", *f));
	return json_pack("{s:s?,s:O,s:o}", "name", name, "fields", list,
	    "inputFields", list);
}

/* Every `[ALIAS:] __type(name: "T")` of the document. */
static int
op_introspect(struct gctx *g)
{
	const char *q = g->query, *p;

	while ((p = strstr(q, "__type")) != NULL) {
		const char	*a = p, *ae, *n, *ne;
		char		 alias[128] = "__type", tname[128];

		q = p + 6;
		while (a > g->query && isspace((unsigned char)a[-1]))
			a--;
		if (a > g->query && a[-1] == ':') {
			a--;
			while (a > g->query && isspace((unsigned char)a[-1]))
				a--;
			ae = a;
			while (a > g->query && (isalnum((unsigned char)a[-1]) ||
			    a[-1] == '_'))
				a--;
			if (ae > a && (size_t)(ae - a) < sizeof(alias))
				snprintf(alias, sizeof(alias), "%.*s",
				    (int)(ae - a), a);
		}
		if ((n = strchr(q, '"')) == NULL || (ne = strchr(n + 1, '"')) ==
		    NULL || (size_t)(ne - n) >= sizeof(tname) ||
		    memchr(q, ')', (size_t)(n - q)) != NULL)
			continue;
		snprintf(tname, sizeof(tname), "%.*s", (int)(ne - n - 1), n + 1);
		json_object_set_new(g->data, alias, type_json(tname));
		q = ne;
	}
	return 0;
}

/* ---- identity and server ---- */

static json_t *
server_info(void)
{
	static const char *const feat[][2] = {
		{ "FILESTREAM_GZIP", "1" },
		{ "STRUCTURED_CONSOLE_LOGS", "" },
		{ "EXPAND_DEFINED_METRIC_GLOBS", "" },
		{ "MARK_RUN_FILES_UPLOADED", "" },
	};
	json_t *list = json_array();

	for (size_t i = 0; i < sizeof(feat) / sizeof(feat[0]); i++)
		json_array_append_new(list, json_pack("{s:s,s:b}", "name",
		    feat[i][0], "isEnabled", feat[i][1][0] != '\0'));
	return json_pack("{s:{s:s,s:s},s:n,s:o}", "cliVersionInfo",
	    "max_cli_version", "999.0.0", "min_cli_version", "0.10.0",
	    "latestLocalVersionInfo", "features", list);
}

static int
op_viewer(struct gctx *g)
{
	json_object_set_new(g->data, "viewer", json_pack("{s:o,s:s,s:s,s:n,"
	    "s:s,s:b,s:{s:[]}}", "id", gql_node_id("User", g->r->entity),
	    "entity", g->r->entity, "username", g->r->entity, "email",
	    "flags", "{}", "admin", 0, "teams", "edges"));
	json_object_set_new(g->data, "serverInfo", server_info());
	return 0;
}

static int
op_server_info(struct gctx *g)
{
	json_object_set_new(g->data, "serverInfo", server_info());
	return 0;
}

/* ---- runs ---- */

static int
op_upsert(struct gctx *g)
{
	return upsert_handle(g->r, g->vars, g->data, g->rp);
}

static json_t *
model_json(struct gctx *g, const char *project, const char *entity)
{
	struct buf	 id;
	json_t		*j;

	(void)g;
	buf_init(&id);
	buf_printf(&id, "%s/%s", entity, project);
	j = json_pack("{s:o,s:s,s:{s:o,s:s}}", "id", gql_node_id("Project",
	    buf_cstr(&id)), "name", project, "entity", "id",
	    gql_node_id("Entity", entity), "name", entity);
	buf_release(&id);
	return j;
}

/* RunResumeStatus: the run's line counts, tails, config and summary. */
static int
op_resume_status(struct gctx *g)
{
	const char	*project, *entity, *name;
	const struct wbs_run_info *ri;
	struct rrun	*rr;
	struct buf	 b;
	json_t		*model, *bucket, *tags;
	char		 err[RELAY_ERR];

	if (gql_var_str(g->vars, "project", &project, g->rp) != 0 ||
	    gql_var_str(g->vars, "entity", &entity, g->rp) != 0 ||
	    var_req(g, "name", &name) != 0)
		return -1;
	if (project == NULL)
		project = "uncategorized";
	rr = lookup(g, entity, project, name, 0);
	if (g->rp->status != 200)
		return -1;
	model = model_json(g, project, entity ? entity : g->r->entity);
	if (rr == NULL) {
		json_object_set_new(model, "bucket", json_null());
		json_object_set_new(g->data, "model", model);
		return 0;
	}
	buf_init(&b);
	if (ingest_config_load(g->r->store, rr) != 0 ||
	    view_summary(rr, &b, err, sizeof(err)) != 0 ||
	    wbs_journal_info(rr->j, &ri) != 0) {
		buf_release(&b);
		json_decref(model);
		reply_gql_error(g->rp, 500, "run %s: reading it back: %s",
		    rr->id, wbs_journal_errmsg(rr->j));
		return -1;
	}
	tags = json_array();
	for (size_t i = 0; i < ri->ntags; i++)
		json_array_append_new(tags, gql_str(ri->tags[i]));
	bucket = json_pack("{s:s,s:o,s:o,s:n,s:o,s:I,s:I,s:I,s:o,s:o,s:n}",
	    "name", rr->id, "displayName", gql_str(ri->name), "notes",
	    gql_str(ri->notes), "description", "tags", tags,
	    "historyLineCount", (json_int_t)rr->hist, "eventsLineCount",
	    (json_int_t)rr->events, "logLineCount", (json_int_t)rr->out,
	    "summaryMetrics", gql_strn(b.p, b.len), "sweepName", json_null(),
	    "state");
	buf_reset(&b);
	store_storage_id(rr, &b);
	json_object_set_new(bucket, "id", gql_strn(b.p, b.len));
	buf_reset(&b);
	view_history_tail(rr, &b);
	json_object_set_new(bucket, "historyTail", gql_strn(b.p, b.len));
	buf_reset(&b);
	view_events_tail(rr, &b);
	json_object_set_new(bucket, "eventsTail", gql_strn(b.p, b.len));
	buf_reset(&b);
	view_config(rr, &b);
	json_object_set_new(bucket, "config", gql_strn(b.p, b.len));
	buf_reset(&b);
	view_wandb_config(rr, &b);
	json_object_set_new(bucket, "wandbConfig", gql_strn(b.p, b.len));
	json_object_set_new(bucket, "state", json_string(rr->finished ?
	    "finished" : "running"));
	buf_release(&b);
	json_object_set_new(model, "bucket", bucket);
	json_object_set_new(g->data, "model", model);
	return 0;
}

/* RewindRun: cut the run's history after a step (see branch.c). */
static int
op_rewind(struct gctx *g)
{
	const char	*run, *entity, *project, *metric;
	json_t		*v = json_object_get(g->vars, "metricValue"), *b;
	struct rrun	*rr;
	char		 err[RELAY_ERR];
	double		 d;

	if (var_req(g, "runName", &run) != 0 ||
	    gql_var_str(g->vars, "entity", &entity, g->rp) != 0 ||
	    gql_var_str(g->vars, "project", &project, g->rp) != 0 ||
	    var_req(g, "metricName", &metric) != 0)
		return -1;
	if (strcmp(metric, "_step") != 0) {
		reply_gql_error(g->rp, 400, "rewind only supports the _step "
		    "metric, not \"%s\"", metric);
		return -1;
	}
	if (!json_is_number(v) || !isfinite(d = json_number_value(v)) ||
	    d < 0 || d > 9e18) {
		reply_gql_error(g->rp, 400, "variable $metricValue must be a "
		    "non-negative number");
		return -1;
	}
	if ((rr = lookup(g, entity, project ? project : "uncategorized", run,
	    1)) == NULL)
		return -1;
	if (branch_rewind(g->r->store, rr, (int64_t)d, err, sizeof(err)) !=
	    0) {
		reply_gql_error(g->rp, 500, "rewinding run %s: %s", run, err);
		return -1;
	}
	if (store_load(g->r->store, rr, err, sizeof(err)) != 0) {
		reply_gql_error(g->rp, 500, "%s", err);
		return -1;
	}
	rr->used = ev_now(g->r->loop);
	if ((b = upsert_bucket_json(g->r, rr)) == NULL) {
		reply_gql_error(g->rp, 500, "run %s: reading it back", run);
		return -1;
	}
	json_object_set_new(g->data, "rewindRun", json_pack("{s:o}",
	    "rewoundRun", b));
	return 0;
}

/* The upload URL of a run file. */
static json_t *
upload_url(struct gctx *g, struct rrun *rr, const char *name)
{
	struct buf	b;
	json_t		*j;

	buf_init(&b);
	relay_base_url(g->r, g->host, &b);
	buf_adds(&b, "/upload/");
	url_escape(&b, store_entity(g->r->store, rr), 0);
	buf_addc(&b, '/');
	url_escape(&b, rr->project, 0);
	buf_addc(&b, '/');
	url_escape(&b, rr->id, 0);
	buf_printf(&b, "/%s/", rr->token);
	url_escape(&b, name, 1);
	j = gql_strn(b.p, b.len);
	buf_release(&b);
	return j;
}

/* Check a list of file names. */
static int
check_names(struct gctx *g, json_t *files)
{
	char	err[RELAY_ERR];
	size_t	i;
	json_t	*f;

	json_array_foreach(files, i, f)
		if (upload_check_path(json_string_value(f), err,
		    sizeof(err)) != 0) {
			reply_gql_error(g->rp, 400, "files[%zu]: %s", i, err);
			return -1;
		}
	return 0;
}

/* CreateRunFiles: upload URLs for run files. */
static int
op_create_run_files(struct gctx *g)
{
	const char	*entity, *project, *run;
	json_t		*files, *list, *f;
	struct rrun	*rr;
	struct buf	 sid;
	size_t		 i;

	if (var_req(g, "entity", &entity) != 0 ||
	    var_req(g, "project", &project) != 0 ||
	    var_req(g, "run", &run) != 0 || var_strings(g, "files", &files) !=
	    0 || (files != NULL && check_names(g, files) != 0))
		return -1;
	if ((rr = lookup(g, entity, project, run, 1)) == NULL)
		return -1;
	list = json_array();
	json_array_foreach(files, i, f)
		json_array_append_new(list, json_pack("{s:O,s:o}", "name", f,
		    "uploadUrl", upload_url(g, rr, json_string_value(f))));
	buf_init(&sid);
	store_storage_id(rr, &sid);
	json_object_set_new(g->data, "createRunFiles", json_pack("{s:o,s:[],"
	    "s:o}", "runID", gql_strn(sid.p, sid.len), "uploadHeaders",
	    "files", list));
	buf_release(&sid);
	return 0;
}

/* RunUploadUrls: the same for clients that predate CreateRunFiles. */
static int
op_run_upload_urls(struct gctx *g)
{
	const char	*entity, *project, *run;
	json_t		*files, *edges, *f;
	struct rrun	*rr;
	struct buf	 sid;
	size_t		 i;

	if (gql_var_str(g->vars, "entity", &entity, g->rp) != 0 ||
	    var_req(g, "name", &project) != 0 || var_req(g, "run", &run) !=
	    0 || var_strings(g, "files", &files) != 0 ||
	    (files != NULL && check_names(g, files) != 0))
		return -1;
	if ((rr = lookup(g, entity, project, run, 1)) == NULL)
		return -1;
	edges = json_array();
	json_array_foreach(files, i, f)
		json_array_append_new(edges, json_pack("{s:{s:O,s:o,s:n}}",
		    "node", "name", f, "url", upload_url(g, rr,
		    json_string_value(f)), "updatedAt"));
	buf_init(&sid);
	store_storage_id(rr, &sid);
	json_object_set_new(g->data, "model", json_pack("{s:{s:o,s:{s:[],"
	    "s:o}}}", "bucket", "id", gql_strn(sid.p, sid.len), "files",
	    "uploadHeaders", "edges", edges));
	buf_release(&sid);
	return 0;
}

/* RunStoppedStatus: whether "wbstore stop" asked the run to stop. */
static int
op_stopped(struct gctx *g)
{
	const char	*entity, *project, *run;
	struct rrun	*rr;

	if (gql_var_str(g->vars, "entityName", &entity, g->rp) != 0 ||
	    gql_var_str(g->vars, "projectName", &project, g->rp) != 0 ||
	    var_req(g, "runId", &run) != 0)
		return -1;
	rr = lookup(g, entity, project, run, 0);
	if (g->rp->status != 200)
		return -1;
	json_object_set_new(g->data, "project", json_pack("{s:o}", "run",
	    rr == NULL ? json_null() : json_pack("{s:b}", "stopped",
	    store_stopped(rr))));
	return 0;
}

/* StopRun (by storage id): leave the stop flag for the client. */
static int
op_stop_run(struct gctx *g)
{
	const char	*sid;
	char		 id[256], path[4200];
	struct rrun	*rr;
	FILE		*f;

	if (var_req(g, "id", &sid) != 0)
		return -1;
	if (store_parse_storage_id(sid, id, sizeof(id)) != 0 ||
	    (rr = store_find(g->r->store, id)) == NULL) {
		reply_gql_error(g->rp, 400, "no run with id \"%s\"", sid);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/stop", rr->dir);
	if ((f = fopen(path, "w")) != NULL)
		fclose(f);
	json_object_set_new(g->data, "stopRun", json_pack("{s:b}", "success",
	    f != NULL));
	return 0;
}

#define ALERT_MAX	(64u << 10)	/* title and text, as wbs_run_alert() */

/* NotifyScriptableRunAlert: an alert record (a re-sent one is skipped). */
static int
op_alert(struct gctx *g)
{
	const char	*entity, *project, *run, *title, *text, *sev;
	json_t		*wait = json_object_get(g->vars, "waitDuration");
	struct rrun	*rr;
	char		 err[RELAY_ERR];
	uint64_t	 h;
	int64_t		 wait_ms = 0;

	if (gql_var_str(g->vars, "entityName", &entity, g->rp) != 0 ||
	    var_req(g, "projectName", &project) != 0 ||
	    var_req(g, "runName", &run) != 0 ||
	    var_req(g, "title", &title) != 0 ||
	    var_req(g, "text", &text) != 0 ||
	    gql_var_str(g->vars, "severity", &sev, g->rp) != 0)
		return -1;
	if (json_is_number(wait) && json_number_value(wait) > 0)
		wait_ms = (int64_t)(json_number_value(wait) * 1000);
	/*
	 * Refuse what wbs_run_alert() would refuse before the writer opens:
	 * opening it may record a new session, and a refused request must
	 * leave the run as it was.  (jansson's strings are valid UTF-8.)
	 */
	if (sev != NULL && strcmp(sev, "INFO") != 0 &&
	    strcmp(sev, "WARN") != 0 && strcmp(sev, "ERROR") != 0) {
		reply_gql_error(g->rp, 400, "alert: alert level \"%.20s\" is "
		    "not INFO, WARN or ERROR", sev);
		return -1;
	}
	if (strlen(title) > ALERT_MAX || strlen(text) > ALERT_MAX) {
		reply_gql_error(g->rp, 400, "alert: the %s is over the limit "
		    "of %u bytes", strlen(title) > ALERT_MAX ? "title" : "text",
		    ALERT_MAX);
		return -1;
	}
	if ((rr = lookup(g, entity, project, run, 1)) == NULL)
		return -1;
	h = hash64(title, strlen(title), hash64(text, strlen(text),
	    HASH64_INIT)) | 1;
	if (h != rr->alert_hash) {
		if (store_writer(g->r->store, rr, err, sizeof(err)) != 0) {
			reply_gql_error(g->rp, 500, "%s", err);
			return -1;
		}
		if (wbs_run_alert(rr->w, title, text, sev ? sev : "INFO",
		    wait_ms) != 0) {
			reply_gql_error(g->rp, 400, "alert: %s",
			    wbs_run_errmsg(rr->w));
			return -1;
		}
		rr->seq++;
		rr->alert_hash = h;
	}
	json_object_set_new(g->data, "notifyScriptableRunAlert",
	    json_pack("{s:b}", "success", 1));
	return 0;
}

static int
op_mark_uploaded(struct gctx *g)
{
	json_object_set_new(g->data, "markRunFilesUploaded", json_pack("{s:b}",
	    "success", 1));
	return 0;
}

/* ---- artifacts: minimal answers, files kept under STORE/artifacts ---- */

/* The upload URL of an artifact file. */
static json_t *
artifact_url(struct gctx *g, const char *token, const char *name)
{
	struct buf	b;
	json_t		*j;

	buf_init(&b);
	relay_base_url(g->r, g->host, &b);
	buf_printf(&b, "/artifact-upload/%s/", token);
	url_escape(&b, name, 1);
	j = gql_strn(b.p, b.len);
	buf_release(&b);
	return j;
}

/* The artifact of an id variable; -1 (reply set) if unknown. */
static int
artifact_var(struct gctx *g, const char *var, const char **idp,
    char token[33])
{
	if (var_req(g, var, idp) != 0)
		return -1;
	if (upload_artifact_token(g->r, *idp, token) != 0) {
		reply_gql_error(g->rp, 400, "unknown artifact \"%.80s\"", *idp);
		return -1;
	}
	return 0;
}

static int
op_create_artifact(struct gctx *g)
{
	const char	*digest;
	char		 token[33], raw[64];

	if (gql_var_str(g->vars, "digest", &digest, g->rp) != 0)
		return -1;
	if (upload_artifact_new(g->r, digest, token) != 0) {
		reply_gql_error(g->rp, 500, "cannot create an artifact in the "
		    "store");
		return -1;
	}
	snprintf(raw, sizeof(raw), "seq-%s", token);
	json_object_set_new(g->data, "createArtifact", json_pack("{s:{s:o,s:s,"
	    "s:{s:o,s:n}}}", "artifact", "id", gql_node_id("Artifact", token),
	    "state", "PENDING", "artifactSequence", "id", gql_node_id(
	    "ArtifactSequence", raw), "latestArtifact"));
	return 0;
}

static int
manifest(struct gctx *g, const char *field)
{
	const char	*id, *name;
	char		 token[33], err[RELAY_ERR];

	if (artifact_var(g, "artifactID", &id, token) != 0 ||
	    var_req(g, "name", &name) != 0)
		return -1;
	if (upload_check_path(name, err, sizeof(err)) != 0) {
		reply_gql_error(g->rp, 400, "manifest name: %s", err);
		return -1;
	}
	json_object_set_new(g->data, field, json_pack("{s:{s:o,s:{s:o,s:s,"
	    "s:s,s:o,s:[]}}}", "artifactManifest", "id", gql_node_id(
	    "ArtifactManifest", token), "file", "id", gql_node_id("File", name),
	    "name", name, "displayName", name, "uploadUrl", artifact_url(g,
	    token, name), "uploadHeaders"));
	return 0;
}

static int
op_create_manifest(struct gctx *g)
{
	return manifest(g, "createArtifactManifest");
}

static int
op_update_manifest(struct gctx *g)
{
	return manifest(g, "updateArtifactManifest");
}

static int
op_create_artifact_files(struct gctx *g)
{
	json_t		*files = json_object_get(g->vars, "artifactFiles"), *f;
	json_t		*edges = json_array();
	size_t		 i;
	char		 token[33], err[RELAY_ERR];

	if (!json_is_array(files)) {
		json_decref(edges);
		reply_gql_error(g->rp, 400, "variable $artifactFiles must be a "
		    "list");
		return -1;
	}
	json_array_foreach(files, i, f) {
		json_t *aid = json_object_get(f, "artifactID");
		json_t *name = json_object_get(f, "name");

		if (!json_is_string(aid) || !json_is_string(name) ||
		    upload_artifact_token(g->r, json_string_value(aid),
		    token) != 0 || upload_check_path(json_string_value(name),
		    err, sizeof(err)) != 0) {
			json_decref(edges);
			reply_gql_error(g->rp, 400, "artifactFiles[%zu]: needs "
			    "a known artifactID and a valid name", i);
			return -1;
		}
		json_array_append_new(edges, json_pack("{s:{s:o,s:O,s:O,s:o,"
		    "s:[],s:{s:O}}}", "node", "id", gql_node_id("File",
		    json_string_value(name)), "name", name, "displayName", name,
		    "uploadUrl", artifact_url(g, token, json_string_value(name)),
		    "uploadHeaders", "artifact", "id", aid));
	}
	json_object_set_new(g->data, "createArtifactFiles", json_pack(
	    "{s:{s:o}}", "files", "edges", edges));
	return 0;
}

static int
op_commit_artifact(struct gctx *g)
{
	const char	*id;
	char		 token[33];
	struct buf	 d;

	if (artifact_var(g, "artifactID", &id, token) != 0)
		return -1;
	buf_init(&d);
	upload_artifact_digest(g->r, token, &d);
	json_object_set_new(g->data, "commitArtifact", json_pack("{s:{s:s,"
	    "s:o}}", "artifact", "id", id, "digest", gql_strn(d.p ? d.p : "",
	    d.len)));
	buf_release(&d);
	return 0;
}

static int
op_use_artifact(struct gctx *g)
{
	const char *id;

	if (gql_var_str(g->vars, "artifactID", &id, g->rp) != 0)
		return -1;
	json_object_set_new(g->data, "useArtifact", json_pack("{s:{s:o}}",
	    "artifact", "id", gql_str(id)));
	return 0;
}

static int
op_create_artifact_type(struct gctx *g)
{
	const char *name;

	if (gql_var_str(g->vars, "name", &name, g->rp) != 0)
		return -1;
	json_object_set_new(g->data, "createArtifactType", json_pack(
	    "{s:{s:o}}", "artifactType", "id", gql_node_id("ArtifactType",
	    name ? name : "")));
	return 0;
}

/* ---- dispatch ---- */

static const struct {
	const char	*name;
	gql_fn		*fn;
} ops[] = {
	{ "Viewer", op_viewer },
	{ "ServerInfo", op_server_info },
	{ "ServerFeaturesQuery", op_server_info },
	{ "UpsertBucket", op_upsert },
	{ "RunResumeStatus", op_resume_status },
	{ "RewindRun", op_rewind },
	{ "CreateRunFiles", op_create_run_files },
	{ "RunUploadUrls", op_run_upload_urls },
	{ "RunStoppedStatus", op_stopped },
	{ "StopRun", op_stop_run },
	{ "NotifyScriptableRunAlert", op_alert },
	{ "MarkRunFilesUploaded", op_mark_uploaded },
	{ "CreateArtifact", op_create_artifact },
	{ "CreateArtifactManifest", op_create_manifest },
	{ "UpdateArtifactManifest", op_update_manifest },
	{ "CreateArtifactFiles", op_create_artifact_files },
	{ "CommitArtifact", op_commit_artifact },
	{ "UseArtifact", op_use_artifact },
	{ "CreateArtifactType", op_create_artifact_type },
};

/* Skip whitespace, commas and comments of a GraphQL document. */
static const char *
skip_ignored(const char *p)
{
	for (;;) {
		while (*p != '\0' && (isspace((unsigned char)*p) || *p == ','))
			p++;
		if (*p != '#')
			return p;
		while (*p != '\0' && *p != '\n')
			p++;
	}
}

/* A name at p: its length (0 if none). */
static size_t
name_len(const char *p)
{
	size_t n = 0;

	if (!isalpha((unsigned char)*p) && *p != '_')
		return 0;
	while (isalnum((unsigned char)p[n]) || p[n] == '_')
		n++;
	return n;
}

/* Skip a { ... } block (strings honoured); p at '{'. */
static const char *
skip_block(const char *p)
{
	int depth = 0;

	for (; *p != '\0'; p++) {
		if (*p == '"') {
			for (p++; *p != '\0' && *p != '"'; p++)
				if (*p == '\\' && p[1] != '\0')
					p++;
			if (*p == '\0')
				break;
		} else if (*p == '{')
			depth++;
		else if (*p == '}' && --depth == 0)
			return p + 1;
	}
	return p;
}

/* The name of the (first) operation of a document; 0 if named. */
int
gql_op_name(const char *q, char *out, size_t len)
{
	const char *p = skip_ignored(q);

	out[0] = '\0';
	while (*p != '\0') {
		size_t n = name_len(p);

		if ((n == 5 && strncmp(p, "query", 5) == 0) || (n == 8 &&
		    strncmp(p, "mutation", 8) == 0) || (n == 12 &&
		    strncmp(p, "subscription", 12) == 0)) {
			p = skip_ignored(p + n);
			if ((n = name_len(p)) == 0 || n >= len)
				return -1;
			snprintf(out, len, "%.*s", (int)n, p);
			return 0;
		}
		if (n == 8 && strncmp(p, "fragment", 8) == 0) {
			if ((p = strchr(p, '{')) == NULL)
				return -1;
			p = skip_ignored(skip_block(p));
			continue;
		}
		return -1;	/* anonymous ({ ... }) or not GraphQL */
	}
	return -1;
}

/* The operation name of a request body (for fault rules). */
int
gql_peek_op(const char *body, size_t len, char *out, size_t outlen)
{
	json_error_t	 e;
	json_t		*req = json_loadb(body, len, 0, &e), *v;
	int		 rc = -1;

	out[0] = '\0';
	if (req == NULL)
		return -1;
	if (json_is_string(v = json_object_get(req, "operationName"))) {
		snprintf(out, outlen, "%s", json_string_value(v));
		rc = 0;
	} else if (json_is_string(v = json_object_get(req, "query")))
		rc = gql_op_name(json_string_value(v), out, outlen);
	json_decref(req);
	return rc;
}

/* Parse the request, find the operation, run it; reply in rp. */
int
gql_handle(struct relay *r, const char *body, size_t len,
    const char *hosthdr, struct reply *rp, char *op, size_t oplen)
{
	struct gctx	 g;
	json_error_t	 e;
	json_t		*req, *v;
	char		*out;
	int		 rc = -1;

	memset(&g, 0, sizeof(g));
	g.r = r;
	g.rp = rp;
	g.host = hosthdr;
	if ((req = json_loadb(body, len, 0, &e)) == NULL ||
	    !json_is_object(req)) {
		if (req == NULL && strstr(e.text, "\\u0000") != NULL)
			reply_gql_error(rp, 400, "request body: a string holds "
			    "\\u0000 (NUL), which names and values may not "
			    "contain (line %d, column %d)", e.line, e.column);
		else if (req == NULL)
			reply_gql_error(rp, 400, "request body is not JSON: %s "
			    "(line %d, column %d)", e.text, e.line, e.column);
		else
			reply_gql_error(rp, 400, "request body must be a JSON "
			    "object with \"query\"");
		json_decref(req);
		return -1;
	}
	if (!json_is_string(v = json_object_get(req, "query"))) {
		reply_gql_error(rp, 400, "request has no \"query\" string");
		goto done;
	}
	g.query = json_string_value(v);
	g.vars = json_object_get(req, "variables");
	if (g.vars != NULL && !json_is_null(g.vars) &&
	    !json_is_object(g.vars)) {
		reply_gql_error(rp, 400, "\"variables\" must be an object, not "
		    "%s", type_name(g.vars));
		goto done;
	}
	if (g.vars == NULL || json_is_null(g.vars)) {
		g.vars = json_object();
		json_object_set_new(req, "variables", g.vars);
	}
	if (json_is_string(v = json_object_get(req, "operationName")))
		snprintf(op, oplen, "%s", json_string_value(v));
	else if (gql_op_name(g.query, op, oplen) != 0) {
		reply_gql_error(rp, 400, "the relay needs named operations; "
		    "this document has none it can read");
		goto done;
	}
	g.data = json_object();
	if (strstr(g.query, "__type") != NULL)
		rc = op_introspect(&g);
	else {
		size_t i;

		for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
			if (strcmp(ops[i].name, op) == 0)
				break;
		if (i == sizeof(ops) / sizeof(ops[0]))
			reply_gql_error(rp, 400, "operation \"%s\" is not "
			    "supported by the wbstore relay", op);
		else
			rc = ops[i].fn(&g);
	}
	if (rc == 0 && rp->status == 200) {
		json_t *top = json_pack("{s:O}", "data", g.data);

		out = json_dumps(top, JSON_COMPACT);
		json_decref(top);
		if (out == NULL)
			reply_gql_error(rp, 500, "cannot encode the answer");
		else {
			buf_reset(&rp->body);
			buf_adds(&rp->body, out);
			free(out);
		}
	}
	json_decref(g.data);
done:
	json_decref(req);
	return rc;
}
