/*
 * sync-throttle-t.c - Retry-After, RateLimit-*, backoff and response
 * classes.
 */
#include "config.h"

#include <math.h>

#include "tap.h"
#include "sync/throttle.h"

/* 1994-11-06 08:49:37 UTC */
#define T0	784111777

static void
retry_after(void)
{
	double	s = -1;
	time_t	t;

	ok(throttle_retry_after("120", 0, &s) == 0 && s == 120, "seconds");
	ok(throttle_retry_after(" 2 ", 0, &s) == 0 && s == 2, "spaces");
	ok(throttle_retry_after("1.5", 0, &s) == 0 && s == 1.5, "fraction");
	ok(throttle_retry_after("0", 0, &s) == 0 && s == 0, "zero");
	ok(throttle_retry_after("999999999", 0, &s) == 0 &&
	    s == THROTTLE_MAX_DELAY, "capped at a day");
	ok(throttle_retry_after("-5", 0, &s) != 0, "negative refused");
	ok(throttle_retry_after("1e3", 0, &s) != 0, "exponent refused");
	ok(throttle_retry_after("", 0, &s) != 0, "empty refused");
	ok(throttle_retry_after("soon", 0, &s) != 0, "word refused");
	ok(throttle_retry_after("5 s", 0, &s) != 0, "trailing junk refused");
	ok(throttle_retry_after(NULL, 0, &s) != 0, "NULL refused");
	ok(throttle_http_date("Sun, 06 Nov 1994 08:49:37 GMT", &t) == 0 &&
	    t == T0, "IMF-fixdate");
	ok(throttle_http_date("Sunday, 06-Nov-94 08:49:37 GMT", &t) == 0 &&
	    t == T0, "RFC 850 date");
	ok(throttle_http_date("Sun Nov  6 08:49:37 1994", &t) == 0 &&
	    t == T0, "asctime date");
	ok(throttle_http_date("Sun, 06 Nov 1994 08:49:37 PST", &t) != 0,
	    "zone other than GMT refused");
	ok(throttle_http_date("Sun, 06 Foo 1994 08:49:37 GMT", &t) != 0,
	    "bad month refused");
	ok(throttle_http_date("Sun, 06 Nov 1994 25:49:37 GMT", &t) != 0,
	    "bad hour refused");
	ok(throttle_http_date("Sun, 06 Nov 1994 08:49:37 GMT x", &t) != 0,
	    "trailing junk refused");
	ok(throttle_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", T0, &s) ==
	    0 && s == 30, "date 30 s ahead");
	ok(throttle_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", T0, &s) ==
	    0 && s == 0, "date in the past is 0");
}

static void
ratelimit(void)
{
	ok(throttle_ratelimit("0", "30") == 30, "nothing remaining: reset");
	ok(fabs(throttle_ratelimit("10", "5") - 0.5) < 1e-9,
	    "remaining spread over the window");
	ok(throttle_ratelimit("1000000", "1") == 0, "plenty left: no pacing");
	ok(throttle_ratelimit(NULL, "5") == 0, "missing remaining");
	ok(throttle_ratelimit("5", NULL) == 0, "missing reset");
	ok(throttle_ratelimit("x", "5") == 0, "bad remaining");
	ok(throttle_ratelimit("-1", "5") == 0, "negative remaining");
	ok(throttle_ratelimit("0", "0") == 0, "reset 0");
	ok(throttle_ratelimit_field("limit=100, remaining=0, reset=7") == 7,
	    "combined field");
	ok(throttle_ratelimit_field("\"default\";r=0;t=9") == 9,
	    "structured field");
	ok(throttle_ratelimit_field("limit=100") == 0, "field without quota");
	ok(throttle_ratelimit_field(NULL) == 0, "no field");
}

static void
backoff(void)
{
	ok(throttle_backoff(0, 0) == 2, "first retry after 2 s");
	ok(throttle_backoff(1, 0) == 4, "then 4 s");
	ok(throttle_backoff(2, 0.999) <= 8 * 1.25 && throttle_backoff(2,
	    0.999) > 8, "jitter up to 25 %%");
	ok(throttle_backoff(5, 0) == 60, "capped at 60 s");
	ok(throttle_backoff(1000, 0.5) == 60, "huge attempt capped");
	ok(throttle_backoff(-3, 0) == 2, "negative attempt is the first");
}

static void
classify(void)
{
	ok(throttle_classify(200, 0, 0) == TH_OK, "200 ok");
	ok(throttle_classify(204, 0, 0) == TH_OK, "204 ok");
	ok(throttle_classify(429, 0, 0) == TH_RETRY, "429 retried");
	ok(throttle_classify(503, 0, 0) == TH_RETRY, "503 retried");
	ok(throttle_classify(500, 0, 0) == TH_RETRY, "500 retried");
	ok(throttle_classify(501, 0, 0) == TH_FATAL, "501 not retried");
	ok(throttle_classify(408, 0, 0) == TH_RETRY, "408 retried");
	ok(throttle_classify(401, 0, 0) == TH_AUTH, "401 credentials");
	ok(throttle_classify(403, 0, 0) == TH_AUTH, "403 credentials");
	ok(throttle_classify(404, 0, 0) == TH_GONE, "404 gone");
	ok(throttle_classify(410, 0, 0) == TH_GONE, "410 gone");
	ok(throttle_classify(400, 0, 0) == TH_FATAL, "400 fatal");
	ok(throttle_classify(409, 0, 0) == TH_FATAL, "409 fatal");
	ok(throttle_classify(409, 0, 1) == TH_RETRY, "409 retried on upsert");
	ok(throttle_classify(0, 1, 0) == TH_RETRY, "network error retried");
	ok(throttle_classify(0, 0, 0) == TH_FATAL, "local error fatal");
	is_str(throttle_class_name(TH_GONE), "gone", "class name");
}

int
main(void)
{
	retry_after();
	ratelimit();
	backoff();
	classify();
	plan_lazy_done();
	return tap_exit();
}
