/*
 * tree.c - nested key trees for config and summary.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "tree.h"

/* A new empty interior node. */
struct tree *
tree_new(void)
{
	struct tree *t = calloc(1, sizeof(*t));

	if (t == NULL)
		fatalx("out of memory");
	return t;
}

/* Drop a node's value and children (keep the node and its name). */
static void
tree_clear(struct tree *t)
{
	if (t->leaf && t->v.type >= WBS_STRING)
		free((char *)t->v.u.s.ptr);
	t->leaf = 0;
	for (size_t i = 0; i < t->nkids; i++)
		tree_free(t->kids[i]);
	free(t->kids);
	free(t->slots);
	t->kids = NULL;
	t->slots = NULL;
	t->nkids = t->cap = t->nslots = 0;
}

void
tree_free(struct tree *t)
{
	if (t == NULL)
		return;
	tree_clear(t);
	free(t->name);
	free(t);
}

/* Nodes with more children than this find them through a hash. */
#define TREE_HASH_MIN	16

/* FNV-1a hash of name[0..len). */
static size_t
name_hash(const char *name, size_t len)
{
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 1099511628211ULL;
	return (size_t)h;
}

/* Rebuild the hash of t's children, sized for at least n of them. */
static void
reindex(struct tree *t, size_t n)
{
	size_t ns = 64;

	while (ns < n * 2)
		ns *= 2;
	free(t->slots);
	if ((t->slots = calloc(ns, sizeof(*t->slots))) == NULL)
		fatalx("out of memory");
	t->nslots = ns;
	for (size_t i = 0; i < t->nkids; i++) {
		const char	*k = t->kids[i]->name;
		size_t		 h = name_hash(k, strlen(k)) & (ns - 1);

		while (t->slots[h] != 0)
			h = (h + 1) & (ns - 1);
		t->slots[h] = i + 1;
	}
}

/* Whether child c is called name[0..len). */
static int
named(const struct tree *c, const char *name, size_t len)
{
	return strncmp(c->name, name, len) == 0 && c->name[len] == '\0';
}

/* The child called name[0..len), created if create is set. */
static struct tree *
child(struct tree *t, const char *name, size_t len, int create)
{
	struct tree	*c;
	size_t		 h = 0;

	if (t->nslots != 0) {
		h = name_hash(name, len) & (t->nslots - 1);
		for (; t->slots[h] != 0; h = (h + 1) & (t->nslots - 1))
			if (named(t->kids[t->slots[h] - 1], name, len))
				return t->kids[t->slots[h] - 1];
	} else
		for (size_t i = 0; i < t->nkids; i++)
			if (named(t->kids[i], name, len))
				return t->kids[i];
	if (!create)
		return NULL;
	if (t->leaf)
		tree_clear(t);
	if (t->nkids == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 8;
		if ((t->kids = realloc(t->kids, t->cap * sizeof(*t->kids))) ==
		    NULL)
			fatalx("out of memory");
	}
	c = tree_new();
	if ((c->name = strndup(name, len)) == NULL)
		fatalx("out of memory");
	t->kids[t->nkids++] = c;
	if (t->nslots != 0 && t->nkids * 2 <= t->nslots)
		t->slots[h] = t->nkids;
	else if (t->nkids > TREE_HASH_MIN)
		reindex(t, t->nkids);
	return c;
}

/* Walk to the node of path. */
static struct tree *
walk(struct tree *t, const char *path, int create)
{
	while (t != NULL) {
		const char *sep = strchr(path, WBS_SEP_CHAR);
		size_t len = sep ? (size_t)(sep - path) : strlen(path);

		t = child(t, path, len, create);
		if (sep == NULL)
			break;
		path = sep + 1;
	}
	return t;
}

/* Set path to a copy of v (replacing any subtree there). */
void
tree_set(struct tree *root, const char *path, const struct wbs_value *v)
{
	struct tree *t = walk(root, path, 1);

	tree_clear(t);
	t->leaf = 1;
	t->v = *v;
	if (v->type >= WBS_STRING) {
		char *p = malloc(v->u.s.len + 1);

		if (p == NULL)
			fatalx("out of memory");
		memcpy(p, v->u.s.ptr, v->u.s.len);
		p[v->u.s.len] = '\0';
		t->v.u.s.ptr = p;
	}
}

/* Remove path; 0 if it was there. */
int
tree_remove(struct tree *root, const char *path)
{
	const char	*last = strrchr(path, WBS_SEP_CHAR);
	struct tree	*parent = root;
	char		*ppath;

	if (last != NULL) {
		if ((ppath = strndup(path, (size_t)(last - path))) == NULL)
			fatalx("out of memory");
		parent = walk(root, ppath, 0);
		free(ppath);
		last++;
	} else
		last = path;
	if (parent == NULL)
		return -1;
	for (size_t i = 0; i < parent->nkids; i++)
		if (strcmp(parent->kids[i]->name, last) == 0) {
			tree_free(parent->kids[i]);
			memmove(&parent->kids[i], &parent->kids[i + 1],
			    (parent->nkids - i - 1) * sizeof(*parent->kids));
			parent->nkids--;
			if (parent->nslots != 0)
				reindex(parent, parent->nkids);
			return 0;
		}
	return -1;
}

/* The node of path, or NULL. */
struct tree *
tree_get(struct tree *root, const char *path)
{
	return walk(root, path, 0);
}

/* The tree as JSON (an object unless t is a leaf). */
void
tree_json(struct buf *b, const struct tree *t)
{
	if (t->leaf) {
		json_value(b, &t->v);
		return;
	}
	buf_addc(b, '{');
	for (size_t i = 0; i < t->nkids; i++) {
		if (i > 0)
			buf_addc(b, ',');
		json_str(b, t->kids[i]->name, strlen(t->kids[i]->name));
		buf_addc(b, ':');
		tree_json(b, t->kids[i]);
	}
	buf_addc(b, '}');
}

/* Number of leaves. */
size_t
tree_count(const struct tree *t)
{
	size_t n = t->leaf ? 1 : 0;

	for (size_t i = 0; i < t->nkids; i++)
		n += tree_count(t->kids[i]);
	return n;
}
