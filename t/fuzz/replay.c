/*
 * replay.c - main() for fuzz targets in ordinary builds: feed every file of
 * the target's corpus to LLVMFuzzerTestOneInput and print TAP.  With
 * --enable-fuzzing the targets link libFuzzer's main instead.
 *
 * The corpus is $WBS_SRCDIR/t/fuzz/corpus/<target name>/, or the
 * directories given as arguments.
 */
#include "config.h"

#include <dirent.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int n;

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run one file; 0 if it could be read. */
static int
run_file(const char *path, const char *name)
{
	FILE	*f = fopen(path, "rb");
	uint8_t	*buf;
	long	 len;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0) {
		printf("not ok %d - %s: cannot read\n", ++n, name);
		if (f)
			fclose(f);
		return -1;
	}
	rewind(f);
	buf = malloc((size_t)len + 1);
	if (buf == NULL || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		printf("not ok %d - %s: cannot read\n", ++n, name);
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	printf("ok %d - %s (%ld bytes)\n", ++n, name, len);
	fflush(stdout);
	return 0;
}

static int
run_dir(const char *dir)
{
	DIR		*d = opendir(dir);
	struct dirent	*de;
	char		**names = NULL, path[PATH_MAX];
	size_t		 cnt = 0;
	int		 bad = 0;

	if (d == NULL) {
		printf("not ok %d - corpus %s missing\n", ++n, dir);
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		names = realloc(names, (cnt + 1) * sizeof(*names));
		names[cnt++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, cnt, sizeof(*names), cmp);
	for (size_t i = 0; i < cnt; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		bad |= run_file(path, names[i]) != 0;
		free(names[i]);
	}
	free(names);
	return bad;
}

int
main(int argc, char **argv)
{
	const char	*src = getenv("WBS_SRCDIR"), *name;
	char		 dir[PATH_MAX];
	int		 bad = 0;

	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			bad |= run_dir(argv[i]);
	} else {
		name = strrchr(argv[0], '/');
		name = name ? name + 1 : argv[0];
		if (strncmp(name, "lt-", 3) == 0)
			name += 3;
		snprintf(dir, sizeof(dir), "%s/t/fuzz/corpus/%s",
		    src ? src : ".", name);
		bad = run_dir(dir);
	}
	printf("1..%d\n", n);
	return bad;
}
