"""Importing the two reference 311 files, checked against pandas on the raw CSV.

The expected figures are computed here from the file with pandas (its own CSV reader, its
own time-zone handling), never by the importer; the imported figures are read back from the
cases in the database. Import rules the test follows on the pandas side, as documented in
docs/intake.md: requests without coordinates are not imported; a closing time before the
opening time counts as not closed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from django.core.management import call_command
from django.test import Client

from yiwang.cases.models import Case, State
from yiwang.catalog.models import ObjectType
from yiwang.core.errors import InvalidInput
from yiwang.core.models import AuditEntry
from yiwang.intake.actions import opendata as opendata_actions
from yiwang.intake.models import OpenDataCategory, OpenDataRecord
from yiwang.org.models import User

CORPUS = Path("/work/shared/corpora/311")
BOSTON = CORPUS / "boston-311.csv"
SF = CORPUS / "sf-311-cases-sample.csv"

# Categories deliberately left out of the seeded mapping (not about public space).
SF_UNMAPPED = {
    "General Requests", "SFHA Requests", "Damaged Property", "MUNI Feedback",
    "Rec and Park Requests", "Temporary Sign Request", "311 External Request",
    "Residential Building Request", "Color Curb", "Interdepartmental Request",
    "DPW Volunteer Programs",
}  # fmt: skip
BOSTON_UNMAPPED = {"Overcrowding"}
SLA_HOURS = 72  # SF has no target column: on-time = closed within three days


def _sf_frame(every: int) -> pd.DataFrame:
    raw = pd.read_csv(SF, dtype=str, keep_default_na=False, na_values=["NA"])
    raw = raw.iloc[::every]
    raw = raw[raw["Lat"].notna() & raw["Long"].notna()]
    zone = "America/Los_Angeles"
    opened = pd.to_datetime(raw["Opened"]).dt.tz_localize(zone).dt.tz_convert("UTC")
    closed = pd.to_datetime(raw["Closed"]).dt.tz_localize(zone).dt.tz_convert("UTC")
    closed = closed.where(closed >= opened)
    return pd.DataFrame(
        {
            "id": raw["CaseID"],
            "category": raw["Category"].str.split().str.join(" "),
            "opened": opened,
            "closed": closed,
            "lat": raw["Lat"].astype(float),
            "lon": raw["Long"].astype(float),
        }
    )


def _boston_frame(every: int) -> pd.DataFrame:
    raw = pd.read_csv(BOSTON, dtype=str, keep_default_na=False, na_values=[""])
    raw = raw.iloc[::every]
    raw = raw[raw["latitude"].notna() & raw["longitude"].notna()]
    zone = "America/New_York"

    def utc(column: str) -> pd.Series:
        return pd.to_datetime(raw[column]).dt.tz_localize(zone).dt.tz_convert("UTC")

    return pd.DataFrame(
        {
            "id": raw["case_enquiry_id"],
            "category": raw["type"],
            "opened": utc("open_dt"),
            "closed": utc("closed_dt") if raw["closed_dt"].notna().any() else pd.NaT,
            "deadline": utc("sla_target_dt"),
        }
    )


def _imported(city_code: str) -> pd.DataFrame:
    rows = Case.objects.filter(opendata_record__division__code=city_code).values(
        "opendata_record__external_id",
        "opendata_record__category",
        "opendata_record__deadline_at",
        "reported_at",
        "closed_at",
        "state",
        "lat",
        "lon",
        "grid__code",
    )
    frame = pd.DataFrame(list(rows)).rename(
        columns={
            "opendata_record__external_id": "id",
            "opendata_record__category": "category",
            "opendata_record__deadline_at": "deadline",
            "reported_at": "opened",
            "closed_at": "closed",
        }
    )
    for column in ("opened", "closed", "deadline"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def _durations(frame: pd.DataFrame) -> pd.DataFrame:
    """Median and p90 open→close hours, and the on-time share, per category."""
    closed = frame[frame["closed"].notna()].copy()
    closed["hours"] = (closed["closed"] - closed["opened"]).dt.total_seconds() / 3600
    closed["on_time"] = closed["hours"] <= SLA_HOURS
    grouped = closed.groupby("category")
    return pd.DataFrame(
        {
            "n": grouped["hours"].size(),
            "median": grouped["hours"].median(),
            "p90": grouped["hours"].quantile(0.9),
            "on_time": grouped["on_time"].mean(),
        }
    ).sort_index()


def _import_sf(root: User, every: int) -> Any:
    return opendata_actions.import_file(
        root,
        str(SF),
        city_code="440304901",
        city_name="旧金山",
        tz="America/Los_Angeles",
        every=every,
    )


def _import_boston(root: User, every: int) -> Any:
    return opendata_actions.import_file(
        root,
        str(BOSTON),
        city_code="440304902",
        city_name="波士顿",
        tz="America/New_York",
        every=every,
    )


def _check_sf(root: User, every: int) -> None:
    result = _import_sf(root, every)
    expected = _sf_frame(every)
    got = _imported("440304901")
    assert result.created == len(expected) == len(got)
    assert result.closed == int(expected["closed"].notna().sum())
    # The unmapped report: exactly the categories left out, with their counts in the file.
    wanted = expected[expected["category"].isin(SF_UNMAPPED)]["category"].value_counts()
    assert dict(result.unmapped) == {k: int(v) for k, v in wanted.items()}
    assert result.batch.unmapped == dict(result.unmapped)
    # Closed requests are closed cases, at the file's closing time; the others are open.
    merged = expected.merge(got, on="id", suffixes=("_file", "_db"))
    assert len(merged) == len(expected)
    assert (merged["opened_file"] == merged["opened_db"]).all()
    is_closed = merged["closed_file"].notna()
    assert (merged.loc[is_closed, "closed_file"] == merged.loc[is_closed, "closed_db"]).all()
    assert (merged.loc[is_closed, "state"] == State.CLOSED).all()
    assert merged.loc[~is_closed, "closed_db"].isna().all()
    # Real coordinates, each in a grid of the foreign city (what hotspots aggregate).
    assert (merged["lat_file"] - merged["lat_db"]).abs().max() < 1e-9
    assert (merged["lon_file"] - merged["lon_db"]).abs().max() < 1e-9
    assert merged["grid__code"].str.startswith("440304901001").all()
    # Duration statistics and on-time shares per category: file (pandas) = database.
    pd.testing.assert_frame_equal(_durations(expected), _durations(got), check_exact=False)


def _check_boston(root: User, every: int) -> None:
    result = _import_boston(root, every)
    raw = pd.read_csv(BOSTON, dtype=str, keep_default_na=False, na_values=[""]).iloc[::every]
    expected = _boston_frame(every)
    got = _imported("440304902")
    assert result.rows == len(raw)
    assert result.created == len(expected) == len(got)
    assert result.no_coordinates == int(raw["latitude"].isna().sum())
    assert result.closed == 0  # every Boston request in this file is open
    wanted = expected[expected["category"].isin(BOSTON_UNMAPPED)]["category"].value_counts()
    assert dict(result.unmapped) == {k: int(v) for k, v in wanted.items()}
    merged = expected.merge(got, on="id", suffixes=("_file", "_db"))
    assert (merged["opened_file"] == merged["opened_db"]).all()
    assert (merged["deadline_file"] == merged["deadline_db"]).all()
    # Overdue against the file's own SLA target at the last opening time of the file.
    at = expected["opened"].max()
    for frame in (expected, got):
        frame["overdue"] = frame["closed"].isna() & (frame["deadline"] < at)
    assert (
        expected.groupby("category")["overdue"].mean().sort_index().to_dict()
        == got.groupby("category")["overdue"].mean().sort_index().to_dict()
    )
    assert set(got["state"]) == {State.REPORTED}


def test_sf_slice_imports_with_the_files_durations_and_on_time_rates(root: User) -> None:
    _check_sf(root, every=50)


def test_boston_slice_imports_with_its_sla_targets_and_missing_coordinates(
    root: User,
) -> None:
    _check_boston(root, every=6)


@pytest.mark.slow
def test_whole_sf_file(root: User) -> None:
    _check_sf(root, every=1)


@pytest.mark.slow
def test_whole_boston_file(root: User) -> None:
    _check_boston(root, every=1)


def test_importing_the_same_file_again_creates_nothing_new(root: User) -> None:
    first = _import_boston(root, 40)
    again = _import_boston(root, 40)
    assert first.created > 0
    assert again.created == 0
    assert again.skipped_existing == first.created
    assert again.grids_created == 0


def test_a_mapping_edit_is_audited_and_used_by_the_next_import(root: User, tmp_path: Path) -> None:
    # Boston's own rows of the unmapped category (two in the file), with the header.
    lines = BOSTON.read_text(encoding="utf-8").splitlines(keepends=True)
    sample = tmp_path / "overcrowding.csv"
    sample.write_text(lines[0] + "".join(ln for ln in lines if ",Overcrowding," in ln))
    assert OpenDataCategory.objects.filter(key="overcrowding").count() == 0
    opendata_actions.set_category(root, "  Overcrowding ", "06036")
    assert AuditEntry.objects.filter(action="intake.opendata_category").count() == 1
    result = opendata_actions.import_file(
        root, str(sample), city_code="440304902", city_name="波士顿", tz="America/New_York"
    )
    assert result.created == 2
    assert "Overcrowding" not in result.unmapped
    assert OpenDataRecord.objects.filter(category="Overcrowding", mapped=True).count() == 2
    with pytest.raises(InvalidInput) as exc:
        opendata_actions.set_category(root, "Potholes", "99999")
    assert exc.value.code == "unknown_type"


def test_the_seeded_mapping_covers_the_public_space_categories_of_both_files(db: Any) -> None:
    # Seeded by the migration: the categories a city-management department would handle.
    seeded = dict(OpenDataCategory.objects.values_list("category", "type__code"))
    assert seeded["Street Light Outages"] == "01037"  # 路灯异常
    assert seeded["Sidewalk Repair (Make Safe)"] == "06013"  # 道路破损
    assert seeded["Abandoned Vehicle"] == "06034"  # 废弃车辆
    assert seeded["Illegal Postings"] == "07001"  # 非法小广告
    assert not set(seeded) & (SF_UNMAPPED | BOSTON_UNMAPPED)


def test_the_command_reports_counts_and_unmapped_categories(root: User, capsys: Any) -> None:
    call_command(
        "import_311",
        str(SF),
        "--city=440304903",
        "--name=旧金山",
        "--tz=America/Los_Angeles",
        "--every=100",
    )
    out = capsys.readouterr().out
    assert "新建案卷 50 件" in out
    assert "未映射的类别" in out and "General Requests" in out


def test_an_administrator_edits_the_mapping_in_the_admin_audited(root: User) -> None:
    client = Client()
    client.force_login(root)
    listing = client.get("/admin/intake/opendatacategory/").content.decode()
    assert "Street Light Outages" in listing
    street_defects = ObjectType.objects.get(kind="matter", code="06013")
    refused = client.post(
        "/admin/intake/opendatacategory/add/", {"category": "", "type": street_defects.pk}
    )
    assert refused.status_code == 200 and not OpenDataCategory.objects.filter(key="").exists()
    client.post(
        "/admin/intake/opendatacategory/add/",
        {"category": "Pothole Repair", "type": street_defects.pk},
    )
    row = OpenDataCategory.objects.get(key="pothole repair")
    assert row.type.code == "06013"
    assert AuditEntry.objects.filter(action="intake.opendata_category").count() == 1
    client.post(f"/admin/intake/opendatacategory/{row.pk}/delete/", {"post": "yes"})
    assert not OpenDataCategory.objects.filter(key="pothole repair").exists()
    assert AuditEntry.objects.filter(action="intake.opendata_category_delete").count() == 1
