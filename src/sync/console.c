/*
 * console.c - the terminal behind output.log (see console.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "console.h"

void
cons_init(struct cons *c)
{
	memset(c, 0, sizeof(*c));
	buf_init(&c->line);
	c->stream = WBS_STDOUT;
}

void
cons_release(struct cons *c)
{
	buf_release(&c->line);
}

/* End the current line. */
static void
finish_line(struct cons *c, cons_line_fn *fn, void *arg)
{
	if (fn != NULL)
		fn(arg, c, c->line.p ? c->line.p : "", c->line.len, 1);
	buf_reset(&c->line);
	c->index++;
	c->dirty = 0;
	c->sent = 0;
	c->pending_cr = 0;
}

/* Start text on a line that has none yet (or was just replaced). */
static void
begin_text(struct cons *c, int stream, int64_t time_us)
{
	if (c->line.len == 0) {
		c->stream = stream;
		c->time_us = time_us;
	}
}

/* Feed a chunk of console output. */
void
cons_write(struct cons *c, int stream, int64_t time_us, const char *data,
    size_t len, cons_line_fn *fn, void *arg)
{
	size_t i = 0;

	if (len > 0 && c->stream != stream &&
	    (c->line.len > 0 || c->pending_cr)) {
		/* The other stream's text: the unfinished line is over. */
		if (c->line.len > 0)
			finish_line(c, fn, arg);
		c->pending_cr = 0;
	}
	while (i < len) {
		size_t	run = 0;
		char	ch = data[i];

		if (ch == '\n') {
			begin_text(c, stream, time_us);
			finish_line(c, fn, arg);
			i++;
			continue;
		}
		if (ch == '\r') {
			c->pending_cr = 1;
			i++;
			continue;
		}
		if (c->pending_cr) {
			/* Text after "\r" replaces the line. */
			buf_reset(&c->line);
			c->pending_cr = 0;
		}
		begin_text(c, stream, time_us);
		while (i + run < len && data[i + run] != '\n' &&
		    data[i + run] != '\r')
			run++;
		while (run > 0) {
			size_t room = CONS_LINE_MAX - c->line.len, n;

			n = run < room ? run : room;
			/* Do not split a UTF-8 sequence when wrapping. */
			while (n < run && n > 0 &&
			    ((unsigned char)data[i + n] & 0xc0) == 0x80)
				n--;
			buf_add(&c->line, data + i, n);
			c->dirty = 1;
			i += n;
			run -= n;
			if (run > 0) {
				finish_line(c, fn, arg);
				begin_text(c, stream, time_us);
			}
		}
	}
}

/* End an unfinished line. */
void
cons_break(struct cons *c, cons_line_fn *fn, void *arg)
{
	if (c->line.len > 0)
		finish_line(c, fn, arg);
	c->pending_cr = 0;
}

/* 1 if the current line has something to show or to re-send. */
int
cons_has_open(const struct cons *c)
{
	return c->line.len > 0 && c->dirty;
}

/* One output.log line in W&B's format. */
void
cons_format(struct buf *b, int stream, int64_t time_us, const char *text,
    size_t len)
{
	time_t		t = (time_t)(time_us / 1000000);
	long		us = (long)(time_us % 1000000);
	struct tm	tm;
	char		stamp[48];

	if (us < 0) {
		us += 1000000;
		t--;
	}
	gmtime_r(&t, &tm);
	snprintf(stamp, sizeof(stamp), "%s%04d-%02d-%02dT%02d:%02d:%02d.%06ld ",
	    stream == WBS_STDERR ? "ERROR " : "", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, us);
	buf_adds(b, stamp);
	buf_add(b, text, len);
}
