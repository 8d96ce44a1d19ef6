/*
 * import.c - find .wandb logs, keep the import cursor, drive the mapping.
 *
 * One pass over a log: lock the log (flock on the .wandb file, so that two
 * importers of one log take turns), read the journal's cursor, skip the
 * records imported before (checking that they are still the same), map
 * the new ones, close the writer, then store the new cursor.  A new
 * journal is built in a temporary directory inside the run directory and
 * renamed into place only once its cursor is stored, so an interrupted
 * first import leaves nothing behind.  Appending to an existing journal
 * cannot be made atomic with the cursor through the public API (the
 * writer and a journal handle cannot be open in one process at once), so
 * the cursor also records the journal's last sequence number: an append
 * that was interrupted before its cursor was stored is detected and
 * reported instead of being imported twice.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "imp-int.h"
#include "wandb/wandblog.h"

#define PEEK_RECORDS	64	/* records read to find the run record */
#define CURSOR_MAGIC	"wbs-import 1"
#define TMP_PREFIX	".wbstore-import-"

static const char *const type_names[IMPORT_NTYPES] = {
	"header", "run", "config", "history", "summary", "metric", "stats",
	"output_raw", "output", "output_logger", "files", "alert",
	"preempting", "telemetry", "environment", "exit", "final", "footer",
	"artifact", "use_artifact", "noop_link_artifact", "tbrecord",
	"request", "unknown", "undecodable"
};

const char *
import_type_name(int type)
{
	return type >= 0 && type < IMPORT_NTYPES ? type_names[type] : "?";
}

/* What the cursor of a log holds. */
struct cursor {
	uint64_t	records;	/* records of the log imported */
	uint64_t	offset;		/* where the last of them starts */
	uint64_t	hash;		/* of their payloads, chained */
	uint64_t	size;		/* size of the log then */
	int64_t		mtime_ns;
	uint64_t	seq;		/* journal's last sequence number */
	int		exit_seen;
	int		exit_code;
	int64_t		exit_runtime;
};

static void
cursor_format(const struct cursor *c, char *out, size_t len)
{
	snprintf(out, len, CURSOR_MAGIC " records=%" PRIu64 " offset=%" PRIu64
	    " hash=%016" PRIx64 " size=%" PRIu64 " mtime_ns=%" PRId64
	    " seq=%" PRIu64 " exit=%d code=%d runtime=%" PRId64 "\n",
	    c->records, c->offset, c->hash, c->size, c->mtime_ns, c->seq,
	    c->exit_seen, c->exit_code, c->exit_runtime);
}

static int
cursor_parse(const void *val, size_t len, struct cursor *c)
{
	char buf[512];

	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, val, len);
	buf[len] = '\0';
	memset(c, 0, sizeof(*c));
	if (sscanf(buf, CURSOR_MAGIC " records=%" SCNu64 " offset=%" SCNu64
	    " hash=%" SCNx64 " size=%" SCNu64 " mtime_ns=%" SCNd64
	    " seq=%" SCNu64 " exit=%d code=%d runtime=%" SCNd64,
	    &c->records, &c->offset, &c->hash, &c->size, &c->mtime_ns, &c->seq,
	    &c->exit_seen, &c->exit_code, &c->exit_runtime) != 9)
		return -1;
	return 0;
}

/* One pass over one log. */
struct pass {
	struct imp		 im;
	const char		*wandb;
	char			 dest[PATH_MAX];	/* cursor name */
	char			 journal[PATH_MAX + 64];
	char			 tmpdir[PATH_MAX + 64];
	int			 exists;	/* journal there already */
	int			 have_cursor;
	struct cursor		 cur;
	struct stat		 sb;
	struct imp_arena	 peek;
	const WbsWandb__RunRecord *rr;		/* first run record (peek) */
	const WbsWandb__EnvironmentRecord *env;
	const struct wbs_run_info *info;	/* of an existing journal */
	struct wbs_opts		*ropts;		/* options to resume it */
	struct wbs_journal	*j;
	uint64_t		 seq0;		/* journal's last seq before */
	uint64_t		 done;		/* records fully imported */
	uint64_t		 done_off;
	uint64_t		 done_hash;
	int			 partial;	/* a record half written */
};

static int
fail(struct pass *p, const char *fmt, ...)
	__attribute__((__format__(__printf__, 2, 3)));

static int
fail(struct pass *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->im.msg, sizeof(p->im.msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* Remove a tree (temporary import directories). */
static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)f;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static void
rmtree(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Remove temporary directories left by interrupted imports of id. */
static void
clean_tmp(const char *rundir, const char *id)
{
	char		 prefix[256], path[PATH_MAX + 256];
	DIR		*d;
	struct dirent	*de;

	snprintf(prefix, sizeof(prefix), TMP_PREFIX "%s.", id);
	if ((d = opendir(rundir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) {
			snprintf(path, sizeof(path), "%s/%s", rundir,
			    de->d_name);
			rmtree(path);
		}
	closedir(d);
}

/* Reader notices (skipped damage) go to the caller's callback. */
static void
reader_notice(void *arg, const char *msg)
{
	struct imp	*im = arg;
	size_t		 n = strlen(im->name);

	if (strncmp(msg, im->name, n) == 0 && strncmp(msg + n, ": ", 2) == 0)
		msg += n + 2;
	imp_notice(im, "%s", msg);
}

/* Decode a payload into the arena; NULL if it is not a Record. */
static WbsWandb__Record *
decode(struct imp_arena *a, const uint8_t *data, size_t len)
{
	ProtobufCAllocator pa;

	imp_arena_pb(a, &pa);
	return wbs_wandb__record__unpack(&pa, len, data);
}

/* A first time from a record that carries one, 0 if none. */
static int64_t
record_time(struct imp *im, const WbsWandb__Record *rec)
{
	switch (rec->record_type_case) {
	case WBS_WANDB__RECORD__RECORD_TYPE_STATS:
		return imp_ts_us(rec->stats->timestamp);
	case WBS_WANDB__RECORD__RECORD_TYPE_OUTPUT_RAW:
		return imp_ts_us(rec->output_raw->timestamp);
	case WBS_WANDB__RECORD__RECORD_TYPE_HISTORY:
		for (size_t i = 0; i < rec->history->n_item; i++) {
			const WbsWandb__HistoryItem *h = rec->history->item[i];
			struct wbs_value v;

			if (((h->n_nested_key == 1 &&
			    strcmp(h->nested_key[0], "_timestamp") == 0) ||
			    strcmp(h->key, "_timestamp") == 0) &&
			    xj_scalar(h->value_json, strlen(h->value_json), &v,
			    &im->a) == 0 && v.type == WBS_DOUBLE &&
			    v.u.d > 0 && v.u.d < 9e12)
				return (int64_t)(v.u.d * 1e6);
		}
		return 0;
	default:
		return 0;
	}
}

/*
 * Read the first records: the first run and environment records (kept
 * in p->peek), the run id, and a start time.
 */
static int
peek(struct pass *p, char *id, size_t idlen)
{
	struct wandblog	*r;
	const uint8_t	*data;
	size_t		 len;
	char		 err[WANDBLOG_ERRMAX];
	const char	*base;
	int64_t		 first = 0;

	if (wandblog_open(&r, p->wandb, err, sizeof(err)) != 0)
		return fail(p, "%s", err);
	for (int n = 0; n < PEEK_RECORDS && wandblog_next(r, &data, &len) == 1;
	    n++) {
		WbsWandb__Record *rec = decode(&p->peek, data, len);

		if (rec == NULL)
			continue;
		if (rec->record_type_case == WBS_WANDB__RECORD__RECORD_TYPE_RUN &&
		    p->rr == NULL)
			p->rr = rec->run;
		else if (rec->record_type_case ==
		    WBS_WANDB__RECORD__RECORD_TYPE_ENVIRONMENT && p->env == NULL)
			p->env = rec->environment;
		if (first == 0)
			first = record_time(&p->im, rec);
	}
	wandblog_close(r);
	p->im.start_us = p->rr != NULL ? imp_ts_us(p->rr->start_time) : 0;
	if (p->im.start_us == 0)
		p->im.start_us = first;
	/* Records before the first one with a time of its own. */
	p->im.t_us = p->im.start_us;
	if (p->rr != NULL && p->rr->run_id[0] != '\0') {
		snprintf(id, idlen, "%s", p->rr->run_id);
		return 0;
	}
	base = strrchr(p->wandb, '/');
	base = base ? base + 1 : p->wandb;
	len = strlen(base);
	if (strncmp(base, "run-", 4) == 0 && len > 10 &&
	    strcmp(base + len - 6, ".wandb") == 0 && len - 10 < idlen) {
		snprintf(id, idlen, "%.*s", (int)(len - 10), base + 4);
		return 0;
	}
	id[0] = '\0';
	return 0;
}

static int	resume_opts(struct pass *, struct wbs_opts *, const char *);

/*
 * Read the cursor and state of an existing journal, and the options to
 * resume it with (its attributes are borrowed from the journal handle, so
 * they are copied into the options while it is open).
 */
static int
load_journal(struct pass *p)
{
	struct wbs_journal_stat	 st;
	const void		*val;
	size_t			 len;
	char			 err[IMPORT_ERRMAX];
	int			 rc;

	if ((rc = wbs_journal_open(&p->j, p->journal, WBS_JOURNAL_RDONLY, err,
	    sizeof(err))) != 0)
		return fail(p, "%s", err);
	rc = wbs_journal_get_cursor(p->j, p->dest, &val, &len);
	if (rc == WBS_ENOTFOUND)
		return fail(p, "%s: the journal %s was not made by importing "
		    "this log; leaving it alone", p->wandb, p->journal);
	if (rc != 0 || cursor_parse(val, len, &p->cur) != 0)
		return fail(p, "%s: %s: import cursor %s is unreadable",
		    p->wandb, p->journal, p->dest);
	if (wbs_journal_stat(p->j, &st) != 0 ||
	    wbs_journal_info(p->j, &p->info) != 0)
		return fail(p, "%s", wbs_journal_errmsg(p->j));
	if (st.last_seq != p->cur.seq)
		return fail(p, "%s: the journal %s holds %" PRIu64 " records "
		    "but its import stopped at %" PRIu64 " (an import was "
		    "interrupted, or a writer added records); remove the "
		    "journal to import this log afresh", p->wandb, p->journal,
		    st.last_seq, p->cur.seq);
	p->have_cursor = 1;
	p->seq0 = st.last_seq;
	p->im.t_us = st.last_us;
	p->im.start_us = st.created_us;
	p->im.exit_seen = p->cur.exit_seen;
	p->im.exit_code = p->cur.exit_code;
	p->im.exit_runtime_s = p->cur.exit_runtime;
	p->im.ir->total_records = p->cur.records;
	p->im.ir->finished = st.state != WBS_STATE_RUNNING;
	if (wbs_opts_new(&p->ropts) != 0)
		return fail(p, "out of memory");
	return resume_opts(p, p->ropts, p->im.ir->id);
}

/* Options of a later session: the journal's own attributes. */
static int
resume_opts(struct pass *p, struct wbs_opts *o, const char *id)
{
	static const char *const modes[] = { "false", "allow", "must",
	    "never", "auto" };
	const struct wbs_run_info *ri = p->info;
	char	 start[32], tags[4096] = "";
	size_t	 tl = 0;
	int	 plain = 1;

#define V(x)	((x) != NULL ? (x) : "")
	for (size_t i = 0; i < ri->ntags; i++) {
		if (strchr(ri->tags[i], ',') != NULL)
			plain = 0;
		tl += (size_t)snprintf(tags + tl, tl < sizeof(tags) ?
		    sizeof(tags) - tl : 0, "%s%s", i ? "," : "", ri->tags[i]);
	}
	snprintf(start, sizeof(start), "%" PRId64, p->im.t_us > 0 ?
	    p->im.t_us : p->im.start_us);
	if (wbs_opts_set(o, WBS_OPT_ID, id) != 0 ||
	    wbs_opts_set(o, WBS_OPT_MODE, "offline") != 0 ||
	    wbs_opts_set(o, WBS_OPT_ENTITY, V(ri->entity)) != 0 ||
	    wbs_opts_set(o, WBS_OPT_PROJECT, ri->project) != 0 ||
	    wbs_opts_set(o, WBS_OPT_NAME, V(ri->name)) != 0 ||
	    wbs_opts_set(o, WBS_OPT_NOTES, V(ri->notes)) != 0 ||
	    wbs_opts_set(o, WBS_OPT_GROUP, V(ri->group)) != 0 ||
	    wbs_opts_set(o, WBS_OPT_JOB_TYPE, V(ri->job_type)) != 0 ||
	    wbs_opts_set(o, WBS_OPT_HOST, V(ri->host)) != 0 ||
	    wbs_opts_set(o, WBS_OPT_PROGRAM, V(ri->program)) != 0 ||
	    wbs_opts_set(o, WBS_OPT_GIT_REMOTE, V(ri->git_remote)) != 0 ||
	    wbs_opts_set(o, WBS_OPT_GIT_COMMIT, V(ri->git_commit)) != 0 ||
	    wbs_opts_set(o, WBS_OPT_TAGS, plain && tl < sizeof(tags) ? tags :
	    "") != 0 ||
	    wbs_opts_set(o, WBS_OPT_RESUME, ri->resume >= 0 && ri->resume <= 4 &&
	    ri->resume != WBS_RESUME_NEVER ? modes[ri->resume] : "false") != 0 ||
	    wbs_opts_set(o, WBS_OPT_SYNC_INTERVAL, "60000") != 0 ||
	    (p->im.t_us > 0 && wbs_opts_set(o, WBS_OPT_START_TIME, start) != 0))
		return fail(p, "%s: options from %s: %s", p->wandb, p->journal,
		    wbs_opts_errmsg(o));
	p->im.name_v = ri->name ? strdup(ri->name) : NULL;
	p->im.notes_v = ri->notes ? strdup(ri->notes) : NULL;
	p->im.group_v = ri->group ? strdup(ri->group) : NULL;
	p->im.job_v = ri->job_type ? strdup(ri->job_type) : NULL;
#undef V
	return 0;
}

/* Open the writer: a new journal in the temporary directory, or resume. */
static int
open_run(struct pass *p, const char *id)
{
	struct wbs_opts	*o;
	char		 err[IMPORT_ERRMAX];
	int		 rc = 0;

	if (p->exists) {
		o = p->ropts;		/* from load_journal() */
		p->ropts = NULL;
	} else if (wbs_opts_new(&o) != 0)
		return fail(p, "out of memory");
	else
		rc = imp_run_opts(&p->im, p->rr, p->env, o, id);
	if (rc == 0 && wbs_opts_set(o, WBS_OPT_RUN_DIR, p->exists ?
	    p->im.ir->rundir : p->tmpdir) != 0)
		rc = fail(p, "%s", wbs_opts_errmsg(o));
	if (rc == 0 && (rc = wbs_run_open(&p->im.run, o, err,
	    sizeof(err))) != 0)
		rc = fail(p, "%s: opening the journal: %s", p->wandb, err);
	wbs_opts_free(o);
	if (rc != 0)
		return -1;
	/* The session's run record, and the initial config with it. */
	p->im.ir->written += 1 + (unsigned)p->im.config0;
	if (!p->exists && p->rr != NULL && imp_run_opened(&p->im, p->rr) != 0)
		return -1;
	return 0;
}

/* 1 if records of this type need the journal open. */
static int
writes(int type)
{
	switch (type) {
	case IMPORT_T_HEADER:
	case IMPORT_T_FINAL:
	case IMPORT_T_FOOTER:
	case IMPORT_T_ARTIFACT:
	case IMPORT_T_USE_ARTIFACT:
	case IMPORT_T_LINK_ARTIFACT:
	case IMPORT_T_TBRECORD:
	case IMPORT_T_REQUEST:
	case IMPORT_T_UNKNOWN:
	case IMPORT_T_UNDECODABLE:
		return 0;
	default:
		return 1;
	}
}

/* Map one new record (payload data). 0, or -1 on a fatal error. */
static int
one(struct pass *p, const char *id, const uint8_t *data, size_t len)
{
	struct imp		*im = &p->im;
	WbsWandb__Record	*rec;
	int			 type;

	imp_arena_reset(&im->a);
	if ((rec = decode(&im->a, data, len)) == NULL) {
		im->ir->types[IMPORT_T_UNDECODABLE]++;
		imp_notice(im, "record %" PRIu64 " (%zu bytes) is not a valid "
		    "Record; skipped", im->recno, len);
		return 0;
	}
	type = imp_type(rec);
	im->ir->types[type]++;
	if (im->run == NULL) {
		if (!writes(type)) {
			if (type != IMPORT_T_HEADER && type != IMPORT_T_FINAL &&
			    type != IMPORT_T_FOOTER)
				im->ir->not_imported++;
			return 0;
		}
		if (open_run(p, id) != 0)
			return -1;
	}
	if (imp_record(im, rec) != 0)
		return -1;
	return 0;
}

/*
 * Read the log: skip what the cursor says was imported (checking it is
 * unchanged), map the rest.  0, or -1 with the reason in im->msg.
 */
static int
read_log(struct pass *p, const char *id)
{
	struct imp	*im = &p->im;
	struct wandblog	*r;
	const uint8_t	*data;
	size_t		 len;
	char		 err[WANDBLOG_ERRMAX];
	uint64_t	 n = 0, h = 0, w;
	int		 rc, changed = 0;

	if (wandblog_open(&r, p->wandb, err, sizeof(err)) != 0)
		return fail(p, "%s", err);
	wandblog_set_log(r, reader_notice, im);
	while ((rc = wandblog_next(r, &data, &len)) == 1) {
		h = imp_hash(h, data, len);
		n++;
		if (n <= p->cur.records) {
			if (n == p->cur.records && (h != p->cur.hash ||
			    wandblog_offset(r) != p->cur.offset)) {
				changed = 1;
				break;
			}
			continue;
		}
		im->recno = n;
		im->ir->records++;
		w = im->ir->written;
		if (one(p, id, data, len) != 0) {
			/* A record half written leaves no usable cursor. */
			p->partial = im->ir->written != w;
			wandblog_close(r);
			return -1;
		}
		p->done = n;
		p->done_off = wandblog_offset(r);
		p->done_hash = h;
	}
	im->ir->skipped_bytes = wandblog_skipped_bytes(r);
	im->ir->skipped_regions = wandblog_skipped_regions(r);
	im->ir->incomplete = wandblog_incomplete(r);
	im->ir->incomplete_bytes = wandblog_incomplete_bytes(r);
	if (rc < 0 && !changed) {
		fail(p, "%s (records before it were imported)",
		    wandblog_errmsg(r));
		wandblog_close(r);
		return -1;
	}
	wandblog_close(r);
	if (changed || n < p->cur.records)
		return fail(p, "%s: the log changed in its imported part (its "
		    "first %" PRIu64 " records are not the ones imported "
		    "before); remove %s to import it afresh", p->wandb,
		    p->cur.records, p->journal);
	return 0;
}

/* Store the cursor in the journal at path (the final or temporary one). */
static int
put_cursor(struct pass *p, const char *path)
{
	struct wbs_journal	*j;
	struct wbs_journal_stat	 st;
	struct cursor		 c;
	char			 val[512], err[IMPORT_ERRMAX];
	int			 rc;

	if ((rc = wbs_journal_open(&j, path, WBS_JOURNAL_RDWR, err,
	    sizeof(err))) != 0)
		return fail(p, "%s: storing the import cursor: %s", p->wandb,
		    err);
	if ((rc = wbs_journal_stat(j, &st)) == 0) {
		memset(&c, 0, sizeof(c));
		c.records = p->done;
		c.offset = p->done_off;
		c.hash = p->done_hash;
		c.size = (uint64_t)p->sb.st_size;
		c.mtime_ns = (int64_t)p->sb.st_mtim.tv_sec * 1000000000 +
		    p->sb.st_mtim.tv_nsec;
		c.seq = st.last_seq;
		c.exit_seen = p->im.exit_seen;
		c.exit_code = p->im.exit_code;
		c.exit_runtime = p->im.exit_runtime_s;
		p->im.ir->finished = st.state != WBS_STATE_RUNNING;
		cursor_format(&c, val, sizeof(val));
		rc = wbs_journal_put_cursor(j, p->dest, val, strlen(val));
	}
	if (rc != 0)
		fail(p, "%s: storing the import cursor: %s", p->wandb,
		    wbs_journal_errmsg(j));
	wbs_journal_close(j);
	return rc != 0 ? -1 : 0;
}

/* Move a new journal from the temporary directory into the run directory. */
static int
install(struct pass *p, const char *id)
{
	char		from[PATH_MAX + 300];
	struct stat	sb;
	int		fd;

	snprintf(from, sizeof(from), "%s/run-%s.wbs", p->tmpdir, id);
	if (stat(p->journal, &sb) == 0)
		return fail(p, "%s: %s appeared while importing; not "
		    "replacing it", p->wandb, p->journal);
	if (rename(from, p->journal) != 0)
		return fail(p, "%s: %s: %s", p->wandb, p->journal,
		    strerror(errno));
	/* Make the rename durable too. */
	if ((fd = open(p->im.ir->rundir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	return 0;
}

/* The run id checked; the journal, cursor and temporary names set. */
static int
names(struct pass *p, const char *id)
{
	const char	*base = strrchr(p->wandb, '/');
	char		 err[256];

	base = base ? base + 1 : p->wandb;
	if (id[0] == '\0')
		return fail(p, "%s: no run record among the first %d records "
		    "and the file is not named run-ID.wandb: no run id",
		    p->wandb, PEEK_RECORDS);
	if (wbs_check_run_id(id, err, sizeof(err)) != 0)
		return fail(p, "%s: run id \"%s\": %s", p->wandb, id, err);
	snprintf(p->im.ir->id, sizeof(p->im.ir->id), "%s", id);
	snprintf(p->dest, sizeof(p->dest), IMPORT_CURSOR_PREFIX "%s", base);
	snprintf(p->journal, sizeof(p->journal), "%s/run-%s.wbs",
	    p->im.ir->rundir, id);
	snprintf(p->tmpdir, sizeof(p->tmpdir), "%s/" TMP_PREFIX "%s.%ld",
	    p->im.ir->rundir, id, (long)getpid());
	if ((p->im.ir->journal = strdup(p->journal)) == NULL)
		return fail(p, "out of memory");
	return 0;
}

/* Close the writer and store what was imported; rc: the pass so far. */
static int
commit(struct pass *p, const char *id, int rc)
{
	struct imp	*im = &p->im;
	int		 opened = im->run != NULL, advanced, store;
	char		 msg[IMPORT_ERRMAX];

	if (rc == 0 && opened && imp_finish(im) != 0)
		rc = -1;
	wbs_run_close(im->run);
	im->run = NULL;
	advanced = p->done > p->cur.records;
	/* What is stored must be exactly the records counted in the cursor. */
	store = !p->partial && (p->exists || opened) &&
	    (advanced || p->cur.size != (uint64_t)p->sb.st_size);
	if (store) {
		snprintf(msg, sizeof(msg), "%s", im->msg);
		if (put_cursor(p, p->exists ? p->journal : p->tmpdir) != 0 ||
		    (!p->exists && install(p, id) != 0))
			rc = -1;
		else if (rc != 0)
			snprintf(im->msg, sizeof(im->msg), "%s", msg);
	}
	if (!p->exists) {
		struct stat sb;

		rmtree(p->tmpdir);
		if (stat(p->journal, &sb) != 0) {
			free(im->ir->journal);
			im->ir->journal = NULL;
		}
	}
	if (store && advanced && opened)
		im->ir->status = p->exists ? IMPORT_UPDATED : IMPORT_NEW;
	else
		im->ir->status = IMPORT_UPTODATE;
	im->ir->total_records = store ? p->done : p->cur.records;
	im->ir->exit_seen = im->exit_seen;
	im->ir->exit_code = im->exit_code;
	return rc;
}

/* One pass over an opened, locked log. */
static int
pass_run(struct pass *p)
{
	struct stat	sb;
	char		id[128];
	int		rc;

	if (peek(p, id, sizeof(id)) != 0 || names(p, id) != 0)
		return -1;
	clean_tmp(p->im.ir->rundir, id);
	p->exists = stat(p->journal, &sb) == 0;
	if (p->exists) {
		rc = load_journal(p);
		wbs_journal_close(p->j);
		p->j = NULL;
		if (rc != 0)
			return -1;
		if (p->cur.size == (uint64_t)p->sb.st_size &&
		    p->cur.mtime_ns == (int64_t)p->sb.st_mtim.tv_sec *
		    1000000000 + p->sb.st_mtim.tv_nsec) {
			p->im.ir->status = IMPORT_UPTODATE;
			p->im.ir->exit_seen = p->cur.exit_seen;
			p->im.ir->exit_code = p->cur.exit_code;
			return 0;
		}
	} else if (mkdir(p->tmpdir, 0755) != 0)
		return fail(p, "%s: %s", p->tmpdir, strerror(errno));
	p->done = p->cur.records;
	p->done_off = p->cur.offset;
	p->done_hash = p->cur.hash;
	rc = read_log(p, id);
	return commit(p, id, rc);
}

/* See import.h. */
int
import_file(const char *wandb, const struct import_opts *o,
    struct import_run *ir)
{
	struct pass	 p;
	struct timespec	 t0, t1;
	char		*slash;
	int		 fd = -1, rc = -1;

	memset(ir, 0, sizeof(*ir));
	memset(&p, 0, sizeof(p));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	p.wandb = wandb;
	p.im.o = o;
	p.im.ir = ir;
	p.im.name = wandb;
	if ((ir->wandb = strdup(wandb)) == NULL ||
	    (ir->rundir = strdup(wandb)) == NULL) {
		fail(&p, "out of memory");
		goto done;
	}
	if ((slash = strrchr(ir->rundir, '/')) != NULL)
		*(slash == ir->rundir ? slash + 1 : slash) = '\0';
	else
		strcpy(ir->rundir, ".");
	p.im.files_dir = NULL;
	if ((fd = open(wandb, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fstat(fd, &p.sb) != 0) {
		fail(&p, "%s: %s", wandb, strerror(errno));
		goto done;
	}
	if (!S_ISREG(p.sb.st_mode)) {
		fail(&p, "%s: not a regular file", wandb);
		goto done;
	}
	ir->size = (uint64_t)p.sb.st_size;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		fail(&p, "%s: %s", wandb, errno == EWOULDBLOCK ? "another "
		    "import of this log is running" : strerror(errno));
		goto done;
	}
	{
		char fdir[PATH_MAX + 16];

		snprintf(fdir, sizeof(fdir), "%s/files", ir->rundir);
		if ((p.im.files_dir = strdup(fdir)) == NULL) {
			fail(&p, "out of memory");
			goto done;
		}
	}
	rc = pass_run(&p);
done:
	if (rc != 0) {
		ir->status = IMPORT_FAILED;
		snprintf(ir->error, sizeof(ir->error), "%s", p.im.msg[0] ?
		    p.im.msg : "import failed");
	}
	if (fd >= 0)
		close(fd);		/* drops the lock */
	wbs_run_close(p.im.run);
	wbs_journal_close(p.j);
	wbs_opts_free(p.ropts);
	free((char *)p.im.files_dir);
	imp_arena_release(&p.peek);
	imp_arena_release(&p.im.a);
	imp_items_release(&p.im.it);
	free(p.im.kv);
	trk_release(&p.im.trk);
	imp_meta_release(&p.im);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ir->seconds = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return rc != 0 ? -1 : 0;
}
