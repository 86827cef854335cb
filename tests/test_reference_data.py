"""Reference data loaded by migrations comes back after a database flush."""

import pytest
from django.core.management import call_command

from yiwang.cases.models import CalendarYear, TimeLimit
from yiwang.catalog.models import ObjectType
from yiwang.org.models import Division


@pytest.mark.django_db(transaction=True)
def test_flush_keeps_divisions_catalogue_and_deadline_tables() -> None:
    call_command("flush", interactive=False, verbosity=0)
    assert Division.objects.filter(level="city").count() == 21
    assert ObjectType.objects.filter(kind="component").count() == 153
    assert ObjectType.objects.filter(kind="matter").count() == 250
    assert TimeLimit.objects.filter(type__isnull=True, kind="").count() == 14
    assert CalendarYear.objects.filter(year=2026).exists()
