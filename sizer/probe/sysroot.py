"""The seam through which every hardware read goes.

A ``SysRoot`` is either the live machine (root ``/``) or a directory of captured files laid
out like the real one (``proc/cpuinfo``, ``sys/devices/...``) plus captured command and
library outputs under ``.captures/`` (``uname.txt``, ``sysctl.txt``, ``nvidia-smi-q.txt``,
``hello_query_device.txt``). Tests and bug reports point ``SIZER_SYSROOT`` at such a
directory; nothing else in the probe touches the filesystem or runs commands directly.

Reads never raise: a missing, unreadable, binary or oversized file reads as ``None`` and
the caller records it as missing. That is what keeps a garbled tree from crashing a probe.
"""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path

# /proc and /sys files are small; anything bigger in a sysroot is not what we expect.
MAX_READ_BYTES = 4 * 1024 * 1024
CAPTURES_DIR = ".captures"


@dataclass(frozen=True)
class Uname:
    system: str  # "Linux", "Darwin", "Windows"
    release: str
    machine: str  # "x86_64", "arm64", "AMD64", "aarch64"


@dataclass(frozen=True)
class SysRoot:
    root: Path
    live: bool

    @classmethod
    def from_env(cls, root: str | os.PathLike[str] | None = None) -> SysRoot:
        chosen = root if root is not None else os.environ.get("SIZER_SYSROOT")
        if chosen:
            return cls(Path(chosen), live=False)
        return cls(Path("/"), live=True)

    def path(self, rel: str) -> Path:
        return self.root / rel.lstrip("/")

    def read_text(self, rel: str) -> str | None:
        """The file's text, or None when absent, unreadable, binary or oversized."""
        try:
            with open(self.path(rel), "rb") as handle:
                data = handle.read(MAX_READ_BYTES + 1)
        except OSError:
            return None
        if len(data) > MAX_READ_BYTES or b"\x00" in data:
            return None
        return data.decode("utf-8", errors="replace")

    def read_int(self, rel: str) -> int | None:
        text = self.read_text(rel)
        try:
            return int(text.strip(), 0) if text is not None else None
        except ValueError:
            return None

    def list_dir(self, rel: str) -> list[str]:
        try:
            return sorted(os.listdir(self.path(rel)))
        except OSError:
            return []

    def exists(self, rel: str) -> bool:
        return self.path(rel).exists()

    def capture(self, name: str) -> str | None:
        """A captured command or library output; only captured roots have them."""
        if self.live:
            return None
        return self.read_text(f"{CAPTURES_DIR}/{name}")

    def command(self, argv: list[str], capture_name: str, timeout_s: float = 10.0) -> str | None:
        """Live: run argv and return stdout (None on failure). Captured: the capture file."""
        if not self.live:
            return self.capture(capture_name)
        try:
            done = subprocess.run(
                argv, capture_output=True, text=True, timeout=timeout_s, check=False
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout if done.returncode == 0 else None

    def uname(self) -> Uname:
        if self.live:
            info = platform.uname()
            return Uname(info.system, info.release, info.machine)
        return _captured_uname(self)


_KNOWN_MACHINES = ("x86_64", "amd64", "aarch64", "arm64", "armv7l", "riscv64", "ppc64le", "i686")


def _captured_uname(root: SysRoot) -> Uname:
    """Parse ``uname -a`` (or ``uname -srm``) text; infer the system when there is none."""
    text = root.capture("uname.txt")
    tokens = text.split() if text else []
    if tokens:
        machine = next((t for t in reversed(tokens) if t.lower() in _KNOWN_MACHINES), "")
        release = tokens[2] if len(tokens) > 3 else (tokens[1] if len(tokens) > 1 else "")
        return Uname(tokens[0], release, machine)
    if root.capture("sysctl.txt") is not None:
        return Uname("Darwin", "", "")
    if root.exists("proc/cpuinfo"):
        return Uname("Linux", "", "")
    return Uname("", "", "")
