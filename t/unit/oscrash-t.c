/*
 * oscrash-t.c - durability across an OS crash, simulated by crashfs
 * (t/helpers/crashfs.c): a writer logs into a journal on crashfs, the
 * file system "crashes" at a random moment -- data not yet fsynced is
 * lost, or the part of it in flight reaches the disk at random -- and
 * the disk image is then checked against the contract: the journal
 * opens and verifies, its rows are an unbroken prefix of what was
 * logged, and every row acknowledged a sync interval (plus slack for the
 * sync itself) before the crash is there.  The writer runs in one boot
 * and the checker in the next (WBS_TEST_BOOT_ID), so that a map-mode
 * journal is checked and repaired from its sync point first.
 *
 * WBS_OSCRASH_ITER sets the rounds in write mode (default 10); map mode
 * runs three times as many.  Needs /dev/fuse, fusermount3 and crashfs
 * (WBS_CRASHFS); skipped without them.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wbstore/wbstore.h"
#include "tap.h"
#include "testutil.h"

#define INTERVAL_MS	50	/* the writer's sync interval */
#define SLACK_MS	450	/* time one sync may take here, under load */

static char	*root;
static char	 err[512];
static const char *mode = "map";
static int	 killed;	/* readers killed by a damaged journal */

/* One acknowledged row: its step and when the call returned. */
struct ack {
	int64_t	step;
	int64_t	ns;
};

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* What the library says of the journals, notices and worse. */
static void
log_sink(int prio, const char *msg, void *arg)
{
	(void)arg;
	if (prio <= 5)
		printf("# %s\n", msg);
	fflush(stdout);
}

/* Child: log rows into dir until killed, reporting each ack on fd. */
static void
writer(const char *dir, int fd)
{
	struct wbs_opts	*o;
	struct wbs_run	*run;
	char		 iv[16];

	snprintf(iv, sizeof(iv), "%d", INTERVAL_MS);
	setenv("WBS_TEST_BOOT_ID", "the boot that crashes", 1);
	if (wbs_opts_new(&o) != 0 ||
	    wbs_opts_set(o, WBS_OPT_DIR, dir) != 0 ||
	    wbs_opts_set(o, WBS_OPT_ID, "oscrash") != 0 ||
	    wbs_opts_set(o, WBS_OPT_SYNC_INTERVAL, iv) != 0 ||
	    wbs_opts_set(o, WBS_OPT_WRITE_MODE, mode) != 0 ||
	    wbs_run_open(&run, o, err, sizeof(err)) != 0)
		_exit(3);
	wbs_opts_free(o);
	for (;;) {
		struct wbs_item	it[3];
		struct ack	a;

		a.step = wbs_run_step(run);
		it[0] = WBS_INT_ITEM("step_copy", a.step);
		it[1] = WBS_DOUBLE_ITEM("train/loss", 1.0 / (double)(a.step +
		    1));
		it[2] = WBS_STRING_ITEM("phase", "train");
		if (wbs_run_log(run, it, 3, WBS_STEP_AUTO, 0) != 0)
			_exit(4);
		a.ns = mono_ns();
		if (write(fd, &a, sizeof(a)) != sizeof(a))
			_exit(5);
	}
}

/* Start crashfs on back at mnt; its pid, or -1. */
static pid_t
mount_crashfs(const char *back, const char *mnt, const char *status,
    unsigned seed)
{
	struct stat	a, b;
	char		s[16];
	pid_t		pid;

	snprintf(s, sizeof(s), "%u", seed);
	if ((pid = fork()) == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		execl(getenv("WBS_CRASHFS"), "crashfs", back, mnt, status, s,
		    (char *)NULL);
		_exit(127);
	}
	/* Mounted when mnt is on another device than its parent. */
	for (int i = 0; i < 200; i++) {
		if (stat(mnt, &a) == 0 && stat(root, &b) == 0 &&
		    a.st_dev != b.st_dev)
			return pid;
		usleep(25000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

static void
unmount(const char *mnt, pid_t fs)
{
	char cmd[PATH_MAX + 32];

	snprintf(cmd, sizeof(cmd), "fusermount3 -u -z '%s'", mnt);
	if (system(cmd) != 0)
		diag("%s failed", cmd);
	for (int i = 0; i < 200; i++) {
		if (waitpid(fs, NULL, WNOHANG) == fs)
			return;
		usleep(25000);
	}
	kill(fs, SIGKILL);
	waitpid(fs, NULL, 0);
}

/*
 * Check the journal left in back: the rows are steps 0..n-1, each once,
 * and the journal verifies.  n, or -1 with the reason in diag; -2 if no
 * journal was left at all.
 */
static long
check_image(const char *back)
{
	struct wbs_journal	*j;
	struct wbs_iter		*it;
	const struct wbs_record	*r;
	char			 path[PATH_MAX];
	uint64_t		 nrec;
	long			 n = 0;
	int			 rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/wandb/latest-run", back) >=
	    sizeof(path) || access(path, F_OK) != 0)
		return -2;
	if (wbs_journal_open(&j, path, WBS_JOURNAL_RDONLY, err,
	    sizeof(err)) != 0) {
		diag("open: %s", err);
		return -1;
	}
	if (wbs_journal_verify(j, &nrec) != 0) {
		diag("verify: %s", wbs_journal_errmsg(j));
		wbs_journal_close(j);
		return -1;
	}
	if (wbs_iter_open(&it, j, 1) != 0) {
		wbs_journal_close(j);
		return -1;
	}
	while ((rc = wbs_iter_next(it, &r)) == 1) {
		if (r->type != WBS_REC_HISTORY)
			continue;
		if (r->step != n) {
			diag("record %ju: step %jd, expected %ld",
			    (uintmax_t)r->seq, (intmax_t)r->step, n);
			n = -1;
			break;
		}
		n++;
	}
	if (rc < 0) {
		diag("read: %s", wbs_journal_errmsg(j));
		n = -1;
	}
	wbs_iter_free(it);
	wbs_journal_close(j);
	return n;
}

/*
 * check_image() in a child: LMDB aborts on some damage it finds (its
 * assertions), and that is one more way for a journal to be damaged.
 */
static long
check_image_apart(const char *back)
{
	int	pfd[2], st;
	long	n = -1;
	pid_t	pid;

	if (pipe(pfd) != 0)
		return -1;
	fflush(stdout);
	if ((pid = fork()) == 0) {
		close(pfd[0]);
		/* The boot after the crash. */
		setenv("WBS_TEST_BOOT_ID", "the boot after it", 1);
		n = check_image(back);
		fflush(stdout);
		_exit(write(pfd[1], &n, sizeof(n)) == sizeof(n) ? 0 : 1);
	}
	close(pfd[1]);
	if (read(pfd[0], &n, sizeof(n)) != sizeof(n))
		n = -1;
	close(pfd[0]);
	waitpid(pid, &st, 0);
	if (WIFSIGNALED(st)) {
		diag("reading the journal killed the reader with signal %d",
		    WTERMSIG(st));
		killed++;
	}
	return n;
}

/* Read every ack the writer sent; their number. */
static size_t
read_acks(int fd, struct ack **ap, size_t *capp, size_t n)
{
	struct ack	a;
	ssize_t		got;

	while ((got = read(fd, &a, sizeof(a))) == sizeof(a)) {
		if (n == *capp) {
			*capp = *capp ? *capp * 2 : 4096;
			if ((*ap = realloc(*ap, *capp * sizeof(**ap))) == NULL)
				abort();
		}
		(*ap)[n++] = a;
	}
	return n;
}

/* iters rounds in write mode m: crash, check, count. */
static void
run_mode(const char *m, int iters)
{
	struct ack	*acks = NULL;
	size_t		 cap = 0;
	int		 missing = 0, damaged = 0, none = 0;
	int64_t		 worst_ns = 0;
	long		 lost_rows = 0, total_rows = 0;

	mode = m;
	killed = 0;
	for (int round = 0; round < iters; round++) {
		char	back[PATH_MAX - 32], mnt[PATH_MAX - 32];
		char	status[PATH_MAX];
		int	pfd[2];
		pid_t	fs, w;
		long	n, need;
		size_t	nacks;
		int64_t	t_crash = 0, deadline;
		FILE	*f = NULL;

		snprintf(back, sizeof(back), "%s/%s-back%d", root, m, round);
		snprintf(mnt, sizeof(mnt), "%s/%s-mnt%d", root, m, round);
		snprintf(status, sizeof(status), "%s/%s-status%d", root, m,
		    round);
		if (mkdir(back, 0700) != 0 || mkdir(mnt, 0700) != 0)
			exit(1);
		if ((fs = mount_crashfs(back, mnt, status, (unsigned)round)) <
		    0) {
			ok(0, "crashfs mounts");
			exit(tap_exit());
		}
		if (pipe(pfd) != 0)
			exit(1);
		fflush(stdout);
		if ((w = fork()) == 0) {
			close(pfd[0]);
			writer(mnt, pfd[1]);
		}
		close(pfd[1]);
		fcntl(pfd[0], F_SETFL, O_NONBLOCK);
		/* Crash 0.1 to 0.9 s in, at no particular point of a sync. */
		nacks = 0;
		deadline = mono_ns() + (100 + random() % 800) * 1000000LL;
		while (mono_ns() < deadline) {
			nacks = read_acks(pfd[0], &acks, &cap, nacks);
			usleep(1000);
		}
		kill(fs, SIGUSR1);
		/* A request makes crashfs notice at once. */
		{
			struct stat st;
			char p[PATH_MAX + 8];

			snprintf(p, sizeof(p), "%s/poke", mnt);
			(void)stat(p, &st);
		}
		deadline = mono_ns() + 10 * 1000000000LL;
		while (mono_ns() < deadline &&
		    (f = fopen(status, "r")) == NULL)
			usleep(10000);
		if (f == NULL) {
			ok(0, "round %d: crashfs crashed when told", round);
			kill(w, SIGKILL);
			exit(tap_exit());
		}
		if (fscanf(f, "crashed %jd", &t_crash) != 1)
			t_crash = 0;
		fclose(f);
		kill(w, SIGKILL);
		waitpid(w, NULL, 0);
		nacks = read_acks(pfd[0], &acks, &cap, nacks);
		close(pfd[0]);
		unmount(mnt, fs);

		/* Rows acked this long before the crash must have survived. */
		need = 0;
		for (size_t i = 0; i < nacks; i++)
			if (acks[i].ns <= t_crash - (INTERVAL_MS + SLACK_MS) *
			    1000000LL)
				need = acks[i].step + 1;
		n = check_image_apart(back);
		if (n == -2 && need == 0) {
			none++;		/* crashed before anything was due */
			continue;
		}
		if (n < 0) {
			diag("%s mode, round %d: the journal is damaged (%zu "
			    "rows acked, %ld due)", m, round, nacks, need);
			damaged++;
			continue;
		}
		if (n < need) {
			diag("%s mode, round %d: %ld rows survived, %ld were "
			    "due", m, round, n, need);
			missing++;
		}
		if ((size_t)n < nacks) {
			int64_t gap = t_crash - acks[n].ns;

			if (gap > worst_ns)
				worst_ns = gap;
		}
		lost_rows += (size_t)n < nacks ? (long)nacks - n : 0;
		total_rows += (long)nacks;
	}
	ok(damaged == 0, "%s mode: the journal opens, verifies and holds a "
	    "prefix after every crash (%d of %d damaged)", m, damaged, iters);
	ok(missing == 0, "%s mode: every row acknowledged %d ms before a "
	    "crash survived it", m, INTERVAL_MS + SLACK_MS);
	ok(killed == 0, "%s mode: damage is reported, never kills the reader "
	    "(%d damaged journals read)", m, damaged);
	diag("%s mode, %d rounds: %ld of %ld acknowledged rows lost in the "
	    "journals that opened; the oldest lost row was acknowledged %.0f "
	    "ms before its crash (sync interval %d ms); %d crashes came "
	    "before the first sync", m, iters, lost_rows, total_rows,
	    (double)worst_ns / 1e6, INTERVAL_MS, none);
	free(acks);
}

int
main(void)
{
	const char	*e;
	int		 iters = 10;

	if ((e = getenv("WBS_OSCRASH_ITER")) != NULL && atoi(e) > 0)
		iters = atoi(e);
	if (access("/dev/fuse", R_OK | W_OK) != 0 ||
	    system("command -v fusermount3 >/dev/null 2>&1") != 0 ||
	    getenv("WBS_CRASHFS") == NULL ||
	    access(getenv("WBS_CRASHFS"), X_OK) != 0) {
		printf("1..0 # SKIP needs /dev/fuse, fusermount3 and crashfs\n");
		return 0;
	}
	root = test_tmpdir();
	wbs_set_log(log_sink, NULL);
	srandom((unsigned)getpid());
	/* Relays and importers: LMDB's own order, one fdatasync a commit. */
	run_mode("write", iters);
	/*
	 * Trainers: MDB_WRITEMAP|MDB_NOSYNC, a background msync and sync
	 * points (src/lib/syncpoint.c).  Without sync points about one
	 * crash in six damaged the journal here; three times the rounds.
	 */
	run_mode("map", iters * 3);
	plan_lazy_done();
	test_rmtree(root);
	return tap_exit();
}
