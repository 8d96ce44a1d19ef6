/*
 * writer.c - benchmark: wbs_run_log of a 10-scalar row against a raw LMDB
 * put+commit of the same encoded bytes with the same flags, in one process.
 *
 * usage: t/bench/writer [ROWS]   (default 1000000)
 */
#include "config.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

#include "wbstore/wbstore.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
die(const char *what, int rc)
{
	fprintf(stderr, "bench: %s: %d (%s)\n", what, rc, mdb_strerror(rc));
	exit(1);
}

int
main(int argc, char **argv)
{
	static const char *const keys[10] = { "train/loss", "train/acc",
	    "val/loss", "val/acc", "lr", "grad_norm", "epoch_frac",
	    "tokens_per_sec", "gpu_mem_gb", "throughput" };
	long		 rows = argc > 1 ? atol(argv[1]) : 1000000;
	char		 dir[] = "/tmp/wbs-bench-XXXXXX", path[PATH_MAX], err[256];
	struct wbs_opts	*o;
	struct wbs_run	*run;
	struct wbs_item	 items[10];
	struct wbs_journal *j;
	struct wbs_journal_stat st;
	MDB_env		*env;
	MDB_txn		*txn;
	MDB_dbi		 dbi;
	MDB_val		 k, v;
	uint8_t		 val[512], kb[8];
	size_t		 vlen;
	double		 t0, t_wbs, t_raw;
	int		 rc;

	if (mkdtemp(dir) == NULL)
		return 1;
	/* (b) wbstore. */
	(void)!wbs_opts_new(&o);
	(void)!wbs_opts_set(o, WBS_OPT_DIR, dir);
	(void)!wbs_opts_set(o, WBS_OPT_ID, "bench");
	if ((rc = wbs_run_open(&run, o, err, sizeof(err))) != 0) {
		fprintf(stderr, "bench: %s\n", err);
		return 1;
	}
	for (int i = 0; i < 10; i++)
		items[i] = WBS_DOUBLE_ITEM(keys[i], 0);
	t0 = now();
	for (long r = 0; r < rows; r++) {
		for (int i = 0; i < 10; i++)
			items[i].v.u.d = (double)r * 1.000001 + i / 3.0;
		if ((rc = wbs_run_log(run, items, 10, WBS_STEP_AUTO, 0)) != 0) {
			fprintf(stderr, "bench: %s\n", wbs_run_errmsg(run));
			return 1;
		}
	}
	t_wbs = now() - t0;
	snprintf(path, sizeof(path), "%s", wbs_run_journal(run));
	(void)!wbs_run_finish(run, 0);
	wbs_run_close(run);
	wbs_opts_free(o);
	if (wbs_journal_open(&j, path, 0, err, sizeof(err)) != 0 ||
	    wbs_journal_stat(j, &st) != 0)
		return 1;
	wbs_journal_close(j);

	/* The encoded bytes of one row, read straight from the journal. */
	mdb_env_create(&env);
	mdb_env_set_maxdbs(env, 8);
	if ((rc = mdb_env_open(env, path, MDB_RDONLY, 0644)) != 0)
		die("open journal", rc);
	mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
	if ((rc = mdb_dbi_open(txn, "rec", 0, &dbi)) != 0)
		die("rec", rc);
	memset(kb, 0, 8);
	kb[7] = 100;
	k.mv_size = 8;
	k.mv_data = kb;
	if ((rc = mdb_get(txn, dbi, &k, &v)) != 0)
		die("get", rc);
	vlen = v.mv_size;
	memcpy(val, v.mv_data, vlen);
	mdb_txn_abort(txn);
	mdb_env_close(env);

	/* (a) raw LMDB, the same flags, one put+commit per row. */
	snprintf(path, sizeof(path), "%s/raw", dir);
	mkdir(path, 0755);
	mdb_env_create(&env);
	mdb_env_set_maxdbs(env, 8);
	mdb_env_set_mapsize(env, (size_t)4 << 30);
	if ((rc = mdb_env_open(env, path, MDB_WRITEMAP | MDB_NOSYNC |
	    MDB_NOMETASYNC, 0644)) != 0)
		die("open raw", rc);
	mdb_txn_begin(env, NULL, 0, &txn);
	mdb_dbi_open(txn, "rec", MDB_CREATE, &dbi);
	mdb_txn_commit(txn);
	t0 = now();
	for (long r = 0; r < rows; r++) {
		uint64_t s = (uint64_t)r + 1;

		for (int i = 7; i >= 0; i--, s >>= 8)
			kb[i] = (uint8_t)s;
		k.mv_size = 8;
		k.mv_data = kb;
		v.mv_size = vlen;
		v.mv_data = val;
		if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0 ||
		    (rc = mdb_put(txn, dbi, &k, &v, MDB_APPEND)) != 0 ||
		    (rc = mdb_txn_commit(txn)) != 0)
			die("raw put", rc);
	}
	t_raw = now() - t0;
	mdb_env_close(env);

	printf("rows                      %ld\n", rows);
	printf("raw LMDB put+commit       %.0f rows/s  (%.3f us/row, "
	    "%zu-byte values)\n", rows / t_raw, t_raw / rows * 1e6, vlen);
	printf("wbs_run_log 10 scalars    %.0f rows/s  (%.3f us/row)\n",
	    rows / t_wbs, t_wbs / rows * 1e6);
	printf("ratio wbstore/raw         %.2f  (budget <= 3)\n",
	    t_wbs / t_raw);
	printf("journal bytes per row     %.1f  (budget <= 135; .wandb: 269)\n",
	    (double)st.bytes / (double)rows);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	(void)!system(path);
	return 0;
}
