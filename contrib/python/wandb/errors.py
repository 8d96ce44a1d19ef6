"""wandb.errors, as wbstore provides it."""

from wbstore.compat.util import (CommError, ConfigError, Error,  # noqa: F401
                                 UsageError)

__all__ = ["Error", "CommError", "UsageError", "ConfigError"]
