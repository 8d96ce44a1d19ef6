/*
 * fault.c - fault injection for tests (wbstored --faults FILE).
 *
 * Each line of the rules file is
 *
 *	TARGET ACTION [OPTION...]
 *
 * TARGET is file_stream, upload, graphql, graphql:OPERATION or '*'.
 * ACTION is a status code (400-599: answer with it, process nothing),
 * close (close the connection, process nothing), delay=SECONDS (wait,
 * then process), drop (process, then close without answering) or ok
 * (process normally).  OPTIONS: times=N (default 1; '*' for ever),
 * retry-after=SECONDS (with a status), remaining=N and reset=SECONDS
 * (RateLimit-Remaining and RateLimit-Reset headers on the answer).
 * Lines with the same TARGET form a sequence, used in file order: each
 * matching request takes the next step.  A request uses the most
 * specific target that has steps left (graphql:OP, then graphql, then
 * '*').  '#' starts a comment.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "relay-int.h"

struct rule {
	char		*target;
	struct fault_hit hit;
	long		 times;		/* < 0: for ever */
	long		 used;
	struct rule	*next;
};

struct faults {
	struct rule	*head;
	struct rule	**tail;
};

void
fault_free(struct faults *f)
{
	struct rule *r, *next;

	if (f == NULL)
		return;
	for (r = f->head; r != NULL; r = next) {
		next = r->next;
		free(r->target);
		free(r);
	}
	free(f);
}

/* A non-negative number of seconds. */
static int
seconds(const char *s, double *out)
{
	char	*end;
	double	 d;

	errno = 0;
	d = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno != 0 || !(d >= 0) ||
	    d > 86400)
		return -1;
	*out = d;
	return 0;
}

/* Parse one option of a rule. */
static int
option(struct rule *r, const char *tok)
{
	const char	*v = strchr(tok, '=');
	char		*end;

	if (v == NULL)
		return -1;
	v++;
	if (strncmp(tok, "times=", 6) == 0) {
		if (strcmp(v, "*") == 0) {
			r->times = -1;
			return 0;
		}
		r->times = strtol(v, &end, 10);
		return *v == '\0' || *end != '\0' || r->times < 1 ? -1 : 0;
	}
	if (strncmp(tok, "retry-after=", 12) == 0)
		return seconds(v, &r->hit.retry_after);
	if (strncmp(tok, "delay=", 6) == 0) {
		r->hit.act = FA_DELAY;
		return seconds(v, &r->hit.delay);
	}
	if (strncmp(tok, "reset=", 6) == 0)
		return seconds(v, &r->hit.rl_reset);
	if (strncmp(tok, "remaining=", 10) == 0) {
		r->hit.rl_remaining = strtol(v, &end, 10);
		if (*v == '\0' || *end != '\0' || r->hit.rl_remaining < 0)
			return -1;
		if (r->hit.act == FA_NONE)
			r->hit.act = FA_OK;
		return 0;
	}
	return -1;
}

/* Parse the action word. */
static int
action(struct rule *r, const char *tok)
{
	char *end;
	long  st;

	if (strcmp(tok, "close") == 0)
		r->hit.act = FA_CLOSE;
	else if (strcmp(tok, "drop") == 0)
		r->hit.act = FA_DROP;
	else if (strcmp(tok, "ok") == 0 || strcmp(tok, "ratelimit") == 0)
		r->hit.act = FA_OK;
	else if (strncmp(tok, "delay=", 6) == 0)
		return option(r, tok);
	else {
		st = strtol(tok, &end, 10);
		if (*end != '\0' || st < 400 || st > 599)
			return -1;
		r->hit.act = FA_STATUS;
		r->hit.status = (int)st;
	}
	return 0;
}

/* A short description of a rule for the log. */
static void
describe(struct rule *r)
{
	struct fault_hit	*h = &r->hit;
	char			*d = h->desc;
	size_t			 n = sizeof(h->desc);

	switch (h->act) {
	case FA_STATUS:
		if (h->retry_after >= 0)
			snprintf(d, n, "%d with Retry-After: %g", h->status,
			    h->retry_after);
		else
			snprintf(d, n, "%d", h->status);
		break;
	case FA_CLOSE:
		snprintf(d, n, "close the connection");
		break;
	case FA_DELAY:
		snprintf(d, n, "delay %g s", h->delay);
		break;
	case FA_DROP:
		snprintf(d, n, "process, then drop the answer");
		break;
	default:
		snprintf(d, n, "pass");
		break;
	}
	if (h->rl_remaining >= 0) {
		size_t len = strlen(d);

		snprintf(d + len, n - len, ", RateLimit-Remaining: %ld, "
		    "RateLimit-Reset: %g", h->rl_remaining, h->rl_reset);
	}
}

/* Parse one rule line; 0 (or 1 for a blank line) on success. */
static int
parse_line(struct faults *f, char *line, char *err, size_t errlen,
    const char *file, int lineno)
{
	struct rule	*r;
	char		*tok, *save = NULL;
	const char	*bad = NULL;

	line[strcspn(line, "#\r\n")] = '\0';
	if ((tok = strtok_r(line, " \t", &save)) == NULL)
		return 1;
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->target = strdup(tok)) == NULL)
		fatalx("out of memory");
	r->times = 1;
	r->hit.retry_after = -1;
	r->hit.rl_remaining = -1;
	if (strcmp(tok, "*") != 0 && strcmp(tok, "file_stream") != 0 &&
	    strcmp(tok, "upload") != 0 && strcmp(tok, "graphql") != 0 &&
	    strncmp(tok, "graphql:", 8) != 0)
		bad = "unknown target (file_stream, upload, graphql, "
		    "graphql:OP or *)";
	else if ((tok = strtok_r(NULL, " \t", &save)) == NULL ||
	    action(r, tok) != 0)
		bad = "bad or missing action (a status 400-599, close, "
		    "delay=S, drop, ok)";
	while (bad == NULL && (tok = strtok_r(NULL, " \t", &save)) != NULL)
		if (option(r, tok) != 0)
			bad = "bad option (times=N|*, retry-after=S, delay=S, "
			    "remaining=N, reset=S)";
	if (bad != NULL) {
		snprintf(err, errlen, "faults file %s, line %d: %s", file,
		    lineno, bad);
		free(r->target);
		free(r);
		return -1;
	}
	if (r->hit.rl_remaining >= 0 && r->hit.rl_reset == 0)
		r->hit.rl_reset = 1;
	describe(r);
	*f->tail = r;
	f->tail = &r->next;
	return 0;
}

/* Load a rules file. */
int
fault_load(struct faults **fp, const char *file, char *err, size_t errlen)
{
	struct faults	*f;
	FILE		*fh;
	char		 line[1024];
	int		 lineno = 0;

	if ((fh = fopen(file, "r")) == NULL) {
		snprintf(err, errlen, "faults file %s: %s", file,
		    strerror(errno));
		return -1;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL)
		fatalx("out of memory");
	f->tail = &f->head;
	while (fgets(line, sizeof(line), fh) != NULL)
		if (parse_line(f, line, err, errlen, file, ++lineno) < 0) {
			fclose(fh);
			fault_free(f);
			return -1;
		}
	fclose(fh);
	*fp = f;
	return 0;
}

/* The next unused step of target's sequence, or NULL. */
static struct rule *
next_step(struct faults *f, const char *target)
{
	for (struct rule *r = f->head; r != NULL; r = r->next)
		if (strcmp(r->target, target) == 0 &&
		    (r->times < 0 || r->used < r->times))
			return r;
	return NULL;
}

/* The fault for a request to endpoint (op: GraphQL operation); 1 if any. */
int
fault_pick(struct faults *f, const char *endpoint, const char *op,
    struct fault_hit *hit)
{
	struct rule	*r = NULL;
	char		 t[160];

	if (op != NULL && op[0] != '\0') {
		snprintf(t, sizeof(t), "%s:%s", endpoint, op);
		r = next_step(f, t);
	}
	if (r == NULL)
		r = next_step(f, endpoint);
	if (r == NULL)
		r = next_step(f, "*");
	if (r == NULL)
		return 0;
	r->used++;
	*hit = r->hit;
	if (r->times != 1) {
		size_t len = strlen(hit->desc);

		if (r->times > 0)
			snprintf(hit->desc + len, sizeof(hit->desc) - len,
			    " (%ld of %ld)", r->used, r->times);
	}
	return 1;
}
