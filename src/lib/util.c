/*
 * util.c - buffers, the decode arena, input checks, ids and time.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "utf8.h"
#include "wbs-int.h"

#define ARENA_CHUNK	(64u << 10)

struct wbs_arena_chunk {
	struct wbs_arena_chunk	*next;
	max_align_t		 data[];
};

/* Allocate n bytes from the arena; NULL (and a->failed) on failure. */
void *
wbs_arena_alloc(struct wbs_arena *a, size_t n)
{
	size_t			 off;
	struct wbs_arena_chunk	*c;

	n = (n + 15) & ~(size_t)15;
	if (a->buf == NULL) {
		if ((a->buf = malloc(ARENA_CHUNK)) == NULL)
			goto fail;
		a->cap = ARENA_CHUNK;
		a->len = 0;
	}
	off = a->len;
	if (n <= a->cap - off) {
		a->len += n;
		return a->buf + off;
	}
	/* Too big for the rest of the block: a chunk of its own. */
	if ((c = malloc(sizeof(*c) + n)) == NULL)
		goto fail;
	c->next = a->big;
	a->big = c;
	return c->data;
fail:
	a->failed = 1;
	return NULL;
}

/* Forget every allocation (memory is kept for reuse). */
void
wbs_arena_reset(struct wbs_arena *a)
{
	struct wbs_arena_chunk *c, *next;

	for (c = a->big; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	a->big = NULL;
	a->len = 0;
	a->failed = 0;
}

/* Free the arena's memory. */
void
wbs_arena_release(struct wbs_arena *a)
{
	wbs_arena_reset(a);
	free(a->buf);
	a->buf = NULL;
	a->cap = 0;
}

static void *
arena_pb_alloc(void *data, size_t n)
{
	return wbs_arena_alloc(data, n);
}

static void
arena_pb_free(void *data, void *p)
{
	(void)data;
	(void)p;
}

/* A protobuf-c allocator drawing from the arena. */
void
wbs_arena_pb(struct wbs_arena *a, ProtobufCAllocator *pa)
{
	pa->alloc = arena_pb_alloc;
	pa->free = arena_pb_free;
	pa->allocator_data = a;
}

/* Make room for n bytes in b (its length is unchanged). */
int
wbs_buf_reserve(struct wbs_buf *b, size_t n)
{
	size_t	 cap;
	uint8_t	*p;

	if (n <= b->cap)
		return 0;
	if (n > (size_t)64 << 20)
		return WBS_ETOOBIG;
	cap = b->cap ? b->cap : 256;
	while (cap < n)
		cap *= 2;
	if ((p = realloc(b->p, cap)) == NULL)
		return WBS_ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

/* Free a buffer. */
void
wbs_buf_release(struct wbs_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* 1 if s[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
int
wbs_utf8_valid(const char *str, size_t len)
{
	return utf8_valid(str, len);
}

/* Check a key path: non-empty UTF-8 components, no control characters. */
static int
check_key_len(const char *key, size_t *lenp, struct wbs_errbuf *eb)
{
	size_t	len, comp = 0;

	if (key == NULL)
		return wbs_err(eb, WBS_EINVAL, "key is NULL");
	len = strlen(key);
	if (len == 0)
		return wbs_err(eb, WBS_EINVAL, "key is empty");
	if (len > WBS_KEY_MAX)
		return wbs_err(eb, WBS_EINVAL,
		    "key \"%.40s...\" is %zu bytes, over the limit of %d",
		    key, len, WBS_KEY_MAX);
	if (!wbs_utf8_valid(key, len))
		return wbs_err(eb, WBS_EUTF8, "key \"%.40s\" is not valid UTF-8",
		    key);
	for (size_t i = 0; i <= len; i++) {
		unsigned char c = (unsigned char)key[i];

		if (c == WBS_SEP_CHAR || c == '\0') {
			if (comp == 0)
				return wbs_err(eb, WBS_EINVAL,
				    "key \"%.40s\" has an empty component", key);
			comp = 0;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			return wbs_err(eb, WBS_EINVAL,
			    "key \"%.40s\" contains control character 0x%02x",
			    key, c);
		comp++;
	}
	*lenp = len;
	return 0;
}

int
wbs_check_key(const char *key, struct wbs_errbuf *eb)
{
	size_t len;

	return check_key_len(key, &len, eb);
}

/*
 * Check items: keys (those kc holds are known good), types, UTF-8 and
 * size limits; add up their bytes.
 */
int
wbs_check_items(const struct wbs_item *items, size_t n,
    const struct wbs_kcache *kc, size_t *bytesp, struct wbs_errbuf *eb)
{
	size_t	total = 0;
	int	rc;

	if (n > 0 && items == NULL)
		return wbs_err(eb, WBS_EINVAL, "items is NULL with n = %zu", n);
	for (size_t i = 0; i < n; i++) {
		const struct wbs_item	*it = &items[i];
		size_t			 klen;

		if (wbs_kcache_hit(kc, i, it->key, &klen) == 0 &&
		    (rc = check_key_len(it->key, &klen, eb)) != 0)
			return rc;
		total += klen + 8;
		switch (it->v.type) {
		case WBS_NULL:
		case WBS_DOUBLE:
		case WBS_INT:
		case WBS_BOOL:
			break;
		case WBS_STRING:
		case WBS_JSON:
		case WBS_BYTES:
			if (it->v.u.s.ptr == NULL && it->v.u.s.len > 0)
				return wbs_err(eb, WBS_EINVAL,
				    "value of \"%.40s\" is NULL", it->key);
			if (it->v.u.s.len > WBS_VALUE_MAX)
				return wbs_err(eb, WBS_ETOOBIG,
				    "value of \"%.40s\" is %zu bytes, over the "
				    "1 MiB limit", it->key, it->v.u.s.len);
			if (it->v.type != WBS_BYTES &&
			    !wbs_utf8_valid(it->v.u.s.ptr, it->v.u.s.len))
				return wbs_err(eb, WBS_EUTF8,
				    "value of \"%.40s\" is not valid UTF-8",
				    it->key);
			total += it->v.u.s.len;
			break;
		default:
			return wbs_err(eb, WBS_EINVAL,
			    "value of \"%.40s\" has unknown type %d", it->key,
			    it->v.type);
		}
	}
	if (total > WBS_ROW_MAX)
		return wbs_err(eb, WBS_ETOOBIG,
		    "%zu items take %zu bytes, over the 25 MiB row limit", n,
		    total);
	if (bytesp != NULL)
		*bytesp = total;
	return 0;
}

/* Wall-clock time in microseconds since the epoch. */
int64_t
wbs_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Monotonic time in nanoseconds. */
int64_t
wbs_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A W&B-style run id: len-1 characters from [a-z0-9], NUL-terminated. */
int
wbs_random_id(char *out, size_t len)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char	rnd[64];
	size_t		n = len - 1, i = 0;

	while (i < n) {
		ssize_t got = getrandom(rnd, sizeof(rnd), 0);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return WBS_EIO;
		}
		/* Reject bytes >= 252 so every symbol is equally likely. */
		for (ssize_t k = 0; k < got && i < n; k++)
			if (rnd[k] < 252)
				out[i++] = alphabet[rnd[k] % 36];
	}
	out[n] = '\0';
	return 0;
}

/* Parse "RUN?_step=N" (W&B's run moment) into its run and step. */
int
wbs_parse_moment(const char *s, char **runp, int64_t *stepp,
    struct wbs_errbuf *eb)
{
	const char	*q = strchr(s, '?');
	char		*end, *run;
	long long	 step;

	if (q == NULL || q == s || strncmp(q + 1, "_step=", 6) != 0)
		return wbs_err(eb, WBS_EINVAL,
		    "\"%s\" is not of the form RUN?_step=N", s);
	errno = 0;
	step = strtoll(q + 7, &end, 10);
	if (errno != 0 || end == q + 7 || *end != '\0' || step < 0)
		return wbs_err(eb, WBS_EINVAL,
		    "\"%s\": step must be a non-negative integer", s);
	if ((run = strndup(s, (size_t)(q - s))) == NULL)
		return WBS_ENOMEM;
	if (wbs_check_run_id(run, NULL, 0) != 0) {
		free(run);
		return wbs_err(eb, WBS_EINVAL, "\"%s\": invalid run id", s);
	}
	*runp = run;
	*stepp = step;
	return 0;
}

/* mkdir -p. */
int
wbs_mkdirs(const char *path, int mode)
{
	char	buf[PATH_MAX];
	size_t	len = strlen(path);

	if (len == 0 || len >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, (mode_t)mode) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, (mode_t)mode) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* W&B's run id rules: not blank, no surrounding space, none of :;,#?/'. */
int
wbs_check_run_id(const char *id, char *errbuf, size_t errlen)
{
	struct wbs_errbuf	eb;
	size_t			len = strlen(id);
	int			rc = 0;

	if (len == 0)
		rc = wbs_err(&eb, WBS_EINVAL, "run id is empty");
	else if (len > 128)
		rc = wbs_err(&eb, WBS_EINVAL,
		    "run id \"%.40s...\" is longer than 128 characters", id);
	else if (!wbs_utf8_valid(id, len))
		rc = wbs_err(&eb, WBS_EUTF8, "run id is not valid UTF-8");
	else if (id[0] == ' ' || id[0] == '\t' || id[len - 1] == ' ' ||
	    id[len - 1] == '\t')
		rc = wbs_err(&eb, WBS_EINVAL,
		    "run id \"%s\" has leading or trailing whitespace", id);
	else if (strpbrk(id, ":;,#?/'") != NULL)
		rc = wbs_err(&eb, WBS_EINVAL,
		    "run id \"%s\" contains one of the characters :;,#?/'", id);
	else {
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)id[i] < 0x20 || id[i] == 0x7f ||
			    id[i] == '\\') {
				rc = wbs_err(&eb, WBS_EINVAL, "run id \"%s\" "
				    "contains a control character or "
				    "backslash", id);
				break;
			}
	}
	if (rc != 0 && errbuf != NULL && errlen > 0)
		snprintf(errbuf, errlen, "%s", eb.msg);
	return rc;
}

/* W&B's project rules: 1..128 characters, none of / \ # ? % :. */
int
wbs_check_project(const char *project, char *errbuf, size_t errlen)
{
	struct wbs_errbuf	eb;
	size_t			len = strlen(project);
	int			rc = 0;

	if (len == 0)
		rc = wbs_err(&eb, WBS_EINVAL, "project name is empty");
	else if (len > 128)
		rc = wbs_err(&eb, WBS_EINVAL,
		    "project name \"%.40s...\" is longer than 128 characters",
		    project);
	else if (!wbs_utf8_valid(project, len))
		rc = wbs_err(&eb, WBS_EUTF8, "project name is not valid UTF-8");
	else if (strpbrk(project, "/\\#?%:") != NULL)
		rc = wbs_err(&eb, WBS_EINVAL, "project name \"%s\" contains "
		    "one of the characters / \\ # ? %% :", project);
	if (rc != 0 && errbuf != NULL && errlen > 0)
		snprintf(errbuf, errlen, "%s", eb.msg);
	return rc;
}
