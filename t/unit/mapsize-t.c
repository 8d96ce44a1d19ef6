/*
 * mapsize-t.c - writers of one journal take turns at its map size, and
 * none of them ever cuts the data file short.
 *
 * LMDB sets a MDB_WRITEMAP data file to the size of the map it maps:
 * at open, at growth, and when it adopts the size another process
 * committed.  A writer that grew the map since its last commit has a
 * larger file than any commit records; another writer that opened the
 * journal or adopted the committed size then would cut off the pages the
 * first one is filling.  Process A below grows the map past what it
 * committed; process B opens the journal, and adopts a size, and the
 * data file keeps A's size both times.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wbs-int.h"
#include "tap.h"
#include "testutil.h"

static char	dir[4200];
static char	*root;		/* reachable from the child too */

static long long
file_size(void)
{
	char		file[4300];
	struct stat	sb;

	snprintf(file, sizeof(file), "%s/data.mdb", dir);
	return stat(file, &sb) == 0 ? (long long)sb.st_size : -1;
}

/* Put a value of len bytes under key in the meta database, committed. */
static int
put_big(struct wbs_env *e, const char *key, size_t len)
{
	struct wbs_errbuf	 eb;
	MDB_txn			*txn;
	MDB_val			 k = { strlen(key), (void *)key }, v;
	int			 rc;

	if ((rc = wbs_env_txn(e, 0, &txn, &eb)) != 0)
		return rc;
	v.mv_size = len;
	v.mv_data = NULL;
	if ((rc = mdb_put(txn, e->meta, &k, &v, MDB_RESERVE)) != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	memset(v.mv_data, 'x', len);
	return mdb_txn_commit(txn);
}

/* Process A: commit past B's map, grow past the commit, tell B. */
static int
writer_a(int tell, int hear)
{
	struct wbs_env		e;
	struct wbs_errbuf	eb;
	char			c;

	if (wbs_env_open(&e, dir, WBS_ENV_WRITER, &eb) != 0) {
		fprintf(stderr, "# A: %s\n", eb.msg);
		return 2;
	}
	/* Step 1: data past B's 4 MiB map, committed; then a bigger map. */
	if (wbs_env_grow(&e, 8u << 20, &eb) != 0 ||
	    put_big(&e, "big1", 10u << 20) != 0 ||
	    wbs_env_grow(&e, 16u << 20, &eb) != 0)
		return 3;
	if (write(tell, "1", 1) != 1 || read(hear, &c, 1) != 1)
		return 4;
	/* Step 2: grow again while B has the journal closed. */
	if (wbs_env_grow(&e, 16u << 20, &eb) != 0)
		return 5;
	if (write(tell, "2", 1) != 1 || read(hear, &c, 1) != 1)
		return 6;
	wbs_env_close(&e);
	return 0;
}

int
main(void)
{
	struct wbs_env		 e;
	struct wbs_errbuf	 eb;
	MDB_txn			*txn;
	long long		 grown;
	int			 to_a[2], from_a[2], st;
	pid_t			 pid;
	char			 c;

	root = test_tmpdir();
	snprintf(dir, sizeof(dir), "%s/j.wbs", root);
	if (mkdir(dir, 0700) != 0) {
		printf("Bail out! mkdir %s\n", dir);
		return 1;
	}
	if (!ok(wbs_env_open(&e, dir, WBS_ENV_CREATE | WBS_ENV_WRITER,
	    &eb) == 0, "B creates the journal"))
		diag("%s", eb.msg);
	ok(file_size() == WBS_MAP_INITIAL, "its data file is the initial "
	    "map, %lld bytes", file_size());

	if (pipe(to_a) != 0 || pipe(from_a) != 0) {
		printf("Bail out! pipe\n");
		return 1;
	}
	if ((pid = fork()) == 0) {
		close(to_a[1]);
		close(from_a[0]);
		_exit(writer_a(from_a[1], to_a[0]));
	}
	close(to_a[0]);
	close(from_a[1]);

	ok(read(from_a[0], &c, 1) == 1 && c == '1', "A committed 10 MiB "
	    "and grew its map past that");
	grown = file_size();
	ok(grown > (32ll << 20), "the data file is A's map: %lld bytes",
	    grown);
	/* B's 4 MiB map is too small for A's commit: B adopts a size. */
	if (!ok(wbs_env_txn(&e, MDB_RDONLY, &txn, &eb) == 0, "B begins a "
	    "transaction after A's commit"))
		diag("%s", eb.msg);
	else
		mdb_txn_abort(txn);
	ok(file_size() >= grown, "adopting A's commit did not cut the data "
	    "file: %lld bytes, A made it %lld", file_size(), grown);
	ok(e.mapsize >= (size_t)grown, "B maps all of it: %zu bytes",
	    e.mapsize);
	wbs_env_close(&e);

	ok(write(to_a[1], "n", 1) == 1 && read(from_a[0], &c, 1) == 1 &&
	    c == '2', "A grew its map again, past what it committed");
	grown = file_size();
	if (!ok(wbs_env_open(&e, dir, WBS_ENV_WRITER, &eb) == 0, "B opens "
	    "the journal again"))
		diag("%s", eb.msg);
	ok(file_size() >= grown, "opening it did not cut the data file: "
	    "%lld bytes, A made it %lld", file_size(), grown);
	wbs_env_close(&e);

	st = -1;
	if (write(to_a[1], "n", 1) != 1 || waitpid(pid, &st, 0) != pid)
		st = -1;
	ok(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "A ends well "
	    "(status %d)", st);
	if (!ok(wbs_env_open(&e, dir, WBS_ENV_RDONLY, &eb) == 0, "the journal "
	    "opens read-only"))
		diag("%s", eb.msg);
	else {
		MDB_val k = { 4, "big1" }, v;

		txn = NULL;
		ok(wbs_env_txn(&e, MDB_RDONLY, &txn, &eb) == 0 &&
		    mdb_get(txn, e.meta, &k, &v) == 0 &&
		    v.mv_size == (10u << 20) &&
		    ((char *)v.mv_data)[v.mv_size - 1] == 'x',
		    "A's 10 MiB are there, to the last byte");
		if (txn != NULL)
			mdb_txn_abort(txn);
		wbs_env_close(&e);
	}
	test_rmtree(root);
	plan_lazy_done();
	return tap_exit();
}
