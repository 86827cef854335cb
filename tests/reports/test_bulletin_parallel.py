"""The monthly bulletin's rankings are built side by side on PostgreSQL (one connection per
thread) and give exactly what one-by-one building gives; SQLite and open transactions
build one by one."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest
from bulletin_support import local, march_day
from django.db import connection, transaction

from case_support import City
from yiwang.org.models import Division
from yiwang.reports.bulletins.build import build_monthly
from yiwang.reports.bulletins.parallel import side_by_side


def _thread_names(n: int) -> set[str]:
    return set(side_by_side(lambda _: threading.current_thread().name, range(n)))


@pytest.mark.django_db(transaction=True)
def test_side_by_side_uses_threads_only_where_they_see_the_same_data(settings: Any) -> None:
    settings.BULLETIN_BUILD_THREADS = 4
    outside = _thread_names(8)
    with transaction.atomic():
        inside = _thread_names(8)
    if connection.vendor == "postgresql":
        assert outside and all(name.startswith("bulletin") for name in outside)
    else:
        assert outside == {threading.main_thread().name}
    # Another connection could not see this transaction's rows: one by one.
    assert inside == {threading.main_thread().name}
    settings.BULLETIN_BUILD_THREADS = 1
    assert _thread_names(8) == {threading.main_thread().name}


@pytest.mark.django_db(transaction=True)
def test_monthly_built_side_by_side_equals_one_by_one(city: City, settings: Any) -> None:
    march_day(city)
    shenzhen = Division.objects.get(code="440300")
    settings.BULLETIN_BUILD_THREADS = 1
    one = build_monthly(shenzhen, date(2026, 3, 15), now=local(2026, 4, 1, 8))
    settings.BULLETIN_BUILD_THREADS = 4
    four = build_monthly(shenzhen, date(2026, 3, 15), now=local(2026, 4, 1, 8))
    assert four == one
    assert any("排名" in s.heading for s in four.sections)
