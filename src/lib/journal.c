/*
 * journal.c - the LMDB environment behind a journal: open, grow, sync,
 * format checks and the interned key table.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wbs-int.h"

/*
 * Flags for the process that appends records.  MDB_WRITEMAP|MDB_NOSYNC
 * makes a commit a handful of stores into the shared file mapping: it is
 * in the page cache, so it survives kill -9 of the writer, at a cost of
 * well under a microsecond (see t/bench/writer).  The background msync
 * every sync interval bounds what power loss can take -- but see below on
 * what it cannot promise.  The data file is preallocated
 * (posix_fallocate) before the map grows into it, so that a full disk is a
 * clean WBS_ENOSPC from the call that needed the space instead of a SIGBUS
 * from a store into a hole.
 *
 * Writers of big batches (WBS_OPT_WRITE_MODE "write": relays, importers)
 * leave out MDB_WRITEMAP: LMDB then builds pages in memory it reuses and
 * write(2)s them at commit.  A commit costs system calls, shared by the
 * batch's rows, and no page of the file is ever first touched through the
 * mapping, a page fault each (tens of microseconds on some virtual
 * machines).  Commits are as durable against kill -9.  The file is
 * preallocated in this mode too: a write(2) cut short by a full disk
 * would be a bare EIO from LMDB.
 *
 * Against an OS crash: with MDB_NOSYNC nothing orders the pages that reach
 * the disk, and a crash while some are on their way (during the
 * background sync, or whenever the kernel writes pages back on its own)
 * can leave a newer meta page pointing at pages that never arrived, or
 * at pages of the last synced tree that were already reused: the whole
 * journal, not just its newest records, can become unreadable.
 * t/unit/oscrash-t shows it on a file system that loses unsynced data.
 * Write mode therefore keeps LMDB's order, MDB_NOMETASYNC: each commit
 * writes its pages and fdatasyncs them before it writes the meta page,
 * so a crash can undo the last commit but never damage the tree; the
 * background sync makes that meta page durable.  A sync interval of 0
 * (WBS_ENV_DURABLE) syncs every commit fully, in either mode.  Map mode
 * with an interval keeps MDB_NOSYNC: a commit that waits for the disk is
 * hundreds of times the microsecond a trainer's log call may cost.  Its
 * background syncs record sync points instead, which the first open
 * after a reboot checks the journal against (syncpoint.c).
 */
#define WRITER_FLAGS	(MDB_WRITEMAP | MDB_NOSYNC | MDB_NOMETASYNC)
#define WRITE_MODE_FLAGS	MDB_NOMETASYNC

/*
 * LMDB checks its pages with assertions, and a failed one aborts the
 * process: a reader of a journal damaged on disk would die instead of
 * reporting it.  A read that may meet damage runs under a guard
 * (wbs_guard_cursor_get); the assertion then jumps back to it.  Only
 * reads are guarded: a read-only cursor holds no lock, so leaving it
 * mid-way leaves nothing held, and the caller stops using it.
 */
static _Thread_local sigjmp_buf	*guard_jb;
static _Thread_local char	 guard_msg[200];

static void
guard_assert(MDB_env *env, const char *msg)
{
	(void)env;
	if (guard_jb != NULL) {
		snprintf(guard_msg, sizeof(guard_msg), "%s", msg);
		siglongjmp(*guard_jb, 1);
	}
}

/* mdb_cursor_get, or WBS_ECORRUPT (errmsg set) where LMDB would abort. */
int
wbs_guard_cursor_get(MDB_cursor *c, MDB_val *k, MDB_val *v,
    MDB_cursor_op op, const char *path, struct wbs_errbuf *eb)
{
	sigjmp_buf	 jb;
	sigjmp_buf	*volatile prev = guard_jb;
	int		 rc;

	if (sigsetjmp(jb, 0) != 0) {
		guard_jb = prev;
		return wbs_err(eb, WBS_ECORRUPT, "journal %s: damaged: LMDB "
		    "found a page it cannot use (%s)", path, guard_msg);
	}
	guard_jb = &jb;
	rc = mdb_cursor_get(c, k, v, op);
	guard_jb = prev;
	return rc;
}

/* Preallocate the data file up to size bytes. */
static int
env_prealloc(struct wbs_env *e, size_t size, struct wbs_errbuf *eb)
{
	mdb_filehandle_t	fd;
	int			rc;

	if (mdb_env_get_fd(e->env, &fd) != 0)
		return wbs_err(eb, WBS_EIO, "journal %s: no file handle",
		    e->path);
#ifdef HAVE_POSIX_FALLOCATE
	rc = posix_fallocate(fd, 0, (off_t)size);
	if (rc == EOPNOTSUPP || rc == EINVAL)
		rc = 0;	/* filesystem without fallocate: best effort */
#else
	rc = 0;
#endif
	if (rc == ENOSPC || rc == EDQUOT || rc == EFBIG)
		return wbs_err(eb, WBS_ENOSPC, "journal %s: cannot grow to "
		    "%zu MiB: %s", e->path, size >> 20, strerror(rc));
	if (rc != 0)
		return wbs_err(eb, WBS_EIO, "journal %s: fallocate: %s",
		    e->path, strerror(rc));
	return 0;
}

/*
 * The size of a map a writer may set: at least want, and never less than
 * the data file already is.  LMDB truncates the file to the map's size
 * whenever it maps it with MDB_WRITEMAP (open, growth, and adopting a
 * size another process grew to), and the size it adopts is the one of the
 * last commit: a writer that adopted it while another had grown the file
 * since would cut off pages that other writer is filling.  Writers
 * therefore take turns, under e->mapfd's lock, at every step that sets a
 * map size, and none sets one below the file's size.  The caller holds
 * the lock.
 */
static size_t
map_size_at_least(struct wbs_env *e, size_t want)
{
	struct stat	sb;

	if (e->mapfd >= 0 && fstat(e->mapfd, &sb) == 0 &&
	    (uintmax_t)sb.st_size > want)
		want = (size_t)sb.st_size;
	return want;
}

static void
map_lock(struct wbs_env *e)
{
	if (e->mapfd >= 0)
		while (flock(e->mapfd, LOCK_EX) != 0 && errno == EINTR)
			continue;
}

static void
map_unlock(struct wbs_env *e)
{
	if (e->mapfd >= 0)
		(void)flock(e->mapfd, LOCK_UN);
}

/* Refuse a data file shorter than its last page: reading it would fault. */
static int
env_check_size(struct wbs_env *e, struct wbs_errbuf *eb)
{
	MDB_envinfo	 info;
	MDB_stat	 st;
	struct stat	 sb;
	char		 file[PATH_MAX];
	uint64_t	 need;

	if (mdb_env_info(e->env, &info) != 0 || mdb_env_stat(e->env, &st) != 0)
		return wbs_err(eb, WBS_ECORRUPT, "journal %s: unreadable "
		    "metadata", e->path);
	snprintf(file, sizeof(file), "%s/data.mdb", e->path);
	if (stat(file, &sb) != 0)
		return wbs_err(eb, WBS_EIO, "%s: %s", file, strerror(errno));
	need = ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
	if ((uint64_t)sb.st_size < need)
		return wbs_err(eb, WBS_ECORRUPT, "%s is truncated: %jd bytes, "
		    "the journal needs %" PRIu64, file, (intmax_t)sb.st_size,
		    need);
	e->mapsize = info.me_mapsize;
	return 0;
}

/* Open the environment at path (a directory) and its databases. */
int
wbs_env_open(struct wbs_env *e, const char *path, unsigned flags,
    struct wbs_errbuf *eb)
{
	unsigned	 mflags = MDB_NOTLS;
	MDB_txn		*txn = NULL;
	unsigned	 dflags = 0;
	struct stat	 sb;
	char		 file[PATH_MAX];
	int		 rc, dead;

	memset(e, 0, sizeof(*e));
	e->mapfd = -1;
	e->spfd[0] = e->spfd[1] = -1;
	pthread_mutex_init(&e->maplock, NULL);
	if ((e->path = strdup(path)) == NULL)
		return WBS_ENOMEM;
	snprintf(file, sizeof(file), "%s/data.mdb", path);
	if (stat(file, &sb) != 0) {
		if (!(flags & WBS_ENV_CREATE)) {
			rc = wbs_err(eb, errno == ENOENT ? WBS_ENOTFOUND :
			    WBS_EIO, "journal %s: %s: %s", path, file,
			    strerror(errno));
			goto fail;
		}
	} else if (!(flags & WBS_ENV_NOGATE) &&
	    (rc = wbs_sp_gate(path, eb)) != 0)
		goto fail;	/* after an OS crash: check and repair */
	if ((rc = mdb_env_create(&e->env)) != 0) {
		rc = wbs_err_mdb(eb, rc, "mdb_env_create");
		goto fail;
	}
	mdb_env_set_maxdbs(e->env, 8);
	mdb_env_set_assert(e->env, guard_assert);
	if ((flags & (WBS_ENV_RDONLY | WBS_ENV_WRITER)) == WBS_ENV_WRITER) {
		snprintf(file, sizeof(file), "%s/data.mdb", path);
		if ((e->mapfd = open(file, O_RDWR | O_CREAT | O_CLOEXEC,
		    0644)) < 0) {
			rc = wbs_err(eb, errno == ENOSPC ? WBS_ENOSPC : WBS_EIO,
			    "journal %s: %s: %s", path, file, strerror(errno));
			goto fail;
		}
		map_lock(e);
	}
	{
		size_t size = map_size_at_least(e, flags & WBS_ENV_CREATE ?
		    WBS_MAP_INITIAL : 0);

		if (size != 0)
			mdb_env_set_mapsize(e->env, size);
	}
	if (flags & WBS_ENV_RDONLY) {
		mflags |= MDB_RDONLY;
		e->rdonly = 1;
	} else if (flags & WBS_ENV_WRITER) {
		if (flags & WBS_ENV_DURABLE)
			mflags |= flags & WBS_ENV_WRITE ? 0 : MDB_WRITEMAP;
		else
			mflags |= flags & WBS_ENV_WRITE ? WRITE_MODE_FLAGS :
			    WRITER_FLAGS;
		e->prealloc = 1;
	}
	if ((rc = mdb_env_open(e->env, path, mflags, 0644)) != 0) {
		if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH)
			rc = wbs_err(eb, WBS_ECORRUPT, "journal %s: data.mdb "
			    "is not a valid LMDB file (%s)", path,
			    mdb_strerror(rc));
		else {
			char what[PATH_MAX + 32];

			snprintf(what, sizeof(what), "journal %s", path);
			rc = wbs_err_mdb(eb, rc, what);
		}
		goto fail;
	}
	if ((rc = env_check_size(e, eb)) != 0)
		goto fail;
	if (e->prealloc && (rc = env_prealloc(e, e->mapsize, eb)) != 0)
		goto fail;
	map_unlock(e);
	/* Clear reader slots of processes that died (kill -9). */
	mdb_reader_check(e->env, &dead);

	if ((rc = wbs_env_txn(e, e->rdonly ? MDB_RDONLY : 0, &txn, eb)) != 0)
		goto fail;
	if (flags & WBS_ENV_CREATE)
		dflags = MDB_CREATE;
	if ((rc = mdb_dbi_open(txn, "meta", dflags, &e->meta)) != 0 ||
	    (rc = mdb_dbi_open(txn, "rec", dflags,
	    &e->rec)) != 0 ||
	    (rc = mdb_dbi_open(txn, "keys", dflags, &e->keys)) != 0) {
		if (rc == MDB_NOTFOUND)
			rc = wbs_err(eb, WBS_ECORRUPT, "journal %s: not a "
			    "wbstore journal (database missing)", path);
		else
			rc = wbs_err_mdb(eb, rc, path);
		goto fail;
	}
	/* "sync" appears with the first cursor; readers may find none. */
	rc = mdb_dbi_open(txn, "sync", e->rdonly ? 0 : MDB_CREATE, &e->sync);
	if (rc == MDB_NOTFOUND)
		e->sync = 0;
	else if (rc != 0) {
		rc = wbs_err_mdb(eb, rc, path);
		goto fail;
	}
	if ((rc = mdb_txn_commit(txn)) != 0) {
		txn = NULL;
		rc = wbs_err_mdb(eb, rc, path);
		goto fail;
	}
	txn = NULL;
	if ((flags & (WBS_ENV_WRITER | WBS_ENV_WRITE | WBS_ENV_DURABLE)) ==
	    WBS_ENV_WRITER) {
		/* Map mode: from here on, every sync is a sync point. */
		if ((rc = wbs_sp_open(e, eb)) != 0)
			goto fail;
		pthread_mutex_lock(&e->maplock);
		rc = wbs_sp_sync(e, 0, eb);
		pthread_mutex_unlock(&e->maplock);
		if (rc != 0)
			goto fail;
	}
	return 0;
fail:
	if (txn != NULL)
		mdb_txn_abort(txn);
	wbs_env_close(e);
	return rc;
}

/* Close the environment. */
void
wbs_env_close(struct wbs_env *e)
{
	if (e->env != NULL) {
		wbs_sp_close(e);
		mdb_env_close(e->env);
	}
	e->env = NULL;
	if (e->mapfd >= 0)
		close(e->mapfd);	/* and with it, its lock */
	e->mapfd = -1;
	free(e->path);
	e->path = NULL;
	pthread_mutex_destroy(&e->maplock);
}

/* Begin a transaction, adopting a map that another process grew. */
int
wbs_env_txn(struct wbs_env *e, unsigned flags, MDB_txn **txnp,
    struct wbs_errbuf *eb)
{
	int	rc;

	for (int tries = 0; tries < 8; tries++) {
		rc = mdb_txn_begin(e->env, NULL, flags, txnp);
		if (rc != MDB_MAP_RESIZED)
			break;
		pthread_mutex_lock(&e->maplock);
		map_lock(e);
		rc = mdb_env_set_mapsize(e->env, map_size_at_least(e, 0));
		if (rc == 0) {
			MDB_envinfo info;

			mdb_env_info(e->env, &info);
			e->mapsize = info.me_mapsize;
		}
		map_unlock(e);
		pthread_mutex_unlock(&e->maplock);
		if (rc != 0)
			break;
		if (e->prealloc && (rc = env_prealloc(e, e->mapsize, eb)) != 0)
			return rc;
	}
	if (rc != 0)
		return wbs_err_mdb(eb, rc, e->path);
	return 0;
}

/*
 * Grow the map so that at least need more bytes fit: double it up to
 * WBS_MAP_STEP_MAX, then grow by that step.  No transaction of this
 * environment may be open in this process.
 */
int
wbs_env_grow(struct wbs_env *e, size_t need, struct wbs_errbuf *eb)
{
	size_t	size = e->mapsize;
	int	rc;

	do {
		if (size < WBS_MAP_STEP_MAX)
			size *= 2;
		else
			size += WBS_MAP_STEP_MAX;
	} while (size < e->mapsize + need + (need >> 1));
	pthread_mutex_lock(&e->maplock);
	map_lock(e);
	size = map_size_at_least(e, size);
	if (e->prealloc && (rc = env_prealloc(e, size, eb)) != 0) {
		map_unlock(e);
		pthread_mutex_unlock(&e->maplock);
		return rc;
	}
	rc = mdb_env_set_mapsize(e->env, size);
	if (rc == 0)
		e->mapsize = size;
	map_unlock(e);
	pthread_mutex_unlock(&e->maplock);
	if (rc != 0)
		return wbs_err_mdb(eb, rc, "growing the journal map");
	wbs_log(6, "journal %s: map grown to %zu MiB", e->path, size >> 20);
	return 0;
}

/* Flush the journal to stable storage. */
int
wbs_env_sync(struct wbs_env *e, struct wbs_errbuf *eb)
{
	int	rc;

	pthread_mutex_lock(&e->maplock);
	if (e->spfd[0] >= 0) {
		rc = wbs_sp_sync(e, 0, eb);
		pthread_mutex_unlock(&e->maplock);
		return rc;
	}
	rc = mdb_env_sync(e->env, 1);
	pthread_mutex_unlock(&e->maplock);
	if (rc != 0)
		return wbs_err_mdb(eb, rc, "syncing the journal");
	return 0;
}

/*
 * Read every entry of every database (LMDB's free-page and main ones
 * included) under the damage guard.
 */
int
wbs_env_walk(struct wbs_env *e, struct wbs_errbuf *eb)
{
	MDB_dbi		 dbis[] = { 0 /* FREE_DBI */, 1 /* MAIN_DBI */, e->meta,
			    e->rec, e->keys, e->sync };
	MDB_txn		*txn;
	MDB_cursor	*c;
	MDB_val		 k, v;
	int		 rc = 0;

	if ((rc = wbs_env_txn(e, MDB_RDONLY, &txn, eb)) != 0)
		return rc;
	for (size_t i = 0; i < sizeof(dbis) / sizeof(dbis[0]) && rc == 0;
	    i++) {
		MDB_cursor_op op = MDB_FIRST;

		if (i > 1 && dbis[i] == 0)
			continue;	/* no "sync" database yet */
		if ((rc = mdb_cursor_open(txn, dbis[i], &c)) != 0) {
			rc = wbs_err_mdb(eb, rc, e->path);
			break;
		}
		while ((rc = wbs_guard_cursor_get(c, &k, &v, op, e->path,
		    eb)) == 0)
			op = MDB_NEXT;
		mdb_cursor_close(c);
		if (rc == MDB_NOTFOUND)
			rc = 0;
		else if (rc > 0)
			rc = wbs_err_mdb(eb, rc, e->path);
	}
	mdb_txn_abort(txn);
	return rc;
}

/* Check the journal's format version. */
int
wbs_env_check_format(struct wbs_env *e, MDB_txn *txn, struct wbs_errbuf *eb)
{
	MDB_val		k = { 6, "format" }, v;
	char		buf[16];
	unsigned long	fmt;
	char		*end;
	int		rc;

	if ((rc = mdb_get(txn, e->meta, &k, &v)) == MDB_NOTFOUND)
		return wbs_err(eb, WBS_ECORRUPT, "journal %s: not a wbstore "
		    "journal (no format version)", e->path);
	if (rc != 0)
		return wbs_err_mdb(eb, rc, e->path);
	if (v.mv_size == 0 || v.mv_size >= sizeof(buf))
		return wbs_err(eb, WBS_ECORRUPT, "journal %s: bad format "
		    "version", e->path);
	memcpy(buf, v.mv_data, v.mv_size);
	buf[v.mv_size] = '\0';
	fmt = strtoul(buf, &end, 10);
	if (*end != '\0' || fmt == 0)
		return wbs_err(eb, WBS_ECORRUPT, "journal %s: bad format "
		    "version \"%s\"", e->path, buf);
	if (fmt > WBS_FORMAT)
		return wbs_err(eb, WBS_EVERSION, "journal %s has format "
		    "version %lu; this wbstore (%s) reads versions up to %d",
		    e->path, fmt, WBS_VERSION_STRING, WBS_FORMAT);
	return 0;
}

/* FNV-1a, 64 bits. */
static uint64_t
key_hash(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* Find the id of a key name; 0 if found, WBS_ENOTFOUND if not. */
int
wbs_keymap_lookup(const struct wbs_keymap *km, const char *name, size_t len,
    uint32_t *idp)
{
	size_t mask, i;

	if (km->nslots == 0)
		return WBS_ENOTFOUND;
	mask = km->nslots - 1;
	for (i = key_hash(name, len) & mask;; i = (i + 1) & mask) {
		uint32_t id = km->slots[i];

		if (id == 0)
			return WBS_ENOTFOUND;
		if (strncmp(km->names[id], name, len) == 0 &&
		    km->names[id][len] == '\0') {
			*idp = id;
			return 0;
		}
	}
}

/* Insert every named id into a fresh slot table of n slots. */
static int
keymap_rehash(struct wbs_keymap *km, size_t n)
{
	uint32_t	*slots = calloc(n, sizeof(*slots));

	if (slots == NULL)
		return WBS_ENOMEM;
	for (size_t id = 1; id < km->nnames; id++) {
		size_t i;

		if (km->names[id] == NULL)
			continue;
		i = key_hash(km->names[id], strlen(km->names[id])) & (n - 1);
		while (slots[i] != 0)
			i = (i + 1) & (n - 1);
		slots[i] = (uint32_t)id;
	}
	free(km->slots);
	km->slots = slots;
	km->nslots = n;
	return 0;
}

/* Record that name has the given id (ids may arrive in any order). */
int
wbs_keymap_add(struct wbs_keymap *km, uint32_t id, const char *name,
    size_t len)
{
	char	*copy;
	size_t	 mask, i;

	if (id == 0 || id > (1u << 30))
		return WBS_ECORRUPT;
	if (id >= km->cap) {
		size_t	 cap = km->cap ? km->cap : 64;
		char	**names;

		while (cap <= id)
			cap *= 2;
		if ((names = realloc(km->names, cap * sizeof(*names))) == NULL)
			return WBS_ENOMEM;
		memset(names + km->cap, 0, (cap - km->cap) * sizeof(*names));
		km->names = names;
		km->cap = cap;
	}
	if (km->names[id] != NULL)
		return 0;
	if ((copy = malloc(len + 1)) == NULL)
		return WBS_ENOMEM;
	memcpy(copy, name, len);
	copy[len] = '\0';
	km->names[id] = copy;
	if (id >= km->nnames)
		km->nnames = id + 1;
	if (km->nnames * 2 > km->nslots) {
		size_t n = km->nslots ? km->nslots : 128;

		while (n < km->nnames * 2)
			n *= 2;
		return keymap_rehash(km, n);
	}
	mask = km->nslots - 1;
	for (i = key_hash(copy, len) & mask; km->slots[i] != 0;
	    i = (i + 1) & mask)
		;
	km->slots[i] = id;
	return 0;
}

/* Cache id (of key, committed in kc->km) for item position i. */
void
wbs_kcache_put(struct wbs_kcache *kc, size_t i, uint32_t id, const char *key)
{
	size_t len = strlen(key);

	if (i >= WBS_KCACHE_MAX || len > UINT32_MAX)
		return;
	if (i >= kc->cap) {
		size_t			 cap = kc->cap ? kc->cap : 16;
		struct wbs_kcent	*e;

		while (cap <= i)
			cap *= 2;
		if ((e = realloc(kc->e, cap * sizeof(*e))) == NULL)
			return;		/* a cache may stay small */
		memset(e + kc->cap, 0, (cap - kc->cap) * sizeof(*e));
		kc->e = e;
		kc->cap = cap;
	}
	kc->e[i].id = id;
	kc->e[i].len = (uint32_t)len;
}

void
wbs_kcache_release(struct wbs_kcache *kc)
{
	free(kc->e);
	memset(kc, 0, sizeof(*kc));
}

/* Load every key of the journal into km. */
int
wbs_keymap_load(struct wbs_keymap *km, MDB_txn *txn, MDB_dbi dbi,
    struct wbs_errbuf *eb)
{
	MDB_cursor	*c;
	MDB_val		 k, v;
	int		 rc;

	if ((rc = mdb_cursor_open(txn, dbi, &c)) != 0)
		return wbs_err_mdb(eb, rc, "opening the key table");
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		uint32_t	id;
		int		arc;

		if (v.mv_size != 4) {
			mdb_cursor_close(c);
			return wbs_err(eb, WBS_ECORRUPT, "key table: entry "
			    "\"%.*s\" has a %zu-byte id", (int)k.mv_size,
			    (const char *)k.mv_data, v.mv_size);
		}
		memcpy(&id, v.mv_data, 4);
		if ((arc = wbs_keymap_add(km, id, k.mv_data, k.mv_size)) != 0) {
			mdb_cursor_close(c);
			return wbs_err(eb, arc, "key table: cannot add id %u",
			    id);
		}
	}
	mdb_cursor_close(c);
	if (rc != MDB_NOTFOUND)
		return wbs_err_mdb(eb, rc, "reading the key table");
	return 0;
}

/* Name of a key id, or NULL. */
const char *
wbs_keymap_name(const struct wbs_keymap *km, uint32_t id)
{
	if (id == 0 || id >= km->nnames)
		return NULL;
	return km->names[id];
}

/* Free a key map. */
void
wbs_keymap_release(struct wbs_keymap *km)
{
	for (size_t i = 0; i < km->nnames; i++)
		free(km->names[i]);
	free(km->names);
	free(km->slots);
	memset(km, 0, sizeof(*km));
}
