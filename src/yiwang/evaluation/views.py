"""The evaluation page (choose a period and a subject kind, read the ranking, download it)
and the responsibility lists (责任清单: a street's or a department's open problems)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from yiwang.core import spreadsheets
from yiwang.core.errors import ActionError
from yiwang.evaluation import exports, responsibility, tables
from yiwang.evaluation.forms import EvaluationForm, ResponsibilityForm
from yiwang.org.permissions import acting_user
from yiwang.web import exports as web_exports
from yiwang.web.lists import EXPORT_LIMIT, PAGE_SIZE, paginate, query_without

# Problems per page of a responsibility list (a module value, so a test can make pages short).
RESPONSIBILITY_PAGE_SIZE = PAGE_SIZE


def _plain_error(exc: ActionError) -> HttpResponse:
    return HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")


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
        params = {k: str(v) for k, v in form.cleaned_data.items() if v not in (None, "")}
        try:
            result = exports.evaluation_result(user, params)
        except ActionError as exc:
            context["error"] = exc.message
            return render(request, "evaluation/page.html", context, status=exc.status)
        context.update(
            result=result,
            table=tables.table(result),
            # From the form's values, not the query string: the first visit has none.
            export_query=urlencode(params),
        )
    return render(request, "evaluation/page.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def evaluation_export(request: HttpRequest) -> HttpResponseBase:
    """The page's table as XLSX (at once; a job only for a very long grid ranking)."""
    user = acting_user(request)
    filters = exports.evaluation_filters(request.GET)
    try:
        prepared = exports.prepare_evaluation(user, filters)
    except ActionError as exc:
        return _plain_error(exc)
    return web_exports.deliver(
        request,
        user,
        fmt="xlsx",
        kind=exports.EVALUATION,
        prepared=prepared,
        filters=filters,
        format_param="format",
    )


@login_required
def responsibility_page(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    try:
        form = ResponsibilityForm(user, request.GET or None)
        choice = exports.responsibility_choice(user, request.GET)
        problems = responsibility.problems_of(user, choice)
        by_street = responsibility.summary(user, "street")
        by_department = responsibility.summary(user, "department")
    except ActionError as exc:
        # A refused reader gets no form (its lists would name the streets of their scope).
        refused_form = ResponsibilityForm(user) if exc.status != 403 else None
        refused: dict[str, Any] = {"error": exc.message, "form": refused_form}
        return render(request, "evaluation/responsibility.html", refused, status=exc.status)
    page = paginate(request, problems, RESPONSIBILITY_PAGE_SIZE)
    context: dict[str, Any] = {
        "form": form,
        "choice": choice,
        "page": page,
        "lines": responsibility.lines(list(page.object_list)),
        "by_street": by_street,
        "by_department": by_department,
        "query_no_page": query_without(request, "page"),
        "export_query": query_without(request, "page"),
        "title": choice.label or gettext("全部"),
    }
    return render(request, "evaluation/responsibility.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def responsibility_export(request: HttpRequest) -> HttpResponseBase:
    """The list picked as one sheet, or (``by=street|department``) every street's or
    department's list, one sheet each, in one workbook."""
    user = acting_user(request)
    by = request.GET.get("by")
    if by:
        try:
            content = exports.responsibility_workbook(user, by)
        except ActionError as exc:
            return _plain_error(exc)
        response = HttpResponse(content, content_type=spreadsheets.XLSX_CONTENT_TYPE)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        name = f"{gettext('责任清单')}-{stamp}.xlsx"
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
        return response
    filters = exports.responsibility_filters(request.GET)
    try:
        prepared = exports.prepare_responsibility(user, filters, limit=EXPORT_LIMIT)
    except ActionError as exc:
        return _plain_error(exc)
    return web_exports.deliver(
        request,
        user,
        fmt="xlsx",
        kind=exports.RESPONSIBILITY,
        prepared=prepared,
        filters=filters,
        limit=EXPORT_LIMIT,
        format_param="format",
    )
