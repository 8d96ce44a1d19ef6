"""The run object that wandb.init() returns (wandb.run)."""

import datetime
import enum
import glob as _glob
import os
import shutil
import tempfile

import _wbstore as _c

from .config import Config
from .console import Capture
from .convert import make_convert
from .summary import Summary
from .util import Noop, termlog, termwarn, warn_once

_POLICIES = {"live": _c.POLICY_LIVE, "now": _c.POLICY_NOW,
             "end": _c.POLICY_END}
_FIELDS = {"name": _c.FIELD_NAME, "notes": _c.FIELD_NOTES,
           "group": _c.FIELD_GROUP, "job_type": _c.FIELD_JOB_TYPE}
_SUMMARIES = {"min": _c.SUMMARY_MIN, "max": _c.SUMMARY_MAX,
              "mean": _c.SUMMARY_MEAN, "best": _c.SUMMARY_BEST,
              "last": _c.SUMMARY_LAST, "none": _c.SUMMARY_NONE,
              "first": _c.SUMMARY_FIRST, "copy": _c.SUMMARY_COPY}
_GOALS = {None: _c.GOAL_UNSET, "minimize": _c.GOAL_MINIMIZE,
          "maximize": _c.GOAL_MAXIMIZE, "min": _c.GOAL_MINIMIZE,
          "max": _c.GOAL_MAXIMIZE}


class AlertLevel(str, enum.Enum):
    INFO = "INFO"
    WARN = "WARN"
    ERROR = "ERROR"


class Metric:
    """What run.define_metric() returns."""

    def __init__(self, name, step_metric=None, step_sync=None, hidden=None,
                 summary=None, goal=None):
        self.name = name
        self.step_metric = step_metric
        self.step_sync = step_sync
        self.hidden = hidden
        self.summary = summary
        self.goal = goal

    def __repr__(self):
        return "<Metric %s>" % self.name


class Run:
    """A run recording into a local journal."""

    def __init__(self, attrs, allow_val_change=False):
        self._c = None
        self._mirror = {}
        self._attrs = attrs         # project, entity, name, notes, ...
        self._finished = False
        self._exit_code = None
        self._dropped = {}
        self._saved = []            # symlinks made by save()
        self._capture = None
        self._tmpdir = None
        self.config = Config(self, allow_val_change)
        self.summary = Summary(self)

    def _open(self, opts, config, mirror, console):
        """Open the run in the store; config is the initial config."""
        self._mirror = mirror
        self._c = _c.Run(opts, config, convert=make_convert(self),
                         warn=self._warn_item, mirror=mirror)
        self._log_c = self._c.log
        self._attrs["id"] = self._c.id
        self._attrs["run_dir"] = None if self._c.dir is None else \
            os.path.abspath(self._c.dir)
        if console and not self.disabled:
            self._capture = Capture(self)

    # -- attributes ---------------------------------------------------
    @property
    def id(self):
        return self._attrs["id"]

    @property
    def project(self):
        return self._attrs["project"]

    @property
    def entity(self):
        return self._attrs.get("entity")

    @property
    def path(self):
        return "/".join(p for p in (self.entity, self.project, self.id) if p)

    @property
    def disabled(self):
        return self._attrs["mode"] == "disabled"

    @property
    def offline(self):
        return True

    @property
    def mode(self):
        return self._attrs["mode"]

    @property
    def url(self):
        return None

    @property
    def sweep_id(self):
        return None

    @property
    def resumed(self):
        return bool(self._attrs.get("resumed"))

    @property
    def starting_step(self):
        return self._attrs.get("starting_step", 0)

    @property
    def step(self):
        """The step the next wandb.log() call goes to."""
        if self._c.closed:
            return self._attrs.get("final_step", 0)
        return self._c.step

    @property
    def start_time(self):
        return self._attrs.get("start_time")

    @property
    def dir(self):
        """The run's files directory (what gets uploaded)."""
        return self.files_dir

    @property
    def files_dir(self):
        if self.run_dir is None:
            if self._tmpdir is None:
                self._tmpdir = tempfile.mkdtemp(prefix="wandb-disabled-")
            return self._tmpdir
        return os.path.join(self.run_dir, "files")

    @property
    def run_dir(self):
        """The run directory (offline-run-..., journal inside)."""
        return self._attrs.get("run_dir")

    def _field(name):
        def get(self):
            return self._attrs.get(name)

        def set_(self, value):
            value = None if value is None else str(value)
            if self._writable(name) and \
                    self._guard(self._c.set, _FIELDS[name], value):
                self._attrs[name] = value
        return property(get, set_)

    name = _field("name")
    notes = _field("notes")
    group = _field("group")
    job_type = _field("job_type")
    del _field

    @property
    def display_name(self):
        return self.name

    @property
    def tags(self):
        return tuple(self._attrs.get("tags") or ())

    @tags.setter
    def tags(self, tags):
        if isinstance(tags, str):
            tags = [tags]
        tags = [str(t) for t in tags]
        if self._writable("tags") and self._guard(self._c.set_tags, tags):
            self._attrs["tags"] = tags

    # -- errors -------------------------------------------------------
    def _guard(self, fn, *args):
        """Call into the store; failures become warnings.  True if ok."""
        try:
            fn(*args)
            return True
        except (_c.Error, TypeError, ValueError) as e:
            self._warn_error(getattr(fn, "__name__", "call"), e)
            return False

    def _warn_error(self, what, e):
        msg = e.args[1] if isinstance(e, _c.Error) and len(e.args) > 1 \
            else str(e)
        code = e.args[0] if isinstance(e, _c.Error) else None
        if code == _c.ESTEP:
            self._drop("step lower than the current step")
            warn_once(("estep", self.id), "Tried to log to a step that is "
                      "less than the current step (%s). Steps must be "
                      "monotonically increasing, so this data will be "
                      "ignored." % msg)
            return
        self._drop(msg)
        warn_once(("err", what, msg), "%s: %s" % (what, msg))

    def _warn_item(self, msg):
        warn_once(("item", msg), str(msg))

    def _drop(self, why):
        self._dropped[why] = self._dropped.get(why, 0) + 1

    def _writable(self, what):
        if self._finished:
            warn_once(("finished", self.id, what), "Run (%s) is finished. "
                      "The call to `%s` will be ignored. Please make sure "
                      "that you are using an active run." % (self.id, what))
            return False
        return True

    # -- logging ------------------------------------------------------
    def log(self, data, step=None, commit=None, sync=None):
        """Log a row of metrics (W&B's run.log)."""
        if self._finished:
            self._writable("log")
            return
        try:
            self._log_c(data, step, commit)
        except _c.Error as e:
            self._warn_error("log", e)
        except (TypeError, ValueError) as e:
            self._log_retry(data, step, commit, e)

    def _log_retry(self, data, step, commit, e):
        """Mappings that are not dicts, and integral float steps."""
        try:
            if not isinstance(data, dict):
                if not hasattr(data, "keys"):
                    raise TypeError("wandb.log must be passed a dictionary, "
                                    "not %s" % type(data).__name__)
                data = {k: data[k] for k in data.keys()}
            if isinstance(step, float) and step.is_integer():
                step = int(step)
            self._log_c(data, step, commit)
        except _c.Error as e2:
            self._warn_error("log", e2)
        except (TypeError, ValueError) as e2:
            self._drop(str(e2))
            warn_once(("log", str(e2)), "log: %s; not logged" % e2)

    def define_metric(self, name, step_metric=None, step_sync=None,
                      hidden=None, summary=None, goal=None, overwrite=None,
                      **kwargs):
        """Define how a metric is summarised and plotted."""
        m = Metric(name, step_metric, step_sync, hidden, summary, goal)
        if not self._writable("define_metric"):
            return m
        if not isinstance(name, str) or not name:
            termwarn("define_metric: name must be a non-empty str")
            return m
        if isinstance(step_metric, Metric):
            step_metric = step_metric.name
        if step_sync is None and step_metric:
            step_sync = True
        mask = 0
        for s in (summary or "").split(","):
            s = s.strip()
            if s and s not in _SUMMARIES:
                termwarn("define_metric: unknown summary %r ignored" % s)
            elif s:
                mask |= _SUMMARIES[s]
        if goal not in _GOALS:
            termwarn("define_metric: goal must be minimize or maximize, "
                     "not %r; ignored" % (goal,))
            goal = None
        flags = ((_c.METRIC_HIDDEN if hidden else 0)
                 | (_c.METRIC_STEP_SYNC if step_sync else 0))
        glob = "*" in name
        self._guard(self._c.define_metric, None if glob else name,
                    name if glob else None, step_metric, mask,
                    _GOALS[goal], flags)
        return m

    def alert(self, title, text, level=None, wait_duration=None):
        """Record an alert (sent when the run is synced)."""
        if not self._writable("alert"):
            return
        level = AlertLevel(getattr(level, "value", level) or "INFO").value
        if isinstance(wait_duration, datetime.timedelta):
            ms = int(wait_duration.total_seconds() * 1000)
        else:
            ms = int((wait_duration or 0) * 1000)
        self._guard(self._c.alert, str(title), str(text), level, ms)

    def mark_preempting(self):
        if self._writable("mark_preempting"):
            self._guard(self._c.preempting)

    def save(self, glob_str=None, base_path=None, policy="live"):
        """Keep files with the run: copied now, or linked and copied at
        finish for policies "live" and "end"."""
        if not self._writable("save") or glob_str is None:
            return []
        if policy not in _POLICIES:
            termwarn("save: policy must be live, now or end, not %r"
                     % (policy,))
            return []
        glob_str = os.fspath(glob_str)
        if base_path is None:
            if os.path.isabs(glob_str):
                base_path = os.path.dirname(glob_str)
                warn_once("save-nofolders", "Saving files without folders. "
                          "If you want to preserve subdirectories pass "
                          "base_path to wandb.save")
            else:
                base_path = "."
        out = []
        for src in sorted(_glob.glob(glob_str, recursive=True)):
            if os.path.isfile(src):
                rel = self._save_one(src, base_path, policy)
                if rel is not None:
                    out.append(os.path.join(self.files_dir, rel))
        if not out:
            warn_once(("save-none", glob_str), "save: no files match %r"
                      % glob_str)
        return out

    def _save_one(self, src, base_path, policy):
        rel = os.path.relpath(os.path.abspath(src),
                              os.path.abspath(base_path))
        if rel.startswith(".."):
            termwarn("save: %s is outside base_path %s" % (src, base_path))
            return None
        if self.disabled:
            return rel
        if policy == "now":
            return rel if self._guard(self._c.file, rel,
                                      os.path.abspath(src),
                                      _POLICIES[policy],
                                      _c.FILE_OTHER) else None
        dst = os.path.join(self.files_dir, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.lexists(dst):
            os.unlink(dst)
        os.symlink(os.path.abspath(src), dst)
        self._saved.append(dst)
        return rel if self._guard(self._c.file, rel, None,
                                  _POLICIES[policy], _c.FILE_OTHER) \
            else None

    def _freeze_saved(self):
        """Replace save() symlinks by copies, so files/ outlives them."""
        for dst in self._saved:
            try:
                if os.path.islink(dst):
                    src = os.readlink(dst)
                    tmp = dst + ".tmp%d" % os.getpid()
                    shutil.copyfile(src, tmp)
                    os.replace(tmp, dst)
            except OSError as e:
                termwarn("save: %s: %s" % (dst, e))
        self._saved = []

    # -- ending -------------------------------------------------------
    def finish(self, exit_code=None, quiet=None):
        """End the run: record the exit code and sync the journal."""
        if self._finished:
            return
        from . import _on_finish
        if exit_code is None:
            exit_code = self._exit_code if self._exit_code is not None \
                else 0
        if self._capture is not None:
            self._capture.stop()
            self._capture = None
        self._freeze_saved()
        self._finished = True
        try:
            self._c.finish(int(exit_code))
        except (_c.Error, TypeError, ValueError) as e:
            termwarn("finish: %s" % (e.args[-1] if e.args else e))
        self._attrs["final_step"] = self._c.step
        self._c.close()
        _on_finish(self)
        if self._dropped:
            for why, n in sorted(self._dropped.items()):
                termwarn("%d call%s did not log: %s" % (n, "" if n == 1
                                                        else "s", why))
        if not quiet and not self.disabled:
            termlog("Run %s is saved locally in %s" % (self.id,
                                                       self.run_dir))

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.finish(exit_code=0 if exc_type is None else 1)
        return False

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return Noop("run." + name)

    def __repr__(self):
        return "<Run %s (%s)>" % (self.path, "finished" if self._finished
                                  else "running")
