/*
 * rss.c - resident memory: the peak, and letting go of journal pages.
 *
 * Journals are read through LMDB's read-only memory map, so every page
 * read stays resident in this process until the map is closed: reading a
 * 150 MB journal would cost 150 MB of RSS.  The pages already read are
 * dropped from the mapping now and then (MADV_DONTNEED on a read-only
 * shared file mapping only unmaps them: they stay in the page cache, and
 * a later access maps them again), which keeps an export's RSS bounded
 * whatever the journal's size.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "export-int.h"

/* Peak resident set (VmHWM) in KiB, or -1. */
long
rss_peak_kib(void)
{
	char	 line[256];
	long	 kib = -1;
	FILE	*f;

	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* Drop the read-only mappings of journal_path/data.mdb from RSS. */
void
rss_trim(const char *journal_path)
{
	char		 line[PATH_MAX + 128], want[PATH_MAX + 16];
	char		 real[PATH_MAX];
	FILE		*f;
	size_t		 wl;

	if (realpath(journal_path, real) == NULL ||
	    snprintf(want, sizeof(want), "%s/data.mdb", real) >=
	    (int)sizeof(want))
		return;
	wl = strlen(want);
	if ((f = fopen("/proc/self/maps", "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long	 lo, hi;
		char		 perms[8];
		size_t		 ll = strcspn(line, "\n");
		int		 off = 0;

		line[ll] = '\0';
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &lo, &hi,
		    perms, &off) < 3 || off == 0)
			continue;
		/* Only read-only shared maps: nothing there is ours alone. */
		if (perms[1] != '-' || perms[3] != 's')
			continue;
		if (ll < wl || strcmp(line + ll - wl, want) != 0)
			continue;
		madvise((void *)lo, hi - lo, MADV_DONTNEED);
	}
	fclose(f);
}
