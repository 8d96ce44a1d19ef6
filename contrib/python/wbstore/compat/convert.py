"""Values the C converter does not know, made loggable as W&B does.

The extension converts None, bool, int, float, str, bytes and dicts (and
numpy scalars) itself; everything else comes here once per item:

  media (Image, Histogram, Table)   their W&B JSON, files written
  a list of Images                  images/separated
  numpy / torch arrays              1 element: the scalar; up to 32: a
                                    list; more: a 32-bin histogram
  lists, tuples, sets               a JSON array
  Enum, datetime, Decimal, ...      their value, ISO text, float
  anything else                     skipped with one warning per key
"""

import datetime
import decimal
import enum
import json

import _wbstore as _c

from .media import Histogram, Image, Media, _is_numpy, _is_torch
from .util import Noop, warn_once

SKIP = _c.SKIP


def friendly(obj):
    """json.dumps default: a JSON-friendly stand-in for obj, or raise."""
    if _is_torch(obj):
        obj = obj.detach().cpu().numpy()
    if _is_numpy(obj):
        if hasattr(obj, "tolist"):
            return obj.tolist()
    if isinstance(obj, (set, frozenset)):
        return list(obj)
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, (datetime.datetime, datetime.date, datetime.time)):
        return obj.isoformat()
    if isinstance(obj, decimal.Decimal):
        return float(obj)
    if isinstance(obj, (bytes, bytearray)):
        return bytes(obj).decode("utf-8", "replace")
    raise TypeError("value of type %s is not JSON serializable"
                    % type(obj).__name__)


def to_json(value):
    """A Json document of value (NaN and infinities as W&B writes)."""
    return _c.Json(json.dumps(value, default=friendly, allow_nan=True,
                              separators=(",", ":")))


def _display(key):
    return key.replace(_c.SEP, ".")


def _skip(key, what):
    warn_once(("skip", key, what), "key \"%s\": %s; skipped"
              % (_display(key), what))
    return SKIP


def _array(run, key, step, value):
    if _is_torch(value):
        value = value.detach().cpu().numpy()
    size = getattr(value, "size", None)
    if size == 1:
        return value.reshape(-1)[0].item()
    if size is not None and size > 32:
        h = Histogram(value, num_bins=32)
        return h.to_json_value(run, key, step) or _skip(
            key, "cannot make a histogram of this array")
    return to_json(value.tolist())


def make_convert(run):
    """The convert hook of a run: callable(key, value, step)."""

    def convert(key, value, step):
        try:
            return _convert(run, key, value, step)
        except Exception as e:      # never let logging break training
            return _skip(key, "%s: %s" % (type(e).__name__, e))

    return convert


def _convert(run, key, value, step):
    if isinstance(value, Media):
        out = value.to_json_value(run, key, step)
        return SKIP if out is None else out
    if isinstance(value, Noop):
        return SKIP
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, Image) for v in value):
            out = Image.seq_to_json_value(value, run, key, step)
            return SKIP if out is None else out
        if any(isinstance(v, Media) for v in value):
            return _skip(key, "lists of media other than images are not "
                         "supported")
        return to_json(list(value))
    if _is_numpy(value) or _is_torch(value):
        if hasattr(value, "tolist"):
            return _array(run, key, step, value)
    if isinstance(value, enum.Enum):
        return value.value
    try:
        out = friendly(value)
    except (TypeError, ValueError):
        pass
    else:
        return to_json(out) if isinstance(out, list) else out
    if type(value).__name__ == "DataFrame" and hasattr(value, "columns"):
        from .media import Table
        return Table(dataframe=value).to_json_value(run, key, step)
    return _skip(key, "value of type %s is not JSON serializable"
                 % type(value).__name__)


def config_value(key, value):
    """A config value in plain form (W&B normalises config values)."""
    if isinstance(value, dict):
        return {str(k): config_value(key, v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [config_value(key, v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return value
    if hasattr(value, "__dataclass_fields__"):
        import dataclasses
        return config_value(key, dataclasses.asdict(value))
    if type(value).__name__ == "Namespace" and hasattr(value, "__dict__"):
        return config_value(key, vars(value))
    try:
        return config_value(key, friendly(value))
    except TypeError:
        warn_once(("config", key, type(value).__name__), "config %r: value "
                  "of type %s is stored as its text" % (key,
                                                        type(value).__name__))
        return str(value)
