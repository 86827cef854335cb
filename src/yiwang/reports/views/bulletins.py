"""Bulletin pages: the archive (filter, pages, a form to issue one now) and one bulletin as
it was issued (its frozen content; charts drawn by ECharts from `json_script` data)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from yiwang.core.errors import ActionError, NotFound
from yiwang.org.permissions import acting_user, has_role
from yiwang.reports.bulletins import actions, queries
from yiwang.reports.bulletins.common import SHANGHAI
from yiwang.reports.models import Bulletin

READER_ROLES = queries.READER_ROLES
PAGE_SIZE = 20
KIND_CHOICES = [("", _("全部")), *Bulletin.Kind.choices]


class ArchiveFilter(forms.Form):
    kind = forms.ChoiceField(label=_("类别"), choices=KIND_CHOICES, required=False)
    day = forms.DateField(
        label=_("统计期包含日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class IssueForm(forms.Form):
    kind = forms.ChoiceField(label=_("类别"), choices=Bulletin.Kind.choices)
    day = forms.DateField(
        label=_("日期"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("日盘点取该日，周分析取该日所在周，月通报取该日所在月。"),
    )


def _archive_context(request: HttpRequest, issue_form: IssueForm | None = None) -> dict[str, Any]:
    user = acting_user(request)
    filters = ArchiveFilter(request.GET or None)
    qs = queries.visible_bulletins(user).select_related("issued_by")
    if filters.is_valid():
        if filters.cleaned_data["kind"]:
            qs = qs.filter(kind=filters.cleaned_data["kind"])
        day: date | None = filters.cleaned_data["day"]
        if day is not None:
            qs = qs.filter(Q(period_start__lte=day) & Q(period_end__gte=day))
    qs = qs.order_by("-period_start", "kind", "division_path", "-version", "-id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    yesterday = timezone.localtime(timezone.now(), SHANGHAI).date()
    return {
        "filters": filters,
        "page": page,
        "query_no_page": query.urlencode(),
        "can_issue": has_role(user, actions.ISSUER_ROLES),
        "issue_form": issue_form or IssueForm(initial={"kind": "daily", "day": yesterday}),
    }


def refused_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/refused.html",
        {"title": _("通报"), "message": _("只有领导和指挥中心人员可以查看通报。")},
        status=403,
    )


@login_required
def bulletins_page(request: HttpRequest) -> HttpResponse:
    if not has_role(acting_user(request), READER_ROLES):
        return refused_page(request)
    context = _archive_context(request)
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "bulletin-list":
        return render(request, "reports/_bulletin_list.html", context)
    return render(request, "reports/bulletins.html", context)


@login_required
@require_POST
def issue_bulletin(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if not has_role(user, READER_ROLES):
        return refused_page(request)
    form = IssueForm(request.POST)
    if form.is_valid():
        try:
            bulletin = actions.issue_on_demand(
                user, form.cleaned_data["kind"], form.cleaned_data["day"]
            )
        except ActionError as refused:
            form.add_error("day" if refused.field == "day" else None, refused.message)
            status = refused.status
        else:
            return redirect("reports:bulletin", pk=bulletin.pk)
    else:
        status = 400
    return render(request, "reports/bulletins.html", _archive_context(request, form), status=status)


@login_required
def bulletin_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    if not has_role(user, READER_ROLES):
        return refused_page(request)
    try:
        bulletin = queries.bulletin_for(user, pk)
    except NotFound as missing:
        raise Http404(missing.message) from missing
    content = queries.content_of(bulletin)
    versions = (
        queries.visible_bulletins(user)
        .filter(
            kind=bulletin.kind,
            period_start=bulletin.period_start,
            division_path=bulletin.division_path,
        )
        .select_related("issued_by")
        .order_by("-version")
    )
    charts: list[dict[str, Any]] = []
    sections = []
    for section in content.sections:
        blocks = []
        for block in section.blocks:
            item: dict[str, Any] = {"block": block}
            if block.type == "chart":
                item["chart_id"] = f"chart-{len(charts)}"
                charts.append({"id": item["chart_id"], **block.model_dump(mode="json")})
            blocks.append(item)
        sections.append({"heading": section.heading, "blocks": blocks})
    return render(
        request,
        "reports/bulletin.html",
        {
            "bulletin": bulletin,
            "content": content,
            "sections": sections,
            "charts": charts,
            "versions": list(versions),
        },
    )
