/*
 * seal.c - sealed copies of a journal: a compacted, read-only copy,
 * consistent even while its writer runs (one LMDB read transaction,
 * mdb_env_copy2 with MDB_CP_COMPACT), with the run's files/, written to
 * DIR/<run directory>/ for a daemon on another host to sync (a live LMDB
 * must not be shared over NFS).  Sealing again replaces the copy
 * atomically (renameat2 RENAME_EXCHANGE) and carries over the sync
 * progress the other host's daemon recorded in the previous copy.
 *
 * wbs_seal() seals any journal from outside (wbstore seal); a writer
 * seals its own journal through its open environment (wbs_run_seal(),
 * and periodically with WBS_OPT_SEAL_DIR).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wbs-int.h"
#include "writer.h"

/* Open a journal's LMDB environment; 0 or an LMDB error. */
static int
env_open(MDB_env **envp, const char *path, unsigned flags)
{
	int rc;

	if ((rc = mdb_env_create(envp)) != 0)
		return rc;
	mdb_env_set_maxdbs(*envp, 8);
	if ((rc = mdb_env_open(*envp, path, flags | MDB_NOTLS, 0644)) != 0) {
		mdb_env_close(*envp);
		*envp = NULL;
	}
	return rc;
}

/* The "seq" of a cursor value (the sync engine's JSON), or 0. */
static unsigned long long
cursor_seq(const MDB_val *v)
{
	char		 tmp[64];
	const char	*p = memmem(v->mv_data, v->mv_size, "\"seq\":", 6);
	size_t		 off;

	if (p == NULL)
		return 0;
	off = (size_t)(p - (const char *)v->mv_data) + 6;
	snprintf(tmp, sizeof(tmp), "%.*s", (int)(v->mv_size - off < 40 ?
	    v->mv_size - off : 40), (const char *)v->mv_data + off);
	return strtoull(tmp, NULL, 10);
}

/*
 * Copy into the new copy the cursors of the old one that are further
 * along (the other host's daemon wrote them there).  0 or an LMDB error.
 */
static int
carry_cursors(const char *old, const char *new)
{
	MDB_env		*oe = NULL, *ne = NULL;
	MDB_txn		*ot = NULL, *nt = NULL;
	MDB_dbi		 od, nd;
	MDB_cursor	*c = NULL;
	MDB_val		 k, v, cur;
	MDB_cursor_op	 op;
	int		 rc;

	if ((rc = env_open(&oe, old, MDB_RDONLY)) != 0)
		return rc == ENOENT ? 0 : rc;
	if ((rc = env_open(&ne, new, 0)) != 0 ||
	    (rc = mdb_txn_begin(oe, NULL, MDB_RDONLY, &ot)) != 0)
		goto done;
	if ((rc = mdb_dbi_open(ot, "sync", 0, &od)) != 0) {
		rc = rc == MDB_NOTFOUND ? 0 : rc;	/* never synced */
		goto done;
	}
	if ((rc = mdb_txn_begin(ne, NULL, 0, &nt)) != 0 ||
	    (rc = mdb_dbi_open(nt, "sync", MDB_CREATE, &nd)) != 0 ||
	    (rc = mdb_cursor_open(ot, od, &c)) != 0)
		goto done;
	for (op = MDB_FIRST; (rc = mdb_cursor_get(c, &k, &v, op)) == 0;
	    op = MDB_NEXT) {
		if (mdb_get(nt, nd, &k, &cur) == 0 &&
		    cursor_seq(&cur) >= cursor_seq(&v))
			continue;
		if ((rc = mdb_put(nt, nd, &k, &v, 0)) != 0)
			goto done;
	}
	if (rc == MDB_NOTFOUND)
		rc = mdb_txn_commit(nt);
	nt = NULL;
done:
	if (c != NULL)
		mdb_cursor_close(c);
	if (nt != NULL)
		mdb_txn_abort(nt);
	if (ot != NULL)
		mdb_txn_abort(ot);
	if (ne != NULL)
		mdb_env_close(ne);
	mdb_env_close(oe);
	return rc;
}

/* Copy the regular files under from into to, unless already the same. */
static int
copy_tree(const char *from, const char *to)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sa, sb;
	char		 a[PATH_MAX], b[PATH_MAX], buf[65536];
	int		 rc = 0;

	if ((d = opendir(from)) == NULL)
		return errno == ENOENT ? 0 : -1;
	if (mkdir(to, 0755) != 0 && errno != EEXIST) {
		closedir(d);
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		int	in, out;
		ssize_t	n;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(a, sizeof(a), "%s/%s", from, de->d_name);
		snprintf(b, sizeof(b), "%s/%s", to, de->d_name);
		if (lstat(a, &sa) != 0)
			continue;
		if (S_ISDIR(sa.st_mode)) {
			rc = copy_tree(a, b);
			continue;
		}
		if (!S_ISREG(sa.st_mode) || (stat(b, &sb) == 0 &&
		    sb.st_size == sa.st_size &&
		    sb.st_mtim.tv_sec == sa.st_mtim.tv_sec))
			continue;
		if ((in = open(a, O_RDONLY | O_CLOEXEC)) < 0)
			continue;	/* went away */
		if ((out = open(b, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0644)) < 0) {
			close(in);
			rc = -1;
			break;
		}
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (write(out, buf, (size_t)n) != n) {
				rc = -1;
				break;
			}
		close(in);
		if (close(out) != 0 || n < 0)
			rc = -1;
		else {
			struct timespec ts[2] = { sa.st_atim, sa.st_mtim };

			(void)utimensat(AT_FDCWD, b, ts, 0);
		}
	}
	closedir(d);
	return rc;
}

/* nftw() callback: remove one entry. */
static int
rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)flag;
	(void)f;
	return remove(p);
}

/*
 * Seal the journal directory journal, open as env, into to/<run
 * directory>/; the path of the copy goes to final.
 */
static int
seal_env(MDB_env *env, const char *journal, const char *to, char *final,
    size_t flen, struct wbs_errbuf *eb)
{
	char		 rundir[PATH_MAX], dest[PATH_MAX], tmp[PATH_MAX];
	char		 files[PATH_MAX], dfiles[PATH_MAX];
	const char	*jbase, *rbase;
	int		 rc, fd, exists;

	snprintf(rundir, sizeof(rundir), "%s", journal);
	if (strrchr(rundir, '/') != NULL)
		*strrchr(rundir, '/') = '\0';
	else
		snprintf(rundir, sizeof(rundir), ".");
	jbase = strrchr(journal, '/') ? strrchr(journal, '/') + 1 : journal;
	rbase = strrchr(rundir, '/') ? strrchr(rundir, '/') + 1 : rundir;
	if ((size_t)snprintf(dest, sizeof(dest), "%s/%s", to, rbase) >=
	    sizeof(dest) || (size_t)snprintf(final, flen, "%s/%s", dest,
	    jbase) >= flen)
		return wbs_err(eb, WBS_EINVAL, "seal directory \"%.100s\" is "
		    "too long", to);
	if ((mkdir(to, 0755) != 0 && errno != EEXIST) ||
	    (mkdir(dest, 0755) != 0 && errno != EEXIST))
		return wbs_err(eb, errno == ENOSPC ? WBS_ENOSPC : WBS_EIO,
		    "seal: %s: %s", dest, strerror(errno));
	snprintf(tmp, sizeof(tmp), "%s/.%s.seal-%ld", dest, jbase,
	    (long)getpid());
	snprintf(files, sizeof(files), "%s/files", rundir);
	snprintf(dfiles, sizeof(dfiles), "%s/files", dest);
	/* Files first: a daemon finding the journal finds them too. */
	if (copy_tree(files, dfiles) != 0)
		return wbs_err(eb, WBS_EIO, "seal: copying %s to %s: %s", files,
		    dfiles, strerror(errno));
	exists = access(final, F_OK) == 0;
	if (mkdir(tmp, 0755) != 0)
		return wbs_err(eb, errno == ENOSPC ? WBS_ENOSPC : WBS_EIO,
		    "seal: %s: %s", tmp, strerror(errno));
	if ((rc = mdb_env_copy2(env, tmp, MDB_CP_COMPACT)) != 0) {
		nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		return wbs_err(eb, rc == ENOSPC ? WBS_ENOSPC : WBS_EIO,
		    "seal: cannot copy journal %s to %s: %s", journal, to,
		    mdb_strerror(rc));
	}
	/* Pollers see a new copy by its doorbell. */
	if ((fd = open(tmp, O_RDONLY | O_CLOEXEC)) >= 0) {
		int bell = openat(fd, "doorbell", O_WRONLY | O_CREAT |
		    O_CLOEXEC, 0644);

		if (bell >= 0) {
			if (write(bell, "\n", 1) != 1)
				wbs_log(4, "seal: %s/doorbell: %s", tmp,
				    strerror(errno));
			close(bell);
		}
		close(fd);
	}
	if (exists && (rc = carry_cursors(final, tmp)) != 0)
		wbs_log(4, "seal: %s: sync progress not carried over: %s",
		    final, mdb_strerror(rc));
	if (exists ? renameat2(AT_FDCWD, tmp, AT_FDCWD, final,
	    RENAME_EXCHANGE) != 0 : rename(tmp, final) != 0) {
		rc = errno;
		nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		return wbs_err(eb, WBS_EIO, "seal: %s: %s", final,
		    strerror(rc));
	}
	if (exists)
		nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);	/* the old */
	return 0;
}

/* Seal a journal (or the run directory holding one) into to. */
int
wbs_seal(const char *path, const char *to, char *out, size_t outlen,
    char *errbuf, size_t errlen)
{
	struct wbs_errbuf	 eb;
	char			 journal[PATH_MAX], final[PATH_MAX];
	MDB_env			*env = NULL;
	int			 rc;

	eb.msg[0] = '\0';
	rc = wbs_journal_resolve(path, journal, sizeof(journal), &eb);
	if (rc == WBS_ENOTFOUND)
		rc = wbs_err(&eb, WBS_ENOTFOUND, "%s: no journal (a run "
		    "directory or its run-*.wbs directory)", path);
	if (rc == 0 && (rc = env_open(&env, journal, MDB_RDONLY)) != 0)
		rc = wbs_err(&eb, rc == ENOENT ? WBS_ENOTFOUND : WBS_EIO,
		    "journal %s: %s", journal, mdb_strerror(rc));
	if (rc == 0)
		rc = seal_env(env, journal, to, final, sizeof(final), &eb);
	if (env != NULL)
		mdb_env_close(env);
	if (rc == 0 && out != NULL && outlen > 0)
		snprintf(out, outlen, "%s", final);
	if (rc != 0 && errbuf != NULL && errlen > 0)
		snprintf(errbuf, errlen, "%s", eb.msg);
	return rc;
}

/*
 * Seal the run's own journal through its environment, the message going
 * to eb (the background thread has its own).  The map lock keeps the map
 * from being resized under the copy's read transaction, and two seals
 * from one process apart.
 */
int
wbs_run_seal_eb(struct wbs_run *run, const char *to, struct wbs_errbuf *eb)
{
	char	final[PATH_MAX];
	int	rc;

	if (run->disabled)
		return 0;
	if (to == NULL || *to == '\0')
		return wbs_err(eb, WBS_EINVAL, "seal: no directory");
	pthread_mutex_lock(&run->env.maplock);
	rc = seal_env(run->env.env, run->journal, to, final, sizeof(final),
	    eb);
	pthread_mutex_unlock(&run->env.maplock);
	if (rc == 0)
		wbs_log(6, "journal %s: sealed to %s", run->journal, final);
	return rc;
}

int
wbs_run_seal(struct wbs_run *run, const char *to)
{
	return wbs_run_seal_eb(run, to, &run->eb);
}
