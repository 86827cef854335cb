"""Admin of public reporting: the tiles of the report page (audited actions).

The types under the tiles are the one list of what the public may report, `PublicService`,
edited on its own page (公众可报类型, admin/open311.py) with the tile as a column and filter.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from yiwang.intake.actions import public_review
from yiwang.intake.models import PublicCategory
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
