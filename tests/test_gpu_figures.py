"""GPU figures: one database, each compute peak named, the peak the speed model uses per
device, and names that find the right part (laptop vs desktop, nvidia-smi's own names)."""

import pytest

from sizer.hardware.db import load, match
from sizer.speed.devices import (
    APPLE_TFLOPS_PER_GPU_CORE,
    NVIDIA_TENSOR_OVER_VECTOR_FP16,
    gpu_figures,
)

PEAKS = ("fp32_vector_tflops", "fp16_vector_tflops", "fp16_tensor_tflops", "int8_tensor_tops")


@pytest.mark.parametrize(
    ("name", "entry_id"),
    [
        ("NVIDIA GeForce RTX 4060 Laptop GPU", "nvidia-geforce-rtx-4060-laptop-gpu"),
        ("NVIDIA GeForce RTX 4060", "nvidia-geforce-rtx-4060"),
        ("NVIDIA GeForce RTX 4080 SUPER", "nvidia-geforce-rtx-4080-super"),
        ("NVIDIA GeForce RTX 4080", "nvidia-geforce-rtx-4080"),
        ("NVIDIA A100-PCIE-40GB", "nvidia-a100-40gb-pcie"),
        ("NVIDIA H100 PCIe", "nvidia-h100-pcie-80gb"),
        ("NVIDIA H200", "nvidia-h200-sxm-141gb"),
        ("Tesla T4", "nvidia-t4"),
        ("NVIDIA L4", "nvidia-l4"),
        ("AMD Radeon RX 7900 XTX", "amd-radeon-rx-7900-xtx"),
        ("Apple M2 Max GPU (38-core)", "apple-m2-max-gpu-38-core"),
        ("Apple M3 GPU 10-core", "apple-m3-gpu-10-core"),
    ],
)
def test_reported_names_find_their_part(name, entry_id):
    assert match(name, load("gpus")).entry.id == entry_id


@pytest.mark.parametrize(
    "name", ["NVIDIA H100 80GB HBM3", "NVIDIA H200 NVL", "Apple M5 Ultra GPU", "Apple M2 Max GPU"]
)
def test_a_sibling_is_never_taken_for_an_unlisted_part(name):
    """H100 SXM (3.35 TB/s) is not the listed PCIe card (2.0 TB/s): no figures, no place."""
    assert gpu_figures({"kind": "gpu", "vendor": "NVIDIA", "name": name}) is None


def test_every_gpu_entry_has_bandwidth_and_a_peak_or_says_why():
    for entry in load("gpus"):
        data = entry.data
        assert set(PEAKS) <= set(data), entry.id  # every peak named, null when unknown
        assert "fp16_tflops" not in data, entry.id
        has_peak = any(data[p] for p in PEAKS[1:3]) or data.get("gpu_cores")
        assert has_peak or "null" in data["notes"] or "not" in data["notes"], entry.id


@pytest.mark.parametrize(
    ("acc", "tflops", "peak"),
    [
        ({"vendor": "NVIDIA", "name": "NVIDIA GeForce RTX 4090"}, 165.2, "tensor"),
        ({"vendor": "AMD", "name": "AMD Radeon RX 7900 XTX"}, 122.8, "tensor"),
        (
            {"vendor": "NVIDIA", "name": "NVIDIA GeForce RTX 4060 Laptop GPU"},
            14.56 * NVIDIA_TENSOR_OVER_VECTOR_FP16,
            "GeForce tensor rate",
        ),
        (
            {"vendor": "Apple", "name": "Apple M2 Max GPU", "spec": {"gpu_cores": 38}},
            13.6,
            "vector",
        ),
        (
            {"vendor": "Apple", "name": "Apple M3 Max GPU (40-core)"},
            40 * APPLE_TFLOPS_PER_GPU_CORE,
            "M2's",
        ),
        ({"vendor": "Apple", "name": "Apple M1 GPU (7-core)"}, 7 * 2.6 / 8, "M1's"),
    ],
)
def test_the_prompt_peak_per_device(acc, tflops, peak):
    figures = gpu_figures({"kind": "gpu", **acc})
    assert figures.matmul_tflops == pytest.approx(tflops)
    assert peak in figures.peak


def test_figures_a_record_carries_win_over_the_database():
    """A database machine's Apple GPU carries its SoC's bandwidth; the peak comes by name."""
    spec = {"memory_bandwidth_gbs": 300.0, "gpu_cores": 38}
    acc = {"vendor": "Apple", "name": "M2 Max GPU", "spec": spec}
    figures = gpu_figures(acc)
    assert (figures.bandwidth_gbs, figures.matmul_tflops) == (300.0, 13.6)
