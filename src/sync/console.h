/*
 * console.h - raw console output to output.log lines, as a terminal
 * shows them: "\n" ends a line, "\r" makes the text that follows replace
 * the current line ("\r\n" is a plain line end).  stdout and stderr share
 * the line numbering; text from the other stream ends an unfinished line.
 * Only the last line is ever rewritten, so a rewrite re-sends its offset.
 */
#ifndef WBS_SYNC_CONSOLE_H
#define WBS_SYNC_CONSOLE_H

#include "buf.h"

#define CONS_LINE_MAX	(64 * 1024)	/* longer lines wrap, nothing is lost */

struct cons {
	struct buf	 line;		/* text of the current line */
	int		 stream;	/* WBS_STDOUT / WBS_STDERR */
	int64_t		 time_us;	/* when the current text began */
	int		 pending_cr;	/* "\r" seen, next text replaces */
	uint64_t	 index;		/* number of the current line, from 0 */
	int		 dirty;		/* changed since cons_mark_sent() */
	int		 sent;		/* some version of it was sent */
};

/* A finished line, or the current one (complete 0) at cons_flush(). */
typedef void cons_line_fn(void *arg, const struct cons *c, const char *text,
    size_t len, int complete);

void	cons_init(struct cons *c);
void	cons_release(struct cons *c);

/* Feed a chunk; fn (may be NULL) gets each line that ends in it. */
void	cons_write(struct cons *c, int stream, int64_t time_us,
	    const char *data, size_t len, cons_line_fn *fn, void *arg);

/* End an unfinished line (a new process writes on a line of its own). */
void	cons_break(struct cons *c, cons_line_fn *fn, void *arg);

/* 1 if the current line has text or a change not sent yet. */
int	cons_has_open(const struct cons *c);

/* Write "[ERROR ]YYYY-MM-DDTHH:MM:SS.ffffff text" (UTC) into b. */
void	cons_format(struct buf *b, int stream, int64_t time_us,
	    const char *text, size_t len);

#endif /* WBS_SYNC_CONSOLE_H */
