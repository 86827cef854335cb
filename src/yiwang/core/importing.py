"""All-or-nothing imports with a per-record error report.

Importers validate every record first and collect every problem; only if there
are none do they write, in one transaction. A rejected import writes nothing and
tells the user which record failed and why.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from yiwang.core.errors import InvalidInput


@dataclass(frozen=True)
class RecordError:
    index: int  # 1-based position of the record (feature or CSV data row) in the file
    ref: str  # the record's own identifier (grid code, component id) if it has one
    code: str  # stable machine code, e.g. "unclosed_ring", "duplicate_code"
    message: str  # Chinese, for people
    field: str | None = None


class ImportRejected(InvalidInput):
    """Raised when any record is bad; carries the whole report."""

    def __init__(self, errors: list[RecordError], what: str = "记录") -> None:
        self.errors = errors
        super().__init__(
            "import_rejected",
            f"导入未执行：{len({e.index for e in errors})} 条{what}有错误，请修正后重新导入。",
            "file",
            errors=[asdict(e) for e in errors],
        )


@dataclass
class ErrorCollector:
    errors: list[RecordError] = field(default_factory=list)

    def add(self, index: int, ref: str, code: str, message: str, field: str | None = None) -> None:
        self.errors.append(RecordError(index, ref, code, message, field))

    def raise_if_any(self, what: str = "记录") -> None:
        if self.errors:
            raise ImportRejected(self.errors, what)


@dataclass(frozen=True)
class ImportSummary:
    created: int
    total: int
