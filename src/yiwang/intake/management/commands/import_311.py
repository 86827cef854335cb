"""`yiwang import_311 FILE --city CODE --name NAME --tz ZONE`: a 311 CSV file as cases."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from yiwang.core.errors import ActionError
from yiwang.intake import opendata
from yiwang.intake.actions import opendata as opendata_actions
from yiwang.org.models import User
from yiwang.org.roles import Role


class Command(BaseCommand):
    help = (
        "导入 311 开放数据 CSV 文件（波士顿、旧金山等城市的导出格式）为一个“外部城市”的案卷，"
        "保留原始受理、结案时间。进度显示在标准错误输出。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV 文件路径")
        parser.add_argument(
            "--city",
            required=True,
            help="外部城市的 9 位街道级区划代码（前 6 位须为已有区县，如 440304901）；不存在时新建",
        )
        parser.add_argument("--name", required=True, help="外部城市名称（如 波士顿）")
        parser.add_argument(
            "--tz", required=True, help="文件中本地时间的时区（如 America/New_York）"
        )
        parser.add_argument(
            "--fallback", default=opendata.FALLBACK_TYPE, help="未映射类别使用的事件类型代码"
        )
        parser.add_argument(
            "--cell-deg",
            type=float,
            default=opendata_actions.CELL_DEG,
            help="网格边长（度），默认 0.01",
        )
        parser.add_argument("--every", type=int, default=1, help="每隔 n 条取 1 条（抽样）")
        parser.add_argument("--limit", type=int, default=None, help="最多导入条数")
        parser.add_argument("--user", default="", help="执行导入的管理员用户名（默认第一个管理员）")

    def handle(self, *args: Any, **options: Any) -> None:
        admins = User.objects.filter(is_active=True)
        if options["user"]:
            admins = admins.filter(username=options["user"])
        actor = (
            admins.filter(is_superuser=True).order_by("id").first()
            or admins.filter(role=Role.ADMIN).order_by("id").first()
        )
        if actor is None:
            raise CommandError("找不到可执行导入的管理员账号。")
        try:
            result = opendata_actions.import_file(
                actor,
                options["file"],
                city_code=options["city"],
                city_name=options["name"],
                tz=options["tz"],
                fallback_type=options["fallback"],
                cell_deg=options["cell_deg"],
                every=options["every"],
                limit=options["limit"],
            )
        except ActionError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"读取 {result.rows} 条，新建案卷 {result.created} 件"
            f"（其中已结案 {result.closed} 件），"
            f"已导入过而跳过 {result.skipped_existing} 条，缺坐标 {result.no_coordinates} 条，"
            f"新建网格 {result.grids_created} 个。"
        )
        cols = "，".join(f"{k}←{v}" for k, v in result.batch.columns.items())
        self.stdout.write(f"列对应：{cols}")
        if result.unmapped:
            self.stdout.write("未映射的类别（已归入兜底类型，可在管理后台“311 类别映射”中补充）：")
            for category, n in result.unmapped.most_common():
                self.stdout.write(f"  {n:>6}  {category}")
        for problem in result.problems[:20]:
            self.stdout.write(f"  第 {problem.line} 条：{problem.message}")
        if len(result.problems) > 20:
            self.stdout.write(f"  …… 另有 {len(result.problems) - 20} 条问题")
