/*
 * opts.c - run options, with the W&B environment variables as defaults.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wbs-int.h"
#include "opts.h"

static const char *const env_names[WBS_OPT_LAST + 1] = {
	[WBS_OPT_DIR] = "WANDB_DIR",
	[WBS_OPT_PROJECT] = "WANDB_PROJECT",
	[WBS_OPT_ENTITY] = "WANDB_ENTITY",
	[WBS_OPT_ID] = "WANDB_RUN_ID",
	[WBS_OPT_NAME] = "WANDB_NAME",
	[WBS_OPT_NOTES] = "WANDB_NOTES",
	[WBS_OPT_GROUP] = "WANDB_RUN_GROUP",
	[WBS_OPT_JOB_TYPE] = "WANDB_JOB_TYPE",
	[WBS_OPT_TAGS] = "WANDB_TAGS",
	[WBS_OPT_RESUME] = "WANDB_RESUME",
	[WBS_OPT_MODE] = "WANDB_MODE",
	[WBS_OPT_PROGRAM] = "WANDB_PROGRAM",
	[WBS_OPT_SYNC_INTERVAL] = "WBSTORE_SYNC_INTERVAL",
	[WBS_OPT_SEAL_DIR] = "WBSTORE_SEAL_DIR",
	[WBS_OPT_SEAL_INTERVAL] = "WBSTORE_SEAL_INTERVAL",
};

/* New empty option set. */
int
wbs_opts_new(struct wbs_opts **optsp)
{
	struct wbs_opts *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return WBS_ENOMEM;
	*optsp = o;
	return 0;
}

/* Free an option set. */
void
wbs_opts_free(struct wbs_opts *o)
{
	if (o == NULL)
		return;
	for (int i = 0; i <= WBS_OPT_LAST; i++)
		free(o->val[i]);
	wbs_items_free(o->config, o->nconfig);
	free(o);
}

/* Message of the last failure. */
const char *
wbs_opts_errmsg(const struct wbs_opts *o)
{
	return o->eb.msg;
}

/* Check one option value; 0 if acceptable. */
int
wbs_opt_check(int opt, const char *v, struct wbs_errbuf *eb)
{
	char	*run;
	int64_t	 step;
	int	 rc;

	if (!wbs_utf8_valid(v, strlen(v)))
		return wbs_err(eb, WBS_EUTF8, "option %d is not valid UTF-8",
		    opt);
	switch (opt) {
	case WBS_OPT_PROJECT:
		return wbs_check_project(v, eb->msg, sizeof(eb->msg));
	case WBS_OPT_ID:
		return wbs_check_run_id(v, eb->msg, sizeof(eb->msg));
	case WBS_OPT_RESUME:
		if (wbs_resume_parse(v) < 0)
			return wbs_err(eb, WBS_EINVAL, "resume \"%s\" is not "
			    "one of allow, must, never, auto", v);
		return 0;
	case WBS_OPT_MODE:
		if (strcmp(v, "online") != 0 && strcmp(v, "offline") != 0 &&
		    strcmp(v, "disabled") != 0 && strcmp(v, "dryrun") != 0 &&
		    strcmp(v, "run") != 0)
			return wbs_err(eb, WBS_EINVAL, "mode \"%s\" is not one "
			    "of online, offline, disabled", v);
		return 0;
	case WBS_OPT_FORK_FROM:
	case WBS_OPT_RESUME_FROM:
		if ((rc = wbs_parse_moment(v, &run, &step, eb)) != 0)
			return rc;
		free(run);
		return 0;
	case WBS_OPT_SYNC_INTERVAL: {
		char	*end;
		long	 ms = strtol(v, &end, 10);

		if (*v == '\0' || *end != '\0' || ms < 0 || ms > 3600000)
			return wbs_err(eb, WBS_EINVAL, "sync interval \"%s\" "
			    "is not a number of milliseconds (0..3600000)", v);
		return 0;
	}
	case WBS_OPT_TAGS:
		return wbs_tags_split(v, NULL, NULL, eb);
	case WBS_OPT_START_TIME: {
		char		*end;
		long long	 us = strtoll(v, &end, 10);

		if (*v == '\0' || *end != '\0' || us <= 0)
			return wbs_err(eb, WBS_EINVAL, "start time \"%s\" is not "
			    "a positive number of microseconds", v);
		return 0;
	}
	case WBS_OPT_RUN_DIR:
		if (*v == '\0')
			return wbs_err(eb, WBS_EINVAL, "run directory is empty");
		return 0;
	case WBS_OPT_SEAL_INTERVAL: {
		char	*end;
		long	 s = strtol(v, &end, 10);

		if (*v == '\0' || *end != '\0' || s < 0 || s > 86400 * 7)
			return wbs_err(eb, WBS_EINVAL, "seal interval \"%s\" "
			    "is not a number of seconds (0..604800)", v);
		return 0;
	}
	case WBS_OPT_WRITE_MODE:
		if (strcmp(v, "map") != 0 && strcmp(v, "write") != 0)
			return wbs_err(eb, WBS_EINVAL, "write mode \"%s\" is "
			    "not map or write", v);
		return 0;
	default:
		return 0;
	}
}

/* Set an option. */
int
wbs_opts_set(struct wbs_opts *o, int opt, const char *value)
{
	char	*copy = NULL;
	int	 rc;

	if (opt < 1 || opt > WBS_OPT_LAST)
		return wbs_err(&o->eb, WBS_EINVAL, "unknown option %d", opt);
	if (value != NULL) {
		if ((rc = wbs_opt_check(opt, value, &o->eb)) != 0)
			return rc;
		if ((copy = strdup(value)) == NULL)
			return WBS_ENOMEM;
	}
	free(o->val[opt]);
	o->val[opt] = copy;
	return 0;
}

/* Set the initial config (replacing an earlier one). */
int
wbs_opts_config(struct wbs_opts *o, const struct wbs_item *items, size_t n)
{
	struct wbs_item	*copy;
	int		 rc;

	if ((rc = wbs_check_items(items, n, NULL, NULL, &o->eb)) != 0)
		return rc;
	if ((rc = wbs_items_dup(items, n, &copy)) != 0)
		return wbs_err(&o->eb, rc, "copying the config");
	wbs_items_free(o->config, o->nconfig);
	o->config = copy;
	o->nconfig = n;
	return 0;
}

/* The value of an option: set explicitly, else from the environment. */
const char *
wbs_opt_get(const struct wbs_opts *o, int opt)
{
	const char *v;

	if (o != NULL && o->val[opt] != NULL)
		return o->val[opt];
	if (env_names[opt] != NULL && (v = getenv(env_names[opt])) != NULL &&
	    *v != '\0')
		return v;
	return NULL;
}

/* Name of the environment variable behind an option, or NULL. */
const char *
wbs_opt_env(int opt)
{
	return env_names[opt];
}

/* Parse a resume mode; -1 if invalid. */
int
wbs_resume_parse(const char *v)
{
	if (strcmp(v, "allow") == 0)
		return WBS_RESUME_ALLOW;
	if (strcmp(v, "must") == 0)
		return WBS_RESUME_MUST;
	if (strcmp(v, "never") == 0)
		return WBS_RESUME_NEVER;
	if (strcmp(v, "auto") == 0 || strcmp(v, "true") == 0 ||
	    strcmp(v, "True") == 0)
		return WBS_RESUME_AUTO;
	if (strcmp(v, "false") == 0 || strcmp(v, "False") == 0)
		return WBS_RESUME_UNSET;
	return -1;
}

/*
 * Split comma-separated tags, trimming spaces; each must be 1..64
 * characters.  With tagsp NULL, only check.
 */
int
wbs_tags_split(const char *v, char ***tagsp, size_t *np,
    struct wbs_errbuf *eb)
{
	char	**tags = NULL;
	size_t	  n = 0;
	const char *p = v;
	int	  rc;

	while (*p != '\0') {
		const char	*end = strchr(p, ',');
		size_t		 len;

		if (end == NULL)
			end = p + strlen(p);
		while (p < end && *p == ' ')
			p++;
		len = (size_t)(end - p);
		while (len > 0 && p[len - 1] == ' ')
			len--;
		if (len > 0) {
			char tag[WBS_ERRMSG];

			snprintf(tag, sizeof(tag), "%.*s", (int)len, p);
			if ((rc = wbs_check_tag(tag, eb)) != 0)
				goto fail;
			if (tagsp != NULL) {
				char **nt = realloc(tags, (n + 1) *
				    sizeof(*tags));

				if (nt == NULL) {
					rc = WBS_ENOMEM;
					goto fail;
				}
				tags = nt;
				if ((tags[n] = strndup(p, len)) == NULL) {
					rc = WBS_ENOMEM;
					goto fail;
				}
			}
			n++;
		}
		p = *end ? end + 1 : end;
	}
	if (tagsp != NULL) {
		*tagsp = tags;
		*np = n;
	}
	return 0;
fail:
	if (tags != NULL)
		for (size_t i = 0; i < n; i++)
			free(tags[i]);
	free(tags);
	return rc;
}

/* A tag is 1..64 characters of UTF-8. */
int
wbs_check_tag(const char *tag, struct wbs_errbuf *eb)
{
	size_t len = strlen(tag), chars = 0;

	if (!wbs_utf8_valid(tag, len))
		return wbs_err(eb, WBS_EUTF8, "tag is not valid UTF-8");
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)tag[i] & 0xc0) != 0x80)
			chars++;
	if (chars < 1 || chars > 64)
		return wbs_err(eb, WBS_EINVAL, "tag \"%.70s\" has %zu "
		    "characters; tags have 1 to 64", tag, chars);
	return 0;
}

/* Deep copy of items. */
int
wbs_items_dup(const struct wbs_item *items, size_t n, struct wbs_item **outp)
{
	struct wbs_item *out;

	if (n == 0) {
		*outp = NULL;
		return 0;
	}
	if ((out = calloc(n, sizeof(*out))) == NULL)
		return WBS_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		out[i] = items[i];
		out[i].key = strdup(items[i].key);
		if (out[i].key == NULL)
			goto fail;
		if (items[i].v.type == WBS_STRING || items[i].v.type ==
		    WBS_JSON || items[i].v.type == WBS_BYTES) {
			char *p = malloc(items[i].v.u.s.len + 1);

			if (p == NULL)
				goto fail;
			if (items[i].v.u.s.len > 0)
				memcpy(p, items[i].v.u.s.ptr,
				    items[i].v.u.s.len);
			p[items[i].v.u.s.len] = '\0';
			out[i].v.u.s.ptr = p;
		}
	}
	*outp = out;
	return 0;
fail:
	wbs_items_free(out, n);
	return WBS_ENOMEM;
}

/* Free a deep copy of items. */
void
wbs_items_free(struct wbs_item *items, size_t n)
{
	if (items == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free((char *)items[i].key);
		if (items[i].v.type == WBS_STRING || items[i].v.type ==
		    WBS_JSON || items[i].v.type == WBS_BYTES)
			free((char *)items[i].v.u.s.ptr);
	}
	free(items);
}
