"""Public photos go public only after a 受理员 or 值班长 of the case's scope approved them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from case_support import POINT_A, City
from public_support import media, png, report
from yiwang.core.models import AuditEntry
from yiwang.intake.models import PublicPhotoReview
from yiwang.org.models import User

__all__ = ["media"]  # the autouse fixture

NEARBY = f"/report/nearby/?lon={POINT_A[0]}&lat={POINT_A[1]}"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def public_url(review: PublicPhotoReview) -> str:
    return f"/report/photos/{review.pk}/"


@pytest.fixture
def review(city: City) -> PublicPhotoReview:
    submission = report(photos=1)
    return PublicPhotoReview.objects.get(submission=submission)


@pytest.mark.django_db
def test_an_unreviewed_photo_is_never_public(review: PublicPhotoReview) -> None:
    visitor = Client()
    assert visitor.get(public_url(review)).status_code == 404
    assert "data-public-photo" not in visitor.get(NEARBY).content.decode()
    # Nor through the staff photo view without signing in.
    case = review.photo.case
    staff_url = f"/cases/{case.number}/photos/{review.photo_id}/"
    assert visitor.get(staff_url).status_code == 302


@pytest.mark.django_db
def test_an_operator_approves_and_the_photo_appears_on_the_public_page(
    city: City, review: PublicPhotoReview
) -> None:
    operator = signed_in(city.users["operator"])
    queue = operator.get("/report/review/").content.decode()
    assert f'data-review="{review.pk}"' in queue
    assert f"/cases/{review.photo.case.number}/photos/{review.photo_id}/" in queue

    response = operator.post(f"/report/review/{review.pk}/", {"decision": "approve"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == "approved" and review.reviewed_by == city.users["operator"]
    entry = AuditEntry.objects.get(action="intake.public_photo.approve")
    assert entry.actor_id == city.users["operator"].pk and entry.object_id == str(review.pk)
    assert f'data-review="{review.pk}"' not in operator.get("/report/review/").content.decode()

    shown = Client().get(public_url(review))
    assert shown.status_code == 200
    assert shown["Content-Type"] == "image/png"
    assert shown["X-Content-Type-Options"] == "nosniff"
    assert b"".join(shown.streaming_content)[:8] == png()[:8]
    assert f'data-public-photo="{review.pk}"' in Client().get(NEARBY).content.decode()


@pytest.mark.django_db
def test_refusing_needs_a_reason_and_keeps_the_photo_private(
    city: City, review: PublicPhotoReview
) -> None:
    lead = signed_in(city.users["shift_lead"])
    missing = lead.post(f"/report/review/{review.pk}/", {"decision": "reject", "reason": " "})
    assert missing.status_code == 400
    assert "不公开时请填写理由" in missing.content.decode()
    review.refresh_from_db()
    assert review.status == "pending"

    lead.post(f"/report/review/{review.pk}/", {"decision": "reject", "reason": "含人脸"})
    review.refresh_from_db()
    assert review.status == "rejected" and review.reason == "含人脸"
    assert AuditEntry.objects.get(action="intake.public_photo.reject").data["reason"] == "含人脸"
    assert Client().get(public_url(review)).status_code == 404


@pytest.mark.django_db
def test_an_approval_can_be_withdrawn(city: City, review: PublicPhotoReview) -> None:
    operator = signed_in(city.users["operator"])
    operator.post(f"/report/review/{review.pk}/", {"decision": "approve"})
    assert Client().get(public_url(review)).status_code == 200
    operator.post(f"/report/review/{review.pk}/", {"decision": "reject", "reason": "有车牌"})
    assert Client().get(public_url(review)).status_code == 404
    actions = AuditEntry.objects.filter(
        object_type="intake.publicphotoreview", object_id=str(review.pk)
    ).values_list("action", flat=True)
    assert sorted(actions) == ["intake.public_photo.approve", "intake.public_photo.reject"]


@pytest.mark.django_db
def test_a_reviewer_out_of_scope_cannot_see_or_review(
    city: City, review: PublicPhotoReview, make_user: Any
) -> None:
    # An operator of 罗湖区: the photo's case lies in 福田区.
    outsider = signed_in(make_user("operator", "440303"))
    assert f'data-review="{review.pk}"' not in outsider.get("/report/review/").content.decode()
    refused = outsider.post(f"/report/review/{review.pk}/", {"decision": "approve"})
    assert refused.status_code == 404
    review.refresh_from_db()
    assert review.status == "pending"
    assert not AuditEntry.objects.filter(action__startswith="intake.public_photo").exists()


@pytest.mark.django_db
def test_only_operators_and_shift_leads_review(city: City, review: PublicPhotoReview) -> None:
    for role in ("inspector", "dispatcher", "handler", "leader"):
        client = signed_in(city.users[role])
        assert client.get("/report/review/").status_code == 403
        assert (
            client.post(f"/report/review/{review.pk}/", {"decision": "approve"}).status_code == 403
        )
    review.refresh_from_db()
    assert review.status == "pending"
    assert Client().get("/report/review/").status_code == 302  # to the sign-in page
