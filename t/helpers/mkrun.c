/*
 * mkrun - write a wbstore journal from a small script (tests only).
 *
 * One command per line on stdin (or in FILE); words are separated by
 * blanks, "double quotes" group words and take \n \r \t \\ \" \uXXXX.
 *
 *   open [dir=D] [id=ID] [project=P] [entity=E] [name=N] [notes=N]
 *        [group=G] [job_type=J] [tags=a,b] [resume=M] [fork_from=R?_step=N]
 *        [resume_from=R?_step=N] [mode=M] [sync_interval=MS]
 *   config K=V ...            config_remove K ...
 *   log [step=N] [commit|nocommit] K=V ...
 *   rows N [keys=K] [prefix=P]  N auto-stepped rows of K doubles
 *   summary K=V ...           summary_remove K ...
 *   metric name=X|glob=G [step_metric=S] [summary=min,max,mean,best,last,
 *          first,none,copy] [goal=min|max] [hidden] [step_sync]
 *   set name|notes|group|job_type VALUE     tags T ...
 *   console stdout|stderr TEXT
 *   stats K=V ...
 *   file PATH [now|end|live] [content=TEXT]
 *   alert TITLE TEXT [LEVEL [WAIT_MS]]
 *   preempting | sleep MS | finish CODE | close | crash | hold
 *   print dir|journal|id
 *
 * Values: nan, inf, -inf, true, false, null, integers, decimals, {JSON}
 * or [JSON]; s:TEXT, i:N, d:X, j:JSON force a type; anything else is a
 * string.  In keys, ">" separates nested components.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wbstore/wbstore.h"

#define MAXW	4096

static struct wbs_run	*run;
static int		 lineno;

static void __attribute__((__noreturn__, __format__(__printf__, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mkrun: line %d: ", lineno);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(2);
}

static void
check(int rc, const char *what)
{
	if (rc != 0)
		die("%s: %s (%s)", what, run ? wbs_run_errmsg(run) : "",
		    wbs_strerror(rc));
}

/* Append a UTF-8 encoding of cp. */
static size_t
utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Split a line into words (modified in place; lens kept for NULs). */
static int
split(char *line, char **w, size_t *len, int max)
{
	int	 n = 0;
	char	*p = line, *o;

	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (*p == '\0' || *p == '#')
			break;
		if (n == max)
			die("too many words");
		w[n] = o = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
			if (*p != '"') {
				*o++ = *p++;
				continue;
			}
			for (p++; *p && *p != '"'; p++) {
				if (*p != '\\') {
					*o++ = *p;
					continue;
				}
				switch (*++p) {
				case 'n':
					*o++ = '\n';
					break;
				case 'r':
					*o++ = '\r';
					break;
				case 't':
					*o++ = '\t';
					break;
				case 'u': {
					unsigned cp;

					if (sscanf(p + 1, "%4x", &cp) != 1)
						die("bad \\u escape");
					p += 4;
					if (cp >= 0xd800 && cp < 0xdc00 &&
					    p[1] == '\\' && p[2] == 'u') {
						unsigned lo;

						if (sscanf(p + 3, "%4x", &lo) != 1)
							die("bad surrogate");
						cp = 0x10000 + ((cp - 0xd800) << 10)
						    + (lo - 0xdc00);
						p += 6;
					}
					o += utf8(o, cp);
					break;
				}
				case '\0':
					die("backslash at end of line");
				default:
					*o++ = *p;
				}
			}
			if (*p == '"')
				p++;
		}
		len[n] = (size_t)(o - w[n]);
		if (*p)
			p++;
		*o = '\0';
		n++;
	}
	return n;
}

/* ">" in a key becomes the path separator. */
static char *
key(char *k)
{
	for (char *p = k; *p; p++)
		if (*p == '>')
			*p = WBS_SEP_CHAR;
	return k;
}

/* Parse "K=V" into an item (pointers into the word). */
static void
item(char *word, size_t wlen, struct wbs_item *it)
{
	char	*eq = strchr(word, '='), *v, *end;
	size_t	 vlen;

	if (eq == NULL)
		die("\"%s\": want KEY=VALUE", word);
	*eq = '\0';
	it->key = key(word);
	v = eq + 1;
	vlen = wlen - (size_t)(v - word);
	if (strncmp(v, "s:", 2) == 0) {
		it->v.type = WBS_STRING;
		it->v.u.s.ptr = v + 2;
		it->v.u.s.len = vlen - 2;
	} else if (strncmp(v, "j:", 2) == 0) {
		it->v.type = WBS_JSON;
		it->v.u.s.ptr = v + 2;
		it->v.u.s.len = vlen - 2;
	} else if (strncmp(v, "i:", 2) == 0) {
		it->v.type = WBS_INT;
		it->v.u.i = strtoll(v + 2, NULL, 10);
	} else if (strncmp(v, "d:", 2) == 0) {
		it->v.type = WBS_DOUBLE;
		it->v.u.d = strtod(v + 2, NULL);
	} else if (strcmp(v, "nan") == 0 || strcmp(v, "NaN") == 0) {
		it->v.type = WBS_DOUBLE;
		it->v.u.d = NAN;
	} else if (strcmp(v, "inf") == 0 || strcmp(v, "Infinity") == 0) {
		it->v.type = WBS_DOUBLE;
		it->v.u.d = INFINITY;
	} else if (strcmp(v, "-inf") == 0 || strcmp(v, "-Infinity") == 0) {
		it->v.type = WBS_DOUBLE;
		it->v.u.d = -INFINITY;
	} else if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0) {
		it->v.type = WBS_BOOL;
		it->v.u.b = v[0] == 't';
	} else if (strcmp(v, "null") == 0) {
		it->v.type = WBS_NULL;
	} else if (*v == '{' || *v == '[') {
		it->v.type = WBS_JSON;
		it->v.u.s.ptr = v;
		it->v.u.s.len = vlen;
	} else {
		errno = 0;
		it->v.u.i = strtoll(v, &end, 10);
		if (*v && *end == '\0' && errno == 0) {
			it->v.type = WBS_INT;
			return;
		}
		it->v.u.d = strtod(v, &end);
		if (*v && *end == '\0') {
			it->v.type = WBS_DOUBLE;
			return;
		}
		it->v.type = WBS_STRING;
		it->v.u.s.ptr = v;
		it->v.u.s.len = vlen;
	}
}

static size_t
items(char **w, size_t *len, int from, int n, struct wbs_item *out)
{
	size_t k = 0;

	for (int i = from; i < n; i++)
		item(w[i], len[i], &out[k++]);
	return k;
}

static const struct {
	const char	*name;
	int		 opt;
} open_opts[] = {
	{ "dir", WBS_OPT_DIR }, { "id", WBS_OPT_ID },
	{ "project", WBS_OPT_PROJECT }, { "entity", WBS_OPT_ENTITY },
	{ "name", WBS_OPT_NAME }, { "notes", WBS_OPT_NOTES },
	{ "group", WBS_OPT_GROUP }, { "job_type", WBS_OPT_JOB_TYPE },
	{ "tags", WBS_OPT_TAGS }, { "resume", WBS_OPT_RESUME },
	{ "fork_from", WBS_OPT_FORK_FROM }, { "resume_from", WBS_OPT_RESUME_FROM },
	{ "mode", WBS_OPT_MODE }, { "host", WBS_OPT_HOST },
	{ "sync_interval", WBS_OPT_SYNC_INTERVAL },
};

static void
cmd_open(char **w, int n)
{
	struct wbs_opts	*o;
	char		 err[512];

	check(wbs_opts_new(&o), "options");
	for (int i = 1; i < n; i++) {
		char	*eq = strchr(w[i], '=');
		size_t	 k;

		if (eq == NULL)
			die("open: \"%s\": want NAME=VALUE", w[i]);
		*eq = '\0';
		for (k = 0; k < sizeof(open_opts) / sizeof(open_opts[0]); k++)
			if (strcmp(open_opts[k].name, w[i]) == 0)
				break;
		if (k == sizeof(open_opts) / sizeof(open_opts[0]))
			die("open: unknown option %s", w[i]);
		if (wbs_opts_set(o, open_opts[k].opt, eq + 1) != 0)
			die("open: %s", wbs_opts_errmsg(o));
	}
	if (wbs_run_open(&run, o, err, sizeof(err)) != 0)
		die("open: %s", err);
	wbs_opts_free(o);
}

static unsigned
summary_modes(const char *s)
{
	static const struct {
		const char	*name;
		unsigned	 bit;
	} m[] = {
		{ "min", WBS_SUMMARY_MIN }, { "max", WBS_SUMMARY_MAX },
		{ "mean", WBS_SUMMARY_MEAN }, { "best", WBS_SUMMARY_BEST },
		{ "last", WBS_SUMMARY_LAST }, { "none", WBS_SUMMARY_NONE },
		{ "first", WBS_SUMMARY_FIRST }, { "copy", WBS_SUMMARY_COPY },
	};
	unsigned mask = 0;

	while (*s) {
		size_t n = strcspn(s, ","), i;

		for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
			if (strlen(m[i].name) == n && strncmp(s, m[i].name,
			    n) == 0)
				break;
		if (i == sizeof(m) / sizeof(m[0]))
			die("metric: unknown summary mode in \"%s\"", s);
		mask |= m[i].bit;
		s += n;
		if (*s == ',')
			s++;
	}
	return mask;
}

static void
cmd_metric(char **w, int n)
{
	struct wbs_metric m;

	memset(&m, 0, sizeof(m));
	for (int i = 1; i < n; i++) {
		if (strncmp(w[i], "name=", 5) == 0)
			m.name = w[i] + 5;
		else if (strncmp(w[i], "glob=", 5) == 0)
			m.glob = w[i] + 5;
		else if (strncmp(w[i], "step_metric=", 12) == 0)
			m.step_metric = w[i] + 12;
		else if (strncmp(w[i], "summary=", 8) == 0)
			m.summary = summary_modes(w[i] + 8);
		else if (strcmp(w[i], "goal=min") == 0)
			m.goal = WBS_GOAL_MINIMIZE;
		else if (strcmp(w[i], "goal=max") == 0)
			m.goal = WBS_GOAL_MAXIMIZE;
		else if (strcmp(w[i], "hidden") == 0)
			m.flags |= WBS_METRIC_HIDDEN;
		else if (strcmp(w[i], "step_sync") == 0)
			m.flags |= WBS_METRIC_STEP_SYNC;
		else
			die("metric: unknown word %s", w[i]);
	}
	check(wbs_run_define_metric(run, &m), "metric");
}

static void
cmd_rows(char **w, int n)
{
	long		 rows, keys = 10;
	const char	*prefix = "m";
	char		 names[64][32];
	struct wbs_item	 it[64];

	if (n < 2)
		die("rows N [keys=K] [prefix=P]");
	rows = atol(w[1]);
	for (int i = 2; i < n; i++) {
		if (strncmp(w[i], "keys=", 5) == 0)
			keys = atol(w[i] + 5);
		else if (strncmp(w[i], "prefix=", 7) == 0)
			prefix = w[i] + 7;
	}
	if (keys < 1 || keys > 64)
		die("rows: keys from 1 to 64");
	for (long k = 0; k < keys; k++) {
		snprintf(names[k], sizeof(names[k]), "%s%ld", prefix, k);
		it[k].key = names[k];
		it[k].v.type = WBS_DOUBLE;
	}
	for (long r = 0; r < rows; r++) {
		for (long k = 0; k < keys; k++)
			it[k].v.u.d = sin((double)r * 0.001 + (double)k) *
			    (double)(k + 1) + (double)r / 3.0;
		check(wbs_run_log(run, it, (size_t)keys, WBS_STEP_AUTO, 0),
		    "rows");
	}
}

static int
policy(const char *s)
{
	if (strcmp(s, "end") == 0)
		return WBS_POLICY_END;
	if (strcmp(s, "live") == 0)
		return WBS_POLICY_LIVE;
	return WBS_POLICY_NOW;
}

static void
cmd_file(char **w, size_t *len, int n)
{
	int		 pol = WBS_POLICY_NOW;
	const char	*content = NULL;
	size_t		 clen = 0;
	char		 tmp[] = "/tmp/mkrun-XXXXXX";
	int		 fd = -1;

	if (n < 2)
		die("file PATH [now|end|live] [content=TEXT]");
	for (int i = 2; i < n; i++) {
		if (strncmp(w[i], "content=", 8) == 0) {
			content = w[i] + 8;
			clen = len[i] - 8;
		} else
			pol = policy(w[i]);
	}
	if (content != NULL) {
		if ((fd = mkstemp(tmp)) < 0 ||
		    write(fd, content, clen) != (ssize_t)clen)
			die("file: %s", strerror(errno));
		close(fd);
	}
	check(wbs_run_file(run, w[1], content ? tmp : NULL, pol,
	    strncmp(w[1], "media/", 6) == 0 ? WBS_FILE_MEDIA : WBS_FILE_OTHER),
	    "file");
	if (content != NULL)
		unlink(tmp);
}

static void
command(char **w, size_t *len, int n)
{
	struct wbs_item	 it[MAXW];
	const char	*keys[MAXW];
	size_t		 k;

	if (strcmp(w[0], "open") == 0) {
		cmd_open(w, n);
		return;
	}
	if (run == NULL)
		die("\"open\" must come first");
	if (strcmp(w[0], "config") == 0) {
		k = items(w, len, 1, n, it);
		check(wbs_run_config(run, it, k), "config");
	} else if (strcmp(w[0], "config_remove") == 0 ||
	    strcmp(w[0], "summary_remove") == 0) {
		for (int i = 1; i < n; i++)
			keys[i - 1] = key(w[i]);
		check(w[0][0] == 'c' ? wbs_run_config_remove(run, keys,
		    (size_t)n - 1) : wbs_run_summary_remove(run, keys,
		    (size_t)n - 1), w[0]);
	} else if (strcmp(w[0], "log") == 0) {
		int64_t		step = WBS_STEP_AUTO;
		unsigned	flags = 0;
		int		i = 1;

		for (; i < n; i++) {
			if (strncmp(w[i], "step=", 5) == 0)
				step = strtoll(w[i] + 5, NULL, 10);
			else if (strcmp(w[i], "commit") == 0)
				flags |= WBS_LOG_COMMIT;
			else if (strcmp(w[i], "nocommit") == 0)
				flags |= WBS_LOG_NOCOMMIT;
			else
				break;
		}
		k = items(w, len, i, n, it);
		check(wbs_run_log(run, it, k, step, flags), "log");
	} else if (strcmp(w[0], "rows") == 0) {
		cmd_rows(w, n);
	} else if (strcmp(w[0], "summary") == 0) {
		k = items(w, len, 1, n, it);
		check(wbs_run_summary(run, it, k), "summary");
	} else if (strcmp(w[0], "metric") == 0) {
		cmd_metric(w, n);
	} else if (strcmp(w[0], "set") == 0 && n == 3) {
		int f = strcmp(w[1], "name") == 0 ? WBS_FIELD_NAME :
		    strcmp(w[1], "notes") == 0 ? WBS_FIELD_NOTES :
		    strcmp(w[1], "group") == 0 ? WBS_FIELD_GROUP :
		    strcmp(w[1], "job_type") == 0 ? WBS_FIELD_JOB_TYPE : 0;

		check(wbs_run_set(run, f, w[2]), "set");
	} else if (strcmp(w[0], "tags") == 0) {
		check(wbs_run_set_tags(run, (const char *const *)w + 1,
		    (size_t)n - 1), "tags");
	} else if (strcmp(w[0], "console") == 0 && n == 3) {
		check(wbs_run_console(run, strcmp(w[1], "stderr") == 0 ?
		    WBS_STDERR : WBS_STDOUT, w[2], len[2]), "console");
	} else if (strcmp(w[0], "stats") == 0) {
		k = items(w, len, 1, n, it);
		check(wbs_run_stats(run, it, k), "stats");
	} else if (strcmp(w[0], "file") == 0) {
		cmd_file(w, len, n);
	} else if (strcmp(w[0], "alert") == 0 && n >= 3) {
		check(wbs_run_alert(run, w[1], w[2], n > 3 ? w[3] : "INFO",
		    n > 4 ? atoll(w[4]) : 0), "alert");
	} else if (strcmp(w[0], "preempting") == 0) {
		check(wbs_run_preempting(run), "preempting");
	} else if (strcmp(w[0], "sleep") == 0 && n == 2) {
		usleep((useconds_t)atol(w[1]) * 1000);
	} else if (strcmp(w[0], "finish") == 0 && n == 2) {
		check(wbs_run_finish(run, atoi(w[1])), "finish");
	} else if (strcmp(w[0], "close") == 0) {
		wbs_run_close(run);
		run = NULL;
		exit(0);
	} else if (strcmp(w[0], "crash") == 0) {
		_exit(0);
	} else if (strcmp(w[0], "hold") == 0) {
		printf("ready\n");
		fflush(stdout);
		for (;;)
			pause();
	} else if (strcmp(w[0], "print") == 0 && n == 2) {
		printf("%s\n", strcmp(w[1], "dir") == 0 ? wbs_run_dir(run) :
		    strcmp(w[1], "journal") == 0 ? wbs_run_journal(run) :
		    wbs_run_id(run));
		fflush(stdout);
	} else
		die("unknown command \"%s\" (or wrong number of words)", w[0]);
}

int
main(int argc, char **argv)
{
	FILE	*in = stdin;
	char	*line = NULL, *w[MAXW];
	size_t	 cap = 0, len[MAXW];
	ssize_t	 got;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "-h") == 0)) {
		fprintf(stderr, "usage: mkrun [SCRIPT] (see the source)\n");
		return 2;
	}
	if (argc == 2 && (in = fopen(argv[1], "r")) == NULL) {
		fprintf(stderr, "mkrun: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	while ((got = getline(&line, &cap, in)) >= 0) {
		int n;

		lineno++;
		if ((n = split(line, w, len, MAXW)) > 0)
			command(w, len, n);
	}
	free(line);
	if (run != NULL)
		wbs_run_close(run);
	return 0;
}
