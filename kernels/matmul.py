"""Dense matmul throughput (FLOP/s) per device, the figure that bounds prefill speed.

Runs through OpenVINO so the same kernel reaches the CPU (f32, with an explicit thread
count) and every GPU/NPU OpenVINO lists (f16, the precision they run LLMs at). Without
OpenVINO it falls back to numpy's BLAS on the CPU, whose thread count we do not control.
"""

from __future__ import annotations

import numpy as np

from kernels._common import KernelPlan, rate_stats, time_reps
from sizer.hardware.record import KernelResult

NAME = "matmul"
CPU_SIZE = 1024  # 2.1 GFLOP per product: ~25 ms on one modern core
ACCEL_SIZE = 2048  # 17 GFLOP: long enough to time an iGPU/NPU past launch overhead


def flops(size: int) -> float:
    return 2.0 * size**3


def measure(plan: KernelPlan) -> list[KernelResult]:
    try:
        import openvino  # noqa: F401
    except ImportError:
        return [_numpy_cpu(plan)]
    results = [_openvino(plan, "CPU", CPU_SIZE, threads) for threads in plan.cpu_threads]
    for device in plan.openvino_devices:
        if device != "CPU":
            results.append(_openvino(plan, device, ACCEL_SIZE, None))
    return results


def _openvino(plan: KernelPlan, device: str, size: int, threads: int | None) -> KernelResult:
    import openvino as ov
    import openvino.opset13 as ops

    rng = np.random.default_rng(0)
    x = ops.parameter([size, size], ov.Type.f32)
    w = ops.constant(rng.standard_normal((size, size), dtype=np.float32))
    model = ov.Model([ops.matmul(x, w, False, False)], [x])
    precision = "f32" if device == "CPU" else "f16"
    config: dict[str, object] = {"INFERENCE_PRECISION_HINT": precision}
    if threads:
        config["INFERENCE_NUM_THREADS"] = threads
    request = ov.Core().compile_model(model, device, config).create_infer_request()
    data = rng.standard_normal((size, size), dtype=np.float32)
    seconds = time_reps(lambda: request.infer({0: data}), plan.reps, warmup=2)
    stats = rate_stats(flops(size), seconds)
    params = {"size": size, "runtime": "openvino"}
    return KernelResult(f"{NAME}_{precision}", device, "flop_per_s", threads, stats, params)


def _numpy_cpu(plan: KernelPlan) -> KernelResult:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((CPU_SIZE, CPU_SIZE), dtype=np.float32)
    b = rng.standard_normal((CPU_SIZE, CPU_SIZE), dtype=np.float32)
    seconds = time_reps(lambda: a @ b, plan.reps, warmup=2)
    stats = rate_stats(flops(CPU_SIZE), seconds)
    params = {"size": CPU_SIZE, "runtime": "numpy"}
    return KernelResult(f"{NAME}_f32", "CPU", "flop_per_s", None, stats, params)
