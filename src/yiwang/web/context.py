"""The page shell: the role-aware menu and the signed-in user's identity.

The whole menu is declared once in ``MENU``. A later issue adds its pages
(案卷, 工作台, ...) by appending an entry with the roles that may see it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from yiwang.org.models import User
from yiwang.org.roles import Role

EVERY_ROLE: frozenset[str] = frozenset(Role.values)


@dataclass(frozen=True)
class MenuEntry:
    key: str
    label: str | Promise
    # A URL name (reversed) or an absolute path starting with "/".
    target: str
    roles: frozenset[str] = EVERY_ROLE
    # Entries that leave the shell (the Django admin) are drawn apart.
    external: bool = False
    # Pages of this entry that live outside its URL (names or paths, like `target`): the
    # entry is highlighted on them too.
    also: tuple[str, ...] = ()
    # False: a shortcut for its roles only; a superuser, who sees every other entry, reaches
    # the page another way (and the menu stays on one line).
    superusers: bool = True

    @property
    def url(self) -> str:
        return _path(self.target)

    @property
    def prefixes(self) -> list[str]:
        return [self.url, *(_path(t) for t in self.also)]


def _path(target: str) -> str:
    return target if target.startswith("/") else reverse(target)


MENU: tuple[MenuEntry, ...] = (
    MenuEntry("home", _("首页"), "web:home"),
    MenuEntry("workbench", _("工作台"), "cases:workbench"),
    MenuEntry("case_search", _("案卷查询"), "cases:search"),
    MenuEntry(
        "case_new",
        _("上报案卷"),
        "cases:new",
        frozenset({Role.INSPECTOR, Role.OPERATOR, Role.SHIFT_LEAD, Role.ADMIN}),
    ),
    # The inspector's phone app (intake): installable, works offline. Inspectors keep it as
    # their own entry; everyone else with a use for it finds it on the 多渠道受理 desk.
    MenuEntry(
        "phone", _("城管通"), "inspector_app:report", frozenset({Role.INSPECTOR}), superusers=False
    ),
    # The intake desks (热线工单, 公众照片审核, 摄像机, 告警审核, Open311) behind one entry:
    # its page has a card per channel for the roles below (intake.queries.desk.DESK_ROLES).
    MenuEntry(
        "intake",
        _("多渠道受理"),
        "intake:desk",
        frozenset({Role.OPERATOR, Role.SHIFT_LEAD, Role.DISPATCHER, Role.LEADER, Role.ADMIN}),
        also=("intake_public:review_queue",),
    ),
    MenuEntry("map", _("地图"), "web:map"),
    # The analysis pages (evaluation, responsibility lists, hotspots, supervision, bulletins,
    # the dashboard) behind one entry for the command centre and leaders. Administrators,
    # whose menu is the longest, open it by its address (/reports/), so their menu stays one
    # line at 1366 px.
    MenuEntry(
        "analysis",
        _("分析研判"),
        "reports:hub",
        frozenset({Role.OPERATOR, Role.SHIFT_LEAD, Role.DISPATCHER, Role.LEADER}),
        also=("/evaluation/",),
        superusers=False,
    ),
    MenuEntry("types", _("部件事件分类"), "web:types"),
    MenuEntry("components", _("部件"), "web:components"),
    MenuEntry("exports", _("我的导出"), "web:exports"),
    MenuEntry("admin", _("管理后台"), "admin:index", frozenset({Role.ADMIN}), external=True),
)


def menu_for(user: User | AnonymousUser | None) -> list[MenuEntry]:
    """The menu entries this user may see; superusers see them all but the shortcuts."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if user.is_superuser:
        return [entry for entry in MENU if entry.superusers or user.role in entry.roles]
    return [entry for entry in MENU if user.role in entry.roles]


def _active_key(request: HttpRequest, entries: list[MenuEntry]) -> str:
    """The entry with the longest URL prefix (its own or an `also` one) of the current path."""
    best, best_len = "", 0
    for entry in entries:
        for url in entry.prefixes:
            matches = request.path == url if url == "/" else request.path.startswith(url)
            if matches and len(url) > best_len:
                best, best_len = entry.key, len(url)
    return best


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    entries = menu_for(user)
    if not entries or not isinstance(user, User):
        return {"shell_menu": [], "shell_user": None}
    division = user.division if user.division_id else None
    role_label = user.role_label or (_("超级管理员") if user.is_superuser else "")
    return {
        "shell_menu": entries,
        "shell_active": _active_key(request, entries),
        "shell_user": {
            "name": str(user),
            "username": user.username,
            "role_label": role_label,
            "division": division.name if division else _("全辖区"),
        },
    }
