/*
 * store.c - the relay's runs: an index of run directories by run id,
 * the journal and writer handles of the runs in use, and the per-file
 * line counts that make file_stream offsets line up.
 *
 * Line counts are derived from the journal itself: one committed history
 * record per wandb-history.jsonl line, one stats record per
 * wandb-events.jsonl line, one console record per new output.log line
 * (see console_body()).  They are also saved, with the sequence number
 * they cover, as the journal cursor "relay:", so that loading a run only
 * reads the records written after the last save; a crash between a write
 * and a save costs a longer scan, never a wrong count.
 *
 * A run in use has its RDWR journal handle open and, while it is being
 * written, its writer.  Both handles map the same LMDB file; they are
 * opened in that order and the journal handle is reopened whenever the
 * writer closes, so that the process always holds the file's lock.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef HAVE_GETRANDOM
#include <sys/random.h>
#endif

#include "log.h"
#include "relay-int.h"

#define CURSOR_NAME	"relay:"

static void
xfree_str(char **p)
{
	free(*p);
	*p = NULL;
}

static size_t
bucket(const struct store *s, const char *id)
{
	return (size_t)hash64(id, strlen(id), HASH64_INIT) % s->nbuckets;
}

/* The run of id, or NULL. */
struct rrun *
store_find(struct store *s, const char *id)
{
	struct rrun *rr;

	for (rr = s->tab[bucket(s, id)]; rr != NULL; rr = rr->next)
		if (strcmp(rr->id, id) == 0)
			return rr;
	return NULL;
}

/* Index id at dir (a newer directory replaces an older one). */
struct rrun *
store_add(struct store *s, const char *id, const char *dir)
{
	struct rrun	*rr = store_find(s, id);
	size_t		 b;

	if (rr != NULL) {
		free(rr->dir);
		rr->dir = xstrdup(dir);
		return rr;
	}
	if ((rr = calloc(1, sizeof(*rr))) == NULL)
		fatalx("out of memory");
	rr->id = xstrdup(id);
	rr->dir = xstrdup(dir);
	b = bucket(s, id);
	rr->next = s->tab[b];
	s->tab[b] = rr;
	s->nruns++;
	return rr;
}

/* Drop a run from the index (unloading it first). */
void
store_forget(struct store *s, struct rrun *rr)
{
	struct rrun **pp;

	store_unload(s, rr);
	for (pp = &s->tab[bucket(s, rr->id)]; *pp != NULL; pp = &(*pp)->next)
		if (*pp == rr) {
			*pp = rr->next;
			break;
		}
	s->nruns--;
	free(rr->id);
	free(rr->dir);
	free(rr);
}

/* The time stamp part of a run directory name, for "newest" ordering. */
static const char *
dir_stamp(const char *name)
{
	if (strncmp(name, "offline-run-", 12) == 0)
		return name + 12;
	if (strncmp(name, "run-", 4) == 0)
		return name + 4;
	return NULL;
}

/* Index one entry of the wandb directory if it holds a journal. */
static void
index_dir(struct store *s, const char *name)
{
	char		 path[PATH_MAX], id[256];
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;

	if (dir_stamp(name) == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%s", s->wdir, name);
	if ((d = opendir(path)) == NULL)
		return;
	id[0] = '\0';
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);

		if (n > 8 && n - 8 < sizeof(id) &&
		    strncmp(de->d_name, "run-", 4) == 0 &&
		    strcmp(de->d_name + n - 4, ".wbs") == 0) {
			char probe[PATH_MAX + 300];

			snprintf(probe, sizeof(probe), "%s/%s/data.mdb", path,
			    de->d_name);
			if (stat(probe, &sb) != 0)
				continue;
			memcpy(id, de->d_name + 4, n - 8);
			id[n - 8] = '\0';
			break;
		}
	}
	closedir(d);
	if (id[0] == '\0' || wbs_check_run_id(id, NULL, 0) != 0)
		return;
	{
		struct rrun *rr = store_find(s, id);

		if (rr != NULL) {
			const char *old = strrchr(rr->dir, '/');

			if (old != NULL && dir_stamp(old + 1) != NULL &&
			    strcmp(dir_stamp(old + 1), dir_stamp(name)) >= 0)
				return;
		}
		store_add(s, id, path);
	}
}

/* Open the store at root: create its directories and index its runs. */
int
store_open(struct store **sp, const char *root, const char *entity,
    char *err, size_t errlen)
{
	struct store	*s;
	DIR		*d;
	struct dirent	*de;
	char		 path[PATH_MAX];

	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatalx("out of memory");
	s->root = xstrdup(root);
	s->entity = xstrdup(entity);
	s->nbuckets = 1021;
	if ((s->tab = calloc(s->nbuckets, sizeof(*s->tab))) == NULL)
		fatalx("out of memory");
	snprintf(path, sizeof(path), "%s/wandb", root);
	s->wdir = xstrdup(path);
	snprintf(path, sizeof(path), "%s/.relay-tmp", root);
	s->tmp = xstrdup(path);
	if ((mkdir(root, 0755) != 0 && errno != EEXIST) ||
	    (mkdir(s->wdir, 0755) != 0 && errno != EEXIST) ||
	    (mkdir(s->tmp, 0700) != 0 && errno != EEXIST) ||
	    access(s->wdir, W_OK | X_OK) != 0) {
		snprintf(err, errlen, "store %s: %s", root, strerror(errno));
		store_close(s);
		return -1;
	}
	branch_recover(s);
	if ((d = opendir(s->wdir)) == NULL) {
		snprintf(err, errlen, "%s: %s", s->wdir, strerror(errno));
		store_close(s);
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			index_dir(s, de->d_name);
	closedir(d);
	*sp = s;
	return 0;
}

/* Close every run and free the store. */
void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; s->tab != NULL && i < s->nbuckets; i++)
		while (s->tab[i] != NULL)
			store_forget(s, s->tab[i]);
	free(s->tab);
	free(s->root);
	free(s->wdir);
	free(s->tmp);
	free(s->entity);
	free(s);
}

/*
 * Classify the text of a console record written by the relay: the
 * content and how far back it overwrites (-1: a new line; 0: the last
 * line; k: k lines above the last).  count is the number of lines so far.
 */
const char *
console_body(const char *t, size_t n, int64_t count, size_t *lenp,
    int64_t *back)
{
	*back = -1;
	*lenp = n;
	if (count == 0 || n == 0)
		return t;
	if (t[0] == '\n') {
		*lenp = n - 1;
		return t + 1;
	}
	if (t[0] == '\r' || (n > 3 && t[0] == '\x1b' && t[1] == '[')) {
		const char	*p = t + 1;
		int64_t		 k = 0;

		if (t[0] == '\x1b') {
			for (p = t + 2; p < t + n && *p >= '0' && *p <= '9';
			    p++)
				k = k * 10 + (*p - '0');
			if (p + 1 >= t + n || p[0] != 'A' || p[1] != '\r')
				return t;
			p += 2;
		}
		*back = k;
		n -= (size_t)(p - t);
		/* Trailing erase-line and cursor-down. */
		if (k > 0) {
			while (n > 0 && p[n - 1] != '\x1b')
				n--;
			if (n > 0)
				n--;
		}
		if (n >= 3 && memcmp(p + n - 3, "\x1b[K", 3) == 0)
			n -= 3;
		*lenp = n;
		return p;
	}
	return t;
}

/* Hash of an output line as stored: stream and content. */
uint64_t
store_out_hash(int stream, const char *p, size_t n)
{
	unsigned char s = (unsigned char)stream;

	return hash64(p, n, hash64(&s, 1, HASH64_INIT)) | 1;
}

/* Apply one record to the counts. */
static void
count_record(struct rrun *rr, const struct wbs_record *r)
{
	size_t	len;
	int64_t	back;

	switch (r->type) {
	case WBS_REC_HISTORY:
		if (r->flags & WBS_LOG_COMMIT) {
			rr->hist++;
			rr->hist_seq = r->seq;
		}
		break;
	case WBS_REC_STATS:
		rr->events++;
		rr->events_seq = r->seq;
		break;
	case WBS_REC_CONSOLE:
		(void)console_body(r->text, r->textlen, (int64_t)rr->out, &len,
		    &back);
		if (back < 0)
			rr->out++;
		break;
	case WBS_REC_RUN:
		rr->finished = 0;
		rr->preempted = 0;
		break;
	case WBS_REC_EXIT:
		rr->finished = 1;
		break;
	case WBS_REC_PREEMPTING:
		rr->preempted = 1;
		break;
	case WBS_REC_SUMMARY:
		rr->sum_hash = 0;
		break;
	case WBS_REC_CONFIG:
		rr->cfg_hash = 0;
		break;
	}
	rr->seq = r->seq;
}

/* Read the records from seq on into the counts. */
static int
scan(struct rrun *rr, uint64_t from, char *err, size_t errlen)
{
	struct wbs_iter		*it;
	const struct wbs_record	*r;
	int			 rc;

	if ((rc = wbs_iter_open(&it, rr->j, from)) != 0) {
		snprintf(err, errlen, "%s", wbs_journal_errmsg(rr->j));
		return -1;
	}
	while ((rc = wbs_iter_next(it, &r)) == 1)
		count_record(rr, r);
	wbs_iter_free(it);
	if (rc < 0) {
		snprintf(err, errlen, "%s", wbs_journal_errmsg(rr->j));
		return -1;
	}
	return 0;
}

/* Restore counts from the saved cursor; 0 if it was usable. */
static int
load_cursor(struct rrun *rr, uint64_t last_seq)
{
	const void		*v;
	size_t			 len;
	char			 buf[512], tok[64];
	unsigned long long	 seq, h, e, o, hs, es, sh, ch;
	int			 fin, pre;

	if (wbs_journal_get_cursor(rr->j, CURSOR_NAME, &v, &len) != 0 ||
	    len >= sizeof(buf))
		return -1;
	memcpy(buf, v, len);
	buf[len] = '\0';
	if (sscanf(buf, "relay1 seq=%llu hist=%llu events=%llu out=%llu "
	    "hseq=%llu eseq=%llu sum=%llx cfg=%llx fin=%d pre=%d tok=%63s",
	    &seq, &h, &e, &o, &hs, &es, &sh, &ch, &fin, &pre, tok) != 11 ||
	    strlen(tok) != 32 || seq > last_seq)
		return -1;
	rr->seq = seq;
	rr->hist = h;
	rr->events = e;
	rr->out = o;
	rr->hist_seq = hs;
	rr->events_seq = es;
	rr->sum_hash = sh;
	rr->cfg_hash = ch;
	rr->finished = fin;
	rr->preempted = pre;
	memcpy(rr->token, tok, 33);
	return 0;
}

/* A fresh secret: 128 random bits in hex. */
void
store_random_hex(char out[33])
{
	unsigned char	rnd[16];
	size_t		got = 0;

#ifdef HAVE_GETRANDOM
	while (got < sizeof(rnd)) {
		ssize_t n = getrandom(rnd + got, sizeof(rnd) - got, 0);

		if (n < 0 && errno != EINTR)
			break;
		if (n > 0)
			got += (size_t)n;
	}
#endif
	if (got < sizeof(rnd)) {
		int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

		if (fd < 0 || read(fd, rnd, sizeof(rnd)) != (ssize_t)sizeof(rnd))
			fatal("no randomness for an upload token");
		close(fd);
	}
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(out + 2 * i, 3, "%02x", rnd[i]);
}

/* Save the counts as the journal cursor. */
void
store_save(struct store *s, struct rrun *rr)
{
	struct wbs_journal_stat	 st;
	char			 buf[512], err[RELAY_ERR];
	int			 n;

	(void)s;
	if (!rr->loaded || rr->j == NULL)
		return;
	/*
	 * The counts must cover exactly the records up to rr->seq, or a
	 * later load would count some twice: check, and recount if not.
	 */
	if (wbs_journal_stat(rr->j, &st) != 0) {
		log_warnx("run %s: %s", rr->id, wbs_journal_errmsg(rr->j));
		return;
	}
	if (st.last_seq != rr->seq) {
		log_warnx("run %s: line counts cover %llu records, the journal "
		    "has %llu: counting again", rr->id,
		    (unsigned long long)rr->seq,
		    (unsigned long long)st.last_seq);
		rr->hist = rr->events = rr->out = rr->seq = 0;
		rr->hist_seq = rr->events_seq = 0;
		rr->sum_hash = rr->cfg_hash = 0;
		free(rr->outh);
		rr->outh = NULL;
		if (scan(rr, 1, err, sizeof(err)) != 0) {
			log_warnx("run %s: %s", rr->id, err);
			return;
		}
	}
	n = snprintf(buf, sizeof(buf), "relay1 seq=%llu hist=%llu events=%llu "
	    "out=%llu hseq=%llu eseq=%llu sum=%llx cfg=%llx fin=%d pre=%d "
	    "tok=%s", (unsigned long long)rr->seq,
	    (unsigned long long)rr->hist, (unsigned long long)rr->events,
	    (unsigned long long)rr->out, (unsigned long long)rr->hist_seq,
	    (unsigned long long)rr->events_seq,
	    (unsigned long long)rr->sum_hash,
	    (unsigned long long)rr->cfg_hash, rr->finished, rr->preempted,
	    rr->token);
	if (wbs_journal_put_cursor(rr->j, CURSOR_NAME, buf, (size_t)n) != 0)
		log_warnx("run %s: saving line counts: %s", rr->id,
		    wbs_journal_errmsg(rr->j));
	else
		rr->dirty = 0;
}

/* Open the journal handle and read the attributes (no counts). */
static int
open_journal(struct rrun *rr, char *err, size_t errlen)
{
	const struct wbs_run_info *ri;

	if (wbs_journal_open(&rr->j, rr->dir, WBS_JOURNAL_RDWR, err,
	    errlen) != 0)
		return -1;
	if (wbs_journal_info(rr->j, &ri) != 0) {
		snprintf(err, errlen, "%s", wbs_journal_errmsg(rr->j));
		wbs_journal_close(rr->j);
		rr->j = NULL;
		return -1;
	}
	free(rr->project);
	free(rr->entity);
	rr->project = xstrdup(ri->project);
	rr->entity = xstrdup(ri->entity ? ri->entity : "");
	return 0;
}

/* Load a run: journal handle, attributes, line counts. */
int
store_load(struct store *s, struct rrun *rr, char *err, size_t errlen)
{
	struct wbs_journal_stat	st;

	(void)s;
	if (rr->loaded)
		return 0;
	if (open_journal(rr, err, errlen) != 0)
		return -1;
	if (wbs_journal_stat(rr->j, &st) != 0) {
		snprintf(err, errlen, "%s", wbs_journal_errmsg(rr->j));
		goto fail;
	}
	rr->hist = rr->events = rr->out = rr->seq = 0;
	rr->hist_seq = rr->events_seq = rr->sum_hash = rr->cfg_hash = 0;
	rr->finished = rr->preempted = 0;
	rr->token[0] = '\0';
	if (load_cursor(rr, st.last_seq) != 0) {
		rr->hist = rr->events = rr->out = rr->seq = 0;
		rr->hist_seq = rr->events_seq = 0;
		rr->sum_hash = rr->cfg_hash = 0;
		rr->finished = rr->preempted = 0;
	}
	if (rr->seq < st.last_seq && scan(rr, rr->seq + 1, err, errlen) != 0)
		goto fail;
	rr->loaded = 1;
	if (rr->token[0] == '\0') {
		store_random_hex(rr->token);
		store_save(s, rr);
	} else if (rr->seq != st.last_seq)
		rr->dirty = 1;
	return 0;
fail:
	wbs_journal_close(rr->j);
	rr->j = NULL;
	return -1;
}

/*
 * Build writer options with every field set, so no WANDB_* leaks in.  The
 * relay stores a request's lines as one batch: write mode (see
 * WBS_OPT_WRITE_MODE).  It answers a request only once what it carried is
 * on disk: a sync interval of 0 syncs every commit, so an OS crash or a
 * power loss takes nothing the relay acknowledged.
 */
int
store_opts(struct store *s, struct wbs_opts **op, const char *id,
    const char *project, const char *entity, char *err, size_t errlen)
{
	static const int blank[] = { WBS_OPT_NAME, WBS_OPT_NOTES,
	    WBS_OPT_GROUP, WBS_OPT_JOB_TYPE, WBS_OPT_TAGS, WBS_OPT_HOST,
	    WBS_OPT_PROGRAM, WBS_OPT_GIT_REMOTE, WBS_OPT_GIT_COMMIT,
	    WBS_OPT_SEAL_DIR };
	struct wbs_opts	*o;

	if (wbs_opts_new(&o) != 0)
		fatalx("out of memory");
	if (wbs_opts_set(o, WBS_OPT_DIR, s->root) != 0 ||
	    wbs_opts_set(o, WBS_OPT_ID, id) != 0 ||
	    wbs_opts_set(o, WBS_OPT_PROJECT, project) != 0 ||
	    wbs_opts_set(o, WBS_OPT_ENTITY, entity ? entity : "") != 0 ||
	    wbs_opts_set(o, WBS_OPT_RESUME, "allow") != 0 ||
	    wbs_opts_set(o, WBS_OPT_MODE, "offline") != 0 ||
	    wbs_opts_set(o, WBS_OPT_WRITE_MODE, "write") != 0 ||
	    wbs_opts_set(o, WBS_OPT_SYNC_INTERVAL, "0") != 0)
		goto fail;
	for (size_t i = 0; i < sizeof(blank) / sizeof(blank[0]); i++)
		if (wbs_opts_set(o, blank[i], "") != 0)
			goto fail;
	*op = o;
	return 0;
fail:
	snprintf(err, errlen, "%s", wbs_opts_errmsg(o));
	wbs_opts_free(o);
	return -1;
}

/* Close the writer; the journal handle is reopened to keep the lock. */
static void
close_writer(struct rrun *rr)
{
	char err[RELAY_ERR];

	if (rr->w == NULL)
		return;
	wbs_journal_close(rr->j);
	rr->j = NULL;
	wbs_run_close(rr->w);
	rr->w = NULL;
	if (open_journal(rr, err, sizeof(err)) != 0) {
		log_warnx("run %s: %s", rr->id, err);
		rr->loaded = 0;
	}
}

/* Make sure the run has a writer (a new session if it had none). */
int
store_writer(struct store *s, struct rrun *rr, char *err, size_t errlen)
{
	struct wbs_opts		*o;
	struct wbs_journal_stat	 st;
	static const int attr_opt[4] = { WBS_OPT_HOST, WBS_OPT_PROGRAM,
	    WBS_OPT_GIT_REMOTE, WBS_OPT_GIT_COMMIT };
	int			 rc;

	if (store_load(s, rr, err, errlen) != 0)
		return -1;
	if (rr->w != NULL && !rr->reopen && !rr->finished)
		return 0;
	if (rr->w != NULL) {
		store_save(s, rr);
		close_writer(rr);
		if (!rr->loaded && store_load(s, rr, err, errlen) != 0)
			return -1;
	}
	if (store_opts(s, &o, rr->id, rr->project, rr->entity, err,
	    errlen) != 0)
		return -1;
	for (int i = 0; i < 4; i++)
		if (rr->reopen_attr[i] != NULL &&
		    wbs_opts_set(o, attr_opt[i], rr->reopen_attr[i]) != 0) {
			snprintf(err, errlen, "%s", wbs_opts_errmsg(o));
			wbs_opts_free(o);
			return -1;
		}
	/* The journal handle goes first, so the writer opens second. */
	wbs_journal_close(rr->j);
	rr->j = NULL;
	rc = wbs_run_open(&rr->w, o, err, errlen);
	wbs_opts_free(o);
	if (rc != 0) {
		char e2[RELAY_ERR];

		rr->w = NULL;
		if (open_journal(rr, e2, sizeof(e2)) != 0)
			rr->loaded = 0;
		return -1;
	}
	if (open_journal(rr, err, errlen) != 0) {
		wbs_run_close(rr->w);
		rr->w = NULL;
		rr->loaded = 0;
		return -1;
	}
	for (int i = 0; i < 4; i++)
		xfree_str(&rr->reopen_attr[i]);
	rr->reopen = 0;
	rr->finished = 0;
	rr->preempted = 0;
	rr->dirty = 1;
	/* Opening appended the session's records: count from there. */
	if (wbs_journal_stat(rr->j, &st) != 0) {
		snprintf(err, errlen, "%s", wbs_journal_errmsg(rr->j));
		return -1;
	}
	rr->seq = st.last_seq;
	return 0;
}

/* Close a run's handles and drop its caches (counts stay valid). */
void
store_unload(struct store *s, struct rrun *rr)
{
	if (rr->loaded && rr->dirty)
		store_save(s, rr);
	wbs_journal_close(rr->j);
	rr->j = NULL;
	wbs_run_close(rr->w);
	rr->w = NULL;
	rr->loaded = 0;
	free(rr->outh);
	rr->outh = NULL;
	rr->outh_cap = 0;
	if (rr->hkeys != NULL) {
		keyset_clear(rr->hkeys);
		free(rr->hkeys);
		rr->hkeys = NULL;
	}
	keyset_clear(&rr->skeys);
	if (rr->fkeys != NULL) {
		keyset_clear(rr->fkeys);
		free(rr->fkeys);
		rr->fkeys = NULL;
	}
	tree_free(rr->config);
	rr->config = NULL;
	xfree_str(&rr->project);
	xfree_str(&rr->entity);
	for (int i = 0; i < 4; i++)
		xfree_str(&rr->reopen_attr[i]);
}

/* Create a new run with options o (which name the id). */
int
store_create(struct store *s, const char *id, struct wbs_opts *o,
    struct rrun **rrp, char *err, size_t errlen)
{
	struct wbs_run	*w;
	struct rrun	*rr;

	if (wbs_run_open(&w, o, err, errlen) != 0)
		return -1;
	rr = store_add(s, id, wbs_run_dir(w));
	store_unload(s, rr);
	rr->w = w;
	if (open_journal(rr, err, errlen) != 0) {
		wbs_run_close(w);
		rr->w = NULL;
		return -1;
	}
	rr->hist = rr->events = rr->out = rr->seq = 0;
	rr->hist_seq = rr->events_seq = rr->sum_hash = rr->cfg_hash = 0;
	rr->finished = rr->preempted = 0;
	if (scan(rr, 1, err, errlen) != 0) {
		store_unload(s, rr);
		return -1;
	}
	rr->loaded = 1;
	store_random_hex(rr->token);
	store_save(s, rr);
	*rrp = rr;
	return 0;
}

/* Save dirty runs; close runs idle for longer than idle seconds. */
void
store_sweep(struct store *s, double now, double idle)
{
	for (size_t i = 0; i < s->nbuckets; i++)
		for (struct rrun *rr = s->tab[i]; rr != NULL; rr = rr->next) {
			if (!rr->loaded)
				continue;
			if (now - rr->used > idle)
				store_unload(s, rr);
			else if (rr->dirty)
				store_save(s, rr);
		}
}

/* Does a request for entity/project address this (loaded) run? */
int
store_match(const struct store *s, const struct rrun *rr, const char *entity,
    const char *project)
{
	if (project != NULL && strcmp(project, rr->project) != 0)
		return 0;
	if (entity == NULL || entity[0] == '\0')
		return 1;
	if (strcmp(entity, rr->entity) == 0)
		return 1;
	return rr->entity[0] == '\0' && strcmp(entity, s->entity) == 0;
}

/* The entity to show for a run. */
const char *
store_entity(const struct store *s, const struct rrun *rr)
{
	return rr->entity != NULL && rr->entity[0] != '\0' ? rr->entity :
	    s->entity;
}

/* 1 if "wbstore stop" (or StopRun) left a stop file in the run dir. */
int
store_stopped(const struct rrun *rr)
{
	char		path[PATH_MAX];
	struct stat	sb;

	snprintf(path, sizeof(path), "%s/stop", rr->dir);
	return stat(path, &sb) == 0;
}

/* An unused run id made from base: base-rw1, base-rw2, ... */
int
store_new_id(struct store *s, const char *base, char *out, size_t len)
{
	for (int n = 1; n < 10000; n++) {
		if ((size_t)snprintf(out, len, "%.100s-rw%d", base, n) >= len)
			return -1;
		if (store_find(s, out) == NULL)
			return 0;
	}
	return -1;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)f;
	if (flag == FTW_DP)
		return rmdir(path) == 0 || errno == ENOENT ? 0 : -1;
	return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
}

/* rm -rf path. */
int
store_rmtree(const char *path)
{
	struct stat sb;

	if (lstat(path, &sb) != 0)
		return errno == ENOENT ? 0 : -1;
	return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Load the hash of every output line (for overwrites and re-sends). */
int
store_outh_load(struct store *s, struct rrun *rr)
{
	struct wbs_iter		*it;
	const struct wbs_record	*r;
	size_t			 n = 0, len;
	int64_t			 back;
	int			 rc;

	(void)s;
	if (rr->outh != NULL)
		return 0;
	rr->outh_cap = rr->out + 64;
	if ((rr->outh = calloc(rr->outh_cap, sizeof(*rr->outh))) == NULL)
		fatalx("out of memory");
	if (wbs_iter_open(&it, rr->j, 1) != 0)
		return -1;
	while ((rc = wbs_iter_next(it, &r)) == 1) {
		const char *p;

		if (r->type != WBS_REC_CONSOLE)
			continue;
		p = console_body(r->text, r->textlen, (int64_t)n, &len, &back);
		if (back < 0) {
			if (n == rr->outh_cap)
				break;
			rr->outh[n++] = store_out_hash(r->stream, p, len);
		} else if ((int64_t)n - 1 - back >= 0)
			rr->outh[n - 1 - (size_t)back] = store_out_hash(r->stream, p,
			    len);
	}
	wbs_iter_free(it);
	return rc < 0 ? -1 : 0;
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The run's storage id (bucket.id): base64 of "Run:v1:PROJECT:ID". */
void
store_storage_id(const struct rrun *rr, struct buf *b)
{
	struct buf	 raw;
	const unsigned char *p;

	buf_init(&raw);
	buf_printf(&raw, "Run:v1:%s:%s", rr->project ? rr->project : "",
	    rr->id);
	p = (const unsigned char *)raw.p;
	for (size_t i = 0; i < raw.len; i += 3) {
		uint32_t w = (uint32_t)p[i] << 16;

		if (i + 1 < raw.len)
			w |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < raw.len)
			w |= p[i + 2];
		buf_addc(b, b64[w >> 18 & 63]);
		buf_addc(b, b64[w >> 12 & 63]);
		buf_addc(b, i + 1 < raw.len ? b64[w >> 6 & 63] : '=');
		buf_addc(b, i + 2 < raw.len ? b64[w & 63] : '=');
	}
	buf_release(&raw);
}

/* The run id inside a storage id; 0 if it decoded. */
int
store_parse_storage_id(const char *sid, char *id, size_t len)
{
	char		raw[512], *p;
	size_t		n = 0;
	uint32_t	acc = 0;
	int		bits = 0;

	for (const char *q = sid; *q != '\0' && *q != '='; q++) {
		const char *c = strchr(b64, *q);

		if (c == NULL || n + 1 >= sizeof(raw))
			return -1;
		acc = acc << 6 | (uint32_t)(c - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			raw[n++] = (char)(acc >> bits & 0xff);
		}
	}
	raw[n] = '\0';
	if (strncmp(raw, "Run:v1:", 7) != 0 ||
	    (p = strchr(raw + 7, ':')) == NULL ||
	    (size_t)snprintf(id, len, "%s", p + 1) >= len)
		return -1;
	return 0;
}
