"""wandb.config: the run's configuration, recorded as config records.

Item and attribute access, update(), setdefaults(), nested dicts.  As in
W&B, changing the value of an existing key raises ConfigError unless
allow_val_change=True is given (to update() or to wandb.init()); keys
lose leading dashes ("--lr" is "lr"); top-level keys are the unit of
change, so a nested dict given again replaces the old one.
"""

import math
import os

from .convert import config_value
from .util import ConfigError, termwarn, warn_once
from . import yamlmini


def _same(a, b):
    """a == b as W&B compares config values (NaN equals NaN here)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) \
            and math.isnan(b):
        return True
    try:
        return bool(a == b)
    except Exception:
        return False


def as_dict(obj):
    """A dict of a mapping, an argparse Namespace, absl flags or an
    object with attributes; a str is a YAML file path."""
    if obj is None:
        return {}
    if isinstance(obj, dict):
        return dict(obj)
    if isinstance(obj, (str, os.PathLike)):
        return load_yaml(obj)
    if hasattr(obj, "flag_values_dict"):
        return obj.flag_values_dict()
    if hasattr(obj, "keys") and hasattr(obj, "__getitem__"):
        return {k: obj[k] for k in obj.keys()}
    if hasattr(obj, "__dict__"):
        return {k: v for k, v in vars(obj).items() if not k.startswith("_")}
    raise TypeError("config must be a dict, an argparse Namespace or a "
                    "YAML file path, not %s" % type(obj).__name__)


def load_yaml(path):
    """A config YAML file: plain mappings or W&B's {key: {value: v}}."""
    path = os.fspath(path)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        import yaml
        data = yaml.safe_load(text)
    except ImportError:
        data = yamlmini.load(text, path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError("%s: a config file must hold a mapping" % path)
    version = data.pop("wandb_version", None)
    if version not in (None, 1):
        raise ValueError("%s: unknown wandb_version %r" % (path, version))
    data.pop("_wandb", None)
    out = {}
    for k, v in data.items():
        if isinstance(v, dict) and "value" in v and \
                set(v) <= {"value", "desc"}:
            v = v["value"]
        out[str(k)] = v
    return out


class Config:
    """The config of a run (or a detached one before wandb.init())."""

    def __init__(self, run=None, allow_val_change=False):
        object.__setattr__(self, "_items", {})
        object.__setattr__(self, "_run", run)
        object.__setattr__(self, "_allow", bool(allow_val_change))

    # -- reading ------------------------------------------------------
    def __getitem__(self, key):
        return self._items[key]

    def __getattr__(self, key):
        if key.startswith("__"):
            raise AttributeError(key)
        try:
            return self._items[key]
        except KeyError:
            raise AttributeError("config has no key %r" % key) from None

    def __contains__(self, key):
        return key in self._items

    def __iter__(self):
        return iter(self._items)

    def __len__(self):
        return len(self._items)

    def keys(self):
        return self._items.keys()

    def values(self):
        return self._items.values()

    def items(self):
        return self._items.items()

    def get(self, key, default=None):
        return self._items.get(key, default)

    def as_dict(self):
        return dict(self._items)

    def __repr__(self):
        return repr(self._items)

    def __eq__(self, other):
        if isinstance(other, Config):
            return self._items == other._items
        return self._items == other

    __hash__ = None

    # -- writing ------------------------------------------------------
    def __setitem__(self, key, value):
        self.update({key: value})

    def __setattr__(self, key, value):
        if key.startswith("_"):
            object.__setattr__(self, key, value)
        else:
            self.update({key: value})

    def __delitem__(self, key):
        del self._items[key]
        if self._writable("del"):
            self._write_remove([key])

    __delattr__ = __delitem__

    def update(self, d, allow_val_change=None):
        """Set keys; a changed value needs allow_val_change."""
        allow = self._allow if allow_val_change is None else \
            allow_val_change
        items = self._sanitize(as_dict(d), allow)
        if items:
            self._set(items)

    def setdefaults(self, d):
        """Set the keys that are not set yet."""
        items = {k: v for k, v in self._sanitize(as_dict(d), True).items()
                 if k not in self._items}
        if items:
            self._set(items)

    def setdefault(self, key, default=None):
        if key not in self._items:
            self.setdefaults({key: default})
        return self._items.get(key, default)

    def persist(self):
        """Config is recorded as it changes: nothing to do."""

    def _sanitize(self, d, allow):
        out = {}
        for k, v in d.items():
            if not isinstance(k, str):
                k = str(k)
            k = k.strip("-")
            if not k:
                termwarn("config: an empty key is left out")
                continue
            v = config_value(k, v)
            if not allow and k in self._items and \
                    not _same(self._items[k], v):
                raise ConfigError(
                    'Attempted to change value of key "%s" from %s to %s\n'
                    "If you really want to do this, pass "
                    "allow_val_change=True to config.update()"
                    % (k, self._items[k], v))
            out[k] = v
        return out

    def _writable(self, what):
        run = self._run
        if run is None:
            warn_once("config-preinit", "wandb.config was changed before "
                      "wandb.init(); it is not recorded")
            return False
        if run._finished:
            warn_once(("config-finished", run.id), "Run (%s) is finished. "
                      "The config change is ignored." % run.id)
            return False
        return True

    def _set(self, items):
        if not self._writable("set"):
            self._items.update(items)
            return
        # A dict given again replaces the old one: remove it first.
        gone = [k for k, v in items.items()
                if isinstance(self._items.get(k), dict)]
        if gone:
            self._write_remove(gone)
        self._items.update(items)
        self._run._guard(self._run._c.config, items)

    def _write_remove(self, keys):
        self._run._guard(self._run._c.config_remove, list(keys))

    def _load(self, items):
        """Values already in the run (resume), not recorded again."""
        self._items.update(items)
