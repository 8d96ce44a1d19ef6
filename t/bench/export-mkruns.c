/*
 * export-mkruns.c - write a test run through the public API, for the
 * export tests and benchmark.
 *
 * usage: export-mkruns -d ROOT -i ID [-p PROJECT] [-n NAME] [-g GROUP]
 *	      [-j JOB_TYPE] [-t TAG,TAG] [-c KEY=VALUE]... [-S KEY=VALUE]...
 *	      [-s STEPS] [-m mixed|bench] [-x EXIT | -u] [-r] [-o] [-w SECS]
 *
 * The run goes to ROOT/wandb.  Config: lr=0.01, optimizer=adam,
 * model.layers=4, then each -c (dots nest; values read as int, float,
 * true/false or string).  -S sets summary values the same way.
 *
 * Mode mixed (default), row i (step i, or base+i with -r):
 *   loss       1/(i+1)              (double)
 *   epoch      i/10                 (int)
 *   val.loss   0.5/(i+1), i%5 == 0  (nested key, logged in a second call
 *                                    to the same step)
 *   weird      NaN, Infinity, -Infinity for i%7 == 3, 4, 5, else i/4
 *   métrique/ü 2*i                  (Unicode key with a slash)
 *   phase      "warm,up \"q\"" for i < 2, else "train"   (string)
 *   flag       i%2 == 1             (bool)
 * and the explicit summary best=0.125, worst=NaN.
 * Mode bench: m0..m9 = i*k/1000 (ten doubles), auto-stepped.
 *
 * -u leaves the run unfinished (crashed), -x finishes with that exit code
 * (default 0).  -r resumes the run ID and appends after its last step.
 * -o leaves the last row open (never committed); -w keeps the run open
 * (live) for SECS seconds before closing it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <wbstore/wbstore.h>

#define MAXKV	32

static void
die(const char *what, const char *msg)
{
	fprintf(stderr, "export-mkruns: %s: %s\n", what, msg);
	exit(1);
}

static void
check(struct wbs_run *run, int rc, const char *what)
{
	if (rc != 0)
		die(what, wbs_run_errmsg(run));
}

/* "a.b=V" into a key with WBS_SEP and a typed value (strings point
 * into arg, which is modified). */
static struct wbs_item
parse_kv(char *arg)
{
	struct wbs_item	 it;
	char		*eq = strchr(arg, '='), *end;
	long long	 n;
	double		 d;

	if (eq == NULL)
		die(arg, "expected KEY=VALUE");
	*eq++ = '\0';
	for (char *p = arg; *p != '\0'; p++)
		if (*p == '.')
			*p = WBS_SEP_CHAR;
	it.key = arg;
	n = strtoll(eq, &end, 10);
	if (*eq != '\0' && *end == '\0')
		return (struct wbs_item)WBS_INT_ITEM(arg, n);
	d = strtod(eq, &end);
	if (*eq != '\0' && *end == '\0')
		return (struct wbs_item)WBS_DOUBLE_ITEM(arg, d);
	if (strcmp(eq, "true") == 0 || strcmp(eq, "false") == 0)
		return (struct wbs_item)WBS_BOOL_ITEM(arg, eq[0] == 't');
	it = (struct wbs_item)WBS_STRING_ITEM(arg, eq);
	return it;
}

/* One row of the mixed mode. */
static void
log_mixed(struct wbs_run *run, int64_t step, int64_t i, int last_open)
{
	static const double weird[] = { NAN, INFINITY, -INFINITY };
	unsigned	 flags = WBS_LOG_NOCOMMIT;
	double		 w = i % 7 >= 3 && i % 7 <= 5 ? weird[i % 7 - 3] :
			    (double)i / 4.0;
	struct wbs_item	 a[] = {
		WBS_DOUBLE_ITEM("loss", 1.0 / (double)(i + 1)),
		WBS_INT_ITEM("epoch", i / 10),
		WBS_DOUBLE_ITEM("weird", w),
		WBS_DOUBLE_ITEM("m\xc3\xa9trique/\xc3\xbc", 2.0 * (double)i),
		WBS_STRING_ITEM("phase", i < 2 ? "warm,up \"q\"" : "train"),
		WBS_BOOL_ITEM("flag", i % 2 == 1),
	};
	struct wbs_item	 b[] = {
		WBS_DOUBLE_ITEM("val" WBS_SEP "loss", 0.5 / (double)(i + 1)),
	};

	if (i % 5 != 0 && !last_open)
		flags = WBS_LOG_COMMIT;
	check(run, wbs_run_log(run, a, 6, step, flags), "log");
	if (i % 5 == 0)
		check(run, wbs_run_log(run, b, 1, step, last_open ?
		    WBS_LOG_NOCOMMIT : WBS_LOG_COMMIT), "log");
}

/* One row of the bench mode. */
static void
log_bench(struct wbs_run *run, int64_t i)
{
	static const char *const keys[] = { "m0", "m1", "m2", "m3", "m4",
	    "m5", "m6", "m7", "m8", "m9" };
	struct wbs_item it[10];

	for (int k = 0; k < 10; k++)
		it[k] = (struct wbs_item)WBS_DOUBLE_ITEM(keys[k],
		    (double)i * (k + 1) / 1000.0);
	check(run, wbs_run_log(run, it, 10, WBS_STEP_AUTO, 0), "log");
}

struct args {
	const char	*root, *id, *project, *name, *group, *job, *tags;
	const char	*mode;
	char		*cfg[MAXKV], *sum[MAXKV];
	int		 ncfg, nsum;
	long		 steps;
	int		 exit_code, unfinished, resume, open_last, wait;
};

static struct wbs_opts *
make_opts(const struct args *a)
{
	struct wbs_opts	*o;
	struct {
		int		 opt;
		const char	*v;
	} set[] = {
		{ WBS_OPT_DIR, a->root }, { WBS_OPT_ID, a->id },
		{ WBS_OPT_PROJECT, a->project }, { WBS_OPT_NAME, a->name },
		{ WBS_OPT_GROUP, a->group }, { WBS_OPT_JOB_TYPE, a->job },
		{ WBS_OPT_TAGS, a->tags }, { WBS_OPT_MODE, "offline" },
		{ WBS_OPT_RESUME, a->resume ? "must" : "never" },
	};
	struct wbs_item	 cfg[3 + MAXKV];
	int		 n = 0;
	char		*copies[MAXKV];

	if (wbs_opts_new(&o) != 0)
		die("opts", "out of memory");
	for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++)
		if (set[i].v != NULL && wbs_opts_set(o, set[i].opt,
		    set[i].v) != 0)
			die("option", wbs_opts_errmsg(o));
	if (!a->resume) {
		cfg[n++] = (struct wbs_item)WBS_DOUBLE_ITEM("lr", 0.01);
		cfg[n++] = (struct wbs_item)WBS_STRING_ITEM("optimizer",
		    "adam");
		cfg[n++] = (struct wbs_item)WBS_INT_ITEM("model" WBS_SEP
		    "layers", 4);
	}
	for (int i = 0; i < a->ncfg; i++) {
		if ((copies[i] = strdup(a->cfg[i])) == NULL)
			die("config", "out of memory");
		cfg[n++] = parse_kv(copies[i]);
	}
	if (n > 0 && wbs_opts_config(o, cfg, (size_t)n) != 0)
		die("config", wbs_opts_errmsg(o));
	for (int i = 0; i < a->ncfg; i++)
		free(copies[i]);
	return o;
}

static void
parse_args(struct args *a, int argc, char **argv)
{
	int c;

	memset(a, 0, sizeof(*a));
	a->steps = 20;
	a->mode = "mixed";
	while ((c = getopt(argc, argv, "d:i:p:n:g:j:t:c:S:s:m:x:uorw:")) !=
	    -1) {
		switch (c) {
		case 'd': a->root = optarg; break;
		case 'i': a->id = optarg; break;
		case 'p': a->project = optarg; break;
		case 'n': a->name = optarg; break;
		case 'g': a->group = optarg; break;
		case 'j': a->job = optarg; break;
		case 't': a->tags = optarg; break;
		case 'm': a->mode = optarg; break;
		case 's': a->steps = atol(optarg); break;
		case 'x': a->exit_code = atoi(optarg); break;
		case 'u': a->unfinished = 1; break;
		case 'r': a->resume = 1; break;
		case 'o': a->open_last = 1; break;
		case 'w': a->wait = atoi(optarg); break;
		case 'c':
			if (a->ncfg == MAXKV)
				die("-c", "too many");
			a->cfg[a->ncfg++] = optarg;
			break;
		case 'S':
			if (a->nsum == MAXKV)
				die("-S", "too many");
			a->sum[a->nsum++] = optarg;
			break;
		default:
			fprintf(stderr, "usage: see the comment at the top of "
			    "export-mkruns.c\n");
			exit(2);
		}
	}
	if (a->root == NULL || a->id == NULL)
		die("usage", "-d ROOT and -i ID are required");
}

int
main(int argc, char **argv)
{
	struct args	 a;
	struct wbs_opts	*o;
	struct wbs_run	*run;
	char		 err[512];
	int64_t		 base;

	parse_args(&a, argc, argv);
	o = make_opts(&a);
	if (wbs_run_open(&run, o, err, sizeof(err)) != 0)
		die("open", err);
	wbs_opts_free(o);
	base = wbs_run_step(run);
	for (long i = 0; i < a.steps; i++) {
		int last_open = a.open_last && i + 1 == a.steps;

		if (strcmp(a.mode, "bench") == 0)
			log_bench(run, base + i);
		else
			log_mixed(run, base + i, base + i, last_open);
	}
	if (!a.resume && strcmp(a.mode, "mixed") == 0) {
		struct wbs_item s[] = { WBS_DOUBLE_ITEM("best", 0.125),
		    WBS_DOUBLE_ITEM("worst", NAN) };

		check(run, wbs_run_summary(run, s, 2), "summary");
	}
	for (int i = 0; i < a.nsum; i++) {
		struct wbs_item it = parse_kv(a.sum[i]);

		check(run, wbs_run_summary(run, &it, 1), "summary");
	}
	if (a.wait > 0) {
		printf("ready\n");
		fflush(stdout);
		sleep((unsigned)a.wait);
	}
	if (!a.unfinished)
		check(run, wbs_run_finish(run, a.exit_code), "finish");
	wbs_run_close(run);
	return 0;
}
