"""A bulletin's charts drawn on the server as PNG images, for its DOCX and XLSX files.

The web page draws the same `Chart` blocks with ECharts; the files need pictures, drawn
here with matplotlib's Agg renderer. Each chart is its own `Figure` object (never pyplot's
global state), so the web process and the worker can draw in several threads at once.

Chinese text needs a CJK font, or matplotlib draws empty boxes ("tofu") and only warns.
The font is chosen once (`chart_font`): the Noto Sans SC shipped by the pinned
``pylopdf-fonts-zh-cn`` package (SIL Open Font License, the upstream Noto CJK file, so every
machine draws the same pictures), else a system CJK font (Debian's ``fonts-noto-cjk``,
WenQuanYi). If none is found, drawing fails with `ChartFontMissing` naming what to install,
rather than producing a bulletin with unreadable charts.
"""

from __future__ import annotations

import functools
import io
import math
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from matplotlib.ticker import FuncFormatter, MaxNLocator
from PIL import Image as PILImage

from yiwang.reports.bulletins.content import Chart

# 16:9 at 200 dpi: 1600 × 900 pixels. The size is near the 15 cm a DOCX page gives a chart,
# so that 11 pt labels are still ~8 pt on paper.
WIDTH_IN, HEIGHT_IN = 8.0, 4.5
DPI = 200
# A long ranking grows downwards, at most to what fits on an A4 page at 15 cm wide.
MAX_HEIGHT_IN = 11.5
HBAR_ROW_IN, HBAR_FRAME_IN = 0.3, 1.4  # a ranking's row, and its title and axis
# ECharts' default palette, so a chart looks the same on the web page and in the files.
PALETTE = (
    "#5470c6",
    "#91cc75",
    "#fac858",
    "#ee6666",
    "#73c0de",
    "#3ba272",
    "#fc8452",
    "#9a60b4",
    "#ea7ccc",
)
TEXT_COLOR = "#333333"
GRID_COLOR = "#e0e0e0"
# Characters every candidate font must draw: a font without them is no CJK font.
PROBE = "城市管理通报件数率月日"
# System fonts tried after the packaged one, in order (Debian / Ubuntu paths).
SYSTEM_FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
# Family names of simplified-Chinese faces, best first, looked up in matplotlib's font list
# (it also scans the system's fonts, wherever they are installed).
SYSTEM_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Serif CJK SC",
)
# Latin fallback for characters the CJK face lacks (matplotlib ships it).
LATIN_FAMILY = "DejaVu Sans"
# A pie with more slices than this folds the smallest into "其他" (a pie of 30 slivers is
# unreadable); the table beside it keeps every value.
PIE_MAX_SLICES = 8
OTHER = "其他"
LABEL_MAX = 16  # characters of a category name on an axis
NO_DATA = "无数据"


class ChartFontMissing(RuntimeError):
    """No font that draws Chinese was found: the charts would be unreadable."""


@dataclass(frozen=True)
class ChartFont:
    family: str  # the family name matplotlib knows the face by
    path: str  # its file


_font_lock = threading.Lock()


def _draws_chinese(path: str, index: int = 0) -> bool:
    try:
        face = FT2Font(path, face_index=index)
    except (OSError, RuntimeError, TypeError):
        return False
    return all(face.get_char_index(ord(ch)) != 0 for ch in PROBE)


def _packaged_font() -> str | None:
    try:
        import pylopdf_fonts_zh_cn
    except ImportError:
        return None
    path = pylopdf_fonts_zh_cn.sans_path()
    # The real path: matplotlib's font list names files by it (the venv may be a symlink).
    return os.path.realpath(path) if path.is_file() else None


@functools.cache
def chart_font() -> ChartFont:
    """The CJK font charts are drawn with, registered with matplotlib once per process.

    Raises `ChartFontMissing` when no font on this machine draws Chinese.
    """
    with _font_lock:
        packaged = _packaged_font()
        if packaged is not None and _draws_chinese(packaged):
            font_manager.fontManager.addfont(packaged)
            family = font_manager.FontProperties(fname=packaged).get_name()
            return ChartFont(family, packaged)
        for file in SYSTEM_FONT_FILES:
            if Path(file).is_file():
                font_manager.fontManager.addfont(file)
        entries = {entry.name: entry for entry in font_manager.fontManager.ttflist}
        for family in SYSTEM_FAMILIES:
            entry = entries.get(family)
            if entry is not None and _draws_chinese(str(entry.fname), entry.index):
                return ChartFont(family, str(entry.fname))
    raise ChartFontMissing(
        "找不到可显示中文的字体，无法绘制通报图表。请安装 Python 包 pylopdf-fonts-zh-cn"
        "（随 yiwang 依赖安装）或系统字体 fonts-noto-cjk（apt-get install fonts-noto-cjk）。"
    )


def format_value(value: float | int, unit: str = "") -> str:
    """A value as a label: integers without decimals, others with at most two."""
    if isinstance(value, int) or float(value).is_integer():
        text = f"{int(value):,}"
    else:
        text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text}%" if unit in ("%", "％") else text


def _values(data: Sequence[float | int | None], count: int) -> list[float]:
    """One value per category: None (a gap) and anything not finite become NaN, which
    draws no bar and breaks a line; a series shorter than its categories is padded with
    gaps, a longer one cut (the content does not enforce equal lengths)."""
    values = [math.nan if v is None or not math.isfinite(v) else float(v) for v in data]
    return (values + [math.nan] * count)[:count]


def _labels(categories: Sequence[str]) -> list[str]:
    # A name longer than this would squeeze the plot to nothing; the table has it whole.
    return [c if len(c) <= LABEL_MAX else c[: LABEL_MAX - 1] + "…" for c in categories]


def _new_figure(height: float = HEIGHT_IN) -> Figure:
    figure = Figure(figsize=(WIDTH_IN, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)  # drawn by Agg, whatever backend anything else selected
    figure.set_facecolor("white")
    return figure


def _style_axes(ax: Axes, *, value_axis: Literal["x", "y"]) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#999999")
    ax.tick_params(colors=TEXT_COLOR, labelsize=11)
    ax.set_axisbelow(True)
    ax.grid(axis=value_axis, color=GRID_COLOR, linewidth=0.8)
    locator = MaxNLocator(nbins=6, integer=False, min_n_ticks=3)
    (ax.yaxis if value_axis == "y" else ax.xaxis).set_major_locator(locator)
    formatter = FuncFormatter(lambda v, _pos: format_value(v))
    (ax.yaxis if value_axis == "y" else ax.xaxis).set_major_formatter(formatter)


def _unit_label(unit: str) -> str:
    return f"单位：{unit}" if unit else ""


def _legend(ax: Axes, chart: Chart) -> None:
    # Between the title and the plot, so it never covers a bar or its label.
    if len(chart.series) > 1:
        ax.legend(
            frameon=False,
            fontsize=11,
            loc="lower center",
            bbox_to_anchor=(0.5, 1.0),
            ncols=min(len(chart.series), 5),
        )


def _label_rotation(categories: Sequence[str]) -> int:
    # About 45 CJK characters of 11 pt fit side by side under the axis; more are slanted.
    return 45 if sum(len(c) + 1 for c in categories) > 45 else 0


def _draw_bar(ax: Axes, chart: Chart) -> None:
    count = len(chart.categories)
    width = 0.8 / max(len(chart.series), 1)
    positions = list(range(count))
    for i, series in enumerate(chart.series):
        offset = (i - (len(chart.series) - 1) / 2) * width
        values = _values(series.data, count)
        bars = ax.bar(
            [p + offset for p in positions],
            values,
            width=width * 0.9,
            label=series.name,
            color=PALETTE[i % len(PALETTE)],
        )
        bar_count = count * len(chart.series)
        if bar_count <= 40:
            # Labels side by side while they fit over their bars, upright above that.
            labels = ["" if math.isnan(v) else format_value(v, chart.unit) for v in values]
            upright = bar_count > 12
            ax.bar_label(
                bars,
                labels=labels,
                padding=2,
                fontsize=9 if upright else 10,
                rotation=90 if upright else 0,
                color=TEXT_COLOR,
            )
    rotation = _label_rotation(_labels(chart.categories))
    ax.set_xticks(
        positions,
        _labels(chart.categories),
        rotation=rotation,
        ha="right" if rotation else "center",
        rotation_mode="anchor",
    )
    ax.set_ylabel(_unit_label(chart.unit), color=TEXT_COLOR)
    ax.margins(y=0.16)
    _style_axes(ax, value_axis="y")
    _legend(ax, chart)


def _draw_hbar(ax: Axes, chart: Chart) -> None:
    # Rankings: the content lists the first-ranked category first; it is drawn at the top.
    count = len(chart.categories)
    height = 0.8 / max(len(chart.series), 1)
    positions = list(range(count))
    # Names as large as their rows allow (11 pt down to 5 pt for a ranking of 100).
    row_in = (_figure_height(chart) - HBAR_FRAME_IN) / max(count, 1)
    size = max(5.0, min(11.0, row_in * 72 * 0.75))
    for i, series in enumerate(chart.series):
        offset = (i - (len(chart.series) - 1) / 2) * height
        values = _values(series.data, count)
        bars = ax.barh(
            [p + offset for p in positions],
            values,
            height=height * 0.9,
            label=series.name,
            color=PALETTE[i % len(PALETTE)],
        )
        labels = ["" if math.isnan(v) else format_value(v, chart.unit) for v in values]
        ax.bar_label(bars, labels=labels, padding=3, fontsize=min(size, 10))
    ax.set_yticks(positions, _labels(chart.categories), fontsize=size)
    ax.invert_yaxis()
    ax.set_xlabel(_unit_label(chart.unit), color=TEXT_COLOR)
    ax.margins(x=0.1)
    _style_axes(ax, value_axis="x")
    ax.tick_params(axis="y", labelsize=size)
    _legend(ax, chart)


def _draw_line(ax: Axes, chart: Chart) -> None:
    count = len(chart.categories)
    positions = list(range(count))
    few = count <= 14 and len(chart.series) <= 2
    for i, series in enumerate(chart.series):
        values = _values(series.data, count)
        color = PALETTE[i % len(PALETTE)]
        ax.plot(positions, values, label=series.name, color=color, linewidth=2, marker="o", ms=4)
        if few:
            for x, v in zip(positions, values, strict=False):
                if not math.isnan(v):
                    ax.annotate(
                        format_value(v, chart.unit),
                        (x, v),
                        textcoords="offset points",
                        xytext=(0, 6),
                        ha="center",
                        fontsize=10,
                        color=TEXT_COLOR,
                    )
    # At most ~16 labels along the axis; a month of days shows every other day.
    step = max(1, math.ceil(len(positions) / 16))
    rotation = _label_rotation(_labels(chart.categories[::step]))
    ax.set_xticks(
        positions[::step],
        _labels(chart.categories[::step]),
        rotation=rotation,
        ha="right" if rotation else "center",
        rotation_mode="anchor",
    )
    ax.set_ylabel(_unit_label(chart.unit), color=TEXT_COLOR)
    ax.margins(y=0.15)
    _style_axes(ax, value_axis="y")
    _legend(ax, chart)


def _pie_slices(chart: Chart) -> list[tuple[str, float]]:
    data = chart.series[0].data if chart.series else []
    slices = [
        (name, float(v))
        for name, v in zip(_labels(chart.categories), data, strict=False)
        if v is not None and math.isfinite(v) and v > 0
    ]
    slices.sort(key=lambda s: -s[1])
    if len(slices) > PIE_MAX_SLICES:
        rest = sum(v for _, v in slices[PIE_MAX_SLICES - 1 :])
        slices = [*slices[: PIE_MAX_SLICES - 1], (OTHER, rest)]
    return slices


def _draw_pie(ax: Axes, chart: Chart) -> bool:
    slices = _pie_slices(chart)
    if not slices:
        return False
    total = sum(v for _, v in slices)
    wedges, _texts, _pcts = ax.pie(  # type: ignore[misc]
        [v for _, v in slices],
        colors=[PALETTE[i % len(PALETTE)] for i in range(len(slices))],
        # Small slices keep their share in the legend only: labels on slivers collide.
        autopct=lambda pct: f"{pct:.1f}%" if pct >= 4 else "",
        pctdistance=0.75,
        startangle=90,
        counterclock=False,
        wedgeprops={"linewidth": 1.5, "edgecolor": "white"},
        textprops={"fontsize": 11, "color": TEXT_COLOR},
    )
    ax.set_aspect("equal")
    ax.legend(
        wedges,
        [f"{name}  {format_value(v, chart.unit)}（{v / total:.1%}）" for name, v in slices],
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
        frameon=False,
        fontsize=11,
    )
    unit = "" if chart.unit in ("%", "％") else chart.unit
    ax.set_xlabel(f"合计 {format_value(total)}{unit}", color=TEXT_COLOR)
    return True


def _has_data(chart: Chart) -> bool:
    return bool(chart.categories) and any(
        v is not None for series in chart.series for v in series.data
    )


def _figure_height(chart: Chart) -> float:
    if chart.kind == "hbar":
        # A ranking of many streets needs room for every name.
        rows = len(chart.categories) * max(len(chart.series), 1)
        return min(max(HEIGHT_IN, HBAR_FRAME_IN + HBAR_ROW_IN * rows), MAX_HEIGHT_IN)
    return HEIGHT_IN


# C0 controls and DEL: no font has a glyph for them (matplotlib draws a box and warns).
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _plain(text: str) -> str:
    """`text` as matplotlib draws it literally: two "$" in a name (a street, a type an
    administrator typed) would otherwise be read as TeX math, and a math error fails the
    whole download ("价格$\\frac{1$元" → ValueError)."""
    return _CONTROL.sub(" ", text).replace("$", r"\$")


def _printable(chart: Chart) -> Chart:
    return chart.model_copy(
        update={
            "title": _plain(chart.title),
            "unit": _plain(chart.unit),
            "categories": [_plain(c) for c in chart.categories],
            "series": [s.model_copy(update={"name": _plain(s.name)}) for s in chart.series],
        }
    )


def draw(chart: Chart) -> Figure:
    """The chart as a matplotlib Figure (not yet rendered)."""
    chart = _printable(chart)
    font = chart_font()
    figure = _new_figure(_figure_height(chart))
    ax = figure.add_subplot()
    drawn = _has_data(chart)
    if drawn:
        if chart.kind == "bar":
            _draw_bar(ax, chart)
        elif chart.kind == "hbar":
            _draw_hbar(ax, chart)
        elif chart.kind == "line":
            _draw_line(ax, chart)
        else:
            drawn = _draw_pie(ax, chart)
    if not drawn:
        ax.set_axis_off()
        ax.text(0.5, 0.5, NO_DATA, ha="center", va="center", fontsize=16, color="#999999")
    legend_above = drawn and chart.kind != "pie" and len(chart.series) > 1
    ax.set_title(chart.title, fontsize=16, color=TEXT_COLOR, pad=36 if legend_above else 14)
    # Every text of this figure in the CJK face (Latin fallback for what it lacks): set on
    # the artists themselves, never in matplotlib's global rcParams other code shares.
    families = [font.family, LATIN_FAMILY]
    for text in figure.findobj(lambda artist: hasattr(artist, "set_fontfamily")):
        text.set_fontfamily(families)  # type: ignore[attr-defined]
    return figure


def render_png(chart: Chart) -> bytes:
    """The chart as PNG bytes (1600 pixels wide, 200 dpi).

    A bulletin is frozen as issued, so the same chart always gives the same picture: the
    last `CACHED_CHARTS` pictures are kept, and downloading a bulletin's DOCX after its
    XLSX (or twice) draws nothing again.
    """
    return _render_serialized(chart.model_dump_json())


CACHED_CHARTS = 64  # ~150 KB each


@functools.lru_cache(maxsize=CACHED_CHARTS)
def _render_serialized(serialized: str) -> bytes:
    figure = draw(Chart.model_validate_json(serialized))
    canvas = figure.canvas
    assert isinstance(canvas, FigureCanvasAgg)
    # One draw (savefig draws twice with a layout engine), then the opaque picture as RGB:
    # 15 % less time and 10 % fewer bytes than savefig's RGBA, the same pixels.
    canvas.draw()
    width, height = canvas.get_width_height(physical=True)
    image = PILImage.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG", dpi=(DPI, DPI))
    return buffer.getvalue()


def clear_cache() -> None:
    """Forget the cached pictures (benchmarks time the drawing itself)."""
    _render_serialized.cache_clear()


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels of a PNG, from its header (for laying it out)."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
