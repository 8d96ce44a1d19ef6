/*
 * branch.c - fork and rewind.
 *
 * Fork: a new run whose config carries _wandb.branch_point = {run_id:
 * PARENT, step: N} starts with the parent's history rows up to and
 * including step N, and reports them as its historyLineCount, so that
 * the client appends after them (the child's journal records fork_from).
 *
 * Rewind (RewindRun): the run's history is cut after step N.  Journals
 * are append-only, so the run is rebuilt: first a complete copy of it is
 * made under a new id ("ID-rwK", recorded as a fork of ID at step N and
 * tagged "rewound"), which keeps the pre-rewind history; then a new
 * journal for ID is built with the history up to step N, its config and
 * its files, and swapped in for the old one.  Both are built in the
 * store's .relay-tmp directory and renamed into place, so a crash leaves
 * either the old run or the new one (branch_recover() finishes or undoes
 * a swap that a crash interrupted).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "relay-int.h"

enum {
	COPY_ALL,		/* every record (the archive copy) */
	COPY_REWIND		/* history up to a step, config, metrics */
};

/* A history row whose parts are being collected (NOCOMMIT records). */
struct pending {
	struct arena	ar;
	struct itemvec	iv;
	int64_t		step;
	int		open;
};

static int
flush_row(struct wbs_run *w, struct pending *p, uint64_t *rowsp)
{
	int rc = 0;

	if (!p->open)
		return 0;
	if (wbs_run_log(w, p->iv.v, p->iv.n, p->step, WBS_LOG_COMMIT) != 0)
		rc = -1;
	else
		(*rowsp)++;
	p->open = 0;
	p->iv.n = 0;
	arena_reset(&p->ar);
	return rc;
}

/* Add a record's items to the pending row (copies them). */
static void
add_items(struct pending *p, const struct wbs_record *r)
{
	for (size_t i = 0; i < r->nitems; i++) {
		struct wbs_item it = r->items[i];

		if (p->iv.n == p->iv.cap) {
			p->iv.cap = p->iv.cap ? p->iv.cap * 2 : 64;
			if ((p->iv.v = realloc(p->iv.v, p->iv.cap *
			    sizeof(*p->iv.v))) == NULL)
				fatalx("out of memory");
		}
		it.key = arena_strndup(&p->ar, it.key, strlen(it.key));
		if (it.v.type >= WBS_STRING)
			it.v.u.s.ptr = arena_strndup(&p->ar, it.v.u.s.ptr,
			    it.v.u.s.len);
		p->iv.v[p->iv.n++] = it;
	}
}

/* Copy one history record, merging NOCOMMIT parts into one row. */
static int
copy_history(struct wbs_run *w, const struct wbs_record *r,
    struct pending *p, uint64_t *rowsp)
{
	if (p->open && p->step != r->step && flush_row(w, p, rowsp) != 0)
		return -1;
	if (!p->open && (r->flags & WBS_LOG_COMMIT)) {
		if (wbs_run_log(w, r->items, r->nitems, r->step,
		    WBS_LOG_COMMIT) != 0)
			return -1;
		(*rowsp)++;
		return 0;
	}
	add_items(p, r);
	p->open = 1;
	p->step = r->step;
	if (r->flags & WBS_LOG_COMMIT)
		return flush_row(w, p, rowsp);
	return 0;
}

/* Copy one non-history record through the writer API. */
static int
copy_other(struct wbs_run *w, const struct wbs_record *r, int mode,
    int *exitp)
{
	switch (r->type) {
	case WBS_REC_CONFIG:
		if (r->nitems > 0 && wbs_run_config(w, r->items, r->nitems))
			return -1;
		return r->nkeys > 0 ? wbs_run_config_remove(w, r->keys,
		    r->nkeys) : 0;
	case WBS_REC_METRIC:
		return wbs_run_define_metric(w, r->metric);
	case WBS_REC_FILE:
		return wbs_run_file(w, r->file->path, NULL, r->file->policy,
		    r->file->type);
	case WBS_REC_SET:
		return wbs_run_set(w, r->field, r->text);
	case WBS_REC_TAGS:
		return wbs_run_set_tags(w, r->keys, r->nkeys);
	}
	if (mode != COPY_ALL)
		return 0;
	switch (r->type) {
	case WBS_REC_SUMMARY:
		if (r->nitems > 0 && wbs_run_summary(w, r->items, r->nitems))
			return -1;
		return r->nkeys > 0 ? wbs_run_summary_remove(w, r->keys,
		    r->nkeys) : 0;
	case WBS_REC_STATS:
		return wbs_run_stats(w, r->items, r->nitems);
	case WBS_REC_CONSOLE:
		return wbs_run_console(w, r->stream, r->text, r->textlen);
	case WBS_REC_ALERT:
		return wbs_run_alert(w, r->alert->title, r->alert->text,
		    r->alert->level, r->alert->wait_ms);
	case WBS_REC_PREEMPTING:
		return wbs_run_preempting(w);
	case WBS_REC_EXIT:
		*exitp = r->exit_code;
		return 0;
	case WBS_REC_RUN:
		*exitp = -1000;		/* a later session: not finished */
		return 0;
	}
	return 0;
}

/*
 * Copy src's records into w: all of them, or (COPY_REWIND) history up to
 * step plus config, metrics, files and attributes.
 */
static int
copy_records(struct rrun *src, struct wbs_run *w, int mode, int64_t step,
    uint64_t *rowsp, char *err, size_t errlen)
{
	struct wbs_iter		*it;
	const struct wbs_record	*r;
	struct pending		 p;
	int			 rc, exitcode = -1000;

	memset(&p, 0, sizeof(p));
	if (wbs_iter_open(&it, src->j, 1) != 0) {
		snprintf(err, errlen, "%s", wbs_journal_errmsg(src->j));
		return -1;
	}
	while ((rc = wbs_iter_next(it, &r)) == 1) {
		if (r->type == WBS_REC_HISTORY) {
			if (mode == COPY_REWIND && r->step > step)
				continue;
			rc = copy_history(w, r, &p, rowsp);
		} else
			rc = copy_other(w, r, mode, &exitcode);
		if (rc != 0) {
			snprintf(err, errlen, "copying record %" PRIu64 " of run "
			    "%s: %s", r->seq, src->id, wbs_run_errmsg(w));
			break;
		}
	}
	wbs_iter_free(it);
	if (rc < 0 && err[0] == '\0')
		snprintf(err, errlen, "%s", wbs_journal_errmsg(src->j));
	if (rc == 0 && flush_row(w, &p, rowsp) != 0) {
		snprintf(err, errlen, "%s", wbs_run_errmsg(w));
		rc = -1;
	}
	if (rc == 0 && mode == COPY_ALL && exitcode != -1000 &&
	    wbs_run_finish(w, exitcode) != 0) {
		snprintf(err, errlen, "%s", wbs_run_errmsg(w));
		rc = -1;
	}
	arena_release(&p.ar);
	free(p.iv.v);
	return rc;
}

/* Seed a fork: the parent's history rows up to step into w. */
int
branch_seed(struct store *s, struct rrun *parent, struct wbs_run *w,
    int64_t step, uint64_t *rowsp, char *err, size_t errlen)
{
	struct wbs_iter		*it;
	const struct wbs_record	*r;
	struct pending		 p;
	int			 rc;

	if (store_load(s, parent, err, errlen) != 0)
		return -1;
	memset(&p, 0, sizeof(p));
	*rowsp = 0;
	if (wbs_iter_open(&it, parent->j, 1) != 0) {
		snprintf(err, errlen, "%s", wbs_journal_errmsg(parent->j));
		return -1;
	}
	while ((rc = wbs_iter_next(it, &r)) == 1) {
		if (r->type != WBS_REC_HISTORY)
			continue;
		if (r->step > step)
			break;
		if (copy_history(w, r, &p, rowsp) != 0) {
			snprintf(err, errlen, "seeding from %s: %s", parent->id,
			    wbs_run_errmsg(w));
			rc = -1;
			break;
		}
	}
	wbs_iter_free(it);
	if (rc >= 0 && flush_row(w, &p, rowsp) != 0) {
		snprintf(err, errlen, "%s", wbs_run_errmsg(w));
		rc = -1;
	}
	arena_release(&p.ar);
	free(p.iv.v);
	return rc < 0 ? -1 : 0;
}

/* Hard-link (or copy) the tree src into dst. */
static int
link_tree(const char *src, const char *dst)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	char		 a[PATH_MAX], b[PATH_MAX];
	int		 rc = 0;

	if ((d = opendir(src)) == NULL)
		return errno == ENOENT ? 0 : -1;
	if (mkdir(dst, 0755) != 0 && errno != EEXIST) {
		closedir(d);
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") ==
		    0)
			continue;
		snprintf(a, sizeof(a), "%s/%s", src, de->d_name);
		snprintf(b, sizeof(b), "%s/%s", dst, de->d_name);
		if (lstat(a, &sb) != 0)
			rc = -1;
		else if (S_ISDIR(sb.st_mode))
			rc = link_tree(a, b);
		else if (S_ISREG(sb.st_mode) && link(a, b) != 0 &&
		    errno != EEXIST)
			rc = -1;
	}
	closedir(d);
	return rc;
}

/* Writer options for a copy of rr's run under id, in root. */
static int
copy_opts(struct store *s, struct rrun *rr, const char *id, const char *root,
    int branch_opt, const char *moment, int add_tag,
    struct wbs_opts **op, char *err, size_t errlen)
{
	const struct wbs_run_info	*ri;
	struct wbs_opts			*o;
	struct buf			 tags;
	int				 rc = 0;

	if (wbs_journal_info(rr->j, &ri) != 0) {
		snprintf(err, errlen, "%s", wbs_journal_errmsg(rr->j));
		return -1;
	}
	if (store_opts(s, &o, id, rr->project, rr->entity, err, errlen) != 0)
		return -1;
	buf_init(&tags);
	for (size_t i = 0; i < ri->ntags; i++)
		if (strchr(ri->tags[i], ',') == NULL)
			buf_printf(&tags, "%s%s", tags.len ? "," : "",
			    ri->tags[i]);
	if (add_tag)
		buf_printf(&tags, "%srewound", tags.len ? "," : "");
#define SET(opt, v) do { if (rc == 0 && (v) != NULL && \
	wbs_opts_set(o, (opt), (v)) != 0) rc = -1; } while (0)
	SET(WBS_OPT_DIR, root);
	SET(WBS_OPT_NAME, ri->name);
	SET(WBS_OPT_NOTES, ri->notes);
	SET(WBS_OPT_GROUP, ri->group);
	SET(WBS_OPT_JOB_TYPE, ri->job_type);
	SET(WBS_OPT_HOST, ri->host);
	SET(WBS_OPT_PROGRAM, ri->program);
	SET(WBS_OPT_GIT_REMOTE, ri->git_remote);
	SET(WBS_OPT_GIT_COMMIT, ri->git_commit);
	SET(WBS_OPT_TAGS, buf_cstr(&tags));
	SET(WBS_OPT_RESUME, "false");
	SET(branch_opt, moment);
#undef SET
	buf_release(&tags);
	if (rc != 0) {
		snprintf(err, errlen, "%s", wbs_opts_errmsg(o));
		wbs_opts_free(o);
		return -1;
	}
	*op = o;
	return 0;
}

/* Build a copy of rr under id in root; its run directory into dir. */
static int
build_copy(struct store *s, struct rrun *rr, const char *id, const char *root,
    int mode, int64_t step, char *dir, size_t dirlen, char *err,
    size_t errlen)
{
	struct wbs_opts	*o;
	struct wbs_run	*w;
	char		 moment[300], files[PATH_MAX], src[PATH_MAX];
	uint64_t	 rows = 0;
	int		 rc;

	snprintf(moment, sizeof(moment), "%s?_step=%" PRId64, rr->id, step);
	if (copy_opts(s, rr, id, root, mode == COPY_ALL ? WBS_OPT_FORK_FROM :
	    WBS_OPT_RESUME_FROM, moment, mode == COPY_ALL, &o, err,
	    errlen) != 0)
		return -1;
	rc = wbs_run_open(&w, o, err, errlen);
	wbs_opts_free(o);
	if (rc != 0)
		return -1;
	rc = copy_records(rr, w, mode, step, &rows, err, errlen);
	snprintf(dir, dirlen, "%s", wbs_run_dir(w));
	wbs_run_close(w);
	snprintf(files, sizeof(files), "%s/files", dir);
	snprintf(src, sizeof(src), "%s/files", rr->dir);
	if (rc == 0 && link_tree(src, files) != 0) {
		snprintf(err, errlen, "copying files of run %s: %s", rr->id,
		    strerror(errno));
		rc = -1;
	}
	return rc;
}

/* The last history step of a run, -1 if none. */
static int64_t
last_step(struct rrun *rr)
{
	struct wbs_journal_stat st;

	if (wbs_journal_stat(rr->j, &st) != 0)
		return -1;
	return st.last_step;
}

/* Swap the new run directory in for the old one (both renames). */
static int
swap_in(struct store *s, struct rrun *rr, const char *newdir,
    const char *archdir, const char *archid, char *err, size_t errlen)
{
	char		 dst[PATH_MAX], trash[PATH_MAX], adst[PATH_MAX];
	const char	*base;

	base = strrchr(archdir, '/') + 1;
	snprintf(adst, sizeof(adst), "%s/%s", s->wdir, base);
	base = strrchr(rr->dir, '/') + 1;
	snprintf(trash, sizeof(trash), "%s/trash-%s", s->tmp, base);
	base = strrchr(newdir, '/') + 1;
	snprintf(dst, sizeof(dst), "%s/%s", s->wdir, base);
	store_unload(s, rr);
	if (rename(archdir, adst) != 0) {
		snprintf(err, errlen, "%s: %s", adst, strerror(errno));
		return -1;
	}
	store_add(s, archid, adst);
	if (rename(rr->dir, trash) != 0) {
		snprintf(err, errlen, "%s: %s", trash, strerror(errno));
		return -1;
	}
	if (rename(newdir, dst) != 0) {
		snprintf(err, errlen, "%s: %s", dst, strerror(errno));
		if (rename(trash, rr->dir) != 0)
			log_warn("run %s: restoring %s", rr->id, rr->dir);
		return -1;
	}
	store_add(s, rr->id, dst);
	if (store_rmtree(trash) != 0)
		log_warn("removing %s", trash);
	return 0;
}

/* Rewind rr to step (see the top of this file). */
int
branch_rewind(struct store *s, struct rrun *rr, int64_t step, char *err,
    size_t errlen)
{
	char	tmp[PATH_MAX], root[PATH_MAX], archid[160];
	char	archdir[PATH_MAX], newdir[PATH_MAX];
	int	rc = -1;

	if (store_load(s, rr, err, errlen) != 0)
		return -1;
	if (last_step(rr) <= step) {
		log_info("run %s: rewind to step %" PRId64 " changes nothing",
		    rr->id, step);
		return 0;
	}
	/* Read from the journal alone while copying. */
	store_unload(s, rr);
	if (store_load(s, rr, err, errlen) != 0)
		return -1;
	if (store_new_id(s, rr->id, archid, sizeof(archid)) != 0) {
		snprintf(err, errlen, "no free id for the copy of %s", rr->id);
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s/rewind-%ld-%d", s->tmp, (long)getpid(),
	    s->serial++);
	snprintf(root, sizeof(root), "%s/a", tmp);
	if (mkdir(tmp, 0700) != 0 || mkdir(root, 0755) != 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto done;
	}
	if (build_copy(s, rr, archid, root, COPY_ALL, step, archdir,
	    sizeof(archdir), err, errlen) != 0)
		goto done;
	snprintf(root, sizeof(root), "%s/b", tmp);
	if (mkdir(root, 0755) != 0) {
		snprintf(err, errlen, "%s: %s", root, strerror(errno));
		goto done;
	}
	if (build_copy(s, rr, rr->id, root, COPY_REWIND, step, newdir,
	    sizeof(newdir), err, errlen) != 0)
		goto done;
	if (swap_in(s, rr, newdir, archdir, archid, err, errlen) != 0)
		goto done;
	log_info("run %s rewound to step %" PRId64 "; the history before "
	    "the rewind is kept as run %s", rr->id, step, archid);
	rc = 0;
done:
	if (store_rmtree(tmp) != 0)
		log_warn("removing %s", tmp);
	return rc;
}

/* 1 if some run directory of the wandb dir holds run-<id>.wbs. */
static int
run_present(struct store *s, const char *id)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	char		 p[PATH_MAX];
	int		 found = 0;

	if ((d = opendir(s->wdir)) == NULL)
		return 0;
	while (!found && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s/run-%s.wbs/data.mdb", s->wdir,
		    de->d_name, id);
		found = stat(p, &sb) == 0;
	}
	closedir(d);
	return found;
}

/* The run id of a run directory, from its journal's name; 0 if found. */
static int
dir_run_id(const char *dir, char *id, size_t len)
{
	DIR		*d;
	struct dirent	*de;
	int		 rc = -1;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while (rc != 0 && (de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);

		if (n > 8 && n - 8 < len && strncmp(de->d_name, "run-", 4) ==
		    0 && strcmp(de->d_name + n - 4, ".wbs") == 0) {
			memcpy(id, de->d_name + 4, n - 8);
			id[n - 8] = '\0';
			rc = 0;
		}
	}
	closedir(d);
	return rc;
}

/* After a crash: finish or undo an interrupted rewind, clear temp files. */
void
branch_recover(struct store *s)
{
	DIR		*d;
	struct dirent	*de;
	char		 p[PATH_MAX], dst[PATH_MAX], id[256];

	if ((d = opendir(s->tmp)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		const char *n = de->d_name;

		if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", s->tmp, n);
		/* trash-<run dir>: the old run, moved out by swap_in(). */
		if (strncmp(n, "trash-", 6) == 0 &&
		    dir_run_id(p, id, sizeof(id)) == 0) {
			snprintf(dst, sizeof(dst), "%s/%s", s->wdir, n + 6);
			if (!run_present(s, id) && rename(p, dst) == 0) {
				log_warnx("run %s: an interrupted rewind was "
				    "undone", id);
				continue;
			}
		}
		if (store_rmtree(p) != 0)
			log_warn("removing %s", p);
	}
	closedir(d);
}
