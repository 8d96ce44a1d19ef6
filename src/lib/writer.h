/*
 * writer.h - the writing handle (private to libwbstore).
 */
#ifndef WBS_WRITER_H
#define WBS_WRITER_H

#include "wbs-int.h"

/* A key interned inside the current transaction, not yet in the map. */
struct wbs_newkey {
	const char	*name;
	uint32_t	 id;
};

/* Scratch arrays for building one Items message. */
struct wbs_itembuf {
	uint32_t	*dkeys;
	double		*dvals;
	uint32_t	*ikeys;
	int64_t		*ivals;
	Wbs__Item	*items;
	Wbs__Value	*values;
	Wbs__Item	**ptrs;
	size_t		 cap;
};

/* Rows of wbs_run_log_rows(), kept between calls (append.c). */
struct items_arg;
struct wbs_rowbuf {
	struct items_arg	*a;
	size_t			 cap;
};

struct wbs_run {
	struct wbs_env		 env;
	int			 env_open;
	int			 lockfd;		/* writer.lock, held shared */
	int			 bellfd;		/* doorbell, see wbs_run_ring() */
	int64_t			 rung_ns;	/* monotonic time of the last ring */
	int			 unrung;		/* appends since the last ring */
	int			 disabled;
	int			 finished;
	struct wbs_keymap	 keys;
	struct wbs_kcache	 kcache;	/* over keys */
	struct wbs_newkey	*newkeys;
	size_t			 nnew;
	size_t			 newcap;
	uint32_t		 nextkey;	/* in-txn id allocation */
	uint64_t		 next_seq;	/* 0: unknown */
	int64_t			 created_us;
	int64_t			 clock_us;	/* 0: the real clock */
	int64_t			 start_us;	/* this session */
	int64_t			 runtime_base_us;
	int64_t			 step;		/* current step */
	int			 row_open;
	char			*id;
	char			*dir;
	char			*journal;
	struct wbs_buf		 out;
	struct wbs_buf		 scratch;
	struct wbs_itembuf	 ib;
	struct wbs_rowbuf	 rows;
	struct wbs_errbuf	 eb;

	/* Sealing (WBS_OPT_SEAL_DIR): where, how often, when last. */
	char			*seal_dir;
	long			 seal_s;
	int64_t			 sealed_ns;	/* monotonic */
	int			 seal_dirty;	/* appended since the seal */

	/* Background sync. */
	pthread_t		 syncer;
	int			 syncer_running;
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	int			 stop;
	int			 dirty;
	long			 sync_ms;
};

/* Internal result: the map is full; grow it and run the transaction again. */
#define WBS_EMAPFULL	(-1000)

/*
 * Fill in a record inside the write transaction (interning keys, updating
 * meta).  It may run more than once for one call, so it must not keep
 * state of its own between runs.
 */
typedef int wbs_build_fn(struct wbs_run *run, MDB_txn *txn, Wbs__Record *r,
    void *arg);

int	wbs_run_append(struct wbs_run *run, wbs_build_fn *build, void *arg)
	    WBS_INTERNAL;
int	wbs_run_append_n(struct wbs_run *run, wbs_build_fn *build,
	    void *args, size_t size, size_t n) WBS_INTERNAL;
int	wbs_run_items(struct wbs_run *run, MDB_txn *txn,
	    const struct wbs_item *items, size_t n, Wbs__Items *out)
	    WBS_INTERNAL;
int	wbs_run_intern(struct wbs_run *run, MDB_txn *txn, const char *key,
	    uint32_t *idp) WBS_INTERNAL;
int	wbs_run_put_meta(struct wbs_run *run, MDB_txn *txn, const char *key,
	    const void *val, size_t len) WBS_INTERNAL;
void	wbs_run_ring(struct wbs_run *run, int force) WBS_INTERNAL;
int	wbs_run_seal_eb(struct wbs_run *run, const char *to,
	    struct wbs_errbuf *eb) WBS_INTERNAL;
int	wbs_run_last_step(struct wbs_env *env, MDB_txn *txn, int64_t *stepp,
	    int *openp, struct wbs_errbuf *eb) WBS_INTERNAL;

#endif /* WBS_WRITER_H */
