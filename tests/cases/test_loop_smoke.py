from typing import Any

from case_support import POINT_A, City
from yiwang.cases import actions
from yiwang.cases.models import CaseEvent, State


def step(case: Any, user: Any, name: str, **inputs: Any) -> Any:
    return actions.transition(user, case.number, name, version=case.version, inputs=inputs)


def test_inspector_report_to_close(city: City) -> None:
    u = city.users
    case = actions.report_case(
        u["inspector"],
        kind="matter",
        type_code="06001",
        title="人行道私搭乱建",
        lon=POINT_A[0],
        lat=POINT_A[1],
    )
    assert case.state == State.REPORTED
    assert case.grid.code == "440304001001001"
    assert case.stage_due_at is not None
    case = step(case, u["operator"], "accept")
    case = step(case, u["shift_lead"], "register")
    case = step(case, u["dispatcher"], "dispatch", department_id=city.municipal.pk)
    case = step(case, u["handler"], "accept_task")
    case = step(case, u["handler"], "finish", result="已拆除")
    case = step(case, u["operator"], "send_check", inspector_id=u["inspector"].pk)
    case = step(case, u["inspector"], "check_pass")
    case = step(case, u["shift_lead"], "close")
    assert case.state == State.CLOSED
    assert CaseEvent.objects.filter(case=case).count() == 9
