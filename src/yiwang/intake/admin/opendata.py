"""Admin of the 311 open-data importer: the category → matter type mapping (edited through
`intake.actions.opendata`, so every change is checked and audited) and, read only, the
imports with their counts and unmapped categories.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from yiwang.core import adminforms
from yiwang.core.errors import ActionError
from yiwang.intake import opendata
from yiwang.intake.actions import opendata as opendata_actions
from yiwang.intake.admin.base import ActorAdmin, ActorForm
from yiwang.intake.models import OpenDataCategory, OpenDataImport
from yiwang.org.permissions import acting_user


class OpenDataCategoryForm(ActorForm):
    class Meta:
        model = OpenDataCategory
        fields = ["category", "type"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "type" in self.fields:
            field = self.fields["type"]
            field.queryset = field.queryset.filter(kind="matter", is_active=True)  # type: ignore[attr-defined]

    def action_kwargs(self) -> dict[str, Any]:
        matter = self.cleaned_data.get("type")
        return {
            "category": self.cleaned_data.get("category", ""),
            "type_code": matter.code if matter else "",
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            kwargs = self.action_kwargs()
            adminforms.dry_run(
                self,
                lambda: opendata_actions.set_category(self._actor, **kwargs),
                {"type_code": "type"},
            )
        return data


@admin.register(OpenDataCategory)
class OpenDataCategoryAdmin(ActorAdmin):
    form = OpenDataCategoryForm
    list_display = ["category", "type"]
    search_fields = ["category", "type__code", "type__name"]
    list_select_related = ["type"]

    def save_model(
        self, request: HttpRequest, obj: OpenDataCategory, form: Any, change: bool
    ) -> None:
        actor = acting_user(request)
        kwargs = form.action_kwargs()
        if change and obj.pk and obj.key != opendata.category_key(kwargs["category"]):
            # A renamed category is another category: the old mapping goes.
            opendata_actions.delete_category(actor, obj.pk)
        saved = opendata_actions.set_category(actor, **kwargs)
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: OpenDataCategory) -> None:
        opendata_actions.delete_category(acting_user(request), obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in list(queryset):
            try:
                self.delete_model(request, obj)
            except ActionError as exc:
                messages.error(request, f"{obj}：{exc.message}")


@admin.register(OpenDataImport)
class OpenDataImportAdmin(ActorAdmin):
    list_display = ["filename", "division", "time_zone", "created_at"]
    readonly_fields = [
        "filename", "division", "sha256", "time_zone", "created_at", "counts", "unmapped",
        "columns",
    ]  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # imports run from the command line (yiwang import_311)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
