"""Bulletin charts drawn on the server: Chinese text in a CJK font, valid PNGs, the layout
rules a reader sees (gaps, rankings top-down, pie shares)."""

from __future__ import annotations

import io
import math
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image

from yiwang.reports.bulletins import charts
from yiwang.reports.bulletins.content import Chart, Series

TITLE = "2026年11月各街道问题受理量"
STREETS = ["南园街道", "园岭街道", "沙头街道", "香蜜湖街道", "梅林街道"]


def bar_chart(**changes: Any) -> Chart:
    values = {
        "title": TITLE,
        "kind": "bar",
        "categories": STREETS,
        "series": [Series(name="本月", data=[120, 80, None, 45, 9])],
        "unit": "件",
    }
    return Chart(**(values | changes))


def texts(figure: Figure) -> list[Text]:
    return [t for t in figure.findobj(Text) if t.get_text()]


def test_the_font_draws_chinese_and_is_registered_with_matplotlib() -> None:
    font = charts.chart_font()
    # What matplotlib resolves the family to is the file that was checked.
    found = font_manager.findfont(font_manager.FontProperties(family=font.family))
    assert os.path.samefile(found, font.path)
    face = font_manager.get_font(font.path)
    assert all(face.get_char_index(ord(ch)) for ch in TITLE if not ch.isascii())


def test_a_chinese_chart_renders_without_missing_glyphs_as_a_16_9_png(
    recwarn: pytest.WarningsRecorder,
) -> None:
    charts.clear_cache()
    png = charts.render_png(bar_chart())
    missing = [w for w in recwarn if "missing from font" in str(w.message)]
    assert missing == []
    image = Image.open(io.BytesIO(png))
    image.verify()  # a complete, valid PNG
    assert image.format == "PNG"
    assert image.size == (1600, 900)  # 10 × 5.625 in at 160 dpi
    assert charts.png_size(png) == (1600, 900)


def test_the_same_text_in_a_latin_font_is_reported_missing() -> None:
    # The check above can fail: without the CJK font matplotlib warns for each glyph.
    figure = Figure()
    figure.suptitle(TITLE, fontfamily="DejaVu Sans")
    with pytest.warns(UserWarning, match="missing from font"):
        figure.savefig(io.BytesIO(), format="png")


def test_every_text_of_a_chart_is_set_in_the_cjk_font() -> None:
    font = charts.chart_font()
    figure = charts.draw(bar_chart())
    figure.canvas.draw()  # creates the ticks as they are drawn
    drawn = texts(figure)
    assert {t.get_text() for t in drawn} >= {TITLE, "南园街道", "单位：件", "120"}
    for text in drawn:
        found = font_manager.findfont(text.get_fontproperties())
        assert os.path.samefile(found, font.path), text.get_text()


def test_a_missing_value_is_a_gap_not_a_zero_bar() -> None:
    figure = charts.draw(bar_chart())
    ax = figure.axes[0]
    heights = [bar.get_height() for bar in ax.patches]
    assert len(heights) == 5
    assert math.isnan(heights[2])
    assert [h for h in heights if not math.isnan(h)] == [120, 80, 45, 9]
    labels = [t.get_text() for t in ax.texts]
    assert labels == ["120", "80", "", "45", "9"]


def test_a_ranking_is_drawn_first_at_the_top_and_grows_with_its_rows() -> None:
    names = [f"第{i}街道" for i in range(1, 41)]
    chart = Chart(
        title="街道得分排名",
        kind="hbar",
        categories=names,
        series=[Series(name="得分", data=[100 - i for i in range(40)])],
        unit="分",
    )
    figure = charts.draw(chart)
    ax = figure.axes[0]
    bars = list(ax.patches)
    # First category (the top score) has the highest position on screen.
    figure.canvas.draw()
    tops = [bar.get_window_extent().y1 for bar in bars]
    assert tops == sorted(tops, reverse=True)
    assert bars[0].get_width() == 100
    width, height = charts.png_size(charts.render_png(chart))
    assert width == 1600 and height > 900


def test_a_pie_shows_shares_and_folds_small_slices_into_other() -> None:
    values = [500, 300, 200, 150, 80, 40, 30, 20, 10, 5]  # 10 slices, 1,335 in all
    chart = Chart(
        title="问题类型构成",
        kind="pie",
        categories=[f"类型{i}" for i in range(10)],
        series=[Series(name="件数", data=values)],
        unit="件",
    )
    figure = charts.draw(chart)
    ax = figure.axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(legend) == 8  # seven largest (down to 30) and 其他 (20 + 10 + 5 = 35)
    assert legend[0] == "类型0  500（37.5%）"  # 500 / 1335
    assert legend[-1] == "其他  35（2.6%）"  # 35 / 1335
    shown = {t.get_text() for t in ax.texts if t.get_text().endswith("%")}
    assert "22.5%" in shown  # 300 / 1335


def test_a_chart_without_data_says_so() -> None:
    chart = Chart(title="新增黑点分布", kind="pie", categories=[], series=[], unit="处")
    figure = charts.draw(chart)
    assert "无数据" in {t.get_text() for t in texts(figure)}
    assert charts.png_size(charts.render_png(chart)) == (1600, 900)


def test_line_gaps_and_value_labels() -> None:
    chart = Chart(
        title="每日受理量",
        kind="line",
        categories=["1日", "2日", "3日", "4日"],
        series=[Series(name="受理", data=[10, None, 12.5, 14])],
        unit="件",
    )
    figure = charts.draw(chart)
    ax = figure.axes[0]
    ys = list(ax.lines[0].get_ydata())
    assert math.isnan(ys[1]) and ys[0] == 10 and ys[3] == 14
    assert [t.get_text() for t in ax.texts] == ["10", "12.5", "14"]


def test_charts_drawn_in_threads_are_the_same_as_drawn_one_by_one() -> None:
    chart_set = [
        bar_chart(title=f"{TITLE}（{i}）", kind=kind)
        for i, kind in enumerate(("bar", "hbar", "line", "pie"))
    ]
    charts.clear_cache()
    one_by_one = [charts.render_png(c) for c in chart_set]
    charts.clear_cache()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a glyph missing in any thread fails the test
        with ThreadPoolExecutor(max_workers=4) as pool:
            together = list(pool.map(charts.render_png, chart_set))
    assert together == one_by_one


def test_no_cjk_font_fails_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    # A machine without the font package and without system CJK fonts.
    monkeypatch.setattr(charts, "_packaged_font", lambda: None)
    monkeypatch.setattr(charts, "SYSTEM_FONT_FILES", ())
    monkeypatch.setattr(charts, "SYSTEM_FAMILIES", ("No Such Font SC",))
    charts.chart_font.cache_clear()
    charts.clear_cache()
    try:
        with pytest.raises(charts.ChartFontMissing, match="fonts-noto-cjk"):
            charts.render_png(bar_chart(title="另一张图"))
    finally:
        charts.chart_font.cache_clear()


@pytest.mark.skipif(
    not os.path.exists(charts.SYSTEM_FONT_FILES[0]), reason="fonts-noto-cjk not installed"
)
def test_without_the_font_package_the_system_noto_cjk_is_used(
    monkeypatch: pytest.MonkeyPatch, recwarn: pytest.WarningsRecorder
) -> None:
    monkeypatch.setattr(charts, "_packaged_font", lambda: None)
    charts.chart_font.cache_clear()
    charts.clear_cache()
    try:
        font = charts.chart_font()
        assert font.family == "Noto Sans CJK SC"
        png = charts.render_png(bar_chart(title="系统字体绘制的图"))
        assert [w for w in recwarn if "missing from font" in str(w.message)] == []
        assert charts.png_size(png) == (1600, 900)
    finally:
        charts.chart_font.cache_clear()
        charts.clear_cache()


@pytest.mark.parametrize("kind", ["bar", "hbar", "line", "pie"])
def test_uneven_series_and_long_names_still_draw(kind: str) -> None:
    long_name = "某某街道办事处城市管理综合行政执法中队第三分队" * 3  # 69 characters
    chart = Chart(
        title="不齐的数据",
        kind=kind,
        categories=["甲", "乙", "丙", long_name],
        series=[Series(name="短", data=[3, 4]), Series(name="长", data=[1, 2, 3, 4, 5, 6])],
        unit="件",
    )
    figure = charts.draw(chart)
    figure.canvas.draw()
    shown = {t.get_text() for t in texts(figure)}
    assert long_name not in shown
    if kind != "pie":
        assert long_name[:15] + "…" in shown  # cut to 16 characters
        ax = figure.axes[0]
        heights = [
            (bar.get_width() if kind == "hbar" else bar.get_height()) for bar in ax.patches
        ] or list(ax.lines[0].get_ydata())
        # The short series: 3, 4 and two gaps (four categories, four values or NaN).
        assert heights[:2] == [3, 4] and all(math.isnan(h) for h in heights[2:4])
    assert charts.png_size(charts.render_png(chart))[0] == 1600
