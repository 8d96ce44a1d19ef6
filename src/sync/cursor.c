/*
 * cursor.c - encoding the sync cursor (see cursor.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cursor.h"
#include "esc.h"
#include "log.h"

void
cursor_init(struct cursor *c)
{
	memset(c, 0, sizeof(*c));
	c->pos.seq = 1;
	c->pos.console_open = -1;
}

void
cursor_release(struct cursor *c)
{
	free(c->run_id);
	free(c->storage_id);
	free(c->entity);
	free(c->project);
	free(c->display_name);
	free(c->summary_base);
	free(c->config_base);
	free(c->stop_kind);
	free(c->stop_msg);
	for (size_t i = 0; i < c->nfiles; i++)
		free(c->files[i].path);
	free(c->files);
	cursor_init(c);
}

void
cursor_set(char **field, const char *v)
{
	char *p = NULL;

	if (v != NULL && (p = strdup(v)) == NULL)
		fatalx("out of memory");
	free(*field);
	*field = p;
}

static void
member_str(struct buf *b, const char *name, const char *v)
{
	if (v == NULL)
		return;
	buf_printf(b, ",\"%s\":", name);
	esc_str(b, v, strlen(v));
}

static void
member_int(struct buf *b, const char *name, long long v)
{
	buf_printf(b, ",\"%s\":%lld", name, v);
}

/* Encode as JSON (see cursor.h). */
void
cursor_encode(const struct cursor *c, struct buf *b)
{
	const struct cursor_pos *p = &c->pos;

	buf_printf(b, "{\"v\":%d,\"seq\":%llu", CURSOR_VERSION,
	    (unsigned long long)p->seq);
	member_str(b, "run", c->run_id);
	member_str(b, "storage_id", c->storage_id);
	member_str(b, "entity", c->entity);
	member_str(b, "project", c->project);
	member_str(b, "display_name", c->display_name);
	buf_printf(b, ",\"created\":%s,\"finished\":%s,\"synced\":%s",
	    c->created ? "true" : "false", c->finished ? "true" : "false",
	    c->synced ? "true" : "false");
	member_int(b, "exit_code", c->exit_code);
	member_int(b, "last_seq", (long long)c->last_seq);
	member_int(b, "hist_base", p->hist_base);
	member_int(b, "hist_base_row", p->hist_base_row);
	member_int(b, "events_base", p->events_base);
	member_int(b, "console_base", p->console_base);
	member_int(b, "hist", p->hist_next);
	member_int(b, "events", p->events_next);
	member_int(b, "console", p->console_next);
	member_int(b, "step_shift", p->step_shift);
	member_int(b, "runtime_shift_us", p->runtime_shift_us);
	member_int(b, "console_open", p->console_open);
	member_int(b, "lines", (long long)p->lines);
	member_str(b, "summary_base", c->summary_base);
	member_str(b, "config_base", c->config_base);
	if (c->nfiles > 0) {
		buf_adds(b, ",\"files\":{");
		for (size_t i = 0; i < c->nfiles; i++) {
			if (i > 0)
				buf_addc(b, ',');
			esc_str(b, c->files[i].path, strlen(c->files[i].path));
			buf_printf(b, ":[%lld,%lld]",
			    (long long)c->files[i].size,
			    (long long)c->files[i].mtime_ns);
		}
		buf_addc(b, '}');
	}
	if (c->stop_kind != NULL) {
		buf_adds(b, ",\"stop\":{\"kind\":");
		esc_str(b, c->stop_kind, strlen(c->stop_kind));
		buf_printf(b, ",\"status\":%d,\"time_us\":%lld", c->stop_status,
		    (long long)c->stop_us);
		member_str(b, "message", c->stop_msg ? c->stop_msg : "");
		buf_addc(b, '}');
	}
	member_int(b, "updated_us", c->updated_us);
	buf_addc(b, '}');
}

static long long
get_int(json_t *o, const char *name)
{
	json_t *v = json_object_get(o, name);

	return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

static void
get_str(json_t *o, const char *name, char **out)
{
	json_t *v = json_object_get(o, name);

	cursor_set(out, json_is_string(v) ? json_string_value(v) : NULL);
}

/* Decode (see cursor.h). */
int
cursor_decode(struct cursor *c, const char *p, size_t n, char *err,
    size_t errlen)
{
	json_error_t	 je;
	json_t		*o = json_loadb(p, n, 0, &je), *v, *f;
	const char	*k;
	long long	 ver;

	cursor_release(c);
	if (o == NULL || !json_is_object(o)) {
		snprintf(err, errlen, "sync cursor is not a JSON object (%s)",
		    o == NULL ? je.text : "wrong type");
		json_decref(o);
		return -1;
	}
	if ((ver = get_int(o, "v")) < 1 || ver > CURSOR_VERSION) {
		snprintf(err, errlen, "sync cursor version %lld is not one "
		    "this wbstore reads (1 to %d)", ver, CURSOR_VERSION);
		json_decref(o);
		return -1;
	}
	c->pos.seq = (uint64_t)get_int(o, "seq");
	if (c->pos.seq < 1)
		c->pos.seq = 1;
	get_str(o, "run", &c->run_id);
	get_str(o, "storage_id", &c->storage_id);
	get_str(o, "entity", &c->entity);
	get_str(o, "project", &c->project);
	get_str(o, "display_name", &c->display_name);
	c->created = json_is_true(json_object_get(o, "created"));
	c->finished = json_is_true(json_object_get(o, "finished"));
	c->synced = json_is_true(json_object_get(o, "synced"));
	c->exit_code = (int)get_int(o, "exit_code");
	c->last_seq = (uint64_t)get_int(o, "last_seq");
	c->pos.hist_base = get_int(o, "hist_base");
	c->pos.hist_base_row = get_int(o, "hist_base_row");
	c->pos.events_base = get_int(o, "events_base");
	c->pos.console_base = get_int(o, "console_base");
	c->pos.hist_next = get_int(o, "hist");
	c->pos.events_next = get_int(o, "events");
	c->pos.console_next = get_int(o, "console");
	c->pos.step_shift = get_int(o, "step_shift");
	c->pos.runtime_shift_us = get_int(o, "runtime_shift_us");
	c->pos.console_open = json_is_integer(json_object_get(o,
	    "console_open")) ? get_int(o, "console_open") : -1;
	c->pos.lines = (uint64_t)get_int(o, "lines");
	get_str(o, "summary_base", &c->summary_base);
	get_str(o, "config_base", &c->config_base);
	c->updated_us = get_int(o, "updated_us");
	if ((f = json_object_get(o, "files")) != NULL && json_is_object(f))
		json_object_foreach(f, k, v) {
			if (json_is_array(v) && json_array_size(v) == 2)
				cursor_add_file(c, k, (int64_t)json_integer_value(
				    json_array_get(v, 0)), (int64_t)
				    json_integer_value(json_array_get(v, 1)));
		}
	if ((f = json_object_get(o, "stop")) != NULL && json_is_object(f)) {
		get_str(f, "kind", &c->stop_kind);
		get_str(f, "message", &c->stop_msg);
		c->stop_status = (int)get_int(f, "status");
		c->stop_us = get_int(f, "time_us");
	}
	json_decref(o);
	return 0;
}

const struct cursor_file *
cursor_file(const struct cursor *c, const char *path)
{
	for (size_t i = 0; i < c->nfiles; i++)
		if (strcmp(c->files[i].path, path) == 0)
			return &c->files[i];
	return NULL;
}

void
cursor_add_file(struct cursor *c, const char *path, int64_t size,
    int64_t mtime_ns)
{
	struct cursor_file *f = (struct cursor_file *)cursor_file(c, path);

	if (f == NULL) {
		if ((c->files = realloc(c->files, (c->nfiles + 1) *
		    sizeof(*c->files))) == NULL)
			fatalx("out of memory");
		f = &c->files[c->nfiles++];
		f->path = NULL;
		cursor_set(&f->path, path);
	}
	f->size = size;
	f->mtime_ns = mtime_ns;
}

void
cursor_stop(struct cursor *c, const char *kind, int status, const char *msg,
    int64_t now_us)
{
	cursor_set(&c->stop_kind, kind);
	cursor_set(&c->stop_msg, msg);
	c->stop_status = status;
	c->stop_us = now_us;
}

void
cursor_clear_stop(struct cursor *c)
{
	cursor_set(&c->stop_kind, NULL);
	cursor_set(&c->stop_msg, NULL);
	c->stop_status = 0;
	c->stop_us = 0;
}

/* Destination key (see cursor.h). */
void
cursor_dest(char *out, size_t len, const char *base_url, const char *entity,
    const char *project)
{
	if (entity != NULL && *entity != '\0')
		snprintf(out, len, "%s/%s/%s", base_url, entity,
		    project ? project : "uncategorized");
	else
		snprintf(out, len, "%s/%s", base_url,
		    project ? project : "uncategorized");
}
