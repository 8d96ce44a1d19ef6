"""commit=False builds a row from several calls; explicit steps too."""

import wandb

run = wandb.init(project="commit-demo")
for step in range(4):
    # Metrics computed at different places of the loop, one row per step.
    run.log({"train/loss": 1.0 / (step + 1)}, commit=False)
    run.log({"train/acc": step / 4}, commit=False)
    run.log({"lr": 0.1 * 0.5 ** step})          # commits the row

# Explicit steps: rows may be written in pieces and skip steps.
run.log({"eval/loss": 0.5}, step=10)
run.log({"eval/acc": 0.9}, step=10)
run.log({"eval/loss": 0.25, "eval/acc": 0.95}, step=20, commit=True)
run.finish()
