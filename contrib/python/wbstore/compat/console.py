"""Console capture: sys.stdout and sys.stderr teed into console records.

Everything written still reaches the real stream first; complete lines
(and carriage-return updates such as progress bars) are then recorded.
A failure to record turns capture off with one warning; output is never
swallowed.  WANDB_CONSOLE=off (or settings console="off") disables it.
"""

import sys
import threading

import _wbstore as _c

from .util import termwarn

_MAX_PENDING = 64 * 1024


class Tee:
    """A text stream that writes through and records what it saw."""

    def __init__(self, orig, run, stream):
        self._orig = orig
        self._run = run
        self._stream = stream
        self._buf = []
        self._len = 0
        self._lock = threading.Lock()
        self._busy = False
        self.active = True

    def write(self, s):
        n = self._orig.write(s)
        if self.active and not self._busy and isinstance(s, str) and s:
            with self._lock:
                self._buf.append(s)
                self._len += len(s)
                if "\n" in s or "\r" in s or self._len > _MAX_PENDING:
                    self._drain(False)
        return n

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        self._orig.flush()

    def _drain(self, everything):
        """Record buffered text up to its last line end (or all of it)."""
        text = "".join(self._buf)
        if everything or self._len > _MAX_PENDING:
            cut = len(text)
        else:
            cut = max(text.rfind("\n"), text.rfind("\r")) + 1
        if cut <= 0:
            return
        self._buf = [text[cut:]] if cut < len(text) else []
        self._len = len(text) - cut
        self._busy = True
        try:
            self._run._c.console(self._stream, text[:cut])
        except Exception as e:
            self.active = False
            termwarn("console capture stopped: %s" % e)
        finally:
            self._busy = False

    def close_capture(self):
        """Record what is pending and stop recording."""
        with self._lock:
            if self.active:
                self._drain(True)
            self.active = False

    def __getattr__(self, name):
        return getattr(self._orig, name)


class Capture:
    """The two tees of a run and how to undo them."""

    def __init__(self, run):
        self.out = Tee(sys.stdout, run, _c.STDOUT)
        self.err = Tee(sys.stderr, run, _c.STDERR)
        sys.stdout = self.out
        sys.stderr = self.err

    def stop(self):
        for tee, name in ((self.out, "stdout"), (self.err, "stderr")):
            try:
                tee.flush()
            except (OSError, ValueError):
                pass
            tee.close_capture()
            if getattr(sys, name) is tee:
                setattr(sys, name, tee._orig)
