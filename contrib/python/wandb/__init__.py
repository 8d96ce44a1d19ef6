"""wandb, as wbstore provides it: see wbstore.compat.

Put the directory holding this package first on PYTHONPATH and
`import wandb` records runs into local wbstore journals.
"""

import sys as _sys

from wbstore.compat import *  # noqa: F401,F403
from wbstore.compat import (__all__, __version__, __getattr__,  # noqa: F401
                            _register_facade, Settings, Run)

# Import the submodule so that wandb.errors is there after import wandb
# (a plain "from . import errors" would find the __getattr__ stand-in).
from .errors import Error as _Error  # noqa: E402,F401

_register_facade(_sys.modules[__name__])
