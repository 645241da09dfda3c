"""Where sizer keeps its files. Every location can be redirected for tests (SIZER_HOME)."""

import os
from pathlib import Path


def sizer_home() -> Path:
    """Root of sizer's own cache and data (models fetched for tests, build caches)."""
    env = os.environ.get("SIZER_HOME")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "sizer"
