"""The new-case form (上报案卷): map click to locate, a searchable type picker, photos."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from yiwang.cases import actions
from yiwang.cases.actions.idempotency import KeyReused
from yiwang.cases.actions.photos import MAX_PHOTO_BYTES, add_photo
from yiwang.cases.actions.reporting import REPORTER_SOURCES
from yiwang.cases.forms import NewCaseForm, attach_error, new_token
from yiwang.cases.models import Case, CasePhoto, Source
from yiwang.catalog import queries as catalog_queries
from yiwang.core.errors import ActionError, PermissionDenied
from yiwang.geo.queries import scope_bounds
from yiwang.org.models import User
from yiwang.org.permissions import acting_user, has_role

PICKER_LIMIT = 30
MAX_PHOTOS = 9
# Sources whose reporter is a member of the public who may need a call back.
CONTACT_SOURCES = (Source.PUBLIC, Source.HOTLINE)

# Text the map script shows; translated here so the script carries no UI strings.
MAP_LABELS = {
    "gridCode": _("网格"),
    "community": _("社区"),
    "street": _("街道"),
    "locating": _("正在定位…"),
    "loadFailed": _("定位失败，请稍后重试。"),
    "gridsTruncated": _("当前范围内网格较多，仅显示部分，请放大地图。"),
    "pickOnMap": _("请在地图上点选问题位置。"),
    "badNumber": _("经纬度应为数字。"),
    "geoFailed": _("无法获取当前位置，请在地图上点选。"),
    "geoLocating": _("正在获取当前位置…"),
}


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "cases/new.html", {"forbidden": message}, status=403)


def _map_config(user: User) -> dict[str, Any]:
    return {
        "tileUrl": settings.TILE_URL,
        "bounds": scope_bounds(user),
        "gridsUrl": "/api/geo/grids",
        "locateUrl": "/api/geo/locate",
        "labels": MAP_LABELS,
    }


def _type_label(form: NewCaseForm) -> str:
    code = (form.data.get("type_code") or "").strip()
    kind = form.data.get("kind") or ""
    if not code or kind not in ("component", "matter"):
        return ""
    name = (
        catalog_queries.types(None, kind=kind)
        .filter(code=code)
        .values_list("name", flat=True)
        .first()
    )
    return f"{code} {name}" if name else code


def _attach_photos(request: HttpRequest, case: Case) -> list[str]:
    """Attach the uploaded "before" photos; the refusals, one line per photo."""
    failures = []
    for upload in request.FILES.getlist("photos")[:MAX_PHOTOS]:
        name = upload.name or gettext("照片")
        if upload.size is not None and upload.size > MAX_PHOTO_BYTES:
            failures.append(
                gettext("%(name)s：照片不能超过 %(mb)s MB。")
                % {"name": name, "mb": MAX_PHOTO_BYTES // (1024 * 1024)}
            )
            continue
        try:
            add_photo(
                request.user,  # type: ignore[arg-type]
                case.number,
                phase=CasePhoto.Phase.BEFORE,
                filename=name,
                content=upload.read(),
                content_type=upload.content_type or "",
            )
        except ActionError as exc:
            failures.append(f"{name}：{exc.message}")
    return failures


def _report(user: User, form: NewCaseForm) -> tuple[Case, bool]:
    """The reported case and whether an earlier submit of the same page created it."""
    token = form.cleaned_data.get("idempotency_key") or ""
    if not token:
        return actions.report_case(user, **form.report_fields()), False
    reported = actions.report_case_once(user, token, **form.report_fields())
    return reported.case, reported.replayed


@login_required
def new_case(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if not has_role(user, REPORTER_SOURCES.keys()):
        return _forbidden(request, gettext("您的角色不能登记案卷。"))
    status = 200
    if request.method == "POST":
        form = NewCaseForm(user, request.POST)
        if form.is_valid():
            try:
                case, replayed = _report(user, form)  # type: ignore[arg-type]
            except KeyReused as exc:
                # The page was sent before with other content (back, edit, send again):
                # say so, and a fresh token lets a deliberate second report through.
                new_token(form)
                form.add_error(
                    None,
                    gettext(
                        "此页面已提交过，登记为案卷 %(number)s，之后内容有改动。"
                        "如需另行登记一件新的案卷，请再次提交。"
                    )
                    % {"number": exc.details.get("number", "")},
                )
                status = exc.status
            except PermissionDenied as exc:
                if exc.field not in form.fields:
                    return _forbidden(request, exc.message)
                attach_error(form, exc)
                status = 403
            except ActionError as exc:
                attach_error(form, exc)
                status = 400
            else:
                if replayed:
                    # A second submit of the same page: the first one's case, once.
                    messages.info(
                        request,
                        gettext("该上报已提交过，这是已登记的案卷 %(number)s。")
                        % {"number": case.number},
                    )
                    return redirect("cases:detail", number=case.number)
                messages.success(
                    request, gettext("已登记案卷 %(number)s。") % {"number": case.number}
                )
                failures = _attach_photos(request, case)
                if failures:
                    messages.error(
                        request,
                        gettext("案卷已登记，但以下照片未能上传：%(list)s")
                        % {"list": "；".join(failures)},
                    )
                return redirect("cases:detail", number=case.number)
        else:
            status = 400
    else:
        form = NewCaseForm(user)
    context = {
        "form": form,
        "type_label": _type_label(form) if form.is_bound else "",
        "map_config": _map_config(user),
        "contact_sources": [str(s) for s in CONTACT_SOURCES],
        "max_photos": MAX_PHOTOS,
        "max_photo_mb": MAX_PHOTO_BYTES // (1024 * 1024),
    }
    return render(request, "cases/new.html", context, status=status)


@login_required
def type_picker(request: HttpRequest) -> HttpResponse:
    """HTMX/fetch fragment: active types of the chosen kind matching a name or code prefix."""
    kind = request.GET.get("kind", "").strip()
    if kind not in ("", "component", "matter"):
        kind = ""
    q = request.GET.get("q", "").strip()[:50]
    qs = catalog_queries.types(acting_user(request), kind=kind or None, q=q or None, active=True)
    found = list(qs[: PICKER_LIMIT + 1])
    return render(
        request,
        "cases/_n_type_options.html",
        {
            "types": found[:PICKER_LIMIT],
            "more": len(found) > PICKER_LIMIT,
            "q": q,
            "show_kind": not kind,
        },
    )
