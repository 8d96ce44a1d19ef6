/*
 * opts.h - option sets (private to libwbstore).
 */
#ifndef WBS_OPTS_H
#define WBS_OPTS_H

#include "wbs-int.h"

#define WBS_OPT_LAST	WBS_OPT_SEAL_INTERVAL

struct wbs_opts {
	char		*val[WBS_OPT_LAST + 1];
	struct wbs_item	*config;
	size_t		 nconfig;
	struct wbs_errbuf eb;
};

int		 wbs_opt_check(int opt, const char *v, struct wbs_errbuf *eb)
		    WBS_INTERNAL;
const char	*wbs_opt_get(const struct wbs_opts *o, int opt) WBS_INTERNAL;
const char	*wbs_opt_env(int opt) WBS_INTERNAL;
int		 wbs_resume_parse(const char *v) WBS_INTERNAL;
int		 wbs_tags_split(const char *v, char ***tagsp, size_t *np,
		    struct wbs_errbuf *eb) WBS_INTERNAL;
int		 wbs_check_tag(const char *tag, struct wbs_errbuf *eb)
		    WBS_INTERNAL;
int		 wbs_items_dup(const struct wbs_item *items, size_t n,
		    struct wbs_item **outp) WBS_INTERNAL;
void		 wbs_items_free(struct wbs_item *items, size_t n) WBS_INTERNAL;

#endif /* WBS_OPTS_H */
