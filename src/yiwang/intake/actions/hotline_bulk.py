"""Applying 12345 work orders in bulk: the webhook's one order and a batch's thousands alike.

What an order means is the `hotline` module's: the same id with the same content is the
same order (unchanged), changed content updates it (noted on its case's timeline once it
is a case), a new one with a point becomes a case, one without waits as 待定位, and an
unmapped category or an address outside the node is refused. Here it is done for many
orders with a number of queries that does not grow with them:

1. the batch's known orders are read (and locked) together;
2. the category table is read once and each distinct address resolved once
   (`addresses.resolve_many`; a batch does that before its transaction, see
   `addresses_to_resolve`);
3. every case is filed by ONE `cases.actions.report_cases` call (locating, routing,
   numbering, deadlines and timeline rows in bulk); its refusal names ``reports[i]``, which
   maps back to the order's row;
4. orders and submissions are written by bulk inserts (updates by one bulk update); the
   changed orders of filed cases note the change on their timelines with one
   `cases.actions.notes.add_notes` call.

Nothing is written when any row is refused: `apply_orders` returns the refusals and the
caller, which holds the transaction, raises. So that the report names every refused row
and not only the first, a refused filing is searched by bisection, each try in a savepoint
that is rolled back, up to `MAX_FILING_REFUSALS` rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction

from yiwang.cases.actions import Report, report_cases
from yiwang.cases.actions.notes import Note, add_notes
from yiwang.cases.models import DESCRIPTION_MAX_LENGTH, NOTE_MAX_LENGTH, Case, Source
from yiwang.catalog.models import ObjectType
from yiwang.core.errors import ActionError, Conflict, InvalidInput, PermissionDenied
from yiwang.core.scope import path_in_scope
from yiwang.intake import addresses
from yiwang.intake.actions.channels import channel_actor
from yiwang.intake.actions.submissions import NewSubmission, record_submissions
from yiwang.intake.models import Channel, HotlineCategory, HotlineOrder, HotlineSystem, Submission
from yiwang.intake.schemas.hotline import HotlineOrderIn, content_hash
from yiwang.org.models import Division, User

# A category row with this code catches every category the table does not name.
FALLBACK_CATEGORY = "*"
# Refused filings listed before the search stops: enough to fix a file by, bounded in time
# (each one found costs a `report_cases` try over part of the batch).
MAX_FILING_REFUSALS = 100
# Ids per IN (...) list: under SQLite's historic limit of 999 bound parameters.
CHUNK = 500
# What a change of these fields is called on the case's timeline.
FIELD_LABELS = {
    "received_at": "受理时间",
    "category": "诉求分类",
    "category_name": "诉求分类名称",
    "title": "标题",
    "content": "诉求内容",
    "address": "地址",
    "lon": "经度",
    "lat": "纬度",
    "crs": "坐标系",
    "caller_name": "来电人",
    "caller_phone": "来电号码",
    "urgency": "紧急程度",
    "deadline": "办结时限",
    "attachments": "附件",
}
ORDER_FIELDS = tuple(f.name for f in HotlineOrder._meta.concrete_fields)
_REPORT_FIELD = re.compile(r"^reports\[(\d+)\]\.")
_NOTE_FIELD = re.compile(r"^notes\[(\d+)\]\.")


@dataclass(frozen=True)
class Incoming:
    """One validated order and where it came from (its line or spreadsheet row)."""

    index: int
    order: HotlineOrderIn
    data: dict[str, Any]  # the canonical order, as stored
    digest: str  # its content hash
    signed_at: datetime | None = None  # the webhook's signed time (batches have none)

    @classmethod
    def of(cls, index: int, order: HotlineOrderIn, signed_at: datetime | None = None) -> Incoming:
        data = order.canonical()
        return cls(index, order, data, content_hash(data), signed_at)

    @property
    def located(self) -> bool:
        return self.order.lon is not None and self.order.lat is not None


@dataclass(frozen=True)
class OrderResult:
    order: HotlineOrder
    outcome: str  # created | updated | unchanged
    tracking_code: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "order_id": self.order.order_id,
            "outcome": self.outcome,
            "status": self.order.status,
            "case_number": self.order.case.number if self.order.case_id else None,  # type: ignore[union-attr]
            "tracking_code": self.tracking_code,
        }


@dataclass(frozen=True)
class Refusal:
    index: int  # the order's line (JSONL) or spreadsheet row (XLSX); 1 for the webhook
    order_id: str
    error: ActionError

    @property
    def field(self) -> str | None:
        # report_cases names "reports[3].lon" in a batch: the row already says which order.
        return self.error.field.rsplit(".", 1)[-1] if self.error.field else None


@dataclass
class Applied:
    results: list[OrderResult] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    # The search for refused filings stopped at MAX_FILING_REFUSALS: more may be wrong.
    truncated: bool = False


@dataclass
class _Plan:
    """An order that is new or changed, checked and about to be written."""

    row: Incoming
    existing: HotlineOrder | None
    matter: ObjectType
    resolved: addresses.Resolved
    case: Case | None = None  # the case filed for it now
    tracking_code: str | None = None
    stored: HotlineOrder | None = None  # the row as written


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


# ---- categories and addresses ----------------------------------------------------------------


def category_table() -> dict[str, ObjectType]:
    """Hotline category code → matter type, active rows only (the fallback under "*")."""
    rows = HotlineCategory.objects.filter(is_active=True).select_related("type")
    return {row.code: row.type for row in rows}


def matter_type(code: str, table: dict[str, ObjectType]) -> ObjectType:
    matter = table.get(code) or table.get(FALLBACK_CATEGORY)
    if matter is None or not matter.is_active:
        raise InvalidInput(
            "unknown_category",
            f"热线分类“{code}”没有对应的事项类型，请管理员在“热线分类对照”中添加。",
            "category",
        )
    return matter


def check_address(address: str, resolved: addresses.Resolved, node: Division) -> None:
    if resolved.outside:
        where = resolved.division.name if resolved.division else resolved.names.text()
        raise InvalidInput(
            "outside_node",
            f"地址“{address}”解析为{where}，不在本平台辖区（{node.name}）内，请退回热线重新派单。",
            "address",
        )


def addresses_to_resolve(system: HotlineSystem, rows: Sequence[Incoming]) -> list[str]:
    """The distinct addresses of the orders that are new or changed, read without a lock:
    a batch resolves them (the slow part) before it opens its transaction."""
    known: dict[str, str] = {}
    ids = [r.order.order_id for r in rows]
    for chunk in _chunks(ids):
        known.update(
            HotlineOrder.objects.filter(system=system, order_id__in=chunk).values_list(
                "order_id", "content_hash"
            )
        )
    wanted = (r.order.address for r in rows if known.get(r.order.order_id) != r.digest)
    return list(dict.fromkeys(wanted))


# ---- what a case is filed with ---------------------------------------------------------------


def description(payload: dict[str, Any]) -> str:
    text = str(payload.get("content") or "").strip()
    extra: list[str] = []
    if payload.get("deadline"):
        extra.append(f"热线办结时限：{payload['deadline']}")
    for item in payload.get("attachments") or []:
        extra.append(f"附件：{item.get('name') or ''} {item['url']}".replace("  ", " "))
    tail = ("\n\n" + "\n".join(extra)) if extra else ""
    return text[: DESCRIPTION_MAX_LENGTH - len(tail)] + tail if tail else text


def case_report(
    matter: ObjectType,
    *,
    title: str,
    address: str,
    payload: dict[str, Any],
    lon: float,
    lat: float,
    crs: str,
) -> Report:
    """The report an order is filed as: the hotline's texts, the caller as contact."""
    return Report(
        kind=matter.kind,
        type_code=matter.code,
        title=title,
        lon=lon,
        lat=lat,
        crs=crs,
        source=Source.HOTLINE,
        urgency=payload.get("urgency") or "normal",
        description=description(payload),
        address=address,
        contact_name=payload.get("caller_name") or "",
        contact_phone=payload.get("caller_phone") or "",
    )


class _Undo(Exception):
    """Rolls a trial filing back (its savepoint) once it has said whether it succeeds."""


def _position(exc: ActionError, size: int) -> int | None:
    """Which report of ``size`` a refusal of `report_cases` is about (None: all of them)."""
    if size == 1:
        return 0
    match = _REPORT_FIELD.match(exc.field or "")
    return int(match.group(1)) if match else None


def file_cases(
    actor: User, reports: list[Report], *, now: datetime, keep: bool
) -> tuple[list[Case], dict[int, ActionError], bool]:
    """File ``reports`` with one `report_cases` call; returns (cases, refusals, truncated).

    With ``keep`` and no refusal the cases stay (in the caller's transaction). Otherwise
    nothing stays and the refusals name report positions. `report_cases` stops at the first
    refusal; to find the others, the reports before it and the two halves of those after
    it are tried again, each in a savepoint rolled back. A batch of n reports with k bad
    ones takes about k·log₂(n) tries, each over a part of the batch.
    """
    if not reports:
        return [], {}, False
    refusals: dict[int, ActionError] = {}
    parts: list[list[int]] = [list(range(len(reports)))]
    while parts:
        part = parts.pop()
        if not part:
            continue
        if len(refusals) >= MAX_FILING_REFUSALS:
            return [], refusals, True
        try:
            with transaction.atomic():
                cases = report_cases(actor, [reports[k] for k in part], now=now)
                if not (keep and len(part) == len(reports)):
                    raise _Undo
                return cases, {}, False
        except _Undo:
            continue
        except ActionError as exc:
            at = _position(exc, len(part))
            if at is None:
                raise  # a refusal of the whole batch, not of one report in it
            refusals[part[at]] = exc
            after = part[at + 1 :]
            half = len(after) // 2
            parts += [after[half:], after[:half], part[:at]]
    return [], refusals, False


# ---- applying orders -------------------------------------------------------------------------


def _known_orders(system: HotlineSystem, rows: Sequence[Incoming]) -> dict[str, HotlineOrder]:
    known: dict[str, HotlineOrder] = {}
    for chunk in _chunks([r.order.order_id for r in rows]):
        found = (
            HotlineOrder.objects.select_for_update(of=("self",))
            .select_related("case")
            # Of its case an order's answer and note need the number alone; loading the
            # whole case took as long as the rest of an unchanged batch.
            .only(*ORDER_FIELDS, "case__number")
            .filter(system=system, order_id__in=chunk)
        )
        known.update((row.order_id, row) for row in found)
    for row in known.values():
        row.system = system  # spares a query per order where its system is named
    return known


def _hash_of(known: dict[str, HotlineOrder], row: Incoming) -> str | None:
    existing = known.get(row.order.order_id)
    return existing.content_hash if existing is not None else None


def apply_orders(
    system: HotlineSystem,
    rows: Sequence[Incoming],
    *,
    node: Division,
    now: datetime,
    resolved: dict[str, addresses.Resolved] | None = None,
    actor: User | None = None,
) -> Applied:
    """Create, update or recognise ``rows`` (order ids distinct). Call inside a transaction
    and roll it back when the answer has refusals (only trial filings, rolled back, have
    been written then). ``resolved`` holds addresses resolved beforehand.

    ``actor`` is the member of staff who uploaded the orders (the import page): they may
    touch only orders of their own area, as they are and as they become; the hotline system
    itself (no actor) files node-wide."""
    known = _known_orders(system, rows)
    refusals: list[Refusal] = []
    if actor is not None:
        foreign = {
            order_id
            for order_id, row in known.items()
            if not path_in_scope(actor, row.division_path)
        }
        refusals += [
            Refusal(r.index, r.order.order_id, _out_of_scope(r.order.order_id))
            for r in rows
            if r.order.order_id in foreign
        ]
    changed = [r for r in rows if _hash_of(known, r) != r.digest]
    stale = {r.order.order_id for r in changed if _older_than_held(known, r)}
    refusals += [
        Refusal(r.index, r.order.order_id, _stale(r.order.order_id))
        for r in changed
        if r.order.order_id in stale
    ]
    changed = [r for r in changed if r.order.order_id not in stale]
    places = dict(resolved or {})
    missing = [r.order.address for r in changed if r.order.address not in places]
    places.update(addresses.resolve_many(missing, node))
    table = category_table() if changed else {}

    plans: list[_Plan] = []
    for row in changed:
        try:
            matter = matter_type(row.order.category, table)
            place = places[row.order.address]
            check_address(row.order.address, place, node)
        except ActionError as exc:
            refusals.append(Refusal(row.index, row.order.order_id, exc))
            continue
        new = _Plan(row, known.get(row.order.order_id), matter, place)
        # A new order waiting for its place belongs where its address resolves.
        unplaced_elsewhere = (
            actor is not None
            and new.existing is None
            and not row.located
            and not path_in_scope(actor, _path(new, node))
        )
        if unplaced_elsewhere:
            refusals.append(
                Refusal(row.index, row.order.order_id, _out_of_scope(row.order.order_id))
            )
            continue
        plans.append(new)

    actor = channel_actor(Channel.HOTLINE)
    to_file = [
        p
        for p in plans
        if p.row.located
        and (p.existing is None or p.existing.status == HotlineOrder.Status.AWAITING_LOCATION)
    ]
    reports = [
        case_report(
            p.matter,
            title=p.row.order.title.strip(),
            address=p.row.order.address.strip(),
            payload=p.row.data,
            lon=p.row.order.lon,  # type: ignore[arg-type]
            lat=p.row.order.lat,  # type: ignore[arg-type]
            crs=p.row.order.crs,
        )
        for p in to_file
    ]
    cases, refused, truncated = file_cases(actor, reports, now=now, keep=not refusals)
    refusals += [
        Refusal(to_file[i].row.index, to_file[i].row.order.order_id, exc)
        for i, exc in refused.items()
    ]
    if refusals:
        return Applied([], sorted(refusals, key=lambda r: r.index), truncated)

    submissions = record_submissions(
        Channel.HOTLINE,
        [
            NewSubmission(
                sender=system.code,
                external_id=p.row.order.order_id,
                case=case,
                contact_phone=p.row.data.get("caller_phone") or "",
            )
            for p, case in zip(to_file, cases, strict=True)
        ],
        created_by=actor,
        now=now,
    )
    for p, case, submission in zip(to_file, cases, submissions, strict=True):
        p.case, p.tracking_code = case, submission.tracking_code
        if actor is not None and not path_in_scope(actor, case.division_path):
            refusals.append(
                Refusal(p.row.index, p.row.order.order_id, _out_of_scope(p.row.order.order_id))
            )
    if refusals:
        return Applied([], sorted(refusals, key=lambda r: r.index))

    _write_new(system, [p for p in plans if p.existing is None], node, now)
    _write_changed(refusals, [p for p in plans if p.existing is not None], node, now)
    if refusals:
        return Applied([], refusals)

    by_id = {p.row.order.order_id: p for p in plans}
    # A resend (or a revision) of an order filed earlier answers with its tracking code.
    earlier = _tracking_codes(system, [r.order.order_id for r in rows if r.order.order_id in known])
    results: list[OrderResult] = []
    for row in rows:
        order_id = row.order.order_id
        plan = by_id.get(order_id)
        if plan is None:
            results.append(OrderResult(known[order_id], "unchanged", earlier.get(order_id)))
        else:
            assert plan.stored is not None
            outcome = "created" if plan.existing is None else "updated"
            code = plan.tracking_code or earlier.get(order_id)
            results.append(OrderResult(plan.stored, outcome, code))
    return Applied(results)


def _older_than_held(known: dict[str, HotlineOrder], row: Incoming) -> bool:
    existing = known.get(row.order.order_id)
    return (
        existing is not None
        and existing.signed_at is not None
        and row.signed_at is not None
        and row.signed_at < existing.signed_at
    )


def _stale(order_id: str) -> Conflict:
    return Conflict(
        "stale_revision",
        f"工单 {order_id} 已有更新的修订（签名时间更晚），这次收到的是较早的修订，已忽略。",
        "order_id",
    )


def _out_of_scope(order_id: str) -> PermissionDenied:
    return PermissionDenied(
        "out_of_scope", f"工单 {order_id} 不在您的管辖范围内，不能由您导入或修改。", "order_id"
    )


def _tracking_codes(system: HotlineSystem, order_ids: Sequence[str]) -> dict[str, str]:
    """The tracking codes the orders' cases were given when they were filed."""
    codes: dict[str, str] = {}
    for chunk in _chunks(list(order_ids)):
        codes.update(
            Submission.objects.filter(
                channel=Channel.HOTLINE, sender=system.code, external_id__in=chunk
            ).values_list("external_id", "tracking_code")
        )
    return codes


def _path(plan: _Plan, node: Division) -> str:
    """The division the order belongs to: its case's, else its address's, else the node's."""
    if plan.case is not None:
        return plan.case.division_path
    return plan.resolved.division.path if plan.resolved.division else node.path


def _write_new(system: HotlineSystem, plans: list[_Plan], node: Division, now: datetime) -> None:
    rows = [
        HotlineOrder(
            system=system,
            order_id=p.row.order.order_id,
            content_hash=p.row.digest,
            status=(
                HotlineOrder.Status.FILED
                if p.case is not None
                else HotlineOrder.Status.AWAITING_LOCATION
            ),
            payload=p.row.data,
            category_code=p.row.order.category,
            title=p.row.order.title.strip(),
            address=p.row.order.address.strip(),
            resolved_division=p.resolved.division,
            division_path=_path(p, node),
            received_at=p.row.order.received_at,
            signed_at=p.row.signed_at,
            case=p.case,
            created_at=now,
            updated_at=now,
        )
        for p in plans
    ]
    HotlineOrder.objects.bulk_create(rows, batch_size=CHUNK)
    for plan, row in zip(plans, rows, strict=True):
        plan.stored = row


UPDATED_FIELDS = (
    "payload",
    "content_hash",
    "revision",
    "category_code",
    "title",
    "address",
    "resolved_division",
    "received_at",
    "signed_at",
    "updated_at",
    "division_path",
    "case",
    "status",
)


def _write_changed(
    refusals: list[Refusal], plans: list[_Plan], node: Division, now: datetime
) -> None:
    """Revised orders take the new text; those already cases note it on the timeline, those
    waiting for a point and now bringing one have just been filed."""
    noted: list[tuple[_Plan, list[str]]] = []
    for p in plans:
        row, order = p.existing, p.row.order
        assert row is not None
        changed = sorted(k for k in p.row.data if p.row.data.get(k) != row.payload.get(k))
        row.payload = p.row.data
        row.content_hash = p.row.digest
        row.revision += 1
        row.category_code = order.category
        row.title = order.title.strip()
        row.address = order.address.strip()
        row.resolved_division = p.resolved.division
        row.received_at = order.received_at
        row.signed_at = p.row.signed_at or row.signed_at
        row.updated_at = now
        if p.case is not None:
            row.case, row.status = p.case, HotlineOrder.Status.FILED
            row.division_path = p.case.division_path
        elif row.case_id is None:
            # Not a case yet: the order is only ours to hold, so it simply takes the new text.
            row.division_path = _path(p, node)
        else:
            noted.append((p, changed))
        p.stored = row
    for p in plans:
        # One UPDATE a row: Django's bulk_update builds a CASE per field and row, three
        # times slower here for twelve fields.
        assert p.existing is not None
        p.existing.save(update_fields=UPDATED_FIELDS)
    if not noted:
        return
    notes = [change_note(p.existing, changed) for p, changed in noted]  # type: ignore[arg-type]
    try:
        with transaction.atomic():
            add_notes(channel_actor(Channel.HOTLINE), notes, now=now)
    except ActionError as exc:
        match = _NOTE_FIELD.match(exc.field or "")
        p = noted[int(match.group(1)) if match else 0][0]
        refusals.append(Refusal(p.row.index, p.row.order.order_id, exc))


def change_note(row: HotlineOrder, changed: list[str]) -> Note:
    """A revised order of a filed case: the case keeps its facts; its timeline says what the
    hotline changed (no case action edits a filed case's text)."""
    assert row.case is not None
    labels = "、".join(FIELD_LABELS.get(k, k) for k in changed) or "无字段变化"
    lines = [f"12345 热线修订了工单 {row.order_id}（第 {row.revision} 版）：{labels}。"]
    for key in ("title", "content", "address", "urgency", "deadline"):
        if key in changed and row.payload.get(key):
            lines.append(f"{FIELD_LABELS[key]}：{row.payload[key]}")
    return Note(
        row.case.number,
        "\n".join(lines)[:NOTE_MAX_LENGTH],
        {
            "hotline_order": row.order_id,
            "system": row.system.code,
            "revision": row.revision,
            "changed": changed,
            "content_hash": row.content_hash,
        },
    )
