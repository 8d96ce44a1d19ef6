/*
 * cmd-export.c - wbstore export: runs to CSV, JSONL, NumPy or PostgreSQL
 * for offline analysis, with run filters; or the experiments of a YAML
 * file in the shape wandb2numpy users know.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "export/export.h"
#include "export/yamlcfg.h"
#include "log.h"

enum {
	OPT_FIELDS = 256, OPT_OVERWRITE, OPT_LONG, OPT_COMPRESS, OPT_GROUP,
	OPT_JOB_TYPE, OPT_RUN, OPT_TAG, OPT_STATE, OPT_PROJECT, OPT_ENTITY,
	OPT_CONFIG, OPT_SUMMARY, OPT_SAMPLES, OPT_DB_URL, OPT_DB_SCHEMA,
	OPT_STATS, OPT_DIR
};

static const struct option lopts[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "output", required_argument, NULL, 'o' },
	{ "fields", required_argument, NULL, OPT_FIELDS },
	{ "overwrite", no_argument, NULL, OPT_OVERWRITE },
	{ "long", no_argument, NULL, OPT_LONG },
	{ "compress", no_argument, NULL, OPT_COMPRESS },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "job-type", required_argument, NULL, OPT_JOB_TYPE },
	{ "run", required_argument, NULL, OPT_RUN },
	{ "tag", required_argument, NULL, OPT_TAG },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "project", required_argument, NULL, OPT_PROJECT },
	{ "entity", required_argument, NULL, OPT_ENTITY },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "summary", required_argument, NULL, OPT_SUMMARY },
	{ "history-samples", required_argument, NULL, OPT_SAMPLES },
	{ "db-url", required_argument, NULL, OPT_DB_URL },
	{ "db-schema", required_argument, NULL, OPT_DB_SCHEMA },
	{ "experiment", required_argument, NULL, 'e' },
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

struct xargs {
	struct export_opts	 o;
	struct filter		 filt;
	struct strset		 fields;
	struct strset		 names;		/* experiments */
	struct strset		 dirs;		/* --dir */
	const char		*yaml;
	int			 usage;		/* a usage error was reported */
};

static const char help[] =
"usage: wbstore export [RUN|DIR...] --format FORMAT [-o DIR] [options]\n"
"       wbstore export --config FILE.yaml [-e NAME...] [-o] [--dir DIR]\n"
"\n"
"Export runs (default: every run in $WANDB_DIR/wandb or ./wandb) for\n"
"analysis.  Two tables: runs (attributes, config, summary, metadata) and\n"
"history (one row per history row: _run_id, _step, _timestamp, _runtime,\n"
"then the metrics).\n"
"\n"
"  -f, --format csv|jsonl|npy|npz|postgres\n"
"      csv: DIR/runs.csv and DIR/history.csv (a column per metric; with\n"
"      --long one line per value: _run_id,_step,key,value).  jsonl:\n"
"      runs.jsonl and history.jsonl.  npy: FIELD.npy per field, runs x\n"
"      rows, float64, NaN-padded, plus _step, _timestamp, _runtime,\n"
"      _run_id, _run_name.  npz: the same arrays in DIR/history.npz\n"
"      (--compress deflates them).  postgres: tables runs and history\n"
"      of schema wbstore (--db-schema) in --db-url, exported\n"
"      incrementally.\n"
"  -o, --output DIR        where files go (default .)\n"
"      --overwrite         replace existing files (refused otherwise)\n"
"      --fields A,B        only these metrics (dots for nesting: val.loss);\n"
"                          rows without any of them are left out\n"
"      --history-samples all|N   N evenly spaced rows per run (first and\n"
"                          last included)\n"
"Filters (repeat an option for any of several values):\n"
"      --project P  --entity E  --group G  --job-type J  --tag T\n"
"      --run ID|NAME  --state running|finished|failed|crashed\n"
"      --config KEY=VALUE  --config KEY=MIN..MAX  (either bound optional)\n"
"      --summary KEY=VALUE  --summary KEY=MIN..MAX\n"
"Experiments file (wandb2numpy's shape: DEFAULT and named experiments):\n"
"      --config FILE.yaml  -e NAME (also NAME... after the options)\n"
"      -o                  overwrite earlier output\n"
"      --dir DIR           read runs from DIR instead of the default\n"
"Other: --stats (rows/s and peak RSS on stderr), -q, --quiet.\n"
"Exit status: 0 done, 1 failed, 2 usage error.\n";

/* A usage error: message and exit status 2. */
__attribute__((__format__(__printf__, 2, 3)))
static int
xusage(struct xargs *a, const char *fmt, ...)
{
	char	msg[1024];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("export: %s; try 'wbstore export --help'", msg);
	a->usage = 1;
	return -1;
}

/* An experiments file: no "=", and a YAML name or an existing file. */
static int
is_yaml(const char *v)
{
	size_t n = strlen(v);

	if (strchr(v, '=') != NULL)
		return 0;
	return (n > 5 && strcmp(v + n - 5, ".yaml") == 0) ||
	    (n > 4 && strcmp(v + n - 4, ".yml") == 0) || access(v, F_OK) == 0;
}

/* The experiments file named by --config FILE, if any. */
static const char *
find_yaml(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *v = NULL;

		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			v = argv[++i];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			v = argv[i] + 9;
		if (v != NULL && is_yaml(v))
			return v;
	}
	return NULL;
}

/* Split a comma-separated list into s; -1 if it names nothing. */
static int
add_list(struct strset *s, const char *arg)
{
	char	*copy = strdup(arg), *p, *tok, *save = NULL;
	size_t	 n = 0;

	if (copy == NULL)
		fatalx("out of memory");
	for (p = copy; (tok = strtok_r(p, ",", &save)) != NULL; p = NULL) {
		strset_add(s, tok);
		n++;
	}
	free(copy);
	return n > 0 ? 0 : -1;
}

/* --history-samples all|N. */
static int
parse_samples(struct xargs *a, const char *arg)
{
	char			*end;
	unsigned long long	 n;

	if (strcmp(arg, "all") == 0) {
		a->o.samples = 0;
		return 0;
	}
	errno = 0;
	n = strtoull(arg, &end, 10);
	if (*arg == '\0' || *arg == '-' || *end != '\0' || errno != 0 ||
	    n < 2)
		return xusage(a, "bad --history-samples \"%s\": expected all "
		    "or a number of rows of at least 2 (the first and last "
		    "rows are always kept)", arg);
	a->o.samples = n;
	return 0;
}

/* One filter option. */
static int
filter_opt(struct xargs *a, int c, const char *arg)
{
	char err[512];

	switch (c) {
	case OPT_GROUP:
		strset_add(&filter_alt0(&a->filt)->groups, arg);
		return 0;
	case OPT_JOB_TYPE:
		strset_add(&filter_alt0(&a->filt)->jobs, arg);
		return 0;
	case OPT_RUN:
		strset_add(&filter_alt0(&a->filt)->runs, arg);
		return 0;
	case OPT_TAG:
		strset_add(&a->filt.tags, arg);
		return 0;
	case OPT_PROJECT:
		strset_add(&a->filt.projects, arg);
		return 0;
	case OPT_ENTITY:
		strset_add(&a->filt.entities, arg);
		return 0;
	case OPT_STATE:
		if (filter_check_state(arg, err, sizeof(err)) != 0)
			return xusage(a, "%s", err);
		strset_add(&a->filt.states, arg);
		return 0;
	case OPT_CONFIG:
	case OPT_SUMMARY:
		if (filter_parse_cond(&a->filt, c == OPT_SUMMARY, arg, err,
		    sizeof(err)) != 0)
			return xusage(a, "%s", err);
		return 0;
	}
	return 1;
}

/* Options that only apply without an experiments file. */
static int
cli_only(int c)
{
	return c == 'f' || c == OPT_FIELDS || c == OPT_LONG ||
	    c == OPT_COMPRESS || c == OPT_SAMPLES || c == OPT_DB_URL ||
	    c == OPT_DB_SCHEMA || c == OPT_SUMMARY ||
	    (c >= OPT_GROUP && c <= OPT_ENTITY);
}

/* The long name of option c, for messages. */
static const char *
opt_name(int c)
{
	static char name[64];

	for (const struct option *o = lopts; o->name != NULL; o++)
		if (o->val == c) {
			snprintf(name, sizeof(name), "--%s", o->name);
			return name;
		}
	return "this option";
}

/* Parse the command line into a. */
static int
parse(struct xargs *a, int argc, char **argv)
{
	int c, fmt;

	a->yaml = find_yaml(argc, argv);
	while ((c = getopt_long(argc, argv, a->yaml ? "oe:f:qh" :
	    "f:o:e:qh", lopts, NULL)) != -1) {
		if (a->yaml && cli_only(c))
			return xusage(a, "%s cannot be combined with an "
			    "experiments file", opt_name(c));
		if (c == OPT_CONFIG && a->yaml) {
			if (strcmp(optarg, a->yaml) != 0)
				return xusage(a, "one experiments file only");
			continue;
		}
		if (filter_opt(a, c, optarg) <= 0) {
			if (a->usage)
				return -1;
			continue;
		}
		switch (c) {
		case 'f':
			if ((fmt = export_format_parse(optarg)) == 0)
				return xusage(a, "unknown format \"%s\" "
				    "(csv, jsonl, npy, npz or postgres)",
				    optarg);
			a->o.format = fmt;
			break;
		case 'o':
			if (a->yaml)
				a->o.overwrite = 1;
			else
				a->o.outdir = optarg;
			break;
		case 'e':
			if (!a->yaml)
				return xusage(a, "-e names experiments of an "
				    "experiments file (--config FILE.yaml)");
			strset_add(&a->names, optarg);
			break;
		case OPT_DIR:
			strset_add(&a->dirs, optarg);
			break;
		case OPT_FIELDS:
			if (add_list(&a->fields, optarg) != 0)
				return xusage(a, "bad --fields \"%s\": expected "
				    "field names separated by commas", optarg);
			break;
		case OPT_OVERWRITE:
			a->o.overwrite = 1;
			break;
		case OPT_LONG:
			a->o.longcsv = 1;
			break;
		case OPT_COMPRESS:
			a->o.compress = 1;
			break;
		case OPT_SAMPLES:
			if (parse_samples(a, optarg) != 0)
				return -1;
			break;
		case OPT_DB_URL:
			a->o.db_url = optarg;
			break;
		case OPT_DB_SCHEMA:
			a->o.db_schema = optarg;
			break;
		case OPT_STATS:
			a->o.stats = 1;
			break;
		case 'q':
			a->o.quiet = 1;
			break;
		case 'h':
			return 1;
		default:
			a->usage = 1;
			return -1;
		}
	}
	return 0;
}

/* Cross-checks of the command-line mode. */
static int
check_cli(struct xargs *a)
{
	if (a->o.format == 0)
		return xusage(a, "no format given (--format csv, jsonl, npy, "
		    "npz or postgres)");
	if (a->o.longcsv && a->o.format != EXPORT_CSV)
		return xusage(a, "--long applies to --format csv only");
	if (a->o.compress && a->o.format != EXPORT_NPZ)
		return xusage(a, "--compress applies to --format npz only");
	if (a->o.format == EXPORT_POSTGRES) {
		if (a->o.db_url == NULL)
			return xusage(a, "--format postgres needs --db-url "
			    "(a libpq connection string or URI)");
		if (a->o.samples != 0)
			return xusage(a, "--history-samples does not apply to "
			    "--format postgres (its export is incremental)");
		if (a->o.outdir != NULL)
			return xusage(a, "-o does not apply to --format "
			    "postgres");
	} else if (a->o.db_url != NULL || a->o.db_schema != NULL)
		return xusage(a, "--db-url and --db-schema apply to --format "
		    "postgres only");
	if (a->dirs.n > 0)
		return xusage(a, "--dir applies to experiments files; name "
		    "runs or directories as arguments");
	return 0;
}

/* The experiments of an experiments file, one export each. */
static int
run_yaml(struct xargs *a)
{
	struct expfile	 ef;
	char		 err[1024];
	int		 status = CMD_EXIT_OK;

	if (yamlcfg_load(a->yaml, (const char *const *)a->names.v,
	    a->names.n, &ef, err, sizeof(err)) != 0) {
		log_warnx("export: %s", err);
		return CMD_EXIT_FAIL;
	}
	for (size_t i = 0; i < ef.n; i++) {
		struct experiment	*e = &ef.v[i];
		struct export_opts	 o = a->o;
		char			*dir;

		if (asprintf(&dir, "%s/%s", e->output_path, e->name) < 0)
			fatalx("out of memory");
		o.format = e->format;
		o.outdir = dir;
		o.fields = (const char *const *)e->fields;
		o.nfields = e->nfields;
		o.samples = e->samples;
		o.filt = &e->filt;
		o.label = e->name;
		o.sources = (const char *const *)a->dirs.v;
		o.nsources = a->dirs.n;
		if (export_run(&o, err, sizeof(err)) != 0) {
			log_warnx("export: experiment \"%s\": %s", e->name,
			    err);
			status = CMD_EXIT_FAIL;
		}
		free(dir);
	}
	yamlcfg_free(&ef);
	return status;
}

int
cmd_export(int argc, char **argv)
{
	struct xargs	a;
	char		err[1024];
	int		rc;

	memset(&a, 0, sizeof(a));
	filter_init(&a.filt);
	rc = parse(&a, argc, argv);
	if (rc > 0) {
		fputs(help, stdout);
		rc = CMD_EXIT_OK;
		goto out;
	}
	if (rc < 0) {
		rc = CMD_EXIT_USAGE;
		goto out;
	}
	if (a.yaml != NULL) {
		for (int i = optind; i < argc; i++)
			strset_add(&a.names, argv[i]);
		rc = run_yaml(&a);
		goto out;
	}
	if (check_cli(&a) != 0) {
		rc = CMD_EXIT_USAGE;
		goto out;
	}
	a.o.fields = (const char *const *)a.fields.v;
	a.o.nfields = a.fields.n;
	a.o.filt = &a.filt;
	a.o.sources = (const char *const *)(argv + optind);
	a.o.nsources = (size_t)(argc - optind);
	rc = CMD_EXIT_OK;
	if (export_run(&a.o, err, sizeof(err)) != 0) {
		log_warnx("export: %s", err);
		rc = CMD_EXIT_FAIL;
	}
out:
	filter_release(&a.filt);
	strset_free(&a.fields);
	strset_free(&a.names);
	strset_free(&a.dirs);
	return rc;
}
