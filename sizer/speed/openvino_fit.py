"""OpenVINO's devices on Intel Core Ultra (Arc iGPU, NPU): a speed model fitted on published
runs, and its evaluation on chips it was not fitted on.

The published runs (``profiles/sources/openvino``): Intel's "Most Efficient Large Language
Models for AI PC" tables (the CSV files behind docs.openvino.ai's page, verbatim, one per chip
and OpenVINO release, built-in GPU) and community posts of iGPU and NPU runs, each with its
source. The model, per device class, each term with its physical meaning:

- decode, seconds per token = weight bytes / (memory bandwidth x fraction reached) + a fixed
  cost per token (kernel launches, sampling, the host loop). The bandwidth is the chip's
  theoretical memory bandwidth from the hardware database: an iGPU and an NPU read the same
  LPDDR/DDR5 as the CPU.
- first token, seconds = a fixed cost + one pass over the weights (as a decode step reads
  them) + 2 x parameters x prompt tokens / (matrix peak x fraction reached). The matrix peak
  is the iGPU's FP16 rate on its XMX engines where it has them (Intel's GPU INT8 TOPS / 2),
  else its vector FP16 rate (Xe-cores x 512 x clock, DP4a parts: Meteor Lake, Arrow Lake-S/U);
  the two kinds get their own fraction and fixed cost.

Weight bytes are parameters x bits per weight of the table's precision (``BITS``). Models
whose tokens do not read every parameter (MoE, hybrid linear-attention) are left out, as are
precisions without a bit width here, chips the database does not know, and runtimes other
than OpenVINO's plugins running a whole model (llama.cpp's OpenVINO backend, unnamed ones):
counted as not predictable.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from sizer.hardware.db import Entry, load
from sizer.speed.model import _solve_two

SOURCES = Path(__file__).resolve().parents[2] / "profiles" / "sources" / "openvino"
EFFICIENCY_FILE = Path(__file__).with_name("openvino_efficiency.json")
# Bits per weight as stored: INT4 weights with an f16 scale (and u4 zero point) per group of
# 128 plus int8 embeddings/head (optimum-cli's int4 default) come to ~4.5; INT8 channel-wise
# 8 + a scale per output channel; FP16 16.
BITS = {"INT4": 4.5, "INT4-MIXED": 4.5, "INT8": 8.25, "INT8-CW": 8.25, "FP16": 16.0}
# Runtimes whose runs are OpenVINO's plugins running a whole model (GenAI, the model server,
# OpenArc on GenAI, ExecuTorch's OpenVINO backend); llama.cpp's OpenVINO backend hands ggml
# graphs over piecemeal and is not modelled here.
OPENVINO_RUNTIMES = ("openvino-genai", "openvino-model-server", "openarc", "executorch-openvino")
LONG_PROMPT, SHORT_PROMPT = 512, 64  # prompt tokens: compute-dominated / fixed-cost-dominated


@dataclass(frozen=True)
class Chip:
    """What the model needs of a chip, from the hardware database."""

    id: str
    bandwidth_gbs: float | None
    xmx: bool | None
    fp16_tflops: float | None  # matrix (XMX) or vector (DP4a parts)
    generation: str | None = None  # the iGPU's: "Xe-LPG", "Xe-LPG+", "Xe2-LPG", "Xe3-LPG"
    name: str | None = None  # as people write it ("Intel Core Ultra 7 258V"); default: id

    @property
    def matrix_kind(self) -> str:
        return "xmx" if self.xmx else "dp4a"


@dataclass(frozen=True)
class Run:
    chip: str  # the database id; "" when the source names no chip the database knows
    device: str  # "GPU", "NPU", "CPU"
    model: str
    params_b: float | None
    precision: str
    prompt_tokens: int | None
    ttft_s: float | None
    decode_tok_s: float | None
    source: str  # URL
    table: str  # which table (file@commit) or community post
    runtime: str = "openvino-genai"
    kind: str = "dense"  # dense / moe / hybrid / unknown
    load_s: float | None = None  # loading and compiling for the device, where published

    def weight_bytes(self) -> float | None:
        bits = BITS.get(self.precision)
        return self.params_b * 1e9 * bits / 8 if bits and self.params_b else None


# ---- the published runs --------------------------------------------------------------------


def load_runs(folder: Path = SOURCES) -> list[Run]:
    models = json.loads((folder / "models.json").read_text())["models"]
    index = json.loads((folder / "tables.json").read_text())
    skip = {name.lower() for name in index.get("not_llms", [])}
    runs = [r for table in index["tables"] for r in _table_runs(folder, table, models, skip)]
    community = json.loads((folder / "community.json").read_text())
    return runs + [_community_run(row) for row in community["runs"]]


def _table_runs(
    folder: Path, table: dict[str, Any], models: dict[str, Any], skip: set[str]
) -> Iterable[Run]:
    text = (folder / table["file"]).read_text()
    for row in csv.DictReader(io.StringIO(text)):
        name = (row.get("Topology") or row.get("Model name") or "").strip()
        if not name or name.lower() in skip:
            continue
        facts = models.get(name.lower(), {})
        per_token = _number(row.get("2nd latency (ms)"))
        throughput = _number(row.get("Throughput: (tokens/sec. 2nd token)"))
        decode = 1000 / per_token if per_token else throughput
        first = _number(row.get("1st latency (ms)") or row.get("1st token latency (msec)"))
        tokens = _number(row.get("Input Size") or row.get("Input tokens"))
        yield Run(
            chip=table.get("chip") or "",
            device=table["device"],
            model=name,
            params_b=facts.get("params_b"),
            precision=(row.get("Precision") or table.get("precision") or "").strip(),
            prompt_tokens=int(tokens) if tokens else None,
            ttft_s=first / 1000 if first else None,
            decode_tok_s=decode,
            source=table["source"],
            table=table["file"],
            kind=facts.get("kind", "unknown"),
        )


def _community_run(row: dict[str, Any]) -> Run:
    per_token = row.get("per_token_ms")
    return Run(
        chip=row.get("chip") or "",
        device=row["device"],
        model=row["model"],
        params_b=row.get("params_b"),
        precision=row.get("precision") or "",
        prompt_tokens=row.get("prompt_tokens"),
        ttft_s=row["first_token_ms"] / 1000 if row.get("first_token_ms") else None,
        decode_tok_s=1000 / per_token if per_token else row.get("tok_s"),
        source=row["source"],
        table=row["source"],
        runtime=row.get("runtime", "unknown"),
        kind=row.get("kind", "dense"),
        # a load that probably came from OpenVINO's compile cache says nothing of compiling
        load_s=row["load_ms"] / 1000
        if row.get("load_ms") and not row.get("load_from_cache")
        else None,
    )


def _number(text: str | None) -> float | None:
    try:
        value = float((text or "").strip().strip('"'))
    except ValueError:
        return None
    return value if value > 0 else None


def chips() -> dict[str, Chip]:
    """Every Intel CPU entry: its memory bandwidth and its iGPU's matrix figures."""
    return {entry.id: chip_of(entry) for entry in load("cpus") if entry.vendor == "Intel"}


def chip_of(entry: Entry) -> Chip:
    """A hardware database entry's memory bandwidth and iGPU figures."""
    igpu = entry.data.get("igpu") or {}
    bandwidth = (entry.data.get("memory") or {}).get("max_bandwidth_gbs")
    return Chip(
        entry.id, bandwidth, igpu.get("xmx"), fp16_peak(igpu), igpu.get("generation"), entry.name
    )


def fp16_peak(fields: dict[str, Any]) -> float | None:
    """The iGPU's FP16 peak its prompts run at: XMX's matrix rate, else the vector rate."""
    return fields.get("fp16_matrix_tflops") or fields.get("fp16_vector_tflops")


def why_unpredictable(run: Run, known: dict[str, Chip]) -> str | None:
    """Why sizer cannot predict this run, or None when it can."""
    if run.runtime not in OPENVINO_RUNTIMES:
        return f"runtime {run.runtime}"
    if run.chip not in known:
        return "chip not in the hardware database"
    if not known[run.chip].bandwidth_gbs:
        return "chip's memory bandwidth not in the hardware database"
    if run.kind != "dense":
        return f"{run.kind} model"
    if run.weight_bytes() is None:
        return f"precision {run.precision or '?'}"
    if run.device not in ("GPU", "NPU"):
        return f"device {run.device}"
    return None


# ---- the model -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceFit:
    """Fitted figures of one device class."""

    bandwidth_fraction: float
    token_s: float  # fixed cost per decoded token
    matmul_fraction: dict[str, float]  # by matrix kind ("xmx", "dp4a")
    first_token_s: dict[str, float]  # fixed cost of the first token, by matrix kind
    runs: int
    chips: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def decode_s(run: Run, chip: Chip, fit: DeviceFit) -> float:
    return _read_s(run, chip) / fit.bandwidth_fraction + fit.token_s


def ttft_s(run: Run, chip: Chip, fit: DeviceFit) -> float | None:
    kind = chip.matrix_kind if run.device == "GPU" else "npu"
    fraction = fit.matmul_fraction.get(kind)
    if fraction is None or (not chip.fp16_tflops and run.device == "GPU"):
        return None
    compute = _compute_s(run, chip) / fraction if run.device == "GPU" else 0.0
    return fit.first_token_s[kind] + _read_s(run, chip) / fit.bandwidth_fraction + compute


def _read_s(run: Run, chip: Chip) -> float:
    return (run.weight_bytes() or 0.0) / ((chip.bandwidth_gbs or 1) * 1e9)


def _compute_s(run: Run, chip: Chip) -> float:
    """FLOPs of the prompt's matrix products at the iGPU's FP16 peak (no fraction)."""
    return (
        2 * (run.params_b or 0) * 1e9 * (run.prompt_tokens or 0) / ((chip.fp16_tflops or 1) * 1e12)
    )


def _matrix_kind(run: Run, chip: Chip) -> str:
    return "npu" if run.device == "NPU" else chip.matrix_kind


def _fit_first_token(
    timed: list[tuple[Run, Chip]], inv_fraction: float, kind: str
) -> tuple[float, float] | None:
    """(matrix fraction, fixed seconds) from first-token times, robustly: the fraction from
    long prompts (>= LONG_PROMPT tokens, where the matrix products dominate), the fixed cost
    from short ones (<= SHORT_PROMPT), each a median, refined once against the other. The
    published tables carry slips (a column shifted here and there) that a least-squares fit
    would chase. NPU: not fitted (a handful of published NPU first-token times, with prompt
    lengths for three, cannot tell a fixed cost from the prompt's compute)."""
    if kind == "npu":
        return None
    rest = [(r.ttft_s - _read_s(r, c) * inv_fraction, _compute_s(r, c), r) for r, c in timed]
    long = [(left, compute) for left, compute, r in rest if (r.prompt_tokens or 0) >= LONG_PROMPT]
    short = [(left, compute) for left, compute, r in rest if (r.prompt_tokens or 0) <= SHORT_PROMPT]
    if not long:
        return None
    fixed = 0.0
    for _ in range(2):
        shares = [compute / (left - fixed) for left, compute in long if left > fixed]
        if not shares:
            return None
        fraction = statistics.median(shares)
        if short:
            fixed = max(
                statistics.median(left - compute / fraction for left, compute in short), 0.0
            )
    return fraction, fixed


def fit_device(runs: list[Run], known: dict[str, Chip]) -> DeviceFit | None:
    """Bandwidth fraction and per-token cost from decode; per matrix kind, the first token's
    fixed cost and matrix fraction from first-token times (not for the NPU: see
    ``_fit_first_token``)."""
    rows = [
        (r, known[r.chip])
        for r in runs
        if why_unpredictable(r, known) is None and (r.decode_tok_s or r.ttft_s)
    ]
    decode = [(_read_s(r, c), 1.0, 1 / r.decode_tok_s) for r, c in rows if r.decode_tok_s]
    solved = _solve_two(decode)
    if not solved or solved[0] <= 0:
        return None
    inv_fraction, token = solved[0], max(solved[1], 0.0)
    matmul, first = {}, {}
    for kind in sorted({_matrix_kind(r, c) for r, c in rows}):
        timed = [
            (r, c)
            for r, c in rows
            if _matrix_kind(r, c) == kind and r.ttft_s and r.prompt_tokens
            if c.fp16_tflops or kind == "npu"
        ]
        found = _fit_first_token(timed, inv_fraction, kind)
        if found:
            matmul[kind], first[kind] = found
    return DeviceFit(
        bandwidth_fraction=1 / inv_fraction,
        token_s=token,
        matmul_fraction=matmul,
        first_token_s=first,
        runs=len(rows),
        chips=len({r.chip for r, _ in rows}),
    )


POOLED = "all"


def fit_generations(runs: list[Run], known: dict[str, Chip]) -> dict[str, DeviceFit]:
    """One fit per iGPU generation seen in ``runs``, and the pooled fit (``POOLED``) that a
    generation with no published runs falls back to. Each generation has its own memory
    system (Xe2's and Xe3's memory-side cache) and kernels, so the fraction of the spec it
    reaches is its own: leaving one chip out, per-generation fits predicted decode with a
    10 % and the first token with a 23 % median error, pooled ones 17 % and 35 %."""
    out = {}
    pooled = fit_device(runs, known)
    if pooled:
        out[POOLED] = pooled
    for generation in sorted({g for r in runs if (g := _generation(r, known))}):
        fit = fit_device([r for r in runs if _generation(r, known) == generation], known)
        if fit:
            out[generation] = fit
    return out


def _pooled(runs: list[Run], known: dict[str, Chip]) -> dict[str, DeviceFit]:
    fit = fit_device(runs, known)
    return {POOLED: fit} if fit else {}


def _generation(run: Run, known: dict[str, Chip]) -> str | None:
    chip = known.get(run.chip)
    return chip.generation if chip and run.device == "GPU" else None


def fit_for(fits: dict[str, DeviceFit], generation: str | None) -> tuple[DeviceFit | None, str]:
    """The fit of ``generation`` where there is one, else the pooled fit; and which it was."""
    if generation in fits:
        return fits[generation], generation or POOLED
    return fits.get(POOLED), POOLED


# ---- evaluation ----------------------------------------------------------------------------


@dataclass
class Errors:
    """Relative errors (predicted / measured - 1) of one kind of figure, and their runs."""

    values: list[float] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)

    def add(self, run: Run, error: float) -> None:
        self.values.append(error)
        self.runs.append(run)

    def of_chip(self, chip: str) -> list[float]:
        return [v for v, r in zip(self.values, self.runs, strict=True) if r.chip == chip]

    def summary(self) -> dict[str, Any]:
        if not self.values:
            return {"n": 0}
        absolute = [abs(v) for v in self.values]
        return {
            "n": len(self.values),
            "median_abs": statistics.median(absolute),
            "worst_abs": max(absolute),
            "median_signed": statistics.median(self.values),
        }


def held_out(
    runs: list[Run],
    known: dict[str, Chip],
    group: Callable[[Run], str],
    device: str,
    pooled_only: bool = False,
) -> dict[str, Errors]:
    """Each group's runs predicted from a fit on every other group's: decode and first token,
    sizer's model and the naive 0.5 x bandwidth rule for decode. ``pooled_only``: one fit for
    every generation (what a generation sizer has no runs of gets)."""
    out = {k: Errors() for k in ("decode", "ttft", "naive_decode")}
    usable = [r for r in runs if r.device == device and why_unpredictable(r, known) is None]
    for name in sorted({group(r) for r in usable}):
        train = [r for r in runs if r.device == device and group(r) != name]
        fits = _pooled(train, known) if pooled_only else fit_generations(train, known)
        for run in (r for r in usable if group(r) == name):
            chip = known[run.chip]
            fit, _ = fit_for(fits, chip.generation if device == "GPU" else None)
            if fit and run.decode_tok_s:
                out["decode"].add(run, 1 / decode_s(run, chip, fit) / run.decode_tok_s - 1)
            if fit and run.ttft_s and run.prompt_tokens:
                predicted = ttft_s(run, chip, fit)
                if predicted is not None:
                    out["ttft"].add(run, predicted / run.ttft_s - 1)
            if run.decode_tok_s:
                naive = 0.5 * (chip.bandwidth_gbs or 0) * 1e9 / (run.weight_bytes() or 1)
                out["naive_decode"].add(run, naive / run.decode_tok_s - 1)
    return out


def coverage(runs: list[Run], known: dict[str, Chip]) -> dict[str, Any]:
    reasons: dict[str, int] = {}
    for run in runs:
        why = why_unpredictable(run, known)
        if why:
            reasons[why] = reasons.get(why, 0) + 1
    speed = [r for r in runs if r.decode_tok_s or r.ttft_s]
    ok = sum(1 for r in speed if why_unpredictable(r, known) is None)
    return {"runs": len(speed), "predictable": ok, "not_predictable": reasons}


# ---- the fitted figures sizer uses ----------------------------------------------------------


def write_efficiency(runs: list[Run], known: dict[str, Chip], errors: dict[str, Any]) -> dict:
    """Fit on every published run (what sizer uses) and store it with the held-out errors
    (what sizer prints beside its predictions): never scored on the rows it was fitted on."""
    out: dict[str, Any] = {"source": "benchmarks/openvino_devices.py fit"}
    for device in ("GPU", "NPU"):
        fits = fit_generations([r for r in runs if r.device == device], known)
        out[device] = {
            "fits": {name: fit.to_dict() for name, fit in fits.items()},
            "held_out": errors.get(device),
            "loads": published_loads(runs, device),
        }
    EFFICIENCY_FILE.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    load_efficiency.cache_clear()
    return out


def published_loads(runs: list[Run], device: str) -> list[dict[str, Any]]:
    """Published load (compile) times on ``device``: the NPU compiles a model at its first
    load (OpenVINO caches the result with CACHE_DIR), which no speed figure shows."""
    timed = [r for r in runs if r.device == device and r.load_s and r.params_b]
    return [
        {"chip": r.chip, "model": r.model, "params_b": r.params_b, "load_s": r.load_s}
        for r in sorted(timed, key=lambda r: (r.params_b or 0, r.load_s or 0))
    ]


@cache
def load_efficiency() -> dict[str, Any]:
    """The stored fit, read once per process (every recommendation's places ask for it)."""
    try:
        return json.loads(EFFICIENCY_FILE.read_text())
    except (OSError, ValueError):
        return {}
