/*
 * runs.h - finding runs: wandb directories, run directories, run ids.
 */
#ifndef WBS_RUNS_H
#define WBS_RUNS_H

#include <stddef.h>

/* The default wandb directory: $WANDB_DIR/wandb (or .wandb), else ./wandb. */
void	runs_default_dir(char *out, size_t len);

/*
 * Call fn for each run directory holding a journal under path: path
 * itself if it is a run or journal directory, else its *run-* children
 * (also inside path/wandb), sorted by name.  Returns the number found or
 * -1 if path cannot be read (errno set).
 */
typedef int runs_fn(const char *rundir, void *arg);
int	runs_each(const char *path, runs_fn *fn, void *arg);

/*
 * Resolve a RUN argument: a journal directory, a run directory, or a run
 * id looked up in the default wandb directory.  0 and out filled, or -1.
 */
int	runs_resolve(const char *arg, char *out, size_t len);

#endif /* WBS_RUNS_H */
