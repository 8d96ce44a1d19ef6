/*
 * keys.c - the set of history keys of an export (its wide columns).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export-int.h"
#include "log.h"

void
keys_init(struct keyset *ks, const char *const *fields, size_t nfields)
{
	memset(ks, 0, sizeof(*ks));
	ks->fields = fields;
	ks->nfields = nfields;
}

void
keys_release(struct keyset *ks)
{
	for (size_t i = 0; i < ks->n; i++) {
		free(ks->cols[i]->key);
		free(ks->cols[i]->name);
		free(ks->cols[i]);
	}
	free(ks->cols);
	free(ks->tab);
	free(ks->out);
	memset(ks, 0, sizeof(*ks));
}

/* FNV-1a. */
static size_t
hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

/* The column of key, or NULL. */
struct xcol *
keys_find(const struct keyset *ks, const char *key)
{
	size_t i;

	if (ks->tabsz == 0)
		return NULL;
	for (i = hash(key) & (ks->tabsz - 1); ks->tab[i] != NULL;
	    i = (i + 1) & (ks->tabsz - 1))
		if (strcmp(ks->tab[i]->key, key) == 0)
			return ks->tab[i];
	return NULL;
}

/* Double the hash table. */
static void
rehash(struct keyset *ks)
{
	size_t sz = ks->tabsz ? ks->tabsz * 2 : 64;

	free(ks->tab);
	if ((ks->tab = calloc(sz, sizeof(*ks->tab))) == NULL)
		fatalx("out of memory");
	ks->tabsz = sz;
	for (size_t k = 0; k < ks->n; k++) {
		size_t i = hash(ks->cols[k]->key) & (sz - 1);

		while (ks->tab[i] != NULL)
			i = (i + 1) & (sz - 1);
		ks->tab[i] = ks->cols[k];
	}
}

/* key with WBS_SEP shown as ".". */
void
keys_dotted(struct buf *b, const char *key)
{
	for (const char *p = key; *p != '\0'; p++)
		buf_addc(b, *p == WBS_SEP_CHAR ? '.' : *p);
}

static int
reserved(const char *key)
{
	if (strcmp(key, "_timestamp") == 0)
		return RES_TIMESTAMP;
	if (strcmp(key, "_runtime") == 0)
		return RES_RUNTIME;
	if (strcmp(key, "_step") == 0 || strcmp(key, "_run_id") == 0)
		return RES_OTHER;
	return RES_NONE;
}

/* The column of key, created if new. */
struct xcol *
keys_get(struct keyset *ks, const char *key)
{
	struct xcol	*c;
	struct buf	 b;

	if ((c = keys_find(ks, key)) != NULL)
		return c;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->key = strdup(key)) == NULL)
		fatalx("out of memory");
	buf_init(&b);
	keys_dotted(&b, key);
	buf_cstr(&b);
	c->name = b.p;
	c->id = ks->n;
	c->out = -1;
	c->reserved = reserved(key);
	c->sel = c->reserved == RES_NONE && ks->nfields == 0;
	for (size_t i = 0; i < ks->nfields && c->reserved == RES_NONE; i++)
		if (strcmp(ks->fields[i], c->name) == 0)
			c->sel = 1;
	if (ks->n == ks->cap) {
		ks->cap = ks->cap ? ks->cap * 2 : 64;
		if ((ks->cols = realloc(ks->cols, ks->cap *
		    sizeof(*ks->cols))) == NULL)
			fatalx("out of memory");
	}
	ks->cols[ks->n++] = c;
	if (ks->n * 2 > ks->tabsz)
		rehash(ks);
	else {
		size_t i = hash(key) & (ks->tabsz - 1);

		while (ks->tab[i] != NULL)
			i = (i + 1) & (ks->tabsz - 1);
		ks->tab[i] = c;
	}
	return c;
}

static int
cmp_cols(const void *a, const void *b)
{
	const struct xcol *x = *(struct xcol *const *)a;
	const struct xcol *y = *(struct xcol *const *)b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->key, y->key);
}

/* 1 if name is one of the built-in columns. */
static int
builtin(const char *name)
{
	return strcmp(name, "_step") == 0 || strcmp(name, "_timestamp") == 0 ||
	    strcmp(name, "_runtime") == 0 || strcmp(name, "_run_id") == 0;
}

/* Order the exported columns by name; check the requested fields. */
int
keys_finish(struct keyset *ks, char *err, size_t errlen)
{
	free(ks->out);
	ks->out = NULL;
	ks->nout = 0;
	if ((ks->out = calloc(ks->n + 1, sizeof(*ks->out))) == NULL)
		fatalx("out of memory");
	for (size_t i = 0; i < ks->n; i++) {
		ks->cols[i]->out = -1;
		if (ks->cols[i]->used && ks->cols[i]->sel)
			ks->out[ks->nout++] = ks->cols[i];
	}
	if (ks->nout > 1)
		qsort(ks->out, ks->nout, sizeof(*ks->out), cmp_cols);
	for (size_t i = 0; i < ks->nout; i++)
		ks->out[i]->out = (int)i;
	for (size_t f = 0; f < ks->nfields; f++) {
		int found = builtin(ks->fields[f]);

		for (size_t i = 0; i < ks->nout && !found; i++)
			found = strcmp(ks->out[i]->name, ks->fields[f]) == 0;
		if (!found) {
			snprintf(err, errlen, "unknown field \"%s\": no "
			    "selected run logged it (use dots for nesting, "
			    "as in val.loss)", ks->fields[f]);
			return -1;
		}
	}
	return 0;
}

/*
 * A file name for a column: bytes that are unsafe in file names are
 * percent-encoded ("train/loss" is "train%2Floss" unless slashes are kept;
 * kept slashes never make "", "." or ".." components).
 */
void
keys_fname(struct buf *b, const char *name, int slashes)
{
	size_t start = b->len;

	if (slashes) {
		const char *p = name;

		while (*p != '\0') {
			size_t n = strcspn(p, "/");

			if (n == 0 || (n == 1 && p[0] == '.') ||
			    (n == 2 && p[0] == '.' && p[1] == '.'))
				slashes = 0;
			p += n;
			if (*p == '/' && *++p == '\0')
				slashes = 0;
		}
	}
	for (const char *p = name; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c == '%' || c == '\\' || c == 0x7f ||
		    (c == '/' && !slashes))
			buf_printf(b, "%%%02X", c);
		else
			buf_addc(b, (char)c);
	}
	if ((b->len - start == 1 || b->len - start == 2) &&
	    strspn(b->p + start, ".") == b->len - start) {
		size_t n = b->len - start;

		b->len = start;
		for (size_t i = 0; i < n; i++)
			buf_adds(b, "%2E");
	}
}
