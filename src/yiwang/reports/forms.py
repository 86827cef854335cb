"""The hotspot page's filters (GET): period, type, resolution, recurrence threshold."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiwang.reports import hotspots as hs
from yiwang.reports import queries

DEFAULT_DAYS = 30


class HotspotForm(forms.Form):
    start = forms.DateField(
        label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    kind = forms.ChoiceField(
        label=_("类别"),
        required=False,
        choices=[("", _("全部")), ("component", _("部件")), ("matter", _("事件"))],
    )
    type_code = forms.RegexField(
        label=_("类型代码"),
        required=False,
        regex=r"^([0-9]{2}|[0-9]{5})$",
        error_messages={"invalid": _("请输入 2 位大类代码或 5 位小类代码。")},
    )
    resolution = forms.TypedChoiceField(
        label=_("分辨率"),
        coerce=int,
        required=False,
        choices=[(r, str(r)) for r in range(hs.MIN_RESOLUTION, hs.MAX_RESOLUTION + 1)],
    )
    min_count = forms.IntegerField(
        label=_("重复次数 k"), required=False, min_value=2, max_value=1000, initial=3
    )
    days = forms.IntegerField(
        label=_("时间窗 N（天）"),
        required=False,
        min_value=1,
        max_value=queries.MAX_PERIOD_DAYS,
        initial=7,
    )

    radius = forms.IntegerField(
        label=_("同地点范围（米）"),
        required=False,
        min_value=hs.MIN_RADIUS_M,
        max_value=hs.MAX_RADIUS_M,
        help_text=_("不填：同一 H3 单元；填写 50–500：该距离内视为同一地点"),
    )

    def filters(self) -> queries.Filters:
        data = self.cleaned_data
        today = timezone.localdate(timezone.now(), queries.SHANGHAI)
        end = data.get("end") or today
        start = data.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
        return queries.Filters(
            start=start,
            end=end,
            resolution=data.get("resolution") or hs.DEFAULT_RESOLUTION,
            kind=data.get("kind") or "",
            type_code=data.get("type_code") or "",
        )

    def recurrence(self) -> tuple[int, int]:
        return self.cleaned_data.get("min_count") or 3, self.cleaned_data.get("days") or 7

    def radius_m(self) -> int | None:
        """Metres of "the same place", or None for the same H3 cell."""
        value = self.cleaned_data.get("radius")
        return int(value) if value else None
