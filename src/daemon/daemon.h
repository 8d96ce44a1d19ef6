/*
 * daemon.h - wbstored's watcher: roots to watch, the runs found under
 * them, the sync worker that drives the sync engine, the control socket.
 *
 * The main thread runs the libev loop (inotify or polling, timers,
 * signals, the control socket).  One worker thread runs sync passes: a
 * pass is the sync engine (src/sync) over a batch of runs, run to
 * completion on the worker's own loop; the engine's cursors, committed in
 * each journal after the server acknowledged, make passes exactly-once
 * and let a restarted daemon resume.  A journal is only ever opened by
 * the worker, so that LMDB never has one environment open twice in this
 * process.
 */
#ifndef WBS_DAEMON_H
#define WBS_DAEMON_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <ev.h>

#include "buf.h"
#include "sync/sync.h"

#define DAEMON_BATCH		8	/* runs per sync pass */
#define DAEMON_BACKOFF_MIN	1.0	/* s after a failed pass */
#define DAEMON_BACKOFF_MAX	60.0
#define CONF_LINE_MAX		4096	/* bytes in a line of wbstore.conf */
#define DAEMON_MISSING_EVERY	5.0	/* s between looks for a missing root */

/* The configuration: wbstore.conf, then the command line. */
struct conf {
	char		**roots;
	size_t		  nroots;
	char		 *base_url;	/* NULL: the sync engine's default */
	double		  grace;	/* s: dead unfinished run -> crashed */
	double		  poll_min;	/* s between polls after a change */
	double		  poll_max;	/* s, the backoff's ceiling */
	double		  heartbeat;	/* s between passes of a live run */
	int		  poll;		/* poll every root */
	int		  jobs;		/* runs at once in a pass */
	int		  retries;	/* per request, inside a pass */
	double		  timeout;	/* s per request attempt */
	char		 *path;		/* the file read, or NULL */
};

enum watch_kind { W_ROOT = 1, W_WANDB, W_RUNDIR, W_JOURNAL };

struct droot;

/* One run: a journal directory found under a root. */
struct drun {
	char		*path;		/* the journal directory */
	struct droot	*root;
	int		 wd;		/* inotify watch, or -1 */
	int		 dirty;		/* changed since its last pass began */
	int		 inpass;	/* handed to the worker */
	int		 crash;		/* next pass finishes it as crashed */
	int		 now;		/* a `sync --now` waits for it */
	int		 done;		/* synced and finished on the server */
	int		 live;		/* a writer held it, last we looked */
	int		 seen_state;	/* state below is from a pass */
	enum sync_state	 state;
	int		 exit_code;
	uint64_t	 backlog;	/* records not acknowledged */
	uint64_t	 passes;
	char		*id;
	char		 err[256];	/* the last error, or "" */
	double		 last_pass;	/* ev_now() when the last one ended */
	/* 0, or ev_now() after which to retry */
	double		 next_retry;
	double		 backoff;
	double		 dead_since;	/* 0, or when found without a writer */
	int64_t		 bell_ns;	/* polling: doorbell mtime */
	int64_t		 data_size;	/* polling: the directory's inode */
};

/* A watched root. */
struct droot {
	char		*path;
	int		 poll;		/* polled, not watched */
	int		 missing;	/* does not exist (yet) */
	int		 gone;		/* removed by a reload */
	int		 from_cli;	/* --root, kept across reloads */
	const char	*fstype;	/* why it is polled */
	double		 interval;	/* current poll interval */
	ev_timer	 timer;		/* polling or looking for it */
	struct daemon	*d;
};

/* A watch descriptor's meaning. */
struct watch {
	enum watch_kind	 kind;
	char		*path;
	struct droot	*root;
	struct drun	*run;		/* W_JOURNAL */
};

/* What the worker reports for one run of a pass. */
struct jres {
	enum sync_state	 state;
	int		 exit_code;
	uint64_t	 backlog;
	double		 retry_in;
	char		 id[128];
	char		 reason[256];
};

/* A sync pass handed to the worker. */
struct job {
	char		**paths;
	struct drun	**runs;
	struct jres	 *res;
	size_t		  n;
	int		  finish_crashed;
	char		 *base_url;
	int		  jobs;
	int		  retries;
	double		  timeout;
	char		  err[512];	/* the engine could not start */
};

struct ctl_client;

struct daemon {
	struct conf	 conf;
	char		**cli_roots;
	size_t		 ncli_roots;
	const char	*conf_path;	/* -c, or NULL for the default */
	int		 force_poll;
	double		 grace_cli;	/* < 0: not given */
	const char	*url_cli;
	struct ev_loop	*loop;
	/* Roots and runs. */
	struct droot	**roots;
	size_t		 nroots;
	struct drun	**runs;
	size_t		 nruns;
	struct drun	**byname;	/* hash of runs by path */
	size_t		 hashsize;
	/* inotify. */
	int		 ifd;
	ev_io		 iio;
	struct watch	**watches;	/* indexed by wd */
	size_t		 nwatches;
	size_t		 nwatched;
	int		 watch_full;	/* the kernel refused more watches */
	/* Timers. */
	ev_timer	 crash_timer;
	ev_timer	 beat_timer;
	ev_timer	 retry_timer;
	ev_idle		 kick;
	/* The worker. */
	pthread_t	 thread;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct job	*todo;		/* handed over, not yet taken */
	struct job	*running;	/* in the worker */
	struct job	*finished;	/* back from the worker */
	int		 worker_quit;
	int		 worker_on;
	ev_async	 async;
	/* Control. */
	int		 ctl_fd;
	ev_io		 ctl_io;
	char		 ctl_path[256];
	struct ctl_client *waiting;	/* `sync --now` clients */
	int		 now_pending;
	uint64_t	 passes;
	uint64_t	 wakeups;
	double		 started;
	ev_signal	 sighup;
};

/* conf.c */
void	conf_default_path(char *out, size_t len);
int	conf_read(struct conf *c, FILE *f, const char *name, char *err,
	    size_t errlen);
int	conf_load(struct conf *c, const char *path, int must_exist,
	    char *err, size_t errlen);
void	conf_free(struct conf *c);
char	*conf_expand(const char *path);

/* watch.c */
int	watch_init(struct daemon *d, char *err, size_t errlen);
void	watch_fini(struct daemon *d);
struct droot *watch_add_root(struct daemon *d, const char *path);
void	watch_scan_root(struct daemon *d, struct droot *r);
void	watch_drop_root(struct daemon *d, struct droot *r);
int	watch_live(const char *journal);
int	is_journal_name(const char *name);
const char *watch_remote_fs(const char *path);

/* runs.c */
struct drun *drun_find(struct daemon *d, const char *path);
struct drun *drun_add(struct daemon *d, struct droot *root,
	    const char *journal);
void	drun_remove(struct daemon *d, struct drun *r);
void	drun_touch(struct daemon *d, struct drun *r);
void	drun_free_all(struct daemon *d);

/* worker.c */
int	worker_start(struct daemon *d, char *err, size_t errlen);
int	worker_stop(struct daemon *d, double wait_s);
void	worker_reconf(struct daemon *d);
void	worker_kick(struct daemon *d);
void	worker_timers(struct daemon *d);
void	worker_check_dead(struct daemon *d);

/* ctl.c */
int	ctl_start(struct daemon *d, char *err, size_t errlen);
void	ctl_stop(struct daemon *d);
void	ctl_now_done(struct daemon *d);
void	ctl_status_json(struct daemon *d, struct buf *b);
void	ctl_notify(const char *msg);

/* watcher.c */
int	watcher_main(struct daemon *d, int use_ctl);
int	watcher_check(struct daemon *d);
void	watcher_status(struct daemon *d);

/* ctlclient.c, also linked into wbstore */
void	ctl_socket_path(char *out, size_t len);
int	ctl_request(const char *cmd, struct buf *reply, double timeout_s,
	    char *err, size_t errlen);

#endif /* WBS_DAEMON_H */
