"""The hardware database (sizer/hardware/data): well-formed, sourced, internally consistent,
and every entry findable by its own name and by the strings inventories contain."""

from __future__ import annotations

import pytest

from sizer.hardware.db import load, match

VENDORS = {"Intel", "AMD", "Apple", "Qualcomm", "NVIDIA", "Broadcom", "Rockchip", "CIX"}


@pytest.fixture(scope="module", params=["cpus", "gpus"])
def entries(request):
    return load(request.param)


def test_entries_are_unique_and_sourced(entries):
    assert len({e.id for e in entries}) == len(entries)
    for e in entries:
        assert e.vendor in VENDORS, e.id
        assert str(e.data.get("source", "")).startswith("http"), e.id


def test_every_entry_is_found_by_its_own_name(entries):
    for e in entries:
        found = match(e.name, entries)
        assert found.entry is not None and found.entry.id == e.id, (e.id, found.problem)


def test_cpu_facts_are_consistent():
    for e in load("cpus"):
        d = e.data
        assert d["p_cores"] >= 1 and d["e_cores"] >= 0, e.id
        assert d["threads"] >= d["p_cores"] + d["e_cores"], e.id
        memory = d.get("memory") or {}
        bits, mts, gbs = (
            memory.get("bus_bits"),
            memory.get("max_mts"),
            memory.get("max_bandwidth_gbs"),
        )
        if bits and mts and gbs:
            assert gbs == pytest.approx(bits / 8 * mts / 1000, rel=0.12), e.id
        x86 = e.vendor in ("Intel", "AMD")
        assert ("avx2" in (d.get("isa") or [])) == x86, e.id


@pytest.mark.parametrize(
    ("text", "vendor", "words"),
    [
        ("Intel(R) Core(TM) Ultra 7 155H", "Intel", "155H"),
        ("11th Gen Intel(R) Core(TM) i5-1145G7 @ 2.60GHz", "Intel", "1145G7"),
        ("Apple M2 Pro 12-core", "Apple", "M2 Pro"),
        ("Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz", "Intel", "8250U"),
        ("AMD Ryzen 7 PRO 7840U w/ Radeon 780M Graphics", "AMD", "7840U"),
        ("AMD Ryzen AI 9 HX 370 w/ Radeon 890M", "AMD", "370"),
        ("Snapdragon(R) X Elite - X1E78100 - Qualcomm(R) Oryon(TM) CPU", "Qualcomm", "X1E-78-100"),
        ("Intel(R) Core(TM) Ultra 7 258V", "Intel", "258V"),
        ("AMD Ryzen 5 5600U with Radeon Graphics", "AMD", "5600U"),
    ],
)
def test_inventory_strings_find_their_cpu(text, vendor, words):
    found = match(text, load("cpus"))
    assert found.entry is not None, found.problem
    assert found.entry.vendor == vendor and words.lower() in found.entry.model.lower()


def test_the_database_covers_the_fleet_families():
    models = " ".join(e.model for e in load("cpus")).lower()
    for family in (
        "i5-8250u",
        "i5-1145g7",
        "i7-1265u",
        "i7-1365u",
        "ultra 7 155h",
        "ultra 7 258v",
        "ryzen 5 4500u",
        "ryzen 7 5800u",
        "ryzen 7 7840u",
        "ryzen ai 9 hx 370",
        "m1",
        "m2 pro",
        "m3 max",
        "m4",
        "x1e-78-100",
    ):
        assert family in models, family
