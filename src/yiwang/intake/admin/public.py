"""Admin of public reporting: the tiles and the types the public may report (audited actions)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from yiwang.core.errors import ActionError
from yiwang.intake.actions import public_review
from yiwang.intake.models import PublicCategory, PublicType
from yiwang.org.adminaccess import AdministratorsAdmin
from yiwang.org.permissions import acting_user


@admin.register(PublicCategory)
class PublicCategoryAdmin(AdministratorsAdmin):
    list_display = ["name", "icon", "position", "is_active"]
    list_editable = ["position", "is_active"]
    ordering = ["position", "id"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Types hang under a tile; retire it with 启用 = off instead.
        return False

    def save_model(
        self, request: HttpRequest, obj: PublicCategory, form: Any, change: bool
    ) -> None:
        public_review.save_category(acting_user(request), obj)


@admin.register(PublicType)
class PublicTypeAdmin(AdministratorsAdmin):
    list_display = ["__str__", "object_type", "category", "position", "is_active"]
    list_editable = ["position", "is_active"]
    list_filter = ["category", "is_active"]
    list_select_related = ["object_type", "category"]
    search_fields = ["name", "object_type__name", "object_type__code"]
    autocomplete_fields = ["object_type"]
    ordering = ["category__position", "position", "id"]

    def save_model(self, request: HttpRequest, obj: PublicType, form: Any, change: bool) -> None:
        public_review.save_public_type(acting_user(request), obj)

    def delete_model(self, request: HttpRequest, obj: PublicType) -> None:
        public_review.delete_public_type(acting_user(request), obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[PublicType]) -> None:
        for obj in list(queryset):
            try:
                self.delete_model(request, obj)
            except ActionError as exc:
                messages.error(request, f"{obj}：{exc.message}")
