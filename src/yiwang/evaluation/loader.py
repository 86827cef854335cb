"""Loading the shipped reference data of evaluation: the GB/T 30428.4 scheme."""

from __future__ import annotations

import copy
from typing import Any

from yiwang.evaluation.scheme import GBT_30428_4

SHIPPED_CODE = "gbt-30428.4"


def ensure_shipped_scheme(scheme_model: Any) -> None:
    """Write version 1 of the shipped scheme unless it exists, as the data migration
    `0002_seed_gbt_30428_4` does; current only when no scheme is. Never touches an existing
    scheme: versions are immutable."""
    if scheme_model.objects.filter(code=SHIPPED_CODE).exists():
        return
    scheme_model.objects.create(
        code=SHIPPED_CODE,
        version=1,
        name="GB/T 30428.4 标准方案",
        definition=copy.deepcopy(GBT_30428_4),
        note="随系统提供；区域按期结案率权重 W 取 40%",
        is_current=not scheme_model.objects.filter(is_current=True).exists(),
    )
