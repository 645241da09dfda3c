"""Numbers no machine can produce. Decode streams every weight once per token, so decode
tok/s x bytes per token cannot exceed the memory bandwidth; prefill does 2 FLOPs per weight
per token, so prefill tok/s x 2 x parameters cannot exceed the compute there is.

Bounds: the profile's own bandwidth (theoretical, or the measured read bandwidth x 1.5 —
llama.cpp can beat a one-stream kernel), else generous ceilings for any device of the kind:
1 TB/s and 1 PFLOP/s for a CPU (the fastest unified-memory SoCs reach 0.8 TB/s), 10 TB/s
and 10 PFLOP/s for a GPU.
"""

from __future__ import annotations

from typing import Any

CPU_BANDWIDTH_CEILING = 1.0e12
GPU_BANDWIDTH_CEILING = 10e12
CPU_FLOPS_CEILING = 1.0e15
GPU_FLOPS_CEILING = 10e15
KERNEL_HEADROOM = 1.5
THEORETICAL_HEADROOM = 1.1


def problems(profile: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    hw = profile["hardware"]
    for i, run in enumerate(profile["runs"]):
        found += [(f"runs[{i}].{f}", m) for f, m in run_problems(run, hw)]
    for i, task in enumerate(profile["task_scores"]):
        found += [(f"task_scores[{i}].scores.{f}", m) for f, m in score_problems(task)]
    return found


def run_problems(run: dict[str, Any], hw: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    metrics = run.get("metrics") or {}
    model = run.get("model") or {}
    gpu = _on_gpu(run)
    decode = (metrics.get("decode_tok_s") or {}).get("median")
    streamed = (model.get("speed_shape") or {}).get("decode_weight_bytes") or model.get(
        "size_bytes"
    )
    if decode and streamed:
        needed = decode * streamed
        ceiling, why = bandwidth_ceiling(hw, gpu)
        if needed > ceiling:
            found.append(
                (
                    "metrics.decode_tok_s",
                    f"{decode:.1f} tok/s x {streamed / 1e9:.2f} GB "
                    f"per token = {needed / 1e9:.0f} GB/s, more than {why} allows "
                    f"({ceiling / 1e9:.0f} GB/s)",
                )
            )
    prefill = (metrics.get("prefill_tok_s") or {}).get("median")
    params = (model.get("speed_shape") or {}).get("matmul_params") or model.get("n_params")
    if prefill and params:
        flops = 2 * prefill * params
        ceiling = GPU_FLOPS_CEILING if gpu else CPU_FLOPS_CEILING
        if flops > ceiling:
            found.append(
                (
                    "metrics.prefill_tok_s",
                    f"{prefill:.0f} tok/s needs "
                    f"{flops / 1e12:.0f} TFLOP/s, more than any {'GPU' if gpu else 'CPU'} "
                    f"has ({ceiling / 1e12:.0f})",
                )
            )
    for name in ("decode_tok_s", "prefill_tok_s", "ttft_s"):
        stats = metrics.get(name) or {}
        low, mid, high = stats.get("min"), stats.get("median"), stats.get("max")
        if None not in (low, mid, high) and not low <= mid <= high:
            found.append((f"metrics.{name}", f"median {mid} is outside [min {low}, max {high}]"))
    return found


def _on_gpu(run: dict[str, Any]) -> bool:
    device = str((run.get("backend") or {}).get("device") or "CPU").upper()
    return device != "CPU" or (run.get("config") or {}).get("n_gpu_layers", 0) > 0


def bandwidth_ceiling(hw: dict[str, Any], gpu: bool) -> tuple[float, str]:
    if gpu:
        return GPU_BANDWIDTH_CEILING, "any GPU"
    theoretical = (hw.get("memory") or {}).get("theoretical_bandwidth_bytes_s")
    if theoretical:
        return theoretical * THEORETICAL_HEADROOM, "this machine's memory"
    measured = [
        m["stats"]["median"]
        for m in hw.get("measurements") or []
        if m.get("kernel") == "memory_read_bandwidth" and m.get("device", "CPU") == "CPU"
    ]
    if measured:
        return max(measured) * KERNEL_HEADROOM, "this machine's measured read bandwidth x 1.5"
    return CPU_BANDWIDTH_CEILING, "any CPU's memory"


def score_problems(task: dict[str, Any]) -> list[tuple[str, str]]:
    scores = task.get("scores") or {}
    # every task metric sizer reports is a rate or a mean of per-item scores in [0, 1]
    return [
        (name, f"{value} is not a fraction between 0 and 1")
        for name, value in scores.items()
        if name != "n" and isinstance(value, int | float) and not 0 <= value <= 1
    ]
