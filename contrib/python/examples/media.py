"""Images, a histogram and a table."""

import math

import wandb

run = wandb.init(project="media-demo")
for step in range(2):
    # A 16x16 RGB gradient as nested lists (a numpy array works too).
    pixels = [[[x * 16, y * 16, 128 * step] for x in range(16)]
              for y in range(16)]
    run.log({
        "sample": wandb.Image(pixels, caption=f"gradient {step}"),
        "gallery": [wandb.Image(pixels), wandb.Image(pixels[:8])],
        "weights": wandb.Histogram([math.sin(i / 10) for i in range(500)]),
    })
table = wandb.Table(columns=["id", "prediction", "score"])
for i in range(3):
    table.add_data(i, f"class-{i}", i / 3)
run.log({"predictions": table})
run.finish()
