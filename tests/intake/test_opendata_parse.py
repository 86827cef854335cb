"""Reading 311 exports: header spellings, missing values, multi-line fields, time zones."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from yiwang.core.errors import InvalidInput
from yiwang.intake import opendata

NEW_YORK = opendata.zone("America/New_York")
LOS_ANGELES = opendata.zone("America/Los_Angeles")


@pytest.mark.parametrize(
    ("header", "fields"),
    [
        (
            ",case_enquiry_id,open_dt,sla_target_dt,closed_dt,case_status,type,latitude,longitude",
            {"opened": "open_dt", "closed": "closed_dt", "deadline": "sla_target_dt",
             "category": "type", "latitude": "latitude", "status": "case_status"},
        ),
        (
            ",CaseID,Opened,Closed,Status,Category,Request.Type,Lat,Long",
            {"opened": "Opened", "closed": "Closed", "category": "Category",
             "latitude": "Lat", "longitude": "Long", "external_id": "CaseID"},
        ),
        (
            "Unique Key,Created Date,Closed Date,Complaint Type,Latitude,Longitude",
            {"opened": "Created Date", "closed": "Closed Date", "category": "Complaint Type"},
        ),
        (
            "service_request_id,requested_datetime,closed_date,Request Type,SLA due,Lat,Lng",
            {"opened": "requested_datetime", "closed": "closed_date",
             "category": "Request Type", "deadline": "SLA due", "longitude": "Lng"},
        ),
        (
            "id,CreatedDate,target_dt,case_title,y,x",
            {"opened": "CreatedDate", "deadline": "target_dt", "category": "case_title"},
        ),
    ],
)  # fmt: skip
def test_header_spellings_of_different_cities_are_recognised(
    header: str, fields: dict[str, str]
) -> None:
    text = header + "\n"
    _rows, _problems, used = opendata.read_text(text, NEW_YORK)
    for field, column in fields.items():
        assert used[field] == column


def test_local_times_become_utc_in_winter_and_summer_and_originals_are_kept() -> None:
    text = (
        "case_enquiry_id,open_dt,closed_dt,sla_target_dt,type,latitude,longitude\n"
        "1,2025-01-24 03:24:56,,2025-02-07 03:30:00,Street Light Outages,42.3,-71.0\n"
        "2,2025-07-01 12:00:00,2025-07-02 08:30:00,,Sidewalk Repair,42.3,-71.0\n"
    )
    rows, problems, _ = opendata.read_text(text, NEW_YORK)
    assert problems == []
    winter, summer = rows
    assert winter.opened_at == datetime(2025, 1, 24, 8, 24, 56, tzinfo=UTC)  # EST = UTC−5
    assert winter.deadline_at == datetime(2025, 2, 7, 8, 30, tzinfo=UTC)
    assert winter.closed_at is None
    assert summer.opened_at == datetime(2025, 7, 1, 16, 0, tzinfo=UTC)  # EDT = UTC−4
    assert summer.closed_at == datetime(2025, 7, 2, 12, 30, tzinfo=UTC)
    assert winter.opened_raw == "2025-01-24 03:24:56"


def test_sf_style_na_values_multiline_fields_and_us_dates() -> None:
    text = (
        ',"CaseID","Opened","Closed","Status","Category","Request.Details","Lat","Long"\n'
        '"1",7,"12/04/2012 03:21:00 PM","NA","Open","Street Defects","line one\n'
        'line two","37.79","-122.44"\n'
        '"2",8,"2012-12-04 15:21:00","2012-12-06 04:39:00","Closed","Sewer Issues",NA,NA,NA\n'
    )
    rows, problems, _ = opendata.read_text(text, LOS_ANGELES)
    assert problems == []
    first, second = rows
    assert first.opened_at == datetime(2012, 12, 4, 23, 21, tzinfo=UTC)  # PST = UTC−8
    assert first.closed_at is None and first.closed_raw == ""
    assert first.description == "line one\nline two"
    assert (first.lat, first.lon) == (37.79, -122.44)
    assert (second.lat, second.lon) == (None, None)
    assert second.description == ""


def test_a_file_without_an_opening_time_column_is_refused() -> None:
    with pytest.raises(InvalidInput) as exc:
        opendata.read_text("id,type,lat,long\n1,x,1,2\n", NEW_YORK)
    assert exc.value.code == "missing_column"


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(InvalidInput) as exc:
        opendata.zone("Mars/Olympus_Mons")
    assert exc.value.code == "bad_time_zone"


def test_closing_before_opening_is_reported_and_the_request_stays_open() -> None:
    text = "id,open_dt,closed_dt,type\n9,2025-03-02 10:00:00,2025-03-01 10:00:00,Potholes\n"
    rows, problems, _ = opendata.read_text(text, NEW_YORK)
    assert rows[0].closed_at is None
    assert [p.line for p in problems] == [1]
