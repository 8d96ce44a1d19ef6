"""Config from argparse, a YAML file, and updates while the run goes on."""

import argparse
import os

import wandb

parser = argparse.ArgumentParser()
parser.add_argument("-b", "--batch-size", type=int, default=8)
parser.add_argument("--epochs", type=int, default=3)
args = parser.parse_args([])

here = os.path.dirname(os.path.abspath(__file__))
run = wandb.init(project="config-demo",
                 config=os.path.join(here, "config.yaml"))
# argparse flags (batch_size, epochs) join the config.
wandb.config.update(args)
# Attribute and item access, and nested values.
wandb.config.dropout = 0.2
wandb.config["optimizer"] = {"name": "adam", "betas": [0.9, 0.999]}
wandb.config.setdefaults({"dropout": 0.5, "seed": 42})
# Changing a value needs allow_val_change, as in W&B.
try:
    wandb.config.update({"learning_rate": 0.1})
except wandb.Error as e:
    print("refused:", str(e).splitlines()[0])
wandb.config.update({"learning_rate": 0.1}, allow_val_change=True)

for epoch in range(wandb.config.epochs):
    wandb.log({"epoch": epoch,
               "loss": 1.0 / (epoch + 1) * wandb.config.learning_rate})
run.finish()
