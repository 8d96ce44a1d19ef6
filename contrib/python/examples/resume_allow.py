"""resume="allow": run it twice with the same id, the second run goes on
where the first stopped.

    python3 resume_allow.py RUN_ID
"""

import sys

import wandb

run_id = sys.argv[1] if len(sys.argv) > 1 else "resume-demo"
run = wandb.init(project="resume-demo", id=run_id, resume="allow",
                 config={"lr": 0.01})
print("resumed" if run.resumed else "new run", "at step", run.step)
start = run.step
for step in range(start, start + 5):
    run.log({"loss": 1.0 / (step + 1)})
run.summary["sessions"] = run.summary.get("sessions", 0) + 1
run.finish()
