/*
 * yamlcfg.h - experiments files in the shape wandb2numpy users know: a
 * DEFAULT section and named experiments, each with fields, output_path,
 * project, entity, groups, job_types, runs, tags, output_data_type
 * (numpy or csv), history_samples ("all" or a number) and config /
 * summary filters (per key: values: [...] or min / max).  Settings of an
 * experiment override DEFAULT's (config and summary key by key).
 */
#ifndef WBS_EXPORT_YAMLCFG_H
#define WBS_EXPORT_YAMLCFG_H

#include <stddef.h>
#include <stdint.h>

#include "filter.h"

struct experiment {
	char		*name;
	struct filter	 filt;
	char		**fields;
	size_t		 nfields;
	char		*output_path;
	int		 format;	/* EXPORT_NPY or EXPORT_MATRIX_CSV */
	uint64_t	 samples;	/* 0: all */
};

struct expfile {
	struct experiment	*v;
	size_t			 n;
};

/*
 * Load path; with names, only those experiments (in that order; an
 * unknown name is an error).  -1 and err filled on any problem.
 */
int	yamlcfg_load(const char *path, const char *const *names,
	    size_t nnames, struct expfile *ef, char *err, size_t errlen);
void	yamlcfg_free(struct expfile *ef);

#endif /* WBS_EXPORT_YAMLCFG_H */
