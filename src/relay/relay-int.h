/*
 * relay-int.h - the relay's modules and what they share.
 *
 *   relay.c	HTTP: libmicrohttpd on libev, routing, auth, limits, faults
 *   auth.c	API keys and HTTP Basic auth
 *   fault.c	fault injection rules
 *   gql.c	GraphQL dispatch and the small operations
 *   upsert.c	UpsertBucket: create, update, fork
 *   branch.c	fork seeding, rewind, copying records between journals
 *   fstream.c	file_stream bodies: parsing and checking
 *   ingest.c	writing history, events, console, summary, config, exit
 *   view.c	reading a run back: summary, config, tails
 *   upload.c	PUT of run files and artifact files
 *   store.c	the run index, journal and writer handles, line counts
 *   keyset.c	string sets
 *   conv.c	JSON lines to typed items; jscan.c the scanner; arena.c
 */
#ifndef WBS_RELAY_INT_H
#define WBS_RELAY_INT_H

#include <stddef.h>
#include <stdint.h>

#include <ev.h>
#include <jansson.h>

#include "wbstore/wbstore.h"
#include "buf.h"
#include "jscan.h"
#include "relay.h"
#include "tree.h"

#define RELAY_BODY_MAX	(16u << 20)	/* GraphQL and file_stream bodies */
#define RELAY_LINE_MAX	10383360	/* W&B's file_stream line limit */
#define RELAY_ERR	512

/* ---- arena.c ---- */
struct arena {
	struct arena_blk	*head;
	size_t			 total;
};
void	*arena_alloc(struct arena *a, size_t n);
char	*arena_strndup(struct arena *a, const char *p, size_t n);
void	 arena_reset(struct arena *a);
void	 arena_release(struct arena *a);

/* ---- conv.c ---- */
struct itemvec {
	struct wbs_item	*v;
	size_t		 n;
	size_t		 cap;
};

enum conv_kind {
	CONV_HISTORY,
	CONV_EVENTS,
	CONV_SUMMARY,
	CONV_CONFIG
};

struct conv {
	struct arena	*ar;
	struct itemvec	*iv;
	int		 kind;
	int		 has_step;
	int64_t		 step;
	size_t		 row_bytes;
	char		 err[256];
};

int	conv_line(struct conv *c, char *p, size_t len);
int	conv_config(struct conv *c, char *p, size_t len);

/* ---- keyset.c ---- */
struct keyset {
	char		**slots;
	size_t		  nslots;
	size_t		  n;
};
int	 keyset_add(struct keyset *ks, const char *key);
int	 keyset_has(const struct keyset *ks, const char *key);
void	 keyset_clear(struct keyset *ks);
uint64_t hash64(const void *p, size_t n, uint64_t h);
#define HASH64_INIT	0xcbf29ce484222325ull

/* ---- store.c ---- */
struct rrun {
	struct rrun	*next;		/* hash chain */
	char		*id;
	char		*dir;		/* run directory */
	int		 loaded;	/* j open, counts valid */
	char		*project;
	char		*entity;	/* as stored: "" means the default */
	struct wbs_journal *j;		/* RDWR journal, open while loaded */
	struct wbs_run	*w;		/* writer, open while writing */
	uint64_t	 seq;		/* records accounted for */
	uint64_t	 hist;		/* lines of wandb-history.jsonl */
	uint64_t	 events;	/* lines of wandb-events.jsonl */
	uint64_t	 out;		/* lines of output.log */
	uint64_t	 hist_seq;	/* last history record */
	uint64_t	 events_seq;	/* last stats record */
	uint64_t	 sum_hash;	/* last summary line, 0 unknown */
	uint64_t	 cfg_hash;	/* last config document, 0 unknown */
	int		 finished;	/* exit recorded in this session */
	int		 preempted;	/* preempting recorded in this session */
	int		 dirty;		/* cursor needs saving */
	char		 token[33];	/* upload URL secret */
	uint64_t	*outh;		/* hash of each output line, or NULL */
	size_t		 outh_cap;
	struct keyset	*hkeys;		/* keys ever logged, or NULL */
	struct keyset	 skeys;		/* keys of the last summary */
	struct tree	*config;	/* current config, or NULL */
	struct keyset	*fkeys;		/* file paths registered, or NULL */
	uint64_t	 alert_hash;	/* last alert, against re-sends */
	char		*reopen_attr[4]; /* host, program, repo, commit */
	int		 reopen;	/* open a new writer session */
	double		 used;		/* last use (ev_now) */
};

struct store {
	char		 *root;
	char		 *wdir;		/* root/wandb */
	char		 *tmp;		/* root/.relay-tmp */
	char		 *entity;	/* default entity */
	struct rrun	**tab;
	size_t		  nbuckets;
	size_t		  nruns;
	int		  serial;	/* for temporary names */
};

int	 store_open(struct store **sp, const char *root, const char *entity,
	    char *err, size_t errlen);
void	 store_close(struct store *s);
struct rrun *store_find(struct store *s, const char *id);
int	 store_load(struct store *s, struct rrun *rr, char *err, size_t errlen);
int	 store_writer(struct store *s, struct rrun *rr, char *err,
	    size_t errlen);
void	 store_unload(struct store *s, struct rrun *rr);
void	 store_forget(struct store *s, struct rrun *rr);
struct rrun *store_add(struct store *s, const char *id, const char *dir);
int	 store_create(struct store *s, const char *id, struct wbs_opts *o,
	    struct rrun **rrp, char *err, size_t errlen);
void	 store_save(struct store *s, struct rrun *rr);
void	 store_sweep(struct store *s, double now, double idle);
int	 store_match(const struct store *s, const struct rrun *rr,
	    const char *entity, const char *project);
const char *store_entity(const struct store *s, const struct rrun *rr);
int	 store_stopped(const struct rrun *rr);
int	 store_opts(struct store *s, struct wbs_opts **op, const char *id,
	    const char *project, const char *entity, char *err, size_t errlen);
int	 store_new_id(struct store *s, const char *base, char *out,
	    size_t len);
int	 store_rmtree(const char *path);
int	 store_outh_load(struct store *s, struct rrun *rr);
void	 store_storage_id(const struct rrun *rr, struct buf *b);
int	 store_parse_storage_id(const char *sid, char *id, size_t len);
const char *console_body(const char *t, size_t n, int64_t count,
	    size_t *lenp, int64_t *back);
uint64_t store_out_hash(int stream, const char *p, size_t n);
void	 store_random_hex(char out[33]);

/* ---- ingest.c ---- */
struct fsline {
	char		*text;		/* decoded line (mutable) */
	size_t		 len;
	size_t		 item0;		/* first item in the batch's vector */
	size_t		 nitems;
	int64_t		 step;
	int		 has_step;
	int		 stream;	/* output.log: WBS_STDOUT/WBS_STDERR */
};

enum fs_file {
	FS_HISTORY,
	FS_EVENTS,
	FS_SUMMARY,
	FS_OUTPUT,
	FS_NFILES
};

struct fsfile {
	int		 present;
	uint64_t	 offset;
	struct fsline	*lines;
	size_t		 n;
};

struct fsbatch {
	struct fsfile	 f[FS_NFILES];
	int		 complete;
	int		 has_exitcode;
	int		 exitcode;
	int		 failed;
	int		 preempting;
	size_t		 nuploaded;
	struct arena	*ar;
	struct itemvec	*iv;
	uint64_t	 skipped[FS_NFILES];
};

int	ingest_batch(struct store *s, struct rrun *rr, struct fsbatch *b,
	    char *err, size_t errlen);
int	ingest_summary_text(struct store *s, struct rrun *rr,
	    struct arena *ar, struct itemvec *iv, const char *text,
	    size_t len, char *err, size_t errlen);
int	ingest_config(struct store *s, struct rrun *rr, struct arena *ar,
	    struct itemvec *iv, const char *text, size_t len, char *err,
	    size_t errlen);
int	ingest_config_load(struct store *s, struct rrun *rr);
int	ingest_summary_keys(struct store *s, struct rrun *rr);

/* ---- view.c ---- */
int	view_summary(struct rrun *rr, struct buf *out, char *err,
	    size_t errlen);
void	view_config(struct rrun *rr, struct buf *out);
int	view_history_tail(struct rrun *rr, struct buf *out);
int	view_events_tail(struct rrun *rr, struct buf *out);
void	view_wandb_config(struct rrun *rr, struct buf *out);

/* ---- branch.c ---- */
int	branch_seed(struct store *s, struct rrun *parent, struct wbs_run *w,
	    int64_t step, uint64_t *rowsp, char *err, size_t errlen);
int	branch_rewind(struct store *s, struct rrun *rr, int64_t step,
	    char *err, size_t errlen);
void	branch_recover(struct store *s);

/* ---- auth.c ---- */
struct auth;
int	auth_load(struct auth **ap, const char *file, char *err,
	    size_t errlen);
void	auth_free(struct auth *a);
int	auth_check(const struct auth *a, const char *header);

/* ---- fault.c ---- */
enum fault_act {
	FA_NONE,
	FA_STATUS,	/* answer with a status, nothing processed */
	FA_CLOSE,	/* close the connection, nothing processed */
	FA_DELAY,	/* wait, then process normally */
	FA_DROP,	/* process, then close without answering */
	FA_OK		/* process normally (a step in a sequence) */
};

struct fault_hit {
	int		 act;		/* enum fault_act */
	int		 status;
	double		 retry_after;	/* < 0: none */
	double		 delay;
	long		 rl_remaining;	/* < 0: no RateLimit headers */
	double		 rl_reset;
	char		 desc[96];
};

struct faults;
int	fault_load(struct faults **fp, const char *file, char *err,
	    size_t errlen);
void	fault_free(struct faults *f);
int	fault_pick(struct faults *f, const char *endpoint, const char *op,
	    struct fault_hit *hit);

/* ---- relay.c: what handlers need ---- */
struct relay {
	struct relay_conf	 conf;
	char			*listen;
	char			*store_dir;
	char			*port_file;
	char			*url;
	char			*entity;
	struct ev_loop		*loop;
	struct MHD_Daemon	*mhd;
	int			 lfd;
	unsigned		 port;
	char			 host[128];	/* listen address for URLs */
	ev_io			 io;
	ev_timer		 tmo;
	ev_prepare		 prep;
	ev_timer		 sweep;
	struct auth		*auth;
	struct faults		*faults;
	struct store		*store;
	struct arena		 ar;		/* per request */
	struct itemvec		 iv;		/* per request */
	struct work		*work;		/* decoding threads, or NULL */
	size_t			 offload_min;	/* smaller bodies: on the loop */
	struct offload		*spare;		/* offload contexts to reuse */
	int			 nspare;
	int			 stopping;
};

/* A reply being built by a handler. */
struct reply {
	int		 status;
	struct buf	 body;		/* JSON */
	int		 stopped;
};

void	reply_error(struct reply *rp, int status, const char *fmt, ...)
	    __attribute__((__format__(__printf__, 3, 4)));
void	reply_gql_error(struct reply *rp, int status, const char *fmt, ...)
	    __attribute__((__format__(__printf__, 3, 4)));
void	relay_base_url(struct relay *r, const char *hosthdr, struct buf *b);
void	url_escape(struct buf *b, const char *s, int keep_slash);

int	gql_handle(struct relay *r, const char *body, size_t len,
	    const char *hosthdr, struct reply *rp, char *opname,
	    size_t oplen);
int	gql_op_name(const char *q, char *out, size_t len);
int	gql_peek_op(const char *body, size_t len, char *out, size_t outlen);
int	gql_var_str(json_t *vars, const char *name, const char **out,
	    struct reply *rp);
json_t	*gql_strn(const char *p, size_t n);
json_t	*gql_str(const char *s);
json_t	*gql_node_id(const char *kind, const char *name);
int	upsert_handle(struct relay *r, json_t *vars, json_t *data,
	    struct reply *rp);
json_t	*upsert_bucket_json(struct relay *r, struct rrun *rr);
/* A file_stream body decoded apart from the store (fstream.c). */
enum fsjob_failed {
	FSJ_OK,
	FSJ_ENVELOPE,	/* the request's own fields */
	FSJ_LINES	/* a line of one of the files */
};

struct fsjob {
	char		*body;		/* NUL-terminated, len bytes */
	size_t		 len;
	struct fsbatch	 b;		/* b.ar and b.iv set by the caller */
	struct reply	 rp;		/* why decoding failed */
	int		 failed;	/* enum fsjob_failed */
};

void	fstream_decode(struct fsjob *j);
int	fstream_apply(struct relay *r, const char *entity,
	    const char *project, const char *id, struct fsjob *j,
	    struct reply *rp);
int	fstream_handle(struct relay *r, const char *entity,
	    const char *project, const char *id, char *body, size_t len,
	    struct reply *rp);

/* ---- work.c ---- */
struct wjob {
	struct wjob	*next;
	int		 finished;
	void		(*run)(struct wjob *);	/* on a thread */
	void		(*done)(struct wjob *);	/* then on the loop */
};

struct work;
int	work_new(struct work **wp, struct ev_loop *loop, int nthreads,
	    char *err, size_t errlen);
void	work_submit(struct work *w, struct wjob *j);
void	work_drain(struct work *w);
void	work_free(struct work *w);
int	upload_check_path(const char *path, char *err, size_t errlen);
int	upload_file_type(const char *path);

#endif /* WBS_RELAY_INT_H */
