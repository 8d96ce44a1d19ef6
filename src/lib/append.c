/*
 * append.c - building records and appending them in one write transaction.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wbs-int.h"
#include "opts.h"
#include "writer.h"

/* Map an LMDB result inside a write transaction. */
static int
txn_err(struct wbs_run *run, int rc, const char *what)
{
	char	msg[PATH_MAX + 64];

	if (rc == MDB_MAP_FULL)
		return WBS_EMAPFULL;
	snprintf(msg, sizeof(msg), "journal %s: %s", run->journal, what);
	return wbs_err_mdb(&run->eb, rc, msg);
}

/* Find or allocate the id of a key inside txn. */
int
wbs_run_intern(struct wbs_run *run, MDB_txn *txn, const char *key,
    uint32_t *idp)
{
	size_t	len = strlen(key);
	MDB_val	k = { len, (void *)key }, v;
	uint32_t id;
	int	rc;

	if (wbs_keymap_lookup(&run->keys, key, len, idp) == 0)
		return 0;
	for (size_t i = 0; i < run->nnew; i++)
		if (strcmp(run->newkeys[i].name, key) == 0) {
			*idp = run->newkeys[i].id;
			return 0;
		}
	rc = mdb_get(txn, run->env.keys, &k, &v);
	if (rc == 0 && v.mv_size == 4)
		memcpy(&id, v.mv_data, 4);
	else if (rc == MDB_NOTFOUND) {
		/* Another process may have added keys: count them now. */
		if (run->nextkey == 0) {
			MDB_stat st;

			if ((rc = mdb_stat(txn, run->env.keys, &st)) != 0)
				return txn_err(run, rc, "key table");
			run->nextkey = (uint32_t)st.ms_entries + 1;
		}
		id = run->nextkey++;
		v.mv_size = 4;
		v.mv_data = &id;
		if ((rc = mdb_put(txn, run->env.keys, &k, &v,
		    MDB_NOOVERWRITE)) != 0)
			return txn_err(run, rc, "adding a key");
	} else if (rc == 0)
		return wbs_err(&run->eb, WBS_ECORRUPT, "key table: bad id for "
		    "\"%.40s\"", key);
	else
		return txn_err(run, rc, "key table");
	if (run->nnew == run->newcap) {
		size_t cap = run->newcap ? run->newcap * 2 : 16;
		struct wbs_newkey *nk = realloc(run->newkeys, cap *
		    sizeof(*nk));

		if (nk == NULL)
			return WBS_ENOMEM;
		run->newkeys = nk;
		run->newcap = cap;
	}
	run->newkeys[run->nnew].name = key;
	run->newkeys[run->nnew].id = id;
	run->nnew++;
	*idp = id;
	return 0;
}

/* Make room for n items in the scratch arrays. */
static int
itembuf_reserve(struct wbs_itembuf *ib, size_t n)
{
	size_t cap = ib->cap ? ib->cap : 32;

	if (n <= ib->cap)
		return 0;
	while (cap < n)
		cap *= 2;
#define GROW(f) do {							\
	void *p_ = realloc(ib->f, cap * sizeof(*ib->f));		\
	if (p_ == NULL)							\
		return WBS_ENOMEM;					\
	ib->f = p_;							\
} while (0)
	GROW(dkeys);
	GROW(dvals);
	GROW(ikeys);
	GROW(ivals);
	GROW(items);
	GROW(values);
	GROW(ptrs);
#undef GROW
	ib->cap = cap;
	return 0;
}

/* Fill an Items message from caller items (already checked). */
int
wbs_run_items(struct wbs_run *run, MDB_txn *txn, const struct wbs_item *items,
    size_t n, Wbs__Items *out)
{
	struct wbs_itembuf	*ib = &run->ib;
	size_t			 nd = 0, ni = 0, no = 0;
	int			 rc;

	if ((rc = itembuf_reserve(ib, n)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		const struct wbs_value	*v = &items[i].v;
		uint32_t		 id;
		size_t			 klen;
		Wbs__Value		*pv;

		if ((id = wbs_kcache_hit(&run->kcache, i, items[i].key,
		    &klen)) == 0) {
			if ((rc = wbs_run_intern(run, txn, items[i].key,
			    &id)) != 0)
				return rc;
			/* Only committed ids: a new key's txn may abort. */
			if (id < run->keys.nnames && run->keys.names[id])
				wbs_kcache_put(&run->kcache, i, id,
				    items[i].key);
		}
		switch (v->type) {
		case WBS_DOUBLE:
			ib->dkeys[nd] = id;
			ib->dvals[nd++] = v->u.d;
			continue;
		case WBS_INT:
			ib->ikeys[ni] = id;
			ib->ivals[ni++] = v->u.i;
			continue;
		}
		wbs__item__init(&ib->items[no]);
		pv = &ib->values[no];
		wbs__value__init(pv);
		ib->items[no].key = id;
		ib->items[no].value = pv;
		switch (v->type) {
		case WBS_NULL:
			pv->kind_case = WBS__VALUE__KIND_NULL;
			pv->null = 1;
			break;
		case WBS_BOOL:
			pv->kind_case = WBS__VALUE__KIND_B;
			pv->b = v->u.b != 0;
			break;
		case WBS_STRING:
			pv->kind_case = WBS__VALUE__KIND_S;
			pv->s.len = v->u.s.len;
			pv->s.data = (uint8_t *)v->u.s.ptr;
			break;
		case WBS_JSON:
			pv->kind_case = WBS__VALUE__KIND_JSON;
			pv->json.len = v->u.s.len;
			pv->json.data = (uint8_t *)v->u.s.ptr;
			break;
		default:
			pv->kind_case = WBS__VALUE__KIND_BYTES;
			pv->bytes.len = v->u.s.len;
			pv->bytes.data = (uint8_t *)v->u.s.ptr;
			break;
		}
		ib->ptrs[no] = &ib->items[no];
		no++;
	}
	out->n_dkeys = out->n_dvals = nd;
	out->dkeys = ib->dkeys;
	out->dvals = ib->dvals;
	out->n_ikeys = out->n_ivals = ni;
	out->ikeys = ib->ikeys;
	out->ivals = ib->ivals;
	out->n_other = no;
	out->other = ib->ptrs;
	return 0;
}

/* Put a meta key inside txn. */
int
wbs_run_put_meta(struct wbs_run *run, MDB_txn *txn, const char *key,
    const void *val, size_t len)
{
	MDB_val	k = { strlen(key), (void *)key }, v = { len, (void *)val };
	int	rc;

	if ((rc = mdb_put(txn, run->env.meta, &k, &v, 0)) != 0)
		return txn_err(run, rc, "writing journal metadata");
	return 0;
}

/* Sequence number of the last record, 0 if none. */
static int
last_seq(struct wbs_run *run, MDB_txn *txn, uint64_t *seqp)
{
	MDB_cursor	*c;
	MDB_val		 k, v;
	int		 rc;

	if ((rc = mdb_cursor_open(txn, run->env.rec, &c)) != 0)
		return txn_err(run, rc, "opening the record table");
	rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	mdb_cursor_close(c);
	if (rc == MDB_NOTFOUND) {
		*seqp = 0;
		return 0;
	}
	if (rc != 0)
		return txn_err(run, rc, "reading the record table");
	if (k.mv_size != 8)
		return wbs_err(&run->eb, WBS_ECORRUPT, "record key of %zu "
		    "bytes", k.mv_size);
	*seqp = wbs_seq_get(k.mv_data);
	return 0;
}

/*
 * Encode the record build() fills in and put it after the last one; its
 * time is now_us, the time of its transaction.
 */
static int
put_record(struct wbs_run *run, MDB_txn *txn, wbs_build_fn *build, void *arg,
    int64_t now_us, uint64_t *seqp)
{
	Wbs__Record	 r = WBS__RECORD__INIT;
	MDB_val		 k, v;
	uint8_t		 kb[8];
	uint64_t	 seq;
	int		 rc;

	r.time = now_us - run->created_us;
	if ((rc = build(run, txn, &r, arg)) != 0)
		return rc;
	if ((rc = wbs_rec_encode(&r, &run->out, &run->scratch, &run->eb)) != 0)
		return rc;
	if (run->next_seq == 0 && (rc = last_seq(run, txn, &run->next_seq)) ==
	    0)
		run->next_seq++;
	if (rc != 0)
		return rc;
	seq = run->next_seq;
	wbs_seq_put(kb, seq);
	k.mv_size = 8;
	k.mv_data = kb;
	v.mv_size = run->out.len;
	v.mv_data = run->out.p;
	rc = mdb_put(txn, run->env.rec, &k, &v, MDB_APPEND);
	if (rc == MDB_KEYEXIST) {
		/* Another process appended since we last looked. */
		if ((rc = last_seq(run, txn, &seq)) != 0)
			return rc;
		seq++;
		wbs_seq_put(kb, seq);
		rc = mdb_put(txn, run->env.rec, &k, &v, MDB_APPEND);
	}
	if (rc != 0)
		return txn_err(run, rc, "appending a record");
	run->next_seq = seq + 1;
	*seqp = seq;
	return 0;
}

/*
 * One attempt at the transaction of wbs_run_append_n(); *bytesp sums the
 * encoded records, to size the map's growth when it is full.
 */
static int
append_once(struct wbs_run *run, wbs_build_fn *build, char *args,
    size_t size, size_t n, size_t *bytesp)
{
	MDB_txn		*txn;
	uint64_t	 seq;
	int64_t		 now = run->clock_us ? run->clock_us : wbs_now_us();
	int		 rc;

	run->nnew = 0;
	run->nextkey = 0;
	*bytesp = 0;
	if ((rc = wbs_env_txn(&run->env, 0, &txn, &run->eb)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if ((rc = put_record(run, txn, build, args + i * size, now,
		    &seq)) != 0) {
			mdb_txn_abort(txn);
			return rc;
		}
		*bytesp += run->out.len;
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return txn_err(run, rc, "committing records");
	return 0;
}

/*
 * Append n records in one transaction, record i built by build() from
 * the i-th argument of size bytes at args, growing the map when it is
 * full.  On success all of them are committed (they survive kill -9); on
 * failure none is.
 */
int
wbs_run_append_n(struct wbs_run *run, wbs_build_fn *build, void *args,
    size_t size, size_t n)
{
	uint64_t	next = run->next_seq;
	size_t		bytes = 0;
	int		rc;

	if (run->finished)
		return wbs_err(&run->eb, WBS_EFINISHED, "run %s is finished",
		    run->id);
	for (int tries = 0;; tries++) {
		run->next_seq = next;
		rc = append_once(run, build, args, size, n, &bytes);
		if (rc != WBS_EMAPFULL)
			break;
		if (tries == 4)
			return wbs_err(&run->eb, WBS_ENOSPC, "journal %s: map "
			    "still full after growing", run->journal);
		if ((rc = wbs_env_grow(&run->env, 2 * bytes + run->out.len +
		    65536, &run->eb)) != 0)
			return rc;
	}
	if (rc != 0) {
		run->next_seq = 0;
		return rc;
	}
	for (size_t i = 0; i < run->nnew; i++)
		if ((rc = wbs_keymap_add(&run->keys, run->newkeys[i].id,
		    run->newkeys[i].name, strlen(run->newkeys[i].name))) != 0)
			return wbs_err(&run->eb, rc, "key map");
	run->nnew = 0;
	if (run->seal_dir != NULL)
		__atomic_store_n(&run->seal_dirty, 1, __ATOMIC_RELAXED);
	wbs_run_ring(run, 0);
	/* With a sync interval of 0 the commit itself was synced. */
	if (run->sync_ms != 0)
		__atomic_store_n(&run->dirty, 1, __ATOMIC_RELAXED);
	return 0;
}

/* Append one record built by build(); see wbs_run_append_n(). */
int
wbs_run_append(struct wbs_run *run, wbs_build_fn *build, void *arg)
{
	return wbs_run_append_n(run, build, arg, 0, 1);
}

/*
 * Ring the doorbell: a one-byte pwrite to the journal's "doorbell" file.
 * Commits through the shared mapping raise no inotify event; this write
 * does, so a watching daemon wakes up.  At most one ring per
 * WBS_RING_NS unless forced; the background thread rings for appends the
 * rate limit held back.
 */
void
wbs_run_ring(struct wbs_run *run, int force)
{
	int64_t	now;

	if (run->bellfd < 0)
		return;
	now = wbs_mono_ns();
	if (!force && now - __atomic_load_n(&run->rung_ns, __ATOMIC_RELAXED) <
	    WBS_RING_NS) {
		__atomic_store_n(&run->unrung, 1, __ATOMIC_RELAXED);
		return;
	}
	if (force && !__atomic_load_n(&run->unrung, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&run->unrung, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&run->rung_ns, now, __ATOMIC_RELAXED);
	if (pwrite(run->bellfd, "\n", 1, 0) != 1)
		wbs_log(4, "journal %s: doorbell: %s", run->journal,
		    strerror(errno));
}

/* ------------------------------------------------------------------ */

struct items_arg {
	const struct wbs_item	*items;
	size_t			 n;
	const char *const	*keys;
	size_t			 nkeys;
	int64_t			 step;
	unsigned		 flags;
	Wbs__Items		 set;
	Wbs__History		 hist;
	Wbs__Update		 upd;
	uint32_t		*rm;
};

static int
build_history(struct wbs_run *run, MDB_txn *txn, Wbs__Record *r, void *argp)
{
	struct items_arg *a = argp;
	int		  rc;

	wbs__items__init(&a->set);
	wbs__history__init(&a->hist);
	if ((rc = wbs_run_items(run, txn, a->items, a->n, &a->set)) != 0)
		return rc;
	a->hist.step = a->step;
	/* Committed is the zero default, which costs no bytes. */
	a->hist.flags = a->flags == WBS_LOG_COMMIT ? 0 : a->flags;
	a->hist.n_dkeys = a->set.n_dkeys;
	a->hist.dkeys = a->set.dkeys;
	a->hist.n_dvals = a->set.n_dvals;
	a->hist.dvals = a->set.dvals;
	a->hist.n_ikeys = a->set.n_ikeys;
	a->hist.ikeys = a->set.ikeys;
	a->hist.n_ivals = a->set.n_ivals;
	a->hist.ivals = a->set.ivals;
	a->hist.n_other = a->set.n_other;
	a->hist.other = a->set.other;
	r->body_case = WBS__RECORD__BODY_HISTORY;
	r->history = &a->hist;
	return 0;
}

/*
 * Check a row for wbs_run_log() when the run's step is *stepp, and work
 * out its step and whether it commits; *stepp becomes the step after it.
 */
static int
plan_row(struct wbs_run *run, const struct wbs_item *items, size_t n,
    int64_t *stepp, int64_t step, unsigned flags, struct items_arg *a)
{
	int	commit, rc;

	if ((rc = wbs_check_items(items, n, &run->kcache, NULL,
	    &run->eb)) != 0)
		return rc;
	if ((flags & WBS_LOG_COMMIT) && (flags & WBS_LOG_NOCOMMIT))
		return wbs_err(&run->eb, WBS_EINVAL, "log: both COMMIT and "
		    "NOCOMMIT given");
	if (flags & ~(unsigned)(WBS_LOG_COMMIT | WBS_LOG_NOCOMMIT))
		return wbs_err(&run->eb, WBS_EINVAL, "log: unknown flags 0x%x",
		    flags);
	if (step != WBS_STEP_AUTO && step < 0)
		return wbs_err(&run->eb, WBS_EINVAL, "log: step %jd is "
		    "negative", (intmax_t)step);
	if (flags & WBS_LOG_COMMIT)
		commit = 1;
	else if (flags & WBS_LOG_NOCOMMIT)
		commit = 0;
	else
		commit = step == WBS_STEP_AUTO;
	if (step == WBS_STEP_AUTO)
		step = *stepp;
	else if (step < *stepp)
		return wbs_err(&run->eb, WBS_ESTEP, "log: step %jd is lower "
		    "than the current step %jd; W&B steps only increase",
		    (intmax_t)step, (intmax_t)*stepp);
	/* Only these matter to build_history(), which sets up the rest. */
	a->items = items;
	a->n = n;
	a->keys = NULL;
	a->nkeys = 0;
	a->rm = NULL;
	a->step = step;
	a->flags = commit ? WBS_LOG_COMMIT : WBS_LOG_NOCOMMIT;
	*stepp = commit ? step + 1 : step;
	return 0;
}

/* After rows were stored: the run's step and open row follow the last. */
static void
after_rows(struct wbs_run *run, const struct items_arg *last)
{
	if (last->flags == WBS_LOG_COMMIT) {
		run->step = last->step + 1;
		run->row_open = 0;
	} else {
		run->step = last->step;
		run->row_open = 1;
	}
}

/* Log a history row (W&B's run.log). */
int
wbs_run_log(struct wbs_run *run, const struct wbs_item *items, size_t n,
    int64_t step, unsigned flags)
{
	struct items_arg	a;
	int64_t			cur = run->step;
	int			rc;

	if (run->disabled)
		return 0;
	if ((rc = plan_row(run, items, n, &cur, step, flags, &a)) != 0)
		return rc;
	if ((rc = wbs_run_append(run, build_history, &a)) != 0)
		return rc;
	after_rows(run, &a);
	return 0;
}

/* Room for n rows in the handle's row buffer. */
static int
rowbuf_reserve(struct wbs_rowbuf *rb, size_t n)
{
	struct items_arg	*a;
	size_t			 cap = rb->cap ? rb->cap : 64;

	if (n <= rb->cap)
		return 0;
	while (cap < n)
		cap *= 2;
	if ((a = realloc(rb->a, cap * sizeof(*a))) == NULL)
		return WBS_ENOMEM;
	rb->a = a;
	rb->cap = cap;
	return 0;
}

/* Log rows as wbs_run_log() would, in one transaction. */
int
wbs_run_log_rows(struct wbs_run *run, const struct wbs_row *rows, size_t n)
{
	struct items_arg	*a;
	int64_t			 cur = run->step;
	int			 rc;

	if (run->disabled || n == 0)
		return 0;
	if (rows == NULL)
		return wbs_err(&run->eb, WBS_EINVAL, "rows is NULL with n = "
		    "%zu", n);
	if (rowbuf_reserve(&run->rows, n) != 0)
		return wbs_err(&run->eb, WBS_ENOMEM, "log_rows: %zu rows", n);
	a = run->rows.a;
	for (size_t i = 0; i < n; i++) {
		if ((rc = plan_row(run, rows[i].items, rows[i].n, &cur,
		    rows[i].step, rows[i].flags, &a[i])) != 0) {
			char msg[sizeof(run->eb.msg)];

			memcpy(msg, run->eb.msg, sizeof(msg));
			return wbs_err(&run->eb, rc, "row %zu of %zu: %s", i, n,
			    msg);
		}
	}
	if ((rc = wbs_run_append_n(run, build_history, a, sizeof(*a), n)) == 0)
		after_rows(run, &a[n - 1]);
	return rc;
}

/* Check keys given for removal. */
static int
check_keys(struct wbs_run *run, const char *const *keys, size_t n)
{
	int rc;

	if (n > 0 && keys == NULL)
		return wbs_err(&run->eb, WBS_EINVAL, "keys is NULL");
	for (size_t i = 0; i < n; i++)
		if ((rc = wbs_check_key(keys[i], &run->eb)) != 0)
			return rc;
	return 0;
}

static int
build_update(struct wbs_run *run, MDB_txn *txn, Wbs__Record *r, void *argp)
{
	struct items_arg *a = argp;
	int		  rc;

	wbs__items__init(&a->set);
	wbs__update__init(&a->upd);
	if ((rc = wbs_run_items(run, txn, a->items, a->n, &a->set)) != 0)
		return rc;
	for (size_t i = 0; i < a->nkeys; i++)
		if ((rc = wbs_run_intern(run, txn, a->keys[i], &a->rm[i])) != 0)
			return rc;
	if (a->n > 0)
		a->upd.set = &a->set;
	a->upd.n_remove = a->nkeys;
	a->upd.remove = a->rm;
	if (a->flags == WBS_REC_CONFIG) {
		r->body_case = WBS__RECORD__BODY_CONFIG;
		r->config = &a->upd;
	} else {
		r->body_case = WBS__RECORD__BODY_SUMMARY;
		r->summary = &a->upd;
	}
	return 0;
}

/* Shared body of the config and summary calls. */
static int
update(struct wbs_run *run, int type, const struct wbs_item *items, size_t n,
    const char *const *keys, size_t nkeys)
{
	struct items_arg	a;
	int			rc;

	if (run->disabled)
		return 0;
	if ((rc = wbs_check_items(items, n, &run->kcache, NULL,
	    &run->eb)) != 0 ||
	    (rc = check_keys(run, keys, nkeys)) != 0)
		return rc;
	memset(&a, 0, sizeof(a));
	a.items = items;
	a.n = n;
	a.keys = keys;
	a.nkeys = nkeys;
	a.flags = (unsigned)type;
	if (nkeys > 0 && (a.rm = calloc(nkeys, sizeof(*a.rm))) == NULL)
		return WBS_ENOMEM;
	rc = wbs_run_append(run, build_update, &a);
	free(a.rm);
	return rc;
}

/* Set config items. */
int
wbs_run_config(struct wbs_run *run, const struct wbs_item *items, size_t n)
{
	return update(run, WBS_REC_CONFIG, items, n, NULL, 0);
}

/* Remove config keys. */
int
wbs_run_config_remove(struct wbs_run *run, const char *const *keys, size_t n)
{
	return update(run, WBS_REC_CONFIG, NULL, 0, keys, n);
}

/* Set summary items explicitly. */
int
wbs_run_summary(struct wbs_run *run, const struct wbs_item *items, size_t n)
{
	return update(run, WBS_REC_SUMMARY, items, n, NULL, 0);
}

/* Remove summary keys. */
int
wbs_run_summary_remove(struct wbs_run *run, const char *const *keys, size_t n)
{
	return update(run, WBS_REC_SUMMARY, NULL, 0, keys, n);
}

static int
build_stats(struct wbs_run *run, MDB_txn *txn, Wbs__Record *r, void *argp)
{
	struct items_arg *a = argp;
	int		  rc;

	wbs__items__init(&a->set);
	if ((rc = wbs_run_items(run, txn, a->items, a->n, &a->set)) != 0)
		return rc;
	r->body_case = WBS__RECORD__BODY_STATS;
	r->stats = &a->set;
	return 0;
}

/* Record a system stats sample. */
int
wbs_run_stats(struct wbs_run *run, const struct wbs_item *items, size_t n)
{
	struct items_arg	a;
	int			rc;

	if (run->disabled)
		return 0;
	if ((rc = wbs_check_items(items, n, &run->kcache, NULL,
	    &run->eb)) != 0)
		return rc;
	memset(&a, 0, sizeof(a));
	a.items = items;
	a.n = n;
	return wbs_run_append(run, build_stats, &a);
}

/* A record whose body is prepared before the transaction. */
struct fixed_arg {
	int			 body;
	void			*msg;
	const char		*metakey;	/* also store msg in meta */
	const ProtobufCMessage	*meta;
};

static int
build_fixed(struct wbs_run *run, MDB_txn *txn, Wbs__Record *r, void *argp)
{
	struct fixed_arg *a = argp;

	r->body_case = a->body;
	switch (a->body) {
	case WBS__RECORD__BODY_METRIC:
		r->metric = a->msg;
		break;
	case WBS__RECORD__BODY_CONSOLE:
		r->console = a->msg;
		break;
	case WBS__RECORD__BODY_FILE:
		r->file = a->msg;
		break;
	case WBS__RECORD__BODY_SET:
		r->set = a->msg;
		break;
	case WBS__RECORD__BODY_TAGS:
		r->tags = a->msg;
		break;
	case WBS__RECORD__BODY_ALERT:
		r->alert = a->msg;
		break;
	case WBS__RECORD__BODY_PREEMPTING:
		r->preempting = a->msg;
		break;
	case WBS__RECORD__BODY_EXIT:
		r->exit = a->msg;
		break;
	case WBS__RECORD__BODY_RUN:
		r->run = a->msg;
		break;
	}
	if (a->metakey != NULL) {
		size_t	 len = protobuf_c_message_get_packed_size(a->meta);
		uint8_t	*buf = malloc(len ? len : 1);
		int	 rc;

		if (buf == NULL)
			return WBS_ENOMEM;
		protobuf_c_message_pack(a->meta, buf);
		rc = wbs_run_put_meta(run, txn, a->metakey, buf, len);
		free(buf);
		return rc;
	}
	return 0;
}

/* Append a record of a fixed body. */
static int
append_fixed(struct wbs_run *run, int body, void *msg)
{
	struct fixed_arg a = { body, msg, NULL, NULL };

	if (run->disabled)
		return 0;
	return wbs_run_append(run, build_fixed, &a);
}

/* Check an optional string argument. */
static int
check_str(struct wbs_run *run, const char *what, const char *s, size_t max)
{
	size_t len;

	if (s == NULL)
		return 0;
	len = strlen(s);
	if (len > max)
		return wbs_err(&run->eb, WBS_ETOOBIG, "%s is %zu bytes, over "
		    "the limit of %zu", what, len, max);
	if (!wbs_utf8_valid(s, len))
		return wbs_err(&run->eb, WBS_EUTF8, "%s is not valid UTF-8",
		    what);
	return 0;
}

/* Record a define_metric call. */
int
wbs_run_define_metric(struct wbs_run *run, const struct wbs_metric *m)
{
	Wbs__Metric	pm = WBS__METRIC__INIT;
	int		rc;

	if ((m->name == NULL) == (m->glob == NULL))
		return wbs_err(&run->eb, WBS_EINVAL, "define_metric: give "
		    "exactly one of name and glob");
	if ((rc = wbs_check_key(m->name ? m->name : m->glob, &run->eb)) != 0 ||
	    (m->step_metric != NULL &&
	    (rc = wbs_check_key(m->step_metric, &run->eb)) != 0))
		return rc;
	if (m->summary & ~0xffu || m->goal < 0 || m->goal > 2 ||
	    m->flags & ~3u)
		return wbs_err(&run->eb, WBS_EINVAL, "define_metric \"%s\": "
		    "bad summary, goal or flags", m->name ? m->name : m->glob);
	pm.name = (char *)(m->name ? m->name : "");
	pm.glob = (char *)(m->glob ? m->glob : "");
	pm.step_metric = (char *)(m->step_metric ? m->step_metric : "");
	pm.summary = m->summary;
	pm.goal = m->goal;
	pm.flags = m->flags;
	return append_fixed(run, WBS__RECORD__BODY_METRIC, &pm);
}

/* Record a console chunk. */
int
wbs_run_console(struct wbs_run *run, int stream, const char *data, size_t len)
{
	Wbs__Console c = WBS__CONSOLE__INIT;

	if (stream != WBS_STDOUT && stream != WBS_STDERR)
		return wbs_err(&run->eb, WBS_EINVAL, "console: stream %d is "
		    "neither stdout (1) nor stderr (0)", stream);
	if (data == NULL && len > 0)
		return wbs_err(&run->eb, WBS_EINVAL, "console: data is NULL");
	if (len > WBS_VALUE_MAX)
		return wbs_err(&run->eb, WBS_ETOOBIG, "console chunk of %zu "
		    "bytes is over the 1 MiB limit; split it", len);
	c.stream = stream;
	c.text.len = len;
	c.text.data = (uint8_t *)data;
	return append_fixed(run, WBS__RECORD__BODY_CONSOLE, &c);
}

/* A path under files/: relative, no "..", no empty components. */
static int
check_file_path(struct wbs_run *run, const char *path)
{
	const char	*p = path;
	int		 rc;

	if ((rc = check_str(run, "file path", path, 1024)) != 0)
		return rc;
	if (*path == '\0' || *path == '/')
		return wbs_err(&run->eb, WBS_EINVAL, "file path \"%s\" must be "
		    "relative to the run's files/ directory", path);
	while (*p != '\0') {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 2 && p[0] == '.' && p[1] == '.') ||
		    (n == 1 && p[0] == '.'))
			return wbs_err(&run->eb, WBS_EINVAL, "file path \"%s\" "
			    "has an empty, \".\" or \"..\" component", path);
		p += n;
		if (*p == '/')
			p++;
	}
	return 0;
}

/* Copy src to dst (creating directories), through a temporary file. */
static int
copy_file(struct wbs_run *run, const char *src, const char *dst)
{
	char	 tmp[PATH_MAX], dir[PATH_MAX], buf[65536];
	char	*slash;
	int	 in, out = -1, rc = 0;
	ssize_t	 n;

	snprintf(dir, sizeof(dir), "%s", dst);
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		if (wbs_mkdirs(dir, 0755) != 0)
			return wbs_err(&run->eb, WBS_EIO, "%s: %s", dir,
			    strerror(errno));
	}
	if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0)
		return wbs_err(&run->eb, errno == ENOENT ? WBS_ENOTFOUND :
		    WBS_EIO, "%s: %s", src, strerror(errno));
	snprintf(tmp, sizeof(tmp), "%s.tmp%ld", dst, (long)getpid());
	if ((out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) < 0) {
		rc = wbs_err(&run->eb, WBS_EIO, "%s: %s", tmp, strerror(errno));
		goto done;
	}
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = wbs_err(&run->eb, WBS_EIO, "%s: %s", src,
			    strerror(errno));
			goto done;
		}
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));

			if (w < 0) {
				if (errno == EINTR)
					continue;
				rc = wbs_err(&run->eb, errno == ENOSPC ?
				    WBS_ENOSPC : WBS_EIO, "%s: %s", tmp,
				    strerror(errno));
				goto done;
			}
			off += w;
		}
	}
	if (rename(tmp, dst) != 0)
		rc = wbs_err(&run->eb, WBS_EIO, "%s: %s", dst, strerror(errno));
done:
	close(in);
	if (out >= 0) {
		close(out);
		if (rc != 0)
			unlink(tmp);
	}
	return rc;
}

/* Register a file for upload, copying it under files/ first if asked. */
int
wbs_run_file(struct wbs_run *run, const char *path, const char *src,
    int policy, int type)
{
	Wbs__File	f = WBS__FILE__INIT;
	char		dst[PATH_MAX];
	int		rc;

	if (run->disabled)
		return 0;
	if ((rc = check_file_path(run, path)) != 0)
		return rc;
	if (policy < WBS_POLICY_NOW || policy > WBS_POLICY_LIVE)
		return wbs_err(&run->eb, WBS_EINVAL, "file \"%s\": policy %d "
		    "is not now (0), end (1) or live (2)", path, policy);
	if (type < WBS_FILE_OTHER || type > WBS_FILE_MEDIA)
		return wbs_err(&run->eb, WBS_EINVAL, "file \"%s\": unknown "
		    "type %d", path, type);
	if (src != NULL) {
		snprintf(dst, sizeof(dst), "%s/files/%s", run->dir, path);
		if ((rc = copy_file(run, src, dst)) != 0)
			return rc;
	}
	f.path = (char *)path;
	f.policy = policy;
	f.type = type;
	return append_fixed(run, WBS__RECORD__BODY_FILE, &f);
}

/* Record an alert. */
int
wbs_run_alert(struct wbs_run *run, const char *title, const char *text,
    const char *level, int64_t wait_ms)
{
	Wbs__Alert	a = WBS__ALERT__INIT;
	int		rc;

	if (level == NULL)
		level = "INFO";
	if (strcmp(level, "INFO") != 0 && strcmp(level, "WARN") != 0 &&
	    strcmp(level, "ERROR") != 0)
		return wbs_err(&run->eb, WBS_EINVAL, "alert level \"%.20s\" is "
		    "not INFO, WARN or ERROR", level);
	if ((rc = check_str(run, "alert title", title, 64 << 10)) != 0 ||
	    (rc = check_str(run, "alert text", text, 64 << 10)) != 0)
		return rc;
	if (wait_ms < 0)
		return wbs_err(&run->eb, WBS_EINVAL, "alert wait is negative");
	a.title = (char *)title;
	a.text = (char *)text;
	a.level = (char *)level;
	a.wait_ms = wait_ms;
	return append_fixed(run, WBS__RECORD__BODY_ALERT, &a);
}

/* Record that the run is about to be preempted. */
int
wbs_run_preempting(struct wbs_run *run)
{
	Wbs__Empty e = WBS__EMPTY__INIT;

	return append_fixed(run, WBS__RECORD__BODY_PREEMPTING, &e);
}

/* Load the run's current attributes from meta into *rsp (arena-backed). */
static int
load_info(struct wbs_run *run, MDB_txn *txn, struct wbs_arena *ar,
    Wbs__RunStart **rsp)
{
	ProtobufCAllocator	 pa;
	MDB_val			 k = { 4, "info" }, v;
	int			 rc;

	if ((rc = mdb_get(txn, run->env.meta, &k, &v)) != 0)
		return txn_err(run, rc, "reading run info");
	wbs_arena_pb(ar, &pa);
	if ((*rsp = wbs__run_start__unpack(&pa, v.mv_size, v.mv_data)) == NULL)
		return wbs_err(&run->eb, WBS_ECORRUPT, "journal %s: run info "
		    "does not decode", run->journal);
	return 0;
}

struct set_arg {
	int			 field;
	const char		*value;
	const char *const	*tags;
	size_t			 ntags;
	Wbs__SetField		 sf;
	Wbs__Tags		 tg;
	struct wbs_arena	 ar;
};

static int
build_set(struct wbs_run *run, MDB_txn *txn, Wbs__Record *r, void *argp)
{
	struct set_arg	*a = argp;
	Wbs__RunStart	*rs;
	struct fixed_arg fa;
	int		 rc;

	wbs_arena_reset(&a->ar);
	if ((rc = load_info(run, txn, &a->ar, &rs)) != 0)
		return rc;
	if (a->tags != NULL || a->field == 0) {
		rs->n_tags = a->ntags;
		rs->tags = (char **)a->tags;
		wbs__tags__init(&a->tg);
		a->tg.n_tags = a->ntags;
		a->tg.tags = (char **)a->tags;
		fa.body = WBS__RECORD__BODY_TAGS;
		fa.msg = &a->tg;
	} else {
		char *v = (char *)(a->value ? a->value : "");

		switch (a->field) {
		case WBS_FIELD_NAME:
			rs->name = v;
			break;
		case WBS_FIELD_NOTES:
			rs->notes = v;
			break;
		case WBS_FIELD_GROUP:
			rs->group = v;
			break;
		default:
			rs->job_type = v;
			break;
		}
		wbs__set_field__init(&a->sf);
		a->sf.field = a->field;
		a->sf.value = v;
		fa.body = WBS__RECORD__BODY_SET;
		fa.msg = &a->sf;
	}
	fa.metakey = "info";
	fa.meta = &rs->base;
	return build_fixed(run, txn, r, &fa);
}

/* Change the name, notes, group or job type. */
int
wbs_run_set(struct wbs_run *run, int field, const char *value)
{
	struct set_arg	a;
	int		rc;

	if (run->disabled)
		return 0;
	if (field < WBS_FIELD_NAME || field > WBS_FIELD_JOB_TYPE)
		return wbs_err(&run->eb, WBS_EINVAL, "set: unknown field %d",
		    field);
	if ((rc = check_str(run, "value", value, 64 << 10)) != 0)
		return rc;
	memset(&a, 0, sizeof(a));
	a.field = field;
	a.value = value;
	rc = wbs_run_append(run, build_set, &a);
	wbs_arena_release(&a.ar);
	return rc;
}

/* Replace the tags. */
int
wbs_run_set_tags(struct wbs_run *run, const char *const *tags, size_t n)
{
	struct set_arg	a;
	int		rc;

	if (run->disabled)
		return 0;
	if (n > 0 && tags == NULL)
		return wbs_err(&run->eb, WBS_EINVAL, "tags is NULL");
	for (size_t i = 0; i < n; i++)
		if (tags[i] == NULL || (rc = wbs_check_tag(tags[i],
		    &run->eb)) != 0)
			return tags[i] == NULL ? wbs_err(&run->eb, WBS_EINVAL,
			    "tag %zu is NULL", i) : rc;
	memset(&a, 0, sizeof(a));
	a.tags = tags;
	a.ntags = n;
	rc = wbs_run_append(run, build_set, &a);
	wbs_arena_release(&a.ar);
	return rc;
}
