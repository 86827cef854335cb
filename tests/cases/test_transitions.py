"""Every transition of the declared table, allowed and refused.

The expectations below are written out by hand from the loop as users know it
(issue #3), not read from `workflow.TRANSITIONS`; the table is only used to check
that this matrix covers every (transition, source state) pair it declares.
"""

from __future__ import annotations

from typing import Any

import pytest
from case_steps import ACTOR_OF, ALSO_ALLOWED, PATHS, Loop, reload, snapshot

from case_support import City
from yiwang.cases import actions
from yiwang.cases.engine import allowed_transitions
from yiwang.cases.models import CaseEvent, Stage, State
from yiwang.cases.workflow import TRANSITIONS, Holder
from yiwang.catalog import actions as catalog_actions
from yiwang.core.errors import ActionError, Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.org import actions as org_actions
from yiwang.org.models import User

S = State
MUNICIPAL = "municipal"

# (transition, path the case is driven along, state after the move, other fields after it).
# In "fields", department "municipal" is the 市政 department, an assignee is a City.users key.
ALLOWED: list[tuple[str, str, str, dict[str, Any]]] = [
    ("accept", "reported", S.PENDING_REGISTER, {"stage": Stage.REGISTER}),
    ("to_verify", "reported_public", S.PENDING_VERIFY, {"stage": Stage.VERIFY}),
    ("send_verify", "pending_verify", S.VERIFYING, {"assignee": "inspector"}),
    (
        "verify_confirm",
        "verifying",
        S.PENDING_REGISTER,
        {"assignee": None, "stage": Stage.REGISTER},
    ),
    ("verify_reject", "verifying", S.VOID_REQUESTED, {"resume_state": S.VERIFYING}),
    ("request_void", "reported", S.VOID_REQUESTED, {"resume_state": S.REPORTED}),
    ("request_void", "pending_verify", S.VOID_REQUESTED, {"resume_state": S.PENDING_VERIFY}),
    ("request_void", "pending_register", S.VOID_REQUESTED, {"resume_state": S.PENDING_REGISTER}),
    ("approve_void", "void_requested", S.VOIDED, {"stage": "", "stage_due_at": None}),
    ("approve_void", "void_requested_reported", S.VOIDED, {"stage": ""}),
    ("approve_void", "void_requested_pending_verify", S.VOIDED, {"stage": ""}),
    ("approve_void", "void_requested_verify_reject", S.VOIDED, {"stage": "", "assignee": None}),
    ("deny_void", "void_requested", S.PENDING_REGISTER, {"stage": Stage.REGISTER}),
    ("deny_void", "void_requested_reported", S.REPORTED, {"stage": Stage.ACCEPT}),
    ("deny_void", "void_requested_pending_verify", S.PENDING_VERIFY, {"stage": Stage.VERIFY}),
    # The inspector's "not true" was overruled: the verification task is theirs again.
    ("deny_void", "void_requested_verify_reject", S.VERIFYING, {"assignee": "inspector"}),
    ("void", "reported", S.VOIDED, {"stage": "", "stage_due_at": None}),
    ("void", "pending_register", S.VOIDED, {"stage": ""}),
    ("register", "pending_register", S.PENDING_DISPATCH, {"stage": Stage.DISPATCH}),
    (
        "dispatch",
        "pending_dispatch",
        S.DISPATCHED,
        {"department": MUNICIPAL, "assignee": None, "stage": Stage.HANDLE},
    ),
    ("accept_task", "dispatched", S.HANDLING, {"department": MUNICIPAL, "assignee": "handler"}),
    ("request_return", "dispatched", S.RETURN_REQUESTED, {"resume_state": S.DISPATCHED}),
    ("request_return", "handling", S.RETURN_REQUESTED, {"resume_state": S.HANDLING}),
    (
        "approve_return",
        "return_requested",
        S.PENDING_DISPATCH,
        {"return_count": 1, "department": None, "assignee": None, "stage": Stage.DISPATCH},
    ),
    (
        "approve_return",
        "return_requested_dispatched",
        S.PENDING_DISPATCH,
        {"return_count": 1, "department": None},
    ),
    (
        "deny_return",
        "return_requested",
        S.HANDLING,
        {"return_count": 0, "department": MUNICIPAL, "assignee": "handler"},
    ),
    (
        "deny_return",
        "return_requested_dispatched",
        S.DISPATCHED,
        {"return_count": 0, "department": MUNICIPAL},
    ),
    (
        "request_extension",
        "handling",
        S.EXTENSION_REQUESTED,
        {"pending_request": {"kind": "extension", "amount": "2", "unit": "work_days"}},
    ),
    (
        "approve_extension",
        "extension_requested",
        S.HANDLING,
        {"extension_count": 1, "pending_request": {}},
    ),
    (
        "deny_extension",
        "extension_requested",
        S.HANDLING,
        {"extension_count": 0, "pending_request": {}},
    ),
    ("request_suspend", "handling", S.SUSPEND_REQUESTED, {"resume_state": S.HANDLING}),
    ("approve_suspend", "suspend_requested", S.SUSPENDED, {"stage_due_at": None}),
    ("deny_suspend", "suspend_requested", S.HANDLING, {"stage": Stage.HANDLE}),
    ("resume", "suspended", S.HANDLING, {"stage": Stage.HANDLE, "stage_remaining_seconds": None}),
    ("finish", "handling", S.HANDLED, {"result": "已按要求处理完毕", "stage": Stage.CHECK}),
    ("send_check", "handled", S.CHECKING, {"assignee": "inspector"}),
    ("check_pass", "checking", S.PENDING_CLOSE, {"assignee": None, "stage": Stage.CLOSE}),
    (
        "check_fail",
        "checking",
        S.DISPATCHED,
        {"rework_count": 1, "department": MUNICIPAL, "assignee": None, "stage": Stage.HANDLE},
    ),
    ("close", "pending_close", S.CLOSED, {"stage": "", "stage_due_at": None}),
    (
        "rework",
        "pending_close",
        S.DISPATCHED,
        {"rework_count": 1, "department": MUNICIPAL, "stage": Stage.HANDLE},
    ),
    ("self_close", "reported", S.CLOSED, {"result": "已按要求处理完毕", "stage": ""}),
    # A duplicate: its clock stops (the stage stays, paused) until the merge is undone.
    (
        "merge",
        "reported",
        S.MERGED,
        {"resume_state": S.REPORTED, "stage": Stage.ACCEPT, "stage_due_at": None},
    ),
    ("merge", "pending_verify", S.MERGED, {"resume_state": S.PENDING_VERIFY}),
    ("merge", "pending_register", S.MERGED, {"resume_state": S.PENDING_REGISTER}),
    (
        "unmerge",
        "merged",
        S.REPORTED,
        {"merged_into": None, "resume_state": "", "stage": Stage.ACCEPT},
    ),
]

# Moves each person may make on a case of each path (the street-A inspector reported the
# inspector-source cases and is the one sent to verify and check; "handler" is in 市政).
EVERYONE = ("operator", "shift_lead", "dispatcher", "leader", "inspector", "handler")
ALLOWED_NOW: dict[str, dict[str, set[str]]] = {
    "reported": {"operator": {"accept", "request_void", "merge"}, "shift_lead": {"void", "merge"}},
    "reported_public": {
        "operator": {"to_verify", "request_void", "merge"},
        "shift_lead": {"void", "merge"},
    },
    "pending_verify": {
        "operator": {"send_verify", "request_void", "merge"},
        "shift_lead": {"merge"},
    },
    "verifying": {"inspector": {"verify_confirm", "verify_reject"}},
    "pending_register": {
        "operator": {"request_void", "merge"},
        "shift_lead": {"register", "void", "merge"},
    },
    "void_requested": {"shift_lead": {"approve_void", "deny_void"}},
    "voided": {},
    "pending_dispatch": {"dispatcher": {"dispatch"}},
    "dispatched": {"handler": {"accept_task", "request_return"}},
    "handling": {"handler": {"request_return", "request_extension", "request_suspend", "finish"}},
    "return_requested": {"dispatcher": {"approve_return", "deny_return"}},
    "extension_requested": {"dispatcher": {"approve_extension", "deny_extension"}},
    "suspend_requested": {"dispatcher": {"approve_suspend", "deny_suspend"}},
    "suspended": {"dispatcher": {"resume"}},
    "handled": {"operator": {"send_check"}},
    "checking": {"inspector": {"check_pass", "check_fail"}},
    "pending_close": {"shift_lead": {"close", "rework"}},
    "closed": {},
    "merged": {"operator": {"unmerge"}, "shift_lead": {"unmerge"}},
}


def _row_id(row: tuple[str, str, str, dict[str, Any]]) -> str:
    return f"{row[0]}-from-{row[1]}"


def _expect_field(city: City, name: str, value: Any) -> Any:
    if name == "department":
        return {MUNICIPAL: city.municipal.pk, None: None}[value]
    if name == "assignee":
        return None if value is None else city.users[value].pk
    return value


def _actual_field(case: Any, name: str) -> Any:
    if name in ("department", "assignee", "merged_into"):
        return getattr(case, f"{name}_id")
    return getattr(case, name)


def _make_self_handle(city: City) -> None:
    catalog_actions.update_type(city.root, "matter", "06001", self_handle=True)


def test_matrix_covers_every_declared_source_state() -> None:
    declared = {(t.name, str(s)) for t in TRANSITIONS.values() for s in t.sources}
    covered = {(name, str(PATHS[path].state)) for name, path, _, _ in ALLOWED}
    assert covered == declared
    assert set(ACTOR_OF) == set(TRANSITIONS)


@pytest.mark.parametrize("row", ALLOWED, ids=_row_id)
def test_right_person_makes_the_move(city: City, row: tuple[str, str, str, dict[str, Any]]) -> None:
    name, path, target, fields = row
    loop = Loop(city)
    if name == "self_close":
        _make_self_handle(city)
    case = loop.drive(path)
    before = snapshot(case.number)
    actor = city.users[ACTOR_OF[name]]

    inputs = {"note": "经办意见"} if name in ("accept", "register") else loop.inputs(name)
    moved = loop.step(case, name, **inputs)

    stored = reload(moved)
    assert stored.state == target
    assert moved.state == target
    assert stored.version == before["version"] + 1
    for field_name, value in fields.items():
        assert _actual_field(stored, field_name) == _expect_field(city, field_name, value), (
            field_name
        )
    events = list(CaseEvent.objects.filter(case=stored).order_by("id"))
    assert len(events) == before["events"] + 1
    last = events[-1]
    assert (last.transition, last.actor_id, last.from_state, last.to_state, last.version) == (
        name,
        actor.pk,
        PATHS[path].state,
        target,
        stored.version,
    )
    if name in ("accept", "register"):
        assert last.note == "经办意见"


@pytest.mark.parametrize("path", sorted(ALLOWED_NOW))
def test_allowed_transitions_per_person(city: City, path: str) -> None:
    case = Loop(city).drive(path)
    expected = ALLOWED_NOW[path]
    for key in EVERYONE:
        got = {t.name for t in allowed_transitions(city.users[key], case)}
        assert got == expected.get(key, set()), key
    # Out of scope or in another department: nothing, whatever the state.
    assert allowed_transitions(city.inspector_b, case) == []
    assert allowed_transitions(city.handler_office_a, case) == []


def _attempt(user: User, case: Any, name: str, loop: Loop) -> ActionError:
    with pytest.raises(ActionError) as caught:
        actions.transition(user, case.number, name, version=case.version, inputs=loop.inputs(name))
    return caught.value


def _first_path(name: str) -> str:
    return next(path for n, path, _, _ in ALLOWED if n == name)


def _handler_sees(path: str) -> bool:
    """A handler sees a case once it was dispatched to their department (Loop: 市政)."""
    return "dispatch" in PATHS[path].steps


@pytest.mark.parametrize("name", sorted(TRANSITIONS))
def test_refused_for_wrong_role_scope_or_holder(city: City, make_user: Any, name: str) -> None:
    loop = Loop(city)
    if name == "self_close":
        _make_self_handle(city)
    case = loop.drive(_first_path(name))
    before = snapshot(case.number)
    t = TRANSITIONS[name]
    right_role = city.users[ACTOR_OF[name]].role

    # Wrong role, in scope.
    admin = make_user("admin", "440304")
    in_scope = [*(city.users[k] for k in EVERYONE), admin]
    right_roles = {right_role, *ALSO_ALLOWED.get(name, ())}
    wrong = [u for u in in_scope if u.role not in right_roles]
    assert {u.role for u in wrong} == {
        "operator",
        "shift_lead",
        "dispatcher",
        "leader",
        "inspector",
        "handler",
        "admin",
    } - right_roles
    for user in wrong:
        error = _attempt(user, case, name, loop)
        if user.role == "handler" and not _handler_sees(_first_path(name)):
            # Never dispatched to the handler's department: it does not exist for them.
            assert isinstance(error, NotFound), (user.role, error.code)
            assert error.code == "case_not_found"
        else:
            assert isinstance(error, PermissionDenied), (user.role, error.code)
            assert error.code == "forbidden_role"
        assert snapshot(case.number) == before

    # Right role, but street B: the case does not exist for them.
    office_b = org_actions.create_department(
        city.root, name="园岭街道办事处", kind="territorial", division_code="440304002"
    )
    outsider = (
        city.inspector_b
        if right_role == "inspector"
        else make_user(
            right_role, "440304002", department=office_b if right_role == "handler" else None
        )
    )
    error = _attempt(outsider, case, name, loop)
    assert isinstance(error, NotFound)
    assert error.code == "case_not_found"
    assert snapshot(case.number) == before

    # Right role and scope, but not the one holding the case.
    if t.holder is Holder.DEPARTMENT:
        others = [city.handler_office_a]
    elif t.holder in (Holder.ASSIGNEE, Holder.REPORTER):
        others = [make_user("inspector", "440304001"), make_user("inspector", "440304")]
    else:
        others = []
    for other in others:
        error = _attempt(other, case, name, loop)
        if other.role == "handler":
            # Another department's handler does not see the case at all (a department that
            # held it before does, and is refused as not_holder: test_department_scope.py).
            assert isinstance(error, NotFound)
            assert error.code == "case_not_found"
        else:
            assert isinstance(error, PermissionDenied)
            assert error.code == "not_holder"
        assert snapshot(case.number) == before
    assert bool(others) == (name in HOLDER_MOVES)


HOLDER_MOVES = {
    "verify_confirm",
    "verify_reject",
    "check_pass",
    "check_fail",
    "self_close",
    "accept_task",
    "request_return",
    "request_extension",
    "request_suspend",
    "finish",
}


@pytest.mark.parametrize("path", sorted(ALLOWED_NOW))
def test_refused_from_every_other_state(city: City, path: str) -> None:
    loop = Loop(city)
    _make_self_handle(city)
    case = loop.drive(path)
    before = snapshot(case.number)
    possible = {n for n, p, _, _ in ALLOWED if PATHS[p].state == PATHS[path].state}
    refused = sorted(set(TRANSITIONS) - possible)
    assert refused, "every state refuses some moves"
    for name in refused:
        actor = city.users[ACTOR_OF[name]]
        error = _attempt(actor, case, name, loop)
        if actor.role == "handler" and not _handler_sees(path):
            assert isinstance(error, NotFound), (name, error.code)
            assert error.code == "case_not_found", name
        else:
            assert isinstance(error, Conflict), (name, error.code)
            assert error.code == "bad_state", name
        assert snapshot(case.number) == before


def test_guards_refuse_the_wrong_kind_of_acceptance(city: City) -> None:
    loop = Loop(city)
    inspector_case = loop.drive("reported")
    public_case = loop.drive("reported_public")
    for case, name in ((inspector_case, "to_verify"), (public_case, "accept")):
        before = snapshot(case.number)
        error = _attempt(city.users["operator"], case, name, loop)
        assert isinstance(error, InvalidInput)
        assert error.code == "precondition"
        assert snapshot(case.number) == before


@pytest.mark.parametrize(
    ("name", "path", "inputs", "field"),
    [
        ("dispatch", "pending_dispatch", {}, "department_id"),
        ("dispatch", "pending_dispatch", {"department_id": 999_999}, "department_id"),
        ("send_verify", "pending_verify", {}, "inspector_id"),
        ("finish", "handling", {"result": "   "}, "result"),
        ("request_void", "reported", {}, "note"),
        (
            "request_extension",
            "handling",
            {"amount": "-1", "unit": "work_days", "note": "x"},
            "amount",
        ),
        ("request_extension", "handling", {"amount": "1", "unit": "weeks", "note": "x"}, "unit"),
    ],
)
def test_bad_inputs_are_refused_and_change_nothing(
    city: City, name: str, path: str, inputs: dict[str, Any], field: str
) -> None:
    loop = Loop(city)
    case = loop.drive(path)
    before = snapshot(case.number)
    with pytest.raises(InvalidInput) as caught:
        loop.step(case, name, **(inputs or {"unused": ""}))
    assert caught.value.field == field
    assert snapshot(case.number) == before


def test_send_to_an_inspector_of_another_street_is_refused(city: City) -> None:
    loop = Loop(city)
    case = loop.drive("pending_verify")
    before = snapshot(case.number)
    with pytest.raises(InvalidInput) as caught:
        loop.step(case, "send_verify", inspector_id=city.inspector_b.pk)
    assert caught.value.code == "bad_inspector"
    assert snapshot(case.number) == before


def test_dispatch_to_another_streets_office_is_refused(city: City) -> None:
    loop = Loop(city)
    office_b = org_actions.create_department(
        city.root, name="园岭街道办事处", kind="territorial", division_code="440304002"
    )
    case = loop.drive("pending_dispatch")
    before = snapshot(case.number)
    with pytest.raises(InvalidInput) as caught:
        loop.step(case, "dispatch", department_id=office_b.pk)
    assert caught.value.code == "department_out_of_area"
    assert snapshot(case.number) == before
    # The street's own office is fine.
    moved = loop.step(case, "dispatch", department_id=city.office_a.pk)
    assert (moved.state, moved.department_id) == (S.DISPATCHED, city.office_a.pk)


def test_stale_version_is_refused_and_changes_nothing(city: City) -> None:
    loop = Loop(city)
    case = loop.drive("pending_register")
    before = snapshot(case.number)
    for stale in (case.version - 1, case.version + 1):
        with pytest.raises(Conflict) as caught:
            actions.transition(city.users["shift_lead"], case.number, "register", version=stale)
        assert caught.value.code == "stale_version"
        assert caught.value.details["current_version"] == case.version
        assert snapshot(case.number) == before
    # Someone else moved it meanwhile: the copy read before is now stale.
    loop.step(case, "request_void")
    after_void_request = snapshot(case.number)
    with pytest.raises(Conflict) as caught:
        loop.step(case, "register")
    assert caught.value.code == "stale_version"
    assert snapshot(case.number) == after_void_request


def test_missing_version_and_unknown_transition(city: City) -> None:
    case = Loop(city).drive("pending_register")
    before = snapshot(case.number)
    with pytest.raises(InvalidInput) as caught:
        actions.transition(city.users["shift_lead"], case.number, "register", version=None)
    assert caught.value.field == "version"
    with pytest.raises(NotFound) as not_found:
        actions.transition(city.users["shift_lead"], case.number, "teleport", version=case.version)
    assert not_found.value.code == "unknown_transition"
    with pytest.raises(NotFound) as no_case:
        actions.transition(
            city.users["shift_lead"], "S0600120990101" + "00001", "register", version=1
        )
    assert no_case.value.code == "case_not_found"
    assert snapshot(case.number) == before


def test_every_move_bumps_the_version_by_one(city: City) -> None:
    loop = Loop(city)
    case = loop.report()
    assert case.version == 1
    for name in PATHS["closed"].steps:
        version = case.version
        case = loop.step(case, name)
        assert case.version == version + 1
        assert reload(case).version == version + 1
    assert case.version == 1 + len(PATHS["closed"].steps)
    assert list(
        CaseEvent.objects.filter(case=case).order_by("id").values_list("version", flat=True)
    ) == list(range(1, case.version + 1))
