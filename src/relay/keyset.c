/*
 * keyset.c - sets of strings (item keys), open addressing, owned copies.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "relay-int.h"

/* FNV-1a over n bytes, continuing from h. */
uint64_t
hash64(const void *p, size_t n, uint64_t h)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* The slot of key: where it is, or the empty one where it would go. */
static size_t
slot(const struct keyset *ks, const char *key)
{
	size_t mask = ks->nslots - 1;
	size_t i = (size_t)hash64(key, strlen(key), HASH64_INIT) & mask;

	while (ks->slots[i] != NULL && strcmp(ks->slots[i], key) != 0)
		i = (i + 1) & mask;
	return i;
}

/* 1 if key is in the set. */
int
keyset_has(const struct keyset *ks, const char *key)
{
	if (ks->n == 0)
		return 0;
	return ks->slots[slot(ks, key)] != NULL;
}

/* Double the table. */
static void
grow(struct keyset *ks)
{
	struct keyset	nk;

	nk.nslots = ks->nslots ? ks->nslots * 2 : 64;
	nk.n = ks->n;
	if ((nk.slots = calloc(nk.nslots, sizeof(*nk.slots))) == NULL)
		fatalx("out of memory (key set)");
	for (size_t i = 0; i < ks->nslots; i++)
		if (ks->slots[i] != NULL)
			nk.slots[slot(&nk, ks->slots[i])] = ks->slots[i];
	free(ks->slots);
	*ks = nk;
}

/* Add key (copied); 1 if it was new. */
int
keyset_add(struct keyset *ks, const char *key)
{
	size_t i;

	if ((ks->n + 1) * 2 > ks->nslots)
		grow(ks);
	i = slot(ks, key);
	if (ks->slots[i] != NULL)
		return 0;
	if ((ks->slots[i] = strdup(key)) == NULL)
		fatalx("out of memory (key set)");
	ks->n++;
	return 1;
}

/* Empty the set and free its memory. */
void
keyset_clear(struct keyset *ks)
{
	for (size_t i = 0; i < ks->nslots; i++)
		free(ks->slots[i]);
	free(ks->slots);
	memset(ks, 0, sizeof(*ks));
}
