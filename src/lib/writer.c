/*
 * writer.c - opening, resuming, finishing and closing a run for writing.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wbs-int.h"
#include "opts.h"
#include "writer.h"

/* Seal into the seal directory if anything was appended since the last. */
static int
seal_if_dirty(struct wbs_run *run, struct wbs_errbuf *eb)
{
	int rc;

	if (run->seal_dir == NULL ||
	    !__atomic_exchange_n(&run->seal_dirty, 0, __ATOMIC_RELAXED))
		return 0;
	if ((rc = wbs_run_seal_eb(run, run->seal_dir, eb)) != 0)
		__atomic_store_n(&run->seal_dirty, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&run->sealed_ns, wbs_mono_ns(), __ATOMIC_RELAXED);
	return rc;
}

/*
 * Background thread: msync the journal every sync interval if written,
 * and seal it every seal interval (WBS_OPT_SEAL_DIR).
 */
static void *
syncer_main(void *arg)
{
	struct wbs_run	*run = arg;
	struct timespec	 ts;
	long		 ms = run->sync_ms > 0 ? run->sync_ms : 1000;

	pthread_mutex_lock(&run->lock);
	while (!run->stop) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += ms / 1000;
		ts.tv_nsec += (ms % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&run->cond, &run->lock, &ts);
		/* Appends the doorbell's rate limit held back. */
		wbs_run_ring(run, 1);
		if (__atomic_exchange_n(&run->dirty, 0, __ATOMIC_RELAXED)) {
			pthread_mutex_unlock(&run->lock);
			if (wbs_env_sync(&run->env, NULL) != 0)
				wbs_log(3, "journal %s: background sync "
				    "failed", run->journal);
			pthread_mutex_lock(&run->lock);
		}
		if (run->seal_s > 0 && !run->stop && wbs_mono_ns() -
		    __atomic_load_n(&run->sealed_ns, __ATOMIC_RELAXED) >=
		    (int64_t)run->seal_s * 1000000000) {
			struct wbs_errbuf eb;

			pthread_mutex_unlock(&run->lock);
			if (seal_if_dirty(run, &eb) != 0)
				wbs_log(3, "journal %s: %s", run->journal,
				    eb.msg);
			pthread_mutex_lock(&run->lock);
		}
	}
	pthread_mutex_unlock(&run->lock);
	return NULL;
}

/* Accessors. */
const char *
wbs_run_id(const struct wbs_run *run)
{
	return run->id;
}

const char *
wbs_run_dir(const struct wbs_run *run)
{
	return run->dir ? run->dir : "";
}

const char *
wbs_run_journal(const struct wbs_run *run)
{
	return run->journal ? run->journal : "";
}

void
wbs_run_set_time(struct wbs_run *run, int64_t us)
{
	run->clock_us = us > 0 ? us : 0;
}

int64_t
wbs_run_step(const struct wbs_run *run)
{
	return run->step;
}

const char *
wbs_run_errmsg(const struct wbs_run *run)
{
	return run->eb.msg;
}

/* The wandb directory under root: root/.wandb if it exists, else root/wandb. */
static int
wandb_dir(const char *root, char *out, size_t len)
{
	struct stat sb;

	if ((size_t)snprintf(out, len, "%s/.wandb", root) >= len)
		return -1;
	if (stat(out, &sb) == 0 && S_ISDIR(sb.st_mode))
		return 0;
	if ((size_t)snprintf(out, len, "%s/wandb", root) >= len)
		return -1;
	return 0;
}

/*
 * Find the newest run directory of id in wdir: *run-<stamp>-<id>[-N]
 * holding run-<id>.wbs/data.mdb.
 */
static int
find_run(const char *wdir, const char *id, char *out, size_t len)
{
	DIR		*d;
	struct dirent	*de;
	char		 best[NAME_MAX + 1] = "", path[PATH_MAX];
	size_t		 idlen = strlen(id);
	struct stat	 sb;

	if ((d = opendir(wdir)) == NULL)
		return WBS_ENOTFOUND;
	while ((de = readdir(d)) != NULL) {
		const char *n = de->d_name, *p;

		if (strncmp(n, "offline-run-", 12) == 0)
			p = n + 12;
		else if (strncmp(n, "run-", 4) == 0)
			p = n + 4;
		else
			continue;
		/* YYYYMMDD_HHMMSS- */
		if (strlen(p) < 16 + idlen || p[15] != '-' ||
		    strncmp(p + 16, id, idlen) != 0)
			continue;
		p += 16 + idlen;
		if (*p != '\0' && (*p != '-' || strspn(p + 1, "0123456789") !=
		    strlen(p + 1)))
			continue;
		snprintf(path, sizeof(path), "%s/%s/run-%s.wbs/data.mdb", wdir,
		    n, id);
		if (stat(path, &sb) != 0)
			continue;
		/* Newest: the later time stamp, then the higher suffix. */
		if (strcmp(n + (n[0] == 'o' ? 12 : 4), best) > 0 ||
		    best[0] == '\0')
			snprintf(best, sizeof(best), "%s",
			    n + (n[0] == 'o' ? 12 : 4));
		else
			continue;
		snprintf(out, len, "%s/%s", wdir, n);
	}
	closedir(d);
	return best[0] ? 0 : WBS_ENOTFOUND;
}

/* Create a fresh run directory with files/, logs/ and the journal dir. */
static int
make_run_dir(struct wbs_run *run, const char *wdir, const char *prefix,
    int64_t start_us)
{
	char		stamp[32], path[PATH_MAX], sub[PATH_MAX];
	time_t		t = (time_t)(start_us / 1000000);
	struct tm	tm;

	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d_%H%M%S", &tm);
	if (wbs_mkdirs(wdir, 0755) != 0)
		return wbs_err(&run->eb, errno == ENOSPC ? WBS_ENOSPC : WBS_EIO,
		    "%s: %s", wdir, strerror(errno));
	for (int n = 0;; n++) {
		if (n == 0)
			snprintf(path, sizeof(path), "%s/%s-%s-%s", wdir,
			    prefix, stamp, run->id);
		else
			snprintf(path, sizeof(path), "%s/%s-%s-%s-%d", wdir,
			    prefix, stamp, run->id, n);
		if (mkdir(path, 0755) == 0)
			break;
		if (errno != EEXIST || n == 1000)
			return wbs_err(&run->eb, errno == ENOSPC ? WBS_ENOSPC :
			    WBS_EIO, "%s: %s", path, strerror(errno));
	}
	if ((run->dir = strdup(path)) == NULL)
		return WBS_ENOMEM;
	snprintf(sub, sizeof(sub), "%s/files", path);
	if (mkdir(sub, 0755) != 0 && errno != EEXIST)
		return wbs_err(&run->eb, WBS_EIO, "%s: %s", sub, strerror(errno));
	snprintf(sub, sizeof(sub), "%s/logs", path);
	if (mkdir(sub, 0755) != 0 && errno != EEXIST)
		return wbs_err(&run->eb, WBS_EIO, "%s: %s", sub, strerror(errno));
	return 0;
}

/* Point wdir/latest-run at the run directory, atomically. */
static void
link_latest(struct wbs_run *run, const char *wdir)
{
	char		 tmp[PATH_MAX], dst[PATH_MAX];
	const char	*base = strrchr(run->dir, '/');

	base = base ? base + 1 : run->dir;
	snprintf(tmp, sizeof(tmp), "%s/.latest-run.%ld", wdir, (long)getpid());
	snprintf(dst, sizeof(dst), "%s/latest-run", wdir);
	unlink(tmp);
	if (symlink(base, tmp) == 0 && rename(tmp, dst) != 0)
		unlink(tmp);
}

/* The run id remembered for resume=auto, or NULL. */
static char *
resume_file_id(const char *wdir)
{
	char	 path[PATH_MAX], buf[512], *p, *q;
	FILE	*f;
	size_t	 n;

	snprintf(path, sizeof(path), "%s/wandb-resume.json", wdir);
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* {"run_id": "<id>"}: the id has no quotes or backslashes. */
	if ((p = strstr(buf, "\"run_id\"")) == NULL ||
	    (p = strchr(p + 8, '"')) == NULL || (q = strchr(++p, '"')) == NULL)
		return NULL;
	*q = '\0';
	if (wbs_check_run_id(p, NULL, 0) != 0)
		return NULL;
	return strdup(p);
}

/* Run start and session bookkeeping for wbs_run_open(). */
struct start_arg {
	Wbs__RunStart	 rs;
	int		 create;
	int		 resume;
	const struct wbs_opts *opts;
	Wbs__Update	 upd;
	Wbs__Items	 set;
	char		 created[8];
};

static int
build_start(struct wbs_run *run, MDB_txn *txn, Wbs__Record *r, void *argp)
{
	struct start_arg	*a = argp;
	size_t			 len;
	uint8_t			*buf;
	int			 rc;

	if (a->create) {
		int64_t c = run->created_us;

		if ((rc = wbs_run_put_meta(run, txn, "format", "1", 1)) != 0)
			return rc;
		memcpy(a->created, &c, 8);
		if ((rc = wbs_run_put_meta(run, txn, "created", a->created,
		    8)) != 0)
			return rc;
	}
	len = protobuf_c_message_get_packed_size(&a->rs.base);
	if ((buf = malloc(len ? len : 1)) == NULL)
		return WBS_ENOMEM;
	protobuf_c_message_pack(&a->rs.base, buf);
	rc = wbs_run_put_meta(run, txn, "info", buf, len);
	free(buf);
	if (rc != 0)
		return rc;
	r->body_case = WBS__RECORD__BODY_RUN;
	r->run = &a->rs;
	return 0;
}

static int
build_config0(struct wbs_run *run, MDB_txn *txn, Wbs__Record *r, void *argp)
{
	struct start_arg	*a = argp;
	int			 rc;

	wbs__items__init(&a->set);
	wbs__update__init(&a->upd);
	if ((rc = wbs_run_items(run, txn, a->opts->config, a->opts->nconfig,
	    &a->set)) != 0)
		return rc;
	a->upd.set = &a->set;
	r->body_case = WBS__RECORD__BODY_CONFIG;
	r->config = &a->upd;
	return 0;
}

/* Read created time, merged info and the last step of an existing journal. */
static int
load_existing(struct wbs_run *run, struct wbs_arena *ar, Wbs__RunStart **oldp)
{
	ProtobufCAllocator	 pa;
	MDB_txn			*txn;
	MDB_val			 k, v;
	int64_t			 last;
	int			 open, rc;

	if ((rc = wbs_env_txn(&run->env, MDB_RDONLY, &txn, &run->eb)) != 0)
		return rc;
	if ((rc = wbs_env_check_format(&run->env, txn, &run->eb)) != 0)
		goto done;
	k.mv_size = 7;
	k.mv_data = "created";
	if ((rc = mdb_get(txn, run->env.meta, &k, &v)) != 0 || v.mv_size != 8) {
		rc = wbs_err(&run->eb, WBS_ECORRUPT, "journal %s: no creation "
		    "time", run->journal);
		goto done;
	}
	memcpy(&run->created_us, v.mv_data, 8);
	k.mv_size = 4;
	k.mv_data = "info";
	wbs_arena_pb(ar, &pa);
	if ((rc = mdb_get(txn, run->env.meta, &k, &v)) != 0 ||
	    (*oldp = wbs__run_start__unpack(&pa, v.mv_size, v.mv_data)) ==
	    NULL) {
		rc = wbs_err(&run->eb, WBS_ECORRUPT, "journal %s: run info "
		    "missing or damaged", run->journal);
		goto done;
	}
	if ((rc = wbs_keymap_load(&run->keys, txn, run->env.keys,
	    &run->eb)) != 0)
		goto done;
	if ((rc = wbs_run_last_step(&run->env, txn, &last, &open,
	    &run->eb)) != 0)
		goto done;
	run->step = last + 1;
	/* Run time so far: up to the last record of the journal. */
	{
		MDB_cursor *c;

		run->runtime_base_us = 0;
		if (mdb_cursor_open(txn, run->env.rec, &c) == 0) {
			if (mdb_cursor_get(c, &k, &v, MDB_LAST) == 0) {
				struct wbs_arena	 a2 = { 0 };
				struct wbs_buf		 sc = { 0 };
				Wbs__Record		*r;

				if (wbs_rec_decode(v.mv_data, v.mv_size, &a2,
				    &sc, &r, NULL) == 0 && r->time > 0)
					run->runtime_base_us = r->time;
				wbs_arena_release(&a2);
				wbs_buf_release(&sc);
			}
			mdb_cursor_close(c);
		}
	}
	rc = 0;
done:
	mdb_txn_abort(txn);
	return rc;
}

/* Copy session values over the stored ones where given (W&B upsert rule). */
static void
merge_info(Wbs__RunStart *dst, const Wbs__RunStart *src)
{
#define TAKE(f) do { if (src->f != NULL && src->f[0] != '\0') dst->f = src->f; } while (0)
	TAKE(entity);
	TAKE(project);
	TAKE(name);
	TAKE(notes);
	TAKE(group);
	TAKE(job_type);
	TAKE(host);
	TAKE(program);
	TAKE(git_remote);
	TAKE(git_commit);
#undef TAKE
	if (src->n_tags > 0) {
		dst->n_tags = src->n_tags;
		dst->tags = src->tags;
	}
	/* This session's own facts. */
	dst->pid = src->pid;
	dst->start_us = src->start_us;
	dst->starting_step = src->starting_step;
	dst->runtime_base_us = src->runtime_base_us;
	dst->resume = src->resume;
	dst->resumed = src->resumed;
	dst->has_fork = src->has_fork;
	dst->fork_run = src->fork_run;
	dst->fork_step = src->fork_step;
	dst->has_rewind = src->has_rewind;
	dst->rewind_run = src->rewind_run;
	dst->rewind_step = src->rewind_step;
}

/* Parse fork_from / resume_from and fill the run start. */
static int
apply_branch(struct wbs_run *run, const struct wbs_opts *opts,
    Wbs__RunStart *rs, char **fork_run, char **rewind_run)
{
	const char	*fork = wbs_opt_get(opts, WBS_OPT_FORK_FROM);
	const char	*rewind = wbs_opt_get(opts, WBS_OPT_RESUME_FROM);
	const char	*resume = wbs_opt_get(opts, WBS_OPT_RESUME);
	int		 rc;

	if ((fork != NULL) + (rewind != NULL) +
	    (resume != NULL && wbs_resume_parse(resume) > 0) > 1)
		return wbs_err(&run->eb, WBS_EINVAL, "fork_from, resume_from "
		    "and resume are mutually exclusive");
	if (fork != NULL) {
		if ((rc = wbs_parse_moment(fork, fork_run, &rs->fork_step,
		    &run->eb)) != 0)
			return rc;
		rs->has_fork = 1;
		rs->fork_run = *fork_run;
	}
	if (rewind != NULL) {
		if ((rc = wbs_parse_moment(rewind, rewind_run,
		    &rs->rewind_step, &run->eb)) != 0)
			return rc;
		rs->has_rewind = 1;
		rs->rewind_run = *rewind_run;
	}
	return 0;
}

/* Collect option values into the run start message. */
static int
fill_start(struct wbs_run *run, const struct wbs_opts *opts,
    Wbs__RunStart *rs, char ***tagsp, size_t *ntagsp, char *host, size_t hlen)
{
	const char	*v;
	int		 rc;

#define OPT(f, o) do { v = wbs_opt_get(opts, o); rs->f = (char *)(v ? v : ""); } while (0)
	OPT(entity, WBS_OPT_ENTITY);
	OPT(name, WBS_OPT_NAME);
	OPT(notes, WBS_OPT_NOTES);
	OPT(group, WBS_OPT_GROUP);
	OPT(job_type, WBS_OPT_JOB_TYPE);
	OPT(program, WBS_OPT_PROGRAM);
	OPT(git_remote, WBS_OPT_GIT_REMOTE);
	OPT(git_commit, WBS_OPT_GIT_COMMIT);
#undef OPT
	v = wbs_opt_get(opts, WBS_OPT_PROJECT);
	rs->project = (char *)(v ? v : "uncategorized");
	if ((v = wbs_opt_get(opts, WBS_OPT_HOST)) == NULL) {
		if (gethostname(host, hlen - 1) != 0)
			snprintf(host, hlen, "localhost");
		host[hlen - 1] = '\0';
		v = host;
	}
	rs->host = (char *)v;
	/* Values from the environment were not checked by wbs_opts_set(). */
	for (int o = WBS_OPT_DIR; o <= WBS_OPT_LAST; o++)
		if ((v = wbs_opt_get(opts, o)) != NULL &&
		    (rc = wbs_opt_check(o, v, &run->eb)) != 0) {
			if (wbs_opt_env(o) != NULL && (opts == NULL ||
			    opts->val[o] == NULL)) {
				char msg[WBS_ERRMSG];

				snprintf(msg, sizeof(msg), "%s", run->eb.msg);
				wbs_err(&run->eb, rc, "%s: %s", wbs_opt_env(o),
				    msg);
			}
			return rc;
		}
	if ((v = wbs_opt_get(opts, WBS_OPT_TAGS)) != NULL) {
		if ((rc = wbs_tags_split(v, tagsp, ntagsp, &run->eb)) != 0)
			return rc;
		rs->n_tags = *ntagsp;
		rs->tags = *tagsp;
	}
	return 0;
}

/* Open, create or resume a run (see wbstore.h). */
int
wbs_run_open(struct wbs_run **runp, const struct wbs_opts *opts, char *errbuf,
    size_t errlen)
{
	struct wbs_run		*run;
	struct start_arg	 sa;
	struct wbs_arena	 ar = { 0 };
	Wbs__RunStart		*old = NULL;
	char			 wdir[PATH_MAX], path[PATH_MAX], host[256];
	char			 lockpath[PATH_MAX + 16];
	char			 idbuf[16], *fork_run = NULL, *rewind_run = NULL;
	char			 *resume_id = NULL;
	char			**tags = NULL;
	size_t			 ntags = 0;
	const char		*v, *root, *mode, *prefix, *rundir;
	int			 exists, rc, createfd = -1;

	if ((run = calloc(1, sizeof(*run))) == NULL)
		return WBS_ENOMEM;
	pthread_mutex_init(&run->lock, NULL);
	pthread_cond_init(&run->cond, NULL);
	run->lockfd = -1;
	run->kcache.km = &run->keys;
	run->bellfd = -1;
	memset(&sa, 0, sizeof(sa));
	wbs__run_start__init(&sa.rs);
	sa.opts = opts;

	if ((rc = fill_start(run, opts, &sa.rs, &tags, &ntags, host,
	    sizeof(host))) != 0)
		goto done;
	if ((rc = apply_branch(run, opts, &sa.rs, &fork_run, &rewind_run)) != 0)
		goto done;
	v = wbs_opt_get(opts, WBS_OPT_RESUME);
	sa.resume = v ? wbs_resume_parse(v) : WBS_RESUME_UNSET;
	sa.rs.resume = sa.resume;
	v = wbs_opt_get(opts, WBS_OPT_SYNC_INTERVAL);
	run->sync_ms = v ? strtol(v, NULL, 10) : 1000;
	if ((v = wbs_opt_get(opts, WBS_OPT_SEAL_DIR)) != NULL && *v != '\0') {
		if ((run->seal_dir = strdup(v)) == NULL) {
			rc = WBS_ENOMEM;
			goto done;
		}
		v = wbs_opt_get(opts, WBS_OPT_SEAL_INTERVAL);
		run->seal_s = v ? strtol(v, NULL, 10) : 300;
		run->sealed_ns = wbs_mono_ns();
		/* Appends mark it dirty; an open that fails seals nothing. */
	}

	root = wbs_opt_get(opts, WBS_OPT_DIR);
	if (root == NULL)
		root = ".";
	if (wandb_dir(root, wdir, sizeof(wdir)) != 0) {
		rc = wbs_err(&run->eb, WBS_EINVAL, "directory \"%.100s\" is "
		    "too long", root);
		goto done;
	}

	/* The run id: given, remembered for resume=auto, rewound, or new. */
	v = wbs_opt_get(opts, WBS_OPT_ID);
	if (v == NULL && sa.resume == WBS_RESUME_AUTO &&
	    (resume_id = resume_file_id(wdir)) != NULL)
		v = resume_id;
	if (v == NULL && rewind_run != NULL)
		v = rewind_run;
	if (v == NULL) {
		if ((rc = wbs_random_id(idbuf, 9)) != 0) {
			rc = wbs_err(&run->eb, rc, "no randomness for a run id");
			goto done;
		}
		v = idbuf;
	}
	if ((run->id = strdup(v)) == NULL) {
		rc = WBS_ENOMEM;
		goto done;
	}
	sa.rs.id = run->id;
	if (fork_run != NULL && strcmp(fork_run, run->id) == 0) {
		rc = wbs_err(&run->eb, WBS_EINVAL, "fork_from: a run cannot "
		    "fork itself (%s); use resume_from to rewind", run->id);
		goto done;
	}

	mode = wbs_opt_get(opts, WBS_OPT_MODE);
	if (mode != NULL && strcmp(mode, "disabled") == 0) {
		run->disabled = 1;
		goto done;
	}
	prefix = mode != NULL && (strcmp(mode, "online") == 0 ||
	    strcmp(mode, "run") == 0) ? "run" : "offline-run";

	rundir = wbs_opt_get(opts, WBS_OPT_RUN_DIR);
	if (rundir != NULL)
		snprintf(wdir, sizeof(wdir), "%s", rundir);
	/*
	 * Find-or-create under a lock in the wandb directory (or the exact
	 * run directory), so that processes opening one new run id at once
	 * share one journal.
	 */
	if (wbs_mkdirs(wdir, 0755) != 0) {
		rc = wbs_err(&run->eb, errno == ENOSPC ? WBS_ENOSPC : WBS_EIO,
		    "%s: %s", wdir, strerror(errno));
		goto done;
	}
	snprintf(lockpath, sizeof(lockpath), "%s/.wbstore.lock", wdir);
	if ((createfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC,
	    0644)) < 0 || flock(createfd, LOCK_EX) != 0) {
		rc = wbs_err(&run->eb, WBS_EIO, "%s: %s", lockpath,
		    strerror(errno));
		goto done;
	}
	if (rundir != NULL) {
		struct stat sb;

		snprintf(path, sizeof(path), "%s/run-%s.wbs/data.mdb", rundir,
		    run->id);
		exists = stat(path, &sb) == 0;
		snprintf(path, sizeof(path), "%s", rundir);
	} else
		exists = find_run(wdir, run->id, path, sizeof(path)) == 0;
	if (exists && sa.resume == WBS_RESUME_NEVER) {
		rc = wbs_err(&run->eb, WBS_EEXIST, "run %s exists in %s and "
		    "resume is \"never\"", run->id, path);
		goto done;
	}
	v = wbs_opt_get(opts, WBS_OPT_START_TIME);
	run->start_us = v != NULL ? strtoll(v, NULL, 10) : wbs_now_us();
	sa.rs.start_us = run->start_us;
	sa.rs.pid = (int64_t)getpid();
	if (exists || rundir != NULL) {
		if ((run->dir = strdup(path)) == NULL) {
			rc = WBS_ENOMEM;
			goto done;
		}
		if (!exists) {
			char sub[PATH_MAX + 8];

			snprintf(sub, sizeof(sub), "%s/files", run->dir);
			(void)mkdir(sub, 0755);
			snprintf(sub, sizeof(sub), "%s/logs", run->dir);
			(void)mkdir(sub, 0755);
		}
	} else if ((rc = make_run_dir(run, wdir, prefix, run->start_us)) != 0)
		goto done;
	snprintf(path, sizeof(path), "%s/run-%s.wbs", run->dir, run->id);
	if ((run->journal = strdup(path)) == NULL) {
		rc = WBS_ENOMEM;
		goto done;
	}
	/*
	 * A new journal is built under a temporary name and renamed into
	 * place once its first record is committed, so that a writer killed
	 * during creation never leaves a journal without metadata behind.
	 */
	if (!exists) {
		char stale[PATH_MAX + 32];

		snprintf(path, sizeof(path), "%s/.run-%s.wbs.new", run->dir,
		    run->id);
		/* Left by a writer killed while creating: start afresh. */
		snprintf(stale, sizeof(stale), "%s/data.mdb", path);
		unlink(stale);
		snprintf(stale, sizeof(stale), "%s/lock.mdb", path);
		unlink(stale);
		snprintf(stale, sizeof(stale), "%s/writer.lock", path);
		unlink(stale);
		snprintf(stale, sizeof(stale), "%s/syncpoint.0", path);
		unlink(stale);
		snprintf(stale, sizeof(stale), "%s/syncpoint.1", path);
		unlink(stale);
	}
	if (!exists && mkdir(path, 0755) != 0 && errno != EEXIST) {
		rc = wbs_err(&run->eb, errno == ENOSPC ? WBS_ENOSPC : WBS_EIO,
		    "%s: %s", path, strerror(errno));
		goto done;
	}
	v = wbs_opt_get(opts, WBS_OPT_WRITE_MODE);
	if ((rc = wbs_env_open(&run->env, path, WBS_ENV_WRITER |
	    (v != NULL && strcmp(v, "write") == 0 ? WBS_ENV_WRITE : 0) |
	    (run->sync_ms == 0 ? WBS_ENV_DURABLE : 0) |
	    (exists ? 0 : WBS_ENV_CREATE), &run->eb)) != 0)
		goto done;
	run->env_open = 1;
	/*
	 * Every live writer holds writer.lock shared; the kernel drops it when
	 * the process dies, however it dies, so readers can tell a crashed
	 * run from a live one without trusting pids.
	 */
	snprintf(lockpath, sizeof(lockpath), "%s/doorbell", run->env.path);
	if ((run->bellfd = open(lockpath, O_WRONLY | O_CREAT | O_CLOEXEC,
	    0644)) < 0) {
		rc = wbs_err(&run->eb, WBS_EIO, "%s: %s", lockpath,
		    strerror(errno));
		goto done;
	}
	snprintf(lockpath, sizeof(lockpath), "%s/writer.lock", run->env.path);
	if ((run->lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC,
	    0644)) < 0 || flock(run->lockfd, LOCK_SH) != 0) {
		rc = wbs_err(&run->eb, WBS_EIO, "%s: %s", lockpath,
		    strerror(errno));
		goto done;
	}

	if (exists) {
		if ((rc = load_existing(run, &ar, &old)) != 0)
			goto done;
		sa.rs.resumed = 1;
		sa.rs.starting_step = run->step;
		sa.rs.runtime_base_us = run->runtime_base_us;
		if (wbs_opt_get(opts, WBS_OPT_START_TIME) == NULL)
			run->start_us = wbs_now_us();
		sa.rs.start_us = run->start_us;
		/* Stored attributes, updated by what this session gave. */
		merge_info(old, &sa.rs);
		sa.rs = *old;
		if ((rc = wbs_run_append(run, build_start, &sa)) != 0)
			goto done;
	} else {
		run->created_us = run->start_us;
		sa.create = 1;
		if ((rc = wbs_run_append(run, build_start, &sa)) != 0)
			goto done;
		if ((rc = wbs_env_sync(&run->env, &run->eb)) != 0)
			goto done;
		if (rename(path, run->journal) != 0) {
			rc = wbs_err(&run->eb, WBS_EIO, "%s: %s", run->journal,
			    strerror(errno));
			goto done;
		}
		free(run->env.path);
		if ((run->env.path = strdup(run->journal)) == NULL) {
			rc = WBS_ENOMEM;
			goto done;
		}
	}
	close(createfd);
	createfd = -1;
	if (opts != NULL && opts->nconfig > 0 &&
	    (rc = wbs_run_append(run, build_config0, &sa)) != 0)
		goto done;
	if (rundir == NULL)
		link_latest(run, wdir);
	if (sa.resume == WBS_RESUME_AUTO && rundir == NULL) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/wandb-resume.json", wdir);
		if ((f = fopen(path, "w")) != NULL) {
			fprintf(f, "{\"run_id\": \"%s\"}\n", run->id);
			fclose(f);
		}
	}
	if (run->sync_ms > 0 || (run->seal_dir != NULL && run->seal_s > 0)) {
		if (pthread_create(&run->syncer, NULL, syncer_main, run) != 0) {
			rc = wbs_err(&run->eb, WBS_EIO, "cannot start the sync "
			    "thread");
			goto done;
		}
		run->syncer_running = 1;
	}
	rc = 0;
done:
	if (createfd >= 0)
		close(createfd);
	if (rc != 0 && errbuf != NULL && errlen > 0)
		snprintf(errbuf, errlen, "%s", run->eb.msg[0] ? run->eb.msg :
		    wbs_strerror(rc));
	wbs_arena_release(&ar);
	free(fork_run);
	free(rewind_run);
	free(resume_id);
	if (tags != NULL)
		for (size_t i = 0; i < ntags; i++)
			free(tags[i]);
	free(tags);
	if (rc != 0)
		wbs_run_close(run);
	else
		*runp = run;
	return rc;
}

struct exit_arg {
	Wbs__Exit	ex;
};

static int
build_exit(struct wbs_run *run, MDB_txn *txn, Wbs__Record *r, void *argp)
{
	struct exit_arg	*a = argp;
	size_t		 len = protobuf_c_message_get_packed_size(&a->ex.base);
	uint8_t		 buf[32];
	int		 rc;

	if (len > sizeof(buf))
		return WBS_EINVAL;
	protobuf_c_message_pack(&a->ex.base, buf);
	if ((rc = wbs_run_put_meta(run, txn, "exit", buf, len)) != 0)
		return rc;
	r->body_case = WBS__RECORD__BODY_EXIT;
	r->exit = &a->ex;
	return 0;
}

/* Finish the run with an exit code; sync the journal to disk. */
int
wbs_run_finish(struct wbs_run *run, int exit_code)
{
	struct exit_arg	a;
	int64_t		now;
	int		rc;

	if (run->disabled) {
		run->finished = 1;
		return 0;
	}
	wbs__exit__init(&a.ex);
	now = run->clock_us ? run->clock_us : wbs_now_us();
	a.ex.code = exit_code;
	a.ex.runtime_ms = (run->runtime_base_us + now - run->start_us) / 1000;
	if ((rc = wbs_run_append(run, build_exit, &a)) != 0)
		return rc;
	run->finished = 1;
	run->row_open = 0;
	if ((rc = wbs_env_sync(&run->env, &run->eb)) != 0)
		return rc;
	/* A finished run is no longer the one resume=auto comes back to. */
	{
		char	path[PATH_MAX], *slash;

		snprintf(path, sizeof(path), "%s", run->dir);
		if ((slash = strrchr(path, '/')) != NULL) {
			char	 file[PATH_MAX + 32];
			char	*id;

			*slash = '\0';
			if ((id = resume_file_id(path)) != NULL) {
				if (strcmp(id, run->id) == 0) {
					snprintf(file, sizeof(file),
					    "%s/wandb-resume.json", path);
					unlink(file);
				}
				free(id);
			}
		}
	}
	/* The sealed copy gets the exit record too. */
	if ((rc = seal_if_dirty(run, &run->eb)) != 0) {
		char msg[sizeof(run->eb.msg)];

		memcpy(msg, run->eb.msg, sizeof(msg));
		return wbs_err(&run->eb, rc, "run %s finished, but its sealed "
		    "copy is not up to date: %s", run->id, msg);
	}
	return 0;
}

/* Close the handle; unfinished runs stay "running". */
void
wbs_run_close(struct wbs_run *run)
{
	if (run == NULL)
		return;
	if (run->syncer_running) {
		pthread_mutex_lock(&run->lock);
		run->stop = 1;
		pthread_cond_signal(&run->cond);
		pthread_mutex_unlock(&run->lock);
		pthread_join(run->syncer, NULL);
	}
	if (run->env_open) {
		struct wbs_errbuf eb;

		wbs_env_sync(&run->env, NULL);
		if (seal_if_dirty(run, &eb) != 0)
			wbs_log(3, "journal %s: %s", run->journal, eb.msg);
		/* Let go of writer.lock first: see wbs_sp_close(). */
		if (run->lockfd >= 0)
			close(run->lockfd);
		run->lockfd = -1;
		wbs_env_close(&run->env);
	}
	if (run->lockfd >= 0)
		close(run->lockfd);
	if (run->bellfd >= 0)
		close(run->bellfd);
	wbs_keymap_release(&run->keys);
	wbs_kcache_release(&run->kcache);
	free(run->newkeys);
	free(run->rows.a);
	free(run->seal_dir);
	wbs_buf_release(&run->out);
	wbs_buf_release(&run->scratch);
	free(run->ib.dkeys);
	free(run->ib.dvals);
	free(run->ib.ikeys);
	free(run->ib.ivals);
	free(run->ib.items);
	free(run->ib.values);
	free(run->ib.ptrs);
	free(run->id);
	free(run->dir);
	free(run->journal);
	pthread_cond_destroy(&run->cond);
	pthread_mutex_destroy(&run->lock);
	free(run);
}
