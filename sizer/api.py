"""sizer as a library: the three jobs the CLI does, as functions.

    from sizer.api import probe, recommend, bench
    from sizer.recommend.workload import Workload

    hw = probe()                                   # this machine (a sizer.hardware.record.Hardware)
    answer = recommend(Workload(task="extraction"))  # ranked picks with the figures behind them
    print(answer.ranking.top.to_dict(), answer.to_dict()["speed_params"]["source"])
    records = bench(["/models/qwen2.5-coder-1.5b-q4_k_m.gguf"])  # sizer.run records

They live here, not on the ``sizer`` package itself, because ``sizer.probe``,
``sizer.recommend`` and ``sizer.bench`` are the packages that implement them: a function of
the same name on ``sizer`` would be replaced by the subpackage as soon as it is imported.
Each CLI command calls one of these (or the function it wraps) and renders the result.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sizer.hardware.record import Hardware
from sizer.recommend.answer import Recommendation
from sizer.recommend.workload import Workload


def probe(root: Path | str | None = None, measure: bool = False) -> Hardware:
    """What this machine has (or a captured machine under ``root``); with ``measure``, the
    bandwidth and matmul kernels too (about 15 s)."""
    from sizer.probe import probe as read_machine

    hw = read_machine(root)
    if measure:
        from sizer.probe.measure import measure_hardware

        measure_hardware(hw)
    return hw


def recommend(
    workload: Workload | None = None,
    hardware: dict[str, Any] | Path | None = None,
    *,
    results: list[Path] | None = None,
    paths: list[Path] | None = None,
    calibrate: bool = True,
    recalibrate: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Recommendation:
    """Which model, quant and backend to run for ``workload`` (default: chat) on this machine,
    or on another one given its ``sizer probe --json`` record (a dict or a file). ``results``:
    result files or folders with measured runs (default: the results folder); ``paths``:
    more GGUF files to consider. This machine is calibrated once (20-30 s, then cached)
    unless ``calibrate`` is off; ``recalibrate`` measures it again."""
    from sizer.hardware.record import check_hardware, load_hardware
    from sizer.recommend import local_gguf_files, results_records
    from sizer.recommend.answer import recommend as rank

    if isinstance(hardware, str | Path):
        record = load_hardware(Path(hardware))
    else:
        record = None if hardware is None else check_hardware(hardware, "hardware")
    run_calibration = None
    if calibrate and record is None:
        from sizer.bench.calibration import run_calibration
    return rank(
        workload or Workload(),
        record,
        records=results_records(results),
        local=local_gguf_files(list(paths or []), this_machine=record is None),
        calibrate=run_calibration,
        recalibrate=recalibrate,
        progress=progress,
    )


def bench(models: list[str], out: Path | None = None, **request: Any) -> list[dict[str, Any]]:
    """Speed runs of ``models`` (GGUF paths, Ollama tags or catalog ids) in worker processes,
    appended to ``out`` (default: bench.jsonl in the results folder); ``request`` takes
    ``sizer.bench.BenchRequest``'s other fields (threads, depths, measurement, backends...)."""
    from sizer.bench import BenchRequest, run_bench
    from sizer.paths import bench_results

    target = out or bench_results()
    return run_bench(BenchRequest(models=list(models), out=target, **request), probe())


__all__ = ["Recommendation", "Workload", "bench", "probe", "recommend"]
