"""The machine a recommendation is for: this one (probed and calibrated), or another one's
``sizer probe --json`` record (``--hardware FILE``), and its CPU speed figures."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sizer import calibrate, calibration_cache
from sizer.errors import InputError
from sizer.speed import SpeedParams, fit_params

HARDWARE_FORMAT = "sizer.hardware"
MAX_HARDWARE_FILE_BYTES = 16 << 20


def load_hardware(path: Path) -> dict[str, Any]:
    """Another machine's probe record, checked enough to rank for it."""
    try:
        if path.stat().st_size > MAX_HARDWARE_FILE_BYTES:
            raise InputError(f"--hardware {path}: over 16 MiB, not a probe record")
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"--hardware {path}: cannot read it ({exc})") from None
    except ValueError as exc:
        raise InputError(
            f"--hardware {path}: not JSON ({exc}); expected the output of 'sizer probe --json'"
        ) from None
    return check_hardware(data, path)


def check_hardware(data: Any, path: Path) -> dict[str, Any]:
    """``data`` (read from ``path``) if it is a probe record one can rank for."""
    if not isinstance(data, dict) or data.get("format") != HARDWARE_FORMAT:
        raise InputError(
            f'--hardware {path}: not a sizer hardware record (no "format": '
            f"\"{HARDWARE_FORMAT}\"); create one with 'sizer probe --json'"
        )
    if data.get("format_version") != 1:
        raise InputError(
            f"--hardware {path}: format_version {data.get('format_version')!r} "
            "is not one this sizer reads (1)"
        )
    for section in ("cpu", "memory"):
        if not isinstance(data.get(section), dict):
            raise InputError(f"--hardware {path}: the {section!r} section is missing or malformed")
    if not isinstance(data.get("accelerators", []), list):
        raise InputError(f"--hardware {path}: 'accelerators' must be a list")
    total_ram(data, str(path))  # fails here, with the file's name, rather than later
    return data


def total_ram(hw: dict[str, Any], where: str = "this machine") -> int:
    """Installed RAM; where the record could not read it, the largest shared-memory
    accelerator's view of it (an iGPU sees nearly all of RAM) — or a clear error."""
    total = (hw.get("memory") or {}).get("total_bytes")
    if isinstance(total, int) and total > 0:
        return total
    shared = [
        a.get("memory_total_bytes")
        for a in hw.get("accelerators") or []
        if isinstance(a, dict) and a.get("memory_shared_with_ram")
    ]
    shared = [s for s in shared if isinstance(s, int) and s > 0]
    if shared:
        return max(shared)
    raise InputError(
        f"{where}: the hardware record has no memory size; run 'sizer probe --json' there again"
    )


def threads_for(hw: dict[str, Any]) -> int:
    """llama.cpp's best thread count, as ``sizer bench --threads auto`` picks it, from a
    probe record (this machine's or another's)."""
    from sizer.bench.plan import performance_cores

    return performance_cores(hw.get("cpu") or {}) or 1


def cpu_params(
    hw: dict[str, Any],
    threads: int,
    records: list[dict[str, Any]],
    *,
    live=None,
    calibrate_now: bool = True,
    fresh: bool = False,
    progress: Callable[[str], None] | None = None,
    corpus=None,
) -> SpeedParams:
    """The CPU's speed figures, from the best source there is (see ``sizer.calibrate``).
    ``live`` is this machine's ``Hardware`` (None for a --hardware record). Without a
    calibration of the machine itself, the profile ``corpus`` corrects the prior (a profile
    of the same hardware: "measured"; the per-core bandwidth all profiled machines show:
    "calibrated"; see ``sizer.profiles.learn``)."""
    params = calibration_cache.load_cached(hw, threads)
    if params is None and live is not None and calibrate_now:
        started = time.perf_counter()
        params = calibrate.run_calibration(live, threads, progress, fresh=fresh)
        if progress:
            progress(f"calibrated in {time.perf_counter() - started:.0f} s (cached for next time)")
    if params is None and corpus is not None:
        from sizer.profiles.learn import params_from_corpus

        params = params_from_corpus(hw, threads, corpus)
    if params is None:
        params = calibrate.prior_params(hw, threads)
    runs = calibrate.observations(records, hw, threads)
    if runs:
        params = fit_params(
            runs, params, f"calibrated on {len(runs)} run(s) measured here at {threads} thread(s)"
        )
    return params
