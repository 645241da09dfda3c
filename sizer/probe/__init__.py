"""Public probe facade: ``probe()`` returns a ``Hardware`` record for this machine.

Platform readers are private modules (``_linux``, ``_darwin``, ``_portable``); accelerator
readers are one module per source. All reads go through a ``SysRoot`` so that
``SIZER_SYSROOT=captured/dir`` replays a captured machine. Probing is best effort: every
reader records what it could not read in ``missing`` and what does not exist in ``absent``.
"""

from __future__ import annotations

import os

from sizer import __version__
from sizer.hardware.record import Hardware
from sizer.probe import _darwin, _linux, amdgpu, llamacpp, nvidia, openvino, power
from sizer.probe.sysroot import SysRoot

__all__ = ["Hardware", "SysRoot", "probe"]


def probe(root: str | os.PathLike[str] | SysRoot | None = None) -> Hardware:
    """Read this machine (or the captured one at ``root`` / ``$SIZER_SYSROOT``)."""
    sysroot = root if isinstance(root, SysRoot) else SysRoot.from_env(root)
    hw = Hardware(sizer_version=__version__)
    hw.source = "live" if sysroot.live else f"captured:{sysroot.root.name}"
    uname = sysroot.uname()
    hw.os = {"system": uname.system, "release": uname.release, "machine": uname.machine}
    _read_platform(sysroot, hw, uname.system, uname.machine)
    openvino.read(sysroot, hw)
    nvidia.read(sysroot, hw)
    if uname.system == "Linux":
        amdgpu.read(sysroot, hw)
        power.read(sysroot, hw)
    llamacpp.read(sysroot, hw)
    _settle_unified_memory(hw)
    return hw


def _read_platform(root: SysRoot, hw: Hardware, system: str, machine: str) -> None:
    if system == "Linux":
        _linux.read_cpu(root, hw, machine)
        _linux.read_memory(root, hw)
    elif system == "Darwin":
        values = _darwin.read_sysctl(root)
        _darwin.read_cpu(values, hw, machine)
        _darwin.read_memory(values, hw, root)
        _darwin.read_apple_gpu(values, hw)
    elif root.live:
        from sizer.probe import _portable

        _portable.read_cpu(hw, machine)
        _portable.read_memory_dynamic(hw)
    else:
        hw.note_missing("cpu", f"captured sysroot of unknown system {system or '(none)'}")
        hw.note_missing("memory", "captured sysroot of unknown system")


def _settle_unified_memory(hw: Hardware) -> None:
    """Unified when any GPU draws on system RAM (iGPU, Apple Silicon); None if unknown."""
    gpus = [a for a in hw.accelerators if a.kind == "gpu"]
    if hw.memory.unified_with_gpu is not None:
        return
    if any(g.memory_shared_with_ram for g in gpus):
        hw.memory.unified_with_gpu = True
    elif gpus and all(g.memory_shared_with_ram is False for g in gpus):
        hw.memory.unified_with_gpu = False
    elif not gpus:
        hw.memory.unified_with_gpu = False  # no GPU at all: nothing shares RAM
