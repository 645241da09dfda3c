"""llama.cpp's own ``llama-bench``, built from the installed llama-cpp-python's sources.

The fidelity benchmark compares sizer's figures with llama-bench's on the same machine, the
same llama.cpp version and the same threads. llama-cpp-python's PyPI source distribution
vendors the exact llama.cpp it was built from (``vendor/llama.cpp``), so building its
``llama-bench`` target gives the reference binary without any other download. The build
uses llama-cpp-python's defaults (ggml's GGML_NATIVE=ON, Release), as its wheel does.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import tempfile
from importlib import metadata
from pathlib import Path

from sizer.errors import MeasurementError
from sizer.paths import sizer_home


def installed_version() -> str:
    return metadata.version("llama-cpp-python")


def binary_path(version: str | None = None) -> Path:
    version = version or installed_version()
    return sizer_home() / "llama-bench" / version / "build" / "bin" / "llama-bench"


def ensure_built(version: str | None = None) -> Path:
    """Path of llama-bench for this llama-cpp-python version, building it on first use."""
    version = version or installed_version()
    binary = binary_path(version)
    if binary.exists():
        return binary
    root = binary.parents[2]
    source = _fetch_source(version, root)
    build = root / "build"
    _run(
        [
            "cmake",
            "-S",
            str(source / "vendor" / "llama.cpp"),
            "-B",
            str(build),
            "-DCMAKE_BUILD_TYPE=Release",
            "-DLLAMA_CURL=OFF",
            "-DLLAMA_BUILD_TESTS=OFF",
            "-DLLAMA_BUILD_EXAMPLES=OFF",
            "-DLLAMA_BUILD_SERVER=OFF",
        ]
    )
    _run(["cmake", "--build", str(build), "--target", "llama-bench", "-j"])
    return binary


def _fetch_source(version: str, root: Path) -> Path:
    source = root / f"llama_cpp_python-{version}"
    if source.exists():
        return source
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        _run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
                "--dest",
                tmp,
                f"llama-cpp-python=={version}",
            ]
        )
        archive = next(Path(tmp).glob("llama_cpp_python-*.tar.gz"))
        with tarfile.open(archive) as tar:
            tar.extractall(root, filter="data")
    return source


def _run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise MeasurementError(f"building llama-bench failed: {' '.join(cmd[:3])}…: {tail}")


def run(binary: Path, args: list[str], timeout_s: float = 3600) -> list[dict]:
    """Run llama-bench with ``-o json`` and return its result records."""
    done = subprocess.run(
        [str(binary), *args, "-o", "json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout_s,
    )
    if done.returncode != 0:
        raise MeasurementError(f"llama-bench failed: {done.stderr.strip().splitlines()[-3:]}")
    return json.loads(done.stdout)
