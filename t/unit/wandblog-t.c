/*
 * wandblog-t.c - TAP tests of the `.wandb` reader (src/wandb/wandblog.c).
 *
 * Part one reads every `.wandb` file under the shared fixtures
 * (fixtures/wandb in $WBS_SHARED, ../shared or $WBS_SRCDIR/../shared; the
 * test is skipped when there is none) from a path and from memory, and
 * checks the records per type, skips and incomplete tails that FIXTURES.md
 * lists.  Part two builds logs in memory with a small
 * writer that follows the W&B writer's algorithm, and checks the layout
 * corner cases: records over three blocks, zero-length FIRST chunks, block
 * trailers, damaged chunks, truncation, the old 7-byte block phase, bad
 * headers and the record size limit.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L		/* lstat, mkstemp, fdopen */
#endif

#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libdeflate.h>

#include "wandb/wandblog.h"
#include "tap.h"

#define BLOCK	32768u
#define HDR	7u

enum {
	FULL = 1,
	FIRST = 2,
	MIDDLE = 3,
	LAST = 4
};

/* Abort the test program on allocation failure. */
static void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n)) == NULL) {
		printf("Bail out! out of memory\n");
		exit(1);
	}
	return p;
}

/* Record types, in the order they are printed. */
static const char *const types[] = {
	"header", "run", "config", "files", "history", "summary", "output",
	"output_raw", "output_logger", "stats", "metric", "telemetry",
	"artifact", "use_artifact", "environment", "alert", "tbrecord",
	"preempting", "exit", "final", "footer", "noop_link_artifact",
	"request", "unknown", "undecodable"
};
#define NTYPES	(sizeof(types) / sizeof(types[0]))

/* What reading a whole log gave. */
struct tally {
	int		 rc;		/* last wandblog_next() result */
	uint64_t	 count[NTYPES];
	uint64_t	 total;
	char		 order[256];	/* types of the first records */
	char		 run_id[64];	/* of the first run record */
	int		 exit_code;	/* -1: no exit record */
	uint64_t	 skipped;
	uint64_t	 regions;
	int		 incomplete;
	uint64_t	 incbytes;
	unsigned	 phase;
	char		 log[2048];	/* notices, one a line */
};

/* Log callback: append the notice to the tally. */
static void
tally_log(void *arg, const char *msg)
{
	struct tally *t = arg;
	size_t n = strlen(t->log);

	snprintf(t->log + n, sizeof(t->log) - n, "%s\n", msg);
}

/* Index of a type name in types[]. */
static size_t
type_index(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NTYPES; i++)
		if (strlen(types[i]) == len &&
		    strncmp(types[i], name, len) == 0)
			return i;
	return NTYPES;
}

/* Note one decoded record in the tally. */
static void
tally_record(struct tally *t, const WbsWandb__Record *rec)
{
	const char *name;
	size_t n;

	name = rec != NULL ? wandblog_record_type(rec) : "undecodable";
	if (type_index(name, strlen(name)) == NTYPES)
		name = "unknown";
	t->count[type_index(name, strlen(name))]++;
	n = strlen(t->order);
	if (n + strlen(name) + 2 < sizeof(t->order))
		snprintf(t->order + n, sizeof(t->order) - n, "%s%s",
		    n > 0 ? " " : "", name);
	if (rec == NULL)
		return;
	if (rec->record_type_case == WBS_WANDB__RECORD__RECORD_TYPE_RUN &&
	    t->run_id[0] == '\0')
		snprintf(t->run_id, sizeof(t->run_id), "%s", rec->run->run_id);
	if (rec->record_type_case == WBS_WANDB__RECORD__RECORD_TYPE_EXIT)
		t->exit_code = rec->exit->exit_code;
}

/* Read and decode every record of r into t. */
static void
tally_read(struct wandblog *r, struct tally *t)
{
	WbsWandb__Record *rec;
	const uint8_t *p;
	size_t n;

	memset(t, 0, sizeof(*t));
	t->exit_code = -1;
	wandblog_set_log(r, tally_log, t);
	while ((t->rc = wandblog_next(r, &p, &n)) > 0) {
		t->total++;
		if (wandblog_decode(r, p, n, &rec) < 0)
			rec = NULL;
		tally_record(t, rec);
		wandblog_record_free(rec);
	}
	t->skipped = wandblog_skipped_bytes(r);
	t->regions = wandblog_skipped_regions(r);
	t->incomplete = wandblog_incomplete(r);
	t->incbytes = wandblog_incomplete_bytes(r);
	t->phase = wandblog_block_phase(r);
}

/* Format the non-zero counts of t as "run=1 history=50 ...". */
static void
tally_counts(const struct tally *t, char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < NTYPES && n < len; i++)
		if (t->count[i] > 0)
			n += snprintf(buf + n, len - n, "%s%s=%" PRIu64,
			    n > 0 ? " " : "", types[i], t->count[i]);
}

/* Whether t has exactly the counts in spec ("run=1 history=50 ..."). */
static int
counts_match(const struct tally *t, const char *spec)
{
	uint64_t want[NTYPES] = { 0 };
	const char *p, *eq;
	size_t i;

	for (p = spec; *p != '\0'; ) {
		if ((eq = strchr(p, '=')) == NULL)
			return 0;
		if ((i = type_index(p, (size_t)(eq - p))) == NTYPES)
			return 0;
		want[i] = strtoull(eq + 1, (char **)&p, 10);
		while (*p == ' ')
			p++;
	}
	return memcmp(want, t->count, sizeof(want)) == 0;
}

/* A fixture and what FIXTURES.md (checked against the files) says of it. */
struct fixture {
	const char	*file;		/* base name */
	const char	*counts;
	const char	*order;		/* NULL: not checked */
	const char	*run_id;	/* NULL: no run record */
	int		 exit_code;	/* -1: no exit record */
	uint64_t	 skipped;	/* bytes skipped as damaged */
	uint64_t	 incomplete;	/* bytes of an incomplete tail */
	const char	*notice;	/* expected in the notices */
};

static const struct fixture fixtures[] = {
	{ "run-g9dvvkua.wandb", "header=1 run=1 files=1 summary=1 stats=1 "
	    "telemetry=1 artifact=1 exit=1 final=1 footer=1",
	    "header run files artifact telemetry exit stats summary final "
	    "footer", "g9dvvkua", 0, 0, 0, NULL },
	{ "run-new_auto_steps.wandb", "run=1 history=3 summary=1 exit=1",
	    NULL, "new_auto_steps", 0, 0, 0, NULL },
	{ "run-new_explicit_steps.wandb", "run=1 history=3 summary=3 exit=1",
	    NULL, "new_explicit_steps", 0, 0, 0, NULL },
	{ "run-new_resume_mode.wandb", "run=1 history=3 exit=1",
	    NULL, "new_resume_mode", 0, 0, 0, NULL },
	{ "run-new_shared_mode.wandb", "run=1 history=2 exit=1",
	    NULL, "new_shared_mode", 0, 0, 0, NULL },
	{ "run-old_auto_steps.wandb", "run=1 history=3 summary=3 exit=1",
	    NULL, "old_auto_steps", 0, 0, 0, NULL },
	{ "run-old_auto_steps_flat_keys.wandb",
	    "run=1 history=3 summary=3 exit=1",
	    NULL, "old_auto_steps_flat_keys", 0, 0, 0, NULL },
	{ "run-old_bad_step_types.wandb", "run=1 history=6 exit=1",
	    NULL, "old_bad_step_types", 0, 0, 0, NULL },
	{ "run-old_explicit_steps.wandb", "run=1 history=3 summary=3 exit=1",
	    NULL, "old_explicit_steps", 0, 0, 0, NULL },
	{ "run-old_no_history.wandb", "run=1 summary=1 exit=1",
	    "run summary exit", "old_no_history", 0, 0, 0, NULL },
	{ "run-old_resumed_run.wandb", "run=1 history=3 summary=3 exit=1",
	    NULL, "old_resumed_run", 0, 0, 0, NULL },
	{ "run-old_shared_mode.wandb", "run=1 history=2 exit=1",
	    NULL, "old_shared_mode", 0, 0, 0, NULL },
	{ "run-tiny0001.wandb", "run=1 history=50 output_raw=20 summary=1 "
	    "environment=1 exit=1", NULL, "tiny0001", 0, 0, 0, NULL },
	{ "run-wm1plain.wandb", "run=1 history=30 exit=1",
	    NULL, "wm1plain", 0, 0, 0, NULL },
	{ "run-wm2notes.wandb", "run=1 history=30 exit=1",
	    NULL, "wm2notes", 0, 0, 0, NULL },
	{ "run-wm3live.wandb", "run=1 history=30",
	    NULL, "wm3live", -1, 0, 0, NULL },
	{ "run-wm4crash.wandb", "run=1 history=18 output_raw=2 exit=1",
	    NULL, "wm4crash", 1, 0, 0, NULL },
	{ "run-wm5best.wandb", "run=1 history=30 exit=1",
	    NULL, "wm5best", 0, 0, 0, NULL },
	{ "run-sysstats1.wandb", "run=1 environment=1 history=1 stats=60 "
	    "exit=1", NULL, "sysstats1", 0, 0, 0, NULL },
	{ "run-media001.wandb", "run=1 history=5 exit=1",
	    NULL, "media001", 0, 0, 0, NULL },
	{ "run-nanedge1.wandb", "run=1 history=20 exit=1",
	    NULL, "nanedge1", 0, 0, 0, NULL },
	{ "run-uni00001.wandb", "run=1 history=10 output_raw=1 exit=1",
	    NULL, "uni00001", 0, 0, 0, NULL },
	{ "run-empty001.wandb", "run=1", "run", "empty001", -1, 0, 0, NULL },
	/* Byte 143 (the third chunk's CRC) flipped: 150 bytes to EOF. */
	{ "bad-crc.wandb", "run=1 history=1", "run history", "wirebcrc", -1,
	    150, 0, "bad-crc.wandb: offset 143: chunk checksum mismatch" },
	/* The fifth chunk starts at 234; 7 + 49 of its bytes are there. */
	{ "truncated-tail.wandb", "run=1 history=3", "run history history "
	    "history", "wiretrnc", -1, 0, 56,
	    "truncated-tail.wandb: offset 234: last record is incomplete" },
};
#define NFIXTURES	(sizeof(fixtures) / sizeof(fixtures[0]))

static int	fixture_seen[NFIXTURES];

/* Read a whole file into memory; NULL on failure. */
static uint8_t *
slurp(const char *path, size_t *lenp)
{
	FILE *f;
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	do {
		if (cap - len < 65536)
			buf = xrealloc(buf, cap = cap * 2 + 65536);
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	if (ferror(f)) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*lenp = len;
	return buf;
}

/* Whether two tallies agree on everything but the notices. */
static int
tally_same(const struct tally *a, const struct tally *b)
{
	return a->rc == b->rc && memcmp(a->count, b->count,
	    sizeof(a->count)) == 0 && strcmp(a->order, b->order) == 0 &&
	    a->skipped == b->skipped && a->regions == b->regions &&
	    a->incomplete == b->incomplete && a->incbytes == b->incbytes;
}

/* Check one fixture file against its entry f (NULL: none listed). */
static void
check_fixture(const char *path, const char *base, const struct fixture *f)
{
	struct wandblog *r;
	struct tally t, m;
	char err[WANDBLOG_ERRMAX], got[512];
	uint8_t *data;
	size_t len;
	int rc;

	rc = wandblog_open(&r, path, err, sizeof(err));
	if (!ok(rc == 0, "%s: opens", base)) {
		diag("%s", err);
		return;
	}
	tally_read(r, &t);
	wandblog_close(r);
	tally_counts(&t, got, sizeof(got));
	if (f == NULL) {
		ok(t.rc == 0 && t.skipped == 0 && !t.incomplete &&
		    t.count[NTYPES - 1] == 0, "%s: reads cleanly (%s; not "
		    "listed in FIXTURES.md)", base, got);
		return;
	}
	if (!ok(t.rc == 0 && counts_match(&t, f->counts),
	    "%s: %" PRIu64 " records: %s", base, t.total, f->counts))
		diag("got rc %d, %s", t.rc, got);
	if (f->order != NULL && !ok(strcmp(t.order, f->order) == 0,
	    "%s: records in order %s", base, f->order))
		diag("got %s", t.order);
	if (!ok(strcmp(t.run_id, f->run_id) == 0 &&
	    t.exit_code == f->exit_code, "%s: run id %s, exit code %d",
	    base, f->run_id, f->exit_code))
		diag("got run id '%s', exit code %d", t.run_id, t.exit_code);
	if (!ok(t.skipped == f->skipped && t.regions == (f->skipped > 0) &&
	    t.incbytes == f->incomplete && t.incomplete == (f->incomplete > 0),
	    "%s: %" PRIu64 " bytes skipped, incomplete tail of %" PRIu64
	    " bytes", base, f->skipped, f->incomplete))
		diag("got %" PRIu64 " bytes in %" PRIu64 " regions, "
		    "incomplete %d (%" PRIu64 " bytes)", t.skipped, t.regions,
		    t.incomplete, t.incbytes);
	if (f->notice != NULL && !ok(strstr(t.log, f->notice) != NULL,
	    "%s: notice \"%s\"", base, f->notice))
		diag("got %s", t.log);
	if ((data = slurp(path, &len)) == NULL) {
		ok(0, "%s: read into memory", base);
		return;
	}
	rc = wandblog_open_mem(&r, data, len, base, err, sizeof(err));
	free(data);
	if (!ok(rc == 0, "%s: opens from memory", base)) {
		diag("%s", err);
		return;
	}
	tally_read(r, &m);
	wandblog_close(r);
	ok(tally_same(&t, &m), "%s: same result from memory", base);
}

/* Check every .wandb file under dir, recursively, skipping symlinks. */
static void
scan_fixtures(const char *dir)
{
	DIR *d;
	struct dirent *e;
	struct stat st;
	char path[4096];
	size_t i, n;

	if ((d = opendir(dir)) == NULL) {
		ok(0, "open directory %s: %s", dir, strerror(errno));
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st) < 0 || S_ISLNK(st.st_mode))
			continue;
		if (S_ISDIR(st.st_mode)) {
			scan_fixtures(path);
			continue;
		}
		n = strlen(e->d_name);
		if (!S_ISREG(st.st_mode) || n < 6 ||
		    strcmp(e->d_name + n - 6, ".wandb") != 0)
			continue;
		for (i = 0; i < NFIXTURES; i++)
			if (strcmp(fixtures[i].file, e->d_name) == 0)
				break;
		if (i < NFIXTURES)
			fixture_seen[i] = 1;
		check_fixture(path, e->d_name, i < NFIXTURES ? &fixtures[i] :
		    NULL);
	}
	closedir(d);
}

/*
 * A log being built in memory by the W&B writer's algorithm (protocol
 * notes section 1.5), with blocks starting at phase (0, or 7 for the old
 * Go layout).
 */
struct wr {
	uint8_t		*b;
	size_t		 len;
	size_t		 cap;
	unsigned	 phase;
};

/* Append n bytes (zeros if p is NULL). */
static void
wr_put(struct wr *w, const void *p, size_t n)
{
	if (w->cap - w->len < n)
		w->b = xrealloc(w->b, w->cap = (w->len + n) * 2);
	if (p != NULL)
		memcpy(w->b + w->len, p, n);
	else
		memset(w->b + w->len, 0, n);
	w->len += n;
}

/* Start a log with the given header version and block phase. */
static void
wr_init(struct wr *w, unsigned version, unsigned phase)
{
	uint8_t h[7] = { ':', 'W', '&', 'B', 0xe1, 0xbe, 0 };

	memset(w, 0, sizeof(*w));
	w->phase = phase;
	h[6] = (uint8_t)version;
	wr_put(w, h, sizeof(h));
}

/* Append one chunk. */
static void
wr_chunk(struct wr *w, unsigned type, const uint8_t *p, size_t n)
{
	uint8_t h[7], t = (uint8_t)type;
	uint32_t crc;

	crc = libdeflate_crc32(libdeflate_crc32(0, &t, 1), p, n);
	h[0] = crc & 0xff;
	h[1] = (crc >> 8) & 0xff;
	h[2] = (crc >> 16) & 0xff;
	h[3] = (crc >> 24) & 0xff;
	h[4] = n & 0xff;
	h[5] = (n >> 8) & 0xff;
	h[6] = t;
	wr_put(w, h, sizeof(h));
	wr_put(w, p, n);
}

/* Append one record, split into chunks as the W&B writer does. */
static void
wr_record(struct wr *w, const uint8_t *p, size_t n)
{
	size_t left;
	int first = 1;

	for (;;) {
		left = BLOCK - (w->len - w->phase) % BLOCK;
		if (left < HDR) {
			wr_put(w, NULL, left);
			continue;
		}
		if (n <= left - HDR) {
			wr_chunk(w, first ? FULL : LAST, p, n);
			return;
		}
		wr_chunk(w, first ? FIRST : MIDDLE, p, left - HDR);
		p += left - HDR;
		n -= left - HDR;
		first = 0;
	}
}

/* Length of n as a protobuf varint. */
static size_t
varint_len(uint64_t n)
{
	size_t k = 1;

	while (n >= 128) {
		n >>= 7;
		k++;
	}
	return k;
}

/* Append n as a protobuf varint at p; returns the bytes written. */
static size_t
varint_put(uint8_t *p, uint64_t n)
{
	size_t k = 0;

	while (n >= 128) {
		p[k++] = (uint8_t)(n | 0x80);
		n >>= 7;
	}
	p[k++] = (uint8_t)n;
	return k;
}

/* A test record: its payload, which is a Record with num and uuid. */
struct rec {
	uint8_t		*p;
	size_t		 n;
	uint64_t	 num;
};

/*
 * Make a Record of exactly n (>= 8) bytes: num (1 or 2 bytes of varint)
 * and a uuid string of a pattern that depends on num.
 */
static void
rec_make(struct rec *r, size_t n, uint64_t num)
{
	size_t k, s, o, i;

	r->p = xrealloc(NULL, n);
	r->n = n;
	for (;;) {
		o = 0;
		r->p[o++] = 0x08;		/* num, varint */
		o += varint_put(r->p + o, num);
		for (k = 1; k <= 3; k++) {
			/* uuid: 2-byte tag, k-byte length, s bytes */
			s = n - o - 2 - k;
			if (varint_len(s) == k)
				break;
		}
		if (k <= 3)
			break;
		num += 128;			/* one byte longer, then */
	}
	r->num = num;
	r->p[o++] = 0x9a;			/* field 19, length-delimited */
	r->p[o++] = 0x01;
	o += varint_put(r->p + o, s);
	for (i = 0; i < s; i++)
		r->p[o + i] = (uint8_t)('a' + (num + i) % 26);
}

/* Open a memory log on w's bytes. */
static struct wandblog *
wr_open(const struct wr *w, const char *name)
{
	struct wandblog *r;
	char err[WANDBLOG_ERRMAX];

	if (wandblog_open_mem(&r, w->b, w->len, name, err, sizeof(err)) < 0) {
		diag("%s", err);
		return NULL;
	}
	return r;
}

/*
 * Read r to the end and check that it returns exactly the records want[]
 * (decoding each and checking its num), then rc from wandblog_next().
 */
static int
read_exact(struct wandblog *r, const struct rec *want, size_t nwant, int rc,
    struct tally *t)
{
	WbsWandb__Record *rec;
	const uint8_t *p;
	size_t n, i = 0;
	int good = 1, got;

	memset(t, 0, sizeof(*t));
	wandblog_set_log(r, tally_log, t);
	while ((got = wandblog_next(r, &p, &n)) > 0) {
		if (i >= nwant || n != want[i].n ||
		    (n > 0 && memcmp(p, want[i].p, n) != 0)) {
			diag("record %zu: %zu bytes differ", i, n);
			good = 0;
		} else if (wandblog_decode(r, p, n, &rec) < 0) {
			diag("record %zu: %s", i, wandblog_errmsg(r));
			good = 0;
		} else {
			if ((uint64_t)rec->num != want[i].num) {
				diag("record %zu: num %" PRId64, i, rec->num);
				good = 0;
			}
			wandblog_record_free(rec);
		}
		i++;
	}
	if (i != nwant || got != rc) {
		diag("%zu records, rc %d; wanted %zu, rc %d: %s", i, got,
		    nwant, rc, wandblog_errmsg(r));
		good = 0;
	}
	t->rc = got;
	t->total = i;
	t->skipped = wandblog_skipped_bytes(r);
	t->regions = wandblog_skipped_regions(r);
	t->incomplete = wandblog_incomplete(r);
	t->incbytes = wandblog_incomplete_bytes(r);
	t->phase = wandblog_block_phase(r);
	return good;
}

/* Whether the chunk header at off in w has this length and type. */
static int
chunk_at(const struct wr *w, size_t off, size_t len, unsigned type)
{
	return off + HDR <= w->len && w->b[off + 4] == (len & 0xff) &&
	    w->b[off + 5] == (len >> 8) && w->b[off + 6] == type;
}

/* Free the records of a test. */
static void
recs_free(struct rec *v, size_t n)
{
	while (n-- > 0)
		free(v[n].p);
}

/* A: 100 bytes, B: 70000 bytes over three blocks, C: 50 bytes. */
static void
build_three(struct wr *w, struct rec *v, unsigned phase)
{
	wr_init(w, 0, phase);
	rec_make(&v[0], 100, 1);
	rec_make(&v[1], 70000, 2);
	rec_make(&v[2], 50, 3);
	wr_record(w, v[0].p, v[0].n);
	wr_record(w, v[1].p, v[1].n);
	wr_record(w, v[2].p, v[2].n);
}

/* A record in FIRST, MIDDLE and LAST chunks over three blocks. */
static void
test_three_blocks(void)
{
	struct wr w;
	struct rec v[3];
	struct tally t;
	struct wandblog *r;

	build_three(&w, v, 0);
	ok(chunk_at(&w, 7, 100, FULL) && chunk_at(&w, 114, BLOCK - 121,
	    FIRST) && chunk_at(&w, BLOCK, BLOCK - HDR, MIDDLE) &&
	    chunk_at(&w, 2 * BLOCK, 70000 - (BLOCK - 121) - (BLOCK - HDR),
	    LAST), "three blocks: test writer made FULL, FIRST, MIDDLE, LAST");
	r = wr_open(&w, "three.wandb");
	ok(r != NULL && read_exact(r, v, 3, 0, &t) && t.skipped == 0 &&
	    !t.incomplete, "three blocks: 3 records, the 70000-byte one "
	    "reassembled, nothing skipped");
	ok(r != NULL && wandblog_records(r) == 3 && wandblog_version(r) == 0,
	    "three blocks: records() is 3, version 0");
	wandblog_close(r);
	recs_free(v, 3);
	free(w.b);
}

/* The writer's zero-length FIRST chunk when exactly 7 bytes are left. */
static void
test_zero_first(void)
{
	struct wr w;
	struct rec v[3];
	struct tally t;
	struct wandblog *r;

	wr_init(&w, 0, 0);
	rec_make(&v[0], BLOCK - 3 * HDR, 1);	/* ends at BLOCK - 7 */
	rec_make(&v[1], 100, 2);
	rec_make(&v[2], 20, 3);
	wr_record(&w, v[0].p, v[0].n);
	wr_record(&w, v[1].p, v[1].n);
	wr_record(&w, v[2].p, v[2].n);
	ok(chunk_at(&w, BLOCK - HDR, 0, FIRST) && chunk_at(&w, BLOCK, 100,
	    LAST), "zero-length FIRST: test writer put it at the block end");
	r = wr_open(&w, "zero-first.wandb");
	ok(r != NULL && read_exact(r, v, 3, 0, &t) && t.skipped == 0 &&
	    !t.incomplete, "zero-length FIRST: 3 records, nothing skipped");
	wandblog_close(r);
	recs_free(v, 3);
	free(w.b);
}

/* A 6-byte block trailer, and an empty record. */
static void
test_trailer(void)
{
	struct wr w;
	struct rec v[3];
	struct tally t;
	struct wandblog *r;
	static const uint8_t zero6[6];

	wr_init(&w, 0, 0);
	rec_make(&v[0], BLOCK - 3 * HDR + 1, 1);	/* ends at BLOCK - 6 */
	rec_make(&v[1], 100, 2);
	wr_record(&w, v[0].p, v[0].n);
	wr_record(&w, v[1].p, v[1].n);
	v[2].p = NULL;
	v[2].n = 0;
	v[2].num = 0;
	wr_record(&w, (const uint8_t *)"", 0);
	ok(memcmp(w.b + BLOCK - 6, zero6, 6) == 0 && chunk_at(&w, BLOCK,
	    100, FULL) && chunk_at(&w, BLOCK + HDR + 100, 0, FULL),
	    "6-byte trailer: test writer padded the block");
	r = wr_open(&w, "trailer.wandb");
	ok(r != NULL && read_exact(r, v, 3, 0, &t) && t.skipped == 0 &&
	    !t.incomplete, "6-byte trailer: passed over; an empty record "
	    "reads as 0 bytes");
	wandblog_close(r);
	recs_free(v, 3);
	free(w.b);
}

/* Open a memory log that should fail with rc and a message containing s. */
static void
bad_open(const void *data, size_t len, int rc, const char *s,
    const char *what)
{
	struct wandblog *r = NULL;
	char err[WANDBLOG_ERRMAX] = "";
	int got;

	got = wandblog_open_mem(&r, data, len, "hdr.wandb", err, sizeof(err));
	if (!ok(got == rc && r == NULL && strstr(err, s) != NULL,
	    "header: %s gives %s", what, wandblog_strerror(rc)))
		diag("got %d: %s", got, err);
	wandblog_close(r);
}

/* Bad headers, short files, version 1. */
static void
test_headers(void)
{
	struct wandblog *r = NULL;
	char err[WANDBLOG_ERRMAX] = "";
	uint8_t h[7] = { ':', 'W', '&', 'B', 0xe1, 0xbe, 1 };
	int rc;

	rc = wandblog_open_mem(&r, h, sizeof(h), "v1.wandb", err, sizeof(err));
	ok(rc == 0 && wandblog_version(r) == 1, "header: version 1 accepted");
	if (r != NULL) {
		const uint8_t *p;
		size_t n;

		ok(wandblog_next(r, &p, &n) == 0 && !wandblog_incomplete(r),
		    "header: a log with no records is empty, not incomplete");
	}
	wandblog_close(r);
	h[6] = 2;
	bad_open(h, 7, WANDBLOG_EVERSION, "hdr.wandb: offset 6: unsupported "
	    "format version 2", "version 2");
	h[6] = 0xff;
	bad_open(h, 7, WANDBLOG_EVERSION, "version 255", "version 255");
	bad_open(h, 6, WANDBLOG_ESHORT, "hdr.wandb: file is 6 bytes, shorter "
	    "than the 7-byte header", "a 6-byte file");
	bad_open(h, 3, WANDBLOG_ESHORT, "file is 3 bytes", "a 3-byte file");
	bad_open("", 0, WANDBLOG_ESHORT, "file is 0 bytes", "an empty file");
	bad_open("PK\3\4\0\0\0", 7, WANDBLOG_EFORMAT, "hdr.wandb: offset 0: "
	    "not a W&B transaction log", "a zip header");
	bad_open("PK\3", 3, WANDBLOG_EFORMAT, "offset 0", "3 bytes of junk");
	bad_open(":W&B\xbe\xe1\0", 7, WANDBLOG_EFORMAT, "offset 4: bad magic "
	    "0xe1be", "a big-endian magic");
	rc = wandblog_open(&r, "/nonexistent/run-x.wandb", err, sizeof(err));
	ok(rc == WANDBLOG_EIO && strstr(err, "/nonexistent/run-x.wandb: "
	    "open: ") != NULL, "open: a missing file gives WANDBLOG_EIO and "
	    "names it");
}

/* Flip one byte of w at off. */
static void
flip(struct wr *w, size_t off)
{
	w->b[off] ^= 0x5a;
}

/* Damaged chunks: skip to the next block, merge regions, count bytes. */
static void
test_damage(void)
{
	struct wr w;
	struct rec v[4], keep[2];
	struct tally t;
	struct wandblog *r;
	size_t bstart, cend;

	/* B damaged in block 0; C starts in block 0, ends in block 1. */
	wr_init(&w, 0, 0);
	rec_make(&v[0], 100, 1);
	rec_make(&v[1], 100, 2);
	rec_make(&v[2], 40000, 3);
	rec_make(&v[3], 100, 4);
	wr_record(&w, v[0].p, v[0].n);
	bstart = w.len;
	wr_record(&w, v[1].p, v[1].n);
	wr_record(&w, v[2].p, v[2].n);
	cend = w.len;
	wr_record(&w, v[3].p, v[3].n);
	flip(&w, bstart + HDR + 50);
	keep[0] = v[0];
	keep[1] = v[3];
	r = wr_open(&w, "damage.wandb");
	if (ok(r != NULL && read_exact(r, keep, 2, 0, &t) && t.regions == 1 &&
	    t.skipped == cend - bstart && t.phase == 0, "bad CRC in block 0: "
	    "rest of block and the orphan LAST in block 1 skipped as one "
	    "region of %zu bytes", cend - bstart))
		ok(strstr(t.log, "damage.wandb: offset 114: chunk checksum "
		    "mismatch") != NULL && strstr(t.log, "LAST chunk without "
		    "a FIRST") != NULL, "bad CRC: notices name file, offset "
		    "and cause");
	else
		diag("%" PRIu64 " bytes in %" PRIu64 " regions, phase %u; %s",
		    t.skipped, t.regions, t.phase, t.log);
	wandblog_close(r);
	recs_free(v, 4);
	free(w.b);

	/* The MIDDLE chunk of a three-block record damaged. */
	build_three(&w, v, 0);
	flip(&w, BLOCK + 100);
	keep[0] = v[0];
	keep[1] = v[2];
	r = wr_open(&w, "middle.wandb");
	ok(r != NULL && read_exact(r, keep, 2, 0, &t) && t.regions == 1 &&
	    t.skipped == w.len - 114 - HDR - 50 && t.phase == 0,
	    "bad CRC in a MIDDLE chunk: record dropped, block 1 and the "
	    "orphan LAST skipped, next record read");
	wandblog_close(r);

	/* A bad type, and a length past the block, in block 1 and 2. */
	w.b[BLOCK + 6] = 9;
	w.b[2 * BLOCK + 4] = 0xff;
	w.b[2 * BLOCK + 5] = 0xff;
	r = wr_open(&w, "types.wandb");
	ok(r != NULL && read_exact(r, v, 1, 0, &t) && t.regions == 1 &&
	    t.skipped == w.len - 114 && strstr(t.log, "offset 32768: "
	    "unknown chunk type 9") != NULL && strstr(t.log, "offset 65536: "
	    "LAST chunk of 65535 bytes runs past the end of its block") !=
	    NULL, "bad chunk type and overlong chunk: skipped to the end");
	wandblog_close(r);
	recs_free(v, 3);
	free(w.b);
}

/* Orphans, a FIRST cut off by a FULL, zero padding, garbage after zeros. */
static void
test_sequence(void)
{
	struct wr w;
	struct rec v[2];
	struct tally t;
	struct wandblog *r;
	static const uint8_t junk[10] = "0123456789";

	wr_init(&w, 0, 0);
	rec_make(&v[0], 100, 1);
	rec_make(&v[1], 30, 2);
	wr_chunk(&w, LAST, junk, 10);
	wr_chunk(&w, MIDDLE, junk, 5);
	wr_record(&w, v[0].p, v[0].n);
	wr_chunk(&w, FIRST, junk, 10);
	wr_record(&w, v[1].p, v[1].n);
	r = wr_open(&w, "orphans.wandb");
	ok(r != NULL && read_exact(r, v, 2, 0, &t) && t.regions == 2 &&
	    t.skipped == 17 + 12 + 17, "orphan LAST and MIDDLE, FIRST cut "
	    "off by FULL: skipped, other records read");
	wandblog_close(r);

	/* Zeros to the end of the block and a whole zero block: padding. */
	w.len = 7;
	wr_record(&w, v[0].p, v[0].n);
	wr_put(&w, NULL, 2 * BLOCK - w.len);
	r = wr_open(&w, "zeros.wandb");
	ok(r != NULL && read_exact(r, v, 1, 0, &t) && t.skipped == 0 &&
	    !t.incomplete, "zero padding to the end: no records, no skip");
	wandblog_close(r);

	/* A zero header with data after it in the block is damage. */
	w.len = 7;
	wr_record(&w, v[0].p, v[0].n);
	wr_put(&w, NULL, 7);
	wr_put(&w, junk, 10);
	r = wr_open(&w, "zerojunk.wandb");
	ok(r != NULL && read_exact(r, v, 1, 0, &t) && t.skipped == 17 &&
	    t.regions == 1, "zero header then data: skipped as damage");
	wandblog_close(r);
	recs_free(v, 2);
	free(w.b);
}

/* Files cut short: incomplete tails of the right size, not errors. */
static void
test_truncated(void)
{
	struct wr w;
	struct rec v[3];
	struct tally t;
	struct wandblog *r;
	size_t full;
	static const struct {
		size_t	 len;
		size_t	 nrec;
		size_t	 tail;
		const char *what;
	} cut[] = {
		{ 40000, 1, 40000 - 114, "inside a MIDDLE chunk" },
		{ BLOCK + 3, 1, BLOCK + 3 - 114, "inside a chunk header" },
		{ BLOCK, 1, BLOCK - 114, "at the block end after a FIRST" },
		{ 117, 1, 3, "inside a FIRST chunk header" },
		{ 60, 0, 53, "inside the first FULL chunk" },
		{ 114, 1, 0, "right after a record" },
	};
	size_t i;

	build_three(&w, v, 0);
	full = w.len;
	for (i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		w.len = cut[i].len;
		r = wr_open(&w, "cut.wandb");
		if (!ok(r != NULL && read_exact(r, v, cut[i].nrec, 0, &t) &&
		    t.skipped == 0 && t.incomplete == (cut[i].tail > 0) &&
		    t.incbytes == cut[i].tail, "cut %s: %zu records, "
		    "incomplete tail of %zu bytes", cut[i].what, cut[i].nrec,
		    cut[i].tail))
			diag("incomplete %d, %" PRIu64 " bytes", t.incomplete,
			    t.incbytes);
		wandblog_close(r);
	}
	w.len = full;
	recs_free(v, 3);
	free(w.b);
}

/* The old Go layout with blocks starting at offset 7 (section 1.8). */
static void
test_shifted(void)
{
	struct wr w;
	struct rec v[3];
	struct tally t;
	struct wandblog *r;

	build_three(&w, v, 7);
	ok(chunk_at(&w, 114, BLOCK - 114, FIRST) && chunk_at(&w, BLOCK + 7,
	    BLOCK - HDR, MIDDLE), "shifted: test writer made 7-byte-shifted "
	    "blocks");
	r = wr_open(&w, "shifted.wandb");
	ok(r != NULL && read_exact(r, v, 3, 0, &t) && t.skipped == 0 &&
	    t.phase == 7 && strstr(t.log, "blocks start at offset 7") != NULL,
	    "shifted: record across the first boundary; read with phase 7");
	wandblog_close(r);
	recs_free(v, 3);
	free(w.b);

	/* A chunk ends in what the aligned layout takes for a trailer. */
	wr_init(&w, 0, 7);
	rec_make(&v[0], BLOCK - 17, 1);		/* ends at BLOCK - 3 */
	rec_make(&v[1], 100, 2);
	rec_make(&v[2], 200000, 3);
	wr_record(&w, v[0].p, v[0].n);
	wr_record(&w, v[1].p, v[1].n);
	wr_record(&w, v[2].p, v[2].n);
	r = wr_open(&w, "shifted2.wandb");
	ok(r != NULL && read_exact(r, v, 3, 0, &t) && t.skipped == 0 &&
	    t.phase == 7, "shifted: chunk ending in the aligned trailer zone; "
	    "read with phase 7 over 8 blocks");
	wandblog_close(r);

	/*
	 * Damage in block 0 of a shifted log: the layout is found from
	 * shifted block 1 on; B's LAST chunk there is an orphan.
	 */
	flip(&w, 7 + HDR + 20);
	r = wr_open(&w, "shifted3.wandb");
	ok(r != NULL && read_exact(r, v + 2, 1, 0, &t) && t.phase == 7 &&
	    t.regions == 1 && t.skipped == BLOCK + 7 + HDR + 97 - 7,
	    "shifted with damage in block 0: skipped to shifted block 1, "
	    "later records read");
	wandblog_close(r);
	recs_free(v, 3);
	free(w.b);
}

/* The record size limit, and a record that is not a protobuf. */
static void
test_limits(void)
{
	struct wr w;
	struct rec v[3];
	struct wandblog *r;
	WbsWandb__Record *rec = NULL;
	const uint8_t *p;
	size_t n;
	int rc1, rc2, rc3;

	build_three(&w, v, 0);
	r = wr_open(&w, "limit.wandb");
	if (r != NULL) {
		ok(wandblog_set_max_record(r, 50000) == 0,
		    "limit: set to 50000 bytes");
		rc1 = wandblog_next(r, &p, &n);
		rc2 = wandblog_next(r, &p, &n);
		rc3 = wandblog_next(r, &p, &n);
		ok(rc1 == 1 && rc2 == WANDBLOG_ETOOBIG && rc3 == rc2 &&
		    strstr(wandblog_errmsg(r), "limit.wandb: offset 32768: "
		    "record that starts at offset 114 is larger than the "
		    "limit of 50000 bytes") != NULL, "limit: a 70000-byte "
		    "record gives a sticky WANDBLOG_ETOOBIG naming offsets");
	}
	wandblog_close(r);
	recs_free(v, 3);
	free(w.b);

	wr_init(&w, 0, 0);
	wr_record(&w, (const uint8_t *)"\xff\xff\xff", 3);
	r = wr_open(&w, "junk.wandb");
	if (r != NULL) {
		ok(wandblog_next(r, &p, &n) == 1 && n == 3 &&
		    wandblog_decode(r, p, n, &rec) == WANDBLOG_EDECODE &&
		    rec == NULL && strstr(wandblog_errmsg(r), "junk.wandb: "
		    "offset 7: record 1 (3 bytes) is not a valid") != NULL,
		    "decode: junk gives WANDBLOG_EDECODE naming the offset");
	}
	wandblog_close(r);
	free(w.b);
}

/* Write n bytes of p to path (truncating), or append them. */
static int
write_file(const char *path, const void *p, size_t n, const char *mode)
{
	FILE *f;
	int good;

	if ((f = fopen(path, mode)) == NULL)
		return 0;
	good = fwrite(p, 1, n, f) == n;
	return fclose(f) == 0 && good;
}

/* Reading from a path: many blocks, and a file that grows. */
static void
test_file(void)
{
	struct wr w;
	struct rec *v, more[3];
	struct tally t;
	struct wandblog *r;
	char path[4096], err[WANDBLOG_ERRMAX];
	const char *tmp;
	const uint8_t *p;
	size_t i, nv = 5000, n;
	int fd, rc1, rc2, rc3, rc4;

	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(path, sizeof(path), "%s/wandblog-t.XXXXXX", tmp);
	if ((fd = mkstemp(path)) < 0) {
		ok(0, "file: mkstemp %s: %s", path, strerror(errno));
		return;
	}
	close(fd);
	v = xrealloc(NULL, nv * sizeof(*v));
	wr_init(&w, 0, 0);
	for (i = 0; i < nv; i++) {
		rec_make(&v[i], 200 + (i * 7919) % 900, i + 1);
		wr_record(&w, v[i].p, v[i].n);
	}
	r = NULL;
	if (write_file(path, w.b, w.len, "wb") &&
	    wandblog_open(&r, path, err, sizeof(err)) == 0)
		ok(read_exact(r, v, nv, 0, &t) && t.skipped == 0 &&
		    !t.incomplete, "file: %zu records over %zu blocks read "
		    "through the window", nv, w.len / BLOCK + 1);
	else
		ok(0, "file: write and open %s: %s", path, err);
	wandblog_close(r);
	recs_free(v, nv);
	free(v);
	free(w.b);

	/* Follow a file that is being written. */
	build_three(&w, more, 0);
	r = NULL;
	if (write_file(path, w.b, 40000, "wb") &&
	    wandblog_open(&r, path, err, sizeof(err)) == 0) {
		rc1 = wandblog_next(r, &p, &n);
		rc2 = wandblog_next(r, &p, &n);
		ok(rc1 == 1 && rc2 == 0 && wandblog_incomplete(r) &&
		    wandblog_incomplete_bytes(r) == 40000 - 114,
		    "growing file: incomplete after the first record");
		write_file(path, w.b + 40000, w.len - 40000, "ab");
		rc1 = wandblog_next(r, &p, &n);
		rc2 = rc1 == 1 && n == more[1].n &&
		    memcmp(p, more[1].p, n) == 0;
		rc3 = wandblog_next(r, &p, &n);
		rc4 = wandblog_next(r, &p, &n);
		ok(rc1 == 1 && rc2 && rc3 == 1 && rc4 == 0 &&
		    !wandblog_incomplete(r) && wandblog_records(r) == 3,
		    "growing file: the rest is read once written");
	} else
		ok(0, "growing file: write and open %s: %s", path, err);
	wandblog_close(r);
	recs_free(more, 3);
	free(w.b);
	unlink(path);
}

/*
 * Find the shared fixtures: $WBS_SHARED, else ../shared, else
 * $WBS_SRCDIR/../shared (a build directory outside the source tree).
 */
static int
fixture_dir(char *buf, size_t len)
{
	const char *shared, *srcdir;
	struct stat st;

	if ((shared = getenv("WBS_SHARED")) != NULL && *shared != '\0') {
		snprintf(buf, len, "%s/fixtures/wandb", shared);
		return stat(buf, &st) == 0 && S_ISDIR(st.st_mode);
	}
	snprintf(buf, len, "../shared/fixtures/wandb");
	if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
		return 1;
	if ((srcdir = getenv("WBS_SRCDIR")) == NULL || *srcdir == '\0')
		return 0;
	snprintf(buf, len, "%s/../shared/fixtures/wandb", srcdir);
	return stat(buf, &st) == 0 && S_ISDIR(st.st_mode);
}

int
main(void)
{
	char dir[4096];
	size_t i;

	if (!fixture_dir(dir, sizeof(dir))) {
		printf("1..0 # SKIP shared fixtures not found\n");
		return 0;
	}
	scan_fixtures(dir);
	for (i = 0; i < NFIXTURES; i++)
		if (!fixture_seen[i])
			ok(0, "fixture %s found under %s", fixtures[i].file,
			    dir);
	test_three_blocks();
	test_zero_first();
	test_trailer();
	test_headers();
	test_damage();
	test_sequence();
	test_truncated();
	test_shifted();
	test_limits();
	test_file();
	plan_lazy_done();
	return tap_exit();
}
