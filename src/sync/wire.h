/*
 * wire.h - journal records to W&B's wire form.
 *
 * A struct wire follows one journal from its first record: history rows
 * (assembled by the journal's row rule), summary, config, metric
 * definitions, console and system stats.  With emit off it only keeps
 * state (replaying what an earlier sync already sent); with emit on it
 * stages file-stream lines that wire_body() turns into a request.
 *
 * Line offsets are functions of the records before a point and of the
 * bases the server gave, so replaying up to a committed sequence number
 * reproduces them exactly: a batch sent again after a crash carries the
 * same lines at the same offsets.
 */
#ifndef WBS_SYNC_WIRE_H
#define WBS_SYNC_WIRE_H

#include "buf.h"
#include "console.h"
#include "summary.h"
#include "tree.h"

#define WIRE_LINE_MAX	10383360	/* bytes in one line (W&B's limit) */

/* What a record asks of the caller beyond the lines it made. */
enum wire_event {
	WIRE_NONE = 0,
	WIRE_RUN,	/* a session began: see w->sess, w->branch_* */
	WIRE_ALERT,	/* r->alert */
	WIRE_FILE,	/* r->file */
	WIRE_EXIT,	/* w->exit_code */
	WIRE_PREEMPT	/* the next request carries "preempting" */
};

struct wire_sess {
	int64_t		start_us;
	int64_t		runtime_base_us;
	int64_t		starting_step;
	int		resume;		/* WBS_RESUME_* */
	int		rewind;		/* this session rewinds */
	int		fork;		/* this session forks */
	uint64_t	seq;		/* its RUN record */
};

struct wire_key;
struct wire_row_item;

struct wire {
	int			 emit;
	/* How local numbers map to the server's. */
	int64_t			 step_shift;
	int64_t			 runtime_shift_us;
	int64_t			 hist_base;	/* offset of local row ... */
	int64_t			 hist_base_row;	/* ... number hist_base_row */
	int64_t			 events_base;
	int64_t			 console_base;

	struct wire_sess	 sess;
	int			 nsess;
	uint64_t		 next_seq;	/* after the last record seen */
	int64_t			 created_us;	/* first record's time */
	int64_t			 last_us;	/* last record's time */
	uint64_t		 rows;		/* history rows closed */
	uint64_t		 events;	/* stats lines */
	uint64_t		 dropped;	/* lines over WIRE_LINE_MAX */
	struct cons		 cons;
	struct summ		 summ;
	struct tree		*config;
	struct tree		*env;		/* system metadata */
	int			 config_dirty;
	int			 params_dirty;
	int			 preempt;

	/* Run attributes, latest. */
	char			*name, *notes, *group, *job_type;
	char			*host, *program, *git_remote, *git_commit;
	char			**tags;
	size_t			 ntags;
	char			*branch_run;	/* fork or rewind parent */
	int64_t			 branch_step;
	int			 exit_seen;
	int			 exit_code;
	int64_t			 exit_runtime_ms;

	/* The open row. */
	int			 row_open;
	int64_t			 row_step;
	int64_t			 row_time;
	uint64_t		 row_seq;	/* its first record */
	uint64_t		 row_gen;
	struct wire_row_item	*row;
	size_t			 nrow, rowcap;
	struct buf		 rowstr;	/* string values of the row */

	/* Key cache. */
	struct wire_key		**keys;
	size_t			 nkeys, keycap;
	size_t			*kslots;
	size_t			 nkslots;
	struct wire_key		*kstep, *kruntime, *ktimestamp;

	/* Staged lines, each a JSON string, comma-separated. */
	struct buf		 hist;
	int64_t			 hist_first;
	size_t			 nhist;
	struct buf		 ev;
	int64_t			 ev_first;
	size_t			 nev;
	struct buf		 con;
	int64_t			 con_first;
	size_t			 ncon;
	int			 con_rewrite;	/* re-sends a line sent before */
	struct buf		 tmp;
};

void	wire_init(struct wire *w);
void	wire_release(struct wire *w);

/* Process one record (records come in sequence order). */
enum wire_event wire_record(struct wire *w, const struct wbs_record *r);

/*
 * The data ended.  With final set (no writer can add to it) an open row
 * is closed and becomes a line.
 */
void	wire_end(struct wire *w, int final);

/* Every record below this is fully reflected in the staged lines. */
uint64_t wire_done_seq(const struct wire *w);

/* Bytes staged; 1 if anything (lines, an open console line) is staged. */
size_t	wire_staged(const struct wire *w);
int	wire_pending(const struct wire *w);

/* Offsets the next lines will get. */
int64_t	wire_hist_next(const struct wire *w);
int64_t	wire_events_next(const struct wire *w);
int64_t	wire_console_next(const struct wire *w);

struct wire_batch {
	size_t		lines;		/* history + events + console lines */
	size_t		hist;		/* history lines */
	int		barrier;	/* must not overtake earlier requests */
};

/*
 * Move the staged lines (and the summary, if summary is set) into body as
 * the "files" member of a file-stream request: body gets
 * "\"files\":{...}" or nothing if there is nothing to send.
 */
void	wire_body(struct wire *w, struct buf *body, int summary,
	    const char *summary_base, struct wire_batch *wb);

/* The summary as one JSON object (the wandb-summary.json line). */
void	wire_summary(struct wire *w, struct buf *b, const char *base);

/* The config in backend form, _wandb included; base merged as in summ. */
void	wire_config(struct wire *w, struct buf *b, const char *base);

/* The run's run time in seconds so far. */
int64_t	wire_runtime_s(const struct wire *w);

#endif /* WBS_SYNC_WIRE_H */
