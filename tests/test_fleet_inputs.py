"""Fleet inputs: matching inventory CPU strings to the hardware database, and reading
inventories in the flavours device-management tools and Excel export."""

from __future__ import annotations

from pathlib import Path

import pytest

from sizer.errors import InputError
from sizer.fleet.inventory import memory_bytes, parse_map, read_inventory
from sizer.hardware.db import entries_from, match, normalise

DB = entries_from(
    {
        "format": "sizer.hardware-db",
        "format_version": 2,
        "kind": "cpus",
        "entries": [
            {"id": "i5-1145g7", "vendor": "Intel", "model": "Core i5-1145G7"},
            {"id": "i5-8250u", "vendor": "Intel", "model": "Core i5-8250U"},
            {"id": "u7-155h", "vendor": "Intel", "model": "Core Ultra 7 155H"},
            {"id": "u5-125u", "vendor": "Intel", "model": "Core Ultra 5 125U"},
            {"id": "r7-7840u", "vendor": "AMD", "model": "Ryzen 7 7840U"},
            {"id": "r7p-7840u", "vendor": "AMD", "model": "Ryzen 7 PRO 7840U"},
            {"id": "r9-hx370", "vendor": "AMD", "model": "Ryzen AI 9 HX 370"},
            {"id": "m2", "vendor": "Apple", "model": "M2"},
            {"id": "m2-pro", "vendor": "Apple", "model": "M2 Pro"},
            {"id": "x1e-78", "vendor": "Qualcomm", "model": "Snapdragon X Elite X1E-78-100"},
            {"id": "c5-120u", "vendor": "Intel", "model": "Core 5 120U"},
        ],
    },
    "cpus",
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Intel(R) Core(TM) Ultra 7 155H", "u7-155h"),
        ("11th Gen Intel(R) Core(TM) i5-1145G7 @ 2.60GHz", "i5-1145g7"),
        ("Intel Core i5 8250U", "i5-8250u"),
        ("Apple M2 Pro", "m2-pro"),
        ("Apple M2", "m2"),
        ("AMD Ryzen 7 PRO 7840U w/ Radeon 780M Graphics", "r7p-7840u"),
        ("AMD Ryzen 7 7840U w/ Radeon 780M Graphics", "r7-7840u"),
        ("AMD Ryzen AI 9 HX 370 w/ Radeon 890M", "r9-hx370"),
        ("Snapdragon(R) X Elite - X1E78100 - Qualcomm(R) Oryon(TM) CPU", "x1e-78"),
        ("Intel(R) Core(TM) 5 120U", "c5-120u"),
        ("  intel core ultra 5 125u  ", "u5-125u"),
    ],
)
def test_messy_inventory_strings_match(text, expected):
    found = match(text, DB)
    assert found.problem is None and found.entry is not None and found.entry.id == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz", "not in the hardware database"),
        ("Apple M3", "not in the hardware database"),
        ("Snapdragon X Elite", "not in the hardware database"),
        ("", "no model name"),
        ("Intel Core", "no model name in 'Intel Core'"),
    ],
)
def test_unknown_strings_are_reported_never_guessed(text, problem):
    found = match(text, DB)
    assert found.entry is None and problem in (found.problem or "")


def test_normalise():
    assert normalise("11th Gen Intel(R) Core(TM) i5 1145G7 @ 2.60GHz") == ["i5-1145g7"]


# ---- inventories --------------------------------------------------------------------------


def write(tmp_path: Path, text: str | bytes, name: str = "inv.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def test_intune_export_with_bytes_and_ids(tmp_path):
    text = (
        "deviceName,processor,physicalMemoryInBytes,operatingSystem\n"
        "LT-001,Intel(R) Core(TM) Ultra 7 155H,34359738368,Windows\n"
        "LT-002,11th Gen Intel(R) Core(TM) i5-1145G7 @ 2.60GHz,17179869184,Windows\n"
    )
    reading = read_inventory(write(tmp_path, text))
    assert reading.columns == {
        "id": "deviceName",
        "cpu": "processor",
        "ram": "physicalMemoryInBytes",
        "os": "operatingSystem",
    }
    assert [(r.machine_id, r.ram_bytes >> 30, r.count) for r in reading.rows] == [
        ("LT-001", 32, 1),
        ("LT-002", 16, 1),
    ]
    assert reading.problems == []


def test_excel_semicolons_bom_latin1_decimal_commas_and_counts(tmp_path):
    text = (
        "Modèle;Processor;Total memory (GB);Count\n"
        "Elitebook 840;Intel Core i5-8250U;15,9;120\n"
        "Zenbook;AMD Ryzen 7 7840U;32;3\n"
    ).encode("cp1252")
    reading = read_inventory(write(tmp_path, text))
    assert [(r.cpu, round(r.ram_bytes / (1 << 30), 1), r.count) for r in reading.rows] == [
        ("Intel Core i5-8250U", 15.9, 120),
        ("AMD Ryzen 7 7840U", 32.0, 3),
    ]
    bom = read_inventory(write(tmp_path, b"\xef\xbb\xbf" + b"Processor,RAM\nApple M2,16 GB\n"))
    assert bom.columns["cpu"] == "Processor" and bom.rows[0].ram_bytes == 16 << 30


def test_map_names_unusual_columns(tmp_path):
    text = "Asset,Chip,Mem\nA1,Apple M2 Pro,32768 MB\n"
    with pytest.raises(InputError, match="no cpu or ram column"):
        read_inventory(write(tmp_path, text))
    reading = read_inventory(write(tmp_path, text), parse_map("cpu=Chip, ram=Mem, id=Asset"))
    assert reading.rows[0].ram_bytes == 32 << 30 and reading.rows[0].machine_id == "A1"
    with pytest.raises(InputError, match="no such column"):
        read_inventory(write(tmp_path, text), parse_map("cpu=Nope,ram=Mem"))
    with pytest.raises(InputError, match="FIELD=COLUMN"):
        parse_map("processor")


def test_bad_rows_are_line_numbered_and_good_rows_kept(tmp_path):
    text = (
        "Device name,Processor,RAM (GB)\n"
        "a,Intel Core i5-8250U,8\n"
        "b,Intel Core i5-8250U,0\n"
        "c,Intel Core i5-8250U,3072\n"
        "d,,16\n"
        "a,Apple M2,16\n"
        "e,Apple M2,sixteen\n"
        "f,Apple M2,16\n"
    )
    reading = read_inventory(write(tmp_path, text))
    assert [r.machine_id for r in reading.rows] == ["a", "f"]
    assert reading.skipped_rows == 5
    assert reading.problems == [
        "line 3: memory '0' (0.0 GiB) is not a plausible size for a laptop or desktop",
        "line 4: memory '3072' (3072.0 GiB) is not a plausible size for a laptop or desktop",
        "line 5: no processor",
        "line 6: duplicate machine id 'a'; the first row is kept",
        "line 7: memory 'sixteen' is not a size",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02PK\x03\x04" * 100, "a binary file"),
        (b"just some words\n", "no cpu or ram column"),
    ],
)
def test_unusable_files_are_one_clear_error(tmp_path, content, message):
    with pytest.raises(InputError, match=message):
        read_inventory(write(tmp_path, content))


def test_a_truncated_file_keeps_its_complete_rows(tmp_path):
    text = "Processor,RAM\nApple M2,16\nApple M2 Pro,32\nApple M2 P"
    reading = read_inventory(write(tmp_path, text))
    assert len(reading.rows) == 2 and reading.problems == ["line 4: no memory size"]


def test_garbage_is_streamed_into_problems_not_memory(tmp_path):
    garbage = ("Processor,RAM\n" + "x" * 200 + "\n") * 2000
    reading = read_inventory(write(tmp_path, garbage))
    assert reading.rows == [] and reading.skipped_rows == 3999
    assert len(reading.problems) == 200 and reading.problems_not_listed == 3799


@pytest.mark.parametrize(
    ("text", "column", "gib"),
    [
        ("16", "RAM", 16),
        ("16 GB", "Memory", 16),
        ("16384", "RAM", 16),
        ("16384 MB", "x", 16),
        ("17179869184", "RAM", 16),
        ("16", "Memory (MB)", 16 / 1024),
        ("15,9", "RAM (GB)", 15.9),
        ("17,179,869,184", "physicalMemoryInBytes", 16),
    ],
)
def test_memory_units(text, column, gib):
    assert memory_bytes(text, column) == pytest.approx(gib * (1 << 30), rel=1e-3)


# ---- a machine from the database, ranked by recommend's own code -------------------------


def test_a_database_machine_is_ranked_like_a_probed_one():
    from sizer.hardware.db_machine import hardware_record
    from sizer.hardware.threads import threads_for
    from sizer.recommend import rank_for_machine as recommend
    from sizer.recommend.workload import Workload
    from sizer.speed.prior import prior_params

    cpu = entries_from(
        {
            "format": "sizer.hardware-db",
            "format_version": 2,
            "kind": "cpus",
            "entries": [
                {
                    "id": "u7-155h",
                    "vendor": "Intel",
                    "model": "Core Ultra 7 155H",
                    "p_cores": 6,
                    "e_cores": 10,
                    "threads": 22,
                    "isa": ["avx2", "fma", "avx_vnni"],
                    "memory": {"max_bandwidth_gbs": 119.5},
                    "igpu": {"name": "Intel Arc"},
                    "npu": {"name": "Intel AI Boost", "tops": 11},
                }
            ],
        },
        "cpus",
    )[0]
    hw = hardware_record(cpu, 16 << 30)
    assert threads_for(hw) == 6  # llama.cpp's threads go to the P-cores
    assert hw["cpu"]["isa"]["avx2"] and not hw["cpu"]["isa"]["avx512f"]
    assert hw["memory"]["theoretical_bandwidth_bytes_s"] == 119.5e9
    params = prior_params(hw, 6)
    assert params.bandwidth_bytes_s < 119.5e9  # capped at what reads reach of the spec
    ranking = recommend(Workload(task="chat"), hw, params, budget_bytes=12 << 30)
    assert ranking.top is not None
    verdicts = ranking.passing + ranking.failing
    devices = {(v.candidate.backend, v.candidate.device) for v in verdicts}
    assert {
        ("llama.cpp", "CPU"),
        ("openvino", "Intel Arc"),
        ("openvino", "Intel AI Boost"),
    } <= devices


def test_a_folder_of_probe_records_keeps_the_good_ones(tmp_path):
    import json

    from sizer.fleet.probes import read_probe_records

    here = Path(__file__).parent / "fixtures" / "recommend" / "this-machine.json"
    (tmp_path / "laptop-a.json").write_text(here.read_text())
    (tmp_path / "laptop-b.json").write_text(here.read_text()[:300])  # cut short
    (tmp_path / "notes.json").write_text(json.dumps({"hello": 1}))
    reading = read_probe_records([tmp_path])
    assert [name for name, _ in reading.machines] == ["laptop-a"]
    assert len(reading.problems) == 2
    assert any("laptop-b.json: not valid JSON" in p for p in reading.problems)
    assert any("notes.json: not a sizer hardware record" in p for p in reading.problems)


def test_the_example_inventories_read_with_their_problems_listed():
    examples = Path(__file__).parents[1] / "examples"
    intune = read_inventory(examples / "inventory-intune.csv")
    assert len(intune.rows) == 17 and intune.skipped_rows == 3
    assert [p.split(":")[0] for p in intune.problems] == ["line 17", "line 20", "line 21"]
    french = read_inventory(examples / "inventory-excel-fr.csv")  # ; + Windows-1252 + counts
    assert french.columns == {"count": "Nombre", "cpu": "Processeur", "ram": "Mémoire totale (Go)"}
    assert sum(r.count for r in french.rows) == 555


def test_a_configuration_is_assessed_with_a_tier_or_the_obstacle():
    from sizer.fleet.assess import NO_TIER, assess, tier_of
    from sizer.hardware.db_machine import hardware_record
    from sizer.profiles.corpus import Corpus
    from sizer.recommend.candidates import catalog_options
    from sizer.recommend.workload import Workload

    cpu = entries_from(
        {
            "format": "sizer.hardware-db",
            "format_version": 2,
            "kind": "cpus",
            "entries": [
                {
                    "id": "i5-8250u",
                    "vendor": "Intel",
                    "model": "Core i5-8250U",
                    "p_cores": 4,
                    "e_cores": 0,
                    "threads": 8,
                    "isa": ["avx2", "fma"],
                    "memory": {"max_bandwidth_gbs": 38.4},
                }
            ],
        },
        "cpus",
    )[0]
    catalog, corpus = catalog_options(), Corpus([], [])
    roomy = assess(hardware_record(cpu, 16 << 30), Workload(task="chat"), corpus, catalog)
    assert roomy.tier == tier_of(roomy.top.candidate.params_b) != NO_TIER
    assert roomy.confidence == "estimated"
    tight = assess(
        hardware_record(cpu, 2 << 30), Workload(task="chat", min_tps=50), corpus, catalog
    )
    assert tight.tier == NO_TIER and tight.blocked_by in ("memory", "decode floor")


TIER_CASES = [
    (0.27, "<1B"),
    (1.5, "1-2B"),
    (3.2, "3-4B"),
    (8.0, "7-9B"),
    (14, "12-14B"),
    (70, "40B+"),
]


@pytest.mark.parametrize(("params_b", "tier"), TIER_CASES)
def test_tiers(params_b, tier):
    from sizer.fleet.assess import tier_of

    assert tier_of(params_b) == tier


def test_a_laptop_gpu_runs_on_the_database_figures_not_the_desktop_cards():
    from sizer.hardware.db import load
    from sizer.hardware.db_machine import hardware_record
    from sizer.recommend.devices import places
    from sizer.speed.gpu_fit import efficiency
    from sizer.speed.prior import prior_params

    cpu = match("Intel(R) Core(TM) i5-1235U", load("cpus")).entry
    for name, desktop_gbs in (
        ("NVIDIA GeForce RTX 3050 Laptop GPU", None),
        ("NVIDIA GeForce RTX 4060 Laptop GPU", 272),
    ):
        gpu = match(name, load("gpus")).entry
        hw = hardware_record(cpu, 16 << 30, gpu)
        [place] = [p for p in places(hw, prior_params(hw, 2)) if p.label == gpu.model]
        spec = gpu.data["memory_bandwidth_gbs"]
        assert spec != desktop_gbs
        fraction = efficiency("CUDA").bandwidth_fraction  # fitted on published CUDA runs
        assert place.params.bandwidth_bytes_s == pytest.approx(spec * 1e9 * fraction)
        assert place.memory_bytes == gpu.data["vram_gb"] << 30


def test_the_tier_is_the_largest_model_that_passes_not_only_the_top_pick():
    from sizer.fleet.answers import TIER_ORDER
    from sizer.fleet.assess import tier_of
    from sizer.fleet.plan import assess_all, from_inventory
    from sizer.profiles.corpus import Corpus
    from sizer.recommend.candidates import catalog_options
    from sizer.recommend.workload import Workload

    fleet = from_inventory(
        read_inventory(Path(__file__).parents[1] / "examples/inventory-intune.csv")
    )
    assessed = assess_all(
        fleet, Workload(task="chat").resolved(), Corpus([], []), catalog_options()
    )
    for a in assessed.values():
        if a.top is None:
            continue
        assert a.tier == tier_of(max(v.candidate.params_b for v in a.ranking.passing))
        assert TIER_ORDER.index(a.tier) >= TIER_ORDER.index(tier_of(a.top.candidate.params_b))
