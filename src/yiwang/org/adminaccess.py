"""Who may use the Django admin: 系统管理员 by role, not Django's per-model permissions.

Staff accounts get their rights from their role (`update_staff` keeps `is_staff` in step
with it); the per-model permission tables would be a second, drifting source of truth.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from yiwang.org.permissions import has_role
from yiwang.org.roles import Role


def is_system_admin(request: HttpRequest) -> bool:
    return has_role(request.user, [Role.ADMIN]) and bool(request.user.is_staff)


class AdministratorsAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Every page open to system administrators; subclasses take away what must not be done."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_system_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_system_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_system_admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_system_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_system_admin(request)
