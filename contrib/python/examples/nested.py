"""Nested dicts, keys with "/" and ".", and non-finite values."""

import math

import wandb

with wandb.init(project="nested-demo") as run:
    for step in range(3):
        wandb.log({
            "train": {"loss": 1.0 / (step + 1), "acc": step / 3},
            "val/loss": 2.0 / (step + 1),
            "lr.schedule": 0.1,
            "layers": {"conv1": {"grad_norm": float(step)}},
            "weird": {"nan": math.nan, "inf": math.inf,
                      "neg_inf": -math.inf},
        })
    run.summary["best/val.loss"] = 2.0 / 3
