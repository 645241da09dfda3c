"""How wrong sizer's speed predictions typically are for a machine it has not measured, per
device class: the committed output of ``make bench-unseen`` (leave one source out over the
profile corpus), ``sizer/speed/prediction_errors.json``. Shown beside every estimate for
another machine (``recommend --hardware``, ``fleet``) and beside every llama.cpp GPU pick, so
a figure is never read as more certain than it is. OpenVINO's iGPU and NPU classes take theirs
from ``benchmarks/openvino_devices.py`` (leave one chip out over published OpenVINO runs,
``sizer/speed/openvino_efficiency.json``). A class with no runs has no figure, and says so
rather than borrowing another's.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sizer.speed.tables import packaged_table

ERRORS_FORMAT = "sizer.prediction-errors"
ERRORS_VERSION = 1


@dataclass(frozen=True)
class TypicalError:
    device_class: str  # "CPU x86", "CPU Arm", "CUDA", "Apple Metal", ...
    decode: float | None  # median |predicted/measured - 1|
    prefill: float | None
    runs: int
    basis: str  # how it was measured, in words
    prefill_name: str = "prefill"  # OpenVINO's classes measure the first token's time

    def to_dict(self) -> dict[str, Any]:
        return {
            "device_class": self.device_class,
            "decode_median_error": self.decode,
            "prefill_median_error": self.prefill,
            "runs": self.runs,
            "basis": self.basis,
        }

    def __str__(self) -> str:
        figures = ", ".join(
            f"{name} ±{value:.0%}"
            for name, value in (("decode", self.decode), (self.prefill_name, self.prefill))
            if value is not None
        )
        return f"{figures} typical for {self.device_class} ({self.basis})"


def cpu_class(hw: dict[str, Any]) -> str:
    arch = (hw.get("cpu") or {}).get("arch") or ""
    return "CPU Arm" if arch in ("aarch64", "arm64") else "CPU x86"


@cache
def _table() -> dict[str, Any]:
    return packaged_table("prediction_errors.json", ERRORS_FORMAT, ERRORS_VERSION)


def typical_error(device_class: str) -> TypicalError | None:
    """The measured error for ``device_class``; None where the corpus has no runs of it."""
    if device_class.startswith("OpenVINO "):
        return _openvino_error(device_class)
    data = _table()
    found = data["classes"].get(device_class)
    if not found:
        return None
    basis = (
        f"{data['split']} over {found['runs']} runs from {data['sources']} sources, "
        f"{data['measured']}; make bench-unseen"
    )
    return TypicalError(device_class, found["decode"], found["prefill"], found["runs"], basis)


_OPENVINO_DEVICES = {"OpenVINO iGPU": "GPU", "OpenVINO NPU": "NPU"}


def _openvino_error(device_class: str) -> TypicalError | None:
    from sizer.speed.openvino_fit import load_efficiency

    device = _OPENVINO_DEVICES.get(device_class)
    held = (load_efficiency().get(device) or {}).get("held_out") if device else None
    if not held or not held["decode"].get("n"):
        return None
    first = held["ttft"]
    return TypicalError(
        device_class,
        held["decode"]["median_abs"],
        first["median_abs"] if first.get("n") else None,
        held["decode"]["n"],
        f"leave one chip out over {held['decode']['n']} published OpenVINO runs; "
        "make bench-openvino-devices",
        prefill_name="first token",
    )
