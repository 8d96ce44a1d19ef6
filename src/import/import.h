/*
 * import.h - import W&B `.wandb` transaction logs into wbstore journals.
 *
 * A W&B run directory (offline-run-YYYYMMDD_HHMMSS-ID/ or run-.../) holds
 * run-ID.wandb and files/.  Importing it writes the journal run-ID.wbs
 * beside the log, in place, so that the run directory becomes an ordinary
 * wbstore run directory: files/ is already where the journal expects it.
 * Every record keeps the time the log gave it (history _timestamp, stats
 * and console timestamps, the run's start time).
 *
 * Importing is idempotent and incremental: the journal's cursor table
 * holds, under "import:run-ID.wandb", how many records of the log were
 * imported, where the last one starts, a hash of everything imported,
 * and the log's size and modification time.  Importing again adds
 * nothing; a log that grew (a run still being written) adds only its new
 * records; a log whose imported part changed is refused.
 *
 * import_path() is the one call for "import this path (a .wandb file, a
 * W&B run directory or a wandb directory) and tell me the journals": one
 * struct import_run per log found, each with its journal (ir->journal)
 * and run directory (ir->rundir), failures included.  Using it from
 * `wbstore sync` (PATH holds W&B runs rather than journals):
 *
 *	struct import_opts	o = { 0 };
 *	struct import_report	rep;
 *	char			err[IMPORT_ERRMAX];
 *
 *	if (import_path(path, &o, &rep, err, sizeof(err)) != 0)
 *		log_warnx("%s", err);		(nothing to sync there)
 *	for (size_t i = 0; i < rep.nruns; i++) {
 *		const struct import_run *ir = &rep.runs[i];
 *
 *		if (ir->status == IMPORT_FAILED)
 *			log_warnx("%s", ir->error);	(count it as failed)
 *		else if (ir->journal != NULL)	(NULL: nothing in the log yet)
 *			sync the journal ir->journal (run directory ir->rundir);
 *		after the server accepted the run as complete, and only if
 *		ir->exit_seen && !ir->incomplete (W&B's own rule: the log held
 *		an exit record), import_mark_synced(ir->rundir);
 *	}
 *	import_report_release(&rep);
 *
 * import_synced() tells whether W&B (or an earlier sync) marked a log as
 * synced, for --include-synced.  Importing never looks at the marker.
 *
 * Nothing here prints: notices go to the callback in import_opts.  These
 * functions are for programs of this project, not part of libwbstore.
 */
#ifndef WBS_IMPORT_H
#define WBS_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#define IMPORT_ERRMAX		1024	/* size for error buffers */
#define IMPORT_CURSOR_PREFIX	"import:"

/* W&B record types, as counted in a report. */
enum import_type {
	IMPORT_T_HEADER,
	IMPORT_T_RUN,
	IMPORT_T_CONFIG,
	IMPORT_T_HISTORY,
	IMPORT_T_SUMMARY,
	IMPORT_T_METRIC,
	IMPORT_T_STATS,
	IMPORT_T_OUTPUT_RAW,
	IMPORT_T_OUTPUT,
	IMPORT_T_OUTPUT_LOGGER,
	IMPORT_T_FILES,
	IMPORT_T_ALERT,
	IMPORT_T_PREEMPTING,
	IMPORT_T_TELEMETRY,
	IMPORT_T_ENVIRONMENT,
	IMPORT_T_EXIT,
	IMPORT_T_FINAL,
	IMPORT_T_FOOTER,
	IMPORT_T_ARTIFACT,
	IMPORT_T_USE_ARTIFACT,
	IMPORT_T_LINK_ARTIFACT,
	IMPORT_T_TBRECORD,
	IMPORT_T_REQUEST,
	IMPORT_T_UNKNOWN,	/* no record type this reader knows */
	IMPORT_T_UNDECODABLE,	/* not a valid Record protobuf */
	IMPORT_NTYPES
};

/* W&B's name of a type ("history", ...; "undecodable"). */
const char	*import_type_name(int type);

/* Receives one notice (a skipped record or value, damaged data). */
typedef void	import_notice_fn(void *arg, const char *msg);

struct import_opts {
	import_notice_fn	*notice;	/* NULL: notices are dropped */
	void			*arg;
	unsigned		 max_notices;	/* per log; 0: 20 */
};

enum import_status {
	IMPORT_NEW = 1,		/* journal created */
	IMPORT_UPDATED,		/* new records appended */
	IMPORT_UPTODATE,	/* nothing new in the log */
	IMPORT_FAILED		/* see error; the journal is left as it was */
};

/* What importing one log did (this pass; totals where so named). */
struct import_run {
	char		*wandb;		/* the .wandb file */
	char		*rundir;	/* directory holding it and the journal */
	char		*journal;	/* rundir/run-ID.wbs, NULL if none */
	char		 id[128];	/* run id, "" if unknown */
	int		 status;	/* enum import_status */
	char		 error[IMPORT_ERRMAX];
	uint64_t	 types[IMPORT_NTYPES];	/* records read, by type */
	uint64_t	 records;	/* records read in this pass */
	uint64_t	 total_records;	/* records imported in all passes */
	uint64_t	 written;	/* journal records appended */
	uint64_t	 size;		/* bytes in the log */
	uint64_t	 skipped_bytes;	/* damaged data skipped by the reader */
	uint64_t	 skipped_regions;
	int		 incomplete;	/* the log ends inside a record */
	uint64_t	 incomplete_bytes;
	uint64_t	 not_imported;	/* records of types not imported */
	uint64_t	 unknown_fields; /* protobuf fields this reader skips */
	uint64_t	 dropped;	/* values or keys that cannot be stored */
	uint64_t	 rejected;	/* records the journal refused */
	uint64_t	 bad_steps;	/* _step values that are not a step */
	int		 exit_seen;	/* the log holds an exit record */
	int		 exit_code;
	int		 finished;	/* the journal records the exit */
	double		 seconds;	/* wall time of this pass */
};

struct import_report {
	struct import_run	*runs;
	size_t			 nruns;
	size_t			 failed;	/* runs with IMPORT_FAILED */
};

/*
 * Import path: a .wandb file, a W&B run directory (every run-*.wandb in
 * it) or a wandb directory (every run directory in it, also in its
 * wandb/ or .wandb/ subdirectory).  Fills *rep (release it with
 * import_report_release()) with one entry per log, failures included, and
 * returns 0; returns -1 with a message in err when path holds no log or
 * cannot be read (rep is then empty).
 */
int	import_path(const char *path, const struct import_opts *o,
	    struct import_report *rep, char *err, size_t errlen);

/* Import one .wandb file into ir (zeroed first; release it). 0 or -1. */
int	import_file(const char *wandb, const struct import_opts *o,
	    struct import_run *ir);

void	import_run_release(struct import_run *ir);
void	import_report_release(struct import_report *rep);

/*
 * Write W&B's "synced" marker for the logs of a run directory (or for one
 * .wandb file): an empty run-ID.wandb.synced beside each log, mode 0666
 * minus the umask.  0, or -1 with errno set.
 */
int	import_mark_synced(const char *wandb_run_dir);

/* 1 if the .wandb file has its "synced" marker, else 0. */
int	import_synced(const char *wandb_file);

#endif /* WBS_IMPORT_H */
