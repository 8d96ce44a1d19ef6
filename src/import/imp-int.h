/*
 * imp-int.h - internals of the .wandb importer (src/import).
 *
 * xjson.c parses W&B's extended JSON (NaN, Infinity, -Infinity) into
 * items; items.c holds the scratch memory, key paths, media regrouping and
 * the summary tracker; meta.c turns run, telemetry and environment
 * records into options and metadata; map.c maps each record to writer
 * calls; import.c finds logs, keeps the cursor and drives it all.
 */
#ifndef WBS_IMP_INT_H
#define WBS_IMP_INT_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "wbstore/wbstore.h"
#include "wandb.pb-c.h"
#include "import.h"

/* ------------------------------------------------------------------ */
/* Scratch memory, reset for every record. */

struct imp_chunk;

struct imp_arena {
	char		 *buf;
	size_t		  len;
	size_t		  cap;
	struct imp_chunk *big;		/* allocations that did not fit */
};

void	*imp_alloc(struct imp_arena *a, size_t n);
char	*imp_strndup(struct imp_arena *a, const char *s, size_t n);
void	 imp_arena_reset(struct imp_arena *a);
void	 imp_arena_release(struct imp_arena *a);
/* A protobuf-c allocator drawing from a (frees are no-ops). */
void	 imp_arena_pb(struct imp_arena *a, ProtobufCAllocator *pa);

/* Items under construction for one writer call. */
struct imp_items {
	struct wbs_item	*v;
	size_t		 n;
	size_t		 cap;
};

int	imp_items_add(struct imp_items *it, const char *key,
	    const struct wbs_value *v);
void	imp_items_release(struct imp_items *it);

/* A W&B item (history, summary or config): key or nested_key, value. */
struct imp_kv {
	const char	*key;		/* flat key, or NULL */
	char *const	*nested;
	size_t		 nnested;
	const char	*json;
	size_t		 jsonlen;
};

/* ------------------------------------------------------------------ */
/* Extended JSON (xjson.c). */

#define XJ_FLAT		0x1	/* objects merge as subtrees */
#define XJ_DOTS		0x2	/* join subtree keys with "." (stats) */
#define XJ_ONE		0x4	/* with XJ_FLAT: one level only */

/*
 * Append the items of the JSON text s[0..len) at key base: a scalar is
 * one typed item; an object (with XJ_FLAT; not empty, no "_type" member,
 * member names usable as key components) one item per member,
 * recursively; anything else one WBS_JSON item holding the text
 * verbatim.  0, or -1 if s is not valid JSON (nothing appended).  Keys
 * and unescaped strings live in a.
 */
int	xj_items(const char *s, size_t len, const char *base, unsigned flags,
	    struct imp_items *out, struct imp_arena *a);
/* Parse a JSON scalar; -1 if s is not one (objects and arrays included). */
int	xj_scalar(const char *s, size_t len, struct wbs_value *v,
	    struct imp_arena *a);
/* 1 if s[0..len) is one valid JSON value. */
int	xj_valid(const char *s, size_t len, struct imp_arena *a);
/* 1 if s[0..len) is valid UTF-8. */
int	imp_utf8(const char *s, size_t len);
/* 1 if s[0..len) can be a key component (non-empty, no control bytes). */
int	imp_component(const char *s, size_t len);
/* Append s as a JSON string literal to a growing arena string. */
struct imp_str {
	char	*p;
	size_t	 len;
	size_t	 cap;
};
void	imp_str_add(struct imp_str *s, const char *p, size_t n);
void	imp_str_adds(struct imp_str *s, const char *p);
void	imp_str_json(struct imp_str *s, const char *p, size_t n);
void	imp_str_release(struct imp_str *s);
/* A 64-bit hash of p[0..n) continuing from h (not cryptographic). */
uint64_t imp_hash(uint64_t h, const void *p, size_t n);

/* ------------------------------------------------------------------ */
/* Summary tracker (items.c): the summary a journal derives so far. */

struct trk_slot;

struct trk {
	struct trk_slot	*slots;
	size_t		 nslots;
	size_t		 used;		/* live + deleted */
	size_t		 live;
};

/* Set key to v; 1 if that changed it, 0 if it already held v. */
int	trk_set(struct trk *t, const char *key, const struct wbs_value *v);
/* Forget key and everything below it. */
void	trk_remove(struct trk *t, const char *key);
/* Call fn for each key strictly below path. */
void	trk_below(struct trk *t, const char *path,
	    void (*fn)(const char *key, void *arg), void *arg);
void	trk_release(struct trk *t);

/* ------------------------------------------------------------------ */
/* The importer of one log. */

struct imp {
	const struct import_opts *o;
	struct import_run	*ir;
	const char		*name;		/* log name for messages */
	const char		*files_dir;	/* the run's files/ */
	struct wbs_run		*run;
	uint64_t		 recno;		/* record being mapped, from 1 */
	int64_t			 t_us;		/* time of the current record */
	int64_t			 start_us;	/* run start, 0 unknown */
	unsigned		 notices;
	int			 fatal;		/* a writer error stops it */
	int			 config0;	/* initial config given */

	/* The exit record, applied when the log ends. */
	int			 exit_seen;
	int			 exit_code;
	int64_t			 exit_runtime_s;

	/* Attributes as last written, to record only changes. */
	char			*name_v, *notes_v, *group_v, *job_v;
	char			*tags_v;	/* tags joined by "\n" */
	char			*telemetry;	/* last _wandb.t JSON */

	struct imp_arena	 a;
	struct imp_items	 it;
	struct imp_kv		*kv;
	size_t			 nkv, kvcap;
	struct trk		 trk;
	char			 msg[IMPORT_ERRMAX];
};

__attribute__((__format__(__printf__, 2, 3)))
void	imp_notice(struct imp *im, const char *fmt, ...);
/*
 * Check a writer call's result: 0 goes on; a refusal of the record (bad
 * argument, UTF-8, size, step) is counted and noticed and goes on too;
 * anything else (no space, I/O, corruption) is fatal: im->fatal is set,
 * im->msg says why, and the result is returned.
 */
int	imp_check(struct imp *im, int rc, const char *what);
/* Set the writer's clock to im->t_us. */
void	imp_clock(struct imp *im);

/* items.c: W&B items to key/value lists. */
int	imp_kv_load(struct imp *im, size_t n, void *const *items);
int	imp_kv_regroup(struct imp *im);
/* Key path of a kv in the arena (NULL: unusable, counted as dropped). */
const char *imp_kv_path(struct imp *im, const struct imp_kv *kv);

/* meta.c */
int	imp_run_opts(struct imp *im, const WbsWandb__RunRecord *rr,
	    const WbsWandb__EnvironmentRecord *env, struct wbs_opts *opts,
	    const char *id);
int	imp_config_items(struct imp *im, size_t n, void *const *items,
	    struct imp_items *out);
int	imp_telemetry(struct imp *im, const WbsWandb__TelemetryRecord *t);
int	imp_environment(struct imp *im, const WbsWandb__EnvironmentRecord *e);
int	imp_run_update(struct imp *im, const WbsWandb__RunRecord *rr);
int	imp_run_opened(struct imp *im, const WbsWandb__RunRecord *rr);
void	imp_meta_release(struct imp *im);
int64_t	imp_ts_us(const WbsWandb__Timestamp *ts);

/* map.c */
int	imp_type(const WbsWandb__Record *rec);
/* Map one decoded record; 0 or a fatal writer error. */
int	imp_record(struct imp *im, const WbsWandb__Record *rec);
/* Apply a deferred exit; 0 or a fatal writer error. */
int	imp_finish(struct imp *im);

#endif /* WBS_IMP_INT_H */
