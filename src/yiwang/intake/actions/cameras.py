"""The camera registry: register, edit and import cameras (系统管理员 of their division).

A camera is checked as a whole before anything is written: its GB/T 28181 id for
structure (`intake.gb28181`), its location (given in any CRS `geo.crs` knows, stored in
WGS84) located to a unit grid in the administrator's division, the id's centre code
against that place (its first 6 digits must be a known GB/T 2260 division containing the
camera), and where the picture comes from (a stream URL without credentials, or a media
platform reference). An import is all-or-nothing with every bad row reported.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction

from yiwang.catalog.actions.component_files import decode
from yiwang.core import audit
from yiwang.core.errors import ActionError, InvalidInput, NotFound
from yiwang.core.importing import ErrorCollector, ImportSummary
from yiwang.core.scope import path_in_scope
from yiwang.core.textinput import model_max_length, text_problem
from yiwang.geo import crs as geo_crs
from yiwang.geo.locate import locate_many
from yiwang.geo.models import UnitGrid
from yiwang.intake import gb28181
from yiwang.intake.models import Camera, CameraStatus
from yiwang.org.models import Division, User
from yiwang.org.permissions import require_admin

STREAM_SCHEMES = ("rtsp", "rtsps", "rtmp", "rtmps", "http", "https", "srt", "ws", "wss")

# CSV header names, canonical first (English or Chinese, any order; others ignored).
COLUMNS: dict[str, tuple[str, ...]] = {
    "device_id": ("device_id", "国标编码", "设备编码", "通道编码"),
    "name": ("name", "名称", "摄像机名称"),
    "lon": ("lon", "经度", "lng", "longitude"),
    "lat": ("lat", "纬度", "latitude"),
    "crs": ("crs", "坐标系"),
    "status": ("status", "状态"),
    "stream_url": ("stream_url", "视频流地址"),
    "platform_ref": ("platform_ref", "媒体平台引用"),
    "address": ("address", "安装地址", "地址"),
}
REQUIRED_COLUMNS = ("device_id", "name", "lon", "lat")
_ALIAS_TO_COLUMN = {a.lower(): col for col, aliases in COLUMNS.items() for a in aliases}
_STATUS_BY_INPUT = {
    **{str(label): value for value, label in CameraStatus.choices},
    **{value: value for value in CameraStatus.values},
}
_LABELS = {
    "name": "名称",
    "address": "安装地址",
    "stream_url": "视频流地址",
    "platform_ref": "媒体平台引用",
}


@dataclass
class _Checked:
    index: int
    device: gb28181.DeviceId
    fields: dict[str, Any]  # name, address, status, stream_url, platform_ref
    lon: float  # WGS84
    lat: float


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _number(value: Any, field: str, label: str) -> float:
    try:
        number = float(_text(value))
    except ValueError:
        raise InvalidInput("bad_coordinates", f"{label}应为数字。", field) from None
    if not math.isfinite(number):
        raise InvalidInput("bad_coordinates", f"{label}应为有限的数字。", field)
    return number


def check_stream_url(url: str) -> None:
    """A stream the platform can hand to a player: a known scheme and a host, no secrets."""
    if not url:
        return
    parts = urlsplit(url)
    if parts.scheme.lower() not in STREAM_SCHEMES or not parts.hostname:
        raise InvalidInput(
            "bad_stream_url",
            "视频流地址应为 rtsp://、rtmp://、http(s)://、srt:// 或 ws(s):// 开头的完整地址。",
            "stream_url",
        )
    if parts.username or parts.password:
        # The registry is readable by command-centre staff; a password in it would leak.
        raise InvalidInput(
            "stream_url_credentials",
            "视频流地址不能包含用户名或密码，请把凭据保存在媒体平台上。",
            "stream_url",
        )


def _check_one(
    record: dict[str, Any], default_crs: str
) -> tuple[gb28181.DeviceId, dict[str, Any], float, float]:
    device = gb28181.parse_device_id(_text(record.get("device_id")))
    fields: dict[str, Any] = {}
    for name, label in _LABELS.items():
        value = _text(record.get(name))
        problem = text_problem(value)
        if problem is not None:
            raise InvalidInput(problem[0], f"{label}{problem[1]}", name)
        limit = model_max_length(Camera, name)
        if len(value) > limit:
            raise InvalidInput("too_long", f"{label}不能超过 {limit} 个字符。", name)
        fields[name] = value
    if not fields["name"]:
        raise InvalidInput("required", "请填写摄像机名称。", "name")
    check_stream_url(fields["stream_url"])
    if not fields["stream_url"] and not fields["platform_ref"]:
        raise InvalidInput(
            "stream_required", "请填写视频流地址或媒体平台引用（至少一项）。", "stream_url"
        )
    raw_status = _text(record.get("status")) or CameraStatus.ONLINE
    status = _STATUS_BY_INPUT.get(raw_status)
    if status is None:
        raise InvalidInput("bad_status", "状态应为 在线、离线 或 故障。", "status")
    fields["status"] = status
    crs = geo_crs.parse_crs(_text(record.get("crs")) or default_crs)
    lon = _number(record.get("lon"), "lon", "经度")
    lat = _number(record.get("lat"), "lat", "纬度")
    geo_crs.check_lon_lat(lon, lat)
    lon, lat = geo_crs.to_wgs84(lon, lat, crs)
    return device, fields, lon, lat


def _build(
    actor: User,
    records: list[tuple[int, dict[str, Any]]],
    default_crs: str,
    errors: ErrorCollector,
    *,
    existing: Camera | None = None,
) -> list[Camera]:
    """Cameras ready to save (new ones, or `existing` changed), or errors collected."""
    checked: list[_Checked] = []
    for index, record in records:
        ref = _text(record.get("device_id"))[:20]
        try:
            device, fields, lon, lat = _check_one(record, default_crs)
        except ActionError as exc:
            errors.add(index, ref, exc.code, exc.message, exc.field)
            continue
        checked.append(_Checked(index, device, fields, lon, lat))

    spots = locate_many([(c.lon, c.lat) for c in checked])
    centre_codes = {c.device.division_code for c in checked}
    known = dict(Division.objects.filter(code__in=centre_codes).values_list("code", "name"))
    grids = UnitGrid.objects.filter(pk__in={s.grid_id for s in spots if s}).defer("geometry")
    grid_by_id = {g.pk: g for g in grids}
    others = Camera.objects.filter(device_id__in=[c.device.value for c in checked])
    if existing is not None:
        others = others.exclude(pk=existing.pk)
    taken = set(others.values_list("device_id", flat=True))
    seen: set[str] = set()
    cameras: list[Camera] = []
    for item, spot in zip(checked, spots, strict=True):
        ref = item.device.value
        centre = item.device.division_code
        if spot is None:
            errors.add(item.index, ref, "not_in_grid", "该位置不在任何单元网格内。", "lon")
            continue
        if not path_in_scope(actor, spot.division_path):
            errors.add(item.index, ref, "out_of_scope", "该位置不在您的管辖范围内。", "lon")
            continue
        if centre not in known:
            errors.add(
                item.index,
                ref,
                "device_id_centre",
                f"国标编码前 6 位 {centre} 不是已知的行政区划代码（GB/T 2260）。",
                "device_id",
            )
            continue
        if centre not in spot.division_path.split("/"):
            errors.add(
                item.index,
                ref,
                "device_id_division",
                f"国标编码的中心编码属于{known[centre]}（{centre}），与摄像机所在的"
                f"{spot.district_name}（{spot.district_code}）不一致。",
                "device_id",
            )
            continue
        if ref in taken or ref in seen:
            errors.add(
                item.index, ref, "duplicate_device_id", f"国标编码 {ref} 已登记。", "device_id"
            )
            continue
        seen.add(ref)
        camera = existing or Camera(device_id=ref)
        for name, value in item.fields.items():
            setattr(camera, name, value)
        camera.lon, camera.lat = item.lon, item.lat
        camera.grid = grid_by_id[spot.grid_id]
        camera.division_path = spot.division_path
        cameras.append(camera)
    return cameras


def _first_error(errors: ErrorCollector) -> None:
    if errors.errors:
        first = errors.errors[0]
        raise InvalidInput(first.code, first.message, first.field)


@transaction.atomic
def create_camera(actor: User, *, crs: str = "wgs84", **fields: Any) -> Camera:
    """Register one camera: device_id, name, lon, lat (in `crs`), status, stream_url,
    platform_ref, address. The first problem is raised with its field."""
    require_admin(actor, "登记摄像机")
    errors = ErrorCollector()
    cameras = _build(actor, [(1, fields)], crs, errors)
    _first_error(errors)
    camera = cameras[0]
    try:
        with transaction.atomic():
            camera.save()
    except IntegrityError as exc:  # a concurrent registration took the id first
        raise InvalidInput(
            "duplicate_device_id", f"国标编码 {camera.device_id} 已登记。", "device_id"
        ) from exc
    audit.record(
        actor,
        "intake.create_camera",
        camera,
        f"登记摄像机 {camera.device_id} {camera.name}",
        grid=camera.grid.code,
    )
    return camera


def camera_for_admin(actor: User, device_id: str) -> Camera:
    camera = Camera.objects.filter(device_id=device_id).select_related("grid").first()
    if camera is None or not path_in_scope(actor, camera.division_path):
        raise NotFound(
            "camera_not_found", f"摄像机 {device_id} 不存在或不在您的管辖范围内。", "device_id"
        )
    return camera


EDITABLE = ("name", "address", "lon", "lat", "status", "stream_url", "platform_ref")


@transaction.atomic
def update_camera(actor: User, device_id: str, *, crs: str = "wgs84", **fields: Any) -> Camera:
    """Change a camera's name, place, status or stream; the id stays (alarms name it)."""
    require_admin(actor, "修改摄像机")
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise InvalidInput("unknown_field", f"不能修改：{'、'.join(sorted(unknown))}", None)
    camera = camera_for_admin(actor, device_id)
    before = {name: getattr(camera, name) for name in EDITABLE}
    record = {**before, **fields, "device_id": camera.device_id}
    if "lon" not in fields and "lat" not in fields:
        record["crs"] = geo_crs.WGS84  # the stored point is WGS84 already
    errors = ErrorCollector()
    _build(actor, [(1, record)], crs, errors, existing=camera)
    _first_error(errors)
    changed = [name for name in EDITABLE if getattr(camera, name) != before[name]]
    # Only the registry's own fields: the grid and path follow the point.
    camera.save(update_fields=[*EDITABLE, "grid", "division_path", "updated_at"])
    audit.record(
        actor,
        "intake.update_camera",
        camera,
        f"修改摄像机 {camera.device_id}：{'、'.join(changed) or '无变化'}",
        changed={name: [str(before[name]), str(getattr(camera, name))] for name in changed},
    )
    return camera


def _csv_records(text: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    if not header:
        raise InvalidInput("import_empty", "文件为空。", "file")
    mapping = {
        raw: _ALIAS_TO_COLUMN[raw.strip().lower()]
        for raw in header
        if raw and raw.strip().lower() in _ALIAS_TO_COLUMN
    }
    missing = [c for c in REQUIRED_COLUMNS if c not in mapping.values()]
    if missing:
        names = "、".join(f"{c}（{COLUMNS[c][1]}）" for c in missing)
        raise InvalidInput("import_missing_column", f"缺少必需的列：{names}。", "file")
    records = []
    for index, row in enumerate(reader, start=1):
        values = {mapping[k]: v for k, v in row.items() if k in mapping}
        if not any(_text(v) for v in values.values()):
            continue  # blank lines at the end of spreadsheet exports
        records.append((index, values))
    return records


@transaction.atomic
def import_cameras(actor: User, data: bytes | str, *, crs: str = "wgs84") -> ImportSummary:
    """Import a camera list (CSV, UTF-8 or GBK): all or nothing, every bad row reported.

    Columns (English or Chinese header, any order): device_id 国标编码 *, name 名称 *,
    lon 经度 *, lat 纬度 * (in the row's crs 坐标系, else `crs`), status 状态 (在线/离线/故障,
    default 在线), stream_url 视频流地址, platform_ref 媒体平台引用 (one of the two), address
    安装地址. Row numbers count data rows after the header.
    """
    require_admin(actor, "导入摄像机")
    crs = geo_crs.parse_crs(crs)
    records = _csv_records(decode(data))
    if not records:
        raise InvalidInput("import_empty", "文件中没有摄像机记录。", "file")
    errors = ErrorCollector()
    cameras = _build(actor, records, crs, errors)
    errors.raise_if_any("摄像机")
    try:
        with transaction.atomic():
            Camera.objects.bulk_create(cameras, batch_size=500)
    except IntegrityError as exc:
        raise InvalidInput(
            "duplicate_device_id", "部分国标编码刚被其他操作登记，请重新导入。", "device_id"
        ) from exc
    audit.record(
        actor,
        "intake.import_cameras",
        ("intake.camera", "import"),
        f"导入摄像机 {len(cameras)} 台",
        count=len(cameras),
        device_ids=[c.device_id for c in cameras],
    )
    return ImportSummary(created=len(cameras), total=len(cameras))
