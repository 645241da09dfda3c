"""How wrong sizer's speed predictions typically are for a machine it has not measured, per
device class: the committed output of ``make bench-unseen`` (leave one source out over the
profile corpus), ``sizer/speed/prediction_errors.json``. Shown beside every estimate for
another machine (``recommend --hardware``, ``fleet``) and beside every llama.cpp GPU pick, so
a figure is never read as more certain than it is. A class with no runs in the corpus
(OpenVINO's devices today) has no figure, and says so rather than borrowing another's.
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
            for name, value in (("decode", self.decode), ("prefill", self.prefill))
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
    data = _table()
    found = data["classes"].get(device_class)
    if not found:
        return None
    basis = (
        f"{data['split']} over {found['runs']} runs from {data['sources']} sources, "
        f"{data['measured']}; make bench-unseen"
    )
    return TypicalError(device_class, found["decode"], found["prefill"], found["runs"], basis)
