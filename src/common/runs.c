/*
 * runs.c - finding runs on disk.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runs.h"

/* The default wandb directory. */
void
runs_default_dir(char *out, size_t len)
{
	const char	*root = getenv("WANDB_DIR");
	struct stat	 sb;

	if (root == NULL || *root == '\0')
		root = ".";
	snprintf(out, len, "%s/.wandb", root);
	if (stat(out, &sb) == 0 && S_ISDIR(sb.st_mode))
		return;
	snprintf(out, len, "%s/wandb", root);
}

/* 1 if dir is a journal directory or a run directory holding one. */
static int
is_run_dir(const char *dir)
{
	char		 p[PATH_MAX];
	struct stat	 sb;
	DIR		*d;
	struct dirent	*de;
	int		 found = 0;

	snprintf(p, sizeof(p), "%s/data.mdb", dir);
	if (stat(p, &sb) == 0)
		return 1;
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);

		if (n > 8 && strncmp(de->d_name, "run-", 4) == 0 &&
		    strcmp(de->d_name + n - 4, ".wbs") == 0)
			found = 1;
	}
	closedir(d);
	return found;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Each run directory under path (see runs.h). */
int
runs_each(const char *path, runs_fn *fn, void *arg)
{
	DIR		*d;
	struct dirent	*de;
	char		**names = NULL, sub[PATH_MAX];
	size_t		 n = 0, cap = 0;
	struct stat	 sb;
	int		 found = 0;

	if (stat(path, &sb) != 0)
		return -1;
	if (!S_ISDIR(sb.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	if (is_run_dir(path)) {
		fn(path, arg);
		return 1;
	}
	snprintf(sub, sizeof(sub), "%s/wandb", path);
	if (stat(sub, &sb) == 0 && S_ISDIR(sb.st_mode) && !is_run_dir(sub))
		return runs_each(sub, fn, arg);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "run-", 4) != 0 &&
		    strncmp(de->d_name, "offline-run-", 12) != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((names = realloc(names, cap * sizeof(*names))) ==
			    NULL)
				abort();
		}
		if ((names[n] = strdup(de->d_name)) == NULL)
			abort();
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		snprintf(sub, sizeof(sub), "%s/%s", path, names[i]);
		if (is_run_dir(sub)) {
			found++;
			fn(sub, arg);
		}
		free(names[i]);
	}
	free(names);
	return found;
}

struct find_id {
	const char	*id;
	char		*out;
	size_t		 len;
	int		 found;
};

static int
match_id(const char *rundir, void *arg)
{
	struct find_id	*f = arg;
	const char	*base = strrchr(rundir, '/');
	char		 probe[PATH_MAX];
	struct stat	 sb;

	base = base ? base + 1 : rundir;
	snprintf(probe, sizeof(probe), "%s/run-%s.wbs", rundir, f->id);
	if (stat(probe, &sb) != 0)
		return 0;
	/* Sorted by name: the last match is the newest. */
	snprintf(f->out, f->len, "%s", rundir);
	f->found = 1;
	(void)base;
	return 0;
}

/* Resolve a RUN argument (see runs.h). */
int
runs_resolve(const char *arg, char *out, size_t len)
{
	struct stat	sb;
	struct find_id	f = { arg, out, len, 0 };
	char		dir[PATH_MAX];

	if (stat(arg, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		snprintf(out, len, "%s", arg);
		return 0;
	}
	if (strchr(arg, '/') != NULL) {
		errno = ENOENT;
		return -1;
	}
	runs_default_dir(dir, sizeof(dir));
	/* A directory name inside the wandb directory, e.g. latest-run. */
	{
		char p[PATH_MAX * 2];

		snprintf(p, sizeof(p), "%s/%s", dir, arg);
		if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			snprintf(out, len, "%s", p);
			return 0;
		}
	}
	if (runs_each(dir, match_id, &f) < 0 || !f.found) {
		errno = ENOENT;
		return -1;
	}
	return 0;
}
