/*
 * jsonl.c - JSON Lines output: runs.jsonl (one object per run) and
 * history.jsonl (one object per history row: _run_id, _step, _timestamp,
 * _runtime and the row's items, nested keys as nested objects, as in
 * W&B's history files).  W&B's extended JSON: NaN, Infinity and
 * -Infinity are bare tokens.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export-int.h"
#include "log.h"

struct jsonl {
	struct ofile	runs;
	struct ofile	hist;
	struct buf	line;
};

static void
jsonl_opt(struct buf *b, const char *name, const char *v)
{
	buf_printf(b, ",\"%s\":", name);
	if (v != NULL)
		json_str(b, v, strlen(v));
	else
		buf_adds(b, "null");
}

/* One run as a JSON object (also the runs table's shape elsewhere). */
void
jsonl_run(struct buf *b, const struct xrun *r)
{
	buf_adds(b, "{\"id\":");
	json_str(b, r->id, strlen(r->id));
	jsonl_opt(b, "name", r->name);
	jsonl_opt(b, "project", r->project);
	jsonl_opt(b, "entity", r->entity);
	jsonl_opt(b, "state", r->state);
	buf_adds(b, ",\"created\":\"");
	xval_iso(b, r->created_us);
	buf_adds(b, "\",\"updated\":\"");
	xval_iso(b, r->updated_us);
	buf_addc(b, '"');
	jsonl_opt(b, "group", r->group);
	jsonl_opt(b, "job_type", r->job_type);
	buf_adds(b, ",\"tags\":[");
	for (size_t k = 0; k < r->ntags; k++) {
		if (k > 0)
			buf_addc(b, ',');
		json_str(b, r->tags[k], strlen(r->tags[k]));
	}
	buf_addc(b, ']');
	jsonl_opt(b, "notes", r->notes);
	if (r->has_exit)
		buf_printf(b, ",\"exit_code\":%d", r->exit_code);
	else
		buf_adds(b, ",\"exit_code\":null");
	buf_adds(b, ",\"runtime\":");
	xval_double(b, r->runtime);
	buf_adds(b, ",\"config\":");
	tree_json(b, r->config);
	buf_adds(b, ",\"summary\":");
	tree_json(b, r->summary);
	buf_adds(b, ",\"metadata\":");
	tree_json(b, r->meta);
	buf_addc(b, '}');
}

static int
jsonl_flush(struct export *x, struct ofile *of, struct buf *b)
{
	if (b->len > 0 && fwrite(b->p, 1, b->len, of->f) != b->len)
		return export_fail(x, "cannot write %s", of->path);
	buf_reset(b);
	return 0;
}

static void
jsonl_free(struct export *x)
{
	struct jsonl *c = x->state;

	if (c == NULL)
		return;
	ofile_abort(&c->runs);
	ofile_abort(&c->hist);
	buf_release(&c->line);
	free(c);
	x->state = NULL;
}

static int
jsonl_begin(struct export *x)
{
	struct jsonl *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatalx("out of memory");
	x->state = c;
	if (csv_open_pair(x, "jsonl", &c->runs, &c->hist) != 0)
		goto fail;
	for (size_t i = 0; i < x->nruns; i++) {
		jsonl_run(&c->line, x->runs[i]);
		buf_addc(&c->line, '\n');
		if (jsonl_flush(x, &c->runs, &c->line) != 0)
			goto fail;
	}
	return 0;
fail:
	jsonl_free(x);
	return -1;
}

static int
jsonl_row(struct export *x, struct xrun *r, const struct xrow *row)
{
	struct jsonl	*c = x->state;
	struct buf	*b = &c->line;

	buf_adds(b, "{\"_run_id\":");
	json_str(b, r->id, strlen(r->id));
	buf_printf(b, ",\"_step\":%lld,\"_timestamp\":", (long long)row->step);
	xval_double(b, row->timestamp);
	buf_adds(b, ",\"_runtime\":");
	xval_double(b, row->runtime);
	xval_row_json(&x->ks, b, row, 0, NULL, 0);
	buf_adds(b, "}\n");
	if (b->len >= 65536)
		return jsonl_flush(x, &c->hist, b);
	return 0;
}

static int
jsonl_end(struct export *x)
{
	struct jsonl	*c = x->state;
	int		 rc;

	rc = jsonl_flush(x, &c->hist, &c->line);
	if (rc == 0)
		rc = ofile_commit(&c->runs, x->err, sizeof(x->err));
	if (rc == 0)
		rc = ofile_commit(&c->hist, x->err, sizeof(x->err));
	jsonl_free(x);
	return rc;
}

const struct sink sink_jsonl = {
	.begin = jsonl_begin,
	.row = jsonl_row,
	.end = jsonl_end,
	.abort = jsonl_free,
};
