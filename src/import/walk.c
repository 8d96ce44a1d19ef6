/*
 * walk.c - which logs a PATH names, reports, and W&B's synced markers.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "import.h"

/* Names collected from a directory. */
struct names {
	char	**v;
	size_t	  n, cap;
};

/* Append p (owned; NULL means out of memory). */
static int
names_take(struct names *ns, char *p)
{
	if (p == NULL)
		return -1;
	if (ns->n == ns->cap) {
		size_t	  cap = ns->cap ? ns->cap * 2 : 16;
		char	**v = realloc(ns->v, cap * sizeof(*v));

		if (v == NULL) {
			free(p);
			return -1;
		}
		ns->v = v;
		ns->cap = cap;
	}
	ns->v[ns->n++] = p;
	return 0;
}

/* Append "dir/name". */
static int
names_add(struct names *ns, const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return -1;
	return names_take(ns, p);
}

static void
names_free(struct names *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
	memset(ns, 0, sizeof(*ns));
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* 1 if name is run-ID.wandb. */
static int
is_log(const char *name)
{
	size_t n = strlen(name);

	return n > 10 && strncmp(name, "run-", 4) == 0 &&
	    strcmp(name + n - 6, ".wandb") == 0;
}

/* 1 if name is a W&B run directory name. */
static int
is_rundir(const char *name)
{
	return strncmp(name, "run-", 4) == 0 ||
	    strncmp(name, "offline-run-", 12) == 0;
}

/* The logs of a run directory, sorted; -1 if it cannot be read. */
static int
dir_logs(const char *dir, struct names *out)
{
	DIR		*d;
	struct dirent	*de;
	struct names	 ns = { 0 };
	int		 rc = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (is_log(de->d_name) && names_add(&ns, dir, de->d_name) != 0)
			rc = -1;
	closedir(d);
	if (ns.n > 1)
		qsort(ns.v, ns.n, sizeof(*ns.v), cmp_str);
	for (size_t i = 0; i < ns.n && rc == 0; i++) {
		struct stat sb;

		if (stat(ns.v[i], &sb) == 0 && S_ISREG(sb.st_mode)) {
			rc = names_take(out, ns.v[i]);
			ns.v[i] = NULL;
		}
	}
	names_free(&ns);
	return rc;
}

/* The logs of the run directories in a wandb directory (not symlinks). */
static int
wandb_dir_logs(const char *dir, struct names *out)
{
	DIR		*d;
	struct dirent	*de;
	struct names	 ns = { 0 };
	int		 rc = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		char		 p[PATH_MAX];
		struct stat	 sb;

		if (!is_rundir(de->d_name))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode) &&
		    names_add(&ns, dir, de->d_name) != 0)
			rc = -1;
	}
	closedir(d);
	if (ns.n > 1)
		qsort(ns.v, ns.n, sizeof(*ns.v), cmp_str);
	for (size_t i = 0; i < ns.n && rc == 0; i++)
		if (dir_logs(ns.v[i], out) != 0)
			rc = -1;
	names_free(&ns);
	return rc;
}

/* The logs path names (see import_path()). */
static int
find_logs(const char *path, struct names *out, char *err, size_t errlen)
{
	struct stat	sb;
	char		sub[PATH_MAX];

	if (stat(path, &sb) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISREG(sb.st_mode))
		return names_take(out, strdup(path));
	if (!S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a file or directory", path);
		return -1;
	}
	if (dir_logs(path, out) != 0 || (out->n == 0 &&
	    wandb_dir_logs(path, out) != 0)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (int i = 0; out->n == 0 && i < 2; i++) {
		snprintf(sub, sizeof(sub), "%s/%s", path, i ? ".wandb" :
		    "wandb");
		if (stat(sub, &sb) == 0 && S_ISDIR(sb.st_mode) &&
		    wandb_dir_logs(sub, out) != 0) {
			snprintf(err, errlen, "%s: %s", sub, strerror(errno));
			return -1;
		}
	}
	if (out->n == 0) {
		snprintf(err, errlen, "%s: no W&B logs here (a run-ID.wandb "
		    "file, a run directory holding one, or a wandb directory "
		    "of run directories)", path);
		return -1;
	}
	return 0;
}

/* See import.h. */
int
import_path(const char *path, const struct import_opts *o,
    struct import_report *rep, char *err, size_t errlen)
{
	struct names ns = { 0 };

	memset(rep, 0, sizeof(*rep));
	if (find_logs(path, &ns, err, errlen) != 0) {
		names_free(&ns);
		return -1;
	}
	if ((rep->runs = calloc(ns.n, sizeof(*rep->runs))) == NULL) {
		snprintf(err, errlen, "out of memory");
		names_free(&ns);
		return -1;
	}
	for (size_t i = 0; i < ns.n; i++) {
		if (import_file(ns.v[i], o, &rep->runs[i]) != 0)
			rep->failed++;
		rep->nruns++;
	}
	names_free(&ns);
	return 0;
}

void
import_run_release(struct import_run *ir)
{
	free(ir->wandb);
	free(ir->rundir);
	free(ir->journal);
	memset(ir, 0, sizeof(*ir));
}

void
import_report_release(struct import_report *rep)
{
	for (size_t i = 0; i < rep->nruns; i++)
		import_run_release(&rep->runs[i]);
	free(rep->runs);
	memset(rep, 0, sizeof(*rep));
}

/* Create the empty marker file of one log. */
static int
mark_one(const char *wandb)
{
	char	path[PATH_MAX];
	int	fd;

	if ((size_t)snprintf(path, sizeof(path), "%s.synced", wandb) >=
	    sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666)) < 0)
		return -1;
	return close(fd);
}

/* See import.h. */
int
import_mark_synced(const char *wandb_run_dir)
{
	struct names	ns = { 0 };
	struct stat	sb;
	int		rc = 0;

	if (stat(wandb_run_dir, &sb) != 0)
		return -1;
	if (S_ISREG(sb.st_mode))
		return mark_one(wandb_run_dir);
	if (dir_logs(wandb_run_dir, &ns) != 0)
		rc = -1;
	else if (ns.n == 0) {
		errno = ENOENT;
		rc = -1;
	}
	for (size_t i = 0; i < ns.n && rc == 0; i++)
		rc = mark_one(ns.v[i]);
	names_free(&ns);
	return rc;
}

/* See import.h. */
int
import_synced(const char *wandb_file)
{
	char		path[PATH_MAX];
	struct stat	sb;

	snprintf(path, sizeof(path), "%s.synced", wandb_file);
	return stat(path, &sb) == 0;
}
