"""Public reporting pages (公众上报): no sign-in, phone first.

- `/report/`: choose the problem (search or picture tiles), place it on the map or take the
  phone's location, describe it, up to three photos (resized in the browser), an optional
  call-back number. A honeypot field catches simple robots; every address may send
  `PUBLIC_REPORT_RATE` reports. The page posts with fetch and gets JSON back (errors appear
  next to their fields without losing the chosen photos); without script it is a plain
  form post and the same errors come back in the page.
- `/report/done/<code>/`, `/report/track/<code>/`: the tracking code and the progress,
  without personal data; look-ups count against `PUBLIC_TRACK_RATE`.
- `/report/nearby/?lon=&lat=`: recent public reports near a point, with the photos an
  operator approved (served by `/report/photos/<id>/`, which checks the approval).
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.core import get_usage

from yiwang.cases.actions.photos import Upload
from yiwang.core.clientip import client_ip
from yiwang.core.errors import ActionError, InvalidInput, TooManyRequests
from yiwang.core.scope import path_in_scope
from yiwang.core.textinput import SafeTextValidator
from yiwang.geo import locate as geo_locate
from yiwang.geo.queries import scope_bounds
from yiwang.intake import queries
from yiwang.intake.actions import public as public_actions
from yiwang.intake.actions.channels import channel_actor
from yiwang.intake.actions.submissions import TRACKING_ALPHABET, TRACKING_LENGTH
from yiwang.intake.models import Channel
from yiwang.org.models import User

logger = logging.getLogger("yiwang.intake.public")

NEARBY_RADIUS_M = 1000
NEARBY_DAYS = 30
NEARBY_PAGE_SIZE = 20
# Photos plus the form fields: anything larger is refused before the body is read.
MAX_BODY_BYTES = public_actions.MAX_PHOTOS * public_actions.MAX_PHOTO_BYTES + 1024 * 1024
CODE_RE = re.compile(f"[{TRACKING_ALPHABET}]{{{TRACKING_LENGTH}}}")
HONEYPOT = "website"

# Text the page script shows; translated here so the script carries no UI strings.
SCRIPT_LABELS = {
    "locating": _("正在获取当前位置…"),
    "geoFailed": _("无法获取当前位置，请在地图上点选问题位置。"),
    "geoUnsupported": _("此浏览器不能提供位置，请在地图上点选问题位置。"),
    "checking": _("正在确认位置…"),
    "picked": _("已选择位置："),
    "pickOnMap": _("请在地图上点选问题位置。"),
    "noMatch": _("没有找到匹配的问题类型，请换个说法，或从下面的大类中选择。"),
    "tooMany": _("最多上传 3 张照片，多选的已忽略。"),
    "resizing": _("正在处理照片…"),
    "remove": _("删除"),
    "photo": _("照片"),
    "sending": _("正在提交…"),
    "failed": _("提交失败，请检查网络后重试。"),
    "fixErrors": _("请修改标红的项目后再提交。"),
    "back": _("返回大类"),
}


class PublicReportForm(forms.Form):
    """The shape of the public form; the rules are re-checked by `report_publicly`."""

    type = forms.TypedChoiceField(
        coerce=int,
        error_messages={
            "required": _("请选择问题类型。"),
            "invalid_choice": _("请选择问题类型。"),
        },
    )
    lon = forms.FloatField(required=False)
    lat = forms.FloatField(required=False)
    description = forms.CharField(
        max_length=public_actions.DESCRIPTION_MAX_LENGTH,
        validators=[SafeTextValidator(multiline=True)],
        error_messages={
            "required": _("请描述一下问题。"),
            "max_length": _("问题描述不能超过 %(limit_value)d 字。"),
        },
    )
    address = forms.CharField(
        required=False,
        max_length=public_actions.ADDRESS_MAX_LENGTH,
        validators=[SafeTextValidator()],
        error_messages={"max_length": _("位置说明不能超过 %(limit_value)d 字。")},
    )
    phone = forms.CharField(required=False, max_length=30, validators=[SafeTextValidator()])
    token = forms.CharField(required=False, max_length=64)

    def __init__(self, categories: list[queries.CategoryChoice], *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["type"].choices = [  # type: ignore[attr-defined]
            ("", ""),
            *((t.id, t.name) for c in categories for t in c.types),
        ]

    def clean_phone(self) -> str:
        try:
            return public_actions.normalize_phone(self.cleaned_data.get("phone") or "")
        except InvalidInput as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc


def _viewer() -> User:
    """Whom public pages read as: the public channel's account (the node's whole division)."""
    return channel_actor(Channel.PUBLIC)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _wait_text(seconds: int) -> str:
    if seconds < 60:
        return ngettext("%(n)d 秒", "%(n)d 秒", seconds) % {"n": seconds}
    minutes = (seconds + 59) // 60
    return ngettext("%(n)d 分钟", "%(n)d 分钟", minutes) % {"n": minutes}


# What a client that asked too often is told; %(wait)s is "12 分钟" / "40 秒".
TOO_MANY_REPORTS = _("提交过于频繁，请在 %(wait)s后再试。")
TOO_MANY_LOOKUPS = _("查询过于频繁，请在 %(wait)s后再试。")


def check_rate(request: HttpRequest, group: str, rate: str, message: str) -> None:
    """Count one request of `group` for the client's address; refuse over `rate`.

    django-ratelimit in fixed windows, counted in the default cache (shared by every
    process); `message` says what was done too often and takes the wait as %(wait)s.
    """
    address = client_ip(request) or "unknown"
    usage = get_usage(request, group=group, key=lambda _g, _r: address, rate=rate, increment=True)
    if usage is not None and usage["should_limit"]:
        seconds = max(1, int(usage["time_left"]))
        raise TooManyRequests(
            "rate_limited", message % {"wait": _wait_text(seconds)}, None, retry_after=seconds
        )


# ---- the report form -------------------------------------------------------------------------


def _map_config(viewer: User) -> dict[str, Any]:
    return {
        "tileUrl": settings.TILE_URL,
        "bounds": scope_bounds(viewer),
        "placeUrl": reverse("intake_public:place"),
        "labels": SCRIPT_LABELS,
        "maxPhotos": public_actions.MAX_PHOTOS,
        "maxSide": 1600,
    }


def _render_form(
    request: HttpRequest,
    categories: list[queries.CategoryChoice],
    *,
    values: dict[str, Any],
    errors: dict[str, list[str]],
    status: int = 200,
    top_error: str = "",
) -> HttpResponse:
    viewer = _viewer()
    context = {
        "categories": categories,
        "values": values,
        "errors": errors,
        "top_error": top_error,
        "map_config": _map_config(viewer),
        "type_options": {
            "categories": [
                {
                    "id": c.id,
                    "name": c.name,
                    "icon": c.icon,
                    "types": [
                        {"id": t.id, "name": t.name, "keywords": t.keywords} for t in c.types
                    ],
                }
                for c in categories
            ]
        },
        "selected_type": _type_name(categories, values.get("type")),
        "max_photos": public_actions.MAX_PHOTOS,
        "max_photo_mb": public_actions.MAX_PHOTO_BYTES // (1024 * 1024),
        "honeypot": HONEYPOT,
    }
    return render(request, "intake/public/report.html", context, status=status)


def _type_name(categories: list[queries.CategoryChoice], value: Any) -> str:
    for c in categories:
        for t in c.types:
            if str(t.id) == str(value or ""):
                return f"{c.name} · {t.name}"
    return ""


def _refusal(
    request: HttpRequest,
    categories: list[queries.CategoryChoice],
    *,
    status: int,
    errors: dict[str, list[str]],
    top_error: str = "",
    retry_after: int | None = None,
    echo: bool = True,
) -> HttpResponse:
    """The refusal as JSON (the page's script) or as the page again; `echo=False` when the
    body must not be parsed (too large, too many requests)."""
    response: HttpResponse
    if _wants_json(request):
        summary = top_error or gettext("请修改标红的项目后再提交。")
        response = JsonResponse(
            {"ok": False, "message": summary, "errors": errors},
            status=status,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        fields = ("type", "lon", "lat", "description", "address", "phone", "token")
        values = {k: request.POST.get(k, "") if echo else "" for k in fields}
        values["token"] = values["token"] or uuid.uuid4().hex
        response = _render_form(
            request, categories, values=values, errors=errors, status=status, top_error=top_error
        )
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def _uploads(request: HttpRequest) -> list[Upload]:
    return [
        Upload(
            filename=f.name or "",
            content=f.read(),
            content_type=f.content_type or "",
        )
        for f in request.FILES.getlist("photos")[: public_actions.MAX_PHOTOS + 1]
    ]


def _form_errors(form: PublicReportForm) -> dict[str, list[str]]:
    """The form's refusals by field; the map's two coordinates are one field, "location"."""
    form.is_valid()
    errors = {name: [str(m) for m in messages] for name, messages in form.errors.items()}
    bad_point = [errors.pop("lon", None), errors.pop("lat", None)]
    data = form.cleaned_data
    if any(bad_point) or data.get("lon") is None or data.get("lat") is None:
        # A bad number too: the map fills these in, only a tampered post gets them wrong.
        errors["location"] = [gettext("请在地图上点选问题位置，或使用当前位置。")]
    return errors


# CSRF is checked by `_checked_post`, after the size check: the CSRF middleware would read
# (parse and spool) the whole body first, whatever its size.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def report_page(request: HttpRequest) -> HttpResponse:
    categories = queries.public_categories()
    if request.method != "POST":
        values = {"token": uuid.uuid4().hex, "type": request.GET.get("type", "")}
        return _render_form(request, categories, values=values, errors={})
    try:
        check_rate(
            request, "intake.public.report", settings.PUBLIC_REPORT_RATE, str(TOO_MANY_REPORTS)
        )
    except TooManyRequests as exc:
        logger.warning("public report refused: rate limit (address %s)", client_ip(request))
        return _refusal(
            request,
            categories,
            status=exc.status,
            errors={},
            top_error=exc.message,
            retry_after=exc.retry_after,
            echo=False,
        )
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = MAX_BODY_BYTES + 1
    if length > MAX_BODY_BYTES:
        message = gettext("照片总大小超过上限，请减少照片或缩小后再提交。")
        return _refusal(
            request,
            categories,
            status=413,
            errors={"photos": [message]},
            top_error=message,
            echo=False,
        )
    try:
        # Parsed here, not first by the CSRF check: a body Django will not read (too many
        # files or fields, broken multipart) gets the form's refusal, not a bare 400 page.
        request.POST, request.FILES  # noqa: B018
    except (SuspiciousOperation, MultiPartParserError):
        message = gettext("提交的内容无法读取，请刷新页面后重新填写。")
        return _refusal(request, categories, status=400, errors={}, top_error=message, echo=False)
    return _checked_post(request, categories)


@csrf_protect
def _checked_post(request: HttpRequest, categories: list[queries.CategoryChoice]) -> HttpResponse:
    if request.POST.get(HONEYPOT, ""):
        # Only robots fill the field no person sees: refused without telling them why.
        logger.warning(
            "public report refused: honeypot field filled (address %s, user agent %r)",
            client_ip(request),
            request.headers.get("User-Agent", "")[:200],
        )
        return _refusal(
            request,
            categories,
            status=400,
            errors={},
            top_error=gettext("提交未被受理，请刷新页面后重新填写。"),
        )
    return _submit(request, categories)


def _submit(request: HttpRequest, categories: list[queries.CategoryChoice]) -> HttpResponse:
    form = PublicReportForm(categories, request.POST)
    uploads = _uploads(request)
    errors = _form_errors(form)
    problems = public_actions.photo_problems(uploads)
    if problems:
        errors["photos"] = problems
    if errors:
        return _refusal(request, categories, status=400, errors=errors)
    data = form.cleaned_data
    report = public_actions.PublicReport(
        service_id=data["type"],
        lon=data["lon"],
        lat=data["lat"],
        description=data["description"],
        address=data["address"],
        phone=data["phone"],
        photos=uploads,
        token=data.get("token") or "",
    )
    try:
        submission = public_actions.report_publicly(report, client=client_ip(request) or "")
    except ActionError as exc:
        field = exc.field or ""
        if field in ("type", "location", "description", "address", "phone", "photos"):
            return _refusal(request, categories, status=exc.status, errors={field: [exc.message]})
        return _refusal(request, categories, status=exc.status, errors={}, top_error=exc.message)
    done = reverse("intake_public:done", args=[submission.tracking_code])
    if _wants_json(request):
        return JsonResponse({"ok": True, "redirect": done, "code": submission.tracking_code})
    return redirect(done)


@require_GET
def place(request: HttpRequest) -> JsonResponse:
    """Where a tapped point is (street and community), or why it cannot be reported there."""
    try:
        lon, lat = float(request.GET.get("lon", "")), float(request.GET.get("lat", ""))
        found = geo_locate.locate(lon, lat)
    except (ValueError, InvalidInput):
        return JsonResponse({"message": gettext("位置坐标不正确。")}, status=400)
    if found is None or not path_in_scope(_viewer(), found.division_path):
        message = public_actions.PUBLIC_MESSAGES["not_in_grid"]
        return JsonResponse({"message": gettext(message)}, status=404)
    return JsonResponse(
        {"place": " ".join(n for n in (found.street_name, found.community_name) if n)}
    )


# ---- after sending: the code and the progress ------------------------------------------------


def _lookup_refused(request: HttpRequest, exc: TooManyRequests) -> HttpResponse:
    logger.warning("tracking look-up refused: rate limit (address %s)", client_ip(request))
    response = render(
        request,
        "intake/public/track_lookup.html",
        {"error": exc.message, "code": ""},
        status=exc.status,
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


def _unknown_code(request: HttpRequest, code: str) -> HttpResponse:
    message = gettext("没有找到查询码为 %(code)s 的上报，请核对后重新输入。") % {"code": code}
    return render(
        request,
        "intake/public/track_lookup.html",
        {"error": message, "code": code, "unknown": True},
        status=404,
    )


def _tracked(request: HttpRequest, code: str) -> queries.Tracking | HttpResponse:
    try:
        check_rate(
            request, "intake.public.track", settings.PUBLIC_TRACK_RATE, str(TOO_MANY_LOOKUPS)
        )
    except TooManyRequests as exc:
        return _lookup_refused(request, exc)
    code = code.strip().upper()
    found = queries.tracking(_viewer(), code) if CODE_RE.fullmatch(code) else None
    if found is None:
        return _unknown_code(request, code[:20])
    return found


@require_GET
def done(request: HttpRequest, code: str) -> HttpResponse:
    found = _tracked(request, code)
    if isinstance(found, HttpResponse):
        return found
    return render(request, "intake/public/done.html", {"t": found})


@require_GET
def track_lookup(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("code")
    if raw is None:
        return render(request, "intake/public/track_lookup.html", {"code": ""})
    code = re.sub(r"[\s\-]", "", raw).upper()
    if not CODE_RE.fullmatch(code):
        message = gettext("查询码由 %(n)d 位字母和数字组成（不含 0、O、1、I、L），请核对。") % {
            "n": TRACKING_LENGTH
        }
        return render(
            request,
            "intake/public/track_lookup.html",
            {"error": message, "code": raw[:20]},
            status=400,
        )
    return redirect("intake_public:track", code=code)


@require_GET
def track(request: HttpRequest, code: str) -> HttpResponse:
    found = _tracked(request, code)
    if isinstance(found, HttpResponse):
        return found
    return render(request, "intake/public/track.html", {"t": found})


# ---- near a point ----------------------------------------------------------------------------


def _point(request: HttpRequest) -> tuple[float, float] | None:
    raw_lon, raw_lat = request.GET.get("lon", ""), request.GET.get("lat", "")
    if not raw_lon and not raw_lat:
        return None
    try:
        lon, lat = float(raw_lon), float(raw_lat)
    except ValueError:
        raise InvalidInput("bad_coordinates", gettext("位置坐标不正确。"), "lon") from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidInput("bad_coordinates", gettext("位置坐标不正确。"), "lon")
    return lon, lat


@require_GET
def nearby(request: HttpRequest) -> HttpResponse:
    viewer = _viewer()
    config: dict[str, Any] = {
        "tileUrl": settings.TILE_URL,
        "bounds": scope_bounds(viewer),
        "labels": SCRIPT_LABELS,
        "radius": NEARBY_RADIUS_M,
    }
    context: dict[str, Any] = {"radius": NEARBY_RADIUS_M, "days": NEARBY_DAYS, "config": config}
    try:
        point = _point(request)
    except InvalidInput as exc:
        context["error"] = exc.message
        return render(request, "intake/public/nearby.html", context, status=400)
    if point is not None:
        rows = queries.nearby_reports(
            viewer, point[0], point[1], radius_m=NEARBY_RADIUS_M, days=NEARBY_DAYS
        )
        page = Paginator(rows, NEARBY_PAGE_SIZE).get_page(request.GET.get("page"))
        config["point"] = [point[1], point[0]]
        config["reports"] = [
            {"lat": r.lat, "lon": r.lon, "name": r.type_name, "status": gettext(r.status)}
            for r in page.object_list
        ]
        context.update(point=point, page=page, count=len(rows))
    return render(request, "intake/public/nearby.html", context)


@require_GET
def photo(request: HttpRequest, review_id: int) -> FileResponse:
    """An approved public photo; any other (pending, refused, unknown) is 404."""
    found = queries.approved_photo(_viewer(), review_id)
    if found is None:
        raise Http404(gettext("照片不存在。"))
    response = FileResponse(found.file.open("rb"), content_type=found.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    # Short: an approval withdrawn takes the photo off shared caches soon.
    response["Cache-Control"] = "public, max-age=300"
    return response
