/*
 * ctl.c - the control socket ($XDG_RUNTIME_DIR/wbstore/wbstored.sock):
 * one command line in, one JSON document out.
 *
 *   status   the roots and every run: state, backlog, last error, next
 *            retry (wbstore status)
 *   sync     sync every run now, retries included; the reply comes when
 *            those passes are over (wbstore sync --now)
 *
 * And sd_notify: READY=1 and STATUS= datagrams to $NOTIFY_SOCKET.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

struct ctl_client {
	struct daemon		*d;
	int			 fd;
	ev_io			 io;
	ev_timer		 timer;
	char			 line[64];
	size_t			 len;
	struct ctl_client	*next;		/* waiting for `sync` */
};

/* Send datagram msg to $NOTIFY_SOCKET (systemd's notify protocol). */
void
ctl_notify(const char *msg)
{
	const char		*path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un	 sa;
	socklen_t		 len;
	int			 fd;

	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    strlen(path) >= sizeof(sa.sun_path))
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	if (path[0] == '@')
		sa.sun_path[0] = '\0';	/* abstract namespace */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return;
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL,
	    (struct sockaddr *)&sa, len) < 0)
		log_debug("sd_notify: %s", strerror(errno));
	close(fd);
}

/* A run's state word for status. */
static const char *
run_state(const struct drun *r)
{
	if (r->inpass)
		return "syncing";
	if (!r->seen_state)
		return "new";
	if (r->crash)
		return "crashed, finishing";
	switch (r->state) {
	case SYNC_SYNCED:
	case SYNC_SKIPPED:
		return "synced";
	case SYNC_UPTODATE:
		return r->live ? "live" : "running, no writer";
	case SYNC_STOPPED:
		return "stopped";
	case SYNC_FAILED:
		return "failed";
	default:
		return sync_state_name(r->state);
	}
}

/* The status document. */
void
ctl_status_json(struct daemon *d, struct buf *b)
{
	double now = ev_now(d->loop);

	buf_printf(b, "{\"pid\":%ld,\"version\":", (long)getpid());
	json_str(b, PACKAGE_VERSION, strlen(PACKAGE_VERSION));
	buf_printf(b, ",\"uptime\":%.3f,\"passes\":%llu,\"wakeups\":%llu,"
	    "\"config\":", now - d->started, (unsigned long long)d->passes,
	    (unsigned long long)d->wakeups);
	if (d->conf.path != NULL)
		json_str(b, d->conf.path, strlen(d->conf.path));
	else
		buf_adds(b, "null");
	buf_adds(b, ",\"roots\":[");
	for (size_t i = 0; i < d->nroots; i++) {
		struct droot *r = d->roots[i];

		if (r->gone)
			continue;
		buf_adds(b, i ? ",{\"path\":" : "{\"path\":");
		json_str(b, r->path, strlen(r->path));
		buf_printf(b, ",\"mode\":\"%s\",\"missing\":%s",
		    r->poll ? "poll" : "inotify", r->missing ? "true" :
		    "false");
		if (r->poll)
			buf_printf(b, ",\"why\":\"%s\",\"interval\":%.3f",
			    r->fstype ? r->fstype : "", r->interval);
		buf_addc(b, '}');
	}
	buf_adds(b, "],\"runs\":[");
	for (size_t i = 0; i < d->nruns; i++) {
		struct drun	*r = d->runs[i];
		const char	*st;

		if (!r->inpass && !r->done)
			r->live = watch_live(r->path);
		st = run_state(r);
		buf_adds(b, i ? ",{\"path\":" : "{\"path\":");
		json_str(b, r->path, strlen(r->path));
		buf_adds(b, ",\"id\":");
		if (r->id != NULL)
			json_str(b, r->id, strlen(r->id));
		else
			buf_adds(b, "null");
		buf_adds(b, ",\"state\":");
		json_str(b, st, strlen(st));
		buf_printf(b, ",\"live\":%s,\"pending\":%s,\"backlog\":%llu,"
		    "\"passes\":%llu,\"exit_code\":", r->live ? "true" :
		    "false", r->dirty ? "true" : "false",
		    (unsigned long long)r->backlog,
		    (unsigned long long)r->passes);
		if (r->done && r->exit_code >= 0)
			buf_printf(b, "%d", r->exit_code);
		else
			buf_adds(b, "null");
		buf_adds(b, ",\"error\":");
		if (r->err[0] != '\0')
			json_str(b, r->err, strlen(r->err));
		else
			buf_adds(b, "null");
		if (r->next_retry > now && r->dirty)
			buf_printf(b, ",\"retry_in\":%.3f}",
			    r->next_retry - now);
		else
			buf_adds(b, ",\"retry_in\":null}");
	}
	buf_adds(b, "]}\n");
}

/* Close a client and forget it. */
static void
client_free(struct ctl_client *c)
{
	struct daemon *d = c->d;

	for (struct ctl_client **p = &d->waiting; *p != NULL;
	    p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	ev_io_stop(d->loop, &c->io);
	ev_timer_stop(d->loop, &c->timer);
	close(c->fd);
	free(c);
}

/* Write the reply (the peer is local; a stalled one is dropped). */
static void
client_reply(struct ctl_client *c, struct buf *b)
{
	struct timeval	tv = { 2, 0 };
	size_t		off = 0;
	ssize_t		n;
	int		fl = fcntl(c->fd, F_GETFL);

	(void)fcntl(c->fd, F_SETFL, fl & ~O_NONBLOCK);
	(void)setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (off < b->len && (n = send(c->fd, b->p + off, b->len - off,
	    MSG_NOSIGNAL)) > 0)
		off += (size_t)n;
	client_free(c);
}

/* The `sync` reply: how the runs stand now. */
static void
now_reply(struct daemon *d, struct ctl_client *c)
{
	struct buf	b;
	size_t		ok = 0, bad = 0;

	for (size_t i = 0; i < d->nruns; i++) {
		struct drun *r = d->runs[i];

		if (r->seen_state && (r->state == SYNC_FAILED ||
		    r->state == SYNC_STOPPED))
			bad++;
		else
			ok++;
	}
	buf_init(&b);
	buf_printf(&b, "{\"ok\":%s,\"runs\":%zu,\"synced\":%zu,"
	    "\"failed\":%zu}\n", bad ? "false" : "true", ok + bad, ok, bad);
	client_reply(c, &b);
	buf_release(&b);
}

/* Every run a `sync --now` asked for has had its pass. */
void
ctl_now_done(struct daemon *d)
{
	while (d->waiting != NULL)
		now_reply(d, d->waiting);
}

/* Carry out the command a client sent. */
static void
client_cmd(struct ctl_client *c)
{
	struct daemon	*d = c->d;
	struct buf	 b;

	c->line[c->len] = '\0';
	c->line[strcspn(c->line, "\r\n")] = '\0';
	if (strcmp(c->line, "status") == 0) {
		buf_init(&b);
		ctl_status_json(d, &b);
		client_reply(c, &b);
		buf_release(&b);
		return;
	}
	if (strcmp(c->line, "sync") == 0) {
		log_info("sync now: %zu runs", d->nruns);
		for (size_t i = 0; i < d->nroots; i++)
			if (d->roots[i]->missing || d->roots[i]->poll)
				watch_scan_root(d, d->roots[i]);
		for (size_t i = 0; i < d->nruns; i++) {
			struct drun *r = d->runs[i];

			if (!r->now)
				d->now_pending++;
			r->now = 1;
			r->dirty = 1;
			r->next_retry = 0;
		}
		ev_io_stop(d->loop, &c->io);
		ev_timer_stop(d->loop, &c->timer);
		c->next = d->waiting;
		d->waiting = c;
		if (d->now_pending == 0)
			ctl_now_done(d);
		else
			worker_kick(d);
		return;
	}
	buf_init(&b);
	buf_printf(&b, "{\"error\":\"unknown command (status, sync)\"}\n");
	client_reply(c, &b);
	buf_release(&b);
}

/* Read a client's command line. */
static void
client_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_client	*c = w->data;
	ssize_t			 n;

	(void)loop;
	(void)revents;
	n = read(c->fd, c->line + c->len, sizeof(c->line) - 1 - c->len);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		client_free(c);
		return;
	}
	c->len += (size_t)n;
	if (memchr(c->line, '\n', c->len) != NULL ||
	    c->len == sizeof(c->line) - 1)
		client_cmd(c);
}

/* A client that says nothing in time is dropped. */
static void
client_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ctl_client *c = w->data;

	(void)loop;
	(void)revents;
	client_free(c);	/* said nothing in time */
}

/* A new client on the control socket. */
static void
ctl_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct daemon		*d = w->data;
	struct ctl_client	*c;
	int			 fd;

	(void)revents;
	d->wakeups++;
	if ((fd = accept4(d->ctl_fd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) < 0)
		return;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatalx("out of memory");
	c->d = d;
	c->fd = fd;
	ev_io_init(&c->io, client_read_cb, fd, EV_READ);
	c->io.data = c;
	ev_io_start(loop, &c->io);
	ev_timer_init(&c->timer, client_timeout_cb, 10, 0);
	c->timer.data = c;
	ev_timer_start(loop, &c->timer);
}

/* Listen on the control socket (one daemon per user: refuse a second). */
int
ctl_start(struct daemon *d, char *err, size_t errlen)
{
	struct sockaddr_un	sa;
	struct buf		b;
	char			dir[256], *slash;

	d->ctl_fd = -1;
	ctl_socket_path(d->ctl_path, sizeof(d->ctl_path));
	snprintf(dir, sizeof(dir), "%s", d->ctl_path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	buf_init(&b);
	if (ctl_request("status", &b, 2, NULL, 0) == 0) {
		buf_release(&b);
		snprintf(err, errlen, "another wbstored answers on %s",
		    d->ctl_path);
		return -1;
	}
	buf_release(&b);
	(void)unlink(d->ctl_path);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", d->ctl_path);
	if ((d->ctl_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0 || bind(d->ctl_fd, (struct sockaddr *)&sa,
	    sizeof(sa)) != 0 || listen(d->ctl_fd, 16) != 0) {
		snprintf(err, errlen, "%s: %s", d->ctl_path, strerror(errno));
		if (d->ctl_fd >= 0)
			close(d->ctl_fd);
		d->ctl_fd = -1;
		return -1;
	}
	ev_io_init(&d->ctl_io, ctl_accept_cb, d->ctl_fd, EV_READ);
	d->ctl_io.data = d;
	ev_io_start(d->loop, &d->ctl_io);
	return 0;
}

/* Close the control socket and remove it. */
void
ctl_stop(struct daemon *d)
{
	while (d->waiting != NULL)
		client_free(d->waiting);
	if (d->ctl_fd < 0)
		return;
	ev_io_stop(d->loop, &d->ctl_io);
	close(d->ctl_fd);
	(void)unlink(d->ctl_path);
	d->ctl_fd = -1;
}
