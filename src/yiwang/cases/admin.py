"""Django admin for the case loop: cases (read-only) and the reference tables it runs on.

Cases change only through the workflow (`cases.actions.transition`), so their admin is a
scoped, read-only list. Time limits, routing rules, the holiday / 调休 calendar and the work
periods are saved through `cases.actions.reference`, never by a plain model save, so each
edit is checked like the API would check it, audited, and bumps the table's generation
(every process rebuilds its cache at the next read). Forms dry-run the action in
``clean()`` so a refusal shows next to the field; the admin save then runs it for real.
Open to system administrators (role) and superusers with staff access.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import time
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from yiwang.cases import deadlines, queries
from yiwang.cases.actions import reference
from yiwang.cases.models import (
    CalendarDay,
    CalendarYear,
    Case,
    DuplicateRule,
    RoutingRule,
    TimeLimit,
    WorkPeriod,
)
from yiwang.catalog.models import Kind
from yiwang.core import adminforms
from yiwang.core.errors import ActionError
from yiwang.core.scope import path_in_scope, scoped
from yiwang.org.adminaccess import AdministratorsAdmin, is_system_admin
from yiwang.org.models import Department, Division, User
from yiwang.org.permissions import acting_user

# Action argument names → admin form field names.
FORM_FIELDS = {
    "type_code": "type",
    "division_code": "division",
    "department_id": "department",
    "day": "date",
}


def dry_run(form: forms.BaseForm, call: Callable[[], Any]) -> None:
    """Run an action and roll it back: its ActionError becomes a form error by the field."""
    adminforms.dry_run(form, call, FORM_FIELDS)


class ActorForm(forms.ModelForm):
    """A model form that knows who is saving it (set by `ReferenceAdmin.get_form`)."""

    _actor: User  # the administrator saving it, set by get_form


class ReferenceAdmin(AdministratorsAdmin):
    """Reference tables of the whole node: system administrators only."""

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form._actor = acting_user(request)  # type: ignore[attr-defined]
        return form

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        # Bulk delete goes row by row through the action; refusals are reported, not fatal.
        for obj in list(queryset):
            try:
                self.delete_model(request, obj)
            except ActionError as exc:
                messages.error(request, f"{obj}：{exc.message}")

    def _warn_calendar(self, request: HttpRequest) -> None:
        for warning in deadlines.calendar_warnings():
            messages.warning(request, warning)


# ---------------------------------------------------------------------------
# Cases: read-only


@admin.register(Case)
class CaseAdmin(AdministratorsAdmin):
    """Cases change only through the workflow; here administrators can look them up."""

    list_display = [
        "number",
        "state",
        "kind",
        "type",
        "urgency",
        "street",
        "department",
        "stage",
        "stage_due_at",
        "reported_at",
    ]
    list_filter = ["state", "urgency", "source", "kind", "stage"]
    search_fields = ["^number", "title"]
    list_per_page = 50
    # Counting every case of a big city on each page view is the slow part of a changelist.
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Case]:
        # The admin shows every column of a case.
        return queries.cases(acting_user(request)).defer(None)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        fields = [f for f in super().get_fields(request, obj) if f != "masked_contact_phone"]
        if queries.sees_phone_numbers(acting_user(request)):
            return fields
        # Reporters' numbers are for the people who call them back (受理员, 值班长).
        return ["masked_contact_phone" if f == "contact_phone" else f for f in fields]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [*super().get_readonly_fields(request, obj), "masked_contact_phone"]

    @admin.display(description=_("联系电话"))
    def masked_contact_phone(self, obj: Case) -> str:
        return queries.mask_phone(obj.contact_phone) if obj.contact_phone else ""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and not path_in_scope(request.user, obj.division_path):
            return False
        return is_system_admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# ---------------------------------------------------------------------------
# Time limits


class TimeLimitForm(ActorForm):
    class Meta:
        model = TimeLimit
        fields = ["kind", "major_code", "type", "urgency", "stage", "amount", "unit"]

    def action_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        key = self.instance if self.instance.pk else None
        obj_type = key.type if key is not None else data.get("type")
        if obj_type is not None:
            category: dict[str, Any] = {
                "kind": obj_type.kind,
                "type_code": obj_type.code,
                "major_code": "" if key is not None else data.get("major_code", ""),
            }
        else:
            source: Any = key if key is not None else None
            category = {
                "kind": source.kind if source else data.get("kind", ""),
                "major_code": source.major_code if source else data.get("major_code", ""),
            }
        return {
            **category,
            "stage": key.stage if key is not None else data.get("stage", ""),
            "urgency": key.urgency if key is not None else data.get("urgency", ""),
            "amount": data.get("amount"),
            "unit": data.get("unit", ""),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            kwargs = self.action_kwargs()
            dry_run(self, lambda: reference.set_time_limit(self._actor, **kwargs))
        return data


def _applies_to(obj: TimeLimit | RoutingRule | DuplicateRule) -> str:
    """The type, major class or kind a limit or a rule is keyed on ("" when it covers all)."""
    if obj.type is not None:
        return gettext("小类 %(code)s %(name)s") % {"code": obj.type.code, "name": obj.type.name}
    if obj.major_code:
        return gettext("%(kind)s大类 %(code)s") % {
            "kind": Kind(obj.kind).label,
            "code": obj.major_code,
        }
    if obj.kind:
        return gettext("全部%(kind)s") % {"kind": Kind(obj.kind).label}
    return ""


@admin.register(TimeLimit)
class TimeLimitAdmin(ReferenceAdmin):
    form = TimeLimitForm
    list_display = ["stage", "urgency", "applies_to", "amount", "unit"]
    list_display_links = ["stage", "urgency", "applies_to"]
    list_filter = ["stage", "urgency", "unit", "kind"]
    search_fields = ["type__code", "type__name", "major_code"]
    list_select_related = ["type"]
    list_per_page = 100

    @admin.display(description=_("适用范围"))
    def applies_to(self, obj: TimeLimit) -> str:
        return _applies_to(obj) or gettext("全部类型（默认）")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The key names the row; change only the limit, add a new row for another key.
        if obj is None:
            return []
        return ["applies_to", "kind", "major_code", "type", "urgency", "stage"]

    @staticmethod
    def _is_global(obj: TimeLimit) -> bool:
        return obj.type_id is None and not obj.kind and not obj.major_code

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and self._is_global(obj):
            return False  # the global rows guarantee every type a limit
        return super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        # A bulk delete that includes a global row is refused as a whole, naming the rows,
        # instead of the bare "permission denied" the per-row check would give.
        kept = [o for o in objs if self._is_global(o)]
        if kept:
            protected = [
                f"{self.applies_to(o)}／{o.get_urgency_display()}／{o.get_stage_display()}"
                + gettext("（默认时限，保证每个类型都有时限，不能删除）")
                for o in kept
            ]
            return [], {}, set(), protected
        return super().get_deleted_objects(objs, request)

    def save_model(self, request: HttpRequest, obj: TimeLimit, form: Any, change: bool) -> None:
        saved = reference.set_time_limit(acting_user(request), **form.action_kwargs())
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: TimeLimit) -> None:
        reference.delete_time_limit(acting_user(request), obj.pk)


# ---------------------------------------------------------------------------
# Routing rules


class RoutingRuleForm(ActorForm):
    class Meta:
        model = RoutingRule
        fields = ["priority", "kind", "major_code", "type", "division", "department", "is_active"]

    def action_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        obj_type = data.get("type")
        division = data.get("division")
        department = data.get("department")
        return {
            "division_code": division.code if division else "",
            "department_id": department.pk if department else None,
            "priority": data.get("priority"),
            "kind": obj_type.kind if obj_type else data.get("kind", ""),
            "major_code": data.get("major_code", ""),
            "type_code": obj_type.code if obj_type else None,
            "is_active": data.get("is_active", False),
        }

    def save_through_action(self) -> RoutingRule:
        kwargs = self.action_kwargs()
        if self.instance.pk is None:
            return reference.add_routing_rule(self._actor, **kwargs)
        changed = set(self.changed_data)
        # Only what the administrator changed: a rule of a since retired department
        # can still be switched off without re-validating its department.
        update: dict[str, Any] = {}
        if changed & {"division", "department"}:
            update["division_code"] = kwargs["division_code"]
            update["department_id"] = kwargs["department_id"]
        if changed & {"kind", "major_code", "type"}:
            update.update(
                kind=kwargs["kind"], major_code=kwargs["major_code"], type_code=kwargs["type_code"]
            )
        if "priority" in changed:
            update["priority"] = kwargs["priority"]
        if "is_active" in changed:
            update["is_active"] = kwargs["is_active"]
        return reference.update_routing_rule(self._actor, self.instance.pk, **update)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            dry_run(self, self.save_through_action)
        return data


@admin.register(RoutingRule)
class RoutingRuleAdmin(ReferenceAdmin):
    form = RoutingRuleForm
    list_display = ["priority", "applies_to", "division", "department", "is_active"]
    list_display_links = ["priority", "applies_to"]
    list_filter = ["is_active", "kind"]
    search_fields = ["type__code", "type__name", "major_code", "department__name"]
    list_select_related = ["type", "division", "department"]

    @admin.display(description=_("适用类型"))
    def applies_to(self, obj: RoutingRule) -> str:
        return _applies_to(obj) or gettext("全部类型")

    def get_queryset(self, request: HttpRequest) -> QuerySet[RoutingRule]:
        return scoped(super().get_queryset(request), request.user, "division__path")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and not path_in_scope(request.user, obj.division.path):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and not path_in_scope(request.user, obj.division.path):
            return False
        return super().has_delete_permission(request, obj)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # Pickers offer only what lies inside the administrator's subtree.
        if db_field.related_model is Division:
            kwargs["queryset"] = scoped(Division.objects.all(), request.user, "path")
        elif db_field.related_model is Department:
            kwargs["queryset"] = scoped(
                Department.objects.filter(is_active=True).select_related("division"),
                request.user,
                "division__path",
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: RoutingRule, form: Any, change: bool) -> None:
        obj.pk = form.save_through_action().pk

    def delete_model(self, request: HttpRequest, obj: RoutingRule) -> None:
        reference.delete_routing_rule(acting_user(request), obj.pk)


# ---------------------------------------------------------------------------
# Duplicate rules (查重规则)


class DuplicateRuleForm(ActorForm):
    class Meta:
        model = DuplicateRule
        fields = ["kind", "major_code", "type", "radius_m", "window_days"]

    def action_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        key = self.instance if self.instance.pk else None
        obj_type = key.type if key is not None else data.get("type")
        if obj_type is not None:
            category: dict[str, Any] = {"kind": obj_type.kind, "type_code": obj_type.code}
        else:
            source: Any = key
            category = {
                "kind": source.kind if source else data.get("kind", ""),
                "major_code": source.major_code if source else data.get("major_code", ""),
            }
        return {
            **category,
            "radius_m": data.get("radius_m"),
            "window_days": data.get("window_days"),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            kwargs = self.action_kwargs()
            dry_run(self, lambda: reference.set_duplicate_rule(self._actor, **kwargs))
        return data


@admin.register(DuplicateRule)
class DuplicateRuleAdmin(ReferenceAdmin):
    """Radius and time window of duplicate candidates; types without a row use the nearest
    wider row, or 50 m and 7 days."""

    form = DuplicateRuleForm
    list_display = ["applies_to", "radius_m", "window_days"]
    list_display_links = ["applies_to"]
    list_filter = ["kind"]
    search_fields = ["type__code", "type__name", "major_code"]
    list_select_related = ["type"]

    @admin.display(description=_("适用范围"))
    def applies_to(self, obj: DuplicateRule) -> str:
        return _applies_to(obj) or gettext("全部类型")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The key names the row; change the radius and window, add a row for another key.
        return [] if obj is None else ["applies_to", "kind", "major_code", "type"]

    def save_model(self, request: HttpRequest, obj: DuplicateRule, form: Any, change: bool) -> None:
        obj.pk = reference.set_duplicate_rule(acting_user(request), **form.action_kwargs()).pk

    def delete_model(self, request: HttpRequest, obj: DuplicateRule) -> None:
        reference.delete_duplicate_rule(acting_user(request), obj.pk)


# ---------------------------------------------------------------------------
# Calendar


class CalendarDayForm(ActorForm):
    class Meta:
        model = CalendarDay
        fields = ["date", "kind", "name"]

    def action_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "day": self.instance.date if self.instance.pk else data.get("date"),
            "kind": data.get("kind", ""),
            "name": data.get("name", ""),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            kwargs = self.action_kwargs()
            dry_run(self, lambda: reference.set_calendar_day(self._actor, **kwargs))
        return data


WEEKDAYS = (
    pgettext_lazy("weekday", "一"),
    pgettext_lazy("weekday", "二"),
    pgettext_lazy("weekday", "三"),
    pgettext_lazy("weekday", "四"),
    pgettext_lazy("weekday", "五"),
    pgettext_lazy("weekday", "六"),
    pgettext_lazy("weekday", "日"),
)


@admin.register(CalendarDay)
class CalendarDayAdmin(ReferenceAdmin):
    form = CalendarDayForm
    list_display = ["date", "weekday", "kind", "name"]
    list_filter = ["kind"]
    search_fields = ["name"]
    date_hierarchy = "date"
    list_per_page = 100

    @admin.display(description=_("星期"))
    def weekday(self, obj: CalendarDay) -> str:
        return str(WEEKDAYS[obj.date.weekday()])

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [] if obj is None else ["date"]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method == "GET":
            self._warn_calendar(request)
        return super().changelist_view(request, extra_context)

    def save_model(self, request: HttpRequest, obj: CalendarDay, form: Any, change: bool) -> None:
        obj.pk = reference.set_calendar_day(acting_user(request), **form.action_kwargs()).pk

    def delete_model(self, request: HttpRequest, obj: CalendarDay) -> None:
        reference.clear_calendar_day(acting_user(request), obj.date)


class CalendarYearForm(ActorForm):
    class Meta:
        model = CalendarYear
        fields = ["year", "source"]

    def action_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        year = self.instance.year if self.instance.pk else data.get("year")
        return {"year": year, "source": data.get("source", "")}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            kwargs = self.action_kwargs()
            dry_run(self, lambda: reference.mark_year_complete(self._actor, **kwargs))
        return data


@admin.register(CalendarYear)
class CalendarYearAdmin(ReferenceAdmin):
    form = CalendarYearForm
    list_display = ["year", "source", "holiday_days", "workday_days"]

    @admin.display(description=_("休息日天数"))
    def holiday_days(self, obj: CalendarYear) -> int:
        return CalendarDay.objects.filter(date__year=obj.year, kind="holiday").count()

    @admin.display(description=_("调休上班天数"))
    def workday_days(self, obj: CalendarYear) -> int:
        return CalendarDay.objects.filter(date__year=obj.year, kind="workday").count()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [] if obj is None else ["year"]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method == "GET":
            self._warn_calendar(request)
        return super().changelist_view(request, extra_context)

    def save_model(self, request: HttpRequest, obj: CalendarYear, form: Any, change: bool) -> None:
        reference.mark_year_complete(acting_user(request), **form.action_kwargs())

    def delete_model(self, request: HttpRequest, obj: CalendarYear) -> None:
        reference.unmark_year(acting_user(request), obj.year)


# ---------------------------------------------------------------------------
# Work periods: edited one row at a time here, saved as a whole list by the action


def _periods_with(
    replace: WorkPeriod | None, new: tuple[time, time] | None
) -> list[tuple[time, time]]:
    periods = [
        (p.start, p.end)
        for p in WorkPeriod.objects.order_by("start")
        if replace is None or p.pk != replace.pk
    ]
    if new is not None:
        periods.append(new)
    return sorted(periods)


class WorkPeriodForm(ActorForm):
    class Meta:
        model = WorkPeriod
        fields = ["start", "end"]

    def periods(self) -> list[tuple[time, time]]:
        data = self.cleaned_data
        current = self.instance if self.instance.pk else None
        return _periods_with(current, (data["start"], data["end"]))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            periods = self.periods()
            dry_run(self, lambda: reference.set_work_periods(self._actor, periods))
        return data


@admin.register(WorkPeriod)
class WorkPeriodAdmin(ReferenceAdmin):
    form = WorkPeriodForm
    list_display = ["__str__", "start", "end"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and WorkPeriod.objects.count() <= 1:
            return False  # at least one period must remain
        return super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: WorkPeriod, form: Any, change: bool) -> None:
        rows = reference.set_work_periods(acting_user(request), form.periods())
        # The action rewrites the rows; point the admin at the one just edited.
        obj.pk = next(r.pk for r in rows if (r.start, r.end) == (obj.start, obj.end))

    def delete_model(self, request: HttpRequest, obj: WorkPeriod) -> None:
        reference.set_work_periods(acting_user(request), _periods_with(obj, None))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        gone = {p.pk for p in queryset}
        keep = [(p.start, p.end) for p in WorkPeriod.objects.order_by("start") if p.pk not in gone]
        try:
            reference.set_work_periods(acting_user(request), keep)
        except ActionError as exc:
            messages.error(request, exc.message)


__all__ = [
    "CalendarDayAdmin",
    "CalendarYearAdmin",
    "CaseAdmin",
    "DuplicateRuleAdmin",
    "RoutingRuleAdmin",
    "TimeLimitAdmin",
    "WorkPeriodAdmin",
]
