"""Evaluation schemes as versioned data: the shipped standard, new versions through the
admin (validated, audited), versions never edited in place."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from yiwang.core.errors import InvalidInput, PermissionDenied
from yiwang.core.models import AuditEntry
from yiwang.evaluation import actions
from yiwang.evaluation.models import Scheme
from yiwang.evaluation.scheme import GBT_30428_4
from yiwang.org.models import User


@pytest.fixture
def admin_user(make_user: Any) -> User:
    return make_user("admin", "440304")


def _current() -> Scheme:
    return Scheme.objects.get(is_current=True)


def _weights(scheme: Scheme, kind: str) -> dict[str, int]:
    return {i["indicator"]: i["weight"] for i in scheme.definition["subjects"][kind]}


@pytest.mark.django_db
def test_the_standard_scheme_ships_as_version_1() -> None:
    shipped = Scheme.objects.get(code="gbt-30428.4")
    assert shipped.label == "gbt-30428.4@1"
    assert _weights(shipped, "region") == {
        "public_report_rate": 10,
        "register_per_grid": 20,
        "close_rate": 30,
        "on_time_close_rate": 40,
    }
    assert shipped.definition["grades"] == [["A", 90], ["B", 75], ["C", 60], ["D", 40], ["E", 0]]
    assert "handler" not in shipped.definition["subjects"]  # the standard has no such composite


@pytest.mark.django_db
def test_the_project_default_is_current_and_only_adds_handlers() -> None:
    """Migration 0003 writes `yiwang-default@1` and makes it current (it took over from the
    untouched gbt-30428.4@1): the standard's subjects as they are, plus 处置人员."""
    default = _current()
    assert default.label == "yiwang-default@1"
    standard = Scheme.objects.get(code="gbt-30428.4", version=1)
    assert not standard.is_current
    for kind in ("region", "department", "inspector", "operator", "dispatcher", "shift_lead"):
        assert default.definition["subjects"][kind] == standard.definition["subjects"][kind]
    assert default.definition["grades"] == standard.definition["grades"]
    assert _weights(default, "handler") == {
        "finish_count": 20,
        "on_time_handle_rate": 40,
        "rework_rate": 40,
    }
    # 0 → 0, 1–10 → 40, 11–30 → 60, 31–60 → 75, 61–100 → 90, ≥101 → 100.
    assert default.definition["bands"]["handler_finish"] == [
        [0, 0],
        [1, 40],
        [11, 60],
        [31, 75],
        [61, 90],
        [101, 100],
    ]
    assert "非标准" in default.note


def _form(definition: dict, **extra: str) -> dict[str, str]:
    return {
        "name": extra.get("name", "某市考核方案"),
        "code": extra.get("code", "city"),
        "note": extra.get("note", ""),
        "definition": json.dumps(definition, ensure_ascii=False),
    }


def test_editing_in_the_admin_writes_a_new_version(client: Any, admin_user: User) -> None:
    shipped = _current()
    changed = copy.deepcopy(GBT_30428_4)
    for item in changed["subjects"]["region"]:
        if item["indicator"] == "on_time_close_rate":
            item["weight"] = 30
        if item["indicator"] == "close_rate":
            item["weight"] = 40
    client.force_login(admin_user)
    response = client.post(
        f"/admin/evaluation/scheme/{shipped.pk}/change/",
        _form(changed, name="GB/T 30428.4 标准方案（本市权重）", note="结案率权重 40"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    versions = list(Scheme.objects.filter(code="yiwang-default").order_by("version"))
    assert [v.version for v in versions] == [1, 2]
    before = shipped.definition
    shipped.refresh_from_db()
    assert shipped.definition == before  # version 1 untouched
    assert Scheme.objects.get(code="gbt-30428.4").definition == GBT_30428_4
    assert versions[1].created_by == admin_user
    # The current scheme follows the revision; exactly one is current.
    assert _current() == versions[1]
    entry = AuditEntry.objects.get(action="evaluation.scheme_revise")
    assert entry.actor == admin_user and entry.object_id == str(versions[1].pk)


def test_weights_not_summing_to_100_are_refused_by_the_form(client: Any, admin_user: User) -> None:
    shipped = _current()
    broken = copy.deepcopy(GBT_30428_4)
    broken["subjects"]["region"][3]["weight"] = 10  # the source's W = 10 %
    client.force_login(admin_user)
    response = client.post(f"/admin/evaluation/scheme/{shipped.pk}/change/", _form(broken))
    assert response.status_code == 200
    assert "权重合计应为 100，现为 70" in response.content.decode()
    assert Scheme.objects.count() == 2  # the two shipped ones, nothing new


def test_a_band_gap_is_refused_by_the_action(admin_user: User) -> None:
    broken = copy.deepcopy(GBT_30428_4)
    broken["bands"]["workload"][0][0] = 1  # nothing covers 0
    with pytest.raises(InvalidInput, match="第一档应从 0 开始"):
        actions.create_scheme(admin_user, "city", "某市", broken)
    assert not Scheme.objects.filter(code="city").exists()


def test_adding_a_city_scheme_and_making_it_current(client: Any, admin_user: User) -> None:
    client.force_login(admin_user)
    response = client.post("/admin/evaluation/scheme/add/", _form(GBT_30428_4, code="city"))
    assert response.status_code == 302
    city = Scheme.objects.get(code="city")
    assert city.version == 1 and not city.is_current
    response = client.post(
        "/admin/evaluation/scheme/",
        {"action": "make_current_action", "_selected_action": [city.pk]},
    )
    assert response.status_code == 302
    assert _current() == city
    assert AuditEntry.objects.filter(action="evaluation.scheme_current", actor=admin_user).exists()


def test_schemes_cannot_be_deleted(client: Any, admin_user: User) -> None:
    client.force_login(admin_user)
    assert client.get(f"/admin/evaluation/scheme/{_current().pk}/delete/").status_code == 403


def test_only_administrators_maintain_schemes(client: Any, make_user: Any) -> None:
    leader = make_user("leader", "440304")
    with pytest.raises(PermissionDenied):
        actions.create_scheme(leader, "city", "某市", copy.deepcopy(GBT_30428_4))
    client.force_login(leader)
    assert client.get("/admin/evaluation/scheme/").status_code in (302, 403)
