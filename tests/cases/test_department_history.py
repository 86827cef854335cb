"""The dispatch history behind the handlers' scope: written by the engine, backfilled once.

Cases dispatched before migration 0006 have no history rows; the migration rebuilds them
from the timeline's dispatch events (which named the department only) and the cases'
current departments. The test drives cases through the real actions, then removes what
0006 adds (the rows and the event's department id) to stand for a database of before.
"""

from __future__ import annotations

import importlib
from types import SimpleNamespace
from typing import Any

import pytest
from case_steps import Loop
from django.apps import apps
from django.db import connection

from case_support import City
from yiwang.cases.models import Case, CaseDepartment, CaseEvent
from yiwang.core.errors import Conflict
from yiwang.org import actions as org_actions

migration = importlib.import_module(
    "yiwang.cases.migrations.0006_department_history_and_idempotency_keys"
)

pytestmark = pytest.mark.django_db


def history() -> set[tuple[str, int, Any]]:
    return set(
        CaseDepartment.objects.values_list("case__number", "department_id", "first_dispatched_at")
    )


def test_each_dispatch_records_the_department_once_with_its_first_time(city: City) -> None:
    loop = Loop(city)
    case = loop.drive("dispatched")  # to the municipal centre
    first_at = case.dispatched_at
    case = loop.step(case, "request_return", by=city.users["handler"])
    case = loop.step(case, "approve_return")
    case = loop.step(case, "dispatch", department_id=city.office_a.pk)
    case = loop.step(case, "request_return", by=city.handler_office_a)
    case = loop.step(case, "approve_return")
    case = loop.step(case, "dispatch", department_id=city.municipal.pk)
    second_office_at = (
        CaseEvent.objects.filter(case=case, transition="dispatch").order_by("id")[1].at
    )
    assert history() == {
        (case.number, city.municipal.pk, first_at),
        (case.number, city.office_a.pk, second_office_at),
    }


def test_a_refused_dispatch_records_nothing(city: City) -> None:
    loop = Loop(city)
    case = loop.drive("pending_dispatch")
    loop.step(case, "dispatch", department_id=city.office_a.pk)
    with pytest.raises(Conflict):  # the same stale version again: refused, rolled back
        loop.step(case, "dispatch", department_id=city.municipal.pk)
    assert {d for _, d, _ in history()} == {city.office_a.pk}


def test_the_migration_rebuilds_the_history_from_the_timeline(city: City) -> None:
    loop = Loop(city)
    moved = loop.drive("dispatched")
    moved = loop.step(moved, "request_return", by=city.users["handler"])
    moved = loop.step(moved, "approve_return")
    moved = loop.step(moved, "dispatch", department_id=city.office_a.pk)
    returned = loop.drive("dispatched")
    returned = loop.step(returned, "request_return", by=city.users["handler"])
    returned = loop.step(returned, "approve_return")  # no department now: the timeline knows
    closed = loop.drive("closed")
    loop.drive("pending_register")  # never dispatched
    dispatches = {
        (e.case.number, e.data["department_id"], e.at)
        for e in CaseEvent.objects.filter(transition="dispatch").select_related("case")
    }
    expected = {
        (moved.number, city.municipal.pk),
        (moved.number, city.office_a.pk),
        (returned.number, city.municipal.pk),
        (closed.number, city.municipal.pk),
    }
    assert {(n, d) for n, d, _ in dispatches} == expected

    # The database as it was before 0006: no rows, events naming the department only.
    CaseDepartment.objects.all().delete()
    for event in CaseEvent.objects.filter(transition="dispatch"):
        del event.data["department_id"]
        event.save(update_fields=["data"])
    # A department of the same name elsewhere must not be picked for these cases.
    org_actions.create_department(
        city.root, name="南园街道办事处", kind="territorial", division_code="440304002"
    )

    migration.backfill_department_history(apps, SimpleNamespace(connection=connection))

    assert history() == dispatches
    assert Case.objects.get(pk=returned.pk).department_id is None
