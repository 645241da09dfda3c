"""Learning from the corpus: same hardware -> measured, agreeing similar hardware ->
calibrated, else the prior; corrections scale predictions exactly; recommend consults it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sizer.profiles.corpus import Corpus, load_corpus, task_records
from sizer.speed.corpus import (
    Correction,
    corpus_runs,
    corrected,
    correction,
    learned_core_rates,
    params_from_corpus,
    prior_for,
    ratios,
)
from sizer.speed.model import SpeedShape, predict

PROFILES = Path(__file__).parents[1] / "profiles"
FIXTURES = Path(__file__).parent / "fixtures"
SHAPE = SpeedShape(
    n_layers=32,
    decode_weight_bytes=4_000_000_000,
    matmul_params=7_000_000_000,
    attn_macs_per_position=32 * 8192,
    matmul_params_by_type={"Q4_K": 7_000_000_000},
)


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus([PROFILES])


def hw(brand: str, cores: int, arch: str = "x86_64", avx512: bool = False) -> dict:
    return {
        "cpu": {
            "brand": brand,
            "physical_cores": cores,
            "logical_cpus": cores,
            "arch": arch,
            "isa": {"avx2": arch == "x86_64", "avx512f": avx512},
        },
        "memory": {"total_bytes": 32 << 30},
        "accelerators": [],
    }


def test_a_correction_scales_predictions_exactly():
    prior = prior_for(hw("Intel Core i7-1265U", 10), 4)
    fixed = corrected(prior, Correction(1.5, 0.5, "calibrated", "test"))
    before, after = predict(SHAPE, prior, depth=1024), predict(SHAPE, fixed, depth=1024)
    assert after.decode_tok_s == pytest.approx(1.5 * before.decode_tok_s)
    assert after.prefill_tok_s == pytest.approx(0.5 * before.prefill_tok_s)
    assert fixed.confidence == "calibrated" and "decode x1.50" in fixed.source


def test_same_hardware_makes_it_measured(corpus):
    runs = corpus_runs(corpus)
    m2 = next(r for r in runs if "M2 Max" in r.label)
    fix = correction(m2.hardware, runs)
    assert fix.confidence == "measured" and "profile of this hardware" in fix.basis
    params = params_from_corpus(m2.hardware, m2.threads, corpus)
    got = predict(m2.shape, params, depth=m2.depth, prompt=m2.prompt).decode_tok_s
    learnt = learned_core_rates(runs)  # the prior the ratios are taken against
    mine = [ratios(r, learnt)[0] for r in runs if r.machine == m2.machine and r.decode_tok_s]
    prior = prior_for(m2.hardware, m2.threads, learnt)
    assert got / predict(m2.shape, prior, depth=m2.depth, prompt=m2.prompt).decode_tok_s == (
        pytest.approx(sorted(mine)[len(mine) // 2])
    )


def test_unknown_hardware_is_calibrated_by_the_per_core_rates_profiles_show(corpus):
    runs = corpus_runs(corpus)
    learnt = learned_core_rates(runs)
    assert learnt is not None and 12e9 < learnt.decode.overall < 40e9  # modern cores, raw
    assert learnt.prefill is not None and 10e9 < learnt.prefill.overall < 200e9
    target = hw("Intel Core i5-1335U", 10)
    fix = correction(target, runs)
    assert fix.confidence == "calibrated" and fix.core_rates == learnt
    assert fix.decode is None and fix.prefill is None  # no other machine's ratio is borrowed
    params = params_from_corpus(target, 2, corpus)
    assert params.bandwidth_bytes_s == pytest.approx(prior_for(target, 2, learnt).bandwidth_bytes_s)
    assert "learnt from profiles" in params.source and "GB/s per core" in params.source
    assert learned_core_rates(runs[:3]) is None or len({r.machine for r in runs[:3]}) >= 3
    assert correction(hw("Anything", 4), []) is None


def test_task_scores_from_profiles_become_quality_figures(corpus):
    from sizer.recommend.quality import measured_quality, task_scores

    scores = task_scores(task_records(corpus))
    quality = measured_quality("classification", ["catalog:qwen2.5-coder-1.5b Q4_K_M"], scores)
    assert quality is not None and quality.measured
    assert "items, profile '" in quality.source


def test_recommend_for_another_machine_uses_the_corpus(monkeypatch, tmp_path):
    from sizer.cli import app

    record = json.loads((FIXTURES / "recommend" / "this-machine.json").read_text())
    record["cpu"]["brand"] = "Apple M2 Max"
    record["cpu"]["physical_cores"] = record["cpu"]["logical_cpus"] = 12
    record["cpu"]["arch"] = "aarch64"
    record["measurements"] = []
    target = tmp_path / "m2.json"
    target.write_text(json.dumps(record))
    monkeypatch.setenv("SIZER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SIZER_PROFILES", str(PROFILES))
    result = CliRunner().invoke(app, ["recommend", "--hardware", str(target), "--json"])
    assert result.exit_code == 0, result.output
    cpu = json.loads(result.output)["speed_params"]
    assert cpu["confidence"] == "measured" and "profile of this hardware" in cpu["source"]


def test_estimate_shows_the_peak_memory_profiles_measured(monkeypatch):
    from sizer.cli import app

    monkeypatch.setenv("SIZER_PROFILES", str(FIXTURES / "profiles"))
    args = ["estimate", "qwen2.5-coder-1.5b", "--quant", "Q4_K_M", "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    measured = json.loads(result.output)["measured_in_profiles"]
    assert measured and all(m["peak_rss_bytes"] > 1e9 for m in measured)
    assert measured[0]["n_ctx"] >= measured[-1]["n_ctx"]
    text = CliRunner().invoke(app, args[:-1]).output
    assert "measured in profiles: peak RSS" in text


def test_estimate_predicts_the_speed_with_the_error_of_its_tier(monkeypatch, tmp_path):
    """No calibration here and no profile: the prior's figures, with the measured error of
    the CPU class beside them; the JSON carries the same."""
    from sizer.cli import app

    monkeypatch.setenv("SIZER_PROFILES", str(tmp_path))  # an empty corpus
    args = ["estimate", "qwen2.5-coder-1.5b", "--quant", "Q4_K_M", "--ctx", "8192"]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    speed = json.loads(result.output)["speed"]
    assert speed["confidence"] == "estimated" and speed["ctx"] == 8192
    assert 0 < speed["decode_tok_s_full_context"] < speed["decode_tok_s"]
    assert speed["ttft_s"] == pytest.approx(speed["prompt_tokens"] / speed["prefill_tok_s"])
    assert speed["typical_error"]["device_class"].startswith("CPU ")
    text = CliRunner().invoke(app, args).output
    assert "speed here (llama.cpp CPU" in text and "measured error of such estimates" in text
