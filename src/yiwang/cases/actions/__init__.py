"""The write path of the case loop (the only way cases and their tables change).

- `reporting`: report cases (one or in bulk) and apply transitions
- `photos`: attach before/after photos
- `reference`: time limits, routing rules, holiday calendar, work periods (one module per
  table: `time_limits`, `routing_rules`, `work_calendar`)
"""

from yiwang.cases.actions.reporting import (
    Report,
    moving,
    report_case,
    report_cases,
    transition,
)

__all__ = ["Report", "moving", "report_case", "report_cases", "transition"]
