"""Answers that cannot change until the machine reboots or a package is reinstalled.

Asking llama.cpp for its system info starts a child process that loads the library
(about 0.2 s), and asking OpenVINO for its devices imports it and loads every plugin
(about 0.3 s with the import). Neither answer can change while the machine stays up and
the package stays the same, so each is kept in ``$SIZER_HOME/boot/<name>.json`` with the
key it was read under: the kernel's boot id (else the boot time), the package version and
the Python that asked. A different key, an unreadable file or a failed read means asking
again; only complete answers are kept.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sizer import __version__
from sizer.paths import sizer_home, write_atomically

_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def boot_id() -> str:
    """The kernel's id for this boot (Linux), else the boot time (macOS, Windows)."""
    try:
        return _BOOT_ID.read_text().strip()
    except OSError:
        import psutil

        return f"boot-time:{psutil.boot_time():.0f}"


def remembered(name: str, package_version: str | None, ask: Callable[[], Any]) -> Any:
    """``ask()``'s answer, read from the boot cache when it was asked under the same key.

    ``ask`` returns a JSON-able answer or raises; an exception passes through and
    nothing is kept, so the next call asks again.
    """
    key = {
        "boot": boot_id(),
        "package": package_version,
        "python": sys.executable,
        "sizer": __version__,
    }
    path = sizer_home() / "boot" / f"{name}.json"
    kept = _read(path)
    if kept is not None and kept.get("key") == key:
        return kept.get("answer")
    answer = ask()
    _write(path, {"key": key, "answer": answer})
    return answer


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write(path: Path, data: dict[str, Any]) -> None:
    """Best effort and atomic: a cache that cannot be written only costs time."""
    try:
        write_atomically(path, json.dumps(data))
    except OSError:
        return
