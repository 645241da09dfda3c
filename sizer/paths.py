"""Where sizer keeps its files, from one place. Every location can be redirected (tests,
CI, a shared results folder) by an environment variable; none depends on the working
directory, so every command counts the same measurements wherever it is started.

- ``SIZER_HOME``: the cache and data root (default ``$XDG_CACHE_HOME/sizer``, else
  ``~/.cache/sizer``): calibration, models fetched for tests, shape-only files, profiles.
- ``SIZER_RESULTS``: run results, ``sizer bench``'s default ``--out`` folder and what
  ``recommend``, ``report`` and ``profile export`` read by default
  (default ``$SIZER_HOME/results``).
"""

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


def results_dir() -> Path:
    """The results folder: ``$SIZER_RESULTS``, else ``$SIZER_HOME/results``."""
    env = os.environ.get("SIZER_RESULTS")
    return Path(env).expanduser() if env else sizer_home() / "results"


def bench_results() -> Path:
    """``sizer bench``'s default ``--out``: ``bench.jsonl`` in the results folder."""
    return results_dir() / "bench.jsonl"


def write_atomically(path: Path, text: str) -> None:
    """All or nothing: a half-written file never exists under its name (the text goes to a
    file of this process's own beside it, then replaces the target in one rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
