/*
 * syncpoint.c - map-mode journals after an OS crash.
 *
 * A map-mode writer (MDB_WRITEMAP|MDB_NOSYNC, an msync every sync
 * interval) leaves the order in which its pages reach the disk to the
 * kernel.  After an OS crash the newest meta page may point at pages that
 * never arrived, and pages of the last synced state may have been reused
 * since and overwritten on disk: the whole journal can become unreadable.
 *
 * What a crash can overwrite of a synced state S is small.  LMDB never
 * writes a page in place: a commit copies the pages it changes and frees
 * the old ones, which later commits reuse.  Records are only ever
 * appended, so of S's record tree only its right edge (the root, the last
 * branch of each level, the last leaf) is ever copied and freed; every
 * other page of it stays as S left it, on disk since S's msync.  The
 * small trees (LMDB's main and free-page trees, "meta", "keys", "sync")
 * can change anywhere.
 *
 * So every background sync records a sync point:
 *
 *   1. Under LMDB's writer lock (a write transaction begun and aborted,
 *      microseconds), copy S's meta page and every page S could lose:
 *      the right edge of "rec" and all pages of the other trees.
 *   2. msync the map: every other page of S is on disk from now on.
 *   3. Write the copies, the boot id and txnid S to the journal's
 *      syncpoint.0 or syncpoint.1, in turn, and fdatasync it; a write
 *      cut short leaves the other file's point.
 *
 * A clean close records a point marked closed.  Before anyone opens a
 * journal (wbs_sp_gate), its newest point is read.  Closed, or written
 * since this boot (the kernel's boot id): the page cache held everything,
 * nothing to do.  Otherwise the writer died in an earlier boot without
 * closing.  The newest state is checked (every database walked, every
 * record decoded); if it passes, a compacting copy replaces the data file
 * (a free-page list that did not reach the disk is never used then).  If
 * not, S is put back: its saved pages and meta page are written into the
 * data file -- at most a sync interval of records is lost, the durability
 * contract -- after what they overwrite is kept in recovery-backup.
 * Openers wait for each other on syncpoint.0's lock, so one of them does
 * this, once.
 *
 * Steps 1 and 3 read LMDB's on-disk layout (a page header, then MDB_meta;
 * nodes after the header's offset table).  What the copy reads is checked
 * against what LMDB's API reports at every point, and a mismatch turns
 * sync points off for the journal, with a warning.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libdeflate.h>

#include "wbs-int.h"

/* LMDB 0.9's pages (mdb.c), as far as a sync point reads them. */
#define PG_FLAGS	(sizeof(size_t) + 2)	/* after mp_pgno, mp_pad */
#define PG_LOWER	(PG_FLAGS + 2)
#define PG_PAGES	PG_LOWER		/* overflow: page count */
#define PAGEHDR		(PG_LOWER + 4)
#define P_BRANCH	0x01
#define P_LEAF		0x02
#define P_OVERFLOW	0x04
#define P_META		0x08
#define P_LEAF2		0x20
#define F_BIGDATA	0x01
#define F_SUBDATA	0x02
#define F_DUPDATA	0x04
#define NODEHDR		8			/* lo, hi, flags, ksize */
#define DB_SZ		(4 + 2 + 2 + 5 * sizeof(size_t))
#define DB_ENTRIES	(8 + 3 * sizeof(size_t))
#define DB_ROOT		(8 + 4 * sizeof(size_t))
#define META_MAGIC	PAGEHDR
#define META_DBS	(PAGEHDR + 4 + 4 + sizeof(void *) + sizeof(size_t))
#define META_LASTPG	(META_DBS + 2 * DB_SZ)
#define META_TXNID	(META_LASTPG + sizeof(size_t))
#define META_BYTES	(META_TXNID + sizeof(size_t))
#define MDB_MAGIC_V	0xBEEFC0DEu
#define P_INVALID	(~(size_t)0)

#define SP_MAGIC	"WBSSYNC2"
#define SP_BOOT		40
#define SP_MAXPAGES	4096	/* more to copy: keep the last point */

/* The head of a syncpoint file; META_BYTES and the pages follow. */
struct sp {
	char		magic[8];
	uint64_t	gen;
	uint64_t	txnid;
	uint32_t	closed;
	uint32_t	psize;
	uint32_t	npages;		/* each: its number (u64), its bytes */
	uint32_t	body_crc;
	char		boot[SP_BOOT];
	uint32_t	crc;		/* of the head up to here */
	uint32_t	pad;
};

static uint32_t
sp_crc(const void *p, size_t n)
{
	return (uint32_t)libdeflate_crc32(0, p, n);
}

/*
 * The kernel's boot id: it changes at every boot, crash or not.
 * WBS_TEST_BOOT_ID stands for it in tests that simulate a reboot.
 */
static void
boot_id(char out[SP_BOOT])
{
	const char	*e = getenv("WBS_TEST_BOOT_ID");
	FILE		*f;

	memset(out, 0, SP_BOOT);
	if (e != NULL) {
		snprintf(out, SP_BOOT, "%s", e);
		return;
	}
	if ((f = fopen("/proc/sys/kernel/random/boot_id", "re")) != NULL) {
		if (fgets(out, SP_BOOT, f) != NULL)
			out[strcspn(out, "\n")] = '\0';
		fclose(f);
	}
}

static uint64_t
word(const unsigned char *p, size_t off)
{
	size_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static unsigned
half(const unsigned char *p, size_t off)
{
	uint16_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

/*
 * The pages a sync point copies, read from the data file (the page cache
 * that the writers' maps share).
 */
struct walk {
	int			 fd;
	size_t			 psize;
	size_t			 lastpg;
	uint64_t		*pg;		/* their numbers */
	unsigned char		*buf;		/* their bytes */
	size_t			 n, cap;
	uint64_t		 rec_entries;	/* "rec" as the main tree says */
	int			 bad;		/* not laid out as expected */
	int			 full;		/* SP_MAXPAGES, or no memory */
};

/* Read page pgno into the copy; its index there, or -1. */
static long
walk_add(struct walk *w, uint64_t pgno)
{
	if (pgno < 2 || pgno > w->lastpg) {
		w->bad = 1;
		return -1;
	}
	if (w->n == w->cap) {
		size_t		 cap = w->cap ? w->cap * 2 : 32;
		uint64_t	*p;
		unsigned char	*b;

		if (cap > SP_MAXPAGES || (p = realloc(w->pg, cap *
		    sizeof(*p))) == NULL) {
			w->full = 1;
			return -1;
		}
		w->pg = p;
		if ((b = realloc(w->buf, cap * w->psize)) == NULL) {
			w->full = 1;
			return -1;
		}
		w->buf = b;
		w->cap = cap;
	}
	if (pread(w->fd, w->buf + w->n * w->psize, w->psize, (off_t)(pgno *
	    w->psize)) != (ssize_t)w->psize) {
		w->bad = 1;
		return -1;
	}
	w->pg[w->n] = pgno;
	return (long)w->n++;
}

static int walk_tree(struct walk *w, uint64_t pgno, int edge, int main,
    int depth);

/* A tree of the main tree's leaf node at node: "rec" by its edge only. */
static int
walk_subdb(struct walk *w, const unsigned char *node)
{
	/* node points into w->buf, which the walk below may move. */
	unsigned	ksize = half(node, 6);
	size_t		dsize = half(node, 0) | (size_t)half(node, 2) << 16;
	const unsigned char *db = node + NODEHDR + ksize;
	int		is_rec = ksize == 3 && memcmp(node + NODEHDR, "rec", 3) ==
			    0;

	if (dsize != DB_SZ) {
		w->bad = 1;
		return -1;
	}
	uint64_t	root = word(db, DB_ROOT);

	if (is_rec)
		w->rec_entries = word(db, DB_ENTRIES);
	if (root == P_INVALID)
		return 0;
	return walk_tree(w, root, is_rec, 0, 0);
}

/*
 * Gather the tree at pgno: all of it, or (edge) its right edge only.
 * main: this is LMDB's main tree, whose leaves name the others.
 */
static int
walk_tree(struct walk *w, uint64_t pgno, int edge, int main, int depth)
{
	const unsigned char	*pg;
	unsigned		 flags, lower, n;
	long			 at;

	if (depth > 32 || (at = walk_add(w, pgno)) < 0) {
		w->bad |= depth > 32;
		return -1;
	}
#define PG	(w->buf + (size_t)at * w->psize)	/* it moves */
	pg = PG;
	flags = half(pg, PG_FLAGS);
	lower = half(pg, PG_LOWER);
	if (word(pg, 0) != pgno || lower < PAGEHDR || lower > w->psize ||
	    (flags & (P_LEAF2 | P_OVERFLOW | P_META)) ||
	    !(flags & (P_BRANCH | P_LEAF))) {
		w->bad = 1;
		return -1;
	}
	n = (lower - PAGEHDR) / 2;
	for (unsigned i = edge && n > 0 ? n - 1 : 0; i < n; i++) {
		unsigned		 off;
		const unsigned char	*node;
		unsigned		 nf;

		pg = PG;
		off = half(pg, PAGEHDR + 2 * i);
		node = pg + off;

		if (off < lower || off + NODEHDR > w->psize) {
			w->bad = 1;
			return -1;
		}
		nf = half(node, 4);
		if (flags & P_BRANCH) {
			uint64_t child = half(node, 0) |
			    (uint64_t)half(node, 2) << 16 |
			    (uint64_t)nf << 32;

			if (walk_tree(w, child, edge, main, depth + 1) != 0)
				return -1;
			continue;
		}
		if (edge)
			break;	/* the edge's overflow pages are never freed */
		if (nf & F_DUPDATA) {
			w->bad = 1;
			return -1;
		}
		if (nf & F_BIGDATA) {
			uint64_t	ov = word(node, NODEHDR + half(node,
					    6));
			long		first;
			uint32_t	cnt;

			if ((first = walk_add(w, ov)) < 0)
				return -1;
			memcpy(&cnt, w->buf + (size_t)first * w->psize +
			    PG_PAGES, sizeof(cnt));
			if (!(half(w->buf + (size_t)first * w->psize,
			    PG_FLAGS) & P_OVERFLOW) || cnt == 0 ||
			    ov + cnt - 1 > w->lastpg) {
				w->bad = 1;
				return -1;
			}
			for (uint32_t k = 1; k < cnt; k++)
				if (walk_add(w, ov + k) < 0)
					return -1;
		} else if (main && (nf & F_SUBDATA) &&
		    walk_subdb(w, node) != 0)
			return -1;
	}
	return 0;
#undef PG
}

/* A sync point being written: its head, then its body. */
struct spbuf {
	unsigned char	*p;
	size_t		 len;
};

/*
 * Step 1 (see the top), under a write transaction w: the meta page of
 * S and the pages S could lose, into b.  0; 1 if LMDB is not laid out as
 * expected; -1 if there were too many pages or no memory.
 */
static int
collect(struct wbs_env *e, MDB_txn *w, struct spbuf *b)
{
	struct walk	 wk;
	MDB_envinfo	 info;
	MDB_stat	 fst, mst, rst;
	mdb_filehandle_t fd;
	struct sp	*h;
	unsigned char	 metas[2][META_BYTES];
	const unsigned char *meta = NULL;
	uint64_t	 s = mdb_txn_id(w) - 1;
	size_t		 psize = e->psize;
	int		 rc = 0;

	memset(&wk, 0, sizeof(wk));
	if (mdb_env_info(e->env, &info) != 0 ||
	    mdb_env_get_fd(e->env, &fd) != 0 ||
	    mdb_stat(w, 0, &fst) != 0 || mdb_stat(w, 1, &mst) != 0 ||
	    mdb_stat(w, e->rec, &rst) != 0)
		return 1;
	wk.fd = fd;
	wk.psize = psize;
	for (int i = 0; i < 2; i++) {
		const unsigned char *m = metas[i];
		uint32_t magic;

		if (pread(fd, metas[i], META_BYTES, (off_t)((size_t)i *
		    psize)) != (ssize_t)META_BYTES)
			return 1;
		memcpy(&magic, m + META_MAGIC, 4);
		if ((half(m, PG_FLAGS) & P_META) && magic == MDB_MAGIC_V &&
		    word(m, META_TXNID) == s)
			meta = m;
	}
	if (meta == NULL || word(meta, META_LASTPG) != info.me_last_pgno ||
	    word(meta, META_DBS + DB_ENTRIES) != fst.ms_entries ||
	    word(meta, META_DBS + DB_SZ + DB_ENTRIES) != mst.ms_entries)
		return 1;
	wk.lastpg = info.me_last_pgno;
	if (word(meta, META_DBS + DB_ROOT) != P_INVALID)
		(void)walk_tree(&wk, word(meta, META_DBS + DB_ROOT), 0, 0, 0);
	if (!wk.bad && !wk.full && word(meta, META_DBS + DB_SZ + DB_ROOT) !=
	    P_INVALID)
		(void)walk_tree(&wk, word(meta, META_DBS + DB_SZ + DB_ROOT), 0,
		    1, 0);
	if (wk.full && !wk.bad) {
		rc = -1;
		goto out;
	}
	if (wk.bad || wk.rec_entries != rst.ms_entries) {
		rc = 1;
		goto out;
	}
	b->len = sizeof(struct sp) + META_BYTES + wk.n * (8 + psize);
	if ((b->p = malloc(b->len)) == NULL) {
		rc = -1;
		goto out;
	}
	memset(b->p, 0, sizeof(struct sp));
	h = (struct sp *)(void *)b->p;
	h->txnid = s;
	h->psize = (uint32_t)psize;
	h->npages = (uint32_t)wk.n;
	memcpy(b->p + sizeof(*h), meta, META_BYTES);
	for (size_t i = 0; i < wk.n; i++) {
		unsigned char *at = b->p + sizeof(*h) + META_BYTES +
		    i * (8 + psize);

		memcpy(at, &wk.pg[i], 8);
		memcpy(at + 8, wk.buf + i * psize, psize);
	}
out:
	free(wk.pg);
	free(wk.buf);
	return rc;
}

/* The head of syncpoint file fd, if it is whole; 0, or -1. */
static int
head_read(int fd, struct sp *h)
{
	if (pread(fd, h, sizeof(*h), 0) != (ssize_t)sizeof(*h) ||
	    memcmp(h->magic, SP_MAGIC, 8) != 0 ||
	    h->crc != sp_crc(h, offsetof(struct sp, crc)))
		return -1;
	return 0;
}

/* The newest point of the two files whose heads read; -1 if none. */
static int
newest(const int fd[2], struct sp *h)
{
	struct sp	c;
	int		best = -1;

	for (int i = 0; i < 2; i++)
		if (fd[i] >= 0 && head_read(fd[i], &c) == 0 &&
		    (best < 0 || c.gen > h->gen)) {
			*h = c;
			best = i;
		}
	return best;
}

/* Step 3: b as the newest point, in the file its generation picks. */
static int
point_write(struct wbs_env *e, struct spbuf *b, int closed)
{
	struct sp	*h = (struct sp *)(void *)b->p, cur;
	int		 fd, rc = 0;

	(void)flock(e->spfd[0], LOCK_EX);
	memcpy(h->magic, SP_MAGIC, 8);
	h->gen = newest(e->spfd, &cur) < 0 ? 1 : cur.gen + 1;
	h->closed = (uint32_t)closed;
	boot_id(h->boot);
	h->body_crc = sp_crc(b->p + sizeof(*h), b->len - sizeof(*h));
	h->crc = sp_crc(h, offsetof(struct sp, crc));
	fd = e->spfd[h->gen & 1];
	if (pwrite(fd, b->p, b->len, 0) != (ssize_t)b->len ||
	    ftruncate(fd, (off_t)b->len) != 0 || fdatasync(fd) != 0)
		rc = errno ? errno : EIO;
	(void)flock(e->spfd[0], LOCK_UN);
	return rc;
}

/* No sync points for this journal any more. */
static void
sp_off(struct wbs_env *e, const char *why)
{
	char file[PATH_MAX];

	wbs_log(4, "journal %s: no sync points (%s): an OS crash may damage "
	    "it", e->path, why);
	for (int i = 0; i < 2; i++) {
		snprintf(file, sizeof(file), "%s/syncpoint.%d", e->path, i);
		unlink(file);
		close(e->spfd[i]);
		e->spfd[i] = -1;
	}
}

/* A map-mode writer opened e: keep sync points beside its data file. */
int
wbs_sp_open(struct wbs_env *e, struct wbs_errbuf *eb)
{
	MDB_stat	st;
	char		file[PATH_MAX];

	if (mdb_env_stat(e->env, &st) != 0)
		return wbs_err(eb, WBS_EIO, "journal %s: no page size",
		    e->path);
	e->psize = st.ms_psize;
	for (int i = 0; i < 2; i++) {
		snprintf(file, sizeof(file), "%s/syncpoint.%d", e->path, i);
		if ((e->spfd[i] = open(file, O_RDWR | O_CREAT | O_CLOEXEC,
		    0644)) < 0) {
			int err = errno;

			if (i == 1)
				close(e->spfd[0]);
			e->spfd[0] = e->spfd[1] = -1;
			return wbs_err(eb, err == ENOSPC ? WBS_ENOSPC : WBS_EIO,
			    "%s: %s", file, strerror(err));
		}
	}
	return 0;
}

/*
 * Sync e to disk and record a sync point (closed: the last writer is
 * done).  The caller holds e->maplock.
 */
int
wbs_sp_sync(struct wbs_env *e, int closed, struct wbs_errbuf *eb)
{
	struct spbuf	 b = { NULL, 0 };
	MDB_txn		*w;
	int		 rc, got;

	rc = mdb_txn_begin(e->env, NULL, 0, &w);
	if (rc == MDB_MAP_RESIZED)
		got = 2;	/* another process grew the map: next time */
	else if (rc != 0)
		return wbs_err_mdb(eb, rc, "syncing the journal");
	else {
		got = collect(e, w, &b);
		mdb_txn_abort(w);
	}
	if ((rc = mdb_env_sync(e->env, 1)) != 0) {
		free(b.p);
		return wbs_err_mdb(eb, rc, "syncing the journal");
	}
	if (got == 1)
		sp_off(e, "LMDB's pages are not laid out as expected");
	else if (got == -1)
		wbs_log(5, "journal %s: more pages changed than a sync point "
		    "holds; the last one stands", e->path);
	if (got != 0 && closed && e->spfd[0] >= 0) {
		/* A closed point is never rolled back to: no pages. */
		b.len = sizeof(struct sp) + META_BYTES;
		if ((b.p = calloc(1, b.len)) == NULL)
			return 0;
		got = 0;
	}
	if (got != 0)
		return 0;
	rc = point_write(e, &b, closed);
	free(b.p);
	if (rc != 0)
		return wbs_err(eb, rc == ENOSPC ? WBS_ENOSPC : WBS_EIO,
		    "journal %s: writing its sync point: %s", e->path,
		    strerror(rc));
	return 0;
}

/*
 * The writer is done with e: a last point, closed unless another process
 * still writes the run (it holds writer.lock too; the caller let go of
 * its own).
 */
void
wbs_sp_close(struct wbs_env *e)
{
	struct wbs_errbuf eb;
	char		  file[PATH_MAX];
	int		  lfd, alone;

	if (e->spfd[0] < 0)
		return;
	snprintf(file, sizeof(file), "%s/writer.lock", e->path);
	lfd = open(file, O_RDONLY | O_CLOEXEC);
	alone = lfd >= 0 && flock(lfd, LOCK_EX | LOCK_NB) == 0;
	pthread_mutex_lock(&e->maplock);
	if (e->spfd[0] >= 0 && wbs_sp_sync(e, alone, &eb) != 0)
		wbs_log(3, "%s", eb.msg);
	pthread_mutex_unlock(&e->maplock);
	if (lfd >= 0)
		close(lfd);
	for (int i = 0; i < 2; i++) {
		if (e->spfd[i] >= 0)
			close(e->spfd[i]);
		e->spfd[i] = -1;
	}
}

/* The journal at dir opens, every database walks and every record reads. */
static int
check_journal(const char *dir, uint64_t *nrec, struct wbs_errbuf *eb)
{
	struct wbs_journal	*j;
	char			 err[WBS_ERRMSG];
	int			 rc;

	if ((rc = wbs_journal_open_dir(&j, dir, WBS_ENV_RDONLY |
	    WBS_ENV_NOGATE, err, sizeof(err))) != 0)
		return wbs_err(eb, rc, "%s", err);
	if ((rc = wbs_env_walk(wbs_journal_env(j), eb)) == 0 &&
	    (rc = wbs_journal_verify(j, nrec)) != 0)
		wbs_err(eb, rc, "%s", wbs_journal_errmsg(j));
	wbs_journal_close(j);
	return rc;
}

static void
sync_dir(const char *dir)
{
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

/* Remove the temporary journal tmp of compact(). */
static void
compact_clean(const char *tmp)
{
	char file[PATH_MAX + 16];

	snprintf(file, sizeof(file), "%s/data.mdb", tmp);
	(void)unlink(file);
	snprintf(file, sizeof(file), "%s/lock.mdb", tmp);
	(void)unlink(file);
	(void)rmdir(tmp);
}

/*
 * Replace dir's data file by a compacted copy of its newest state, once
 * the copy checks out.
 */
static int
compact(const char *dir, struct wbs_errbuf *eb)
{
	struct wbs_journal	*j;
	char			 err[WBS_ERRMSG], tmp[PATH_MAX], file[PATH_MAX];
	char			 from[PATH_MAX + 16];
	int			 fd, rc;

	snprintf(tmp, sizeof(tmp), "%s/recovering", dir);
	snprintf(file, sizeof(file), "%s/data.mdb", tmp);
	compact_clean(tmp);
	if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
		return wbs_err(eb, WBS_EIO, "%s: %s", tmp, strerror(errno));
	if ((rc = wbs_journal_open_dir(&j, dir, WBS_ENV_RDONLY |
	    WBS_ENV_NOGATE, err, sizeof(err))) != 0) {
		rc = wbs_err(eb, rc, "%s", err);
		goto fail;
	}
	if ((fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) < 0) {
		wbs_journal_close(j);
		rc = wbs_err(eb, WBS_EIO, "%s: %s", file, strerror(errno));
		goto fail;
	}
	rc = mdb_env_copyfd2(wbs_journal_env(j)->env, fd, MDB_CP_COMPACT);
	wbs_journal_close(j);
	if (rc != 0 || fsync(fd) != 0) {
		close(fd);
		rc = wbs_err(eb, WBS_EIO, "journal %s: copying it: %s", dir,
		    rc != 0 ? mdb_strerror(rc) : strerror(errno));
		goto fail;
	}
	close(fd);
	if ((rc = check_journal(tmp, NULL, eb)) != 0)
		goto fail;
	snprintf(from, sizeof(from), "%s/data.mdb", dir);
	if (rename(file, from) != 0) {
		rc = wbs_err(eb, WBS_EIO, "%s: %s", from, strerror(errno));
		goto fail;
	}
	/* Its reader table speaks of the old file's transactions. */
	snprintf(from, sizeof(from), "%s/lock.mdb", dir);
	(void)unlink(from);
	compact_clean(tmp);
	sync_dir(dir);
	return 0;
fail:
	compact_clean(tmp);
	return rc;
}

/* The body of point h in fd, checked; NULL if it does not read. */
static unsigned char *
body_read(int fd, const struct sp *h)
{
	size_t		 len;
	unsigned char	*b;

	if (h->psize < 512 || h->psize > 65536 || (h->psize &
	    (h->psize - 1)) != 0 || h->npages > SP_MAXPAGES)
		return NULL;
	len = META_BYTES + (size_t)h->npages * (8 + h->psize);
	if ((b = malloc(len)) == NULL)
		return NULL;
	if (pread(fd, b, len, sizeof(*h)) != (ssize_t)len ||
	    sp_crc(b, len) != h->body_crc) {
		free(b);
		return NULL;
	}
	return b;
}

/* Write len bytes at off of the data file fd, or read them into out. */
static int
at(int fd, void *p, size_t len, off_t off, int wr)
{
	ssize_t n = wr ? pwrite(fd, p, len, off) : pread(fd, p, len, off);

	return n == (ssize_t)len ? 0 : -1;
}

/*
 * Put the pages of the point (head h, body b) back into dir's data file,
 * and its meta page in both meta slots.  What they overwrite goes to
 * recovery-backup first; if the result does not check out, it is put
 * back.
 */
static int
roll_back(const char *dir, const struct sp *h, unsigned char *b,
    uint64_t *nrec, struct wbs_errbuf *eb)
{
	size_t		 ps = h->psize, n = h->npages, slot = 8 + ps;
	unsigned char	*old = NULL;
	char		 file[PATH_MAX];
	int		 fd = -1, bfd = -1, rc;

	snprintf(file, sizeof(file), "%s/data.mdb", dir);
	if ((fd = open(file, O_RDWR | O_CLOEXEC)) < 0)
		return wbs_err(eb, WBS_EIO, "%s: %s", file, strerror(errno));
	/* The old pages: both meta pages, then each page to be written. */
	if ((old = malloc(2 * ps + n * slot)) == NULL) {
		rc = WBS_ENOMEM;
		goto done;
	}
	rc = at(fd, old, 2 * ps, 0, 0);
	for (size_t i = 0; i < n && rc == 0; i++) {
		uint64_t pgno;

		memcpy(&pgno, b + META_BYTES + i * slot, 8);
		memcpy(old + 2 * ps + i * slot, &pgno, 8);
		rc = at(fd, old + 2 * ps + i * slot + 8, ps, (off_t)(pgno *
		    ps), 0);
	}
	if (rc != 0) {
		rc = wbs_err(eb, WBS_EIO, "%s: a page does not read", file);
		goto done;
	}
	snprintf(file, sizeof(file), "%s/recovery-backup", dir);
	if ((bfd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) < 0 || write(bfd, old, 2 * ps + n * slot) !=
	    (ssize_t)(2 * ps + n * slot) || fsync(bfd) != 0) {
		rc = wbs_err(eb, WBS_EIO, "%s: %s", file, strerror(errno));
		goto done;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		uint64_t pgno;

		memcpy(&pgno, b + META_BYTES + i * slot, 8);
		rc = at(fd, b + META_BYTES + i * slot + 8, ps, (off_t)(pgno *
		    ps), 1);
	}
	for (size_t i = 0; i < 2 && rc == 0; i++) {
		unsigned char m[META_BYTES];

		memcpy(m, b, META_BYTES);
		memcpy(m, &i, sizeof(i));	/* mp_pgno */
		rc = at(fd, m, META_BYTES, (off_t)(i * ps), 1);
	}
	if (rc != 0 || fdatasync(fd) != 0) {
		rc = wbs_err(eb, WBS_EIO, "journal %s: writing pages back: %s",
		    dir, strerror(errno));
		goto undo;
	}
	snprintf(file, sizeof(file), "%s/lock.mdb", dir);
	(void)unlink(file);
	if ((rc = check_journal(dir, nrec, eb)) == 0)
		goto done;
undo:
	/* Not ours to make worse: the pages as they were. */
	if (at(fd, old, 2 * ps, 0, 1) != 0)
		wbs_log(3, "journal %s: cannot restore its meta pages: %s",
		    dir, strerror(errno));
	for (size_t i = 0; i < n; i++) {
		uint64_t pgno;

		memcpy(&pgno, old + 2 * ps + i * slot, 8);
		(void)at(fd, old + 2 * ps + i * slot + 8, ps, (off_t)(pgno *
		    ps), 1);
	}
	(void)fdatasync(fd);
done:
	if (bfd >= 0)
		close(bfd);
	close(fd);
	free(old);
	return rc;
}

/* Nothing to do for point h: closed, or the page cache still holds it. */
static int
settled(const struct sp *h, const char boot[SP_BOOT])
{
	return h->closed || strncmp(h->boot, boot, SP_BOOT) == 0;
}

/*
 * Before the journal at dir is opened: if its writer's last sync point
 * came before an OS crash, check it and repair it (see the top).
 */
int
wbs_sp_gate(const char *dir, struct wbs_errbuf *eb)
{
	struct sp	 h;
	struct spbuf	 mark = { NULL, 0 };
	struct wbs_env	 fake;
	char		 file[PATH_MAX], boot[SP_BOOT];
	unsigned char	*body = NULL;
	uint64_t	 nrec = 0;
	int		 fd[2], rc = 0, i, crc;
	struct wbs_errbuf why;

	for (i = 0; i < 2; i++) {
		snprintf(file, sizeof(file), "%s/syncpoint.%d", dir, i);
		fd[i] = open(file, O_RDWR | O_CLOEXEC);
	}
	if (fd[0] < 0)
		goto out;	/* none, or not ours to change */
	boot_id(boot);
	if (newest(fd, &h) < 0 || settled(&h, boot))
		goto out;
	(void)flock(fd[0], LOCK_EX);
	/* Another opener may have done it while this one waited. */
	if ((i = newest(fd, &h)) < 0 || settled(&h, boot))
		goto out;
	if ((body = body_read(fd[i], &h)) == NULL) {
		/* Cut short as the OS crashed: the point before it. */
		struct sp o;

		if (fd[!i] >= 0 && head_read(fd[!i], &o) == 0 && !o.closed &&
		    (body = body_read(fd[!i], &o)) != NULL)
			h = o;
	}
	why.msg[0] = '\0';
	crc = check_journal(dir, &nrec, &why);
	if (crc != 0 && why.msg[0] == '\0')
		snprintf(why.msg, sizeof(why.msg), "%s", wbs_strerror(crc));
	if (crc == WBS_EVERSION || crc == WBS_ENOMEM) {
		rc = crc == WBS_ENOMEM ? WBS_ENOMEM : 0;
		goto out;	/* not damage: leave it as it is */
	}
	if (crc == 0 && compact(dir, &why) == 0)
		wbs_log(5, "journal %s: checked after an OS restart: intact "
		    "(%" PRIu64 " records)", dir, nrec);
	else if (body == NULL) {
		rc = wbs_err(eb, WBS_ECORRUPT, "journal %s: damaged by an OS "
		    "crash (%s), and it has no sync point to go back to",
		    dir, why.msg);
		goto out;
	} else if ((rc = roll_back(dir, &h, body, &nrec, eb)) != 0) {
		char msg[sizeof(eb->msg)];

		snprintf(msg, sizeof(msg), "%s", eb->msg);
		rc = wbs_err(eb, WBS_ECORRUPT, "journal %s: damaged by an OS "
		    "crash (%s), and its last sync point does not read "
		    "either: %s", dir, why.msg, msg);
		goto out;
	} else
		wbs_log(4, "journal %s: an OS crash damaged what was written "
		    "after its last sync (%s); set back to that sync: %"
		    PRIu64 " records", dir, why.msg, nrec);
	/* Checked in this boot: later openers need not. */
	memset(&fake, 0, sizeof(fake));
	fake.spfd[0] = fd[0];
	fake.spfd[1] = fd[1];
	mark.len = sizeof(struct sp) + META_BYTES;
	if ((mark.p = calloc(1, mark.len)) != NULL &&
	    (fd[1] < 0 || point_write(&fake, &mark, 1) != 0))
		wbs_log(3, "journal %s: cannot mark it checked", dir);
out:
	free(mark.p);
	free(body);
	for (i = 0; i < 2; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	return rc;
}
