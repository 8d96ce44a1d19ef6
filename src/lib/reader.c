/*
 * reader.c - reading journals: metadata, records, cursors, verification.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "wbs-int.h"
#include "writer.h"

#define RENEW_EVERY	4096	/* records read per read transaction */
#define LAST_STEP_SCAN	100000	/* records scanned back for the last step */

struct wbs_journal {
	struct wbs_env		 env;
	struct wbs_keymap	 keys;
	struct wbs_errbuf	 eb;
	struct wbs_arena	 ar;
	struct wbs_buf		 scratch;
	struct wbs_buf		 cursor;
	struct wbs_run_info	 info;
	int64_t			 created_us;
};

struct wbs_iter {
	struct wbs_journal	*j;
	MDB_txn			*txn;
	MDB_cursor		*c;
	uint64_t		 next_seq;
	unsigned		 reads;
	struct wbs_arena	 ar;
	struct wbs_buf		 scratch;
	struct wbs_record	 rec;
	struct wbs_item		*items;
	const char		**keys;
	size_t			 cap;
	struct wbs_run_info	 ri;
	struct wbs_metric	 metric;
	struct wbs_file		 file;
	struct wbs_alert	 alert;
};

static const char *
nz(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

/* Fill a public run info from a RunStart message (pointers borrowed). */
void
wbs_info_from_pb(struct wbs_run_info *ri, const Wbs__RunStart *rs)
{
	memset(ri, 0, sizeof(*ri));
	ri->id = rs->id ? rs->id : "";
	ri->entity = nz(rs->entity);
	ri->project = rs->project && rs->project[0] ? rs->project :
	    "uncategorized";
	ri->name = nz(rs->name);
	ri->notes = nz(rs->notes);
	ri->group = nz(rs->group);
	ri->job_type = nz(rs->job_type);
	ri->host = nz(rs->host);
	ri->program = nz(rs->program);
	ri->git_remote = nz(rs->git_remote);
	ri->git_commit = nz(rs->git_commit);
	ri->tags = (const char *const *)rs->tags;
	ri->ntags = rs->n_tags;
	ri->resume = rs->resume;
	ri->resumed = rs->resumed;
	if (rs->has_fork) {
		ri->fork_run = rs->fork_run;
		ri->fork_step = rs->fork_step;
	}
	if (rs->has_rewind) {
		ri->rewind_run = rs->rewind_run;
		ri->rewind_step = rs->rewind_step;
	}
	ri->start_us = rs->start_us;
	ri->starting_step = rs->starting_step;
	ri->pid = rs->pid;
	ri->runtime_base_us = rs->runtime_base_us;
}

/* Resolve path to a journal directory: itself, or the run-*.wbs inside. */
int
wbs_journal_resolve(const char *path, char *out, size_t len,
    struct wbs_errbuf *eb)
{
	struct stat	 sb;
	char		 probe[PATH_MAX];
	DIR		*d;
	struct dirent	*de;
	int		 found = 0;

	if (stat(path, &sb) != 0)
		return wbs_err(eb, errno == ENOENT ? WBS_ENOTFOUND : WBS_EIO,
		    "%s: %s", path, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return wbs_err(eb, WBS_EINVAL, "%s: not a journal or run "
		    "directory", path);
	snprintf(probe, sizeof(probe), "%s/data.mdb", path);
	if (stat(probe, &sb) == 0) {
		snprintf(out, len, "%s", path);
		return 0;
	}
	if ((d = opendir(path)) == NULL)
		return wbs_err(eb, WBS_EIO, "%s: %s", path, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);

		if (n > 8 && strncmp(de->d_name, "run-", 4) == 0 &&
		    strcmp(de->d_name + n - 4, ".wbs") == 0) {
			if (found++ == 0)
				snprintf(out, len, "%s/%s", path, de->d_name);
		}
	}
	closedir(d);
	if (found == 0)
		return wbs_err(eb, WBS_ENOTFOUND, "%s: no run-*.wbs journal "
		    "in this directory", path);
	if (found > 1)
		return wbs_err(eb, WBS_EINVAL, "%s: %d journals in one run "
		    "directory; name one", path, found);
	return 0;
}

/* Read created time and info from meta. */
static int
load_meta(struct wbs_journal *j, MDB_txn *txn)
{
	ProtobufCAllocator	 pa;
	Wbs__RunStart		*rs;
	MDB_val			 k = { 7, "created" }, v;
	int			 rc;

	if ((rc = wbs_env_check_format(&j->env, txn, &j->eb)) != 0)
		return rc;
	if (mdb_get(txn, j->env.meta, &k, &v) != 0 || v.mv_size != 8)
		return wbs_err(&j->eb, WBS_ECORRUPT, "journal %s: creation "
		    "time missing", j->env.path);
	memcpy(&j->created_us, v.mv_data, 8);
	k.mv_size = 4;
	k.mv_data = "info";
	if ((rc = mdb_get(txn, j->env.meta, &k, &v)) != 0)
		return wbs_err(&j->eb, WBS_ECORRUPT, "journal %s: run info "
		    "missing", j->env.path);
	wbs_arena_reset(&j->ar);
	wbs_arena_pb(&j->ar, &pa);
	if ((rs = wbs__run_start__unpack(&pa, v.mv_size, v.mv_data)) == NULL)
		return wbs_err(&j->eb, WBS_ECORRUPT, "journal %s: run info "
		    "does not decode", j->env.path);
	wbs_info_from_pb(&j->info, rs);
	return 0;
}

/* Open a journal for reading (see wbstore.h). */
int
wbs_journal_open(struct wbs_journal **jp, const char *path, unsigned flags,
    char *errbuf, size_t errlen)
{
	struct wbs_errbuf	eb;
	char			dir[PATH_MAX];
	int			rc;

	eb.msg[0] = '\0';
	if (flags & ~(unsigned)WBS_JOURNAL_RDWR)
		rc = wbs_err(&eb, WBS_EINVAL, "unknown journal flags 0x%x",
		    flags);
	else if ((rc = wbs_journal_resolve(path, dir, sizeof(dir), &eb)) == 0)
		return wbs_journal_open_dir(jp, dir, flags & WBS_JOURNAL_RDWR ?
		    0 : WBS_ENV_RDONLY, errbuf, errlen);
	if (errbuf != NULL && errlen > 0)
		snprintf(errbuf, errlen, "%s", eb.msg[0] ? eb.msg :
		    wbs_strerror(rc));
	return rc;
}

struct wbs_env *
wbs_journal_env(struct wbs_journal *j)
{
	return &j->env;
}

/* Open the journal at directory dir. */
int
wbs_journal_open_dir(struct wbs_journal **jp, const char *dir,
    unsigned envflags, char *errbuf, size_t errlen)
{
	struct wbs_journal	*j;
	MDB_txn			*txn = NULL;
	int			 rc;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return WBS_ENOMEM;
	if ((rc = wbs_env_open(&j->env, dir, envflags, &j->eb)) != 0)
		goto fail;
	if ((rc = wbs_env_txn(&j->env, MDB_RDONLY, &txn, &j->eb)) != 0)
		goto fail;
	if ((rc = load_meta(j, txn)) != 0 ||
	    (rc = wbs_keymap_load(&j->keys, txn, j->env.keys, &j->eb)) != 0)
		goto fail;
	mdb_txn_abort(txn);
	*jp = j;
	return 0;
fail:
	if (txn != NULL)
		mdb_txn_abort(txn);
	if (errbuf != NULL && errlen > 0)
		snprintf(errbuf, errlen, "%s", j->eb.msg[0] ? j->eb.msg :
		    wbs_strerror(rc));
	if (j->env.env != NULL)
		wbs_env_close(&j->env);
	wbs_keymap_release(&j->keys);
	wbs_arena_release(&j->ar);
	free(j);
	return rc;
}

/* Close a journal. */
void
wbs_journal_close(struct wbs_journal *j)
{
	if (j == NULL)
		return;
	wbs_env_close(&j->env);
	wbs_keymap_release(&j->keys);
	wbs_arena_release(&j->ar);
	wbs_buf_release(&j->scratch);
	wbs_buf_release(&j->cursor);
	free(j);
}

const char *
wbs_journal_errmsg(const struct wbs_journal *j)
{
	return j->eb.msg;
}

const char *
wbs_journal_path(const struct wbs_journal *j)
{
	return j->env.path;
}

/* The run's current attributes. */
int
wbs_journal_info(struct wbs_journal *j, const struct wbs_run_info **infop)
{
	MDB_txn	*txn;
	int	 rc;

	if ((rc = wbs_env_txn(&j->env, MDB_RDONLY, &txn, &j->eb)) != 0)
		return rc;
	rc = load_meta(j, txn);
	mdb_txn_abort(txn);
	if (rc == 0)
		*infop = &j->info;
	return rc;
}

/*
 * Step of the last history record (-1 if none within LAST_STEP_SCAN
 * records of the end) and whether its row is still open.
 */
int
wbs_run_last_step(struct wbs_env *env, MDB_txn *txn, int64_t *stepp,
    int *openp, struct wbs_errbuf *eb)
{
	struct wbs_arena	 ar = { 0 };
	struct wbs_buf		 sc = { 0 };
	MDB_cursor		*c;
	MDB_val			 k, v;
	Wbs__Record		*r;
	int			 rc, n = 0;

	*stepp = -1;
	*openp = 0;
	if ((rc = mdb_cursor_open(txn, env->rec, &c)) != 0)
		return wbs_err_mdb(eb, rc, "opening the record table");
	for (rc = mdb_cursor_get(c, &k, &v, MDB_LAST); rc == 0 &&
	    n < LAST_STEP_SCAN; rc = mdb_cursor_get(c, &k, &v, MDB_PREV), n++) {
		wbs_arena_reset(&ar);
		if (wbs_rec_decode(v.mv_data, v.mv_size, &ar, &sc, &r, NULL) !=
		    0)
			continue;
		if (r->body_case == WBS__RECORD__BODY_HISTORY) {
			*stepp = r->history->step;
			*openp = (r->history->flags & WBS_LOG_NOCOMMIT) != 0;
			break;
		}
		if (r->body_case == WBS__RECORD__BODY_RUN &&
		    r->run->resumed && r->run->starting_step > 0) {
			*stepp = r->run->starting_step - 1;
			break;
		}
	}
	mdb_cursor_close(c);
	wbs_arena_release(&ar);
	wbs_buf_release(&sc);
	return 0;
}

/* Journal statistics. */
int
wbs_journal_stat(struct wbs_journal *j, struct wbs_journal_stat *st)
{
	struct wbs_journal_stat	 s;
	MDB_txn			*txn;
	MDB_cursor		*c;
	MDB_val			 k = { 4, "exit" }, v;
	MDB_stat		 ms;
	MDB_envinfo		 info;
	Wbs__Record		*r;
	int			 isopen, rc;

	memset(&s, 0, sizeof(s));
	s.format = WBS_FORMAT;
	if ((rc = wbs_env_txn(&j->env, MDB_RDONLY, &txn, &j->eb)) != 0)
		return rc;
	if ((rc = mdb_get(txn, j->env.meta, &k, &v)) == 0) {
		Wbs__Exit *ex = wbs__exit__unpack(NULL, v.mv_size, v.mv_data);

		if (ex == NULL) {
			rc = wbs_err(&j->eb, WBS_ECORRUPT, "journal %s: exit "
			    "record in meta does not decode", j->env.path);
			goto done;
		}
		s.exit_code = ex->code;
		s.state = ex->code == 0 ? WBS_STATE_FINISHED : WBS_STATE_FAILED;
		wbs__exit__free_unpacked(ex, NULL);
	}
	s.created_us = j->created_us;
	if ((rc = mdb_stat(txn, j->env.rec, &ms)) != 0) {
		rc = wbs_err_mdb(&j->eb, rc, j->env.path);
		goto done;
	}
	s.records = ms.ms_entries;
	mdb_env_info(j->env.env, &info);
	mdb_env_stat(j->env.env, &ms);
	s.bytes = ((uint64_t)info.me_last_pgno + 1) * ms.ms_psize;
	if ((rc = mdb_cursor_open(txn, j->env.rec, &c)) != 0) {
		rc = wbs_err_mdb(&j->eb, rc, j->env.path);
		goto done;
	}
	if (mdb_cursor_get(c, &k, &v, MDB_LAST) == 0 && k.mv_size == 8) {
		s.last_seq = wbs_seq_get(k.mv_data);
		wbs_arena_reset(&j->ar);
		if (wbs_rec_decode(v.mv_data, v.mv_size, &j->ar, &j->scratch,
		    &r, NULL) == 0)
			s.last_us = j->created_us + r->time;
	}
	mdb_cursor_close(c);
	if ((rc = wbs_run_last_step(&j->env, txn, &s.last_step, &isopen,
	    &j->eb)) != 0)
		goto done;
	/* A live writer holds writer.lock shared (see writer.c). */
	{
		char	lock[PATH_MAX];
		int	fd;

		snprintf(lock, sizeof(lock), "%s/writer.lock", j->env.path);
		if ((fd = open(lock, O_RDONLY | O_CLOEXEC)) >= 0) {
			if (flock(fd, LOCK_EX | LOCK_NB) != 0 &&
			    errno == EWOULDBLOCK)
				s.live = 1;
			close(fd);
		}
	}
	/* The arena held info: reload it. */
	rc = load_meta(j, txn);
done:
	mdb_txn_abort(txn);
	if (rc == 0)
		*st = s;
	return rc;
}

/* ------------------------------------------------------------------ */

/* Open an iterator at from_seq. */
int
wbs_iter_open(struct wbs_iter **itp, struct wbs_journal *j, uint64_t from_seq)
{
	struct wbs_iter	*it;
	int		 rc;

	if ((it = calloc(1, sizeof(*it))) == NULL)
		return WBS_ENOMEM;
	it->j = j;
	it->next_seq = from_seq ? from_seq : 1;
	if ((rc = wbs_env_txn(&j->env, MDB_RDONLY, &it->txn, &j->eb)) != 0)
		goto fail;
	if ((rc = mdb_cursor_open(it->txn, j->env.rec, &it->c)) != 0) {
		rc = wbs_err_mdb(&j->eb, rc, j->env.path);
		goto fail;
	}
	*itp = it;
	return 0;
fail:
	if (it->txn != NULL)
		mdb_txn_abort(it->txn);
	free(it);
	return rc;
}

/* Free an iterator. */
void
wbs_iter_free(struct wbs_iter *it)
{
	if (it == NULL)
		return;
	if (it->c != NULL)
		mdb_cursor_close(it->c);
	if (it->txn != NULL)
		mdb_txn_abort(it->txn);
	wbs_arena_release(&it->ar);
	wbs_buf_release(&it->scratch);
	free(it->items);
	free(it->keys);
	free(it);
}

/* Start a fresh read snapshot (to see appends and release old pages). */
static int
iter_renew(struct wbs_iter *it)
{
	int rc;

	mdb_cursor_close(it->c);
	it->c = NULL;
	mdb_txn_abort(it->txn);
	it->txn = NULL;
	if ((rc = wbs_env_txn(&it->j->env, MDB_RDONLY, &it->txn,
	    &it->j->eb)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(it->txn, it->j->env.rec, &it->c)) != 0)
		return wbs_err_mdb(&it->j->eb, rc, it->j->env.path);
	it->reads = 0;
	return 0;
}

/* Name of key id, reloading the key table once if it is new to us. */
static const char *
key_name(struct wbs_iter *it, uint32_t id)
{
	const char *name = wbs_keymap_name(&it->j->keys, id);

	if (name == NULL && wbs_keymap_load(&it->j->keys, it->txn,
	    it->j->env.keys, NULL) == 0)
		name = wbs_keymap_name(&it->j->keys, id);
	return name;
}

/* Make room for n items / keys. */
static int
iter_reserve(struct wbs_iter *it, size_t n)
{
	size_t		 cap = it->cap ? it->cap : 32;
	struct wbs_item	*items;
	const char	**keys;

	if (n <= it->cap)
		return 0;
	while (cap < n)
		cap *= 2;
	if ((items = realloc(it->items, cap * sizeof(*items))) == NULL)
		return WBS_ENOMEM;
	it->items = items;
	if ((keys = realloc(it->keys, cap * sizeof(*keys))) == NULL)
		return WBS_ENOMEM;
	it->keys = keys;
	it->cap = cap;
	return 0;
}

/* Expand an Items message into the public item array. */
static int
iter_items(struct wbs_iter *it, const Wbs__Items *s, uint64_t seq)
{
	size_t	n, k = 0;
	int	rc;

	if (s == NULL) {
		it->rec.items = NULL;
		it->rec.nitems = 0;
		return 0;
	}
	if (s->n_dkeys != s->n_dvals || s->n_ikeys != s->n_ivals)
		return wbs_err(&it->j->eb, WBS_ECORRUPT, "journal %s: record "
		    "%ju: key and value counts differ", it->j->env.path,
		    (uintmax_t)seq);
	n = s->n_dkeys + s->n_ikeys + s->n_other;
	if ((rc = iter_reserve(it, n)) != 0)
		return rc;
	for (size_t i = 0; i < s->n_dkeys; i++, k++) {
		it->items[k].key = key_name(it, s->dkeys[i]);
		it->items[k].v.type = WBS_DOUBLE;
		it->items[k].v.u.d = s->dvals[i];
	}
	for (size_t i = 0; i < s->n_ikeys; i++, k++) {
		it->items[k].key = key_name(it, s->ikeys[i]);
		it->items[k].v.type = WBS_INT;
		it->items[k].v.u.i = s->ivals[i];
	}
	for (size_t i = 0; i < s->n_other; i++, k++) {
		const Wbs__Item		*pi = s->other[i];
		struct wbs_value	*v = &it->items[k].v;

		it->items[k].key = key_name(it, pi->key);
		if (pi->value == NULL)
			return wbs_err(&it->j->eb, WBS_ECORRUPT, "journal %s: "
			    "record %ju: item without value", it->j->env.path,
			    (uintmax_t)seq);
		switch (pi->value->kind_case) {
		case WBS__VALUE__KIND_NULL:
			v->type = WBS_NULL;
			break;
		case WBS__VALUE__KIND_D:
			v->type = WBS_DOUBLE;
			v->u.d = pi->value->d;
			break;
		case WBS__VALUE__KIND_I:
			v->type = WBS_INT;
			v->u.i = pi->value->i;
			break;
		case WBS__VALUE__KIND_B:
			v->type = WBS_BOOL;
			v->u.b = pi->value->b;
			break;
		case WBS__VALUE__KIND_S:
			v->type = WBS_STRING;
			v->u.s.ptr = (const char *)pi->value->s.data;
			v->u.s.len = pi->value->s.len;
			break;
		case WBS__VALUE__KIND_JSON:
			v->type = WBS_JSON;
			v->u.s.ptr = (const char *)pi->value->json.data;
			v->u.s.len = pi->value->json.len;
			break;
		case WBS__VALUE__KIND_BYTES:
			v->type = WBS_BYTES;
			v->u.s.ptr = (const char *)pi->value->bytes.data;
			v->u.s.len = pi->value->bytes.len;
			break;
		default:
			return wbs_err(&it->j->eb, WBS_ECORRUPT, "journal %s: "
			    "record %ju: value of unknown type",
			    it->j->env.path, (uintmax_t)seq);
		}
		if (v->type >= WBS_STRING && v->u.s.ptr == NULL)
			v->u.s.ptr = "";
	}
	for (size_t i = 0; i < n; i++)
		if (it->items[i].key == NULL)
			return wbs_err(&it->j->eb, WBS_ECORRUPT, "journal %s: "
			    "record %ju: unknown key id", it->j->env.path,
			    (uintmax_t)seq);
	it->rec.items = it->items;
	it->rec.nitems = n;
	return 0;
}

/* Expand key ids (removals). */
static int
iter_keys(struct wbs_iter *it, const uint32_t *ids, size_t n, uint64_t seq)
{
	int rc;

	if ((rc = iter_reserve(it, n)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		if ((it->keys[i] = key_name(it, ids[i])) == NULL)
			return wbs_err(&it->j->eb, WBS_ECORRUPT, "journal %s: "
			    "record %ju: unknown key id %u", it->j->env.path,
			    (uintmax_t)seq, ids[i]);
	it->rec.keys = it->keys;
	it->rec.nkeys = n;
	return 0;
}

/* Turn a decoded record into the public form. */
static int
iter_fill(struct wbs_iter *it, const Wbs__Record *r, uint64_t seq)
{
	struct wbs_record	*rec = &it->rec;
	int			 rc = 0;

	memset(rec, 0, sizeof(*rec));
	rec->seq = seq;
	rec->time_us = it->j->created_us + r->time;
	switch (r->body_case) {
	case WBS__RECORD__BODY_RUN:
		rec->type = WBS_REC_RUN;
		wbs_info_from_pb(&it->ri, r->run);
		rec->run = &it->ri;
		break;
	case WBS__RECORD__BODY_HISTORY: {
		const Wbs__History	*h = r->history;
		Wbs__Items		 view = WBS__ITEMS__INIT;

		rec->type = WBS_REC_HISTORY;
		rec->step = h->step;
		rec->flags = h->flags ? h->flags : WBS_LOG_COMMIT;
		view.n_dkeys = h->n_dkeys;
		view.dkeys = h->dkeys;
		view.n_dvals = h->n_dvals;
		view.dvals = h->dvals;
		view.n_ikeys = h->n_ikeys;
		view.ikeys = h->ikeys;
		view.n_ivals = h->n_ivals;
		view.ivals = h->ivals;
		view.n_other = h->n_other;
		view.other = h->other;
		rc = iter_items(it, &view, seq);
		break;
	}
	case WBS__RECORD__BODY_CONFIG:
	case WBS__RECORD__BODY_SUMMARY: {
		const Wbs__Update *u = r->body_case == WBS__RECORD__BODY_CONFIG ?
		    r->config : r->summary;

		rec->type = r->body_case == WBS__RECORD__BODY_CONFIG ?
		    WBS_REC_CONFIG : WBS_REC_SUMMARY;
		rc = iter_items(it, u->set, seq);
		/* Items and keys share one capacity: reserve for both. */
		if (rc == 0 && u->n_remove > 0) {
			size_t		 ni = rec->nitems;
			struct wbs_item	*saved = NULL;

			if (ni > 0) {
				saved = wbs_arena_alloc(&it->ar, ni *
				    sizeof(*saved));
				if (saved == NULL)
					return WBS_ENOMEM;
				memcpy(saved, it->items, ni * sizeof(*saved));
			}
			rc = iter_keys(it, u->remove, u->n_remove, seq);
			if (rc == 0 && ni > 0) {
				memcpy(it->items, saved, ni * sizeof(*saved));
				rec->items = it->items;
				rec->nitems = ni;
			}
		}
		break;
	}
	case WBS__RECORD__BODY_METRIC:
		rec->type = WBS_REC_METRIC;
		it->metric.name = nz(r->metric->name);
		it->metric.glob = nz(r->metric->glob);
		it->metric.step_metric = nz(r->metric->step_metric);
		it->metric.summary = r->metric->summary;
		it->metric.goal = r->metric->goal;
		it->metric.flags = r->metric->flags;
		rec->metric = &it->metric;
		break;
	case WBS__RECORD__BODY_STATS:
		rec->type = WBS_REC_STATS;
		rc = iter_items(it, r->stats, seq);
		break;
	case WBS__RECORD__BODY_ENVIRONMENT:
		rec->type = WBS_REC_ENVIRONMENT;
		rc = iter_items(it, r->environment, seq);
		break;
	case WBS__RECORD__BODY_CONSOLE:
		rec->type = WBS_REC_CONSOLE;
		rec->stream = r->console->stream;
		rec->text = r->console->text.data ?
		    (const char *)r->console->text.data : "";
		rec->textlen = r->console->text.len;
		break;
	case WBS__RECORD__BODY_FILE:
		rec->type = WBS_REC_FILE;
		it->file.path = r->file->path;
		it->file.policy = r->file->policy;
		it->file.type = r->file->type;
		rec->file = &it->file;
		break;
	case WBS__RECORD__BODY_SET:
		rec->type = WBS_REC_SET;
		rec->field = r->set->field;
		rec->text = r->set->value;
		rec->textlen = strlen(r->set->value);
		break;
	case WBS__RECORD__BODY_TAGS:
		rec->type = WBS_REC_TAGS;
		rec->keys = (const char *const *)r->tags->tags;
		rec->nkeys = r->tags->n_tags;
		break;
	case WBS__RECORD__BODY_ALERT:
		rec->type = WBS_REC_ALERT;
		it->alert.title = r->alert->title;
		it->alert.text = r->alert->text;
		it->alert.level = r->alert->level;
		it->alert.wait_ms = r->alert->wait_ms;
		rec->alert = &it->alert;
		break;
	case WBS__RECORD__BODY_PREEMPTING:
		rec->type = WBS_REC_PREEMPTING;
		break;
	case WBS__RECORD__BODY_EXIT:
		rec->type = WBS_REC_EXIT;
		rec->exit_code = r->exit->code;
		rec->runtime_ms = r->exit->runtime_ms;
		break;
	default:
		return wbs_err(&it->j->eb, WBS_ECORRUPT, "journal %s: record "
		    "%ju: unknown type %d", it->j->env.path, (uintmax_t)seq,
		    (int)r->body_case);
	}
	return rc;
}

/* Next record (see wbstore.h). */
int
wbs_iter_next(struct wbs_iter *it, const struct wbs_record **recp)
{
	struct wbs_journal	*j = it->j;
	MDB_val			 k, v;
	uint8_t			 kb[8];
	Wbs__Record		*r;
	uint64_t		 seq;
	int			 rc, renewed = 0;

	if (it->txn == NULL || it->reads >= RENEW_EVERY) {
		if ((rc = iter_renew(it)) != 0)
			return rc;
		renewed = 1;
	}
	for (;;) {
		wbs_seq_put(kb, it->next_seq);
		k.mv_size = 8;
		k.mv_data = kb;
		rc = wbs_guard_cursor_get(it->c, &k, &v, MDB_SET_RANGE,
		    j->env.path, &j->eb);
		if (rc == 0)
			break;
		if (rc == WBS_ECORRUPT)
			return rc;
		if (rc != MDB_NOTFOUND)
			return wbs_err_mdb(&j->eb, rc, j->env.path);
		if (renewed)
			return 0;
		/* At the end of this snapshot: look again at a fresh one. */
		if ((rc = iter_renew(it)) != 0)
			return rc;
		renewed = 1;
	}
	if (k.mv_size != 8)
		return wbs_err(&j->eb, WBS_ECORRUPT, "journal %s: record key "
		    "of %zu bytes", j->env.path, k.mv_size);
	seq = wbs_seq_get(k.mv_data);
	it->reads++;
	wbs_arena_reset(&it->ar);
	if ((rc = wbs_rec_decode(v.mv_data, v.mv_size, &it->ar, &it->scratch,
	    &r, &j->eb)) != 0) {
		char msg[WBS_ERRMSG];

		snprintf(msg, sizeof(msg), "%s", j->eb.msg);
		return wbs_err(&j->eb, rc, "journal %s: record %ju: %s",
		    j->env.path, (uintmax_t)seq, msg);
	}
	if ((rc = iter_fill(it, r, seq)) != 0)
		return rc;
	it->next_seq = seq + 1;
	*recp = &it->rec;
	return 1;
}

/* ------------------------------------------------------------------ */

/* Check a destination name. */
static int
check_dest(struct wbs_journal *j, const char *dest)
{
	size_t len = strlen(dest);

	if (len == 0 || len > 511)
		return wbs_err(&j->eb, WBS_EINVAL, "cursor destination must be "
		    "1 to 511 bytes");
	return 0;
}

/* Read the cursor of a destination. */
int
wbs_journal_get_cursor(struct wbs_journal *j, const char *dest,
    const void **valp, size_t *lenp)
{
	MDB_txn	*txn;
	MDB_val	 k, v;
	int	 rc;

	if ((rc = check_dest(j, dest)) != 0)
		return rc;
	if (j->env.sync == 0) {
		/* Opened read-only before any cursor existed: look again. */
		if ((rc = wbs_env_txn(&j->env, MDB_RDONLY, &txn, &j->eb)) != 0)
			return rc;
		rc = mdb_dbi_open(txn, "sync", 0, &j->env.sync);
		if (rc == 0)
			rc = mdb_txn_commit(txn);
		else
			mdb_txn_abort(txn);
		if (rc != 0) {
			j->env.sync = 0;
			return wbs_err(&j->eb, WBS_ENOTFOUND, "no cursor for "
			    "%s", dest);
		}
	}
	if ((rc = wbs_env_txn(&j->env, MDB_RDONLY, &txn, &j->eb)) != 0)
		return rc;
	k.mv_size = strlen(dest);
	k.mv_data = (void *)dest;
	rc = mdb_get(txn, j->env.sync, &k, &v);
	if (rc == MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		return wbs_err(&j->eb, WBS_ENOTFOUND, "no cursor for %s", dest);
	}
	if (rc != 0) {
		mdb_txn_abort(txn);
		return wbs_err_mdb(&j->eb, rc, j->env.path);
	}
	if ((rc = wbs_buf_reserve(&j->cursor, v.mv_size + 1)) != 0) {
		mdb_txn_abort(txn);
		return wbs_err(&j->eb, rc, "cursor of %zu bytes", v.mv_size);
	}
	memcpy(j->cursor.p, v.mv_data, v.mv_size);
	j->cursor.p[v.mv_size] = 0;
	j->cursor.len = v.mv_size;
	mdb_txn_abort(txn);
	*valp = j->cursor.p;
	*lenp = j->cursor.len;
	return 0;
}

/* Store the cursor of a destination, durably. */
int
wbs_journal_put_cursor(struct wbs_journal *j, const char *dest,
    const void *val, size_t len)
{
	MDB_txn	*txn;
	MDB_val	 k, v;
	int	 rc;

	if (j->env.rdonly)
		return wbs_err(&j->eb, WBS_ERDONLY, "journal %s was opened "
		    "read-only; cursors need WBS_JOURNAL_RDWR", j->env.path);
	if ((rc = check_dest(j, dest)) != 0)
		return rc;
	if (val == NULL && len > 0)
		return wbs_err(&j->eb, WBS_EINVAL, "cursor value is NULL");
	for (int tries = 0; tries < 4; tries++) {
		if ((rc = wbs_env_txn(&j->env, 0, &txn, &j->eb)) != 0)
			return rc;
		k.mv_size = strlen(dest);
		k.mv_data = (void *)dest;
		v.mv_size = len;
		v.mv_data = (void *)val;
		rc = mdb_put(txn, j->env.sync, &k, &v, 0);
		if (rc == 0)
			rc = mdb_txn_commit(txn);
		else
			mdb_txn_abort(txn);
		if (rc != MDB_MAP_FULL)
			break;
		if ((rc = wbs_env_grow(&j->env, len + 65536, &j->eb)) != 0)
			return rc;
		rc = MDB_MAP_FULL;
	}
	if (rc != 0)
		return wbs_err_mdb(&j->eb, rc, "storing a cursor");
	return 0;
}

/* Check every record (see wbstore.h). */
int
wbs_journal_verify(struct wbs_journal *j, uint64_t *nrecords)
{
	struct wbs_iter		*it;
	const struct wbs_record	*rec;
	uint64_t		 n = 0, expect = 1;
	int			 rc;

	if ((rc = wbs_iter_open(&it, j, 1)) != 0)
		return rc;
	while ((rc = wbs_iter_next(it, &rec)) == 1) {
		if (rec->seq != expect) {
			rc = wbs_err(&j->eb, WBS_ECORRUPT, "journal %s: "
			    "records %ju to %ju are missing", j->env.path,
			    (uintmax_t)expect, (uintmax_t)rec->seq - 1);
			break;
		}
		if (n == 0 && rec->type != WBS_REC_RUN) {
			rc = wbs_err(&j->eb, WBS_ECORRUPT, "journal %s: "
			    "record 1 is not a run start", j->env.path);
			break;
		}
		expect++;
		n++;
	}
	wbs_iter_free(it);
	if (rc < 0) {
		if (rc != WBS_ECORRUPT && rc != WBS_EVERSION)
			return rc;
		return rc;
	}
	if (nrecords != NULL)
		*nrecords = n;
	return 0;
}
