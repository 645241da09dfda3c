"""Machine-facts records: the dependency-light collection scripts run for real where this
machine can (the POSIX sh one, on Linux), and their records read as fleet machines."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from sizer.fleet.facts import facts_row
from sizer.fleet.probes import read_probe_records

ROOT = Path(__file__).parents[1]
SCRIPT = ROOT / "examples" / "collect" / "sizer-facts.sh"
IGPU = {"name": "Intel(R) Arc(TM) Graphics", "vram_bytes": 128 << 20}
DGPU = {"name": "NVIDIA GeForce RTX 4060 Laptop GPU", "vram_bytes": 8 << 30}
GOOD = {
    "format": "sizer.machine-facts",
    "format_version": 1,
    "id": "LAPTOP-1",
    "cpu": "Intel(R) Core(TM) Ultra 7 155H",
    "ram_bytes": 32 << 30,
    "gpus": [IGPU, DGPU],
}


def test_a_facts_record_is_an_inventory_row():
    row = facts_row(GOOD, "LAPTOP-1.json", "fallback")
    assert (row.machine_id, row.cpu, row.ram_bytes, row.vram_bytes) == (
        "LAPTOP-1",
        GOOD["cpu"],
        32 << 30,
        8 << 30,
    )
    assert row.gpu == "Intel(R) Arc(TM) Graphics | NVIDIA GeForce RTX 4060 Laptop GPU"
    assert row.where == "LAPTOP-1.json"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format_version": 2}, "format_version 2"),
        ({"cpu": ""}, 'no "cpu"'),
        ({"cpu": None}, 'no "cpu"'),
        ({"ram_bytes": "16 GB"}, "not a whole number"),
        ({"ram_bytes": True}, "not a whole number"),
        ({"ram_bytes": 3 << 40}, "not a plausible size"),
        ({"ram_bytes": 0}, "not a plausible size"),
        ({"gpus": "RTX 4060"}, '"gpus" is not a list'),
    ],
)
def test_a_bad_facts_record_says_what_is_wrong(change, message):
    with pytest.raises(ValueError, match=message):
        facts_row({**GOOD, **change}, "x.json", "x")


def test_a_folder_mixes_probe_and_facts_records_and_keeps_the_good_ones(tmp_path):
    probe = ROOT / "tests" / "fixtures" / "recommend" / "this-machine.json"
    shutil.copy(probe, tmp_path / "probe.json")
    # Windows PowerShell 5.1's '>' writes UTF-16 with a byte-order mark
    (tmp_path / "win.json").write_bytes(json.dumps(GOOD).encode("utf-16"))
    (tmp_path / "same-id.json").write_text(json.dumps(GOOD))
    (tmp_path / "cut.json").write_text(json.dumps(GOOD)[:60])
    (tmp_path / "binary.json").write_bytes(os.urandom(2048))
    reading = read_probe_records([tmp_path])
    assert [name for name, _ in reading.machines] == ["probe"]
    assert [row.machine_id for row in reading.rows] == ["LAPTOP-1"]
    text = "\n".join(reading.problems)
    assert "duplicate machine id 'LAPTOP-1'" in text
    assert "cut.json: not valid JSON" in text and "truncated?" in text
    assert "binary.json: not" in text
    assert len(reading.problems) == 3


def test_facts_machines_are_matched_and_assessed_like_inventory_rows(tmp_path):
    from sizer.fleet.plan import from_probes

    (tmp_path / "a.json").write_text(json.dumps(GOOD))
    unknown = {**GOOD, "id": "KIOSK", "cpu": "Intel(R) Pentium(R) Silver N5030 CPU @ 1.10GHz"}
    (tmp_path / "b.json").write_text(json.dumps(unknown))
    fleet = from_probes(read_probe_records([tmp_path]))
    config = fleet.machines[0].config
    assert config.cpu_id == "intel-core-ultra-7-155h"
    assert config.gpu_id == "nvidia-geforce-rtx-4060-laptop-gpu"  # the iGPU is not in the GPU db
    assert config.vram_gib == 8
    assert fleet.problems == [
        f"{tmp_path / 'b.json'}: not in the hardware database: {unknown['cpu']!r}"
    ]


def _run_script(env: dict[str, str]) -> dict:
    done = subprocess.run(
        ["sh", str(SCRIPT)], capture_output=True, text=True, env=env, timeout=60, check=True
    )
    return json.loads(done.stdout)


@pytest.mark.skipif(not Path("/proc/cpuinfo").exists(), reason="the Linux branch needs /proc")
def test_the_sh_collection_script_reports_this_machine():
    facts = _run_script({**os.environ, "SIZER_FACTS_ID": "asset-7"})
    row = facts_row(facts, "this.json", "this")
    cpuinfo = Path("/proc/cpuinfo").read_text()
    assert f"model name\t: {row.cpu}" in cpuinfo or "model name" not in cpuinfo
    meminfo_kb = int(Path("/proc/meminfo").read_text().split()[1])
    assert row.ram_bytes == meminfo_kb * 1024
    assert row.machine_id == "asset-7" and facts["logical_cpus"] == os.cpu_count()


@pytest.mark.skipif(not Path("/proc/cpuinfo").exists(), reason="the Linux branch needs /proc")
def test_the_sh_collection_script_reads_nvidia_smi(tmp_path):
    # This machine has no NVIDIA GPU: a stand-in nvidia-smi prints what a real one printed for
    # this query (name and MiB of the RTX 4080 SUPER captured in
    # tests/fixtures/probe/nvidia-desktop, in nvidia-smi's csv,noheader,nounits form).
    fake = tmp_path / "nvidia-smi"
    fake.write_text("#!/bin/sh\nprintf 'NVIDIA GeForce RTX 4080 SUPER, 16376\\n'\n")
    fake.chmod(0o755)
    facts = _run_script({**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"})
    assert facts["gpus"] == [{"name": "NVIDIA GeForce RTX 4080 SUPER", "vram_bytes": 16376 << 20}]


def test_the_example_folder_reads_with_its_problem_listed():
    reading = read_probe_records([ROOT / "examples" / "fleet-folder"])
    assert len(reading.machines) == 1 and len(reading.rows) == 6
    assert reading.problems == []
