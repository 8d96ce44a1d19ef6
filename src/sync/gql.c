/*
 * gql.c - GraphQL requests and answers (see gql.h).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "esc.h"
#include "gql.h"
#include "log.h"

static const char upsert_doc[] =
    "mutation UpsertBucket($id: String, $name: String, $project: String, "
    "$entity: String, $groupName: String, $description: String, "
    "$displayName: String, $notes: String, $commit: String, "
    "$config: JSONString, $host: String, $debug: Boolean, "
    "$program: String, $repo: String, $jobType: String, $state: String, "
    "$sweep: String, $tags: [String!], $summaryMetrics: JSONString) {\n"
    "  upsertBucket(input: {id: $id, name: $name, groupName: $groupName, "
    "modelName: $project, entityName: $entity, description: $description, "
    "displayName: $displayName, notes: $notes, config: $config, "
    "commit: $commit, host: $host, debug: $debug, jobProgram: $program, "
    "jobRepo: $repo, jobType: $jobType, state: $state, sweep: $sweep, "
    "tags: $tags, summaryMetrics: $summaryMetrics}) {\n"
    "    bucket {\n      id\n      name\n      displayName\n"
    "      description\n      config\n      sweepName\n"
    "      project {\n        id\n        name\n"
    "        entity {\n          id\n          name\n        }\n      }\n"
    "      historyLineCount\n    }\n    inserted\n  }\n}\n";

static const char resume_doc[] =
    "query RunResumeStatus($project: String, $entity: String, "
    "$name: String!) {\n"
    "  model(name: $project, entityName: $entity) {\n"
    "    id\n    name\n    entity {\n      id\n      name\n    }\n"
    "    bucket(name: $name, missingOk: true) {\n"
    "      id\n      name\n      summaryMetrics\n      displayName\n"
    "      logLineCount\n      historyLineCount\n      eventsLineCount\n"
    "      historyTail\n      eventsTail\n      config\n      tags\n"
    "      wandbConfig(keys: [\"t\"])\n    }\n  }\n}\n";

static const char rewind_doc[] =
    "mutation RewindRun($runName: String!, $entity: String, "
    "$project: String, $metricName: String!, $metricValue: Float!) {\n"
    "  rewindRun(input: {runName: $runName, entityName: $entity, "
    "projectName: $project, metricName: $metricName, "
    "metricValue: $metricValue}) {\n"
    "    rewoundRun {\n      id\n      name\n      displayName\n"
    "      description\n      config\n      sweepName\n"
    "      project {\n        id\n        name\n"
    "        entity {\n          id\n          name\n        }\n      }\n"
    "      historyLineCount\n    }\n  }\n}\n";

static const char files_doc[] =
    "mutation CreateRunFiles($entity: String!, $project: String!, "
    "$run: String!, $files: [String!]!) {\n"
    "  createRunFiles(input: {entityName: $entity, projectName: $project, "
    "runName: $run, files: $files}) {\n"
    "    runID\n    uploadHeaders\n    files {\n      name\n"
    "      uploadUrl\n    }\n  }\n}\n";

static const char alert_doc[] =
    "mutation NotifyScriptableRunAlert($entityName: String!, "
    "$projectName: String!, $runName: String!, $title: String!, "
    "$text: String!, $severity: AlertSeverity = INFO, "
    "$waitDuration: Duration) {\n"
    "  notifyScriptableRunAlert(input: {entityName: $entityName, "
    "projectName: $projectName, runName: $runName, title: $title, "
    "text: $text, severity: $severity, waitDuration: $waitDuration}) {\n"
    "    success\n  }\n}\n";

/* "name": value-or-null. */
static void
var(struct buf *b, int *first, const char *name, const char *v)
{
	buf_adds(b, *first ? "\"" : ",\"");
	*first = 0;
	buf_adds(b, name);
	buf_adds(b, "\":");
	if (v == NULL)
		buf_adds(b, "null");
	else
		esc_str(b, v, strlen(v));
}

/* {"query": doc, "operationName": op, "variables": { ... */
static void
begin(struct buf *b, const char *doc, const char *op)
{
	buf_adds(b, "{\"query\":");
	esc_str(b, doc, strlen(doc));
	buf_printf(b, ",\"operationName\":\"%s\",\"variables\":{", op);
}

void
gql_upsert_body(struct buf *b, const struct gql_upsert *u)
{
	int first = 1;

	begin(b, upsert_doc, "UpsertBucket");
	var(b, &first, "id", u->id);
	var(b, &first, "name", u->name);
	var(b, &first, "project", u->project);
	var(b, &first, "entity", u->entity);
	var(b, &first, "groupName", u->group);
	var(b, &first, "description", NULL);
	var(b, &first, "displayName", u->display_name);
	var(b, &first, "notes", u->notes);
	var(b, &first, "commit", u->commit);
	var(b, &first, "config", u->config);
	var(b, &first, "host", u->host);
	var(b, &first, "debug", NULL);
	var(b, &first, "program", u->program);
	var(b, &first, "repo", u->repo);
	var(b, &first, "jobType", u->job_type);
	var(b, &first, "state", NULL);
	var(b, &first, "sweep", NULL);
	buf_adds(b, ",\"tags\":");
	if (u->set_tags) {
		buf_addc(b, '[');
		for (size_t i = 0; i < u->ntags; i++) {
			if (i > 0)
				buf_addc(b, ',');
			esc_str(b, u->tags[i], strlen(u->tags[i]));
		}
		buf_addc(b, ']');
	} else
		buf_adds(b, "null");
	var(b, &first, "summaryMetrics", NULL);
	buf_adds(b, "}}");
}

/* The message of an error body (see gql.h). */
void
gql_error_text(const char *p, size_t n, char *err, size_t errlen)
{
	json_error_t	 je;
	json_t		*o = json_loadb(p, n, 0, &je), *e;

	err[0] = '\0';
	if (o == NULL)
		return;
	e = json_object_get(o, "errors");
	if (json_is_array(e) && json_array_size(e) > 0) {
		json_t *m = json_object_get(json_array_get(e, 0), "message");

		if (json_is_string(m))
			snprintf(err, errlen, "%s", json_string_value(m));
	} else if (json_is_string(e = json_object_get(o, "error")))
		snprintf(err, errlen, "%s", json_string_value(e));
	else if (json_is_string(e = json_object_get(o, "message")))
		snprintf(err, errlen, "%s", json_string_value(e));
	json_decref(o);
}

/* Parse a response and return its data object (borrowed from *rootp). */
static json_t *
data_of(const char *p, size_t n, json_t **rootp, char *err, size_t errlen)
{
	json_error_t	 je;
	json_t		*o = json_loadb(p, n, 0, &je), *d, *e;

	*rootp = o;
	if (o == NULL || !json_is_object(o)) {
		snprintf(err, errlen, "the server's answer is not JSON (%s)",
		    o == NULL ? je.text : "not an object");
		return NULL;
	}
	e = json_object_get(o, "errors");
	if (json_is_array(e) && json_array_size(e) > 0) {
		json_t *m = json_object_get(json_array_get(e, 0), "message");

		snprintf(err, errlen, "the server refused: %s",
		    json_is_string(m) ? json_string_value(m) : "(no message)");
		return NULL;
	}
	if (!json_is_object(d = json_object_get(o, "data"))) {
		snprintf(err, errlen, "the server's answer has no data");
		return NULL;
	}
	return d;
}

static void
copy_str(json_t *o, const char *name, char *out, size_t len)
{
	json_t *v = json_object_get(o, name);

	if (json_is_string(v))
		snprintf(out, len, "%s", json_string_value(v));
}

/* Fill a bucket from its JSON object. */
static int
bucket(json_t *bk, struct gql_bucket *out, char *err, size_t errlen)
{
	json_t *pr, *hl;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(bk)) {
		snprintf(err, errlen, "the server's answer has no run");
		return -1;
	}
	copy_str(bk, "id", out->id, sizeof(out->id));
	copy_str(bk, "name", out->name, sizeof(out->name));
	copy_str(bk, "displayName", out->display_name,
	    sizeof(out->display_name));
	if (json_is_object(pr = json_object_get(bk, "project"))) {
		copy_str(pr, "name", out->project, sizeof(out->project));
		copy_str(json_object_get(pr, "entity"), "name", out->entity,
		    sizeof(out->entity));
	}
	hl = json_object_get(bk, "historyLineCount");
	out->history_line_count = json_is_integer(hl) ?
	    (int64_t)json_integer_value(hl) : 0;
	if (out->name[0] == '\0') {
		snprintf(err, errlen, "the server's run has no name");
		return -1;
	}
	return 0;
}

int
gql_upsert_parse(const char *p, size_t n, struct gql_bucket *out, char *err,
    size_t errlen)
{
	json_t	*root, *d, *u;
	int	 rc = -1;

	if ((d = data_of(p, n, &root, err, errlen)) != NULL) {
		u = json_object_get(d, "upsertBucket");
		if ((rc = bucket(json_object_get(u, "bucket"), out, err,
		    errlen)) == 0)
			out->inserted = json_is_true(json_object_get(u,
			    "inserted"));
	}
	json_decref(root);
	return rc;
}

void
gql_resume_body(struct buf *b, const char *project, const char *entity,
    const char *name)
{
	int first = 1;

	begin(b, resume_doc, "RunResumeStatus");
	var(b, &first, "project", project);
	var(b, &first, "entity", entity);
	var(b, &first, "name", name);
	buf_adds(b, "}}");
}

/* A number after "key": in a JSON text (NaN-tolerant, top level first). */
static int
text_number(const char *s, const char *key, double *out)
{
	char		 pat[64];
	const char	*p;
	char		*end;
	double		 d;

	if (s == NULL)
		return -1;
	snprintf(pat, sizeof(pat), "\"%s\"", key);
	if ((p = strstr(s, pat)) == NULL)
		return -1;
	p += strlen(pat);
	while (*p == ' ' || *p == ':')
		p++;
	d = strtod(p, &end);
	if (end == p || !isfinite(d))
		return -1;
	*out = d;
	return 0;
}

/* The last line of a tail: a JSON string holding an array of strings. */
static const char *
tail_last(json_t *bk, const char *name, json_t **holder)
{
	json_t		*t = json_object_get(bk, name), *a;
	json_error_t	 je;

	*holder = NULL;
	if (!json_is_string(t))
		return NULL;
	a = json_loads(json_string_value(t), 0, &je);
	*holder = a;
	if (!json_is_array(a) || json_array_size(a) == 0)
		return NULL;
	t = json_array_get(a, json_array_size(a) - 1);
	return json_is_string(t) ? json_string_value(t) : NULL;
}

static char *
dup_str(json_t *o, const char *name)
{
	json_t	*v = json_object_get(o, name);
	char	*s;

	if (!json_is_string(v))
		return NULL;
	if ((s = strdup(json_string_value(v))) == NULL)
		fatalx("out of memory");
	return s;
}

static int64_t
get_count(json_t *o, const char *name)
{
	json_t *v = json_object_get(o, name);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

int
gql_resume_parse(const char *p, size_t n, struct gql_resume *out, char *err,
    size_t errlen)
{
	json_t		*root, *d, *m, *bk, *h1, *h2;
	const char	*hl, *el;
	double		 v;
	int		 rc = -1;

	memset(out, 0, sizeof(*out));
	out->last_step = -1;
	if ((d = data_of(p, n, &root, err, errlen)) == NULL)
		goto done;
	m = json_object_get(d, "model");
	bk = json_is_object(m) ? json_object_get(m, "bucket") : NULL;
	rc = 0;
	if (!json_is_object(bk))
		goto done;	/* no such run */
	if ((rc = bucket(bk, &out->b, err, errlen)) != 0)
		goto done;
	if (json_is_object(m)) {
		copy_str(m, "name", out->b.project, sizeof(out->b.project));
		copy_str(json_object_get(m, "entity"), "name", out->b.entity,
		    sizeof(out->b.entity));
	}
	out->exists = 1;
	out->events_line_count = get_count(bk, "eventsLineCount");
	out->log_line_count = get_count(bk, "logLineCount");
	out->summary = dup_str(bk, "summaryMetrics");
	out->config = dup_str(bk, "config");
	hl = tail_last(bk, "historyTail", &h1);
	el = tail_last(bk, "eventsTail", &h2);
	if (text_number(out->summary, "_step", &v) == 0)
		out->last_step = (int64_t)v;
	if (text_number(hl, "_step", &v) == 0)
		out->last_step = (int64_t)v;
	if (text_number(hl, "_runtime", &v) == 0 && v > out->runtime)
		out->runtime = v;
	if (text_number(el, "_runtime", &v) == 0 && v > out->runtime)
		out->runtime = v;
	if ((text_number(out->summary, "runtime", &v) == 0 ||
	    text_number(out->summary, "_runtime", &v) == 0) && v > out->runtime)
		out->runtime = v;
	json_decref(h1);
	json_decref(h2);
done:
	json_decref(root);
	return rc;
}

void
gql_resume_release(struct gql_resume *r)
{
	free(r->summary);
	free(r->config);
	r->summary = r->config = NULL;
}

void
gql_rewind_body(struct buf *b, const char *name, const char *entity,
    const char *project, double step)
{
	int first = 1;

	begin(b, rewind_doc, "RewindRun");
	var(b, &first, "runName", name);
	var(b, &first, "entity", entity);
	var(b, &first, "project", project);
	var(b, &first, "metricName", "_step");
	buf_printf(b, ",\"metricValue\":%.17g}}", step);
}

int
gql_rewind_parse(const char *p, size_t n, struct gql_bucket *out, char *err,
    size_t errlen)
{
	json_t	*root, *d, *r;
	int	 rc = -1;

	if ((d = data_of(p, n, &root, err, errlen)) != NULL) {
		r = json_object_get(json_object_get(d, "rewindRun"),
		    "rewoundRun");
		if (!json_is_object(r))
			snprintf(err, errlen, "failed to rewind run: run not "
			    "found");
		else
			rc = bucket(r, out, err, errlen);
	}
	json_decref(root);
	return rc;
}

void
gql_files_body(struct buf *b, const char *entity, const char *project,
    const char *run, const char *const *files, size_t n)
{
	int first = 1;

	begin(b, files_doc, "CreateRunFiles");
	var(b, &first, "entity", entity);
	var(b, &first, "project", project);
	var(b, &first, "run", run);
	buf_adds(b, ",\"files\":[");
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_addc(b, ',');
		esc_str(b, files[i], strlen(files[i]));
	}
	buf_adds(b, "]}}");
}

int
gql_files_parse(const char *p, size_t n, struct gql_files *out, char *err,
    size_t errlen)
{
	json_t	*root, *d, *c, *fs, *hs;
	int	 rc = -1;

	memset(out, 0, sizeof(*out));
	if ((d = data_of(p, n, &root, err, errlen)) == NULL)
		goto done;
	c = json_object_get(d, "createRunFiles");
	fs = json_object_get(c, "files");
	if (!json_is_array(fs)) {
		snprintf(err, errlen, "the server's answer has no upload URLs");
		goto done;
	}
	if ((out->files = calloc(json_array_size(fs) + 1,
	    sizeof(*out->files))) == NULL)
		fatalx("out of memory");
	for (size_t i = 0; i < json_array_size(fs); i++) {
		json_t *f = json_array_get(fs, i);

		out->files[out->n].name = dup_str(f, "name");
		out->files[out->n].url = dup_str(f, "uploadUrl");
		if (out->files[out->n].name != NULL)
			out->n++;
		else
			free(out->files[out->n].url);
	}
	hs = json_object_get(c, "uploadHeaders");
	if (json_is_array(hs) && json_array_size(hs) > 0) {
		if ((out->headers = calloc(json_array_size(hs),
		    sizeof(char *))) == NULL)
			fatalx("out of memory");
		for (size_t i = 0; i < json_array_size(hs); i++) {
			json_t		*h = json_array_get(hs, i);
			const char	*s, *colon;

			if (!json_is_string(h) || (colon = strchr(s =
			    json_string_value(h), ':')) == NULL)
				continue;
			colon++;
			while (*colon == ' ')
				colon++;
			if (asprintf(&out->headers[out->nheaders], "%.*s: %s",
			    (int)(strchr(s, ':') - s), s, colon) < 0)
				fatalx("out of memory");
			out->nheaders++;
		}
	}
	rc = 0;
done:
	json_decref(root);
	return rc;
}

void
gql_files_release(struct gql_files *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->files[i].name);
		free(f->files[i].url);
	}
	free(f->files);
	for (size_t i = 0; i < f->nheaders; i++)
		free(f->headers[i]);
	free(f->headers);
	memset(f, 0, sizeof(*f));
}

void
gql_alert_body(struct buf *b, const char *entity, const char *project,
    const char *run, const char *title, const char *text, const char *level,
    int64_t wait_ms)
{
	int first = 1;

	begin(b, alert_doc, "NotifyScriptableRunAlert");
	var(b, &first, "entityName", entity);
	var(b, &first, "projectName", project);
	var(b, &first, "runName", run);
	var(b, &first, "title", title);
	var(b, &first, "text", text);
	var(b, &first, "severity", level && *level ? level : "INFO");
	buf_printf(b, ",\"waitDuration\":%.3f}}", (double)wait_ms / 1000.0);
}

int
gql_alert_parse(const char *p, size_t n, char *err, size_t errlen)
{
	json_t	*root, *d;
	int	 rc = -1;

	if ((d = data_of(p, n, &root, err, errlen)) != NULL)
		rc = 0;
	json_decref(root);
	return rc;
}
