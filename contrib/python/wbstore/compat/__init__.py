"""A wandb-compatible module that records runs with wbstore.

With contrib/python (or the installed share/wbstore/python) first on
PYTHONPATH, `import wandb` gives this module and training scripts log to
local wbstore journals unchanged:

    import wandb
    run = wandb.init(project="demo", config={"lr": 0.1})
    for step in range(100):
        wandb.log({"loss": 1 / (step + 1)})
    run.finish()

Modes offline and online both write the journal (the wbstore daemon or
`wbstore sync` uploads it); disabled writes nothing.  What the module
does not support is a no-op with one warning; logging never raises in
the training loop: bad values are skipped with a warning naming the key.
The W&B environment variables (WANDB_DIR, WANDB_PROJECT, WANDB_MODE,
WANDB_RUN_ID, WANDB_RESUME, WANDB_TAGS, ...) apply, as do WANDB_CONSOLE
(off: no console capture), WANDB_SILENT and WANDB_DISABLED.
"""

import atexit
import os
import sys
import threading

import _wbstore as _c

from . import util
from .config import Config, as_dict, load_yaml
from .media import Histogram, Image, Table
from .run import AlertLevel, Metric, Run
from .util import (CommError, ConfigError, Error, Noop, UsageError,
                   termerror, termlog, termwarn)
from .. import reader as _reader

__version__ = "0.18.7+wbstore"

__all__ = ["init", "log", "finish", "save", "define_metric", "alert",
           "mark_preempting", "login", "setup", "teardown", "Settings",
           "Image", "Histogram", "Table", "AlertLevel", "Error",
           "UsageError", "CommError", "ConfigError", "run", "config",
           "summary", "termlog", "termwarn", "termerror", "Api"]

run = None
config = Config()
summary = None

_facades = [sys.modules[__name__]]
_runs = []                  # runs not finished yet, oldest first
_lock = threading.RLock()
_hooks = {"installed": False, "exit_code": None}
_MODES = {"online": "online", "offline": "offline", "disabled": "disabled",
          "dryrun": "offline", "run": "online", "shared": "online"}
_RESUMES = {True: "auto", False: None, None: None, "allow": "allow",
            "must": "must", "never": "never", "auto": "auto"}


def _register_facade(module):
    """Keep module.run, .config, .summary, .log in step with this one."""
    if module not in _facades:
        _facades.append(module)
    _publish(run=run, config=config, summary=summary)


def _publish(**kw):
    g = globals()
    for k, v in kw.items():
        g[k] = v
        for m in _facades:
            setattr(m, k, v)


class Settings:
    """wandb.Settings: keyword settings; the ones init() reads are mode,
    console, silent, quiet, project, entity, run_id, run_name, run_notes,
    run_tags, run_group, run_job_type, root_dir, resume, fork_from,
    resume_from, allow_val_change and reinit."""

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return None

    def update(self, *args, **kwargs):
        for a in args:
            self.__dict__.update(a if isinstance(a, dict) else vars(a))
        self.__dict__.update(kwargs)

    def to_dict(self):
        return dict(self.__dict__)


def _setting(settings, *names):
    for n in names:
        v = settings.get(n)
        if v is not None:
            return v
    return None


def _env(name):
    v = os.environ.get(name)
    return v if v else None


def _truthy(v):
    return str(v).lower() in ("1", "true", "yes", "on")


def _resolve(kw, settings):
    """Arguments, then settings, then the environment."""
    s = settings
    a = {
        "project": kw["project"] or _setting(s, "project"),
        "entity": kw["entity"] or _setting(s, "entity"),
        "id": kw["id"] or _setting(s, "run_id", "id"),
        "name": kw["name"] or _setting(s, "run_name", "name"),
        "notes": kw["notes"] or _setting(s, "run_notes", "notes"),
        "group": kw["group"] or _setting(s, "run_group", "group"),
        "job_type": kw["job_type"] or _setting(s, "run_job_type",
                                               "job_type"),
        "dir": kw["dir"] or _setting(s, "root_dir", "dir"),
        "fork_from": kw["fork_from"] or _setting(s, "fork_from"),
        "resume_from": kw["resume_from"] or _setting(s, "resume_from"),
    }
    tags = kw["tags"] if kw["tags"] is not None else _setting(s, "run_tags")
    a["tags"] = None if tags is None else (
        [t.strip() for t in tags.split(",") if t.strip()]
        if isinstance(tags, str) else [str(t) for t in tags])
    resume = kw["resume"] if kw["resume"] is not None else \
        _setting(s, "resume")
    if resume not in _RESUMES:
        raise UsageError("resume must be allow, must, never, auto or a "
                         "bool, not %r" % (resume,))
    a["resume"] = _RESUMES[resume]
    mode = kw["mode"] or _setting(s, "mode") or _env("WANDB_MODE")
    if _truthy(os.environ.get("WANDB_DISABLED", "")):
        mode = "disabled"
    mode = mode or "online"
    if mode not in _MODES:
        raise UsageError("mode must be online, offline or disabled, not %r"
                         % (mode,))
    a["mode"] = _MODES[mode]
    console = _setting(s, "console") or _env("WANDB_CONSOLE") or "auto"
    a["console"] = str(console).lower() not in ("off", "false", "0")
    return a


def _env_attrs(a):
    """What the library takes from the environment, for run.name etc."""
    def pick(k, env):
        return a[k] if a[k] is not None else _env(env)
    out = {
        "project": pick("project", "WANDB_PROJECT") or "uncategorized",
        "entity": pick("entity", "WANDB_ENTITY"),
        "name": pick("name", "WANDB_NAME"),
        "notes": pick("notes", "WANDB_NOTES"),
        "group": pick("group", "WANDB_RUN_GROUP"),
        "job_type": pick("job_type", "WANDB_JOB_TYPE"),
        "mode": a["mode"],
    }
    tags = a["tags"]
    if tags is None and _env("WANDB_TAGS"):
        tags = [t.strip() for t in _env("WANDB_TAGS").split(",")
                if t.strip()]
    out["tags"] = tags or []
    return out


def _existing(root, run_id):
    """config, summary and info of a local run with this id, read before
    it is opened for writing; None if there is none."""
    if not run_id:
        return None
    wdir = os.path.join(root or _env("WANDB_DIR") or ".", "wandb")
    try:
        dirs = _reader.run_dirs(wdir) if os.path.isdir(wdir) else []
    except OSError:
        return None
    for d in reversed(dirs):
        if os.path.isdir(os.path.join(d, "run-%s.wbs" % run_id)):
            try:
                with _reader.Reader(d) as r:
                    return {"config": r.config(), "summary": r.summary(),
                            "info": r.info()}
            except (_c.Error, OSError) as e:
                termwarn("cannot read run %s before resuming it: %s"
                         % (run_id, e))
                return None
    return None


def _moment_run(moment):
    """The run of "RUN?_step=N" (resume_from names the run it rewinds)."""
    if not isinstance(moment, str) or "?" not in moment:
        return None
    return moment.split("?", 1)[0] or None


def _active_reinit(reinit):
    """What to do with a running run: a run to return, or None."""
    if run is None or run._finished:
        return None
    if reinit in (None, False, "default", "return_previous"):
        termwarn("wandb.init() called while a run is active; returning "
                 "that run (pass reinit=\"finish_previous\" for a new one)",
                 repeat=False)
        return run
    if reinit in (True, "finish_previous"):
        run.finish()
        return None
    if reinit == "create_new":
        return None
    raise UsageError("reinit must be a bool, \"default\", "
                     "\"return_previous\", \"finish_previous\" or "
                     "\"create_new\", not %r" % (reinit,))


def init(job_type=None, dir=None, config=None, project=None, entity=None,
         reinit=None, tags=None, group=None, name=None, notes=None,
         magic=None, config_exclude_keys=None, config_include_keys=None,
         anonymous=None, mode=None, allow_val_change=None, resume=None,
         force=None, tensorboard=None, sync_tensorboard=None,
         monitor_gym=None, save_code=None, id=None, fork_from=None,
         resume_from=None, settings=None, **kwargs):
    """Start a run (W&B's wandb.init) and make it wandb.run."""
    with _lock:
        return _init(dict(locals()))


def _init(kw):
    settings = kw["settings"]
    if isinstance(settings, Settings):
        settings = settings.to_dict()
    settings = dict(settings or {})
    for k in kw.pop("kwargs"):
        util.warn_once(("init-arg", k), "wandb.init(%s=...) is not "
                       "supported by wbstore; ignored" % k)
    for k in ("sync_tensorboard", "tensorboard", "monitor_gym", "magic"):
        if kw[k]:
            util.warn_once(("init-arg", k), "wandb.init(%s=...) is not "
                           "supported by wbstore; ignored" % k)
    reinit = kw["reinit"] if kw["reinit"] is not None else \
        settings.get("reinit")
    prev = _active_reinit(reinit)
    if prev is not None:
        return prev
    a = _resolve(kw, settings)
    allow = kw["allow_val_change"] if kw["allow_val_change"] is not None \
        else bool(settings.get("allow_val_change"))
    cfg = _initial_config(kw)
    attrs = _env_attrs(a)
    old = None
    if a["mode"] != "disabled" and a["resume"] != "never":
        old = _existing(a["dir"], a["id"] or _env("WANDB_RUN_ID") or
                        _moment_run(a["resume_from"]))
    mirror = {}
    if old is not None:
        for k in ("name", "notes", "group", "job_type"):
            if attrs[k] is None:
                attrs[k] = old["info"][k]
        if not attrs["tags"]:
            attrs["tags"] = old["info"]["tags"]
        attrs["resumed"] = True
        mirror.update(old["summary"])
    r = Run(attrs, allow)
    if old is not None:
        r.config._load(old["config"])
    opts = {k: a[k] for k in ("project", "entity", "id", "name", "notes",
                              "group", "job_type", "resume", "fork_from",
                              "resume_from", "mode")}
    opts["dir"] = None if a["dir"] is None else os.fspath(a["dir"])
    opts["tags"] = None if a["tags"] is None else ",".join(a["tags"])
    opts["program"] = _program()
    try:
        r._open(opts, cfg or None, mirror, a["console"])
    except _c.Error as e:
        code, msg = e.args[0], e.args[1]
        if code in (_c.EINVAL, _c.EEXIST, _c.EUTF8):
            raise UsageError(msg) from None
        raise CommError("cannot start the run: %s" % msg, e) from None
    r.config._load(cfg)
    r._attrs["starting_step"] = r._c.step
    _runs.append(r)
    _install_hooks()
    if run is None or run._finished or reinit != "create_new":
        _publish(run=r, config=r.config, summary=r.summary, log=r.log)
    if not settings.get("silent") and not settings.get("quiet") and \
            a["mode"] != "disabled":
        termlog("Run %s recording with wbstore in %s" % (r.id, r.run_dir))
    return r


def _initial_config(kw):
    """init(config=...) as a plain dict, filtered and normalised."""
    try:
        cfg = as_dict(kw["config"])
        if os.path.isfile("config-defaults.yaml"):
            cfg = dict(load_yaml("config-defaults.yaml"), **cfg)
    except (OSError, ValueError, TypeError) as e:
        raise UsageError("config: %s" % e) from None
    if kw["config_include_keys"]:
        cfg = {k: v for k, v in cfg.items()
               if k in kw["config_include_keys"]}
    if kw["config_exclude_keys"]:
        cfg = {k: v for k, v in cfg.items()
               if k not in kw["config_exclude_keys"]}
    return Config(None, True)._sanitize(cfg, True)


def _program():
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    return os.path.basename(path) if path else None


def _on_finish(r):
    """A run finished: forget it, and wandb.run with it."""
    with _lock:
        if r in _runs:
            _runs.remove(r)
        if run is r:
            nxt = _runs[-1] if _runs else None
            _publish(run=nxt,
                     config=nxt.config if nxt else Config(),
                     summary=nxt.summary if nxt else None,
                     log=nxt.log if nxt else _log)


# -- process exit -------------------------------------------------------

def _excepthook(etype, value, tb):
    _hooks["exit_code"] = 255 if issubclass(etype, KeyboardInterrupt) else 1
    _hooks["orig_excepthook"](etype, value, tb)


def _exit(code=None):
    if code is None:
        _hooks["exit_code"] = 0
    elif isinstance(code, int):
        _hooks["exit_code"] = code
    else:
        _hooks["exit_code"] = 1
    _hooks["orig_exit"](code)


def _atexit():
    code = _hooks["exit_code"]
    for r in list(_runs):
        try:
            r.finish(exit_code=code if code is not None else
                     (r._exit_code or 0))
        except Exception as e:      # exiting anyway: say why, go on
            termwarn("finishing run %s at exit: %s" % (r.id, e))


def _install_hooks():
    if _hooks["installed"]:
        return
    _hooks["installed"] = True
    _hooks["orig_excepthook"] = sys.excepthook
    _hooks["orig_exit"] = sys.exit
    sys.excepthook = _excepthook
    sys.exit = _exit
    atexit.register(_atexit)


# -- module-level calls ---------------------------------------------------

def _current(what):
    if run is None or run._finished:
        util.warn_once(("preinit", what), "You must call wandb.init() "
                       "before wandb.%s(); the call is ignored" % what)
        return None
    return run


def log(data, step=None, commit=None, sync=None):
    """wandb.log: log to wandb.run."""
    r = _current("log")
    if r is not None:
        r.log(data, step=step, commit=commit)


_log = log


def finish(exit_code=None, quiet=None):
    """wandb.finish: finish wandb.run."""
    if run is not None:
        run.finish(exit_code=exit_code, quiet=quiet)


def save(glob_str=None, base_path=None, policy="live"):
    r = _current("save")
    return r.save(glob_str, base_path, policy) if r is not None else []


def define_metric(name, step_metric=None, step_sync=None, hidden=None,
                  summary=None, goal=None, overwrite=None, **kwargs):
    r = _current("define_metric")
    if r is None:
        return Metric(name, step_metric, step_sync, hidden, summary, goal)
    return r.define_metric(name, step_metric, step_sync, hidden, summary,
                           goal, overwrite)


def alert(title, text, level=None, wait_duration=None):
    r = _current("alert")
    if r is not None:
        r.alert(title, text, level, wait_duration)


def mark_preempting():
    r = _current("mark_preempting")
    if r is not None:
        r.mark_preempting()


def login(*args, **kwargs):
    """Nothing to log in to: runs are recorded locally."""
    return True


def setup(*args, **kwargs):
    return None


def teardown(exit_code=None):
    for r in list(_runs):
        r.finish(exit_code=exit_code)


def Api(*args, **kwargs):
    return Noop("wandb.Api")


def __getattr__(name):
    if name.startswith("_"):
        raise AttributeError(name)
    return Noop("wandb." + name)
