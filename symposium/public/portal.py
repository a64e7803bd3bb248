"""(placeholder module, filled by its area)."""

from . import bp  # noqa: F401
