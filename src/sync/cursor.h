/*
 * cursor.h - the sync engine's progress, kept in the journal per
 * destination (wbs_journal_put_cursor) and committed only after the
 * server acknowledged what it covers.
 *
 * Stored as a JSON object with a version field "v":
 *   {"v":1, "seq":N, "run":"id", "storage_id":..., "entity":..., "project":...,
 *    "created":true, "hist_base":..., "hist_base_row":..., "events_base":...,
 *    "console_base":..., "hist":..., "events":..., "console":...,
 *    "step_shift":..., "runtime_shift_us":..., "console_open":...,
 *    "finished":false,
 *    "exit_code":0, "synced":false, "last_seq":..., "lines":...,
 *    "summary_base":"{...}", "config_base":"{...}",
 *    "files":{"path":[size, mtime_ns], ...},
 *    "stop":{"kind":"auth","status":401,"message":"...","time_us":...},
 *    "updated_us":...}
 * Unknown members are ignored; a newer "v" is refused.
 */
#ifndef WBS_SYNC_CURSOR_H
#define WBS_SYNC_CURSOR_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define CURSOR_VERSION	1

/* Where the stream stands: everything below seq is acknowledged. */
struct cursor_pos {
	uint64_t	seq;
	int64_t		hist_base, hist_base_row, events_base, console_base;
	int64_t		hist_next, events_next, console_next;
	int64_t		step_shift, runtime_shift_us;
	int64_t		console_open;	/* bytes of the unfinished console
					   line sent as it was, or -1 */
	uint64_t	lines;		/* lines acknowledged, all files */
};

struct cursor_file {
	char		*path;
	int64_t		 size;
	int64_t		 mtime_ns;
};

struct cursor {
	struct cursor_pos	 pos;
	char			*run_id;	/* the server's run name */
	char			*storage_id;
	char			*entity;	/* canonical, from the server */
	char			*project;
	char			*display_name;
	int			 created;
	int			 finished;	/* complete acknowledged */
	int			 exit_code;
	int			 synced;	/* marked synced */
	uint64_t		 last_seq;	/* journal's last record then */
	char			*summary_base;	/* server summary before us */
	char			*config_base;	/* server config before us */
	struct cursor_file	*files;		/* uploaded and reported */
	size_t			 nfiles;
	char			*stop_kind;	/* NULL, "auth", "gone", ... */
	char			*stop_msg;
	int			 stop_status;
	int64_t			 stop_us;
	int64_t			 updated_us;
};

void	cursor_init(struct cursor *c);
void	cursor_release(struct cursor *c);

/* Encode as JSON. */
void	cursor_encode(const struct cursor *c, struct buf *out);
/* Decode; -1 with err filled if it is not a cursor this version reads. */
int	cursor_decode(struct cursor *c, const char *p, size_t n, char *err,
	    size_t errlen);

/* Set an owned string field (NULL allowed). */
void	cursor_set(char **field, const char *v);

/* The uploaded file called path, or NULL; record one. */
const struct cursor_file *cursor_file(const struct cursor *c,
	    const char *path);
void	cursor_add_file(struct cursor *c, const char *path, int64_t size,
	    int64_t mtime_ns);

/* Record / clear a stop. */
void	cursor_stop(struct cursor *c, const char *kind, int status,
	    const char *msg, int64_t now_us);
void	cursor_clear_stop(struct cursor *c);

/*
 * The destination key of a journal: base URL, then "/entity/project", or
 * "/project" alone when no entity is known.
 */
void	cursor_dest(char *out, size_t len, const char *base_url,
	    const char *entity, const char *project);

#endif /* WBS_SYNC_CURSOR_H */
