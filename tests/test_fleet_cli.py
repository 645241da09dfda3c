"""``sizer fleet`` through Typer's runner, on the example inventories and probe records."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from sizer.cli import app
from sizer.errors import SizerError

ROOT = Path(__file__).parents[1]
EXAMPLES = ROOT / "examples"
runner = CliRunner()


def fleet(*args: str):
    result = runner.invoke(app, ["fleet", *args])
    if isinstance(result.exception, SizerError):
        return result.exception.exit_code, str(result.exception)
    return result.exit_code, result.output


def test_the_example_inventory_gets_tiers_problems_and_one_model(tmp_path):
    per_machine = tmp_path / "machines.csv"
    code, out = fleet(str(EXAMPLES / "inventory-intune.csv"), "--csv", str(per_machine))
    assert code == 0, out
    assert (
        "15 assessed in 13 distinct configuration(s); 2 not assessed (hardware not in the "
        "database); 3 input row(s)/file(s) skipped as unusable" in out
    )
    assert "Machines per tier:" in out and "One model for everyone:" in out
    assert "line 18: not in the hardware database: 'Intel(R) Core(TM) i5-10500T" in out
    rows = list(csv.DictReader(per_machine.open()))
    assert len(rows) == 17 and {r["tier"] for r in rows if r["tier"]} <= {
        "<1B",
        "1-2B",
        "3-4B",
        "7-9B",
        "12-14B",
        "24-32B",
        "40B+",
        "none",
    }
    assert any(r["problem"].startswith("line 19: not in the hardware database") for r in rows)


def test_json_counts_every_machine_once(tmp_path):
    code, out = fleet(str(EXAMPLES / "inventory-excel-fr.csv"), "--json", "--task", "extraction")
    assert code == 0, out
    data = json.loads(out)
    assert data["format"] == "sizer.fleet" and data["machines"] == 555
    assert sum(data["per_tier"].values()) == 555
    assert sum(c["machines"] for c in data["configurations"]) == 555
    assert data["one_model"]["machines"] <= 555 and data["coverage"]


def test_a_folder_of_probe_records(tmp_path):
    (tmp_path / "here.json").write_text(
        (ROOT / "tests/fixtures/recommend/this-machine.json").read_text()
    )
    code, out = fleet(str(tmp_path), "--task", "classification")
    assert code == 0, out
    assert "probe: AMD EPYC 2C, 24 GiB" in out


def test_unusable_input_is_one_line(tmp_path):
    binary = tmp_path / "export.csv"
    binary.write_bytes(b"PK\x03\x04\x00\x00" * 50)
    code, message = fleet(str(binary))
    assert code == 2 and "a binary file, not a CSV inventory" in message
    code, message = fleet(str(EXAMPLES / "inventory-intune.csv"), str(tmp_path))
    assert code == 2 and "not both" in message


def test_what_if_more_ram_and_a_new_cpu_move_machines_up_a_tier():
    args = [str(EXAMPLES / "inventory-intune.csv"), "--task", "summarization", "--ctx", "32768"]
    code, out = fleet(
        *args, "--what-if", "ram=64GB", "--what-if", "replace=i5-8250U->Core Ultra 7 155H", "--json"
    )
    assert code == 0, out
    ram, cpu = json.loads(out)["what_if"]
    assert ram["scenario"] == "ram=64GB" and sum(m["machines"] for m in ram["moves"]) >= 1
    assert sum(ram["per_tier"].values()) == 15 == sum(cpu["per_tier"].values())
    order = ["<1B", "1-2B", "3-4B", "7-9B", "12-14B", "24-32B", "40B+", "none"]
    assert all(order.index(m["to"]) > order.index(m["from"]) for m in ram["moves"] + cpu["moves"])
    assert cpu["moves"]  # an i5-8250U laptop moves up with a Core Ultra 7 155H


def test_what_if_mistakes_are_refused_before_any_work():
    code, message = fleet(str(EXAMPLES / "inventory-intune.csv"), "--what-if", "ram=lots")
    assert code == 2 and "ram=32GB" in message
    code, message = fleet(
        str(EXAMPLES / "inventory-intune.csv"), "--what-if", "replace=i5-8250U->Pentium 4"
    )
    assert code == 2 and "not in the hardware database: 'Pentium 4'" in message


def test_the_report_has_its_three_charts(tmp_path):
    code, out = fleet(str(EXAMPLES / "inventory-intune.csv"), "--report", str(tmp_path))
    assert code == 0, out
    for name in ("tiers", "decode_by_model", "coverage"):
        png = tmp_path / f"{name}.png"
        assert png.read_bytes()[:4] == b"\x89PNG" and png.stat().st_size > 10_000
    text = (tmp_path / "report.md").read_text()
    assert "![coverage](coverage.png)" in text and "One model for everyone" in text


def test_the_coverage_curve_keeps_the_largest_model_for_each_share():
    from sizer.fleet.answers import FleetAnswers, ModelReach
    from sizer.fleet.report import frontier

    reach = [
        ModelReach("small", "Q4_K_M", 1.0, 0.3, 10, 1.0),
        ModelReach("mid", "Q4_K_M", 3.0, 0.5, 10, 1.0),
        ModelReach("mid", "Q8_0", 3.0, 0.55, 6, 0.6),
        ModelReach("big", "Q4_K_M", 8.0, 0.7, 4, 0.4),
        ModelReach("bigger", "Q4_K_M", 14.0, 0.75, 4, 0.4),
    ]
    result = FleetAnswers(10, {}, {}, None, reach)
    assert [(m.model_id, m.quant) for m in frontier(result)] == [
        ("mid", "Q4_K_M"),
        ("bigger", "Q4_K_M"),
    ]


def test_garbage_after_a_header_is_counted_and_listed_never_held_whole(tmp_path):
    import random

    rng = random.Random(3)
    garbage = tmp_path / "export.csv"
    with garbage.open("w", encoding="utf-8") as out:
        out.write("Device name,Processor,Total memory (GB)\n")
        out.write("LT-1,Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz,8\n")
        out.write("".join(rng.choice("abc ,;0123456789") for _ in range(3 << 20)))  # no newline
        out.write("\nLT-2,Apple M2 Pro,32\n")
        for _ in range(300):  # more problems than are listed
            out.write("".join(rng.choice("xyz,;\t0123456789é") for _ in range(40)) + "\n")
    code, out = fleet(str(garbage), "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["machines"] == 2  # both good rows, around the garbage
    assert data["problems"][0].startswith("line 3: over 1,048,576 characters")
    listed, more = len(data["problems"]), data["problems_not_listed"]
    assert listed == 200 and listed + more == data["skipped_inputs"] + data["not_assessed"] == 301


def test_speed_spread_statistics_weigh_each_configuration_by_its_machines():
    from sizer.fleet.report import _weighted_stats

    stats = _weighted_stats([(10.0, 3), (1.0, 1), (20.0, 1)])  # 5 machines: 1, 10, 10, 10, 20
    assert (stats["whislo"], stats["q1"], stats["med"], stats["q3"], stats["whishi"]) == (
        1.0,
        10.0,
        10.0,
        10.0,
        20.0,
    )
