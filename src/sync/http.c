/*
 * http.c - libcurl multi-socket on libev, with host gates and retries.
 *
 * The pattern is libcurl's: CURLMOPT_SOCKETFUNCTION keeps one ev_io per
 * socket curl cares about, CURLMOPT_TIMERFUNCTION one ev_timer, and both
 * watchers call curl_multi_socket_action(); finished transfers are picked
 * up with curl_multi_info_read().
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http.h"
#include "log.h"

enum { R_IDLE = 0, R_QUEUED, R_ACTIVE, R_DONE };

/* Margin added to waits so that the server sees at least what it asked. */
#define GATE_MARGIN	0.02

struct http_host {
	char			 key[256];	/* scheme://host:port */
	int			 active;
	int			 window;	/* allowed concurrency now */
	ev_tstamp		 gate;		/* nothing starts before */
	ev_tstamp		 last_fail;
	int			 fails;		/* failure rounds in a row */
	ev_timer		 timer;
	struct http		*h;
	TAILQ_HEAD(, http_req)	 queue;
	struct http_host	*next;
};

struct http {
	struct http_opts	 o;
	char			*base_url;
	char			*api_key;
	char			*user_agent;
	CURLM			*multi;
	ev_timer		 timer;
	struct http_host	*hosts;
	int			 busy;
	uint64_t		 sent;
};

struct sockw {
	ev_io		 io;
	curl_socket_t	 fd;
	struct http	*h;
};

static void	check_done(struct http *h);
static void	host_pump(struct http_host *hh);

/* ------------------------------------------------------------------ */
/* libcurl <-> libev */

static void
io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct sockw	*s = (struct sockw *)w;
	struct http	*h = s->h;	/* the call below may free s */
	int		 running, action = 0;

	(void)loop;
	if (revents & EV_READ)
		action |= CURL_CSELECT_IN;
	if (revents & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(h->multi, s->fd, action, &running);
	check_done(h);
}

static void
timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct http	*h = w->data;
	int		 running;

	(void)loop;
	(void)revents;
	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(h);
}

/* CURLMOPT_TIMERFUNCTION: one timer, in milliseconds. */
static int
multi_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct http *h = userp;

	(void)multi;
	ev_timer_stop(h->o.loop, &h->timer);
	if (timeout_ms >= 0) {
		/* Milliseconds to seconds: 1000.0, not integer 1000. */
		ev_timer_set(&h->timer, (ev_tstamp)timeout_ms / 1000.0, 0.);
		ev_timer_start(h->o.loop, &h->timer);
	}
	return 0;
}

/* CURLMOPT_SOCKETFUNCTION: watch fd for what curl wants. */
static int
multi_sock_cb(CURL *e, curl_socket_t fd, int what, void *userp, void *sockp)
{
	struct http	*h = userp;
	struct sockw	*s = sockp;
	int		 ev;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			ev_io_stop(h->o.loop, &s->io);
			free(s);
		}
		curl_multi_assign(h->multi, fd, NULL);
		return 0;
	}
	ev = (what & CURL_POLL_IN ? EV_READ : 0) |
	    (what & CURL_POLL_OUT ? EV_WRITE : 0);
	if (s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			fatalx("out of memory");
		s->fd = fd;
		s->h = h;
		curl_multi_assign(h->multi, fd, s);
	} else
		ev_io_stop(h->o.loop, &s->io);
	ev_io_init(&s->io, io_cb, fd, ev);
	ev_io_start(h->o.loop, &s->io);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Requests */

static size_t
write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct http_req	*r = arg;
	size_t		 len = size * n;

	if (r->resp.len + len > HTTP_RESP_MAX)
		return 0;	/* fails the transfer: response too large */
	buf_add(&r->resp, p, len);
	return len;
}

/* Keep the value of header name if line is that header. */
static void
header_value(const char *line, size_t n, const char *name, char *out,
    size_t outlen)
{
	size_t nl = strlen(name), vl;

	if (n <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return;
	line += nl + 1;
	n -= nl + 1;
	while (n > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		n--;
	}
	vl = n;
	while (vl > 0 && isspace((unsigned char)line[vl - 1]))
		vl--;
	if (vl >= outlen)
		vl = outlen - 1;
	memcpy(out, line, vl);
	out[vl] = '\0';
}

static size_t
header_cb(char *p, size_t size, size_t n, void *arg)
{
	struct http_req	*r = arg;
	size_t		 len = size * n;

	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* A new response (after 100 Continue, say). */
		r->retry_after[0] = r->rl_remaining[0] = '\0';
		r->rl_reset[0] = r->rl_field[0] = '\0';
		return len;
	}
	header_value(p, len, "Retry-After", r->retry_after,
	    sizeof(r->retry_after));
	header_value(p, len, "RateLimit-Remaining", r->rl_remaining,
	    sizeof(r->rl_remaining));
	header_value(p, len, "RateLimit-Reset", r->rl_reset,
	    sizeof(r->rl_reset));
	header_value(p, len, "RateLimit", r->rl_field, sizeof(r->rl_field));
	return len;
}

/* 1 if url lies under the base URL (where credentials may go). */
static int
under_base(const struct http *h, const char *url)
{
	size_t n;

	if (h->base_url == NULL)
		return 0;
	n = strlen(h->base_url);
	return strncmp(url, h->base_url, n) == 0 &&
	    (url[n] == '/' || url[n] == '\0' || url[n] == '?');
}

/* Set up the easy handle for one attempt; -1 if it cannot start. */
static int
req_setup(struct http *h, struct http_req *r)
{
	CURL	*e;
	long	 to = r->timeout_ms ? r->timeout_ms : h->o.timeout_ms;

	if ((e = r->easy = curl_easy_init()) == NULL)
		return -1;
	buf_reset(&r->resp);
	r->retry_after[0] = r->rl_remaining[0] = '\0';
	r->rl_reset[0] = r->rl_field[0] = '\0';
	r->status = 0;
	r->neterr = 0;
	r->err[0] = '\0';
	curl_easy_setopt(e, CURLOPT_URL, r->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, h->user_agent);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->err);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	if (to > 0) {
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, to);
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
		    to < 30000 ? to : 30000L);
	}
	if (h->o.insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	/* Credentials only for the server itself, never for upload URLs. */
	if (r->auth && h->api_key != NULL && under_base(h, r->url)) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERNAME, "api");
		curl_easy_setopt(e, CURLOPT_PASSWORD, h->api_key);
	}
	r->hdrlist = curl_slist_append(NULL, "Expect:");
	if (r->ctype != NULL) {
		char ct[128];

		snprintf(ct, sizeof(ct), "Content-Type: %s", r->ctype);
		r->hdrlist = curl_slist_append(r->hdrlist, ct);
	}
	for (struct curl_slist *s = r->headers; s != NULL; s = s->next)
		r->hdrlist = curl_slist_append(r->hdrlist, s->data);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->hdrlist);
	if (r->upload_path != NULL) {
		curl_off_t size;

		if ((r->upload = fopen(r->upload_path, "rb")) == NULL) {
			snprintf(r->err, sizeof(r->err), "%s: cannot read: %s",
			    r->upload_path, strerror(errno));
			return -1;
		}
		fseeko(r->upload, 0, SEEK_END);
		size = (curl_off_t)ftello(r->upload);
		rewind(r->upload);
		curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(e, CURLOPT_READDATA, r->upload);
		curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, size);
		h->sent += (uint64_t)size;
	} else {
		if (strcmp(r->method, "POST") != 0)
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body ? r->body : "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)r->bodylen);
		h->sent += r->bodylen;
	}
	return 0;
}

/* Release the easy handle of an attempt. */
static void
req_teardown(struct http_req *r)
{
	if (r->easy != NULL) {
		if (r->state == R_ACTIVE)
			curl_multi_remove_handle(r->h->multi, r->easy);
		curl_easy_cleanup(r->easy);
		r->easy = NULL;
	}
	curl_slist_free_all(r->hdrlist);
	r->hdrlist = NULL;
	if (r->upload != NULL) {
		fclose(r->upload);
		r->upload = NULL;
	}
}

/* ------------------------------------------------------------------ */
/* Hosts */

static void
host_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	host_pump(w->data);
}

/* scheme://host[:port] of url. */
static void
host_key(const char *url, char *out, size_t len)
{
	const char	*p = strstr(url, "://");
	size_t		 n;

	p = p ? p + 3 : url;
	n = (size_t)(p - url) + strcspn(p, "/?#");
	snprintf(out, len, "%.*s", (int)n, url);
}

static struct http_host *
host_get(struct http *h, const char *url)
{
	struct http_host	*hh;
	char			 key[256];

	host_key(url, key, sizeof(key));
	for (hh = h->hosts; hh != NULL; hh = hh->next)
		if (strcmp(hh->key, key) == 0)
			return hh;
	if ((hh = calloc(1, sizeof(*hh))) == NULL)
		fatalx("out of memory");
	snprintf(hh->key, sizeof(hh->key), "%s", key);
	hh->h = h;
	hh->window = h->o.host_max;
	TAILQ_INIT(&hh->queue);
	ev_timer_init(&hh->timer, host_timer_cb, 0., 0.);
	hh->timer.data = hh;
	hh->next = h->hosts;
	h->hosts = hh;
	return hh;
}

/* The owner hears the outcome. */
static void
req_finish(struct http_req *r)
{
	r->state = R_DONE;
	r->h->busy--;
	if (r->done != NULL)
		r->done(r, r->arg);
}

/* Start what the host's gate and window allow. */
static void
host_pump(struct http_host *hh)
{
	struct http	*h = hh->h;
	struct http_req	*r;
	ev_tstamp	 now;

	ev_timer_stop(h->o.loop, &hh->timer);
	while ((r = TAILQ_FIRST(&hh->queue)) != NULL &&
	    hh->active < hh->window) {
		ev_now_update(h->o.loop);
		now = ev_now(h->o.loop);
		if (now < hh->gate) {
			ev_timer_set(&hh->timer, hh->gate - now, 0.);
			ev_timer_start(h->o.loop, &hh->timer);
			return;
		}
		TAILQ_REMOVE(&hh->queue, r, link);
		r->attempts++;
		r->started = now;
		if (req_setup(h, r) != 0) {
			req_teardown(r);
			r->cls = TH_FATAL;
			if (r->err[0] == '\0')
				snprintf(r->err, sizeof(r->err), "cannot set "
				    "up a request to %s", r->url);
			req_finish(r);
			continue;
		}
		r->state = R_ACTIVE;
		hh->active++;
		curl_multi_add_handle(h->multi, r->easy);
	}
}

/* Push the host's gate to at least t. */
static void
gate_at(struct http_host *hh, ev_tstamp t)
{
	if (t > hh->gate)
		hh->gate = t;
}

/* Take in what a response says about pacing; retry delay or -1. */
static double
pacing(struct http_host *hh, struct http_req *r, ev_tstamp now)
{
	double	d, ra = -1;

	if (r->retry_after[0] != '\0' &&
	    throttle_retry_after(r->retry_after, time(NULL), &d) == 0)
		ra = d;
	d = throttle_ratelimit(r->rl_remaining[0] ? r->rl_remaining : NULL,
	    r->rl_reset[0] ? r->rl_reset : NULL);
	if (d <= 0)
		d = throttle_ratelimit_field(r->rl_field[0] ? r->rl_field :
		    NULL);
	if (d > 0)
		gate_at(hh, now + d + GATE_MARGIN);
	if (ra >= 0)
		gate_at(hh, now + ra + GATE_MARGIN);
	return ra;
}

/* A transfer ended: retry, or tell the owner. */
static void
req_ended(struct http *h, struct http_req *r, CURLcode cc)
{
	struct http_host	*hh = r->host;
	ev_tstamp		 now;
	double			 ra, delay;
	long			 status = 0;

	ev_now_update(h->o.loop);
	now = ev_now(h->o.loop);
	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	r->status = cc == CURLE_OK ? status : 0;
	r->neterr = cc != CURLE_OK && cc != CURLE_WRITE_ERROR &&
	    cc != CURLE_UNSUPPORTED_PROTOCOL && cc != CURLE_URL_MALFORMAT &&
	    cc != CURLE_PEER_FAILED_VERIFICATION && cc != CURLE_READ_ERROR;
	if (cc != CURLE_OK && r->err[0] == '\0')
		snprintf(r->err, sizeof(r->err), "%s", curl_easy_strerror(cc));
	if (cc == CURLE_WRITE_ERROR)
		snprintf(r->err, sizeof(r->err), "response over %d bytes",
		    HTTP_RESP_MAX);
	req_teardown(r);
	hh->active--;
	r->cls = throttle_classify(r->status, r->neterr, r->upsert);
	ra = pacing(hh, r, now);
	if (r->cls == TH_RETRY && r->attempts <= h->o.max_retries) {
		if (ra < 0) {
			/* One failure round per wave of requests. */
			if (r->started >= hh->last_fail)
				hh->fails++;
			hh->last_fail = now;
			delay = throttle_backoff(hh->fails - 1,
			    (double)random() / ((double)RAND_MAX + 1));
			gate_at(hh, now + delay);
		}
		delay = hh->gate - now;
		hh->window = 1;
		r->state = R_QUEUED;
		r->retrying = 1;
		TAILQ_INSERT_HEAD(&hh->queue, r, link);
		if (r->on_retry != NULL)
			r->on_retry(r, delay > 0 ? delay : 0, r->arg);
		host_pump(hh);
		return;
	}
	if (r->cls == TH_OK) {
		hh->fails = 0;
		if (hh->window < h->o.host_max)
			hh->window++;
	}
	req_finish(r);
	host_pump(hh);
}

/* Collect finished transfers. */
static void
check_done(struct http *h)
{
	CURLMsg		*m;
	int		 left;

	while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
		struct http_req *r = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		if (r == NULL)
			continue;
		req_ended(h, r, m->data.result);
	}
}

/* ------------------------------------------------------------------ */
/* Public */

struct http *
http_new(const struct http_opts *o, char *err, size_t errlen)
{
	struct http *h;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "libcurl failed to initialize");
		return NULL;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL)
		fatalx("out of memory");
	h->o = *o;
	if (h->o.host_max < 1)
		h->o.host_max = 1;
	h->base_url = xstrdup(o->base_url);
	h->api_key = xstrdup(o->api_key);
	h->user_agent = xstrdup(o->user_agent ? o->user_agent : "wbstore");
	if ((h->multi = curl_multi_init()) == NULL) {
		snprintf(err, errlen, "libcurl: cannot create a multi handle");
		http_free(h);
		return NULL;
	}
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, multi_sock_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, multi_timer_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	    (long)h->o.host_max);
	ev_timer_init(&h->timer, timer_cb, 0., 0.);
	h->timer.data = h;
	return h;
}

void
http_free(struct http *h)
{
	struct http_host *hh, *next;

	if (h == NULL)
		return;
	for (hh = h->hosts; hh != NULL; hh = next) {
		struct http_req *r;

		next = hh->next;
		while ((r = TAILQ_FIRST(&hh->queue)) != NULL)
			http_cancel(r);
		ev_timer_stop(h->o.loop, &hh->timer);
		free(hh);
	}
	ev_timer_stop(h->o.loop, &h->timer);
	if (h->multi != NULL)
		curl_multi_cleanup(h->multi);
	if (h->api_key != NULL) {
		explicit_bzero(h->api_key, strlen(h->api_key));
		free(h->api_key);
	}
	free(h->base_url);
	free(h->user_agent);
	free(h);
	curl_global_cleanup();
}

struct http_req *
http_req_new(void)
{
	struct http_req *r = calloc(1, sizeof(*r));

	if (r == NULL)
		fatalx("out of memory");
	r->method = "POST";
	buf_init(&r->resp);
	return r;
}

void
http_req_url(struct http_req *r, const char *fmt, ...)
{
	va_list ap;

	free(r->url);
	va_start(ap, fmt);
	if (vasprintf(&r->url, fmt, ap) < 0)
		fatalx("out of memory");
	va_end(ap);
}

void
http_cancel(struct http_req *r)
{
	if (r->state == R_QUEUED) {
		TAILQ_REMOVE(&r->host->queue, r, link);
		r->h->busy--;
	} else if (r->state == R_ACTIVE) {
		req_teardown(r);
		r->host->active--;
		r->h->busy--;
		host_pump(r->host);
	}
	r->state = R_IDLE;
}

void
http_req_free(struct http_req *r)
{
	if (r == NULL)
		return;
	if (r->h != NULL)
		http_cancel(r);
	free(r->url);
	free(r->upload_path);
	curl_slist_free_all(r->headers);
	buf_release(&r->resp);
	free(r);
}

void
http_submit(struct http *h, struct http_req *r)
{
	r->h = h;
	r->host = host_get(h, r->url);
	r->attempts = 0;
	r->retrying = 0;
	r->state = R_QUEUED;
	h->busy++;
	TAILQ_INSERT_TAIL(&r->host->queue, r, link);
	host_pump(r->host);
}

int
http_busy(const struct http *h)
{
	return h->busy;
}

uint64_t
http_bytes_sent(const struct http *h)
{
	return h->sent;
}
