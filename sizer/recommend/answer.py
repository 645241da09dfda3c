"""The one entry point of a recommendation: a machine and a workload in, a ranking with the
figures it was made from out (``sizer.api.recommend``, ``sizer recommend`` and each
configuration of ``sizer fleet`` all come through here).

The machine is this one (probed; its CPU figures from its calibration, which the caller may
hand in as ``calibrate``) or another one's ``sizer.hardware`` record (its figures from the
profile corpus or the prior). The ranking itself (``rank_for_machine``) is pure.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sizer.hardware.record import Hardware, total_ram
from sizer.hardware.threads import threads_for
from sizer.models.resolve import ResolvedModel
from sizer.recommend.rank import Ranking, nearest, unmet, why_not
from sizer.recommend.workload import Workload
from sizer.speed.errors import TypicalError, cpu_class, typical_error
from sizer.speed.model import SpeedParams
from sizer.speed.sources import Calibrate, cpu_params

RECOMMENDATION_FORMAT = "sizer.recommendation"
RECOMMENDATION_VERSION = 1


@dataclass(frozen=True)
class Recommendation:
    ranking: Ranking
    speed_params: SpeedParams  # the CPU's figures the ranking used, with their source
    total_ram_bytes: int
    hardware: dict[str, Any]  # the sizer.hardware record ranked for
    live: Hardware | None  # this machine's probe; None for another machine's record

    @property
    def typical_error(self) -> TypicalError | None:
        """How wrong the CPU figures typically are on a machine sizer has not measured
        (``make bench-unseen``). None for this machine (its own calibration measured it) and
        for a record whose hardware a profile measured (that is the "measured" tier)."""
        if self.live is not None or self.speed_params.confidence == "measured":
            return None
        return typical_error(cpu_class(self.hardware))

    @property
    def pick_error(self) -> TypicalError | None:
        """The measured error of the top pick's device class: the CPU's (``typical_error``)
        for a CPU pick; for a llama.cpp GPU pick its class's (sizer never measures a GPU, so
        this holds on this machine too); None where the corpus has no runs of that class."""
        top = self.ranking.top
        if top is None or top.candidate.device_kind == "CPU":
            return self.typical_error
        cls = top.candidate.device_class
        return typical_error(cls) if cls else None

    def to_dict(self, elapsed_s: float | None = None, verified: Any = None) -> dict[str, Any]:
        """The ``sizer.recommendation`` JSON (format version 1)."""
        ranking = self.ranking
        return {
            "format": RECOMMENDATION_FORMAT,
            "format_version": RECOMMENDATION_VERSION,
            "workload": ranking.workload.to_dict(),
            "total_ram_bytes": self.total_ram_bytes,
            "budget_bytes": ranking.budget_bytes,
            "speed_params": self.speed_params.to_dict(),
            "typical_error": self.typical_error.to_dict() if self.typical_error else None,
            "pick_error": self.pick_error.to_dict() if self.pick_error else None,
            "top": ranking.top.to_dict() if ranking.top else None,
            "passing": [v.to_dict() for v in ranking.passing],
            "why_not": [v.to_dict() for v in why_not(ranking)],
            "unmet": unmet(ranking) if not ranking.passing else [],
            "nearest": [v.to_dict() for v in nearest(ranking)],
            "verify": verified,
            "elapsed_s": elapsed_s,
        }


def recommend(
    workload: Workload,
    hardware: dict[str, Any] | None = None,
    *,
    records: list[dict[str, Any]] | None = None,
    corpus=None,
    local: list[ResolvedModel] | None = None,
    catalog=None,
    calibrate: Calibrate | None = None,
    recalibrate: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Recommendation:
    """Rank every catalog model and local file for ``workload`` on ``hardware`` (None: this
    machine, probed now). ``records``: measured runs and task scores (None: the results
    folder's); ``corpus``: the profile corpus (None: the default one); ``local``: GGUFs to
    consider beside the catalog (None: those on this machine, or none for another's
    record); ``calibrate`` measures this machine when it has no cached calibration."""
    from sizer.profiles.corpus import load_corpus, task_records
    from sizer.recommend import local_gguf_files, rank_for_machine, results_records
    from sizer.recommend.candidates import catalog_options

    # The catalog's tensor layouts (pure Python) are computed while the probe waits on its
    # llama.cpp child process and OpenVINO: a third of a second off every answer.
    with ThreadPoolExecutor(max_workers=1) as pool:
        options = pool.submit(catalog_options) if catalog is None else None
        hw, live = _machine(hardware)
        found = results_records(None) if records is None else list(records)
        catalog = options.result() if options is not None else catalog
    corpus = load_corpus() if corpus is None else corpus
    found += task_records(corpus)
    threads = threads_for(hw)
    if recalibrate and live is not None:
        from sizer.speed import cache

        cache.forget(hw, threads)
    params = cpu_params(
        hw,
        threads,
        found,
        live=live,
        calibrate=calibrate,
        progress=progress,
        fresh=recalibrate,
        corpus=corpus,
    )
    total = total_ram(hw)
    if local is None:
        local = local_gguf_files([], this_machine=live is not None)
    ranking = rank_for_machine(
        workload,
        hw,
        params,
        records=found,
        local=local,
        budget_bytes=total - workload.headroom_bytes(total),
        catalog=catalog,
    )
    return Recommendation(ranking, params, total, hw, live)


def _machine(hardware: dict[str, Any] | None) -> tuple[dict[str, Any], Hardware | None]:
    if hardware is not None:
        return hardware, None
    from sizer.probe import probe

    live = probe()
    return live.to_dict(), live


ESTIMATE_PROMPT_TOKENS = 512  # the prompt `sizer estimate` quotes prefill and TTFT for


@dataclass(frozen=True)
class ModelSpeed:
    """One model's predicted llama.cpp CPU speed on this machine, without loading it."""

    threads: int
    prompt_tokens: int
    prefill_tok_s: float
    ttft_s: float
    decode_tok_s: float  # right after the prompt
    decode_tok_s_full: float  # with the whole context filled
    ctx: int
    params: SpeedParams
    error: TypicalError | None  # None: calibrated on this machine, or measured hardware

    def to_dict(self) -> dict[str, Any]:
        return {
            "threads": self.threads,
            "prompt_tokens": self.prompt_tokens,
            "prefill_tok_s": self.prefill_tok_s,
            "ttft_s": self.ttft_s,
            "decode_tok_s": self.decode_tok_s,
            "decode_tok_s_full_context": self.decode_tok_s_full,
            "ctx": self.ctx,
            "source": self.params.source,
            "confidence": self.params.confidence,
            "typical_error": self.error.to_dict() if self.error else None,
        }


def model_speed(
    resolved: ResolvedModel, hw: dict[str, Any], ctx: int, *, corpus=None, records=None
) -> ModelSpeed:
    """How fast ``resolved`` should run on the CPU of ``hw`` (this machine's record) from the
    best figures there are without measuring anything now: a cached calibration, runs
    measured here, the profile corpus, else the prior. A figure not calibrated here carries
    the typical error of its CPU class (``make bench-unseen``)."""
    from sizer.profiles.corpus import load_corpus
    from sizer.recommend import results_records
    from sizer.speed.model import decode_s_per_token, speed_shape, workload_speed

    threads = threads_for(hw)
    found = results_records(None) if records is None else records
    corpus = load_corpus() if corpus is None else corpus
    params = cpu_params(hw, threads, found, corpus=corpus)
    shape = speed_shape(resolved.memory)
    prompt = min(ESTIMATE_PROMPT_TOKENS, ctx)
    first = workload_speed(shape, params, prompt)
    # this machine's own figures (calibrated or measured here, or a profile of this very
    # hardware) carry no class error over other machines
    own = params.confidence == "measured" or _measured_here(hw, threads, found)
    return ModelSpeed(
        threads=threads,
        prompt_tokens=prompt,
        prefill_tok_s=first.prefill_tok_s,
        ttft_s=first.ttft_s,
        decode_tok_s=first.decode_tok_s,
        decode_tok_s_full=1.0 / decode_s_per_token(shape, params, ctx),
        ctx=ctx,
        params=params,
        error=None if own else typical_error(cpu_class(hw)),
    )


def _measured_here(hw: dict[str, Any], threads: int, records: list[dict[str, Any]]) -> bool:
    """Whether ``cpu_params`` had this machine's own figures: its cached calibration or runs
    measured on it (then the CPU class's error over other machines does not apply)."""
    from sizer.speed import cache
    from sizer.speed.observe import observations

    return cache.load_cached(hw, threads) is not None or bool(observations(records, hw, threads))
