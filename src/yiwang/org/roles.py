"""Staff roles and what each may do in the shell (menus, pages)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    INSPECTOR = "inspector", _("监督员")
    OPERATOR = "operator", _("受理员")
    SHIFT_LEAD = "shift_lead", _("值班长")
    DISPATCHER = "dispatcher", _("派遣员")
    HANDLER = "handler", _("处置人员")
    LEADER = "leader", _("领导")
    ADMIN = "admin", _("系统管理员")


# Roles that belong to a handling department rather than the command centre.
DEPARTMENT_ROLES = frozenset({Role.HANDLER})
