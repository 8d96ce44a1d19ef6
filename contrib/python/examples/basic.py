"""The W&B quickstart: a run with a config and a metric loop.

    PYTHONPATH=<dir with the wandb package> python3 basic.py
"""

import random

import wandb

# Start a new run to track this script.
run = wandb.init(
    project="my-awesome-project",
    config={
        "learning_rate": 0.02,
        "architecture": "CNN",
        "dataset": "CIFAR-100",
        "epochs": 10,
    },
)

# Simulate training.
epochs = 10
offset = random.random() / 5
for epoch in range(2, epochs):
    acc = 1 - 2 ** -epoch - random.random() / epoch - offset
    loss = 2 ** -epoch + random.random() / epoch + offset
    print(f"epoch={epoch}, accuracy={acc}, loss={loss}")
    run.log({"acc": acc, "loss": loss})

run.finish()
