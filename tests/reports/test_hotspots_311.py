"""Hotspots on real 311 data: a slice of Boston's export imported as cases, its hotspot cell
counts and recurring problems checked against pandas and the h3 library applied directly to
the CSV's own latitude/longitude (never the code under test)."""

from __future__ import annotations

from pathlib import Path

import h3
import numpy as np
import pandas as pd
import pytest
from django.test import Client

from yiwang.intake.actions import opendata as opendata_actions
from yiwang.intake.models import OpenDataCategory
from yiwang.org.models import User

BOSTON = Path("/work/shared/corpora/311/boston-311.csv")
EVERY = 6
ZONE = "America/New_York"
# The file runs from 2025-01-01 to 2025-05-19 in Boston: these Shanghai days hold it all.
PERIOD = {"start": "2024-12-31", "end": "2025-05-31"}
FALLBACK = "06036"


@pytest.fixture
def boston(root: User) -> pd.DataFrame:
    """The slice imported as cases (the command's code path), and the same slice as pandas
    reads it: the imported rows (with coordinates), their type by the mapping table."""
    result = opendata_actions.import_file(
        root, str(BOSTON), city_code="440304902", city_name="波士顿", tz=ZONE, every=EVERY
    )
    raw = pd.read_csv(BOSTON, dtype=str, keep_default_na=False).iloc[::EVERY]
    placed = raw[(raw["latitude"] != "") & (raw["longitude"] != "")].copy()
    assert result.created == len(placed) > 300
    mapping = {
        " ".join(c.category.split()).casefold(): c.type.code
        for c in OpenDataCategory.objects.select_related("type")
    }
    key = placed["type"].str.split().str.join(" ").str.casefold()
    placed["type_code"] = key.map(mapping).fillna(FALLBACK)
    placed["mapped"] = key.isin(mapping)
    placed["lat"] = placed["latitude"].astype(float)
    placed["lon"] = placed["longitude"].astype(float)
    opened = pd.to_datetime(placed["open_dt"]).dt.tz_localize(ZONE).dt.tz_convert("UTC")
    placed["opened"] = opened
    return placed


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def cells_of(frame: pd.DataFrame, resolution: int) -> pd.Series:
    return pd.Series(
        [
            h3.latlng_to_cell(la, lo, resolution)
            for la, lo in zip(frame["lat"], frame["lon"], strict=True)
        ],
        index=frame.index,
    )


@pytest.mark.parametrize("resolution", [8, 9])
def test_cell_counts_match_h3_on_the_csv(root: User, boston: pd.DataFrame, resolution: int) -> None:
    client = signed_in(root)
    body = client.get("/api/reports/hotspots/cells", {**PERIOD, "resolution": resolution}).json()
    got = {f["id"]: f["properties"]["count"] for f in body["features"] if f["properties"]["count"]}
    expected = cells_of(boston, resolution).value_counts().to_dict()
    assert got == expected
    assert body["cases"] == len(boston)

    # The mapped rows, one matter type at a time (Boston: 道路破损 06013, 路灯异常 01037).
    mapped = boston[boston["mapped"]]
    for code in sorted(set(mapped["type_code"])):
        part = mapped[mapped["type_code"] == code]
        typed = client.get(
            "/api/reports/hotspots/cells",
            {**PERIOD, "resolution": resolution, "type_code": code},
        ).json()
        got = {
            f["id"]: f["properties"]["count"] for f in typed["features"] if f["properties"]["count"]
        }
        assert got == cells_of(part, resolution).value_counts().to_dict(), code


def _recurrences(frame: pd.DataFrame, resolution: int, k: int, days: int) -> set[tuple]:
    """(cell, type, busiest count, total) with at least k reports less than `days` apart."""
    frame = frame.assign(cell=cells_of(frame, resolution))
    found = set()
    span = np.timedelta64(days, "D")
    for (cell, code), group in frame.groupby(["cell", "type_code"]):
        times = np.sort(group["opened"].dt.tz_localize(None).to_numpy())
        # For each report, the reports from it until `days` later (exclusive).
        counts = np.searchsorted(times, times + span, side="left") - np.arange(len(times))
        best = int(counts.max())
        if best >= k:
            found.add((cell, code, best, len(times)))
    return found


@pytest.mark.parametrize(("k", "days"), [(3, 14), (2, 3)])
def test_recurrences_match_pandas(root: User, boston: pd.DataFrame, k: int, days: int) -> None:
    rows = (
        signed_in(root)
        .get(
            "/api/reports/hotspots/recurrences",
            {**PERIOD, "resolution": 9, "min_count": k, "days": days},
        )
        .json()
    )
    got = {(r["cell"], r["type_code"], r["count"], r["total"]) for r in rows}
    expected = _recurrences(boston, 9, k, days)
    assert expected, "the slice should recur somewhere"
    assert got == expected
    # Busiest first.
    assert [r["count"] for r in rows] == sorted((r["count"] for r in rows), reverse=True)
