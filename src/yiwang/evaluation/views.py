"""The evaluation page: choose a period and a subject kind, read the ranking."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiwang.core.errors import ActionError
from yiwang.evaluation import queries
from yiwang.evaluation.scheme import INDICATOR_LABELS
from yiwang.org.permissions import acting_user

# The rates shown as columns, per subject kind (the rest is in the API).
COLUMNS = {
    "region": ["public_report_rate", "register_per_grid", "close_rate", "on_time_close_rate"],
    "department": ["close_rate", "on_time_handle_rate", "rework_rate"],
    "dispatcher": ["on_time_dispatch_rate", "accurate_dispatch_rate"],
    "shift_lead": ["on_time_register_rate", "accurate_register_rate", "on_time_close_rate"],
}
PERCENT = {"register_per_grid"}  # …is not a rate: shown as a number


class EvaluationForm(forms.Form):
    subject = forms.ChoiceField(
        label=_("考核对象"),
        choices=[
            ("region", _("区域")),
            ("department", _("专业部门")),
            ("dispatcher", _("派遣员")),
            ("shift_lead", _("值班长")),
        ],
    )
    level = forms.ChoiceField(
        label=_("区域层级"),
        required=False,
        choices=[
            ("district", _("区县")),
            ("street", _("街道")),
            ("community", _("社区")),
            ("grid", _("单元网格")),
        ],
    )
    period = forms.ChoiceField(
        label=_("统计周期"),
        choices=[
            ("day", _("日")),
            ("week", _("周")),
            ("month", _("月")),
            ("quarter", _("季")),
            ("year", _("年")),
            ("custom", _("自定义")),
        ],
    )
    day = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(
        label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


def _trend(now: Decimal | None, then: Decimal | None) -> str:
    if now is None or then is None:
        return ""
    return "up" if now > then else "down" if now < then else "same"


def _cell(key: str, value: Decimal | None) -> str:
    if value is None:
        return "无数据"
    if key in PERCENT:
        return f"{value:.2f}"
    return f"{value * 100:.2f}%"


@login_required
def evaluation_page(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    initial: dict[str, Any] = {
        "subject": "region",
        "level": "street",
        "period": "month",
        "day": timezone.localdate(),
    }
    form = EvaluationForm(request.GET or initial)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = queries.evaluation_for(
                user,
                data["subject"],
                data["period"],
                data["day"] or date.today(),
                data.get("end"),
                level=data.get("level") or "street",
            )
        except ActionError as exc:
            status = exc.status
            context["error"] = exc.message
            return render(request, "evaluation/page.html", context, status=status)
        columns = COLUMNS[result.kind]
        context.update(
            result=result,
            headers=[INDICATOR_LABELS[c] for c in columns],
            rows=[
                {
                    "row": row,
                    "cells": [_cell(c, row.rates.get(c)) for c in columns],
                    "mom": _trend(row.result.score, row.previous_score),
                    "yoy": _trend(row.result.score, row.year_before_score),
                }
                for row in result.rows
            ],
        )
    return render(request, "evaluation/page.html", context)
