/*
 * testutil.h - temporary directories for the C unit tests.
 */
#ifndef WBS_TESTUTIL_H
#define WBS_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A fresh directory under $TMPDIR; the caller frees and removes it. */
static char *
test_tmpdir(void)
{
	const char	*base = getenv("TMPDIR");
	char		*dir;

	if (base == NULL)
		base = "/tmp";
	if (asprintf(&dir, "%s/wbs-test-XXXXXX", base) < 0 ||
	    mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(99);
	}
	return dir;
}

/* rm -rf dir and free it. */
static void
test_rmtree(char *dir)
{
	char *cmd;

	if (asprintf(&cmd, "rm -rf '%s'", dir) >= 0) {
		if (system(cmd) != 0)
			fprintf(stderr, "# could not remove %s\n", dir);
		free(cmd);
	}
	free(dir);
}

#endif /* WBS_TESTUTIL_H */
