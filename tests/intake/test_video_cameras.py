"""The camera registry: GB/T 28181 ids checked part by part, places, streams, imports, scope.

Valid and invalid ids are assembled from the facts of STANDARDS.md §8 (coding rule A:
centre 8 = GB/T 2260 division 6 + grassroots unit 2; industry 2; type 3; network 1;
serial 6), never taken from the code under test.
"""

from __future__ import annotations

from typing import Any

import pytest
from video_support import DEVICE_A, device_id

from case_support import POINT_A, POINT_B, City
from yiwang.core.errors import ActionError, NotFound
from yiwang.core.importing import ImportRejected
from yiwang.core.models import AuditEntry
from yiwang.geo.crs import wgs84_to_gcj02
from yiwang.intake import gb28181, queries
from yiwang.intake.actions import cameras
from yiwang.intake.models import Camera

pytestmark = pytest.mark.django_db


def register(city: City, dev: str, point: tuple[float, float] = POINT_A, **fields: Any) -> Camera:
    values: dict[str, Any] = {
        "device_id": dev,
        "name": "测试摄像机",
        "lon": point[0],
        "lat": point[1],
        "stream_url": "rtsp://10.20.0.11:554/ch1",
        **fields,
    }
    return cameras.create_camera(city.root, **values)


def refusal(city: City, dev: str, point: tuple[float, float] = POINT_A, **fields: Any) -> Any:
    with pytest.raises(ActionError) as caught:
        register(city, dev, point, **fields)
    assert not Camera.objects.exists()  # nothing half-written
    return caught.value


# ---- ids: the valid ones --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dev", "meaning"),
    [
        (device_id(type_code="132"), "网络摄像机 IPC of 福田区, 城市管理, 电子政务外网"),
        (device_id(type_code="131", network="2"), "摄像机 on an 行业专网"),
        # Centre of a higher level: unused trailing levels are 0 (深圳市 440300, 广东省 440000).
        (device_id(centre="44030000"), "a camera catalogued by the 深圳市 centre"),
        (device_id(centre="44000000", industry="04", network="7"), "province centre, 交通, 互联网"),
        (device_id(centre="44030412", network="0"), "grassroots unit 12, 公安视频传输网"),
    ],
)
def test_a_camera_or_channel_id_that_follows_rule_a_is_registered(
    city: City, dev: str, meaning: str
) -> None:
    camera = register(city, dev)
    assert camera.device_id == dev, meaning
    parsed = gb28181.parse_device_id(dev)
    assert (parsed.centre, parsed.industry, parsed.type_code, parsed.network, parsed.serial) == (
        dev[:8],
        dev[8:10],
        dev[10:13],
        dev[13],
        dev[14:],
    )


# ---- ids: each wrong part named ---------------------------------------------------------------


def test_the_standards_own_example_is_a_sip_server_not_a_camera(city: City) -> None:
    # §8: 41010500002000000001 → centre 41010500, industry 00, type 200, network 0.
    exc = refusal(city, "41010500002000000001")
    assert (exc.code, exc.field) == ("device_id_type", "device_id")
    assert "200" in exc.message and "SIP 服务器" in exc.message
    assert "131" in exc.message and "132" in exc.message


@pytest.mark.parametrize(
    ("type_code", "named"),
    [
        ("111", "DVR"),
        ("118", "NVR"),
        ("121", "视频卡口"),
        ("134", "报警输入"),
        ("215", "业务分组"),
        ("216", "虚拟组织"),
        ("300", "中心用户"),
        ("400", "终端用户"),
        ("512", "外部平台"),
    ],
)
def test_a_type_code_that_is_no_camera_is_refused_by_name(
    city: City, type_code: str, named: str
) -> None:
    exc = refusal(city, device_id(type_code=type_code))
    assert exc.code == "device_id_type"
    assert f"类型码 {type_code}" in exc.message and named in exc.message


@pytest.mark.parametrize("network", ["8", "9"])
def test_an_undefined_network_identifier_is_refused(city: City, network: str) -> None:
    exc = refusal(city, device_id(network=network))
    assert exc.code == "device_id_network"
    assert f"网络标识 {network}" in exc.message and "0–7" in exc.message


@pytest.mark.parametrize(
    ("dev", "code", "says"),
    [
        ("4403O400081326000001", "device_id_not_digits", "第 5 位是“O”"),
        ("４４030400081326000001", "device_id_not_digits", "第 1 位是“４”"),  # full-width
        ("4403040008132600001", "device_id_length", "现为 19 位"),
        ("440304000813260000011", "device_id_length", "现为 21 位"),
        ("", "required", "20 位"),
    ],
)
def test_an_id_that_is_not_twenty_ascii_digits_is_refused(
    city: City, dev: str, code: str, says: str
) -> None:
    exc = refusal(city, dev)
    assert (exc.code, exc.field) == (code, "device_id")
    assert says in exc.message


def test_a_centre_code_that_is_no_division_is_refused(city: City) -> None:
    exc = refusal(city, device_id(centre="44039900"))
    assert exc.code == "device_id_centre"
    assert "440399" in exc.message and "GB/T 2260" in exc.message


def test_a_centre_code_of_another_district_than_the_cameras_place_is_refused(city: City) -> None:
    # 440305 is 南山区: a real division, but the camera stands in 福田区's grid.
    exc = refusal(city, device_id(centre="44030500"))
    assert exc.code == "device_id_division"
    assert "南山区（440305）" in exc.message and "福田区（440304）" in exc.message


# ---- place and stream ---------------------------------------------------------------------


def test_a_point_given_in_gcj02_is_stored_in_wgs84_and_located(city: City) -> None:
    gcj = wgs84_to_gcj02(*POINT_A)
    assert abs(gcj[0] - POINT_A[0]) > 1e-3  # the offset is hundreds of metres
    camera = register(city, DEVICE_A, gcj, crs="gcj02")
    assert camera.lon == pytest.approx(POINT_A[0], abs=1e-7)
    assert camera.lat == pytest.approx(POINT_A[1], abs=1e-7)
    assert camera.grid.code == "440304001001001"


def test_a_point_outside_every_grid_or_a_wrong_crs_is_refused(city: City) -> None:
    assert refusal(city, DEVICE_A, (114.2, 22.6)).code == "not_in_grid"
    exc = refusal(city, DEVICE_A, crs="epsg:3857")
    assert (exc.code, exc.field) == ("unknown_crs", "crs")


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"stream_url": "rtsp://admin:12345@10.0.0.1/ch1"}, "stream_url_credentials"),
        ({"stream_url": "javascript:alert(1)"}, "bad_stream_url"),
        ({"stream_url": "", "platform_ref": ""}, "stream_required"),
        ({"status": "broken"}, "bad_status"),
        ({"name": "南园\x1b路口"}, "control_character"),
    ],
)
def test_stream_status_and_text_are_checked(city: City, fields: dict[str, Any], code: str) -> None:
    assert refusal(city, DEVICE_A, **fields).code == code


def test_a_media_platform_reference_is_enough_and_the_status_takes_chinese(city: City) -> None:
    camera = register(city, DEVICE_A, stream_url="", platform_ref="wvp:34020000/ch1", status="故障")
    assert (camera.platform_ref, camera.status) == ("wvp:34020000/ch1", "fault")


def test_an_id_is_registered_once_and_every_registration_is_audited(city: City) -> None:
    register(city, DEVICE_A)
    with pytest.raises(ActionError) as caught:
        register(city, DEVICE_A)
    assert caught.value.code == "duplicate_device_id"
    entry = AuditEntry.objects.get(action="intake.create_camera")
    assert entry.actor_id == city.root.pk and DEVICE_A in entry.summary


def test_an_edit_moves_the_camera_and_keeps_its_id(city: City) -> None:
    register(city, DEVICE_A)
    camera = cameras.update_camera(
        city.root, DEVICE_A, lon=POINT_B[0], lat=POINT_B[1], status="offline"
    )
    assert (camera.device_id, camera.grid.code, camera.status) == (
        DEVICE_A,
        "440304002001001",
        "offline",
    )
    entry = AuditEntry.objects.get(action="intake.update_camera")
    assert set(entry.data["changed"]) == {"lon", "status"}  # both points share a latitude
    with pytest.raises(ActionError) as caught:
        cameras.update_camera(city.root, DEVICE_A, division_path="440000/")
    assert caught.value.code == "unknown_field"


# ---- scope ----------------------------------------------------------------------------------


def test_a_street_administrator_registers_and_reads_only_in_their_street(
    city: City, make_user: Any
) -> None:
    admin_b = make_user("admin", "440304002")
    with pytest.raises(ActionError) as caught:
        cameras.create_camera(
            admin_b,
            device_id=DEVICE_A,
            name="越界",
            lon=POINT_A[0],
            lat=POINT_A[1],
            stream_url="rtsp://10.0.0.1/ch1",
        )
    assert caught.value.code == "out_of_scope"
    register(city, DEVICE_A)  # street A, by the node's administrator
    assert list(queries.cameras(admin_b)) == []
    assert [c.device_id for c in queries.cameras(city.users["leader"])] == [DEVICE_A]
    with pytest.raises(NotFound):
        cameras.update_camera(admin_b, DEVICE_A, status="fault")
    # Inspectors and handlers do not read the registry.
    assert list(queries.cameras(city.users["inspector"])) == []
    operator = city.users["operator"]
    with pytest.raises(ActionError) as caught:
        cameras.create_camera(operator, device_id=DEVICE_A, name="x", lon=1, lat=1)
    assert caught.value.code == "forbidden_role"


# ---- CSV import -----------------------------------------------------------------------------

GOOD_ROWS = [
    f"{device_id(serial='000011')},南园路口东,{POINT_A[0]},{POINT_A[1]},在线,rtsp://10.0.0.11/ch1,,",
    f"{device_id(serial='000012', type_code='131')},园岭公园北门,{POINT_B[0]},{POINT_B[1]},离线,,"
    "wvp:44030400/ch2,园岭路",
]
HEADER = "国标编码,名称,经度,纬度,状态,视频流地址,媒体平台引用,安装地址"


def test_an_import_writes_every_row_or_none_and_names_each_bad_row(city: City) -> None:
    bad = [
        *GOOD_ROWS,
        f"{device_id(type_code='118', serial='000013')},录像机,{POINT_A[0]},{POINT_A[1]},在线,"
        "rtsp://10.0.0.13/ch1,,",
        f"{device_id(serial='000014')},郊外,114.3,22.7,在线,rtsp://10.0.0.14/ch1,,",
        f"{device_id(serial='000011')},重复,{POINT_A[0]},{POINT_A[1]},在线,rtsp://10.0.0.15/ch1,,",
    ]
    with pytest.raises(ImportRejected) as caught:
        cameras.import_cameras(city.root, "\n".join([HEADER, *bad]))
    assert not Camera.objects.exists()
    errors = {(e.index, e.code) for e in caught.value.errors}
    assert errors == {(3, "device_id_type"), (4, "not_in_grid"), (5, "duplicate_device_id")}
    assert "3 条摄像机有错误" in caught.value.message

    summary = cameras.import_cameras(city.root, "\n".join([HEADER, *GOOD_ROWS]).encode("gbk"))
    assert summary.created == 2
    stored = {c.device_id: c for c in Camera.objects.all()}
    second = stored[device_id(serial="000012", type_code="131")]
    assert (second.status, second.platform_ref, second.address) == (
        "offline",
        "wvp:44030400/ch2",
        "园岭路",
    )
    entry = AuditEntry.objects.get(action="intake.import_cameras")
    assert entry.data["count"] == 2


def test_an_import_without_a_required_column_is_refused_as_a_whole(city: City) -> None:
    with pytest.raises(ActionError) as caught:
        cameras.import_cameras(city.root, "国标编码,名称\n44030400081326000001,x\n")
    assert caught.value.code == "import_missing_column"
    assert "lon" in caught.value.message and "lat" in caught.value.message
