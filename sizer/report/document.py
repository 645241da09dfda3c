"""``sizer report``: the charts as PNG and SVG, a Markdown report linking the PNGs, and one
self-contained HTML file (the SVGs inline), all from saved measurements."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from pathlib import Path

from sizer.profiles.format import model_name
from sizer.report.charts import CHARTS
from sizer.report.data import Source, backend_name, median


@dataclass
class Written:
    markdown: Path
    html: Path
    charts: list[Path]
    skipped: list[str]  # chart titles with nothing to draw


def write_report(sources: list[Source], out: Path) -> Written:
    import matplotlib.pyplot as plt

    charts_dir = out / "charts"
    charts_dir.mkdir(parents=True, exist_ok=True)
    drawn: list[tuple[str, str]] = []
    skipped, files = [], []
    for name, (title, draw) in CHARTS.items():
        figure = draw(sources)
        if figure is None:
            skipped.append(title)
            continue
        for ext in ("png", "svg"):
            path = charts_dir / f"{name}.{ext}"
            figure.savefig(path, dpi=110 if ext == "png" else None, metadata=_metadata(ext))
            files.append(path)
        plt.close(figure)
        drawn.append((name, title))
    markdown = out / "report.md"
    markdown.write_text(_markdown(sources, drawn, skipped), encoding="utf-8")
    page = out / "report.html"
    page.write_text(_html(sources, drawn, skipped, charts_dir), encoding="utf-8")
    return Written(markdown, page, files, skipped)


def _metadata(ext: str) -> dict[str, str | None]:
    # reproducible files: no creation date (SVG) and a fixed Software tag
    return {"Date": None} if ext == "svg" else {"Software": "sizer report (matplotlib)"}


def _summary_rows(sources: list[Source]) -> list[str]:
    lines = [
        "| machine | model | backend | threads | depth | prefill tok/s | decode tok/s | "
        "TTFT p50 s | peak GiB |",
        "|---|---|---|--:|--:|--:|--:|--:|--:|",
    ]
    for source in sources:
        for run in source.profile["runs"]:
            ttft = median(run, "ttft_s")
            peak = run.get("peak_rss_bytes")
            lines.append(
                f"| {source.name} | {model_name(run['model'])} | {backend_name(run)} | "
                f"{run['config']['threads']} | {run['config'].get('depth', 0)} | "
                f"{_fmt(median(run, 'prefill_tok_s'))} | {_fmt(median(run, 'decode_tok_s'))} | "
                f"{_fmt(ttft, 2)} | {_fmt(peak / (1 << 30) if peak else None, 2)} |"
            )
    return lines


def _fmt(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _sources_lines(sources: list[Source]) -> list[str]:
    lines = []
    for source in sources:
        prov = source.profile["provenance"]
        lines.append(
            f"- **{source.name}**: {prov['kind']} by {prov['tool']} ({prov['source']}); "
            f"{len(source.profile['runs'])} run(s), "
            f"{len(source.profile['task_scores'])} task score(s)"
        )
    return lines


def _markdown(sources: list[Source], drawn, skipped) -> str:
    lines = [f"# sizer report — {dt.date.today().isoformat()}", "", "## Machines", ""]
    lines += _sources_lines(sources)
    for name, title in drawn:
        lines += [
            "",
            f"## {title}",
            "",
            f"![{title}](charts/{name}.png)",
            f"([SVG](charts/{name}.svg))",
        ]
    if skipped:
        lines += ["", "## Not drawn (nothing measured for them)", ""]
        lines += [f"- {title}" for title in skipped]
    lines += ["", "## All runs (medians)", "", *_summary_rows(sources), ""]
    return "\n".join(lines)


def _html(sources: list[Source], drawn, skipped, charts_dir: Path) -> str:
    body = [f"<h1>sizer report — {dt.date.today().isoformat()}</h1>", "<h2>Machines</h2><ul>"]
    body += [f"<li>{html.escape(line[2:])}</li>" for line in _sources_lines(sources)]
    body.append("</ul>")
    for name, title in drawn:
        svg = (charts_dir / f"{name}.svg").read_text(encoding="utf-8")
        svg = svg[svg.index("<svg") :]  # drop the XML prolog and doctype to inline it
        body += [f"<h2>{html.escape(title)}</h2>", f"<figure>{svg}</figure>"]
    if skipped:
        body.append("<h2>Not drawn (nothing measured for them)</h2><ul>")
        body += [f"<li>{html.escape(t)}</li>" for t in skipped]
        body.append("</ul>")
    body += ["<h2>All runs (medians)</h2>", _html_table(_summary_rows(sources))]
    style = (
        "body{font-family:sans-serif;max-width:1100px;margin:auto}figure svg{width:100%;"
        "height:auto}table{border-collapse:collapse;font-size:12px}td,th{border:1px solid "
        "#ccc;padding:2px 6px}"
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>sizer report</title>"
        f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n"
    )


def _html_table(lines: list[str]) -> str:
    def cells(line: str) -> list[str]:
        return [html.escape(c.strip()) for c in line.strip("|").split("|")]

    head = "".join(f"<th>{c}</th>" for c in cells(lines[0]))
    rows = "".join(
        "<tr>" + "".join(f"<td>{c}</td>" for c in cells(line)) + "</tr>" for line in lines[2:]
    )
    return f"<table><tr>{head}</tr>{rows}</table>"
