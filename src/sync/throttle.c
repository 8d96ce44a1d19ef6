/*
 * throttle.c - pacing headers, backoff and response classes (pure).
 */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "throttle.h"

static const char *const months[12] = { "Jan", "Feb", "Mar", "Apr", "May",
    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* Skip spaces and tabs. */
static const char *
skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Parse exactly n digits (n <= 4). */
static int
digits(const char **pp, int n, int *out)
{
	const char	*p = *pp;
	int		 v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*pp = p + n;
	*out = v;
	return 0;
}

/* A three-letter month name. */
static int
month(const char **pp, int *out)
{
	for (int i = 0; i < 12; i++)
		if (strncmp(*pp, months[i], 3) == 0) {
			*pp += 3;
			*out = i;
			return 0;
		}
	return -1;
}

/* "HH:MM:SS" */
static int
clock_part(const char **pp, struct tm *tm)
{
	const char *p = *pp;

	if (digits(&p, 2, &tm->tm_hour) != 0 || *p++ != ':' ||
	    digits(&p, 2, &tm->tm_min) != 0 || *p++ != ':' ||
	    digits(&p, 2, &tm->tm_sec) != 0)
		return -1;
	if (tm->tm_hour > 23 || tm->tm_min > 59 || tm->tm_sec > 60)
		return -1;
	*pp = p;
	return 0;
}

/* Parse an HTTP date (see throttle.h). */
int
throttle_http_date(const char *v, time_t *t)
{
	const char	*p = skip_ws(v), *comma = strchr(p, ',');
	struct tm	 tm;
	time_t		 r;

	memset(&tm, 0, sizeof(tm));
	if (comma != NULL) {
		/* IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT" or RFC 850
		   "Sunday, 06-Nov-94 08:49:37 GMT". */
		p = skip_ws(comma + 1);
		if (digits(&p, 2, &tm.tm_mday) != 0)
			return -1;
		if (*p == ' ') {
			p++;
			if (month(&p, &tm.tm_mon) != 0 || *p++ != ' ' ||
			    digits(&p, 4, &tm.tm_year) != 0)
				return -1;
			tm.tm_year -= 1900;
		} else if (*p == '-') {
			p++;
			if (month(&p, &tm.tm_mon) != 0 || *p++ != '-' ||
			    digits(&p, 2, &tm.tm_year) != 0)
				return -1;
			/* Two-digit years: the nearest century (RFC 9110). */
			if (tm.tm_year < 70)
				tm.tm_year += 100;
		} else
			return -1;
		if (*p++ != ' ' || clock_part(&p, &tm) != 0)
			return -1;
		p = skip_ws(p);
		if (strncmp(p, "GMT", 3) != 0)
			return -1;
		p += 3;
	} else {
		/* asctime: "Sun Nov  6 08:49:37 1994" */
		if (strlen(p) < 4 || p[3] != ' ')
			return -1;
		p += 4;
		if (month(&p, &tm.tm_mon) != 0 || *p++ != ' ')
			return -1;
		if (*p == ' ')
			p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		tm.tm_mday = *p++ - '0';
		if (isdigit((unsigned char)*p))
			tm.tm_mday = tm.tm_mday * 10 + (*p++ - '0');
		if (*p++ != ' ' || clock_part(&p, &tm) != 0 || *p++ != ' ' ||
		    digits(&p, 4, &tm.tm_year) != 0)
			return -1;
		tm.tm_year -= 1900;
	}
	if (*skip_ws(p) != '\0' || tm.tm_mday < 1 || tm.tm_mday > 31)
		return -1;
	if ((r = timegm(&tm)) == (time_t)-1)
		return -1;
	*t = r;
	return 0;
}

/* A non-negative decimal number filling the whole string (spaces around). */
static int
number(const char *v, double *out)
{
	const char	*p = skip_ws(v);
	char		*end;
	double		 d;

	if (!isdigit((unsigned char)*p) && *p != '.')
		return -1;
	d = strtod(p, &end);
	if (end == p || *skip_ws(end) != '\0' || !isfinite(d) || d < 0)
		return -1;
	*out = d;
	return 0;
}

/* Parse Retry-After (see throttle.h). */
int
throttle_retry_after(const char *v, time_t now, double *secs)
{
	double	d;
	time_t	t;

	if (v == NULL)
		return -1;
	if (number(v, &d) == 0) {
		/* Only plain decimal digits: no exponents, hex or names. */
		for (const char *p = skip_ws(v); *p && *p != ' '; p++)
			if (!isdigit((unsigned char)*p) && *p != '.')
				return -1;
	} else if (throttle_http_date(v, &t) == 0)
		d = t > now ? difftime(t, now) : 0;
	else
		return -1;
	*secs = d > THROTTLE_MAX_DELAY ? THROTTLE_MAX_DELAY : d;
	return 0;
}

/* Delay from a remaining quota and a reset time in seconds. */
static double
pace(double remaining, double reset)
{
	double d;

	if (reset <= 0)
		return 0;
	if (reset > THROTTLE_MAX_DELAY)
		reset = THROTTLE_MAX_DELAY;
	if (remaining < 1)
		return reset;
	d = reset / remaining;
	/* Plenty of quota left: no pacing worth the name. */
	return d < 0.001 ? 0 : d;
}

/* Parse RateLimit-Remaining and RateLimit-Reset (see throttle.h). */
double
throttle_ratelimit(const char *remaining, const char *reset)
{
	double rem, rst;

	if (remaining == NULL || reset == NULL || number(remaining, &rem) != 0 ||
	    number(reset, &rst) != 0)
		return 0;
	return pace(rem, rst);
}

/* Parse the combined RateLimit field (see throttle.h). */
double
throttle_ratelimit_field(const char *v)
{
	double	rem = -1, rst = -1;

	if (v == NULL)
		return 0;
	for (const char *p = v; *p != '\0';) {
		const char	*name, *eq, *end;
		size_t		 n;
		char		 num[32];
		double		 d;

		p = skip_ws(p);
		name = p;
		end = p + strcspn(p, ",;");
		eq = memchr(p, '=', (size_t)(end - p));
		p = *end ? end + 1 : end;
		if (eq == NULL)
			continue;
		n = (size_t)(end - (eq + 1));
		if (n == 0 || n >= sizeof(num))
			continue;
		memcpy(num, eq + 1, n);
		num[n] = '\0';
		if (number(num, &d) != 0)
			continue;
		n = (size_t)(eq - name);
		while (n > 0 && (name[n - 1] == ' ' || name[n - 1] == '\t'))
			n--;
		if ((n == 9 && strncasecmp(name, "remaining", 9) == 0) ||
		    (n == 1 && name[0] == 'r'))
			rem = d;
		else if ((n == 5 && strncasecmp(name, "reset", 5) == 0) ||
		    (n == 1 && name[0] == 't'))
			rst = d;
	}
	if (rem < 0 || rst < 0)
		return 0;
	return pace(rem, rst);
}

/* Backoff before a retry (see throttle.h). */
double
throttle_backoff(int attempt, double rnd)
{
	double d;

	if (attempt < 0)
		attempt = 0;
	if (attempt > 32)
		attempt = 32;
	if (rnd < 0 || rnd >= 1)
		rnd = 0;
	d = THROTTLE_MIN_WAIT * ldexp(1.0, attempt) * (1 + 0.25 * rnd);
	return d > THROTTLE_MAX_WAIT ? THROTTLE_MAX_WAIT : d;
}

/* Classify a response (see throttle.h). */
enum throttle_class
throttle_classify(long status, int neterr, int upsert)
{
	if (status == 0)
		return neterr ? TH_RETRY : TH_FATAL;
	if (status >= 200 && status < 300)
		return TH_OK;
	switch (status) {
	case 401:
	case 403:
		return TH_AUTH;
	case 404:
	case 410:
		return TH_GONE;
	case 409:
		return upsert ? TH_RETRY : TH_FATAL;
	case 400:
	case 413:
	case 422:
	case 501:
		return TH_FATAL;
	}
	if (status >= 400 && status < 500)
		return TH_RETRY;	/* 408, 425, 429, ... */
	if (status >= 500)
		return TH_RETRY;
	return TH_FATAL;		/* 1xx/3xx left over: not understood */
}

const char *
throttle_class_name(enum throttle_class c)
{
	static const char *const names[] = { "ok", "retry", "auth", "gone",
	    "fatal" };

	return (unsigned)c < 5 ? names[c] : "?";
}
