/*
 * items.c - scratch memory, key paths, media regrouping and the summary
 * tracker of the .wandb importer.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "imp-int.h"

/* ------------------------------------------------------------------ */
/* Arena */

#define ARENA_CHUNK	(64u << 10)

struct imp_chunk {
	struct imp_chunk	*next;
	max_align_t		 data[];
};

/* n bytes from the arena, aligned for any type; NULL when out of memory. */
void *
imp_alloc(struct imp_arena *a, size_t n)
{
	size_t	off = (a->len + 15) & ~(size_t)15;
	void	*p;

	if (n > ARENA_CHUNK / 4) {
		struct imp_chunk *c = malloc(sizeof(*c) + n);

		if (c == NULL)
			return NULL;
		c->next = a->big;
		a->big = c;
		return c->data;
	}
	if (a->buf == NULL || off + n > a->cap) {
		/* Keep one buffer; a full one is retired as a big chunk. */
		struct imp_chunk *c = malloc(sizeof(*c) + ARENA_CHUNK);

		if (c == NULL)
			return NULL;
		if (a->buf != NULL) {
			struct imp_chunk *old = (struct imp_chunk *)
			    (void *)(a->buf - offsetof(struct imp_chunk, data));

			old->next = a->big;
			a->big = old;
		}
		c->next = NULL;
		a->buf = (char *)c->data;
		a->cap = ARENA_CHUNK;
		off = 0;
	}
	p = a->buf + off;
	a->len = off + n;
	return p;
}

/* A NUL-terminated copy of s[0..n) in the arena. */
char *
imp_strndup(struct imp_arena *a, const char *s, size_t n)
{
	char *p = imp_alloc(a, n + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* Forget everything allocated (keeps the current buffer). */
void
imp_arena_reset(struct imp_arena *a)
{
	while (a->big != NULL) {
		struct imp_chunk *c = a->big;

		a->big = c->next;
		free(c);
	}
	a->len = 0;
}

void
imp_arena_release(struct imp_arena *a)
{
	imp_arena_reset(a);
	if (a->buf != NULL)
		free(a->buf - offsetof(struct imp_chunk, data));
	memset(a, 0, sizeof(*a));
}

static void *
pb_alloc(void *arg, size_t n)
{
	return imp_alloc(arg, n ? n : 1);
}

static void
pb_free(void *arg, void *p)
{
	(void)arg;
	(void)p;
}

/* A protobuf-c allocator on the arena: decoding costs no malloc calls. */
void
imp_arena_pb(struct imp_arena *a, ProtobufCAllocator *pa)
{
	pa->alloc = pb_alloc;
	pa->free = pb_free;
	pa->allocator_data = a;
}

/* ------------------------------------------------------------------ */
/* Item lists and strings */

/* Append one item (key and value borrowed); 0 or -1 out of memory. */
int
imp_items_add(struct imp_items *it, const char *key, const struct wbs_value *v)
{
	if (it->n == it->cap) {
		size_t		 cap = it->cap ? it->cap * 2 : 64;
		struct wbs_item	*p = realloc(it->v, cap * sizeof(*p));

		if (p == NULL)
			return -1;
		it->v = p;
		it->cap = cap;
	}
	it->v[it->n].key = key;
	it->v[it->n].v = *v;
	it->n++;
	return 0;
}

void
imp_items_release(struct imp_items *it)
{
	free(it->v);
	memset(it, 0, sizeof(*it));
}

/* Append n bytes (out of memory leaves the string as it was, marked). */
void
imp_str_add(struct imp_str *s, const char *p, size_t n)
{
	if (s->cap == SIZE_MAX)
		return;
	if (s->len + n + 1 > s->cap) {
		size_t	 cap = s->cap ? s->cap : 256;
		char	*q;

		while (cap < s->len + n + 1)
			cap *= 2;
		if ((q = realloc(s->p, cap)) == NULL) {
			s->cap = SIZE_MAX;	/* failed: callers check */
			return;
		}
		s->p = q;
		s->cap = cap;
	}
	memcpy(s->p + s->len, p, n);
	s->len += n;
	s->p[s->len] = '\0';
}

void
imp_str_adds(struct imp_str *s, const char *p)
{
	imp_str_add(s, p, strlen(p));
}

/* Append p[0..n) as a JSON string literal (UTF-8 kept as is). */
void
imp_str_json(struct imp_str *s, const char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t	run = 0;

	imp_str_add(s, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char	c = (unsigned char)p[i];
		char		e[6];

		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
			continue;
		imp_str_add(s, p + run, i - run);
		run = i + 1;
		e[0] = '\\';
		if (c == '"' || c == '\\') {
			e[1] = (char)c;
			imp_str_add(s, e, 2);
		} else if (c == '\n') {
			imp_str_add(s, "\\n", 2);
		} else if (c == '\t') {
			imp_str_add(s, "\\t", 2);
		} else if (c == '\r') {
			imp_str_add(s, "\\r", 2);
		} else {
			e[1] = 'u';
			e[2] = '0';
			e[3] = '0';
			e[4] = hex[c >> 4];
			e[5] = hex[c & 15];
			imp_str_add(s, e, 6);
		}
	}
	imp_str_add(s, p + run, n - run);
	imp_str_add(s, "\"", 1);
}

void
imp_str_release(struct imp_str *s)
{
	free(s->p);
	memset(s, 0, sizeof(*s));
}

/* A 64-bit hash of p[0..n) continuing from h (not cryptographic). */
uint64_t
imp_hash(uint64_t h, const void *p, size_t n)
{
	const unsigned char	*s = p;
	const uint64_t		 k = 0x9e3779b97f4a7c15ull;

	h ^= n * k;
	while (n >= 8) {
		uint64_t w;

		memcpy(&w, s, 8);
		h = (h ^ w) * k;
		h ^= h >> 29;
		s += 8;
		n -= 8;
	}
	if (n > 0) {
		uint64_t w = 0;

		memcpy(&w, s, n);
		h = (h ^ w) * k;
		h ^= h >> 29;
	}
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ull;
	h ^= h >> 32;
	return h;
}

/* ------------------------------------------------------------------ */
/* W&B items as key/value lists */

/* Make room for n more kv entries. */
static int
kv_reserve(struct imp *im, size_t n)
{
	if (im->nkv + n > im->kvcap) {
		size_t		 cap = im->kvcap ? im->kvcap : 64;
		struct imp_kv	*p;

		while (cap < im->nkv + n)
			cap *= 2;
		if ((p = realloc(im->kv, cap * sizeof(*p))) == NULL)
			return -1;
		im->kv = p;
		im->kvcap = cap;
	}
	return 0;
}

/*
 * Load n W&B items (HistoryItem, SummaryItem or ConfigItem: the same
 * fields with the same numbers) into im->kv, replacing what it held.
 */
int
imp_kv_load(struct imp *im, size_t n, void *const *items)
{
	im->nkv = 0;
	if (kv_reserve(im, n) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const WbsWandb__HistoryItem *h = items[i];
		struct imp_kv *kv = &im->kv[im->nkv++];

		kv->key = h->key;
		kv->nested = h->nested_key;
		kv->nnested = h->n_nested_key;
		kv->json = h->value_json;
		kv->jsonlen = strlen(h->value_json);
	}
	return 0;
}

/* Key path of kv, checked, in the arena; NULL if it cannot be a key. */
const char *
imp_kv_path(struct imp *im, const struct imp_kv *kv)
{
	size_t	 len = 0;
	char	*p, *w;

	if (kv->nnested == 0) {
		size_t n = kv->key != NULL ? strlen(kv->key) : 0;

		if (n > WBS_KEY_MAX || !imp_component(kv->key, n) ||
		    !imp_utf8(kv->key, n))
			return NULL;
		return kv->key;
	}
	for (size_t i = 0; i < kv->nnested; i++) {
		size_t n = strlen(kv->nested[i]);

		if (!imp_component(kv->nested[i], n) ||
		    !imp_utf8(kv->nested[i], n))
			return NULL;
		len += n + 1;
	}
	if (len - 1 > WBS_KEY_MAX || (p = imp_alloc(&im->a, len)) == NULL)
		return NULL;
	w = p;
	for (size_t i = 0; i < kv->nnested; i++) {
		size_t n = strlen(kv->nested[i]);

		memcpy(w, kv->nested[i], n);
		w += n;
		*w++ = WBS_SEP_CHAR;
	}
	w[-1] = '\0';
	return p;
}

/* Components [from..] of a and b compared; ties keep the input order. */
struct grp {
	const struct imp_kv	*kv;
	size_t			 idx;
};
static size_t grp_from;

static int
grp_cmp(const void *pa, const void *pb)
{
	const struct grp *a = pa, *b = pb;

	for (size_t i = grp_from;; i++) {
		int c;

		if (i == a->kv->nnested || i == b->kv->nnested) {
			if (a->kv->nnested != b->kv->nnested)
				return a->kv->nnested < b->kv->nnested ? -1 : 1;
			break;
		}
		if ((c = strcmp(a->kv->nested[i], b->kv->nested[i])) != 0)
			return c;
	}
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* The members g[0..n) (sorted) below depth d as one JSON object. */
static void
grp_json(struct imp_str *s, const struct grp *g, size_t n, size_t d)
{
	size_t i = 0;

	imp_str_add(s, "{", 1);
	while (i < n) {
		const char	*c = g[i].kv->nested[d];
		size_t		 j = i, leaf = SIZE_MAX;

		while (j < n && strcmp(g[j].kv->nested[d], c) == 0) {
			if (g[j].kv->nnested == d + 1)
				leaf = j;
			j++;
		}
		if (i > 0)
			imp_str_add(s, ",", 1);
		imp_str_json(s, c, strlen(c));
		imp_str_add(s, ":", 1);
		if (leaf != SIZE_MAX)
			imp_str_add(s, g[leaf].kv->json, g[leaf].kv->jsonlen);
		else
			grp_json(s, g + i, j - i, d + 1);
		i = j;
	}
	imp_str_add(s, "}", 1);
}

/* 1 if kv lies strictly below the first n components of p. */
static int
below(const struct imp_kv *kv, const struct imp_kv *p, size_t n)
{
	if (kv->nnested <= n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(kv->nested[i], p->nested[i]) != 0)
			return 0;
	return 1;
}

/* Regroup the leaves below one "_type" prefix; 1 if done. */
static int
regroup_one(struct imp *im, size_t at, unsigned char *gone)
{
	const struct imp_kv	*p = &im->kv[at];
	size_t			 depth = p->nnested - 1, n = 0, first = SIZE_MAX;
	struct grp		*g;
	struct imp_str		 s = { 0 };
	int			 ok = 1;

	if ((g = imp_alloc(&im->a, im->nkv * sizeof(*g))) == NULL)
		return -1;
	for (size_t j = 0; j < im->nkv; j++) {
		if (gone[j] || !below(&im->kv[j], p, depth))
			continue;
		if (!xj_valid(im->kv[j].json, im->kv[j].jsonlen, &im->a))
			ok = 0;
		if (first == SIZE_MAX)
			first = j;
		g[n].kv = &im->kv[j];
		g[n].idx = j;
		n++;
	}
	if (!ok || n == 0)
		return 0;
	grp_from = depth;
	if (n > 1)
		qsort(g, n, sizeof(*g), grp_cmp);
	grp_json(&s, g, n, depth);
	if (s.cap == SIZE_MAX || s.p == NULL) {
		imp_str_release(&s);
		return -1;
	}
	for (size_t k = 0; k < n; k++)
		gone[g[k].idx] = 1;
	gone[first] = 2;		/* replaced by the object */
	im->kv[first].nested = p->nested;
	im->kv[first].nnested = depth;
	im->kv[first].key = NULL;
	im->kv[first].json = imp_strndup(&im->a, s.p, s.len);
	im->kv[first].jsonlen = s.len;
	imp_str_release(&s);
	return im->kv[first].json != NULL ? 1 : -1;
}

/*
 * W&B's Go writer stores a media object ({"_type": "image-file", ...})
 * as one item per leaf (nested_key [..., "samples", "_type"], ...).  Put
 * such leaves back together into one JSON value at the object's path, as
 * a media value logged here directly is kept.  0, or -1 out of memory.
 */
int
imp_kv_regroup(struct imp *im)
{
	unsigned char	*gone = NULL;
	size_t		 w = 0;
	int		 any = 0, rc;

	for (size_t i = 0; i < im->nkv; i++) {
		const struct imp_kv *kv = &im->kv[i];

		if (kv->nnested < 2 ||
		    strcmp(kv->nested[kv->nnested - 1], "_type") != 0)
			continue;
		if (!any) {
			if ((gone = imp_alloc(&im->a, im->nkv)) == NULL)
				return -1;
			memset(gone, 0, im->nkv);
			any = 1;
		}
		if (gone[i])
			continue;
		if ((rc = regroup_one(im, i, gone)) < 0)
			return -1;
	}
	if (!any)
		return 0;
	for (size_t i = 0; i < im->nkv; i++)
		if (gone[i] != 1)
			im->kv[w++] = im->kv[i];
	im->nkv = w;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Summary tracker */

struct trk_slot {
	char		*key;		/* NULL: empty; trk_dead: deleted */
	uint64_t	 hash;
	uint64_t	 val;		/* fingerprint of the value */
	int		 type;
};

static char trk_dead[1];

/* A fingerprint of a value: equal values, equal prints. */
static uint64_t
fingerprint(const struct wbs_value *v)
{
	uint64_t u = 0;

	switch (v->type) {
	case WBS_DOUBLE:
		if (isnan(v->u.d))
			return 0x7ff8000000000000ull;
		memcpy(&u, &v->u.d, 8);
		return u;
	case WBS_INT:
		return (uint64_t)v->u.i;
	case WBS_BOOL:
		return (uint64_t)(v->u.b != 0);
	case WBS_NULL:
		return 0;
	default:
		return imp_hash(0, v->u.s.ptr, v->u.s.len);
	}
}

static int
trk_grow(struct trk *t)
{
	size_t		 n;
	struct trk_slot	*s;

	/* Mostly tombstones: rebuild at the same size. */
	if (t->nslots == 0)
		n = 256;
	else if (t->live * 4 < t->nslots)
		n = t->nslots;
	else
		n = t->nslots * 2;
	if ((s = calloc(n, sizeof(*s))) == NULL)
		return -1;
	for (size_t i = 0; i < t->nslots; i++) {
		struct trk_slot	*o = &t->slots[i];
		size_t		 j;

		if (o->key == NULL || o->key == trk_dead)
			continue;
		for (j = o->hash & (n - 1); s[j].key != NULL;
		    j = (j + 1) & (n - 1))
			;
		s[j] = *o;
	}
	free(t->slots);
	t->slots = s;
	t->nslots = n;
	t->used = t->live;
	return 0;
}

/* The slot of key, or the free slot where it would go. */
static struct trk_slot *
trk_find(struct trk *t, const char *key, uint64_t h)
{
	struct trk_slot	*tomb = NULL;

	for (size_t j = h & (t->nslots - 1);; j = (j + 1) & (t->nslots - 1)) {
		struct trk_slot *s = &t->slots[j];

		if (s->key == NULL)
			return tomb != NULL ? tomb : s;
		if (s->key == trk_dead) {
			if (tomb == NULL)
				tomb = s;
			continue;
		}
		if (s->hash == h && strcmp(s->key, key) == 0)
			return s;
	}
}

/* Set key to v; 1 if changed, 0 if it held v already, -1 out of memory. */
int
trk_set(struct trk *t, const char *key, const struct wbs_value *v)
{
	uint64_t	 h = imp_hash(0, key, strlen(key));
	uint64_t	 f = fingerprint(v);
	struct trk_slot	*s;

	if ((t->used + 1) * 2 > t->nslots && trk_grow(t) != 0)
		return -1;
	s = trk_find(t, key, h);
	if (s->key != NULL && s->key != trk_dead) {
		if (s->type == v->type && s->val == f)
			return 0;
		s->type = v->type;
		s->val = f;
		return 1;
	}
	if (s->key == NULL)
		t->used++;
	if ((s->key = strdup(key)) == NULL) {
		s->key = trk_dead;
		return -1;
	}
	s->hash = h;
	s->type = v->type;
	s->val = f;
	t->live++;
	return 1;
}

/* 1 if key lies strictly below path. */
static int
trk_under(const char *key, const char *path, size_t plen)
{
	return strncmp(key, path, plen) == 0 && key[plen] == WBS_SEP_CHAR;
}

/* Forget key and everything below it. */
void
trk_remove(struct trk *t, const char *key)
{
	size_t plen = strlen(key);

	for (size_t i = 0; i < t->nslots; i++) {
		struct trk_slot *s = &t->slots[i];

		if (s->key == NULL || s->key == trk_dead)
			continue;
		if (strcmp(s->key, key) == 0 || trk_under(s->key, key, plen)) {
			free(s->key);
			s->key = trk_dead;
			t->live--;
		}
	}
}

/* Call fn for each key strictly below path. */
void
trk_below(struct trk *t, const char *path,
    void (*fn)(const char *key, void *arg), void *arg)
{
	size_t plen = strlen(path);

	for (size_t i = 0; i < t->nslots; i++) {
		struct trk_slot *s = &t->slots[i];

		if (s->key != NULL && s->key != trk_dead &&
		    trk_under(s->key, path, plen))
			fn(s->key, arg);
	}
}

void
trk_release(struct trk *t)
{
	for (size_t i = 0; i < t->nslots; i++)
		if (t->slots[i].key != NULL && t->slots[i].key != trk_dead)
			free(t->slots[i].key);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}
