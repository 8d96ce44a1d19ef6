/*
 * crashfs.c - a FUSE file system that forgets what was not synced, to
 * test what survives an OS crash or a power loss.
 *
 *   crashfs BACKING MOUNTPOINT STATUSFILE [SEED]
 *
 * BACKING is the disk.  File data written through MOUNTPOINT (by write(2)
 * or by the kernel writing back a shared mapping's dirty pages) is kept
 * in memory, visible to reads, until the file is fsynced (fsync,
 * fdatasync, msync MS_SYNC); only then does it reach BACKING.  Metadata
 * (create, mkdir, rename, unlink, symlink, truncate, fallocate) goes to
 * BACKING at once, as a journaling file system orders it before data.
 *
 * SIGUSR1 is the crash: each 4 KiB piece of data written since its file's
 * last fsync reaches BACKING or not, at random (a disk persists any part
 * of what it had in flight, in any order); everything after fails with
 * EIO; then STATUSFILE gets one line:
 *   crashed MONOTONIC_NS kept=PIECES lost=PIECES
 * Pages still dirty in the kernel's cache never reach crashfs at all, as
 * after a real crash.  The caller then kills the writers and unmounts.
 *
 * Single-threaded (-s): requests are handled one at a time, in order.
 */
#define FUSE_USE_VERSION 31
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <fuse.h>

#define PIECE	4096

/* One write(2) or written-back page range not yet synced. */
struct ext {
	struct ext	*next;
	off_t		 off;
	size_t		 len;
	char		 data[];
};

/* A file with unsynced data, by inode of its backing file. */
struct pfile {
	struct pfile	*next;
	ino_t		 ino;
	int		 fd;		/* backing file, for the crash */
	off_t		 size;		/* size seen through the mount */
	struct ext	*head, *tail;
};

static const char		*backing;
static const char		*status_file;
static struct pfile		*files;
static volatile sig_atomic_t	 crash_asked;
static int			 crashed;
static unsigned long		 kept, lost;

static void
on_usr1(int sig)
{
	(void)sig;
	crash_asked = 1;
}

/* The backing path of a mount path. */
static void
bpath(char *out, const char *path)
{
	snprintf(out, PATH_MAX, "%s%s", backing, path);
}

static struct pfile *
pf_find(ino_t ino, int create, off_t size, int fd)
{
	struct pfile *p;

	for (p = files; p != NULL; p = p->next)
		if (p->ino == ino)
			return p;
	if (!create)
		return NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		abort();
	p->ino = ino;
	p->size = size;
	if ((p->fd = dup(fd)) < 0)
		abort();
	p->next = files;
	files = p;
	return p;
}

/* Apply (or drop) a file's unsynced data; random: piece by piece. */
static void
pf_flush(struct pfile *p, int fd, int random_pieces)
{
	struct ext *e, *next;

	for (e = p->head; e != NULL; e = next) {
		next = e->next;
		for (size_t o = 0; o < e->len; o += PIECE) {
			size_t n = e->len - o < PIECE ? e->len - o : PIECE;

			if (random_pieces && (random() & 1)) {
				lost++;
				continue;
			}
			if (fd >= 0 && pwrite(fd, e->data + o, n, e->off +
			    (off_t)o) != (ssize_t)n)
				abort();
			kept += random_pieces;
		}
		free(e);
	}
	p->head = p->tail = NULL;
}

/* The crash, if one was asked for: at the start of every request. */
static int
check_crash(void)
{
	struct timespec	 ts;
	FILE		*f;

	if (crashed)
		return -EIO;
	if (!crash_asked)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	for (struct pfile *p = files; p != NULL; p = p->next)
		pf_flush(p, p->fd, 1);
	crashed = 1;
	if ((f = fopen(status_file, "w")) != NULL) {
		fprintf(f, "crashed %lld kept=%lu lost=%lu\n",
		    (long long)ts.tv_sec * 1000000000 + ts.tv_nsec, kept, lost);
		fclose(f);
	}
	return -EIO;
}

#define CRASHED()	do { int _c = check_crash(); if (_c) return _c; } \
			while (0)

static int
fs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	char		 b[PATH_MAX];
	struct pfile	*p;
	int		 rc;

	CRASHED();
	if (fi != NULL)
		rc = fstat((int)fi->fh, st);
	else {
		bpath(b, path);
		rc = lstat(b, st);
	}
	if (rc != 0)
		return -errno;
	if (S_ISREG(st->st_mode) && (p = pf_find(st->st_ino, 0, 0, -1)) != NULL &&
	    p->size > st->st_size)
		st->st_size = p->size;
	return 0;
}

static int
fs_readlink(const char *path, char *buf, size_t size)
{
	char	b[PATH_MAX];
	ssize_t	n;

	CRASHED();
	bpath(b, path);
	if ((n = readlink(b, buf, size - 1)) < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static int
fs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
    struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	char		 b[PATH_MAX];
	DIR		*d;
	struct dirent	*de;

	(void)off;
	(void)fi;
	(void)flags;
	CRASHED();
	bpath(b, path);
	if ((d = opendir(b)) == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL)
		if (fill(buf, de->d_name, NULL, 0, 0))
			break;
	closedir(d);
	return 0;
}

#define PASS1(name, call)						\
static int								\
name(const char *path)							\
{									\
	char b[PATH_MAX];						\
									\
	CRASHED();							\
	bpath(b, path);							\
	return call < 0 ? -errno : 0;					\
}
PASS1(fs_unlink, unlink(b))
PASS1(fs_rmdir, rmdir(b))

static int
fs_mkdir(const char *path, mode_t mode)
{
	char b[PATH_MAX];

	CRASHED();
	bpath(b, path);
	return mkdir(b, mode) < 0 ? -errno : 0;
}

static int
fs_symlink(const char *to, const char *path)
{
	char b[PATH_MAX];

	CRASHED();
	bpath(b, path);
	return symlink(to, b) < 0 ? -errno : 0;
}

static int
fs_rename(const char *from, const char *to, unsigned int flags)
{
	char a[PATH_MAX], b[PATH_MAX];

	CRASHED();
	if (flags != 0)
		return -EINVAL;
	bpath(a, from);
	bpath(b, to);
	return rename(a, b) < 0 ? -errno : 0;
}

static int
fs_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	char b[PATH_MAX];

	CRASHED();
	if (fi != NULL)
		return fchmod((int)fi->fh, mode) < 0 ? -errno : 0;
	bpath(b, path);
	return chmod(b, mode) < 0 ? -errno : 0;
}

static int
fs_utimens(const char *path, const struct timespec tv[2],
    struct fuse_file_info *fi)
{
	char b[PATH_MAX];

	CRASHED();
	if (fi != NULL)
		return futimens((int)fi->fh, tv) < 0 ? -errno : 0;
	bpath(b, path);
	return utimensat(AT_FDCWD, b, tv, AT_SYMLINK_NOFOLLOW) < 0 ? -errno :
	    0;
}

/* Cut unsynced data beyond a new size. */
static void
pf_cut(struct pfile *p, off_t size)
{
	for (struct ext *e = p->head; e != NULL; e = e->next) {
		if (e->off >= size)
			e->len = 0;
		else if (e->off + (off_t)e->len > size)
			e->len = (size_t)(size - e->off);
	}
	p->size = size;
}

static int
fs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	char		 b[PATH_MAX];
	struct stat	 st;
	struct pfile	*p;
	int		 rc;

	CRASHED();
	if (fi != NULL)
		rc = ftruncate((int)fi->fh, size) < 0 ? -errno :
		    fstat((int)fi->fh, &st);
	else {
		bpath(b, path);
		rc = truncate(b, size) < 0 ? -errno : lstat(b, &st);
	}
	if (rc != 0)
		return rc < 0 ? rc : -errno;
	if ((p = pf_find(st.st_ino, 0, 0, -1)) != NULL)
		pf_cut(p, size);
	return 0;
}

/* An open with O_TRUNC drops the unsynced data too. */
static void
truncated(int fd, int flags)
{
	struct stat	 st;
	struct pfile	*p;

	if ((flags & O_TRUNC) && fstat(fd, &st) == 0 &&
	    (p = pf_find(st.st_ino, 0, 0, -1)) != NULL)
		pf_cut(p, 0);
}

static int
fs_open(const char *path, struct fuse_file_info *fi)
{
	char	b[PATH_MAX];
	int	fd;

	CRASHED();
	bpath(b, path);
	/* Reads need the backing file even when the caller only writes. */
	if ((fd = open(b, (fi->flags & ~(O_ACCMODE | O_APPEND)) | O_RDWR)) < 0 &&
	    (fd = open(b, fi->flags & ~O_APPEND)) < 0)
		return -errno;
	fi->fh = (uint64_t)fd;
	truncated(fd, fi->flags);
	return 0;
}

static int
fs_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	char	b[PATH_MAX];
	int	fd;

	CRASHED();
	bpath(b, path);
	if ((fd = open(b, (fi->flags & ~(O_ACCMODE | O_APPEND)) | O_RDWR |
	    O_CREAT, mode)) < 0)
		return -errno;
	fi->fh = (uint64_t)fd;
	truncated(fd, fi->flags);
	return 0;
}

/* The durable bytes, with the unsynced writes laid over them. */
static int
fs_read(const char *path, char *buf, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	struct stat	 st;
	struct pfile	*p;
	off_t		 end;
	ssize_t		 n;

	(void)path;
	CRASHED();
	if (fstat((int)fi->fh, &st) != 0)
		return -errno;
	p = pf_find(st.st_ino, 0, 0, -1);
	end = p != NULL && p->size > st.st_size ? p->size : st.st_size;
	if (off >= end)
		return 0;
	if ((off_t)size > end - off)
		size = (size_t)(end - off);
	if ((n = pread((int)fi->fh, buf, size, off)) < 0)
		return -errno;
	memset(buf + n, 0, size - (size_t)n);
	for (struct ext *e = p ? p->head : NULL; e != NULL; e = e->next) {
		off_t a = e->off > off ? e->off : off;
		off_t z = e->off + (off_t)e->len < off + (off_t)size ?
		    e->off + (off_t)e->len : off + (off_t)size;

		if (a < z)
			memcpy(buf + (a - off), e->data + (a - e->off),
			    (size_t)(z - a));
	}
	return (int)size;
}

static int
fs_write(const char *path, const char *buf, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	struct stat	 st;
	struct pfile	*p;
	struct ext	*e;

	(void)path;
	CRASHED();
	if (fstat((int)fi->fh, &st) != 0)
		return -errno;
	p = pf_find(st.st_ino, 1, st.st_size, (int)fi->fh);
	if ((e = malloc(sizeof(*e) + size)) == NULL)
		return -ENOMEM;
	e->next = NULL;
	e->off = off;
	e->len = size;
	memcpy(e->data, buf, size);
	if (p->tail != NULL)
		p->tail->next = e;
	else
		p->head = e;
	p->tail = e;
	if (off + (off_t)size > p->size)
		p->size = off + (off_t)size;
	if (st.st_size > p->size)
		p->size = st.st_size;
	return (int)size;
}

static int
fs_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	struct stat	 st;
	struct pfile	*p;

	(void)path;
	(void)datasync;
	CRASHED();
	if (fstat((int)fi->fh, &st) != 0)
		return -errno;
	if ((p = pf_find(st.st_ino, 0, 0, -1)) != NULL) {
		/* The size first: data past the end goes nowhere. */
		if (p->size > st.st_size && ftruncate((int)fi->fh, p->size))
			return -errno;
		pf_flush(p, (int)fi->fh, 0);
	}
	return 0;
}

static int
fs_fallocate(const char *path, int mode, off_t off, off_t len,
    struct fuse_file_info *fi)
{
	struct stat	 st;
	struct pfile	*p;
	int		 rc;

	(void)path;
	CRASHED();
	if (mode != 0)
		return -EOPNOTSUPP;
	if ((rc = posix_fallocate((int)fi->fh, off, len)) != 0)
		return -rc;
	if (fstat((int)fi->fh, &st) == 0 &&
	    (p = pf_find(st.st_ino, 0, 0, -1)) != NULL && st.st_size > p->size)
		p->size = st.st_size;
	return 0;
}

static int
fs_release(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	close((int)fi->fh);
	return 0;
}

static int
fs_statfs(const char *path, struct statvfs *sv)
{
	(void)path;
	return statvfs(backing, sv) < 0 ? -errno : 0;
}

static int
fs_access(const char *path, int mask)
{
	char b[PATH_MAX];

	CRASHED();
	bpath(b, path);
	return access(b, mask) < 0 ? -errno : 0;
}

static void *
fs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	(void)conn;
	cfg->use_ino = 0;
	cfg->attr_timeout = 0;
	cfg->entry_timeout = 0;
	cfg->negative_timeout = 0;
	return NULL;
}

static const struct fuse_operations ops = {
	.init = fs_init,
	.getattr = fs_getattr,
	.readlink = fs_readlink,
	.readdir = fs_readdir,
	.mkdir = fs_mkdir,
	.unlink = fs_unlink,
	.rmdir = fs_rmdir,
	.symlink = fs_symlink,
	.rename = fs_rename,
	.chmod = fs_chmod,
	.utimens = fs_utimens,
	.truncate = fs_truncate,
	.open = fs_open,
	.create = fs_create,
	.read = fs_read,
	.write = fs_write,
	.fsync = fs_fsync,
	.fallocate = fs_fallocate,
	.release = fs_release,
	.statfs = fs_statfs,
	.access = fs_access,
};

int
main(int argc, char **argv)
{
	static char	 real[PATH_MAX];
	char		*fargv[] = { argv[0], "-f", "-s", "-o",
	    "default_permissions", NULL, NULL };
	struct sigaction sa;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: crashfs BACKING MOUNTPOINT STATUSFILE "
		    "[SEED]\n");
		return 2;
	}
	if (realpath(argv[1], real) == NULL) {
		fprintf(stderr, "crashfs: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	backing = real;
	status_file = argv[3];
	srandom(argc == 5 ? (unsigned)strtoul(argv[4], NULL, 10) :
	    (unsigned)getpid());
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	fargv[5] = argv[2];
	return fuse_main(6, fargv, &ops, NULL);
}
