"""Micro-benchmarks that calibrate sizer's speed model.

Convention, not registration: every module in this package whose name does not start with
an underscore is a kernel and defines ``NAME`` (str) and
``measure(plan: KernelPlan) -> list[KernelResult]``. ``sizer probe --measure`` runs them all.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from kernels._common import KernelPlan

__all__ = ["KernelPlan", "discover"]


def discover() -> list[ModuleType]:
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
    return [importlib.import_module(f"{__name__}.{name}") for name in names]
