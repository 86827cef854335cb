"""Django admin of intake's reference data (系统管理员), saved through the intake actions.

Video and drone alarms: the event-type table (告警事件类型: event type → matter type, the
auto-filing confidence, the dedup window and radius) and the alarm sources (告警接入方)
with their keys — a new source's key is shown once, in the confirmation message.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from yiwang.catalog.models import Kind, ObjectType
from yiwang.core import adminforms
from yiwang.core.scope import scoped
from yiwang.intake.actions import alarm_setup
from yiwang.intake.admin.base import ActorAdmin, ActorForm
from yiwang.intake.models import AlarmEventType, AlarmSource
from yiwang.org.models import Division
from yiwang.org.permissions import acting_user

FORM_FIELDS = {"matter_code": "matter_type", "division_code": "division"}


# ---------------------------------------------------------------------------
# Alarm event types


class AlarmEventTypeForm(ActorForm):
    class Meta:
        model = AlarmEventType
        fields = [
            "code",
            "name",
            "matter_type",
            "min_confidence",
            "window_minutes",
            "radius_m",
            "is_active",
        ]

    def save_through_action(self) -> AlarmEventType:
        data = self.cleaned_data
        matter = data.get("matter_type")
        return alarm_setup.save_event_type(
            self._actor,
            code=data.get("code", ""),
            name=data.get("name", ""),
            matter_code=matter.code if matter else "",
            min_confidence=data.get("min_confidence"),
            window_minutes=data.get("window_minutes"),  # type: ignore[arg-type]
            radius_m=data.get("radius_m"),  # type: ignore[arg-type]
            is_active=bool(data.get("is_active")),
            event_type_id=self.instance.pk,
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            adminforms.dry_run(self, self.save_through_action, FORM_FIELDS)
        return data


@admin.register(AlarmEventType)
class AlarmEventTypeAdmin(ActorAdmin):
    form = AlarmEventTypeForm
    list_display = [
        "code",
        "name",
        "matter",
        "min_confidence",
        "window_minutes",
        "radius_m",
        "is_active",
    ]
    list_filter = ["is_active"]
    search_fields = ["code", "name", "matter_type__code", "matter_type__name"]
    list_select_related = ["matter_type"]

    @admin.display(description=_("对应事件类型"))
    def matter(self, obj: AlarmEventType) -> str:
        return f"{obj.matter_type.code} {obj.matter_type.name}"

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "matter_type":
            kwargs["queryset"] = ObjectType.objects.filter(kind=Kind.MATTER, is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(
        self, request: HttpRequest, obj: AlarmEventType, form: Any, change: bool
    ) -> None:
        obj.pk = form.save_through_action().pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # alarms keep their type; switch a type off instead


# ---------------------------------------------------------------------------
# Alarm sources


class AlarmSourceForm(ActorForm):
    class Meta:
        model = AlarmSource
        fields = ["name", "division", "is_active"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and self.instance.pk is None:
            division = data.get("division")
            adminforms.dry_run(
                self,
                lambda: alarm_setup.create_alarm_source(
                    self._actor,
                    name=data.get("name", ""),
                    division_code=division.code if division else "",
                ),
                FORM_FIELDS,
            )
        return data


@admin.register(AlarmSource)
class AlarmSourceAdmin(ActorAdmin):
    form = AlarmSourceForm
    list_display = ["name", "division", "prefix", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "prefix"]
    list_select_related = ["division"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AlarmSource]:
        return scoped(super().get_queryset(request), request.user, "division__path")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # A source keeps its name and division; it is switched off, not re-pointed.
        return [] if obj is None else ["name", "division", "prefix", "created_at"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.related_model is Division:
            kwargs["queryset"] = scoped(Division.objects.all(), request.user, "path")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: AlarmSource, form: Any, change: bool) -> None:
        actor = acting_user(request)
        if not change:
            key, source = alarm_setup.create_alarm_source(
                actor, name=form.cleaned_data["name"], division_code=obj.division.code
            )
            obj.pk = source.pk
            messages.warning(
                request,
                gettext(
                    "接入方 %(name)s 的密钥（只显示这一次，请立即复制到告警平台的 "
                    "X-Alarm-Key 请求头）：%(key)s"
                )
                % {"name": source.name, "key": key},
            )
            return
        alarm_setup.set_alarm_source_active(actor, obj.pk, bool(form.cleaned_data["is_active"]))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # its alarms refer to it; switch it off instead
