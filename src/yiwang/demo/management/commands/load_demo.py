from typing import Any

from django.core.management.base import BaseCommand

from yiwang.demo import city, load


class Command(BaseCommand):
    help = "载入演示城市（深圳市福田区）；重复执行不会产生重复数据。进度显示在标准错误输出。"

    def handle(self, *args: Any, **options: Any) -> None:
        created = load.build()
        self.stdout.write(
            f"演示数据已就绪：新建网格 {created['grids']} 个，新建部件 {created['components']} 个，"
            f"新建案卷 {created['cases']} 件。"
        )
        self.stdout.write(f"演示账号（密码均为 {city.PASSWORD}）：")
        for username, _role, display, _division, _dept in city.STAFF:
            self.stdout.write(f"  {username:<11} {display}")
        self.stdout.write("  admin       系统管理员")
