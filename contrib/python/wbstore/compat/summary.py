"""run.summary: last logged values plus explicit updates.

The extension keeps a mirror dict up to date while it converts logged
rows (each leaf sets mirror[path]); explicit updates go through
summary records and the same mirror.  Reading never touches the journal
(a process must not open its own journal twice).
"""

from collections.abc import MutableMapping

import _wbstore as _c

from .util import warn_once
from ..reader import value as _plain


def _out(v):
    if isinstance(v, dict):
        return {k: _out(x) for k, x in v.items()}
    return _plain(v)


class SummarySubDict(MutableMapping):
    """A nested part of the summary; writes go to the run."""

    def __init__(self, run, path):
        object.__setattr__(self, "_run", run)
        object.__setattr__(self, "_path", tuple(path))

    def _node(self):
        node = self._run._mirror
        for p in self._path:
            node = node.get(p)
            if not isinstance(node, dict):
                return {}
        return node

    def __getitem__(self, key):
        v = self._node()[key]
        if isinstance(v, dict):
            return SummarySubDict(self._run, self._path + (key,))
        return _plain(v)

    def __getattr__(self, key):
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setitem__(self, key, value):
        self.update({key: value})

    def __setattr__(self, key, value):
        if key.startswith("_"):
            object.__setattr__(self, key, value)
        else:
            self[key] = value

    def __delitem__(self, key):
        node = self._node()
        if key not in node:
            raise KeyError(key)
        if self._writable():
            self._run._guard(self._run._c.summary_remove,
                             [_c.SEP.join(self._path + (key,))])
        node.pop(key, None)

    def __iter__(self):
        return iter(list(self._node()))

    def __len__(self):
        return len(self._node())

    def keys(self):
        return list(self._node())

    def update(self, d=None, **kw):
        """Set summary values (nested dicts merge key by key)."""
        d = dict(d or {}, **kw)
        for p in reversed(self._path):
            d = {p: d}
        if not d:
            return
        if self._writable():
            self._run._guard(self._run._c.summary, d)

    def _writable(self):
        run = self._run
        if run._finished:
            warn_once(("summary-finished", run.id), "Run (%s) is finished. "
                      "The summary change is ignored." % run.id)
            return False
        return True

    def _as_dict(self):
        return _out(self._node())

    def __repr__(self):
        return repr(self._as_dict())


class Summary(SummarySubDict):
    """run.summary."""

    def __init__(self, run):
        super().__init__(run, ())
