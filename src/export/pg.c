/*
 * pg.c - export to PostgreSQL through libpq.
 *
 * Tables (in schema wbstore unless --db-schema says otherwise), created
 * if missing:
 *   runs     (project, run_id) key; attributes; config, summary and
 *            metadata as JSONB; nonfinite; and the export's high-water
 *            marks exported_seq (the journal's last record when the run
 *            was exported) and exported_step (its last exported step).
 *   history  (project, run_id, step) key; timestamp, runtime; metrics as
 *            JSONB, nested keys as nested objects; nonfinite.
 *
 * JSONB has no NaN or infinities.  They are stored as the JSON strings
 * "NaN", "Infinity" and "-Infinity" (which PostgreSQL's float8 reads:
 * (metrics->>'loss')::float8 is NaN), and the dotted keys that hold them
 * are listed in the row's nonfinite column, so that such a value is never
 * mistaken for a logged string (runs.nonfinite prefixes them with config.,
 * summary. or metadata.).
 *
 * Export is incremental and idempotent: each run goes in one transaction
 * that locks its runs row, sends with COPY only the rows above
 * exported_step, and moves the marks.  A run whose journal has not
 * changed since (same exported_seq and state) is not read at all.  The
 * open last row of a live run is held back until it is complete.
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "export-int.h"
#include "log.h"

#define COPY_CHUNK	(256 * 1024)

struct pg {
	PGconn		*c;
	char		*schema;	/* quoted identifier */
	struct buf	 line;
	struct buf	 tmp;
	struct buf	 nf;
	struct buf	 sql;
	int		 in_copy;
	int		 in_txn;
	int64_t		 hwm;
	int64_t		 maxstep;
	int		 held;		/* an open row was held back */
	int		 skip;
};

/* Record a database failure; the export stops. */
static int
pg_fail(struct export *x, const char *what)
{
	struct pg	*p = x->state;
	char		 msg[512];
	size_t		 n;

	snprintf(msg, sizeof(msg), "%s", p && p->c ? PQerrorMessage(p->c) :
	    "no connection");
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	x->fatal = 1;
	return export_fail(x, "PostgreSQL: %s: %s", what, msg);
}

/* Run a statement with text parameters; NULL and error set on failure. */
static PGresult *
pg_exec(struct export *x, const char *sql, int n, const char *const *params,
    const char *what)
{
	struct pg	*p = x->state;
	PGresult	*res;
	int		 st;

	res = PQexecParams(p->c, sql, n, NULL, params, NULL, NULL, 0);
	st = PQresultStatus(res);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ||
	    st == PGRES_COPY_IN)
		return res;
	PQclear(res);
	pg_fail(x, what);
	return NULL;
}

static int
pg_do(struct export *x, const char *sql, int n, const char *const *params,
    const char *what)
{
	PGresult *res = pg_exec(x, sql, n, params, what);

	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

/* The statement with every "%S" replaced by the schema identifier. */
static const char *
pg_sql(struct pg *p, const char *fmt)
{
	buf_reset(&p->sql);
	for (const char *s = fmt; *s != '\0'; s++) {
		if (s[0] == '%' && s[1] == 'S') {
			buf_adds(&p->sql, p->schema);
			s++;
		} else
			buf_addc(&p->sql, *s);
	}
	return buf_cstr(&p->sql);
}

static const char schema_sql[] =
    "SET client_min_messages TO warning;"
    "CREATE SCHEMA IF NOT EXISTS %S;"
    "CREATE TABLE IF NOT EXISTS %S.runs ("
    " project text NOT NULL, run_id text NOT NULL, entity text,"
    " name text, state text NOT NULL, created timestamptz,"
    " updated timestamptz, run_group text, job_type text,"
    " tags text[] NOT NULL DEFAULT '{}', notes text, exit_code integer,"
    " runtime double precision, config jsonb NOT NULL DEFAULT '{}',"
    " summary jsonb NOT NULL DEFAULT '{}',"
    " metadata jsonb NOT NULL DEFAULT '{}',"
    " nonfinite text[] NOT NULL DEFAULT '{}',"
    " exported_seq bigint NOT NULL DEFAULT 0,"
    " exported_step bigint NOT NULL DEFAULT -1,"
    " exported_at timestamptz,"
    " PRIMARY KEY (project, run_id));"
    "CREATE TABLE IF NOT EXISTS %S.history ("
    " project text NOT NULL, run_id text NOT NULL, step bigint NOT NULL,"
    " timestamp timestamptz, runtime double precision,"
    " metrics jsonb NOT NULL, nonfinite text[] NOT NULL DEFAULT '{}',"
    " PRIMARY KEY (project, run_id, step),"
    " FOREIGN KEY (project, run_id) REFERENCES %S.runs"
    "  ON DELETE CASCADE);";

/* Connect and create the tables if they are missing. */
int
pg_connect(struct export *x)
{
	struct pg	*p;
	const char	*schema = x->o->db_schema ? x->o->db_schema :
			    "wbstore";
	PGresult	*res;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		fatalx("out of memory");
	x->state = p;
	if (x->o->db_url == NULL) {
		x->fatal = 1;
		return export_fail(x, "PostgreSQL: no database named "
		    "(--db-url)");
	}
	p->c = PQconnectdb(x->o->db_url);
	if (PQstatus(p->c) != CONNECTION_OK)
		return pg_fail(x, "cannot connect to the database");
	if ((p->schema = PQescapeIdentifier(p->c, schema,
	    strlen(schema))) == NULL)
		return pg_fail(x, "bad schema name");
	/* Several statements: the simple query protocol. */
	res = PQexec(p->c, pg_sql(p, schema_sql));
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		PQclear(res);
		return pg_fail(x, "cannot create the tables");
	}
	PQclear(res);
	return 0;
}

void
pg_disconnect(struct export *x)
{
	struct pg *p = x->state;

	if (p == NULL)
		return;
	if (p->c != NULL)
		PQfinish(p->c);
	PQfreemem(p->schema);
	buf_release(&p->line);
	buf_release(&p->tmp);
	buf_release(&p->nf);
	buf_release(&p->sql);
	free(p);
	x->state = NULL;
}

/* Has the run changed since it was last exported? */
int
pg_precheck(struct export *x, const char *project, const char *id,
    uint64_t last_seq, const char *state, int *unchanged)
{
	struct pg	*p = x->state;
	const char	*params[2] = { project, id };
	PGresult	*res;

	*unchanged = 0;
	res = pg_exec(x, pg_sql(p, "SELECT exported_seq, state FROM "
	    "%S.runs WHERE project = $1 AND run_id = $2"), 2, params,
	    "cannot read the export marks");
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1 &&
	    strtoull(PQgetvalue(res, 0, 0), NULL, 10) == last_seq &&
	    strcmp(PQgetvalue(res, 0, 1), state) == 0) {
		*unchanged = 1;
		x->skipped++;
	}
	PQclear(res);
	return 0;
}

/* Add the dotted paths of non-finite values under t to nf. */
static void
pg_tree_nonfinite(struct buf *nf, const struct tree *t, struct buf *path)
{
	size_t len = path->len;

	for (size_t i = 0; i < t->nkids; i++) {
		const struct tree *k = t->kids[i];

		path->len = len;
		buf_addc(path, '.');
		buf_adds(path, k->name);
		if (!k->leaf) {
			pg_tree_nonfinite(nf, k, path);
			continue;
		}
		if ((k->v.type == WBS_DOUBLE && !isfinite(k->v.u.d)) ||
		    (k->v.type == WBS_JSON &&
		    (memmem(k->v.u.s.ptr, k->v.u.s.len, "NaN", 3) != NULL ||
		    memmem(k->v.u.s.ptr, k->v.u.s.len, "Infinity", 8) !=
		    NULL))) {
			if (nf->len > 1)
				buf_addc(nf, ',');
			xval_pg_elem(nf, path->p + 1, path->len - 1);
		}
	}
	path->len = len;
	if (path->p != NULL)
		path->p[len] = '\0';
}

/* A tree as JSONB text, non-finite numbers as strings. */
static char *
pg_tree_json(const struct tree *t)
{
	struct buf	 raw, out;

	buf_init(&raw);
	buf_init(&out);
	tree_json(&raw, t);
	xval_json_pg(&out, raw.p, raw.len);
	buf_release(&raw);
	buf_cstr(&out);
	return out.p;
}

/* A text[] literal of the run's tags. */
static char *
pg_tags(const struct xrun *r)
{
	struct buf b;

	buf_init(&b);
	buf_addc(&b, '{');
	for (size_t i = 0; i < r->ntags; i++) {
		if (i > 0)
			buf_addc(&b, ',');
		xval_pg_elem(&b, r->tags[i], strlen(r->tags[i]));
	}
	buf_addc(&b, '}');
	return b.p;
}

/* Update the run's row: attributes, trees and the new marks. */
static int
pg_update_run(struct export *x, struct xrun *r)
{
	struct pg	*p = x->state;
	struct buf	 created, updated, nf, path;
	char		 exitc[16], runtime[40], seq[32], step[32];
	char		*tags, *cfg, *sum, *meta;
	const char	*params[19];
	int		 rc;

	buf_init(&created);
	buf_init(&updated);
	buf_init(&nf);
	buf_init(&path);
	xval_iso(&created, r->created_us);
	xval_iso(&updated, r->updated_us);
	buf_addc(&nf, '{');
	const char *const pre[] = { "config", "summary", "metadata" };
	const struct tree *const trees[] = { r->config, r->summary, r->meta };
	for (int i = 0; i < 3; i++) {
		buf_reset(&path);
		buf_printf(&path, ".%s", pre[i]);
		pg_tree_nonfinite(&nf, trees[i], &path);
	}
	buf_addc(&nf, '}');
	snprintf(exitc, sizeof(exitc), "%d", r->exit_code);
	snprintf(runtime, sizeof(runtime), "%.17g", r->runtime);
	/* A held-back row keeps the run "changed" for the next export. */
	snprintf(seq, sizeof(seq), "%" PRIu64, p->held ? 0 : r->last_seq);
	snprintf(step, sizeof(step), "%" PRId64, p->maxstep);
	tags = pg_tags(r);
	cfg = pg_tree_json(r->config);
	sum = pg_tree_json(r->summary);
	meta = pg_tree_json(r->meta);
	params[0] = r->project;
	params[1] = r->id;
	params[2] = r->entity;
	params[3] = r->name;
	params[4] = r->state;
	params[5] = buf_cstr(&created);
	params[6] = buf_cstr(&updated);
	params[7] = r->group;
	params[8] = r->job_type;
	params[9] = tags;
	params[10] = r->notes;
	params[11] = r->has_exit ? exitc : NULL;
	params[12] = isfinite(r->runtime) ? runtime : NULL;
	params[13] = cfg;
	params[14] = sum;
	params[15] = meta;
	params[16] = buf_cstr(&nf);
	params[17] = seq;
	params[18] = step;
	rc = pg_do(x, pg_sql(p, "UPDATE %S.runs SET entity = $3, name = $4,"
	    " state = $5, created = $6, updated = $7, run_group = $8,"
	    " job_type = $9, tags = $10, notes = $11, exit_code = $12,"
	    " runtime = $13, config = $14, summary = $15, metadata = $16,"
	    " nonfinite = $17, exported_seq = $18, exported_step = $19,"
	    " exported_at = now() WHERE project = $1 AND run_id = $2"), 19,
	    params, "cannot update the runs table");
	free(tags);
	free(cfg);
	free(sum);
	free(meta);
	buf_release(&created);
	buf_release(&updated);
	buf_release(&nf);
	buf_release(&path);
	return rc;
}

/* Lock the run's row (created if new) and read its marks. */
static int
pg_lock_run(struct export *x, struct xrun *r)
{
	struct pg	*p = x->state;
	const char	*params[3] = { r->project, r->id, r->state };
	PGresult	*res;

	if (pg_do(x, "BEGIN", 0, NULL, "cannot begin a transaction") != 0)
		return -1;
	p->in_txn = 1;
	if (pg_do(x, pg_sql(p, "INSERT INTO %S.runs (project, run_id, state)"
	    " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"), 3, params,
	    "cannot add to the runs table") != 0)
		return -1;
	res = pg_exec(x, pg_sql(p, "SELECT exported_seq, exported_step, state"
	    " FROM %S.runs WHERE project = $1 AND run_id = $2 FOR UPDATE"), 2,
	    params, "cannot read the export marks");
	if (res == NULL)
		return -1;
	p->hwm = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	p->skip = strtoull(PQgetvalue(res, 0, 0), NULL, 10) == r->last_seq &&
	    strcmp(PQgetvalue(res, 0, 2), r->state) == 0;
	PQclear(res);
	return 0;
}

static int
pg_run_begin(struct export *x, struct xrun *r)
{
	struct pg *p = x->state;

	p->held = 0;
	p->skip = r->skip;
	if (p->skip)
		return 0;
	if (pg_lock_run(x, r) != 0)
		return -1;
	p->maxstep = p->hwm;
	if (p->skip) {
		/* Another export got there first. */
		p->in_txn = 0;
		return pg_do(x, "COMMIT", 0, NULL, "cannot commit");
	}
	if (pg_do(x, pg_sql(p, "COPY %S.history (project, run_id, step,"
	    " timestamp, runtime, metrics, nonfinite) FROM STDIN"), 0, NULL,
	    "cannot start COPY") != 0)
		return -1;
	p->in_copy = 1;
	return 0;
}

/* Text for COPY: backslash, tab and line breaks escaped. */
static void
pg_copy_text(struct buf *b, const char *s, size_t n)
{
	size_t i = 0, j;

	while (i < n) {
		/* Plain runs go in at once; only the four escapes are slow. */
		for (j = i; j < n && s[j] != '\\' && s[j] != '\t' &&
		    s[j] != '\n' && s[j] != '\r'; j++)
			;
		buf_add(b, s + i, j - i);
		if ((i = j) >= n)
			break;
		switch (s[i++]) {
		case '\\':
			buf_adds(b, "\\\\");
			break;
		case '\t':
			buf_adds(b, "\\t");
			break;
		case '\n':
			buf_adds(b, "\\n");
			break;
		default:
			buf_adds(b, "\\r");
			break;
		}
	}
}

static int
pg_flush(struct export *x)
{
	struct pg *p = x->state;

	if (p->line.len > 0 && PQputCopyData(p->c, p->line.p,
	    (int)p->line.len) != 1)
		return pg_fail(x, "COPY to the history table failed");
	buf_reset(&p->line);
	return 0;
}

static int
pg_row(struct export *x, struct xrun *r, const struct xrow *row)
{
	struct pg	*p = x->state;
	struct buf	*b = &p->line;

	if (p->skip || row->step <= p->hwm)
		return 1;
	if (row->open && r->live) {
		p->held = 1;
		return 1;
	}
	pg_copy_text(b, r->project, strlen(r->project));
	buf_addc(b, '\t');
	pg_copy_text(b, r->id, strlen(r->id));
	buf_printf(b, "\t%lld\t", (long long)row->step);
	if (isfinite(row->timestamp))
		xval_iso(b, llround(row->timestamp * 1e6));
	else
		buf_adds(b, "\\N");
	buf_addc(b, '\t');
	xval_double(b, row->runtime);
	buf_addc(b, '\t');
	buf_reset(&p->tmp);
	buf_reset(&p->nf);
	buf_addc(&p->tmp, '{');
	xval_row_json(&x->ks, &p->tmp, row, 1, &p->nf, 1);
	buf_addc(&p->tmp, '}');
	pg_copy_text(b, p->tmp.p, p->tmp.len);
	buf_adds(b, "\t{");
	pg_copy_text(b, p->nf.p ? p->nf.p : "", p->nf.len);
	buf_adds(b, "}\n");
	if (row->step > p->maxstep)
		p->maxstep = row->step;
	if (b->len >= COPY_CHUNK)
		return pg_flush(x);
	return 0;
}

static int
pg_run_end(struct export *x, struct xrun *r)
{
	struct pg	*p = x->state;
	PGresult	*res;
	int		 ok;

	if (p->skip)
		return 0;
	if (pg_flush(x) != 0)
		return -1;
	p->in_copy = 0;
	if (PQputCopyEnd(p->c, NULL) != 1)
		return pg_fail(x, "cannot end COPY");
	res = PQgetResult(p->c);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	while ((res = PQgetResult(p->c)) != NULL)
		PQclear(res);
	if (!ok)
		return pg_fail(x, "COPY to the history table failed");
	if (pg_update_run(x, r) != 0)
		return -1;
	p->in_txn = 0;
	return pg_do(x, "COMMIT", 0, NULL, "cannot commit");
}

/* Two journals of one run (copies): the first one found is exported. */
static int
pg_begin(struct export *x)
{
	for (size_t i = 0; i < x->nruns; i++)
		for (size_t k = 0; k < i && !x->runs[i]->skip; k++)
			if (strcmp(x->runs[i]->id, x->runs[k]->id) == 0 &&
			    strcmp(x->runs[i]->project,
			    x->runs[k]->project) == 0) {
				log_warnx("export: %s: run %s/%s is also in %s; "
				    "skipped", x->runs[i]->dir,
				    x->runs[i]->project, x->runs[i]->id,
				    x->runs[k]->dir);
				x->runs[i]->skip = 1;
			}
	return 0;
}

static int
pg_end(struct export *x)
{
	(void)x;
	return 0;
}

/* Leave the transaction of a failed run. */
static void
pg_abort(struct export *x)
{
	struct pg	*p = x->state;
	PGresult	*res;

	if (p == NULL || p->c == NULL)
		return;
	if (p->in_copy) {
		PQputCopyEnd(p->c, "export failed");
		while ((res = PQgetResult(p->c)) != NULL)
			PQclear(res);
		p->in_copy = 0;
	}
	if (p->in_txn) {
		res = PQexec(p->c, "ROLLBACK");
		PQclear(res);
		p->in_txn = 0;
	}
}

const struct sink sink_pg = {
	.begin = pg_begin,
	.run_begin = pg_run_begin,
	.row = pg_row,
	.run_end = pg_run_end,
	.end = pg_end,
	.abort = pg_abort,
};
