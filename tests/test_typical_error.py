"""Every estimate for a machine sizer has not measured carries the measured error of its
device class; this machine's calibrated figures and GPU picks say what they are instead."""

import json
from pathlib import Path

from typer.testing import CliRunner

from sizer.cli import app
from sizer.speed.errors import cpu_class, typical_error

ROOT = Path(__file__).parents[1]


def test_each_cpu_class_has_its_own_figure():
    x86, arm = typical_error("CPU x86"), typical_error("CPU Arm")
    assert x86.decode and arm.decode and x86.runs > arm.runs > 0
    assert "leave one source out" in x86.basis and "make bench-unseen" in x86.basis
    assert typical_error("CUDA").decode  # published llama-bench runs of CUDA GPUs
    assert typical_error("NPU") is None  # no runs: no borrowed figure
    assert cpu_class({"cpu": {"arch": "aarch64"}}) == "CPU Arm"


def test_recommend_for_another_machine_shows_the_error_beside_its_estimates():
    hardware = str(ROOT / "examples" / "hand-written-machine.json")
    result = CliRunner().invoke(app, ["recommend", "--hardware", hardware, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["typical_error"]["device_class"] == "CPU x86"
    assert data["typical_error"]["decode_median_error"] == typical_error("CPU x86").decode
    text = CliRunner().invoke(app, ["recommend", "--hardware", hardware]).stdout
    # its top pick is on the RTX 3050: the CUDA class's error, from the published runs
    assert "Measured error of such GPU estimates: decode ±" in text
    assert "typical for CUDA" in text
    assert data["pick_error"]["device_class"] == "CUDA"


def test_fleet_gives_each_pick_its_class_error():
    inventory = str(ROOT / "examples" / "inventory-intune.csv")
    result = CliRunner().invoke(app, ["fleet", inventory, "--json"])
    assert result.exit_code == 0, result.output
    configs = json.loads(result.stdout)["configurations"]
    for config in configs:
        pick = config["pick"]
        if pick and pick["device_kind"] == "CPU" and config["confidence"] != "measured":
            assert config["typical_error"]["device_class"].startswith("CPU")
        if pick and pick["device_kind"] != "CPU":  # llama.cpp GPU classes have runs
            found = config["typical_error"]
            assert (found or {}).get("device_class") == pick.get("device_class")
    assert any(c["typical_error"] for c in configs)
