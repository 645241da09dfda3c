"""Per-core rates for CPUs sizer has not measured (sizer.speed.cores): the core's class, its
clock and memory from the record or the hardware database (never a sibling's), the threads
that stream, and what the corpus teaches per class and per cycle."""

from __future__ import annotations

import pytest

from sizer.speed.cores import (
    ClassRates,
    CoreRates,
    clock_ghz,
    core_class,
    learn_rates,
    streaming_threads,
    theoretical_bandwidth,
)
from sizer.speed.corpus import CorpusRun, learned_core_rates
from sizer.speed.model import SpeedShape
from sizer.speed.prior import KERNEL_EFFICIENCY, THEORETICAL_BANDWIDTH_SHARE, prior_params


def cpu(brand: str, arch: str = "x86_64", avx512: bool = False, **more) -> dict:
    return {"cpu": {"brand": brand, "arch": arch, "isa": {"avx512f": avx512}, **more}}


@pytest.mark.parametrize(
    ("record", "kind"),
    [
        (cpu("AMD Ryzen 9 7950X", avx512=True), "x86 AVX-512"),
        (cpu("Intel Core i5-1335U"), "x86 AVX2"),
        (cpu("Apple M2 Max", "aarch64"), "Apple"),
        (cpu("Qualcomm Snapdragon X Plus X1P-64-100", "arm64"), "Arm"),
    ],
)
def test_core_class(record, kind):
    assert core_class(record) == kind


@pytest.mark.parametrize(
    ("record", "ghz"),
    [
        (cpu("AMD EPYC", max_freq_mhz=3700.0), 3.7),  # the probe's own figure wins
        (cpu("AMD Ryzen 9 7950X"), 5.7),  # the database's, by name
        (cpu("Apple M4 Pro"), 4.5),  # two variants, one clock: that clock
        (cpu("AMD EPYC"), None),  # no model number: unknown, not a guess
        (cpu(""), None),
    ],
)
def test_clock_comes_from_the_probe_or_the_database(record, ghz):
    assert clock_ghz(record) == ghz


def test_memory_bandwidth_is_never_a_siblings():
    assert theoretical_bandwidth({"memory": {"theoretical_bandwidth_bytes_s": 9e10}}) == 9e10
    assert theoretical_bandwidth(cpu("Apple M4 Pro")) == pytest.approx(273e9)
    # the 14-core M4 Max has 410 GB/s, the 16-core 546: the name alone settles neither
    assert theoretical_bandwidth(cpu("Apple M4 Max")) is None


@pytest.mark.parametrize(
    ("physical", "threads", "streaming"), [(4, 8, 4), (8, 4, 4), (None, 6, 6), (0, 3, 3)]
)
def test_smt_siblings_add_no_streaming(physical, threads, streaming):
    assert streaming_threads(cpu("X", physical_cores=physical), threads) == streaming


def x86(ghz: float | None) -> dict:
    return cpu("Some x86", max_freq_mhz=ghz * 1000 if ghz else None)


def test_learnt_rates_go_per_class_then_architecture_then_all():
    samples = [(x86(4.0), 16e9), (x86(5.0), 25e9), (x86(2.0), 6e9)]
    samples += [(cpu("Apple M4 Pro", "aarch64"), 36e9), (cpu("Apple M2 Max", "aarch64"), 18e9)]
    rates = learn_rates(samples)
    # three clocked x86 AVX2 machines: their median bytes per cycle (4, 5, 3) times the clock
    rate, basis = rates.for_hardware(x86(3.0))
    assert rate == pytest.approx(4.0 * 3.0e9) and "x86 AVX2" in basis and "/cycle" in basis
    # no clock: the class's median per thread
    assert rates.for_hardware(x86(None))[0] == pytest.approx(16e9)
    # two Apple machines are not a class yet, nor are two Arm ones: the median over all
    rate, basis = rates.for_hardware(cpu("Apple M3", "aarch64"))
    assert rate == pytest.approx(18e9) and "all cores" in basis


def test_an_x86_avx512_core_falls_back_to_x86_not_to_all():
    samples = [(x86(4.0), 16e9), (x86(5.0), 25e9), (x86(2.0), 6e9)]
    samples += [(cpu(f"Apple M{i}", "aarch64"), 90e9) for i in (1, 2, 3, 4)]
    rate, basis = learn_rates(samples).for_hardware(cpu("Zen 5", avx512=True, max_freq_mhz=5000.0))
    assert rate == pytest.approx(4.0 * 5e9) and basis.startswith("x86 cores'")


def run(machine: str, hw: dict, threads: int, tok_s: float, size: int, streamed: int):
    sparse = streamed < 0.5 * size
    shape = SpeedShape(32, streamed, 7_000_000_000, 32 * 8192, {"Q4_0": 7_000_000_000}, sparse)
    return CorpusRun(
        machine=machine,
        label=machine,
        hardware=hw,
        threads=threads,
        shape=shape,
        depth=64,
        prompt=512,
        decode_tok_s=tok_s,
        prefill_tok_s=None,
        model="m",
    )


def test_a_mixture_of_experts_teaches_no_per_core_rate():
    dense = [run(f"m{i}", x86(None), 2, 5.0, 4_000_000_000, 4_000_000_000) for i in range(3)]
    moe = run("moe", x86(None), 2, 1.0, 12_000_000_000, 1_500_000_000)
    learnt = learned_core_rates([*dense, moe])
    assert learnt is not None and learnt.decode.machines == 3
    expected = 5.0 * 4e9 / 2 / KERNEL_EFFICIENCY["bandwidth"]
    assert learnt.decode.overall == pytest.approx(expected)


def test_the_prior_caps_the_cores_by_the_memory():
    rates = CoreRates(decode=ClassRates(overall=20e9), prefill=ClassRates(overall=50e9, unit="F"))
    record = {**cpu("Some x86", physical_cores=16), "memory": {}}
    record["memory"]["theoretical_bandwidth_bytes_s"] = 100e9
    few, many = prior_params(record, 2, rates), prior_params(record, 16, rates)
    e = KERNEL_EFFICIENCY["bandwidth"]
    assert few.bandwidth_bytes_s == pytest.approx(2 * 20e9 * e)
    assert many.bandwidth_bytes_s == pytest.approx(100e9 * THEORETICAL_BANDWIDTH_SHARE * e)
    assert many.matmul_flop_s == pytest.approx(16 * 50e9 * KERNEL_EFFICIENCY["matmul"])
    assert "GB/s per core" in few.source and "GFLOP/s per core" in few.source
