"""Where a machine's CPU speed figures come from, in order of trust.

1. **Runs measured on this machine** (``sizer bench`` records whose machine matches, and the
   calibration's own probe runs): the model is fitted to them — confidence "calibrated".
2. **The calibration cache**, written by a calibration of this machine
   (``sizer.bench.calibration.run_calibration``, handed in as ``calibrate``: nothing here
   starts a process by itself).
3. **The profile corpus** (``sizer.speed.corpus``): a profile of the same hardware
   ("measured"), else the per-core bandwidth the profiled machines show ("calibrated").
4. **The prior** (``sizer.speed.prior``): kernel measurements x fitted efficiencies, else
   documented defaults — "estimated".

Whichever it is, a mixture of experts streams at the corpus's MoE cost (``sizer.speed.sparse``):
no calibration here runs one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sizer.speed import cache
from sizer.speed.model import SpeedParams, fit_params
from sizer.speed.observe import observations
from sizer.speed.prior import prior_params
from sizer.speed.sparse import committed_cost, with_cost

Progress = Callable[[str], None]
# (this machine's Hardware, threads, progress, fresh) -> freshly calibrated figures
Calibrate = Callable[[Any, int, Progress | None, bool], SpeedParams]


def cpu_params(
    hw: dict[str, Any],
    threads: int,
    records: list[dict[str, Any]],
    *,
    live=None,
    calibrate: Calibrate | None = None,
    fresh: bool = False,
    progress: Progress | None = None,
    corpus=None,
) -> SpeedParams:
    """The CPU's speed figures from the best source there is. ``live`` is this machine's
    ``Hardware`` (None for another machine's record); ``calibrate`` measures it when there
    is no cached calibration (None: never measure)."""
    params = cache.load_cached(hw, threads)
    if params is None and live is not None and calibrate is not None:
        started = time.perf_counter()
        params = calibrate(live, threads, progress, fresh)
        if progress:
            progress(f"calibrated in {time.perf_counter() - started:.0f} s (cached for next time)")
    if params is None and corpus is not None:
        from sizer.speed.corpus import params_from_corpus

        params = params_from_corpus(hw, threads, corpus)
    if params is None:
        params = prior_params(hw, threads)
    params = with_cost(params, committed_cost())  # a mixture of experts' slower streaming
    runs = observations(records, hw, threads)
    if runs:
        params = fit_params(
            runs, params, f"calibrated on {len(runs)} run(s) measured here at {threads} thread(s)"
        )
    return params
