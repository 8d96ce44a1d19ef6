/*
 * log.h - messages from the programs: stderr, with <N> priority prefixes
 * when journald reads it.
 */
#ifndef WBS_LOG_H
#define WBS_LOG_H

#include <stddef.h>

void	log_init(const char *progname);
void	log_warn(const char *fmt, ...)
	    __attribute__((__format__(__printf__, 1, 2)));
void	log_warnx(const char *fmt, ...)
	    __attribute__((__format__(__printf__, 1, 2)));
void	log_info(const char *fmt, ...)
	    __attribute__((__format__(__printf__, 1, 2)));
void	log_debug(const char *fmt, ...)
	    __attribute__((__format__(__printf__, 1, 2)));
void	fatal(const char *fmt, ...)
	    __attribute__((__format__(__printf__, 1, 2), __noreturn__));
void	fatalx(const char *fmt, ...)
	    __attribute__((__format__(__printf__, 1, 2), __noreturn__));
extern int log_verbose;

/* Allocation that cannot fail: out of memory is fatal. */
char	*xstrdup(const char *s);	/* NULL stays NULL */
void	*xrealloc(void *p, size_t n);
void	*xreallocarray(void *p, size_t n, size_t size);

#endif /* WBS_LOG_H */
