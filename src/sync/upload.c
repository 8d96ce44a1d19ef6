/*
 * upload.c - run files: CreateRunFiles for upload URLs, a PUT of each
 * file to its URL (without credentials), then its path in the next
 * file-stream request's "uploaded" list.  Files with policy now and live
 * go when the record is read, end and live ones again at finish (live
 * only if changed), plus the files the run implies: wandb-summary.json,
 * config.yaml and wandb-metadata.json.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "syncint.h"

/* 1 if path is a safe relative path inside files/. */
static int
safe_path(const char *path)
{
	const char *p = path;

	if (*path == '\0' || *path == '/')
		return 0;
	while (*p != '\0') {
		size_t n = strcspn(p, "/");

		if ((n == 2 && strncmp(p, "..", 2) == 0) || n == 0)
			return 0;
		p += n;
		if (*p == '/')
			p++;
	}
	return 1;
}

/* The upload of path still waiting or running, or NULL. */
static struct upload *
pending(struct srun *r, const char *path)
{
	struct upload *u;

	TAILQ_FOREACH(u, &r->uploads, link)
		if (strcmp(u->path, path) == 0 && u->state < UPL_DONE)
			return u;
	return NULL;
}

static struct upload *
upload_new(struct srun *r, const char *path)
{
	struct upload *u = calloc(1, sizeof(*u));

	if (u == NULL)
		fatalx("out of memory");
	u->path = xstrdup(path);
	u->run = r;
	buf_init(&u->data);
	TAILQ_INSERT_TAIL(&r->uploads, u, link);
	return u;
}

static void
upload_free(struct srun *r, struct upload *u)
{
	TAILQ_REMOVE(&r->uploads, u, link);
	http_req_free(u->req);
	buf_release(&u->data);
	free(u->path);
	free(u->full);
	free(u);
}

/* Queue a file of the run's files/ directory. */
void
upload_file(struct srun *r, const char *path, int policy)
{
	struct upload	*u;
	struct stat	 sb;
	char		 full[PATH_MAX];

	(void)policy;
	if (!safe_path(path)) {
		log_warnx("%s: file \"%s\" is not a path inside files/; not "
		    "uploaded", r->path, path);
		return;
	}
	if (pending(r, path) != NULL)
		return;
	snprintf(full, sizeof(full), "%s/files/%s", r->rundir, path);
	if (stat(full, &sb) != 0) {
		log_warnx("%s: file %s: %s; not uploaded", r->path, full,
		    strerror(errno));
		return;
	}
	if (!S_ISREG(sb.st_mode)) {
		log_warnx("%s: file %s is not a regular file; not uploaded",
		    r->path, full);
		return;
	}
	u = upload_new(r, path);
	u->full = xstrdup(full);
	u->size = (int64_t)sb.st_size;
	u->mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 +
	    sb.st_mtim.tv_nsec;
	upload_pump(r);
}

/* Queue generated content under path. */
void
upload_generated(struct srun *r, const char *path, const char *data,
    size_t len)
{
	struct upload *u;

	if (pending(r, path) != NULL)
		return;
	u = upload_new(r, path);
	buf_add(&u->data, data, len);
	u->size = (int64_t)len;
}

/* At finish: end and changed live files, and the implied files. */
void
upload_finish_files(struct srun *r)
{
	struct buf b;

	for (size_t i = 0; i < r->nend_files; i++) {
		const struct cursor_file	*cf = cursor_file(&r->cur,
						    r->end_files[i]);
		struct stat			 sb;
		char				 full[PATH_MAX];

		snprintf(full, sizeof(full), "%s/files/%s", r->rundir,
		    r->end_files[i]);
		if (cf != NULL && stat(full, &sb) == 0 &&
		    cf->size == (int64_t)sb.st_size && cf->mtime_ns ==
		    (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec)
			continue;	/* unchanged since it went up */
		upload_file(r, r->end_files[i], r->end_policy[i]);
	}
	buf_init(&b);
	wire_summary(&r->w, &b, r->cur.summary_base);
	upload_generated(r, "wandb-summary.json", b.p, b.len);
	buf_reset(&b);
	/* JSON is YAML: the config in backend form. */
	wire_config(&r->w, &b, r->cur.config_base);
	buf_addc(&b, '\n');
	upload_generated(r, "config.yaml", b.p, b.len);
	if (r->w.env->nkids > 0) {
		buf_reset(&b);
		tree_json(&b, r->w.env);
		upload_generated(r, "wandb-metadata.json", b.p, b.len);
	}
	buf_release(&b);
	upload_pump(r);
}

/* A file is up: report it in the next file-stream request. */
static void
uploaded(struct srun *r, struct upload *u)
{
	struct cursor_file *f;

	r->done_files = realloc(r->done_files, (r->ndone_files + 1) *
	    sizeof(*r->done_files));
	if (r->done_files == NULL)
		fatalx("out of memory");
	f = &r->done_files[r->ndone_files++];
	f->path = xstrdup(u->path);
	f->size = u->size;
	f->mtime_ns = u->mtime_ns;
	upload_free(r, u);
}

static void
put_done(struct http_req *q, void *arg)
{
	struct upload	*u = arg;
	struct srun	*r = u->run;

	if (q->cls == TH_OK)
		uploaded(r, u);
	else {
		log_warnx("%s: upload of %s failed: %s%s%ld", r->path, u->path,
		    q->err, q->status ? " HTTP " : "", q->status);
		r->upload_errors++;
		upload_free(r, u);
	}
	srun_pump(r);
}

/* PUT one file to its signed URL (no credentials). */
static void
put(struct srun *r, struct upload *u, const char *url, char **hdrs,
    size_t nh)
{
	struct http_req *q = http_req_new();

	if (url[0] == '/')
		http_req_url(q, "%s%s", r->e->base_url, url);
	else
		http_req_url(q, "%s", url);
	q->method = "PUT";
	q->auth = 0;
	for (size_t i = 0; i < nh; i++)
		q->headers = curl_slist_append(q->headers, hdrs[i]);
	if (u->full != NULL)
		q->upload_path = xstrdup(u->full);
	else {
		q->body = u->data.p ? u->data.p : "";
		q->bodylen = u->data.len;
	}
	q->done = put_done;
	q->arg = u;
	u->req = q;
	u->state = UPL_PUT;
	http_submit(r->e->http, q);
}

static void
urls_done(struct http_req *q, void *arg)
{
	struct srun	*r = arg;
	struct gql_files f;
	struct upload	*u, *next;
	char		 err[300];

	r->urlreq = NULL;
	if (q->cls == TH_AUTH || q->cls == TH_GONE) {
		srun_request_failed(r, q, "CreateRunFiles");
		http_req_free(q);
		return;
	}
	if (q->cls != TH_OK || gql_files_parse(q->resp.p, q->resp.len, &f, err,
	    sizeof(err)) != 0) {
		if (q->cls != TH_OK)
			snprintf(err, sizeof(err), "%s", q->err[0] ? q->err :
			    "request failed");
		log_warnx("%s: no upload URLs (%s); files not uploaded",
		    r->path, err);
		for (u = TAILQ_FIRST(&r->uploads); u != NULL; u = next) {
			next = TAILQ_NEXT(u, link);
			if (u->state == UPL_URL) {
				r->upload_errors++;
				upload_free(r, u);
			}
		}
		http_req_free(q);
		srun_pump(r);
		return;
	}
	http_req_free(q);
	for (u = TAILQ_FIRST(&r->uploads); u != NULL; u = next) {
		int found = 0;

		next = TAILQ_NEXT(u, link);
		if (u->state != UPL_URL)
			continue;
		for (size_t i = 0; i < f.n && !found; i++) {
			if (strcmp(f.files[i].name, u->path) != 0)
				continue;
			found = 1;
			if (f.files[i].url == NULL)
				upload_free(r, u);	/* server has it */
			else
				put(r, u, f.files[i].url, f.headers,
				    f.nheaders);
		}
		if (!found) {
			log_warnx("%s: the server gave no upload URL for %s",
			    r->path, u->path);
			r->upload_errors++;
			upload_free(r, u);
		}
	}
	gql_files_release(&f);
	srun_pump(r);
}

/* Ask for URLs for queued files (one request at a time). */
void
upload_pump(struct srun *r)
{
	struct upload	*u, *next;
	const char	*names[SYNC_FILES_PER_CALL];
	size_t		 n = 0;

	if (r->urlreq != NULL || r->phase < P_STREAM || r->phase == P_DONE ||
	    r->phase == P_REWIND)
		return;
	if (r->e->o.view != NULL) {
		for (u = TAILQ_FIRST(&r->uploads); u != NULL; u = next) {
			next = TAILQ_NEXT(u, link);
			fprintf(r->e->o.view, "upload %s %lld\n", u->path,
			    (long long)u->size);
			uploaded(r, u);
		}
		return;
	}
	TAILQ_FOREACH(u, &r->uploads, link)
		if (u->state == UPL_QUEUED && n < SYNC_FILES_PER_CALL) {
			u->state = UPL_URL;
			names[n++] = u->path;
		}
	if (n == 0)
		return;
	buf_reset(&r->urlbody);
	gql_files_body(&r->urlbody, r->cur.entity ? r->cur.entity : r->entity ?
	    r->entity : "", r->cur.project ? r->cur.project : r->project,
	    r->cur.run_id ? r->cur.run_id : r->id, names, n);
	r->urlreq = srun_gql(r, &r->urlbody, 0, urls_done, r);
}

int
upload_busy(const struct srun *r)
{
	return r->urlreq != NULL || !TAILQ_EMPTY(&r->uploads);
}

void
upload_cancel(struct srun *r)
{
	struct upload *u;

	http_req_free(r->urlreq);
	r->urlreq = NULL;
	while ((u = TAILQ_FIRST(&r->uploads)) != NULL)
		upload_free(r, u);
}
