"""``probe --measure``: run the kernels in ``kernels/`` with a plan fitted to this machine."""

from __future__ import annotations

from collections.abc import Callable

from sizer.hardware.record import Hardware


def thread_counts(physical_cores: int | None) -> list[int]:
    """1, then powers of two, then all physical cores: per-core bandwidth is capped, so the
    curve matters (one M4 Pro went 0.13 -> 0.68 of spec from 1 to 10 threads)."""
    top = max(1, physical_cores or 1)
    counts = [1]
    while counts[-1] * 2 < top:
        counts.append(counts[-1] * 2)
    if top not in counts:
        counts.append(top)
    return counts


def plan_for(hw: Hardware):  # -> kernels.KernelPlan (kernels is imported lazily)
    from kernels import KernelPlan

    return KernelPlan(
        cpu_threads=thread_counts(hw.cpu.physical_cores),
        openvino_devices=[d.device_id for d in hw.openvino.devices],
        available_bytes=hw.memory.available_bytes,
        l3_bytes=hw.cpu.cache_bytes.get("l3"),
    )


def measure_hardware(
    hw: Hardware, progress: Callable[[str], None] | None = None, plan=None
) -> None:
    """Append every kernel's results to ``hw.measurements``; a failing kernel is recorded
    as missing and the others still run. ``plan`` (a ``kernels.KernelPlan``) defaults to
    every thread count and OpenVINO device of this machine."""
    import kernels

    plan = plan or plan_for(hw)
    for module in kernels.discover():
        if progress:
            progress(module.NAME)
        try:
            hw.measurements.extend(module.measure(plan))
        except MemoryError:
            hw.note_missing(f"measurements.{module.NAME}", "not enough free memory")
        except Exception as exc:  # one broken kernel must not lose the others' results
            hw.note_missing(f"measurements.{module.NAME}", f"{type(exc).__name__}: {exc}"[:200])
