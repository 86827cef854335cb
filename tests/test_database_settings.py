"""PostgreSQL connections run without the JIT: the analysis pages' aggregates would spend
more time being compiled than running (bench/bench_people.py measured ~0.8 s per query)."""

from __future__ import annotations

import pytest
from django.db import connection


@pytest.mark.django_db
def test_postgresql_connections_have_the_jit_off() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL setting; this run is on SQLite")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
