/*
 * tree.c - nested key trees for config and summary.
 */
#include "config.h"

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
	t->kids = NULL;
	t->nkids = t->cap = 0;
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

/* The child called name[0..len), created if create is set. */
static struct tree *
child(struct tree *t, const char *name, size_t len, int create)
{
	struct tree *c;

	for (size_t i = 0; i < t->nkids; i++)
		if (strncmp(t->kids[i]->name, name, len) == 0 &&
		    t->kids[i]->name[len] == '\0')
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
