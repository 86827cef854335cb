"""Getis-Ord Gi* on H3 cells: a cluster is a hot spot, a uniform spread is not, and the
z-scores agree with the closed-form Gi* (Getis & Ord 1995) evaluated here with numpy."""

from __future__ import annotations

from datetime import date

import h3
import numpy as np
import pytest
from hotspot_support import RESOLUTION, add_big_grid, centre, grid_cells, report_at

from case_support import City
from yiwang.reports import hotspots, queries
from yiwang.reports.queries import Filters

NOVEMBER = Filters(start=date(2026, 11, 1), end=date(2026, 11, 30), resolution=RESOLUTION)


def closed_form_gi_star(counts: dict[str, int], cells: list[str]) -> np.ndarray:
    """Gi* with binary weights, the cell itself included, neighbours = the six around it:
    (Σ_j w_ij x_j − x̄ W_i) / (S √((n Σ_j w_ij² − W_i²) / (n − 1)))."""
    n = len(cells)
    position = {c: i for i, c in enumerate(cells)}
    w = np.eye(n)
    for c in cells:
        for other in h3.grid_ring(c, 1):
            if other in position:
                w[position[c], position[other]] = 1.0
    x = np.array([counts.get(c, 0) for c in cells], dtype=float)
    mean = x.mean()
    s = np.sqrt((x**2).mean() - mean**2)
    wi = w.sum(axis=1)
    numerator = w @ x - mean * wi
    denominator = s * np.sqrt((n * (w**2).sum(axis=1) - wi**2) / (n - 1))
    return numerator / denominator


def cluster_counts(area: list[str]) -> tuple[dict[str, int], str]:
    middle = h3.latlng_to_cell(22.615, 114.115, RESOLUTION)
    counts = {c: 6 for c in h3.grid_disk(middle, 1)}  # seven adjacent cells, 42 cases
    for c in area[::17]:  # sparse single cases elsewhere
        counts.setdefault(c, 1)
    return counts, middle


def test_a_cluster_is_a_significant_hot_spot_and_z_matches_the_closed_form() -> None:
    area = sorted(grid_cells())
    counts, middle = cluster_counts(area)
    assert set(counts) <= set(area)
    stats = hotspots.getis_ord(counts, set(area))
    assert [s.cell for s in stats] == area
    by_cell = {s.cell: s for s in stats}

    expected = closed_form_gi_star(counts, area)
    got = np.array([s.z for s in stats])
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)
    # The normal p-value, two-sided, from the same z (scipy is esda's own dependency but this
    # is the textbook formula: 2·(1 − Φ(|z|)) = erfc(|z|/√2)).
    from math import erfc, sqrt

    for s in stats:
        assert s.p == pytest.approx(erfc(abs(s.z) / sqrt(2)), abs=1e-12)
    # The permutation z agrees with the analytical one in sign and rough size in the cluster.
    assert by_cell[middle].z_sim > 3

    assert by_cell[middle].kind == "hot"
    assert by_cell[middle].confidence == 99
    hot = {s.cell for s in stats if s.kind == "hot"}
    assert set(h3.grid_disk(middle, 1)) <= hot
    # Hot cells are the cluster and cells touching it, nothing far away.
    assert all(h3.grid_distance(c, middle) <= 2 for c in hot)
    # Levels follow |z|: 2.576 / 1.960 / 1.645.
    for s in stats:
        level = (
            99
            if abs(s.z) >= 2.5758
            else 95
            if abs(s.z) >= 1.96
            else 90
            if abs(s.z) >= 1.6449
            else 0
        )
        assert s.confidence == level, s


def test_the_permutations_are_reproducible_with_a_fixed_seed() -> None:
    area = sorted(grid_cells())
    counts, _ = cluster_counts(area)
    first = hotspots.getis_ord(counts, set(area), seed=7)
    again = hotspots.getis_ord(counts, set(area), seed=7)
    assert [s.p_sim for s in first] == [s.p_sim for s in again]
    assert all(0 < s.p_sim <= 0.5 + 1e-9 for s in first)


def test_uniform_counts_give_no_hot_spot() -> None:
    area = sorted(grid_cells())
    stats = hotspots.getis_ord({c: 3 for c in area}, set(area))
    assert len(stats) == len(area)
    assert not [s for s in stats if s.kind]


def test_cases_reported_in_a_cluster_show_as_a_hot_spot_for_the_user(city: City) -> None:
    add_big_grid(city)
    area = sorted(grid_cells())
    middle = h3.latlng_to_cell(22.615, 114.115, RESOLUTION)
    report_at(city, [centre(c) for c in h3.grid_disk(middle, 1) for _ in range(4)], "2026-11-03")
    sparse = area[::20]
    report_at(city, [centre(c) for c in sparse], "2026-11-04")

    stats = queries.getis_ord(city.users["operator"], NOVEMBER)
    by_cell = {s.cell: s for s in stats}
    # The study area is every cell of the user's grids (the two small fixture grids add a
    # few), with zero counts where no case was reported.
    assert set(area) <= set(by_cell)
    assert by_cell[middle].count == 4 + sparse.count(middle)
    assert by_cell[middle].kind == "hot"
    assert by_cell[middle].confidence == 99
    assert not [s for s in stats if s.kind == "hot" and h3.grid_distance(s.cell, middle) > 2]


def test_uniform_cases_over_the_grid_give_no_hot_spot(city: City) -> None:
    add_big_grid(city)
    # One case at the centre of every cell of every grid in the street-B inspector's scope.
    area = sorted(grid_cells())
    small = queries.study_area(city.inspector_b, RESOLUTION) - set(area)
    report_at(city, [centre(c) for c in area + sorted(small)], "2026-11-03")
    stats = queries.getis_ord(city.inspector_b, NOVEMBER)
    assert {s.count for s in stats} == {1}
    assert not [s for s in stats if s.kind]
