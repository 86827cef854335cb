"""城管通 (the inspector's phone) at /m/: an installable web app that works offline.

The pages are a shell (report form and the 待发送 queue; the task list) that the service
worker keeps, so the app opens without a network. Reports are kept in the browser
(IndexedDB) and sent to `POST /api/intake/inspector/reports` by the page's script, which
calls the API with the session and the CSRF cookie. Tasks need the network: the list is a
fragment sorted by distance from the phone's position, and a task is done by an ordinary
form post with its photos (resized in the browser before they are sent).

The task list also holds the 重点监管 check tasks of the supervised spots in the inspector's
scope: read with `reports.queries.open_checks` and done with `reports.actions.complete_check`
(a consumer uses another only through its queries and actions). A check that found a
problem leads to the report form, prefilled with the spot's position (`?lon=&lat=&check=`).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_POST

from yiwang.cases import deadlines
from yiwang.cases import queries as case_queries
from yiwang.cases.actions.photos import MAX_PHOTO_BYTES, Upload
from yiwang.cases.models import Case
from yiwang.cases.workflow import TRANSITIONS
from yiwang.catalog import queries as catalog_queries
from yiwang.core.errors import ActionError, Conflict, NotFound
from yiwang.geo.queries import scope_bounds
from yiwang.intake import queries
from yiwang.intake.actions import inspector as actions
from yiwang.org.models import User
from yiwang.org.permissions import acting_user, has_role
from yiwang.org.roles import Role
from yiwang.reports import actions as report_actions
from yiwang.reports import queries as report_queries

APP_NAME = "城管通"
THEME_COLOR = "#0f3d73"
CASE_NUMBER = re.compile(r"[A-Z0-9]{1,40}")
# Longest side of a photo after the browser resized it (about 0.3–0.8 MB as JPEG).
PHOTO_MAX_SIDE = 1600

# What the app needs to open offline besides its pages (the service worker caches them).
SHELL_STATIC = (
    "web/app.css",
    "web/app.js",
    "web/favicon.svg",
    "vendor/htmx.min.js",
    "vendor/leaflet/leaflet.js",
    "vendor/leaflet/leaflet.css",
    "intake/inspector/phone.css",
    "intake/inspector/phone.js",
    "intake/inspector/report.js",
    "intake/inspector/tasks.js",
    "intake/inspector/task.js",
    "intake/inspector/icon-192.png",
    "intake/inspector/icon-512.png",
)
ICONS = (
    ("intake/inspector/icon-192.png", "192x192", "any"),
    ("intake/inspector/icon-512.png", "512x512", "any"),
    ("intake/inspector/icon-maskable-512.png", "512x512", "maskable"),
)

# Text the scripts show; translated here so the scripts carry no UI strings.
LABELS = {
    "offline": _("离线：上报将保存在本机，联网后自动发送。"),
    "loginNeeded": _("登录已过期。待发送的上报仍保存在本机，登录后自动发送。"),
    "login": _("登录"),
    "queued": _("待发送"),
    "sending": _("发送中…"),
    "filed": _("已登记，照片上传中"),
    "done": _("已发送"),
    "refused": _("被拒绝"),
    "otherUser": _("属于其他账号"),
    "caseNumber": _("案卷"),
    "photos": _("照片"),
    "remove": _("删除"),
    "removeConfirm": _("删除这条尚未发送的上报？"),
    "locating": _("正在获取当前位置…"),
    "accuracy": _("精度约 %(m)s 米"),
    "geoFailed": _("无法获取当前位置，请在地图上点选或拖动标记。"),
    "pickOnMap": _("请在地图上点选问题位置。"),
    "needPosition": _("请先确定问题位置。"),
    "needType": _("请选择问题类型。"),
    "typesUnavailable": _("类型列表尚未下载，请联网后打开一次城管通。"),
    "noTypeMatch": _("没有匹配的类型。"),
    "tooManyPhotos": _("最多 %(n)s 张照片。"),
    "badPhoto": _("无法读取这张照片。"),
    "saved": _("已保存，等待发送。"),
    "savedOffline": _("已保存在本机（离线），联网后自动发送。"),
    "component": _("部件"),
    "matter": _("事件"),
    "tasksOffline": _("离线：任务清单需要网络，联网后自动刷新。"),
    "tasksSaved": _("离线：显示 %(time)s 同步的任务（只读），联网后自动刷新；办理任务需要网络。"),
    "tasksByDue": _("未获取到位置：按期限排序。"),
    "tasksByDistance": _("按距离排序（离您最近的在前）。"),
    "storageFailed": _("本机存储不可用，无法离线保存上报。"),
    "fromCheck": _("重点监管核查发现问题：请选择问题类型并补充描述后上报。"),
}


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/refused.html",
        {"title": _("城管通"), "message": gettext("城管通仅供监督员使用。")},
        status=403,
    )


def _inspector(request: HttpRequest) -> User | None:
    user = acting_user(request)
    return user if has_role(user, {Role.INSPECTOR}) else None


def _config(request: HttpRequest, user: User) -> dict[str, Any]:
    return {
        "userId": user.pk,
        "userName": str(user),
        "reportsUrl": reverse("api:intake_inspector_reports"),
        "photosUrl": reverse("api:intake_inspector_photos", kwargs={"report_id": "REPORT_ID"}),
        "typesUrl": reverse("inspector_app:types"),
        "swUrl": reverse("inspector_app:sw"),
        "scope": reverse("inspector_app:report"),
        "loginUrl": _login_url(),
        "tasksListUrl": reverse("inspector_app:task_list"),
        "caseUrl": reverse("cases:detail", kwargs={"number": "NUMBER"}),
        "tileUrl": settings.TILE_URL,
        "bounds": scope_bounds(user),
        "gridsUrl": "/api/geo/grids",
        "maxPhotos": actions.MAX_REPORT_PHOTOS,
        "photoMaxSide": PHOTO_MAX_SIDE,
        "labels": {k: str(v) for k, v in LABELS.items()},
    }


def _login_url() -> str:
    """Back to the app after signing in (the queued reports are still on the phone)."""
    return f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': reverse('inspector_app:report')})}"


def _page(request: HttpRequest, template: str, user: User, **extra: Any) -> HttpResponse:
    context = {"config": _config(request, user), "active": extra.pop("active", ""), **extra}
    return render(request, template, context)


@require_GET
@login_required
@ensure_csrf_cookie
def report_page(request: HttpRequest) -> HttpResponse:
    """上报 and 待发送: the page the app opens on (the service worker keeps a copy)."""
    user = _inspector(request)
    if user is None:
        return _forbidden(request)
    return _page(request, "intake/inspector/report.html", user, active="report")


@require_GET
@login_required
@ensure_csrf_cookie
def tasks_page(request: HttpRequest) -> HttpResponse:
    """任务: the list is loaded by the script with the phone's position."""
    user = _inspector(request)
    if user is None:
        return _forbidden(request)
    done = _done_notice(request.GET.get("done", ""), request.GET.get("move", ""))
    if request.GET.get("check_done", "").isdigit():
        done = gettext("已完成重点监管核查：无问题。")
    return _page(request, "intake/inspector/tasks.html", user, active="tasks", done=done)


def _done_notice(number: str, move: str) -> str:
    t = TRANSITIONS.get(move)
    # Only a case number is echoed: the link is the app's own, but anyone can write one.
    if t is None or move not in actions.TASK_MOVES or not CASE_NUMBER.fullmatch(number):
        return ""
    return gettext("已提交“%(move)s”：案卷 %(number)s。") % {
        "move": gettext(t.label),
        "number": number,
    }


def _position(request: HttpRequest) -> tuple[float | None, float | None]:
    try:
        lon = float(request.GET.get("lon", ""))
        lat = float(request.GET.get("lat", ""))
    except ValueError:
        return None, None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None, None
    return lon, lat


@require_GET
@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    """Fragment: the inspector's 核实 and 核查 tasks, nearest first from ?lon=&lat=."""
    user = _inspector(request)
    if user is None:
        return _forbidden(request)
    lon, lat = _position(request)
    tasks = queries.inspector_tasks(user, lon, lat)
    cal, now = deadlines.calendar(), timezone.now()
    rows = [
        {
            "task": t,
            "case": t.case,
            "distance": _distance_text(t.distance_m),
            "light": case_queries.light(t.case, now, cal=cal),
        }
        for t in tasks
    ]
    spot_rows = [
        {"open": c, "check": c.check, "distance": _distance_text(c.distance_m)}
        for c in report_queries.open_checks(user, lon, lat)
    ]
    response = render(
        request,
        "intake/inspector/_task_list.html",
        {"rows": rows, "spot_rows": spot_rows, "by_distance": lon is not None},
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _distance_text(metres: float | None) -> str:
    if metres is None:
        return ""
    if metres < 1000:
        return gettext("%(m)s 米") % {"m": round(metres)}
    return gettext("%(km)s 公里") % {"km": f"{metres / 1000:.1f}"}


def _task_case(user: User, number: str) -> tuple[Case, str]:
    """The case (404 outside the user's scope) and "verify" / "check" while it is their task."""
    try:
        case = case_queries.case_detail(user, number)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    for move, state in actions.TASK_STATES.items():
        if case.state == state and case.assignee_id == user.pk:
            return case, "verify" if move.startswith("verify") else "check"
    return case, ""


def _task_context(
    request: HttpRequest, user: User, case: Case, kind: str, **extra: Any
) -> dict[str, Any]:
    moves = [m for m in actions.TASK_MOVES if m.startswith(kind)] if kind else []
    cal, now = deadlines.calendar(), timezone.now()
    return {
        "config": _config(request, user),
        "active": "tasks",
        "case": case,
        "kind": kind,
        "moves": [
            {
                "name": m,
                "label": gettext(TRANSITIONS[m].label),
                "note_required": any(i.required for i in TRANSITIONS[m].inputs),
                "phase": actions.TASK_MOVES[m],
                "side": m in ("verify_reject", "check_fail"),
            }
            for m in moves
        ],
        "photos": list(case.photos.order_by("phase", "id")),
        "light": case_queries.light(case, now, cal=cal),
        "max_photos": actions.MAX_TASK_PHOTOS,
        **extra,
    }


@require_GET
@login_required
def task_page(request: HttpRequest, number: str) -> HttpResponse:
    user = _inspector(request)
    if user is None:
        return _forbidden(request)
    case, kind = _task_case(user, number[:40])
    return render(request, "intake/inspector/task.html", _task_context(request, user, case, kind))


@require_POST
@login_required
def task_move(request: HttpRequest, number: str, name: str) -> HttpResponse:
    """Do a task: the move, its note and its photos, or the page again with the reason."""
    user = _inspector(request)
    if user is None:
        return _forbidden(request)
    number = number[:40]
    uploads = request.FILES.getlist("photos")
    too_big = [u for u in uploads if u.size is not None and u.size > MAX_PHOTO_BYTES]
    error, field, status = "", "", 200
    try:
        if too_big:
            raise ActionError(
                "file_too_large",
                gettext("照片不能超过 %(mb)s MB。") % {"mb": MAX_PHOTO_BYTES // (1024 * 1024)},
                "photos",
            )
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            raise ActionError(
                "required", gettext("缺少案卷版本号，请刷新后重试。"), "version"
            ) from None
        actions.complete_task(
            user,
            number,
            name,
            version=version,
            note=request.POST.get("note", ""),
            photos=[Upload(u.name or "", u.read(), u.content_type or "") for u in uploads],
        )
    except ActionError as exc:
        error, field, status = exc.message, exc.field or "", exc.status
    else:
        url = reverse("inspector_app:tasks")
        return redirect(f"{url}?{urlencode({'done': number, 'move': name})}")
    case, kind = _task_case(user, number)
    context = _task_context(
        request,
        user,
        case,
        kind,
        error=error,
        error_field=field,
        failed_move=name,
        note=request.POST.get("note", ""),
        conflict=status == Conflict.status,
    )
    return render(request, "intake/inspector/task.html", context, status=status)


def _check_or_404(user: User, check_id: int) -> report_queries.SpotCheck:
    try:
        return report_queries.spot_check(user, check_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _report_here_url(check: report_queries.SpotCheck) -> str:
    """The report form at the spot's centre, with the check's note as the description."""
    query = {
        "lon": f"{check.spot.lon:.7f}",
        "lat": f"{check.spot.lat:.7f}",
        "check": check.pk,
        "note": check.note,
    }
    return f"{reverse('inspector_app:report')}?{urlencode(query)}"


def _check_context(
    request: HttpRequest, user: User, check: report_queries.SpotCheck, **extra: Any
) -> dict[str, Any]:
    return {
        "config": _config(request, user),
        "active": "tasks",
        "check": check,
        "spot": check.spot,
        "overdue": check.done_at is None and check.due_at < timezone.now(),
        "results": report_queries.CHECK_RESULTS,
        "report_url": _report_here_url(check),
        **extra,
    }


@require_GET
@login_required
def check_page(request: HttpRequest, check_id: int) -> HttpResponse:
    """One 重点监管 check task: where, why, by when; the form to record the finding."""
    user = _inspector(request)
    if user is None:
        return _forbidden(request)
    check = _check_or_404(user, check_id)
    return render(request, "intake/inspector/check.html", _check_context(request, user, check))


@require_POST
@login_required
def check_done(request: HttpRequest, check_id: int) -> HttpResponse:
    """Record the finding once; 发现问题 goes on to the report form at the spot."""
    user = _inspector(request)
    if user is None:
        return _forbidden(request)
    check = _check_or_404(user, check_id)
    upload = request.FILES.get("photo")
    try:
        if upload is not None and upload.size is not None and upload.size > MAX_PHOTO_BYTES:
            raise ActionError(
                "file_too_large",
                gettext("照片不能超过 %(mb)s MB。") % {"mb": MAX_PHOTO_BYTES // (1024 * 1024)},
                "photo",
            )
        check = report_actions.complete_check(
            user,
            check.pk,
            result=request.POST.get("result", ""),
            note=request.POST.get("note", ""),
            photo=upload.read() if upload is not None else None,
        )
    except ActionError as exc:
        check = _check_or_404(user, check_id)
        context = _check_context(
            request,
            user,
            check,
            error=exc.message,
            error_field=exc.field or "",
            note=request.POST.get("note", ""),
            chosen=request.POST.get("result", ""),
        )
        return render(request, "intake/inspector/check.html", context, status=exc.status)
    if check.result == report_queries.PROBLEM_FOUND:
        return redirect(_report_here_url(check))
    return redirect(f"{reverse('inspector_app:tasks')}?{urlencode({'check_done': check.pk})}")


@require_GET
def types_json(request: HttpRequest) -> HttpResponse:
    """The active types for the report form, kept by the service worker for offline use."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        # Never a login page: the service worker would keep it in place of the list.
        return JsonResponse(
            {"code": "unauthenticated", "message": gettext("请先登录。"), "field": None},
            status=401,
        )
    rows = catalog_queries.types(user, active=True).values_list(
        "kind", "code", "name", "major_name"
    )
    response = JsonResponse(
        {"types": [{"kind": k, "code": c, "name": n, "major": m} for k, c, n, m in rows]}
    )
    response["Cache-Control"] = "private, no-cache"
    return response


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    """The web app manifest (installable; opens full screen on /m/)."""
    start = reverse("inspector_app:report")
    body = {
        "id": start,
        "name": APP_NAME,
        "short_name": APP_NAME,
        "description": "一网统管 监督员移动端：离线上报、核实与核查任务",
        "lang": "zh-CN",
        "dir": "ltr",
        "start_url": start,
        "scope": start,
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOR,
        "categories": ["productivity", "utilities"],
        "icons": [
            {"src": static(path), "sizes": sizes, "type": "image/png", "purpose": purpose}
            for path, sizes, purpose in ICONS
        ],
    }
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, indent=2),
        content_type="application/manifest+json; charset=utf-8",
    )
    response["Cache-Control"] = "public, max-age=3600"
    return response


_SW_VERSION: dict[str, str] = {}


def _shell_urls() -> list[str]:
    pages = [reverse("inspector_app:report"), reverse("inspector_app:tasks")]
    return pages + [static(path) for path in SHELL_STATIC]


def _shell_version() -> str:
    """A digest of the shell's static files: a deploy that changes one makes a new worker
    (and a new cache), so phones never mix old and new scripts."""
    if "v" in _SW_VERSION and not settings.DEBUG:
        return _SW_VERSION["v"]
    digest = hashlib.sha256()
    for path in SHELL_STATIC:
        found = finders.find(path)
        if isinstance(found, list):
            found = found[0] if found else None
        if found:
            with open(found, "rb") as fh:
                digest.update(fh.read())
        digest.update(path.encode())
    template = render_to_string("intake/inspector/sw.js", {"version": "", "shell": []})
    digest.update(template.encode())
    _SW_VERSION["v"] = digest.hexdigest()[:16]
    return _SW_VERSION["v"]


@require_GET
@never_cache
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, served from /m/ so that its scope is the app."""
    body = render_to_string(
        "intake/inspector/sw.js",
        {
            "version": _shell_version(),
            "shell": json.dumps(_shell_urls()),
            "pages": json.dumps([reverse("inspector_app:report"), reverse("inspector_app:tasks")]),
            "types_url": json.dumps(reverse("inspector_app:types")),
            "static_prefix": json.dumps(settings.STATIC_URL),
        },
    )
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("inspector_app:report")
    return response
