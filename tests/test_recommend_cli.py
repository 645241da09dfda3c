"""``sizer recommend`` through Typer's runner, on captured machines and captured real runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sizer.cli import app

FIXTURES = Path(__file__).parent / "fixtures"
THIS_MACHINE = FIXTURES / "recommend" / "this-machine.json"  # sizer probe --measure --json
RESULTS = FIXTURES / "recommend" / "results"  # real runs and task scores of Qwen2.5-Coder-1.5B


@pytest.fixture(autouse=True)
def _own_home(tmp_path, monkeypatch):
    """A fresh sizer home per test: no cached calibration or file facts from the developer."""
    from sizer import filefacts

    monkeypatch.setenv("SIZER_HOME", str(tmp_path / "home"))
    filefacts.forget_loaded()
    yield
    filefacts.forget_loaded()


def run(*args: str):
    return CliRunner().invoke(app, ["recommend", *args])


def sizer(*args: str) -> subprocess.CompletedProcess[str]:
    """The real entry point, error mapping included, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "sizer", "recommend", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def captured(name: str, tmp_path: Path) -> Path:
    """A captured machine's probe record, as 'sizer probe --json' writes it there."""
    result = CliRunner().invoke(
        app, ["probe", "--json", "--sysroot", str(FIXTURES / "probe" / name)]
    )
    assert result.exit_code == 0, result.output
    path = tmp_path / f"{name}.json"
    path.write_text(result.stdout)
    return path


def test_ranks_for_this_machine_from_its_probe_record():
    result = run("--hardware", str(THIS_MACHINE), "--results", str(RESULTS), "--task", "chat")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Top pick:" in out and "get it:" in out
    assert "kernels at 2 thread(s) x fitted efficiency" not in out  # the runs calibrate it
    # the fixture's steady 2-thread run (its 1-thread run's prefill spread is 25 %)
    assert "calibrated on 1 run(s) measured here at 2 thread(s)" in out
    assert "Why not a better or larger model:" in out
    why_not = out.split("Why not a better or larger model:")[1]
    assert any(p in why_not for p in ("after headroom", "below the 8 floor", "over the 5 s"))


def test_json_output_is_complete_and_measured_quality_is_used():
    result = run(
        "--hardware",
        str(THIS_MACHINE),
        "--results",
        str(RESULTS),
        "--task",
        "extraction",
        "--json",
        "--min-quality",
        "0.9",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["format"] == "sizer.recommendation" and data["workload"]["task"] == "extraction"
    rows = {(r["model"], r["quant"], r["backend"]): r for r in data["passing"]}
    qwen = rows[("qwen2.5-coder-1.5b", "Q4_K_M", "llama.cpp")]
    # field F1 of the grammar-constrained extraction run, 44 items, from the fixture
    assert qwen["quality"]["value"] == pytest.approx(0.957, abs=0.001)
    assert qwen["quality"]["source"] == "measured: 44 items, results here"
    assert all(r["quality"]["value"] >= 0.9 for r in data["passing"])
    assert data["top"]["passes"] and data["speed_params"]["threads"] == 2


def test_a_measured_local_file_reports_measured_speed(qwen_path):
    result = run(
        "--hardware",
        str(THIS_MACHINE),
        "--results",
        str(RESULTS),
        "--path",
        str(qwen_path),
        "--json",
        "--task",
        "classification",
        "--min-tps",
        "0",
        "--max-ttft",
        "60",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    local = [r for r in data["passing"] if r["path"] == str(qwen_path)]
    assert local and local[0]["speed"]["confidence"] == "measured"
    assert local[0]["get"].startswith("on disk:")
    # the catalog row for the same model and quant is replaced by the file
    assert not [
        r
        for r in data["passing"]
        if r["model"] == "qwen2.5-coder-1.5b" and r["quant"] == "Q4_K_M" and r["path"] is None
    ]


@pytest.mark.parametrize(
    "machine, device",
    [
        ("nvidia-desktop", "NVIDIA GeForce RTX 4080 SUPER"),
        ("apple-m4-max", "Apple M4 Max GPU"),
        ("intel-core-ultra-155h", "Intel(R) AI Boost"),
    ],
)
def test_accelerators_are_places_with_estimated_speed(tmp_path, machine, device):
    result = run("--hardware", str(captured(machine, tmp_path)), "--json", "--all")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    on_device = [r for r in data["passing"] + data["why_not"] if device in r["device"]]
    assert on_device, f"no candidate on {device}"
    assert all(r["speed"]["confidence"] == "estimated" for r in on_device)
    # no kernel measurements in these captures: the CPU figures are documented defaults
    assert data["speed_params"]["source"].startswith("documented defaults")


def test_big_gpu_runs_bigger_models_than_this_cpu(tmp_path):
    here = json.loads(run("--hardware", str(THIS_MACHINE), "--json").stdout)
    gpu = json.loads(run("--hardware", str(captured("nvidia-desktop", tmp_path)), "--json").stdout)
    assert gpu["top"]["params_b"] > here["top"]["params_b"]
    assert "RTX 4080 SUPER" in gpu["top"]["device"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--headroom", "64"], "lower --headroom"),
        (["--min-tps", "5000"], "decode floor: rules out"),
        (["--ctx", "2000000", "--prompt-tokens", "1000"], "context length: rules out"),
    ],
)
def test_impossible_workloads_explain_and_show_the_nearest_options(args, message):
    result = run("--hardware", str(THIS_MACHINE), *args)
    assert result.exit_code == 0, result.output
    assert "Nothing meets this workload" in result.stdout
    assert message in result.stdout
    assert "Nearest options:" in result.stdout


def _bad_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hw.json"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "text, message",
    [
        ("{not json", "not JSON"),
        ('{"format": "sizer.run"}', "not a sizer hardware record"),
        ('{"format": "sizer.hardware", "format_version": 9}', "format_version 9"),
        ('{"format": "sizer.hardware", "format_version": 1, "cpu": {}}', "'memory' section"),
        (
            '{"format": "sizer.hardware", "format_version": 1, "cpu": {}, "memory": {}}',
            "no memory size",
        ),
    ],
)
def test_bad_hardware_files_get_one_clear_line(tmp_path, text, message):
    result = sizer("--hardware", str(_bad_file(tmp_path, text)))
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_hardware_file(tmp_path):
    result = sizer("--hardware", str(tmp_path / "nope.json"))
    assert result.returncode == 2 and "cannot read it" in result.stderr


def test_bad_workload_option_and_file(tmp_path):
    assert sizer("--task", "poetry", "--hardware", str(THIS_MACHINE)).returncode == 2
    bad = tmp_path / "w.toml"
    bad.write_text("task = [")
    result = sizer("--workload", str(bad), "--hardware", str(THIS_MACHINE))
    assert result.returncode == 2 and "not valid TOML" in result.stderr


def test_verify_needs_this_machine():
    result = sizer("--hardware", str(THIS_MACHINE), "--verify")
    assert result.returncode == 3 and "cannot run with --hardware" in result.stderr


def test_live_machine_with_a_cached_calibration_runs_nothing(monkeypatch, tmp_path):
    """A cached calibration is used as is: no kernels, no probe runs (the <2 s path)."""
    from sizer.bench import calibration as bench_calibration
    from sizer.hardware.threads import threads_for
    from sizer.probe import probe
    from sizer.speed import cache as calibration_cache
    from sizer.speed import prior

    hw = probe()
    threads = threads_for(hw.to_dict())
    cached = prior.prior_params(json.loads(THIS_MACHINE.read_text()), threads)
    calibration_cache.store(hw.to_dict(), cached.with_source("cached for the test", "calibrated"))

    def no_runs(*args, **kwargs):
        raise AssertionError("calibration ran although it was cached")

    monkeypatch.setattr(bench_calibration, "run_calibration", no_runs)
    result = run("--results", str(tmp_path), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["speed_params"]["source"] == "cached for the test"
