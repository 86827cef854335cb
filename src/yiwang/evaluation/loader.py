"""Loading the shipped reference data of evaluation: the GB/T 30428.4 scheme and the
project's default scheme (the standard plus a composite for 处置人员)."""

from __future__ import annotations

import copy
from typing import Any

from yiwang.evaluation.scheme import GBT_30428_4, PROJECT_DEFAULT

SHIPPED_CODE = "gbt-30428.4"
DEFAULT_CODE = "yiwang-default"
DEFAULT_NAME = "项目默认方案（GB/T 30428.4 + 处置人员）"
DEFAULT_NOTE = (
    "除处置人员外与 gbt-30428.4@1 相同；处置人员综合指标（按期处置率 40%、(1−返工率) 40%、"
    "处置数分档 20%）为本项目默认设定，非标准规定"
)


def ensure_shipped_scheme(scheme_model: Any) -> None:
    """Write version 1 of the shipped scheme unless it exists, as the data migration
    `0002_seed_gbt_30428_4` does, then the project's default scheme as
    `0003_seed_project_default_scheme` does. Never touches an existing scheme's content:
    versions are immutable."""
    if not scheme_model.objects.filter(code=SHIPPED_CODE).exists():
        scheme_model.objects.create(
            code=SHIPPED_CODE,
            version=1,
            name="GB/T 30428.4 标准方案",
            definition=copy.deepcopy(GBT_30428_4),
            note="随系统提供；区域按期结案率权重 W 取 40%",
            is_current=not scheme_model.objects.filter(is_current=True).exists(),
        )
    ensure_default_scheme(scheme_model)


def ensure_default_scheme(scheme_model: Any) -> None:
    """Write `yiwang-default` version 1 unless it exists. It becomes current when no scheme
    is current or the current one is the untouched shipped `gbt-30428.4@1` (its scores of
    every other kind are the same, so only the handlers gain a composite); a scheme an
    administrator made or revised stays current."""
    if scheme_model.objects.filter(code=DEFAULT_CODE).exists():
        return
    current = scheme_model.objects.filter(is_current=True).first()
    take_over = current is None or (current.code == SHIPPED_CODE and current.version == 1)
    if current is not None and take_over:
        scheme_model.objects.filter(pk=current.pk).update(is_current=False)
    scheme_model.objects.create(
        code=DEFAULT_CODE,
        version=1,
        name=DEFAULT_NAME,
        definition=copy.deepcopy(PROJECT_DEFAULT),
        note=DEFAULT_NOTE,
        is_current=take_over,
    )
