/*
 * syncint.h - the sync engine's insides: the engine, one run, its units
 * (requests in the exactly-once pipeline) and its uploads.
 */
#ifndef WBS_SYNC_INT_H
#define WBS_SYNC_INT_H

#include <sys/queue.h>

#include "buf.h"
#include "cursor.h"
#include "http.h"
#include "sync.h"
#include "gql.h"
#include "wire.h"

#define SYNC_DEPTH		3		/* requests encoded ahead */
#define SYNC_BATCH_MAX		(2 << 20)	/* bytes of lines per request */
#define SYNC_BATCH_MIN		(256 << 10)
#define SYNC_BUDGET		(8 << 20)	/* all runs' batches together */
#define SYNC_COMMIT_EVERY	0.25		/* s between cursor commits */
#define SYNC_SUMMARY_EVERY	5.0		/* s between summaries */
#define SYNC_DEBOUNCE		1.0		/* s before a metadata upsert */
#define SYNC_FILES_PER_CALL	64
#define SYNC_TRIM_EVERY		8192		/* records between map trims */

enum unit_kind { U_BATCH = 0, U_ALERT, U_FINAL };

/* One request whose acknowledgement moves the cursor. */
struct unit {
	enum unit_kind		 kind;
	struct cursor_pos	 pos;		/* the cursor once acked */
	int			 sent;
	int			 acked;
	size_t			 lines;
	size_t			 records;
	struct buf		 body;
	struct cursor_file	*uploaded;	/* reported in this request */
	size_t			 nuploaded;
	struct srun		*run;
	struct http_req		*req;
	TAILQ_ENTRY(unit)	 link;
};
TAILQ_HEAD(unitq, unit);

enum upl_state { UPL_QUEUED = 0, UPL_URL, UPL_PUT, UPL_DONE, UPL_FAILED };

/* A file to upload: from files/ or generated in memory. */
struct upload {
	char			*path;		/* relative to files/ */
	char			*full;		/* on disk, or NULL */
	struct buf		 data;		/* generated content */
	int64_t			 size;
	int64_t			 mtime_ns;
	enum upl_state		 state;
	struct http_req		*req;
	struct srun		*run;
	TAILQ_ENTRY(upload)	 link;
};
TAILQ_HEAD(uploadq, upload);

enum run_phase {
	P_QUEUED = 0,
	P_CREATE,	/* resume / rewind / upsert before streaming */
	P_STREAM,
	P_REWIND,	/* a later session rewinds: drain, then RewindRun */
	P_FINISH,	/* exit seen: files, then complete */
	P_DONE
};

struct srun {
	struct sync_engine	*e;
	char			*path;
	char			*rundir;	/* holds files/ */
	struct wbs_journal	*j;
	struct wbs_iter		*it;
	struct sync_info	 info;
	char			 reason[512];
	char			 url[1024];
	char			*id;		/* run id (override or own) */
	char			*entity;	/* as configured, may be NULL */
	char			*project;
	char			 dest[1100];
	struct cursor		 cur;		/* last committed */
	int			 dirty;		/* cur changed, not committed */
	ev_tstamp		 last_commit;
	struct wire		 w;
	enum run_phase		 phase;
	int			 step;		/* step inside P_CREATE */
	int			 live;		/* a writer has the journal */
	int			 at_end;	/* read everything there was */
	int			 eof_final;	/* ... and nothing can follow */
	int			 summary_sent;	/* in this process */
	ev_tstamp		 summary_at;
	uint64_t		 start_seq;
	uint64_t		 last_seq;
	struct unitq		 units;
	size_t			 nunits;
	size_t			 inflight_bytes;
	uint64_t		 lines;		/* acknowledged in this sync */
	uint64_t		 records_done;
	struct http_req		*gql;		/* lifecycle request */
	struct buf		 gqlbody;
	struct gql_resume	*resume;	/* during P_CREATE */
	int64_t			 rewind_step;	/* during P_REWIND */
	int64_t			 rewind_starting;
	/* Metadata upserts. */
	ev_timer		 debounce;
	struct http_req		*upsert;
	struct buf		 upsertbody;
	int			 upsert_dirty;
	/* Alerts waiting their turn. */
	struct buf		 alertbody;
	/* Files. */
	struct uploadq		 uploads;
	struct http_req		*urlreq;	/* CreateRunFiles in flight */
	struct buf		 urlbody;
	struct cursor_file	*done_files;	/* uploaded, not reported */
	size_t			 ndone_files;
	int			 upload_errors;
	char			**end_files;	/* END/LIVE: upload at finish */
	int			*end_policy;
	size_t			 nend_files;
	int			 final_queued;
	int			 in_pump;
	int			 pump_again;
	uint64_t		 trim_at;	/* records read at last trim */
	uint64_t		 nread;
	ev_timer		 commit_timer;
	TAILQ_ENTRY(srun)	 link;
};
TAILQ_HEAD(srunq, srun);

struct sync_engine {
	struct sync_opts	 o;
	struct ev_loop		*loop;
	struct http		*http;
	char			 base_url[1024];
	char			*api_key;
	struct srun		**runs;
	size_t			 nruns;
	size_t			 next;		/* next run to start */
	int			 active;
	size_t			 batch;		/* bytes per request */
	int			 stop;
};

/* srun.c */
struct srun	*srun_new(struct sync_engine *e, const char *path);
void		 srun_free(struct srun *r);
void		 srun_start(struct srun *r);
void		 srun_pump(struct srun *r);
void		 srun_fail(struct srun *r, enum sync_state st, const char *kind,
		    int status, const char *fmt, ...)
		    __attribute__((__format__(__printf__, 5, 6)));
void		 srun_commit(struct srun *r, int force);
void		 srun_snapshot(struct srun *r, struct cursor_pos *p);
void		 srun_event(struct srun *r, enum sync_event ev);
void		 srun_request_failed(struct srun *r, struct http_req *q,
		    const char *what);
struct http_req	*srun_gql(struct srun *r, struct buf *body, int upsert,
		    http_done_fn *done, void *arg);

/* create.c */
void		 create_begin(struct srun *r);
void		 create_rewind_later(struct srun *r);
void		 create_upsert_now(struct srun *r);
void		 create_debounce(struct srun *r);

/* upload.c */
void		 upload_file(struct srun *r, const char *path, int policy);
void		 upload_generated(struct srun *r, const char *path,
		    const char *data, size_t len);
void		 upload_finish_files(struct srun *r);
void		 upload_pump(struct srun *r);
int		 upload_busy(const struct srun *r);
void		 upload_cancel(struct srun *r);

#endif /* WBS_SYNC_INT_H */
