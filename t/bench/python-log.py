"""Benchmark body of t/bench/python (see there for usage).

Logs ROWS rows of 10 scalars (the keys and values of python-clog.c) three
ways, each timed call by call, and prints per-call figures:

  C       wbs_run_log() from the C program t/bench/python-clog
  _wbstore  the extension's lowest-level call (dict -> items -> log)
  wandb   run.log() of the wandb-compatible module

The rows are built before each timed call; the timer pair costs about
the "timer" figure, included in every per-call median.  Rows persisted
per second divide the rows found in the journal afterwards by the time
from the first call to the end of finish(): by the wall clock, and by
the CPU time of the process (all its threads; for Python this includes
building the rows), which other load on the machine does not inflate.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

import _wbstore
import wandb
import wbstore

KEYS = ["train/loss", "train/acc", "val/loss", "val/acc", "lr",
        "grad_norm", "epoch_frac", "tokens_per_sec", "gpu_mem_gb",
        "throughput"]
SDK_ROWS_PER_S = 3365       # official SDK, offline, this kind of machine
BUDGET_US = 5.0


def row(r):
    x = r * 1.000001
    return {k: x + i / 3.0 for i, k in enumerate(KEYS)}


def stats(ns):
    ns = sorted(ns)
    n = len(ns)
    return {"median_us": ns[n // 2] / 1e3, "p90_us": ns[n * 9 // 10] / 1e3,
            "p99_us": ns[n * 99 // 100] / 1e3,
            "mean_us": sum(ns) / n / 1e3}


def timed(log, rows):
    pc = time.perf_counter_ns
    ns = [0] * rows
    for r in range(rows):
        d = row(r)
        t = pc()
        log(d)
        ns[r] = pc() - t
    return ns


def persisted(path):
    with wbstore.Reader(path) as rd:
        return sum(1 for rec in rd.records() if rec["type"] == "history")


def bench_ext(tmp, rows):
    run = _wbstore.Run({"dir": tmp, "id": "pyext", "mode": "offline"})
    t0, c0 = time.perf_counter(), time.process_time()
    ns = timed(run.log, rows)
    run.finish(0)
    total, cpu = time.perf_counter() - t0, time.process_time() - c0
    path = run.dir
    run.close()
    return ns, total, cpu, persisted(path)


def bench_wandb(tmp, rows):
    run = wandb.init(dir=tmp, id="pywandb", mode="offline", project="bench",
                     settings=wandb.Settings(silent=True))
    t0, c0 = time.perf_counter(), time.process_time()
    ns = timed(run.log, rows)
    run.finish(quiet=True)
    total, cpu = time.perf_counter() - t0, time.process_time() - c0
    return ns, total, cpu, persisted(run.run_dir)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100000)
    ap.add_argument("--clog", required=True)
    args = ap.parse_args()
    rows = args.rows
    tmp = tempfile.mkdtemp(prefix="wbs-pybench-")
    try:
        out = subprocess.run([args.clog, str(rows), tmp], check=True,
                             capture_output=True, text=True).stdout
        c = dict(kv.split("=") for kv in out.split())
        c = {k: float(v) for k, v in c.items()}
        pc = time.perf_counter_ns
        timer = stats([-(pc() - pc()) for _ in range(100000)])
        ext_ns, ext_total, ext_cpu, ext_rows = bench_ext(tmp, rows)
        wb_ns, wb_total, wb_cpu, wb_rows = bench_wandb(tmp, rows)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ext, wb = stats(ext_ns), stats(wb_ns)
    print("python %s, wandb module %s (%s), %d rows of 10 scalars"
          % (sys.version.split()[0], wandb.__version__,
             os.path.dirname(os.path.dirname(wandb.__file__)), rows))
    print("load average %.2f %.2f %.2f on %d CPUs" % (os.getloadavg()
                                                     + (os.cpu_count(),)))
    print("%-20s %9s %9s %9s %9s %10s %10s" % (
        "per call", "median", "p90", "p99", "mean", "rows/s", "rows/CPU-s"))
    fmt = "%-20s %7.3fus %7.3fus %7.3fus %7.3fus %10.0f %10.0f"
    print(fmt % ("C wbs_run_log", c["median_us"], c["p90_us"],
                 c["p99_us"], c["total_s"] / rows * 1e6, c["rows_per_s"],
                 c["rows"] / c["cpu_s"]))
    print(fmt % ("_wbstore.Run.log", ext["median_us"], ext["p90_us"],
                 ext["p99_us"], ext["mean_us"], ext_rows / ext_total,
                 ext_rows / ext_cpu))
    print(fmt % ("wandb run.log", wb["median_us"], wb["p90_us"],
                 wb["p99_us"], wb["mean_us"], wb_rows / wb_total,
                 wb_rows / wb_cpu))
    print("timer pair                   %7.3fus (included above)"
          % timer["median_us"])
    print("rows persisted               C %d, _wbstore %d, wandb %d"
          % (int(c["rows"]), ext_rows, wb_rows))
    print("wandb run.log / C log        %.2fx (median per call)"
          % (wb["median_us"] / c["median_us"]))
    ok = wb["median_us"] <= BUDGET_US
    print("wandb run.log median         %.3f us (budget <= %.1f us): %s"
          % (wb["median_us"], BUDGET_US, "ok" if ok else "OVER BUDGET"))
    print("persisted rows/s vs SDK      %.0fx (wall clock), %.0fx (CPU "
          "time) the official SDK's %d rows/s (budget >= 50x)"
          % (wb_rows / wb_total / SDK_ROWS_PER_S,
             wb_rows / wb_cpu / SDK_ROWS_PER_S, SDK_ROWS_PER_S))
    if wb_rows != rows or ext_rows != rows:
        print("ERROR: rows lost", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
