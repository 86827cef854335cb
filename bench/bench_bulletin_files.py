#!/usr/bin/env python
"""Bulletin files benchmark: a monthly bulletin rendered to DOCX and XLSX.

    python bench/bench_bulletin_files.py [--runs 3] [--ranking-rows 500]

No database: the renderers read only the bulletin's frozen content. The content is built
by hand (`tests/reports/bulletin_sample.monthly_content`) in the shape of a real monthly
bulletin of a city with ~100 streets and ~100 departments: six sections, 10 charts (line,
pie ×2, bar ×3, hbar ×4), 10 tables, the longest `--ranking-rows` (500) and
`--inspectors` (500) rows. Timed, median of `--runs` runs, wall and CPU seconds, each next
to a raw baseline in the same process:

1. the charts: `charts.render_png` for every chart (picture cache cleared), and plain
   matplotlib drawing the same data as the same kinds at the same size and dpi, with
   matplotlib's default look (the raw floor of drawing them);
2. DOCX: `render_docx` cold (charts drawn) and warm (charts cached, i.e. the writing
   alone), and plain python-docx writing the same paragraphs and tables through its
   public API (`add_table`, `cell.text`), without charts or formatting;
3. XLSX: `render_xlsx` cold and warm, and plain openpyxl writing the same cells without
   styles or pictures.

Target (issue 8): a monthly DOCX bulletin in ≤ 30 s (together with building the content
from 1,000,000 cases, which the content builder's benchmark measures).
Results also go to `$YIWANG_BENCH_DIR/results-bulletin-files-*.json`.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests" / "reports"))
VAR_DIR = Path(os.environ.get("YIWANG_BENCH_DIR", "/tmp/yiwang-bench"))


def setup_django() -> None:
    os.environ.setdefault("YIWANG_SECRET_KEY", "benchmark-only-key-not-secret-0123456789")
    os.environ.setdefault("YIWANG_VAR_DIR", str(VAR_DIR))
    os.environ["DJANGO_SETTINGS_MODULE"] = "yiwang.settings"
    import django

    django.setup()


def timed(fn: Callable[[], Any], runs: int, before: Callable[[], None] | None = None) -> dict:
    walls, cpus = [], []
    result = None
    for _ in range(runs):
        if before is not None:
            before()
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    size = len(result) if isinstance(result, bytes | bytearray) else None
    return {"wall": statistics.median(walls), "cpu": statistics.median(cpus), "bytes": size}


def raw_charts(chart_blocks: list[Any]) -> int:
    """The same data drawn by plain matplotlib: default look, same size and dpi."""
    from matplotlib.figure import Figure

    from yiwang.reports.bulletins import charts

    family = [charts.chart_font().family]  # the same CJK face, or glyph lookups differ
    total = 0
    for chart in chart_blocks:
        figure = Figure(figsize=(charts.WIDTH_IN, charts.HEIGHT_IN), dpi=charts.DPI)
        ax = figure.add_subplot()
        positions = range(len(chart.categories))
        for series in chart.series:
            values = [math.nan if v is None else v for v in series.data]
            if chart.kind == "bar":
                ax.bar(positions, values)
            elif chart.kind == "hbar":
                ax.barh(positions, values)
            elif chart.kind == "line":
                ax.plot(positions, values)
            elif values:
                ax.pie([v for v in values if v == v and v > 0])
        if chart.kind == "hbar":
            ax.set_yticks(list(positions), chart.categories, fontfamily=family)
        elif chart.kind != "pie":
            ax.set_xticks(list(positions), chart.categories, fontfamily=family)
        ax.set_title(chart.title, fontfamily=family)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=charts.DPI)
        total += len(buffer.getvalue())
    return total


def raw_docx(content: Any) -> bytes:
    """Plain python-docx: the same text and tables, no charts, no formatting."""
    from docx import Document

    from yiwang.reports.bulletins.content import Paragraph, Table

    document = Document()
    document.add_paragraph(content.title)
    document.add_paragraph("".join(content.summary))
    for section in content.sections:
        document.add_heading(section.heading, level=1)
        for block in section.blocks:
            if isinstance(block, Paragraph):
                document.add_paragraph(block.text)
            elif isinstance(block, Table):
                document.add_paragraph(block.title)
                table = document.add_table(rows=len(block.rows) + 1, cols=len(block.columns))
                for row, values in zip(table.rows, [block.columns, *block.rows], strict=True):
                    for cell, value in zip(row.cells, values, strict=False):
                        cell.text = "" if value is None else str(value)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def raw_xlsx(content: Any) -> bytes:
    """Plain openpyxl: the same cells, no styles, no pictures."""
    from openpyxl import Workbook

    from yiwang.reports.bulletins.content import Paragraph, Table

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([content.title])
    for sentence in content.summary:
        sheet.append([sentence])
    for i, section in enumerate(content.sections):
        sheet = book.create_sheet(f"S{i + 1}")
        sheet.append([section.heading])
        for block in section.blocks:
            if isinstance(block, Paragraph):
                sheet.append([block.text])
            elif isinstance(block, Table):
                sheet.append([block.title])
                sheet.append(block.columns)
                for row in block.rows:
                    sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--streets", type=int, default=100)
    parser.add_argument("--departments", type=int, default=100)
    parser.add_argument("--ranking-rows", type=int, default=500)
    parser.add_argument("--inspectors", type=int, default=500)
    parser.add_argument("--save", type=Path, help="also write the DOCX and XLSX here (a folder)")
    args = parser.parse_args()
    setup_django()

    from bulletin_sample import monthly_content

    from yiwang.reports.bulletins import charts
    from yiwang.reports.bulletins.content import Chart, Table
    from yiwang.reports.bulletins.docx import render_docx
    from yiwang.reports.bulletins.xlsx import render_xlsx

    content = monthly_content(
        streets=args.streets,
        departments=args.departments,
        ranking_rows=args.ranking_rows,
        inspectors=args.inspectors,
    )
    blocks = [b for s in content.sections for b in s.blocks]
    chart_blocks = [b for b in blocks if isinstance(b, Chart)]
    tables = [b for b in blocks if isinstance(b, Table)]
    print(
        f"content: {len(content.sections)} sections, {len(chart_blocks)} charts, "
        f"{len(tables)} tables, {sum(len(t.rows) for t in tables)} table rows "
        f"(longest {max(len(t.rows) for t in tables)}), "
        f"{len(content.model_dump_json()) / 1024:.0f} KiB as JSON; {args.runs} runs each"
    )
    charts.chart_font()  # registering the font once is start-up, not drawing

    def all_charts() -> int:
        return sum(len(charts.render_png(c)) for c in chart_blocks)

    def warm_up() -> None:
        charts.clear_cache()
        all_charts()

    results: dict[str, dict] = {}
    results["charts (render_png, all)"] = timed(all_charts, args.runs, charts.clear_cache)
    results["raw matplotlib, same charts"] = timed(lambda: raw_charts(chart_blocks), args.runs)
    results["render_docx, cold"] = timed(
        lambda: render_docx(content), args.runs, charts.clear_cache
    )
    warm_up()
    results["render_docx, charts cached"] = timed(lambda: render_docx(content), args.runs)
    results["raw python-docx, no charts"] = timed(lambda: raw_docx(content), args.runs)
    results["render_xlsx, cold"] = timed(
        lambda: render_xlsx(content), args.runs, charts.clear_cache
    )
    warm_up()
    results["render_xlsx, charts cached"] = timed(lambda: render_xlsx(content), args.runs)
    results["raw openpyxl, no styles/pictures"] = timed(lambda: raw_xlsx(content), args.runs)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"\n{'what':<36} {'wall s':>8} {'CPU s':>8} {'size KiB':>9}")
    for name, r in results.items():
        size = f"{r['bytes'] / 1024:.0f}" if r["bytes"] else ""
        print(f"{name:<36} {r['wall']:>8.2f} {r['cpu']:>8.2f} {size:>9}")
    print(f"peak RSS of the process: {peak:.0f} MiB; load average {os.getloadavg()[0]:.1f}")

    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        (args.save / "bulletin.docx").write_bytes(render_docx(content))
        (args.save / "bulletin.xlsx").write_bytes(render_xlsx(content))
        print(f"files written to {args.save}")
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    out = VAR_DIR / f"results-bulletin-files-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"args": vars(args) | {"save": str(args.save)}, "results": results}))
    print(f"results: {out}")


if __name__ == "__main__":
    main()
