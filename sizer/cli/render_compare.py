"""The table ``sizer compare`` prints."""

from __future__ import annotations

from sizer.report.compare import Row
from sizer.report.data import Source


def _verdict(row: Row) -> str:
    if row.significant is None:
        return "no spread measured"
    return "beyond spread" if row.significant else "within spread"


def render_compare(
    a: Source, b: Source, speed: list[Row], tasks: list[Row], only_a: int, only_b: int
) -> str:
    lines = [f"A: {a.name}", f"B: {b.name}", ""]
    if speed:
        lines.append(f"{'run':<58} {'metric':<13} {'A':>9} {'B':>9} {'B/A':>6}  difference")
        for row in speed:
            lines.append(
                f"{row.what[:58]:<58} {row.metric:<13} {row.a:>9.2f} {row.b:>9.2f} "
                f"{row.ratio:>6.2f}  {_verdict(row)}"
            )
    if tasks:
        lines += ["", f"{'task score':<58} {'metric':<13} {'A':>9} {'B':>9} {'B-A':>6}  difference"]
        for row in tasks:
            lines.append(
                f"{row.what[:58]:<58} {row.metric:<13} {row.a:>9.3f} {row.b:>9.3f} "
                f"{row.b - row.a:>+6.3f}  {_verdict(row)}"
            )
    if only_a or only_b:
        lines += ["", f"not paired: {only_a} run(s) only in A, {only_b} only in B"]
    return "\n".join(lines)
