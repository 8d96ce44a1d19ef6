/*
 * arena.c - bump allocation for one request's decoded lines and keys.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "relay-int.h"

#define ARENA_BLOCK	(1u << 20)

struct arena_blk {
	struct arena_blk	*next;
	size_t			 len;
	size_t			 cap;
	char			 data[];
};

/* n bytes (8-aligned) that live until the next arena_reset(). */
void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_blk	*b = a->head;
	size_t			 cap;

	n = (n + 7) & ~(size_t)7;
	if (b != NULL && b->cap - b->len >= n) {
		void *p = b->data + b->len;

		b->len += n;
		return p;
	}
	cap = n > ARENA_BLOCK / 4 ? n : ARENA_BLOCK;
	if ((b = malloc(sizeof(*b) + cap)) == NULL)
		fatalx("out of memory (%zu bytes)", cap);
	b->cap = cap;
	b->len = n;
	/* A big block goes behind the current one, which keeps its room. */
	if (cap != ARENA_BLOCK && a->head != NULL) {
		b->next = a->head->next;
		a->head->next = b;
	} else {
		b->next = a->head;
		a->head = b;
	}
	a->total += cap;
	return b->data;
}

/* A NUL-terminated copy of [p, p + n). */
char *
arena_strndup(struct arena *a, const char *p, size_t n)
{
	char *s = arena_alloc(a, n + 1);

	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* Forget everything; keep one standard block for the next request. */
void
arena_reset(struct arena *a)
{
	struct arena_blk *b = a->head, *keep = NULL;

	while (b != NULL) {
		struct arena_blk *next = b->next;

		if (keep == NULL && b->cap == ARENA_BLOCK) {
			keep = b;
			keep->len = 0;
			keep->next = NULL;
		} else
			free(b);
		b = next;
	}
	a->head = keep;
	a->total = keep ? keep->cap : 0;
}

/* Free all blocks. */
void
arena_release(struct arena *a)
{
	arena_reset(a);
	free(a->head);
	a->head = NULL;
	a->total = 0;
}
