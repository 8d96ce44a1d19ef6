/*
 * crash-t.c - durability: writers SIGKILLed at random moments, several
 * processes appending to one journal, and a full disk.
 *
 * WBS_CRASH_ITER sets the number of kill -9 rounds (default 200).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wbstore/wbstore.h"
#include "tap.h"
#include "testutil.h"

static char	*root;
static char	 err[512];
static const char *write_mode = "map";	/* WBS_OPT_WRITE_MODE of writers */

static int
open_run(const char *dir, const char *id, struct wbs_run **runp)
{
	struct wbs_opts	*o;
	int		 rc;

	if (wbs_opts_new(&o) != 0)
		return -1;
	(void)!wbs_opts_set(o, WBS_OPT_DIR, dir);
	(void)!wbs_opts_set(o, WBS_OPT_ID, id);
	(void)!wbs_opts_set(o, WBS_OPT_RESUME, "allow");
	(void)!wbs_opts_set(o, WBS_OPT_WRITE_MODE, write_mode);
	rc = wbs_run_open(runp, o, err, sizeof(err));
	wbs_opts_free(o);
	return rc;
}

#define BATCH	5	/* rows of each wbs_run_log_rows() call */

/*
 * Child: log rows forever, reporting each acknowledged step on fd.  Every
 * other call stores BATCH rows at once, each with the number of rows that
 * follow it in its batch ("left"), so that a batch stored in part shows.
 */
static void
writer_child(int fd)
{
	struct wbs_run	*run;
	char		 text[64];

	if (open_run(root, "crash", &run) != 0)
		_exit(3);
	for (int i = 0;; i++) {
		int64_t		step = wbs_run_step(run);
		int		nrows = i % 2 ? BATCH : 1;
		struct wbs_item	it[BATCH][4];
		struct wbs_row	rows[BATCH];

		for (int k = 0; k < nrows; k++) {
			it[k][0] = WBS_INT_ITEM("step_copy", step + k);
			it[k][1] = WBS_DOUBLE_ITEM("train/loss", 1.0 /
			    (double)(step + k + 1));
			it[k][2] = WBS_STRING_ITEM("phase", "train");
			it[k][3] = WBS_INT_ITEM("left", nrows - 1 - k);
			rows[k] = (struct wbs_row){ it[k], nrows > 1 ? 4 : 3,
			    WBS_STEP_AUTO, 0 };
		}
		if (nrows == 1 ? wbs_run_log(run, it[0], 3, WBS_STEP_AUTO, 0)
		    != 0 : wbs_run_log_rows(run, rows, (size_t)nrows) != 0)
			_exit(4);
		step += nrows - 1;
		if (write(fd, &step, sizeof(step)) != sizeof(step))
			_exit(5);
		if (i % 7 == 0) {
			int n = snprintf(text, sizeof(text), "line %d\n", i);

			if (wbs_run_console(run, WBS_STDOUT, text, (size_t)n)
			    != 0)
				_exit(6);
		}
	}
}

/* The integer item named key of a record, or -1. */
static int64_t
int_item(const struct wbs_record *r, const char *key)
{
	for (size_t i = 0; i < r->nitems; i++)
		if (strcmp(r->items[i].key, key) == 0 &&
		    r->items[i].v.type == WBS_INT)
			return r->items[i].v.u.i;
	return -1;
}

/*
 * Check history records from *seqp on: steps follow *nextp, each once, in
 * order, and every batch is whole.  Returns the number of rows checked,
 * or -1 on a hole or a partial batch.
 */
static long
check_new(uint64_t *seqp, int64_t *nextp)
{
	struct wbs_journal	*j;
	struct wbs_iter		*it;
	const struct wbs_record	*r;
	char			 path[PATH_MAX];
	long			 n = 0;
	int64_t			 want_left = -1;
	int			 rc;

	snprintf(path, sizeof(path), "%s/wandb/latest-run", root);
	if (wbs_journal_open(&j, path, 0, err, sizeof(err)) != 0) {
		diag("open: %s", err);
		return -1;
	}
	if (wbs_iter_open(&it, j, *seqp) != 0) {
		wbs_journal_close(j);
		return -1;
	}
	while ((rc = wbs_iter_next(it, &r)) == 1) {
		int64_t left;

		*seqp = r->seq + 1;
		if (r->type != WBS_REC_HISTORY)
			continue;
		left = int_item(r, "left");
		if (r->step != *nextp || int_item(r, "step_copy") != r->step ||
		    (want_left >= 0 && left != want_left) ||
		    (want_left < 0 && left >= 0 && left != BATCH - 1)) {
			diag("record %ju: step %jd, expected %jd; %jd rows "
			    "left in its batch, expected %jd",
			    (uintmax_t)r->seq, (intmax_t)r->step,
			    (intmax_t)*nextp, (intmax_t)left,
			    (intmax_t)want_left);
			n = -1;
			break;
		}
		want_left = left > 0 ? left - 1 : -1;
		(*nextp)++;
		n++;
	}
	/* The writer is dead: a batch cut short would end here. */
	if (n >= 0 && want_left >= 0) {
		diag("a batch stored in part: %jd rows missing",
		    (intmax_t)want_left + 1);
		n = -1;
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
 * Microseconds a writer takes to open the run and log its first row in
 * this build (sanitizers and valgrind are slower); kills land anywhere in
 * up to three times that, so that some hit the open and most the logging.
 */
static long
calibrate(void)
{
	struct timespec	t0, t1;
	int		p[2], status;
	int64_t		step;
	pid_t		pid;
	long		us;

	if (pipe(p) != 0)
		return 12000;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((pid = fork()) == 0) {
		close(p[0]);
		writer_child(p[1]);
	}
	close(p[1]);
	if (read(p[0], &step, sizeof(step)) != sizeof(step))
		step = -1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(p[0]);
	us = (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) /
	    1000;
	return us;
}

static void
test_kill9(int iters)
{
	uint64_t	seq = 1;
	int64_t		next = 0, acked = -1;
	int		bad = 0, killed_early = 0;
	long		rows = 0, window;

	srandom((unsigned)time(NULL));
	/* The first open creates the run; later ones resume it. */
	(void)calibrate();
	window = 3 * calibrate() + 1000;
	diag("kill window: %ld us", window);
	for (int i = 0; i < iters && !bad; i++) {
		int	p[2];
		pid_t	pid;
		int64_t	step;
		int	status, got;

		if (pipe(p) != 0)
			break;
		if ((pid = fork()) == 0) {
			close(p[0]);
			writer_child(p[1]);
		}
		close(p[1]);
		/* 0 to 12 ms: some kills land during open or creation. */
		usleep((useconds_t)(random() % window));
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		if (!WIFSIGNALED(status)) {
			diag("round %d: writer exited with %d", i,
			    WEXITSTATUS(status));
			bad = 1;
		}
		got = 0;
		while (read(p[0], &step, sizeof(step)) == sizeof(step)) {
			acked = step;
			got++;
		}
		close(p[0]);
		if (got == 0)
			killed_early++;
		if (acked < 0)
			continue;
		{
			long n = check_new(&seq, &next);

			if (n < 0 || next <= acked) {
				diag("round %d: acked step %jd, journal has "
				    "steps up to %jd", i, (intmax_t)acked,
				    (intmax_t)next - 1);
				bad = 1;
			}
			rows += n > 0 ? n : 0;
		}
	}
	ok(!bad, "kill -9 x %d, write mode %s: every acknowledged row present, "
	    "in order, no hole (%ld rows, %d kills before the first row)",
	    iters, write_mode, rows, killed_early);
	{
		struct wbs_journal	*j = NULL;
		uint64_t		 n;
		char			 path[PATH_MAX];
		int			 good;

		snprintf(path, sizeof(path), "%s/wandb/latest-run", root);
		n = 0;
		good = wbs_journal_open(&j, path, 0, err, sizeof(err)) == 0 &&
		    wbs_journal_verify(j, &n) == 0;
		ok(good, "journal verifies after the kills (%ju records)",
		    (uintmax_t)n);
		wbs_journal_close(j);
	}
}

/* Several processes append to one journal at once. */
static void
test_multi(void)
{
	enum { PROCS = 4, ROWS = 2000 };
	pid_t			 pids[PROCS];
	int			 okexit = 1, counts[PROCS] = { 0 }, order = 1;
	int64_t			 last[PROCS];
	struct wbs_journal	*j;
	struct wbs_iter		*it;
	const struct wbs_record	*r;
	char			 path[PATH_MAX];
	uint64_t		 n;
	int			 rc;

	for (int p = 0; p < PROCS; p++) {
		if ((pids[p] = fork()) == 0) {
			struct wbs_run *run;

			if (open_run(root, "multi", &run) != 0) {
				fprintf(stderr, "# process %d: %s\n", p, err);
				_exit(3);
			}
			for (int i = 0; i < ROWS; i++) {
				struct wbs_item it2[2] = {
					WBS_INT_ITEM("proc", p),
					WBS_INT_ITEM("i", i),
				};

				if (wbs_run_log(run, it2, 2, WBS_STEP_AUTO,
				    0) != 0) {
					fprintf(stderr, "# process %d: %s\n",
					    p, wbs_run_errmsg(run));
					_exit(4);
				}
			}
			wbs_run_close(run);
			_exit(0);
		}
	}
	for (int p = 0; p < PROCS; p++) {
		int status;

		waitpid(pids[p], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			okexit = 0;
		last[p] = -1;
	}
	ok(okexit, "%d processes logged %d rows each to one run", PROCS, ROWS);
	snprintf(path, sizeof(path), "%s/wandb/latest-run", root);
	ok(wbs_journal_open(&j, path, 0, err, sizeof(err)) == 0, "open");
	(void)!wbs_iter_open(&it, j, 1);
	while (wbs_iter_next(it, &r) == 1) {
		int64_t p, i;

		if (r->type != WBS_REC_HISTORY || r->nitems != 2)
			continue;
		p = r->items[0].v.u.i;
		i = r->items[1].v.u.i;
		if (p < 0 || p >= PROCS)
			continue;
		if (i != last[p] + 1)
			order = 0;
		last[p] = i;
		counts[p]++;
	}
	wbs_iter_free(it);
	ok(counts[0] == ROWS && counts[1] == ROWS && counts[2] == ROWS &&
	    counts[3] == ROWS && order, "every row of every process, each "
	    "process's rows in order");
	n = 0;
	rc = wbs_journal_verify(j, &n);
	ok(rc == 0, "journal verifies (%ju records)", (uintmax_t)n);
	wbs_journal_close(j);
}

/* Fill a small filesystem: clean errors, a valid journal, then recovery. */
static void
test_full_disk(void)
{
	char		 mnt[PATH_MAX], filler[PATH_MAX], cmd[PATH_MAX + 64];
	struct wbs_run	*run;
	struct wbs_item	 it;
	char		*blob = malloc(256 << 10);
	int		 mounted, rc = 0, logged = 0;
	uint64_t	 n;

	snprintf(mnt, sizeof(mnt), "%s/small-%s", root, write_mode);
	mkdir(mnt, 0755);
	mounted = mount("tmpfs", mnt, "tmpfs", 0, "size=12m") == 0;
	if (!mounted) {
		/* No mount permission: cap file sizes instead. */
		struct rlimit rl = { 12 << 20, 12 << 20 };

		diag("tmpfs mount not permitted (%s): RLIMIT_FSIZE instead",
		    strerror(errno));
		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &rl);
	} else {
		/* Leave 6 MiB for the journal. */
		snprintf(cmd, sizeof(cmd), "head -c 6291456 /dev/zero > "
		    "%s/filler", mnt);
		(void)!system(cmd);
	}
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	srandom(11);
	for (size_t i = 0; i < (256 << 10); i++)
		blob[i] = (char)random();
	it = (struct wbs_item){ "blob", { WBS_BYTES, { .s = { blob,
	    256 << 10 } } } };
	ok(open_run(mnt, "full", &run) == 0, "open on a small filesystem: %s",
	    err);
	for (int i = 0; i < 200; i++) {
		blob[0] = (char)i;
		if ((rc = wbs_run_log(run, &it, 1, WBS_STEP_AUTO, 0)) != 0)
			break;
		logged++;
	}
	is_int(rc, WBS_ENOSPC, "write mode %s: the disk fills: WBS_ENOSPC "
	    "after %d rows", write_mode, logged);
	ok(strstr(wbs_run_errmsg(run), "journal") != NULL, "message: %s",
	    wbs_run_errmsg(run));
	{
		struct wbs_journal *j = NULL;
		int good;

		n = 0;
		good = wbs_journal_open(&j, wbs_run_journal(run), 0, err,
		    sizeof(err)) == 0 && wbs_journal_verify(j, &n) == 0;
		ok(good, "journal valid while full (%ju records)",
		    (uintmax_t)n);
		wbs_journal_close(j);
	}
	if (mounted)
		unlink(filler);
	else {
		struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

		setrlimit(RLIMIT_FSIZE, &rl);
	}
	is_int(wbs_run_log(run, &it, 1, WBS_STEP_AUTO, 0), 0,
	    "logging works again once space returns");
	is_int(wbs_run_finish(run, 0), 0, "finish");
	wbs_run_close(run);
	{
		struct wbs_journal	*j;
		struct wbs_journal_stat	 st;
		char			 path[PATH_MAX];

		int			 good;

		snprintf(path, sizeof(path), "%s/wandb/latest-run", mnt);
		st.last_step = -1;
		good = wbs_journal_open(&j, path, 0, err, sizeof(err)) == 0 &&
		    wbs_journal_verify(j, &n) == 0 &&
		    wbs_journal_stat(j, &st) == 0 && st.last_step == logged;
		ok(good, "every row kept: last step %jd of %d",
		    (intmax_t)st.last_step, logged);
		wbs_journal_close(j);
	}
	if (mounted)
		umount(mnt);
	free(blob);
}

int
main(void)
{
	const char	*e = getenv("WBS_CRASH_ITER");
	const char	*vg = getenv("WBS_VALGRIND");
	int		 iters = e ? atoi(e) : 200;

	/*
	 * Under valgrind this test checks memory: 20 rounds suffice (the
	 * plain run of make check does the 200).
	 */
	if (vg != NULL && strcmp(vg, "1") == 0 && e == NULL)
		iters = 20;

	root = test_tmpdir();
	test_kill9(iters);
	test_multi();
	test_full_disk();
	/* The same with writers that write(2) their commits. */
	write_mode = "write";
	test_kill9(iters / 4 > 10 ? iters / 4 : 10);
	test_full_disk();
	test_rmtree(root);
	plan_lazy_done();
	return tap_exit();
}
