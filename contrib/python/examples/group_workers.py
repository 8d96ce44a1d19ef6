"""Several processes, one run each, grouped with group= (the W&B docs'
way of tracking distributed training)."""

import multiprocessing as mp
import sys

import wandb


def train(rank, group):
    with wandb.init(project="group-demo", group=group, job_type="worker",
                    name=f"worker-{rank}", config={"rank": rank}) as run:
        for step in range(5):
            run.log({"loss": 1.0 / (step + 1) + rank})


if __name__ == "__main__":
    group = sys.argv[1] if len(sys.argv) > 1 else "experiment-1"
    workers = [mp.Process(target=train, args=(rank, group))
               for rank in range(3)]
    for p in workers:
        p.start()
    for p in workers:
        p.join()
    sys.exit(max(p.exitcode for p in workers))
