"""The write path of the case loop (the only way cases and their tables change).

- `reporting`: report cases (one or in bulk) and apply transitions
- `idempotency`: report a case at most once per idempotency key (form token, API header)
- `notes`: a note on the timeline that moves nothing (`notes.add_note`)
- `photos`: attach and remove before/after photos (content stored once, metadata stripped)
- `duplicates`: keep a case separate from an offered duplicate (merging is the workflow's
  `merge` / `unmerge`)
- `reference`: time limits, routing rules, duplicate rules, holiday calendar, work periods
  (one module per table: `time_limits`, `routing_rules`, `duplicate_rules`, `work_calendar`)
"""

from yiwang.cases.actions.duplicates import keep_separate
from yiwang.cases.actions.idempotency import Reported, report_case_once
from yiwang.cases.actions.reporting import (
    Report,
    moving,
    report_case,
    report_cases,
    transition,
)

__all__ = [
    "Report",
    "Reported",
    "keep_separate",
    "moving",
    "report_case",
    "report_case_once",
    "report_cases",
    "transition",
]
