/*
 * export-filter-t.c - run filters (command-line syntax, matching on
 * attributes, config and summary) and experiments files.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "testutil.h"
#include "export/export.h"
#include "export/filter.h"
#include "export/yamlcfg.h"

static void
set_num(struct tree *t, const char *path, double d)
{
	struct wbs_value v = { .type = WBS_DOUBLE, .u = { .d = d } };

	tree_set(t, path, &v);
}

static void
set_str(struct tree *t, const char *path, const char *s)
{
	struct wbs_value v = { .type = WBS_STRING };

	v.u.s.ptr = s;
	v.u.s.len = strlen(s);
	tree_set(t, path, &v);
}

/* Parse one condition and match it against config c. */
static int
cond_match(const char *arg, struct tree *c, int *bad)
{
	struct filter	f;
	char		err[256];
	int		m = 0;

	filter_init(&f);
	*bad = filter_parse_cond(&f, 0, arg, err, sizeof(err)) != 0;
	if (!*bad)
		m = filter_match_values(&f, c, c);
	filter_release(&f);
	return m;
}

static void
test_conds(void)
{
	struct tree	*c = tree_new();
	int		 bad;

	set_num(c, "lr", 0.01);
	set_str(c, "optimizer", "adam");
	set_num(c, "model" WBS_SEP "layers", 4);
	set_num(c, "lr.decay", 0.5);	/* a flat key with a dot */
	set_num(c, "nan", NAN);
	ok(cond_match("lr=0.01", c, &bad) && !bad, "lr=0.01 matches");
	ok(!cond_match("lr=0.02", c, &bad) && !bad, "lr=0.02 does not");
	ok(cond_match("optimizer=adam", c, &bad), "string value matches");
	ok(cond_match("model.layers=4", c, &bad), "dots follow nesting");
	ok(cond_match("lr.decay=0.5", c, &bad),
	    "a key with a literal dot is found too");
	ok(cond_match("lr=0.001..0.1", c, &bad) && !bad, "range matches");
	ok(cond_match("lr=..0.01", c, &bad) && cond_match("lr=0.01..", c,
	    &bad), "open ranges include their bound");
	ok(!cond_match("lr=0.02..", c, &bad), "value below the range");
	ok(!cond_match("optimizer=0..1", c, &bad), "strings never in a range");
	ok(!cond_match("nan=-1e9..1e9", c, &bad), "NaN is in no range");
	ok(!cond_match("missing=1", c, &bad), "a missing key never matches");
	cond_match("lr", c, &bad);
	ok(bad, "KEY without =VALUE is refused");
	cond_match("=3", c, &bad);
	ok(bad, "an empty key is refused");
	cond_match("lr=a..b", c, &bad);
	ok(bad, "a range of words is refused");
	cond_match("lr=2..1", c, &bad);
	ok(bad, "MIN above MAX is refused");
	cond_match("lr=..", c, &bad);
	ok(bad, "a range without bounds is refused");
	tree_free(c);
}

static void
test_attrs(void)
{
	struct filter		f;
	const char *const	tags[] = { "base", "v2" };
	struct filter_run	r = { "abc", "first", "proj", NULL, "g1",
				    "train", tags, 2, "finished" };
	char			err[128];

	filter_init(&f);
	ok(filter_match_attrs(&f, &r), "no filter takes every run");
	strset_add(&filter_alt0(&f)->groups, "g2");
	ok(!filter_match_attrs(&f, &r), "other group");
	strset_add(&filter_alt0(&f)->groups, "g1");
	ok(filter_match_attrs(&f, &r), "one of the groups");
	strset_add(&filter_alt0(&f)->runs, "first");
	ok(filter_match_attrs(&f, &r), "run by display name");
	strset_free(&filter_alt0(&f)->runs);
	strset_add(&filter_alt0(&f)->runs, "abc");
	ok(filter_match_attrs(&f, &r), "run by id");
	strset_add(&f.tags, "v3");
	ok(!filter_match_attrs(&f, &r), "no such tag");
	strset_add(&f.tags, "v2");
	ok(filter_match_attrs(&f, &r), "one of the tags");
	strset_add(&f.entities, "team");
	ok(filter_match_attrs(&f, &r), "a run without an entity matches any");
	r.entity = "other";
	ok(!filter_match_attrs(&f, &r), "a run of another entity does not");
	ok(filter_check_state("crashed", err, sizeof(err)) == 0 &&
	    filter_check_state("done", err, sizeof(err)) != 0 &&
	    strstr(err, "done") != NULL, "states are checked");
	filter_release(&f);
}

/* Write text to dir/name and return the path (static buffer). */
static const char *
write_file(const char *dir, const char *name, const char *text)
{
	static char	 path[4096];
	FILE		*f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL || fputs(text, f) < 0 ||
	    fclose(f) != 0)
		exit(99);
	return path;
}

static const char good_yaml[] =
    "DEFAULT:\n"
    "  project: proj\n"
    "  entity: team\n"
    "  fields: [loss, \"val.loss\"]\n"
    "  output_path: out\n"
    "  output_data_type: numpy\n"
    "  config:\n"
    "    lr: {min: 0.001}\n"
    "exp_a:\n"
    "  groups: [g1, g2]\n"
    "  job_types: [[train], all]\n"
    "  runs: [[first, second], [third]]\n"
    "  history_samples: 10\n"
    "  config:\n"
    "    lr: {max: 0.1}\n"
    "    optimizer:\n"
    "      values: [adam, \"0.5\", 3]\n"
    "  summary:\n"
    "    best: {min: 0, max: 1}\n"
    "exp_b:\n"
    "  output_data_type: csv\n"
    "  fields: test_loss\n"
    "  tags: [x]\n";

static void
test_yaml_good(const char *dir)
{
	const char		*path = write_file(dir, "good.yaml", good_yaml);
	struct expfile		 ef;
	char			 err[512];
	const struct experiment	*a, *b;
	const char *const	 only[] = { "exp_b" };

	if (!ok(yamlcfg_load(path, NULL, 0, &ef, err, sizeof(err)) == 0,
	    "experiments file loads")) {
		diag("%s", err);
		return;
	}
	ok(ef.n == 2, "two experiments (DEFAULT is not one)");
	a = &ef.v[0];
	b = &ef.v[1];
	is_str(a->name, "exp_a", "first experiment");
	ok(a->format == EXPORT_NPY && b->format == EXPORT_MATRIX_CSV,
	    "output_data_type numpy and csv");
	ok(a->nfields == 2 && strcmp(a->fields[1], "val.loss") == 0 &&
	    b->nfields == 1 && strcmp(b->fields[0], "test_loss") == 0,
	    "fields from DEFAULT, overridden by an experiment");
	ok(a->samples == 10 && b->samples == 0, "history_samples");
	is_str(a->output_path, "out", "output_path from DEFAULT");
	ok(a->filt.nalts == 2 && a->filt.alts[0].jobs.n == 1 &&
	    a->filt.alts[1].jobs.n == 0 && a->filt.alts[1].runs.n == 1 &&
	    strcmp(a->filt.alts[1].runs.v[0], "third") == 0,
	    "nested job_types and runs go with their group");
	ok(a->filt.nconfig == 2 && a->filt.config[0].hasmin &&
	    a->filt.config[0].hasmax && a->filt.config[0].min == 0.001 &&
	    a->filt.config[0].max == 0.1,
	    "config ranges merge DEFAULT's min with the experiment's max");
	ok(a->filt.config[1].nvals == 3 && a->filt.config[1].vals[1].quoted &&
	    !a->filt.config[1].vals[1].isnum && a->filt.config[1].vals[2].isnum,
	    "values keep quoted strings apart from numbers");
	ok(b->filt.nconfig == 1 && b->filt.nsummary == 0 &&
	    b->filt.tags.n == 1 && b->filt.projects.n == 1 &&
	    b->filt.entities.n == 1, "DEFAULT filters apply to exp_b");
	yamlcfg_free(&ef);
	ok(yamlcfg_load(path, only, 1, &ef, err, sizeof(err)) == 0 &&
	    ef.n == 1 && strcmp(ef.v[0].name, "exp_b") == 0,
	    "-e selects experiments");
	yamlcfg_free(&ef);
}

/* A file that must be refused with a message holding want. */
static void
yaml_bad(const char *dir, const char *text, const char *want,
    const char *what)
{
	const char	*path = write_file(dir, "bad.yaml", text);
	struct expfile	 ef;
	char		 err[512] = "";

	ok(yamlcfg_load(path, NULL, 0, &ef, err, sizeof(err)) != 0 &&
	    strstr(err, want) != NULL && strstr(err, "bad.yaml") != NULL,
	    "refused: %s", what);
	if (strstr(err, want) == NULL)
		diag("message: %s", err);
}

static void
test_yaml_bad(const char *dir)
{
	struct expfile	ef;
	char		err[512], missing[4096];
	const char	*path = write_file(dir, "ok.yaml",
			    "e1: {output_path: o}\n");
	const char *const names[] = { "nope" };

	yaml_bad(dir, "e1: [unclosed\n", "line", "not YAML");
	yaml_bad(dir, "", "empty", "an empty file");
	yaml_bad(dir, "- a\n- b\n", "mapping", "a list");
	yaml_bad(dir, "e1:\n  output_path: o\n  feilds: [a]\n",
	    "unknown setting \"feilds\"", "a misspelt setting");
	yaml_bad(dir, "e1:\n  fields: [a]\n", "output_path is required",
	    "no output_path");
	yaml_bad(dir, "e1:\n  output_path: o\n  output_data_type: hdf5\n",
	    "numpy or csv", "an unknown output type");
	yaml_bad(dir, "e1:\n  output_path: o\n  history_samples: some\n",
	    "history_samples", "bad history_samples");
	yaml_bad(dir, "e1:\n  output_path: o\n  config:\n    lr: 3\n",
	    "values: [...]", "a config filter that is not a spec");
	yaml_bad(dir, "e1:\n  output_path: o\n  config:\n"
	    "    lr: {min: low}\n", "min must be a number",
	    "a min that is not a number");
	yaml_bad(dir, "e1:\n  output_path: o\n  groups: [a]\n"
	    "  runs: [[x], [y]]\n", "2 lists but groups has 1",
	    "nested runs not matching groups");
	yaml_bad(dir, "DEFAULT: {output_path: o}\n", "no experiments",
	    "only DEFAULT");
	ok(yamlcfg_load(path, names, 1, &ef, err, sizeof(err)) != 0 &&
	    strstr(err, "no experiment \"nope\"") != NULL,
	    "refused: -e with an unknown name");
	snprintf(missing, sizeof(missing), "%s/missing.yaml", dir);
	ok(yamlcfg_load(missing, NULL, 0, &ef, err, sizeof(err)) != 0 &&
	    strstr(err, "cannot read") != NULL, "refused: a missing file");
}

int
main(void)
{
	char *dir = test_tmpdir();

	test_conds();
	test_attrs();
	test_yaml_good(dir);
	test_yaml_bad(dir);
	test_rmtree(dir);
	plan_lazy_done();
	return tap_exit();
}
