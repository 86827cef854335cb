"""Django admin for the catalogue (reference data). Writes still go through actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from yiwang.catalog import actions, queries
from yiwang.catalog.models import Component, ObjectType
from yiwang.core.errors import ActionError
from yiwang.org.adminaccess import AdministratorsAdmin
from yiwang.org.permissions import acting_user


class ObjectTypeForm(forms.ModelForm):
    class Meta:
        model = ObjectType
        fields = ["kind", "code", "major_code", "major_name", "name", "self_handle", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "major_name" in self.fields:
            # Blank takes the name of the existing major class (see create_local_type).
            self.fields["major_name"].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk is None and not self.errors:
            # Same preconditions as the action, so the admin shows them next to the field.
            try:
                actions.check_local_type(
                    data.get("kind", ""), data.get("code", ""), data.get("major_code", "")
                )
            except ActionError as exc:
                raise forms.ValidationError({exc.field or "code": exc.message}) from exc
        return data


@admin.register(ObjectType)
class ObjectTypeAdmin(AdministratorsAdmin):
    form = ObjectTypeForm
    list_display = [
        "code",
        "name",
        "kind",
        "major_code",
        "major_name",
        "is_local",
        "self_handle",
        "is_active",
    ]
    list_filter = ["kind", "major_name", "is_local", "self_handle", "is_active"]
    search_fields = ["code", "name", "major_name"]
    ordering = ["kind", "code"]

    def get_readonly_fields(self, request: HttpRequest, obj: ObjectType | None = None) -> Any:
        if obj is None:
            return ["is_local"]
        fixed = ["kind", "code", "major_code", "major_name", "is_local"]
        return fixed if obj.is_local else [*fixed, "name"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Cases and components point at types; retire a type with 启用 = off instead.
        return False

    def save_model(self, request: HttpRequest, obj: ObjectType, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            saved = actions.update_type(
                acting_user(request),
                obj.kind,
                obj.code,
                name=data.get("name") if obj.is_local else None,
                self_handle=data.get("self_handle"),
                is_active=data.get("is_active"),
            )
        else:
            saved = actions.create_local_type(
                acting_user(request),
                kind=data["kind"],
                code=data["code"],
                major_code=data["major_code"],
                name=data["name"],
                major_name=data.get("major_name", ""),
                self_handle=data.get("self_handle", False),
            )
        obj.pk = saved.pk


@admin.register(Component)
class ComponentAdmin(AdministratorsAdmin):
    """Read-only view; the inventory changes through imports (actions.import_components)."""

    list_display = ["ident", "name", "type", "state", "grid", "street", "community"]
    list_filter = ["state", "type__major_name"]
    search_fields = ["ident", "name"]
    list_select_related = ["type", "grid", "street", "community"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Component]:
        return queries.components(acting_user(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
