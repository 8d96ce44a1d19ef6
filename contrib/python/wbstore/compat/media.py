"""wandb.Image, wandb.Histogram and wandb.Table.

Images and tables are written under the run's files/media/ directory and
registered for upload (type MEDIA); the history value is the JSON object
W&B logs for them:

  image   {"_type": "image-file", "sha256", "size", "path", "format",
           "width", "height", "caption"?}; path
          media/images/<key>_<step>_<sha256[:20]>.<ext>
  images  a list of images: {"_type": "images/separated", "width",
          "height", "format", "count", "filenames", "captions"?}
  table   {"_type": "table-file", "sha256", "size", "path", "ncols",
          "nrows"}; the file media/table/<key>_<step>_<sha256[:20]>
          .table.json holds {"columns": [...], "data": [[...], ...]}
  histogram  inline, as W&B logs it: {"_type": "histogram",
          "values": [counts], "bins": [edges]}
"""

import hashlib
import json
import math
import os
import re

import _wbstore as _c

from . import png
from .util import warn_once, termwarn

_SAFE = re.compile(r"[^A-Za-z0-9_.\-/]")
_EXT = {"png": "png", "jpeg": "jpg", "gif": "gif", "bmp": "bmp"}


def _is_numpy(obj):
    return type(obj).__module__.split(".")[0] == "numpy"


def _is_torch(obj):
    return type(obj).__module__.split(".")[0] == "torch" and \
        hasattr(obj, "detach")


def file_stem(key, step):
    """<key>_<step> with the key made safe as a relative path."""
    parts = [p for p in _SAFE.sub("_", key.replace(_c.SEP, ".")).split("/")
             if p not in ("", ".", "..")]
    return "%s_%d" % ("/".join(parts) or "media", step)


def write_media(run, rel, data):
    """Write data to files/rel of the run (once) and register it."""
    if run.disabled:
        return
    path = os.path.join(run.files_dir, rel)
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = "%s.tmp%d" % (path, os.getpid())
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    run._c.file(rel, None, _c.POLICY_NOW, _c.FILE_MEDIA)


class Media:
    """Base of the logged media types."""

    _log_type = "media"

    def to_json_value(self, run, key, step):
        """The value to log (a _wbstore.Json), or None if unusable."""
        raise NotImplementedError


class Image(Media):
    """An image from PNG/JPEG/GIF bytes, a file path, a numpy array, a
    PIL image or a nested list of pixel values (H x W or H x W x C)."""

    _log_type = "image-file"

    def __init__(self, data_or_path=None, mode=None, caption=None,
                 grouping=None, classes=None, boxes=None, masks=None,
                 file_type=None, normalize=True, **kwargs):
        self._caption = None if caption is None else str(caption)
        self._data = None
        self._format = self.width = self.height = None
        if boxes is not None or masks is not None or classes is not None:
            warn_once("image-overlays", "wandb.Image boxes, masks and "
                      "classes are not supported by wbstore; ignored")
        try:
            self._data = self._load(data_or_path, normalize)
            info = png.sniff(self._data)
            if info is None:
                raise ValueError("not a PNG, JPEG, GIF or BMP image")
            self._format, self.width, self.height = info
        except (OSError, ValueError, TypeError) as e:
            self._data = None
            termwarn("wandb.Image: %s; the image will not be logged" % e)

    @staticmethod
    def _load(src, normalize):
        if isinstance(src, (bytes, bytearray, memoryview)):
            return bytes(src)
        if isinstance(src, (str, os.PathLike)):
            with open(src, "rb") as f:
                return f.read()
        if isinstance(src, Image):
            if src._data is None:
                raise ValueError("the source image is unusable")
            return src._data
        if _is_torch(src):
            src = src.detach().cpu().numpy()
        if _is_numpy(src):
            return png.from_array(src, normalize)
        if type(src).__module__.startswith("PIL"):
            import io
            buf = io.BytesIO()
            src.save(buf, format="PNG")
            return buf.getvalue()
        if isinstance(src, (list, tuple)):
            return png.from_nested(src, normalize)
        raise TypeError("cannot make an image of a %s" % type(src).__name__)

    @property
    def ok(self):
        return self._data is not None

    def _write(self, run, stem):
        sha = hashlib.sha256(self._data).hexdigest()
        rel = "media/images/%s_%s.%s" % (stem, sha[:20],
                                         _EXT[self._format])
        write_media(run, rel, self._data)
        return sha, rel

    def to_json_value(self, run, key, step):
        if not self.ok:
            return None
        sha, rel = self._write(run, file_stem(key, step))
        d = {"_type": "image-file", "sha256": sha, "size": len(self._data),
             "path": rel, "format": self._format, "width": self.width,
             "height": self.height}
        if self._caption is not None:
            d["caption"] = self._caption
        return _c.Json(json.dumps(d))

    @staticmethod
    def seq_to_json_value(images, run, key, step):
        """A list of images as one images/separated value."""
        images = [i for i in images if i.ok]
        if not images:
            return None
        stem = file_stem(key, step)
        names = [images[i]._write(run, "%s_%d" % (stem, i))[1]
                 for i in range(len(images))]
        d = {"_type": "images/separated",
             "width": images[0].width, "height": images[0].height,
             "format": images[0]._format, "count": len(images),
             "filenames": names}
        if any(i._caption is not None for i in images):
            d["captions"] = [i._caption or "" for i in images]
        return _c.Json(json.dumps(d))


def _histogram(values, num_bins):
    """numpy.histogram's counts and edges, in plain Python."""
    lo, hi = min(values), max(values)
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    width = (hi - lo) / num_bins
    edges = [lo + i * width for i in range(num_bins)] + [hi]
    counts = [0] * num_bins
    norm = num_bins / (hi - lo)
    for v in values:
        i = int((v - lo) * norm)
        if i >= num_bins:
            i = num_bins - 1
        if v < edges[i]:
            i -= 1
        elif i + 1 < num_bins and v >= edges[i + 1]:
            i += 1
        counts[i] += 1
    return counts, edges


class Histogram(Media):
    """A histogram of a sequence (num_bins, at most 512), or given as
    np_histogram=(counts, edges)."""

    _log_type = "histogram"
    MAX_LENGTH = 512

    def __init__(self, sequence=None, np_histogram=None, num_bins=64):
        self.histogram = self.bins = None
        try:
            if np_histogram is not None:
                counts, edges = np_histogram
                self.histogram = [_num(v) for v in _tolist(counts)]
                self.bins = [_num(v) for v in _tolist(edges)]
                if len(self.bins) != len(self.histogram) + 1:
                    raise ValueError("np_histogram needs one more edge "
                                     "than counts")
            else:
                self._compute(sequence, num_bins)
            if len(self.histogram) > self.MAX_LENGTH:
                raise ValueError("the maximum length of a histogram is %d"
                                 % self.MAX_LENGTH)
        except (TypeError, ValueError) as e:
            self.histogram = self.bins = None
            termwarn("wandb.Histogram: %s; it will not be logged" % e)

    def _compute(self, sequence, num_bins):
        num_bins = int(num_bins)
        if not 1 <= num_bins <= self.MAX_LENGTH:
            raise ValueError("num_bins must be 1 to %d" % self.MAX_LENGTH)
        if sequence is None:
            raise ValueError("give a sequence or np_histogram")
        if _is_torch(sequence):
            sequence = sequence.detach().cpu().numpy()
        vals = [float(v) for v in _flatten(_tolist(sequence))]
        finite = [v for v in vals if math.isfinite(v)]
        if len(finite) != len(vals):
            warn_once("histogram-nonfinite", "wandb.Histogram: NaN and "
                      "infinite values are left out")
        if not finite:
            raise ValueError("no finite values")
        try:
            import numpy as np
            counts, edges = np.histogram(np.asarray(finite), bins=num_bins)
            self.histogram, self.bins = counts.tolist(), edges.tolist()
        except ImportError:
            self.histogram, self.bins = _histogram(finite, num_bins)

    def to_json_value(self, run, key, step):
        if self.histogram is None:
            return None
        return _c.Json(json.dumps({"_type": "histogram",
                                   "values": self.histogram,
                                   "bins": self.bins}))


def _tolist(v):
    if hasattr(v, "tolist") and (_is_numpy(v) or _is_torch(v)):
        return v.tolist()
    return list(v)


def _flatten(v):
    for x in v:
        if isinstance(x, (list, tuple)):
            yield from _flatten(x)
        else:
            yield x


def _num(v):
    return v.item() if hasattr(v, "item") and _is_numpy(v) else v


def _cell(obj):
    """JSON default for table cells."""
    if hasattr(obj, "item") and _is_numpy(obj):
        return obj.item()
    if hasattr(obj, "tolist") and (_is_numpy(obj) or _is_torch(obj)):
        return obj.tolist()
    warn_once(("table-cell", type(obj).__name__), "wandb.Table: cells of "
              "type %s are not supported; stored as text"
              % type(obj).__name__)
    return str(obj)


class Table(Media):
    """A table of rows, stored as a .table.json file."""

    _log_type = "table-file"

    def __init__(self, columns=None, data=None, rows=None, dataframe=None,
                 dtype=None, optional=True, allow_mixed_types=False,
                 log_mode=None):
        if dataframe is not None:
            columns = [str(c) for c in dataframe.columns]
            data = dataframe.values.tolist()
        data = data if data is not None else rows
        data = [list(_tolist(r)) for r in _tolist(data)] if data is not \
            None else []
        if columns is None:
            n = len(data[0]) if data else 0
            columns = ["Column %d" % (i + 1) for i in range(n)]
        self.columns = [str(c) for c in columns]
        self.data = []
        for r in data:
            self.add_data(*r)

    def add_data(self, *row):
        if len(row) != len(self.columns):
            termwarn("wandb.Table: a row of %d values for %d columns is "
                     "left out" % (len(row), len(self.columns)))
            return
        self.data.append(list(row))

    def add_column(self, name, data, optional=False):
        data = _tolist(data)
        if self.data and len(data) != len(self.data):
            termwarn("wandb.Table: column %r has %d values for %d rows; "
                     "left out" % (name, len(data), len(self.data)))
            return
        if not self.data:
            self.data = [[] for _ in data]
        self.columns.append(str(name))
        for r, v in zip(self.data, data):
            r.append(v)

    def get_column(self, name, convert_to=None):
        i = self.columns.index(name)
        return [r[i] for r in self.data]

    def to_json_value(self, run, key, step):
        body = json.dumps({"columns": self.columns, "data": self.data},
                          default=_cell).encode("utf-8")
        sha = hashlib.sha256(body).hexdigest()
        rel = "media/table/%s_%s.table.json" % (file_stem(key, step),
                                                sha[:20])
        write_media(run, rel, body)
        return _c.Json(json.dumps({
            "_type": "table-file", "sha256": sha, "size": len(body),
            "path": rel, "ncols": len(self.columns),
            "nrows": len(self.data)}))
