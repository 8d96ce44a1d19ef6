"""Messages, errors and stand-ins shared by the wandb-compatible module."""

import os
import sys
import threading

_lock = threading.Lock()
_seen = set()
_SEEN_MAX = 10000


class Error(Exception):
    """Base class of the errors the module raises (wandb.Error)."""

    def __init__(self, message="", context=None):
        super().__init__(message)
        self.message = message
        self.context = context


class UsageError(Error):
    """A call that cannot work as made (wandb.errors.UsageError)."""


class CommError(Error):
    """The store could not be written (wandb.errors.CommError)."""

    def __init__(self, msg="", exc=None):
        super().__init__(msg)
        self.exc = exc


class ConfigError(Error):
    """A config value changed without allow_val_change."""


def _silent():
    return os.environ.get("WANDB_SILENT", "").lower() in ("1", "true", "yes")


def _emit(prefix, msg):
    if _silent():
        return
    text = "".join("wandb: %s%s\n" % (prefix, line)
                   for line in str(msg).splitlines() or [""])
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass


def termlog(msg="", newline=True, repeat=True, prefix=True):
    """An informational line on stderr ("wandb: ...")."""
    if not repeat and not _first(("log", msg)):
        return
    _emit("", msg)


def termwarn(msg, repeat=True, **kwargs):
    """A warning line on stderr ("wandb: WARNING ...")."""
    if not repeat and not _first(("warn", msg)):
        return
    _emit("WARNING ", msg)


def termerror(msg, repeat=True, **kwargs):
    if not repeat and not _first(("error", msg)):
        return
    _emit("ERROR ", msg)


def _first(key):
    """True the first time key is seen (bounded memory)."""
    with _lock:
        if key in _seen:
            return False
        if len(_seen) >= _SEEN_MAX:
            return False
        _seen.add(key)
        return True


def warn_once(key, msg):
    """A warning printed once per key."""
    if _first(("once", key)):
        termwarn(msg)


class Noop:
    """Stands in for what the module does not support.

    Every attribute, call, item and context use gives a Noop again; the
    first use of each name prints one warning.  Iterating gives nothing.
    """

    def __init__(self, name, warn=True):
        object.__setattr__(self, "_name", name)
        if warn:
            warn_once(("noop", name), "%s is not supported by wbstore; "
                      "it does nothing" % name)

    def __call__(self, *args, **kwargs):
        return Noop(self._name + "()", False)

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return Noop("%s.%s" % (self._name, name), False)

    def __setattr__(self, name, value):
        pass

    def __getitem__(self, key):
        return Noop("%s[...]" % self._name, False)

    def __setitem__(self, key, value):
        pass

    def __iter__(self):
        return iter(())

    def __len__(self):
        return 0

    def __bool__(self):
        return False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __repr__(self):
        return "<wbstore stand-in for %s>" % self._name
