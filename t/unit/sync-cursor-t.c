/*
 * sync-cursor-t.c - the cursor's JSON form round-trips and refuses what
 * it cannot read.
 */
#include "config.h"

#include "tap.h"
#include "sync/cursor.h"

int
main(void)
{
	struct cursor	c, d;
	struct buf	b;
	char		err[256], dest[256];

	cursor_init(&c);
	cursor_init(&d);
	buf_init(&b);
	c.pos.seq = 12345678901ULL;
	c.pos.hist_base = 30;
	c.pos.hist_base_row = 2;
	c.pos.events_base = 1;
	c.pos.console_base = 7;
	c.pos.hist_next = 99;
	c.pos.step_shift = -49;
	c.pos.runtime_shift_us = 1234567;
	c.pos.lines = 1000;
	cursor_set(&c.run_id, "abc");
	cursor_set(&c.storage_id, "UnVuOnYx");
	cursor_set(&c.entity, "me");
	cursor_set(&c.project, "proj \"q\"");
	cursor_set(&c.summary_base, "{\"a\":NaN}");
	c.created = 1;
	c.finished = 1;
	c.exit_code = 3;
	c.last_seq = 77;
	cursor_add_file(&c, "media/img.png", 10, 20);
	cursor_add_file(&c, "a", 1, 2);
	cursor_add_file(&c, "media/img.png", 11, 21);
	cursor_stop(&c, "auth", 401, "bad key", 5);
	cursor_encode(&c, &b);
	ok(cursor_decode(&d, b.p, b.len, err, sizeof(err)) == 0,
	    "decodes what it encodes");
	ok(d.pos.seq == c.pos.seq && d.pos.hist_base == 30 &&
	    d.pos.hist_base_row == 2 && d.pos.events_base == 1 &&
	    d.pos.console_base == 7 && d.pos.hist_next == 99 &&
	    d.pos.step_shift == -49 && d.pos.runtime_shift_us == 1234567 &&
	    d.pos.lines == 1000, "positions");
	is_str(d.run_id, "abc", "run id");
	is_str(d.project, "proj \"q\"", "project with quotes");
	is_str(d.summary_base, "{\"a\":NaN}", "summary base kept as text");
	ok(d.created && d.finished && !d.synced && d.exit_code == 3 &&
	    d.last_seq == 77, "flags");
	ok(d.nfiles == 2 && cursor_file(&d, "media/img.png") != NULL &&
	    cursor_file(&d, "media/img.png")->size == 11, "files, updated");
	is_str(d.stop_kind, "auth", "stop kind");
	ok(d.stop_status == 401 && d.stop_us == 5, "stop status and time");
	cursor_clear_stop(&d);
	ok(d.stop_kind == NULL, "stop cleared");
	ok(cursor_decode(&d, "{\"v\":2,\"seq\":5}", 15, err, sizeof(err)) != 0,
	    "newer version refused");
	diag("%s", err);
	ok(cursor_decode(&d, "garbage", 7, err, sizeof(err)) != 0,
	    "garbage refused");
	ok(cursor_decode(&d, "[1]", 3, err, sizeof(err)) != 0,
	    "not an object refused");
	ok(cursor_decode(&d, "{\"v\":1}", 7, err, sizeof(err)) == 0 &&
	    d.pos.seq == 1 && !d.created, "minimal cursor");
	cursor_dest(dest, sizeof(dest), "http://h:1", "me", "p");
	is_str(dest, "http://h:1/me/p", "destination with entity");
	cursor_dest(dest, sizeof(dest), "http://h:1", NULL, "p");
	is_str(dest, "http://h:1/p", "destination without entity");
	buf_release(&b);
	cursor_release(&c);
	cursor_release(&d);
	plan_lazy_done();
	return tap_exit();
}
