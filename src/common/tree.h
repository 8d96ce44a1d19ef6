/*
 * tree.h - a nested key tree (config, summary) with typed leaves.
 * Paths are wbstore keys: components separated by WBS_SEP.
 */
#ifndef WBS_TREE_H
#define WBS_TREE_H

#include "buf.h"

struct tree {
	char		 *name;
	int		  leaf;
	struct wbs_value  v;		/* leaf value; string data owned */
	struct tree	**kids;
	size_t		  nkids;
	size_t		  cap;
	size_t		 *slots;	/* hash of kids by name: index + 1 */
	size_t		  nslots;	/* 0, or a power of two */
};

struct tree	*tree_new(void);
void		 tree_free(struct tree *t);
void		 tree_set(struct tree *root, const char *path,
		    const struct wbs_value *v);
int		 tree_remove(struct tree *root, const char *path);
struct tree	*tree_get(struct tree *root, const char *path);
void		 tree_json(struct buf *b, const struct tree *t);
size_t		 tree_count(const struct tree *t);

#endif /* WBS_TREE_H */
