/*
 * sync.c - the engine: runs queued, a few at a time, on one loop.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cred.h"
#include "log.h"
#include "syncint.h"

/* Start queued runs while there is room. */
static void
start_more(struct sync_engine *e)
{
	while (e->active < e->o.jobs && e->next < e->nruns) {
		struct srun *r = e->runs[e->next++];

		srun_start(r);
	}
}

static void
check_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct sync_engine *e = w->data;

	(void)revents;
	start_more(e);
	if (e->active == 0 && e->next >= e->nruns)
		ev_break(loop, EVBREAK_ONE);
}

struct sync_engine *
sync_new(const struct sync_opts *o, char *err, size_t errlen)
{
	struct sync_engine	*e;
	struct http_opts	 ho;
	char			 key[CRED_KEY_MAX], src[PATH_MAX];
	char			 hp[256], host[256];

	if ((e = calloc(1, sizeof(*e))) == NULL)
		fatalx("out of memory");
	e->o = *o;
	if (e->o.jobs < 1)
		e->o.jobs = 4;
	if (e->o.host_max < 1)
		e->o.host_max = 6;
	if (e->o.max_retries < 0)
		e->o.max_retries = 20;
	if (e->o.timeout_s <= 0)
		e->o.timeout_s = 120;
	e->loop = o->loop ? o->loop : EV_DEFAULT;
	if (o->base_url != NULL)
		snprintf(e->base_url, sizeof(e->base_url), "%s", o->base_url);
	else
		cred_base_url(e->base_url, sizeof(e->base_url));
	while (strlen(e->base_url) > 0 &&
	    e->base_url[strlen(e->base_url) - 1] == '/')
		e->base_url[strlen(e->base_url) - 1] = '\0';
	if (cred_url_host(e->base_url, hp, sizeof(hp), host,
	    sizeof(host)) != 0) {
		snprintf(err, errlen, "base URL \"%s\" is not an http:// or "
		    "https:// URL (WANDB_BASE_URL or base_url in %s)",
		    e->base_url, "wbstore's config");
		free(e);
		return NULL;
	}
	e->batch = SYNC_BUDGET / ((size_t)e->o.jobs * SYNC_DEPTH);
	if (e->batch > SYNC_BATCH_MAX)
		e->batch = SYNC_BATCH_MAX - 65536;
	if (e->batch < SYNC_BATCH_MIN)
		e->batch = SYNC_BATCH_MIN;
	if (o->view == NULL) {
		if (cred_api_key(e->base_url, key, sizeof(key), src,
		    sizeof(src)) != 0) {
			cred_config_path(src, sizeof(src));
			snprintf(err, errlen, "no API key for %s: set "
			    "WANDB_API_KEY, add \"machine %s\" to ~/.netrc or "
			    "put api_key in %s", e->base_url, hp, src);
			free(e);
			return NULL;
		}
		if ((e->api_key = strdup(key)) == NULL)
			fatalx("out of memory");
		explicit_bzero(key, sizeof(key));
		memset(&ho, 0, sizeof(ho));
		ho.loop = e->loop;
		ho.base_url = e->base_url;
		ho.api_key = e->api_key;
		ho.insecure = o->insecure;
		ho.host_max = e->o.host_max;
		ho.max_retries = e->o.max_retries;
		ho.timeout_ms = (long)(e->o.timeout_s * 1000);
		ho.user_agent = "wbstore/" PACKAGE_VERSION;
		if ((e->http = http_new(&ho, err, errlen)) == NULL) {
			sync_free(e);
			return NULL;
		}
	}
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	return e;
}

void
sync_free(struct sync_engine *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->nruns; i++)
		srun_free(e->runs[i]);
	free(e->runs);
	http_free(e->http);
	if (e->api_key != NULL) {
		explicit_bzero(e->api_key, strlen(e->api_key));
		free(e->api_key);
	}
	free(e);
}

void
sync_add(struct sync_engine *e, const char *path)
{
	if ((e->runs = realloc(e->runs, (e->nruns + 1) *
	    sizeof(*e->runs))) == NULL)
		fatalx("out of memory");
	e->runs[e->nruns++] = srun_new(e, path);
}

/* Run until every run is done (see sync.h). */
int
sync_run(struct sync_engine *e)
{
	ev_prepare	prep;
	int		notok = 0;

	ev_prepare_init(&prep, check_cb);
	prep.data = e;
	ev_prepare_start(e->loop, &prep);
	start_more(e);
	if (e->active > 0 || e->next < e->nruns)
		ev_run(e->loop, 0);
	ev_prepare_stop(e->loop, &prep);
	for (size_t i = 0; i < e->nruns; i++) {
		struct srun *r = e->runs[i];

		if (r->info.state != SYNC_SYNCED &&
		    r->info.state != SYNC_UPTODATE &&
		    r->info.state != SYNC_SKIPPED)
			notok++;
		else if (r->upload_errors > 0)
			notok++;
	}
	return notok;
}

size_t
sync_count(const struct sync_engine *e)
{
	return e->nruns;
}

const struct sync_info *
sync_get(struct sync_engine *e, size_t i)
{
	return i < e->nruns ? &e->runs[i]->info : NULL;
}

const char *
sync_base_url(const struct sync_engine *e)
{
	return e->base_url;
}

const char *
sync_state_name(enum sync_state s)
{
	switch (s) {
	case SYNC_QUEUED:
		return "queued";
	case SYNC_ACTIVE:
		return "syncing";
	case SYNC_SYNCED:
		return "synced";
	case SYNC_UPTODATE:
		return "up to date";
	case SYNC_SKIPPED:
		return "skipped";
	case SYNC_STOPPED:
		return "stopped";
	case SYNC_FAILED:
		return "failed";
	}
	return "?";
}

/* The app URL of a base URL, as W&B derives it. */
static void
app_url(char *out, size_t len, const char *base)
{
	const char *env = getenv("WANDB_APP_URL"), *p;

	if (env != NULL && *env != '\0') {
		snprintf(out, len, "%s", env);
	} else if ((p = strstr(base, "://api.wandb.")) != NULL) {
		snprintf(out, len, "%.*s://wandb.%s", (int)(p - base), base,
		    p + 13);
	} else if ((p = strstr(base, "://api.")) != NULL) {
		snprintf(out, len, "%.*s://app.%s", (int)(p - base), base,
		    p + 7);
	} else
		snprintf(out, len, "%s", base);
	while (strlen(out) > 0 && out[strlen(out) - 1] == '/')
		out[strlen(out) - 1] = '\0';
}

void
sync_run_url(char *out, size_t len, const char *base_url, const char *entity,
    const char *project, const char *id)
{
	char app[1024];

	app_url(app, sizeof(app), base_url);
	if (entity != NULL && *entity != '\0')
		snprintf(out, len, "%s/%s/%s/runs/%s", app, entity, project, id);
	else
		snprintf(out, len, "%s/%s/runs/%s", app, project, id);
}

/* Sync status for listings (see sync.h). */
void
sync_status(struct wbs_journal *j, char *out, size_t len)
{
	const struct wbs_run_info	*ri;
	struct wbs_journal_stat		 st;
	struct cursor			 c;
	const void			*val;
	size_t				 n;
	char				 base[1024], dest[1200], err[256];

	snprintf(out, len, "-");
	if (wbs_journal_stat(j, &st) != 0 || wbs_journal_info(j, &ri) != 0)
		return;
	cred_base_url(base, sizeof(base));
	cursor_dest(dest, sizeof(dest), base, ri->entity, ri->project);
	if (wbs_journal_get_cursor(j, dest, &val, &n) != 0)
		return;
	cursor_init(&c);
	if (cursor_decode(&c, val, n, err, sizeof(err)) != 0) {
		snprintf(out, len, "unreadable");
		return;
	}
	if (c.stop_kind != NULL) {
		const char *why = strcmp(c.stop_kind, "auth") == 0 ?
		    "credentials rejected" : strcmp(c.stop_kind, "gone") == 0 ?
		    "run gone from the server" : strcmp(c.stop_kind,
		    "retries") == 0 ? "gave up retrying" : "server refused";

		if (c.stop_status > 0)
			snprintf(out, len, "stopped: %s (HTTP %d)", why,
			    c.stop_status);
		else
			snprintf(out, len, "stopped: %s", why);
	}
	else if (c.pos.seq <= st.last_seq)
		snprintf(out, len, "partial");
	else if (c.finished)
		snprintf(out, len, c.synced ? "synced" : "sent");
	else
		snprintf(out, len, "running");
	cursor_release(&c);
}
