"""Intel iGPU and NPU facts from OpenVINO's properties, on captured dumps (Meteor Lake 155H,
Lunar Lake 288V, an Arrow Lake NPU) and table-driven; and the power source from sysfs."""

from __future__ import annotations

from pathlib import Path

import pytest

from sizer.hardware.record import Hardware
from sizer.probe import SysRoot, power, probe
from sizer.probe.intel_devices import gpu_facts, npu_facts

GIB = 1 << 30


def _by_kind(hw: Hardware) -> dict[str, object]:
    return {a.kind: a for a in hw.accelerators}


@pytest.mark.parametrize(
    ("fixture", "generation", "xmx", "cores", "memory_gib"),
    [
        ("intel-core-ultra-155h", "Xe-LPG (Meteor Lake)", False, 8, 28.4),
        ("intel-lunar-lake-288v", "Xe2-LPG (Lunar Lake)", True, 8, 16.5),
    ],
)
def test_captured_igpus_report_generation_xmx_and_cores(
    probe_fixture, fixture, generation, xmx, cores, memory_gib
):
    gpu = _by_kind(probe(probe_fixture(fixture)))["gpu"]
    assert (gpu.generation, gpu.matrix_engines, gpu.compute_units) == (generation, xmx, cores)
    assert gpu.memory_total_bytes / GIB == pytest.approx(memory_gib, abs=0.05)
    assert gpu.integrated and gpu.memory_shared_with_ram


@pytest.mark.parametrize(
    ("fixture", "generation", "tiles", "memory_gib", "driver"),
    [
        ("intel-core-ultra-155h", "NPU 3 (Meteor Lake, Arrow Lake)", 2, 30.7, "1738334590"),
        ("intel-arrow-lake-npu", "NPU 3 (Meteor Lake, Arrow Lake)", 2, 32.0, "1004404"),
    ],
)
def test_captured_npus_report_generation_memory_and_driver(
    probe_fixture, fixture, generation, tiles, memory_gib, driver
):
    npu = _by_kind(probe(probe_fixture(fixture)))["npu"]
    assert (npu.generation, npu.compute_units, npu.driver_version) == (generation, tiles, driver)
    assert npu.memory_total_bytes / GIB == pytest.approx(memory_gib, abs=0.05)


def test_the_probe_table_names_generation_xmx_and_power(probe_fixture):
    from sizer.cli.render_probe import render_probe

    text = render_probe(probe(probe_fixture("intel-lunar-lake-288v")))
    assert "Xe2-LPG (Lunar Lake), XMX matrix engines, 8 Xe-cores" in text
    assert "\npower " in text
    text = render_probe(probe(probe_fixture("intel-arrow-lake-npu")))
    assert "NPU 3 (Meteor Lake, Arrow Lake), 2 tiles, 32.0 GiB, driver 1004404" in text
    assert "compiler 458778" in text


@pytest.mark.parametrize(
    ("props", "generation", "xmx", "cores"),
    [
        (
            {"GPU_UARCH_VERSION": "12.74.4", "GPU_EXECUTION_UNITS_COUNT": "128"},
            "Xe-LPG+ (Arrow Lake-H)",
            None,
            8,
        ),
        (
            {
                "DEVICE_ARCHITECTURE": "GPU: vendor=0x8086 arch=v12.70.4",
                "OPTIMIZATION_CAPABILITIES": "FP32 FP16 INT8",
            },
            "Xe-LPG (Meteor Lake, Arrow Lake-S/U/HX)",
            False,
            None,
        ),
        (
            {
                "GPU_UARCH_VERSION": "30.0.4",
                "GPU_EXECUTION_UNITS_COUNT": "96",
                "OPTIMIZATION_CAPABILITIES": "FP16 GPU_HW_MATMUL",
            },
            "Xe3-LPG (Panther Lake)",
            True,
            12,
        ),
        (
            {"GPU_UARCH_VERSION": "20.1.0", "GPU_EXECUTION_UNITS_COUNT": "160"},
            "Xe2-HPG (Battlemage (Arc B-series))",
            None,
            20,
        ),
        (
            {"GPU_UARCH_VERSION": "35.2.0", "GPU_EXECUTION_UNITS_COUNT": "64"},
            "unknown Intel graphics IP 35.2",
            None,
            None,
        ),  # never guessed from a sibling
        ({}, None, None, None),
        ({"GPU_UARCH_VERSION": "garbage", "GPU_EXECUTION_UNITS_COUNT": "-3"}, None, None, None),
    ],
)
def test_gpu_facts(props, generation, xmx, cores):
    facts = gpu_facts(props)
    assert (facts.generation, facts.matrix_engines, facts.compute_units) == (generation, xmx, cores)


@pytest.mark.parametrize(
    ("props", "generation", "tiles"),
    [
        ({"DEVICE_ARCHITECTURE": "4000", "NPU_MAX_TILES": "6"}, "NPU 4 (Lunar Lake)", 6),
        ({"DEVICE_ARCHITECTURE": "3720"}, "NPU 3 (Meteor Lake, Arrow Lake)", None),
        ({"DEVICE_ARCHITECTURE": "5010"}, "unknown NPU architecture 5010", None),
        ({}, None, None),
    ],
)
def test_npu_facts(props, generation, tiles):
    facts = npu_facts(props)
    assert (facts.generation, facts.compute_units) == (generation, tiles)


def _supplies(root: Path, supplies: dict[str, dict[str, str]]) -> SysRoot:
    for name, files in supplies.items():
        folder = root / "sys/class/power_supply" / name
        folder.mkdir(parents=True)
        for file, value in files.items():
            (folder / file).write_text(value + "\n")
    return SysRoot(root, live=False)


@pytest.mark.parametrize(
    ("supplies", "source", "battery"),
    [
        (
            {
                "AC": {"type": "Mains", "online": "1"},
                "BAT0": {"type": "Battery", "status": "Charging"},
            },
            "mains",
            True,
        ),
        (
            {
                "AC": {"type": "Mains", "online": "0"},
                "BAT0": {"type": "Battery", "status": "Discharging"},
            },
            "battery",
            True,
        ),
        (
            {
                "ucsi-source-psy-USBC000:001": {"type": "USB", "online": "1"},
                "BAT1": {"type": "Battery", "status": "Not charging"},
            },
            "mains",
            True,
        ),
        ({"ACAD": {"type": "Mains", "online": "1"}}, "mains", False),  # a desktop
        ({"BAT0": {"type": "Battery", "status": "Full"}}, None, True),  # no supply listed
        (
            {
                "hidpp_battery_0": {"type": "Battery", "status": "Discharging"},
                "AC": {"type": "Mains", "online": "1"},
            },
            "battery",
            True,
        ),
        ({"BAT0": {"type": "Battery"}, "AC": {"type": "Mains", "online": "garbage"}}, None, True),
        ({}, None, None),
    ],
)
def test_power_source(tmp_path, supplies, source, battery):
    hw = Hardware()
    power.read(_supplies(tmp_path, supplies), hw)
    assert (hw.power.source, hw.power.battery_present) == (source, battery)
    assert hw.power.detail
