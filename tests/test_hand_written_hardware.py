"""A machine sizer has no entry for: a hand-written record (cores, RAM, bandwidth, a GPU's
figures) is read whole and ranked for; database machines keep every figure through the
record's reader."""

import json
from pathlib import Path

import pytest

from sizer.hardware.db import load, match
from sizer.hardware.db_machine import hardware_record
from sizer.hardware.record import Hardware, check_hardware

EXAMPLE = Path(__file__).parents[1] / "examples" / "hand-written-machine.json"


def _leaves(data, path=""):
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _leaves(value, f"{path}.{key}")
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _leaves(value, f"{path}[{i}]")
    else:
        yield path, data


@pytest.mark.parametrize(
    ("cpu", "gpu"),
    [
        ("Apple M2 Max", None),
        ("Intel(R) Core(TM) Ultra 7 155H", "NVIDIA GeForce RTX 4060 Laptop GPU"),
    ],
)
def test_a_database_machine_keeps_every_figure_through_the_reader(cpu, gpu):
    cpu_entry = match(cpu, load("cpus")).entry
    gpu_entry = match(gpu, load("gpus")).entry if gpu else None
    record = hardware_record(cpu_entry, 32 << 30, gpu_entry)
    back = dict(_leaves(Hardware.from_dict(record).to_dict()))
    for path, value in _leaves(record):
        assert back.get(path, "dropped") == value, path


def test_a_hand_written_record_is_ranked_with_its_own_gpu_figures():
    from sizer.api import recommend

    answer = recommend(hardware=EXAMPLE)
    top = answer.ranking.top.candidate
    assert "RTX 3050 6GB" in top.device
    assert "figures given in the record" in top.speed.source


def test_a_hand_written_gpu_needs_only_kind_vendor_name_and_figures():
    data = json.loads(EXAMPLE.read_text())
    [gpu] = check_hardware(data, EXAMPLE)["accelerators"]
    assert gpu["source"] == "given" and gpu["spec"]["memory_bandwidth_gbs"] == 168.0
