"""What every channel shares: its system account, submissions and tracking codes."""

from __future__ import annotations

import re

import pytest
from django.db import IntegrityError
from django.test import Client

from case_support import POINT_A, City
from yiwang.cases import actions as case_actions
from yiwang.intake.actions.channels import channel_actor
from yiwang.intake.actions.submissions import find_resend, record_submission
from yiwang.intake.queries import submission_by_tracking_code


@pytest.mark.django_db
def test_a_channel_files_cases_as_one_account_nobody_can_sign_in_as(city: City) -> None:
    actor = channel_actor("public")
    assert channel_actor("public").pk == actor.pk
    assert actor.role == "operator"
    assert not actor.has_usable_password()
    signed_in = Client().post("/login/", {"username": actor.username, "password": ""})
    assert "_auth_user_id" not in signed_in.client.session
    case = case_actions.report_case(
        actor,
        kind="matter",
        type_code="01001",
        title="暴露垃圾",
        lon=POINT_A[0],
        lat=POINT_A[1],
        source="public",
    )
    assert case.reporter_id == actor.pk


@pytest.mark.django_db
def test_tracking_codes_are_unambiguous_and_a_resend_is_found_not_stored_twice(
    city: City,
) -> None:
    first = record_submission(channel="open311", case=None, sender="client-1", external_id="A-1")
    # Ten characters without 0/O/1/I/L: a code read over the phone survives.
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{10}", first.tracking_code)
    assert submission_by_tracking_code(first.tracking_code.lower()) == first
    assert find_resend("open311", "client-1", "A-1") == first
    assert find_resend("open311", "client-2", "A-1") is None
    with pytest.raises(IntegrityError):
        record_submission(channel="open311", case=None, sender="client-1", external_id="A-1")
