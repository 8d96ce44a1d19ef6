/*
 * throttle.h - what the server says about pacing, as small pure functions:
 * Retry-After, RateLimit-Remaining/RateLimit-Reset, the backoff schedule
 * and the classification of responses.
 */
#ifndef WBS_SYNC_THROTTLE_H
#define WBS_SYNC_THROTTLE_H

#include <time.h>

#define THROTTLE_MIN_WAIT	2.0	/* s: first backoff step */
#define THROTTLE_MAX_WAIT	60.0	/* s: backoff cap */
#define THROTTLE_MAX_DELAY	86400.0	/* s: longest wait a header may ask */

/* What to do with a finished request. */
enum throttle_class {
	TH_OK = 0,	/* 2xx */
	TH_RETRY,	/* 429, 5xx but 501, timeouts, network errors */
	TH_AUTH,	/* 401, 403: credentials */
	TH_GONE,	/* 404, 410: the run is gone */
	TH_FATAL	/* anything else: not worth repeating */
};

/*
 * Parse a Retry-After value: delay-seconds (a non-negative number, a
 * fraction allowed) or an HTTP date (IMF-fixdate, RFC 850 or asctime
 * form), taken relative to now.  A date in the past gives 0.  The result
 * is capped at THROTTLE_MAX_DELAY.  0 and *secs set, or -1 if v is not
 * valid.
 */
int	throttle_retry_after(const char *v, time_t now, double *secs);

/* Parse an HTTP date (the three forms above) as UTC; -1 if invalid. */
int	throttle_http_date(const char *v, time_t *t);

/*
 * Parse RateLimit-Remaining and RateLimit-Reset (either may be NULL).
 * Returns the delay to keep before the next request to that host: the
 * whole reset period when nothing remains, the period spread over the
 * remaining quota otherwise, 0 when the headers are missing, malformed or
 * say nothing useful.
 */
double	throttle_ratelimit(const char *remaining, const char *reset);

/*
 * The same for the combined RateLimit field of the IETF drafts, in either
 * spelling: "limit=100, remaining=0, reset=30" or "\"default\";r=0;t=30".
 */
double	throttle_ratelimit_field(const char *v);

/*
 * Backoff before attempt number attempt (0 for the first retry): 2 s
 * doubling up to 60 s, with up to 25 % jitter from rnd in [0, 1).
 */
double	throttle_backoff(int attempt, double rnd);

/*
 * Classify an HTTP status (0 if no response came: neterr then says
 * whether it was a network failure or timeout worth retrying).  With
 * upsert set, 409 Conflict is retried as W&B's UpsertBucket policy does.
 */
enum throttle_class throttle_classify(long status, int neterr, int upsert);

/* Short name of a class: "ok", "retry", "auth", "gone", "fatal". */
const char *throttle_class_name(enum throttle_class c);

#endif /* WBS_SYNC_THROTTLE_H */
