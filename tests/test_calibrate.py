"""Calibration tiers, the cache, and fitting the probe runs (captured real records)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sizer.bench import calibration as bench_calibration
from sizer.speed import cache as calibration_cache
from sizer.speed import calibration, observe, prior
from sizer.speed.model import Observation, SpeedShape

FIXTURES = Path(__file__).parent / "fixtures"
THIS_MACHINE = json.loads((FIXTURES / "recommend" / "this-machine.json").read_text())


def _hw(*measurements) -> dict:
    rows = [
        {"kernel": k, "device": "CPU", "threads": t, "stats": {"median": v}}
        for k, t, v in measurements
    ]
    return {
        "cpu": {"brand": "X", "physical_cores": 8, "isa": {}},
        "memory": {},
        "measurements": rows,
    }


@pytest.mark.parametrize(
    "threads, expected",
    [
        (1, 10e9),
        (4, 30e9),  # measured counts
        (6, 30e9 * (1 + 0.5 * 2 / 4)),  # between: half-linear gain from the count below
        (16, 30e9 * (1 + 0.5 * 12 / 4)),
    ],
)
def test_kernel_figure_at_and_between_measured_counts(threads, expected):
    hw = _hw(("memory_read_bandwidth", 1, 10e9), ("memory_read_bandwidth", 4, 30e9))
    assert prior.kernel_figure(hw, "memory_read_bandwidth", threads) == pytest.approx(expected)
    assert prior.kernel_figure(hw, "matmul_f32", threads) is None


def test_prior_uses_kernels_when_measured_and_defaults_otherwise():
    measured = prior.prior_params(THIS_MACHINE, 2)
    assert measured.source == "kernels at 2 thread(s) x fitted efficiency"
    assert measured.confidence == "estimated"
    kernel_bw = prior.kernel_figure(THIS_MACHINE, "memory_read_bandwidth", 2)
    eff = prior.KERNEL_EFFICIENCY["bandwidth"]
    assert measured.bandwidth_bytes_s == pytest.approx(kernel_bw * eff)
    bare = prior.prior_params(_hw(), 4)
    assert bare.source.startswith("documented defaults")
    assert bare.bandwidth_bytes_s == pytest.approx(
        prior.DEFAULT_BANDWIDTH_PER_THREAD * 4 * prior.KERNEL_EFFICIENCY["bandwidth"]
    )


def test_fingerprint_ignores_what_changes_between_runs():
    a = json.loads(json.dumps(THIS_MACHINE))
    b = json.loads(json.dumps(THIS_MACHINE))
    b["memory"]["available_bytes"] = 1
    b["measurements"] = []
    assert calibration_cache.machine_key(a) == calibration_cache.machine_key(b)
    b["llama_cpp"]["version"] = "9.9.9"  # another runtime: another calibration
    assert calibration_cache.machine_key(a) != calibration_cache.machine_key(b)


def test_only_matching_llama_cpp_cpu_runs_calibrate():
    runs = [
        json.loads(line)
        for line in (FIXTURES / "recommend" / "results" / "qwen-runs.jsonl")
        .read_text()
        .splitlines()
    ]
    machine = calibration_cache.machine_key(THIS_MACHINE)
    assert [observe.usable_run(r, machine, 2) for r in runs].count(True) == 1
    other = json.loads(json.dumps(runs[0]))
    other["config"]["measurement"]["kv_type"] = "q8_0"
    assert not observe.usable_run(other, machine, other["config"]["threads"])
    assert not observe.usable_run(runs[0], "another machine", runs[0]["config"]["threads"])


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("SIZER_HOME", str(tmp_path))
    return tmp_path


def test_cache_round_trip_forget_and_damage(home):
    params = prior.prior_params(THIS_MACHINE, 2).with_source("probe runs", "calibrated")
    assert calibration_cache.load_cached(THIS_MACHINE, 2) is None
    calibration_cache.store(THIS_MACHINE, params)
    assert calibration_cache.load_cached(THIS_MACHINE, 2) == params
    assert calibration_cache.load_cached(THIS_MACHINE, 1) is None
    calibration_cache.forget(THIS_MACHINE, 2)
    assert calibration_cache.load_cached(THIS_MACHINE, 2) is None
    calibration_cache.cache_path().write_text("{garbage")
    assert calibration_cache.load_cached(THIS_MACHINE, 2) is None  # ignored, never fatal
    calibration_cache.store(THIS_MACHINE, params)  # and rewritten
    assert calibration_cache.load_cached(THIS_MACHINE, 2) == params


TINY = SpeedShape(
    n_layers=16,
    decode_weight_bytes=16_000_000,
    matmul_params=27_000_000,
    attn_macs_per_position=65_536,
)


def test_overheads_are_what_the_tiny_models_bytes_do_not_explain():
    params = prior.prior_params(THIS_MACHINE, 2)
    bytes_s = TINY.decode_weight_bytes / params.bandwidth_bytes_s
    tiny = Observation(TINY, 0, 128, decode_tok_s=1 / (bytes_s + 16 * 3e-4), prefill_tok_s=1e6)
    fitted = calibration.overheads_from(tiny, params)
    assert fitted.decode_layer_s == pytest.approx(3e-4)
    assert fitted.prefill_layer_s == 0.0  # faster than its FLOPs allow: never negative


def test_a_failed_probe_run_falls_back_to_the_kernels_with_a_label(home, monkeypatch):
    from sizer.errors import SizerError
    from sizer.hardware.record import KernelResult, SampleStats
    from sizer.probe import probe

    hw = probe()

    def fake_kernels(hw, threads):  # replay this machine's captured kernel figures
        for m in THIS_MACHINE["measurements"]:
            stats = SampleStats(**{k: m["stats"][k] for k in ("median", "min", "max", "n")})
            hw.measurements.append(
                KernelResult(m["kernel"], m["device"], m["unit"], m["threads"], stats)
            )

    def broken_probes(*args, **kwargs):
        raise SizerError("crashed: llama.cpp died")

    monkeypatch.setattr(bench_calibration, "_measure_kernels", fake_kernels)
    monkeypatch.setattr(bench_calibration, "_probe_runs", broken_probes)
    said = []
    params = bench_calibration.run_calibration(hw, 2, said.append)
    assert params.source == "kernels at 2 thread(s) x fitted efficiency"
    assert any("probe runs failed (crashed: llama.cpp died)" in m for m in said)
    assert calibration_cache.load_cached(hw.to_dict(), 2) == params  # cached: the next call is fast
