/*
 * ctlclient.c - talking to a running wbstored over its control socket
 * (see ctl.c); used by wbstored itself and by wbstore status / sync --now.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"

/* $XDG_RUNTIME_DIR/wbstore/wbstored.sock (else /tmp/wbstore-UID/...). */
void
ctl_socket_path(char *out, size_t len)
{
	const char *x = getenv("XDG_RUNTIME_DIR");

	if (x != NULL && *x == '/')
		snprintf(out, len, "%s/wbstore/wbstored.sock", x);
	else
		snprintf(out, len, "/tmp/wbstore-%u/wbstored.sock",
		    (unsigned)getuid());
}

/* Seconds on the monotonic clock. */
static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Send cmd, read the whole reply into reply (timeout_s <= 0: wait as long
 * as it takes).  0, or -1 with err filled (err may be NULL).
 */
int
ctl_request(const char *cmd, struct buf *reply, double timeout_s, char *err,
    size_t errlen)
{
	struct sockaddr_un	sa;
	struct pollfd		pfd;
	char			path[256], chunk[8192];
	double			end = mono() + timeout_s;
	ssize_t			n;
	int			fd, ms;

	ctl_socket_path(path, sizeof(path));
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (err != NULL)
			snprintf(err, errlen, "no wbstored is running (%s: %s)",
			    path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	snprintf(chunk, sizeof(chunk), "%s\n", cmd);
	if (send(fd, chunk, strlen(chunk), MSG_NOSIGNAL) < 0) {
		if (err != NULL)
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		ms = timeout_s > 0 ? (int)((end - mono()) * 1000) : -1;
		if (timeout_s > 0 && ms <= 0) {
			if (err != NULL)
				snprintf(err, errlen, "wbstored did not answer "
				    "within %.0f s (%s)", timeout_s, path);
			close(fd);
			return -1;
		}
		if (poll(&pfd, 1, ms) < 0 && errno != EINTR)
			break;
		if ((n = read(fd, chunk, sizeof(chunk))) == 0)
			break;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			break;
		}
		buf_add(reply, chunk, (size_t)n);
	}
	close(fd);
	if (reply->len == 0) {
		if (err != NULL)
			snprintf(err, errlen, "wbstored closed %s without an "
			    "answer", path);
		return -1;
	}
	return 0;
}
