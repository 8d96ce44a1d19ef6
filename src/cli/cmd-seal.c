/*
 * cmd-seal.c - wbstore seal RUN --to DIR: a compacted copy of a journal,
 * consistent even while its writer runs (one LMDB read transaction,
 * mdb_env_copy2 with MDB_CP_COMPACT), with the run's files/, written to
 * DIR/<run directory>/ for a daemon on another host to sync (a live LMDB
 * must not be shared over NFS).  Sealing again replaces the copy
 * atomically (renameat2 RENAME_EXCHANGE) and carries over the sync
 * progress the other host's daemon recorded in the previous copy.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lmdb.h>

#include "cmd.h"
#include "log.h"
#include "runs.h"

/* The journal directory (run-*.wbs) of a run or journal directory. */
static int
find_journal(const char *path, char *out, size_t len)
{
	DIR		*d;
	struct dirent	*de;
	const char	*base = strrchr(path, '/') ? strrchr(path, '/') + 1 :
			    path;
	size_t		 n = strlen(base);
	int		 found = 0;

	if (n > 4 && strcmp(base + n - 4, ".wbs") == 0) {
		snprintf(out, len, "%s", path);
		return 0;
	}
	if ((d = opendir(path)) == NULL)
		return -1;
	while (!found && (de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (n > 8 && strncmp(de->d_name, "run-", 4) == 0 &&
		    strcmp(de->d_name + n - 4, ".wbs") == 0) {
			snprintf(out, len, "%s/%s", path, de->d_name);
			found = 1;
		}
	}
	closedir(d);
	return found ? 0 : -1;
}

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

/* The compacted copy of journal in tmp, then put in place at final. */
static int
seal_journal(const char *journal, const char *tmp, const char *final)
{
	MDB_env	*env;
	int	 rc, fd, exists = access(final, F_OK) == 0;

	if (mkdir(tmp, 0755) != 0) {
		log_warn("%s", tmp);
		return -1;
	}
	if ((rc = env_open(&env, journal, MDB_RDONLY)) != 0 ||
	    (rc = mdb_env_copy2(env, tmp, MDB_CP_COMPACT)) != 0) {
		log_warnx("%s: cannot copy the journal: %s", journal,
		    mdb_strerror(rc));
		if (env != NULL)
			mdb_env_close(env);
		nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		return -1;
	}
	mdb_env_close(env);
	/* Pollers see a new copy by its doorbell. */
	if ((fd = open(tmp, O_RDONLY)) >= 0) {
		int bell = openat(fd, "doorbell", O_WRONLY | O_CREAT |
		    O_CLOEXEC, 0644);

		if (bell >= 0 && write(bell, "\n", 1) == 1)
			close(bell);
		else if (bell >= 0)
			close(bell);
		close(fd);
	}
	if (exists && (rc = carry_cursors(final, tmp)) != 0)
		log_warnx("%s: sync progress not carried over: %s", final,
		    mdb_strerror(rc));
	if (exists ? renameat2(AT_FDCWD, tmp, AT_FDCWD, final,
	    RENAME_EXCHANGE) != 0 : rename(tmp, final) != 0) {
		log_warn("%s", final);
		nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		return -1;
	}
	if (exists)
		nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);	/* the old */
	return 0;
}

/* wbstore seal RUN --to DIR. */
int
cmd_seal(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char		 run[PATH_MAX], journal[PATH_MAX], rundir[PATH_MAX];
	char		 dest[PATH_MAX * 2], final[PATH_MAX * 3];
	char		 tmp[PATH_MAX * 3], files[PATH_MAX * 2];
	const char	*to = NULL, *jbase, *rbase;
	int		 c;

	while ((c = getopt_long(argc, argv, "t:h", lopts, NULL)) != -1) {
		if (c == 't')
			to = optarg;
		else
			return cmd_usage("seal", c == 'h' ? 0 : CMD_EXIT_USAGE);
	}
	if (optind + 1 != argc || to == NULL) {
		log_warnx("seal: give one RUN and --to DIR");
		return CMD_EXIT_USAGE;
	}
	if (runs_resolve(argv[optind], run, sizeof(run)) != 0 ||
	    find_journal(run, journal, sizeof(journal)) != 0) {
		log_warnx("%s: no such run (a run id, run directory or journal "
		    "directory)", argv[optind]);
		return CMD_EXIT_FAIL;
	}
	snprintf(rundir, sizeof(rundir), "%s", journal);
	*strrchr(rundir, '/') = '\0';
	jbase = strrchr(journal, '/') + 1;
	rbase = strrchr(rundir, '/') ? strrchr(rundir, '/') + 1 : rundir;
	snprintf(dest, sizeof(dest), "%s/%s", to, rbase);
	if ((mkdir(to, 0755) != 0 && errno != EEXIST) ||
	    (mkdir(dest, 0755) != 0 && errno != EEXIST)) {
		log_warn("%s", dest);
		return CMD_EXIT_FAIL;
	}
	snprintf(final, sizeof(final), "%s/%s", dest, jbase);
	snprintf(tmp, sizeof(tmp), "%s/.%s.seal-%ld", dest, jbase,
	    (long)getpid());
	snprintf(files, sizeof(files), "%s/files", rundir);
	snprintf(dest + strlen(dest), sizeof(dest) - strlen(dest), "/files");
	/* Files first: a daemon finding the journal finds them too. */
	if (copy_tree(files, dest) != 0) {
		log_warn("%s: copying files", dest);
		return CMD_EXIT_FAIL;
	}
	if (seal_journal(journal, tmp, final) != 0)
		return CMD_EXIT_FAIL;
	printf("%s\n", final);
	return CMD_EXIT_OK;
}
