"""fork_from: a new run that branches from another one at a step, as in
the W&B docs."""

import wandb

original_run = wandb.init(project="fork-demo", name="original")
for i in range(30):
    original_run.log({"metric": i})
original_run.finish()

forked_run = wandb.init(project="fork-demo", name="forked",
                        fork_from=f"{original_run.id}?_step=20")
for i in range(20, 30):
    forked_run.log({"metric": i * 2})
forked_run.finish()
print("forked", forked_run.id, "from", original_run.id)
