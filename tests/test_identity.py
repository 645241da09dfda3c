"""One machine identity (sizer.hardware.identity): two CPUs behind one brand string are two
machines; the same machine read twice is one; sparse imported records match where no
stated fact differs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from sizer.hardware.identity import identity, same_hardware
from sizer.probe import probe
from sizer.speed.cache import machine_key

ZEN5_FLAGS = "avx512f avx512dq avx512bw avx512vl avx512_vnni avx512_bf16 avx_vnni"


def _as_zen5(capture: Path, target: Path) -> Path:
    """The captured Zen 3 'AMD EPYC' VM with Zen 5's CPUID and AVX-512/VNNI flags: the brand
    string, core counts and memory stay exactly as captured."""
    shutil.copytree(capture, target)
    cpuinfo = target / "proc" / "cpuinfo"
    lines = []
    for line in cpuinfo.read_text().splitlines():
        key = line.split(":", 1)[0].strip()
        if key == "cpu family":
            line = "cpu family\t: 26"
        elif key == "model":
            line = "model\t\t: 2"
        elif key == "flags":
            line = f"{line} {ZEN5_FLAGS}"
        lines.append(line)
    cpuinfo.write_text("\n".join(lines) + "\n")
    return target


@pytest.fixture
def zen3_and_zen5(probe_fixture, tmp_path):
    zen3 = probe(probe_fixture("this-machine-epyc"))
    zen5 = probe(_as_zen5(probe_fixture("this-machine-epyc"), tmp_path / "zen5"))
    return zen3, zen5


def test_same_brand_string_different_cpus_are_different_machines(zen3_and_zen5):
    zen3, zen5 = zen3_and_zen5
    assert zen3.cpu.brand == zen5.cpu.brand == "AMD EPYC"
    assert (zen3.cpu.family, zen3.cpu.model, zen5.cpu.family, zen5.cpu.model) == (
        "25",
        "1",
        "26",
        "2",
    )
    assert not zen3.cpu.isa["avx512f"] and zen5.cpu.isa["avx512f"]
    assert identity(zen3.to_dict()) != identity(zen5.to_dict())
    assert identity(zen3.to_dict()).key() != identity(zen5.to_dict()).key()
    assert machine_key(zen3.to_dict()) != machine_key(
        zen5.to_dict()
    )  # calibration cache, runs, exports
    assert not same_hardware(identity(zen3.to_dict()), identity(zen5.to_dict()))  # profile corpus


def test_only_the_cpuid_differs_is_enough(probe_fixture, tmp_path):
    zen3 = probe(probe_fixture("this-machine-epyc"))
    record = zen3.to_dict()
    record["cpu"]["model"] = "33"
    assert identity(record).key() != identity(zen3.to_dict()).key()
    assert not same_hardware(identity(record), identity(zen3.to_dict()))


def test_the_same_machine_read_twice_is_one(probe_fixture):
    first = probe(probe_fixture("this-machine-epyc")).to_dict()
    second = probe(probe_fixture("this-machine-epyc")).to_dict()
    second["memory"]["available_bytes"] = 1  # changes between runs, not an identity fact
    second["measurements"] = []
    assert identity(first) == identity(second) and machine_key(first) == machine_key(second)
    assert identity(first).key() == identity(second).key()


def test_arm_identity_comes_from_implementer_and_part(probe_fixture):
    hw = probe(probe_fixture("graviton3"))
    assert (hw.cpu.family, hw.cpu.model, hw.cpu.stepping) == ("0x41", "0xd40", "r0x1p1")


@pytest.mark.parametrize(
    ("stated", "matches"),
    [
        ({}, True),  # a published table that states nothing more than the brand and cores
        ({"avx512f": True}, True),
        ({"avx512f": False}, False),  # a stated fact differs
        ({"avx2": True, "avx512f": True, "avx_vnni": True}, True),
    ],
)
def test_a_sparse_imported_record_matches_where_no_stated_fact_differs(
    zen3_and_zen5, stated, matches
):
    _, zen5 = zen3_and_zen5
    imported = {
        "cpu": {"brand": "AMD EPYC", "arch": "x86_64", "physical_cores": 2, "isa": stated},
        "accelerators": [],
    }
    assert same_hardware(identity(imported), identity(zen5.to_dict())) is matches
    assert same_hardware(identity(zen5.to_dict()), identity(imported)) is matches


def test_a_different_gpu_or_core_count_is_another_machine(zen3_and_zen5):
    _, zen5 = zen3_and_zen5
    record = zen5.to_dict()
    with_gpu = {**record, "accelerators": [{"kind": "gpu", "name": "NVIDIA GeForce RTX 4090"}]}
    more_cores = {**record, "cpu": {**record["cpu"], "physical_cores": 4}}
    assert not same_hardware(identity(record), identity(with_gpu))
    assert not same_hardware(identity(record), identity(more_cores))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r["cpu"].update(physical_cores="two"), "cpu.physical_cores is 'two'"),
        (lambda r: r["cpu"].update(physical_cores=True), "cpu.physical_cores is True"),
        (lambda r: r["memory"].update(total_bytes=[1]), "memory.total_bytes is [1]"),
        (lambda r: r.update(accelerators={"kind": "gpu"}), "accelerators must be a list"),
        (lambda r: r["accelerators"].append({"kind": "gpu"}), "accelerators[0].vendor is missing"),
        (lambda r: r["cpu"]["isa"].update(avx2="yes"), "cpu.isa.avx2 is 'yes'"),
    ],
)
def test_a_record_read_back_is_checked_field_by_field(probe_fixture, change, message):
    from sizer.errors import InputError
    from sizer.hardware.record import Hardware

    record = probe(probe_fixture("this-machine-epyc")).to_dict()
    change(record)
    with pytest.raises(InputError, match=re.escape(message)):
        Hardware.from_dict(record, "hw.json")


def test_a_record_survives_its_round_trip(probe_fixture):
    from sizer.hardware.record import Hardware

    for name in ("this-machine-epyc", "graviton3"):
        record = probe(probe_fixture(name)).to_dict()
        assert Hardware.from_dict(record).to_dict() == record
