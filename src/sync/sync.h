/*
 * sync.h - the sync engine: journals to a W&B-compatible server, exactly
 * once, honouring the server's throttling.  One libev loop drives every
 * run; see src/sync/README for the protocol mapping and the cursor.
 */
#ifndef WBS_SYNC_H
#define WBS_SYNC_H

#include <stdint.h>
#include <stdio.h>

#include <ev.h>

#include "wbstore/wbstore.h"

/* Where a run stands. */
enum sync_state {
	SYNC_QUEUED = 0,
	SYNC_ACTIVE,
	SYNC_SYNCED,	/* everything sent; finished on the server */
	SYNC_UPTODATE,	/* everything sent; the run stays running */
	SYNC_SKIPPED,	/* nothing to do (already synced) */
	SYNC_STOPPED,	/* the server refused (credentials, gone, ...) */
	SYNC_FAILED	/* a local problem (journal, disk) */
};

/* What a progress display gets (borrowed; valid while the engine is). */
struct sync_info {
	const char	*path;		/* as given */
	const char	*id;		/* run id on the server */
	const char	*entity;
	const char	*project;
	const char	*name;		/* display name */
	const char	*url;		/* run page */
	enum sync_state	 state;
	const char	*reason;	/* why skipped/stopped/failed, or "" */
	int		 exit_code;	/* sent with complete, -1 if none */
	uint64_t	 lines;		/* lines acknowledged in this sync */
	uint64_t	 lines_total;	/* lines + an estimate of the rest */
	uint64_t	 records_done;	/* records acknowledged */
	uint64_t	 records_total;
	double		 started;	/* ev_time() */
	double		 elapsed;	/* s, so far or in all */
	double		 retry_in;	/* > 0: waiting to retry */
	const char	*retry_why;
};

enum sync_event {
	SYNC_EV_START,
	SYNC_EV_PROGRESS,
	SYNC_EV_RETRY,
	SYNC_EV_DONE
};

struct sync_engine;
typedef void sync_event_fn(struct sync_engine *e, const struct sync_info *si,
    enum sync_event ev, void *arg);

struct sync_opts {
	struct ev_loop	*loop;		/* NULL: the default loop */
	const char	*base_url;	/* NULL: $WANDB_BASE_URL, config, ... */
	const char	*entity;	/* overrides */
	const char	*project;
	const char	*run_id;
	int		 jobs;		/* runs at once (default 4) */
	int		 host_max;	/* requests at once per host (6) */
	int		 max_retries;	/* per request (default 20) */
	double		 timeout_s;	/* per attempt (default 120) */
	int		 no_mark_synced;
	int		 include_synced;
	int		 finish_crashed;
	int		 insecure;
	FILE		*view;		/* print requests here, send none */
	sync_event_fn	*on_event;
	void		*arg;
};

/*
 * A new engine.  Without view it needs an API key (see cred.h); on
 * failure NULL with the reason in err.
 */
struct sync_engine *sync_new(const struct sync_opts *o, char *err,
		    size_t errlen);
void		 sync_free(struct sync_engine *e);

/* Queue a journal (a journal or run directory). */
void		 sync_add(struct sync_engine *e, const char *path);

/* Run the loop until every queued run is done; the number not synced. */
int		 sync_run(struct sync_engine *e);

size_t		 sync_count(const struct sync_engine *e);
const struct sync_info *sync_get(struct sync_engine *e, size_t i);
/* The base URL in use. */
const char	*sync_base_url(const struct sync_engine *e);

/* Word for a state: "synced", "up to date", ... */
const char	*sync_state_name(enum sync_state s);

/*
 * The sync status of a journal for the default destination (base URL
 * from the environment or config, the run's entity and project), for
 * listings: "-" (never), "synced", "partial", "running" (all sent, not
 * finished) or "stopped: REASON".  Short, at most len bytes.
 */
void		 sync_status(struct wbs_journal *j, char *out, size_t len);

/* The web page of a run: the app URL of base_url + entity/project/id. */
void		 sync_run_url(char *out, size_t len, const char *base_url,
		    const char *entity, const char *project, const char *id);

#endif /* WBS_SYNC_H */
