"""What a reporter follows once their case was merged: the case that carries the result.

A duplicate merged into another case (state 已合并, `Case.merged_into`) is not handled on its
own; its reporters follow the case it went into, get that case's progress and its result
(docs/cases.md, "Duplicates"). `cases.queries.final_case` names that case for one case; the
channels' lists (Open311 answers, the hotline watcher, nearby reports) need it for many rows
at once, which `finals` gives in one query for the first hop — the engine never makes
chains — and through `final_case` for anything beyond (only bad data has a chain).

Part of intake's read side; nothing here is scoped: the caller already holds the merged
rows through its own scoped read and may show the result of the case answering for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from yiwang.cases import queries as case_queries
from yiwang.cases.models import Case, CaseEvent, State

MERGE = "merge"
# Rows a case that others were merged into gets about those others: not its own progress.
ABOUT_OTHERS = ("merged_in", "unmerged_out")


def finals(merged_into: Mapping[int, int]) -> dict[int, Case]:
    """For merged cases (case id → its `merged_into_id`): case id → the case carrying the
    result, with its type and department."""
    if not merged_into:
        return {}
    targets = {
        c.pk: c
        for c in Case.objects.select_related("type", "department").filter(
            pk__in=set(merged_into.values())
        )
    }
    found: dict[int, Case] = {}
    for case_id, target_id in merged_into.items():
        target = targets.get(target_id)
        if target is None:
            continue
        if target.merged_into_id is not None:
            target = case_queries.final_case(target)
        found[case_id] = target
    return found


def final_of(case: Case) -> Case | None:
    """The case carrying the result of a merged case; None for a case that was not merged."""
    if case.state != State.MERGED or case.merged_into_id is None:
        return None
    final = case_queries.final_case(case)
    return None if final.pk == case.pk else final


def merge_events(case_ids: Iterable[int]) -> dict[int, tuple[int, datetime]]:
    """Case id → (id, time) of its merge in force: the last 合并 row of its timeline. What the
    case carrying the result did after that row, the merged case's reporters follow."""
    ids = list(case_ids)
    if not ids:
        return {}
    rows = (
        CaseEvent.objects.filter(case_id__in=ids, transition=MERGE)
        .order_by("id")
        .values_list("case_id", "id", "at")
    )
    return {case_id: (event_id, at) for case_id, event_id, at in rows}


# ---- filters and feeds that treat a merged case as the case carrying its result ---------------


def done_or_merged_into_done(done_states: Iterable[str]) -> Q:
    """Cases in one of `done_states`, or merged into a case that is.

    The merged half is a correlated EXISTS asked of the merged rows only (never a join of
    the table with itself), so a newest-first index walk of a list stays one."""
    states = list(done_states)
    final_done = Case.objects.filter(pk=OuterRef("merged_into_id"), state__in=states)
    return Q(state__in=states) | (Q(state=State.MERGED) & Q(Exists(final_done)))


def changed_between(
    qs: QuerySet[Case], after: datetime | None, before: datetime | None, *, limit: int
) -> Q:
    """Cases of `qs` changed in the window: the case itself, or — for a merged case — the
    case carrying its result (whose change is the merged case's news).

    The merged ones are looked up first (the merged cases, joined to the cases they follow;
    at most `limit`), so the caller's query keeps its index range on `updated_at` when there
    are none."""
    window, final_window = Q(), Q()
    if after is not None:
        window &= Q(updated_at__gte=after)
        final_window &= Q(merged_into__updated_at__gte=after)
    if before is not None:
        window &= Q(updated_at__lte=before)
        final_window &= Q(merged_into__updated_at__lte=before)
    # merged_into IS NOT NULL lets the index on merged_into skip the (many) unmerged rows:
    # without it PostgreSQL walked the whole index in a merge join (180 ms at 300,000 cases,
    # 1 ms with it).
    merged = list(
        qs.filter(final_window, state=State.MERGED, merged_into__isnull=False)
        .exclude(window)
        .order_by()
        .values_list("pk", flat=True)[:limit]
    )
    return window | Q(pk__in=merged) if merged else window


def with_followers(cases: QuerySet[Case], updates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Timeline rows (`id`, `case_id`, `case__number`, `transition` …), each followed by the
    same row for every case of `cases` merged into its case before it was made: that move is
    their news too. A copy gets `merged` true, its own `case_id`, `case__number` and
    `update_id` "<row>-<merged case>"; moves about the other cases (合并了 / 撤销合并 of a
    duplicate) are not copied."""
    moved = {u["case_id"] for u in updates if u["transition"] not in ABOUT_OTHERS}
    followers: dict[int, list[tuple[int, str]]] = {}
    if moved:
        merged = cases.filter(state=State.MERGED, merged_into_id__in=moved).order_by("id")
        for pk, number, target in merged.values_list("pk", "number", "merged_into_id"):
            followers.setdefault(target, []).append((pk, number))
    if not followers:
        return updates
    since = merge_events(pk for group in followers.values() for pk, _ in group)
    result = []
    for update in updates:
        result.append(update)
        if update["transition"] in ABOUT_OTHERS:
            continue
        for pk, number in followers.get(update["case_id"], []):
            merge = since.get(pk)
            if merge is None or update["id"] <= merge[0]:
                continue  # the merge in force came later: this move is not theirs
            result.append(
                {
                    **update,
                    "update_id": f"{update['id']}-{pk}",
                    "case_id": pk,
                    "case__number": number,
                    "merged": True,
                }
            )
    return result
