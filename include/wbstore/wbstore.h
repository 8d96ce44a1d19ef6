/*
 * wbstore.h - offline-first run store for machine-learning experiments.
 *
 * A training process records its run (config, metric history, summary,
 * metric definitions, system stats, console output, files, exit code) into
 * a per-run journal on local disk.  Other processes read the journal back
 * and keep per-destination sync cursors in it.
 *
 * Rules for every function below:
 *  - Fallible calls return 0 or a negative enum wbs_err.  On failure,
 *    out-parameters are untouched and the handle's errmsg has the detail
 *    (wbs_run_errmsg(), wbs_journal_errmsg()).
 *  - Handles from *_open() and *_new() belong to the caller; *_close() and
 *    *_free() accept NULL.
 *  - Inputs are borrowed for the duration of the call and copied if kept.
 *  - Returned const pointers are borrowed: valid until the next call on the
 *    same handle (or until the handle is closed, where so stated).
 *  - A handle is used by one thread at a time.
 *  - The library never writes to stdout or stderr, never aborts and never
 *    exits; it logs only through the callback set with wbs_set_log().
 *
 * Durability contract (writer):
 *  - A logging call that returned 0 has been committed to the journal and
 *    survives kill -9 of the calling process at any later moment.
 *  - An OS crash or power loss loses at most the last sync interval
 *    (WBS_OPT_SYNC_INTERVAL, default 1000 ms) of committed calls of a
 *    journal in write mode or with an interval of 0, and leaves it
 *    intact.  In map mode with an interval (the default) it can leave the
 *    journal damaged: wbs_journal_verify() reports it.  See the README.
 *
 * Watching: commits go through a shared mapping and raise no inotify
 * event, so a writer also writes one byte to the journal's "doorbell" file
 * at most every 50 ms while it appends (and once more within the sync
 * interval for appends the rate limit held back).  Watch that file.
 *
 * Keys.  An item key is a path: components are separated by WBS_SEP (the
 * ASCII unit separator), so {"val": {"loss": 1}} is the key
 * "val" WBS_SEP "loss".  A "/" or "." inside a component is an ordinary
 * character, as in W&B ("train/loss" is one flat key).  Each component is
 * non-empty valid UTF-8 without control characters; a whole key is at most
 * WBS_KEY_MAX bytes.
 */
#ifndef WBSTORE_H
#define WBSTORE_H

#include <stddef.h>
#include <stdint.h>

#include <wbstore/version.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define WBS_NONNULL(...)	__attribute__((__nonnull__(__VA_ARGS__)))
#define WBS_WUR		__attribute__((__warn_unused_result__))
#define WBS_EXPORT	__attribute__((__visibility__("default")))
#else
#define WBS_NONNULL(...)
#define WBS_WUR
#define WBS_EXPORT
#endif

/* Error codes.  Values are ABI: they are append-only and never change. */
enum wbs_err {
	WBS_OK = 0,
	WBS_ENOMEM = -1,	/* allocation failed */
	WBS_EINVAL = -2,	/* bad argument (errmsg names it) */
	WBS_EIO = -3,		/* system call failed; errmsg has strerror */
	WBS_ENOSPC = -4,	/* no space left on the journal's filesystem */
	WBS_ENOTFOUND = -5,	/* run, journal or cursor does not exist */
	WBS_EEXIST = -6,	/* run exists and resume=never */
	WBS_EVERSION = -7,	/* journal format newer than this library */
	WBS_ECORRUPT = -8,	/* journal damaged (errmsg says where) */
	WBS_ETOOBIG = -9,	/* value over 1 MiB or row over 25 MiB */
	WBS_ESTEP = -10,	/* step lower than the run's current step */
	WBS_EFINISHED = -11,	/* run already finished */
	WBS_EUTF8 = -12,	/* string is not valid UTF-8 */
	WBS_ERDONLY = -13,	/* handle opened read-only */
	WBS_ELOCKED = -14	/* lock held by another process */
};

/* Name of an error code: "WBS_ENOSPC: no space left on device". */
WBS_EXPORT const char	*wbs_strerror(int err);

/* Library version as "MAJOR.MINOR.PATCH". */
WBS_EXPORT const char	*wbs_version(void);

/*
 * Optional log sink for rare internal events (map growth, recovery).
 * prio is a syslog priority (3 error, 4 warning, 6 info, 7 debug).
 * The callback must not call back into the library.  Process-wide.
 */
typedef void wbs_log_fn(int prio, const char *msg, void *arg);
WBS_EXPORT void	wbs_set_log(wbs_log_fn *fn, void *arg);

#define WBS_SEP		"\x1f"	/* key path separator */
#define WBS_SEP_CHAR	'\x1f'
#define WBS_KEY_MAX	1024	/* bytes in a key, separators included */
#define WBS_VALUE_MAX	(1 << 20)	/* bytes in one value (W&B limit) */
#define WBS_ROW_MAX	(25 << 20)	/* bytes in one history row */

/* Value types.  ABI: append-only. */
enum wbs_type {
	WBS_NULL = 0,
	WBS_DOUBLE = 1,		/* NaN and +-Infinity are ordinary values */
	WBS_INT = 2,
	WBS_BOOL = 3,
	WBS_STRING = 4,		/* UTF-8 */
	WBS_JSON = 5,		/* a JSON document (W&B's extended JSON) */
	WBS_BYTES = 6
};

struct wbs_value {
	int	type;		/* enum wbs_type */
	union {
		double	d;
		int64_t	i;
		int	b;
		struct {
			const char	*ptr;
			size_t		 len;
		} s;		/* STRING, JSON, BYTES */
	} u;
};

struct wbs_item {
	const char		*key;	/* a path, see "Keys" above */
	struct wbs_value	 v;
};

/* Item constructors for C callers. */
#define WBS_DOUBLE_ITEM(k, x)	((struct wbs_item){ .key = (k), \
	.v = { .type = WBS_DOUBLE, .u = { .d = (x) } } })
#define WBS_INT_ITEM(k, x)	((struct wbs_item){ .key = (k), \
	.v = { .type = WBS_INT, .u = { .i = (x) } } })
#define WBS_BOOL_ITEM(k, x)	((struct wbs_item){ .key = (k), \
	.v = { .type = WBS_BOOL, .u = { .b = !!(x) } } })
#define WBS_STRING_ITEM(k, x)	((struct wbs_item){ .key = (k), \
	.v = { .type = WBS_STRING, .u = { .s = { (x), __builtin_strlen(x) } } } })
#define WBS_JSON_ITEM(k, x)	((struct wbs_item){ .key = (k), \
	.v = { .type = WBS_JSON, .u = { .s = { (x), __builtin_strlen(x) } } } })

/* ---------------------------------------------------------------------
 * Opening a run for writing.
 */

/* Options.  ABI: append-only. */
enum wbs_opt {
	WBS_OPT_DIR = 1,	/* root dir; journals go to DIR/wandb (WANDB_DIR) */
	WBS_OPT_PROJECT,	/* WANDB_PROJECT; default "uncategorized" */
	WBS_OPT_ENTITY,		/* WANDB_ENTITY */
	WBS_OPT_ID,		/* WANDB_RUN_ID; default: 8 random [a-z0-9] */
	WBS_OPT_NAME,		/* WANDB_NAME (display name) */
	WBS_OPT_NOTES,		/* WANDB_NOTES */
	WBS_OPT_GROUP,		/* WANDB_RUN_GROUP */
	WBS_OPT_JOB_TYPE,	/* WANDB_JOB_TYPE */
	WBS_OPT_TAGS,		/* WANDB_TAGS: comma-separated */
	WBS_OPT_RESUME,		/* WANDB_RESUME: allow, must, never, auto */
	WBS_OPT_FORK_FROM,	/* "RUN?_step=N" */
	WBS_OPT_RESUME_FROM,	/* "RUN?_step=N" (rewind) */
	WBS_OPT_MODE,		/* WANDB_MODE: online, offline, disabled */
	WBS_OPT_HOST,		/* default: gethostname() */
	WBS_OPT_PROGRAM,	/* WANDB_PROGRAM */
	WBS_OPT_GIT_REMOTE,
	WBS_OPT_GIT_COMMIT,
	WBS_OPT_SYNC_INTERVAL,	/* ms between background fsyncs; "0": every
				   commit is synced (slow, power-loss safe) */
	WBS_OPT_RUN_DIR,	/* exact run directory (importers, relays):
				   the journal is RUN_DIR/run-ID.wbs; no
				   latest-run link; DIR is ignored */
	WBS_OPT_START_TIME,	/* creation time of a new run, in us since the
				   epoch (decimal); default: now */
	WBS_OPT_WRITE_MODE,	/* "map" (default): a commit stores into the
				   shared file mapping, cheapest for a call
				   at a time; "write": a commit writes its
				   pages with write(2), cheaper per row for
				   writers of big wbs_run_log_rows() batches
				   (relays, importers) */
	WBS_OPT_SEAL_DIR,	/* WBSTORE_SEAL_DIR: seal the journal there
				   every seal interval and at finish and
				   close, see wbs_run_seal() */
	WBS_OPT_SEAL_INTERVAL	/* WBSTORE_SEAL_INTERVAL: seconds between
				   seals (default 300; 0: only at finish
				   and close) */
};

struct wbs_opts;

/* New empty option set.  Options left unset come from the environment. */
WBS_EXPORT int	wbs_opts_new(struct wbs_opts **optsp) WBS_NONNULL(1) WBS_WUR;
WBS_EXPORT void	wbs_opts_free(struct wbs_opts *opts);
/* Set an option (value copied; NULL unsets it).  Values are checked here. */
WBS_EXPORT int	wbs_opts_set(struct wbs_opts *opts, int opt, const char *value)
		    WBS_NONNULL(1) WBS_WUR;
/* Initial config, recorded with the run.  Items are copied. */
WBS_EXPORT int	wbs_opts_config(struct wbs_opts *opts,
		    const struct wbs_item *items, size_t n) WBS_NONNULL(1) WBS_WUR;
/* Message of the last failed wbs_opts_* call. */
WBS_EXPORT const char	*wbs_opts_errmsg(const struct wbs_opts *opts);

struct wbs_run;

/*
 * Open (create or resume) a run for writing.  opts may be NULL: the W&B
 * environment variables then decide everything.  The run directory is
 * DIR/wandb/offline-run-YYYYMMDD_HHMMSS-ID (run- with mode online), and
 * DIR/wandb/latest-run points to it.  With an existing run of the same id
 * in that wandb directory: resume allow, auto or unset append to its
 * journal, never fails with WBS_EEXIST; must appends, and without a local
 * run it creates one that records the intent for the sync engine.
 * On failure *runp is untouched and, if errbuf is not NULL, the message is
 * copied into it (at most errlen bytes, NUL-terminated).
 */
WBS_EXPORT int	wbs_run_open(struct wbs_run **runp, const struct wbs_opts *opts,
		    char *errbuf, size_t errlen) WBS_NONNULL(1) WBS_WUR;

/* Run id, run directory and journal directory (valid until close). */
WBS_EXPORT const char	*wbs_run_id(const struct wbs_run *run) WBS_NONNULL(1);
WBS_EXPORT const char	*wbs_run_dir(const struct wbs_run *run) WBS_NONNULL(1);
WBS_EXPORT const char	*wbs_run_journal(const struct wbs_run *run) WBS_NONNULL(1);
/*
 * Record the following calls as made at wall-clock time us (microseconds
 * since the epoch), for importers and relays that replay a run; 0 goes
 * back to the clock.
 */
WBS_EXPORT void	wbs_run_set_time(struct wbs_run *run, int64_t us) WBS_NONNULL(1);

/* Step the next auto-stepped row will get. */
WBS_EXPORT int64_t	 wbs_run_step(const struct wbs_run *run) WBS_NONNULL(1);
/* Detail of the last failure on this handle. */
WBS_EXPORT const char	*wbs_run_errmsg(const struct wbs_run *run) WBS_NONNULL(1);

#define WBS_STEP_AUTO	(-1)	/* step argument: use the run's own step */
#define WBS_LOG_COMMIT	0x1	/* commit the row (default without a step) */
#define WBS_LOG_NOCOMMIT 0x2	/* keep building the row (W&B commit=False) */

/*
 * Log a history row, with W&B's semantics: with WBS_STEP_AUTO the items go
 * to the current step and, unless WBS_LOG_NOCOMMIT, the row is committed
 * and the step advances.  With an explicit step, a step above the current
 * one first commits the pending row; items then join that step's row,
 * which is committed only with WBS_LOG_COMMIT.  A step below the current
 * one fails with WBS_ESTEP and stores nothing.  Every call is durable on
 * return, committed or not: a row still open at a crash is kept.
 */
WBS_EXPORT int	wbs_run_log(struct wbs_run *run, const struct wbs_item *items,
		    size_t n, int64_t step, unsigned flags) WBS_NONNULL(1) WBS_WUR;

/* One row for wbs_run_log_rows(): the arguments of one wbs_run_log(). */
struct wbs_row {
	const struct wbs_item	*items;
	size_t			 n;
	int64_t			 step;	/* WBS_STEP_AUTO or the row's step */
	unsigned		 flags;	/* WBS_LOG_* */
};

/*
 * Log rows exactly as wbs_run_log() would, one after the other, in one
 * transaction: on success all are durable, on failure none is stored and
 * the message names the first bad row.  Much faster per row than single
 * calls, for importers and relays that receive rows in batches.
 */
WBS_EXPORT int	wbs_run_log_rows(struct wbs_run *run,
		    const struct wbs_row *rows, size_t n) WBS_NONNULL(1) WBS_WUR;

/* Config: set items (paths merge into nested dicts) or remove keys. */
WBS_EXPORT int	wbs_run_config(struct wbs_run *run, const struct wbs_item *items,
		    size_t n) WBS_NONNULL(1) WBS_WUR;
WBS_EXPORT int	wbs_run_config_remove(struct wbs_run *run,
		    const char *const *keys, size_t n) WBS_NONNULL(1) WBS_WUR;

/*
 * Summary: set items explicitly or remove keys.  Without explicit values
 * the summary of a key follows the last value logged to it, as in W&B.
 */
WBS_EXPORT int	wbs_run_summary(struct wbs_run *run, const struct wbs_item *items,
		    size_t n) WBS_NONNULL(1) WBS_WUR;
WBS_EXPORT int	wbs_run_summary_remove(struct wbs_run *run,
		    const char *const *keys, size_t n) WBS_NONNULL(1) WBS_WUR;

/* Summary modes of define_metric (bit mask). */
#define WBS_SUMMARY_MIN		0x01
#define WBS_SUMMARY_MAX		0x02
#define WBS_SUMMARY_MEAN	0x04
#define WBS_SUMMARY_BEST	0x08
#define WBS_SUMMARY_LAST	0x10
#define WBS_SUMMARY_NONE	0x20
#define WBS_SUMMARY_FIRST	0x40
#define WBS_SUMMARY_COPY	0x80

#define WBS_GOAL_UNSET		0
#define WBS_GOAL_MINIMIZE	1
#define WBS_GOAL_MAXIMIZE	2

#define WBS_METRIC_HIDDEN	0x1
#define WBS_METRIC_STEP_SYNC	0x2

/* One define_metric call.  Exactly one of name and glob is set. */
struct wbs_metric {
	const char	*name;
	const char	*glob;		/* e.g. "val/" followed by "*" */
	const char	*step_metric;	/* x axis, or NULL */
	unsigned	 summary;	/* WBS_SUMMARY_* mask */
	int		 goal;		/* WBS_GOAL_* */
	unsigned	 flags;		/* WBS_METRIC_* */
};

WBS_EXPORT int	wbs_run_define_metric(struct wbs_run *run,
		    const struct wbs_metric *m) WBS_NONNULL(1, 2) WBS_WUR;

/* Run attributes that can change while the run goes on. */
enum wbs_field {
	WBS_FIELD_NAME = 1,
	WBS_FIELD_NOTES = 2,
	WBS_FIELD_GROUP = 3,
	WBS_FIELD_JOB_TYPE = 4
};
WBS_EXPORT int	wbs_run_set(struct wbs_run *run, int field, const char *value)
		    WBS_NONNULL(1) WBS_WUR;
/* Replace the run's tags (each 1 to 64 characters). */
WBS_EXPORT int	wbs_run_set_tags(struct wbs_run *run, const char *const *tags,
		    size_t n) WBS_NONNULL(1) WBS_WUR;

#define WBS_STDERR	0	/* W&B numbering: stderr is 0 */
#define WBS_STDOUT	1

/* A raw console chunk (may hold several lines, \r and ANSI escapes). */
WBS_EXPORT int	wbs_run_console(struct wbs_run *run, int stream,
		    const char *data, size_t len) WBS_NONNULL(1) WBS_WUR;

/* System stats sample, keys like "cpu", "gpu.0.gpu", "proc.memory.rssMB". */
WBS_EXPORT int	wbs_run_stats(struct wbs_run *run, const struct wbs_item *items,
		    size_t n) WBS_NONNULL(1) WBS_WUR;

#define WBS_POLICY_NOW	0	/* upload now */
#define WBS_POLICY_END	1	/* upload at finish */
#define WBS_POLICY_LIVE	2	/* upload now and on every change */

#define WBS_FILE_OTHER	0
#define WBS_FILE_WANDB	1
#define WBS_FILE_MEDIA	2

/*
 * Register a file for upload.  path is relative to the run's files/
 * directory (no "..", not absolute).  If src is not NULL that file is first
 * copied there; otherwise it must already exist there at upload time.
 */
WBS_EXPORT int	wbs_run_file(struct wbs_run *run, const char *path,
		    const char *src, int policy, int type) WBS_NONNULL(1, 2) WBS_WUR;

/* An alert; level is "INFO", "WARN" or "ERROR"; wait_ms as in W&B. */
WBS_EXPORT int	wbs_run_alert(struct wbs_run *run, const char *title,
		    const char *text, const char *level, int64_t wait_ms)
		    WBS_NONNULL(1, 2, 3) WBS_WUR;

/* Mark the run as about to be preempted. */
WBS_EXPORT int	wbs_run_preempting(struct wbs_run *run) WBS_NONNULL(1) WBS_WUR;

/*
 * Finish the run: commit any open row, record the exit code and sync the
 * journal to disk.  Later logging calls fail with WBS_EFINISHED.
 */
WBS_EXPORT int	wbs_run_finish(struct wbs_run *run, int exit_code)
		    WBS_NONNULL(1) WBS_WUR;

/*
 * Seal the run's journal into DIR: a compacted, read-only copy with the
 * run's files, at DIR/<run directory>/, consistent while the run goes on,
 * replacing an earlier seal atomically.  A daemon on another host syncs
 * it from there (shared storage must not hold a live journal).
 */
WBS_EXPORT int	wbs_run_seal(struct wbs_run *run, const char *dir)
		    WBS_NONNULL(1) WBS_WUR;

/*
 * Close the handle.  A run closed without wbs_run_finish() stays
 * "running" in the journal (as after a crash): it can be resumed.
 */
WBS_EXPORT void	wbs_run_close(struct wbs_run *run);

/* ---------------------------------------------------------------------
 * Reading journals.
 */

#define WBS_JOURNAL_RDONLY	0x0
#define WBS_JOURNAL_RDWR	0x1	/* needed for wbs_journal_put_cursor */

struct wbs_journal;

/*
 * Open a journal for reading.  path is a journal directory (run-ID.wbs),
 * or a run directory holding one.
 */
WBS_EXPORT int	wbs_journal_open(struct wbs_journal **jp, const char *path,
		    unsigned flags, char *errbuf, size_t errlen)
		    WBS_NONNULL(1, 2) WBS_WUR;
WBS_EXPORT void	wbs_journal_close(struct wbs_journal *j);
WBS_EXPORT const char	*wbs_journal_errmsg(const struct wbs_journal *j)
			    WBS_NONNULL(1);
/* Journal directory path (valid until close). */
WBS_EXPORT const char	*wbs_journal_path(const struct wbs_journal *j)
			    WBS_NONNULL(1);

#define WBS_RESUME_UNSET	0
#define WBS_RESUME_ALLOW	1
#define WBS_RESUME_MUST		2
#define WBS_RESUME_NEVER	3
#define WBS_RESUME_AUTO		4

/* A run as it was started (one per writing session; see WBS_REC_RUN). */
struct wbs_run_info {
	const char	*id;
	const char	*entity;
	const char	*project;
	const char	*name;
	const char	*notes;
	const char	*group;
	const char	*job_type;
	const char	*host;
	const char	*program;
	const char	*git_remote;
	const char	*git_commit;
	const char *const *tags;
	size_t		 ntags;
	int		 resume;	/* WBS_RESUME_* */
	int		 resumed;	/* 1 if this session appended to a run */
	const char	*fork_run;	/* fork_from run, or NULL */
	int64_t		 fork_step;
	const char	*rewind_run;	/* resume_from run, or NULL */
	int64_t		 rewind_step;
	int64_t		 start_us;	/* session start, us since the epoch */
	int64_t		 starting_step;	/* first step of this session */
	int64_t		 pid;		/* writer process */
	int64_t		 runtime_base_us; /* run time of earlier sessions */
};

#define WBS_STATE_RUNNING	0
#define WBS_STATE_FINISHED	1	/* exit code 0 */
#define WBS_STATE_FAILED	2	/* exit code not 0 */

struct wbs_journal_stat {
	uint32_t	 format;	/* journal format version */
	int		 state;		/* WBS_STATE_* */
	int		 exit_code;	/* when not running */
	uint64_t	 records;	/* number of records */
	uint64_t	 last_seq;	/* sequence number of the last record */
	int64_t		 last_us;	/* time of the last record */
	int64_t		 created_us;	/* time the run was created */
	int64_t		 last_step;	/* last history step, -1 if none */
	uint64_t	 bytes;		/* bytes used in the data file */
	int		 live;		/* 1 if a writer process has it open */
};

/*
 * The run's current attributes: the first session's values updated by
 * later sessions and by wbs_run_set()/wbs_run_set_tags().  Borrowed until
 * the next call on j.
 */
WBS_EXPORT int	wbs_journal_info(struct wbs_journal *j,
		    const struct wbs_run_info **infop) WBS_NONNULL(1, 2) WBS_WUR;
WBS_EXPORT int	wbs_journal_stat(struct wbs_journal *j,
		    struct wbs_journal_stat *st) WBS_NONNULL(1, 2) WBS_WUR;

/* Record types.  ABI: append-only. */
enum wbs_rec {
	WBS_REC_RUN = 1,	/* a writing session started: run */
	WBS_REC_HISTORY = 2,	/* step, items, flags */
	WBS_REC_CONFIG = 3,	/* items set, keys removed */
	WBS_REC_SUMMARY = 4,	/* items set, keys removed */
	WBS_REC_METRIC = 5,	/* metric */
	WBS_REC_STATS = 6,	/* items */
	WBS_REC_CONSOLE = 7,	/* stream, text */
	WBS_REC_FILE = 8,	/* file */
	WBS_REC_SET = 9,	/* field, text (name, notes, group, job type) */
	WBS_REC_TAGS = 10,	/* keys = the new tag list */
	WBS_REC_ALERT = 11,	/* alert */
	WBS_REC_PREEMPTING = 12,
	WBS_REC_EXIT = 13,	/* exit_code, runtime_ms */
	WBS_REC_ENVIRONMENT = 14 /* items: system metadata (imported runs) */
};

struct wbs_file {
	const char	*path;		/* relative to files/ */
	int		 policy;	/* WBS_POLICY_* */
	int		 type;		/* WBS_FILE_* */
};

struct wbs_alert {
	const char	*title;
	const char	*text;
	const char	*level;
	int64_t		 wait_ms;
};

/*
 * A decoded record.  Fields that do not apply to its type are zero/NULL.
 * Everything it points to is borrowed until the next call on the
 * iterator.  The struct may grow at the end: never allocate one yourself.
 */
struct wbs_record {
	uint64_t			 seq;
	int				 type;	/* enum wbs_rec */
	int64_t				 time_us;
	int64_t				 step;
	unsigned			 flags;	/* WBS_LOG_* for history */
	const struct wbs_item		*items;
	size_t				 nitems;
	const char *const		*keys;
	size_t				 nkeys;
	const struct wbs_run_info	*run;
	const struct wbs_metric		*metric;
	const struct wbs_file		*file;
	const struct wbs_alert		*alert;
	int				 stream;
	int				 field;
	const char			*text;
	size_t				 textlen;
	int				 exit_code;
	int64_t				 runtime_ms;
};

struct wbs_iter;

/* Iterate records with sequence numbers >= from_seq (1 is the first). */
WBS_EXPORT int	wbs_iter_open(struct wbs_iter **itp, struct wbs_journal *j,
		    uint64_t from_seq) WBS_NONNULL(1, 2) WBS_WUR;
/*
 * Next record: 1 and *recp set, 0 at the end (a writer may append more;
 * call again later), or a negative error (the iterator then stays at the
 * failed record).  The journal handle must outlive the iterator.
 */
WBS_EXPORT int	wbs_iter_next(struct wbs_iter *it, const struct wbs_record **recp)
		    WBS_NONNULL(1, 2) WBS_WUR;
WBS_EXPORT void	wbs_iter_free(struct wbs_iter *it);

/*
 * Sync cursors: an opaque value per destination (a URL or any name up to
 * 511 bytes), owned by the sync engine.  get: WBS_ENOTFOUND if none; the
 * value is borrowed until the next call on j.  put needs WBS_JOURNAL_RDWR
 * and commits durably before it returns.
 */
WBS_EXPORT int	wbs_journal_get_cursor(struct wbs_journal *j, const char *dest,
		    const void **valp, size_t *lenp) WBS_NONNULL(1, 2, 3, 4) WBS_WUR;
WBS_EXPORT int	wbs_journal_put_cursor(struct wbs_journal *j, const char *dest,
		    const void *val, size_t len) WBS_NONNULL(1, 2) WBS_WUR;

/*
 * Check every record of the journal: it decodes and its checksum matches.
 * 0 if all is well; otherwise WBS_ECORRUPT with the first problem in errmsg.
 */
WBS_EXPORT int	wbs_journal_verify(struct wbs_journal *j, uint64_t *nrecords)
		    WBS_NONNULL(1) WBS_WUR;

/*
 * Seal the journal at path (its run-*.wbs directory or the run directory)
 * into DIR, as wbs_run_seal() does, from any process, while its writer
 * runs or not.  The copy's path goes to out (if not NULL); on failure the
 * message goes to errbuf.
 */
WBS_EXPORT int	wbs_seal(const char *path, const char *dir, char *out,
		    size_t outlen, char *errbuf, size_t errlen)
		    WBS_NONNULL(1, 2) WBS_WUR;

/*
 * Check a run id or project name against W&B's rules; on failure fill
 * errbuf and return WBS_EINVAL.
 */
WBS_EXPORT int	wbs_check_run_id(const char *id, char *errbuf, size_t errlen)
		    WBS_NONNULL(1) WBS_WUR;
WBS_EXPORT int	wbs_check_project(const char *project, char *errbuf,
		    size_t errlen) WBS_NONNULL(1) WBS_WUR;

#ifdef __cplusplus
}
#endif

#endif /* WBSTORE_H */
