"""wbstore - the offline-first run store, from Python.

A small Pythonic layer over libwbstore (through the _wbstore extension):

    import wbstore

    with wbstore.Run(project="demo", config={"lr": 0.1}) as run:
        for step in range(100):
            run.log({"loss": 1 / (step + 1), "val": {"acc": step / 100}})
        run.summary({"best_acc": 0.99})

    for r in wbstore.list_runs():            # like `wbstore ls`
        print(r["id"], r["state"], r["steps"])
    run = wbstore.read_run("latest-run")     # like `wbstore show`
    run["config"], run["summary"], run["history"][0]

Values: None, bool, int, float (NaN and infinities too), str, bytes and
nested dicts are stored as they are; lists, tuples and numpy values are
stored as JSON; anything else raises TypeError.  Errors of the library
raise wbstore.Error, whose .code is the libwbstore error code.

A process must not read (Reader, read_run, list_runs) a run it has open
for writing: the reader refuses with Error ELOCKED.

The wandb-compatible module is wbstore.compat; the package named wandb
beside this one re-exports it.
"""

import json as _json

import _wbstore as _c
from _wbstore import Error, Json, SEP  # noqa: F401

from .reader import Reader, list_runs, read_run, find_run  # noqa: F401

__all__ = ["Run", "Reader", "Error", "Json", "SEP", "list_runs",
           "read_run", "find_run", "library_version", "to_json"]

library_version = _c.version()

_SUMMARY_BITS = {
    "min": _c.SUMMARY_MIN, "max": _c.SUMMARY_MAX, "mean": _c.SUMMARY_MEAN,
    "best": _c.SUMMARY_BEST, "last": _c.SUMMARY_LAST,
    "none": _c.SUMMARY_NONE, "first": _c.SUMMARY_FIRST,
    "copy": _c.SUMMARY_COPY,
}
_GOALS = {None: _c.GOAL_UNSET, "minimize": _c.GOAL_MINIMIZE,
          "maximize": _c.GOAL_MAXIMIZE, "min": _c.GOAL_MINIMIZE,
          "max": _c.GOAL_MAXIMIZE}
_POLICIES = {"now": _c.POLICY_NOW, "end": _c.POLICY_END,
             "live": _c.POLICY_LIVE}
_FILE_TYPES = {"other": _c.FILE_OTHER, "wandb": _c.FILE_WANDB,
               "media": _c.FILE_MEDIA}
_STREAMS = {"stdout": _c.STDOUT, "stderr": _c.STDERR}
_FIELDS = {"name": _c.FIELD_NAME, "notes": _c.FIELD_NOTES,
           "group": _c.FIELD_GROUP, "job_type": _c.FIELD_JOB_TYPE}


def _plain(obj):
    """A JSON-friendly form of obj (numpy values, tuples, sets), or raise."""
    if hasattr(obj, "tolist") and type(obj).__module__.startswith("numpy"):
        return obj.tolist()
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    if isinstance(obj, (bytes, bytearray)):
        return bytes(obj).decode("utf-8", "replace")
    raise TypeError("value of type %s is not JSON serializable"
                    % type(obj).__name__)


def to_json(value):
    """Value as a Json document (NaN and infinities as W&B writes them)."""
    return Json(_json.dumps(value, default=_plain, allow_nan=True,
                            separators=(",", ":")))


def _strict_convert(key, value, step):
    """Convert hook of Run: sequences and numpy values become JSON."""
    if isinstance(value, (list, tuple, set, frozenset)) or (
            type(value).__module__.startswith("numpy")
            and hasattr(value, "tolist")):
        try:
            return to_json(value)
        except (TypeError, ValueError) as e:
            raise TypeError("key %r: %s" % (key.replace(SEP, "."), e))
    raise TypeError("key %r: value of type %s is not JSON serializable"
                    % (key.replace(SEP, "."), type(value).__name__))


def _opt(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _summary_mask(summary):
    if summary is None:
        return 0
    if isinstance(summary, str):
        summary = [s.strip() for s in summary.split(",") if s.strip()]
    mask = 0
    for s in summary:
        if s not in _SUMMARY_BITS:
            raise ValueError("summary %r is not one of %s"
                             % (s, ", ".join(sorted(_SUMMARY_BITS))))
        mask |= _SUMMARY_BITS[s]
    return mask


class Run:
    """A run open for writing; the options are those of wbs_run_open().

    Options left as None come from the W&B environment variables
    (WANDB_DIR, WANDB_PROJECT, WANDB_RUN_ID, ...), as in the C library.
    tags is a list (or a comma-separated str); resume is "allow", "must",
    "never", "auto" or a bool; fork_from and resume_from are
    "RUN?_step=N"; sync_interval is in milliseconds.
    """

    def __init__(self, dir=None, project=None, entity=None, id=None,
                 name=None, notes=None, group=None, job_type=None,
                 tags=None, resume=None, fork_from=None, resume_from=None,
                 mode=None, host=None, program=None, git_remote=None,
                 git_commit=None, sync_interval=None, config=None,
                 _convert=None, _warn=None, _mirror=None):
        if resume is True:
            resume = "auto"
        elif resume is False:
            resume = None
        if tags is not None and not isinstance(tags, str):
            tags = ",".join(str(t) for t in tags)
        opts = {
            "dir": None if dir is None else str(dir), "project": project,
            "entity": entity, "id": id, "name": name, "notes": notes,
            "group": group, "job_type": job_type, "tags": tags,
            "resume": resume, "fork_from": fork_from,
            "resume_from": resume_from, "mode": mode, "host": host,
            "program": program, "git_remote": git_remote,
            "git_commit": git_commit, "sync_interval": sync_interval,
        }
        opts = {k: _opt(v) for k, v in opts.items()}
        self._finished = False
        self._c = _c.Run(opts, config, convert=_convert or _strict_convert,
                         warn=_warn, mirror=_mirror)

    # -- attributes ---------------------------------------------------
    @property
    def id(self):
        return self._c.id

    @property
    def dir(self):
        """The run directory (None with mode "disabled")."""
        return self._c.dir

    @property
    def journal(self):
        return self._c.journal

    @property
    def step(self):
        """The step the next auto-stepped row gets."""
        return self._c.step

    @property
    def closed(self):
        return self._c.closed

    # -- writing ------------------------------------------------------
    def log(self, data, step=None, commit=None):
        """A history row, with W&B's step and commit semantics."""
        self._c.log(data, step, commit)

    def config(self, data):
        """Set config items; nested dicts merge key by key."""
        self._c.config(data)

    def config_remove(self, keys):
        self._c.config_remove(_keys(keys))

    def summary(self, data):
        """Set summary items explicitly."""
        self._c.summary(data)

    def summary_remove(self, keys):
        self._c.summary_remove(_keys(keys))

    def define_metric(self, name, step_metric=None, summary=None,
                      goal=None, hidden=False, step_sync=False):
        """Define a metric (a name, or a glob such as "val/*")."""
        if goal not in _GOALS:
            raise ValueError("goal %r is not minimize or maximize" % goal)
        flags = ((_c.METRIC_HIDDEN if hidden else 0)
                 | (_c.METRIC_STEP_SYNC if step_sync else 0))
        glob = "*" in name
        self._c.define_metric(None if glob else name,
                              name if glob else None, step_metric,
                              _summary_mask(summary), _GOALS[goal], flags)

    def set(self, **fields):
        """Change name, notes, group or job_type."""
        for k, v in fields.items():
            if k not in _FIELDS:
                raise ValueError("cannot set %r: one of %s"
                                 % (k, ", ".join(_FIELDS)))
            self._c.set(_FIELDS[k], None if v is None else str(v))

    def set_tags(self, tags):
        self._c.set_tags([str(t) for t in tags])

    def console(self, text, stream="stdout"):
        """A raw console chunk (str or bytes)."""
        self._c.console(_STREAMS[stream], text)

    def stats(self, data):
        """A system stats sample such as {"cpu": 12.5}."""
        self._c.stats(data)

    def file(self, path, src=None, policy="now", type="other"):
        """Register files/PATH for upload, copying SRC there first."""
        self._c.file(path, None if src is None else str(src),
                     _POLICIES[policy], _FILE_TYPES[type])

    def alert(self, title, text, level="INFO", wait_ms=0):
        self._c.alert(title, text, level, int(wait_ms))

    def preempting(self):
        self._c.preempting()

    def finish(self, exit_code=0):
        """Commit the open row, record the exit code, sync to disk."""
        self._c.finish(int(exit_code))
        self._finished = True

    @property
    def finished(self):
        return self._finished

    def close(self):
        """Close the handle; an unfinished run stays "running"."""
        self._c.close()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if not self._c.closed:
            try:
                if not self._finished:
                    self.finish(0 if exc_type is None else 1)
            finally:
                self.close()
        return False

    def __repr__(self):
        if self._c.closed:
            return "<wbstore.Run (closed)>"
        return "<wbstore.Run %s in %s>" % (self.id, self.dir)


def _keys(keys):
    """Key paths for removal: "a" or ("a", "b") for the nested a.b."""
    if isinstance(keys, str):
        keys = [keys]
    return [k if isinstance(k, str) else SEP.join(k) for k in keys]

