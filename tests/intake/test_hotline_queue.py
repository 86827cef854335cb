"""待定位: an order without a point waits in intake until an operator places it on the map
(then it is a case) or returns it to the hotline (退单)."""

from __future__ import annotations

import pytest
from django.test import Client
from hotline_support import hotline_fixture, order, post_order  # noqa: F401  (fixtures)

from case_support import POINT_A, POINT_B, City
from yiwang.cases.models import Case
from yiwang.intake.models import HotlineMessage, HotlineOrder, HotlineSystem, Submission


def _waiting(order_id: str) -> HotlineOrder:
    response = post_order(Client(), order(order_id, located=False))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["case_number"]) == ("awaiting_location", None)
    return HotlineOrder.objects.get(order_id=order_id)


@pytest.mark.django_db
def test_an_order_without_a_point_waits_and_the_operator_places_it(
    city: City, hotline: HotlineSystem
) -> None:
    row = _waiting("Q-1")
    assert Case.objects.count() == 0  # a case needs a point
    assert row.resolved_division is not None and row.resolved_division.code == "440304001"

    operator = Client()
    operator.force_login(city.users["operator"])
    queue = operator.get("/intake/hotline/").content.decode()
    assert 'data-order="Q-1"' in queue and "南园街道" in queue
    page = operator.get(f"/intake/hotline/orders/{row.pk}/").content.decode()
    assert 'id="place-map"' in page and "138****8000" not in page  # 受理员 sees the number
    assert "13800138000" in page

    placed = operator.post(
        f"/intake/hotline/orders/{row.pk}/place/", {"lon": POINT_B[0], "lat": POINT_B[1]}
    )
    assert placed.status_code == 302
    case = Case.objects.get()
    assert placed["Location"] == f"/cases/{case.number}/"
    assert (case.source, case.street.code) == ("hotline", "440304002")
    assert case.reporter.username == "channel.hotline"
    row.refresh_from_db()
    assert (row.status, row.case_id) == ("filed", case.pk)
    submission = Submission.objects.get(case=case)
    assert (submission.sender, submission.external_id) == ("gd12345", "Q-1")

    # Placed once only: a second click is refused, and nothing more is filed.
    again = operator.post(
        f"/intake/hotline/orders/{row.pk}/place/", {"lon": POINT_A[0], "lat": POINT_A[1]}
    )
    assert again.status_code == 409
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_a_point_outside_every_grid_is_refused_on_the_page(
    city: City, hotline: HotlineSystem
) -> None:
    row = _waiting("Q-2")
    operator = Client()
    operator.force_login(city.users["operator"])
    response = operator.post(f"/intake/hotline/orders/{row.pk}/place/", {"lon": 113.0, "lat": 23.0})
    assert response.status_code == 400
    assert "不在任何单元网格内" in response.content.decode()
    blank = operator.post(f"/intake/hotline/orders/{row.pk}/place/", {"lon": "", "lat": "x"})
    assert blank.status_code == 400
    assert Case.objects.count() == 0
    row.refresh_from_db()
    assert row.status == "awaiting_location"


@pytest.mark.django_db
def test_the_hotline_sending_the_point_later_files_the_waiting_order(
    city: City, hotline: HotlineSystem
) -> None:
    _waiting("Q-3")
    response = post_order(Client(), order("Q-3"))  # now with lon/lat
    assert response.status_code == 200
    assert (response.json()["outcome"], response.json()["status"]) == ("updated", "filed")
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_returning_a_waiting_order_queues_the_reason_for_the_hotline(
    city: City, hotline: HotlineSystem
) -> None:
    row = _waiting("Q-4")
    operator = Client()
    operator.force_login(city.users["operator"])
    refused = operator.post(f"/intake/hotline/orders/{row.pk}/return/", {"reason": "  "})
    assert refused.status_code == 400
    returned = operator.post(
        f"/intake/hotline/orders/{row.pk}/return/", {"reason": "属燃气公司职责，非城管事项。"}
    )
    assert returned.status_code == 302
    row.refresh_from_db()
    assert (row.status, row.return_reason) == ("returned", "属燃气公司职责，非城管事项。")
    message = HotlineMessage.objects.get(order=row)
    assert message.event == "returned" and message.status == "pending"
    assert message.body["reason"] == "属燃气公司职责，非城管事项。"
    assert message.body["order_id"] == "Q-4" and message.body["case_number"] is None
    assert Case.objects.count() == 0


@pytest.mark.django_db
def test_only_the_command_centre_works_the_queue(city: City, hotline: HotlineSystem) -> None:
    row = _waiting("Q-5")
    for role in ("inspector", "handler", "dispatcher"):
        client = Client()
        client.force_login(city.users[role])
        assert client.get("/intake/hotline/").status_code == 404
        placed = client.post(
            f"/intake/hotline/orders/{row.pk}/place/", {"lon": POINT_A[0], "lat": POINT_A[1]}
        )
        assert placed.status_code == 404
    assert Case.objects.count() == 0
