/*
 * relay.c - the relay's HTTP side: libmicrohttpd driven from the
 * daemon's libev loop (MHD's epoll descriptor is one ev_io; its timeouts
 * one ev_timer), routing, credentials, size limits, gzip bodies and
 * fault injection.  Everything runs on the loop's thread, so handlers
 * need no locks; a delayed answer suspends its connection instead of
 * blocking the loop.
 *
 * Routes:
 *   POST /graphql                                   (API key)
 *   POST /files/ENTITY/PROJECT/RUN/file_stream      (API key)
 *   PUT  /upload/ENTITY/PROJECT/RUN/TOKEN/PATH      (token, no key)
 *   PUT  /artifact-upload/TOKEN/NAME                (token, no key)
 *   GET  /healthz
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>
#include <zlib.h>

#include "log.h"
#include "relay-int.h"
#include "upload.h"

enum rq_kind {
	RQ_NONE,
	RQ_GRAPHQL,
	RQ_FSTREAM,
	RQ_UPLOAD,
	RQ_HEALTH
};

/* One request in progress. */
struct rreq {
	struct relay		*r;
	struct MHD_Connection	*conn;
	int			 kind;
	char			 method[8];
	char			*seg[5];	/* entity, project, run, ... */
	char			*path;		/* upload path after the token */
	struct buf		 body;
	size_t			 received;
	int			 gzip;
	int			 err_status;	/* deferred error, 0 if none */
	int			 err_gql;	/* error body in GraphQL form */
	char			 errmsg[RELAY_ERR];
	int			 fault_done;
	struct fault_hit	 hit;
	ev_timer		 delay;
	int			 suspended;
	struct upload		*up;
	struct rreq		*next_susp;
	struct offload		*off;	/* file_stream body on a thread */
	int			 off_ready; /* off->rp is the answer */
};

/*
 * A file_stream request whose body is decoded by a thread (work.c) while
 * its connection is suspended; the loop then stores it and answers.  It
 * owns the body and the run's names, so a connection that goes away
 * meanwhile (q NULL) leaves a job that is still stored, unanswered.
 */
struct offload {
	struct wjob		 wj;	/* first: work.c hands this back */
	struct relay		*r;
	struct rreq		*q;	/* NULL once the connection is gone */
	struct buf		 body;
	char			*seg[3]; /* entity, project, run */
	struct fsjob		 fj;
	struct arena		 ar;
	struct itemvec		 iv;
	struct reply		 rp;	/* the answer, once stored */
	struct offload		*next;	/* in r->spare */
};

/* Bodies below this are decoded on the loop: a thread costs more. */
#define OFFLOAD_MIN	(16u << 10)

static struct rreq *suspended_list;

/* ---- replies ---- */

/*
 * Make a message valid UTF-8 in place: bytes that start no valid sequence
 * (from a client's bytes, or a sequence cut short) become '?'.
 */
static void
utf8_clean(char *msg)
{
	unsigned char	*p = (unsigned char *)msg;
	size_t		 n;

	while (*p != '\0') {
		n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 :
		    (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 ? 4 : 0;
		if (n == 0 || strnlen((char *)p, n) < n ||
		    !jscan_utf8_valid((char *)p, n)) {
			*p++ = '?';
			continue;
		}
		p += n;
	}
}

static void
vreply(struct reply *rp, int status, int gql, const char *fmt, va_list ap)
{
	char msg[RELAY_ERR];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	utf8_clean(msg);
	rp->status = status;
	buf_reset(&rp->body);
	if (gql) {
		buf_adds(&rp->body, "{\"data\":null,\"errors\":[{\"message\":");
		json_str(&rp->body, msg, strlen(msg));
		buf_adds(&rp->body, "}]}");
	} else {
		buf_adds(&rp->body, "{\"error\":");
		json_str(&rp->body, msg, strlen(msg));
		buf_adds(&rp->body, "}");
	}
}

/* An error reply {"error": msg}. */
void
reply_error(struct reply *rp, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreply(rp, status, 0, fmt, ap);
	va_end(ap);
}

/* An error reply in GraphQL's shape {"errors": [{"message": msg}]}. */
void
reply_gql_error(struct reply *rp, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreply(rp, status, 1, fmt, ap);
	va_end(ap);
}

/* Percent-encode s for a URL path (keeping '/' if asked). */
void
url_escape(struct buf *b, const char *s, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~' || (keep_slash && c == '/'))
			buf_addc(b, (char)c);
		else {
			buf_addc(b, '%');
			buf_addc(b, hex[c >> 4]);
			buf_addc(b, hex[c & 15]);
		}
	}
}

/* The base URL clients reach the relay at (for upload URLs). */
void
relay_base_url(struct relay *r, const char *hosthdr, struct buf *b)
{
	if (r->url != NULL) {
		buf_adds(b, r->url);
		return;
	}
	if (hosthdr != NULL && *hosthdr != '\0' && strlen(hosthdr) < 256 &&
	    strspn(hosthdr, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
	    "WXYZ0123456789.-:[]") == strlen(hosthdr)) {
		buf_printf(b, "http://%s", hosthdr);
		return;
	}
	buf_printf(b, "http://%s:%u", r->host, r->port);
}

/* Queue a JSON reply with the fault's extra headers. */
static enum MHD_Result
send_reply(struct rreq *q, int status, const char *body, size_t len)
{
	struct MHD_Response	*resp;
	enum MHD_Result		 ret;
	char			 v[32];

	resp = MHD_create_response_from_buffer(len, (void *)body,
	    MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", "application/json");
	if (status == 401)
		MHD_add_response_header(resp, "WWW-Authenticate",
		    "Basic realm=\"wbstore\"");
	if (q->hit.retry_after >= 0 && q->hit.act == FA_STATUS) {
		snprintf(v, sizeof(v), "%g", q->hit.retry_after);
		MHD_add_response_header(resp, "Retry-After", v);
	}
	if (q->hit.rl_remaining >= 0) {
		snprintf(v, sizeof(v), "%ld", q->hit.rl_remaining);
		MHD_add_response_header(resp, "RateLimit-Remaining", v);
		snprintf(v, sizeof(v), "%g", q->hit.rl_reset);
		MHD_add_response_header(resp, "RateLimit-Reset", v);
	}
	ret = MHD_queue_response(q->conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Answer a request with an error now. */
static enum MHD_Result
send_error(struct rreq *q, int status, int gql, const char *fmt, ...)
{
	struct reply	rp;
	va_list		ap;
	enum MHD_Result	ret;

	buf_init(&rp.body);
	va_start(ap, fmt);
	vreply(&rp, status, gql, fmt, ap);
	va_end(ap);
	log_info("%s %s: %d %s", q->method, q->kind == RQ_GRAPHQL ?
	    "/graphql" : "request", status, rp.body.p);
	ret = send_reply(q, status, rp.body.p, rp.body.len);
	buf_release(&rp.body);
	return ret;
}

/* Remember an error to answer once the body has been read. */
static void
defer_error(struct rreq *q, int status, const char *fmt, ...)
{
	va_list ap;

	if (q->err_status != 0)
		return;
	q->err_status = status;
	va_start(ap, fmt);
	vsnprintf(q->errmsg, sizeof(q->errmsg), fmt, ap);
	va_end(ap);
}

/* ---- routing ---- */

/* Split path into at most max '/'-separated segments (in place). */
static int
split(char *path, char **seg, int max, char **rest)
{
	int n = 0;

	*rest = NULL;
	while (n < max) {
		char *slash = strchr(path, '/');

		seg[n++] = path;
		if (slash == NULL)
			return n;
		*slash = '\0';
		path = slash + 1;
	}
	*rest = path;
	return n;
}

/* Check the Authorization header if the relay has keys. */
static void
check_auth(struct relay *r, struct rreq *q)
{
	const char *h;

	if (r->auth == NULL)
		return;
	h = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	if (h == NULL)
		defer_error(q, 401, "credentials missing: send HTTP Basic "
		    "auth with user \"api\" and an API key");
	else if (!auth_check(r->auth, h))
		defer_error(q, 401, "credentials rejected: the API key is not "
		    "one of the relay's keys");
}

/* Decide what the request is; errors are deferred. */
static void
route(struct relay *r, struct rreq *q, const char *url, const char *method)
{
	char	*copy, *rest, *seg[6];
	int	 n;

	snprintf(q->method, sizeof(q->method), "%s", method);
	if (url[0] != '/' || (copy = strdup(url + 1)) == NULL) {
		defer_error(q, 400, "bad request path");
		return;
	}
	q->seg[0] = copy;	/* owns the copy */
	n = split(copy, seg, 5, &rest);
	if (n == 1 && strcmp(seg[0], "graphql") == 0) {
		q->kind = RQ_GRAPHQL;
		q->err_gql = 1;
		if (strcmp(method, "POST") != 0)
			defer_error(q, 405, "/graphql takes POST");
		check_auth(r, q);
	} else if (n == 5 && rest == NULL && strcmp(seg[0], "files") == 0 &&
	    strcmp(seg[4], "file_stream") == 0) {
		q->kind = RQ_FSTREAM;
		q->seg[1] = seg[1];
		q->seg[2] = seg[2];
		q->seg[3] = seg[3];
		if (strcmp(method, "POST") != 0)
			defer_error(q, 405, "file_stream takes POST");
		check_auth(r, q);
	} else if (n == 5 && rest != NULL && strcmp(seg[0], "upload") == 0) {
		q->kind = RQ_UPLOAD;
		if (strcmp(method, "PUT") != 0)
			defer_error(q, 405, "uploads take PUT");
		else
			q->up = upload_begin(r, seg[1], seg[2], seg[3], seg[4],
			    rest, q->errmsg, sizeof(q->errmsg), &q->err_status);
	} else if (n >= 2 && strcmp(seg[0], "artifact-upload") == 0) {
		q->kind = RQ_UPLOAD;
		if (strcmp(method, "PUT") != 0)
			defer_error(q, 405, "uploads take PUT");
		else if (n == 2)
			defer_error(q, 400, "artifact upload without a file "
			    "name");
		else {
			/* Rejoin the name: it may have directories. */
			char *name = seg[2];

			for (int i = 3; i < n; i++)
				seg[i][-1] = '/';
			if (rest != NULL)
				rest[-1] = '/';
			q->up = upload_begin(r, NULL, NULL, NULL, seg[1], name,
			    q->errmsg, sizeof(q->errmsg), &q->err_status);
		}
	} else if (n == 1 && strcmp(seg[0], "healthz") == 0)
		q->kind = RQ_HEALTH;
	else
		defer_error(q, 404, "no such endpoint: %s %s", method, url);
}

/* Content-Length and Content-Encoding checks at the start. */
static int
check_headers(struct relay *r, struct rreq *q)
{
	const char		*v;
	unsigned long long	 max = q->kind == RQ_UPLOAD ?
	    r->conf.max_upload : RELAY_BODY_MAX;

	v = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (v != NULL && strtoull(v, NULL, 10) > max) {
		q->err_status = 413;
		snprintf(q->errmsg, sizeof(q->errmsg), "body of %s bytes is "
		    "over the limit of %llu bytes", v, max);
		return -1;
	}
	v = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_ENCODING);
	if (v != NULL && q->kind != RQ_UPLOAD) {
		if (strcasecmp(v, "gzip") == 0)
			q->gzip = 1;
		else if (strcasecmp(v, "identity") != 0)
			defer_error(q, 415, "Content-Encoding \"%s\" is not "
			    "supported (gzip is)", v);
	}
	return 0;
}

/* Inflate a gzip body in place of the original (bounded). */
static int
gunzip(struct rreq *q)
{
	z_stream	zs;
	struct buf	out;
	char		chunk[65536];
	int		zr;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		return send_error(q, 500, q->err_gql, "zlib: cannot "
		    "initialize") == MHD_YES ? -1 : -2;
	buf_init(&out);
	zs.next_in = (Bytef *)(q->body.p ? q->body.p : "");
	zs.avail_in = (uInt)q->body.len;
	do {
		zs.next_out = (Bytef *)chunk;
		zs.avail_out = sizeof(chunk);
		zr = inflate(&zs, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END)
			break;
		buf_add(&out, chunk, sizeof(chunk) - zs.avail_out);
		if (out.len > RELAY_BODY_MAX)
			break;
	} while (zr != Z_STREAM_END);
	inflateEnd(&zs);
	if (out.len > RELAY_BODY_MAX) {
		buf_release(&out);
		return send_error(q, 413, q->err_gql, "gzip body inflates to "
		    "over %u bytes", RELAY_BODY_MAX) == MHD_YES ? -1 : -2;
	}
	if (zr != Z_STREAM_END) {
		buf_release(&out);
		return send_error(q, 400, q->err_gql, "gzip body is corrupt "
		    "or truncated") == MHD_YES ? -1 : -2;
	}
	buf_release(&q->body);
	q->body = out;
	return 0;
}

/* ---- faults ---- */

static void
resume_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct rreq	 *q = w->data;
	struct rreq	**pp;

	(void)loop;
	(void)revents;
	for (pp = &suspended_list; *pp != NULL; pp = &(*pp)->next_susp)
		if (*pp == q) {
			*pp = q->next_susp;
			break;
		}
	q->suspended = 0;
	MHD_resume_connection(q->conn);
	MHD_run(q->r->mhd);
}

/* Look up the fault for this request; 1 if the request is handled. */
static int
apply_fault(struct relay *r, struct rreq *q, enum MHD_Result *ret)
{
	char	op[128] = "";
	const char *ep;

	if (r->faults == NULL || q->fault_done)
		return 0;
	q->fault_done = 1;
	ep = q->kind == RQ_GRAPHQL ? "graphql" : q->kind == RQ_FSTREAM ?
	    "file_stream" : q->kind == RQ_UPLOAD ? "upload" : "other";
	if (q->kind == RQ_GRAPHQL)
		(void)gql_peek_op(q->body.p ? q->body.p : "", q->body.len, op,
		    sizeof(op));
	if (fault_pick(r->faults, ep, op, &q->hit) == 0)
		return 0;
	log_info("fault: %s %s%s%s: %s", q->method, ep, op[0] ? ":" : "", op,
	    q->hit.desc);
	switch (q->hit.act) {
	case FA_STATUS:
		*ret = send_error(q, q->hit.status, q->err_gql, "injected "
		    "fault: %s", q->hit.desc);
		return 1;
	case FA_CLOSE:
		*ret = MHD_NO;
		return 1;
	case FA_DELAY:
		MHD_suspend_connection(q->conn);
		q->suspended = 1;
		q->next_susp = suspended_list;
		suspended_list = q;
		ev_timer_init(&q->delay, resume_cb, q->hit.delay, 0.);
		q->delay.data = q;
		ev_timer_start(r->loop, &q->delay);
		*ret = MHD_YES;
		return 1;
	default:
		return 0;
	}
}

/* ---- decoding on threads ---- */

static void
offload_free(struct offload *o)
{
	arena_release(&o->ar);
	free(o->iv.v);
	buf_release(&o->fj.rp.body);
	buf_release(&o->rp.body);
	free(o);
}

/* Done with an offload: keep it for the next request, emptied. */
static void
offload_recycle(struct relay *r, struct offload *o)
{
	arena_reset(&o->ar);
	o->iv.n = 0;
	if (o->iv.cap > (1u << 20)) {
		free(o->iv.v);
		memset(&o->iv, 0, sizeof(o->iv));
	}
	buf_release(&o->body);
	for (int i = 0; i < 3; i++) {
		free(o->seg[i]);
		o->seg[i] = NULL;
	}
	o->q = NULL;
	/* A burst of requests leaves no more spares than threads need. */
	if (r->nspare > 2 * r->conf.threads + 2) {
		offload_free(o);
		return;
	}
	o->next = r->spare;
	r->spare = o;
	r->nspare++;
}

static void
offload_run(struct wjob *wj)
{
	fstream_decode(&((struct offload *)wj)->fj);
}

/* Decoded: store it on the loop, then wake the connection to answer. */
static void
offload_done(struct wjob *wj)
{
	struct offload	*o = (struct offload *)wj;
	struct rreq	*q = o->q;

	fstream_apply(o->r, o->seg[0], o->seg[1], o->seg[2], &o->fj, &o->rp);
	if (q == NULL) {
		offload_recycle(o->r, o);
		return;
	}
	q->off_ready = 1;
	MHD_resume_connection(q->conn);
	MHD_run(o->r->mhd);
}

/* Hand a file_stream body to the threads and suspend its connection. */
static enum MHD_Result
offload_start(struct relay *r, struct rreq *q)
{
	struct offload *o;

	if ((o = r->spare) != NULL) {
		r->spare = o->next;
		r->nspare--;
	} else {
		if ((o = calloc(1, sizeof(*o))) == NULL)
			fatalx("out of memory");
		buf_init(&o->fj.rp.body);
		buf_init(&o->rp.body);
	}
	o->r = r;
	o->q = q;
	o->body = q->body;
	buf_init(&q->body);
	for (int i = 0; i < 3; i++)
		o->seg[i] = xstrdup(q->seg[i + 1]);
	o->wj.run = offload_run;
	o->wj.done = offload_done;
	o->fj.body = o->body.p;
	o->fj.len = o->body.len;
	o->fj.b.ar = &o->ar;
	o->fj.b.iv = &o->iv;
	o->fj.rp.status = 200;
	buf_reset(&o->fj.rp.body);
	o->rp.status = 200;
	o->rp.stopped = 0;
	buf_reset(&o->rp.body);
	q->off = o;
	q->off_ready = 0;
	MHD_suspend_connection(q->conn);
	work_submit(r->work, &o->wj);
	return MHD_YES;
}

/* ---- handling a complete request ---- */

static enum MHD_Result
handle(struct relay *r, struct rreq *q)
{
	struct reply	 rp;
	enum MHD_Result	 ret;
	const char	*host;
	char		 op[128] = "";

	buf_init(&rp.body);
	rp.status = 200;
	rp.stopped = 0;
	host = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_HOST);
	arena_reset(&r->ar);
	r->iv.n = 0;
	switch (q->kind) {
	case RQ_GRAPHQL:
		gql_handle(r, q->body.p ? q->body.p : "", q->body.len, host,
		    &rp, op, sizeof(op));
		break;
	case RQ_FSTREAM:
		if (q->off != NULL) {
			struct buf t = rp.body;

			rp = q->off->rp;
			q->off->rp.body = t;
			offload_recycle(r, q->off);
			q->off = NULL;
			break;
		}
		buf_addc(&q->body, '\0');
		q->body.len--;
		if (r->work != NULL && q->body.len >= r->offload_min) {
			buf_release(&rp.body);
			return offload_start(r, q);
		}
		fstream_handle(r, q->seg[1], q->seg[2], q->seg[3], q->body.p,
		    q->body.len, &rp);
		break;
	case RQ_UPLOAD:
		upload_end(r, q->up, &rp);
		q->up = NULL;
		break;
	default:
		buf_adds(&rp.body, "{\"ok\":true}");
		break;
	}
	if (r->iv.cap > (1u << 20)) {
		free(r->iv.v);
		memset(&r->iv, 0, sizeof(r->iv));
	}
	if (rp.status >= 400)
		log_info("%s %s%s%s: %d %s", q->method, q->kind == RQ_GRAPHQL ?
		    "/graphql " : q->kind == RQ_FSTREAM ? "file_stream " :
		    "upload ", op, "", rp.status, rp.body.p ? rp.body.p : "");
	if (q->hit.act == FA_DROP)
		ret = MHD_NO;
	else
		ret = send_reply(q, rp.status, rp.body.p ? rp.body.p : "{}",
		    rp.body.p ? rp.body.len : 2);
	buf_release(&rp.body);
	return ret;
}

/* Body complete: errors, gzip, faults, then the handler. */
static enum MHD_Result
finish(struct relay *r, struct rreq *q)
{
	enum MHD_Result ret = MHD_YES;

	if (q->err_status != 0)
		return send_error(q, q->err_status, q->err_gql, "%s",
		    q->errmsg);
	if (r->stopping && q->off == NULL)
		return send_error(q, 503, q->err_gql, "the relay is shutting "
		    "down");
	if (q->gzip && !q->fault_done) {
		int rc = gunzip(q);

		if (rc < 0)
			return rc == -1 ? MHD_YES : MHD_NO;
		q->gzip = 0;
	}
	if (apply_fault(r, q, &ret))
		return ret;
	return handle(r, q);
}

/*
 * A piece of the body.  Past the limit the rest is read and dropped (an
 * answer cannot be queued while a body is still arriving) and 413 is
 * answered at the end; a body that keeps coming long after the limit
 * gets its connection closed.
 */
static enum MHD_Result
body_chunk(struct relay *r, struct rreq *q, const char *data, size_t *size)
{
	unsigned long long	max = q->kind == RQ_UPLOAD ?
	    r->conf.max_upload : RELAY_BODY_MAX;
	size_t			n = *size;

	*size = 0;
	q->received += n;
	if (q->err_status != 0)
		return q->received > max + (64ull << 20) ? MHD_NO : MHD_YES;
	if (q->received > max) {
		upload_abort(q->up);
		q->up = NULL;
		defer_error(q, 413, "body is over the limit of %llu bytes",
		    max);
		return MHD_YES;
	}
	if (q->kind == RQ_UPLOAD) {
		if (upload_write(q->up, data, n, q->errmsg,
		    sizeof(q->errmsg)) != 0)
			q->err_status = 500;
		return MHD_YES;
	}
	buf_add(&q->body, data, n);
	return MHD_YES;
}

/* MHD's access handler: called at the start, per body chunk, at the end. */
static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *data, size_t *size,
    void **ctxp)
{
	struct relay	*r = cls;
	struct rreq	*q = *ctxp;

	(void)version;
	if (q == NULL) {
		if ((q = calloc(1, sizeof(*q))) == NULL)
			return MHD_NO;
		q->r = r;
		q->conn = conn;
		q->hit.act = FA_NONE;
		q->hit.retry_after = -1;
		q->hit.rl_remaining = -1;
		buf_init(&q->body);
		*ctxp = q;
		route(r, q, url, method);
		if (check_headers(r, q) != 0)
			return send_error(q, q->err_status, q->err_gql, "%s",
			    q->errmsg);
		return MHD_YES;
	}
	if (*size > 0)
		return body_chunk(r, q, data, size);
	return finish(r, q);
}

/* Free a request when MHD is done with its connection's request. */
static void
on_completed(void *cls, struct MHD_Connection *conn, void **ctxp,
    enum MHD_RequestTerminationCode toe)
{
	struct relay	 *r = cls;
	struct rreq	 *q = *ctxp;
	struct rreq	**pp;

	(void)conn;
	(void)toe;
	if (q == NULL)
		return;
	if (q->suspended) {
		ev_timer_stop(r->loop, &q->delay);
		for (pp = &suspended_list; *pp != NULL; pp = &(*pp)->next_susp)
			if (*pp == q) {
				*pp = q->next_susp;
				break;
			}
	}
	if (q->off != NULL) {
		if (q->off_ready)
			offload_recycle(r, q->off);
		else
			q->off->q = NULL;
	}
	upload_abort(q->up);
	free(q->seg[0]);
	buf_release(&q->body);
	free(q);
	*ctxp = NULL;
}

static int
hexdig(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode %XX in place; %00 becomes 0x01 so names cannot be cut short. */
static size_t
unescape(void *cls, struct MHD_Connection *c, char *s)
{
	char *o = s, *p = s;

	(void)cls;
	(void)c;
	while (*p != '\0') {
		int hi, lo;

		if (p[0] == '%' && p[1] != '\0' && p[2] != '\0' &&
		    (hi = hexdig(p[1])) >= 0 && (lo = hexdig(p[2])) >= 0) {
			*o++ = (char)(hi << 4 | lo) ? (char)(hi << 4 | lo) :
			    '\x01';
			p += 3;
		} else
			*o++ = *p++;
	}
	*o = '\0';
	return (size_t)(o - s);
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("http: %s", msg);
}

/* ---- the loop ---- */

static void
io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct relay *r = w->data;

	(void)loop;
	(void)revents;
	MHD_run(r->mhd);
}

static void
tmo_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct relay *r = w->data;

	(void)loop;
	(void)revents;
	MHD_run(r->mhd);
}

/* Before the loop sleeps: arm the timer with MHD's next timeout. */
static void
prep_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct relay		*r = w->data;
	MHD_UNSIGNED_LONG_LONG	 ms;

	(void)revents;
	ev_timer_stop(loop, &r->tmo);
	if (MHD_get_timeout(r->mhd, &ms) == MHD_YES) {
		ev_timer_set(&r->tmo, ms / 1000.0, 0.);
		ev_timer_start(loop, &r->tmo);
	}
}

static void
sweep_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct relay *r = w->data;

	(void)revents;
	store_sweep(r->store, ev_now(loop), r->conf.idle);
}

/* ---- configuration ---- */

/* Parse ADDR:PORT, [ADDR]:PORT or PORT into a socket address. */
static int
parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *lenp,
    char *host, size_t hostlen, char *err, size_t errlen)
{
	struct addrinfo	 hints, *ai;
	char		 buf[256], *port, *addr;
	int		 rc;

	if ((size_t)snprintf(buf, sizeof(buf), "%s", s) >= sizeof(buf)) {
		snprintf(err, errlen, "listen address is too long");
		return -1;
	}
	if (strspn(buf, "0123456789") == strlen(buf)) {
		addr = "127.0.0.1";
		port = buf;
	} else if (buf[0] == '[') {
		char *close = strchr(buf, ']');

		if (close == NULL || close[1] != ':') {
			snprintf(err, errlen, "listen address \"%s\": expected "
			    "[ADDR]:PORT", s);
			return -1;
		}
		*close = '\0';
		addr = buf + 1;
		port = close + 2;
	} else {
		char *colon = strrchr(buf, ':');

		if (colon == NULL || strchr(buf, ':') != colon) {
			snprintf(err, errlen, "listen address \"%s\": expected "
			    "ADDR:PORT, [ADDR]:PORT or PORT", s);
			return -1;
		}
		*colon = '\0';
		addr = buf;
		port = colon + 1;
	}
	if (*port == '\0' || strspn(port, "0123456789") != strlen(port) ||
	    atol(port) > 65535) {
		snprintf(err, errlen, "listen address \"%s\": bad port", s);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	if ((rc = getaddrinfo(addr, port, &hints, &ai)) != 0) {
		snprintf(err, errlen, "listen address \"%s\": %s", s,
		    gai_strerror(rc));
		return -1;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*lenp = ai->ai_addrlen;
	freeaddrinfo(ai);
	if (ss->ss_family == AF_INET6)
		snprintf(host, hostlen, "[%s]", addr);
	else
		snprintf(host, hostlen, "%s", addr);
	return 0;
}

/* 127.0.0.0/8 or ::1 (or ::ffff:127.x.y.z). */
static int
is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;

		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;
		const uint8_t *a = in6->sin6_addr.s6_addr;

		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			return 1;
		return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && a[12] == 127;
	}
	return 0;
}

/* The store must be a writable directory, or creatable. */
static int
check_store_dir(const char *dir, char *err, size_t errlen)
{
	struct stat	 sb;
	char		 parent[PATH_MAX], *slash;

	if (stat(dir, &sb) == 0) {
		if (!S_ISDIR(sb.st_mode) || access(dir, W_OK | X_OK) != 0) {
			snprintf(err, errlen, "store %s is not a writable "
			    "directory", dir);
			return -1;
		}
		return 0;
	}
	snprintf(parent, sizeof(parent), "%s", dir);
	while ((slash = strrchr(parent, '/')) != NULL && slash[1] == '\0')
		*slash = '\0';
	if ((slash = strrchr(parent, '/')) == NULL)
		snprintf(parent, sizeof(parent), ".");
	else if (slash == parent)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (stat(parent, &sb) != 0 || !S_ISDIR(sb.st_mode) ||
	    access(parent, W_OK | X_OK) != 0) {
		snprintf(err, errlen, "store %s does not exist and %s is not a "
		    "writable directory", dir, parent);
		return -1;
	}
	return 0;
}

/* Check the configuration and build the relay (nothing bound yet). */
int
relay_new(struct relay **rp, const struct relay_conf *conf, char *err,
    size_t errlen)
{
	struct relay		*r;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	const char		*v;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatalx("out of memory");
	r->conf = *conf;
	r->lfd = -1;
	r->listen = xstrdup(conf->listen ? conf->listen : "127.0.0.1:8080");
	r->store_dir = xstrdup(conf->store);
	r->port_file = xstrdup(conf->port_file);
	r->url = xstrdup(conf->url);
	r->entity = xstrdup(conf->entity ? conf->entity : "wbstore");
	if (r->url != NULL && r->url[0] != '\0' &&
	    r->url[strlen(r->url) - 1] == '/')
		r->url[strlen(r->url) - 1] = '\0';
	if (r->conf.idle <= 0)
		r->conf.idle = 300;
	if (r->conf.max_upload == 0)
		r->conf.max_upload = 1ull << 30;
	if (r->conf.threads < 0) {
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

		r->conf.threads = ncpu > 5 ? 4 : ncpu > 1 ? (int)ncpu - 1 : 0;
	}
	/* The tests send every body through the threads with 0. */
	r->offload_min = OFFLOAD_MIN;
	if ((v = getenv("WBS_TEST_OFFLOAD_MIN")) != NULL && *v != '\0')
		r->offload_min = strtoul(v, NULL, 10);
	if (r->store_dir == NULL) {
		snprintf(err, errlen, "no store directory (--store DIR)");
		goto fail;
	}
	if (r->entity[0] == '\0' || strpbrk(r->entity, "/\\#?%:") != NULL) {
		snprintf(err, errlen, "entity \"%s\" is not a valid name",
		    r->entity);
		goto fail;
	}
	if (parse_listen(r->listen, &ss, &sslen, r->host, sizeof(r->host),
	    err, errlen) != 0)
		goto fail;
	if (conf->keys_file != NULL && auth_load(&r->auth, conf->keys_file,
	    err, errlen) != 0)
		goto fail;
	if (r->auth == NULL && !is_loopback(&ss)) {
		snprintf(err, errlen, "refusing to listen on %s without API "
		    "keys: give --keys FILE, or listen on a loopback address "
		    "(127.0.0.0/8, ::1)", r->listen);
		goto fail;
	}
	if (conf->faults_file != NULL && fault_load(&r->faults,
	    conf->faults_file, err, errlen) != 0)
		goto fail;
	if (check_store_dir(r->store_dir, err, errlen) != 0)
		goto fail;
	*rp = r;
	return 0;
fail:
	relay_free(r);
	return -1;
}

/* Write the bound port to the port file (atomically). */
static int
write_port_file(struct relay *r, char *err, size_t errlen)
{
	char	tmp[PATH_MAX];
	FILE	*f;

	snprintf(tmp, sizeof(tmp), "%s.tmp%ld", r->port_file, (long)getpid());
	if ((f = fopen(tmp, "w")) == NULL ||
	    fprintf(f, "%u\n", r->port) < 0 || fclose(f) != 0 ||
	    rename(tmp, r->port_file) != 0) {
		snprintf(err, errlen, "port file %s: %s", r->port_file,
		    strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Bind the listening socket. */
static int
bind_socket(struct relay *r, char *err, size_t errlen)
{
	struct sockaddr_storage	ss;
	socklen_t		sslen;
	int			one = 1;

	if (parse_listen(r->listen, &ss, &sslen, r->host, sizeof(r->host),
	    err, errlen) != 0)
		return -1;
	if ((r->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) <
	    0 || setsockopt(r->lfd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) != 0 || bind(r->lfd, (struct sockaddr *)&ss,
	    sslen) != 0 || listen(r->lfd, 128) != 0) {
		snprintf(err, errlen, "listen on %s: %s", r->listen,
		    strerror(errno));
		return -1;
	}
	sslen = sizeof(ss);
	if (getsockname(r->lfd, (struct sockaddr *)&ss, &sslen) != 0) {
		snprintf(err, errlen, "getsockname: %s", strerror(errno));
		return -1;
	}
	r->port = ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	return ss.ss_family;
}

/* Bind, start libmicrohttpd and register with the loop. */
int
relay_start(struct relay *r, struct ev_loop *loop, char *err, size_t errlen)
{
	const union MHD_DaemonInfo	*info;
	unsigned			 flags;
	int				 family;

	r->loop = loop;
	if (store_open(&r->store, r->store_dir, r->entity, err, errlen) != 0)
		return -1;
	if ((family = bind_socket(r, err, errlen)) < 0)
		return -1;
	flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (family == AF_INET6)
		flags |= MHD_USE_IPv6;
	r->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, r,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, r,
	    MHD_OPTION_LISTEN_SOCKET, r->lfd,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, r,
	    MHD_OPTION_UNESCAPE_CALLBACK, unescape, r,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)300,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)512,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256 << 10),
	    MHD_OPTION_END);
	if (r->mhd == NULL) {
		snprintf(err, errlen, "cannot start the HTTP server on %s",
		    r->listen);
		return -1;
	}
	r->lfd = -1;		/* MHD owns it now */
	if ((info = MHD_get_daemon_info(r->mhd, MHD_DAEMON_INFO_EPOLL_FD)) ==
	    NULL) {
		snprintf(err, errlen, "libmicrohttpd has no epoll descriptor");
		return -1;
	}
	ev_io_init(&r->io, io_cb, info->epoll_fd, EV_READ);
	r->io.data = r;
	ev_io_start(loop, &r->io);
	ev_timer_init(&r->tmo, tmo_cb, 1., 0.);
	r->tmo.data = r;
	ev_prepare_init(&r->prep, prep_cb);
	r->prep.data = r;
	ev_prepare_start(loop, &r->prep);
	ev_timer_init(&r->sweep, sweep_cb, 2., 2.);
	r->sweep.data = r;
	ev_timer_start(loop, &r->sweep);
	if (r->conf.threads > 0 && work_new(&r->work, loop, r->conf.threads,
	    err, errlen) != 0)
		return -1;
	if (r->port_file != NULL && write_port_file(r, err, errlen) != 0)
		return -1;
	log_info("relay listening on %s (port %u), store %s, %d decoding "
	    "thread%s%s%s", r->listen, r->port, r->store_dir, r->conf.threads,
	    r->conf.threads == 1 ? "" : "s", r->auth ? ", API keys required" :
	    "", r->faults ? ", fault injection on" : "");
	return 0;
}

/* Stop serving: answer suspended requests, stop MHD, close the runs. */
void
relay_stop(struct relay *r)
{
	if (r == NULL || r->loop == NULL)
		return;
	r->stopping = 1;
	/* Bodies being decoded are stored and answered first. */
	work_free(r->work);
	r->work = NULL;
	while (suspended_list != NULL) {
		struct rreq *q = suspended_list;

		suspended_list = q->next_susp;
		ev_timer_stop(r->loop, &q->delay);
		q->suspended = 0;
		MHD_resume_connection(q->conn);
	}
	if (r->mhd != NULL) {
		MHD_run(r->mhd);
		ev_io_stop(r->loop, &r->io);
		ev_timer_stop(r->loop, &r->tmo);
		ev_prepare_stop(r->loop, &r->prep);
		MHD_stop_daemon(r->mhd);
		r->mhd = NULL;
	}
	ev_timer_stop(r->loop, &r->sweep);
	store_close(r->store);
	r->store = NULL;
	r->loop = NULL;
}

void
relay_free(struct relay *r)
{
	if (r == NULL)
		return;
	if (r->mhd != NULL)
		MHD_stop_daemon(r->mhd);
	if (r->lfd >= 0)
		close(r->lfd);
	store_close(r->store);
	auth_free(r->auth);
	fault_free(r->faults);
	work_free(r->work);
	while (r->spare != NULL) {
		struct offload *o = r->spare;

		r->spare = o->next;
		offload_free(o);
	}
	arena_release(&r->ar);
	free(r->iv.v);
	free(r->listen);
	free(r->store_dir);
	free(r->port_file);
	free(r->url);
	free(r->entity);
	free(r);
}
