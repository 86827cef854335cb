"""工作台: the signed-in user's worklists, with counts, traffic lights and countdowns.

The workbench and one worklist share the same body (`_w_body.html`): the list
cards with their counts and the chosen list. HTMX swaps that body when a card,
a sort link or a page link is clicked, and refreshes it every minute.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page
from django.db.models import F, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, gettext_noop

from yiwang.cases import deadlines, queries
from yiwang.cases.models import Case
from yiwang.core.errors import NotFound
from yiwang.core.workcalendar import Light, WorkCalendar
from yiwang.org.models import User
from yiwang.org.permissions import acting_user
from yiwang.org.roles import Role
from yiwang.web.lists import is_fragment, paginate

# Sort keys of a worklist: the most urgent first by default.
SORTS: dict[str, tuple[Any, ...]] = {
    "due": (F("stage_due_at").asc(nulls_last=True), "id"),
    "reported": ("-reported_at", "-id"),
}
SORT_LABELS = {"due": gettext_lazy("按时限"), "reported": gettext_lazy("按上报时间")}
DEFAULT_SORT = "due"
# Traffic-light labels (core.workcalendar keeps them as plain str): listed here for
# makemessages; the templates translate them with {% translate light.label %}.
LIGHT_LABELS = (gettext_noop("正常"), gettext_noop("预警"), gettext_noop("超期"))
# Handlers race the clock on every row; the others see the due time and the light.
COUNTDOWN_ROLES = frozenset({Role.HANDLER})


def remaining_text(seconds: float) -> str:
    """ "剩余 3小时12分" / "已超期 2小时" (wall-clock time to the due moment)."""
    overdue = seconds < 0
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    n = {"days": days, "hours": hours, "mins": mins}
    words = countdown_formats()
    if days:
        amount = (words["dh"] if hours else words["d"]) % n
    elif hours:
        amount = (words["hm"] if mins else words["h"]) % n
    else:
        amount = words["m"] % n
    return (words["overdue"] if overdue else words["left"]) % {"amount": amount}


def countdown_text(due: datetime, unit: str, now: datetime, cal: WorkCalendar) -> str:
    """The countdown of a stage on the clock its light uses.

    A limit in 小时 counts wall time (`remaining_text`); one in 工作时 / 工作日 counts working
    time left on the calendar (holidays and 调休 included): "剩余 1 工作日 3.5 工作时".
    Overdue exactly when the light is red (after the due moment); the amount is then the
    working time since, which is 0 in the evening of the day it fell due.
    """
    if unit not in ("work_hours", "work_days"):
        return remaining_text((due - now).total_seconds())
    overdue = now > due
    seconds = abs(cal.remaining(now, due, unit))  # type: ignore[arg-type]
    words = countdown_formats()
    return (words["overdue"] if overdue else words["left"]) % {
        "amount": working_amount(seconds, cal.work_seconds_per_day)
    }


def working_amount(seconds: float, day_seconds: int) -> str:
    """Working time as whole 工作日 and 工作时 to a tenth, rounded down (never overstated)."""
    days, rest = divmod(int(seconds), day_seconds)
    tenths = rest // 360
    hours = f"{tenths // 10}" if tenths % 10 == 0 else f"{tenths // 10}.{tenths % 10}"
    if days and tenths:
        return gettext("%(days)s 工作日 %(hours)s 工作时") % {"days": days, "hours": hours}
    if days:
        return gettext("%(days)s 工作日") % {"days": days}
    return gettext("%(hours)s 工作时") % {"hours": hours}


def countdown_formats() -> dict[str, str]:
    """The countdown wording in the active language; worklist.js gets the same formats."""
    return {
        "dh": gettext("%(days)s天%(hours)s小时"),
        "d": gettext("%(days)s天"),
        "hm": gettext("%(hours)s小时%(mins)s分"),
        "h": gettext("%(hours)s小时"),
        "m": gettext("%(mins)s分"),
        "left": gettext("剩余 %(amount)s"),
        "overdue": gettext("已超期 %(amount)s"),
    }


@dataclass(frozen=True)
class Row:
    case: Case
    light: Light | None
    countdown: str
    # Wall-clock countdowns tick in the browser (worklist.js); working-time ones need the
    # holiday calendar and are refreshed with the list (every minute).
    ticks: bool = False


def _rows(cases: list[Case], now: datetime, cal: WorkCalendar, countdown: bool) -> list[Row]:
    rows = []
    for case in cases:
        text, ticks = "", False
        if countdown and case.stage_due_at is not None:
            text = countdown_text(case.stage_due_at, case.stage_unit, now, cal)
            ticks = case.stage_unit not in ("work_hours", "work_days")
        rows.append(Row(case, queries.light(case, now, cal=cal), text, ticks))
    return rows


def _list_query(qs: QuerySet[Case], sort: str) -> QuerySet[Case]:
    return qs.order_by(*SORTS[sort])


def _body_context(request: HttpRequest, user: User, key: str | None) -> dict[str, Any]:
    lists = queries.worklists_for(user)
    counts = queries.worklist_counts(user)
    cards = [
        {"key": w.key, "label": gettext(w.label), "count": counts.get(w.key, 0)} for w in lists
    ]
    if key is None and lists:
        # The workbench opens on the first list with work in it.
        key = next((w.key for w in lists if counts.get(w.key)), lists[0].key)
    context: dict[str, Any] = {
        "cards": cards,
        "current": None,
        "count_cap": queries.COUNT_CAP,
        "read_only": user.role == Role.LEADER,
    }
    if key is None:
        return context
    try:
        qs = queries.worklist(user, key)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    sort = request.GET.get("sort", DEFAULT_SORT)
    if sort not in SORTS:
        sort = DEFAULT_SORT
    page: Page = paginate(request, _list_query(qs, sort))
    now = timezone.now()
    countdown = user.role in COUNTDOWN_ROLES
    url = reverse("cases:worklist", args=[key])
    context.update(
        current=replace(
            queries.WORKLISTS_BY_KEY[key], label=gettext(queries.WORKLISTS_BY_KEY[key].label)
        ),
        page=page,
        rows=_rows(list(page.object_list), now, deadlines.calendar(), countdown),
        countdown=countdown,
        countdown_formats=countdown_formats() if countdown else None,
        sort=sort,
        sorts=[{"key": k, "label": v, "url": f"{url}?sort={k}"} for k, v in SORT_LABELS.items()],
        list_url=url,
        page_url=f"{url}?{urlencode({'sort': sort})}&page=",
        refresh_url=f"{url}?{urlencode({'sort': sort, 'page': page.number})}",
    )
    return context


def _render(request: HttpRequest, template: str, key: str | None) -> HttpResponse:
    user = acting_user(request)
    context = _body_context(request, user, key)
    if is_fragment(request):
        return render(request, "cases/_w_body.html", context)
    return render(request, template, context)


@login_required
def workbench(request: HttpRequest) -> HttpResponse:
    return _render(request, "cases/workbench.html", None)


@login_required
def worklist_page(request: HttpRequest, key: str) -> HttpResponse:
    return _render(request, "cases/worklist.html", key)
