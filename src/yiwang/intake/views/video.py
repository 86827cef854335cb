"""Pages of the video and drone channel: the camera registry and the alarm review queue.

摄像机 (`/intake/video/cameras/`): the cameras of the user's division with search, status
and street filters, pages of 50, and each camera's alarm counts and false-alarm rate; a
系统管理员 registers, edits and imports (CSV) cameras here through `actions.cameras`.
告警审核 (`/intake/video/review/`): the pending low-confidence alarms of the area, oldest
first, each with its snapshot; accept (a case) or reject (with a reason).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from yiwang.core.errors import ActionError, NotFound
from yiwang.core.importing import ImportRejected
from yiwang.core.textinput import SafeTextValidator
from yiwang.geo import crs as geo_crs
from yiwang.intake import queries
from yiwang.intake.actions import alarm_review, cameras
from yiwang.intake.models import Camera, CameraStatus, Channel
from yiwang.org import queries as org_queries
from yiwang.org.models import Division, User
from yiwang.org.permissions import acting_user, has_role
from yiwang.org.roles import Role
from yiwang.web.lists import is_fragment, paginate, query_without

MAX_IMPORT_BYTES = 5 * 1024 * 1024
CRS_CHOICES = [(name, label) for name, label in geo_crs.CRS_LABELS.items()]


class CameraForm(forms.Form):
    """The registry's fields; the action checks them (its refusal shows by the field)."""

    device_id = forms.CharField(
        label=_("国标编码"),
        max_length=40,
        help_text=_(
            "GB/T 28181 的 20 位编码：中心编码 8 位 + 行业 2 位 + 类型 3 位 + "
            "网络 1 位 + 序号 6 位。"
        ),
    )
    name = forms.CharField(label=_("名称"), max_length=100, validators=[SafeTextValidator()])
    address = forms.CharField(
        label=_("安装地址"), max_length=200, required=False, validators=[SafeTextValidator()]
    )
    lon = forms.CharField(label=_("经度"), max_length=30)
    lat = forms.CharField(label=_("纬度"), max_length=30)
    crs = forms.ChoiceField(label=_("坐标系"), choices=CRS_CHOICES, initial=geo_crs.WGS84)
    status = forms.ChoiceField(label=_("状态"), choices=CameraStatus.choices)
    stream_url = forms.CharField(
        label=_("视频流地址"),
        max_length=500,
        required=False,
        validators=[SafeTextValidator()],
        help_text=_("如 rtsp://10.0.0.1:554/ch1；不要包含用户名和密码。"),
    )
    platform_ref = forms.CharField(
        label=_("媒体平台引用"),
        max_length=200,
        required=False,
        validators=[SafeTextValidator()],
        help_text=_("视频流地址与媒体平台引用至少填一项。"),
    )


class ImportForm(forms.Form):
    file = forms.FileField(label=_("摄像机清单（CSV）"))
    crs = forms.ChoiceField(label=_("坐标系"), choices=CRS_CHOICES, initial=geo_crs.WGS84)


def _user(request: HttpRequest) -> User:
    return acting_user(request)


def _is_admin(user: User) -> bool:
    return has_role(user, [Role.ADMIN])


def _require_reader(user: User) -> None:
    if not has_role(user, queries.REGISTRY_READERS):
        raise Http404(gettext("页面不存在。"))


def _require_admin(user: User) -> None:
    if not _is_admin(user):
        raise Http404(gettext("页面不存在。"))


# ---- the registry -------------------------------------------------------------------------


def _rate_text(stats: queries.CameraStats) -> str:
    rate = stats.false_alarm_rate
    return "—" if rate is None else f"{rate:.1%}"


@login_required
@require_GET
def camera_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require_reader(user)
    filters = {
        "q": request.GET.get("q", "").strip()[:50],
        "status": request.GET.get("status", "").strip(),
        "street": request.GET.get("street", "").strip()[:12],
    }
    if filters["status"] not in CameraStatus.values:
        filters["status"] = ""
    qs = queries.cameras(
        user, q=filters["q"], status=filters["status"], street_code=filters["street"]
    )
    page = paginate(request, qs)
    rows: list[Camera] = list(page.object_list)
    stats = queries.camera_stats([c.pk for c in rows])
    context: dict[str, Any] = {
        "filters": filters,
        "statuses": CameraStatus.choices,
        "streets": org_queries.divisions(user).filter(level=Division.Level.STREET),
        "page": page,
        "rows": [
            {"camera": c, "stats": stats[c.pk], "rate": _rate_text(stats[c.pk])} for c in rows
        ],
        "is_admin": _is_admin(user),
        "query_no_page": query_without(request, "page"),
    }
    template = "intake/video/_cameras.html" if is_fragment(request) else "intake/video/cameras.html"
    return render(request, template, context)


def _camera_fields(form: CameraForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {name: data.get(name, "") for name in cameras.EDITABLE}


def _show_refusal(form: forms.Form, exc: ActionError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


@login_required
def camera_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require_admin(user)
    form = CameraForm(request.POST or None, initial={"status": CameraStatus.ONLINE})
    if request.method == "POST" and form.is_valid():
        try:
            camera = cameras.create_camera(
                user,
                device_id=form.cleaned_data["device_id"],
                crs=form.cleaned_data["crs"],
                **_camera_fields(form),
            )
        except ActionError as exc:
            _show_refusal(form, exc)
        else:
            messages.success(request, gettext("已登记摄像机 %(name)s。") % {"name": camera.name})
            return redirect("intake_video:cameras")
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request, "intake/video/camera_form.html", {"form": form, "camera": None}, status=status
    )


@login_required
def camera_edit(request: HttpRequest, device_id: str) -> HttpResponse:
    user = _user(request)
    _require_admin(user)
    try:
        camera = cameras.camera_for_admin(user, device_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    initial = {name: getattr(camera, name) for name in cameras.EDITABLE}
    initial.update(device_id=camera.device_id, crs=geo_crs.WGS84)
    form = CameraForm(request.POST or None, initial=initial)
    form.fields["device_id"].disabled = True  # alarms name the camera by it
    if request.method == "POST" and form.is_valid():
        try:
            cameras.update_camera(
                user, camera.device_id, crs=form.cleaned_data["crs"], **_camera_fields(form)
            )
        except ActionError as exc:
            _show_refusal(form, exc)
        else:
            messages.success(request, gettext("已保存摄像机 %(name)s。") % {"name": camera.name})
            return redirect("intake_video:cameras")
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "intake/video/camera_form.html",
        {"form": form, "camera": camera},
        status=status,
    )


@login_required
def camera_import(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require_admin(user)
    form = ImportForm(request.POST or None, request.FILES or None)
    row_errors: list[dict[str, Any]] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > MAX_IMPORT_BYTES:
                form.add_error("file", gettext("文件不能超过 5 MB。"))
                raise _Stop
            summary = cameras.import_cameras(user, upload.read(), crs=form.cleaned_data["crs"])
        except _Stop:
            pass
        except ImportRejected as exc:
            form.add_error(None, exc.message)
            row_errors = [
                {"index": e.index, "ref": e.ref, "field": e.field or "", "message": e.message}
                for e in exc.errors
            ]
        except ActionError as exc:
            _show_refusal(form, exc)
        else:
            messages.success(
                request, gettext("已导入摄像机 %(count)s 台。") % {"count": summary.created}
            )
            return redirect("intake_video:cameras")
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "intake/video/camera_import.html",
        {"form": form, "row_errors": row_errors, "columns": cameras.COLUMNS},
        status=status,
    )


class _Stop(Exception):
    pass


# ---- the review queue ---------------------------------------------------------------------


def _require_reviewer(user: User) -> None:
    if not has_role(user, queries.REVIEWERS):
        raise Http404(gettext("页面不存在。"))


@login_required
@require_GET
def review(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require_reviewer(user)
    channel = request.GET.get("channel", "")
    if channel not in (Channel.VIDEO, Channel.DRONE):
        channel = ""
    page = paginate(request, queries.review_queue(user, channel=channel), per_page=20)
    return render(
        request,
        "intake/video/review.html",
        {
            "page": page,
            "channel": channel,
            "channels": [
                (Channel.VIDEO, Channel.VIDEO.label),
                (Channel.DRONE, Channel.DRONE.label),
            ],
            "decided": queries.recent_decisions(user),
            "query_no_page": query_without(request, "page"),
        },
    )


def _back(request: HttpRequest) -> HttpResponse:
    return redirect("intake_video:review")


@login_required
@require_POST
def accept(request: HttpRequest, alarm_id: int) -> HttpResponse:
    user = _user(request)
    _require_reviewer(user)
    try:
        accepted = alarm_review.accept_alarm(user, alarm_id, note=request.POST.get("note", ""))
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ActionError as exc:
        messages.error(request, exc.message)
        return _back(request)
    text = (
        gettext("已立案：案卷 %(number)s。")
        if accepted.created
        else gettext("已并入该摄像机的在办案卷 %(number)s。")
    )
    messages.success(request, text % {"number": accepted.case.number})
    return _back(request)


@login_required
@require_POST
def reject(request: HttpRequest, alarm_id: int) -> HttpResponse:
    user = _user(request)
    _require_reviewer(user)
    try:
        count = alarm_review.reject_alarm(user, alarm_id, reason=request.POST.get("reason", ""))
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ActionError as exc:
        messages.error(request, exc.message)
        return _back(request)
    messages.success(request, gettext("已驳回 %(count)s 条告警（记为误报）。") % {"count": count})
    return _back(request)


@login_required
@require_GET
def snapshot(request: HttpRequest, alarm_id: int) -> FileResponse:
    try:
        alarm = queries.alarm_in_scope(_user(request), alarm_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if not alarm.snapshot:
        raise Http404(gettext("该告警没有快照。"))
    ext = alarm.snapshot.name.rsplit(".", 1)[-1]
    content_type = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}.get(ext)
    if content_type is None:
        raise Http404(gettext("该告警没有快照。"))
    response = FileResponse(alarm.snapshot.open("rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response
