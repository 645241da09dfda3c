"""llama.cpp on a GPU, per device class: the share of its spec bandwidth decode reaches, the
fixed cost of each layer per token, and the share of its matrix peak prefill reaches,
fitted on published llama-bench runs of the profile corpus.

Each term has a physical meaning (``sizer.speed.model``): a decoded token streams the
active weights at ``bandwidth_fraction`` x the spec bandwidth and pays ``layer_s`` per layer
(kernel launches and synchronisation, which dominate small models on fast GPUs); a prompt
token multiplies the weights at ``matmul_fraction`` x the device's matrix peak (the tensor
peak on NVIDIA and AMD, vector FP16 on Apple, per ``sizer.speed.devices``).

Classes are what the runs share: the GPU API and the vendor's kernels. Apple Metal; CUDA;
AMD through ROCm or Vulkan (one class: llama.cpp's two AMD paths reach similar decode
rates, and the corpus holds too few runs to fit them apart); Intel GPUs through SYCL or
Vulkan. A class with runs from fewer than ``MIN_MACHINES`` machines keeps the documented
defaults, and says so.

Fitting (``fit``): decode time per token is linear in the two unknowns, 1/fraction and
layer_s, so they are the least-squares fit of *relative* error (each run's time divided by
its measured time), each machine weighted equally however many runs it posted; a negative
layer cost is physically meaningless, and then layer_s is 0 and the fraction is refitted
alone. Prefill's fraction is the median over machines of measured / predicted at 100 %.
Only runs at a shallow cache are fitted (the attention term at depth is the model's, not
fitted); deeper runs are predicted and scored like any other.

``make bench-unseen`` scores this leaving out each source in turn and writes the fit over
the whole corpus to ``sizer/speed/gpu_efficiency.json``, which ``sizer recommend`` and
``sizer fleet`` read.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from sizer.hardware.identity import hardware_key, machine_label
from sizer.speed.devices import QUANT_TYPES, GpuFigures, gpu_figures, gpu_params
from sizer.speed.model import SpeedShape, predict
from sizer.speed.tables import packaged_table

if TYPE_CHECKING:  # the corpus is read by sizer.profiles; this module only learns from it
    from sizer.profiles.corpus import Corpus

MIN_MACHINES = 3
# Runs fitted: a cache this shallow adds little attention time, whose GPU rate is the
# model's assumption rather than fitted (llama-bench's tg128 averages over depth 64).
FIT_MAX_DEPTH = 256
EFFICIENCY_FORMAT, EFFICIENCY_VERSION = "sizer.gpu-efficiency", 1
APPLE, CUDA, AMD, INTEL = "Apple Metal", "CUDA", "ROCm/Vulkan", "Intel GPU"


@dataclass(frozen=True)
class GpuEfficiency:
    bandwidth_fraction: float  # of the spec memory bandwidth, reached by decode
    layer_s: float  # fixed cost per layer per decoded token
    matmul_fraction: float  # of the FP16 matrix peak, reached by prefill
    quant_fraction: float  # of the int8 peak, by quantised weights where there is one (CUDA)
    machines: int  # how many machines it was fitted on (0: the documented default)
    runs: int
    basis: str  # in words

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# Before the corpus had GPU runs (FIELD-NOTES: Apple 0.5-0.9 of spec bandwidth; RTX 40-series
# tg ~0.7-0.8), kept for classes the corpus cannot fit yet.
DEFAULTS = {
    APPLE: GpuEfficiency(0.7, 2e-5, 0.4, 0.4, 0, 0, "documented default (FIELD-NOTES)"),
    CUDA: GpuEfficiency(0.75, 2e-5, 0.4, 0.4, 0, 0, "documented default (FIELD-NOTES)"),
    AMD: GpuEfficiency(0.75, 2e-5, 0.4, 0.4, 0, 0, "documented default (FIELD-NOTES)"),
    INTEL: GpuEfficiency(0.6, 2e-5, 0.4, 0.4, 0, 0, "documented default (FIELD-NOTES)"),
}


def device_class(vendor: str, api: str | None) -> str | None:
    """The class of a GPU run or place: by vendor, and by API where the vendor has several."""
    vendor = vendor.lower()
    if vendor == "apple":
        return APPLE
    if vendor == "nvidia":
        return CUDA if api in (None, "CUDA") else None
    if vendor == "amd":
        return AMD if api in (None, "ROCm", "Vulkan") else None
    if vendor == "intel":
        return INTEL if api in (None, "SYCL", "Vulkan") else None
    return None


@dataclass(frozen=True)
class GpuRun:
    machine: str  # hardware_key
    label: str
    gpu_class: str
    gpu: str  # the GPU's name
    figures: GpuFigures | None  # None: the database does not know the GPU (not predictable)
    shape: SpeedShape
    depth: int
    prompt: int
    decode_tok_s: float | None
    prefill_tok_s: float | None
    model: str


def gpu_runs(corpus: Corpus) -> list[GpuRun]:
    """llama.cpp runs with the whole model on one GPU, with a speed shape and a figure."""
    out = []
    for _, profile in corpus.profiles:
        for run in profile["runs"]:
            found = gpu_run(run, profile["hardware"])
            if found is not None:
                out.append(found)
    return out


def gpu_run(run: dict[str, Any], hw: dict[str, Any]) -> GpuRun | None:
    from sizer.speed.corpus import mean_depth, run_shape, steady

    backend, config, metrics = run["backend"], run["config"], run["metrics"]
    shape = (run["model"] or {}).get("speed_shape")
    gpus = [a for a in hw.get("accelerators") or [] if a.get("kind") == "gpu"]
    if backend.get("name") != "llama.cpp" or backend.get("device") != "GPU" or not gpus:
        return None
    acc = gpus[0]
    vendor = acc.get("vendor") or str(acc.get("name") or "").split()[0]
    cls = device_class(vendor, backend.get("gpu_api"))
    if cls is None or shape is None or config.get("kv_type", "f16") != "f16":
        return None
    if sbc_host(hw, vendor):
        return None
    decode, prefill = steady(metrics, "decode_tok_s"), steady(metrics, "prefill_tok_s")
    if not decode and not prefill:
        return None
    return GpuRun(
        machine=hardware_key(hw),
        label=machine_label(hw),
        gpu_class=cls,
        gpu=str(acc.get("name")),
        figures=corpus_gpu_figures(acc, vendor, hw),
        shape=run_shape(run["model"]),
        depth=mean_depth(config, decode),
        prompt=config.get("prompt_tokens") or 512,
        decode_tok_s=decode,
        prefill_tok_s=prefill,
        model=run["model"].get("catalog_id") or run["model"]["file_name"],
    )


def sbc_host(hw: dict[str, Any], vendor: str) -> bool:
    """A PCIe GPU driven by an Arm single-board computer (a Raspberry Pi 5 with an RX 7900
    XT): the host's slow cores and one-lane link set the speed there (published decode of a
    14B model at 7 tok/s on a card that runs it at 50), which no figure of the GPU
    predicts. Such runs stay in the corpus and are neither fitted nor scored; sizer sizes
    laptops, desktops and workstations."""
    arm = (hw.get("cpu") or {}).get("arch") in ("aarch64", "arm64")
    return arm and vendor.lower() != "apple"


def corpus_gpu_figures(acc: dict[str, Any], vendor: str, hw: dict[str, Any]) -> GpuFigures | None:
    """A published run's GPU figures, found as ``recommend --hardware`` finds them: by the
    GPU's name in the database. An integrated GPU the database lists without a bandwidth
    (AMD's APUs) reads the machine's RAM, whose bandwidth the source states."""
    ram = (hw.get("memory") or {}).get("theoretical_bandwidth_bytes_s")
    record = {**acc, "vendor": vendor}
    figures = gpu_figures(record)
    if figures is None and ram:
        figures = gpu_figures({**record, "spec": {"memory_bandwidth_gbs": ram / 1e9}})
        if figures is not None and not _integrated(acc):
            return None
    return figures


def _integrated(acc: dict[str, Any]) -> bool:
    from sizer.hardware.db import load, match

    entry = match(acc.get("name") or "", load("gpus")).entry
    return entry is not None and entry.data.get("segment") in ("igpu", "apple-soc")


# ---- fitting ----------------------------------------------------------------------------------


def fit(runs: list[GpuRun], cls: str) -> GpuEfficiency:
    """The class's efficiencies from ``runs`` (its own runs are picked out), or its default
    where they come from fewer than MIN_MACHINES machines."""
    mine = [
        r for r in runs if r.gpu_class == cls and r.figures is not None and r.depth <= FIT_MAX_DEPTH
    ]
    machines = {r.machine for r in mine}
    if len(machines) < MIN_MACHINES:
        return DEFAULTS[cls]
    # a mixture of experts streams slower per byte (sizer.speed.sparse): dense runs only
    fraction, layer_s = _fit_decode([r for r in mine if r.decode_tok_s and not r.shape.sparse])
    prefill = [r for r in mine if r.prefill_tok_s]
    on_int8 = [r for r in prefill if _on_int8_peak(r)]
    matmul = _fit_prefill([r for r in prefill if not _on_int8_peak(r)])
    quant = _fit_prefill(on_int8)
    default = DEFAULTS[cls]
    return GpuEfficiency(
        bandwidth_fraction=fraction or default.bandwidth_fraction,
        layer_s=layer_s if fraction else default.layer_s,
        matmul_fraction=matmul or default.matmul_fraction,
        quant_fraction=quant or matmul or default.quant_fraction,
        machines=len(machines),
        runs=len(mine),
        basis=f"fitted on {len(mine)} published runs of {len(machines)} machines",
    )


def _weights(runs: list[GpuRun]) -> list[float]:
    per_machine: dict[str, int] = {}
    for run in runs:
        per_machine[run.machine] = per_machine.get(run.machine, 0) + 1
    return [1.0 / per_machine[r.machine] for r in runs]


def _fit_decode(runs: list[GpuRun]) -> tuple[float | None, float]:
    """(bandwidth fraction, layer seconds) minimising the relative error of decode time."""
    if len({r.machine for r in runs}) < MIN_MACHINES:
        return None, 0.0
    rows = []
    for run, w in zip(runs, _weights(runs), strict=True):
        assert run.figures is not None and run.decode_tok_s
        t = 1.0 / run.decode_tok_s
        u = run.shape.decode_weight_bytes / (run.figures.bandwidth_gbs * 1e9) / t
        rows.append((w, u, run.shape.n_layers / t))
    suu = sum(w * u * u for w, u, _ in rows)
    suv = sum(w * u * v for w, u, v in rows)
    svv = sum(w * v * v for w, _, v in rows)
    su, sv = sum(w * u for w, u, _ in rows), sum(w * v for w, _, v in rows)
    det = suu * svv - suv * suv
    if det > 0:
        a, b = (su * svv - sv * suv) / det, (suu * sv - suv * su) / det
        if a > 0 and b >= 0:
            return 1.0 / a, b
    return suu / su, 0.0  # no per-layer term: a = su / suu


def _on_int8_peak(run: GpuRun) -> bool:
    """A quantised model on a GPU whose int8 peak its prompt runs at (``GpuFigures``)."""
    by_type = run.shape.matmul_params_by_type
    quantised = any(t in QUANT_TYPES for t in by_type) if by_type else False
    return bool(run.figures and run.figures.quant_tops) and quantised


def _fit_prefill(runs: list[GpuRun]) -> float | None:
    """The share of the peak each run's multiplications reached: its time per prompt token
    at 100 % of the peak over its measured time, both less the fixed per-layer cost (which
    no peak changes); the median over machines, each machine's own median first."""
    by_machine: dict[str, list[float]] = {}
    for run in runs:
        assert run.figures is not None and run.prefill_tok_s
        at_peak = gpu_params(run.figures, 1.0, run.gpu, 0.0, 1.0, 1.0)
        ideal = predict(run.shape, at_peak, depth=0, prompt=run.prompt).prefill_tok_s
        fixed = run.shape.n_layers * at_peak.prefill_layer_s
        spent = 1.0 / run.prefill_tok_s - fixed
        if spent > 0:
            by_machine.setdefault(run.machine, []).append((1.0 / ideal - fixed) / spent)
    if len(by_machine) < MIN_MACHINES:
        return None
    return statistics.median(statistics.median(v) for v in by_machine.values())


# ---- the committed fit ------------------------------------------------------------------------


def efficiency_table(runs: list[GpuRun], measured: str) -> dict[str, Any]:
    """What ``make bench-unseen`` writes to sizer/speed/gpu_efficiency.json."""
    return {
        "format": EFFICIENCY_FORMAT,
        "format_version": EFFICIENCY_VERSION,
        "measured": measured,
        "classes": {cls: fit(runs, cls).to_dict() for cls in DEFAULTS},
    }


@cache
def _committed() -> dict[str, GpuEfficiency]:
    data = packaged_table("gpu_efficiency.json", EFFICIENCY_FORMAT, EFFICIENCY_VERSION)
    return {cls: GpuEfficiency(**fields) for cls, fields in data["classes"].items()}


def efficiency(cls: str) -> GpuEfficiency:
    """The committed fit for ``cls`` (the documented default where it had too few runs)."""
    return _committed().get(cls) or DEFAULTS[cls]
