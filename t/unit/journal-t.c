/*
 * journal-t.c - write a run, read it back record by record.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "wbstore/wbstore.h"
#include "tap.h"
#include "testutil.h"

int
main(void)
{
	struct wbs_opts			*o;
	struct wbs_run			*run;
	struct wbs_journal		*j;
	struct wbs_iter			*it;
	const struct wbs_record		*r;
	const struct wbs_run_info	*ri;
	struct wbs_journal_stat		 st;
	char				 err[512], *dir = test_tmpdir();
	int				 n = 0, hist = 0, rc;

	ok(wbs_opts_new(&o) == 0, "opts_new");
	ok(wbs_opts_set(o, WBS_OPT_DIR, dir) == 0, "set dir");
	ok(wbs_opts_set(o, WBS_OPT_PROJECT, "mnist") == 0, "set project");
	ok(wbs_opts_set(o, WBS_OPT_ID, "abc123") == 0, "set id");
	rc = wbs_run_open(&run, o, err, sizeof(err));
	if (!ok(rc == 0, "run_open"))
		diag("%s", err);
	for (int i = 0; i < 100; i++) {
		struct wbs_item items[] = {
			WBS_DOUBLE_ITEM("train/loss", 1.0 / (i + 1)),
			WBS_INT_ITEM("epoch", i / 10),
			WBS_DOUBLE_ITEM("val" WBS_SEP "nan", NAN),
		};

		if (wbs_run_log(run, items, 3, WBS_STEP_AUTO, 0) != 0)
			break;
		n++;
	}
	is_int(n, 100, "100 rows logged");
	is_int(wbs_run_step(run), 100, "step advanced to 100");
	ok(wbs_run_finish(run, 0) == 0, "finish");
	wbs_run_close(run);
	wbs_opts_free(o);

	rc = wbs_journal_open(&j, dir, WBS_JOURNAL_RDONLY, err, sizeof(err));
	ok(rc != 0, "a wandb root is not a journal");
	snprintf(err, sizeof(err), "%s/wandb/latest-run", dir);
	rc = wbs_journal_open(&j, err, WBS_JOURNAL_RDONLY, err, sizeof(err));
	if (!ok(rc == 0, "journal_open via latest-run"))
		diag("%s", err);
	ok(wbs_journal_info(j, &ri) == 0, "journal_info");
	is_str(ri->id, "abc123", "id");
	is_str(ri->project, "mnist", "project");
	ok(wbs_journal_stat(j, &st) == 0, "journal_stat");
	is_int(st.state, WBS_STATE_FINISHED, "finished");
	is_int(st.last_step, 99, "last step");
	is_int(st.records, 102, "run start + 100 rows + exit");
	ok(wbs_iter_open(&it, j, 1) == 0, "iter_open");
	while ((rc = wbs_iter_next(it, &r)) == 1) {
		if (r->type != WBS_REC_HISTORY)
			continue;
		if (r->step == 7 && r->nitems == 3) {
			is_str(r->items[0].key, "train/loss", "key 0");
			ok(r->items[0].v.u.d == 1.0 / 8, "value exact");
			ok(isnan(r->items[1].v.u.d), "NaN round-trips");
			is_str(r->items[1].key, "val" WBS_SEP "nan",
			    "nested key");
			is_int(r->items[2].v.u.i, 0, "int value");
		}
		hist++;
	}
	is_int(rc, 0, "iteration ends cleanly");
	is_int(hist, 100, "100 history records");
	wbs_iter_free(it);
	wbs_journal_close(j);
	test_rmtree(dir);
	plan_lazy_done();
	return tap_exit();
}
