from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from yiwang.core.errors import ActionError
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

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        # Django would list the cases and components behind the protecting foreign keys as
        # "objects you have no permission to delete". Nothing is ever deleted with a grid;
        # whether it may go at all is the action's decision (grid_in_use), shown below.
        to_delete = [f"{obj._meta.verbose_name}：{obj}" for obj in objs]
        return to_delete, {UnitGrid._meta.verbose_name_plural: len(to_delete)}, set(), []

    def delete_model(self, request: HttpRequest, obj: UnitGrid) -> None:
        grid_actions.delete_grid(acting_user(request), obj.code)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[UnitGrid]) -> None:
        for grid in queryset:
            grid_actions.delete_grid(acting_user(request), grid.code)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except ActionError as exc:  # the view's transaction has been rolled back
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(
                reverse(
                    "admin:geo_unitgrid_change", args=[object_id], current_app=self.admin_site.name
                )
            )

    def response_action(
        self, request: HttpRequest, queryset: QuerySet[UnitGrid]
    ) -> HttpResponse | None:
        # A bulk delete is all or nothing: one grid in use keeps the whole selection.
        try:
            with transaction.atomic():
                return super().response_action(request, queryset)
        except ActionError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
