/*
 * upload.c - PUT of run files to the URLs CreateRunFiles handed out, and
 * of artifact files.
 *
 * W&B's signed upload URLs carry no credentials, so neither do these:
 * each run has a random 128-bit token (kept in its journal cursor) that
 * is part of every upload URL of the run, and each artifact is a random
 * token too.  A body streams to a temporary file in the store and is
 * renamed into the run's files/ directory when complete; the first
 * upload of a path also records it in the journal (policy live, so that
 * a sync sends later versions too).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "relay-int.h"
#include "upload.h"

struct upload {
	int	 fd;
	char	*tmp;
	char	*dest;
	char	*path;		/* relative to files/ (run uploads) */
	char	*run;		/* run id, NULL for artifacts */
	size_t	 bytes;
};

/*
 * A relative path under files/: UTF-8, no empty, "." or ".."
 * components, no control characters or backslashes, at most 1024 bytes.
 */
int
upload_check_path(const char *path, char *err, size_t errlen)
{
	const char	*p = path;
	size_t		 len = strlen(path);

	if (len == 0 || len > 1024) {
		snprintf(err, errlen, "file name of %zu bytes (1 to 1024 "
		    "allowed)", len);
		return -1;
	}
	if (path[0] == '/') {
		snprintf(err, errlen, "file name \"%.80s\" is absolute", path);
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f ||
		    path[i] == '\\') {
			snprintf(err, errlen, "file name \"%.80s\" contains a "
			    "NUL, control character or backslash", path);
			return -1;
		}
	while (*p != '\0') {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.')) {
			snprintf(err, errlen, "file name \"%.80s\" has an "
			    "empty, \".\" or \"..\" component", path);
			return -1;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	if (!jscan_utf8_valid(path, len)) {
		snprintf(err, errlen, "file name is not valid UTF-8");
		return -1;
	}
	return 0;
}

/* W&B's file type of a path under files/. */
int
upload_file_type(const char *path)
{
	static const char *const wandb[] = { "wandb-metadata.json",
	    "wandb-summary.json", "config.yaml", "output.log",
	    "requirements.txt", "diff.patch", "conda-environment.yaml" };

	if (strncmp(path, "media/", 6) == 0)
		return WBS_FILE_MEDIA;
	for (size_t i = 0; i < sizeof(wandb) / sizeof(wandb[0]); i++)
		if (strcmp(path, wandb[i]) == 0)
			return WBS_FILE_WANDB;
	if (strncmp(path, "code/", 5) == 0 || strncmp(path, "diff_", 5) == 0 ||
	    strncmp(path, "upstream_diff_", 14) == 0)
		return WBS_FILE_WANDB;
	return WBS_FILE_OTHER;
}

/* Constant-time comparison of two NUL-terminated secrets. */
static int
secret_eq(const char *a, const char *b)
{
	size_t		la = strlen(a), lb = strlen(b);
	unsigned char	d = la != lb;

	for (size_t i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* mkdir -p of the directories above path (below base). */
static int
make_parents(const char *path, size_t base)
{
	char buf[PATH_MAX];

	if (strlen(path) >= sizeof(buf))
		return -1;
	strcpy(buf, path);
	for (char *p = buf + base; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

/* Where a run upload goes, after checking run, token and path. */
static int
run_dest(struct relay *r, const char *entity, const char *project,
    const char *run, const char *token, const char *path, char *dest,
    size_t len, char *err, size_t errlen)
{
	struct rrun *rr;

	if (wbs_check_run_id(run, err, errlen) != 0)
		return 400;
	if (upload_check_path(path, err, errlen) != 0)
		return 400;
	if ((rr = store_find(r->store, run)) == NULL) {
		snprintf(err, errlen, "run %s does not exist", run);
		return 404;
	}
	if (store_load(r->store, rr, err, errlen) != 0)
		return 500;
	rr->used = ev_now(r->loop);
	if (!store_match(r->store, rr, entity, project)) {
		snprintf(err, errlen, "run %s is not in %s/%s", run, entity,
		    project);
		return 404;
	}
	if (!secret_eq(token, rr->token)) {
		snprintf(err, errlen, "upload token for run %s is wrong", run);
		return 403;
	}
	if ((size_t)snprintf(dest, len, "%s/files/%s", rr->dir, path) >= len) {
		snprintf(err, errlen, "file name is too long");
		return 400;
	}
	return 0;
}

/* Where an artifact upload goes. */
static int
artifact_dest(struct relay *r, const char *token, const char *name,
    char *dest, size_t len, char *err, size_t errlen)
{
	struct stat sb;

	if (strlen(token) != 32 || strspn(token, "0123456789abcdef") != 32) {
		snprintf(err, errlen, "artifact upload token is malformed");
		return 403;
	}
	if (upload_check_path(name, err, errlen) != 0)
		return 400;
	snprintf(dest, len, "%s/artifacts/%s", r->store->root, token);
	if (stat(dest, &sb) != 0) {
		snprintf(err, errlen, "no artifact for this upload token");
		return 403;
	}
	if ((size_t)snprintf(dest, len, "%s/artifacts/%s/%s", r->store->root,
	    token, name) >= len) {
		snprintf(err, errlen, "file name is too long");
		return 400;
	}
	return 0;
}

/* Start an upload (entity NULL: an artifact file); NULL on error. */
struct upload *
upload_begin(struct relay *r, const char *entity, const char *project,
    const char *run, const char *token, const char *path, char *err,
    size_t errlen, int *status)
{
	struct upload	*u;
	char		 dest[PATH_MAX], tmp[PATH_MAX];
	int		 st;

	if (entity != NULL)
		st = run_dest(r, entity, project, run, token, path, dest,
		    sizeof(dest), err, errlen);
	else
		st = artifact_dest(r, token, path, dest, sizeof(dest), err,
		    errlen);
	if (st != 0) {
		*status = st;
		return NULL;
	}
	snprintf(tmp, sizeof(tmp), "%s/upload-%ld-%d", r->store->tmp,
	    (long)getpid(), r->store->serial++);
	if ((u = calloc(1, sizeof(*u))) == NULL)
		fatalx("out of memory");
	u->fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (u->fd < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		*status = 500;
		free(u);
		return NULL;
	}
	if ((u->tmp = strdup(tmp)) == NULL || (u->dest = strdup(dest)) ==
	    NULL || (u->path = strdup(path)) == NULL ||
	    (run != NULL && (u->run = strdup(run)) == NULL))
		fatalx("out of memory");
	return u;
}

/* Append body bytes. */
int
upload_write(struct upload *u, const char *data, size_t n, char *err,
    size_t errlen)
{
	while (n > 0) {
		ssize_t w = write(u->fd, data, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			snprintf(err, errlen, "writing the upload: %s",
			    strerror(errno));
			return -1;
		}
		data += w;
		n -= (size_t)w;
		u->bytes += (size_t)w;
	}
	return 0;
}

/* Drop an unfinished upload. */
void
upload_abort(struct upload *u)
{
	if (u == NULL)
		return;
	if (u->fd >= 0)
		close(u->fd);
	if (u->tmp != NULL)
		unlink(u->tmp);
	free(u->tmp);
	free(u->dest);
	free(u->path);
	free(u->run);
	free(u);
}

/* Record a run file in the journal the first time it arrives. */
static int
register_file(struct relay *r, struct upload *u, char *err, size_t errlen)
{
	struct rrun		*rr = store_find(r->store, u->run);
	struct wbs_iter		*it;
	const struct wbs_record	*rec;

	if (rr == NULL || store_load(r->store, rr, err, errlen) != 0)
		return -1;
	if (rr->fkeys == NULL) {
		if ((rr->fkeys = calloc(1, sizeof(*rr->fkeys))) == NULL)
			fatalx("out of memory");
		if (wbs_iter_open(&it, rr->j, 1) == 0) {
			while (wbs_iter_next(it, &rec) == 1)
				if (rec->type == WBS_REC_FILE)
					keyset_add(rr->fkeys, rec->file->path);
			wbs_iter_free(it);
		}
	}
	if (keyset_has(rr->fkeys, u->path))
		return 0;
	if (store_writer(r->store, rr, err, errlen) != 0)
		return -1;
	if (wbs_run_file(rr->w, u->path, NULL, WBS_POLICY_LIVE,
	    upload_file_type(u->path)) != 0) {
		snprintf(err, errlen, "run %s: %s", rr->id,
		    wbs_run_errmsg(rr->w));
		return -1;
	}
	rr->seq++;
	rr->dirty = 1;
	keyset_add(rr->fkeys, u->path);
	return 0;
}

/* Finish an upload: move the file into place, record it, answer. */
void
upload_end(struct relay *r, struct upload *u, struct reply *rp)
{
	char	err[RELAY_ERR];
	size_t	base;

	if (u == NULL) {
		reply_error(rp, 500, "upload lost");
		return;
	}
	if (fsync(u->fd) != 0 || close(u->fd) != 0) {
		u->fd = -1;
		reply_error(rp, 500, "writing the upload: %s", strerror(errno));
		upload_abort(u);
		return;
	}
	u->fd = -1;
	base = strlen(u->dest) - strlen(u->path);
	if (make_parents(u->dest, base) != 0 || rename(u->tmp, u->dest) != 0) {
		reply_error(rp, 500, "storing %s: %s", u->path,
		    strerror(errno));
		upload_abort(u);
		return;
	}
	free(u->tmp);
	u->tmp = NULL;
	if (u->run != NULL && register_file(r, u, err, sizeof(err)) != 0) {
		reply_error(rp, 500, "%s", err);
		upload_abort(u);
		return;
	}
	log_debug("upload %s%s%s: %zu bytes", u->run ? u->run : "artifact",
	    "/", u->path, u->bytes);
	buf_adds(&rp->body, "{}");
	upload_abort(u);
}

/* A new artifact: its token and directory; digest remembered. */
int
upload_artifact_new(struct relay *r, const char *digest, char token[33])
{
	char	path[PATH_MAX];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/artifacts", r->store->root);
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		return -1;
	store_random_hex(token);
	snprintf(path, sizeof(path), "%s/artifacts/%s", r->store->root, token);
	if (mkdir(path, 0755) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/artifacts/%s.digest", r->store->root,
	    token);
	if ((f = fopen(path, "w")) != NULL) {
		fputs(digest ? digest : "", f);
		fclose(f);
	}
	return 0;
}

/* The token inside an artifact id (base64 of "Artifact:TOKEN"). */
int
upload_artifact_token(struct relay *r, const char *id, char token[33])
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
	    "opqrstuvwxyz0123456789+/";
	char		raw[64];
	size_t		n = 0;
	uint32_t	acc = 0;
	int		bits = 0;
	struct stat	sb;
	char		path[PATH_MAX];

	for (const char *q = id; *q != '\0' && *q != '='; q++) {
		const char *c = strchr(b64, *q);

		if (c == NULL || n + 1 >= sizeof(raw))
			return -1;
		acc = acc << 6 | (uint32_t)(c - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			raw[n++] = (char)(acc >> bits & 0xff);
		}
	}
	raw[n] = '\0';
	if (n != 41 || strncmp(raw, "Artifact:", 9) != 0 ||
	    strspn(raw + 9, "0123456789abcdef") != 32)
		return -1;
	memcpy(token, raw + 9, 33);
	snprintf(path, sizeof(path), "%s/artifacts/%s", r->store->root, token);
	return stat(path, &sb) == 0 ? 0 : -1;
}

/* The digest CreateArtifact gave, into out. */
void
upload_artifact_digest(struct relay *r, const char *token, struct buf *out)
{
	char	path[PATH_MAX], d[256];
	FILE	*f;
	size_t	n = 0;

	snprintf(path, sizeof(path), "%s/artifacts/%s.digest", r->store->root,
	    token);
	if ((f = fopen(path, "r")) != NULL) {
		n = fread(d, 1, sizeof(d) - 1, f);
		fclose(f);
	}
	buf_add(out, d, n);
}
