from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from yiwang.core.scope import scoped
from yiwang.geo import actions as grid_actions
from yiwang.geo.models import UnitGrid
from yiwang.org.adminaccess import AdministratorsAdmin
from yiwang.org.permissions import acting_user


@admin.register(UnitGrid)
class UnitGridAdmin(AdministratorsAdmin):
    """Grids are added through the importer (it validates polygons, overlaps and codes);
    here only the name and region class can change, through the action, so the audit log
    and the spatial index stay right."""

    list_display = ("code", "name", "community", "region_class", "area_m2")
    list_filter = ("region_class",)
    search_fields = ("code", "name")
    list_select_related = ("community",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[UnitGrid]:
        # Admins of a street see and edit only their own grids.
        return scoped(super().get_queryset(request), request.user, "division_path")

    fields = (
        "code",
        "name",
        "community",
        "region_class",
        "area_m2",
        "geometry",
        "division_path",
        "min_lon",
        "min_lat",
        "max_lon",
        "max_lat",
        "created_at",
        "updated_at",
    )
    readonly_fields = (
        "code",
        "community",
        "geometry",
        "area_m2",
        "division_path",
        "min_lon",
        "min_lat",
        "max_lon",
        "max_lat",
        "created_at",
        "updated_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: UnitGrid, form: Any, change: bool) -> None:
        grid_actions.update_grid(
            acting_user(request), obj.code, name=obj.name, region_class=obj.region_class
        )

    def delete_model(self, request: HttpRequest, obj: UnitGrid) -> None:
        grid_actions.delete_grid(acting_user(request), obj.code)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[UnitGrid]) -> None:
        for grid in queryset:
            grid_actions.delete_grid(acting_user(request), grid.code)
