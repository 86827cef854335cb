from typing import Any

from django.core.management.base import BaseCommand

from yiwang.demo import city, intake, load

# Where to look at each channel (paths of this server).
ENTRY_POINTS = [
    ("/intake/", "多渠道受理（工作人员，用 operator 或 admin 登录）"),
    ("/report/", "公众上报（无需登录，手机浏览器打开）"),
    ("/m/", "城管通，监督员手机端（用 inspector 登录）"),
    ("/open311/v2/discovery.json", "Open311 GeoReport v2 接口"),
    ("/reports/bulletins/", "通报：日盘点、周分析、月通报（用 leader 登录）"),
]


class Command(BaseCommand):
    help = "载入演示城市（深圳市福田区）；重复执行不会产生重复数据。进度显示在标准错误输出。"

    def handle(self, *args: Any, **options: Any) -> None:
        created = load.build()
        self.stdout.write(
            f"演示数据已就绪：新建网格 {created.grids} 个，新建部件 {created.components} 个，"
            f"新建案卷 {created.cases} 件，新建摄像机 {created.cameras} 台，"
            f"多渠道受理 {created.received} 条，生成通报 {created.bulletins} 份。"
        )
        self.stdout.write(f"演示账号（密码均为 {city.PASSWORD}）：")
        for username, _role, display, _division, _dept in city.STAFF:
            self.stdout.write(f"  {username:<11} {display}")
        self.stdout.write("  admin       系统管理员")
        self.stdout.write("各渠道入口：")
        for path, what in ENTRY_POINTS:
            self.stdout.write(f"  {path:<27} {what}")
        keys = created.keys
        if keys:
            self.stdout.write("接入密钥（只显示这一次，平台只保存其摘要）：")
            if "open311" in keys:
                self.stdout.write(f"  Open311 api_key（{intake.CLIENT_NAME}）：{keys['open311']}")
            if "alarm" in keys:
                self.stdout.write(
                    f"  告警接入 X-Alarm-Key（{intake.SOURCE_NAME}）：{keys['alarm']}"
                )
        else:
            self.stdout.write(
                "接入密钥只在首次载入时显示。Open311 客户端的 api_key 可由管理员在"
                "“管理后台 › Open311 客户端”中重置；告警接入方可在“管理后台 › 告警接入方”"
                "中新建（新密钥显示一次）。"
            )
