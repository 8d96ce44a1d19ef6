/*
 * watch.c - finding runs under the roots and noticing what changes:
 * inotify where the kernel sees every write, polling with backoff where
 * it does not (network and cluster filesystems, or --poll).
 *
 * Layout: a root is a wandb directory, its parent, or a directory of
 * sealed copies; it holds run directories (*run-*), each holding a
 * journal (run-*.wbs).  A writer rings the journal's "doorbell" file
 * when it appends (commits through LMDB's shared mapping raise no event)
 * and the kernel closes the doorbell when the writer exits, however it
 * exits: both wake the run up.
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
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

#define DIR_MASK	(IN_CREATE | IN_MOVED_TO | IN_ONLYDIR)
#define JOURNAL_MASK	(IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | \
			    IN_MOVE_SELF | IN_DELETE_SELF | IN_ONLYDIR)

static void	watch_poll_cb(struct ev_loop *, ev_timer *, int);
static void	scan_rundir(struct daemon *, struct droot *, const char *);

/* Filesystems where other hosts' writes raise no inotify event. */
static const struct {
	unsigned long	 magic;
	const char	*name;
} remote_fs[] = {
	{ 0x6969, "NFS" },
	{ 0xff534d42, "CIFS" },
	{ 0xfe534d42, "SMB2" },
	{ 0x517b, "SMB" },
	{ 0x0bd00bd0, "Lustre" },
	{ 0x47504653, "GPFS" },
	{ 0x00c36400, "Ceph" },
	{ 0x5346414f, "AFS" },
	{ 0x6b414653, "AFS" },
	{ 0x01021997, "9P" },
	{ 0x65735546, "FUSE" },
	{ 0x7461636f, "OCFS2" },
	{ 0x01161970, "GFS2" },
	{ 0x19830326, "BeeGFS" },
	{ 0x013111a8, "IBRIX" },
	{ 0x73717368, "SquashFS" },	/* never changes; cheap to poll */
};

/* The name of path's filesystem if it needs polling, else NULL. */
const char *
watch_remote_fs(const char *path)
{
	struct statfs sf;

	if (statfs(path, &sf) != 0)
		return NULL;
	for (size_t i = 0; i < sizeof(remote_fs) / sizeof(remote_fs[0]); i++)
		if ((unsigned long)sf.f_type == remote_fs[i].magic)
			return remote_fs[i].name;
	return NULL;
}

/* 1 if a writer holds the journal (writer.lock, see src/lib/writer.c). */
int
watch_live(const char *journal)
{
	char	lock[PATH_MAX];
	int	fd, live = 0;

	snprintf(lock, sizeof(lock), "%s/writer.lock", journal);
	if ((fd = open(lock, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK)
		live = 1;
	close(fd);
	return live;
}

/* Watch path; the watch or NULL (then the root's timer polls). */
static struct watch *
watch_add(struct daemon *d, enum watch_kind kind, const char *path,
    struct droot *root, uint32_t mask, int *wdp)
{
	struct watch	*w;
	int		 wd;

	if (d->ifd < 0 || root->poll)
		return NULL;
	if ((wd = inotify_add_watch(d->ifd, path, mask)) < 0) {
		if (errno == ENOSPC && !d->watch_full) {
			d->watch_full = 1;
			log_warnx("inotify: the kernel allows no more watches "
			    "(fs.inotify.max_user_watches); polling the "
			    "rest");
		} else if (errno != ENOSPC && errno != ENOENT)
			log_warn("inotify: %s", path);
		if (!ev_is_active(&root->timer)) {
			root->interval = d->conf.poll_min;
			ev_timer_set(&root->timer, root->interval, 0);
			ev_timer_start(d->loop, &root->timer);
		}
		return NULL;
	}
	if ((size_t)wd >= d->nwatches) {
		size_t n = (size_t)wd * 2 + 16;

		if ((d->watches = realloc(d->watches, n *
		    sizeof(*d->watches))) == NULL)
			fatalx("out of memory");
		memset(d->watches + d->nwatches, 0, (n - d->nwatches) *
		    sizeof(*d->watches));
		d->nwatches = n;
	}
	if (wdp != NULL)
		*wdp = wd;
	if ((w = d->watches[wd]) != NULL)
		return w;	/* the same directory seen twice */
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->path = strdup(path)) == NULL)
		fatalx("out of memory");
	w->kind = kind;
	w->root = root;
	d->watches[wd] = w;
	d->nwatched++;
	return w;
}

/* 1 if path is a directory (following symlinks). */
static int
is_dir(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* 1 if the entry is a directory: its d_type, else stat (symlinks too). */
static int
dirent_is_dir(const struct dirent *de, const char *path)
{
	if (de->d_type == DT_DIR)
		return 1;
	if (de->d_type != DT_UNKNOWN && de->d_type != DT_LNK)
		return 0;
	return is_dir(path);
}

/* 1 if name is a run directory's name (W&B's *run-*). */
static int
is_rundir_name(const char *name)
{
	return name[0] != '.' && strstr(name, "run-") != NULL &&
	    !is_journal_name(name);
}

/* 1 if name is a journal directory's name (run-*.wbs). */
int
is_journal_name(const char *name)
{
	size_t n = strlen(name);

	return n > 8 && strncmp(name, "run-", 4) == 0 &&
	    strcmp(name + n - 4, ".wbs") == 0;
}

/* A journal found: add the run and watch its doorbell. */
static void
found_journal(struct daemon *d, struct droot *root, const char *path)
{
	struct drun	*r = drun_find(d, path);
	struct watch	*w;
	int		 fresh = r == NULL;

	if (r == NULL)
		r = drun_add(d, root, path);
	if (r->wd >= 0 || root->poll)
		return;
	if ((w = watch_add(d, W_JOURNAL, path, root, JOURNAL_MASK,
	    &r->wd)) != NULL)
		w->run = r;
	if (!fresh)
		drun_touch(d, r);
}

/* Look into a run directory for its journal; watch it until one shows. */
static void
scan_rundir(struct daemon *d, struct droot *root, const char *path)
{
	DIR		*dir;
	struct dirent	*de;
	char		 sub[PATH_MAX];
	int		 found = 0;

	if ((dir = opendir(path)) == NULL)
		return;
	while ((de = readdir(dir)) != NULL) {
		if (!is_journal_name(de->d_name))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (!dirent_is_dir(de, sub))
			continue;
		found_journal(d, root, sub);
		found = 1;
	}
	closedir(dir);
	if (!found)
		(void)watch_add(d, W_RUNDIR, path, root, DIR_MASK, NULL);
}

/* A wandb directory (or a root): watch it, look at its run directories. */
static void
scan_dir(struct daemon *d, struct droot *root, const char *path,
    enum watch_kind kind)
{
	DIR		*dir;
	struct dirent	*de;
	char		 sub[PATH_MAX];

	(void)watch_add(d, kind, path, root, DIR_MASK, NULL);
	if ((dir = opendir(path)) == NULL) {
		log_warn("%s", path);
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (kind == W_ROOT && strcmp(de->d_name, "wandb") == 0 &&
		    dirent_is_dir(de, sub))
			scan_dir(d, root, sub, W_WANDB);
		else if (is_rundir_name(de->d_name) && dirent_is_dir(de, sub))
			scan_rundir(d, root, sub);
	}
	closedir(dir);
}

/* Look at the whole root (at start, after an overflow, when polling). */
void
watch_scan_root(struct daemon *d, struct droot *r)
{
	if (r->gone)
		return;
	if (!is_dir(r->path)) {
		if (!r->missing)
			log_info("%s: no such directory (yet); looking again "
			    "every %.0f s", r->path, DAEMON_MISSING_EVERY);
		r->missing = 1;
		ev_timer_stop(d->loop, &r->timer);
		ev_timer_set(&r->timer, DAEMON_MISSING_EVERY, 0);
		ev_timer_start(d->loop, &r->timer);
		return;
	}
	if (r->missing) {
		r->missing = 0;
		ev_timer_stop(d->loop, &r->timer);
	}
	if (!r->poll && !d->force_poll && !d->conf.poll &&
	    (r->fstype = watch_remote_fs(r->path)) != NULL) {
		log_info("%s: on %s, where other hosts' writes raise no "
		    "events: polling", r->path, r->fstype);
		r->poll = 1;
	}
	if (r->poll && !ev_is_active(&r->timer)) {
		ev_timer_set(&r->timer, r->interval, 0);
		ev_timer_start(d->loop, &r->timer);
	}
	scan_dir(d, r, r->path, W_ROOT);
}

/* A new root; scan it with watch_scan_root(). */
struct droot *
watch_add_root(struct daemon *d, const char *path)
{
	struct droot *r;

	for (size_t i = 0; i < d->nroots; i++)
		if (strcmp(d->roots[i]->path, path) == 0) {
			d->roots[i]->gone = 0;
			return d->roots[i];
		}
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->path = strdup(path)) == NULL)
		fatalx("out of memory");
	r->d = d;
	r->poll = d->force_poll || d->conf.poll || d->ifd < 0;
	if (r->poll)
		r->fstype = d->ifd < 0 ? "no inotify" : "--poll";
	r->interval = d->conf.poll_min;
	ev_timer_init(&r->timer, watch_poll_cb, r->interval, 0);
	r->timer.data = r;
	if ((d->roots = realloc(d->roots, (d->nroots + 1) *
	    sizeof(*d->roots))) == NULL)
		fatalx("out of memory");
	d->roots[d->nroots++] = r;
	return r;
}

/* Stop watching a root removed from the configuration. */
void
watch_drop_root(struct daemon *d, struct droot *root)
{
	root->gone = 1;
	ev_timer_stop(d->loop, &root->timer);
	for (size_t i = 0; i < d->nwatches; i++) {
		struct watch *w = d->watches[i];

		if (w != NULL && w->root == root)
			inotify_rm_watch(d->ifd, (int)i);
	}
	for (size_t i = 0; i < d->nruns; ) {
		struct drun *r = d->runs[i];

		if (r->root == root && !r->inpass)
			drun_remove(d, r);
		else
			i++;
	}
}

/*
 * 1 if the run changed since the last look (polling): its doorbell rang,
 * or the journal directory was replaced (a new sealed copy).  data.mdb is
 * not looked at: this daemon's own cursor commits change it.
 */
static int
poll_run(struct drun *r)
{
	char		p[PATH_MAX];
	struct stat	sb;
	int64_t		bell = -1, dir = -1;
	int		changed;

	snprintf(p, sizeof(p), "%s/doorbell", r->path);
	if (stat(p, &sb) == 0)
		bell = (int64_t)sb.st_mtim.tv_sec * 1000000000 +
		    sb.st_mtim.tv_nsec + sb.st_size;
	if (stat(r->path, &sb) == 0)
		dir = (int64_t)sb.st_ino ^ ((int64_t)sb.st_dev << 32);
	changed = bell != r->bell_ns || dir != r->data_size;
	r->bell_ns = bell;
	r->data_size = dir;
	return changed;
}

/* A root's timer: look for it, or poll it, backing off while idle. */
static void
watch_poll_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct droot	*root = t->data;
	struct daemon	*d = root->d;
	size_t		 before = d->nruns;
	int		 changed = 0;

	(void)revents;
	d->wakeups++;
	if (root->missing) {
		watch_scan_root(d, root);
		return;
	}
	if (root->poll)
		watch_scan_root(d, root);
	changed = d->nruns != before;
	for (size_t i = 0; i < d->nruns; i++) {
		struct drun *r = d->runs[i];

		if (r->root != root || r->wd >= 0)
			continue;
		if (poll_run(r)) {
			changed = 1;
			drun_touch(d, r);
		}
	}
	if (changed)
		root->interval = d->conf.poll_min;
	else if ((root->interval *= 2) > d->conf.poll_max)
		root->interval = d->conf.poll_max;
	if (root->missing || root->gone)
		return;
	ev_timer_stop(loop, t);
	ev_timer_set(t, root->interval, 0);
	ev_timer_start(loop, t);
}

/* A journal's watch ended: it moved or went; find it again or forget. */
static void
journal_lost(struct daemon *d, struct watch *w)
{
	struct drun	*r = w->run;
	char		 parent[PATH_MAX], *slash;

	if (r == NULL)
		return;
	r->wd = -1;
	if (is_dir(r->path)) {
		/* Replaced in place (a new sealed copy). */
		found_journal(d, r->root, r->path);
		drun_touch(d, r);
		return;
	}
	snprintf(parent, sizeof(parent), "%s", r->path);
	if ((slash = strrchr(parent, '/')) != NULL)
		*slash = '\0';
	if (is_dir(parent))
		(void)watch_add(d, W_RUNDIR, parent, r->root, DIR_MASK, NULL);
	if (!r->inpass)
		drun_remove(d, r);
	else
		r->done = 1;
}

/* One inotify event. */
static void
watch_event(struct daemon *d, const struct inotify_event *ev)
{
	struct watch	*w;
	char		 sub[PATH_MAX];

	if (ev->mask & IN_Q_OVERFLOW) {
		log_warnx("inotify: events lost; looking at every root again");
		for (size_t i = 0; i < d->nroots; i++)
			watch_scan_root(d, d->roots[i]);
		for (size_t i = 0; i < d->nruns; i++)
			drun_touch(d, d->runs[i]);
		return;
	}
	if (ev->wd < 0 || (size_t)ev->wd >= d->nwatches ||
	    (w = d->watches[ev->wd]) == NULL)
		return;
	if (ev->mask & IN_IGNORED) {
		d->watches[ev->wd] = NULL;
		d->nwatched--;
		if (!w->root->gone && w->kind == W_JOURNAL &&
		    w->run != NULL && w->run->wd == ev->wd)
			journal_lost(d, w);
		free(w->path);
		free(w);
		return;
	}
	if (w->root->gone)
		return;
	if (w->kind == W_JOURNAL) {
		if (ev->len > 0 && strcmp(ev->name, "doorbell") == 0 &&
		    w->run != NULL)
			drun_touch(d, w->run);
		else if ((ev->mask & (IN_MOVE_SELF | IN_DELETE_SELF)) != 0)
			inotify_rm_watch(d->ifd, ev->wd);
		return;
	}
	if (ev->len == 0 || !(ev->mask & IN_ISDIR))
		return;
	snprintf(sub, sizeof(sub), "%s/%s", w->path, ev->name);
	if (w->kind == W_RUNDIR) {
		if (is_journal_name(ev->name)) {
			found_journal(d, w->root, sub);
			inotify_rm_watch(d->ifd, ev->wd);
		}
	} else if (w->kind == W_ROOT && strcmp(ev->name, "wandb") == 0)
		scan_dir(d, w->root, sub, W_WANDB);
	else if (is_rundir_name(ev->name))
		scan_rundir(d, w->root, sub);
}

/* inotify has events: handle them all. */
static void
watch_io_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct daemon	*d = io->data;
	char		 buf[16384]
			    __attribute__((__aligned__(__alignof__(struct
			    inotify_event))));
	ssize_t		 n;

	(void)loop;
	(void)revents;
	d->wakeups++;
	while ((n = read(d->ifd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n; ) {
			const struct inotify_event *ev = (const void *)p;

			watch_event(d, ev);
			p += sizeof(*ev) + ev->len;
		}
	}
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		log_warn("inotify");
}

/* Open inotify (else every root is polled). */
int
watch_init(struct daemon *d, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	d->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (d->ifd < 0) {
		log_warn("inotify; polling every root");
		return 0;
	}
	ev_io_init(&d->iio, watch_io_cb, d->ifd, EV_READ);
	d->iio.data = d;
	ev_io_start(d->loop, &d->iio);
	return 0;
}

/* Close inotify, free the watches and the roots. */
void
watch_fini(struct daemon *d)
{
	if (d->ifd >= 0) {
		ev_io_stop(d->loop, &d->iio);
		close(d->ifd);
		d->ifd = -1;
	}
	for (size_t i = 0; i < d->nwatches; i++)
		if (d->watches[i] != NULL) {
			free(d->watches[i]->path);
			free(d->watches[i]);
		}
	free(d->watches);
	d->watches = NULL;
	d->nwatches = 0;
	for (size_t i = 0; i < d->nroots; i++) {
		ev_timer_stop(d->loop, &d->roots[i]->timer);
		free(d->roots[i]->path);
		free(d->roots[i]);
	}
	free(d->roots);
	d->roots = NULL;
	d->nroots = 0;
}
