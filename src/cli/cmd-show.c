/*
 * cmd-show.c - wbstore show: one run, the way W&B ends a run.
 */
#include "config.h"

#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wbstore/wbstore.h"
#include "buf.h"
#include "cmd.h"
#include "log.h"
#include "runs.h"
#include "runview.h"

/* A key path for display: components joined by ".". */
static void
show_key(struct buf *b, const char *prefix, const char *name)
{
	if (prefix != NULL && *prefix != '\0') {
		buf_adds(b, prefix);
		buf_addc(b, '.');
	}
	buf_adds(b, name);
}

static int
cmp_kids(const void *a, const void *b)
{
	return strcmp((*(struct tree *const *)a)->name,
	    (*(struct tree *const *)b)->name);
}

/* Width of the longest dotted key of a tree (at most 40). */
static int
tree_width(const struct tree *t, int prefix)
{
	int w = 0;

	for (size_t i = 0; i < t->nkids; i++) {
		int n = prefix + (int)strlen(t->kids[i]->name);

		if (!t->kids[i]->leaf)
			n = tree_width(t->kids[i], n + 1);
		if (n > w)
			w = n;
	}
	return w > 40 ? 40 : w;
}

/* Print a tree as "key value" lines, sorted, nested keys dotted. */
static void
print_tree(const struct tree *t, const char *prefix, int width)
{
	struct buf	  key, val;
	struct tree	**kids;

	if (t->nkids == 0)
		return;
	if ((kids = malloc(t->nkids * sizeof(*kids))) == NULL)
		fatalx("out of memory");
	memcpy(kids, t->kids, t->nkids * sizeof(*kids));
	if (t->nkids > 1)
		qsort(kids, t->nkids, sizeof(*kids), cmp_kids);
	buf_init(&key);
	buf_init(&val);
	for (size_t i = 0; i < t->nkids; i++) {
		const struct tree *k = kids[i];

		buf_reset(&key);
		show_key(&key, prefix, k->name);
		if (!k->leaf) {
			print_tree(k, buf_cstr(&key), width);
			continue;
		}
		buf_reset(&val);
		if (k->v.type == WBS_STRING)
			buf_add(&val, k->v.u.s.ptr, k->v.u.s.len);
		else if (k->v.type == WBS_DOUBLE && isfinite(k->v.u.d))
			buf_printf(&val, "%.5g", k->v.u.d);
		else
			json_value(&val, &k->v);
		printf("  %-*s %s\n", width, buf_cstr(&key), buf_cstr(&val));
	}
	buf_release(&key);
	buf_release(&val);
	free(kids);
}

static void
json_opt(struct buf *b, const char *name, const char *v)
{
	buf_printf(b, ",\"%s\":", name);
	if (v != NULL)
		json_str(b, v, strlen(v));
	else
		buf_adds(b, "null");
}

/* The run as one JSON object. */
static void
show_json(const struct runview *rv, const char *dir)
{
	const struct wbs_run_info	*ri = rv->info;
	struct buf			 b;

	buf_init(&b);
	buf_adds(&b, "{\"id\":");
	json_str(&b, ri->id, strlen(ri->id));
	json_opt(&b, "name", ri->name);
	json_opt(&b, "project", ri->project);
	json_opt(&b, "entity", ri->entity);
	json_opt(&b, "group", ri->group);
	json_opt(&b, "job_type", ri->job_type);
	json_opt(&b, "notes", ri->notes);
	json_opt(&b, "host", ri->host);
	buf_adds(&b, ",\"tags\":[");
	for (size_t i = 0; i < ri->ntags; i++) {
		if (i)
			buf_addc(&b, ',');
		json_str(&b, ri->tags[i], strlen(ri->tags[i]));
	}
	buf_printf(&b, "],\"state\":\"%s\",\"exit_code\":",
	    fmt_state(rv->st.state, rv->st.live));
	if (rv->has_exit)
		buf_printf(&b, "%d,\"runtime_s\":%.3f", rv->exit_code,
		    rv->runtime_ms / 1000.0);
	else
		buf_adds(&b, "null,\"runtime_s\":null");
	buf_printf(&b, ",\"created_us\":%lld,\"updated_us\":%lld,"
	    "\"records\":%llu,\"rows\":%llu,\"last_step\":%lld,\"bytes\":%llu",
	    (long long)rv->st.created_us, (long long)rv->st.last_us,
	    (unsigned long long)rv->st.records,
	    (unsigned long long)rv->rows, (long long)rv->last_step,
	    (unsigned long long)rv->st.bytes);
	json_opt(&b, "dir", dir);
	buf_adds(&b, ",\"config\":");
	tree_json(&b, rv->config);
	buf_adds(&b, ",\"summary\":");
	tree_json(&b, rv->summary);
	buf_adds(&b, "}\n");
	fputs(buf_cstr(&b), stdout);
	buf_release(&b);
}

/* The run as text. */
static void
show_text(const struct runview *rv, const char *dir)
{
	const struct wbs_run_info	*ri = rv->info;
	char				 created[32], updated[32];
	struct buf			 b;
	int				 width = 8;

	fmt_time(created, sizeof(created), rv->st.created_us);
	fmt_time(updated, sizeof(updated), rv->st.last_us);
	printf("run %s", ri->id);
	if (ri->name)
		printf(" (%s)", ri->name);
	printf("  %s%s%s\n", ri->entity ? ri->entity : "",
	    ri->entity ? "/" : "", ri->project);
	printf("  dir:      %s\n", dir);
	printf("  state:    %s", fmt_state(rv->st.state, rv->st.live));
	if (rv->has_exit)
		printf(" (exit %d, %.1f s)", rv->exit_code,
		    rv->runtime_ms / 1000.0);
	printf("\n  created:  %s\n  updated:  %s\n", created, updated);
	if (ri->host)
		printf("  host:     %s\n", ri->host);
	if (ri->group)
		printf("  group:    %s\n", ri->group);
	if (ri->job_type)
		printf("  job type: %s\n", ri->job_type);
	if (ri->ntags) {
		printf("  tags:    ");
		for (size_t i = 0; i < ri->ntags; i++)
			printf(" %s", ri->tags[i]);
		printf("\n");
	}
	if (ri->notes)
		printf("  notes:    %s\n", ri->notes);
	if (ri->fork_run)
		printf("  forked:   from %s at step %lld\n", ri->fork_run,
		    (long long)ri->fork_step);
	printf("  records:  %llu (%llu history rows, %llu console chunks, "
	    "%llu stats samples, %llu files)\n",
	    (unsigned long long)rv->st.records, (unsigned long long)rv->rows,
	    (unsigned long long)rv->counts[WBS_REC_CONSOLE],
	    (unsigned long long)rv->counts[WBS_REC_STATS],
	    (unsigned long long)rv->counts[WBS_REC_FILE]);
	if (rv->config->nkids) {
		printf("\nConfig:\n");
		print_tree(rv->config, NULL, tree_width(rv->config, 0));
	}
	for (size_t i = 0; i < rv->nseries; i++) {
		int w = (int)strlen(rv->series[i].key);

		if (w > width)
			width = w;
	}
	if (tree_width(rv->summary, 0) > width)
		width = tree_width(rv->summary, 0);
	if (width > 40)
		width = 40;
	if (rv->nseries) {
		printf("\nRun history:\n");
		buf_init(&b);
		for (size_t i = 0; i < rv->nseries; i++) {
			buf_reset(&b);
			runview_sparkline(&b, &rv->series[i]);
			for (char *p = rv->series[i].key; *p; p++)
				if (*p == WBS_SEP_CHAR)
					*p = '.';
			printf("  %-*s %s\n", width, rv->series[i].key,
			    buf_cstr(&b));
		}
		buf_release(&b);
	}
	if (rv->summary->nkids) {
		printf("\nRun summary:\n");
		print_tree(rv->summary, NULL, width);
	}
}

int
cmd_show(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct runview	rv;
	char		path[PATH_MAX], err[512];
	int		json = 0, c;

	while ((c = getopt_long(argc, argv, "jh", lopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'h':
			return cmd_usage("show", 0);
		default:
			return cmd_usage("show", CMD_EXIT_USAGE);
		}
	}
	if (optind != argc - 1)
		return cmd_usage("show", CMD_EXIT_USAGE);
	if (runs_resolve(argv[optind], path, sizeof(path)) != 0) {
		log_warnx("%s: no such run or directory", argv[optind]);
		return CMD_EXIT_FAIL;
	}
	if (runview_load(&rv, path, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		return CMD_EXIT_FAIL;
	}
	if (json)
		show_json(&rv, path);
	else
		show_text(&rv, path);
	runview_release(&rv);
	return CMD_EXIT_OK;
}
