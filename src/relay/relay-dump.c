/*
 * relay-dump.c - a test helper: print every record of a journal as one
 * JSON object per line, so that the relay's tests can check exactly what
 * was stored.  With -c NAME, print the cursor NAME instead.
 *
 *	relay-dump [-c NAME] JOURNAL-OR-RUN-DIR
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wbstore/wbstore.h"
#include "buf.h"
#include "log.h"

static const char *const type_names[] = {
	[WBS_REC_RUN] = "run", [WBS_REC_HISTORY] = "history",
	[WBS_REC_CONFIG] = "config", [WBS_REC_SUMMARY] = "summary",
	[WBS_REC_METRIC] = "metric", [WBS_REC_STATS] = "stats",
	[WBS_REC_CONSOLE] = "console", [WBS_REC_FILE] = "file",
	[WBS_REC_SET] = "set", [WBS_REC_TAGS] = "tags",
	[WBS_REC_ALERT] = "alert", [WBS_REC_PREEMPTING] = "preempting",
	[WBS_REC_EXIT] = "exit", [WBS_REC_ENVIRONMENT] = "environment",
};

static const char *
type_name(int t)
{
	if (t > 0 && t < (int)(sizeof(type_names) / sizeof(type_names[0])) &&
	    type_names[t] != NULL)
		return type_names[t];
	return "unknown";
}

/* One value as JSON; JSON values as a string of their text. */
static void
value(struct buf *b, const struct wbs_value *v)
{
	if (v->type == WBS_JSON) {
		buf_adds(b, "{\"json\":");
		json_str(b, v->u.s.ptr, v->u.s.len);
		buf_addc(b, '}');
	} else
		json_value(b, v);
}

static void
str_field(struct buf *b, const char *name, const char *s)
{
	buf_printf(b, ",\"%s\":", name);
	if (s != NULL)
		json_str(b, s, strlen(s));
	else
		buf_adds(b, "null");
}

static void
record(struct buf *b, const struct wbs_record *r)
{
	buf_printf(b, "{\"seq\":%llu,\"type\":\"%s\"",
	    (unsigned long long)r->seq, type_name(r->type));
	if (r->type == WBS_REC_HISTORY)
		buf_printf(b, ",\"step\":%lld,\"commit\":%s",
		    (long long)r->step, r->flags & WBS_LOG_COMMIT ? "true" :
		    "false");
	if (r->nitems > 0) {
		buf_adds(b, ",\"items\":{");
		for (size_t i = 0; i < r->nitems; i++) {
			if (i)
				buf_addc(b, ',');
			json_str(b, r->items[i].key, strlen(r->items[i].key));
			buf_addc(b, ':');
			value(b, &r->items[i].v);
		}
		buf_addc(b, '}');
	}
	if (r->nkeys > 0) {
		buf_adds(b, ",\"keys\":[");
		for (size_t i = 0; i < r->nkeys; i++) {
			if (i)
				buf_addc(b, ',');
			json_str(b, r->keys[i], strlen(r->keys[i]));
		}
		buf_addc(b, ']');
	}
	if (r->type == WBS_REC_CONSOLE || r->type == WBS_REC_SET) {
		buf_printf(b, ",\"stream\":%d,\"field\":%d,\"text\":",
		    r->stream, r->field);
		json_str(b, r->text ? r->text : "", r->textlen);
	}
	if (r->type == WBS_REC_FILE)
		buf_printf(b, ",\"path\":\"%s\",\"policy\":%d,\"ftype\":%d",
		    r->file->path, r->file->policy, r->file->type);
	if (r->type == WBS_REC_EXIT)
		buf_printf(b, ",\"exit_code\":%d", r->exit_code);
	if (r->type == WBS_REC_ALERT) {
		str_field(b, "title", r->alert->title);
		str_field(b, "level", r->alert->level);
	}
	if (r->type == WBS_REC_RUN) {
		str_field(b, "id", r->run->id);
		str_field(b, "fork_run", r->run->fork_run);
		buf_printf(b, ",\"fork_step\":%lld", (long long)
		    r->run->fork_step);
		str_field(b, "rewind_run", r->run->rewind_run);
		buf_printf(b, ",\"rewind_step\":%lld,\"resumed\":%d",
		    (long long)r->run->rewind_step, r->run->resumed);
	}
	buf_adds(b, "}\n");
}

int
main(int argc, char **argv)
{
	struct wbs_journal	*j;
	struct wbs_iter		*it;
	const struct wbs_record	*r;
	const char		*cursor = NULL;
	struct buf		 b;
	char			 err[512];
	int			 c, rc;

	log_init(argv[0]);
	while ((c = getopt(argc, argv, "c:")) != -1) {
		if (c != 'c') {
			fprintf(stderr, "usage: relay-dump [-c NAME] DIR\n");
			return 2;
		}
		cursor = optarg;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: relay-dump [-c NAME] DIR\n");
		return 2;
	}
	if (wbs_journal_open(&j, argv[optind], WBS_JOURNAL_RDONLY, err,
	    sizeof(err)) != 0)
		fatalx("%s", err);
	if (cursor != NULL) {
		const void	*v;
		size_t		 len;

		if (wbs_journal_get_cursor(j, cursor, &v, &len) != 0)
			fatalx("no cursor %s", cursor);
		printf("%.*s\n", (int)len, (const char *)v);
		wbs_journal_close(j);
		return 0;
	}
	if (wbs_iter_open(&it, j, 1) != 0)
		fatalx("%s", wbs_journal_errmsg(j));
	buf_init(&b);
	while ((rc = wbs_iter_next(it, &r)) == 1) {
		buf_reset(&b);
		record(&b, r);
		fwrite(b.p, 1, b.len, stdout);
	}
	buf_release(&b);
	wbs_iter_free(it);
	if (rc < 0)
		fatalx("%s", wbs_journal_errmsg(j));
	wbs_journal_close(j);
	return 0;
}
