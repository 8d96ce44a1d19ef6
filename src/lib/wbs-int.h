/*
 * wbs-int.h - libwbstore internals shared by its modules.
 */
#ifndef WBS_INT_H
#define WBS_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>

#include <lmdb.h>

#include "wbstore/wbstore.h"
#include "wbstore.pb-c.h"

#define WBS_FORMAT		1	/* journal format this library writes */
#define WBS_REC_VERSION		1	/* record header version nibble */
#define WBS_CODEC_PLAIN		0
#define WBS_CODEC_LZ4		1
#define WBS_REC_HDR		5	/* header byte + CRC-32 */
#define WBS_LZ4_MIN		512	/* try compressing records this big */

#define WBS_ERRMSG		512
#define WBS_MAP_INITIAL		(4u << 20)
#define WBS_MAP_STEP_MAX	(1ull << 30)	/* grow by doubling up to this */
#define WBS_RING_NS		50000000	/* doorbell rate limit: 50 ms */

#define WBS_INTERNAL	__attribute__((__visibility__("hidden")))

/* Error detail, kept per handle. */
struct wbs_errbuf {
	char	msg[WBS_ERRMSG];
};

int	wbs_err(struct wbs_errbuf *eb, int code, const char *fmt, ...)
	    __attribute__((__format__(__printf__, 3, 4))) WBS_INTERNAL;
int	wbs_err_mdb(struct wbs_errbuf *eb, int mdbrc, const char *what)
	    WBS_INTERNAL;
int	wbs_guard_cursor_get(MDB_cursor *c, MDB_val *k, MDB_val *v,
	    MDB_cursor_op op, const char *path, struct wbs_errbuf *eb);
void	wbs_log(int prio, const char *fmt, ...)
	    __attribute__((__format__(__printf__, 2, 3))) WBS_INTERNAL;

/* A bump allocator for decoding: reset per record, never freed piecewise. */
struct wbs_arena {
	char	*buf;
	size_t	 len;
	size_t	 cap;
	struct wbs_arena_chunk *big;	/* allocations that did not fit */
	int	 failed;
};

void	*wbs_arena_alloc(struct wbs_arena *a, size_t n) WBS_INTERNAL;
void	 wbs_arena_reset(struct wbs_arena *a) WBS_INTERNAL;
void	 wbs_arena_release(struct wbs_arena *a) WBS_INTERNAL;
void	 wbs_arena_pb(struct wbs_arena *a, ProtobufCAllocator *pa) WBS_INTERNAL;

/* A growable byte buffer with a hard maximum. */
struct wbs_buf {
	uint8_t	*p;
	size_t	 len;
	size_t	 cap;
};
int	wbs_buf_reserve(struct wbs_buf *b, size_t n) WBS_INTERNAL;
void	wbs_buf_release(struct wbs_buf *b) WBS_INTERNAL;

/* An LMDB environment holding one journal, with its named databases. */
struct wbs_env {
	MDB_env		*env;
	MDB_dbi		 meta;
	MDB_dbi		 rec;
	MDB_dbi		 keys;
	MDB_dbi		 sync;
	int		 rdonly;
	int		 prealloc;	/* writer: the file is preallocated */
	size_t		 mapsize;
	int		 mapfd;		/* writer: data.mdb, locked to set sizes */
	pthread_mutex_t	 maplock;	/* map resize vs background msync */
	char		*path;		/* journal directory */
	/* Map-mode writers: sync points (syncpoint.c). */
	int		 spfd[2];	/* syncpoint.0 and .1, or -1 */
	size_t		 psize;
};

#define WBS_ENV_CREATE		0x1
#define WBS_ENV_RDONLY		0x2
#define WBS_ENV_WRITER		0x4	/* WRITEMAP + NOSYNC, preallocated */
#define WBS_ENV_WRITE		0x8	/* with WRITER: write(2), no WRITEMAP */
#define WBS_ENV_DURABLE		0x10	/* with WRITER: every commit synced */
#define WBS_ENV_NOGATE		0x20	/* skip wbs_sp_gate() (it is running) */

int	wbs_env_open(struct wbs_env *e, const char *path, unsigned flags,
	    struct wbs_errbuf *eb) WBS_INTERNAL;
void	wbs_env_close(struct wbs_env *e) WBS_INTERNAL;
int	wbs_env_txn(struct wbs_env *e, unsigned flags, MDB_txn **txnp,
	    struct wbs_errbuf *eb) WBS_INTERNAL;
int	wbs_env_grow(struct wbs_env *e, size_t need, struct wbs_errbuf *eb)
	    WBS_INTERNAL;
int	wbs_env_sync(struct wbs_env *e, struct wbs_errbuf *eb) WBS_INTERNAL;
int	wbs_env_check_format(struct wbs_env *e, MDB_txn *txn,
	    struct wbs_errbuf *eb) WBS_INTERNAL;
int	wbs_env_walk(struct wbs_env *e, struct wbs_errbuf *eb) WBS_INTERNAL;

/* Sync points of map-mode journals (syncpoint.c). */
int	wbs_sp_open(struct wbs_env *e, struct wbs_errbuf *eb) WBS_INTERNAL;
int	wbs_sp_sync(struct wbs_env *e, int closed, struct wbs_errbuf *eb)
	    WBS_INTERNAL;
void	wbs_sp_close(struct wbs_env *e) WBS_INTERNAL;
int	wbs_sp_gate(const char *dir, struct wbs_errbuf *eb) WBS_INTERNAL;

/* A journal opened at a resolved directory with wbs_env_open() flags. */
int	wbs_journal_open_dir(struct wbs_journal **jp, const char *dir,
	    unsigned envflags, char *errbuf, size_t errlen) WBS_INTERNAL;
struct wbs_env *wbs_journal_env(struct wbs_journal *j) WBS_INTERNAL;

/* Interned keys: name <-> id. */
struct wbs_keymap {
	char		**names;	/* by id; names[0] unused */
	size_t		  nnames;
	size_t		  cap;
	uint32_t	 *slots;	/* open addressing: ids, 0 = empty */
	size_t		  nslots;
};

int	 wbs_keymap_lookup(const struct wbs_keymap *km, const char *name,
	    size_t len, uint32_t *idp) WBS_INTERNAL;
int	 wbs_keymap_add(struct wbs_keymap *km, uint32_t id, const char *name,
	    size_t len) WBS_INTERNAL;
int	 wbs_keymap_load(struct wbs_keymap *km, MDB_txn *txn, MDB_dbi dbi,
	    struct wbs_errbuf *eb) WBS_INTERNAL;
void	 wbs_keymap_release(struct wbs_keymap *km) WBS_INTERNAL;
const char *wbs_keymap_name(const struct wbs_keymap *km, uint32_t id)
	    WBS_INTERNAL;

/* Record encoding.  out receives header + payload. */
int	wbs_rec_encode(const Wbs__Record *r, struct wbs_buf *out,
	    struct wbs_buf *scratch, struct wbs_errbuf *eb) WBS_INTERNAL;
int	wbs_rec_decode(const uint8_t *p, size_t len, struct wbs_arena *a,
	    struct wbs_buf *scratch, Wbs__Record **rp, struct wbs_errbuf *eb)
	    WBS_INTERNAL;

/*
 * A writer's key cache: for each item position of the last rows, the id
 * and length of a key that is checked and committed to the key table.
 * Rows of one run mostly repeat their keys in order, so one strcmp with
 * the cached name stands for checking, hashing and looking up the key.
 */
#define WBS_KCACHE_MAX	1024		/* positions cached */
struct wbs_kcache {
	struct wbs_kcent {
		uint32_t	 id;		/* 0: empty */
		uint32_t	 len;
	}			*e;
	size_t			 cap;
	const struct wbs_keymap	*km;
};

/* The id cached at position i if it names key (its length in *lenp). */
static inline uint32_t
wbs_kcache_hit(const struct wbs_kcache *kc, size_t i, const char *key,
    size_t *lenp)
{
	uint32_t id;

	if (kc == NULL || i >= kc->cap || (id = kc->e[i].id) == 0 ||
	    strcmp(kc->km->names[id], key) != 0)
		return 0;
	*lenp = kc->e[i].len;
	return id;
}

void	wbs_kcache_put(struct wbs_kcache *kc, size_t i, uint32_t id,
	    const char *key) WBS_INTERNAL;
void	wbs_kcache_release(struct wbs_kcache *kc) WBS_INTERNAL;

/* Checks shared by writer and reader. */
int	wbs_utf8_valid(const char *s, size_t len) WBS_INTERNAL;
int	wbs_check_key(const char *key, struct wbs_errbuf *eb) WBS_INTERNAL;
int	wbs_check_items(const struct wbs_item *items, size_t n,
	    const struct wbs_kcache *kc, size_t *bytesp,
	    struct wbs_errbuf *eb) WBS_INTERNAL;
int64_t	wbs_now_us(void) WBS_INTERNAL;
int64_t	wbs_mono_ns(void) WBS_INTERNAL;
int	wbs_journal_resolve(const char *path, char *out, size_t len,
	    struct wbs_errbuf *eb) WBS_INTERNAL;
int	wbs_random_id(char *out, size_t len) WBS_INTERNAL;
int	wbs_parse_moment(const char *s, char **runp, int64_t *stepp,
	    struct wbs_errbuf *eb) WBS_INTERNAL;
int	wbs_mkdirs(const char *path, int mode) WBS_INTERNAL;

/* Big-endian sequence keys. */
static inline void
wbs_seq_put(uint8_t k[8], uint64_t seq)
{
	for (int i = 7; i >= 0; i--) {
		k[i] = (uint8_t)seq;
		seq >>= 8;
	}
}

static inline uint64_t
wbs_seq_get(const uint8_t k[8])
{
	uint64_t seq = 0;

	for (int i = 0; i < 8; i++)
		seq = (seq << 8) | k[i];
	return seq;
}

/* Run info <-> protobuf. */
void	wbs_info_from_pb(struct wbs_run_info *ri, const Wbs__RunStart *rs)
	    WBS_INTERNAL;

#endif /* WBS_INT_H */
