/*
 * http.h - HTTP requests on a libev loop through libcurl's multi-socket
 * interface, with per-host concurrency, pacing and retries.
 *
 * Every host (scheme://host:port) has a gate: no request to it starts
 * before the gate time, which Retry-After, RateLimit-* and backoff after
 * failures move forward.  A failure that can be retried shrinks the
 * host's window of concurrent requests to one; each success widens it by
 * one up to the limit, so after an outage traffic comes back gradually.
 * Requests are retried (same body) until they succeed, fail for good or
 * run out of attempts; the owner hears only the outcome.
 */
#ifndef WBS_SYNC_HTTP_H
#define WBS_SYNC_HTTP_H

#include <sys/queue.h>

#include <curl/curl.h>
#include <ev.h>

#include "buf.h"
#include "throttle.h"

#define HTTP_RESP_MAX	(8 << 20)	/* bytes of a response kept */

struct http;
struct http_host;
struct http_req;

typedef void http_done_fn(struct http_req *req, void *arg);
/* A retry is scheduled in delay seconds (for progress displays). */
typedef void http_retry_fn(struct http_req *req, double delay, void *arg);

struct http_opts {
	struct ev_loop	*loop;
	const char	*base_url;	/* credentials go only below it */
	const char	*api_key;	/* NULL: no credentials */
	int		 insecure;	/* no TLS verification */
	int		 host_max;	/* concurrent requests per host */
	int		 max_retries;	/* attempts after the first */
	long		 timeout_ms;	/* per attempt, 0: none */
	const char	*user_agent;
};

struct http_req {
	/* Set by the owner before http_submit(). */
	const char		*method;	/* "POST" or "PUT" */
	char			*url;		/* owned */
	int			 auth;		/* send the API key */
	int			 upsert;	/* retry 409 (UpsertBucket) */
	const char		*ctype;		/* Content-Type or NULL */
	const char		*body;		/* borrowed until done */
	size_t			 bodylen;
	char			*upload_path;	/* PUT this file instead */
	struct curl_slist	*headers;	/* extra, owned */
	long			 timeout_ms;	/* 0: the default */
	http_done_fn		*done;
	http_retry_fn		*on_retry;
	void			*arg;

	/* Outcome. */
	long			 status;	/* HTTP status, 0 if none */
	int			 neterr;	/* no response: network/timeout */
	enum throttle_class	 cls;
	int			 attempts;
	char			 err[CURL_ERROR_SIZE + 64];
	struct buf		 resp;

	/* Private. */
	struct http		*h;
	struct http_host	*host;
	CURL			*easy;
	struct curl_slist	*hdrlist;
	FILE			*upload;
	int			 state;
	int			 retrying;
	ev_tstamp		 started;
	char			 retry_after[64];
	char			 rl_remaining[32];
	char			 rl_reset[32];
	char			 rl_field[128];
	TAILQ_ENTRY(http_req)	 link;
};

struct http	*http_new(const struct http_opts *o, char *err, size_t errlen);
void		 http_free(struct http *h);

/* A new request (zeroed; url set with http_req_url()). */
struct http_req	*http_req_new(void);
void		 http_req_url(struct http_req *r, const char *fmt, ...)
		    __attribute__((__format__(__printf__, 2, 3)));
/* Cancel if needed and free. */
void		 http_req_free(struct http_req *r);

/* Queue a request; done is called once, later, from the loop. */
void		 http_submit(struct http *h, struct http_req *r);
/* Stop a request without calling done. */
void		 http_cancel(struct http_req *r);

/* Requests queued or running. */
int		 http_busy(const struct http *h);
/* Bytes sent so far (bodies). */
uint64_t	 http_bytes_sent(const struct http *h);

#endif /* WBS_SYNC_HTTP_H */
