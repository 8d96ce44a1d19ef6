"""Reading runs back: `wbstore ls` and `wbstore show` as plain data.

    list_runs(path=None)      one dict per run (id, name, project, state,
                              steps, ...), like `wbstore ls --json`
    read_run(run)             one run: attributes, config, summary and
                              history rows, like `wbstore show --json`
    Reader(run)               record-level access (records(), history(),
                              config(), summary(), console(), info())

A run is a run directory, a journal directory, or a run id (or a name
such as latest-run) looked up in the default wandb directory
($WANDB_DIR/wandb, else ./wandb).  Values come back as Python values:
JSON documents are parsed (NaN and infinities included), nested keys
become nested dicts.
"""

import json
import os

import _wbstore as _c

SEP = _c.SEP
STATES = {0: "running", 1: "finished", 2: "failed"}


def state_name(st):
    """running, finished, failed, or crashed (running, writer gone)."""
    if st["state"] == 0 and not st["live"]:
        return "crashed"
    return STATES.get(st["state"], "unknown")


def default_dir():
    """The default wandb directory, as the CLI finds it."""
    root = os.environ.get("WANDB_DIR") or "."
    dot = os.path.join(root, ".wandb")
    if os.path.isdir(dot):
        return dot
    return os.path.join(root, "wandb")


def _is_run_dir(path):
    if os.path.exists(os.path.join(path, "data.mdb")):
        return True
    try:
        names = os.listdir(path)
    except OSError:
        return False
    return any(n.startswith("run-") and n.endswith(".wbs") and len(n) > 8
               for n in names)


def run_dirs(path=None):
    """The run directories under path (see list_runs), sorted by name."""
    path = default_dir() if path is None else os.fspath(path)
    if not os.path.isdir(path):
        raise FileNotFoundError("%s: no such directory" % path)
    if _is_run_dir(path):
        return [path]
    sub = os.path.join(path, "wandb")
    if os.path.isdir(sub) and not _is_run_dir(sub):
        return run_dirs(sub)
    out = []
    for name in sorted(os.listdir(path)):
        if not (name.startswith("run-") or name.startswith("offline-run-")):
            continue
        full = os.path.join(path, name)
        if _is_run_dir(full):
            out.append(full)
    return out


def find_run(run):
    """Resolve a RUN argument to a directory, or raise FileNotFoundError."""
    run = os.fspath(run)
    if os.path.isdir(run):
        return run
    if "/" not in run:
        wdir = default_dir()
        named = os.path.join(wdir, run)
        if os.path.isdir(named):
            return named
        found = None
        if os.path.isdir(wdir):
            for d in run_dirs(wdir):
                if os.path.isdir(os.path.join(d, "run-%s.wbs" % run)):
                    found = d       # sorted by name: the last is newest
        if found is not None:
            return found
    raise FileNotFoundError("%s: no such run or directory" % run)


def value(v):
    """A stored value as plain Python (JSON documents parsed)."""
    if isinstance(v, _c.Json):
        return json.loads(str(v))
    return v


def nest_set(tree, key, v):
    """tree[a][b] = v for the key path a SEP b (intermediates replaced)."""
    parts = key.split(SEP)
    for p in parts[:-1]:
        sub = tree.get(p)
        if not isinstance(sub, dict):
            sub = tree[p] = {}
        tree = sub
    tree[parts[-1]] = v


def nest_remove(tree, key):
    parts = key.split(SEP)
    for p in parts[:-1]:
        tree = tree.get(p)
        if not isinstance(tree, dict):
            return
    tree.pop(parts[-1], None)


class Reader:
    """A run's journal opened for reading (a context manager)."""

    def __init__(self, run):
        self.dir = find_run(run)
        self._j = _c.Journal(self.dir)

    def close(self):
        self._j.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    @property
    def path(self):
        return self._j.path

    def info(self):
        """The run's current attributes (id, project, name, tags, ...)."""
        return self._j.info()

    def stat(self):
        """State, exit code, record count, last step, size."""
        st = self._j.stat()
        st["state_name"] = state_name(st)
        return st

    def records(self, from_seq=1):
        """Every record from from_seq on, as dicts (items as pairs)."""
        self._j.seek(from_seq)
        while True:
            r = self._j.next()
            if r is None:
                return
            yield r

    def verify(self):
        """Check every record; returns how many there are."""
        return self._j.verify()

    def config(self):
        cfg = {}
        for r in self.records():
            if r["type"] == "config":
                _apply(cfg, r)
        return cfg

    def summary(self):
        """Last value of every logged key, with explicit summary updates."""
        s = {}
        for r in self.records():
            if r["type"] == "history":
                for k, v in r["items"]:
                    nest_set(s, k, value(v))
            elif r["type"] == "summary":
                _apply(s, r)
        return s

    def history(self):
        """History rows: dicts with _step, _timestamp and _runtime."""
        return list(_rows(self.records()))

    def console(self, stream=None):
        """The console output as one str (stream "stdout", "stderr")."""
        want = {None: None, "stdout": _c.STDOUT, "stderr": _c.STDERR}[stream]
        return "".join(r["text"] for r in self.records()
                       if r["type"] == "console"
                       and (want is None or r["stream"] == want))

    def metrics(self):
        return [r["metric"] for r in self.records() if r["type"] == "metric"]

    def files(self):
        return [r["file"] for r in self.records() if r["type"] == "file"]

    def alerts(self):
        return [r["alert"] for r in self.records() if r["type"] == "alert"]

    def stats(self):
        return [dict(r.get("items", ()), _timestamp=r["time_us"] / 1e6)
                for r in self.records() if r["type"] == "stats"]


def _apply(tree, r):
    for k, v in r.get("items", ()):
        nest_set(tree, k, value(v))
    for k in r.get("keys", ()):
        nest_remove(tree, k)


def _rows(records):
    """Group history records into W&B rows."""
    row, step, start, base = None, None, 0, 0
    for r in records:
        if r["type"] == "run":
            start = r["run"]["start_us"]
            base = r["run"]["runtime_base_us"]
            continue
        if r["type"] != "history":
            continue
        if row is not None and r["step"] != step:
            yield row
            row = None
        if row is None:
            row, step = {}, r["step"]
        for k, v in r["items"]:
            nest_set(row, k, value(v))
        row["_step"] = step
        row["_timestamp"] = r["time_us"] / 1e6
        row["_runtime"] = max(0, r["time_us"] - start + base) / 1e6
        if r["flags"] & 1:
            yield row
            row = None
    if row is not None:
        yield row


def _ls_entry(rundir, j):
    info, st = j.info(), j.stat()
    return {
        "id": info["id"], "name": info["name"],
        "project": info["project"], "entity": info["entity"],
        "group": info["group"], "job_type": info["job_type"],
        "tags": info["tags"], "state": state_name(st),
        "exit_code": None if st["state"] == 0 else st["exit_code"],
        "steps": st["last_step"] + 1, "records": st["records"],
        "bytes": st["bytes"], "created_us": st["created_us"],
        "updated_us": st["last_us"], "dir": rundir,
    }


def list_runs(path=None):
    """One dict per run under path (default: the default wandb dir)."""
    out = []
    for d in run_dirs(path):
        j = _c.Journal(d)
        try:
            out.append(_ls_entry(d, j))
        finally:
            j.close()
    return out


def read_run(run, history=True):
    """A whole run as plain data, like `wbstore show --json` (+ history)."""
    with Reader(run) as r:
        info, st = r.info(), r.stat()
        out = dict(info)
        out.update({
            "dir": r.dir, "state": st["state_name"],
            "exit_code": None, "runtime_s": None,
            "created_us": st["created_us"], "updated_us": st["last_us"],
            "records": st["records"], "last_step": st["last_step"],
            "bytes": st["bytes"], "config": {}, "summary": {},
        })
        rows = 0
        last = None
        recs = []
        for rec in r.records():
            t = rec["type"]
            if t == "config":
                _apply(out["config"], rec)
            elif t == "summary":
                _apply(out["summary"], rec)
            elif t == "history":
                for k, v in rec["items"]:
                    nest_set(out["summary"], k, value(v))
                if rows == 0 or rec["step"] != last:
                    rows += 1
                last = rec["step"]
            elif t == "exit":
                out["exit_code"] = rec["exit_code"]
                out["runtime_s"] = rec["runtime_ms"] / 1000.0
            if history and t in ("run", "history"):
                recs.append(rec)
        out["rows"] = rows
        if history:
            out["history"] = list(_rows(recs))
        return out
