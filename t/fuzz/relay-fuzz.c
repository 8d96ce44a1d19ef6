/*
 * relay-fuzz.c - the relay without HTTP, for the fuzz targets.
 *
 * One relay serves every input of a fuzzing process, on a store in a
 * temporary directory.  fuzz_reset() empties the store and seeds the run
 * "base" (project demo, entity wbstore) with a config, 30 history rows,
 * events, console output and a summary, so that resume, rewind and fork
 * have something to work on.  The store is removed at exit.  The relay
 * logs to stderr: fuzz with -close_fd_mask=2 to keep that quiet, and
 * set RELAY_FUZZ_TRACE to see each answer when replaying an input.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "relay-fuzz.h"

static struct relay	*relay;
static char		*root;

/* Remove the temporary store at exit. */
static void
fuzz_cleanup(void)
{
	if (relay != NULL) {
		store_close(relay->store);
		relay->store = NULL;
		ev_loop_destroy(relay->loop);
		relay->loop = NULL;
		relay_free(relay);
		relay = NULL;
	}
	if (root != NULL) {
		store_rmtree(root);
		free(root);
		root = NULL;
	}
}

/* Run a setup request; setup must succeed. */
static void
fuzz_setup(int gql, const char *body)
{
	struct reply rp;

	if (gql)
		fuzz_gql(body, strlen(body), &rp);
	else
		fuzz_fstream("base", body, strlen(body), &rp);
	if (rp.status != 200) {
		fprintf(stderr, "relay-fuzz: setup failed: %d %s\n", rp.status,
		    rp.body.p ? rp.body.p : "");
		abort();
	}
	buf_release(&rp.body);
}

/* The seed run: a config, 30 rows, events, output and a summary. */
static void
fuzz_seed(void)
{
	struct buf b;

	fuzz_setup(1, "{\"query\": \"mutation UpsertBucket { x }\", "
	    "\"variables\": {\"name\": \"base\", \"project\": \"demo\", "
	    "\"entity\": \"wbstore\", \"config\": \"{\\\"lr\\\": {\\\"value\\\""
	    ": 0.5}, \\\"m\\\": {\\\"value\\\": {\\\"a\\\": [1, 2]}}}\"}}");
	buf_init(&b);
	buf_adds(&b, "{\"files\": {\"wandb-history.jsonl\": {\"offset\": 0, "
	    "\"content\": [");
	for (int i = 0; i < 30; i++)
		buf_printf(&b, "%s\"{\\\"_step\\\": %d, \\\"loss\\\": %g, "
		    "\\\"val\\\": {\\\"acc\\\": %d}, \\\"_runtime\\\": %d}\"",
		    i ? ", " : "", i, 1.0 / (i + 1), i, i);
	buf_adds(&b, "]}, \"wandb-events.jsonl\": {\"offset\": 0, \"content\": "
	    "[\"{\\\"system.cpu\\\": 5, \\\"_runtime\\\": 1}\"]}, "
	    "\"output.log\": {\"offset\": 0, \"content\": [\"2026-11-23T09:00:00"
	    ".000000 hello\", \"ERROR 2026-11-23T09:00:01.000000 oops\"]}, "
	    "\"wandb-summary.json\": {\"offset\": 0, \"content\": [\"{\\\"loss"
	    "\\\": 0.03}\"]}}}");
	fuzz_setup(0, b.p);
	buf_release(&b);
}

/* The relay (see relay-fuzz.h). */
struct relay *
fuzz_relay(void)
{
	struct relay_conf	conf;
	const char		*tmp = getenv("TMPDIR");
	char			err[RELAY_ERR];

	if (relay != NULL)
		return relay;
	if (asprintf(&root, "%s/wbs-fuzz-relay-XXXXXX", tmp ? tmp : "/tmp") <
	    0 || mkdtemp(root) == NULL) {
		perror("relay-fuzz: mkdtemp");
		abort();
	}
	memset(&conf, 0, sizeof(conf));
	conf.listen = "127.0.0.1:0";
	conf.store = root;
	if (relay_new(&relay, &conf, err, sizeof(err)) != 0 ||
	    store_open(&relay->store, root, relay->entity, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "relay-fuzz: %s\n", err);
		abort();
	}
	relay->loop = ev_loop_new(EVFLAG_AUTO);
	relay->port = 8080;
	snprintf(relay->host, sizeof(relay->host), "127.0.0.1");
	atexit(fuzz_cleanup);
	fuzz_seed();
	return relay;
}

/* Empty the store and seed it again. */
void
fuzz_reset(void)
{
	char	path[4200], err[RELAY_ERR];

	fuzz_relay();
	store_close(relay->store);
	relay->store = NULL;
	snprintf(path, sizeof(path), "%s/wandb", root);
	store_rmtree(path);
	if (store_open(&relay->store, root, relay->entity, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "relay-fuzz: %s\n", err);
		abort();
	}
	fuzz_seed();
}

/* What the HTTP layer does around a handler: fresh per-request state. */
static void
fuzz_begin(struct reply *rp)
{
	buf_init(&rp->body);
	rp->status = 200;
	rp->stopped = 0;
	arena_reset(&relay->ar);
	relay->iv.n = 0;
}

/* POST /graphql. */
void
fuzz_gql(const char *body, size_t len, struct reply *rp)
{
	char op[128] = "";

	fuzz_relay();
	fuzz_begin(rp);
	gql_handle(relay, body, len, "127.0.0.1:8080", rp, op, sizeof(op));
}

/* POST /files/wbstore/demo/ID/file_stream; the body is NUL-terminated. */
void
fuzz_fstream(const char *id, const char *body, size_t len, struct reply *rp)
{
	char *copy;

	fuzz_relay();
	fuzz_begin(rp);
	if ((copy = malloc(len + 1)) == NULL)
		abort();
	memcpy(copy, body, len);
	copy[len] = '\0';
	fstream_handle(relay, "wbstore", "demo", id, copy, len, rp);
	free(copy);
}

/* Abort unless the answer is well formed (see relay-fuzz.h). */
void
fuzz_check_reply(const struct reply *rp, int gql)
{
	json_error_t	 e;
	json_t		*v, *m;
	const char	*why = NULL;

	if (getenv("RELAY_FUZZ_TRACE") != NULL)
		fprintf(stderr, "relay-fuzz: %d %.200s\n", rp->status,
		    rp->body.p ? rp->body.p : "");
	if (rp->status != 200 && (rp->status < 400 || rp->status > 499))
		why = "status is neither 200 nor 4xx";
	else if (rp->body.p == NULL || rp->body.len == 0)
		why = rp->status == 200 ? NULL : "error without a body";
	if (why == NULL && rp->body.p != NULL) {
		if ((v = json_loadb(rp->body.p, rp->body.len, 0, &e)) == NULL ||
		    !json_is_object(v))
			why = "answer is not a JSON object";
		else if (rp->status != 200) {
			m = gql ? json_object_get(json_array_get(
			    json_object_get(v, "errors"), 0), "message") :
			    json_object_get(v, "error");
			if (!json_is_string(m) || json_string_length(m) == 0)
				why = "error answer without a message";
		} else if (gql && !json_is_object(json_object_get(v, "data")))
			why = "GraphQL answer without data";
		json_decref(v);
	}
	if (why != NULL) {
		fprintf(stderr, "relay-fuzz: %s: %d %.*s\n", why, rp->status,
		    (int)(rp->body.len < 2000 ? rp->body.len : 2000),
		    rp->body.p ? rp->body.p : "");
		abort();
	}
}

/* The store's state in one number (see relay-fuzz.h). */
uint64_t
fuzz_fingerprint(void)
{
	struct store		*s = fuzz_relay()->store;
	struct wbs_journal_stat	 st;
	uint64_t		 h = HASH64_INIT, v[5];
	char			 err[RELAY_ERR];

	h = hash64(&s->nruns, sizeof(s->nruns), h);
	for (size_t i = 0; i < s->nbuckets; i++)
		for (struct rrun *rr = s->tab[i]; rr != NULL; rr = rr->next) {
			if (store_load(s, rr, err, sizeof(err)) != 0 ||
			    wbs_journal_stat(rr->j, &st) != 0) {
				fprintf(stderr, "relay-fuzz: run %s: cannot "
				    "load: %s\n", rr->id, err);
				abort();
			}
			v[0] = st.last_seq;
			v[1] = rr->hist;
			v[2] = rr->events;
			v[3] = rr->out;
			v[4] = st.records;
			h = hash64(rr->id, strlen(rr->id), h);
			h = hash64(v, sizeof(v), h);
		}
	return h;
}
