"""GPU device classes and the efficiencies fitted on published llama-bench runs
(sizer.speed.gpu_fit): classes by vendor and API, a fit that recovers known efficiencies,
the documented defaults where runs are too few, and the runs left out."""

from __future__ import annotations

import pytest

from sizer.profiles.llama_bench_import import gpu_api
from sizer.speed.devices import GpuFigures, gpu_params
from sizer.speed.gpu_fit import (
    AMD,
    APPLE,
    CUDA,
    DEFAULTS,
    INTEL,
    GpuRun,
    device_class,
    fit,
    sbc_host,
)
from sizer.speed.model import SpeedShape, predict


@pytest.mark.parametrize(
    ("vendor", "api", "expected"),
    [
        ("Apple", "Metal", APPLE),
        ("NVIDIA", "CUDA", CUDA),
        ("NVIDIA", None, CUDA),  # a place sizer offers: llama.cpp's CUDA build
        ("NVIDIA", "Vulkan", None),  # not the class CUDA's figures were fitted on
        ("AMD", "ROCm", AMD),
        ("AMD", "Vulkan", AMD),
        ("Intel", "SYCL", INTEL),
        ("Intel", "Vulkan", INTEL),
        ("Qualcomm", "OpenCL", None),
    ],
)
def test_each_run_belongs_to_the_class_of_its_vendor_and_api(vendor, api, expected):
    assert device_class(vendor, api) == expected


@pytest.mark.parametrize(
    ("column", "api"),
    [
        ("CUDA", "CUDA"),
        ("Metal,BLAS", "Metal"),
        ("MTL,BLAS", "Metal"),
        ("ROCm", "ROCm"),
        ("HIP", "ROCm"),
        ("Vulkan", "Vulkan"),
        ("SYCL", "SYCL"),
        ("CPU", None),
        (None, None),
    ],
)
def test_llama_bench_backend_columns_name_their_api(column, api):
    assert gpu_api(column) == api


def _shape(params_b: float, bits: float, layers: int) -> SpeedShape:
    n = int(params_b * 1e9)
    return SpeedShape(layers, int(n * bits / 8), n, 4096 * layers, {"Q4_K": n})


def _runs(bandwidth_fraction: float, layer_s: float, matmul_fraction: float) -> list[GpuRun]:
    """Decode and prefill runs of four machines, made by the speed model at known figures."""
    out = []
    for machine, (gbs, tflops) in enumerate(((1008, 165), (448, 40), (936, 71), (288, 22))):
        figures = GpuFigures(gbs, tflops, "test peak")
        params = gpu_params(figures, bandwidth_fraction, "gpu", layer_s, matmul_fraction)
        for shape in (_shape(1.2, 4.8, 16), _shape(8, 4.8, 32), _shape(70, 4.8, 80)):
            speed = predict(shape, params, depth=0, prompt=512)
            for decode, prefill in ((speed.decode_tok_s, None), (None, speed.prefill_tok_s)):
                where = (str(machine), f"m{machine}", CUDA, "gpu", figures, shape, 0, 512)
                out.append(GpuRun(*where, decode, prefill, "model"))
    return out


@pytest.mark.parametrize(("fraction", "layer_s", "matmul"), [(0.9, 8e-5, 0.3), (0.6, 0.0, 0.5)])
def test_the_fit_recovers_the_efficiencies_the_runs_were_made_with(fraction, layer_s, matmul):
    fitted = fit(_runs(fraction, layer_s, matmul), CUDA)
    assert fitted.bandwidth_fraction == pytest.approx(fraction, rel=1e-6)
    assert fitted.layer_s == pytest.approx(layer_s, abs=1e-9)
    assert fitted.matmul_fraction == pytest.approx(matmul, rel=0.02)
    assert fitted.machines == 4 and "fitted on" in fitted.basis


def test_a_class_with_runs_of_too_few_machines_keeps_its_documented_default():
    runs = [r for r in _runs(0.9, 8e-5, 0.3) if r.machine in ("0", "1")]
    assert fit(runs, CUDA) == DEFAULTS[CUDA]
    assert fit(_runs(0.9, 8e-5, 0.3), APPLE) == DEFAULTS[APPLE]  # none of its own


def test_a_pcie_gpu_on_a_single_board_computer_is_not_fitted_or_scored():
    pi = {"cpu": {"brand": "Broadcom BCM2712 (Raspberry Pi 5)", "arch": "aarch64"}}
    assert sbc_host(pi, "AMD") and sbc_host(pi, "NVIDIA")
    assert not sbc_host({"cpu": {"brand": "Apple M2 Max", "arch": "aarch64"}}, "Apple")
    assert not sbc_host({"cpu": {"brand": "AMD Ryzen 9 7950X", "arch": "x86_64"}}, "AMD")
