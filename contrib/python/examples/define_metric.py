"""define_metric: a custom x axis and summary settings, as in the W&B
docs."""

import wandb

wandb.init(project="define-metric-demo")
# Train metrics plot against their own step.
wandb.define_metric("train/step")
wandb.define_metric("train/*", step_metric="train/step")
# Keep the best validation values in the summary.
wandb.define_metric("val/loss", summary="min")
wandb.define_metric("val/acc", summary="max", goal="maximize")

for i in range(10):
    log_dict = {
        "train/step": 2 ** i,
        "train/loss": 0.1 * i,
    }
    if i % 3 == 0:
        log_dict["val/loss"] = 1.0 / (i + 1)
        log_dict["val/acc"] = i / 10
    wandb.log(log_dict)
wandb.finish()
