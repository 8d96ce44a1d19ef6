/*
 * ofile.c - output files: written under a temporary name beside the
 * target and renamed into place when complete, so that an export never
 * leaves a half-written file under the final name.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export-int.h"
#include "log.h"

/* Refuse an existing path unless overwrite is set. */
int
ofile_check(const char *path, int overwrite, char *err, size_t errlen)
{
	struct stat sb;

	if (lstat(path, &sb) != 0)
		return 0;
	if (S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "%s: is a directory; cannot write the "
		    "export there", path);
		return -1;
	}
	if (!overwrite) {
		snprintf(err, errlen, "%s: already exists; not overwriting "
		    "it (--overwrite, or -o with an experiments file, "
		    "replaces it)", path);
		return -1;
	}
	return 0;
}

/* Create dir and its parents. */
int
ofile_mkdirs(const char *dir, char *err, size_t errlen)
{
	char		 p[PATH_MAX];
	struct stat	 sb;
	size_t		 len;

	if ((len = strlen(dir)) >= sizeof(p)) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -1;
	}
	memcpy(p, dir, len + 1);
	for (char *s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;

		*s = '\0';
		if (mkdir(p, 0777) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot create directory %s: %s",
			    p, strerror(errno));
			return -1;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a directory", dir);
		return -1;
	}
	return 0;
}

/* The process umask (read by setting it back). */
static mode_t
umask_get(void)
{
	mode_t m = umask(022);

	umask(m);
	return m;
}

/* Open a temporary file beside path. */
int
ofile_open(struct ofile *of, const char *path, char *err, size_t errlen)
{
	const char	*slash = strrchr(path, '/');
	int		 fd;

	memset(of, 0, sizeof(*of));
	if ((of->path = strdup(path)) == NULL ||
	    asprintf(&of->tmp, "%.*s.%s.tmp-XXXXXX",
	    slash ? (int)(slash - path + 1) : 0, path,
	    slash ? slash + 1 : path) < 0)
		fatalx("out of memory");
	if ((fd = mkstemp(of->tmp)) < 0) {
		snprintf(err, errlen, "cannot create %s: %s", path,
		    strerror(errno));
		free(of->path);
		free(of->tmp);
		memset(of, 0, sizeof(*of));
		return -1;
	}
	/* mkstemp makes 0600; outputs get the usual mode. */
	(void)fchmod(fd, 0666 & ~umask_get());
	if ((of->f = fdopen(fd, "w+")) == NULL)
		fatal("fdopen");
	return 0;
}

/* Close the temporary file (it stays, for ofile_commit or reading). */
int
ofile_close(struct ofile *of, char *err, size_t errlen)
{
	FILE *f = of->f;

	of->f = NULL;
	if (f == NULL)
		return 0;
	if (ferror(f)) {
		fclose(f);
		snprintf(err, errlen, "cannot write %s", of->path);
		return -1;
	}
	if (fclose(f) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", of->path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Close and rename into place. */
int
ofile_commit(struct ofile *of, char *err, size_t errlen)
{
	int rc = 0;

	if (of->tmp == NULL)
		return 0;
	if (ofile_close(of, err, errlen) != 0) {
		ofile_abort(of);
		return -1;
	}
	if (rename(of->tmp, of->path) != 0) {
		snprintf(err, errlen, "cannot rename %s to %s: %s", of->tmp,
		    of->path, strerror(errno));
		rc = -1;
		unlink(of->tmp);
	}
	free(of->path);
	free(of->tmp);
	memset(of, 0, sizeof(*of));
	return rc;
}

/* Drop the temporary file. */
void
ofile_abort(struct ofile *of)
{
	if (of->f != NULL)
		fclose(of->f);
	if (of->tmp != NULL)
		unlink(of->tmp);
	free(of->path);
	free(of->tmp);
	memset(of, 0, sizeof(*of));
}
