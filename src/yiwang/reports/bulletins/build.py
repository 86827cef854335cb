"""Building a bulletin's content: the entry points every output (page, XLSX, DOCX) reads.

    build_daily(division, day)      日盘点 of that Shanghai day
    build_weekly(division, day)     周分析 of the Monday–Sunday week holding `day`
    build_monthly(division, day)    月通报 of the month holding `day`
    build(kind, division, day)      one of the three by kind ("daily", "weekly", "monthly")

Each returns a `BulletinContent` covering the division's subtree, read through the scope
rule with a stand-in leader of the division (`common.division_reader`). Nothing is written:
`reports.bulletins.actions.issue` freezes the content as a `Bulletin` version.
"""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone, translation

from yiwang.org.models import Division
from yiwang.reports.bulletins import common as c
from yiwang.reports.bulletins.content import BulletinContent, Section
from yiwang.reports.bulletins.daily import build_daily_sections
from yiwang.reports.bulletins.monthly import build_monthly_sections
from yiwang.reports.bulletins.weekly import build_weekly_sections

TITLES = {
    "daily": "城市管理问题日盘点",
    "weekly": "城市管理问题周分析",
    "monthly": "城市管理问题月度通报",
}


def issuer_of(division: Division) -> str:
    return f"{division.name}城市运行管理服务中心"


def build(
    kind: str, division: Division, day: date, *, now: datetime | None = None
) -> BulletinContent:
    """The content of the `kind` bulletin of the period holding `day`, as of `now`."""
    now = now or timezone.now()
    span = c.span_of(kind, day)
    reader = c.division_reader(division)
    scheme = ""
    # Bulletins are Chinese documents whoever asks for them (labels of sources, stages).
    with translation.override("zh-hans"):
        sections: list[Section]
        if kind == "daily":
            summary, sections = build_daily_sections(reader, span)
        elif kind == "weekly":
            summary, sections = build_weekly_sections(reader, span)
        else:
            summary, sections, scheme = build_monthly_sections(reader, span, division.name, now)
    label = c.period_label(span)
    if now < span.end:
        # A period not over yet (asked for on demand): say up to when it counts.
        label += f"（截至{c.local_text(now)}）"
    return BulletinContent(
        kind=kind,  # type: ignore[arg-type]  # one of KINDS, checked by span_of
        title=f"{division.name}{c.period_label(span)}{TITLES[kind]}",
        period_label=label,
        period_start=span.first.isoformat(),
        period_end=span.last.isoformat(),
        division_code=division.code,
        division_name=division.name,
        issuer=issuer_of(division),
        generated_at=now.astimezone(c.SHANGHAI).isoformat(timespec="seconds"),
        scheme=scheme,
        summary=summary,
        sections=sections,
    )


def build_daily(division: Division, day: date, *, now: datetime | None = None) -> BulletinContent:
    return build("daily", division, day, now=now)


def build_weekly(division: Division, day: date, *, now: datetime | None = None) -> BulletinContent:
    return build("weekly", division, day, now=now)


def build_monthly(division: Division, day: date, *, now: datetime | None = None) -> BulletinContent:
    return build("monthly", division, day, now=now)
