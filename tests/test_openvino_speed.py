"""OpenVINO's iGPU/NPU speed model: the published corpus reads, the fit recovers known
figures, held-out scoring never sees the held-out chip, and recommend's places use it."""

from __future__ import annotations

import pytest

from sizer.speed import openvino_fit as ov
from sizer.speed.devices import intel_chip, openvino_device_params
from sizer.speed.errors import typical_error
from sizer.speed.model import SpeedShape, predict

CHIPS = {
    "a": ov.Chip("a", 100.0, True, 30.0, "Xe2-LPG"),
    "b": ov.Chip("b", 120.0, True, 40.0, "Xe2-LPG"),
    "c": ov.Chip("c", 90.0, False, 8.0, "Xe-LPG"),
    "d": ov.Chip("d", 150.0, True, 60.0, "Xe3-LPG"),
}


def _synthetic(chip: str, fraction=0.6, token_s=0.004, matmul=0.5, fixed=0.02) -> list[ov.Run]:
    """Runs a chip following the model exactly, at the given figures."""
    c = CHIPS[chip]
    out = []
    for params in (0.5, 1.5, 3.0, 7.0):
        for tokens in (32, 1024):
            run = ov.Run(
                chip, "GPU", f"m{params}", params, "INT4-MIXED", tokens, None, None, "u", chip
            )
            read = run.weight_bytes() / (c.bandwidth_gbs * 1e9)
            compute = 2 * params * 1e9 * tokens / (c.fp16_tflops * 1e12)
            decode = 1 / (read / fraction + token_s)
            ttft = fixed + read / fraction + compute / matmul
            out.append(
                ov.Run(
                    chip, "GPU", run.model, params, "INT4-MIXED", tokens, ttft, decode, "u", chip
                )
            )
    return out


def test_the_fit_recovers_the_figures_runs_were_made_with():
    runs = _synthetic("a") + _synthetic("b")
    fit = ov.fit_device(runs, CHIPS)
    assert fit.bandwidth_fraction == pytest.approx(0.6, rel=1e-3)
    assert fit.token_s == pytest.approx(0.004, rel=1e-3)
    assert fit.matmul_fraction["xmx"] == pytest.approx(0.5, rel=0.02)
    assert fit.first_token_s["xmx"] == pytest.approx(0.02, rel=0.05)


def test_a_held_out_chip_is_never_fitted_on_itself():
    # chip b reaches half of what a and d reach: left out, its error must show it
    runs = _synthetic("a") + _synthetic("b", fraction=0.3) + _synthetic("d")
    errors = ov.held_out(runs, CHIPS, lambda r: r.chip, "GPU")
    assert max(abs(v) for v in errors["decode"].of_chip("a")) < 0.5
    assert min(errors["decode"].of_chip("b")) > 0.3  # predicted too fast, as it must be


def test_a_generation_with_runs_uses_its_own_fit_else_the_pooled_one():
    runs = _synthetic("a", fraction=0.7) + _synthetic("c", fraction=0.4)
    fits = ov.fit_generations(runs, CHIPS)
    assert fits["Xe2-LPG"].bandwidth_fraction == pytest.approx(0.7, rel=1e-3)
    assert fits["Xe-LPG"].bandwidth_fraction == pytest.approx(0.4, rel=1e-3)
    fit, which = ov.fit_for(fits, "Xe3-LPG")
    assert which == ov.POOLED and 0.4 < fit.bandwidth_fraction < 0.7


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"runtime": "executorch"}, "runtime executorch"),
        ({"chip": "zz"}, "chip not in the hardware database"),
        ({"kind": "moe"}, "moe model"),
        ({"precision": "FP4-NORMALIZED"}, "precision FP4-NORMALIZED"),
        ({"device": "CPU"}, "device CPU"),
        ({}, None),
    ],
)
def test_why_a_run_is_not_predictable(change, why):
    import dataclasses

    run = dataclasses.replace(_synthetic("a")[0], **change)
    assert ov.why_unpredictable(run, CHIPS) == why


def test_the_published_corpus_reads_with_its_sources():
    runs, known = ov.load_runs(), ov.chips()
    assert len(runs) > 2000
    assert all(r.source.startswith("https://") for r in runs)
    assert {r.device for r in runs} == {"GPU", "NPU", "CPU"}
    tables = {r.table for r in runs if r.table.endswith(".csv")}
    assert len(tables) == 13
    cover = ov.coverage(runs, known)
    assert cover["predictable"] / cover["runs"] >= 0.7
    # Intel's label "5-330" names no SKU: never resolved to a sibling
    assert all(r.chip == "" for r in runs if r.table.startswith("5-330"))


def test_the_shipped_figures_and_errors_come_from_the_corpus():
    stored = ov.load_efficiency()
    fits = stored["GPU"]["fits"]
    assert {"all", "Xe-LPG", "Xe2-LPG", "Xe3-LPG"} <= set(fits)
    assert 0.3 < fits["all"]["bandwidth_fraction"] < 1.0
    error = typical_error("OpenVINO iGPU")
    assert error is not None and error.runs > 1000 and "leave one chip out" in error.basis
    assert "first token" in str(error)


def test_a_core_ultra_igpu_is_predicted_from_its_chip_and_generation():
    acc = {"kind": "gpu", "vendor": "Intel", "name": "Intel(R) Arc(TM) 140V GPU (16GB) (iGPU)"}
    chip = intel_chip(acc, "Intel(R) Core(TM) Ultra 7 258V")
    assert chip is not None and chip.xmx and chip.generation == "Xe2-LPG"
    params = openvino_device_params("gpu", chip, "Arc 140V")
    assert params is not None and "Xe2-LPG" in params.source
    shape = SpeedShape(32, int(4.4e9), int(7e9), 4096 * 2 * 32)  # a 7-8B Q4 model
    speed = predict(shape, params, prompt=1024)
    assert 8 < speed.decode_tok_s < 40 and 0.2 < speed.ttft_s < 5


@pytest.mark.parametrize("brand", ["Intel(R) Core(TM) Ultra 7", "Intel Core Ultra 9 999Z", None])
def test_an_unknown_or_ambiguous_chip_is_not_guessed(brand):
    assert intel_chip({"kind": "gpu", "vendor": "Intel", "name": "Intel Arc"}, brand) is None


def test_fleet_of_core_ultra_laptops_names_the_igpu_its_error_and_the_npus(tmp_path):
    import json

    from typer.testing import CliRunner

    from sizer.cli import app

    inventory = tmp_path / "fleet.csv"
    inventory.write_text(
        "id,cpu,ram_gb\na,Intel Core Ultra 7 258V,32\nb,Intel Core Ultra 7 155H,16\n"
        "c,Intel Core i5-8250U,16\n"
    )
    result = CliRunner().invoke(app, ["fleet", str(inventory), "--task", "chat"])
    assert result.exit_code == 0, result.output
    assert "typical for OpenVINO iGPU (leave one chip out" in result.output
    assert "NPU: 2 of 3 machines have one" in result.output
    data = json.loads(CliRunner().invoke(app, ["fleet", str(inventory), "--json"]).output)
    assert data["npu"]["machines_with_npu"] == 2
    picks = {c["cpu"]: c["pick"] for c in data["configurations"]}
    pick = picks["intel-core-ultra-7-258v"]
    assert pick["backend"] == "openvino" and "Arc 140V" in pick["device"]
    assert pick["device_class"] == "OpenVINO iGPU" and "Xe2-LPG" in pick["speed"]["source"]
    assert "optimum-cli export openvino" in pick["get"]


def test_the_stored_fit_is_the_corpus_fit_now(tmp_path, monkeypatch):
    """The corpus or the model changed and `make bench-openvino-devices` was not rerun."""
    import json

    runs, known = ov.load_runs(), ov.chips()
    stored = ov.load_efficiency()
    monkeypatch.setattr(ov, "EFFICIENCY_FILE", tmp_path / "fit.json")
    held = {
        device: {
            k: v.summary() for k, v in ov.held_out(runs, known, lambda r: r.chip, device).items()
        }
        for device in ("GPU", "NPU")
    }
    fresh = json.loads(json.dumps(ov.write_efficiency(runs, known, held)))
    assert fresh == stored
