"""The micro-benchmark kernels: real measurements, checked for shape and sanity (not speed)."""

from __future__ import annotations

import json
import types

import pytest
from typer.testing import CliRunner

import kernels
from kernels import KernelPlan
from kernels.memory_bandwidth import MIN_BYTES, buffer_bytes
from sizer.cli import app
from sizer.probe import probe
from sizer.probe.measure import measure_hardware, thread_counts


@pytest.mark.parametrize(
    ("cores", "expected"),
    [(None, [1]), (1, [1]), (2, [1, 2]), (6, [1, 2, 4, 6]), (16, [1, 2, 4, 8, 16])],
)
def test_thread_counts(cores, expected):
    assert thread_counts(cores) == expected


def test_buffer_is_far_larger_than_l3_but_bounded_by_free_memory():
    assert buffer_bytes(KernelPlan(l3_bytes=32 << 20)) == MIN_BYTES
    assert buffer_bytes(KernelPlan(l3_bytes=96 << 20)) == 16 * (96 << 20)
    assert buffer_bytes(KernelPlan(l3_bytes=96 << 20, available_bytes=1 << 30)) == 256 << 20


def test_discovery_by_convention():
    names = {module.NAME for module in kernels.discover()}
    assert names == {"memory_read_bandwidth", "matmul"}


@pytest.mark.slow
def test_kernels_measure_for_real():
    plan = KernelPlan(cpu_threads=[1, 2], openvino_devices=["CPU"], reps=3, available_bytes=1 << 30)
    results = [r for module in kernels.discover() for r in module.measure(plan)]
    by_kernel = {(r.kernel, r.threads): r for r in results}
    assert set(by_kernel) == {
        ("memory_read_bandwidth", 1),
        ("memory_read_bandwidth", 2),
        ("matmul_f32", 1),
        ("matmul_f32", 2),
    }
    for result in results:
        assert result.stats.n == 3 and len(result.stats.samples) == 3
        assert 0 < result.stats.min <= result.stats.median <= result.stats.max
    # Loose physical sanity: DRAM reads between 0.5 and 2000 GB/s; matmul over 1 GFLOP/s.
    assert 0.5e9 < by_kernel[("memory_read_bandwidth", 1)].stats.median < 2e12
    assert by_kernel[("matmul_f32", 1)].stats.median > 1e9


def test_a_failing_kernel_keeps_the_others(monkeypatch):
    def broken(plan):
        raise RuntimeError("kernel exploded")

    good = kernels.discover()[0]
    fake = types.SimpleNamespace(NAME="broken", measure=broken)
    quick = types.SimpleNamespace(NAME=good.NAME, measure=lambda plan: [])
    monkeypatch.setattr(kernels, "discover", lambda: [fake, quick])
    hw = probe()
    measure_hardware(hw)
    assert any(m.field == "measurements.broken" and "exploded" in m.reason for m in hw.missing)


@pytest.mark.slow
def test_probe_measure_json_end_to_end():
    result = CliRunner().invoke(app, ["probe", "--measure", "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    kinds = {(m["kernel"], m["device"]) for m in record["measurements"]}
    assert {("memory_read_bandwidth", "CPU"), ("matmul_f32", "CPU")} <= kinds
    assert all("spread" in m["stats"] for m in record["measurements"])
