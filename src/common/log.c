/*
 * log.c - log_warn (with errno), log_warnx, fatal and friends.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static const char	*prog = "wbstore";
static int		 journald;
int			 log_verbose;

/* Remember the program name; detect journald (JOURNAL_STREAM). */
void
log_init(const char *progname)
{
	const char *p = strrchr(progname, '/');

	prog = p ? p + 1 : progname;
	journald = getenv("JOURNAL_STREAM") != NULL;
}

static void __attribute__((__format__(__printf__, 3, 0)))
vlog(int prio, int with_errno, const char *fmt, va_list ap)
{
	char	msg[1024];
	int	saved = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (journald)
		fprintf(stderr, "<%d>%s", prio, msg);
	else
		fprintf(stderr, "%s: %s", prog, msg);
	if (with_errno)
		fprintf(stderr, ": %s", strerror(saved));
	fputc('\n', stderr);
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(4, 1, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(4, 0, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(6, 0, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	vlog(7, 0, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(2, 1, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(2, 0, fmt, ap);
	va_end(ap);
	exit(1);
}

/* strdup that exits on failure; NULL stays NULL. */
char *
xstrdup(const char *s)
{
	char *p;

	if (s == NULL)
		return NULL;
	if ((p = strdup(s)) == NULL)
		fatalx("out of memory");
	return p;
}

/* realloc that exits on failure. */
void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n)) == NULL)
		fatalx("out of memory (%zu bytes)", n);
	return p;
}

/* realloc of n elements of size bytes, checking the product. */
void *
xreallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		fatalx("out of memory (%zu x %zu bytes)", n, size);
	return xrealloc(p, n * size);
}
