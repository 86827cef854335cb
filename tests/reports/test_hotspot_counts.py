"""Cases per H3 cell and recurring problems, as a leader would ask for them."""

from __future__ import annotations

from datetime import date

import h3
import pytest
from hotspot_support import RESOLUTION, add_big_grid, centre, grid_cells, report_at

from case_support import POINT_A, City
from yiwang.core.errors import InvalidInput
from yiwang.reports import queries
from yiwang.reports.queries import Filters

NOVEMBER = Filters(start=date(2026, 11, 1), end=date(2026, 11, 30), resolution=RESOLUTION)


@pytest.fixture
def big(city: City) -> City:
    add_big_grid(city)
    return city


def test_counts_per_cell_for_a_period_type_and_scope(big: City) -> None:
    cells = sorted(grid_cells())
    busy, quiet = cells[10], cells[40]
    report_at(big, [centre(busy)] * 3 + [centre(quiet)], "2026-11-05")
    report_at(big, [centre(busy)], "2026-11-30")  # last day of the period: counted
    report_at(big, [centre(busy)], "2026-12-01")  # after the period
    report_at(big, [centre(busy)] * 2, "2026-11-06", type_code="06002")  # another type
    report_at(big, [centre(busy)], "2026-11-07", type_code="01001")  # another major class
    report_at(big, [POINT_A], "2026-11-05")  # street A

    operator = big.users["operator"]
    assert queries.cell_counts(operator, NOVEMBER) == {
        busy: 3 + 1 + 2 + 1,
        quiet: 1,
        h3.latlng_to_cell(POINT_A[1], POINT_A[0], RESOLUTION): 1,
    }
    one_type = Filters(**{**NOVEMBER.__dict__, "type_code": "06001"})
    assert queries.cell_counts(operator, one_type) == {
        busy: 4,
        quiet: 1,
        h3.latlng_to_cell(POINT_A[1], POINT_A[0], RESOLUTION): 1,
    }
    major = Filters(**{**NOVEMBER.__dict__, "type_code": "06"})
    assert queries.cell_counts(operator, major)[busy] == 6
    # Street B's inspector sees street B's cases only.
    assert queries.cell_counts(big.inspector_b, NOVEMBER) == {busy: 7, quiet: 1}
    # A coarser resolution puts both cells into their parents.
    coarse = Filters(**{**NOVEMBER.__dict__, "resolution": 7})
    counts = queries.cell_counts(big.inspector_b, coarse)
    assert sum(counts.values()) == 8
    assert set(counts) == {h3.cell_to_parent(busy, 7), h3.cell_to_parent(quiet, 7)}


def test_voided_and_merged_cases_are_not_counted(big: City) -> None:
    from yiwang.cases import actions as case_actions

    cell = sorted(grid_cells())[5]
    kept, voided, merged = report_at(big, [centre(cell)] * 3, "2026-11-05")
    case_actions.transition(
        big.users["shift_lead"],
        voided.number,
        "void",
        version=voided.version,
        inputs={"note": "误报"},
    )
    case_actions.transition(
        big.users["operator"],
        merged.number,
        "merge",
        version=merged.version,
        inputs={"into": kept.number},
    )
    assert queries.cell_counts(big.users["operator"], NOVEMBER) == {cell: 1}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"end": date(2026, 10, 1)}, "bad_date_range"),
        ({"end": date(2027, 12, 1)}, "bad_date_range"),
        ({"resolution": 15}, "bad_resolution"),
        ({"type_code": "6"}, "bad_type_code"),
        ({"kind": "thing"}, "bad_kind"),
    ],
)
def test_bad_filters_are_refused(big: City, change: dict[str, object], code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        queries.cell_counts(big.users["operator"], Filters(**{**NOVEMBER.__dict__, **change}))
    assert caught.value.code == code


def test_recurrence_same_type_same_place_k_times_in_n_days(big: City) -> None:
    cells = sorted(grid_cells())
    hot, slow, mixed = cells[3], cells[30], cells[60]
    # Four reports of one type in one cell within a week: recurrent (busiest window = 4).
    for day in ("2026-11-02", "2026-11-04", "2026-11-06", "2026-11-08"):
        report_at(big, [centre(hot)], day)
    report_at(big, [centre(hot)], "2026-11-25")  # same cell, outside that week
    # Three reports of one type, but ten days apart: never three within a week.
    for day in ("2026-11-01", "2026-11-11", "2026-11-21"):
        report_at(big, [centre(slow)], day)
    # Three reports in one day, of three different types: not the same problem.
    for code in ("06001", "06002", "01001"):
        report_at(big, [centre(mixed)], "2026-11-10", type_code=code)
    # Exactly three within seven days at another cell: at the threshold, listed.
    edge = cells[80]
    for day in ("2026-11-10", "2026-11-13", "2026-11-16"):
        report_at(big, [centre(edge)], day)

    found = queries.recurrences(big.users["operator"], NOVEMBER, min_count=3, days=7)
    assert [(r.cell, r.count, r.total) for r in found] == [(hot, 4, 5), (edge, 3, 3)]
    assert found[0].window_start.astimezone(queries.SHANGHAI).date() == date(2026, 11, 2)
    assert found[0].window_end.astimezone(queries.SHANGHAI).date() == date(2026, 11, 8)
    assert len(found[0].numbers) == 4
    # A 21-day window (10 days apart, < 21 days span) makes the slow cell recurrent too.
    wide = queries.recurrences(big.users["operator"], NOVEMBER, min_count=3, days=21)
    assert (slow, 3) in [(r.cell, r.count) for r in wide]
    # The window is "less than N days": 20 days between first and last is not within 20.
    narrow = queries.recurrences(big.users["operator"], NOVEMBER, min_count=3, days=20)
    assert slow not in [r.cell for r in narrow]
