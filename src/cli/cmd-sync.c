/*
 * cmd-sync.c - wbstore sync: upload journals to a W&B-compatible server.
 *
 * PATHs are expanded by "sources": wbstore journals (a journal, a run
 * directory, a wandb directory or its parent) and W&B's own run
 * directories (run-ID.wandb and no journal yet), which are imported into
 * a journal beside the log first; once such a run is synced, W&B's
 * run-ID.wandb.synced marker is written too, as `wandb sync` does.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "wbstore/wbstore.h"
#include "buf.h"
#include "cmd.h"
#include "log.h"
#include "runs.h"
#include "import/import.h"
#include "sync/cred.h"
#include "sync/cursor.h"
#include "sync/sync.h"

struct sopts {
	struct sync_opts	 so;
	int			 sync_all;
	int			 clean;
	double			 clean_hours;
	int			 clean_force;
	int			 dry_run;
	int			 json;
	int			 tty;
};

/* The runs found on disk. */
struct found {
	char	**paths;
	size_t	  n;
	size_t	  cap;
	struct fileid {
		dev_t	dev;
		ino_t	ino;
	}	 *ids;		/* of paths[i], against runs named twice */
	int	  errors;
	int	  dry_run;	/* list W&B runs, do not import them */
};

/* ------------------------------------------------------------------ */
/* Sources: what a PATH can hold. */

static int
found_add(const char *path, void *arg)
{
	struct found	*f = arg;
	struct stat	 sb;

	if (stat(path, &sb) != 0)
		return 0;
	for (size_t i = 0; i < f->n; i++)
		if (f->ids[i].dev == sb.st_dev && f->ids[i].ino == sb.st_ino)
			return 0;	/* the same run named twice */
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 16;
		f->paths = xreallocarray(f->paths, f->cap, sizeof(*f->paths));
		f->ids = xreallocarray(f->ids, f->cap, sizeof(*f->ids));
	}
	f->paths[f->n] = xstrdup(path);
	f->ids[f->n].dev = sb.st_dev;
	f->ids[f->n].ino = sb.st_ino;
	f->n++;
	return 0;
}

/* wbstore journals under path; -1 if path holds none. */
static int
journal_source(const char *path, struct found *f)
{
	int n = runs_each(path, found_add, f);

	return n > 0 ? 0 : -1;
}

/* 1 if dir holds a W&B transaction log (run-*.wandb). */
static int
has_wandb_log(const char *dir)
{
	DIR		*d = opendir(dir);
	struct dirent	*de;
	int		 found = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);

		if (n > 10 && strncmp(de->d_name, "run-", 4) == 0 &&
		    strcmp(de->d_name + n - 6, ".wandb") == 0)
			found = 1;
	}
	closedir(d);
	return found;
}

static void
import_notice(void *arg, const char *msg)
{
	log_warnx("%s: %s", (const char *)arg, msg);
}

/* --dry-run: the W&B run directories at path (or in it), not imported. */
static int
wandb_list(const char *path, struct found *f)
{
	DIR		*d;
	struct dirent	*de;
	char		 sub[PATH_MAX];
	size_t		 n = f->n;

	if (has_wandb_log(path)) {
		found_add(path, f);
		return 0;
	}
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strstr(de->d_name, "run-") == NULL)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (has_wandb_log(sub))
			found_add(sub, f);
	}
	closedir(d);
	return f->n > n ? 0 : -1;
}

/*
 * W&B run directories without a journal (or a wandb directory of them):
 * import each log into a journal beside it, then sync that.
 */
static int
wandb_source(const char *path, struct found *f)
{
	struct import_opts	io;
	struct import_report	rep;
	char			err[1024];

	if (f->dry_run)
		return wandb_list(path, f);
	memset(&io, 0, sizeof(io));
	io.notice = import_notice;
	io.arg = (void *)path;
	if (import_path(path, &io, &rep, err, sizeof(err)) != 0)
		return -1;
	for (size_t i = 0; i < rep.nruns; i++) {
		const struct import_run *ir = &rep.runs[i];

		if (ir->status == IMPORT_FAILED || ir->journal == NULL) {
			log_warnx("%s: cannot import the W&B log: %s",
			    ir->wandb, ir->error[0] ? ir->error :
			    "no journal written");
			f->errors++;
			continue;
		}
		if (ir->status == IMPORT_NEW)
			fprintf(stderr, "imported %s (%llu records)\n",
			    ir->wandb, (unsigned long long)ir->written);
		found_add(ir->journal, f);
	}
	import_report_release(&rep);
	return 0;
}

static int (*const sources[])(const char *, struct found *) = {
	journal_source,
	wandb_source,
};

static void
expand(const char *path, struct found *f)
{
	struct stat sb;

	if (stat(path, &sb) != 0) {
		log_warnx("%s: %s", path, strerror(errno));
		f->errors++;
		return;
	}
	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
		if (sources[i](path, f) == 0)
			return;
	log_warnx("%s: no wbstore runs here (a journal, a run directory or "
	    "a wandb directory)", path);
	f->errors++;
}

static void
found_release(struct found *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->paths[i]);
	free(f->paths);
	free(f->ids);
}

/* ------------------------------------------------------------------ */
/* What is already synced. */

/* 1 if the journal is fully synced to the destination of the options. */
static int
is_synced(const char *path, const struct sopts *o, int64_t *last_us,
    int *live)
{
	struct wbs_journal		*j;
	const struct wbs_run_info	*ri;
	struct wbs_journal_stat		 st;
	struct cursor			 c;
	const void			*val;
	size_t				 n;
	char				 base[1024], dest[1200], err[256];
	int				 synced = 0;

	if (wbs_journal_open(&j, path, WBS_JOURNAL_RDONLY, err,
	    sizeof(err)) != 0)
		return 0;
	if (wbs_journal_stat(j, &st) == 0 && wbs_journal_info(j, &ri) == 0) {
		*last_us = st.last_us;
		*live = st.live;
		if (o->so.base_url != NULL)
			snprintf(base, sizeof(base), "%s", o->so.base_url);
		else
			cred_base_url(base, sizeof(base));
		cursor_dest(dest, sizeof(dest), base, o->so.entity ?
		    o->so.entity : ri->entity, o->so.project ? o->so.project :
		    ri->project);
		cursor_init(&c);
		if (wbs_journal_get_cursor(j, dest, &val, &n) == 0 &&
		    cursor_decode(&c, val, n, err, sizeof(err)) == 0)
			synced = c.finished && c.synced &&
			    c.pos.seq > st.last_seq;
		cursor_release(&c);
	}
	wbs_journal_close(j);
	return synced;
}

/* Drop the runs that are synced already (unless --include-synced). */
static size_t
drop_synced(struct found *f, const struct sopts *o)
{
	size_t	kept = 0, dropped = 0;
	int64_t	last;
	int	live;

	for (size_t i = 0; i < f->n; i++) {
		if (!o->so.include_synced && is_synced(f->paths[i], o, &last,
		    &live)) {
			free(f->paths[i]);
			dropped++;
			continue;
		}
		f->ids[kept] = f->ids[i];
		f->paths[kept++] = f->paths[i];
	}
	f->n = kept;
	return dropped;
}

/* ------------------------------------------------------------------ */
/* --clean */

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(p) : unlink(p)) != 0) {
		log_warn("%s", p);
		return -1;
	}
	return 0;
}

static int
clean(struct found *f, const struct sopts *o)
{
	struct timeval	 tv;
	size_t		 n = 0;
	char		**del;
	int		 failed = 0;

	gettimeofday(&tv, NULL);
	if ((del = calloc(f->n + 1, sizeof(*del))) == NULL)
		fatalx("out of memory");
	for (size_t i = 0; i < f->n; i++) {
		int64_t	last = 0;
		int	live = 0;
		double	age;

		if (!is_synced(f->paths[i], o, &last, &live) || live)
			continue;
		/*
		 * Microseconds on both sides: a run that ended in this
		 * very second is 0 hours old, never less.
		 */
		age = ((double)tv.tv_sec + (double)tv.tv_usec / 1e6 -
		    (double)last / 1e6) / 3600.0;
		if (age < 0)
			age = 0;
		if (age >= o->clean_hours)
			del[n++] = f->paths[i];
	}
	if (n == 0) {
		printf("No synced runs older than %g hours to clean.\n",
		    o->clean_hours);
		free(del);
		return CMD_EXIT_OK;
	}
	printf("%zu synced run(s) older than %g hours:\n", n, o->clean_hours);
	for (size_t i = 0; i < n; i++)
		printf("  %s\n", del[i]);
	if (!o->clean_force) {
		char answer[16];

		if (!isatty(STDIN_FILENO)) {
			log_warnx("not deleting without a terminal to ask; "
			    "pass --clean-force");
			free(del);
			return CMD_EXIT_FAIL;
		}
		printf("Delete them? [y/N] ");
		fflush(stdout);
		if (fgets(answer, sizeof(answer), stdin) == NULL ||
		    (answer[0] != 'y' && answer[0] != 'Y')) {
			printf("Nothing deleted.\n");
			free(del);
			return CMD_EXIT_OK;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (nftw(del[i], rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
			failed++;
		else
			printf("deleted %s\n", del[i]);
	}
	free(del);
	return failed ? CMD_EXIT_FAIL : CMD_EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* Progress */

struct progress {
	struct sopts		*o;
	struct sync_engine	*e;
	ev_timer		 timer;
	int			 drawn;		/* lines on screen */
	double			 t0;
};

static void
fmt_count(char *out, size_t len, double v)
{
	if (v >= 1e6)
		snprintf(out, len, "%.1fM", v / 1e6);
	else if (v >= 1e4)
		snprintf(out, len, "%.1fk", v / 1e3);
	else
		snprintf(out, len, "%.0f", v);
}

static void
fmt_eta(char *out, size_t len, double s)
{
	if (!isfinite(s) || s < 0 || s > 360000)
		snprintf(out, len, "--:--");
	else if (s >= 3600)
		snprintf(out, len, "%d:%02d:%02d", (int)s / 3600,
		    (int)s / 60 % 60, (int)s % 60);
	else
		snprintf(out, len, "%d:%02d", (int)s / 60, (int)s % 60);
}

/*
 * One bar line: records done of total (the fill), lines sent, rate, and
 * the ETA, or the wait before a retry, or (final) the time it all took.
 */
static void
bar_line(struct buf *b, const char *label, uint64_t done, uint64_t total,
    uint64_t lines, double elapsed, double retry, const char *why, int final)
{
	char	 n1[16], n2[16], rate[16], eta[16];
	double	 frac = total ? (double)done / (double)total : 1, r;
	int	 w = 24, fill;

	if (frac > 1)
		frac = 1;
	fill = (int)(frac * w + 0.5);
	r = elapsed > (final ? 0 : 0.2) ? (double)lines / elapsed : 0;
	fmt_count(n1, sizeof(n1), (double)lines);
	fmt_count(n2, sizeof(n2), (double)lines + (double)(total > done ?
	    total - done : 0));
	fmt_count(rate, sizeof(rate), r);
	fmt_eta(eta, sizeof(eta), done > 0 && elapsed > 0.2 ?
	    elapsed * (double)(total - (done < total ? done : total)) /
	    (double)done : NAN);
	buf_printf(b, "\033[2K%-12.12s [", label);
	for (int i = 0; i < w; i++)
		buf_addc(b, i < fill ? '#' : '-');
	buf_printf(b, "] %3d%% %s/%s lines %s/s", (int)(frac * 100), n1, n2,
	    rate);
	if (final)
		buf_printf(b, " in %.1fs", elapsed);
	else if (retry > 0)
		buf_printf(b, " waiting %.0fs (%s)", retry, why ? why : "");
	else
		buf_printf(b, " ETA %s", eta);
	buf_addc(b, '\n');
}

static void
draw(struct progress *p, int final)
{
	struct buf	 b;
	uint64_t	 done = 0, total = 0, lines = 0;
	size_t		 n = sync_count(p->e), shown = 0;
	double		 now = ev_time();

	buf_init(&b);
	if (p->drawn > 0)
		buf_printf(&b, "\033[%dA", p->drawn);
	for (size_t i = 0; i < n; i++) {
		const struct sync_info *si = sync_get(p->e, i);

		done += si->records_done;
		total += si->records_total;
		lines += si->lines;
		if (si->state != SYNC_ACTIVE || final || shown >= 8)
			continue;
		bar_line(&b, si->id ? si->id : "?", si->records_done,
		    si->records_total, si->lines, now - si->started,
		    si->retry_in, si->retry_why, 0);
		shown++;
	}
	bar_line(&b, "total", done, total, lines, now - p->t0, 0, NULL, final);
	shown++;
	for (int i = (int)shown; i < p->drawn; i++)
		buf_adds(&b, "\033[2K\n");
	if (p->drawn > (int)shown)
		buf_printf(&b, "\033[%dA", p->drawn - (int)shown);
	p->drawn = (int)shown;
	fputs(buf_cstr(&b), stderr);
	fflush(stderr);
	buf_release(&b);
}

static void
draw_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	draw(w->data, 0);
}

static void
on_event(struct sync_engine *e, const struct sync_info *si,
    enum sync_event ev, void *arg)
{
	struct progress *p = arg;

	(void)e;
	if (p->o->tty || p->o->json)
		return;
	switch (ev) {
	case SYNC_EV_START:
		fprintf(stderr, "syncing %s\n", si->path);
		break;
	case SYNC_EV_RETRY:
		fprintf(stderr, "%s: %s; retrying in %.1f s\n", si->id ?
		    si->id : si->path, si->retry_why ? si->retry_why : "",
		    si->retry_in);
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------------ */
/* Results */

static void
report_text(struct sync_engine *e, int notok)
{
	size_t	n = sync_count(e), counts[SYNC_FAILED + 1];
	uint64_t lines = 0;

	memset(counts, 0, sizeof(counts));
	for (size_t i = 0; i < n; i++) {
		const struct sync_info *si = sync_get(e, i);

		counts[si->state]++;
		lines += si->lines;
		printf("%-10s %s", sync_state_name(si->state),
		    si->url[0] ? si->url : si->path);
		if (si->state == SYNC_SYNCED || si->state == SYNC_UPTODATE)
			printf(" (%llu lines, %.1f s)", (unsigned long long)
			    si->lines, si->elapsed);
		if (si->reason[0])
			printf(": %s", si->reason);
		printf("\n");
	}
	printf("%zu run(s): %zu synced, %zu up to date, %zu skipped, "
	    "%zu stopped, %zu failed; %llu lines sent%s\n", n,
	    counts[SYNC_SYNCED], counts[SYNC_UPTODATE], counts[SYNC_SKIPPED],
	    counts[SYNC_STOPPED], counts[SYNC_FAILED], (unsigned long long)lines,
	    notok ? "" : "");
}

static void
json_s(struct buf *b, const char *name, const char *v)
{
	buf_printf(b, ",\"%s\":", name);
	if (v != NULL && *v != '\0')
		json_str(b, v, strlen(v));
	else
		buf_adds(b, "null");
}

static void
report_json(struct sync_engine *e)
{
	struct buf b;

	buf_init(&b);
	buf_addc(&b, '[');
	for (size_t i = 0; i < sync_count(e); i++) {
		const struct sync_info *si = sync_get(e, i);

		buf_adds(&b, i ? ",\n {\"path\":" : "{\"path\":");
		json_str(&b, si->path, strlen(si->path));
		json_s(&b, "id", si->id);
		json_s(&b, "entity", si->entity);
		json_s(&b, "project", si->project);
		json_s(&b, "url", si->url);
		json_s(&b, "state", sync_state_name(si->state));
		json_s(&b, "reason", si->reason);
		buf_printf(&b, ",\"exit_code\":");
		if (si->exit_code >= 0)
			buf_printf(&b, "%d", si->exit_code);
		else
			buf_adds(&b, "null");
		buf_printf(&b, ",\"lines\":%llu,\"seconds\":%.3f}",
		    (unsigned long long)si->lines, si->elapsed);
	}
	buf_adds(&b, "]\n");
	fputs(buf_cstr(&b), stdout);
	buf_release(&b);
}

/* ------------------------------------------------------------------ */

/*
 * Runs synced from a W&B run directory get W&B's synced marker, so that
 * `wandb sync` and `wbstore sync` both know them as synced.
 */
static void
mark_wandb_synced(struct sync_engine *e, const struct sopts *o)
{
	if (o->so.no_mark_synced || o->so.view != NULL)
		return;
	for (size_t i = 0; i < sync_count(e); i++) {
		const struct sync_info	*si = sync_get(e, i);
		char			 dir[PATH_MAX], *slash;
		size_t			 n;

		if (si->state != SYNC_SYNCED && si->state != SYNC_UPTODATE)
			continue;
		snprintf(dir, sizeof(dir), "%s", si->path);
		while ((n = strlen(dir)) > 1 && dir[n - 1] == '/')
			dir[n - 1] = '\0';
		if (n > 4 && strcmp(dir + n - 4, ".wbs") == 0 &&
		    (slash = strrchr(dir, '/')) != NULL)
			*slash = '\0';
		if (has_wandb_log(dir) && import_mark_synced(dir) != 0)
			log_warn("%s: cannot write the W&B synced marker", dir);
	}
}

static int
do_sync(struct sopts *o, struct found *f)
{
	struct sync_engine	*e;
	struct progress		 p;
	char			 err[1024];
	int			 notok;

	memset(&p, 0, sizeof(p));
	p.o = o;
	o->so.loop = EV_DEFAULT;
	o->so.on_event = on_event;
	o->so.arg = &p;
	if ((e = sync_new(&o->so, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		return CMD_EXIT_FAIL;
	}
	if (o->so.insecure)
		log_warnx("WARNING: --insecure: TLS certificates are NOT "
		    "verified; anyone on the path to %s can read your API "
		    "key and data", sync_base_url(e));
	p.e = e;
	p.t0 = ev_time();
	for (size_t i = 0; i < f->n; i++)
		sync_add(e, f->paths[i]);
	if (o->tty) {
		ev_timer_init(&p.timer, draw_cb, 0., 0.2);
		p.timer.data = &p;
		ev_timer_start(EV_DEFAULT, &p.timer);
	}
	notok = sync_run(e);
	mark_wandb_synced(e, o);
	if (o->tty) {
		ev_timer_stop(EV_DEFAULT, &p.timer);
		draw(&p, 1);
	}
	if (o->json)
		report_json(e);
	else if (o->so.view == NULL)
		report_text(e, notok);
	sync_free(e);
	return notok || f->errors ? CMD_EXIT_FAIL : CMD_EXIT_OK;
}

/* No PATH: say what there is to sync, as `wandb sync` does. */
static int
summary_only(struct sopts *o)
{
	struct found	f;
	char		dir[PATH_MAX];
	size_t		synced;

	memset(&f, 0, sizeof(f));
	runs_default_dir(dir, sizeof(dir));
	(void)runs_each(dir, found_add, &f);
	synced = drop_synced(&f, o);
	printf("Number of runs to be synced: %zu\n", f.n);
	for (size_t i = 0; i < f.n && i < 5; i++)
		printf("  %s\n", f.paths[i]);
	if (f.n > 5)
		printf("  ... and %zu more\n", f.n - 5);
	if (synced > 0)
		printf("NOTE: %zu run(s) already synced; wbstore sync --clean "
		    "removes old ones\n", synced);
	if (f.n > 0)
		printf("NOTE: use wbstore sync --sync-all to sync them, or name "
		    "them\n");
	found_release(&f);
	return CMD_EXIT_OK;
}

enum {
	O_INCLUDE_SYNCED = 256, O_MARK, O_NO_MARK, O_SYNC_ALL, O_CLEAN,
	O_CLEAN_HOURS, O_CLEAN_FORCE, O_DRY_RUN, O_VIEW, O_JSON, O_ID,
	O_FINISH_CRASHED, O_INSECURE, O_TIMEOUT, O_RETRIES
};

static int
parse_opts(int argc, char **argv, struct sopts *o)
{
	static const struct option lopts[] = {
		{ "entity", required_argument, NULL, 'e' },
		{ "project", required_argument, NULL, 'p' },
		{ "id", required_argument, NULL, O_ID },
		{ "include-synced", no_argument, NULL, O_INCLUDE_SYNCED },
		{ "mark-synced", no_argument, NULL, O_MARK },
		{ "no-mark-synced", no_argument, NULL, O_NO_MARK },
		{ "sync-all", no_argument, NULL, O_SYNC_ALL },
		{ "clean", no_argument, NULL, O_CLEAN },
		{ "clean-old-hours", required_argument, NULL, O_CLEAN_HOURS },
		{ "clean-force", no_argument, NULL, O_CLEAN_FORCE },
		{ "dry-run", no_argument, NULL, O_DRY_RUN },
		{ "view", no_argument, NULL, O_VIEW },
		{ "jobs", required_argument, NULL, 'j' },
		{ "json", no_argument, NULL, O_JSON },
		{ "finish-crashed", no_argument, NULL, O_FINISH_CRASHED },
		{ "insecure", no_argument, NULL, O_INSECURE },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "retries", required_argument, NULL, O_RETRIES },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char	*end;
	int	 c;

	while ((c = getopt_long(argc, argv, "e:p:j:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'e':
			o->so.entity = optarg;
			break;
		case 'p':
			o->so.project = optarg;
			break;
		case O_ID:
			if (wbs_check_run_id(optarg, NULL, 0) != 0) {
				log_warnx("--id \"%s\": not a valid run id",
				    optarg);
				return -1;
			}
			o->so.run_id = optarg;
			break;
		case O_INCLUDE_SYNCED:
			o->so.include_synced = 1;
			break;
		case O_MARK:
			o->so.no_mark_synced = 0;
			break;
		case O_NO_MARK:
			o->so.no_mark_synced = 1;
			break;
		case O_SYNC_ALL:
			o->sync_all = 1;
			break;
		case O_CLEAN:
			o->clean = 1;
			break;
		case O_CLEAN_HOURS:
			o->clean_hours = strtod(optarg, &end);
			if (*end != '\0' || o->clean_hours < 0) {
				log_warnx("--clean-old-hours \"%s\": not a "
				    "number of hours", optarg);
				return -1;
			}
			break;
		case O_CLEAN_FORCE:
			o->clean_force = 1;
			break;
		case O_DRY_RUN:
			o->dry_run = 1;
			break;
		case O_VIEW:
			o->so.view = stdout;
			break;
		case 'j':
			o->so.jobs = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || o->so.jobs < 1 || o->so.jobs > 64) {
				log_warnx("-j \"%s\": want 1 to 64", optarg);
				return -1;
			}
			break;
		case O_JSON:
			o->json = 1;
			break;
		case O_FINISH_CRASHED:
			o->so.finish_crashed = 1;
			break;
		case O_INSECURE:
			o->so.insecure = 1;
			break;
		case O_TIMEOUT:
			o->so.timeout_s = strtod(optarg, &end);
			if (*end != '\0' || !(o->so.timeout_s > 0)) {
				log_warnx("--timeout \"%s\": want seconds > 0",
				    optarg);
				return -1;
			}
			break;
		case O_RETRIES:
			o->so.max_retries = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || o->so.max_retries < 0) {
				log_warnx("--retries \"%s\": want a count",
				    optarg);
				return -1;
			}
			break;
		case 'h':
			return 1;
		default:
			return -1;
		}
	}
	return 0;
}

int
cmd_sync(int argc, char **argv)
{
	struct sopts	o;
	struct found	f;
	char		dir[PATH_MAX];
	const char	*env;
	int		rc;

	for (int i = 1; i < argc; i++)	/* the daemon does it */
		if (strcmp(argv[i], "--now") == 0)
			return cmd_sync_now(argc, argv);
	memset(&o, 0, sizeof(o));
	o.clean_hours = 24;
	o.so.max_retries = -1;
	if ((env = getenv("WANDB_HTTP_TIMEOUT")) != NULL && atof(env) > 0)
		o.so.timeout_s = atof(env);
	if ((rc = parse_opts(argc, argv, &o)) != 0)
		return cmd_usage("sync", rc > 0 ? 0 : CMD_EXIT_USAGE);
	o.tty = isatty(STDERR_FILENO) && !o.json && o.so.view == NULL &&
	    getenv("TERM") != NULL && strcmp(getenv("TERM"), "dumb") != 0;
	if (o.so.run_id != NULL && argc - optind != 1) {
		log_warnx("--id can only be set for a single run");
		return CMD_EXIT_USAGE;
	}
	memset(&f, 0, sizeof(f));
	f.dry_run = o.dry_run;
	if (optind == argc && !o.sync_all && !o.clean)
		return summary_only(&o);
	if (optind == argc) {
		runs_default_dir(dir, sizeof(dir));
		expand(dir, &f);
	}
	for (int i = optind; i < argc; i++)
		expand(argv[i], &f);
	if (o.clean) {
		rc = clean(&f, &o);
		found_release(&f);
		return rc;
	}
	if (o.sync_all || !o.so.include_synced) {
		size_t n = drop_synced(&f, &o);

		if (n > 0 && !o.json && o.so.view == NULL)
			fprintf(stderr, "Skipped %zu synced run(s). Include "
			    "them with --include-synced.\n", n);
	}
	if (o.so.run_id != NULL && f.n > 1) {
		log_warnx("--id can only be set for a single run (%zu found)",
		    f.n);
		found_release(&f);
		return CMD_EXIT_USAGE;
	}
	if (o.dry_run) {
		printf("Would sync %zu run(s):\n", f.n);
		for (size_t i = 0; i < f.n; i++)
			printf("  %s\n", f.paths[i]);
		found_release(&f);
		return f.errors ? CMD_EXIT_FAIL : CMD_EXIT_OK;
	}
	if (f.n == 0) {
		if (!o.json)
			printf("No runs to sync.\n");
		else
			printf("[]\n");
		found_release(&f);
		return f.errors ? CMD_EXIT_FAIL : CMD_EXIT_OK;
	}
	rc = do_sync(&o, &f);
	found_release(&f);
	return rc;
}
