"""Which llama.cpp build is installed, and what it can offload to.

``sizer probe`` must not import llama_cpp (it loads a large shared library and numpy).
We find the package without importing it, read the backend libraries it ships
(libggml-cuda.so, libggml-metal, ...) and, live, ask a child process for
``llama_supports_gpu_offload()`` and ``llama_print_system_info()``.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from sizer.hardware.record import Hardware, LlamaCppBuild
from sizer.probe.boot_cache import remembered
from sizer.probe.sysroot import SysRoot

_BACKENDS = ("cuda", "metal", "vulkan", "hip", "sycl", "opencl", "musa", "cann", "blas")
_CHILD = (
    "import json, llama_cpp as l; "
    "print(json.dumps({'gpu': bool(l.llama_supports_gpu_offload()), "
    "'info': l.llama_print_system_info().decode(errors='replace')}))"
)


def read(root: SysRoot, hw: Hardware) -> None:
    if not root.live:
        hw.note_absent("llama_cpp", "not recorded in captured sysroots")
        return
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        hw.note_absent("llama_cpp", "llama-cpp-python is not installed")
        return
    build = LlamaCppBuild(installed=True, version=_version())
    build.backends = backends_in(Path(next(iter(spec.submodule_search_locations))) / "lib")
    _ask_child(build, hw)
    hw.llama_cpp = build


def _version() -> str | None:
    try:
        return importlib.metadata.version("llama-cpp-python")
    except importlib.metadata.PackageNotFoundError:
        return None


def backends_in(lib_dir: Path) -> list[str]:
    names = [p.name.lower() for p in lib_dir.glob("*")] if lib_dir.is_dir() else []
    found = ["cpu"]
    found += [b for b in _BACKENDS if any(f"ggml-{b}" in n for n in names)]
    return found


def _ask_child(build: LlamaCppBuild, hw: Hardware) -> None:
    try:
        answer = remembered("llama_cpp", build.version, _system_info)
    except (OSError, subprocess.SubprocessError, ValueError, IndexError, KeyError) as exc:
        build.gpu_offload = any(b not in ("cpu", "blas") for b in build.backends)
        hw.note_missing("llama_cpp.system_info", f"llama_cpp failed to load: {type(exc).__name__}")
        return
    build.gpu_offload = bool(answer["gpu"])
    build.system_info = str(answer["info"]).strip()


def _system_info() -> dict[str, Any]:
    """What the library says about itself, asked in a child process (loading it here would
    put its shared library and numpy in this process); raises when the child fails."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD], capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])
