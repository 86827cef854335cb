"""Editing the reference tables the case loop runs on (administrators only).

- `time_limits`, `routing_rules`, `duplicate_rules`, `work_calendar`: the actions, one
  module per table
- `reference_checks`: the checks they share

Time limits, routing rules, the holiday / 调休 calendar and the work periods are
cached per process (`cases.deadlines`, `cases.routing`); every action here bumps
the table's generation in its own transaction, so the next read in any process
rebuilds its cache, and writes an audit row.

Changes apply to stages that start afterwards: deadlines already computed for
open cases are kept (an administrator editing a limit does not move promises
made to departments).

Routing rules: the rule's department must be responsible for the rule's whole area,
i.e. the department's division contains or equals the rule's division. A district
专业部门 may therefore serve a rule for the district or for any street in it, but a
street office cannot be routed cases of a neighbouring street — the dispatch step
(`steps.set_department`) would refuse such a suggestion anyway.
"""

from yiwang.cases.actions.duplicate_rules import (
    DUPLICATES_GENERATION,
    delete_duplicate_rule,
    set_duplicate_rule,
)
from yiwang.cases.actions.routing_rules import (
    MAX_PRIORITY,
    ROUTING_GENERATION,
    add_routing_rule,
    delete_routing_rule,
    update_routing_rule,
)
from yiwang.cases.actions.time_limits import (
    LIMITS_GENERATION,
    MAX_AMOUNT,
    delete_time_limit,
    set_time_limit,
)
from yiwang.cases.actions.work_calendar import (
    CALENDAR_GENERATION,
    FIRST_YEAR,
    LAST_YEAR,
    MAX_WORK_PERIODS,
    clear_calendar_day,
    mark_year_complete,
    set_calendar_day,
    set_work_periods,
    unmark_year,
    validate_work_periods,
)

__all__ = [
    "CALENDAR_GENERATION",
    "DUPLICATES_GENERATION",
    "FIRST_YEAR",
    "LAST_YEAR",
    "LIMITS_GENERATION",
    "MAX_AMOUNT",
    "MAX_PRIORITY",
    "MAX_WORK_PERIODS",
    "ROUTING_GENERATION",
    "add_routing_rule",
    "clear_calendar_day",
    "delete_duplicate_rule",
    "delete_routing_rule",
    "delete_time_limit",
    "mark_year_complete",
    "set_calendar_day",
    "set_duplicate_rule",
    "set_time_limit",
    "set_work_periods",
    "unmark_year",
    "update_routing_rule",
    "validate_work_periods",
]
