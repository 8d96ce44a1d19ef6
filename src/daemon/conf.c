/*
 * conf.c - wbstored's configuration file, wbstore.conf.
 *
 * $XDG_CONFIG_HOME/wbstore/wbstore.conf (default ~/.config/wbstore/
 * wbstore.conf): one "key = value" per line, "#" starts a comment, blank
 * lines are ignored, a value may be in double quotes.  Keys:
 *   root = DIR          a wandb directory (or its parent, or a directory of
 *                       sealed copies) to watch; repeatable; ~ is $HOME
 *   base_url = URL      the server (default: $WANDB_BASE_URL, then
 *                       base_url in ~/.config/wbstore/config)
 *   grace = SECONDS     a run without a writer and without an exit record
 *                       is finished as crashed (exit 1) after this (600)
 *   poll = yes|no       poll every root instead of inotify (no)
 *   poll_interval = S   polling interval after a change (0.5)
 *   poll_max = S        polling backs off to this when idle (10)
 *   heartbeat = S       a live run without news is synced this often (30)
 *   jobs = N            runs synced at once (4)
 *   retries = N         attempts per request inside one pass (3)
 *   timeout = S         seconds per request attempt (30)
 * Unknown keys and bad values are errors naming the file and line.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"

/* The default path of wbstore.conf. */
void
conf_default_path(char *out, size_t len)
{
	const char *x = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	if (x != NULL && *x == '/')
		snprintf(out, len, "%s/wbstore/wbstore.conf", x);
	else
		snprintf(out, len, "%s/.config/wbstore/wbstore.conf",
		    home ? home : ".");
}

/* A copy of path with a leading ~ or ~/ replaced by $HOME. */
char *
conf_expand(const char *path)
{
	const char	*home = getenv("HOME");
	char		*out;

	if (path[0] == '~' && (path[1] == '/' || path[1] == '\0') &&
	    home != NULL) {
		if (asprintf(&out, "%s%s", home, path + 1) < 0)
			fatalx("out of memory");
	} else if ((out = strdup(path)) == NULL)
		fatalx("out of memory");
	/* Trailing slashes make two names for one root. */
	while (strlen(out) > 1 && out[strlen(out) - 1] == '/')
		out[strlen(out) - 1] = '\0';
	return out;
}

/* The defaults of every key. */
static void
conf_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->grace = 600;
	c->poll_min = 0.5;
	c->poll_max = 10;
	c->heartbeat = 30;
	c->jobs = 4;
	c->retries = 3;
	c->timeout = 30;
}

/* Release what conf_load() allocated. */
void
conf_free(struct conf *c)
{
	for (size_t i = 0; i < c->nroots; i++)
		free(c->roots[i]);
	free(c->roots);
	free(c->base_url);
	free(c->path);
	memset(c, 0, sizeof(*c));
}

/* A number in [lo, hi]; -1 if v is not one. */
static int
conf_num(const char *v, double lo, double hi, double *out)
{
	char	*end;
	double	 x;

	errno = 0;
	x = strtod(v, &end);
	if (end == v || *end != '\0' || errno != 0 || !(x >= lo && x <= hi))
		return -1;
	*out = x;
	return 0;
}

/* Apply one key = value; -1 with err filled if it is wrong. */
static int
conf_set(struct conf *c, const char *k, const char *v, char *err,
    size_t errlen)
{
	double x;

	if (strcmp(k, "root") == 0) {
		if (*v == '\0') {
			snprintf(err, errlen, "root: empty directory name");
			return -1;
		}
		if ((c->roots = realloc(c->roots, (c->nroots + 1) *
		    sizeof(*c->roots))) == NULL)
			fatalx("out of memory");
		c->roots[c->nroots++] = conf_expand(v);
	} else if (strcmp(k, "base_url") == 0) {
		if (strncmp(v, "http://", 7) != 0 &&
		    strncmp(v, "https://", 8) != 0) {
			snprintf(err, errlen, "base_url: \"%s\" is not an "
			    "http:// or https:// URL", v);
			return -1;
		}
		free(c->base_url);
		if ((c->base_url = strdup(v)) == NULL)
			fatalx("out of memory");
	} else if (strcmp(k, "poll") == 0) {
		if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 ||
		    strcmp(v, "1") == 0)
			c->poll = 1;
		else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 ||
		    strcmp(v, "0") == 0)
			c->poll = 0;
		else {
			snprintf(err, errlen, "poll: \"%s\" is not yes or no",
			    v);
			return -1;
		}
	} else if (strcmp(k, "grace") == 0 || strcmp(k, "poll_interval") == 0 ||
	    strcmp(k, "poll_max") == 0 || strcmp(k, "heartbeat") == 0 ||
	    strcmp(k, "timeout") == 0) {
		if (conf_num(v, 0.01, 1e7, &x) != 0) {
			snprintf(err, errlen, "%s: \"%s\" is not a positive "
			    "number of seconds", k, v);
			return -1;
		}
		if (k[0] == 'g')
			c->grace = x;
		else if (strcmp(k, "poll_interval") == 0)
			c->poll_min = x;
		else if (strcmp(k, "poll_max") == 0)
			c->poll_max = x;
		else if (k[0] == 'h')
			c->heartbeat = x;
		else
			c->timeout = x;
	} else if (strcmp(k, "jobs") == 0 || strcmp(k, "retries") == 0) {
		if (conf_num(v, k[0] == 'j' ? 1 : 0, 1000, &x) != 0 ||
		    x != (int)x) {
			snprintf(err, errlen, "%s: \"%s\" is not a whole "
			    "number (%d to 1000)", k, v, k[0] == 'j' ? 1 : 0);
			return -1;
		}
		if (k[0] == 'j')
			c->jobs = (int)x;
		else
			c->retries = (int)x;
	} else {
		snprintf(err, errlen, "unknown key \"%s\" (root, base_url, "
		    "grace, poll, poll_interval, poll_max, heartbeat, jobs, "
		    "retries, timeout)", k);
		return -1;
	}
	return 0;
}

/* Split a line into key and value in place; 0 (blank), 1, or -1. */
static int
conf_split(char *line, char **k, char **v)
{
	char *p, *eq;

	line[strcspn(line, "\r\n")] = '\0';
	p = line + strspn(line, " \t");
	if (*p == '\0' || *p == '#')
		return 0;
	if ((eq = strchr(p, '=')) == NULL)
		return -1;
	*k = p;
	for (p = eq; p > *k && (p[-1] == ' ' || p[-1] == '\t'); p--)
		;
	*p = '\0';
	p = eq + 1 + strspn(eq + 1, " \t");
	/* A comment after the value, unless quoted. */
	if (*p == '"') {
		char *q = strrchr(p + 1, '"');

		if (q == NULL || q[1 + strspn(q + 1, " \t")] != '\0')
			return -1;
		*q = '\0';
		p++;
	} else {
		p[strcspn(p, "#")] = '\0';
		for (eq = p + strlen(p); eq > p && (eq[-1] == ' ' ||
		    eq[-1] == '\t'); eq--)
			eq[-1] = '\0';
	}
	*v = p;
	return **k == '\0' ? -1 : 1;
}

/*
 * Read f (called name in errors) over the defaults.  0, or -1 with err
 * filled and nothing left to free.
 */
int
conf_read(struct conf *c, FILE *f, const char *name, char *err,
    size_t errlen)
{
	char	 msg[512], *line = NULL, *k, *v;
	size_t	 cap = 0;
	ssize_t	 n;
	int	 lineno = 0, rc = 0, s;

	conf_defaults(c);
	if ((c->path = strdup(name)) == NULL)
		fatalx("out of memory");
	while (rc == 0 && (n = getline(&line, &cap, f)) != -1) {
		lineno++;
		if (memchr(line, '\0', (size_t)n) != NULL) {
			snprintf(err, errlen, "%s:%d: a NUL byte in the line",
			    name, lineno);
			rc = -1;
		} else if (n > CONF_LINE_MAX) {
			snprintf(err, errlen, "%s:%d: line longer than %d "
			    "bytes", name, lineno, CONF_LINE_MAX);
			rc = -1;
		} else if ((s = conf_split(line, &k, &v)) == 0)
			continue;
		else if (s < 0) {
			snprintf(err, errlen, "%s:%d: not \"key = value\"",
			    name, lineno);
			rc = -1;
		} else if (conf_set(c, k, v, msg, sizeof(msg)) != 0) {
			snprintf(err, errlen, "%s:%d: %s", name, lineno, msg);
			rc = -1;
		}
	}
	if (rc == 0 && ferror(f)) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		rc = -1;
	}
	free(line);
	if (rc == 0 && c->poll_max < c->poll_min)
		c->poll_max = c->poll_min;
	if (rc != 0)
		conf_free(c);
	return rc;
}

/*
 * Load path (the default when NULL) over the defaults.  A missing file is
 * an error only if must_exist.  0, or -1 with err filled.
 */
int
conf_load(struct conf *c, const char *path, int must_exist, char *err,
    size_t errlen)
{
	char	 def[PATH_MAX];
	FILE	*f;
	int	 rc;

	conf_defaults(c);
	if (path == NULL) {
		conf_default_path(def, sizeof(def));
		path = def;
	}
	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT && !must_exist)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	rc = conf_read(c, f, path, err, errlen);
	fclose(f);
	return rc;
}
