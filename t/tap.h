/*
 * tap.h - a minimal TAP producer for the C unit tests.
 */
#ifndef WBS_TAP_H
#define WBS_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

#define TAP_UNUSED __attribute__((__unused__))

TAP_UNUSED static void
plan(int n)
{
	printf("1..%d\n", n);
	fflush(stdout);
}

TAP_UNUSED static void
plan_lazy_done(void)
{
	printf("1..%d\n", tap_n);
}

__attribute__((__format__(__printf__, 2, 3)))
TAP_UNUSED static int
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		tap_failed++;
	return cond;
}

__attribute__((__format__(__printf__, 1, 2)))
TAP_UNUSED static void
diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

#define is_int(got, want, ...) do {					\
	long long g_ = (long long)(got), w_ = (long long)(want);	\
	if (!ok(g_ == w_, __VA_ARGS__))					\
		diag("got %lld, want %lld", g_, w_);			\
} while (0)

#define is_str(got, want, ...) do {					\
	const char *g_ = (got), *w_ = (want);				\
	if (!ok(g_ != NULL && w_ != NULL ? strcmp(g_, w_) == 0 :	\
	    g_ == w_, __VA_ARGS__))					\
		diag("got \"%s\", want \"%s\"", g_ ? g_ : "(null)",	\
		    w_ ? w_ : "(null)");				\
} while (0)

TAP_UNUSED static int
tap_exit(void)
{
	return tap_failed ? 1 : 0;
}

#endif /* WBS_TAP_H */
