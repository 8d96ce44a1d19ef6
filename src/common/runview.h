/*
 * runview.h - a whole run read from its journal: attributes, config and
 * summary trees, scalar series (downsampled) and record counts.
 */
#ifndef WBS_RUNVIEW_H
#define WBS_RUNVIEW_H

#include "tree.h"

#define SERIES_POINTS	64

struct series {
	char		*key;
	double		 v[SERIES_POINTS];
	size_t		 n;
	uint64_t	 stride;	/* keep one point in stride */
	uint64_t	 seen;
	double		 min;
	double		 max;
	double		 last;
};

struct runview {
	struct wbs_journal		*j;
	const struct wbs_run_info	*info;
	struct wbs_journal_stat		 st;
	struct tree			*config;
	struct tree			*summary;
	struct series			*series;
	size_t				 nseries;
	size_t				 capseries;
	size_t				*slots;		/* hash: index + 1 */
	size_t				 nslots;	/* a power of two */
	uint64_t			 counts[16];	/* by enum wbs_rec */
	uint64_t			 rows;
	int64_t				 last_step;
	int				 has_exit;
	int				 exit_code;
	int64_t				 runtime_ms;
};

int	runview_load(struct runview *rv, const char *path, char *err,
	    size_t errlen);
void	runview_release(struct runview *rv);
/* Unicode sparkline of a series into b. */
void	runview_sparkline(struct buf *b, const struct series *s);

#endif /* WBS_RUNVIEW_H */
