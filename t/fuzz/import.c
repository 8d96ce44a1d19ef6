/*
 * import.c - libFuzzer target for the .wandb importer (src/import).
 *
 * An input that starts with ":W&B" is a whole log: it is written to
 * run-fuzz0001.wandb in a scratch directory and imported twice; the
 * second import must add nothing, and a successful one must leave a
 * journal that verifies.  Any other input is a value_json text for the
 * extended-JSON parser, walked with each set of flags; with no flags it
 * must succeed exactly when the text is valid.
 *
 * Built with -fsanitize=fuzzer under --enable-fuzzing; otherwise
 * t/fuzz/replay.c replays t/fuzz/corpus/import/ as a TAP test.
 */
#include "config.h"

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "import/imp-int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char	scratch[4096];	/* the scratch directory, "" until made */

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	if (f->level == 0)
		return 0;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* Empty the scratch directory. */
static void
scratch_clear(void)
{
	nftw(scratch, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
scratch_remove(void)
{
	scratch_clear();
	rmdir(scratch);
}

/* Make the scratch directory once; 0 or -1. */
static int
scratch_make(void)
{
	const char *base = getenv("TMPDIR");

	if (scratch[0] != '\0')
		return 0;
	snprintf(scratch, sizeof(scratch), "%s/wbs-fuzz-import-XXXXXX",
	    base != NULL && base[0] != '\0' ? base : "/tmp");
	if (mkdtemp(scratch) == NULL) {
		scratch[0] = '\0';
		return -1;
	}
	atexit(scratch_remove);
	return 0;
}

/* Whether a journal at path verifies. */
static int
verifies(const char *path)
{
	struct wbs_journal	*j;
	uint64_t		 n;
	int			 rc;

	if (wbs_journal_open(&j, path, WBS_JOURNAL_RDONLY, NULL, 0) != 0)
		return 0;
	rc = wbs_journal_verify(j, &n);
	wbs_journal_close(j);
	return rc == 0;
}

static void
fuzz_log(const uint8_t *data, size_t size)
{
	struct import_run	 a, b;
	char			 path[4200];
	FILE			*f;

	if (scratch_make() != 0)
		return;
	snprintf(path, sizeof(path), "%s/run-fuzz0001.wandb", scratch);
	if ((f = fopen(path, "wb")) == NULL)
		return;
	if (fwrite(data, 1, size, f) != size) {
		fclose(f);
		return;
	}
	fclose(f);
	import_file(path, NULL, &a);
	import_file(path, NULL, &b);
	if (a.status != IMPORT_FAILED && (b.status != IMPORT_UPTODATE ||
	    b.written != 0))
		__builtin_trap();
	if (a.status == IMPORT_NEW && !verifies(a.journal))
		__builtin_trap();
	import_run_release(&a);
	import_run_release(&b);
	scratch_clear();
}

static void
fuzz_json(const uint8_t *data, size_t size)
{
	static const unsigned	 flags[] = { 0, XJ_FLAT, XJ_FLAT | XJ_DOTS,
				    XJ_FLAT | XJ_ONE };
	struct imp_arena	 a = { 0 };
	struct imp_items	 it = { 0 };
	struct wbs_value	 v;
	const char		*s = (const char *)data;
	volatile size_t		 sink = 0;

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		int rc;

		it.n = 0;
		rc = xj_items(s, size, "k", flags[i], &it, &a);
		if (i == 0 && (rc == 0) != xj_valid(s, size, &a))
			__builtin_trap();
		if (rc != 0 && it.n != 0)
			__builtin_trap();
		for (size_t k = 0; k < it.n; k++) {
			sink += strlen(it.v[k].key);
			if (it.v[k].v.type == WBS_STRING ||
			    it.v[k].v.type == WBS_JSON)
				sink += it.v[k].v.u.s.len;
		}
		imp_arena_reset(&a);
	}
	if (imp_utf8(s, size) && xj_scalar(s, size, &v, &a) == 0 &&
	    v.type == WBS_STRING && !imp_utf8(v.u.s.ptr, v.u.s.len))
		__builtin_trap();
	imp_items_release(&it);
	imp_arena_release(&a);
	(void)sink;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size >= 4 && memcmp(data, ":W&B", 4) == 0)
		fuzz_log(data, size);
	else
		fuzz_json(data, size);
	return 0;
}
