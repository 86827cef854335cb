"""The structure of a GB/T 28181 20-digit device / channel id (STANDARDS.md §8, coding rule A).

    digits  1–8   centre code: GB/T 2260 division (6 digits, unused trailing levels 0)
                  + 2-digit grassroots unit
            9–10  industry code (08 城市管理 …)
            11–13 type code
            14    network identifier
            15–20 serial

Which type codes name something that delivers a video picture we can register as a
camera: 131 摄像机 and 132 网络摄像机 (IPC). A channel of a DVR/NVR or of a lower
platform is itself catalogued under a camera type (its own 20-digit id with 131/132), so
these two cover both a camera and a channel. 111–130 are front-end *main devices* (DVR,
NVR, 视频卡口 …) — boxes, not pictures; the other peripherals (134 报警输入 …) carry no
video; 200–299 are platform devices and groups (215 业务分组, 216 虚拟组织); 300/400
users; 500–599 external platforms. Each is refused with its own name so the person
entering the id sees what they typed.

Pure: the centre code's division is checked against the database by the caller
(`intake.actions.cameras`), which knows the camera's place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from yiwang.core.errors import InvalidInput

ID_LENGTH = 20
CAMERA_TYPES = {"131": "摄像机", "132": "网络摄像机（IPC）"}
# §8's network identifiers; 8 and 9 are not defined.
NETWORKS = {
    "0": "公安视频传输网",
    "1": "公安视频传输网",
    "2": "行业专网",
    "3": "政法信息网",
    "4": "公安移动信息网",
    "5": "公安信息网",
    "6": "电子政务外网",
    "7": "互联网",
}
# Named type codes of §8, for a refusal that says what the id is instead.
_NAMED_TYPES = {
    "111": "DVR",
    "118": "网络视频录像机（NVR）",
    "121": "视频卡口",
    "134": "报警输入设备",
    "200": "SIP 服务器",
    "215": "业务分组",
    "216": "虚拟组织",
    "300": "中心用户",
    "400": "终端用户",
}
_DIGITS = re.compile(r"[0-9]{20}")


@dataclass(frozen=True)
class DeviceId:
    value: str

    @property
    def centre(self) -> str:
        return self.value[:8]

    @property
    def division_code(self) -> str:
        """The GB/T 2260 code of the centre (6 digits, trailing levels 0)."""
        return self.value[:6]

    @property
    def industry(self) -> str:
        return self.value[8:10]

    @property
    def type_code(self) -> str:
        return self.value[10:13]

    @property
    def network(self) -> str:
        return self.value[13]

    @property
    def serial(self) -> str:
        return self.value[14:]


def describe_type(code: str) -> str:
    """What a type code names, in words (for refusals)."""
    if code in CAMERA_TYPES:
        return CAMERA_TYPES[code]
    if code in _NAMED_TYPES:
        return _NAMED_TYPES[code]
    number = int(code)
    if 111 <= number <= 130:
        return "前端主设备"
    if 131 <= number <= 199:
        return "前端外围设备（非摄像机）"
    if 200 <= number <= 299:
        return "平台设备"
    if 500 <= number <= 599:
        return "外部平台"
    return "未定义的类型"


def parse_device_id(raw: str, field: str = "device_id") -> DeviceId:
    """The id's parts once its structure is right; otherwise the first wrong part, named."""
    value = raw.strip()
    if not value:
        raise InvalidInput("required", "请填写国标编码（20 位数字）。", field)
    for position, char in enumerate(value, start=1):
        if not ("0" <= char <= "9"):
            shown = char if char.isprintable() else f"U+{ord(char):04X}"
            raise InvalidInput(
                "device_id_not_digits",
                f"国标编码只能由数字 0–9 组成，第 {position} 位是“{shown}”。",
                field,
            )
    if not _DIGITS.fullmatch(value):
        raise InvalidInput(
            "device_id_length", f"国标编码应为 20 位数字，现为 {len(value)} 位。", field
        )
    device = DeviceId(value)
    if device.type_code not in CAMERA_TYPES:
        raise InvalidInput(
            "device_id_type",
            f"国标编码第 11–13 位类型码 {device.type_code} 是“{describe_type(device.type_code)}”，"
            "不是摄像机或视频通道；应为 131（摄像机）或 132（网络摄像机 IPC）。",
            field,
        )
    if device.network not in NETWORKS:
        raise InvalidInput(
            "device_id_network",
            f"国标编码第 14 位网络标识 {device.network} 未定义，应为 0–7。",
            field,
        )
    return device
