/*
 * syncpoint-t.c - a map-mode journal after an OS restart: checked, and
 * set back to its last sync point where its newest state is damaged
 * (src/lib/syncpoint.c).
 *
 * A writer logs rows in one "boot" (WBS_TEST_BOOT_ID) and is killed.
 * The newest meta page is then damaged by hand the way a crash can damage
 * it (its main tree's root points at a page that never arrived), and the
 * journal is opened in the next boot.  crashfs and t/unit/oscrash-t make
 * real crashes at random moments; this test makes each path happen.
 */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wbstore/wbstore.h"
#include "tap.h"
#include "testutil.h"

/* LMDB 0.9 on amd64: meta pages 0 and 1, their txnid, the main root. */
#define PSIZE		4096
#define META_TXNID	144
#define META_MAINROOT	128

static char	*root;
static char	 err[512];

/* Child: log first rows, wait for a sync point, log more, then die. */
static void
writer(const char *dir, int first, int more, int fd)
{
	struct wbs_opts	*o;
	struct wbs_run	*run;

	setenv("WBS_TEST_BOOT_ID", "boot 1", 1);
	if (wbs_opts_new(&o) != 0 || wbs_opts_set(o, WBS_OPT_DIR, dir) != 0 ||
	    wbs_opts_set(o, WBS_OPT_ID, "sp1") != 0 ||
	    wbs_opts_set(o, WBS_OPT_SYNC_INTERVAL, "20") != 0 ||
	    wbs_run_open(&run, o, err, sizeof(err)) != 0)
		_exit(3);
	for (int i = 0; i < first + more; i++) {
		struct wbs_item it[1] = { WBS_INT_ITEM("i", i) };

		if (wbs_run_log(run, it, 1, WBS_STEP_AUTO, 0) != 0)
			_exit(4);
		if (i + 1 == first)
			usleep(300000);	/* several sync points pass */
	}
	if (write(fd, "x", 1) != 1)
		_exit(5);
	pause();	/* killed: no clean close */
	_exit(6);
}

/* Run a writer in dir to its end and kill it there. */
static int
write_and_kill(const char *dir, int first, int more)
{
	int	pfd[2], st;
	char	c;
	pid_t	pid;

	if (pipe(pfd) != 0)
		return -1;
	fflush(stdout);
	if ((pid = fork()) == 0) {
		close(pfd[0]);
		writer(dir, first, more, pfd[1]);
	}
	close(pfd[1]);
	if (read(pfd[0], &c, 1) != 1) {
		close(pfd[0]);
		waitpid(pid, &st, 0);
		return -1;
	}
	close(pfd[0]);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return 0;
}

/* The journal directory of the run in dir. */
static void
journal_dir(const char *dir, char *out, size_t len)
{
	snprintf(out, len, "%s/wandb/latest-run/run-sp1.wbs", dir);
}

/* Point the newest meta page's main root at a page never written. */
static int
damage_newest_meta(const char *jdir)
{
	char		file[4200];
	uint64_t	txn[2], bogus = 0xFFFFFF00u;
	int		fd, rc = 0, i;

	snprintf(file, sizeof(file), "%s/data.mdb", jdir);
	if ((fd = open(file, O_RDWR)) < 0)
		return -1;
	for (i = 0; i < 2; i++)
		if (pread(fd, &txn[i], 8, i * PSIZE + META_TXNID) != 8)
			rc = -1;
	i = txn[1] > txn[0];
	if (rc == 0 && pwrite(fd, &bogus, 8, i * PSIZE + META_MAINROOT) != 8)
		rc = -1;
	close(fd);
	return rc;
}

/* Rows of the journal at jdir if they are 0..n-1 and it verifies; n or -1. */
static long
rows(const char *jdir)
{
	struct wbs_journal	*j;
	struct wbs_iter		*it;
	const struct wbs_record	*r;
	uint64_t		 nrec;
	long			 n = 0;
	int			 rc;

	if (wbs_journal_open(&j, jdir, WBS_JOURNAL_RDONLY, err,
	    sizeof(err)) != 0) {
		diag("open: %s", err);
		return -1;
	}
	if (wbs_journal_verify(j, &nrec) != 0 ||
	    wbs_iter_open(&it, j, 1) != 0) {
		diag("verify: %s", wbs_journal_errmsg(j));
		wbs_journal_close(j);
		return -1;
	}
	while ((rc = wbs_iter_next(it, &r)) == 1)
		if (r->type == WBS_REC_HISTORY && r->step != n++)
			rc = -1;
	wbs_iter_free(it);
	wbs_journal_close(j);
	return rc < 0 ? -1 : n;
}

static int
exists(const char *jdir, const char *name)
{
	char		file[4200];
	struct stat	sb;

	snprintf(file, sizeof(file), "%s/%s", jdir, name);
	return stat(file, &sb) == 0;
}

/* Log messages the gate sends; prio and text of the last. */
static int	last_prio;
static char	last_msg[1024];

static void
sink(int prio, const char *msg, void *arg)
{
	(void)arg;
	if (prio > 5)
		return;
	last_prio = prio;
	snprintf(last_msg, sizeof(last_msg), "%s", msg);
}

int
main(void)
{
	char	dir[4096], jdir[4200];
	long	n;

	root = test_tmpdir();
	wbs_set_log(sink, NULL);

	/* 1. Damaged newest state, next boot: set back to the sync point. */
	snprintf(dir, sizeof(dir), "%s/a", root);
	mkdir(dir, 0700);
	journal_dir(dir, jdir, sizeof(jdir));
	ok(write_and_kill(dir, 1000, 500) == 0, "a writer logged 1000 rows, "
	    "waited for sync points, logged 500 more and was killed");
	ok(exists(jdir, "syncpoint.0") && exists(jdir, "syncpoint.1"),
	    "it left sync points");
	ok(damage_newest_meta(jdir) == 0, "the newest meta page is damaged");
	setenv("WBS_TEST_BOOT_ID", "boot 1", 1);
	n = rows(jdir);
	ok(n == -1, "in the same boot nothing is repaired: the damage is "
	    "reported");
	setenv("WBS_TEST_BOOT_ID", "boot 2", 1);
	last_msg[0] = '\0';
	n = rows(jdir);
	ok(n >= 1000 && n <= 1500, "in the next boot it opens, verifies and "
	    "holds rows 0..%ld, at least the 1000 synced ones", n - 1);
	ok(last_prio == 4 && strstr(last_msg, "set back to that sync") !=
	    NULL, "the log says it was set back: %s", last_msg);
	ok(exists(jdir, "recovery-backup"), "what was overwritten is kept in "
	    "recovery-backup");
	last_msg[0] = '\0';
	ok(rows(jdir) == n && last_msg[0] == '\0', "opened again, it is "
	    "left as it is");
	setenv("WBS_TEST_BOOT_ID", "boot 3", 1);
	ok(rows(jdir) == n && last_msg[0] == '\0', "and in a later boot too: "
	    "the check is recorded");

	/* 2. Intact newest state, next boot: kept whole, compacted. */
	snprintf(dir, sizeof(dir), "%s/b", root);
	mkdir(dir, 0700);
	journal_dir(dir, jdir, sizeof(jdir));
	ok(write_and_kill(dir, 1000, 500) == 0, "another writer was killed "
	    "after 1500 rows");
	setenv("WBS_TEST_BOOT_ID", "boot 2", 1);
	last_msg[0] = '\0';
	n = rows(jdir);
	ok(n == 1500, "in the next boot all 1500 rows are there (%ld)", n);
	ok(strstr(last_msg, "intact") != NULL, "the log says it was checked "
	    "intact: %s", last_msg);
	ok(!exists(jdir, "recovering") && !exists(jdir, "recovery-backup"),
	    "no leftovers of the check");

	/* 3. A syncpoint file of garbage: ignored, nothing changes. */
	{
		char	file[4300];
		FILE	*f;

		snprintf(file, sizeof(file), "%s/syncpoint.0", jdir);
		if ((f = fopen(file, "w")) != NULL) {
			fputs("WBSSYNC2 this is not a sync point", f);
			fclose(f);
		}
		snprintf(file, sizeof(file), "%s/syncpoint.1", jdir);
		if (truncate(file, 7) != 0)
			diag("truncate %s failed", file);
		setenv("WBS_TEST_BOOT_ID", "boot 4", 1);
		last_msg[0] = '\0';
		ok(rows(jdir) == 1500 && last_msg[0] == '\0', "syncpoint files "
		    "of garbage are ignored and the journal reads as it was");
	}
	test_rmtree(root);
	plan_lazy_done();
	return tap_exit();
}
