"""``sizer probe --capture DIR``: copy the raw sources the probe reads into a sysroot tree.

The result replays with ``SIZER_SYSROOT=DIR sizer probe`` and is how the fixture for this
machine was made. It copies only hardware files (no hostname, no serials: on Arm boards
/proc/cpuinfo may carry a "Serial" line, which is dropped).
"""

from __future__ import annotations

import platform
import re
import shutil
import subprocess
from pathlib import Path

from sizer.probe.cpulist import parse_cpu_list
from sizer.probe.sysroot import CAPTURES_DIR

CPU_FILES = (
    "topology/core_id",
    "topology/physical_package_id",
    "cpufreq/cpuinfo_max_freq",
    "cpufreq/base_frequency",
)
CACHE_FILES = ("level", "type", "size", "shared_cpu_list")
DRM_FILES = (
    "vendor",
    "device",
    "mem_info_vram_total",
    "mem_info_vram_used",
    "mem_info_gtt_total",
    "product_name",
)
_PRIVATE_LINES = re.compile(r"^(Serial|Hardware serial)\s*:.*$\n?", re.MULTILINE)


def capture_live(dest: Path) -> list[Path]:
    dest.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for rel in _source_files():
        written += _copy(Path("/") / rel, dest / rel)
    written += _write_commands(dest / CAPTURES_DIR)
    return written


def _source_files() -> list[str]:
    files = [
        "proc/cpuinfo",
        "proc/meminfo",
        "sys/devices/system/cpu/online",
        "sys/devices/cpu_core/cpus",
        "sys/devices/cpu_atom/cpus",
    ]
    online = parse_cpu_list(_read("/sys/devices/system/cpu/online")) or []
    for n in online:
        base = f"sys/devices/system/cpu/cpu{n}"
        files += [f"{base}/{name}" for name in CPU_FILES]
        for index in sorted(Path(f"/{base}/cache").glob("index*")):
            files += [f"{base}/cache/{index.name}/{name}" for name in CACHE_FILES]
    for card in sorted(Path("/sys/class/drm").glob("card[0-9]*")):
        if "-" not in card.name:
            files += [f"sys/class/drm/{card.name}/device/{name}" for name in DRM_FILES]
    for supply in sorted(Path("/sys/class/power_supply").glob("*")):  # mains or battery
        files += [f"sys/class/power_supply/{supply.name}/{n}" for n in ("type", "online", "status")]
    return files


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text()
    except OSError:
        return None


def _copy(src: Path, dst: Path) -> list[Path]:
    text = _read(str(src))
    if text is None:
        return []
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(_PRIVATE_LINES.sub("", text))
    return [dst]


def _write_commands(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    info = platform.uname()
    outputs = {"uname.txt": f"{info.system} {info.release} {info.machine}\n"}
    outputs.update(_openvino_outputs())
    for name, argv in (
        ("nvidia-smi-q.txt", ["nvidia-smi", "-q"]),
        ("sysctl.txt", ["sysctl", "-a"]),
    ):
        text = _run(argv)
        if text:
            outputs[name] = _strip_identifiers(text)
    for name, text in outputs.items():
        (out / name).write_text(text)
    return [out / name for name in outputs]


def _openvino_outputs() -> dict[str, str]:
    from sizer.probe import openvino

    try:
        version, devices, _ = openvino.query_live()
    except Exception:  # absent or broken OpenVINO: nothing to capture
        return {}
    return {
        openvino.CAPTURE_NAME: openvino.format_hello_query_device(devices),
        "openvino_version.txt": version + "\n",
    }


def _run(argv: list[str]) -> str | None:
    if shutil.which(argv[0]) is None:
        return None
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _strip_identifiers(text: str) -> str:
    """Serial numbers and UUIDs identify a machine; they are not needed for sizing."""
    pattern = r"^(\s*(Serial Number|GPU UUID|Board ID|kern\.hostname|kern\.uuid)[^:]*:).*$"
    return re.sub(pattern, r"\1 [removed]", text, flags=re.MULTILINE)
