"""Evaluation API: ranked scores of regions, departments and people in a role for a period,
as JSON or as the page's XLSX table."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router

from yiwang.cases.schemas import IsoDate
from yiwang.core import spreadsheets
from yiwang.core.schemas import ErrorOut
from yiwang.evaluation import exports, queries
from yiwang.evaluation.periods import Period
from yiwang.evaluation.schemas import EvaluationOut
from yiwang.evaluation.scheme import INDICATOR_LABELS
from yiwang.org.permissions import acting_user

router = Router(tags=["综合评价"])
Subject = Literal[
    "region", "department", "inspector", "operator", "dispatcher", "shift_lead", "handler"
]
PeriodKind = Literal["day", "week", "month", "quarter", "year", "custom"]
Level = Literal["district", "street", "community", "grid"]


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def period_out(p: Period) -> dict[str, Any]:
    return {"kind": p.kind, "start": p.start, "end": p.end - timedelta(days=1), "label": p.label}


def evaluation_out(result: queries.Evaluation) -> dict[str, Any]:
    return {
        "subject": result.kind,
        "level": result.level,
        "scheme": result.scheme,
        "period": period_out(result.period),
        "previous_period": period_out(result.period.previous()),
        "year_before_period": period_out(result.period.year_before()),
        "rows": [
            {
                "rank": row.rank,
                "key": str(row.key),
                "name": row.name,
                "score": _num(row.result.score),
                "grade": row.result.grade,
                "previous_score": _num(row.previous_score),
                "year_before_score": _num(row.year_before_score),
                "counts": row.counts,
                "rates": {k: _num(v) for k, v in row.rates.items()},
                "parts": [
                    {
                        "indicator": part.indicator,
                        "label": INDICATOR_LABELS[part.indicator],
                        "weight": float(part.weight),
                        "effective_weight": float(row.result.effective_weights[part.indicator]),
                        "score": _num(part.score),
                    }
                    for part in row.result.parts
                ],
            }
            for row in result.rows
        ],
    }


@router.get(
    "/{subject}/xlsx",
    response={200: None, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="综合评价导出（XLSX）：与页面相同的排名表",
)
def evaluation_xlsx(
    request: HttpRequest,
    subject: Subject,
    period: PeriodKind = "month",
    day: IsoDate | None = None,
    end: IsoDate | None = None,
    level: Level = "street",
) -> HttpResponse:
    """The ranked table as one XLSX sheet: rank, name, score, grade, 环比 and 同比 scores,
    the counts and rates of the page (percentages; 无数据 where a denominator is 0), the
    period and the scheme version. Same parameters and errors as the JSON endpoint."""
    user = acting_user(request)
    result = queries.evaluation_for(
        user, subject, period, day or timezone.localdate(), end, level=level
    )
    prepared = exports.evaluation_prepared(result)
    buffer = io.BytesIO()
    spreadsheets.write_xlsx(buffer, prepared.basename, prepared.headers, prepared.rows)
    response = HttpResponse(buffer.getvalue(), content_type=spreadsheets.XLSX_CONTENT_TYPE)
    filename = f"evaluation-{subject}-{result.period.start:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


@router.get(
    "/{subject}",
    response={200: EvaluationOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="综合评价：区域、专业部门、监督员、受理员、派遣员、值班长或处置人员的得分、等级与排名",
)
def evaluation(
    request: HttpRequest,
    subject: Subject,
    period: PeriodKind = "month",
    day: IsoDate | None = None,
    end: IsoDate | None = None,
    level: Level = "street",
) -> dict[str, Any]:
    """The period of kind `period` holding `day` (default today, Asia/Shanghai); for
    `custom`, `day` to `end` inclusive. Rows are ranked by score (无数据 last), each with
    its counts, rates (null: 无数据), 分值 per indicator, and 环比 / 同比 scores under the
    same scheme version. Scoped to the caller's division. Under a scheme without a
    composite for the subject (处置人员 under `gbt-30428.4@1`) the indicators are there and
    the score and grade are 无数据 (`parts` empty)."""
    user = acting_user(request)
    result = queries.evaluation_for(
        user, subject, period, day or timezone.localdate(), end, level=level
    )
    return evaluation_out(result)
